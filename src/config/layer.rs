//! A layer of settings from one source (project file or editor), every field optional, and the code that
//! reads one from a value tree: which names are known in each source, and how each value is checked.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::error::{ConfigError, ConfigWarning};
use super::security::{validate_api_url, validate_env_name, validate_project_token_env};
use super::value::{Entry, Kind, Node, Pos};
use super::{Config, Convention, CorePort, Guide, PortRange, Role, RuleLevel};

/// Settings from one source. `None` (or an empty collection) means "this source did not say", so merging
/// layers in order lets what a user set explicitly win and leaves everything else alone.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConfigLayer {
    /// `ranges.guide`: the preset whose ranges and core table the explicit keys of every layer override.
    pub guide: Option<Guide>,
    /// `ranges.core`.
    pub core_range: Option<PortRange>,
    /// `ranges.reserved`.
    pub reserved_range: Option<PortRange>,
    /// `ranges.user`.
    pub user_range: Option<PortRange>,
    /// `core_ports`: replaces the whole PortOS core table when set.
    pub core_ports: Option<BTreeMap<u16, CorePort>>,
    /// `common_ports`: each entry adds a port or overrides its owner, as a service entry.
    pub common_ports: BTreeMap<u16, String>,
    /// `dev_ports`: each entry adds a port or overrides its owner, as a dev-default entry.
    pub dev_ports: BTreeMap<u16, String>,
    /// `connect_keys`: added to the list in force (after `connect_keys_replace` of the same layer).
    pub connect_keys: Vec<String>,
    /// `connect_keys_replace`: replaces the list in force, built-ins included.
    pub connect_keys_replace: Option<Vec<String>>,
    /// `files`: extra ecosystem-file globs, added to those of lower layers.
    pub files: Vec<String>,
    /// `rules`: a level per rule code, each overriding the same code of lower layers.
    pub rules: BTreeMap<String, RuleLevel>,
    /// `app.role`.
    pub app_role: Option<Role>,
    /// `app.convention`.
    pub convention: Option<Convention>,
    /// `portos.registry`.
    pub registry: Option<bool>,
    /// `portos.api_url`; only loopback HTTP URLs are ever applied.
    pub api_url: Option<String>,
    /// `portos.token_env`.
    pub token_env: Option<String>,
    /// `portos.live_ports`.
    pub live_ports: Option<bool>,
    /// `portos.password_env`.
    pub password_env: Option<String>,
    /// `portos.root`: a PortOS checkout (a project file's relative path is resolved against its directory).
    pub portos_root: Option<PathBuf>,
    /// `max_file_bytes` (also `limits.max_file_bytes`).
    pub max_file_bytes: Option<u64>,
    /// `limits.parse_ms`: the time one file's parse may take.
    pub parse_ms: Option<u64>,
    /// `pm2.cpus`: the CPU count PM2's `'max'`, `0` and `-k` instances are read with.
    pub pm2_cpus: Option<u32>,
    /// `pm2.extra_keys`: app keys `unknown-option` accepts, added to those of lower layers.
    pub pm2_extra_keys: Vec<String>,
    /// Editor `inlayHints.labels`.
    pub inlay_labels: Option<bool>,
    /// Editor `inlayHints.values`.
    pub inlay_values: Option<bool>,
}

