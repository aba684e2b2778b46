//! `portos-lsp migrate` end to end: the diff it prints, `--write`, what it says on stderr, and its exit codes.

use std::path::{Path, PathBuf};
use std::process::Command;

const V1: &str = "// The older guide's convention.
module.exports = {
  apps: [
    {
      name: 'shop-api',
      script: 'server.js',
      ports: { api: 5570, health: 5571 }, // declared for PortOS
      env: {
        PORT: 5570,
        HEALTH_PORT: 5571,
        DB_PORT: 5432,
      },
    },
    {
      name: 'shop-ui',
      script: 'node_modules/.bin/vite',
      args: '--port 5572',
    },
  ],
};
";

const V2: &str = "const PORTS = { API: 5580 };
module.exports = { PORTS, apps: [{ name: 'blog-api', env: { PORT: PORTS.API } }] };
";

const MISMATCH: &str = "module.exports = {
  apps: [{ name: 'old-api', ports: { api: 5590 }, env: { PORT: 5591 } }],
};
";

fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("portos-lsp-migrate-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (app, text) in [("shop", V1), ("blog", V2)] {
        std::fs::create_dir_all(dir.join(app)).unwrap();
        std::fs::write(dir.join(app).join("ecosystem.config.cjs"), text).unwrap();
    }
    std::fs::write(dir.join("portos-lsp.toml"), "").unwrap();
    dir
}

fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_portos-lsp"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the binary starts");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn render((code, stdout, stderr): (i32, String, String)) -> String {
    format!("exit: {code}\n--- stdout\n{stdout}--- stderr\n{stderr}")
}

#[test]
fn migrate_prints_the_diff_and_writes_nothing() {
    let dir = scratch("diff");
    insta::assert_snapshot!(render(run(&dir, &["migrate", "."])));
    assert_eq!(
        std::fs::read_to_string(dir.join("shop/ecosystem.config.cjs")).unwrap(),
        V1,
        "the default writes nothing"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn migrate_write_rewrites_the_file_and_a_second_run_finds_nothing() {
    let dir = scratch("write");
    let (code, stdout, stderr) = run(&dir, &["migrate", "--write", "shop"]);
    assert_eq!((code, stdout.as_str()), (0, ""), "{stderr}");
    assert!(
        stderr.contains("shop/ecosystem.config.cjs: migrated"),
        "{stderr}"
    );
    let written = std::fs::read_to_string(dir.join("shop/ecosystem.config.cjs")).unwrap();
    insta::assert_snapshot!(written);
    // The written file is the later guide's shape: nothing left to migrate, and `check` finds no error.
    let (code, stdout, stderr) = run(&dir, &["migrate", "shop"]);
    assert_eq!((code, stdout.as_str()), (0, ""));
    assert!(
        stderr.contains("nothing to migrate: it already has a top-level PORTS table"),
        "{stderr}"
    );
    let (code, _, _) = run(&dir, &["check", "shop"]);
    assert_eq!(code, 0);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn migrate_exits_1_when_a_file_cannot_be_migrated_and_says_why() {
    let dir = scratch("cannot");
    std::fs::create_dir_all(dir.join("old")).unwrap();
    std::fs::write(dir.join("old/ecosystem.config.cjs"), MISMATCH).unwrap();
    let (code, _, stderr) = run(&dir, &["migrate", "--write", "old", "blog"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains(
            "old/ecosystem.config.cjs: cannot migrate: old-api: its ports map says api is 5590"
        ),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("old/ecosystem.config.cjs")).unwrap(),
        MISMATCH
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn migrate_exits_2_on_usage_and_read_errors() {
    let dir = scratch("usage");
    assert_eq!(run(&dir, &["migrate", "-"]).0, 2);
    let (code, _, stderr) = run(&dir, &["migrate", "missing", "blog"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("missing"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
