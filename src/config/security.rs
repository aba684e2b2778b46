//! The rules that keep PortOS's bearer token on this machine: the registry URL must be plain HTTP to a
//! loopback host, and a project file may only name a `PORTOS_*` variable as the token's source.
//!
//! [`parse_loopback_url`] is the one gate: the project file, the editor's settings and the registry fetch
//! (`crate::live`) all ask it, so what one accepts the others accept too.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Where PortOS's API lives, as approved by [`parse_loopback_url`]: only such a target is ever connected to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpTarget {
    /// The host as written in URL form, lower-cased: `127.0.0.1`, `localhost` or `[::1]`.
    pub host: String,
    /// TCP port (80 when the URL has none).
    pub port: u16,
    /// Path prefix under which PortOS's API is mounted: empty, or `/prefix` without a trailing slash.
    pub base_path: String,
}

impl HttpTarget {
    /// The socket addresses to try, in order; `localhost` means 127.0.0.1 then ::1, never a DNS answer.
    pub fn socket_addrs(&self) -> Vec<SocketAddr> {
        if self.host == "localhost" {
            return vec![
                SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), self.port),
                SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), self.port),
            ];
        }
        let bare = self.host.trim_start_matches('[').trim_end_matches(']');
        match bare.parse::<IpAddr>() {
            Ok(ip) if ip.is_loopback() => vec![SocketAddr::new(ip, self.port)],
            // Unreachable through `parse_loopback_url`; a hand-built target with another host gets nothing.
            _ => Vec::new(),
        }
    }

    /// The `Host` header value.
    pub fn host_header(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// The request target for `endpoint` (which starts with `/`) under the base path.
    pub fn path_for(&self, endpoint: &str) -> String {
        format!("{}{}", self.base_path, endpoint)
    }
}

impl fmt::Display for HttpTarget {
    /// The canonical URL, used in every message so the user sees exactly what was tried.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "http://{}:{}{}", self.host, self.port, self.base_path)
    }
}

/// Why an `api_url` was refused; each message says what is accepted instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlError {
    /// The setting is empty.
    Empty,
    /// `https://`: PortOS's TLS port is not used (its certificate is self-signed and we carry no TLS stack).
    Https,
    /// Another scheme, or none at all.
    NotHttp,
    /// `@` anywhere: `user@host` in the authority is the classic trick to make a URL look like loopback, and
    /// a lenient client may read one elsewhere as user information too.
    UserInfo,
    /// Nothing between `http://` and the path.
    MissingHost,
    /// A host that is not 127.0.0.0/8, `localhost` or `[::1]`.
    NotLoopback(String),
    /// A port that is not a number in 1–65535 (an empty one after `:` included).
    InvalidPort(String),
    /// `?query` or `#fragment`: the URL names a base, not a request.
    QueryOrFragment,
    /// A character that could not be sent safely in a request line (whitespace and controls included, also
    /// at either end: the URL is taken exactly as written).
    InvalidCharacter(char),
}

/// What every refusal says is accepted.
const ACCEPTED: &str = "PortOS's registry is read over plain HTTP from loopback only: http:// to 127.0.0.0/8, \
                        localhost or [::1], optionally with :port and /path";

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrlError::Empty => write!(
                f,
                "the URL is empty; {ACCEPTED}, e.g. http://127.0.0.1:5555"
            ),
            UrlError::Https => write!(
                f,
                "https is not supported; {ACCEPTED} (with a certificate installed, PortOS also serves plain \
                 HTTP on http://127.0.0.1:5553)"
            ),
            UrlError::NotHttp => write!(
                f,
                "the URL must start with http://, e.g. http://127.0.0.1:5555; {ACCEPTED}"
            ),
            UrlError::UserInfo => write!(
                f,
                "it contains '@' (user information can hide the real host); {ACCEPTED}"
            ),
            UrlError::MissingHost => write!(f, "the URL has no host; {ACCEPTED}"),
            UrlError::NotLoopback(host) => write!(
                f,
                "{host:?} is not a loopback address, and the token must never leave this machine; {ACCEPTED}"
            ),
            UrlError::InvalidPort(port) => {
                write!(f, "{port:?} is not a port number in 1-65535; {ACCEPTED}")
            }
            UrlError::QueryOrFragment => write!(
                f,
                "the URL must not have a ?query or #fragment; give the base URL, e.g. \
                 http://127.0.0.1:5555; {ACCEPTED}"
            ),
            UrlError::InvalidCharacter(c) => write!(
                f,
                "the URL contains the character {c:?}, which is not allowed; {ACCEPTED}"
            ),
        }
    }
}

