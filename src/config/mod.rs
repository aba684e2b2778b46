//! Configuration: the effective settings ([`Config`]), the project file `portos-lsp.toml` and its discovery,
//! editor settings layered over it, and errors that point at the line to fix (spec §4, §7).
//!
//! Precedence, lowest first: built-in defaults < the user-level file < the project file < editor settings the
//! user set. Each source is read into a [`ConfigLayer`] whose unset fields change nothing, and layers are
//! applied in order. This module is data and pure functions apart from reading files through a Vfs (where the
//! user-level file is, the shell says); it never panics on input.

mod discovery;
mod edit;
mod error;
mod guide;
mod layer;
mod security;
mod value;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

pub use discovery::{
    CONFIG_FILE_NAMES, FoundConfig, config_in_dir, find_config_file, workspace_root,
};
pub use edit::with_convention;
pub use error::{ConfigError, ConfigWarning};
pub use guide::{CoreSource, Guide};
pub use layer::{ConfigLayer, edit_distance};
pub use security::{HttpTarget, UrlError, parse_loopback_url, validate_api_url};

use layer::{ReadLayer, Source, read_layer};
use value::{Kind, Positions, from_json, table_from_toml};

/// Env-key segments that mean "this process connects to that port" rather than serving it (spec §3).
pub const BUILTIN_CONNECT_KEYS: &[&str] = &[
    "DB",
    "PG",
    "POSTGRES",
    "MYSQL",
    "MARIADB",
    "REDIS",
    "MONGO",
    "MONGODB",
    "SMTP",
    "MAIL",
    "AMQP",
    "RABBITMQ",
    "KAFKA",
    "ELASTIC",
    "ES",
    "MEMCACHED",
    "CLICKHOUSE",
    "NATS",
    "UPSTREAM",
    "BACKEND",
    "PROXY",
    "TARGET",
];

/// The segment of `env_key`'s stem (the key without a trailing `_PORT`, split on `_`) that is in
/// `connect_keys`, if any: the one connect-key matcher, used by the labels and the configuration alike.
/// Case-sensitive, as env keys are.
pub fn connect_segment(env_key: &str, connect_keys: &[String]) -> Option<String> {
    let stem = env_key.strip_suffix("_PORT").unwrap_or(env_key);
    stem.split('_')
        .find(|segment| !segment.is_empty() && connect_keys.iter().any(|k| k == segment))
        .map(str::to_string)
}

/// The default parse budget: a file of the size limit (5 MB) parses in about 0.4 s on a 2-core machine, so
/// 2 s leaves room for a slower one, while the inputs on which tree-sitter's error recovery runs away (a few
/// hundred bytes for minutes) are stopped after 2 s (docs/decisions.md).
pub const DEFAULT_PARSE_MS: u64 = 2_000;

/// The default size limit for an ecosystem file; anything larger is generated or not an ecosystem file. The
/// one limit, defined where bytes are decoded.
pub const DEFAULT_MAX_FILE_BYTES: u64 = crate::syntax::source::DEFAULT_MAX_FILE_BYTES as u64;

/// The largest project file read; a config file is a few hundred bytes, so more means a wrong file.
const MAX_CONFIG_FILE_BYTES: usize = 1024 * 1024;

/// An inclusive range of ports, the way the port allocation guide writes them (`5570–5599`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct PortRange {
    /// First port of the range.
    pub first: u16,
    /// Last port of the range, included.
    pub last: u16,
}

impl PortRange {
    /// Builds a range; used by defaults and tests (parsed ranges are checked to have `first ≤ last`).
    pub const fn new(first: u16, last: u16) -> Self {
        PortRange { first, last }
    }

    /// Whether `port` lies in the range, both ends included.
    pub fn contains(&self, port: u16) -> bool {
        self.first <= port && port <= self.last
    }

    /// How many ports the range holds, for the allocator's "is there room" questions.
    pub fn len(&self) -> usize {
        usize::from(self.last.saturating_sub(self.first)) + usize::from(self.first <= self.last)
    }

    /// Whether the range holds no port (only possible for a range built by hand with `first > last`).
    pub fn is_empty(&self) -> bool {
        self.first > self.last
    }

    /// Whether two ranges share a port; overlapping ranges make a port's range ambiguous.
    pub fn overlaps(&self, other: &PortRange) -> bool {
        self.first <= other.last && other.first <= self.last
    }