impl ConfigLayer {
    /// Applies this layer on top of `config`. Values are re-checked where a bad one would be dangerous
    /// (`api_url`), since a layer can also be built by code rather than parsed. A guide preset is only
    /// recorded here: [`Config::layered`] starts from the preset, so explicit keys of any layer win over it.
    pub fn apply_to(&self, config: &mut Config) {
        if let Some(guide) = self.guide {
            config.guide = guide;
        }
        if let Some(range) = self.core_range {
            config.ranges.core = range;
        }
        if let Some(range) = self.reserved_range {
            config.ranges.reserved = range;
        }
        if let Some(range) = self.user_range {
            config.ranges.user = range;
        }
        if let Some(table) = &self.core_ports {
            config.core_ports = table.clone();
        }
        for (port, owner) in &self.common_ports {
            config.common_ports.insert(*port, owner.clone());
            config.dev_ports.remove(port);
        }
        for (port, owner) in &self.dev_ports {
            config.common_ports.insert(*port, owner.clone());
            config.dev_ports.insert(*port);
        }
        if let Some(keys) = &self.connect_keys_replace {
            config.connect_keys = keys.clone();
        }
        for key in &self.connect_keys {
            if !config.connect_keys.contains(key) {
                config.connect_keys.push(key.clone());
            }
        }
        for glob in &self.files {
            if !config.files.contains(glob) {
                config.files.push(glob.clone());
            }
        }
        for (code, level) in &self.rules {
            config.rules.insert(code.clone(), *level);
        }
        if let Some(role) = self.app_role {
            config.app_role = Some(role);
        }
        if let Some(convention) = self.convention {
            config.convention = convention;
        }
        if let Some(registry) = self.registry {
            config.portos.registry = registry;
        }
        if let Some(url) = &self.api_url
            && validate_api_url(url).is_ok()
        {
            config.portos.api_url = url.clone();
        }
        if let Some(name) = &self.token_env
            && validate_env_name(name).is_ok()
        {
            config.portos.token_env = name.clone();
        }
        if let Some(live) = self.live_ports {
            config.portos.live_ports = live;
        }
        if let Some(name) = &self.password_env
            && validate_env_name(name).is_ok()
        {
            config.portos.password_env = name.clone();
        }
        if let Some(root) = &self.portos_root {
            config.portos.root = Some(root.clone());
        }
        if let Some(bytes) = self.max_file_bytes {
            config.max_file_bytes = bytes;
        }
        if let Some(ms) = self.parse_ms {
            config.parse_ms = ms;
        }
        if let Some(cpus) = self.pm2_cpus {
            config.pm2.cpus = cpus;
        }
        for key in &self.pm2_extra_keys {
            if !config.pm2.extra_keys.contains(key) {
                config.pm2.extra_keys.push(key.clone());
            }
        }
        if let Some(labels) = self.inlay_labels {
            config.inlay_hints.labels = labels;
        }
        if let Some(values) = self.inlay_values {
            config.inlay_hints.values = values;
        }
    }
}

/// Which source a value tree came from: the names and some rules differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    /// `portos-lsp.toml`: snake_case names, positions, stricter `token_env`.
    ProjectFile,
    /// The user-level `config.toml`: the project file's names and positions, but the user's own, so
    /// `token_env` may name any variable (as in the editor).
    UserFile,
    /// `initializationOptions` / `workspace/configuration`: camelCase names, no positions.
    Editor,
}

/// Every setting, independent of how a source spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Setting {
    Guide,
    CoreRange,
    ReservedRange,
    UserRange,
    CorePorts,
    CommonPorts,
    DevPorts,
    ConnectKeys,
    ConnectKeysReplace,
    Files,
    Rules,
    AppRole,
    Convention,
    Registry,
    ApiUrl,
    TokenEnv,
    LivePorts,
    PasswordEnv,
    Root,
    MaxFileBytes,
    ParseMs,
    Pm2Cpus,
    Pm2ExtraKeys,
    InlayLabels,
    InlayValues,
    /// The editor's `configPath`: which project file to use, for the shell to act on.
    ConfigPath,
}

