//! Reading a running PortOS's app registry (`GET /api/apps`) and turning it into reserved ports.
//!
//! Security (portos-lsp.md §7): the registry is read over plain HTTP from loopback addresses only, and the
//! bearer token is only ever sent there. `parse_loopback_url` is the gate; `fetch_apps` never connects
//! anywhere it did not approve, and `localhost` is mapped to the loopback addresses without asking DNS.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use super::http::Phase;

// ---------------------------------------------------------------------------------------------------------
// URL
// ---------------------------------------------------------------------------------------------------------

// The URL gate is the configuration's own (`crate::config::parse_loopback_url`): one check decides what a
// project file, the editor and the fetch accept, so they can never disagree.
pub use crate::config::{HttpTarget, UrlError, parse_loopback_url};

// ---------------------------------------------------------------------------------------------------------
// Registry data
// ---------------------------------------------------------------------------------------------------------

/// One app of PortOS's registry, reduced to what port allocation needs (§6 of portos-detection.md).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RegistryApp {
    /// Registry key (a UUID; `portos-default` for PortOS itself).
    pub id: String,
    /// Display name; the `id` when the registry has none.
    pub name: String,
    /// The app's directory, used to recognise the app being edited.
    pub repo_path: Option<PathBuf>,
    /// `uiPort`, as stored or derived by PortOS.
    pub ui_port: Option<i64>,
    /// `devUiPort`.
    pub dev_ui_port: Option<i64>,
    /// `apiPort`.
    pub api_port: Option<i64>,
    /// `tlsPort`.
    pub tls_port: Option<i64>,
    /// Archived apps still reserve their ports in PortOS (§5.1).
    pub archived: bool,
    /// The stored PM2 processes (empty when the registry has none).
    pub processes: Vec<RegistryProcess>,
}

/// One PM2 process of a registry app.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RegistryProcess {
    /// PM2 process name.
    pub name: String,
    /// Primary port, which PortOS reserves even when `ports` is empty (Vite-config lookup, §3.11).
    pub port: Option<i64>,
    /// Label → port, in the JSON object's order (PortOS's key order); values that are not port-like numbers are dropped.
    pub ports: Vec<(String, i64)>,
}

/// Why an `/api/apps` body could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppsParseError {
    /// Not JSON at all; serde's message carries the position.
    Json {
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// serde_json's description, position included.
        message: String,
    },
    /// JSON, but not the array of apps §6 describes.
    NotAnArray {
        /// The JSON type found instead.
        found: &'static str,
    },
    /// JSON, but not the `{"apps": {…}}` object of PortOS's `data/apps.json`.
    NoAppsObject,
}

impl fmt::Display for AppsParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppsParseError::Json { message, .. } => write!(f, "invalid JSON: {message}"),
            AppsParseError::NotAnArray { found } => {
                write!(f, "expected a JSON array of apps, found {found}")
            }
            AppsParseError::NoAppsObject => {
                write!(f, "expected an object with an `apps` object of apps by id")
            }
        }
    }
}

impl std::error::Error for AppsParseError {}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Reads an `/api/apps` body. Tolerant by design: PortOS's shape grows over time, so unknown fields are
/// ignored, missing or mistyped optional fields become `None`/empty, and array items that are not objects
/// are skipped. Only a body that is not a JSON array is an error.
pub fn parse_apps(body: &str) -> Result<Vec<RegistryApp>, AppsParseError> {
    parse_apps_bytes(body.as_bytes())
}

pub(super) fn parse_apps_bytes(body: &[u8]) -> Result<Vec<RegistryApp>, AppsParseError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| AppsParseError::Json {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    let Value::Array(items) = value else {
        return Err(AppsParseError::NotAnArray {
            found: json_type(&value),
        });
    };
    Ok(items.iter().filter_map(app_from_json).collect())
}