    /// The ports in order, for the allocator's scans.
    pub fn iter(&self) -> impl Iterator<Item = u16> + use<> {
        self.first..=self.last
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}–{}", self.first, self.last)
    }
}

/// PortOS's three ranges (spec §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Ranges {
    /// PortOS's own processes.
    pub core: PortRange,
    /// Reserved for PortOS extensions.
    pub reserved: PortRange,
    /// User applications.
    pub user: PortRange,
}

impl Default for Ranges {
    /// The default guide preset's (v2).
    fn default() -> Self {
        Guide::default().ranges()
    }
}

/// Which of PortOS's ranges a port falls in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RangeKind {
    /// PortOS's own processes.
    Core,
    /// Reserved for extensions.
    Reserved,
    /// User applications.
    User,
}

impl RangeKind {
    /// The word used in messages and in the configuration (`core`, `reserved`, `user`).
    pub fn as_str(self) -> &'static str {
        match self {
            RangeKind::Core => "core",
            RangeKind::Reserved => "reserved",
            RangeKind::User => "user",
        }
    }
}

/// An entry of PortOS's core table: which PortOS process owns a port, under which label.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct CorePort {
    /// The PM2 process name (`portos-server`).
    pub process: String,
    /// The port's label (`api`).
    pub label: String,
    /// What the table notes beside the owner (`Postgres in Docker`, `optional`), if anything.
    pub note: Option<String>,
    /// Where the entry comes from: a guide preset, the `core_ports` setting, PortOS's own file.
    pub source: CoreSource,
}

impl CorePort {
    /// An entry of the `core_ports` setting.
    pub fn new(process: &str, label: &str) -> Self {
        CorePort {
            process: process.to_string(),
            label: label.to_string(),
            note: None,
            source: CoreSource::Setting,
        }
    }
}

impl fmt::Display for CorePort {
    /// `portos-server:api`, the form the project file uses.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.process, self.label)
    }
}

/// The severity a user chose for a rule; `Off` silences it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleLevel {
    /// Fails `check` (exit 1).
    Error,
    /// Shown, does not fail `check` unless `--deny warnings`.
    Warning,
    /// Shown as information.
    Information,
    /// Shown as a hint.
    Hint,
    /// Not reported at all.
    Off,
}

impl RuleLevel {
    /// Parses the lower-case word used in configuration; anything else is `None` so the caller can say
    /// which words are accepted.
    pub fn from_word(word: &str) -> Option<Self> {
        match word {
            "error" => Some(RuleLevel::Error),
            "warning" => Some(RuleLevel::Warning),
            "information" => Some(RuleLevel::Information),
            "hint" => Some(RuleLevel::Hint),
            "off" => Some(RuleLevel::Off),
            _ => None,
        }
    }

    /// The configuration word for this level.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleLevel::Error => "error",
            RuleLevel::Warning => "warning",
            RuleLevel::Information => "information",
            RuleLevel::Hint => "hint",
            RuleLevel::Off => "off",
        }
    }
}

/// What an app is to PortOS, which decides which ranges it may use (spec §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// PortOS itself.
    Core,
    /// A PortOS extension, living in the reserved range.
    Extension,
    /// A user application, living in the user range.
    User,
}

impl Role {
    /// Parses the lower-case word used in configuration.
    pub fn from_word(word: &str) -> Option<Self> {
        match word {
            "core" => Some(Role::Core),
            "extension" => Some(Role::Extension),
            "user" => Some(Role::User),
            _ => None,
        }
    }

    /// The configuration word for this role.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Core => "core",
            Role::Extension => "extension",
            Role::User => "user",
        }
    }
}

/// Where PortOS's port convention applies (spec §9): `auto` decides per workspace from what its files on disk
/// show; `portos` and `plain` decide for every workspace.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Convention {
    /// The convention's rules run in a workspace that shows the convention (a `portos-lsp.toml`, a `PORTS`
    /// table, a port in PortOS's ranges, …), and not elsewhere.
    #[default]
    Auto,
    /// The convention's rules always run.
    Portos,
    /// The convention's rules never run; every other rule does.
    Plain,
}

impl Convention {
    /// Parses the lower-case word used in configuration.
    pub fn from_word(word: &str) -> Option<Self> {
        match word {
            "auto" => Some(Convention::Auto),
            "portos" => Some(Convention::Portos),
            "plain" => Some(Convention::Plain),
            _ => None,
        }
    }