/// Dotted names each source accepts for each setting. The first name of a setting is the documented one;
/// the others are accepted because the spec's own example puts the map settings under `[ranges]`.
const PROJECT_NAMES: &[(&str, Setting)] = &[
    ("ranges.guide", Setting::Guide),
    ("ranges.core", Setting::CoreRange),
    ("ranges.reserved", Setting::ReservedRange),
    ("ranges.user", Setting::UserRange),
    ("ranges.core_ports", Setting::CorePorts),
    ("core_ports", Setting::CorePorts),
    ("ranges.common_ports", Setting::CommonPorts),
    ("common_ports", Setting::CommonPorts),
    ("ranges.dev_ports", Setting::DevPorts),
    ("dev_ports", Setting::DevPorts),
    ("ranges.connect_keys", Setting::ConnectKeys),
    ("connect_keys", Setting::ConnectKeys),
    ("ranges.connect_keys_replace", Setting::ConnectKeysReplace),
    ("connect_keys_replace", Setting::ConnectKeysReplace),
    ("ranges.files", Setting::Files),
    ("files", Setting::Files),
    ("rules", Setting::Rules),
    ("app.role", Setting::AppRole),
    ("app.convention", Setting::Convention),
    ("portos.registry", Setting::Registry),
    ("portos.api_url", Setting::ApiUrl),
    ("portos.token_env", Setting::TokenEnv),
    ("portos.live_ports", Setting::LivePorts),
    ("portos.password_env", Setting::PasswordEnv),
    ("portos.root", Setting::Root),
    ("max_file_bytes", Setting::MaxFileBytes),
    ("limits.max_file_bytes", Setting::MaxFileBytes),
    ("limits.parse_ms", Setting::ParseMs),
    ("pm2.cpus", Setting::Pm2Cpus),
    ("pm2.extra_keys", Setting::Pm2ExtraKeys),
];
const PROJECT_GROUPS: &[&str] = &["ranges", "app", "portos", "limits", "pm2"];

const EDITOR_NAMES: &[(&str, Setting)] = &[
    ("ranges.guide", Setting::Guide),
    ("ranges.core", Setting::CoreRange),
    ("ranges.reserved", Setting::ReservedRange),
    ("ranges.user", Setting::UserRange),
    ("ranges.corePorts", Setting::CorePorts),
    ("corePorts", Setting::CorePorts),
    ("commonPorts", Setting::CommonPorts),
    ("ranges.commonPorts", Setting::CommonPorts),
    ("devPorts", Setting::DevPorts),
    ("ranges.devPorts", Setting::DevPorts),
    ("connectKeys", Setting::ConnectKeys),
    ("ranges.connectKeys", Setting::ConnectKeys),
    ("connectKeysReplace", Setting::ConnectKeysReplace),
    ("ranges.connectKeysReplace", Setting::ConnectKeysReplace),
    ("files", Setting::Files),
    ("ranges.files", Setting::Files),
    ("rules", Setting::Rules),
    ("app.role", Setting::AppRole),
    ("app.convention", Setting::Convention),
    ("registry", Setting::Registry),
    ("apiUrl", Setting::ApiUrl),
    ("tokenEnv", Setting::TokenEnv),
    ("livePorts", Setting::LivePorts),
    ("passwordEnv", Setting::PasswordEnv),
    ("root", Setting::Root),
    ("maxFileBytes", Setting::MaxFileBytes),
    ("limits.maxFileBytes", Setting::MaxFileBytes),
    ("limits.parseMs", Setting::ParseMs),
    ("pm2.cpus", Setting::Pm2Cpus),
    ("pm2.extraKeys", Setting::Pm2ExtraKeys),
    ("configPath", Setting::ConfigPath),
    ("inlayHints.labels", Setting::InlayLabels),
    ("inlayHints.values", Setting::InlayValues),
];
const EDITOR_GROUPS: &[&str] = &["ranges", "app", "inlayHints", "limits", "pm2"];
/// Keys only the editor extension reads; they share the `portos` section, so they are known and ignored.
const EDITOR_CLIENT_ONLY: &[&str] = &["server", "trace", "logLevel"];

/// The largest `max_file_bytes` accepted; beyond it a typo (an extra zero or two) is more likely than intent.
const MAX_FILE_BYTES_LIMIT: u64 = 1 << 30;

/// The largest `pm2.cpus` accepted: PM2 starts one process per CPU, and no machine has more.
const PM2_CPUS_LIMIT: u32 = 1024;

/// The largest `parse_ms` accepted (ten minutes): a parse budget is there to end a parse.
const PARSE_MS_LIMIT: u64 = 600_000;

/// What reading one source produced: the layer, and everything to tell the user.
#[derive(Debug, Default)]
pub(crate) struct ReadLayer {
    pub(crate) layer: ConfigLayer,
    /// Where the first range setting was written, for the overlap warning that needs the merged ranges.
    pub(crate) range_pos: Option<Pos>,
    pub(crate) config_path: Option<PathBuf>,
    pub(crate) warnings: Vec<ConfigWarning>,
    pub(crate) errors: Vec<ConfigError>,
}

