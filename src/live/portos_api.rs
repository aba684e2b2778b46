//! PortOS's API as it is today (portos-lsp.md §12): the public health check that says which scheme PortOS
//! serves, the loopback HTTP mirror used when its main port serves HTTPS, a bearer token or a password, the app
//! list, the refresh of one app's stored ports, and the registry file `data/apps.json` read without a server.
//!
//! Everything stays on loopback: every URL goes through [`parse_loopback_url`], the mirror is always
//! `127.0.0.1`, and credentials are only ever sent there. One deadline bounds a whole read, however many
//! requests it takes, so a PortOS that never answers costs at most the timeout.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::http::{self, GetError};
use super::registry::{
    AppsParseError, RegistryApp, RegistryError, app_from_json, parse_apps_bytes,
};
use crate::config::{HttpTarget, parse_loopback_url};

/// The port of PortOS's loopback HTTP mirror when `PORTOS_HTTP_PORT` does not say otherwise.
pub const DEFAULT_MIRROR_PORT: u16 = 5553;

/// How to reach PortOS and prove who we are.
#[derive(Clone, Debug, Default)]
pub struct Access {
    /// `portos.api_url` (loopback HTTP only).
    pub api_url: String,
    /// The bearer token, read from the variable `token_env` names.
    pub token: Option<String>,
    /// The password, read from the variable `password_env` names (sent as Basic auth `:password`).
    pub password: Option<String>,
    /// The loopback HTTP mirror's port (`PORTOS_HTTP_PORT`, else 5553).
    pub mirror_port: u16,
}

/// What PortOS's public `GET /api/system/health` says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Health {
    /// `status` (`ok`).
    pub status: Option<String>,
    /// `scheme`: `http`, or `https` when PortOS serves TLS on its main port.
    pub scheme: Option<String>,
    /// `authRequired`.
    pub auth_required: bool,
    /// `version`.
    pub version: Option<String>,
}

/// The registry as read from a running PortOS.
#[derive(Clone, Debug, Default)]
pub struct Registry {
    /// Every app, PortOS's own entry included.
    pub apps: Vec<RegistryApp>,
    /// The base URL that answered (the configured one, or the mirror).
    pub url: String,
    /// Whether the loopback mirror answered because the main port serves HTTPS.
    pub via_mirror: bool,
    /// The health check's answer, when PortOS has one.
    pub health: Option<Health>,
}

/// Reads PortOS's registry: the health check first (on the configured URL; when that port speaks TLS to a
/// plain request, on the loopback mirror instead), then `GET /api/apps` where the health check answered. The
/// whole read ends within `timeout`.
pub fn read_registry(access: &Access, timeout: Duration) -> Result<Registry, RegistryError> {
    let deadline = Instant::now() + timeout;
    let (target, health, via_mirror) = reachable(access, deadline, timeout)?;
    let response = exchange(access, &target, "GET", "/api/apps", deadline, timeout)?;
    let url = target.to_string();
    let apps = parse_apps_bytes(&response.body).map_err(|error| RegistryError::InvalidJson {
        url: url.clone(),
        error,
    })?;
    Ok(Registry {
        apps,
        url,
        via_mirror,
        health,
    })
}

/// `GET /api/apps` on the configured URL alone, within `timeout`.
pub(super) fn read_apps(
    access: &Access,
    timeout: Duration,
) -> Result<Vec<RegistryApp>, RegistryError> {
    let deadline = Instant::now() + timeout;
    let target = parse_loopback_url(&access.api_url).map_err(RegistryError::InvalidUrl)?;
    let response = exchange(access, &target, "GET", "/api/apps", deadline, timeout)?;
    parse_apps_bytes(&response.body).map_err(|error| RegistryError::InvalidJson {
        url: target.to_string(),
        error,
    })
}