    /// The configuration word.
    pub fn as_str(self) -> &'static str {
        match self {
            Convention::Auto => "auto",
            Convention::Portos => "portos",
            Convention::Plain => "plain",
        }
    }
}

/// What kind of well-known port an entry of the common-ports list is (spec §4): which decides whether
/// `common-port` reports it for every PM2 user or only where PortOS's convention applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CommonPortKind {
    /// A port other software on the machine really listens on (PostgreSQL's 5432): a clash is a bug for anyone.
    Service,
    /// The default of a development server or framework (3000, 5173, 8080): only PortOS's convention says to
    /// keep away from it.
    DevDefault,
}

impl CommonPortKind {
    /// The word used in docs and messages (`service`, `dev-default`).
    pub fn as_str(self) -> &'static str {
        match self {
            CommonPortKind::Service => "service",
            CommonPortKind::DevDefault => "dev-default",
        }
    }
}

/// How to reach the running PortOS, for the opt-in registry and live-port checks.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PortosSettings {
    /// Read the running PortOS's `/api/apps` and treat its apps' ports as taken.
    pub registry: bool,
    /// PortOS's base URL; always plain HTTP to loopback (see [`validate_api_url`]).
    pub api_url: String,
    /// The environment variable holding the bearer token sent to `api_url`.
    pub token_env: String,
    /// Treat ports listening on this machine as taken.
    pub live_ports: bool,
    /// The environment variable holding PortOS's password (sent as Basic auth `:password`), for a PortOS whose
    /// auth is a password rather than a token.
    pub password_env: String,
    /// A PortOS checkout (`[portos] root`): its ecosystem file joins the core table and, with the registry
    /// on, its `data/apps.json` is read directly.
    pub root: Option<PathBuf>,
}

impl Default for PortosSettings {
    fn default() -> Self {
        PortosSettings {
            registry: false,
            api_url: "http://127.0.0.1:5555".to_string(),
            token_env: "PORTOS_TOKEN".to_string(),
            live_ports: false,
            password_env: "PORTOS_PASSWORD".to_string(),
            root: None,
        }
    }
}

/// The effective settings every layer reads. Build it with [`load_for`] (project file) and
/// [`Config::layered`] (editor settings on top); `Default` is the port allocation guide's convention.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Config {
    /// The guide preset whose ranges and core table are the starting point (`[ranges] guide`).
    pub guide: Guide,
    /// Core, reserved and user ranges.
    pub ranges: Ranges,
    /// PortOS's own ports and their owners, for `port-conflict` and the allocator.
    pub core_ports: BTreeMap<u16, CorePort>,
    /// Well-known ports and their usual owners, for `common-port`: service and dev-default entries alike.
    pub common_ports: BTreeMap<u16, String>,
    /// The entries of `common_ports` that are development-server defaults (spec §4); the others are services.
    pub dev_ports: BTreeSet<u16>,
    /// The effective connect-key segments (built-ins unless replaced, plus additions).
    pub connect_keys: Vec<String>,
    /// Extra ecosystem-file globs (see [`FileGlobs`] for how they match).
    pub files: Vec<String>,
    /// Per-rule levels the user chose; a rule not listed keeps its default severity.
    pub rules: BTreeMap<String, RuleLevel>,
    /// The app's declared role; `None` lets the checks infer it (core for `portos-*` processes, else user).
    pub app_role: Option<Role>,
    /// Where PortOS's convention applies (`app.convention`).
    pub convention: Convention,
    /// Access to the running PortOS.
    pub portos: PortosSettings,
    /// Ecosystem files larger than this are not read.
    pub max_file_bytes: u64,
    /// How long one file's parse may take, in milliseconds (`[limits] parse_ms`).
    pub parse_ms: u64,
    /// What PM2 itself is told about the machine and the file (`[pm2]`).
    pub pm2: Pm2Settings,
    /// Which inlay hints the editor shows (editor settings only).
    pub inlay_hints: InlayHints,
}

/// PM2's side of the configuration (`[pm2]`): the CPU count its per-CPU instances are read with, and app keys
/// `unknown-option` accepts.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Pm2Settings {
    /// How many CPUs `instances: 'max'` (or `0`, or `-k`) means.
    pub cpus: u32,
    /// App keys PM2 drops that a tool of the user's own reads, so `unknown-option` leaves them alone.
    pub extra_keys: Vec<String>,
}