/// One setting found in the tree, before its value is checked.
struct Found<'a> {
    setting: Setting,
    name: String,
    key_pos: Option<Pos>,
    node: &'a Node,
}

/// Reads a layer from the root table of a source. Every problem is collected; callers decide what is fatal.
pub(crate) fn read_layer(
    root: &[Entry],
    source: Source,
    path: Option<&Path>,
    known_rules: &[&str],
) -> ReadLayer {
    let path = path.map(Path::to_path_buf);
    let mut reader = Reader {
        source,
        path,
        known_rules,
        out: ReadLayer::default(),
    };
    let mut found = Vec::new();
    reader.walk(root, "", &mut found);
    let mut seen: Vec<(Setting, String, Option<Pos>)> = Vec::new();
    for item in found {
        if let Some((_, first_name, first_pos)) = seen.iter().find(|(s, _, _)| *s == item.setting) {
            let there = match first_pos {
                Some(p) => format!(" (line {}, column {})", p.line, p.column),
                None => String::new(),
            };
            let message = format!(
                "{}: this setting is also given as {}{there}; keep only one",
                reader.display(&item.name),
                reader.display(first_name),
            );
            reader.error(item.key_pos, message);
            continue;
        }
        seen.push((item.setting, item.name.clone(), item.key_pos));
        reader.apply(&item);
    }
    reader.out.errors.sort_by_key(ConfigError::sort_key);
    reader.out.warnings.sort_by_key(|w| (w.line, w.column));
    reader.out
}

struct Reader<'r> {
    source: Source,
    path: Option<PathBuf>,
    known_rules: &'r [&'r str],
    out: ReadLayer,
}

