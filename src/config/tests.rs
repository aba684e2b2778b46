//! Tests for the configuration module: defaults, every key from both sources, error positions, discovery
//! on real directories, layering and the loopback rule.

use super::*;
use crate::vfs::DiskVfs;
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};

const RULES: &[&str] = &[
    "syntax-error",
    "invalid-port",
    "duplicate-port",
    "port-conflict",
    "port-gap",
    "reserved-range",
    "common-port",
    "hardcoded-port",
    "unused-port-constant",
    "outside-user-range",
];

fn parse(text: &str) -> Result<LoadedConfig, ConfigError> {
    parse_project_file(text, Some(Path::new("portos-lsp.toml")), RULES)
}

fn parse_err(text: &str) -> ConfigError {
    match parse(text) {
        Ok(loaded) => panic!("expected an error, got {:?}", loaded.config),
        Err(e) => e,
    }
}

/// Line, column and message, the three things a user sees.
fn where_what(e: &ConfigError) -> (u32, u32, &str) {
    (e.line, e.column, e.message.as_str())
}

/// A fresh directory under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!(
            "portos-lsp-config-test-{}-{n}-{name}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn write(&self, relative: &str, text: &str) -> PathBuf {
        let path = self.0.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    fn mkdir(&self, relative: &str) -> PathBuf {
        let path = self.0.join(relative);
        std::fs::create_dir_all(&path).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

// ---- defaults and helpers ----

#[test]
fn defaults_follow_the_guide() {
    let c = Config::default();
    assert_eq!(c.ranges.core, PortRange::new(5554, 5560));
    assert_eq!(c.ranges.reserved, PortRange::new(5561, 5569));
    assert_eq!(c.ranges.user, PortRange::new(5570, 5599));
    let table: Vec<String> = c
        .core_ports
        .iter()
        .map(|(p, o)| format!("{p} {o}"))
        .collect();
    assert_eq!(
        table,
        [
            "5554 portos-client:ui",
            "5555 portos-server:api",
            "5556 portos-browser:cdp",
            "5557 portos-browser:health",
            "5558 portos-cos:api",
            "5559 portos-autofixer:api",
            "5560 portos-autofixer-ui:ui",
            "5561 portos-db:db",
        ]
    );
    // Spec §4's list, each entry classified.
    let services = [
        80, 443, 1433, 3306, 5000, 5432, 5672, 6379, 8443, 9200, 11211, 27017,
    ];
    let dev_defaults = [
        3000, 3001, 4000, 4173, 4200, 5173, 5174, 6006, 8000, 8080, 8081, 8888, 9000,
    ];
    for port in services {
        assert_eq!(
            c.common_port(port).map(|(_, kind)| kind),
            Some(CommonPortKind::Service),
            "{port}"
        );
    }
    for port in dev_defaults {
        assert_eq!(
            c.common_port(port).map(|(_, kind)| kind),
            Some(CommonPortKind::DevDefault),
            "{port}"
        );
    }
    assert_eq!(c.common_ports.len(), services.len() + dev_defaults.len());
    assert_eq!(c.common_port(9229), None, "the inspector is no common port");
    assert_eq!(c.convention, Convention::Auto);
    assert_eq!(c.common_port_owner(3000), Some("Node/React dev servers"));
    assert_eq!(c.common_port_owner(6379), Some("Redis"));
    assert_eq!(c.common_port_owner(5570), None);
    assert_eq!(c.connect_keys, BUILTIN_CONNECT_KEYS);
    assert_eq!(c.connect_keys.len(), 22);
    assert!(c.files.is_empty() && c.rules.is_empty() && c.app_role.is_none());
    assert_eq!(
        c.portos,
        PortosSettings {
            registry: false,
            api_url: "http://127.0.0.1:5555".into(),
            token_env: "PORTOS_TOKEN".into(),
            live_ports: false,
            password_env: "PORTOS_PASSWORD".into(),
            root: None,
        }
    );
    assert_eq!(c.max_file_bytes, 5 * 1024 * 1024);
    assert_eq!(validate_api_url(&c.portos.api_url), Ok(()));
}

#[test]
fn range_of_and_owners() {
    let c = Config::default();
    assert_eq!(c.range_of(5553), None);
    assert_eq!(c.range_of(5554), Some(RangeKind::Core));
    assert_eq!(c.range_of(5560), Some(RangeKind::Core));
    assert_eq!(c.range_of(5561), Some(RangeKind::Reserved));
    assert_eq!(c.range_of(5569), Some(RangeKind::Reserved));
    assert_eq!(c.range_of(5570), Some(RangeKind::User));
    assert_eq!(c.range_of(5599), Some(RangeKind::User));
    assert_eq!(c.range_of(5600), None);
    assert_eq!(c.range(RangeKind::User).to_string(), "5570–5599");
    assert_eq!(c.ranges.user.len(), 30);
    assert_eq!(c.ranges.user.iter().next(), Some(5570));
    assert_eq!(
        c.core_owner(5556),
        Some(&CorePort {
            process: "portos-browser".into(),
            label: "cdp".into(),
            note: None,
            source: CoreSource::Guide(Guide::V2),
        })
    );
    assert_eq!(c.core_owner(5570), None);
    assert_eq!(c.rule_level("port-gap"), None);
}

#[test]
fn connect_keys_match_segments() {
    let c = Config::default();
    for key in [
        "DB_PORT",
        "REDIS_CACHE_PORT",
        "API_UPSTREAM_PORT",
        "PG_PORT",
        "MAIN_DB_PORT",
        "ES_PORT",
        "REDIS",
    ] {
        assert!(c.is_connect_key(key), "{key}");
    }
    for key in [
        "PORT",
        "API_PORT",
        "VITE_PORT",
        "CDP_PORT",
        "ESCAPE_PORT",
        "REDISX_PORT",
        "redis_port",
        "Db_PORT",
        "_PORT",
        "",
        "__",
    ] {
        assert!(!c.is_connect_key(key), "{key}");
    }
}

// ---- the project file ----

const FULL: &str = r#"
[ranges]
core = [6000, 6009]
reserved = [6010, 6019]
user = [6020, 6099]
core_ports = { 6000 = "portos-client:ui", 6001 = "portos-server:api" }
common_ports = { 3000 = "Our Grafana", 7777 = "Legacy admin" }
connect_keys = ["BROKER", "QUEUE"]
files = ["deploy/*.pm2.js", "*.pm2.cjs"]

[rules]
hardcoded-port = "off"
port-gap = "error"
common-port = "hint"
outside-user-range = "information"
reserved-range = "warning"

[app]
role = "extension"

[portos]
registry = true
api_url = "http://localhost:6001/api"
token_env = "PORTOS_API_TOKEN"
live_ports = true
"#;

#[test]
fn every_key_from_toml() {
    let loaded = parse(FULL).unwrap();
    assert_eq!(loaded.warnings, []);
    let c = &loaded.config;
    assert_eq!(c.ranges.core, PortRange::new(6000, 6009));
    assert_eq!(c.ranges.reserved, PortRange::new(6010, 6019));
    assert_eq!(c.ranges.user, PortRange::new(6020, 6099));
    assert_eq!(c.core_ports.len(), 2, "core_ports replaces the table");
    assert_eq!(c.core_owner(6001).unwrap().to_string(), "portos-server:api");
    assert_eq!(c.core_owner(5555), None);
    assert_eq!(c.common_port_owner(3000), Some("Our Grafana"));
    assert_eq!(c.common_port_owner(7777), Some("Legacy admin"));
    assert_eq!(
        c.common_port_owner(6379),
        Some("Redis"),
        "common_ports adds to the list"
    );
    assert!(c.is_connect_key("MESSAGE_BROKER_PORT") && c.is_connect_key("REDIS_PORT"));
    assert_eq!(c.files, ["deploy/*.pm2.js", "*.pm2.cjs"]);
    assert_eq!(c.rule_level("hardcoded-port"), Some(RuleLevel::Off));
    assert_eq!(c.rule_level("port-gap"), Some(RuleLevel::Error));
    assert_eq!(c.rule_level("common-port"), Some(RuleLevel::Hint));
    assert_eq!(
        c.rule_level("outside-user-range"),
        Some(RuleLevel::Information)
    );
    assert_eq!(c.rule_level("reserved-range"), Some(RuleLevel::Warning));
    assert_eq!(c.app_role, Some(Role::Extension));
    assert!(c.portos.registry && c.portos.live_ports);
    assert_eq!(c.portos.api_url, "http://localhost:6001/api");
    assert_eq!(c.portos.token_env, "PORTOS_API_TOKEN");
    assert_eq!(loaded.path.as_deref(), Some(Path::new("portos-lsp.toml")));
}

#[test]
fn top_level_and_dotted_spellings() {
    let text = "common_ports = { 6380 = \"Sentinel\" }\nconnect_keys_replace = [\"ONLY\"]\n\
                max_file_bytes = 1024\nranges.user = [5570, 5579]\napp.role = \"core\"\n";
    let c = parse(text).unwrap().config;
    assert_eq!(c.common_port_owner(6380), Some("Sentinel"));
    assert_eq!(c.connect_keys, ["ONLY"]);
    assert!(!c.is_connect_key("DB_PORT") && c.is_connect_key("ONLY_PORT"));
    assert_eq!(c.max_file_bytes, 1024);
    assert_eq!(c.ranges.user, PortRange::new(5570, 5579));
    assert_eq!(c.app_role, Some(Role::Core));
}

#[test]
fn connect_keys_replace_then_add() {
    let text = "[ranges]\nconnect_keys_replace = [\"DB\"]\nconnect_keys = [\"BROKER\", \"DB\"]\n";
    assert_eq!(parse(text).unwrap().config.connect_keys, ["DB", "BROKER"]);
}

#[test]
fn empty_file_is_the_defaults() {
    let loaded = parse("# nothing here\n").unwrap();
    assert_eq!(loaded.config, Config::default());
    assert_eq!(loaded.layer, ConfigLayer::default());
}

#[test]
fn range_first_after_last() {
    let e = parse_err("# Ünïcödé ✓ comment\n[ranges]\nuser = [5599, 5570]\n");
    assert_eq!(
        where_what(&e),
        (
            3,
            8,
            "ranges.user: expected [first, last] with first ≤ last, got [5599, 5570]"
        )
    );
    assert_eq!(e.path.as_deref(), Some(Path::new("portos-lsp.toml")));
    assert_eq!(
        e.to_string(),
        "portos-lsp.toml:3:8: ranges.user: expected [first, last] with first ≤ last, got [5599, 5570]"
    );
}

#[test]
fn range_shape_errors() {
    let e = parse_err("[ranges]\ncore = [5554]\n");
    assert_eq!(
        where_what(&e),
        (
            2,
            8,
            "ranges.core: expected [first, last] with first ≤ last, got [5554]"
        )
    );
    let e = parse_err("[ranges]\ncore = \"5554-5560\"\n");
    assert_eq!(
        where_what(&e),
        (
            2,
            8,
            "ranges.core: expected [first, last] with first ≤ last, got \"5554-5560\""
        )
    );
}

#[test]
fn out_of_range_numbers() {
    // Non-ASCII earlier on the same line: the column counts characters, not bytes.
    let e = parse_err("[ranges]\nreserved = [5561, 5569] ; user = 1\n");
    assert_eq!(e.line, 2, "{e}");
    let e = parse_err("# ✓✓✓\n[ranges]\nuser = [5570, 70000]\n");
    assert_eq!(
        where_what(&e),
        (
            3,
            15,
            "ranges.user: 70000 is not a port number (ports are 1–65535)"
        )
    );
    let e = parse_err("[ranges]\nuser = [0, 10]\n");
    assert_eq!(
        where_what(&e),
        (
            2,
            9,
            "ranges.user: 0 is not a port number (ports are 1–65535)"
        )
    );
    let e = parse_err("max_file_bytes = 0\n");
    assert_eq!(
        where_what(&e),
        (
            1,
            18,
            "max_file_bytes: expected a size in bytes from 1 to 1073741824, got 0"
        )
    );
    let e = parse_err("common_ports = { \"é\" = \"x\", 99999 = \"y\" }\n");
    assert_eq!(
        where_what(&e),
        (
            1,
            18,
            "common_ports: key \"é\" is not a port number (ports are 1–65535)"
        )
    );
    let e =
        parse_err("common_ports = { \"ü\" = \"x\" }\n[ranges]\ncommon_ports = { 99999 = \"y\" }");
    assert_eq!(e.line, 1, "the first error in the file is reported: {e}");
}

#[test]
fn wrong_types() {
    let e = parse_err("# “quoted” ✓\n[portos]\nregistry = \"yes\"\n");
    assert_eq!(
        where_what(&e),
        (
            3,
            12,
            "portos.registry: expected true or false, got a string"
        )
    );
    let e = parse_err("[app]\nrole = 1\n");
    assert_eq!(
        where_what(&e),
        (2, 8, "app.role: expected a string, got an integer")
    );
    let e = parse_err("ranges = 5\n");
    assert_eq!(
        where_what(&e),
        (1, 10, "ranges: expected a table, got an integer")
    );
    let e = parse_err("[ranges]\nfiles = \"*.js\"\n");
    assert_eq!(
        where_what(&e),
        (
            2,
            9,
            "ranges.files: expected an array of strings, got a string"
        )
    );
    let e = parse_err("[ranges]\nconnect_keys = [\"ok\", 1]\n");
    assert_eq!(e.line, 2);
    let e = parse_err("[rules]\nport-gap = 1979-05-27\n");
    assert_eq!(
        where_what(&e),
        (2, 12, "rules.port-gap: expected a string, got a datetime")
    );
    let e = parse_err("[app]\nrole = \"admin\"\n");
    assert_eq!(
        e.message,
        "app.role: unknown role \"admin\"; expected core, extension or user"
    );
}

#[test]
fn core_ports_values() {
    // The bad value comes after a non-ASCII one on the same line.
    let e = parse_err(
        "[ranges]\ncore_ports = { 5554 = \"pörtös-cliént:ui\", 5555 = \"portos-server\" }\n",
    );
    assert_eq!(
        where_what(&e),
        (
            2,
            50,
            "ranges.core_ports.5555: expected \"process:label\" such as \"portos-server:api\", got \"portos-server\""
        )
    );
    let c = parse("core_ports = { 5554 = \"a:b:ui\" }\n")
        .unwrap()
        .config;
    assert_eq!(c.core_owner(5554).unwrap().process, "a:b");
}

#[test]
fn unknown_rule_and_level() {
    let e = parse_err("# ✓ rules\n[rules]\nport-gapp = \"off\"\n");
    assert_eq!(
        where_what(&e),
        (
            3,
            1,
            "rules: unknown rule \"port-gapp\"; did you mean \"port-gap\"?"
        )
    );
    let e = parse_err("[rules]\n\"común\" = \"off\"\nport-gap = \"warn\"\n");
    assert_eq!(where_what(&e).0, 2);
    let e = parse_err("[rules] # ✓✓\nport-gap    =  \"warn\"\n");
    assert_eq!(
        where_what(&e),
        (
            2,
            16,
            "rules.port-gap: unknown level \"warn\"; expected error, warning, information, hint or off"
        )
    );
    let e = parse_err("[rules]\nport-gap = \"Error\"\n");
    assert!(e.message.contains("unknown level \"Error\""), "{e}");
}

#[test]
fn invalid_toml_reports_the_parser_position() {
    let e = parse_err("# ✓ ünïcödé\n[ranges]\nuser = [5570, 5599\n");
    assert_eq!((e.line, e.column), (3, 19), "{e}");
    assert!(e.message.starts_with("not valid TOML: "), "{e}");
    let e = parse_err("name = \"ü\" = 3\n");
    assert_eq!((e.line, e.column), (1, 12), "{e}");
    let e = parse_err("[app]\nrole = \"user\"\n[app]\n");
    assert_eq!(e.line, 3, "duplicate table: {e}");
    assert!(e.message.starts_with("not valid TOML: "), "{e}");
}

#[test]
fn bad_connect_keys_and_globs() {
    let e = parse_err("connect_keys = [\"BROKER\", \"broker\"]\n");
    assert_eq!(
        where_what(&e),
        (
            1,
            27,
            "connect_keys[1]: \"broker\" is not a connect key: use upper-case letters and digits, as env keys are matched case-sensitively, such as \"BROKER\""
        )
    );
    let e = parse_err("connect_keys = [\"MY_DB\"]\n");
    assert!(e.message.contains("one segment without '_'"), "{e}");
    let e = parse_err("files = [\"ok/*.js\", \"deploy/[.js\"]\n");
    assert_eq!((e.line, e.column), (1, 21), "{e}");
    assert!(
        e.message
            .starts_with("files[1]: \"deploy/[.js\" is not a valid glob: "),
        "{e}"
    );
}

#[test]
fn same_setting_twice_is_an_error() {
    let e = parse_err("common_ports = { 1 = \"a\" }\n[ranges]\ncommon_ports = { 2 = \"b\" }\n");
    assert_eq!(
        where_what(&e),
        (
            3,
            1,
            "ranges.common_ports: this setting is also given as common_ports (line 1, column 1); keep only one"
        )
    );
}

#[test]
fn unknown_keys_are_warnings() {
    let text = "# ✓\nrange = 1\n[ranges]\nusr = [1, 2]\nuser = [5570, 5580]\n[portos]\napi-url = \"x\"\n[extra]\nx = 1\n";
    let loaded = parse(text).unwrap();
    let got: Vec<(u32, u32, &str)> = loaded
        .warnings
        .iter()
        .map(|w| (w.line, w.column, w.message.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (
                2,
                1,
                "range: unknown setting, ignored; did you mean \"ranges\"?"
            ),
            (
                4,
                1,
                "ranges.usr: unknown setting, ignored; did you mean \"ranges.user\"?"
            ),
            (
                7,
                1,
                "portos.api-url: unknown setting, ignored; did you mean \"portos.api_url\"?"
            ),
            (8, 2, "extra: unknown setting, ignored"),
        ]
    );
    assert_eq!(loaded.config.ranges.user, PortRange::new(5570, 5580));
}

#[test]
fn overlapping_ranges_warn() {
    let loaded = parse("[ranges]\nuser = [5560, 5599]\n").unwrap();
    assert_eq!(loaded.warnings.len(), 1);
    let w = &loaded.warnings[0];
    assert_eq!((w.line, w.column), (2, 1));
    assert_eq!(
        w.message,
        "ranges: core 5554–5560 and user 5560–5599, reserved 5561–5569 and user 5560–5599 overlap; \
         a port in two ranges counts as core, then reserved, then user"
    );
    assert_eq!(loaded.config.range_of(5560), Some(RangeKind::Core));
}

// ---- security ----

#[test]
fn api_url_must_be_loopback_in_the_file() {
    for (url, ok) in [
        ("http://127.0.0.1", true),
        ("http://127.8.9.10:5555/api", true),
        ("http://localhost:5555", true),
        ("http://[::1]:5555/", true),
        ("https://127.0.0.1:5555", false),
        ("http://10.0.0.1:5555", false),
        ("http://example.com", false),
        ("http://127.0.0.1@evil.com", false),
        ("http://localhost.evil.com", false),
    ] {
        let text = format!("[portos]\napi_url = \"{url}\"\n");
        match parse(&text) {
            Ok(loaded) => {
                assert!(ok, "{url} accepted");
                assert_eq!(loaded.config.portos.api_url, url);
            }
            Err(e) => {
                assert!(!ok, "{url} refused: {e}");
                assert_eq!((e.line, e.column), (2, 11));
                assert!(
                    e.message
                        .starts_with(&format!("portos.api_url: refused \"{url}\": ")),
                    "{e}"
                );
                assert!(e.message.contains("loopback only"), "{e}");
            }
        }
    }
}

#[test]
fn project_file_cannot_choose_another_secret() {
    let e = parse_err("[portos]\ntoken_env = \"AWS_SECRET_ACCESS_KEY\"\n");
    assert_eq!((e.line, e.column), (2, 13));
    assert!(
        e.message
            .starts_with("portos.token_env: a project file may only name a PORTOS_* variable"),
        "{e}"
    );
    // The editor is the user's own choice.
    let s = parse_editor_settings(&json!({"tokenEnv": "MY_TOKEN"}), RULES);
    assert_eq!(s.errors, []);
    assert_eq!(Config::layered(&[&s.layer]).portos.token_env, "MY_TOKEN");
    let s = parse_editor_settings(&json!({"tokenEnv": "1BAD"}), RULES);
    assert_eq!(s.errors.len(), 1);
}

#[test]
fn a_hand_built_layer_cannot_bypass_the_rule() {
    let layer = ConfigLayer {
        api_url: Some("http://evil.example:5555".into()),
        ..ConfigLayer::default()
    };
    assert_eq!(
        Config::layered(&[&layer]).portos.api_url,
        "http://127.0.0.1:5555"
    );
}

// ---- editor settings ----

#[test]
fn editor_keys_in_camel_case() {
    let s = parse_editor_settings(
        &json!({
            "ranges": {
                "core": [7000, 7004],
                "reserved": [7005, 7009],
                "user": [7010, 7099],
                "corePorts": {"7000": "portos-client:ui"}
            },
            "commonPorts": {"7777": "Admin"},
            "connectKeys": ["BROKER"],
            "files": ["*.pm2.js"],
            "rules": {"port-gap": "off"},
            "app": {"role": "user"},
            "registry": true,
            "apiUrl": "http://[::1]:7001",
            "tokenEnv": "PORTOS_TOKEN_2",
            "livePorts": true,
            "maxFileBytes": 2048,
            "configPath": "/etc/portos-lsp.toml"
        }),
        RULES,
    );
    assert_eq!(s.errors, []);
    assert_eq!(s.warnings, []);
    let c = Config::layered(&[&s.layer]);
    assert_eq!(c.ranges.core, PortRange::new(7000, 7004));
    assert_eq!(c.ranges.reserved, PortRange::new(7005, 7009));
    assert_eq!(c.ranges.user, PortRange::new(7010, 7099));
    assert_eq!(c.core_ports.len(), 1);
    assert_eq!(c.common_port_owner(7777), Some("Admin"));
    assert!(c.is_connect_key("BROKER_PORT") && c.is_connect_key("DB_PORT"));
    assert_eq!(c.files, ["*.pm2.js"]);
    assert_eq!(c.rule_level("port-gap"), Some(RuleLevel::Off));
    assert_eq!(c.app_role, Some(Role::User));
    assert!(c.portos.registry && c.portos.live_ports);
    assert_eq!(c.portos.api_url, "http://[::1]:7001");
    assert_eq!(c.portos.token_env, "PORTOS_TOKEN_2");
    assert_eq!(c.max_file_bytes, 2048);
    assert_eq!(
        s.config_path.as_deref(),
        Some(Path::new("/etc/portos-lsp.toml"))
    );
}

#[test]
fn editor_wrapper_dotted_keys_and_client_only_keys() {
    let wrapped = parse_editor_settings(
        &json!({"portos": {"registry": true, "ranges.user": [5570, 5575], "connectKeysReplace": ["X"],
                 "server": {"path": "/bin/x"}, "server.extraArgs": [], "trace": {"server": "verbose"},
                 "trace.server": "off", "logLevel": "debug", "configPath": null}}),
        RULES,
    );
    assert_eq!(wrapped.warnings, []);
    assert_eq!(wrapped.errors, []);
    assert_eq!(wrapped.config_path, None);
    let c = Config::layered(&[&wrapped.layer]);
    assert!(c.portos.registry);
    assert_eq!(c.ranges.user, PortRange::new(5570, 5575));
    assert_eq!(c.connect_keys, ["X"]);
    assert_eq!(
        parse_editor_settings(&serde_json::Value::Null, RULES),
        EditorSettings::default()
    );
    let bad = parse_editor_settings(&json!([1, 2]), RULES);
    assert_eq!(
        bad.errors[0].to_string(),
        "editor settings: portos: expected an object of settings, got an array"
    );
}

#[test]
fn editor_unknown_keys_warn_and_bad_values_drop_only_themselves() {
    let s = parse_editor_settings(
        &json!({"livePort": true, "registry": "yes", "apiUrl": "https://127.0.0.1",
                "rules": {"nope": "off", "port-gap": "hint"}, "ranges": {"user": [5599, 5570]}, "livePorts": true}),
        RULES,
    );
    let warnings: Vec<&str> = s.warnings.iter().map(|w| w.message.as_str()).collect();
    assert_eq!(
        warnings,
        ["portos.livePort: unknown setting, ignored; did you mean \"livePorts\"?"]
    );
    let errors: Vec<&str> = s.errors.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(errors.len(), 4, "{errors:#?}");
    assert!(errors.contains(&"portos.registry: expected true or false, got a string"));
    assert!(errors.contains(
        &"portos.ranges.user: expected [first, last] with first ≤ last, got [5599, 5570]"
    ));
    assert!(errors.contains(&"portos.rules: unknown rule \"nope\""));
    assert!(errors.iter().any(|e| e.starts_with(
        "portos.apiUrl: refused \"https://127.0.0.1\": https is not supported; PortOS's registry is read over plain HTTP from loopback only"
    )));
    assert!(s.errors.iter().all(|e| e.path.is_none() && e.line == 0));
    let c = Config::layered(&[&s.layer]);
    assert!(c.portos.live_ports, "the valid setting still applies");
    assert_eq!(
        c.rule_level("port-gap"),
        Some(RuleLevel::Hint),
        "and the valid rule"
    );
    assert_eq!(c.portos.api_url, "http://127.0.0.1:5555", "default stays");
    assert_eq!(c.ranges.user, PortRange::new(5570, 5599));
}

#[test]
fn editor_overrides_what_it_sets_and_nothing_else() {
    let file = parse(FULL).unwrap();
    let editor = parse_editor_settings(
        &json!({"registry": false, "rules": {"port-gap": "hint"}, "commonPorts": {"7777": "Mine"},
                "connectKeys": ["EXTRA"], "files": ["more/*.js"], "ranges": {"user": null},
                "apiUrl": null, "app": {}}),
        RULES,
    );
    assert_eq!(editor.errors, []);
    let c = file.with_editor(&editor.layer);
    // Set in the editor: overridden.
    assert!(!c.portos.registry);
    assert_eq!(c.rule_level("port-gap"), Some(RuleLevel::Hint));
    assert_eq!(c.common_port_owner(7777), Some("Mine"));
    // Set in the file only: kept.
    assert!(c.portos.live_ports);
    assert_eq!(c.rule_level("hardcoded-port"), Some(RuleLevel::Off));
    assert_eq!(c.common_port_owner(3000), Some("Our Grafana"));
    assert_eq!(c.ranges.user, PortRange::new(6020, 6099), "null is unset");
    assert_eq!(c.portos.api_url, "http://localhost:6001/api");
    assert_eq!(c.app_role, Some(Role::Extension));
    assert_eq!(c.core_ports.len(), 2);
    // Lists accumulate.
    assert!(c.is_connect_key("BROKER_PORT") && c.is_connect_key("EXTRA_PORT"));
    assert_eq!(c.files, ["deploy/*.pm2.js", "*.pm2.cjs", "more/*.js"]);
    // Lowest layer untouched by the merge.
    assert!(file.config.portos.registry);
}

#[test]
fn editor_accepts_loopback_and_refuses_the_rest() {
    for url in [
        "http://127.0.0.1",
        "http://127.8.9.10:1234",
        "http://localhost/x",
        "http://[::1]",
    ] {
        let s = parse_editor_settings(&json!({ "apiUrl": url }), RULES);
        assert_eq!(s.errors, [], "{url}");
        assert_eq!(Config::layered(&[&s.layer]).portos.api_url, url);
    }
    for url in [
        "https://localhost",
        "http://10.0.0.1",
        "http://example.com",
        "http://127.0.0.1@evil.com",
        "http://localhost.evil.com",
    ] {
        let s = parse_editor_settings(&json!({ "apiUrl": url }), RULES);
        assert_eq!(s.errors.len(), 1, "{url}");
        assert!(
            s.errors[0].message.starts_with("portos.apiUrl: refused"),
            "{url}"
        );
        assert_eq!(
            Config::layered(&[&s.layer]).portos.api_url,
            "http://127.0.0.1:5555"
        );
    }
}

#[test]
fn editor_numbers_as_floats() {
    let s = parse_editor_settings(&json!({"ranges": {"user": [5570.0, 5580.0]}}), RULES);
    assert_eq!(s.errors, []);
    assert_eq!(
        Config::layered(&[&s.layer]).ranges.user,
        PortRange::new(5570, 5580)
    );
    let s = parse_editor_settings(&json!({"ranges": {"user": [5570.5, 5580]}}), RULES);
    assert_eq!(s.errors.len(), 1);
}

// ---- discovery ----

#[test]
fn discovery_finds_the_nearest_file_upward() {
    let tmp = TempDir::new("discover");
    let top = tmp.write("portos-lsp.toml", "[app]\nrole = \"core\"\n");
    let nested = tmp.write("apps/one/.portos-lsp.toml", "[app]\nrole = \"user\"\n");
    let file = tmp.write("apps/one/src/ecosystem.config.cjs", "");
    let other = tmp.write("apps/two/ecosystem.config.cjs", "");

    let found = find_config_file(&DiskVfs::new(), &file).unwrap();
    assert_eq!(found.path, nested);
    assert_eq!(found.shadowed, None);
    assert_eq!(find_config_file(&DiskVfs::new(), &other).unwrap().path, top);
    assert_eq!(
        find_config_file(&DiskVfs::new(), &tmp.0.join("apps/two"))
            .unwrap()
            .path,
        top
    );

    let loaded = load_for(&DiskVfs::new(), &file, ConfigSource::Discover, RULES).unwrap();
    assert_eq!(loaded.config.app_role, Some(Role::User));
    assert_eq!(loaded.path.as_deref(), Some(nested.as_path()));
    let loaded = load_for(&DiskVfs::new(), &other, ConfigSource::Discover, RULES).unwrap();
    assert_eq!(loaded.config.app_role, Some(Role::Core));

    let explicit = load_for(
        &DiskVfs::new(),
        &other,
        ConfigSource::Path(nested.clone()),
        RULES,
    )
    .unwrap();
    assert_eq!(explicit.config.app_role, Some(Role::User));
    let none = load_for(&DiskVfs::new(), &other, ConfigSource::None, RULES).unwrap();
    assert_eq!(none, LoadedConfig::defaults());
}

#[test]
fn both_names_in_one_directory() {
    let tmp = TempDir::new("both");
    let visible = tmp.write("portos-lsp.toml", "[app]\nrole = \"core\"\n");
    let hidden = tmp.write(".portos-lsp.toml", "[app]\nrole = \"user\"\n");
    let file = tmp.write("ecosystem.config.cjs", "");
    let found = find_config_file(&DiskVfs::new(), &file).unwrap();
    assert_eq!(found.path, visible);
    assert_eq!(found.shadowed.as_deref(), Some(hidden.as_path()));
    let loaded = load_for(&DiskVfs::new(), &file, ConfigSource::Discover, RULES).unwrap();
    assert_eq!(loaded.config.app_role, Some(Role::Core));
    assert_eq!(loaded.warnings.len(), 1);
    let w = &loaded.warnings[0];
    assert_eq!(w.path.as_deref(), Some(hidden.as_path()));
    assert_eq!(
        w.message,
        format!(
            "ignored: {} in the same directory takes precedence; merge the two and delete one",
            visible.display()
        )
    );
}

#[test]
fn load_errors_name_the_file() {
    let tmp = TempDir::new("errors");
    let config = tmp.write("portos-lsp.toml", "# ✓\n[ranges]\nuser = [5599, 5570]\n");
    let file = tmp.write("ecosystem.config.cjs", "");
    let e = load_for(&DiskVfs::new(), &file, ConfigSource::Discover, RULES).unwrap_err();
    assert_eq!(e.path.as_deref(), Some(config.as_path()));
    assert_eq!((e.line, e.column), (3, 8));

    let missing = tmp.0.join("nope.toml");
    let e = load_for(
        &DiskVfs::new(),
        &file,
        ConfigSource::Path(missing.clone()),
        RULES,
    )
    .unwrap_err();
    assert_eq!(e.path.as_deref(), Some(missing.as_path()));
    assert_eq!(e.line, 0);
    assert!(
        e.message
            .starts_with("cannot read the configuration file: "),
        "{e}"
    );

    let binary = tmp.0.join("bin.toml");
    std::fs::write(&binary, b"a = 1\0").unwrap();
    assert!(read_project_file(&DiskVfs::new(), &binary, RULES).is_err());
    let latin1 = tmp.0.join("latin1.toml");
    std::fs::write(&latin1, b"a = \"\xe9\"").unwrap();
    assert!(read_project_file(&DiskVfs::new(), &latin1, RULES).is_err());
}

#[test]
fn workspace_root_prefers_config_then_git_then_own_dir() {
    let tmp = TempDir::new("root");
    tmp.mkdir("repo/.git");
    tmp.write("repo/sub/portos-lsp.toml", "");
    let in_sub = tmp.write("repo/sub/app/ecosystem.config.cjs", "");
    let in_repo = tmp.write("repo/other/ecosystem.config.cjs", "");
    let worktree = tmp.write("wt/.git", "gitdir: /elsewhere\n");
    let in_worktree = tmp.write("wt/app/ecosystem.config.cjs", "");
    let loose = tmp.write("loose/ecosystem.config.cjs", "");
    let hidden_only = tmp.write("hidden/.portos-lsp.toml", "");
    let in_hidden = tmp.write("hidden/deep/x/ecosystem.config.js", "");

    assert_eq!(
        workspace_root(&DiskVfs::new(), &in_sub),
        tmp.0.join("repo/sub")
    );
    assert_eq!(
        workspace_root(&DiskVfs::new(), &in_repo),
        tmp.0.join("repo")
    );
    assert_eq!(
        workspace_root(&DiskVfs::new(), &in_worktree),
        worktree.parent().unwrap()
    );
    assert_eq!(
        workspace_root(&DiskVfs::new(), &in_hidden),
        hidden_only.parent().unwrap()
    );
    assert_eq!(
        workspace_root(&DiskVfs::new(), &tmp.0.join("repo/sub/app")),
        tmp.0.join("repo/sub")
    );
    // No marker anywhere above (the system temp dir has none): the file's own directory.
    if !std::env::temp_dir()
        .ancestors()
        .any(|d| d.join(".git").exists())
    {
        assert_eq!(workspace_root(&DiskVfs::new(), &loose), tmp.0.join("loose"));
    }
    // A file that does not exist yet (an unsaved buffer) still gets a root.
    assert_eq!(
        workspace_root(
            &DiskVfs::new(),
            &tmp.0.join("repo/new/ecosystem.config.cjs")
        ),
        tmp.0.join("repo")
    );
}

// ---- file globs ----

#[test]
fn file_globs_match_paths_and_names() {
    let c = parse("files = [\"deploy/*.pm2.js\", \"*.pm2.cjs\", \"./ops/**/pm2.*.js\"]\n")
        .unwrap()
        .config;
    let globs = c.file_globs();
    assert!(!globs.is_empty());
    assert!(globs.matches(Path::new("deploy/web.pm2.js")));
    assert!(!globs.matches(Path::new("deploy/sub/web.pm2.js")));
    assert!(!globs.matches(Path::new("other/deploy/web.pm2.js")));
    assert!(globs.matches(Path::new("a/b/c/api.pm2.cjs")));
    assert!(globs.matches(Path::new("ops/x/y/pm2.prod.js")));
    assert!(!globs.matches(Path::new("web.js")));
    assert!(Config::default().file_globs().is_empty());
}

// ---- robustness ----

#[test]
fn never_panics_on_broken_input() {
    let mut texts: Vec<String> = Vec::new();
    for end in 0..=FULL.len() {
        if FULL.is_char_boundary(end) {
            texts.push(FULL[..end].to_string());
        }
    }
    texts.extend(
        [
            "[ranges]\nuser = [99999999999999999999999999999999999999999, 1]",
            "[ranges]\nuser = [-1, 5]",
            "[ranges]\nuser = [1.5, 5]",
            "[ranges]\nuser = [[1], 5]",
            "[ranges]\nuser = []",
            "[[ranges]]\nuser = [1, 2]",
            "rules = [\"off\"]",
            "[rules]\n[rules.port-gap]\nlevel = \"off\"",
            "core_ports = { \"\" = \":\" }",
            "core_ports = { 1 = \":x\" }",
            "common_ports = { 1 = \"  \" }",
            "files = [\"\"]",
            "files = [\"**\", \"{a,b\"]",
            "max_file_bytes = 1e9",
            "portos = { api_url = 5 }",
            "\u{feff}[app]\nrole = \"user\"",
            "a = \"\u{0}\"",
            "\r\n\r\n[ranges]\r\nuser = [5599, 5570]\r\n",
        ]
        .map(String::from),
    );
    for text in &texts {
        let _ = parse(text);
    }
    for value in [
        json!(1),
        json!("x"),
        json!({"ranges": 5}),
        json!({"ranges": {"user": [1]}}),
        json!({"rules": []}),
        json!({"commonPorts": {"x": 1}}),
        json!({"corePorts": {"70000": "a:b"}}),
        json!({"maxFileBytes": -1}),
        json!({"maxFileBytes": 1e300}),
        json!({"portos": 5}),
        json!({"portos": {"portos": {"registry": true}}}),
        json!({"configPath": 5}),
    ] {
        let _ = parse_editor_settings(&value, RULES);
    }
}

#[test]
fn bom_and_crlf_positions() {
    let e = parse_err("\u{feff}# ✓\r\n[ranges]\r\nuser = [5599, 5570]\r\n");
    assert_eq!((e.line, e.column), (3, 8));
}

#[test]
fn deep_nesting_does_not_overflow() {
    let depth = 100_000;
    let text = format!("a = {}{}\n", "[".repeat(depth), "]".repeat(depth));
    let _ = parse(&text);
    let inline = format!("a = {}1{}\n", "{b = ".repeat(depth), "}".repeat(depth));
    let _ = parse(&inline);
}

#[test]
fn convention_and_dev_ports() {
    let c = parse("[app]\nconvention = \"portos\"\n").unwrap().config;
    assert_eq!(c.convention, Convention::Portos);
    let c = parse("app.convention = \"plain\"\n").unwrap().config;
    assert_eq!(c.convention, Convention::Plain);
    let e = parse_err("[app]\nconvention = \"yes\"\n");
    assert_eq!(
        where_what(&e),
        (
            2,
            14,
            "app.convention: unknown convention \"yes\"; expected auto, portos or plain"
        )
    );
    // `dev_ports` adds a dev-default entry, `common_ports` a service one; either may reclassify a built-in.
    let c = parse(
        "dev_ports = { 4001 = \"Phoenix\", 5432 = \"our dev database\" }\n\
         common_ports = { 4002 = \"Grafana\", 3000 = \"our Grafana\" }\n",
    )
    .unwrap()
    .config;
    assert_eq!(
        c.common_port(4001),
        Some(("Phoenix", CommonPortKind::DevDefault))
    );
    assert_eq!(
        c.common_port(5432),
        Some(("our dev database", CommonPortKind::DevDefault))
    );
    assert_eq!(
        c.common_port(4002),
        Some(("Grafana", CommonPortKind::Service))
    );
    assert_eq!(
        c.common_port(3000),
        Some(("our Grafana", CommonPortKind::Service))
    );
    let c = parse("[ranges]\ndev_ports = { 4001 = \"x\" }\n")
        .unwrap()
        .config;
    assert_eq!(c.common_port(4001), Some(("x", CommonPortKind::DevDefault)));
    let e = parse_err("dev_ports = { 99999 = \"x\" }\n");
    assert!(e.message.starts_with("dev_ports: key \"99999\""), "{e}");
    // The editor's names.
    let settings = parse_editor_settings(
        &json!({ "app": { "convention": "plain" }, "devPorts": { "4001": "Phoenix" } }),
        RULES,
    );
    assert!(settings.errors.is_empty(), "{:?}", settings.errors);
    let c = Config::layered(&[&settings.layer]);
    assert_eq!(c.convention, Convention::Plain);
    assert_eq!(
        c.common_port(4001),
        Some(("Phoenix", CommonPortKind::DevDefault))
    );
    let settings = parse_editor_settings(&json!({ "app.convention": "portos" }), RULES);
    assert_eq!(
        Config::layered(&[&settings.layer]).convention,
        Convention::Portos
    );
}

#[test]
fn the_user_file_has_the_project_schema_and_may_name_any_token_variable() {
    let dir = TempDir::new("user-file");
    let vfs = DiskVfs::new();
    assert_eq!(
        read_user_file(&vfs, &dir.0.join("portos-lsp/config.toml"), RULES),
        Ok(None),
        "no user file is the usual case"
    );
    let path = dir.write(
        "portos-lsp/config.toml",
        "[app]\nconvention = \"portos\"\n[portos]\ntoken_env = \"MY_TOKEN\"\n",
    );
    let loaded = read_user_file(&vfs, &path, RULES).unwrap().unwrap();
    assert_eq!(loaded.config.convention, Convention::Portos);
    assert_eq!(loaded.config.portos.token_env, "MY_TOKEN");
    assert!(
        parse("[portos]\ntoken_env = \"MY_TOKEN\"\n").is_err(),
        "a project file still may not"
    );
    let bad = dir.write("bad/config.toml", "[app]\nconvention = 3\n");
    let e = read_user_file(&vfs, &bad, RULES).unwrap_err();
    assert_eq!(e.path.as_deref(), Some(bad.as_path()));
    assert_eq!(
        (e.line, e.column, e.message.as_str()),
        (2, 14, "app.convention: expected a string, got an integer")
    );
}

#[test]
fn the_parse_budget_under_limits() {
    assert_eq!(Config::default().parse_ms, DEFAULT_PARSE_MS);
    let c = parse("[limits]\nparse_ms = 250\nmax_file_bytes = 4096\n")
        .unwrap()
        .config;
    assert_eq!(c.parse_ms, 250);
    assert_eq!(c.max_file_bytes, 4096);
    assert_eq!(
        c.parse_budget().limit,
        Some(std::time::Duration::from_millis(250))
    );
    let e = parse_err("[limits]\nparse_ms = 0\n");
    assert_eq!(
        where_what(&e),
        (
            2,
            12,
            "limits.parse_ms: expected milliseconds from 1 to 600000, got 0"
        )
    );
    let s = parse_editor_settings(&json!({"limits": {"parseMs": 75}}), RULES);
    assert_eq!(s.errors, []);
    assert_eq!(Config::layered(&[&s.layer]).parse_ms, 75);
}

#[test]
fn guide_presets_set_ranges_and_core_table() {
    let v1 = parse("[ranges]\nguide = \"v1\"\n").unwrap().config;
    assert_eq!(v1.guide, Guide::V1);
    assert_eq!(
        v1.core_owner(5554).unwrap().to_string(),
        "portos-server:api"
    );
    assert_eq!(v1.core_owner(5555).unwrap().to_string(), "portos-client:ui");
    assert_eq!(v1.core_owner(5561), None);
    let today = parse("[ranges]\nguide = \"portos-2026-08\"\n")
        .unwrap()
        .config;
    assert_eq!(today.ranges.core, PortRange::new(5553, 5561));
    assert_eq!(today.ranges.reserved, PortRange::new(5562, 5569));
    assert_eq!(today.range_of(5553), Some(RangeKind::Core));
    let llama = today.core_owner(5568).unwrap();
    assert_eq!(llama.who(), "portos-llama-server (api; optional)");
    assert_eq!(llama.source, CoreSource::Guide(Guide::Portos202608));
    assert_eq!(llama.source.describe(), "the guide preset portos-2026-08");
    for port in [5553, 5554, 5561, 8000, 18020, 18021] {
        assert!(today.core_owner(port).is_some(), "{port}");
    }
    assert_eq!(Config::default(), Config::for_guide(Guide::V2));
}

#[test]
fn explicit_keys_override_the_preset_from_any_source() {
    // The preset from a lower source, the range from a higher one, and the other way round.
    let preset = parse("[ranges]\nguide = \"portos-2026-08\"\n")
        .unwrap()
        .layer;
    let range = parse("[ranges]\nuser = [5570, 5589]\ncore_ports = { 5555 = \"mine:api\" }\n")
        .unwrap()
        .layer;
    for layers in [[&preset, &range], [&range, &preset]] {
        let config = Config::layered(&layers);
        assert_eq!(config.guide, Guide::Portos202608);
        assert_eq!(config.ranges.core, PortRange::new(5553, 5561));
        assert_eq!(config.ranges.user, PortRange::new(5570, 5589));
        assert_eq!(
            config.core_ports.len(),
            1,
            "core_ports replaces the preset's table"
        );
        assert_eq!(config.core_owner(5555).unwrap().source, CoreSource::Setting);
    }
    // The most specific source's preset wins.
    let v1 = parse("[ranges]\nguide = \"v1\"\n").unwrap().layer;
    assert_eq!(Config::layered(&[&preset, &v1]).guide, Guide::V1);
}

#[test]
fn guide_and_portos_settings_are_checked() {
    let error = parse_err("[ranges]\nguide = \"v3\"\n");
    let (line, column, what) = where_what(&error);
    assert_eq!((line, column), (2, 9));
    assert_eq!(
        what,
        "ranges.guide: unknown guide \"v3\"; expected v2, v1, portos-2026-08; did you mean \"v2\"?"
    );
    let message = parse_err("[portos]\npassword_env = \"AWS_SECRET\"\n").to_string();
    assert!(
        message.contains("portos.password_env: a project file may only name a PORTOS_* variable"),
        "{message}"
    );
    let ok = parse("[portos]\npassword_env = \"PORTOS_PW\"\nroot = \"../PortOS\"\n")
        .unwrap()
        .config;
    assert_eq!(ok.portos.password_env, "PORTOS_PW");
    // A relative root is the project file's directory's.
    assert_eq!(ok.portos.root, Some(PathBuf::from("../PortOS")));
    let editor = parse_editor_settings(
        &json!({"ranges": {"guide": "portos-2026-08"}, "root": "/opt/PortOS", "passwordEnv": "MY_PW"}),
        RULES,
    );
    assert!(editor.errors.is_empty(), "{:?}", editor.errors);
    let config = Config::layered(&[&editor.layer]);
    assert_eq!(config.guide, Guide::Portos202608);
    assert_eq!(config.portos.root, Some(PathBuf::from("/opt/PortOS")));
    assert_eq!(config.portos.password_env, "MY_PW");
    let bad = parse_editor_settings(&json!({"ranges": {"guide": 2}}), RULES);
    assert_eq!(bad.errors.len(), 1);
}
