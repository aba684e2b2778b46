//! Fixes you can trust and the command line's edges, end to end through the built binary (issue 16): a fix
//! that moves a mirrored port moves its env key too, `check --fix` never gives one port twice, diffs apply
//! with `git apply` and `patch -p1`, `next` never hands out a port inside another app's block and speaks of
//! no PortOS range in a plain project, `ports` lists what a plain project serves, nothing checked is no pass,
//! a huge file is refused before it is read, stdin is `<stdin>` and walks nothing, errors come before the
//! summary, and the docs say what the commands do.

#[path = "common/files.rs"]
mod files;
#[path = "common/run.rs"]
mod run;

use files::copy_dir;
use run::run_in;

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// A fresh directory under the system's temporary directory.
fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("portos-lsp-fixes-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, relative: &str, text: &str) {
    let path = dir.join(relative);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
}

fn read(dir: &Path, relative: &str) -> String {
    std::fs::read_to_string(dir.join(relative)).unwrap()
}

/// A copy of the example workspace in a scratch directory.
fn example_workspace(tag: &str) -> PathBuf {
    let dir = scratch(tag);
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/workspace");
    copy_dir(&from, &dir);
    dir
}

/// Every (file, process) serving each port, from `ports --json` (what PM2 binds: the `served` field).
fn servers(dir: &Path) -> BTreeMap<u64, BTreeSet<(String, String)>> {
    let (_, stdout, _) = run_in(dir, &["ports", "--json", "."], None);
    let mut out: BTreeMap<u64, BTreeSet<(String, String)>> = BTreeMap::new();
    for line in stdout.lines() {
        let file: Value = serde_json::from_str(line).unwrap();
        for process in file["processes"].as_array().unwrap() {
            for served in process["served"].as_array().unwrap() {
                out.entry(served["port"].as_u64().unwrap())
                    .or_default()
                    .insert((
                        file["file"].as_str().unwrap().to_string(),
                        process["name"].as_str().unwrap().to_string(),
                    ));
            }
        }
    }
    out
}

/// The findings of `check --output-format json` at warning level or above, counted by code.
fn warnings_by_code(dir: &Path) -> BTreeMap<String, usize> {
    let (_, stdout, _) = run_in(dir, &["check", "--output-format", "json", "."], None);
    let findings: Value = serde_json::from_str(&stdout).unwrap();
    let mut out = BTreeMap::new();
    for finding in findings.as_array().unwrap() {
        if matches!(finding["severity"].as_str(), Some("error" | "warning")) {
            *out.entry(finding["code"].as_str().unwrap().to_string())
                .or_default() += 1;
        }
    }
    out
}