impl Reader<'_> {
    fn names(&self) -> &'static [(&'static str, Setting)] {
        match self.source {
            Source::ProjectFile | Source::UserFile => PROJECT_NAMES,
            Source::Editor => EDITOR_NAMES,
        }
    }

    fn groups(&self) -> &'static [&'static str] {
        match self.source {
            Source::ProjectFile | Source::UserFile => PROJECT_GROUPS,
            Source::Editor => EDITOR_GROUPS,
        }
    }

    /// A setting's name as the user knows it: dotted in the file, `portos.`-prefixed in the editor.
    fn display(&self, name: &str) -> String {
        match self.source {
            Source::ProjectFile | Source::UserFile => name.to_string(),
            Source::Editor => format!("portos.{name}"),
        }
    }

    fn error(&mut self, pos: Option<Pos>, message: String) {
        self.out
            .errors
            .push(ConfigError::at(self.path.as_ref(), pos, message));
    }

    fn warn(&mut self, pos: Option<Pos>, message: String) {
        self.out
            .warnings
            .push(ConfigWarning::at(self.path.as_ref(), pos, message));
    }

    /// Descends groups and collects settings; unknown names become warnings with a suggestion.
    fn walk<'a>(&mut self, entries: &'a [Entry], prefix: &str, found: &mut Vec<Found<'a>>) {
        for (key, key_pos, node) in entries {
            let name = if prefix.is_empty() {
                key.clone()
            } else {
                format!("{prefix}.{key}")
            };
            if let Some((_, setting)) = self.names().iter().find(|(n, _)| *n == name) {
                found.push(Found {
                    setting: *setting,
                    name,
                    key_pos: *key_pos,
                    node,
                });
            } else if self.groups().contains(&name.as_str()) {
                match &node.kind {
                    Kind::Table(inner) => self.walk(inner, &name, found),
                    Kind::Null => {}
                    other => {
                        let message = format!(
                            "{}: expected a table, got {}",
                            self.display(&name),
                            other.type_name()
                        );
                        self.error(node.pos.or(*key_pos), message);
                    }
                }
            } else if self.source == Source::Editor
                && EDITOR_CLIENT_ONLY
                    .iter()
                    .any(|c| name == *c || name.starts_with(&format!("{c}.")))
            {
                // Read by the editor extension, not by us.
            } else {
                let candidates = self
                    .names()
                    .iter()
                    .map(|(n, _)| *n)
                    .chain(self.groups().iter().copied());
                let hint = suggestion(&name, candidates);
                let message = format!("{}: unknown setting, ignored{hint}", self.display(&name));
                self.warn(*key_pos, message);
            }
        }
    }

    /// Checks one setting's value and stores it in the layer, or records why not.
    fn apply(&mut self, item: &Found<'_>) {
        if matches!(item.node.kind, Kind::Null) {
            // The editor's "not set".
            return;
        }
        let name = self.display(&item.name);
        if matches!(
            item.setting,
            Setting::CoreRange | Setting::ReservedRange | Setting::UserRange
        ) && self.out.range_pos.is_none()
        {
            self.out.range_pos = item.key_pos;
        }
        let result = match item.setting {
            Setting::Guide => guide(&name, item.node).map(|g| self.out.layer.guide = Some(g)),
            Setting::CoreRange => port_range(&name, item.node).map(|r| self.out.layer.core_range = Some(r)),
            Setting::ReservedRange => {
                port_range(&name, item.node).map(|r| self.out.layer.reserved_range = Some(r))
            }
            Setting::UserRange => port_range(&name, item.node).map(|r| self.out.layer.user_range = Some(r)),
            Setting::CorePorts => core_ports(&name, item.node).map(|t| self.out.layer.core_ports = Some(t)),
            Setting::CommonPorts => common_ports(&name, item.node).map(|t| self.out.layer.common_ports = t),
            Setting::DevPorts => common_ports(&name, item.node).map(|t| self.out.layer.dev_ports = t),
            Setting::ConnectKeys => connect_keys(&name, item.node).map(|k| self.out.layer.connect_keys = k),
            Setting::ConnectKeysReplace => {
                connect_keys(&name, item.node).map(|k| self.out.layer.connect_keys_replace = Some(k))
            }
            Setting::Files => globs(&name, item.node).map(|g| self.out.layer.files = g),
            Setting::Rules => {
                let (levels, problems) = rules(&name, item.node, self.known_rules);
                self.out.layer.rules = levels;
                for (pos, message) in problems {
                    self.error(pos.or(item.key_pos), message);
                }
                Ok(())
            }
            Setting::AppRole => role(&name, item.node).map(|r| self.out.layer.app_role = Some(r)),
            Setting::Convention => {
                convention(&name, item.node).map(|c| self.out.layer.convention = Some(c))
            }
            Setting::Registry => boolean(&name, item.node).map(|b| self.out.layer.registry = Some(b)),
            Setting::LivePorts => boolean(&name, item.node).map(|b| self.out.layer.live_ports = Some(b)),
            Setting::InlayLabels => boolean(&name, item.node).map(|b| self.out.layer.inlay_labels = Some(b)),
            Setting::InlayValues => boolean(&name, item.node).map(|b| self.out.layer.inlay_values = Some(b)),
            Setting::ApiUrl => string(&name, item.node).and_then(|url| {
                validate_api_url(&url)
                    .map(|()| self.out.layer.api_url = Some(url.clone()))
                    .map_err(|why| (item.node.pos, format!("{name}: refused \"{url}\": {why}")))
            }),
            Setting::TokenEnv => string(&name, item.node).and_then(|env| {
                let check = match self.source {
                    Source::ProjectFile => validate_project_token_env(&env),
                    Source::UserFile | Source::Editor => validate_env_name(&env),
                };
                check
                    .map(|()| self.out.layer.token_env = Some(env.clone()))
                    .map_err(|why| (item.node.pos, format!("{name}: {why}")))
            }),
            Setting::PasswordEnv => string(&name, item.node).and_then(|env| {
                let check = match self.source {
                    Source::ProjectFile => validate_project_token_env(&env),
                    Source::UserFile | Source::Editor => validate_env_name(&env),
                };
                check
                    .map(|()| self.out.layer.password_env = Some(env.clone()))
                    .map_err(|why| (item.node.pos, format!("{name}: {why}")))
            }),
            Setting::Root => string(&name, item.node).and_then(|root| {
                if root.trim().is_empty() {
                    return Err((
                        item.node.pos,
                        format!("{name}: expected the path of a PortOS checkout, got an empty string"),
                    ));
                }
                // A file's relative path is relative to the file; the editor's, to the workspace (the host
                // resolves it).
                let path = PathBuf::from(&root);
                let resolved = match self.path.as_deref().and_then(Path::parent) {
                    Some(dir) if path.is_relative() => dir.join(path),
                    _ => path,
                };
                self.out.layer.portos_root = Some(resolved);
                Ok(())
            }),
            Setting::MaxFileBytes => integer(&name, item.node).and_then(|n| {
                if (1..=i128::from(MAX_FILE_BYTES_LIMIT)).contains(&n) {
                    self.out.layer.max_file_bytes = u64::try_from(n).ok();
                    Ok(())
                } else {
                    Err((
                        item.node.pos,
                        format!("{name}: expected a size in bytes from 1 to {MAX_FILE_BYTES_LIMIT}, got {n}"),
                    ))
                }
            }),
            Setting::ParseMs => integer(&name, item.node).and_then(|n| {
                if (1..=i128::from(PARSE_MS_LIMIT)).contains(&n) {
                    self.out.layer.parse_ms = u64::try_from(n).ok();
                    Ok(())
                } else {
                    Err((
                        item.node.pos,
                        format!("{name}: expected milliseconds from 1 to {PARSE_MS_LIMIT}, got {n}"),
                    ))
                }
            }),
            Setting::Pm2Cpus => integer(&name, item.node).and_then(|n| {
                if (1..=i128::from(PM2_CPUS_LIMIT)).contains(&n) {
                    self.out.layer.pm2_cpus = u32::try_from(n).ok();
                    Ok(())
                } else {
                    Err((
                        item.node.pos,
                        format!("{name}: expected a CPU count from 1 to {PM2_CPUS_LIMIT}, got {n}"),
                    ))
                }
            }),
            Setting::Pm2ExtraKeys => extra_keys(&name, item.node).map(|k| self.out.layer.pm2_extra_keys = k),
            Setting::ConfigPath => string(&name, item.node).map(|p| {
                if !p.trim().is_empty() {
                    self.out.config_path = Some(PathBuf::from(p));
                }
            }),
        };
        if let Err((pos, message)) = result {
            self.error(pos.or(item.key_pos), message);
        }
    }
}

