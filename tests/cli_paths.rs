//! End-to-end tests of what the command line reads: the workspace of a named directory, nothing skipped
//! silently (FIFOs, devices, unreadable directories), `--stdin-filename`, `--config`'s and `--no-config`'s
//! effect on the extra file globs, and `next`'s answers; PM2's own reading of a file (spec §11): JSON and YAML
//! files found, checked, listed (`served`), fixed in their own syntax and refused by `migrate`, `[pm2]`
//! settings, a file a glob brings in that PM2 would run as an app. The built binary runs on throw-away
//! directories.
#![allow(clippy::print_stdout, clippy::print_stderr)] // tests may say what they skipped

#[path = "common/help.rs"]
mod help;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

#[path = "common/run.rs"]
mod run;
use run::{run_in, run_with};

/// A fresh directory under the system's temporary directory, readable by everyone (tests may run the binary
/// as an unprivileged user).
fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("portos-lsp-paths-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

fn app(dir: &Path, sub: &str, name: &str, port: u16) {
    write(
        dir,
        &format!("{sub}/ecosystem.config.cjs"),
        &format!("module.exports = {{ apps: [{{ name: '{name}', env: {{ PORT: {port} }} }}] }};\n"),
    );
}

fn write(dir: &Path, relative: &str, text: &str) {
    let path = dir.join(relative);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
}

fn mkfifo(path: &Path) -> bool {
    Command::new("mkfifo")
        .arg(path)
        .status()
        .is_ok_and(|s| s.success())
}

/// How to run a command so that a directory with mode 000 is really unreadable to it: directly when we are
/// not root, else as `nobody` through `setpriv` (or in a user namespace through `unshare`). `None` when there
/// is no way here.
fn unprivileged(probe_dir: &Path) -> Option<Vec<&'static str>> {
    let uid = std::fs::metadata("/proc/self").map(|m| m.uid()).ok()?;
    let candidates: Vec<Vec<&'static str>> = if uid != 0 {
        vec![vec![]]
    } else {
        vec![
            vec![
                "setpriv",
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
            ],
            vec!["unshare", "--user"],
        ]
    };
    candidates.into_iter().find(|wrapper| {
        let mut command = match wrapper.split_first() {
            Some((program, rest)) => {
                let mut c = Command::new(program);
                c.args(rest).arg("ls");
                c
            }
            None => Command::new("ls"),
        };
        // The wrapper works and the directory is unreadable through it.
        let works = Command::new(wrapper.first().copied().unwrap_or("true"))
            .args(wrapper.iter().skip(1))
            .arg("true")
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        works
            && command
                .arg(probe_dir)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| !s.success())
    })
}