pub(super) fn app_from_json(v: &Value) -> Option<RegistryApp> {
    let obj = v.as_object()?;
    let text = |key: &str| {
        obj.get(key)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let id = text("id");
    let mut name = text("name");
    if name.is_empty() {
        name = id.clone();
    }
    let repo_path = obj
        .get("repoPath")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(PathBuf::from);
    let processes = match obj.get("processes") {
        Some(Value::Array(list)) => list.iter().filter_map(process_from_json).collect(),
        _ => Vec::new(),
    };
    Some(RegistryApp {
        id,
        name,
        repo_path,
        ui_port: obj.get("uiPort").and_then(port_value),
        dev_ui_port: obj.get("devUiPort").and_then(port_value),
        api_port: obj.get("apiPort").and_then(port_value),
        tls_port: obj.get("tlsPort").and_then(port_value),
        archived: obj
            .get("archived")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        processes,
    })
}

fn process_from_json(v: &Value) -> Option<RegistryProcess> {
    let obj = v.as_object()?;
    let ports = match obj.get("ports") {
        Some(Value::Object(map)) => map
            .iter()
            .filter_map(|(label, value)| Some((label.clone(), port_value(value)?)))
            .collect(),
        _ => Vec::new(),
    };
    Some(RegistryProcess {
        name: obj
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        port: obj.get("port").and_then(port_value),
        ports,
    })
}

/// A port-like value as §5.1 counts it: an integer, or a string of digits only. The range is checked by
/// `reserved_ports`, so an out-of-range number (PortOS does not validate detected ports) is still visible.
fn port_value(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n
            .as_i64()
            // JSON has one number type; 5555.0 is an integer to JavaScript.
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 1e15)
                    .map(|f| f as i64)
            }),
        Value::String(s)
            if !s.is_empty() && s.len() <= 18 && s.bytes().all(|b| b.is_ascii_digit()) =>
        {
            s.parse().ok()
        }
        _ => None,
    }
}

/// The ports PortOS's registry holds (§5.1), each mapped to a description of its owner such as
/// `my-app (my-app-api:api)`, for the allocator's "occupied" set and its messages.
///
/// Archived apps count; values outside 1–65535 do not. The app whose `repoPath` is `own_repo` is skipped so
/// an app's own registry entry does not count against itself. PortOS's fixed 5554/5555 are not added here:
/// the core table already has them.
pub fn reserved_ports(apps: &[RegistryApp], own_repo: Option<&Path>) -> BTreeMap<u16, String> {
    let own = own_repo.map(PathKey::new);
    let mut owners: BTreeMap<u16, Vec<String>> = BTreeMap::new();
    for app in apps {
        let is_own = match (&own, &app.repo_path) {
            (Some(own), Some(path)) => own.matches(&PathKey::new(path)),
            _ => false,
        };
        if is_own {
            continue;
        }
        for (port, description) in app_claims(app) {
            let list = owners.entry(port).or_default();
            if !list.contains(&description) {
                list.push(description);
            }
        }
    }
    owners
        .into_iter()
        .map(|(port, list)| (port, list.join(" and ")))
        .collect()
}

/// The registry app whose `repoPath` is `dir` (symlinks resolved where the paths exist), if any.
pub fn app_for_dir<'a>(apps: &'a [RegistryApp], dir: &Path) -> Option<&'a RegistryApp> {
    let wanted = PathKey::new(dir);
    apps.iter().find(|app| {
        app.repo_path
            .as_deref()
            .is_some_and(|path| wanted.matches(&PathKey::new(path)))
    })
}