/// A value's problem: where (if known) and the full message.
type Problem = (Option<Pos>, String);

fn boolean(name: &str, node: &Node) -> Result<bool, Problem> {
    match node.kind {
        Kind::Bool(b) => Ok(b),
        ref other => Err((
            node.pos,
            format!("{name}: expected true or false, got {}", other.type_name()),
        )),
    }
}

fn string(name: &str, node: &Node) -> Result<String, Problem> {
    match &node.kind {
        Kind::Str(s) => Ok(s.clone()),
        other => Err((
            node.pos,
            format!("{name}: expected a string, got {}", other.type_name()),
        )),
    }
}

fn integer(name: &str, node: &Node) -> Result<i128, Problem> {
    match node.kind {
        Kind::Int(n) => Ok(n),
        ref other => Err((
            node.pos,
            format!("{name}: expected an integer, got {}", other.type_name()),
        )),
    }
}

/// A port number, 1–65535.
fn port_number(name: &str, node: &Node) -> Result<u16, Problem> {
    let n = integer(name, node)?;
    match u16::try_from(n) {
        Ok(port) if port > 0 => Ok(port),
        _ => Err((
            node.pos,
            format!("{name}: {n} is not a port number (ports are 1–65535)"),
        )),
    }
}

/// A port written as a table key (TOML keys are strings: `5554 = "…"` is the key "5554").
fn port_key(name: &str, key: &str, pos: Option<Pos>) -> Result<u16, Problem> {
    match key.trim().parse::<u16>() {
        Ok(port) if port > 0 && !key.trim().starts_with('+') => Ok(port),
        _ => Err((
            pos,
            format!("{name}: key \"{key}\" is not a port number (ports are 1–65535)"),
        )),
    }
}