/// The CPU count assumed for `instances: 'max'` when `[pm2] cpus` does not say: a small server's.
pub const DEFAULT_PM2_CPUS: u32 = 4;

impl Default for Pm2Settings {
    fn default() -> Self {
        Pm2Settings {
            cpus: DEFAULT_PM2_CPUS,
            extra_keys: Vec::new(),
        }
    }
}

/// The editor's inlay hints: the label after each served port, the number after each `PORTS.X` reference.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct InlayHints {
    /// `: api` after each served port value.
    pub labels: bool,
    /// `= 5570` after each `PORTS.X` reference.
    pub values: bool,
}

impl Default for InlayHints {
    fn default() -> Self {
        InlayHints {
            labels: true,
            values: true,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        // Spec §4's list, each entry classified: what other software really listens on, and what a
        // development server picks by default.
        let services: &[(u16, &str)] = &[
            (80, "HTTP web servers"),
            (443, "HTTPS web servers"),
            (1433, "Microsoft SQL Server"),
            (3306, "MySQL / MariaDB"),
            (5000, "Flask dev server, macOS AirPlay Receiver"),
            (5432, "PostgreSQL"),
            (5672, "RabbitMQ (AMQP)"),
            (6379, "Redis"),
            (8443, "HTTPS alternate (Tomcat, Kubernetes dashboards)"),
            (9200, "Elasticsearch"),
            (11211, "Memcached"),
            (27017, "MongoDB"),
        ];
        let dev_defaults: &[(u16, &str)] = &[
            (3000, "Node/React dev servers"),
            (3001, "Node/React dev servers (the usual second instance)"),
            (4000, "Phoenix, Gatsby and Jekyll dev servers"),
            (4173, "Vite preview"),
            (4200, "Angular dev server"),
            (5173, "Vite dev server"),
            (
                5174,
                "Vite dev server (second instance, when 5173 is taken)",
            ),
            (6006, "Storybook"),
            (8000, "Django / Python http.server dev servers"),
            (8080, "HTTP alternate (Tomcat, Jenkins, proxies)"),
            (8081, "React Native's Metro bundler"),
            (8888, "Jupyter Notebook"),
            (9000, "PHP-FPM, MinIO, SonarQube"),
        ];
        Config {
            guide: Guide::V2,
            ranges: Guide::V2.ranges(),
            core_ports: Guide::V2.core_table(),
            common_ports: services
                .iter()
                .chain(dev_defaults)
                .map(|(port, owner)| (*port, owner.to_string()))
                .collect(),
            dev_ports: dev_defaults.iter().map(|(port, _)| *port).collect(),
            connect_keys: BUILTIN_CONNECT_KEYS.iter().map(|k| k.to_string()).collect(),
            files: Vec::new(),
            rules: BTreeMap::new(),
            app_role: None,
            convention: Convention::Auto,
            portos: PortosSettings::default(),
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            parse_ms: DEFAULT_PARSE_MS,
            pm2: Pm2Settings::default(),
            inlay_hints: InlayHints::default(),
        }
    }
}

impl Config {
    /// The budget every parse of a file this configuration governs runs under.
    pub fn parse_budget(&self) -> crate::syntax::Budget {
        crate::syntax::Budget::new(std::time::Duration::from_millis(self.parse_ms))
    }

    /// Defaults with `layers` applied in order (project file, then editor settings), later ones winning. The
    /// guide preset named by the highest layer that names one is the starting point, and every explicit range
    /// or `core_ports` of any layer overrides it (spec §12).
    pub fn layered(layers: &[&ConfigLayer]) -> Self {
        let guide = layers
            .iter()
            .rev()
            .find_map(|l| l.guide)
            .unwrap_or_default();
        let mut config = Config::for_guide(guide);
        for layer in layers {
            layer.apply_to(&mut config);
        }
        config
    }

    /// Which range `port` is in. Should ranges overlap (a warning at load), core wins over reserved over
    /// user, so a PortOS port is never mistaken for a free user port.
    pub fn range_of(&self, port: u16) -> Option<RangeKind> {
        let Ranges {
            core,
            reserved,
            user,
        } = self.ranges;
        if core.contains(port) {
            Some(RangeKind::Core)
        } else if reserved.contains(port) {
            Some(RangeKind::Reserved)
        } else if user.contains(port) {
            Some(RangeKind::User)
        } else {
            None
        }
    }