#[test]
fn a_fix_moves_a_mirrored_port_with_its_env_key() {
    let dir = scratch("mirror");
    std::fs::create_dir_all(dir.join(".git")).unwrap();
    let text = "module.exports = {\n  apps: [\n    { name: 'a-api', script: 'a.js', ports: { api: 5570 }, env: { PORT: 5570 } },\n    { name: 'a-web', script: 'w.js', ports: { ui: 5572 }, env: { PORT: 5572 } },\n  ],\n};\n";
    write(&dir, "app/ecosystem.config.cjs", text);
    let (code, _, stderr) = run_in(&dir, &["check", "--fix", "."], None);
    let fixed = read(&dir, "app/ecosystem.config.cjs");
    assert!(
        fixed.contains("ports: { ui: 5571 }, env: { PORT: 5571 }"),
        "the map and its env key move together: {fixed}"
    );
    assert_eq!(code, 0, "{stderr}");
    // The half-moved file the old fix wrote is a finding now, whatever the labels.
    write(
        &dir,
        "app/ecosystem.config.cjs",
        &text.replace("ui: 5572", "ui: 5571"),
    );
    let (code, stdout, _) = run_in(&dir, &["check", "--output-format", "concise", "."], None);
    assert_eq!(code, 0, "a warning: {stdout}");
    assert!(
        stdout.contains("warning[ports-mismatch] `a-web` serves 5572 (`PORT`), but its ports map does not list it"),
        "{stdout}"
    );
    assert!(
        stdout.contains("the ports map lists `ui` as 5571, but `a-web` serves no 5571"),
        "{stdout}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The ports a line of `text` states after `key: ` (in order), for lines starting with `prefix`.
fn numbers_after(text: &str, prefix: &str) -> Vec<u32> {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starting with {prefix}: {text}"));
    line.split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect()
}

#[test]
fn check_fix_never_moves_one_side_of_a_label_mismatch_away_from_the_other() {
    // A user app beside a process on PortOS's core ports, whose map gives `health` cdp's port while the env
    // says 5557: only 5557 is out of step. Moving the map's `health` and the env's `PORT` to two new ports
    // keeps one ports-mismatch finding but puts two ports out of step; no fix may do that.
    let dir = scratch("label-mismatch");
    std::fs::create_dir_all(dir.join(".git")).unwrap();
    let text = "module.exports = {\n  apps: [\n    {\n      name: 'my-app',\n      script: 'server.js',\n      ports: { api: 5570, health: 5572 },\n      env: { PORT: 5570, HEALTH_PORT: 5572 }\n    },\n    {\n      name: 'portos-browser',\n      script: '.browser/server.js',\n      ports: { cdp: 5556, health: 5556 },\n      env: {\n        CDP_PORT: 5556,\n        PORT: 5557\n      }\n    }\n  ]\n};\n";
    write(&dir, "ecosystem.config.cjs", text);
    run_in(&dir, &["check", "--fix", "."], None);
    let fixed = read(&dir, "ecosystem.config.cjs");
    let map: BTreeSet<u32> = numbers_after(&fixed, "ports: { cdp:").into_iter().collect();
    let env: BTreeSet<u32> = [
        numbers_after(&fixed, "CDP_PORT:"),
        numbers_after(&fixed, "PORT:"),
    ]
    .concat()
    .into_iter()
    .collect();
    let out_of_step = map.symmetric_difference(&env).count();
    assert!(
        out_of_step <= 1,
        "the map and the env disagree on {out_of_step} ports after the fixes, 1 before:\n{fixed}"
    );
    let (_, again, _) = run_in(&dir, &["check", "--fix", "."], None);
    assert_eq!(
        read(&dir, "ecosystem.config.cjs"),
        fixed,
        "converges: {again}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn check_fix_on_the_example_workspace_gives_no_port_twice() {
    let dir = example_workspace("example");
    let servers_before = servers(&dir);
    let warnings_before = warnings_by_code(&dir);
    let (_, _, stderr) = run_in(&dir, &["check", "--fix", "."], None);
    assert!(stderr.contains("fixed "), "{stderr}");
    let servers_after = servers(&dir);
    for (port, after) in &servers_after {
        let before = servers_before.get(port).map_or(0, BTreeSet::len);
        assert!(
            after.len() <= before.max(1),
            "port {port} is served by {after:?} after the fixes, by {before} before"
        );
    }
    let five_five_seven_seven = servers_after.get(&5577).map_or(0, BTreeSet::len);
    assert!(five_five_seven_seven <= 1, "{servers_after:?}");
    let warnings_after = warnings_by_code(&dir);
    for (code, count) in &warnings_after {
        assert!(
            *count <= warnings_before.get(code).copied().unwrap_or(0),
            "{code}: {count} after, {warnings_before:?} before"
        );
    }
    // Fixed once, nothing is left to fix.
    let (code, stdout, _) = run_in(&dir, &["check", "--diff", "."], None);
    assert_eq!((code, stdout.as_str()), (0, ""));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn diffs_name_files_without_dot_slash_and_apply_with_git_and_patch() {
    let dir = scratch("apply");
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(&dir)
            .output()
            .expect("git runs")
    };
    assert!(git(&["init", "-q", "."]).status.success());
    write(
        &dir,
        "app/ecosystem.config.cjs",
        "const PORTS = {\n  API: 5570,\n  WORKER: 5570,\n};\nmodule.exports = {\n  apps: [\n    { name: 'api', script: 'a.js', env: { PORT: PORTS.API } },\n    { name: 'worker', script: 'w.js', env: { PORT: PORTS.WORKER } },\n  ],\n};\n",
    );
    write(
        &dir,
        "blog/ecosystem.config.js",
        "module.exports = {\n  apps: [\n    {\n      name: 'blog-api',\n      script: 'server.js',\n      ports: { api: 5580 },\n      env: { PORT: 5580 },\n    },\n  ],\n};\n",
    );
    let (code, diff, _) = run_in(&dir, &["check", "--diff", "."], None);
    assert_eq!(code, 1, "{diff}");
    assert!(
        diff.starts_with("--- a/app/ecosystem.config.cjs\n+++ b/app/ecosystem.config.cjs\n"),
        "{diff}"
    );
    assert!(!diff.contains("./"), "{diff}");
    std::fs::write(dir.join("fix.diff"), &diff).unwrap();
    let applied = git(&["apply", "fix.diff"]);
    assert!(applied.status.success(), "{applied:?}");
    assert!(read(&dir, "app/ecosystem.config.cjs").contains("WORKER: 5571,"));
    let (code, migration, stderr) = run_in(&dir, &["migrate", "."], None);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        migration.starts_with("--- a/blog/ecosystem.config.js\n"),
        "{migration}"
    );
    assert!(!stderr.contains("./"), "{stderr}");
    std::fs::write(dir.join("migrate.diff"), &migration).unwrap();
    let has_patch = Command::new("patch").arg("--version").output().is_ok();
    if has_patch {
        let dry = Command::new("patch")
            .args(["-p1", "--dry-run", "-i", "migrate.diff"])
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(dry.status.success(), "{dry:?}");
    }
    let applied = git(&["apply", "migrate.diff"]);
    assert!(applied.status.success(), "{applied:?}");
    assert!(read(&dir, "blog/ecosystem.config.js").contains("const PORTS = {"));
    // GitHub annotations name the file the same way.
    write(
        &dir,
        "web/ecosystem.config.cjs",
        "module.exports = { apps: [{ name: 'w', env: { PORT: 5590, A_PORT: 5590 } }] };\n",
    );
    let (_, github, _) = run_in(&dir, &["check", "--output-format", "github", "."], None);
    assert!(
        github.contains(",file=web/ecosystem.config.cjs,"),
        "{github}"
    );
    assert!(!github.contains("file=./"), "{github}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_diff_reaching_outside_the_working_directory_names_files_from_where_it_applies() {
    // `check --diff ..` run in one app's directory: a `../other/…` name is refused by `git apply` and
    // `patch`, so every file is named from the deepest directory holding them all, and stderr says so.
    let dir = scratch("outside");
    write(
        &dir,
        "app/ecosystem.config.cjs",
        "const PORTS = {\n  API: 5570,\n  WORKER: 5570,\n};\nmodule.exports = {\n  apps: [\n    { name: 'api', script: 'a.js', env: { PORT: PORTS.API } },\n    { name: 'worker', script: 'w.js', env: { PORT: PORTS.WORKER } },\n  ],\n};\n",
    );
    write(&dir, "here/README.md", "an app without an ecosystem file\n");
    let (code, diff, stderr) = run_in(&dir.join("here"), &["check", "--diff", ".."], None);
    assert_eq!(code, 1, "{diff}{stderr}");
    assert!(
        diff.starts_with("--- a/app/ecosystem.config.cjs\n+++ b/app/ecosystem.config.cjs\n"),
        "{diff}"
    );
    assert!(!diff.contains(".."), "{diff}");
    let base = std::fs::canonicalize(&dir).unwrap_or(dir.clone());
    assert!(
        stderr.contains("relative to ") && stderr.contains("apply it there"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&*base.to_string_lossy()) || stderr.contains(&*dir.to_string_lossy()),
        "{stderr}"
    );
    std::fs::write(dir.join("fix.diff"), &diff).unwrap();
    if Command::new("patch").arg("--version").output().is_ok() {
        let applied = Command::new("patch")
            .args(["-p1", "-i", "fix.diff"])
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(applied.status.success(), "{applied:?}");
        assert!(read(&dir, "app/ecosystem.config.cjs").contains("WORKER: 5571,"));
    }
    // From the directory that holds every file, nothing changes: no note.
    let (_, _, stderr) = run_in(&dir, &["check", "--diff", "."], None);
    assert!(!stderr.contains("apply it there"), "{stderr}");
    // `migrate ..` names its files the same way.
    write(
        &dir,
        "blog/ecosystem.config.js",
        "module.exports = {\n  apps: [\n    {\n      name: 'blog-api',\n      script: 'server.js',\n      ports: { api: 5580 },\n      env: { PORT: 5580 },\n    },\n  ],\n};\n",
    );
    let (code, migration, stderr) = run_in(&dir.join("here"), &["migrate", ".."], None);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        migration.starts_with("--- a/blog/ecosystem.config.js\n"),
        "{migration}"
    );
    assert!(stderr.contains("apply it there"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn next_never_hands_a_new_app_a_port_inside_another_apps_block() {
    let dir = example_workspace("blocks");
    let (code, stdout, stderr) = run_in(&dir, &["next", "."], None);
    assert_eq!(code, 0, "{stderr}");
    let offered: u16 = stdout
        .lines()
        .last()
        .and_then(|l| l.split_whitespace().next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        !(5573..=5578).contains(&offered),
        "{offered} is inside legacy's block: {stdout}"
    );
    assert!(!(5580..=5583).contains(&offered), "{stdout}");
    // One block, whoever asks.
    let (_, next_legacy, _) = run_in(&dir, &["next", "legacy"], None);
    assert!(
        next_legacy.starts_with("Next free port for legacy (block 5573–5578):"),
        "{next_legacy}"
    );
    let (_, map, _) = run_in(&dir, &["ports", "--map", "."], None);
    assert!(
        map.contains("  legacy  legacy/ecosystem.config.cjs  block 5573–5578, with gaps"),
        "{map}"
    );
    // A port two processes of one app serve is marked, as a clash between apps is.
    assert!(map.contains("! 5574  legacy-api (api)"), "{map}");
    assert!(map.contains("! 5574  legacy-worker (api)"), "{map}");
    assert!(
        map.contains("conflict: 5574 is served twice in app legacy"),
        "{map}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A plain PM2 project (no sign of PortOS's convention): a Next.js front end and an API on 4000/4001.
fn plain_project(tag: &str) -> PathBuf {
    let dir = scratch(tag);
    std::fs::create_dir_all(dir.join(".git")).unwrap();
    write(
        &dir,
        "web/ecosystem.config.js",
        "module.exports = { apps: [{ name: 'web', script: 'node_modules/.bin/next', args: 'start -p 3000' }] };\n",
    );
    write(
        &dir,
        "api/ecosystem.config.js",
        "module.exports = { apps: [{ name: 'api', script: 'api.js', env: { PORT: 4000 }, env_production: { PORT: 4001 } }] };\n",
    );
    dir
}

#[test]
fn next_in_a_plain_project_answers_beside_the_block_and_never_speaks_of_portos_ranges() {
    let dir = plain_project("plain-next");
    let (code, stdout, stderr) = run_in(&dir, &["next", "api"], None);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout,
        "Next free port for api (block 4000–4001):\n  4002  right after api's block 4000–4001; nothing else uses it\n"
    );
    let (_, stdout, _) = run_in(&dir, &["next", "."], None);
    assert!(
        stdout.contains("\n  4002  "),
        "after the highest port served: {stdout}"
    );
    let (_, json, _) = run_in(&dir, &["next", "api", "--json", "--count", "3"], None);
    let answer: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(answer["range"], Value::Null);
    assert_eq!(answer["block"], serde_json::json!([4000, 4001]));
    for out in [&stdout, &json] {
        assert!(!out.contains("PortOS"), "{out}");
        assert!(!out.contains("5570"), "{out}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn ports_in_a_plain_project_lists_every_served_port_per_environment() {
    let dir = plain_project("plain-ports");
    let (code, stdout, stderr) = run_in(&dir, &["ports"], None);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout,
        "api/ecosystem.config.js\n  api:4000  (env)\n  api:4001  (env_production)\nweb/ecosystem.config.js\n  web:3000\n"
    );
    // PortOS's own reading is still there, and the JSON keeps its shape, with `served` beside it.
    let (_, as_portos, _) = run_in(&dir, &["ports", "--as-portos"], None);
    assert!(as_portos.contains("  api:4001\n"), "{as_portos}");
    let (_, json, _) = run_in(&dir, &["ports", "--json", "web"], None);
    let file: Value = serde_json::from_str(json.trim()).unwrap();
    assert_eq!(file["processes"][0]["ports"], serde_json::json!({}));
    assert_eq!(
        file["processes"][0]["served"],
        serde_json::json!([{"port": 3000, "environments": ["env"], "key": "-p"}])
    );
    let (_, json, _) = run_in(&dir, &["ports", "--json", "api"], None);
    let file: Value = serde_json::from_str(json.trim()).unwrap();
    assert_eq!(
        file["processes"][0]["served"],
        serde_json::json!([
            {"port": 4000, "environments": ["env"], "key": "PORT"},
            {"port": 4001, "environments": ["production"], "key": "PORT"}
        ])
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn nothing_checked_is_not_a_pass() {
    let dir = scratch("empty");
    write(
        &dir,
        "src/server.js",
        "require('http').createServer().listen(3000);\n",
    );
    for args in [
        &["check"][..],
        &["check", "--diff"],
        &["check", "--fix", "src"],
    ] {
        let (code, stdout, stderr) = run_in(&dir, args, None);
        assert_eq!(code, 2, "{args:?}: {stdout}{stderr}");
        assert!(
            stderr.contains("no ecosystem file in")
                && stderr.contains("ecosystem.config.{js,cjs,mjs}"),
            "{stderr}"
        );
        assert!(!stdout.contains("All checks passed"), "{stdout}");
    }
    let (code, stdout, _) = run_in(&dir, &["check", "--allow-no-files"], None);
    assert_eq!(code, 0);
    assert_eq!(stdout, "All checks passed (0 files checked).\n");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_huge_file_is_refused_before_it_is_read() {
    let dir = scratch("huge");
    std::fs::create_dir_all(dir.join(".git")).unwrap();
    // Sparse: 3 GB on paper, nothing on the disk.
    let file = std::fs::File::create(dir.join("ecosystem.config.js")).unwrap();
    file.set_len(3 << 30).unwrap();
    drop(file);
    for args in [
        &["check", "."][..],
        &["ports", "."],
        &["check", "--diff", "."],
    ] {
        let started = Instant::now();
        let (code, _, stderr) = run_in(&dir, args, None);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(
            stderr.contains(
                "ecosystem.config.js: file is too large to analyse (3221225472 bytes; the limit is 5242880 bytes)"
            ),
            "{stderr}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{args:?} took {:?}: the file was read",
            started.elapsed()
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn stdin_is_named_stdin_and_walks_nothing_unless_placed() {
    let dir = scratch("stdin");
    std::fs::create_dir_all(dir.join(".git")).unwrap();
    // An unrelated file a walk of the directory would warn about, and an app a walk would find in conflict.
    write(&dir, "junk/ecosystem.config.js", "\u{0}\u{1}binary");
    write(
        &dir,
        "other/ecosystem.config.cjs",
        "module.exports = { apps: [{ name: 'other', env: { PORT: 5570 } }] };\n",
    );
    let piped = b"module.exports = { apps: [{ name: 'x', env: { PORT: 5570, A_PORT: 5570 } }] };\n";
    let (code, stdout, stderr) = run_in(
        &dir,
        &["check", "-", "--output-format", "concise"],
        Some(piped),
    );
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stdout.starts_with("<stdin>:1:"), "{stdout}");
    assert!(stdout.contains("duplicate-port"), "{stdout}");
    assert!(
        !stdout.contains("port-conflict"),
        "nothing walked: {stdout}"
    );
    assert_eq!(stderr, "", "nothing walked, nothing to warn about");
    let (code, _, stderr) = run_in(&dir, &["check", "-"], Some(b"\xff\xfe"));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("error: <stdin>: file is not valid UTF-8"),
        "{stderr}"
    );
    // Placed by `--stdin-filename`, it is that file in its workspace.
    let (_, stdout, stderr) = run_in(
        &dir,
        &[
            "check",
            "-",
            "--stdin-filename",
            "mine/ecosystem.config.cjs",
            "--output-format",
            "concise",
        ],
        Some(piped),
    );
    assert!(
        stdout.starts_with("mine/ecosystem.config.cjs:1:"),
        "{stdout}"
    );
    assert!(stdout.contains("port-conflict"), "{stdout}");
    assert!(stderr.contains("junk/ecosystem.config.js"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn errors_come_before_the_summary_that_refers_to_them() {
    let dir = scratch("order");
    std::fs::create_dir_all(dir.join(".git")).unwrap();
    write(
        &dir,
        "good/ecosystem.config.cjs",
        "module.exports = { apps: [{ name: 'good', env: { PORT: 5570 } }] };\n",
    );
    write(&dir, "bad/ecosystem.config.cjs", "\u{0}");
    // One stream, as a terminal shows both.
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "'{}' check . 2>&1",
            env!("CARGO_BIN_EXE_portos-lsp")
        ))
        .current_dir(&dir)
        .env("XDG_CONFIG_HOME", dir.join(".no-user-config"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let error = text
        .find("error: bad/ecosystem.config.cjs: file looks binary")
        .unwrap_or_else(|| panic!("{text}"));
    let summary = text
        .find("could not be checked (see the errors)")
        .unwrap_or_else(|| panic!("{text}"));
    assert!(error < summary, "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_docs_and_help_say_what_the_commands_do() {
    let dir = scratch("docs");
    std::fs::create_dir_all(dir.join(".git")).unwrap();
    let (_, help, _) = run_in(&dir, &["next", "--help"], None);
    assert!(help.contains("from 1 to 100"), "{help}");
    let (_, list, _) = run_in(&dir, &["explain"], None);
    assert!(list.contains("`portos-lsp explain CODE`"), "{list}");
    // The README's example configures 4000 the way `explain common-port` says: a dev server's default.
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    assert!(!readme.contains("common_ports = { 4000"), "README");
    assert!(
        readme.contains("dev_ports = { 4000 = \"Phoenix\" }"),
        "README"
    );
    let (_, common, _) = run_in(&dir, &["explain", "common-port"], None);
    assert!(
        common.contains("`dev_ports = { 4000 =\n\"Phoenix\" }` a dev-default one"),
        "{common}"
    );
    // The docs link and Cargo.toml's `repository` are one.
    let manifest =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml")).unwrap();
    let repository = manifest
        .lines()
        .find_map(|l| l.strip_prefix("repository = "))
        .expect("Cargo.toml names its repository")
        .trim_matches('"')
        .to_string();
    let (_, explained, _) = run_in(&dir, &["explain", "port-gap"], None);
    assert!(
        explained.contains(&format!(
            "Docs: {repository}/blob/main/docs/rules/port-gap.md"
        )),
        "{explained}"
    );
    // An empty ecosystem file passes, saying that it defines no apps.
    write(&dir, "empty/ecosystem.config.js", "");
    let (code, _, stderr) = run_in(&dir, &["check", "."], None);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("note: empty/ecosystem.config.js: defines no apps"),
        "{stderr}"
    );
    // `next` names files as the other commands do: relative to the working directory.
    write(
        &dir,
        "app/ecosystem.config.cjs",
        "module.exports = { apps: [{ name: 'app', env: { PORT: 5570 } }] };\n",
    );
    write(&dir, "junk/ecosystem.config.js", "\u{0}");
    let absolute = dir.join("app");
    let (_, json, stderr) = run_in(&dir, &["next", absolute.to_str().unwrap(), "--json"], None);
    let answer: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(answer["directory"], "app");
    assert!(
        stderr.contains("warning: junk/ecosystem.config.js: file looks binary"),
        "{stderr}"
    );
    assert!(!stderr.contains(dir.to_str().unwrap()), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_closed_stdout_ends_every_command_quietly() {
    // `portos-lsp explain | head -1`: the reader is gone before the writer writes.
    for args in [
        &["explain"][..],
        &["explain", "port-gap"],
        &["next", "examples/workspace/shop"],
        &["ports", "examples/workspace"],
        &["check", "examples/workspace"],
        &["completions", "bash"],
    ] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = Command::new(env!("CARGO_BIN_EXE_portos-lsp"))
            .args(args)
            .stdout(writer)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_ne!(out.status.code(), Some(101), "{args:?}: {stderr}");
    }
}
