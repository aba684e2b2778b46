//! End-to-end tests of PM2's own reading of a file on the command line (spec §11): JSON and YAML ecosystem
//! files found, checked, listed (`served`), fixed in their own syntax and refused by `migrate`; `[pm2]`
//! settings; a file reached through a `files` glob that PM2 would run as an app, and the same file named.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn run_in(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_portos-lsp"))
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .env("XDG_CONFIG_HOME", dir.join(".no-user-config"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input).unwrap();
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("portos-lsp-pm2-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join(".git")).unwrap();
    dir
}

fn write(dir: &Path, relative: &str, text: &str) {
    let path = dir.join(relative);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
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
    let dir = scratch("formats");
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
    let dir = scratch("served");
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

#[test]
fn fixes_are_written_in_yaml_and_migrate_says_it_reads_javascript_only() {
    let dir = scratch("fix");
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
    let dir = scratch("stdin");
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
    let dir = scratch("settings");
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
    let dir = scratch("glob");
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