    /// The range of a kind, so messages can name "the user range 5570–5599".
    pub fn range(&self, kind: RangeKind) -> PortRange {
        match kind {
            RangeKind::Core => self.ranges.core,
            RangeKind::Reserved => self.ranges.reserved,
            RangeKind::User => self.ranges.user,
        }
    }

    /// Whether an env key names a port the process connects to (`REDIS_CACHE_PORT`, `API_UPSTREAM_PORT`):
    /// the key without a trailing `_PORT`, split on `_`, has a segment in the connect-key list. Matching
    /// is case-sensitive, as env keys are.
    pub fn is_connect_key(&self, env_key: &str) -> bool {
        connect_segment(env_key, &self.connect_keys).is_some()
    }

    /// The usual owner of a well-known port (`Redis` for 6379), for `common-port` and hover.
    pub fn common_port_owner(&self, port: u16) -> Option<&str> {
        self.common_ports.get(&port).map(String::as_str)
    }

    /// A well-known port's usual owner and kind, for `common-port` (which reports dev-default entries only
    /// where PortOS's convention applies) and hover.
    pub fn common_port(&self, port: u16) -> Option<(&str, CommonPortKind)> {
        let owner = self.common_ports.get(&port)?;
        let kind = if self.dev_ports.contains(&port) {
            CommonPortKind::DevDefault
        } else {
            CommonPortKind::Service
        };
        Some((owner.as_str(), kind))
    }

    /// The PortOS process owning a port of the core table, for `port-conflict` and the allocator.
    pub fn core_owner(&self, port: u16) -> Option<&CorePort> {
        self.core_ports.get(&port)
    }

    /// The level the user chose for a rule; `None` means the rule's own default.
    pub fn rule_level(&self, code: &str) -> Option<RuleLevel> {
        self.rules.get(code).copied()
    }

    /// The extra file globs compiled for matching.
    pub fn file_globs(&self) -> FileGlobs {
        FileGlobs::new(&self.files)
    }
}

/// Compiled `files` globs. A glob with a `/` matches a path relative to the workspace root (`deploy/*.pm2.js`,
/// where `*` stays within one directory and `**` crosses them); a glob without one matches the file name in
/// any directory (`*.pm2.js`), as in `.gitignore`.
#[derive(Clone, Debug)]
pub struct FileGlobs {
    by_path: globset::GlobSet,
    by_name: globset::GlobSet,
}

impl FileGlobs {
    /// Compiles the globs; invalid ones were refused when the configuration was read, and are skipped here.
    pub fn new(globs: &[String]) -> Self {
        let mut by_path = globset::GlobSetBuilder::new();
        let mut by_name = globset::GlobSetBuilder::new();
        for glob in globs {
            let trimmed = glob.strip_prefix("./").unwrap_or(glob);
            let trimmed = trimmed.strip_prefix('/').unwrap_or(trimmed);
            if let Ok(compiled) = build_glob(trimmed) {
                if glob.contains('/') {
                    by_path.add(compiled);
                } else {
                    by_name.add(compiled);
                }
            }
        }
        FileGlobs {
            by_path: by_path
                .build()
                .unwrap_or_else(|_| globset::GlobSet::empty()),
            by_name: by_name
                .build()
                .unwrap_or_else(|_| globset::GlobSet::empty()),
        }
    }

    /// Whether a file, given relative to the workspace root, is an extra ecosystem file.
    pub fn matches(&self, relative_path: &Path) -> bool {
        self.by_path.is_match(relative_path)
            || relative_path
                .file_name()
                .is_some_and(|name| self.by_name.is_match(Path::new(name)))
    }

    /// Whether some trailing part of an absolute path matches (the workspace root unknown): how a rule tells
    /// a file the globs brought in.
    pub fn matches_some_suffix(&self, path: &Path) -> bool {
        let parts: Vec<_> = path.components().collect();
        (0..parts.len()).any(|from| {
            let suffix: std::path::PathBuf = parts[from..].iter().collect();
            suffix.is_relative() && self.matches(&suffix)
        })
    }

    /// Whether there are no extra globs at all, so callers can skip the check.
    pub fn is_empty(&self) -> bool {
        self.by_path.is_empty() && self.by_name.is_empty()
    }
}

/// Compiles one glob the way `files` globs are matched (`*` does not cross `/`).
fn build_glob(glob: &str) -> Result<globset::Glob, globset::Error> {
    globset::GlobBuilder::new(glob)
        .literal_separator(true)
        .build()
}

/// Where the project file comes from: found upward (the default), given (`--config`, `configPath`), or
/// none at all (`--no-config`).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum ConfigSource {
    /// The nearest `portos-lsp.toml` / `.portos-lsp.toml` upward from the file.
    #[default]
    Discover,
    /// This file, wherever it is.
    Path(PathBuf),
    /// No project file: defaults (and editor settings) only.
    None,
}