/// Asks PortOS to read an app's ecosystem file again (`POST /api/apps/:id/refresh-config`), on the same
/// loopback target a read would use, within `timeout`.
pub fn refresh_app(access: &Access, id: &str, timeout: Duration) -> Result<(), RegistryError> {
    let deadline = Instant::now() + timeout;
    let (target, _, _) = reachable(access, deadline, timeout)?;
    let endpoint = format!("/api/apps/{}/refresh-config", encode_segment(id));
    exchange(access, &target, "POST", &endpoint, deadline, timeout).map(|_| ())
}

/// Reads PortOS's registry file `data/apps.json` (`{"apps": {"<id>": {…}}}`): the stored apps, each with its
/// key as its id when it carries none. PortOS's own entry is not in it (PortOS builds that one at load).
pub fn parse_apps_file(body: &[u8]) -> Result<Vec<RegistryApp>, AppsParseError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| AppsParseError::Json {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    let apps = match &value {
        Value::Object(root) => root.get("apps"),
        _ => None,
    };
    let Some(Value::Object(apps)) = apps else {
        return Err(AppsParseError::NoAppsObject);
    };
    Ok(apps
        .iter()
        .filter_map(|(id, app)| {
            let mut app = app.clone();
            if let Value::Object(fields) = &mut app
                && !fields.get("id").is_some_and(Value::is_string)
            {
                fields.insert("id".into(), Value::String(id.clone()));
            }
            app_from_json(&app)
        })
        .collect())
}

/// The target that answers plain HTTP, with the health check's answer: the configured URL, else (its port
/// speaks TLS or drops plain requests) PortOS's loopback mirror.
fn reachable(
    access: &Access,
    deadline: Instant,
    timeout: Duration,
) -> Result<(HttpTarget, Option<Health>, bool), RegistryError> {
    let target = parse_loopback_url(&access.api_url).map_err(RegistryError::InvalidUrl)?;
    match health(access, &target, deadline, timeout) {
        Ok(health) => Ok((target, health, false)),
        Err(RegistryError::MalformedHttp { url, detail })
        | Err(RegistryError::Reset { url, detail }) => {
            let mirror = HttpTarget {
                host: "127.0.0.1".into(),
                port: access.mirror_port,
                base_path: target.base_path.clone(),
            };
            match health(access, &mirror, deadline, timeout) {
                Ok(health) => Ok((mirror, health, true)),
                Err(error) => Err(RegistryError::HttpsOnly {
                    url,
                    detail,
                    mirror: mirror.to_string(),
                    mirror_error: Box::new(error),
                }),
            }
        }
        Err(error) => Err(error),
    }
}

/// `GET /api/system/health`: `Ok(None)` when this PortOS has none (404), so older versions still work.
fn health(
    access: &Access,
    target: &HttpTarget,
    deadline: Instant,
    timeout: Duration,
) -> Result<Option<Health>, RegistryError> {
    match exchange(
        access,
        target,
        "GET",
        "/api/system/health",
        deadline,
        timeout,
    ) {
        Ok(response) => {
            let value: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
            let text = |key: &str| value.get(key).and_then(Value::as_str).map(str::to_string);
            Ok(Some(Health {
                status: text("status"),
                scheme: text("scheme"),
                auth_required: value
                    .get("authRequired")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                version: text("version"),
            }))
        }
        Err(RegistryError::HttpStatus { status: 404, .. }) => Ok(None),
        Err(error) => Err(error),
    }
}

