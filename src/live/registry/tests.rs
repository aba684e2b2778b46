//! Tests for the registry reader: URL gate, body parsing, reserved ports, and a real HTTP exchange against
//! a throw-away server on 127.0.0.1 serving recorded `/api/apps` data.

use super::*;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::Instant;

const RECORDED: &str = include_str!("../../../tests/data/live/api-apps.json");

// ----- URL gate ------------------------------------------------------------------------------------------

#[test]
fn live_url_accepts_loopback_forms() {
    let ok = |url: &str, host: &str, port: u16, base: &str| {
        let t = parse_loopback_url(url).unwrap_or_else(|e| panic!("{url}: {e}"));
        assert_eq!(
            (t.host.as_str(), t.port, t.base_path.as_str()),
            (host, port, base),
            "{url}"
        );
    };
    ok("http://127.0.0.1:5555", "127.0.0.1", 5555, "");
    ok("http://127.0.0.1:5555/", "127.0.0.1", 5555, "");
    ok("HTTP://LocalHost:5553", "localhost", 5553, "");
    ok("http://localhost", "localhost", 80, "");
    ok("http://127.8.9.10:1/portos/", "127.8.9.10", 1, "/portos");
    ok("http://[::1]:5555/a/b", "[::1]", 5555, "/a/b");
    ok("http://[0:0:0:0:0:0:0:1]", "[::1]", 80, "");
    ok("http://127.0.0.1/x/", "127.0.0.1", 80, "/x");
}

#[test]
fn the_fetch_and_the_configuration_accept_the_same_urls() {
    // One gate: what a project file or the editor may set is exactly what the fetch will use (these three
    // were accepted by the fetch and refused by the configuration).
    for url in [
        "http://127.0.0.1:",
        "http://127.0.0.1:/x",
        "  http://127.0.0.1:5555/  ",
        "http://127.0.0.1/@evil.com",
        "http://127.0.0.1",
        "http://localhost:5555/api",
        "http://[::1]:5555",
        "http://127.0.0.1/[x]",
        "http://127.0.0.1@evil.com",
        "https://127.0.0.1",
        "http://127.1",
        "http://ｌocalhost",
    ] {
        assert_eq!(
            parse_loopback_url(url).is_ok(),
            crate::config::validate_api_url(url).is_ok(),
            "{url:?}"
        );
    }
}

#[test]
fn live_url_refuses_everything_else() {
    use UrlError::*;
    let cases: &[(&str, UrlError)] = &[
        ("", Empty),
        ("https://127.0.0.1:5555", Https),
        ("ftp://127.0.0.1", NotHttp),
        ("127.0.0.1:5555", NotHttp),
        ("http://127.0.0.1@evil.com", UserInfo),
        ("http://127.0.0.1:5555@evil.com/", UserInfo),
        ("http://user:pw@127.0.0.1/", UserInfo),
        (
            "http://localhost.evil.com:5555",
            NotLoopback("localhost.evil.com".into()),
        ),
        ("http://evil.com", NotLoopback("evil.com".into())),
        ("http://128.0.0.1", NotLoopback("128.0.0.1".into())),
        ("http://0.0.0.0:5555", NotLoopback("0.0.0.0".into())),
        (
            "http://192.168.1.10:5555",
            NotLoopback("192.168.1.10".into()),
        ),
        ("http://2130706433/", NotLoopback("2130706433".into())),
        ("http://0x7f.0.0.1/", NotLoopback("0x7f.0.0.1".into())),
        ("http://127.1/", NotLoopback("127.1".into())),
        ("http://[::2]/", NotLoopback("[::2]".into())),
        (
            "http://[::ffff:127.0.0.1]/",
            NotLoopback("[::ffff:127.0.0.1]".into()),
        ),
        ("http://::1:5555/", NotLoopback("::1:5555".into())),
        ("http://[::1/", NotLoopback("[::1".into())),
        ("http://[::1]x/", InvalidPort("x".into())),
        ("http://127.0.0.1:0", InvalidPort("0".into())),
        ("http://127.0.0.1:65536", InvalidPort("65536".into())),
        ("http://127.0.0.1:+80", InvalidPort("+80".into())),
        ("http://127.0.0.1:", InvalidPort("".into())),
        ("http://127.0.0.1:/x", InvalidPort("".into())),
        ("http://127.0.0.1/@evil.com", UserInfo),
        ("  http://127.0.0.1:5555/  ", InvalidCharacter(' ')),
        (
            "http://127.0.0.1:99999999999999999999",
            InvalidPort("99999999999999999999".into()),
        ),
        ("http://", MissingHost),
        ("http:///api", MissingHost),
        ("http://:5555", MissingHost),
        ("http://127.0.0.1:5555/?x=1", QueryOrFragment),
        ("http://127.0.0.1:5555#frag", QueryOrFragment),
        ("http://127.0.0.1\\@evil.com", InvalidCharacter('\\')),
        ("http://127.0.0.1/a b", InvalidCharacter(' ')),
        ("http://127.0.0.1/x\r\nX-Evil: 1", InvalidCharacter('\r')),
        ("http://127.0.0.1/é", InvalidCharacter('é')),
    ];
    for (url, expected) in cases {
        assert_eq!(parse_loopback_url(url).as_ref(), Err(expected), "{url:?}");
    }
    let https = parse_loopback_url("https://localhost:5555")
        .unwrap_err()
        .to_string();
    assert!(
        https.contains("plain HTTP") && https.contains("5553"),
        "{https}"
    );
    let evil = parse_loopback_url("http://localhost.evil.com")
        .unwrap_err()
        .to_string();
    assert!(evil.contains("not a loopback address"), "{evil}");
    assert!(evil.contains("127.0.0.0/8, localhost or [::1]"), "{evil}");
}