/// A project file read and applied over the defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadedConfig {
    /// Defaults with the project file applied; apply editor settings with [`LoadedConfig::with_editor`].
    pub config: Config,
    /// The project file used, if any, so shells can watch it and name it in messages.
    pub path: Option<PathBuf>,
    /// Everything worth telling the user that did not stop the file from loading.
    pub warnings: Vec<ConfigWarning>,
    /// The project file's own settings, kept so editor settings can be re-layered without re-reading it.
    pub layer: ConfigLayer,
}

impl LoadedConfig {
    /// The defaults alone, for when there is no project file or it failed to load.
    pub fn defaults() -> Self {
        LoadedConfig {
            config: Config::default(),
            path: None,
            warnings: Vec::new(),
            layer: ConfigLayer::default(),
        }
    }

    /// The effective configuration with editor settings on top of this project file.
    pub fn with_editor(&self, editor: &ConfigLayer) -> Config {
        Config::layered(&[&self.layer, editor])
    }
}

/// Editor settings read from `initializationOptions` or the `portos` section of `workspace/configuration`.
/// Unlike a project file, a bad value here drops only that setting: the editor cannot show a file position,
/// and the rest of what the user set should still apply.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EditorSettings {
    /// The settings that were valid.
    pub layer: ConfigLayer,
    /// `configPath`: the project file the user chose, for the shell to pass as [`ConfigSource::Path`].
    pub config_path: Option<PathBuf>,
    /// Unknown keys and other notes.
    pub warnings: Vec<ConfigWarning>,
    /// Settings that were refused (their defaults stay in force).
    pub errors: Vec<ConfigError>,
}

/// Reads editor settings. Accepts the section itself (`{"registry": true}`) or wrapped in `{"portos": {…}}`,
/// nested objects or dotted keys (`{"ranges.user": […]}`), and `null` for "not set".
pub fn parse_editor_settings(json: &serde_json::Value, known_rules: &[&str]) -> EditorSettings {
    let section = match json.get("portos") {
        Some(inner) if inner.is_object() => inner,
        _ => json,
    };
    let node = from_json(section);
    let entries = match node.kind {
        Kind::Table(entries) => entries,
        Kind::Null => Vec::new(),
        other => {
            return EditorSettings {
                errors: vec![ConfigError::at(
                    None,
                    None,
                    format!(
                        "portos: expected an object of settings, got {}",
                        other.type_name()
                    ),
                )],
                ..EditorSettings::default()
            };
        }
    };
    let read = read_layer(&entries, Source::Editor, None, known_rules);
    let mut warnings = read.warnings;
    if let Some(message) = overlap_message(&Config::layered(&[&read.layer]), "portos.ranges") {
        warnings.push(ConfigWarning::at(None, None, message));
    }
    EditorSettings {
        layer: read.layer,
        config_path: read.config_path,
        warnings,
        errors: read.errors,
    }
}

/// Reads a project file's text. `path` is only used in messages. The first error in the file (by
/// position) is returned; a file with an error applies nothing.
pub fn parse_project_file(
    text: &str,
    path: Option<&Path>,
    known_rules: &[&str],
) -> Result<LoadedConfig, ConfigError> {
    parse_file(text, path, Source::ProjectFile, known_rules)
}

/// Reads the user-level file's text (`~/.config/portos-lsp/config.toml`): the project file's schema, the
/// user's own file (so `token_env` may name any variable), layered between the defaults and the project file.
pub fn parse_user_file(
    text: &str,
    path: Option<&Path>,
    known_rules: &[&str],
) -> Result<LoadedConfig, ConfigError> {
    parse_file(text, path, Source::UserFile, known_rules)
}