impl std::error::Error for UrlError {}

/// Approves `url` as a place to send the token: `http://` + a loopback host, optional port, optional base
/// path. Deliberately stricter than a URL parser: anything a lenient HTTP client could read as another host
/// (`@` anywhere, backslashes, percent-encoded or trailing-dot hosts, whitespace, an empty port) is refused.
pub fn parse_loopback_url(url: &str) -> Result<HttpTarget, UrlError> {
    if url.is_empty() {
        return Err(UrlError::Empty);
    }
    if let Some(c) = url.chars().find(|&c| !is_allowed_url_char(c)) {
        return Err(UrlError::InvalidCharacter(c));
    }
    let (scheme, rest) = match url.split_once("://") {
        Some(parts) => parts,
        None => return Err(UrlError::NotHttp),
    };
    if scheme.eq_ignore_ascii_case("https") {
        return Err(UrlError::Https);
    }
    if !scheme.eq_ignore_ascii_case("http") {
        return Err(UrlError::NotHttp);
    }
    if rest.contains('@') {
        return Err(UrlError::UserInfo);
    }
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    if tail.contains(['?', '#']) {
        return Err(UrlError::QueryOrFragment);
    }
    if authority.is_empty() {
        return Err(UrlError::MissingHost);
    }

    let (host, port_text) = if let Some(after_bracket) = authority.strip_prefix('[') {
        let (inner, after) = after_bracket
            .split_once(']')
            .ok_or_else(|| UrlError::NotLoopback(authority.to_string()))?;
        let port = match after {
            "" => None,
            p => Some(
                p.strip_prefix(':')
                    .ok_or(UrlError::InvalidPort(p.to_string()))?,
            ),
        };
        match inner.parse::<Ipv6Addr>() {
            Ok(ip) if ip.is_loopback() => ("[::1]".to_string(), port),
            _ => return Err(UrlError::NotLoopback(format!("[{inner}]"))),
        }
    } else {
        if authority.matches(':').count() > 1 {
            // An unbracketed IPv6 address such as http://::1:5555.
            return Err(UrlError::NotLoopback(authority.to_string()));
        }
        let (host, port) = match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        };
        if host.is_empty() {
            return Err(UrlError::MissingHost);
        }
        let lower = host.to_ascii_lowercase();
        // std's parser takes exactly four decimal octets, refusing `127.1`, octal `0177.0.0.1` and hex
        // forms, which some resolvers would read as other addresses.
        let approved =
            lower == "localhost" || lower.parse::<Ipv4Addr>().is_ok_and(|ip| ip.is_loopback());
        if !approved {
            return Err(UrlError::NotLoopback(host.to_string()));
        }
        (lower, port)
    };

    let port = match port_text {
        None => 80,
        Some(p) => {
            let valid = !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit());
            match p.parse::<u32>() {
                Ok(n @ 1..=65535) if valid => n as u16,
                _ => return Err(UrlError::InvalidPort(p.to_string())),
            }
        }
    };

    Ok(HttpTarget {
        host,
        port,
        base_path: tail.trim_end_matches('/').to_string(),
    })
}

/// Printable ASCII that may appear in a URL; no spaces, quotes, backslashes or controls (no header injection).
fn is_allowed_url_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~:/?#[]@!$&'()*+,;=%".contains(c)
}

