//! The ways to install portos-lsp agree with the binary and with each other: the pre-commit hook's file
//! pattern is the checker's own list of ecosystem names, every package carries Cargo.toml's version, the npm
//! launcher lists one package per release target, and `completions` / `manpage` cover every command.

#[path = "common/help.rs"]
mod help;

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(relative: &str) -> String {
    std::fs::read_to_string(root().join(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"))
}

fn json(relative: &str) -> serde_json::Value {
    serde_json::from_str(&read(relative)).unwrap()
}

fn run(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_portos-lsp"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
    )
}

/// The commands `--help` lists, `help` aside.
fn commands() -> Vec<String> {
    let (_, help) = run(&["--help"]);
    let commands: Vec<String> = help::commands(&help)
        .into_iter()
        .map(str::to_string)
        .collect();
    assert!(commands.len() >= 7, "{help}");
    commands
}

#[test]
fn the_pre_commit_hook_matches_the_ecosystem_names() {
    let hooks = read(".pre-commit-hooks.yaml");
    let pattern = hooks
        .lines()
        .find_map(|l| l.trim().strip_prefix("files: '"))
        .and_then(|l| l.strip_suffix('\''))
        .expect("the hook has a single-quoted `files:` pattern");
    assert!(hooks.contains("- id: portos-lsp") && hooks.contains("language: rust"));
    assert!(hooks.contains("entry: portos-lsp check"));
    // pre-commit matches with Python's re.search; this pattern means the same in the regex crate.
    let files = regex::Regex::new(pattern).unwrap();
    let names = [
        "ecosystem.config.js",
        "ecosystem.config.cjs",
        "ecosystem.config.mjs",
        "ecosystem.prod.config.js",
        "ecosystem.a.b.config.cjs",
        "ecosystem.config.config.js",
        "pm2.config.mjs",
        "ecosystem..config.js",
        "ecosystem.js",
        "ecosystem.config.ts",
        "ecosystem.config.json",
        "ecosystem.json",
        "ecosystem.yml",
        "process.json",
        "pm2.json",
        "processes.json",
        "process.yml",
        "ecosystem.json5",
        "ecosystem.yaml",
        "ecosystem-prod.yml",
        "pm2.config.yaml",
        "xecosystem.json",
        "ecosystem.yml.bak",
        "my-ecosystem.config.js",
        "xpm2.config.js",
        "ecosystem.config.js.bak",
        "app.js",
    ];
    for name in names {
        let expected = portos_lsp::workspace::is_ecosystem_name(name);
        for path in [name.to_string(), format!("apps/shop/{name}")] {
            assert_eq!(files.is_match(&path), expected, "{path}");
        }
    }
    assert!(!files.is_match("ecosystem.config.js/readme.md"));
}

#[test]
fn every_package_has_the_crate_version() {
    let version = env!("CARGO_PKG_VERSION");
    let launcher = json("npm/launcher/package.json");
    assert_eq!(launcher["name"], "portos-lsp");
    assert_eq!(launcher["version"], version);
    assert_eq!(json("editors/vscode/package.json")["version"], version);
    for (name, wanted) in launcher["optionalDependencies"].as_object().unwrap() {
        assert_eq!(wanted, version, "{name}");
    }
    let changelog = read("CHANGELOG.md");
    assert!(
        changelog.contains(&format!("## [{version}]")),
        "CHANGELOG.md has an entry for {version}"
    );
}

#[test]
fn the_launcher_lists_a_package_per_release_target() {
    let launcher = json("npm/launcher/package.json");
    let mut packages: Vec<&String> = launcher["optionalDependencies"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    packages.sort();
    assert_eq!(
        packages,
        [
            "@portos-lsp/cli-darwin-arm64",
            "@portos-lsp/cli-darwin-x64",
            "@portos-lsp/cli-linux-arm64",
            "@portos-lsp/cli-linux-x64",
            "@portos-lsp/cli-win32-x64",
        ]
    );
    let release = read(".github/workflows/release.yml");
    for target in [
        "x86_64-unknown-linux-musl",
        "aarch64-unknown-linux-musl",
        "x86_64-apple-darwin",
        "aarch64-apple-darwin",
        "x86_64-pc-windows-msvc",
    ] {
        assert!(release.contains(target), "release.yml builds {target}");
    }
}

#[test]
fn completions_cover_every_command_in_every_shell() {
    let commands = commands();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let (code, script) = run(&["completions", shell]);
        assert_eq!(code, 0, "{shell}");
        for command in &commands {
            assert!(
                script.contains(command.as_str()),
                "{shell} completes {command}"
            );
        }
        assert!(
            script.contains("output-format"),
            "{shell} completes options"
        );
    }
    // Each state the bash script sets has the arm that completes it (clap-rs/clap#6421 broke hyphenated names).
    let (_, bash) = run(&["completions", "bash"]);
    for command in &commands {
        let state = format!(
            "portos__lsp__subcmd__{}",
            command.replace('-', "__subcmd__")
        );
        assert!(bash.contains(&format!("cmd=\"{state}\"")), "{state} is set");
        assert!(
            bash.contains(&format!("\n        {state})\n")),
            "{state} has its arm"
        );
    }
    let (code, _) = run(&["completions", "tcsh"]);
    assert_eq!(code, 2, "an unknown shell is a usage error");
}

#[test]
fn the_man_page_names_every_command() {
    let (code, page) = run(&["manpage"]);
    assert_eq!(code, 0);
    assert!(
        page.contains("\n.TH portos-lsp 1 "),
        "{}",
        &page[..200.min(page.len())]
    );
    for section in [
        "SYNOPSIS",
        "DESCRIPTION",
        "OPTIONS",
        "SUBCOMMANDS",
        "\"EXIT STATUS\"",
        "ENVIRONMENT",
        "FILES",
        "\"SEE ALSO\"",
    ] {
        assert!(
            page.contains(&format!(".SH {section}")),
            "the page has {section}"
        );
    }
    let commands = commands();
    for command in &commands {
        assert!(
            page.contains(&format!("portos\\-lsp\\-{}", command.replace('-', "\\-"))),
            "{command}"
        );
    }
    let dir: PathBuf = std::env::temp_dir().join(format!("portos-lsp-man-{}", std::process::id()));
    let (code, _) = run(&["manpage", "--out-dir", dir.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(
        std::fs::read_to_string(dir.join("portos-lsp.1")).unwrap(),
        page
    );
    for command in &commands {
        let sub = std::fs::read_to_string(dir.join(format!("portos-lsp-{command}.1"))).unwrap();
        assert!(
            sub.contains(&format!("\n.TH portos-lsp-{command} 1 ")),
            "{sub}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