#[test]
fn live_url_target_addresses_and_display() {
    let t = parse_loopback_url("http://localhost:5555/p/").unwrap();
    assert_eq!(t.to_string(), "http://localhost:5555/p");
    assert_eq!(t.host_header(), "localhost:5555");
    assert_eq!(t.path_for("/api/apps"), "/p/api/apps");
    let addrs: Vec<String> = t.socket_addrs().iter().map(ToString::to_string).collect();
    assert_eq!(addrs, ["127.0.0.1:5555", "[::1]:5555"]);
    let v6 = parse_loopback_url("http://[::1]:7").unwrap();
    assert_eq!(v6.host_header(), "[::1]:7");
    assert_eq!(v6.socket_addrs().len(), 1);
    let forged = HttpTarget {
        host: "example.com".into(),
        port: 80,
        base_path: String::new(),
    };
    assert!(forged.socket_addrs().is_empty());
}

// ----- body parsing --------------------------------------------------------------------------------------

fn recorded_apps() -> Vec<RegistryApp> {
    parse_apps(RECORDED).expect("recorded body parses")
}

#[test]
fn live_parse_recorded_apps() {
    let apps = recorded_apps();
    let names: Vec<&str> = apps.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["PortOS", "notes-app", "old-dashboard", "docs-site"]);

    let portos = &apps[0];
    assert_eq!(portos.id, "portos-default");
    assert_eq!(
        portos.repo_path.as_deref(),
        Some(Path::new("/Users/alice/dev/PortOS"))
    );
    assert_eq!(
        (
            portos.ui_port,
            portos.dev_ui_port,
            portos.api_port,
            portos.tls_port
        ),
        (Some(5555), Some(5554), Some(5555), None)
    );
    assert!(!portos.archived);
    assert_eq!(portos.processes.len(), 6);
    assert_eq!(
        portos.processes[0],
        RegistryProcess {
            name: "portos-server".into(),
            port: Some(5555),
            ports: vec![("api".into(), 5555), ("api-local".into(), 5553)],
        }
    );
    assert_eq!(
        portos.processes[5].ports,
        vec![("cdp".into(), 5556), ("health".into(), 5557)]
    );

    // Digit strings count; "5573abc" does not (§5.1); a null primary port is no port.
    let notes = &apps[1];
    assert_eq!(
        (notes.ui_port, notes.dev_ui_port, notes.api_port),
        (Some(5570), Some(5571), Some(5570))
    );
    assert_eq!(
        notes.processes,
        vec![
            RegistryProcess {
                name: "notes-api".into(),
                port: Some(5570),
                ports: vec![("api".into(), 5570), ("ws".into(), 5572)],
            },
            RegistryProcess {
                name: "notes-ui".into(),
                port: None,
                ports: vec![("devUi".into(), 5571)],
            },
        ]
    );

    // Out-of-range integers are kept for reserved_ports to filter; a fraction is not an integer.
    let old = &apps[2];
    assert!(old.archived);
    assert_eq!((old.ui_port, old.tls_port), (Some(5580), Some(5589)));
    assert_eq!(old.processes[0].ports, vec![]);
    assert_eq!(old.processes[0].port, Some(5581));
    assert_eq!(
        old.processes[1].ports,
        vec![
            ("api".into(), 70000),
            ("health".into(), 0),
            ("debug".into(), -1)
        ]
    );

    let docs = &apps[3];
    assert!(docs.processes.is_empty());
    assert_eq!((docs.ui_port, docs.api_port), (Some(5590), Some(5590)));
}