#[test]
fn a_named_directory_is_at_least_the_workspace_of_the_repositories_in_it() {
    let dir = scratch("projects");
    for (repo, name) in [("shop", "shop-api"), ("blog", "blog-api")] {
        app(&dir, repo, name, 5580);
        std::fs::create_dir_all(dir.join(repo).join(".git")).unwrap();
    }
    // Ten repositories on one machine share its ports: naming their parent asks across all of them.
    let (code, stdout, stderr) = run_in(&dir, &["check", ".", "--output-format", "concise"], None);
    assert_eq!(code, 0, "warnings only: {stderr}");
    assert!(
        stdout.contains("shop/ecosystem.config.cjs:1:")
            && stdout.contains("port 5580 (api of `shop-api`) is also used by `blog-api`"),
        "{stdout}"
    );
    assert!(
        stdout.contains("port 5580 (api of `blog-api`) is also used by `shop-api`"),
        "{stdout}"
    );
    // One repository named: its workspace is the repository, as before.
    let (_, alone, _) = run_in(&dir, &["check", "shop", "--output-format", "concise"], None);
    assert!(!alone.contains("port-conflict"), "{alone}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn fifos_and_devices_named_or_met_are_errors_by_name() {
    let dir = scratch("fifo");
    std::fs::write(dir.join("portos-lsp.toml"), "").unwrap();
    app(&dir, "a", "a-api", 5570);
    app(&dir, "c", "c-api", 5571);
    if !mkfifo(&dir.join("pipe")) || !mkfifo(&dir.join("c/ecosystem.prod.config.cjs")) {
        eprintln!("mkfifo is not available: FIFOs not tested");
        return;
    }
    // Named on the command line.
    for named in ["pipe", "/dev/zero", "/dev/null"] {
        let (code, stdout, stderr) = run_in(&dir, &["check", named, "a"], None);
        assert_eq!(code, 2, "{named}: {stdout}{stderr}");
        assert!(
            stderr.contains(&format!("error: {named}: cannot read: not a regular file")),
            "{named}: {stderr}"
        );
        assert!(!stdout.contains("All checks passed"), "{named}: {stdout}");
        assert!(
            stdout.contains("but 1 path could not be checked"),
            "{named}: {stdout}"
        );
    }
    // Met while walking a named directory: a FIFO with an ecosystem file's name is not skipped silently.
    let (code, stdout, stderr) = run_in(&dir, &["check", "c", "--output-format", "concise"], None);
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(
        stderr.contains("c/ecosystem.prod.config.cjs: cannot read: not a regular file"),
        "{stderr}"
    );
    assert!(!stdout.contains("All checks passed"), "{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_unreadable_directory_is_an_error_where_named_and_logged_where_context() {
    let dir = scratch("locked");
    std::fs::write(dir.join("portos-lsp.toml"), "").unwrap();
    app(&dir, "a", "a-api", 5570);
    app(&dir, "locked", "locked-api", 5571);
    let locked = dir.join("locked");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    let Some(wrapper) = unprivileged(&locked) else {
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
        eprintln!("no way to make a directory unreadable here: unreadable directories not tested");
        return;
    };
    // Walking a named path.
    let named = run_with(
        &wrapper,
        &dir,
        &["check", ".", "--output-format", "concise"],
        None,
    );
    // Walking the rest of the workspace for context only.
    let context = run_with(
        &wrapper,
        &dir,
        &["check", "a", "--output-format", "concise"],
        None,
    );
    let next = run_with(&wrapper, &dir, &["next", "a"], None);
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
    let _ = std::fs::remove_dir_all(&dir);

    let (code, stdout, stderr) = named;
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(
        stderr.contains("error: locked: cannot read: Permission denied"),
        "{stderr}"
    );
    assert!(!stdout.contains("All checks passed"), "{stdout}");
    let (code, stdout, stderr) = context;
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stderr.contains("warning: ") && stderr.contains("locked: cannot read: Permission denied"),
        "{stderr}"
    );
    assert!(
        stdout.contains("All checks passed (1 file checked)"),
        "{stdout}"
    );
    let (code, stdout, stderr) = next;
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stderr.contains("warning: ") && stderr.contains("locked: cannot read: Permission denied"),
        "{stderr}"
    );
}