fn port_range(name: &str, node: &Node) -> Result<PortRange, Problem> {
    let shape_error = || {
        (
            node.pos,
            format!(
                "{name}: expected [first, last] with first ≤ last, got {}",
                render(node)
            ),
        )
    };
    let Kind::Array(items) = &node.kind else {
        return Err(shape_error());
    };
    let [first, last] = items.as_slice() else {
        return Err(shape_error());
    };
    if !matches!(first.kind, Kind::Int(_)) || !matches!(last.kind, Kind::Int(_)) {
        return Err(shape_error());
    }
    let first = port_number(name, first)?;
    let last = port_number(name, last)?;
    if first > last {
        return Err(shape_error());
    }
    Ok(PortRange { first, last })
}

fn table<'n>(name: &str, node: &'n Node) -> Result<&'n [Entry], Problem> {
    match &node.kind {
        Kind::Table(entries) => Ok(entries),
        other => Err((
            node.pos,
            format!("{name}: expected a table, got {}", other.type_name()),
        )),
    }
}

fn core_ports(name: &str, node: &Node) -> Result<BTreeMap<u16, CorePort>, Problem> {
    let mut out = BTreeMap::new();
    for (key, key_pos, value) in table(name, node)? {
        let port = port_key(name, key, *key_pos)?;
        let entry = format!("{name}.{key}");
        let text = string(&entry, value)?;
        let parsed = text
            .rsplit_once(':')
            .map(|(process, label)| (process.trim(), label.trim()))
            .filter(|(process, label)| !process.is_empty() && !label.is_empty());
        let Some((process, label)) = parsed else {
            return Err((
                value.pos,
                format!(
                    "{entry}: expected \"process:label\" such as \"portos-server:api\", got \"{text}\""
                ),
            ));
        };
        out.insert(port, CorePort::new(process, label));
    }
    Ok(out)
}

fn common_ports(name: &str, node: &Node) -> Result<BTreeMap<u16, String>, Problem> {
    let mut out = BTreeMap::new();
    for (key, key_pos, value) in table(name, node)? {
        let port = port_key(name, key, *key_pos)?;
        let entry = format!("{name}.{key}");
        let owner = string(&entry, value)?;
        if owner.trim().is_empty() {
            return Err((
                value.pos,
                format!(
                    "{entry}: expected the port's usual owner, such as \"Redis\", got an empty string"
                ),
            ));
        }
        out.insert(port, owner.trim().to_string());
    }
    Ok(out)
}

fn strings<'n>(name: &str, node: &'n Node) -> Result<Vec<(String, &'n Node)>, Problem> {
    let Kind::Array(items) = &node.kind else {
        return Err((
            node.pos,
            format!(
                "{name}: expected an array of strings, got {}",
                node.kind.type_name()
            ),
        ));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| string(&format!("{name}[{i}]"), item).map(|s| (s, item)))
        .collect()
}

fn connect_keys(name: &str, node: &Node) -> Result<Vec<String>, Problem> {
    let mut out = Vec::new();
    for (i, (key, item)) in strings(name, node)?.into_iter().enumerate() {
        let segment_ok = !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        if !segment_ok {
            let hint = if key.contains('_') {
                "one segment without '_' (each '_'-separated part of an env key is matched on its own)"
            } else {
                "upper-case letters and digits, as env keys are matched case-sensitively"
            };
            return Err((
                item.pos,
                format!(
                    "{name}[{i}]: \"{key}\" is not a connect key: use {hint}, such as \"BROKER\""
                ),
            ));
        }
        if !out.contains(&key) {
            out.push(key);
        }
    }
    Ok(out)
}

/// App keys `unknown-option` accepts (a key a tool of the user's own reads from the file).
fn extra_keys(name: &str, node: &Node) -> Result<Vec<String>, Problem> {
    let mut out = Vec::new();
    for (i, (key, item)) in strings(name, node)?.into_iter().enumerate() {
        if key.trim().is_empty() {
            return Err((
                item.pos,
                format!(
                    "{name}[{i}]: expected an app key such as \"deploy_group\", got an empty string"
                ),
            ));
        }
        if !out.contains(&key) {
            out.push(key);
        }
    }
    Ok(out)
}

