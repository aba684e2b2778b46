//! PortOS as it is today (issue 19, spec §12): the guide presets, PortOS's own ecosystem file as the core table
//! (in the workspace or under `[portos] root`), and the registry both ways — read over loopback with the
//! health check, the HTTPS mirror, a token or a password, time-bounded; `registry-stale` and the refresh — all
//! against a fake PortOS each test starts on loopback, through the library and the built binary.

mod fake_portos;

use fake_portos::{FakePortos, Mode, app};
use portos_lsp::live::{self, Access, RegistryError};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/today")
}

/// Runs the binary in `dir` with `env` set (and no user-level file, no PortOS variables of whoever runs the
/// tests): exit code, stdout, stderr.
fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_portos-lsp"));
    command
        .args(args)
        .current_dir(dir)
        .env("XDG_CONFIG_HOME", fixtures().join("no-user-config"))
        .env_remove("PORTOS_TOKEN")
        .env_remove("PORTOS_PASSWORD")
        .env_remove("PORTOS_HTTP_PORT")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    let out = command.output().expect("the binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn rendered(dir: &Path, args: &[&str]) -> String {
    let (code, stdout, stderr) = run(dir, args, &[]);
    format!("exit: {code}\n--- stdout\n{stdout}--- stderr\n{stderr}")
}

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A scratch workspace (a `.git` marks its root), removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(config: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "portos-lsp-today-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join(".git")).unwrap();
        std::fs::write(dir.join("portos-lsp.toml"), config).unwrap();
        Scratch(dir)
    }

    fn write(&self, relative: &str, text: &str) -> PathBuf {
        let path = self.0.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    fn path(&self, relative: &str) -> String {
        self.0.join(relative).to_string_lossy().into_owned()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A shop app whose api moved to 5571 since PortOS last read it.
const SHOP: &str = "module.exports = {\n  apps: [\n    { name: 'shop-api', script: 'server.js', env: { PORT: 5571 } },\n    { name: 'shop-ui', script: 'ui.js', env: { PORT: 5572 } },\n  ],\n};\n";

fn stale_processes() -> Value {
    json!([
        { "name": "shop-api", "port": 5570, "ports": { "api": 5570 } },
        { "name": "shop-ui", "port": 5572, "ports": { "ui": 5572 } },
    ])
}

fn fresh_processes() -> Value {
    json!([
        { "name": "shop-api", "port": 5571, "ports": { "api": 5571 } },
        { "name": "shop-ui", "port": 5572, "ports": { "ui": 5572 } },
    ])
}

fn access(url: &str) -> Access {
    Access {
        api_url: url.to_string(),
        mirror_port: live::DEFAULT_MIRROR_PORT,
        ..Access::default()
    }
}

const TIMEOUT: Duration = Duration::from_secs(2);

// --- the registry through the library ---------------------------------------------------------------------

#[test]
fn the_health_check_comes_first_then_the_apps_with_the_bearer_token() {
    let fake = FakePortos::start(
        Mode::Http,
        vec![app("a1", "Shop", "/w/shop", stale_processes())],
    );
    fake.require_auth("Bearer s3cret");
    let mut with_token = access(&fake.url());
    with_token.token = Some("s3cret\n".into());
    let registry = live::read_registry(&with_token, TIMEOUT).unwrap();
    assert_eq!(registry.apps.len(), 1);
    assert!(!registry.via_mirror);
    let health = registry.health.unwrap();
    assert_eq!(health.scheme.as_deref(), Some("http"));
    assert!(health.auth_required);
    let requests = fake.requests();
    assert_eq!(requests[0].1, "/api/system/health");
    assert_eq!(
        requests[1],
        (
            "GET".into(),
            "/api/apps".into(),
            Some("Bearer s3cret".into())
        )
    );
}

#[test]
fn a_password_goes_as_basic_auth_with_an_empty_user_name() {
    let fake = FakePortos::start(Mode::Http, vec![]);
    // base64(":hunter2")
    fake.require_auth("Basic Omh1bnRlcjI=");
    let mut with_password = access(&fake.url());
    with_password.password = Some("hunter2".into());
    assert!(live::read_registry(&with_password, TIMEOUT).is_ok());
    let error = live::read_registry(&access(&fake.url()), TIMEOUT).unwrap_err();
    assert!(
        matches!(
            error,
            RegistryError::Unauthorized {
                status: 401,
                token_sent: false,
                ..
            }
        ),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(message.contains("portos.token_env"), "{message}");
    assert!(message.contains("portos.password_env"), "{message}");
}

#[test]
fn https_on_the_main_port_is_left_for_the_loopback_mirror() {
    let tls = FakePortos::start(Mode::Tls, vec![]);
    let mirror = FakePortos::start(
        Mode::Http,
        vec![app("a1", "Shop", "/w/shop", stale_processes())],
    );
    mirror.report_scheme("https");
    let mut reach = access(&tls.url());
    reach.mirror_port = mirror.port;
    let registry = live::read_registry(&reach, TIMEOUT).unwrap();
    assert!(registry.via_mirror);
    assert_eq!(registry.url, mirror.url());
    assert_eq!(registry.apps.len(), 1);
    assert_eq!(
        registry.health.unwrap().scheme.as_deref(),
        Some("https"),
        "the mirror's health check says the main port serves HTTPS"
    );
    // Without a mirror the error says both what the main port did and that the mirror failed.
    let nothing = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    reach.mirror_port = nothing.local_addr().unwrap().port();
    drop(nothing);
    let error = live::read_registry(&reach, TIMEOUT).unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("does not answer plain HTTP") && message.contains("PORTOS_HTTP_PORT"),
        "{message}"
    );
}

#[test]
fn a_portos_that_never_answers_costs_at_most_the_timeout() {
    let silent = FakePortos::start(Mode::Silent, vec![]);
    let started = Instant::now();
    let error =
        live::read_registry(&access(&silent.url()), Duration::from_millis(400)).unwrap_err();
    let took = started.elapsed();
    assert!(matches!(error, RegistryError::Timeout { .. }), "{error:?}");
    assert!(took < Duration::from_millis(1500), "took {took:?}");
}

#[test]
fn portos_not_running_is_said_at_once() {
    let nothing = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://127.0.0.1:{}", nothing.local_addr().unwrap().port());
    drop(nothing);
    let started = Instant::now();
    let error = live::read_registry(&access(&url), TIMEOUT).unwrap_err();
    assert!(
        matches!(error, RegistryError::NotRunning { .. }),
        "{error:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[test]
fn a_refresh_posts_to_the_app_and_the_registry_follows() {
    let fake = FakePortos::start(
        Mode::Http,
        vec![app("a1", "Shop", "/w/shop", stale_processes())],
    );
    fake.on_refresh("a1", fresh_processes());
    live::refresh_app(&access(&fake.url()), "a1", TIMEOUT).unwrap();
    assert!(
        fake.requests()
            .iter()
            .any(|(method, path, _)| method == "POST" && path == "/api/apps/a1/refresh-config"),
        "{:?}",
        fake.requests()
    );
    let registry = live::read_registry(&access(&fake.url()), TIMEOUT).unwrap();
    assert_eq!(
        registry.apps[0].processes[0].ports,
        vec![("api".to_string(), 5571)]
    );
    // An id is one path segment, whatever it holds; an unknown app is PortOS's 404, said as such.
    let unknown = live::refresh_app(&access(&fake.url()), "a/1", TIMEOUT).unwrap_err();
    assert!(unknown.to_string().contains("HTTP 404"), "{unknown}");
    assert!(
        fake.requests()
            .iter()
            .any(|(_, path, _)| path == "/api/apps/a%2F1/refresh-config")
    );
    // Anything but loopback is refused before any connection.
    let refused = live::refresh_app(&access("http://example.com:5555"), "a1", TIMEOUT).unwrap_err();
    assert!(
        matches!(refused, RegistryError::InvalidUrl(_)),
        "{refused:?}"
    );
}

// --- the guide presets and PortOS's own file, through `check` and `ports --map` ----------------------------

#[test]
fn every_preset_gives_its_ranges_and_core_table() {
    for case in [
        "preset-v1",
        "preset-v2",
        "preset-portos-2026-08",
        "preset-override",
    ] {
        let dir = fixtures().join(case);
        let check = rendered(&dir, &["check", ".", "--output-format", "concise"]);
        insta::assert_snapshot!(format!("{}_check", case.replace('-', "_")), check);
        let map = rendered(&dir, &["ports", "--map", "."]);
        insta::assert_snapshot!(format!("{}_map", case.replace('-', "_")), map);
    }
}

#[test]
fn portos_current_ranges_make_5553_and_5568_conflicts() {
    let (_, stdout, _) = run(
        &fixtures().join("preset-portos-2026-08"),
        &["check", ".", "--output-format", "concise"],
        &[],
    );
    assert!(
        stdout.contains(
            "port 5553 (api of `lab-local`) is also used by PortOS's portos-server (api-local"
        ),
        "{stdout}"
    );
    assert!(
        stdout
            .contains("port 5568 (api of `lab-llm`) is also used by PortOS's portos-llama-server"),
        "{stdout}"
    );
    // Under the default guide the same ports are only outside the user range or reserved.
    let (_, v2, _) = run(
        &fixtures().join("preset-v2"),
        &["check", ".", "--output-format", "concise"],
        &[],
    );
    assert!(
        !v2.contains("port 5568 (api of `lab-llm`) is also used"),
        "{v2}"
    );
    assert!(v2.contains("reserved-range"), "{v2}");
}

#[test]
fn portos_own_file_in_the_workspace_is_the_core_table() {
    let dir = fixtures().join("portos-file");
    let check = rendered(&dir, &["check", ".", "--output-format", "concise"]);
    for wanted in [
        "port 5568 (api of `shop-llm`) is also used by PortOS's PORTS.LLAMA_SERVER (in its ecosystem.config.cjs, no PM2 process)",
        "port 5553 (api of `shop-local`) is also used by PortOS's portos-server (portosHttp, PORTS.API_LOCAL in its ecosystem.config.cjs)",
        "port 5432 (api of `shop-pg`) is also used by PortOS's PORTS.POSTGRES",
        "port 18020 (api of `shop-vllm`) is also used by PortOS's PORTS.VLLM_QWEN",
    ] {
        assert!(check.contains(wanted), "lacks {wanted:?}:\n{check}");
    }
    insta::assert_snapshot!("portos_file_check", check);
    let map = rendered(&dir, &["ports", "--map", "."]);
    assert!(
        map.contains("5568  PORTS.LLAMA_SERVER  PortOS core table, from PortOS's ecosystem.config.cjs, PORTS.LLAMA_SERVER"),
        "{map}"
    );
    insta::assert_snapshot!("portos_file_map", map);
    // The allocator keeps away from PortOS's entries too.
    let (_, next, _) = run(&dir, &["next", "shop", "--count", "3"], &[]);
    assert!(!next.contains("5568"), "{next}");
}

#[test]
fn portos_root_names_a_checkout_outside_the_workspace() {
    let dir = fixtures().join("portos-root/workspace");
    let (code, stdout, stderr) = run(&dir, &["check", ".", "--output-format", "concise"], &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout
            .contains("port 5568 (api of `shop-llm`) is also used by PortOS's PORTS.LLAMA_SERVER"),
        "{stdout}"
    );
    assert!(
        stdout.contains("PortOS's portos-server (api-local") || stdout.contains("portosHttp"),
        "{stdout}"
    );
}

// --- the registry through `check` and `ports` ---------------------------------------------------------------

/// A workspace with the shop app and the registry on at `url`.
fn registry_workspace(url: &str) -> Scratch {
    let scratch = Scratch::new(&format!("[portos]\nregistry = true\napi_url = \"{url}\"\n"));
    scratch.write("shop/ecosystem.config.cjs", SHOP);
    scratch
}

/// `registry` serving the shop app of `scratch` as PortOS last read it.
fn serve_stale_shop(registry: &FakePortos, scratch: &Scratch) {
    registry.state.lock().unwrap().apps = vec![app(
        "shop-1",
        "Shop",
        &scratch.path("shop"),
        stale_processes(),
    )];
}

/// The shop app beside `config`, and `fake` serving it as PortOS last read it.
fn stale_shop(fake: &FakePortos, config: &str) -> Scratch {
    let scratch = Scratch::new(config);
    scratch.write("shop/ecosystem.config.cjs", SHOP);
    serve_stale_shop(fake, &scratch);
    scratch
}

#[test]
fn check_reports_registry_stale_while_the_registry_is_on() {
    let fake = FakePortos::start(Mode::Http, vec![]);
    let scratch = registry_workspace(&fake.url());
    serve_stale_shop(&fake, &scratch);
    let (code, stdout, stderr) = run(&scratch.0, &["check", ".", "--output-format", "json"], &[]);
    assert_eq!(code, 0, "information only: {stderr}");
    let findings: Value = serde_json::from_str(&stdout).unwrap();
    let stale: Vec<&Value> = findings
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "registry-stale")
        .collect();
    assert_eq!(stale.len(), 1, "{stdout}");
    assert_eq!(stale[0]["severity"], "information");
    assert_eq!(stale[0]["start_line"], 3);
    assert!(
        stale[0]["message"].as_str().unwrap().contains(
            "still shows `shop-api:5570` for app Shop; the file now gives `shop-api:5571`"
        ),
        "{stdout}"
    );
    // After a refresh PortOS shows what the file gives: nothing stale.
    fake.on_refresh("shop-1", fresh_processes());
    live::refresh_app(&access(&fake.url()), "shop-1", TIMEOUT).unwrap();
    let (_, stdout, _) = run(
        &scratch.0,
        &["check", ".", "--output-format", "concise"],
        &[],
    );
    assert!(!stdout.contains("registry-stale"), "{stdout}");
    // The registry off: never reported.
    std::fs::write(scratch.0.join("portos-lsp.toml"), "").unwrap();
    serve_stale_shop(&fake, &scratch);
    let (_, off, _) = run(
        &scratch.0,
        &["check", ".", "--output-format", "concise"],
        &[],
    );
    assert!(!off.contains("registry-stale"), "{off}");
    let (_, flag, _) = run(
        &scratch.0,
        &["check", ".", "--output-format", "concise", "--registry"],
        &[],
    );
    // `--registry` reads the default URL, where no fake runs: one warning, no finding.
    assert!(!flag.contains("registry-stale"), "{flag}");
}

#[test]
fn ports_registry_prints_the_table_then_the_differences() {
    let fake = FakePortos::start(Mode::Http, vec![]);
    let scratch = stale_shop(&fake, "");
    std::fs::write(
        scratch.0.join("portos-lsp.toml"),
        format!("[portos]\napi_url = \"{}\"\n", fake.url()),
    )
    .unwrap();
    let (code, stdout, stderr) = run(&scratch.0, &["ports", "shop", "--registry"], &[]);
    assert_eq!(code, 0, "{stderr}");
    let url = fake.url();
    let expected = format!(
        "shop/ecosystem.config.cjs\n  shop-api:5571\n  shop-ui:5572\n\nPortOS's registry (PortOS at {url})\n  shop/ecosystem.config.cjs:3:14: PortOS's registry still shows `shop-api:5570` for app Shop; the file now gives `shop-api:5571` (PortOS reads the file again only when the app is refreshed) (refresh app shop-1 in PortOS)\n"
    );
    assert_eq!(stdout, expected);
    let (_, json_out, _) = run(&scratch.0, &["ports", "shop", "--registry", "--json"], &[]);
    let last: Value = serde_json::from_str(json_out.lines().last().unwrap()).unwrap();
    assert_eq!(last["registryDifferences"][0]["id"], "shop-1");
    assert_eq!(last["registryDifferences"][0]["line"], 3);
    // Without the flag `ports` prints the table alone and asks nobody.
    let before = fake.requests().len();
    let (_, plain, _) = run(&scratch.0, &["ports", "shop"], &[]);
    assert_eq!(
        plain,
        "shop/ecosystem.config.cjs\n  shop-api:5571\n  shop-ui:5572\n"
    );
    assert_eq!(fake.requests().len(), before);
}

#[test]
fn portos_down_is_one_warning_and_no_wait() {
    let nothing = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://127.0.0.1:{}", nothing.local_addr().unwrap().port());
    drop(nothing);
    let scratch = registry_workspace(&url);
    scratch.write(
        "blog/ecosystem.config.cjs",
        "module.exports = { apps: [{ name: 'blog-api', env: { PORT: 5580 } }] };\n",
    );
    let started = Instant::now();
    let (code, _, stderr) = run(&scratch.0, &["check", "."], &[]);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(code, 0, "{stderr}");
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("not reachable"))
        .collect();
    assert_eq!(warnings.len(), 1, "one line for the whole run:\n{stderr}");
}

#[test]
fn a_silent_portos_is_time_bounded_on_the_command_line() {
    let silent = FakePortos::start(Mode::Silent, vec![]);
    let scratch = registry_workspace(&silent.url());
    let started = Instant::now();
    let (code, _, stderr) = run(&scratch.0, &["check", "."], &[]);
    let took = started.elapsed();
    assert_eq!(code, 0, "{stderr}");
    assert!(took < Duration::from_secs(6), "took {took:?}");
    assert!(stderr.contains("took longer than 2000 ms"), "{stderr}");
}

#[test]
fn the_mirror_port_comes_from_portos_http_port() {
    let tls = FakePortos::start(Mode::Tls, vec![]);
    let mirror = FakePortos::start(Mode::Http, vec![]);
    let scratch = registry_workspace(&tls.url());
    serve_stale_shop(&mirror, &scratch);
    let port = mirror.port.to_string();
    let (_, stdout, stderr) = run(
        &scratch.0,
        &["check", ".", "--output-format", "concise"],
        &[("PORTOS_HTTP_PORT", &port)],
    );
    assert!(stdout.contains("registry-stale"), "{stdout}\n{stderr}");
    assert!(!stderr.contains("warning"), "{stderr}");
}

#[test]
fn the_token_and_password_come_from_the_variables_the_configuration_names() {
    let fake = FakePortos::start(Mode::Http, vec![]);
    fake.require_auth("Basic OmNvcnJlY3Q=");
    let scratch = stale_shop(&fake, "");
    std::fs::write(
        scratch.0.join("portos-lsp.toml"),
        format!(
            "[portos]\nregistry = true\napi_url = \"{}\"\npassword_env = \"PORTOS_SHOP_PASSWORD\"\n",
            fake.url()
        ),
    )
    .unwrap();
    let (_, stdout, stderr) = run(
        &scratch.0,
        &["check", ".", "--output-format", "concise"],
        &[("PORTOS_SHOP_PASSWORD", "correct")],
    );
    assert!(stdout.contains("registry-stale"), "{stdout}\n{stderr}");
    // A project file may not name another secret.
    std::fs::write(
        scratch.0.join("portos-lsp.toml"),
        "[portos]\npassword_env = \"AWS_SECRET_ACCESS_KEY\"\n",
    )
    .unwrap();
    let (code, _, stderr) = run(&scratch.0, &["check", "."], &[]);
    assert_eq!(code, 2);
    assert!(stderr.contains("portos.password_env"), "{stderr}");
}

#[test]
fn apps_json_under_the_portos_root_needs_no_server() {
    let scratch = Scratch::new("");
    scratch.write("shop/ecosystem.config.cjs", SHOP);
    let apps = json!({ "apps": { "shop-1": {
        "name": "Shop",
        "repoPath": scratch.path("shop"),
        "processes": stale_processes(),
    } } });
    scratch.write("checkout/data/apps.json", &apps.to_string());
    std::fs::write(
        scratch.0.join("portos-lsp.toml"),
        // Nothing listens on port 9: only the file can answer.
        "[portos]\nregistry = true\nroot = \"checkout\"\napi_url = \"http://127.0.0.1:9\"\n",
    )
    .unwrap();
    let (_, stdout, stderr) = run(
        &scratch.0,
        &["check", ".", "--output-format", "concise"],
        &[],
    );
    assert!(stdout.contains("registry-stale"), "{stdout}\n{stderr}");
    assert!(!stderr.contains("not reachable"), "{stderr}");
}

#[test]
fn a_portos_root_without_its_file_is_one_warning() {
    let scratch = Scratch::new("[portos]\nroot = \"nowhere\"\n");
    scratch.write("shop/ecosystem.config.cjs", SHOP);
    let (code, _, stderr) = run(&scratch.0, &["check", "."], &[]);
    assert_eq!(code, 0, "{stderr}");
    let said: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("portos.root:"))
        .collect();
    assert_eq!(said.len(), 1, "{stderr}");
    assert!(
        said[0].contains("holds no ecosystem.config.js or ecosystem.config.cjs"),
        "{stderr}"
    );
}

#[test]
fn the_user_level_file_turns_the_registry_on_too() {
    let fake = FakePortos::start(Mode::Http, vec![]);
    let scratch = stale_shop(&fake, "");
    scratch.write(
        "user-config/portos-lsp/config.toml",
        &format!("[portos]\nregistry = true\napi_url = \"{}\"\n", fake.url()),
    );
    let user = scratch.path("user-config");
    let (_, stdout, stderr) = run(
        &scratch.0,
        &["check", "shop", "--output-format", "concise"],
        &[("XDG_CONFIG_HOME", &user)],
    );
    assert!(
        stdout.contains("information[registry-stale]"),
        "{stdout}\n{stderr}"
    );
    // `--no-config` leaves the user-level file out, and the registry with it.
    let (_, stdout, _) = run(
        &scratch.0,
        &["check", "shop", "--output-format", "concise", "--no-config"],
        &[("XDG_CONFIG_HOME", &user)],
    );
    assert!(!stdout.contains("registry-stale"), "{stdout}");
}