#[test]
fn stdin_is_judged_as_the_file_it_names_and_replaces_its_disk_copy() {
    let dir = scratch("stdin");
    std::fs::write(dir.join("portos-lsp.toml"), "").unwrap();
    app(&dir, "a", "a-api", 5590);
    app(&dir, "b", "b-api", 5590);
    let piped = b"module.exports = { apps: [{ name: 'a-api', env: { PORT: 5591 } }] };\n";
    // The piped text moved a off 5590: its disk copy (walked because `.` is named too) no longer counts.
    let (code, stdout, stderr) = run_in(
        &dir,
        &[
            "check",
            "-",
            ".",
            "--stdin-filename",
            "a/ecosystem.config.cjs",
            "--output-format",
            "concise",
        ],
        Some(piped),
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(!stdout.contains("port-conflict"), "{stdout}");
    assert!(stdout.contains("(2 files checked)"), "{stdout}");
    // Named through a symlinked directory, the piped file is still the disk file it stands for: no
    // duplicate process name with itself.
    std::os::unix::fs::symlink(dir.join("a"), dir.join("link")).unwrap();
    let (code, stdout, _) = run_in(
        &dir,
        &[
            "check",
            "-",
            "--stdin-filename",
            "link/ecosystem.config.cjs",
            "--output-format",
            "concise",
        ],
        Some(piped),
    );
    assert_eq!(code, 0, "{stdout}");
    assert!(!stdout.contains("duplicate-process-name"), "{stdout}");
    // Its directory and variants are those of the file at that path, even one that is not on disk yet:
    // PortOS reads `ecosystem.config.js` before `.cjs`, so the piped `.js` is the one it reads.
    let (_, stdout, _) = run_in(
        &dir,
        &[
            "check",
            "-",
            "--stdin-filename",
            "b/ecosystem.config.js",
            "--output-format",
            "concise",
        ],
        Some(b"module.exports = { apps: [{ name: 'b-api', env: { PORT: 5592 } }] };\n"),
    );
    assert!(
        !stdout.contains("PortOS reads ecosystem.config.cjs in this directory"),
        "{stdout}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn config_files_globs_apply_and_no_config_ignores_the_project_files() {
    let dir = scratch("globs");
    let extra = "module.exports = { apps: [{ name: 'deployed', env: { PORT: 5570 } }] };\n";
    // `--config FILE`: its `files` globs find deploy/prod.pm2.config.js.
    write(&dir, "given/.git/HEAD", "");
    write(&dir, "given/deploy/prod.pm2.config.js", extra);
    write(
        &dir,
        "mine.toml",
        "[ranges]\nfiles = [\"deploy/*.pm2.config.js\"]\n",
    );
    let (code, stdout, stderr) = run_in(
        &dir,
        &[
            "check",
            "given",
            "--config",
            "mine.toml",
            "--output-format",
            "concise",
        ],
        None,
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("(1 file checked)"), "{stdout}");
    // `--no-config`: the project file's globs are ignored with the rest of it.
    write(
        &dir,
        "project/portos-lsp.toml",
        "[ranges]\nfiles = [\"deploy/*.pm2.config.js\"]\n",
    );
    write(&dir, "project/deploy/prod.pm2.config.js", extra);
    let (_, with, _) = run_in(
        &dir,
        &["check", "project", "--output-format", "concise"],
        None,
    );
    assert!(with.contains("(1 file checked)"), "{with}");
    let (code, _, without) = run_in(
        &dir,
        &[
            "check",
            "project",
            "--no-config",
            "--output-format",
            "concise",
        ],
        None,
    );
    assert_eq!(code, 2, "nothing checked is no pass: {without}");
    assert!(
        without.contains("error: no ecosystem file in project"),
        "{without}"
    );
    // Nor under another `--config`: that file is the whole configuration.
    write(&dir, "empty.toml", "");
    let (_, _, other) = run_in(
        &dir,
        &[
            "check",
            "project",
            "--config",
            "empty.toml",
            "--output-format",
            "concise",
        ],
        None,
    );
    assert!(other.contains("no ecosystem file in project"), "{other}");
    // The user-level file's globs apply everywhere, and `--no-config` ignores them too.
    write(
        &dir,
        ".no-user-config/portos-lsp/config.toml",
        "[ranges]\nfiles = [\"ops/*.pm2.config.js\"]\n",
    );
    write(&dir, "mine/.git/HEAD", "");
    write(&dir, "mine/ops/prod.pm2.config.js", extra);
    let (_, with, _) = run_in(&dir, &["check", "mine", "--output-format", "concise"], None);
    assert!(with.contains("(1 file checked)"), "{with}");
    let (_, without, _) = run_in(
        &dir,
        &[
            "check",
            "mine",
            "--no-config",
            "--allow-no-files",
            "--output-format",
            "concise",
        ],
        None,
    );
    assert!(without.contains("(0 files checked)"), "{without}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn next_grows_a_block_downwards_before_it_moves_it() {
    let dir = scratch("next-down");
    std::fs::write(dir.join("portos-lsp.toml"), "").unwrap();
    write(
        &dir,
        "shop/ecosystem.config.cjs",
        "module.exports = { apps: [{ name: 'shop-api', env: { PORT: 5575 } }, { name: 'shop-ui', env: { PORT: 5576 } }] };\n",
    );
    app(&dir, "blog", "blog-api", 5577);
    let (code, stdout, stderr) = run_in(&dir, &["next", "shop"], None);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout,
        "Next free port for shop (block 5575–5576):\n  5574  right before shop's block 5575–5576; nothing else uses it\n"
    );
}

#[test]
fn next_says_what_is_true_and_reads_well() {
    let dir = scratch("next-words");
    std::fs::write(dir.join("portos-lsp.toml"), "").unwrap();
    app(&dir, "notes", "notes-api", 5580);
    app(&dir, "web", "web", 3000);
    std::fs::create_dir_all(dir.join("fresh")).unwrap();
    let notes = run_in(&dir, &["next", "notes"], None);
    let web = run_in(&dir, &["next", "web"], None);
    let fresh = run_in(&dir, &["next", "fresh"], None);
    let root = run_in(&dir, &["next"], None);
    let root_json = run_in(&dir, &["next", ".", "--json"], None);
    let _ = std::fs::remove_dir_all(&dir);

    let (_, stdout, _) = notes;
    assert_eq!(
        stdout,
        "Next free port for notes (block 5580):\n  5581  right after notes' block 5580; nothing else uses it\n"
    );
    // An app whose ports all lie outside the range is not an app with no ports.
    let (_, stdout, _) = web;
    assert!(!stdout.contains("no ports yet"), "{stdout}");
    assert!(
        stdout.starts_with(
            "Next free port for web (no ports in PortOS's user range 5570–5599; it uses 3000):\n"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("5570  web's port (3000) is outside PortOS's user range 5570–5599"),
        "{stdout}"
    );
    let (_, stdout, _) = fresh;
    assert_eq!(
        stdout,
        "Next free port for fresh (no ports yet):\n  5570  fresh has no ports yet; 5570 is the first free port in PortOS's user range 5570–5599\n"
    );
    // The workspace root holds apps but is none: the answer says so and is for a new app.
    let (code, stdout, _) = root;
    assert_eq!(code, 0);
    assert!(
        stdout.starts_with(
            "This directory holds no ecosystem file of its own, so it is not an app: it holds 2 apps (notes, web)"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("Next free port for a new app in this workspace:\n  5570  "),
        "{stdout}"
    );
    let (_, stdout, _) = root_json;
    let answer: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(answer["app"], serde_json::Value::Null, "{stdout}");
    assert_eq!(answer["ports"][0]["port"], 5570);
    assert!(
        answer["note"].as_str().unwrap().contains("is not an app"),
        "{stdout}"
    );
}

#[test]
fn the_readme_lists_every_option_of_every_command() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    assert!(readme.contains("cargo install --path . --locked"));
    let (_, help, _) = run_in(root, &["--help"], None);
    let commands = help::commands(&help);
    assert!(commands.contains(&"check") && commands.len() >= 5, "{help}");
    for command in commands {
        let (_, help, _) = run_in(root, &[command, "--help"], None);
        let options: Vec<&str> = help
            .lines()
            .map(str::trim_start)
            .filter(|l| l.starts_with('-'))
            .flat_map(|l| l.split([' ', ',']))
            .filter(|t| t.starts_with("--") && *t != "--help")
            .collect();
        let row = readme
            .lines()
            .find(|l| l.starts_with(&format!("| `{command}` |")))
            .unwrap_or_else(|| panic!("README.md's options table has no row for `{command}`"));
        for option in options {
            assert!(
                row.contains(&format!("`{option}")),
                "README.md does not list `{command} {option}`: {row}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// PM2 as PM2 runs it (spec §11)

/// A workspace of its own (a `.git` marks its root) for a test of PM2's reading.
fn pm2_scratch(tag: &str) -> PathBuf {
    let dir = scratch(&format!("pm2-{tag}"));
    std::fs::create_dir_all(dir.join(".git")).unwrap();
    dir
}

/// The findings of `check --output-format json` as (file name, line, column, code).
fn findings(dir: &Path, args: &[&str]) -> (i32, Vec<(String, u64, u64, String)>) {
    let mut all = vec!["check", "--output-format", "json"];
    all.extend_from_slice(args);
    let (code, stdout, stderr) = run_in(dir, &all, None);
    let json: serde_json::Value =
        serde_json::from_str(&stdout).unwrap_or_else(|_| panic!("{stdout}{stderr}"));
    let list = json
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                Path::new(f["file"].as_str().unwrap())
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
                f["start_line"].as_u64().unwrap(),
                f["start_column"].as_u64().unwrap(),
                f["code"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (code, list)
}

const YAML: &str = "apps:\n  - name: queue\n    script: queue.py\n    instances: 2\n    env:\n      PORT: 4000\n  - name: cron\n    script: cron.js\n    port: 4100\n    env:\n      PORT: 4101\n    autorestart: 'false'\n    instance: 2\n";

const JSON: &str = "// comments, single quotes, unquoted keys, trailing commas: PM2 reads this as JavaScript\n{\n  apps: [\n    { name: 'web', script: 'npm', args: 'start', instances: 2, env: { PORT: 4200, }, },\n  ],\n  static: [{ path: './public', port: 4300 }],\n}\n";

#[test]
fn json_and_yaml_files_are_found_checked_and_pointed_at() {
    let dir = pm2_scratch("formats");
    write(&dir, "queue/ecosystem.yml", YAML);
    write(&dir, "web/process.json", JSON);
    write(&dir, "notes/settings.json", "{ \"apps\": 1 }\n");
    let (code, found) = findings(&dir, &["."]);
    assert_eq!(code, 1, "{found:?}");
    let has = |file: &str, line: u64, column: u64, code: &str| {
        found
            .iter()
            .any(|f| f.0 == file && f.1 == line && f.2 == column && f.3 == code)
    };
    assert!(
        has("ecosystem.yml", 6, 13, "instances-port-clash"),
        "{found:?}"
    );
    assert!(has("ecosystem.yml", 11, 13, "shadowed-port"), "{found:?}");
    assert!(
        has("ecosystem.yml", 12, 18, "invalid-option-value"),
        "{found:?}"
    );
    assert!(has("ecosystem.yml", 13, 5, "unknown-option"), "{found:?}");
    assert!(
        has("process.json", 4, 77, "instances-port-clash"),
        "{found:?}"
    );
    assert!(!found.iter().any(|f| f.0 == "settings.json"), "{found:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn ports_json_lists_what_pm2_serves() {
    let dir = pm2_scratch("served");
    write(&dir, "web/process.json", JSON);
    let (code, stdout, stderr) = run_in(&dir, &["ports", "--json", "web/process.json"], None);
    assert_eq!(code, 0, "{stderr}");
    let file: serde_json::Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    let processes = file["processes"].as_array().unwrap();
    assert_eq!(
        processes[0]["served"],
        serde_json::json!([{ "port": 4200, "environments": ["env"], "key": "PORT" }])
    );
    assert_eq!(processes[1]["name"], "static-page-server-4300");
    assert_eq!(
        processes[1]["served"],
        serde_json::json!([{ "port": 4300, "environments": ["env"], "key": "static" }])
    );
    let (_, human, _) = run_in(&dir, &["ports", "web/process.json"], None);
    assert!(human.contains("web:4200"), "{human}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `ports` of a file whose only production port is `deploy.production.env`'s, in JavaScript and in YAML.
const DEPLOY_JS: &str = "module.exports = {\n  apps: [{ name: 'api', script: 'server.js', env: { PORT: 4000 } },\n         { name: 'w', script: 'w.js' }],\n  deploy: { production: { env: { PORT: 4700 } } },\n};\n";
const DEPLOY_YAML: &str = "apps:\n  - name: api\n    script: server.js\n    env:\n      PORT: 4000\n  - name: w\n    script: w.js\ndeploy:\n  production:\n    env:\n      PORT: 4700\n";

#[test]
fn ports_layer_deploy_env_under_env_as_pm2_does() {
    let dir = pm2_scratch("deploy");
    write(&dir, "js/ecosystem.config.js", DEPLOY_JS);
    write(&dir, "yaml/ecosystem.yaml", DEPLOY_YAML);
    for file in ["js/ecosystem.config.js", "yaml/ecosystem.yaml"] {
        let (code, stdout, stderr) = run_in(&dir, &["ports", "--json", file], None);
        assert_eq!(code, 0, "{stderr}");
        let json: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
        let processes = json["processes"].as_array().unwrap();
        assert_eq!(
            processes[0]["served"],
            serde_json::json!([{ "port": 4000, "environments": ["env", "production"], "key": "PORT" }]),
            "{file}"
        );
        assert_eq!(
            processes[1]["served"],
            serde_json::json!([{ "port": 4700, "environments": ["production"], "key": "PORT" }]),
            "{file}"
        );
        let (_, human, _) = run_in(&dir, &["ports", file], None);
        assert!(
            human.ends_with("\n  api:4000\n  w  (env)\n  w:4700  (env_production)\n"),
            "{file}: {human}"
        );
    }
    // A deploy-only environment beside an app's `env_production` block: `env`'s PORT holds there too.
    let staging = "module.exports = {\n  apps: [{ name: 'api', script: 'a.js', env: { PORT: 4000 }, env_production: { PORT: 4001 } }],\n  deploy: { staging: { env: { PORT: 4800, NODE_ENV: 'staging' } } },\n};\n";
    write(&dir, "staging/ecosystem.config.js", staging);
    let (_, human, _) = run_in(&dir, &["ports", "staging/ecosystem.config.js"], None);
    assert!(
        human.ends_with(
            "\n  api:4000  (env)\n  api:4001  (env_production)\n  api:4000  (env_staging)\n"
        ),
        "{human}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn fixes_are_written_in_yaml_and_migrate_says_it_reads_javascript_only() {
    let dir = pm2_scratch("fix");
    let text = "apps:\n  - name: a\n    script: a.js\n    env:\n      PORT: 5570\n  - name: b\n    script: b.js\n    env:\n      PORT: 5570  # the same port\n";
    write(&dir, "portos-lsp.toml", "[app]\nconvention = \"portos\"\n");
    write(&dir, "app/ecosystem.yaml", text);
    let (code, _, stderr) = run_in(&dir, &["check", "--fix", "app/ecosystem.yaml"], None);
    assert_eq!(code, 0, "{stderr}");
    let fixed = std::fs::read_to_string(dir.join("app/ecosystem.yaml")).unwrap();
    assert_eq!(fixed, text.replace("PORT: 5570  #", "PORT: 5571  #"));
    let (code, _, stderr) = run_in(&dir, &["migrate", "app/ecosystem.yaml"], None);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("migrate handles JavaScript files only"),
        "{stderr}"
    );
    let (code, stdout, _) = run_in(&dir, &["next", "app"], None);
    assert_eq!(code, 0);
    assert!(stdout.contains("5572"), "{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn stdin_is_read_in_the_format_of_its_file_name() {
    let dir = pm2_scratch("stdin");
    let (code, stdout, _) = run_in(
        &dir,
        &[
            "check",
            "-",
            "--stdin-filename",
            "ecosystem.yml",
            "--output-format",
            "concise",
        ],
        Some(YAML.as_bytes()),
    );
    assert_eq!(code, 1);
    assert!(
        stdout.contains("ecosystem.yml:6:13: error[instances-port-clash]"),
        "{stdout}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn pm2_settings_change_the_rules() {
    let dir = pm2_scratch("settings");
    let text = "module.exports = { apps: [\n  { name: 'w', script: 'npm', instances: 'max', deploy_group: 'blue', env: { PORT: 4400 } },\n] };\n";
    write(&dir, "app/ecosystem.config.cjs", text);
    let (_, before) = findings(&dir, &["app"]);
    let codes: Vec<&str> = before.iter().map(|f| f.3.as_str()).collect();
    assert!(
        codes.contains(&"instances-port-clash") && codes.contains(&"unknown-option"),
        "{codes:?}"
    );
    write(
        &dir,
        "portos-lsp.toml",
        "[pm2]\ncpus = 1\nextra_keys = [\"deploy_group\"]\n",
    );
    let (_, after) = findings(&dir, &["app"]);
    let codes: Vec<&str> = after.iter().map(|f| f.3.as_str()).collect();
    assert!(
        !codes.contains(&"instances-port-clash") && !codes.contains(&"unknown-option"),
        "{codes:?}"
    );
    write(&dir, "portos-lsp.toml", "[pm2]\ncpus = 0\n");
    let (code, _, stderr) = run_in(&dir, &["check", "app"], None);
    assert_eq!(code, 2);
    assert!(stderr.contains("pm2.cpus"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_javascript_file_a_glob_brings_in_is_one_pm2_runs_as_an_app_unless_named() {
    let dir = pm2_scratch("glob");
    write(
        &dir,
        "portos-lsp.toml",
        "files = [\"deploy/*.pm2.js\", \"deploy/*.config.js\"]\n",
    );
    write(
        &dir,
        "deploy/prod.pm2.js",
        "module.exports = { apps: [{ name: 'prod', script: 'a.js' }] };\n",
    );
    write(
        &dir,
        "deploy/stage.config.js",
        "module.exports = { apps: [{ name: 'stage', script: 'a.js' }] };\n",
    );
    let (_, walked) = findings(&dir, &["."]);
    let cannot: Vec<&str> = walked
        .iter()
        .filter(|f| f.3 == "pm2-cannot-load")
        .map(|f| f.0.as_str())
        .collect();
    assert_eq!(cannot, ["prod.pm2.js"], "{walked:?}");
    let (_, named) = findings(&dir, &["deploy/prod.pm2.js"]);
    assert!(!named.iter().any(|f| f.3 == "pm2-cannot-load"), "{named:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn explain_knows_the_new_codes() {
    for code in [
        "instances-port-clash",
        "shadowed-port",
        "unknown-option",
        "invalid-option-value",
        "pm2-cannot-load",
    ] {
        let (status, stdout, _) = run_in(Path::new("."), &["explain", code], None);
        assert_eq!(status, 0, "{code}");
        assert!(stdout.contains(&format!("# {code}")), "{stdout}");
    }
}

/// The findings of `code` in `check --output-format json` of one file, as JSON.
fn json_findings(dir: &Path, file: &str, code: &str) -> Vec<serde_json::Value> {
    let (_, stdout, stderr) = run_in(dir, &["check", "--output-format", "json", file], None);
    let json: serde_json::Value =
        serde_json::from_str(&stdout).unwrap_or_else(|_| panic!("{stdout}{stderr}"));
    json.as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == code)
        .cloned()
        .collect()
}

/// A range of the JSON output as (start line, start column, end line, end column).
fn span(range: &serde_json::Value) -> (u64, u64, u64, u64) {
    let at = |key: &str| range[key].as_u64().unwrap();
    (
        at("start_line"),
        at("start_column"),
        at("end_line"),
        at("end_column"),
    )
}

/// `text` with one quick-fix choice's edits applied.
fn apply_choice(text: &str, choice: &serde_json::Value) -> String {
    let mut out = text.to_string();
    let mut edits: Vec<(usize, usize, String)> = choice["edits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let start = e[0]["start"].as_u64().unwrap() as usize;
            let end = e[0]["end"].as_u64().unwrap() as usize;
            (start, end, e[1].as_str().unwrap().to_string())
        })
        .collect();
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    for (start, end, new) in edits {
        out.replace_range(start..end, &new);
    }
    out
}

#[test]
fn a_yaml_merge_points_at_the_anchored_values_and_its_fixes_edit_them() {
    let dir = pm2_scratch("merge");
    let text = "base: &base\n  script: server.py\n  instances: 2\n  env: &env\n    PORT: 4000\napps:\n  - <<: *base\n    name: one\n";
    write(&dir, "ecosystem.yaml", text);
    let found = json_findings(&dir, "ecosystem.yaml", "instances-port-clash");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(span(&found[0]), (5, 11, 5, 15));
    assert_eq!(span(&found[0]["related"][0]), (3, 14, 3, 15));
    let choices = found[0]["fix"]["choices"].as_array().unwrap();
    assert_eq!(
        apply_choice(text, &choices[0]),
        text.replace(
            "  instances: 2\n",
            "  instances: 2\n  increment_var: PORT\n"
        )
    );
    assert_eq!(
        apply_choice(text, &choices[1]),
        text.replace("instances: 2", "instances: 1")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn yaml_aliases_and_anchors_point_at_the_anchored_value_only() {
    let dir = pm2_scratch("alias");
    write(&dir, "portos-lsp.toml", "[app]\nconvention = \"portos\"\n");
    // `env: *env`: the clash is on the anchored 4000, not on the alias.
    write(
        &dir,
        "flow/ecosystem.yaml",
        "common: &env {PORT: 4000}\napps:\n  - name: w\n    script: w.py\n    instances: 2\n    env: *env\n",
    );
    let found = json_findings(&dir, "flow/ecosystem.yaml", "instances-port-clash");
    assert_eq!(span(&found[0]), (1, 21, 1, 25), "{found:?}");
    // An anchored duplicate: the finding and its fix cover `5570`, not `&p 5570`, so the fix applies.
    let anchored = "apps:\n  - name: b\n    script: b.js\n    env:\n      PORT: 5570\n  - name: a\n    script: a.js\n    env:\n      PORT: &p 5570\n";
    write(&dir, "anchored/ecosystem.yaml", anchored);
    let found = json_findings(&dir, "anchored/ecosystem.yaml", "duplicate-port");
    assert_eq!(span(&found[0]), (9, 16, 9, 20), "{found:?}");
    assert_eq!(span(&found[0]["related"][0]), (5, 13, 5, 17));
    let (code, _, stderr) = run_in(&dir, &["check", "--fix", "anchored/ecosystem.yaml"], None);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        std::fs::read_to_string(dir.join("anchored/ecosystem.yaml")).unwrap(),
        anchored.replace("&p 5570", "&p 5571")
    );
    // A duplicate through `*port`: related information on the anchored value, not on the alias.
    write(
        &dir,
        "alias/ecosystem.yaml",
        "apps:\n  - name: a\n    script: a.js\n    env:\n      PORT: &port 5570\n  - name: b\n    script: b.js\n    env:\n      PORT: *port\n",
    );
    let found = json_findings(&dir, "alias/ecosystem.yaml", "duplicate-port");
    assert_eq!(span(&found[0]["related"][0]), (5, 19, 5, 23), "{found:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_instances_clash_on_a_flag_points_at_its_number() {
    let dir = pm2_scratch("flag");
    write(
        &dir,
        "ecosystem.config.js",
        "module.exports = {\n  apps: [{\n    name: 'site',\n    script: 'node_modules/.bin/next',\n    args: 'start -p 3000',\n    instances: 2,\n    exec_mode: 'fork',\n  }, {\n    name: 'files', script: 'npx', instances: 2, exec_mode: 'fork',\n    args: 'serve dist -l 4000',\n  }],\n};\n",
    );
    let found = json_findings(&dir, "ecosystem.config.js", "instances-port-clash");
    let spans: Vec<_> = found.iter().map(span).collect();
    assert_eq!(spans, [(5, 21, 5, 25), (10, 26, 10, 30)], "{found:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_static_server_takes_its_port_but_is_no_part_of_the_apps_block() {
    let dir = pm2_scratch("static-block");
    write(
        &dir,
        "app/ecosystem.yaml",
        "apps:\n  - name: api\n    script: server.js\n    env:\n      PORT: 4000\nstatic:\n  - port: 8081\n    path: ./public\n  - port: 4002\n",
    );
    let (code, json, stderr) = run_in(&dir, &["next", "app", "--json", "--count", "3"], None);
    assert_eq!(code, 0, "{stderr}");
    let answer: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(answer["block"], serde_json::json!([4000, 4000]), "{json}");
    let (_, text, _) = run_in(&dir, &["next", "app", "--count", "3"], None);
    assert!(
        !text.contains("8081") && !text.contains("fills the gap"),
        "{text}"
    );
    // The static server's 4002 is taken, not free, and not a gap the block leaves.
    assert!(
        text.contains("\n  4001  ") && !text.contains("\n  4002  "),
        "{text}"
    );
    let (_, map, _) = run_in(&dir, &["ports", "--map", "app"], None);
    assert!(map.contains("block 4000–4000, contiguous"), "{map}");
    let _ = std::fs::remove_dir_all(&dir);
}