/// One request to `target` with the credentials, answered with a 2xx status before `deadline`.
fn exchange(
    access: &Access,
    target: &HttpTarget,
    method: &str,
    endpoint: &str,
    deadline: Instant,
    timeout: Duration,
) -> Result<http::Response, RegistryError> {
    let url = target.to_string();
    let path = target.path_for(endpoint);
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {}\r\nAccept: application/json\r\nUser-Agent: portos-lsp/{}\r\nConnection: close\r\n",
        target.host_header(),
        env!("CARGO_PKG_VERSION"),
    );
    let credentials = authorization(access)?;
    if let Some(header) = &credentials {
        let _ = write!(request, "Authorization: {header}\r\n");
    }
    if method == "POST" {
        request.push_str("Content-Length: 0\r\n");
    }
    request.push_str("\r\n");
    let left = deadline
        .checked_duration_since(Instant::now())
        .filter(|left| !left.is_zero())
        .ok_or_else(|| RegistryError::Timeout {
            url: url.clone(),
            after: timeout,
            phase: http::Phase::Connecting,
        })?;
    let response =
        http::get(&target.socket_addrs(), request.as_bytes(), left).map_err(|e| match e {
            GetError::Refused => RegistryError::NotRunning { url: url.clone() },
            GetError::Timeout(phase) => RegistryError::Timeout {
                url: url.clone(),
                after: timeout,
                phase,
            },
            GetError::Io(_, error)
                if matches!(
                    error.kind(),
                    std::io::ErrorKind::ConnectionReset
                        | std::io::ErrorKind::ConnectionAborted
                        | std::io::ErrorKind::BrokenPipe
                ) =>
            {
                RegistryError::Reset {
                    url: url.clone(),
                    detail: error.to_string(),
                }
            }
            GetError::Io(phase, error) => RegistryError::Io {
                url: url.clone(),
                phase,
                error,
            },
            GetError::Malformed(detail) => RegistryError::MalformedHttp {
                url: url.clone(),
                detail,
            },
        })?;
    match response.status {
        200..=299 => {}
        401 | 403 => {
            return Err(RegistryError::Unauthorized {
                url,
                status: response.status,
                token_sent: credentials.is_some(),
            });
        }
        status => {
            return Err(RegistryError::HttpStatus {
                url,
                path: format!("{method} {path}"),
                status,
                reason: response.reason,
            });
        }
    }
    if let Some(encoding) = response.content_encoding {
        return Err(RegistryError::MalformedHttp {
            url,
            detail: format!("the body is compressed ({encoding}), which was not asked for"),
        });
    }
    Ok(response)
}

/// The `Authorization` header's value: the bearer token when there is one, else Basic auth with an empty
/// user name and the password (PortOS ignores the user name), else none.
fn authorization(access: &Access) -> Result<Option<String>, RegistryError> {
    if let Some(token) = access
        .token
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        if !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(RegistryError::InvalidToken);
        }
        return Ok(Some(format!("Bearer {token}")));
    }
    let password = access
        .password
        .as_deref()
        .map(|p| p.trim_end_matches(['\r', '\n']))
        .filter(|p| !p.is_empty());
    Ok(password.map(|p| format!("Basic {}", base64(format!(":{p}").as_bytes()))))
}

/// Standard base64 with padding (RFC 4648), for Basic auth.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// An app id as one path segment: unreserved characters as they are, every other byte percent-encoded.
fn encode_segment(id: &str) -> String {
    let mut out = String::new();
    for byte in id.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64(b":s3cret"), "OnMzY3JldA==");
    }

    #[test]
    fn ids_are_one_segment() {
        assert_eq!(encode_segment("portos-default"), "portos-default");
        assert_eq!(encode_segment("a/b c"), "a%2Fb%20c");
    }

    #[test]
    fn token_wins_over_password() {
        let access = Access {
            token: Some("t0k".into()),
            password: Some("pw".into()),
            ..Access::default()
        };
        assert_eq!(authorization(&access).unwrap().unwrap(), "Bearer t0k");
        let access = Access {
            password: Some("pw\n".into()),
            ..Access::default()
        };
        assert_eq!(authorization(&access).unwrap().unwrap(), "Basic OnB3");
        assert_eq!(authorization(&Access::default()).unwrap(), None);
    }

    #[test]
    fn the_apps_file_is_read_by_id() {
        let apps = parse_apps_file(
            br#"{"apps": {"abc": {"name": "shop", "repoPath": "/w/shop", "processes": [{"name": "shop-api", "ports": {"api": 5570}}]}, "x": 3}}"#,
        )
        .unwrap();
        assert_eq!(apps.len(), 1);
        assert_eq!(apps[0].id, "abc");
        assert_eq!(apps[0].processes[0].ports, vec![("api".to_string(), 5570)]);
        assert!(parse_apps_file(b"[]").is_err());
        assert!(parse_apps_file(b"{").is_err());
    }
}