/// Every port one app claims, with the most specific reason per port: a process's label, else a process's
/// primary port, else the app-level field.
fn app_claims(app: &RegistryApp) -> BTreeMap<u16, String> {
    #[derive(Default)]
    struct Reasons {
        labelled: Vec<String>,
        primary: Vec<String>,
        fields: Vec<String>,
    }
    fn push(list: &mut Vec<String>, item: String) {
        if !list.contains(&item) {
            list.push(item);
        }
    }
    let mut by_port: BTreeMap<u16, Reasons> = BTreeMap::new();
    for proc in &app.processes {
        for (label, value) in &proc.ports {
            if let Some(port) = valid_port(*value) {
                push(
                    &mut by_port.entry(port).or_default().labelled,
                    format!("{}:{label}", proc.name),
                );
            }
        }
        if let Some(port) = proc.port.and_then(valid_port) {
            push(
                &mut by_port.entry(port).or_default().primary,
                proc.name.clone(),
            );
        }
    }
    let fields = [
        ("uiPort", app.ui_port),
        ("devUiPort", app.dev_ui_port),
        ("apiPort", app.api_port),
        ("tlsPort", app.tls_port),
    ];
    for (field, value) in fields {
        if let Some(port) = value.and_then(valid_port) {
            push(
                &mut by_port.entry(port).or_default().fields,
                field.to_string(),
            );
        }
    }
    by_port
        .into_iter()
        .map(|(port, reasons)| {
            let mut items = if !reasons.labelled.is_empty() {
                reasons.labelled
            } else if !reasons.primary.is_empty() {
                reasons.primary
            } else {
                reasons.fields
            };
            if app.archived {
                items.push("archived".to_string());
            }
            let name = if app.name.is_empty() {
                "unnamed app"
            } else {
                app.name.as_str()
            };
            (port, format!("{name} ({})", items.join(", ")))
        })
        .collect()
}

fn valid_port(n: i64) -> Option<u16> {
    u16::try_from(n).ok().filter(|&p| p != 0)
}

/// A path in two comparable forms: canonical (symlinks resolved) when it exists here, and lexical.
struct PathKey {
    canonical: Option<PathBuf>,
    lexical: PathBuf,
}

impl PathKey {
    fn new(path: &Path) -> Self {
        // Lexical form: `.` dropped, trailing slash and repeated separators ignored by `components`.
        let lexical = path
            .components()
            .filter(|c| *c != Component::CurDir)
            .collect();
        PathKey {
            canonical: std::fs::canonicalize(path).ok(),
            lexical,
        }
    }