#[test]
fn live_parse_tolerates_odd_shapes() {
    let body = r#"[
        42, "x", null, [],
        {},
        {"id": "only-id", "uiPort": 5600.0, "apiPort": "", "devUiPort": " 5601", "tlsPort": true,
         "archived": "yes", "repoPath": "", "processes": {"not": "a list"}},
        {"name": "n", "processes": [7, {"ports": {"a": "0012", "b": "99999999999999999999999"}}, {"name": 5, "port": [1]}],
         "extra": {"deep": [1, 2, {"x": null}]}}
    ]"#;
    let apps = parse_apps(body).unwrap();
    assert_eq!(apps.len(), 3);
    assert_eq!(apps[0], RegistryApp::default());
    assert_eq!(apps[1].name, "only-id");
    assert_eq!(
        (
            apps[1].ui_port,
            apps[1].api_port,
            apps[1].dev_ui_port,
            apps[1].tls_port
        ),
        (Some(5600), None, None, None)
    );
    assert!(!apps[1].archived && apps[1].repo_path.is_none() && apps[1].processes.is_empty());
    assert_eq!(apps[2].processes.len(), 2);
    assert_eq!(apps[2].processes[0].ports, vec![("a".into(), 12)]);
    assert_eq!(apps[2].processes[1], RegistryProcess::default());
    assert_eq!(parse_apps("[]").unwrap(), vec![]);
}

