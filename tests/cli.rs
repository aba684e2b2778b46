//! End-to-end tests of the command line: the built binary on fixture workspaces, with stdout, stderr and the
//! exit code snapshot-tested for every output format and every exit path.

use std::io::Write;
use std::path::{Path, PathBuf};

fn cli_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cli")
}

#[path = "common/run.rs"]
mod run;
use run::run_in;

fn run(args: &[&str]) -> String {
    let (code, stdout, stderr) = run_in(&cli_dir(), args, None);
    format!("exit: {code}\n--- stdout\n{stdout}--- stderr\n{stderr}")
}

#[test]
fn check_clean_exits_0() {
    insta::assert_snapshot!(run(&["check", "clean"]));
}

#[test]
fn check_full_with_frames_exits_1() {
    insta::assert_snapshot!(run(&["check", "findings", "--color", "never"]));
}

#[test]
fn check_concise() {
    insta::assert_snapshot!(run(&["check", "findings", "--output-format", "concise"]));
}

#[test]
fn check_json() {
    insta::assert_snapshot!(run(&["check", "findings", "--output-format", "json"]));
}

#[test]
fn check_github() {
    insta::assert_snapshot!(run(&["check", "findings", "--format", "github"]));
}

#[test]
fn check_sarif() {
    insta::assert_snapshot!(run(&["check", "findings", "--output-format", "sarif"]));
}

#[test]
fn sarif_has_the_required_fields() {
    let (code, stdout, _) = run_in(
        &cli_dir(),
        &["check", "findings", "--output-format", "sarif"],
        None,
    );
    assert_eq!(code, 1);
    let sarif: serde_json::Value = serde_json::from_str(&stdout).expect("SARIF is JSON");
    assert_eq!(sarif["version"], "2.1.0");
    assert!(sarif["$schema"].as_str().unwrap().contains("sarif-2.1.0"));
    let run = &sarif["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "portos-lsp");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), portos_lsp::rules::ALL.len());
    for rule in rules {
        assert!(rule["id"].is_string() && rule["helpUri"].as_str().unwrap().ends_with(".md"));
    }
    let results = run["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for result in results {
        assert!(rules.iter().any(|r| r["id"] == result["ruleId"]));
        assert!(["error", "warning", "note"].contains(&result["level"].as_str().unwrap()));
        assert!(result["message"]["text"].is_string());
        let location = &result["locations"][0]["physicalLocation"];
        assert!(
            location["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
                .ends_with("ecosystem.config.cjs")
        );
        assert!(location["region"]["startLine"].as_u64().unwrap() >= 1);
        assert!(location["region"]["startColumn"].as_u64().unwrap() >= 1);
    }
}

#[test]
fn json_columns_count_unicode_characters() {
    let (_, stdout, _) = run_in(
        &cli_dir(),
        &["check", "findings", "--output-format", "json"],
        None,
    );
    let findings: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let duplicate = findings
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "duplicate-port")
        .expect("a duplicate-port finding");
    // `    { name: 'shop-worker-🚀', env: { PORT: ` is 42 characters (the emoji is one), so PORTS.API starts at 43.
    assert_eq!(duplicate["start_line"], 7);
    assert_eq!(duplicate["start_column"], 43);
    assert_eq!(duplicate["end_column"], 52);
    let gap = findings
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "port-gap")
        .unwrap();
    assert_eq!(
        gap["start_column"], 46,
        "after `/* 界面 */`, CJK characters count one each"
    );
    let blog = findings
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "common-port")
        .unwrap();
    assert_eq!(
        (blog["start_line"].as_u64(), blog["start_column"].as_u64()),
        (Some(3), Some(38)),
        "CRLF lines"
    );
}

#[test]
fn deny_warnings_raises_the_bar() {
    insta::assert_snapshot!(run(&["check", "warnings", "--output-format", "concise"]));
    insta::assert_snapshot!(run(&[
        "check",
        "warnings",
        "--output-format",
        "concise",
        "--deny",
        "warnings"
    ]));
}