    fn matches(&self, other: &PathKey) -> bool {
        match (&self.canonical, &other.canonical) {
            (Some(a), Some(b)) => a == b,
            _ => self.lexical == other.lexical,
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Fetching
// ---------------------------------------------------------------------------------------------------------

/// Why the registry could not be read. Every message ends by saying registry ports were not checked, because
/// callers show it as a warning and carry on without them.
#[derive(Debug)]
pub enum RegistryError {
    /// `portos.api_url` was refused by [`parse_loopback_url`].
    InvalidUrl(UrlError),
    /// The token holds characters that cannot go into an HTTP header.
    InvalidToken,
    /// Nothing listens at the URL: PortOS is not running (or runs elsewhere).
    NotRunning {
        /// The canonical URL tried.
        url: String,
    },
    /// No complete answer within the caller's timeout.
    Timeout {
        /// The canonical URL tried.
        url: String,
        /// The timeout that ran out.
        after: Duration,
        /// The step that was under way.
        phase: Phase,
    },
    /// The server reset the connection: what a TLS-only port may do to a plain HTTP request.
    Reset {
        /// The canonical URL tried.
        url: String,
        /// The OS error.
        detail: String,
    },
    /// PortOS's main port does not answer plain HTTP (it serves HTTPS), and its loopback HTTP mirror did not
    /// answer either.
    HttpsOnly {
        /// The configured URL.
        url: String,
        /// What the configured URL answered instead of HTTP.
        detail: String,
        /// The mirror tried.
        mirror: String,
        /// Why the mirror failed.
        mirror_error: Box<RegistryError>,
    },
    /// Another socket error (reset, unreachable, …).
    Io {
        /// The canonical URL tried.
        url: String,
        /// The step that failed.
        phase: Phase,
        /// The OS error.
        error: std::io::Error,
    },
    /// 401 or 403: PortOS's auth is on and the token is missing or wrong.
    Unauthorized {
        /// The canonical URL tried.
        url: String,
        /// 401 or 403.
        status: u16,
        /// Whether a token was sent.
        token_sent: bool,
    },
    /// Any other non-2xx status.
    HttpStatus {
        /// The canonical URL tried.
        url: String,
        /// The request's method and path (`GET /api/apps`).
        path: String,
        /// The status code.
        status: u16,
        /// The reason phrase, shortened.
        reason: String,
    },
    /// The answer is not HTTP/1.x we can read; probably not PortOS on that port.
    MalformedHttp {
        /// The canonical URL tried.
        url: String,
        /// What was wrong.
        detail: String,
    },
    /// HTTP was fine but the body is not the §6 array.
    InvalidJson {
        /// The canonical URL tried.
        url: String,
        /// What was wrong, with serde's line and column.
        error: AppsParseError,
    },
}

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegistryError::InvalidUrl(e) => write!(f, "portos.api_url is not usable: {e}"),
            RegistryError::InvalidToken => write!(
                f,
                "the token in the variable named by portos.token_env contains spaces, control or non-ASCII \
                 characters and cannot be sent"
            ),
            RegistryError::NotRunning { url } => {
                write!(f, "PortOS is not reachable at {url} (connection refused)")
            }
            RegistryError::Timeout { url, after, phase } => {
                let doing = match phase {
                    Phase::Connecting => "to accept the connection",
                    Phase::Sending => "to accept the request",
                    Phase::Reading => "to answer",
                };
                write!(
                    f,
                    "PortOS at {url} took longer than {} ms {doing}",
                    after.as_millis()
                )
            }
            RegistryError::Reset { url, detail } => {
                write!(f, "PortOS at {url} reset the connection ({detail})")
            }
            RegistryError::HttpsOnly {
                url,
                detail,
                mirror,
                mirror_error,
            } => {
                let why = mirror_error.to_string();
                let why = why
                    .strip_suffix("; registry ports were not checked")
                    .unwrap_or(&why);
                write!(
                    f,
                    "PortOS at {url} does not answer plain HTTP ({detail}; it serves HTTPS), and its loopback \
                     HTTP mirror {mirror} (PORTOS_HTTP_PORT) failed too: {why}"
                )
            }
            RegistryError::Io { url, phase, error } => {
                let doing = match phase {
                    Phase::Connecting => "connecting to",
                    Phase::Sending => "sending the request to",
                    Phase::Reading => "reading the answer from",
                };
                write!(f, "error {doing} PortOS at {url}: {error}")
            }
            RegistryError::Unauthorized {
                url,
                status,
                token_sent,
            } => {
                let why = if *token_sent {
                    "the token was rejected"
                } else {
                    "PortOS's auth is on and no token was sent"
                };
                write!(
                    f,
                    "PortOS at {url} refused the request (HTTP {status}: {why}); set the token in the variable \
                     named by portos.token_env, or the password in the one named by portos.password_env"
                )
            }
            RegistryError::HttpStatus {
                url,
                path,
                status,
                reason,
            } => write!(
                f,
                "PortOS at {url} answered {path} with HTTP {status} {reason}"
            ),
            RegistryError::MalformedHttp { url, detail } => write!(
                f,
                "the server at {url} did not answer in HTTP/1.1 ({detail}); is PortOS really on that port?"
            ),
            RegistryError::InvalidJson { url, error } => {
                write!(
                    f,
                    "PortOS at {url} sent an app list that could not be read: {error}"
                )
            }
        }?;
        write!(f, "; registry ports were not checked")
    }
}

impl std::error::Error for RegistryError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RegistryError::InvalidUrl(e) => Some(e),
            RegistryError::Io { error, .. } => Some(error),
            RegistryError::InvalidJson { error, .. } => Some(error),
            _ => None,
        }
    }
}

/// Reads the running PortOS's app list from `api_url` (loopback only, see [`parse_loopback_url`]): `GET
/// /api/apps` alone, without the health check or the mirror of [`super::read_registry`].
///
/// `token` is sent as `Authorization: Bearer` when given (surrounding whitespace, such as a newline from a
/// file, is trimmed; an empty token counts as none). `timeout` bounds the whole exchange — connecting,
/// sending and reading together — so an editor never waits longer than that for a stalled PortOS.
pub fn fetch_apps(
    api_url: &str,
    token: Option<&str>,
    timeout: Duration,
) -> Result<Vec<RegistryApp>, RegistryError> {
    let access = super::Access {
        api_url: api_url.to_string(),
        token: token.map(str::to_string),
        ..super::Access::default()
    };
    super::portos_api::read_apps(&access, timeout)
}

#[cfg(test)]
mod tests;