#[test]
fn live_parse_errors_are_clear() {
    match parse_apps("[\n  {\"id\": 1,\n  oops}\n]") {
        Err(AppsParseError::Json {
            line,
            column,
            message,
        }) => {
            assert_eq!((line, column), (3, 3));
            assert!(message.contains("line 3 column 3"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    let err = parse_apps(r#"{"apps": []}"#).unwrap_err();
    assert_eq!(err, AppsParseError::NotAnArray { found: "an object" });
    assert_eq!(
        err.to_string(),
        "expected a JSON array of apps, found an object"
    );
    assert!(parse_apps("").is_err());
    assert!(
        parse_apps(&"[".repeat(10_000)).is_err(),
        "deep nesting is an error, not a stack overflow"
    );
}

// ----- reserved ports ------------------------------------------------------------------------------------

#[test]
fn live_reserved_ports_from_recorded_registry() {
    let reserved = reserved_ports(&recorded_apps(), None);
    let expected: BTreeMap<u16, String> = [
        (5553, "PortOS (portos-server:api-local)"),
        (5554, "PortOS (portos-ui:devUi)"),
        (5555, "PortOS (portos-server:api)"),
        (5556, "PortOS (portos-browser:cdp)"),
        (5557, "PortOS (portos-browser:health)"),
        (5558, "PortOS (portos-cos:api)"),
        (5559, "PortOS (portos-autofixer:api)"),
        (5560, "PortOS (portos-autofixer-ui:ui)"),
        (5570, "notes-app (notes-api:api)"),
        (5571, "notes-app (notes-ui:devUi)"),
        (5572, "notes-app (notes-api:ws)"),
        (5580, "old-dashboard (uiPort, archived)"),
        (5581, "old-dashboard (old-dashboard-ui, archived)"),
        (5589, "old-dashboard (tlsPort, archived)"),
        (5590, "docs-site (uiPort, apiPort)"),
    ]
    .into_iter()
    .map(|(p, s)| (p, s.to_string()))
    .collect();
    assert_eq!(reserved, expected);
}

#[test]
fn live_reserved_ports_skip_own_repo() {
    let apps = recorded_apps();
    // Lexically equal (trailing slash, `.`) although the path does not exist on this machine.
    let reserved = reserved_ports(&apps, Some(Path::new("/Users/alice/dev/./notes-app/")));
    assert!(!reserved.contains_key(&5570) && !reserved.contains_key(&5572));
    assert!(reserved.contains_key(&5555) && reserved.contains_key(&5590));
    // A different directory with a common prefix is not the same app.
    let reserved = reserved_ports(&apps, Some(Path::new("/Users/alice/dev/notes")));
    assert!(reserved.contains_key(&5570));
}

#[test]
fn live_reserved_ports_own_repo_through_symlink() {
    let root = std::env::temp_dir().join(format!("portos-lsp-live-{}", std::process::id()));
    let real = root.join("real-app");
    std::fs::create_dir_all(&real).unwrap();
    let link = root.join("linked-app");
    let _ = std::fs::remove_file(&link);
    #[cfg(unix)]
    std::os::unix::fs::symlink(&real, &link).unwrap();
    #[cfg(not(unix))]
    std::fs::create_dir_all(&link).unwrap();

    let app = RegistryApp {
        name: "linked".into(),
        repo_path: Some(link.clone()),
        api_port: Some(5575),
        ..RegistryApp::default()
    };
    let reserved = reserved_ports(std::slice::from_ref(&app), Some(&real));
    if cfg!(unix) {
        assert!(reserved.is_empty(), "{reserved:?}");
    }
    assert_eq!(reserved_ports(&[app], None).len(), 1);
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn live_reserved_ports_shared_port_names_every_owner() {
    let a = RegistryApp {
        name: "a".into(),
        api_port: Some(6000),
        processes: vec![RegistryProcess {
            name: "a-api".into(),
            port: Some(6000),
            ports: vec![("api".into(), 6000), ("metrics".into(), 6000)],
        }],
        ..RegistryApp::default()
    };
    let b = RegistryApp {
        name: "b".into(),
        ui_port: Some(6000),
        dev_ui_port: Some(65535),
        tls_port: Some(65536),
        ..RegistryApp::default()
    };
    let unnamed = RegistryApp {
        api_port: Some(6001),
        ..RegistryApp::default()
    };
    let reserved = reserved_ports(&[a, b, unnamed], None);
    assert_eq!(
        reserved[&6000],
        "a (a-api:api, a-api:metrics) and b (uiPort)"
    );
    assert_eq!(reserved[&6001], "unnamed app (apiPort)");
    assert_eq!(reserved[&65535], "b (devUiPort)");
    assert_eq!(reserved.len(), 3);
}

// ----- HTTP against a local server -----------------------------------------------------------------------

/// What the throw-away server does after reading the request.
enum Reply {
    /// Write these pieces with a short pause between them, then close.
    Pieces(Vec<Vec<u8>>),
    /// Keep the connection open without answering until the test lets go.
    Silent(mpsc::Receiver<()>),
    /// Send one byte every 20 ms, forever (until the client goes away).
    Drip,
}

/// Serves one connection on 127.0.0.1; the handle yields the request head it received.
fn serve_once(reply: Reply) -> (u16, JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let request = read_request_head(&mut stream);
        match reply {
            Reply::Pieces(pieces) => {
                for (i, piece) in pieces.iter().enumerate() {
                    if i > 0 {
                        thread::sleep(Duration::from_millis(5));
                    }
                    if stream.write_all(piece).is_err() {
                        break;
                    }
                }
            }
            Reply::Silent(release) => {
                let _ = release.recv_timeout(Duration::from_secs(5));
            }
            Reply::Drip => {
                let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n");
                let started = Instant::now();
                while stream.write_all(b" ").is_ok() && started.elapsed() < Duration::from_secs(5) {
                    thread::sleep(Duration::from_millis(20));
                }
            }
        }
        request
    });
    (port, handle)
}

fn read_request_head(stream: &mut TcpStream) -> String {
    stream
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => buf.push(byte[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&buf).into_owned()
}

fn with_length(status: &str, body: &str) -> Reply {
    Reply::Pieces(vec![
        format!("HTTP/1.1 {status}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\n\r\n", body.len())
            .into_bytes(),
        body.as_bytes().to_vec(),
    ])
}

const SHORT: Duration = Duration::from_millis(300);
const NORMAL: Duration = Duration::from_secs(2);

#[test]
fn live_fetch_recorded_apps_with_token() {
    let (port, server) = serve_once(with_length("200 OK", RECORDED));
    let apps = fetch_apps(
        &format!("http://127.0.0.1:{port}"),
        Some(" s3cr3t-token\n"),
        NORMAL,
    )
    .unwrap();
    assert_eq!(apps, recorded_apps());

    let request = server.join().unwrap();
    let mut lines = request.split("\r\n");
    assert_eq!(lines.next(), Some("GET /api/apps HTTP/1.1"));
    let headers: Vec<&str> = lines.filter(|l| !l.is_empty()).collect();
    assert!(
        headers.contains(&format!("Host: 127.0.0.1:{port}").as_str()),
        "{request}"
    );
    assert!(
        headers.contains(&"Authorization: Bearer s3cr3t-token"),
        "{request}"
    );
    assert!(headers.contains(&"Accept: application/json"), "{request}");
    assert!(headers.contains(&"Connection: close"), "{request}");
}

#[test]
fn live_fetch_without_token_under_base_path_via_localhost() {
    let (port, server) = serve_once(with_length("200 OK", "[]"));
    let apps = fetch_apps(&format!("http://localhost:{port}/portos/"), None, NORMAL).unwrap();
    assert!(apps.is_empty());
    let request = server.join().unwrap();
    assert!(
        request.starts_with("GET /portos/api/apps HTTP/1.1\r\n"),
        "{request}"
    );
    assert!(
        request.contains(&format!("\r\nHost: localhost:{port}\r\n")),
        "{request}"
    );
    assert!(
        !request.to_ascii_lowercase().contains("authorization"),
        "{request}"
    );

    // An empty token is no token.
    let (port, server) = serve_once(with_length("200 OK", "[]"));
    fetch_apps(&format!("http://127.0.0.1:{port}"), Some("  "), NORMAL).unwrap();
    assert!(!server.join().unwrap().contains("Authorization"));
}

#[test]
fn live_fetch_chunked_body() {
    let mut pieces = vec![
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n"
            .to_vec(),
    ];
    for part in RECORDED.as_bytes().chunks(700) {
        pieces.push(format!("{:x}\r\n", part.len()).into_bytes());
        pieces.push([part, b"\r\n"].concat());
    }
    pieces.push(b"0\r\n\r\n".to_vec());
    let (port, server) = serve_once(Reply::Pieces(pieces));
    let apps = fetch_apps(&format!("http://127.0.0.1:{port}"), None, NORMAL).unwrap();
    assert_eq!(apps, recorded_apps());
    server.join().unwrap();
}

#[test]
fn live_fetch_body_delimited_by_close() {
    let (port, server) = serve_once(Reply::Pieces(vec![
        b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n".to_vec(),
        RECORDED.as_bytes().to_vec(),
    ]));
    let apps = fetch_apps(&format!("http://127.0.0.1:{port}"), None, NORMAL).unwrap();
    assert_eq!(apps.len(), 4);
    server.join().unwrap();
}

#[test]
fn live_fetch_unauthorized() {
    let (port, server) = serve_once(with_length(
        "401 Unauthorized",
        r#"{"error":"Authentication required"}"#,
    ));
    let err = fetch_apps(&format!("http://127.0.0.1:{port}"), None, NORMAL).unwrap_err();
    assert!(
        matches!(
            err,
            RegistryError::Unauthorized {
                status: 401,
                token_sent: false,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "PortOS at http://127.0.0.1:{port} refused the request (HTTP 401: PortOS's auth is on and no token \
             was sent); set the token in the variable named by portos.token_env, or the password in the one named by \
             portos.password_env; registry ports were not checked"
        )
    );
    server.join().unwrap();

    let (port, server) = serve_once(with_length("403 Forbidden", ""));
    let err = fetch_apps(&format!("http://127.0.0.1:{port}"), Some("wrong"), NORMAL).unwrap_err();
    assert!(
        matches!(
            err,
            RegistryError::Unauthorized {
                status: 403,
                token_sent: true,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("the token was rejected"));
    server.join().unwrap();
}

#[test]
fn live_fetch_other_status_and_bad_bodies() {
    let (port, server) = serve_once(with_length("500 Internal Server Error", "boom"));
    let err = fetch_apps(&format!("http://127.0.0.1:{port}"), None, NORMAL).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "PortOS at http://127.0.0.1:{port} answered GET /api/apps with HTTP 500 Internal Server Error; \
             registry ports were not checked"
        )
    );
    server.join().unwrap();

    let (port, server) = serve_once(with_length("200 OK", "[{\"id\": \"x\",\n \"name\": }]"));
    let err = fetch_apps(&format!("http://127.0.0.1:{port}"), None, NORMAL).unwrap_err();
    match &err {
        RegistryError::InvalidJson {
            error: AppsParseError::Json { line, column, .. },
            ..
        } => assert_eq!((*line, *column), (2, 10)),
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("line 2 column 10"), "{err}");
    server.join().unwrap();

    let (port, server) = serve_once(Reply::Pieces(vec![
        b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 3\r\n\r\n\x1f\x8b\x08"
            .to_vec(),
    ]));
    let err = fetch_apps(&format!("http://127.0.0.1:{port}"), None, NORMAL).unwrap_err();
    assert!(
        matches!(err, RegistryError::MalformedHttp { .. }) && err.to_string().contains("gzip"),
        "{err}"
    );
    server.join().unwrap();
}

#[test]
fn live_fetch_connection_refused() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let err = fetch_apps(&format!("http://127.0.0.1:{port}"), None, NORMAL).unwrap_err();
    assert!(matches!(err, RegistryError::NotRunning { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "PortOS is not reachable at http://127.0.0.1:{port} (connection refused); registry ports were not checked"
        )
    );
    // `localhost` tries 127.0.0.1 and ::1; refused (or IPv6 unavailable) on both still reads as "not running".
    let err = fetch_apps(&format!("http://localhost:{port}"), None, NORMAL).unwrap_err();
    assert!(matches!(err, RegistryError::NotRunning { .. }), "{err:?}");
}

#[test]
fn live_fetch_times_out_on_a_silent_server() {
    let (release, wait) = mpsc::channel();
    let (port, server) = serve_once(Reply::Silent(wait));
    let started = Instant::now();
    let err = fetch_apps(&format!("http://127.0.0.1:{port}"), None, SHORT).unwrap_err();
    let elapsed = started.elapsed();
    assert!(
        matches!(
            err,
            RegistryError::Timeout {
                phase: Phase::Reading,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        elapsed >= SHORT && elapsed < Duration::from_millis(1500),
        "{elapsed:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "PortOS at http://127.0.0.1:{port} took longer than 300 ms to answer; registry ports were not checked"
        )
    );
    drop(release);
    server.join().unwrap();
}

#[test]
fn live_fetch_timeout_bounds_a_dripping_server() {
    // Each read succeeds quickly, so only an overall deadline stops this.
    let (port, server) = serve_once(Reply::Drip);
    let started = Instant::now();
    let err = fetch_apps(&format!("http://127.0.0.1:{port}"), None, SHORT).unwrap_err();
    assert!(matches!(err, RegistryError::Timeout { .. }), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
    drop(server);
}

#[test]
fn live_fetch_refuses_before_connecting() {
    let err = fetch_apps("http://evil.example:5555", Some("t"), SHORT).unwrap_err();
    assert!(
        matches!(err, RegistryError::InvalidUrl(UrlError::NotLoopback(_))),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .starts_with("portos.api_url is not usable: "),
        "{err}"
    );
    let err = fetch_apps("http://127.0.0.1:1", Some("abc\r\nX-Evil: 1"), SHORT).unwrap_err();
    assert!(matches!(err, RegistryError::InvalidToken), "{err:?}");
}

#[test]
fn live_fetch_garbage_responses_do_not_panic() {
    let mut rng = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut payloads: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"\0\0\0\0".to_vec(),
        b"SSH-2.0-OpenSSH_9.6p1\r\n".to_vec(),
        b"HTTP/1.1 200 OK\r\n\r\n".to_vec(),
        b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n\xff\xfe\xfd\xfc".to_vec(),
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n".to_vec(),
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nnull!".to_vec(),
        b"HTTP/1.1 301 Moved\r\nLocation: http://evil.com/\r\n\r\n".to_vec(),
        b"HTTP/2 200\r\n\r\n[]".to_vec(),
        b"<html><body>It works!</body></html>".to_vec(),
    ];
    for _ in 0..12 {
        payloads.push((0..(next() % 300)).map(|_| next() as u8).collect());
    }
    for payload in payloads {
        let shown = String::from_utf8_lossy(&payload).into_owned();
        let (port, server) = serve_once(Reply::Pieces(vec![payload]));
        let result = fetch_apps(&format!("http://127.0.0.1:{port}"), None, NORMAL);
        match result {
            Err(e) => assert!(
                e.to_string().ends_with("registry ports were not checked"),
                "{e}"
            ),
            Ok(apps) => assert!(apps.is_empty(), "{shown:?}"),
        }
        server.join().unwrap();
    }
}
