//! A fake PortOS on loopback for the tests: the public health check, the app list, an app's refresh, auth by
//! bearer token or password, a main port that speaks TLS to plain requests (so the loopback mirror is used),
//! and a server that accepts and never answers. Each test starts its own on a free port.

#![allow(dead_code)]

use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// How the fake answers.
#[derive(Clone, Debug)]
pub enum Mode {
    /// PortOS over plain HTTP.
    Http,
    /// A TLS-only port: every plain request gets a TLS alert and the connection closes.
    Tls,
    /// Accepts connections and never answers.
    Silent,
}

/// What the fake serves and has been asked.
#[derive(Default)]
pub struct State {
    /// `GET /api/apps`'s body.
    pub apps: Vec<Value>,
    /// What each app's processes become when it is refreshed, by id.
    pub refreshed: Vec<(String, Value)>,
    /// The requests received: method, path and `Authorization` header.
    pub requests: Vec<(String, String, Option<String>)>,
    /// The `Authorization` header every request must carry (PortOS's auth on), if any.
    pub auth: Option<String>,
    /// The scheme the health check reports.
    pub scheme: String,
}

/// A running fake; it stops when dropped.
pub struct FakePortos {
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// What it serves and saw.
    pub state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
}

impl FakePortos {
    /// Starts a fake in `mode` serving `apps`.
    pub fn start(mode: Mode, apps: Vec<Value>) -> FakePortos {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let state = Arc::new(Mutex::new(State {
            apps,
            scheme: "http".into(),
            ..State::default()
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let (shared, stopping) = (state.clone(), stop.clone());
        thread::spawn(move || {
            let mut held: Vec<TcpStream> = Vec::new();
            while !stopping.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        stream.set_nonblocking(false).unwrap();
                        match mode {
                            Mode::Silent => held.push(stream),
                            Mode::Tls => {
                                thread::spawn(move || tls_alert(stream));
                            }
                            Mode::Http => {
                                let state = shared.clone();
                                thread::spawn(move || serve(stream, &state));
                            }
                        }
                    }
                    Err(_) => thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        FakePortos { port, state, stop }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Requires this `Authorization` header on every request but the health check.
    pub fn require_auth(&self, header: &str) {
        self.state.lock().unwrap().auth = Some(header.to_string());
    }

    /// The health check reports this scheme.
    pub fn report_scheme(&self, scheme: &str) {
        self.state.lock().unwrap().scheme = scheme.to_string();
    }

    /// What app `id`'s processes become once it is refreshed.
    pub fn on_refresh(&self, id: &str, processes: Value) {
        self.state
            .lock()
            .unwrap()
            .refreshed
            .push((id.to_string(), processes));
    }

    /// The requests received so far: method, path, `Authorization`.
    pub fn requests(&self) -> Vec<(String, String, Option<String>)> {
        self.state.lock().unwrap().requests.clone()
    }
}

impl Drop for FakePortos {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// One app of `/api/apps` for the directory `repo_path`, with its stored processes.
pub fn app(id: &str, name: &str, repo_path: &str, processes: Value) -> Value {
    json!({
        "id": id,
        "name": name,
        "repoPath": repo_path,
        "type": "express",
        "processes": processes,
        "pm2ProcessNames": [],
        "overallStatus": "online",
    })
}

/// What a TLS server says to a plain HTTP request: a fatal alert, then the connection closes.
fn tls_alert(mut stream: TcpStream) {
    let mut buf = [0u8; 1024];
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    let _ = stream.read(&mut buf);
    let _ = stream.write_all(&[0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46]);
}

fn serve(mut stream: TcpStream, state: &Mutex<State>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let mut lines = head.lines();
    let mut request_line = lines.next().unwrap_or("").split(' ');
    let method = request_line.next().unwrap_or("").to_string();
    let path = request_line.next().unwrap_or("").to_string();
    let authorization = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        .map(|(_, v)| v.trim().to_string());
    let (status, body) = {
        let mut state = state.lock().unwrap();
        state
            .requests
            .push((method.clone(), path.clone(), authorization.clone()));
        let allowed = state.auth.is_none() || state.auth == authorization;
        match (method.as_str(), path.as_str()) {
            ("GET", "/api/system/health") => (
                "200 OK",
                json!({"status": "ok", "scheme": state.scheme, "authRequired": state.auth.is_some(), "version": "1.42.0"}),
            ),
            _ if !allowed => ("401 Unauthorized", json!({"error": "Unauthorized"})),
            ("GET", "/api/apps") => ("200 OK", Value::Array(state.apps.clone())),
            ("POST", refresh) if refresh.ends_with("/refresh-config") => {
                let id = refresh
                    .trim_start_matches("/api/apps/")
                    .trim_end_matches("/refresh-config")
                    .to_string();
                let update = state
                    .refreshed
                    .iter()
                    .find(|(i, _)| *i == id)
                    .map(|(_, p)| p.clone());
                match state.apps.iter_mut().find(|a| a["id"] == id.as_str()) {
                    Some(app) => {
                        if let Some(processes) = update {
                            app["processes"] = processes;
                        }
                        (
                            "200 OK",
                            json!({"success": true, "updated": true, "app": app.clone(), "processes": app["processes"].clone()}),
                        )
                    }
                    None => ("404 Not Found", json!({"error": "App not found"})),
                }
            }
            _ => ("404 Not Found", json!({"error": "Not found"})),
        }
    };
    let body = body.to_string();
    let _ = stream.write_all(
        format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    );
}