/// Checks that `url` is `http://<loopback>[:port][/path]`, where loopback is `localhost`, an address in
/// 127.0.0.0/8, or `[::1]`: [`parse_loopback_url`], for settings that keep the URL as written. The error
/// says what is wrong and what is accepted, for a message that also names the setting.
pub fn validate_api_url(url: &str) -> Result<(), String> {
    parse_loopback_url(url)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Checks an environment variable name (`[A-Za-z_][A-Za-z0-9_]*`) as given in `token_env`.
pub(crate) fn validate_env_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if first_ok && chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        Ok(())
    } else {
        Err(format!(
            "\"{name}\" is not an environment variable name (letters, digits and '_', not starting with a digit)"
        ))
    }
}

/// A project file comes with the repository, so it may not choose an arbitrary secret to send: only
/// variables named `PORTOS_*` (or `PORTOS` itself) can be the source of the token or the password when it sets
/// `token_env` or `password_env`.
pub(crate) fn validate_project_token_env(name: &str) -> Result<(), String> {
    validate_env_name(name)?;
    if name == "PORTOS" || name.starts_with("PORTOS_") {
        Ok(())
    } else {
        Err(format!(
            "a project file may only name a PORTOS_* variable, got \"{name}\" (a repository must not be able to \
             send another secret to PortOS); name it in your editor settings or the user-level file instead"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_loopback_urls() {
        for url in [
            "http://127.0.0.1",
            "http://127.0.0.1:5555",
            "http://127.0.0.1:5555/",
            "http://127.0.0.1:5555/api",
            "http://127.8.9.10",
            "http://127.8.9.10:80/x/y",
            "http://localhost",
            "http://LOCALHOST:5555/api/v1",
            "HTTP://localhost",
            "http://[::1]",
            "http://[::1]:5555",
            "http://[::1]:5555/api",
            "http://[0:0:0:0:0:0:0:1]/",
        ] {
            assert_eq!(validate_api_url(url), Ok(()), "{url}");
        }
    }

    #[test]
    fn refuses_everything_else() {
        for url in [
            "https://127.0.0.1:5555",
            "http://10.0.0.1:5555",
            "http://example.com",
            "http://127.0.0.1@evil.com",
            "http://evil.com@127.0.0.1",
            "http://user:pw@127.0.0.1",
            "http://localhost.evil.com",
            "http://localhost.",
            "http://127.0.0.1.evil.com",
            "http://127.1",
            "http://0177.0.0.1",
            "http://0x7f.0.0.1",
            "http://2130706433",
            "http://%31%32%37.0.0.1",
            "http://127.0.0.1\\@evil.com",
            "http://127.0.0.1:0",
            "http://127.0.0.1:65536",
            "http://127.0.0.1:+80",
            "http://127.0.0.1:",
            "http://127.0.0.1?x=1",
            "http://127.0.0.1/#frag",
            "http://[::2]",
            "http://[::ffff:127.0.0.1]",
            "http://[::1",
            "http://[::1]x",
            "http://0.0.0.0",
            "http:// 127.0.0.1",
            "ftp://127.0.0.1",
            "127.0.0.1:5555",
            "",
            "http://",
            "http://ｌocalhost",
        ] {
            assert!(validate_api_url(url).is_err(), "{url}");
        }
    }

    #[test]
    fn error_names_the_rule() {
        let err = validate_api_url("https://127.0.0.1").unwrap_err();
        assert!(err.starts_with("https is not supported"), "{err}");
        assert!(err.contains("loopback only"), "{err}");
    }

    #[test]
    fn env_names() {
        assert!(validate_env_name("PORTOS_TOKEN").is_ok());
        assert!(validate_env_name("_x1").is_ok());
        assert!(validate_env_name("1X").is_err());
        assert!(validate_env_name("").is_err());
        assert!(validate_env_name("A-B").is_err());
        assert!(validate_project_token_env("PORTOS_TOKEN").is_ok());
        assert!(validate_project_token_env("PORTOS").is_ok());
        assert!(validate_project_token_env("GITHUB_TOKEN").is_err());
        assert!(validate_project_token_env("PORTOSX").is_err());
    }
}