#[test]
fn exit_zero_lowers_it() {
    insta::assert_snapshot!(run(&[
        "check",
        "findings",
        "--output-format",
        "concise",
        "--exit-zero"
    ]));
}

#[test]
fn missing_path_exits_2() {
    insta::assert_snapshot!(run(&[
        "check",
        "clean",
        "no-such-dir",
        "--output-format",
        "concise"
    ]));
}

#[test]
fn usage_error_exits_2() {
    let (code, _, stderr) = run_in(&cli_dir(), &["check", "--output-format", "xml"], None);
    assert_eq!(code, 2);
    assert!(stderr.contains("xml"), "{stderr}");
}

#[test]
fn bad_config_exits_2_with_its_position() {
    insta::assert_snapshot!(run(&["check", "clean", "--config", "bad-config.toml"]));
}

#[test]
fn unreadable_files_are_named_and_the_rest_still_checked() {
    let dir = std::env::temp_dir().join(format!("portos-lsp-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (app, bytes) in [
        ("binary", b"module.exports = {\0}".to_vec()),
        ("latin1", b"// caf\xe9\nmodule.exports = {}".to_vec()),
        (
            "fine",
            b"module.exports = { apps: [{ name: 'fine', env: { PORT: 3000 } }] };".to_vec(),
        ),
    ] {
        std::fs::create_dir_all(dir.join(app)).unwrap();
        std::fs::write(dir.join(app).join("ecosystem.config.cjs"), bytes).unwrap();
    }
    std::fs::write(dir.join("portos-lsp.toml"), "").unwrap();
    let (code, stdout, stderr) = run_in(&dir, &["check", ".", "--output-format", "concise"], None);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(code, 2);
    assert!(stdout.contains("fine/ecosystem.config.cjs:1:"), "{stdout}");
    assert!(
        stderr.contains("binary/ecosystem.config.cjs: file looks binary (NUL byte at offset 18)"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "latin1/ecosystem.config.cjs: file is not valid UTF-8 (invalid byte at offset 6)"
        ),
        "{stderr}"
    );
}

#[test]
fn stdin_with_a_filename() {
    let text = b"module.exports = { apps: [{ name: 'piped', env: { PORT: 8080 } }] };";
    let (code, stdout, stderr) = run_in(
        &cli_dir().join("clean"),
        &[
            "check",
            "-",
            "--stdin-filename",
            "app/ecosystem.config.cjs",
            "--output-format",
            "concise",
        ],
        Some(text),
    );
    insta::assert_snapshot!(format!(
        "exit: {code}\n--- stdout\n{stdout}--- stderr\n{stderr}"
    ));
}

#[test]
fn color_always_and_never() {
    let (_, colored, _) = run_in(
        &cli_dir(),
        &["check", "warnings", "--color", "always"],
        None,
    );
    assert!(
        colored.contains("\x1b[1;33mwarning[common-port]"),
        "{colored}"
    );
    let (_, plain, _) = run_in(&cli_dir(), &["check", "warnings", "--color", "never"], None);
    assert!(!plain.contains('\x1b'));
    let (_, auto, _) = run_in(&cli_dir(), &["check", "warnings"], None);
    assert!(!auto.contains('\x1b'), "auto does not colour a pipe");
}

#[test]
fn explain() {
    insta::assert_snapshot!(run(&["explain", "port-gap"]));
    let (code, _, stderr) = run_in(&cli_dir(), &["explain", "no-such-rule"], None);
    assert_eq!(code, 2);
    assert!(stderr.contains("unknown rule `no-such-rule`"));
}

#[test]
fn ports_human_json_and_as_portos() {
    insta::assert_snapshot!(run(&["ports", "findings"]));
    insta::assert_snapshot!(run(&["ports", "--json", "clean"]));
    insta::assert_snapshot!(run(&["ports", "--as-portos", "findings"]));
}

#[test]
fn next_answers_with_reasons() {
    insta::assert_snapshot!(run(&["next", "findings/shop", "--count", "2"]));
    insta::assert_snapshot!(run(&["next", "clean/app", "--json"]));
}

#[test]
fn version() {
    let (code, stdout, _) = run_in(&cli_dir(), &["--version"], None);
    assert_eq!(code, 0);
    assert_eq!(
        stdout.trim(),
        format!("portos-lsp {}", env!("CARGO_PKG_VERSION"))
    );
}

/// Serves one canned HTTP response per connection on loopback, counting requests, until the test ends.
fn serve_once_per_connection(
    body: String,
) -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{BufRead, BufReader};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = hits.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(8) {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            while reader.read_line(&mut request).is_ok_and(|n| n > 2)
                && !request.ends_with("\r\n\r\n")
            {}
            if request.starts_with("GET /api/apps ") {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
            let response = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes());
        }
    });
    (port, hits)
}

