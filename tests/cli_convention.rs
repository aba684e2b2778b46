//! Where PortOS's convention applies, end to end (spec §9): a plain PM2 project gets only the rules every PM2
//! user needs and one note naming the setting; `convention = "portos"` in the user-level file (found through
//! `XDG_CONFIG_HOME`, else `HOME`) or the project file brings the rest back; `--no-config` ignores both; the
//! signals come from the disk, never from stdin.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A fresh directory with a `.git`, so it is its own workspace.
fn project(name: &str, files: &[(&str, &str)]) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!(
        "portos-lsp-convention-{}-{n}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("repo/.git")).unwrap();
    for (path, text) in files {
        let path = dir.join("repo").join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

/// Writes the user-level file under `home/xdg/portos-lsp/config.toml`.
fn user_file(home: &Path, text: &str) -> PathBuf {
    let path = home.join("xdg/portos-lsp/config.toml");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

/// Runs the binary in `home/repo` with `XDG_CONFIG_HOME=home/xdg` and `HOME=home`: exit code, stdout, stderr.
fn run(home: &Path, args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    run_with(
        home,
        args,
        stdin,
        &[("XDG_CONFIG_HOME", Some(home.join("xdg")))],
    )
}

fn run_with(
    home: &Path,
    args: &[&str],
    stdin: Option<&str>,
    env: &[(&str, Option<PathBuf>)],
) -> (i32, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_portos-lsp"));
    command
        .args(args)
        .current_dir(home.join("repo"))
        .env("HOME", home)
        .env_remove("NO_COLOR")
        .env_remove("PORTOS_TOKEN")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in env {
        match value {
            Some(value) => command.env(name, value),
            None => command.env_remove(name),
        };
    }
    let mut child = command.spawn().expect("the binary starts");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The codes of a JSON report, in order.
fn codes(stdout: &str) -> Vec<String> {
    let findings: serde_json::Value = serde_json::from_str(stdout).expect("a JSON array");
    findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

const PLAIN: &str = "module.exports = {\n  apps: [\n    { name: 'web', script: 'server.js', env: { PORT: 3000 } },\n    { name: 'admin', script: 'admin.js', env: { PORT: 8080 } },\n  ],\n};\n";

const NOTE: &str = "PortOS's convention was not detected, so its rules are off; `[app] convention = \"portos\"` in portos-lsp.toml (or, for every project, in ~/.config/portos-lsp/config.toml) turns them on.";

#[test]
fn a_plain_pm2_project_gets_no_convention_findings_and_one_note() {
    let home = project("plain", &[("ecosystem.config.js", PLAIN)]);
    let (code, stdout, stderr) = run(&home, &["check", "--color", "never"], None);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(
        stdout,
        format!("All checks passed (1 file checked). {NOTE}\n"),
        "{stderr}"
    );
    assert!(!stderr.contains("convention"), "said once: {stderr}");
    let (_, concise, _) = run(&home, &["check", "--output-format", "concise"], None);
    assert_eq!(
        concise,
        format!("All checks passed (1 file checked). {NOTE}\n")
    );
    // Machine formats: never a finding; the note goes to stderr, once.
    for format in ["json", "sarif", "github"] {
        let (code, stdout, stderr) = run(&home, &["check", "--output-format", format], None);
        assert_eq!(code, 0, "{format}: {stderr}");
        assert!(!stdout.contains("convention"), "{format}: {stdout}");
        assert_eq!(stderr, format!("note: {NOTE}\n"), "{format}");
    }
    let (_, json, _) = run(&home, &["check", "--output-format", "json"], None);
    assert!(codes(&json).is_empty(), "{json}");
}

#[test]
fn convention_portos_in_the_user_file_brings_every_rule_back_and_no_config_ignores_it() {
    let home = project("user-portos", &[("ecosystem.config.js", PLAIN)]);
    user_file(&home, "[app]\nconvention = \"portos\"\n");
    let (code, stdout, stderr) = run(&home, &["check", "--output-format", "json"], None);
    assert_eq!(code, 0, "warnings only: {stderr}");
    assert_eq!(codes(&stdout), ["common-port", "common-port"], "{stdout}");
    assert!(stderr.is_empty(), "no note when the rules are on: {stderr}");
    let (_, full, _) = run(&home, &["check", "--color", "never"], None);
    assert!(
        full.ends_with("Found 2 warnings in 1 file (1 file checked).\n"),
        "{full}"
    );

    // `--no-config` ignores the user-level file too: back to the plain project's answer.
    let (code, stdout, stderr) = run(
        &home,
        &["check", "--no-config", "--output-format", "json"],
        None,
    );
    assert_eq!(code, 0);
    assert!(codes(&stdout).is_empty(), "{stdout}");
    assert_eq!(stderr, format!("note: {NOTE}\n"));

    // Without XDG_CONFIG_HOME the file is ~/.config/portos-lsp/config.toml.
    let (_, stdout, _) = run_with(
        &home,
        &["check", "--output-format", "json"],
        None,
        &[("XDG_CONFIG_HOME", None)],
    );
    assert!(codes(&stdout).is_empty(), "no file under ~/.config yet");
    let dot_config = home.join(".config/portos-lsp/config.toml");
    std::fs::create_dir_all(dot_config.parent().unwrap()).unwrap();
    std::fs::write(&dot_config, "app.convention = \"portos\"\n").unwrap();
    let (_, stdout, _) = run_with(
        &home,
        &["check", "--output-format", "json"],
        None,
        &[("XDG_CONFIG_HOME", None)],
    );
    assert_eq!(codes(&stdout), ["common-port", "common-port"]);
}

#[test]
fn the_project_file_wins_over_the_user_file() {
    let home = project(
        "project-plain",
        &[
            (
                "ecosystem.config.js",
                "const PORTS = { API: 5570, UI: 5572 };\nmodule.exports = { apps: [{ name: 'a', script: 'a.js', env: { PORT: PORTS.API, UI_PORT: PORTS.UI } }] };\n",
            ),
            ("portos-lsp.toml", "[app]\nconvention = \"plain\"\n"),
        ],
    );
    user_file(&home, "[app]\nconvention = \"portos\"\n");
    let (code, stdout, stderr) = run(&home, &["check", "--output-format", "json"], None);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        codes(&stdout).is_empty(),
        "no port-gap under plain: {stdout}"
    );
    assert!(stderr.is_empty(), "`plain` was chosen: no note: {stderr}");
    // The same file under `auto` shows the convention (a PORTS table, a project file): port-gap is back.
    std::fs::write(home.join("repo/portos-lsp.toml"), "").unwrap();
    let (_, stdout, _) = run(&home, &["check", "--output-format", "json"], None);
    assert_eq!(codes(&stdout), ["port-gap"], "{stdout}");
}

#[test]
fn a_service_port_is_reported_in_a_plain_project() {
    let home = project(
        "service",
        &[(
            "ecosystem.config.js",
            "module.exports = { apps: [\n  { name: 'web', script: 'w.js', env: { PORT: 3000 } },\n  { name: 'db-proxy', script: 'p.js', env: { PORT: 5432 } },\n] };\n",
        )],
    );
    let (code, stdout, stderr) = run(&home, &["check", "--output-format", "concise"], None);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout,
        format!(
            "ecosystem.config.js:3:52: warning[common-port] port 5432 (api of `db-proxy`) is commonly used by PostgreSQL; pick another port\nFound 1 warning in 1 file (1 file checked). {NOTE}\n"
        )
    );
    // Errors every PM2 user needs stay on too.
    let home = project(
        "duplicate",
        &[(
            "ecosystem.config.js",
            "module.exports = { apps: [\n  { name: 'web', script: 'w.js', env: { PORT: 3000 } },\n  { name: 'web', script: 'x.js', env: { PORT: 3000 } },\n] };\n",
        )],
    );
    let (code, stdout, _) = run(&home, &["check", "--output-format", "json"], None);
    assert_eq!(code, 1);
    assert!(
        codes(&stdout).contains(&"duplicate-process-name".to_string())
            && codes(&stdout).contains(&"duplicate-port".to_string()),
        "{stdout}"
    );
}

#[test]
fn each_sign_on_disk_turns_the_rules_on() {
    for (name, file) in [
        (
            "ports-table",
            "const PORTS = { WEB: 3000 };\nmodule.exports = { apps: [{ name: 'web', script: 'w.js', env: { PORT: PORTS.WEB } }] };\n",
        ),
        (
            "ports-map",
            "module.exports = { apps: [{ name: 'web', script: 'w.js', ports: { api: 3000 }, env: { PORT: 3000 } }] };\n",
        ),
        (
            "user-range",
            "module.exports = { apps: [{ name: 'web', script: 'w.js', env: { PORT: 3000, UI_PORT: 5590 } }] };\n",
        ),
        (
            "allocator-range",
            "module.exports = { apps: [{ name: 'web', script: 'w.js', env: { PORT: 3000, UI_PORT: 6010 } }] };\n",
        ),
        (
            "portos-process",
            "module.exports = { apps: [{ name: 'portos-web', script: 'w.js', env: { PORT: 3000 } }] };\n",
        ),
    ] {
        let home = project(name, &[("ecosystem.config.js", file)]);
        let (_, stdout, stderr) = run(&home, &["check", "--output-format", "json"], None);
        assert!(
            codes(&stdout).contains(&"common-port".to_string()),
            "{name}: {stdout}"
        );
        assert!(stderr.is_empty(), "{name}: {stderr}");
    }
    // A sign in another file of the workspace is enough, even when only this file is named.
    let home = project(
        "other-file",
        &[
            ("web/ecosystem.config.js", PLAIN),
            (
                "api/ecosystem.config.js",
                "const PORTS = { API: 5570 };\nmodule.exports = { apps: [{ name: 'api', script: 'a.js', env: { PORT: PORTS.API } }] };\n",
            ),
        ],
    );
    let (_, stdout, _) = run(
        &home,
        &[
            "check",
            "web/ecosystem.config.js",
            "--output-format",
            "json",
        ],
        None,
    );
    assert_eq!(codes(&stdout), ["common-port", "common-port"]);
}

#[test]
fn stdin_never_counts_as_a_sign_but_the_file_on_disk_does() {
    let piped_with_table = "const PORTS = { WEB: 3000 };\nmodule.exports = { apps: [{ name: 'web', script: 'w.js', env: { PORT: PORTS.WEB } }] };\n";
    // The disk copy is plain: the piped PORTS table does not turn the rules on.
    let home = project("stdin-plain", &[("ecosystem.config.js", PLAIN)]);
    let (_, stdout, stderr) = run(
        &home,
        &[
            "check",
            "-",
            "--stdin-filename",
            "ecosystem.config.js",
            "--output-format",
            "json",
        ],
        Some(piped_with_table),
    );
    assert!(codes(&stdout).is_empty(), "{stdout}");
    assert_eq!(stderr, format!("note: {NOTE}\n"));
    // The disk copy has the table: the rules are on for the piped text, whatever it says.
    let home = project(
        "stdin-disk-table",
        &[("ecosystem.config.js", piped_with_table)],
    );
    let (_, stdout, stderr) = run(
        &home,
        &[
            "check",
            "-",
            "--stdin-filename",
            "ecosystem.config.js",
            "--output-format",
            "json",
        ],
        Some(PLAIN),
    );
    assert_eq!(codes(&stdout), ["common-port", "common-port"], "{stderr}");
}

#[test]
fn a_broken_user_file_is_exit_2_naming_it() {
    let home = project("broken-user", &[("ecosystem.config.js", PLAIN)]);
    let path = user_file(&home, "[app]\nconvention = \"sometimes\"\n");
    let (code, stdout, stderr) = run(&home, &["check"], None);
    assert_eq!(code, 2, "{stdout}");
    assert_eq!(
        stderr,
        format!(
            "error: {}:2:14: app.convention: unknown convention \"sometimes\"; expected auto, portos or plain\n",
            path.display()
        )
    );
    let (code, _, _) = run(&home, &["check", "--no-config"], None);
    assert_eq!(code, 0, "--no-config does not read it");
}

#[test]
fn fix_leaves_alone_what_the_convention_would_flag() {
    let home = project(
        "fix-plain",
        &[(
            "ecosystem.config.js",
            "module.exports = { apps: [{ name: 'web', script: 'w.js', env: { PORT: 3000 } }] };\n",
        )],
    );
    let (code, stdout, stderr) = run(&home, &["check", "--diff"], None);
    assert_eq!((code, stdout.as_str()), (0, ""), "{stderr}");
    user_file(&home, "[app]\nconvention = \"portos\"\n");
    let (code, stdout, _) = run(&home, &["check", "--diff"], None);
    assert_eq!(code, 1);
    assert!(
        stdout.contains(
            "+module.exports = { apps: [{ name: 'web', script: 'w.js', env: { PORT: 5570 } }] };"
        ),
        "{stdout}"
    );
}
