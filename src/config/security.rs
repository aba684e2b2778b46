//! The rules that keep PortOS's bearer token on this machine: the registry URL must be plain HTTP to a
//! loopback host, and a project file may only name a `PORTOS_*` variable as the token's source.

use std::net::{Ipv4Addr, Ipv6Addr};

/// Checks that `url` is `http://<loopback>[:port][/path]`, where loopback is `localhost`, an address in
/// 127.0.0.0/8, or `[::1]`. The error says what is wrong, for a message that also names the setting.
///
/// Deliberately stricter than a URL parser: anything a lenient HTTP client could read as another host
/// (userinfo `@`, backslashes, percent-encoded or trailing-dot hosts, whitespace) is refused outright.
pub fn validate_api_url(url: &str) -> Result<(), String> {
    const RULE: &str = "PortOS's registry is read over plain HTTP from loopback only \
                        (http://127.0.0.1, http://localhost or http://[::1], optionally with :port and /path)";
    let refuse = |why: &str| Err(format!("{why}; {RULE}"));

    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return refuse("it contains whitespace or control characters");
    }
    if url.contains('\\') {
        return refuse("it contains a backslash");
    }
    if url.contains('@') {
        return refuse("it contains '@' (user information can hide the real host)");
    }
    let Some(rest) = strip_prefix_ignore_case(url, "http://") else {
        if strip_prefix_ignore_case(url, "https://").is_some() {
            return refuse("https is not supported");
        }
        return refuse("it does not start with http://");
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    if authority.contains(['?', '#']) || path.contains(['?', '#']) {
        return refuse("query strings and fragments are not allowed");
    }
    if !path
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/-._~%+,;=:!$&'()*".contains(c))
    {
        return refuse("the path contains characters that are not allowed");
    }
    let (host, port) = split_host_port(authority)?;
    if let Some(port) = port {
        match port.parse::<u16>() {
            Ok(p) if p > 0 && port.bytes().all(|b| b.is_ascii_digit()) => {}
            _ => return refuse(&format!("'{port}' is not a port number (1–65535)")),
        }
    }
    if is_loopback_host(host) {
        Ok(())
    } else {
        refuse(&format!("'{host}' is not a loopback host"))
    }
}

/// Splits `host[:port]` / `[v6][:port]`; the port is `None` when absent.
fn split_host_port(authority: &str) -> Result<(&str, Option<&str>), String> {
    if let Some(after) = authority.strip_prefix('[') {
        let Some(end) = after.find(']') else {
            return Err("the IPv6 address is missing its closing ']'".to_string());
        };
        let host = &authority[..end + 2];
        let tail = &after[end + 1..];
        return match tail.strip_prefix(':') {
            Some(port) => Ok((host, Some(port))),
            None if tail.is_empty() => Ok((host, None)),
            None => Err(format!("unexpected '{tail}' after the IPv6 address")),
        };
    }
    match authority.split_once(':') {
        Some((host, port)) => Ok((host, Some(port))),
        None => Ok((authority, None)),
    }
}

/// Whether `host` (as written in a URL) is this machine.
fn is_loopback_host(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return v6.parse::<Ipv6Addr>().is_ok_and(|a| a.is_loopback());
    }
    // std's parser takes exactly four decimal octets, refusing `127.1`, octal `0177.0.0.1` and hex forms,
    // which some resolvers would read as other addresses.
    host.parse::<Ipv4Addr>().is_ok_and(|a| a.is_loopback())
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
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
/// variables named `PORTOS_*` (or `PORTOS` itself) can be the token's source when it sets `token_env`.
pub(crate) fn validate_project_token_env(name: &str) -> Result<(), String> {
    validate_env_name(name)?;
    if name == "PORTOS" || name.starts_with("PORTOS_") {
        Ok(())
    } else {
        Err(format!(
            "a project file may only name a PORTOS_* variable, got \"{name}\" (a repository must not be able to \
             send another secret as the bearer token); set tokenEnv in your editor settings instead"
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