fn globs(name: &str, node: &Node) -> Result<Vec<String>, Problem> {
    let mut out = Vec::new();
    for (i, (glob, item)) in strings(name, node)?.into_iter().enumerate() {
        if glob.trim().is_empty() {
            return Err((
                item.pos,
                format!(
                    "{name}[{i}]: expected a glob such as \"deploy/*.pm2.js\", got an empty string"
                ),
            ));
        }
        if let Err(e) = super::build_glob(&glob) {
            return Err((
                item.pos,
                format!("{name}[{i}]: \"{glob}\" is not a valid glob: {}", e.kind()),
            ));
        }
        if !out.contains(&glob) {
            out.push(glob);
        }
    }
    Ok(out)
}

/// Rules are checked entry by entry: a mistyped code costs only its own entry, so in editor settings the
/// other rule levels still apply (a project file with any error still fails as a whole).
fn rules(
    name: &str,
    node: &Node,
    known_rules: &[&str],
) -> (BTreeMap<String, RuleLevel>, Vec<Problem>) {
    let mut out = BTreeMap::new();
    let mut problems = Vec::new();
    let entries = match table(name, node) {
        Ok(entries) => entries,
        Err(problem) => return (out, vec![problem]),
    };
    for (code, key_pos, value) in entries {
        if !known_rules.contains(&code.as_str()) {
            let hint = suggestion(code, known_rules.iter().copied());
            problems.push((*key_pos, format!("{name}: unknown rule \"{code}\"{hint}")));
            continue;
        }
        let entry = format!("{name}.{code}");
        let word = match string(&entry, value) {
            Ok(word) => word,
            Err(problem) => {
                problems.push(problem);
                continue;
            }
        };
        match RuleLevel::from_word(&word) {
            Some(level) => {
                out.insert(code.clone(), level);
            }
            None => problems.push((
                value.pos,
                format!("{entry}: unknown level \"{word}\"; expected error, warning, information, hint or off"),
            )),
        }
    }
    (out, problems)
}

fn role(name: &str, node: &Node) -> Result<Role, Problem> {
    let word = string(name, node)?;
    Role::from_word(&word).ok_or_else(|| {
        (
            node.pos,
            format!("{name}: unknown role \"{word}\"; expected core, extension or user"),
        )
    })
}

fn guide(name: &str, node: &Node) -> Result<Guide, Problem> {
    let word = string(name, node)?;
    Guide::from_word(&word).ok_or_else(|| {
        let known: Vec<&str> = Guide::ALL.iter().map(|g| g.as_str()).collect();
        let hint = suggestion(&word, known.iter().copied());
        (
            node.pos,
            format!(
                "{name}: unknown guide \"{word}\"; expected {}{hint}",
                known.join(", ")
            ),
        )
    })
}

fn convention(name: &str, node: &Node) -> Result<Convention, Problem> {
    let word = string(name, node)?;
    Convention::from_word(&word).ok_or_else(|| {
        (
            node.pos,
            format!("{name}: unknown convention \"{word}\"; expected auto, portos or plain"),
        )
    })
}

/// A short rendering of a value for messages (`[5599, 5570]`, `"x"`, `a table`).
fn render(node: &Node) -> String {
    match &node.kind {
        Kind::Int(n) => n.to_string(),
        Kind::Float(f) => f.to_string(),
        Kind::Bool(b) => b.to_string(),
        Kind::Str(s) => format!("{s:?}"),
        Kind::Array(items) if items.len() <= 4 => {
            let inner: Vec<String> = items.iter().map(render).collect();
            format!("[{}]", inner.join(", "))
        }
        Kind::Array(items) => format!("an array of {} items", items.len()),
        other => other.type_name().to_string(),
    }
}

/// `"; did you mean `x`?"` when a known name is within a small edit distance, else nothing.
pub(crate) fn suggestion<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> String {
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .map(|c| (edit_distance(&word.to_lowercase(), &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| format!("; did you mean \"{c}\"?"))
        .unwrap_or_default()
}

/// Levenshtein distance over characters; names here are short.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}