#[test]
fn registry_ports_count_as_taken_except_the_apps_own_entry() {
    let dir = std::env::temp_dir().join(format!("portos-lsp-registry-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("shop")).unwrap();
    std::fs::write(
        dir.join("shop/ecosystem.config.cjs"),
        "module.exports = { apps: [{ name: 'shop-api', env: { PORT: 5570 } }, { name: 'shop-ui', env: { PORT: 5571 } }] };",
    )
    .unwrap();
    let shop = std::path::absolute(dir.join("shop")).unwrap();
    let body = serde_json::json!([
        { "id": "a1", "name": "Shop", "repoPath": shop, "apiPort": 5570, "uiPort": 5571,
          "processes": [{ "name": "shop-api", "port": 5570, "ports": { "api": 5570 } }] },
        { "id": "b2", "name": "Blog", "repoPath": "/srv/blog", "apiPort": 5572,
          "processes": [{ "name": "blog-api", "port": 5572, "ports": { "api": 5572 } },
                        { "name": "blog-ui", "port": 5571, "ports": { "ui": 5571 } }] }
    ])
    .to_string();
    let (port, hits) = serve_once_per_connection(body);
    std::fs::write(
        dir.join("portos-lsp.toml"),
        format!("[portos]\nregistry = true\napi_url = \"http://127.0.0.1:{port}\"\n"),
    )
    .unwrap();
    let (code, stdout, stderr) = run_in(&dir, &["next", "shop", "--json"], None);
    let answer: serde_json::Value =
        serde_json::from_str(&stdout).unwrap_or_else(|_| panic!("{stdout}{stderr}"));
    assert_eq!(code, 0, "{stderr}");
    // 5572 is Blog's in PortOS's registry, so shop has no room after its block and must move to 5573–5575.
    assert_eq!(answer["ports"][0]["port"], 5575, "{stdout}");
    assert!(
        answer["note"]
            .as_str()
            .unwrap()
            .contains("move its block to 5573–5575"),
        "{stdout}"
    );
    let (code, stdout, _) = run_in(&dir, &["check", "shop", "--output-format", "concise"], None);
    assert_eq!(code, 0);
    assert!(stdout.contains("port 5571 (ui of `shop-ui`) is also used by Blog (blog-ui:ui) according to PortOS's registry"), "{stdout}");
    assert!(
        !stdout.contains("5570 (api of `shop-api`) is also used"),
        "the app's own entry does not count: {stdout}"
    );
    assert!(hits.load(std::sync::atomic::Ordering::SeqCst) >= 2);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn registry_down_is_a_warning_not_a_failure() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = std::env::temp_dir().join(format!("portos-lsp-registry-down-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("app")).unwrap();
    std::fs::write(
        dir.join("app/ecosystem.config.cjs"),
        "module.exports = { apps: [{ name: 'a', env: { PORT: 5570 } }] };",
    )
    .unwrap();
    std::fs::write(
        dir.join("portos-lsp.toml"),
        format!("[portos]\nregistry = true\napi_url = \"http://127.0.0.1:{closed}\"\n"),
    )
    .unwrap();
    let (code, stdout, stderr) = run_in(&dir, &["check", "app"], None);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(code, 0, "{stdout}");
    assert!(stderr.contains("PortOS is not reachable"), "{stderr}");
}

#[test]
fn directories_skip_node_modules_and_gitignored_files_and_refuse_huge_ones() {
    let dir = std::env::temp_dir().join(format!("portos-lsp-walk-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let app = "module.exports = { apps: [{ name: 'NAME', env: { PORT: 5570 } }] };";
    for (sub, name) in [
        ("b-app", "b"),
        ("a-app", "a"),
        ("node_modules/pkg", "dep"),
        ("ignored", "ignored"),
    ] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
        std::fs::write(
            dir.join(sub).join("ecosystem.config.cjs"),
            app.replace("NAME", name),
        )
        .unwrap();
    }
    std::fs::write(dir.join(".gitignore"), "ignored/\n").unwrap();
    std::fs::write(dir.join("portos-lsp.toml"), "").unwrap();
    std::fs::create_dir_all(dir.join("huge")).unwrap();
    let mut huge = String::from("module.exports = { apps: [] };\n");
    huge.push_str(&"// padding\n".repeat(600_000));
    std::fs::write(dir.join("huge/ecosystem.config.cjs"), huge).unwrap();
    let (code, stdout, stderr) = run_in(&dir, &["ports", "."], None);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(code, 2, "the huge file is an error: {stderr}");
    assert_eq!(
        stdout, "a-app/ecosystem.config.cjs\n  a:5570\nb-app/ecosystem.config.cjs\n  b:5570\n",
        "files under the working directory are named relative to it, without ./"
    );
    assert!(stderr.contains("huge/ecosystem.config.cjs: file is too large to analyse (6600031 bytes; the limit is 5242880 bytes)"), "{stderr}");
}

#[test]
fn suppression_comments_silence_findings() {
    let dir = std::env::temp_dir().join(format!("portos-lsp-ignore-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("app")).unwrap();
    std::fs::write(dir.join("portos-lsp.toml"), "").unwrap();
    std::fs::write(
        dir.join("app/ecosystem.config.cjs"),
        "module.exports = {\n  apps: [\n    // portos-lsp-ignore: common-port\n    { name: 'a', env: { PORT: 3000 } },\n    { name: 'b', env: { PORT: 8080 } }, // portos-lsp-ignore\n    { name: 'c', env: { PORT: 5432 } },\n  ],\n};\n",
    )
    .unwrap();
    let (_, stdout, _) = run_in(&dir, &["check", "app", "--output-format", "concise"], None);
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(
        !stdout.contains("3000") && !stdout.contains("8080"),
        "{stdout}"
    );
    assert!(
        stdout.contains("port 5432 (api of `c`) is commonly used by PostgreSQL"),
        "{stdout}"
    );
}

#[test]
fn suppression_applies_to_cross_file_findings() {
    let dir = std::env::temp_dir().join(format!("portos-lsp-ignore-x-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (app, body) in [
        (
            "a",
            "module.exports = {\n  apps: [\n    // portos-lsp-ignore: port-conflict\n    { name: 'a-api', env: { PORT: 5570 } },\n  ],\n};\n",
        ),
        (
            "b",
            "module.exports = {\n  apps: [\n    { name: 'b-api', env: { PORT: 5570 } },\n  ],\n};\n",
        ),
    ] {
        std::fs::create_dir_all(dir.join(app)).unwrap();
        std::fs::write(dir.join(app).join("ecosystem.config.cjs"), body).unwrap();
    }
    std::fs::write(dir.join("portos-lsp.toml"), "").unwrap();
    let (_, stdout, _) = run_in(&dir, &["check", ".", "--output-format", "concise"], None);
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(!stdout.contains("a/ecosystem.config.cjs:4"), "{stdout}");
    assert!(
        stdout.contains("b/ecosystem.config.cjs:3:35: warning[port-conflict]"),
        "{stdout}"
    );
}

#[test]
fn the_example_workspace_shows_every_diagnostic_code() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (code, stdout, stderr) = run_in(
        root,
        &["check", "examples/workspace", "--output-format", "json"],
        None,
    );
    assert_eq!(code, 1, "the examples contain errors on purpose: {stderr}");
    assert!(
        !stderr.contains("convention"),
        "the example workspace shows PortOS's convention: {stderr}"
    );
    let findings: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let found: std::collections::BTreeSet<&str> = findings
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["code"].as_str())
        .collect();
    // `registry-stale` compares the files with a running PortOS's registry: tests/portos_today.rs shows it
    // against a fake PortOS.
    for rule in portos_lsp::rules::ALL
        .iter()
        .filter(|r| r.code != "registry-stale")
    {
        assert!(
            found.contains(rule.code),
            "examples/workspace has no `{}` finding",
            rule.code
        );
    }
}

/// A workspace of two apps, `a` and `b`, both serving 5580, plus `c` with `DB_PORT` inside its block.
fn two_app_workspace(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("portos-lsp-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (app, body) in [
        (
            "a",
            "module.exports = { apps: [{ name: 'a-api', env: { PORT: 5580 } }] };",
        ),
        (
            "b",
            "module.exports = { apps: [{ name: 'b-api', env: { PORT: 5580 } }] };",
        ),
        (
            "c",
            "module.exports = { apps: [{ name: 'c-api', env: { PORT: 5590, DB_PORT: 5591 } }, { name: 'c-ui', env: { PORT: 5592 } }] };",
        ),
    ] {
        std::fs::create_dir_all(dir.join(app)).unwrap();
        std::fs::write(dir.join(app).join("ecosystem.config.cjs"), body).unwrap();
    }
    std::fs::write(dir.join("portos-lsp.toml"), "").unwrap();
    dir
}

#[test]
fn checking_one_app_still_asks_the_whole_workspace() {
    let dir = two_app_workspace("context");
    let (code, stdout, _) = run_in(
        &dir.join("a"),
        &["check", "--output-format", "concise"],
        None,
    );
    let (_, relative, _) = run_in(
        &dir.join("a"),
        &[
            "check",
            "ecosystem.config.cjs",
            "../b",
            "--output-format",
            "concise",
        ],
        None,
    );
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(code, 0, "a warning only");
    assert!(
        stdout.contains("port 5580 (api of `a-api`) is also used by `b-api` (api) of app b"),
        "{stdout}"
    );
    assert!(
        stdout.contains("(1 file checked)"),
        "b is context, not reported: {stdout}"
    );
    assert_eq!(
        relative.matches("warning[port-conflict]").count(),
        2,
        "{relative}"
    );
}

#[test]
fn next_takes_a_bare_file_name_and_keeps_the_apps_own_database_port() {
    let dir = two_app_workspace("next-bare");
    let (code, stdout, stderr) = run_in(&dir.join("c"), &["next", "ecosystem.config.cjs"], None);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.starts_with("Next free port for c (block 5590–5592):"),
        "{stdout}"
    );
    assert!(
        stdout.contains("5593  right after c's block"),
        "5591 is c's own database: {stdout}"
    );
}

#[test]
fn check_diff_prints_the_safe_fixes_and_fix_applies_them() {
    let dir = std::env::temp_dir().join(format!("portos-lsp-fix-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("app")).unwrap();
    std::fs::create_dir_all(dir.join(".git")).unwrap();
    std::fs::create_dir_all(dir.join("broken")).unwrap();
    let file = dir.join("app/ecosystem.config.cjs");
    let text = "const PORTS = {\n  API: 5570,\n  WORKER: 5570,\n};\nmodule.exports = {\n  apps: [\n    { name: 'api', script: 'a.js', env: { PORT: PORTS.API } },\n    { name: 'worker', script: 'w.js', env: { PORT: PORTS.WORKER } },\n    { name: 'web', script: 'v.js', env: { PORT: 3000 } },\n  ],\n};\n";
    std::fs::write(&file, text).unwrap();
    // A file with a syntax error is never touched.
    let broken = "module.exports = { apps: [\n  { name: 'x', env: { PORT: 5590 } },\n  { name: 'y' env: { PORT: 5590 } },\n] };\n";
    std::fs::write(dir.join("broken/ecosystem.config.cjs"), broken).unwrap();
    let (code, stdout, _) = run_in(&dir, &["check", "--diff", "app"], None);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("--- a/app/ecosystem.config.cjs"),
        "{stdout}"
    );
    assert!(
        stdout.contains("-  WORKER: 5570,\n+  WORKER: 5571,"),
        "{stdout}"
    );
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        text,
        "--diff writes nothing"
    );
    let (code, _, stderr) = run_in(
        &dir,
        &["check", "--fix", ".", "--output-format", "concise"],
        None,
    );
    let fixed = std::fs::read_to_string(&file).unwrap();
    assert!(fixed.contains("WORKER: 5571,"), "{fixed}");
    assert!(
        fixed.contains("PORT: 5572 }"),
        "3000 moved to the next free port: {fixed}"
    );
    assert!(!fixed.contains("3000"), "{fixed}");
    assert_eq!(
        std::fs::read_to_string(dir.join("broken/ecosystem.config.cjs")).unwrap(),
        broken
    );
    assert!(stderr.contains("fixed 1 file"), "{stderr}");
    assert_eq!(code, 1, "the broken file's syntax error remains");
    let (code, stdout, _) = run_in(&dir, &["check", "--diff", "app"], None);
    assert_eq!((code, stdout.as_str()), (0, ""), "nothing left to fix");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn ports_map_of_the_example_workspace() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (code, stdout, stderr) = run_in(root, &["ports", "--map", "examples/workspace/shop"], None);
    insta::assert_snapshot!(format!(
        "exit: {code}\n--- stdout\n{stdout}--- stderr\n{stderr}"
    ));
    let (code, stdout, _) = run_in(
        root,
        &["ports", "--map", "--json", "examples/workspace"],
        None,
    );
    assert_eq!(code, 0);
    let map: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON object");
    let workspace = root.join("examples/workspace");
    assert_eq!(map["root"], workspace.to_string_lossy().as_ref());
    assert_eq!(map["ranges"]["user"], serde_json::json!([5570, 5599]));
    assert_eq!(
        map["free"],
        serde_json::json!([
            [5576, 5577],
            [5579, 5579],
            [5584, 5584],
            [5587, 5590],
            [5593, 5593],
            [5595, 5599]
        ])
    );
    let shop = map["apps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "shop")
        .unwrap();
    assert_eq!(shop["path"], "shop/ecosystem.config.cjs");
    assert_eq!(shop["block"], serde_json::json!([5570, 5573]));
    assert_eq!(shop["contiguous"], true);
    let api = &shop["processes"][0]["ports"][0];
    assert_eq!(
        (&api["label"], &api["port"], &api["line"]),
        (
            &serde_json::json!("api"),
            &serde_json::json!(5570),
            &serde_json::json!(18)
        ),
        "lines count from 1"
    );
    assert_eq!(map["conflicts"][0]["port"], 5573);
    assert_eq!(map["conflicts"][0]["uses"][0]["app"], "legacy");
}

#[test]
fn ports_map_covers_the_whole_workspace_from_one_app() {
    let dir = two_app_workspace("map");
    let (code, stdout, stderr) = run_in(&dir.join("a"), &["ports", "--map"], None);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(code, 0, "{stderr}");
    for line in [
        "! 5580  a-api (api)  a/ecosystem.config.cjs:1\n",
        "! 5580  b-api (api)  b/ecosystem.config.cjs:1\n",
        "         conflict: 5580 is claimed by apps a and b\n",
        "  5590  c-api (api)  c/ecosystem.config.cjs:1\n",
        "  5570–5579 free\n",
        "  5581–5589 free\n",
        "  5591 free\n",
        "  5593–5599 free\n",
        "  c  c/ecosystem.config.cjs  block 5590–5592, contiguous\n",
    ] {
        assert!(stdout.contains(line), "{line:?} missing from:\n{stdout}");
    }
}

#[test]
fn a_long_line_is_shown_as_a_window_around_each_span() {
    let dir = std::env::temp_dir().join(format!("portos-lsp-longline-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // 2,000 apps on one line, all on port 5570: 1,999 duplicates on a ~100 KB line.
    let apps: Vec<String> = (0..2000)
        .map(|i| format!("{{ name: 'a{i}', script: 'a.js', env: {{ PORT: 5570 }} }}"))
        .collect();
    let text = format!("module.exports = {{ apps: [{}] }};\n", apps.join(", "));
    std::fs::write(dir.join("ecosystem.config.cjs"), &text).unwrap();
    let (code, stdout, _) = run_in(&dir, &["check", ".", "--color", "never"], None);
    assert_eq!(code, 1);
    let findings = stdout.matches("error[duplicate-port]").count();
    assert_eq!(findings, 1999);
    // Each finding prints a window, not the whole line: well under 2 KB per finding.
    assert!(
        stdout.len() < findings * 2048,
        "{} bytes for {findings} findings",
        stdout.len()
    );
    assert!(stdout.contains("…"), "the window is marked");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A workspace of 150 small apps (more than a batch, so several threads and batches): `ports` and `check`
/// answer in path order and exactly as they do one file at a time, and a broken configuration in the
/// 100th app's directory stops `ports` after the 99 before it.
#[test]
fn many_files_answer_in_order_as_one_at_a_time() {
    let dir = std::env::temp_dir().join(format!("portos-lsp-many-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join(".git")).unwrap();
    for i in 0..150 {
        let app = dir.join(format!("app{i:03}"));
        std::fs::create_dir_all(&app).unwrap();
        // Every tenth app takes the previous app's port: cross-file conflicts across batches.
        let port = if i % 10 == 9 {
            20_000 + i - 1
        } else {
            20_000 + i
        };
        std::fs::write(
            app.join("ecosystem.config.cjs"),
            format!(
                "module.exports = {{ apps: [{{ name: 'app{i:03}', script: 'a.js', env: {{ PORT: {port} }} }}] }};\n"
            ),
        )
        .unwrap();
    }
    let files: Vec<String> = (0..150)
        .map(|i| format!("app{i:03}/ecosystem.config.cjs"))
        .collect();
    let (code, together, _) = run_in(&dir, &["ports", "--json", "--no-config", "."], None);
    assert_eq!(code, 0);
    let mut one_at_a_time = String::new();
    for file in &files {
        let (_, out, _) = run_in(&dir, &["ports", "--json", "--no-config", file], None);
        one_at_a_time.push_str(&out);
    }
    assert_eq!(together, one_at_a_time);
    let (_, checked, _) = run_in(
        &dir,
        &["check", "--no-config", "--output-format", "concise", "."],
        None,
    );
    let conflicts: Vec<&str> = checked
        .lines()
        .filter(|l| l.contains("port-conflict"))
        .collect();
    // Each of the 15 pairs is reported in both of its files, in path order.
    assert_eq!(conflicts.len(), 30, "{checked}");
    let mut sorted = conflicts.clone();
    sorted.sort();
    assert_eq!(conflicts, sorted);
    std::fs::write(dir.join("app099/portos-lsp.toml"), "[ranges\n").unwrap();
    let (code, partial, stderr) = run_in(&dir, &["ports", "--no-config", "."], None);
    // `--no-config` ignores it; discovered, it stops the run after the 99 apps before it.
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        partial.lines().filter(|l| l.starts_with("app")).count(),
        150
    );
    let (code, partial, stderr) = run_in(&dir, &["ports", "."], None);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("portos-lsp.toml"), "{stderr}");
    assert_eq!(partial.lines().filter(|l| l.starts_with("app")).count(), 99);
    let _ = std::fs::remove_dir_all(&dir);
}