fn parse_file(
    text: &str,
    path: Option<&Path>,
    source: Source,
    known_rules: &[&str],
) -> Result<LoadedConfig, ConfigError> {
    let positions = Positions::new(text);
    let owned_path = path.map(Path::to_path_buf);
    let root = toml::de::DeTable::parse(text).map_err(|e| {
        let pos = e.span().map(|span| positions.at(span.start));
        ConfigError::at(
            owned_path.as_ref(),
            pos,
            format!("not valid TOML: {}", e.message().trim_end()),
        )
    })?;
    let entries = table_from_toml(root.get_ref(), &positions);
    let ReadLayer {
        layer,
        range_pos,
        mut warnings,
        errors,
        ..
    } = read_layer(&entries, source, path, known_rules);
    if let Some(first) = errors.into_iter().next() {
        return Err(first);
    }
    let config = Config::layered(&[&layer]);
    if let Some(message) = overlap_message(&config, "ranges") {
        warnings.push(ConfigWarning::at(owned_path.as_ref(), range_pos, message));
    }
    Ok(LoadedConfig {
        config,
        path: owned_path,
        warnings,
        layer,
    })
}

/// Reads and parses a project file from disk.
pub fn read_project_file(
    vfs: &dyn crate::vfs::Vfs,
    path: &Path,
    known_rules: &[&str],
) -> Result<LoadedConfig, ConfigError> {
    read_file(vfs, path, Source::ProjectFile, known_rules)
}

/// Reads the user-level file at `path` (the shell says where: `$XDG_CONFIG_HOME/portos-lsp/config.toml`,
/// else `~/.config/portos-lsp/config.toml`). `Ok(None)` when there is none, the usual case.
pub fn read_user_file(
    vfs: &dyn crate::vfs::Vfs,
    path: &Path,
    known_rules: &[&str],
) -> Result<Option<LoadedConfig>, ConfigError> {
    if !vfs.exists(path) {
        return Ok(None);
    }
    read_file(vfs, path, Source::UserFile, known_rules).map(Some)
}

fn read_file(
    vfs: &dyn crate::vfs::Vfs,
    path: &Path,
    source: Source,
    known_rules: &[&str],
) -> Result<LoadedConfig, ConfigError> {
    let owned = path.to_path_buf();
    let cannot = |why: String| {
        ConfigError::at(
            Some(&owned),
            None,
            format!("cannot read the configuration file: {why}"),
        )
    };
    let bytes = vfs.read(path).map_err(|e| cannot(e.to_string()))?;
    let text =
        crate::syntax::decode(bytes, MAX_CONFIG_FILE_BYTES).map_err(|e| cannot(e.to_string()))?;
    parse_file(&text, Some(path), source, known_rules)
}

/// The configuration for one ecosystem file, as the shells need it: the project file chosen by `explicit`
/// (discovered upward from `file` by default) applied over the defaults. An `Err` is a bad project file;
/// shells report it (CLI: exit 2; editor: a diagnostic in that file) and go on with the defaults.
pub fn load_for(
    vfs: &dyn crate::vfs::Vfs,
    file: &Path,
    explicit: ConfigSource,
    known_rules: &[&str],
) -> Result<LoadedConfig, ConfigError> {
    match explicit {
        ConfigSource::None => Ok(LoadedConfig::defaults()),
        ConfigSource::Path(path) => read_project_file(vfs, &path, known_rules),
        ConfigSource::Discover => {
            let Some(found) = find_config_file(vfs, file) else {
                return Ok(LoadedConfig::defaults());
            };
            let mut loaded = read_project_file(vfs, &found.path, known_rules)?;
            if let Some(shadowed) = found.shadowed {
                loaded.warnings.insert(
                    0,
                    ConfigWarning::at(
                        Some(&shadowed),
                        None,
                        format!(
                            "ignored: {} in the same directory takes precedence; merge the two and delete one",
                            found.path.display()
                        ),
                    ),
                );
            }
            Ok(loaded)
        }
    }
}

/// Describes overlapping ranges, if any; `key` is how the source names the ranges.
fn overlap_message(config: &Config, key: &str) -> Option<String> {
    let Ranges {
        core,
        reserved,
        user,
    } = config.ranges;
    let pairs = [
        ("core", core, "reserved", reserved),
        ("core", core, "user", user),
        ("reserved", reserved, "user", user),
    ];
    let clashes: Vec<String> = pairs
        .iter()
        .filter(|(_, a, _, b)| a.overlaps(b))
        .map(|(an, a, bn, b)| format!("{an} {a} and {bn} {b}"))
        .collect();
    (!clashes.is_empty()).then(|| {
        format!(
            "{key}: {} overlap; a port in two ranges counts as core, then reserved, then user",
            clashes.join(", ")
        )
    })
}
