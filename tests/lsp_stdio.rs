//! End-to-end tests of `portos-lsp serve`: the built binary, spoken to over its real stdin and stdout by a
//! small synchronous client (Content-Length framing, a reader thread that answers the server's own requests
//! and hands every message to the test through a channel). Each test gets its own temporary workspace.

mod common;
use common::apply_text_edits;

use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long any one expected message may take.
const TIMEOUT: Duration = Duration::from_secs(5);

// ---------------------------------------------------------------------------------------------------------
// Temporary workspaces

static NEXT_DIR: AtomicUsize = AtomicUsize::new(0);

/// A fresh directory under the system's temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "portos-lsp-stdio-{}-{name}-{}",
            std::process::id(),
            NEXT_DIR.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir.canonicalize().unwrap())
    }

    fn path(&self) -> &Path {
        &self.0
    }

    fn join(&self, relative: &str) -> PathBuf {
        self.0.join(relative)
    }

    fn write(&self, relative: &str, text: &str) -> PathBuf {
        let path = self.0.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    fn mkdir(&self, relative: &str) {
        std::fs::create_dir_all(self.0.join(relative)).unwrap();
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

// ---------------------------------------------------------------------------------------------------------
// Framing

fn frame(body: &[u8]) -> Vec<u8> {
    let mut out = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    out.extend_from_slice(body);
    out
}

/// Reads one frame's body; `None` at the end of the stream.
fn read_frame(reader: &mut impl BufRead) -> Option<Vec<u8>> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            if length.is_some() {
                break;
            }
            continue;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.trim().eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    Some(body)
}

type Stdin = Arc<Mutex<Option<ChildStdin>>>;

fn write_bytes(stdin: &Stdin, bytes: &[u8]) -> bool {
    let mut guard = stdin.lock().unwrap();
    match guard.as_mut() {
        Some(stdin) => stdin.write_all(bytes).and_then(|()| stdin.flush()).is_ok(),
        None => false,
    }
}

fn write_message(stdin: &Stdin, message: &Value) -> bool {
    write_bytes(stdin, &frame(&serde_json::to_vec(message).unwrap()))
}

/// The answer to a request the server sends the client.
fn answer_server_request(method: &str, params: &Value, settings: &Mutex<Value>) -> Value {
    match method {
        "workspace/configuration" => {
            let settings = settings.lock().unwrap().clone();
            let items = params["items"].as_array().map_or(1, Vec::len);
            json!({ "result": vec![settings; items] })
        }
        "client/registerCapability"
        | "client/unregisterCapability"
        | "window/workDoneProgress/create"
        | "window/showMessageRequest"
        | "workspace/diagnostic/refresh"
        | "workspace/inlayHint/refresh"
        | "workspace/codeLens/refresh"
        | "workspace/semanticTokens/refresh" => json!({ "result": null }),
        "workspace/applyEdit" => json!({ "result": { "applied": false } }),
        "workspace/workspaceFolders" => json!({ "result": null }),
        _ => {
            json!({ "error": { "code": -32601, "message": format!("the test client has no {method}") } })
        }
    }
}

/// The reader thread: every message goes to the test; the server's requests are answered first.
fn read_loop(stdout: impl Read, tx: Sender<Value>, stdin: Stdin, settings: Arc<Mutex<Value>>) {
    let mut reader = BufReader::new(stdout);
    while let Some(body) = read_frame(&mut reader) {
        let message: Value = match serde_json::from_slice(&body) {
            Ok(message) => message,
            Err(e) => json!({
                "unparsable": format!("{e}: {}", String::from_utf8_lossy(&body).chars().take(200).collect::<String>())
            }),
        };
        if let (Some(method), Some(id)) = (
            message.get("method").and_then(Value::as_str),
            message.get("id"),
        ) {
            let mut response = answer_server_request(method, &message["params"], &settings);
            response["jsonrpc"] = json!("2.0");
            response["id"] = id.clone();
            write_message(&stdin, &response);
        }
        if tx.send(message).is_err() {
            return;
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// The client

/// What `initialize` says.
struct Init {
    folders: Vec<PathBuf>,
    capabilities: Value,
    options: Option<Value>,
    process_id: Value,
}

impl Init {
    fn new(root: &Path) -> Self {
        Init {
            folders: vec![root.to_path_buf()],
            capabilities: default_capabilities(),
            options: None,
            process_id: json!(std::process::id()),
        }
    }
}

/// What a demanding editor says it can do.
fn default_capabilities() -> Value {
    json!({
        "textDocument": {
            "synchronization": { "didSave": true, "dynamicRegistration": false },
            "hover": { "contentFormat": ["markdown", "plaintext"] },
            "completion": { "completionItem": { "snippetSupport": false } },
            "publishDiagnostics": { "relatedInformation": true, "versionSupport": true, "codeDescriptionSupport": true, "dataSupport": true }
        },
        "workspace": {
            "configuration": true,
            "workspaceFolders": true,
            "didChangeConfiguration": { "dynamicRegistration": false },
            "didChangeWatchedFiles": { "dynamicRegistration": true }
        },
        "window": { "workDoneProgress": true, "showMessage": {} }
    })
}

/// A running `portos-lsp serve` and what it said so far.
struct Session {
    child: Child,
    stdin: Stdin,
    rx: Receiver<Value>,
    /// Received and not yet taken by a `wait_for`.
    pending: Vec<Value>,
    /// Everything received, in order.
    history: Vec<Value>,
    /// The newest `publishDiagnostics` params per URI.
    diags: HashMap<String, Value>,
    next_id: i64,
    /// What the client answers to `workspace/configuration` (the `portos` section).
    settings: Arc<Mutex<Value>>,
    stderr: Arc<Mutex<String>>,
    init_result: Value,
}

impl Session {
    /// Starts the binary without initializing it.
    fn spawn() -> Self {
        // No user-level configuration file: a directory that does not exist.
        let config_home = std::env::temp_dir().join("portos-lsp-stdio-no-user-config");
        let mut child = Command::new(env!("CARGO_BIN_EXE_portos-lsp"))
            .arg("serve")
            .env("XDG_CONFIG_HOME", &config_home)
            .env_remove("PORTOS_TOKEN")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let stdin: Stdin = Arc::new(Mutex::new(child.stdin.take()));
        let settings = Arc::new(Mutex::new(Value::Null));
        let (tx, rx) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        {
            let stdin = stdin.clone();
            let settings = settings.clone();
            std::thread::spawn(move || read_loop(stdout, tx, stdin, settings));
        }
        let stderr = Arc::new(Mutex::new(String::new()));
        {
            let stderr = stderr.clone();
            let mut pipe = child.stderr.take().unwrap();
            std::thread::spawn(move || {
                let mut buffer = [0u8; 4096];
                while let Ok(n) = pipe.read(&mut buffer) {
                    if n == 0 {
                        break;
                    }
                    stderr
                        .lock()
                        .unwrap()
                        .push_str(&String::from_utf8_lossy(&buffer[..n]));
                }
            });
        }
        Session {
            child,
            stdin,
            rx,
            pending: Vec::new(),
            history: Vec::new(),
            diags: HashMap::new(),
            next_id: 1,
            settings,
            stderr,
            init_result: Value::Null,
        }
    }

    /// Starts and initializes a server with one workspace folder and the default capabilities.
    fn start(root: &Path) -> Self {
        Self::start_with(Init::new(root))
    }

    fn start_with(init: Init) -> Self {
        let mut session = Self::spawn();
        let folders: Vec<Value> = init
            .folders
            .iter()
            .map(|f| json!({ "uri": uri(f), "name": f.file_name().unwrap().to_string_lossy() }))
            .collect();
        let mut params = json!({
            "processId": init.process_id,
            "rootUri": init.folders.first().map(|f| uri(f)),
            "capabilities": init.capabilities,
            "workspaceFolders": folders,
            "clientInfo": { "name": "lsp_stdio test" }
        });
        if let Some(options) = init.options {
            params["initializationOptions"] = options;
        }
        let response = session.request("initialize", params);
        assert!(
            response.get("error").is_none(),
            "initialize failed: {response}"
        );
        session.init_result = response["result"].clone();
        session.notify("initialized", json!({}));
        session
    }

    fn set_settings(&self, settings: Value) {
        *self.settings.lock().unwrap() = settings;
    }

    fn send(&self, message: &Value) {
        assert!(
            write_message(&self.stdin, message),
            "the server's stdin is closed\n{}",
            self.stderr()
        );
    }

    fn send_raw(&self, bytes: &[u8]) {
        assert!(
            write_bytes(&self.stdin, bytes),
            "the server's stdin is closed\n{}",
            self.stderr()
        );
    }

    fn notify(&self, method: &str, params: Value) {
        self.send(&json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Sends a request and returns its id without waiting.
    fn send_request(&mut self, method: &str, params: Value) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        id
    }

    /// The response (`result` or `error`) to request `id`.
    fn response(&mut self, id: i64) -> Value {
        self.wait_for(&format!("the response to request {id}"), TIMEOUT, |m| {
            m.get("method").is_none() && m["id"] == json!(id)
        })
    }

    /// Sends a request and waits for its response (the whole message).
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.send_request(method, params);
        self.response(id)
    }

    fn stderr(&self) -> String {
        let stderr = self.stderr.lock().unwrap();
        let tail: Vec<&str> = stderr.lines().rev().take(30).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        format!("--- server stderr (tail)\n{}", tail.join("\n"))
    }

    fn ingest(&mut self, message: Value) {
        if message["method"] == "textDocument/publishDiagnostics"
            && let Some(uri) = message["params"]["uri"].as_str()
        {
            self.diags
                .insert(uri.to_string(), message["params"].clone());
        }
        self.history.push(message);
    }

    /// One message, if one arrives before `deadline`.
    fn recv_until(&mut self, deadline: Instant) -> Option<Value> {
        let left = deadline.saturating_duration_since(Instant::now());
        match self.rx.recv_timeout(left) {
            Ok(message) => {
                self.ingest(message.clone());
                Some(message)
            }
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => {
                // The server's stdout closed; give the reader nothing more to do than report it.
                std::thread::sleep(Duration::from_millis(10).min(left));
                None
            }
        }
    }

    fn summary(&self) -> String {
        let recent: Vec<String> = self
            .history
            .iter()
            .rev()
            .take(12)
            .map(|m| {
                let s = m.to_string();
                if s.len() > 400 {
                    format!("{}…", s.chars().take(400).collect::<String>())
                } else {
                    s
                }
            })
            .collect();
        format!(
            "--- last messages (newest first)\n{}\n{}",
            recent.join("\n"),
            self.stderr()
        )
    }

    /// The first message (already received and not yet taken, or arriving within `timeout`) that `matches`.
    fn wait_for(
        &mut self,
        what: &str,
        timeout: Duration,
        mut matches: impl FnMut(&Value) -> bool,
    ) -> Value {
        if let Some(at) = self.pending.iter().position(&mut matches) {
            return self.pending.remove(at);
        }
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some(message) = self.recv_until(deadline) {
                if matches(&message) {
                    return message;
                }
                self.pending.push(message);
            }
        }
        panic!("timed out waiting for {what}\n{}", self.summary());
    }

    /// Receives messages until `done` holds of the session's state (the newest diagnostics per file).
    fn wait_until(&mut self, what: &str, timeout: Duration, done: impl Fn(&Session) -> bool) {
        let deadline = Instant::now() + timeout;
        while !done(self) {
            if Instant::now() >= deadline {
                panic!("timed out waiting until {what}\n{}", self.summary());
            }
            if let Some(message) = self.recv_until(deadline) {
                self.pending.push(message);
            }
        }
    }

    /// Receives until the server has been quiet for `quiet`.
    fn settle(&mut self, quiet: Duration) {
        while let Some(message) = self.recv_until(Instant::now() + quiet) {
            self.pending.push(message);
        }
    }

    /// The next `publishDiagnostics` for `uri` whose params satisfy `matches`.
    fn wait_diags(&mut self, uri: &str, what: &str, matches: impl Fn(&Value) -> bool) -> Value {
        let uri = uri.to_string();
        let message = self.wait_for(&format!("diagnostics for {uri}: {what}"), TIMEOUT, |m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == json!(uri)
                && matches(&m["params"])
        });
        message["params"].clone()
    }

    /// The newest diagnostics published for `uri`.
    fn latest(&self, uri: &str) -> Option<&Value> {
        self.diags.get(uri)
    }

    fn open(&self, path: &Path, version: i32, text: &str) -> String {
        let uri = uri(path);
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": "javascript", "version": version, "text": text } }),
        );
        uri
    }

    fn change(&self, uri: &str, version: i32, changes: Value) {
        self.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": changes }),
        );
    }

    fn hover(&mut self, uri: &str, line: u32, character: u32) -> Value {
        let response = self.request(
            "textDocument/hover",
            json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": character } }),
        );
        assert!(
            response.get("error").is_none(),
            "hover failed: {response}\n{}",
            self.summary()
        );
        response["result"].clone()
    }

    /// Waits for the process to end.
    fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn close_stdin(&self) {
        self.stdin.lock().unwrap().take();
    }

    fn assert_running(&mut self) {
        assert!(
            self.child.try_wait().unwrap().is_none(),
            "the server exited\n{}",
            self.summary()
        );
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------------------------
// Text helpers (positions are 0-based, columns in UTF-16 code units unless said otherwise)

/// The position of the `nth` (0-based) occurrence of `needle`, in UTF-16 columns.
fn pos(text: &str, needle: &str, nth: usize) -> (u32, u32) {
    let (offset, _) = text
        .match_indices(needle)
        .nth(nth)
        .unwrap_or_else(|| panic!("{needle:?} #{nth} not in the text"));
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = text[..offset].matches('\n').count() as u32;
    let col = text[line_start..offset].encode_utf16().count() as u32;
    (line, col)
}

/// The byte offset of a UTF-16 position (clamped to its line).
fn offset_at(text: &str, line: u32, col: u32) -> usize {
    let mut start = 0;
    for _ in 0..line {
        start = text[start..]
            .find('\n')
            .map_or(text.len(), |i| start + i + 1);
    }
    let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let mut units = 0;
    for (i, c) in text[start..end].char_indices() {
        if units >= col {
            return start + i;
        }
        units += c.len_utf16() as u32;
    }
    end
}

/// Applies one LSP edit to a local copy of the text.
fn apply(text: &mut String, start: (u32, u32), end: (u32, u32), new_text: &str) {
    let a = offset_at(text, start.0, start.1);
    let b = offset_at(text, end.0, end.1);
    text.replace_range(a..b, new_text);
}

fn edit(start: (u32, u32), end: (u32, u32), text: &str) -> Value {
    json!({
        "range": { "start": { "line": start.0, "character": start.1 }, "end": { "line": end.0, "character": end.1 } },
        "text": text
    })
}

/// The text a range covers (UTF-16 columns).
fn text_at(text: &str, range: &Value) -> String {
    let n = |v: &Value| v.as_u64().unwrap() as u32;
    let a = offset_at(
        text,
        n(&range["start"]["line"]),
        n(&range["start"]["character"]),
    );
    let b = offset_at(
        text,
        n(&range["end"]["line"]),
        n(&range["end"]["character"]),
    );
    text[a..b].to_string()
}

fn codes(params: &Value) -> Vec<String> {
    params["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap_or("").to_string())
        .collect()
}

fn has_code(params: Option<&Value>, code: &str) -> bool {
    params.is_some_and(|p| codes(p).iter().any(|c| c == code))
}

fn find_diag<'a>(params: &'a Value, code: &str) -> Option<&'a Value> {
    params["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == code)
}

fn start_of(diagnostic: &Value) -> (u64, u64) {
    (
        diagnostic["range"]["start"]["line"].as_u64().unwrap(),
        diagnostic["range"]["start"]["character"].as_u64().unwrap(),
    )
}

/// Two processes of one app on one port: a `duplicate-port` on the second.
const DUPLICATE: &str = "module.exports = {
  apps: [
    { name: 'api', script: 'a.js', env: { PORT: 5570 } },
    { name: 'worker', script: 'b.js', env: { PORT: 5570 } },
  ],
};
";

/// A clean file: one process on one port.
const CLEAN: &str = "module.exports = {
  apps: [{ name: 'shop-api', script: 'a.js', env: { PORT: 5570 } }],
};
";

// ---------------------------------------------------------------------------------------------------------
// 1. Diagnostics on open and on change

#[test]
fn duplicate_port_is_published_with_everything_and_cleared_by_a_fix() {
    let dir = TempDir::new("duplicate");
    dir.mkdir(".git");
    let path = dir.write("ecosystem.config.cjs", DUPLICATE);
    let mut s = Session::start(dir.path());
    let uri = s.open(&path, 7, DUPLICATE);

    let published = s.wait_diags(&uri, "the first publish", |_| true);
    assert_eq!(published["version"], 7, "{published:#}");
    let d = find_diag(&published, "duplicate-port")
        .unwrap_or_else(|| panic!("no duplicate-port in {published:#}"))
        .clone();
    assert_eq!(start_of(&d), {
        let (l, c) = pos(DUPLICATE, "5570", 1);
        (u64::from(l), u64::from(c))
    });
    assert_eq!(text_at(DUPLICATE, &d["range"]), "5570", "{d:#}");
    assert_eq!(d["severity"], 1, "{d:#}");
    assert_eq!(d["source"], "portos-lsp", "{d:#}");
    let href = d["codeDescription"]["href"].as_str().unwrap_or_default();
    assert!(
        href.ends_with("docs/rules/duplicate-port.md"),
        "codeDescription.href: {d:#}"
    );
    let related = d["relatedInformation"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(!related.is_empty(), "no relatedInformation: {d:#}");
    assert_eq!(related[0]["location"]["uri"], json!(uri), "{d:#}");
    assert_eq!(
        related[0]["location"]["range"]["start"]["line"], 2,
        "related information points at the first use: {d:#}"
    );
    assert!(
        d.get("data").is_some_and(|v| !v.is_null()),
        "no data for the quick fix: {d:#}"
    );

    // The fix: the second process moves to 5571.
    let (line, col) = pos(DUPLICATE, "5570", 1);
    s.change(&uri, 8, json!([edit((line, col), (line, col + 4), "5571")]));
    let published = s.wait_diags(&uri, "version 8", |p| p["version"] == 8);
    assert!(
        !has_code(Some(&published), "duplicate-port"),
        "the fixed file still has duplicate-port: {published:#}"
    );
    let stale = s.history.iter().any(|m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == json!(uri)
            && m["params"]["version"] != 7
            && m["params"]["version"] != 8
    });
    assert!(
        !stale,
        "a publish for a version never sent\n{}",
        s.summary()
    );
}

// ---------------------------------------------------------------------------------------------------------
// 2. A burst of edits

#[test]
fn a_burst_of_sixty_edits_ends_with_the_newest_version() {
    let dir = TempDir::new("burst");
    dir.mkdir(".git");
    let path = dir.write("ecosystem.config.cjs", DUPLICATE);
    let mut s = Session::start(dir.path());
    let uri = s.open(&path, 1, DUPLICATE);

    // Each edit adds a comment line at the top and flips the worker's port between 5571 and 5570: versions
    // 2..=61, the last one (edit 60) with the duplicate, 60 lines lower than at first.
    let mut text = DUPLICATE.to_string();
    let (port_line, port_col) = pos(DUPLICATE, "5570", 1);
    for i in 1..=60u32 {
        let comment = format!("// edit {i}\n");
        let port = if i % 2 == 0 { "5570" } else { "5571" };
        let line = port_line + i;
        let changes = json!([
            edit((0, 0), (0, 0), &comment),
            edit((line, port_col), (line, port_col + 4), port),
        ]);
        apply(&mut text, (0, 0), (0, 0), &comment);
        apply(&mut text, (line, port_col), (line, port_col + 4), port);
        s.change(&uri, i as i32 + 1, changes);
    }
    s.wait_diags(&uri, "version 61", |p| p["version"] == 61);
    s.settle(Duration::from_millis(300));

    let versions: Vec<i64> = s
        .history
        .iter()
        .filter(|m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == json!(uri)
        })
        .map(|m| m["params"]["version"].as_i64().unwrap_or(-1))
        .collect();
    assert!(
        versions.windows(2).all(|w| w[0] <= w[1]),
        "a publish for an older version came after a newer one: {versions:?}"
    );
    assert_eq!(versions.last(), Some(&61), "{versions:?}");

    let last = s.latest(&uri).unwrap().clone();
    let line_count = text.lines().count() as u64;
    for d in last["diagnostics"].as_array().unwrap() {
        assert!(
            d["range"]["end"]["line"].as_u64().unwrap() < line_count,
            "a range outside the final text: {d:#}"
        );
    }
    let d = find_diag(&last, "duplicate-port")
        .unwrap_or_else(|| panic!("the final text has a duplicate: {last:#}"));
    assert_eq!(
        start_of(d),
        (u64::from(port_line + 60), u64::from(port_col)),
        "{d:#}"
    );
    assert_eq!(text_at(&text, &d["range"]), "5570", "{d:#}");
}

// ---------------------------------------------------------------------------------------------------------
// 3. Completion

fn completion_items(response: &Value) -> Vec<Value> {
    let result = &response["result"];
    let items = if result.is_array() {
        result.clone()
    } else {
        result["items"].clone()
    };
    items.as_array().cloned().unwrap_or_default()
}

fn assert_port_items(items: &[Value], context: &str) {
    assert!(!items.is_empty(), "no completion items {context}");
    let labels: Vec<&str> = items.iter().map(|i| i["label"].as_str().unwrap()).collect();
    for label in &labels {
        assert!(
            !label.is_empty() && label.chars().all(|c| c.is_ascii_digit()),
            "a label that is not a bare number {context}: {labels:?}"
        );
    }
    assert_eq!(labels[0], "5571", "the gap first {context}: {labels:?}");
    assert!(
        !labels.contains(&"5570") && !labels.contains(&"5572"),
        "taken ports offered {context}: {labels:?}"
    );
    let sort: Vec<&str> = items
        .iter()
        .map(|i| {
            i["sortText"]
                .as_str()
                .unwrap_or(i["label"].as_str().unwrap())
        })
        .collect();
    assert!(
        sort.windows(2).all(|w| w[0] < w[1]),
        "sortText does not keep the order {context}: {sort:?}"
    );
    for item in items {
        let detail = item["detail"].as_str().unwrap_or("");
        assert!(!detail.is_empty(), "no detail {context}: {item:#}");
    }
    let first = items[0]["detail"].as_str().unwrap_or("");
    assert!(
        first.contains("gap"),
        "the first item's detail should say it fills the gap {context}: {first:?}"
    );
}

#[test]
fn completion_right_after_a_change_offers_the_allocators_answer_first() {
    let dir = TempDir::new("completion");
    dir.mkdir(".git");
    let text = "module.exports = {
  apps: [
    { name: 'shop-api', script: 'a.js', env: { PORT: 5570 } },
    { name: 'shop-cdp', script: 'b.js', env: { PORT: 5572 } },
  ],
};
";
    let path = dir.write("ecosystem.config.cjs", text);
    let mut s = Session::start(dir.path());
    let uri = s.open(&path, 1, text);

    // A third process being typed: `PORT: ` with nothing yet; the completion goes out with no wait.
    let new_line = "    { name: 'shop-web', script: 'c.js', env: { PORT:  } },\n";
    let mut changed = text.to_string();
    apply(&mut changed, (4, 0), (4, 0), new_line);
    s.change(&uri, 2, json!([edit((4, 0), (4, 0), new_line)]));
    let (line, col) = pos(&changed, "PORT: ", 2);
    let cursor = col + "PORT: ".len() as u32;
    let response = s.request(
        "textDocument/completion",
        json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": cursor } }),
    );
    assert!(response.get("error").is_none(), "{response:#}");
    let items = completion_items(&response);
    assert_port_items(&items, "on `PORT: ` right after the change");

    // Partly typed: `PORT: 55`, again with no wait; the items replace the typed digits.
    s.change(&uri, 3, json!([edit((line, cursor), (line, cursor), "55")]));
    let response = s.request(
        "textDocument/completion",
        json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": cursor + 2 } }),
    );
    assert!(response.get("error").is_none(), "{response:#}");
    let items = completion_items(&response);
    assert_port_items(&items, "on `PORT: 55`");
    let range = &items[0]["textEdit"]["range"];
    if !range.is_null() {
        assert_eq!(
            (
                range["start"]["line"].as_u64(),
                range["start"]["character"].as_u64(),
                range["end"]["character"].as_u64()
            ),
            (
                Some(u64::from(line)),
                Some(u64::from(cursor)),
                Some(u64::from(cursor + 2))
            ),
            "the edit replaces the typed digits: {:#}",
            items[0]
        );
    }
}

// ---------------------------------------------------------------------------------------------------------
// 4. Hover

const HOVER: &str = "const PORTS = {
  WEB: 5571,
};

module.exports = {
  apps: [
    { name: 'shop-api', script: 'a.js', env: { PORT: 5570 } },
    { name: 'shop-web', script: 'b.js', env: { PORT: PORTS.WEB } },
  ],
};
";

/// Why the hover's range does not cover the hovered position, if it does not.
fn hover_range_misses(hover: &Value, line: u32, col: u32) -> Option<String> {
    let range = &hover["range"];
    if range.is_null() {
        return Some("no range".into());
    }
    let n = |v: &Value| v.as_u64().unwrap() as u32;
    let start = (n(&range["start"]["line"]), n(&range["start"]["character"]));
    let end = (n(&range["end"]["line"]), n(&range["end"]["character"]));
    (!(start <= (line, col) && (line, col) <= end)).then(|| {
        format!(
            "the hover range {start:?}..{end:?} does not cover the hovered position {line}:{col}"
        )
    })
}

#[test]
fn hover_in_markdown_on_a_literal_a_key_and_a_reference() {
    let dir = TempDir::new("hover-md");
    dir.mkdir(".git");
    let path = dir.write("ecosystem.config.cjs", HOVER);
    let mut s = Session::start(dir.path());
    let uri = s.open(&path, 1, HOVER);

    let cases = [
        ("5570", 0, "5570", "shop-api"),
        ("PORT:", 0, "5570", "shop-api"),
        ("PORTS.WEB", 0, "5571", "shop-web"),
    ];
    let mut misses = Vec::new();
    for (needle, nth, number, process) in cases {
        let (line, col) = pos(HOVER, needle, nth);
        let col = col + 1;
        let hover = s.hover(&uri, line, col);
        assert!(!hover.is_null(), "no hover on {needle}\n{}", s.summary());
        let contents = &hover["contents"];
        assert_eq!(contents["kind"], "markdown", "on {needle}: {hover:#}");
        let value = contents["value"].as_str().unwrap();
        assert!(value.contains(number), "on {needle}, no {number}: {value}");
        assert!(value.contains("`api`"), "on {needle}, no label: {value}");
        assert!(
            value.contains(process),
            "on {needle}, no {process}: {value}"
        );
        assert!(
            value.contains("user range"),
            "on {needle}, no range: {value}"
        );
        if let Some(why) = hover_range_misses(&hover, line, col) {
            misses.push(format!("on {needle}: {why}"));
        }
    }
    assert!(misses.is_empty(), "{misses:#?}");
}

#[test]
fn hover_in_plain_text_for_a_client_without_markdown() {
    let dir = TempDir::new("hover-plain");
    dir.mkdir(".git");
    let path = dir.write("ecosystem.config.cjs", HOVER);
    let mut init = Init::new(dir.path());
    init.capabilities["textDocument"]["hover"] = json!({ "contentFormat": ["plaintext"] });
    let mut s = Session::start_with(init);
    let uri = s.open(&path, 1, HOVER);

    for (needle, number, process) in [
        ("PORTS.WEB", "5571", "shop-web"),
        ("5570", "5570", "shop-api"),
    ] {
        let (line, col) = pos(HOVER, needle, 0);
        let hover = s.hover(&uri, line, col + 1);
        assert!(!hover.is_null(), "no hover on {needle}\n{}", s.summary());
        let contents = &hover["contents"];
        let value = if contents.is_string() {
            contents.as_str().unwrap().to_string()
        } else {
            assert_eq!(contents["kind"], "plaintext", "on {needle}: {hover:#}");
            contents["value"].as_str().unwrap().to_string()
        };
        assert!(value.contains(number), "on {needle}: {value}");
        assert!(value.contains(process), "on {needle}: {value}");
        assert!(value.contains("api"), "on {needle}: {value}");
        assert!(value.contains("user range"), "on {needle}: {value}");
        assert!(
            !value.contains("**") && !value.contains('`'),
            "markdown sent to a plain-text client: {value}"
        );
    }
}

// ---------------------------------------------------------------------------------------------------------
// 5. Cross-file conflicts

fn app_file(name: &str, port: u16) -> String {
    format!(
        "module.exports = {{\n  apps: [{{ name: '{name}-api', script: 'a.js', env: {{ PORT: {port} }} }}],\n}};\n"
    )
}

fn conflict_with(session: &Session, here: &str, other: &str) -> bool {
    session.latest(here).is_some_and(|p| {
        p["diagnostics"].as_array().unwrap().iter().any(|d| {
            d["code"] == "port-conflict"
                && d["relatedInformation"]
                    .as_array()
                    .is_some_and(|r| r.iter().any(|r| r["location"]["uri"] == json!(other)))
        })
    })
}

#[test]
fn a_conflict_across_two_apps_shows_in_both_and_follows_buffers_and_disk() {
    let dir = TempDir::new("cross");
    dir.mkdir(".git");
    let alpha_text = app_file("alpha", 5580);
    let beta_text = app_file("beta", 5580);
    let alpha = dir.write("alpha/ecosystem.config.cjs", &alpha_text);
    let beta = dir.write("beta/ecosystem.config.cjs", &beta_text);
    let mut s = Session::start(dir.path());
    let alpha_uri = s.open(&alpha, 1, &alpha_text);
    let beta_uri = s.open(&beta, 1, &beta_text);

    s.wait_until(
        "port-conflict in both files, each pointing at the other",
        TIMEOUT,
        |s| conflict_with(s, &alpha_uri, &beta_uri) && conflict_with(s, &beta_uri, &alpha_uri),
    );
    let d = find_diag(s.latest(&alpha_uri).unwrap(), "port-conflict")
        .unwrap()
        .clone();
    let (line, col) = pos(&alpha_text, "5580", 0);
    assert_eq!(start_of(&d), (u64::from(line), u64::from(col)), "{d:#}");
    let related = &d["relatedInformation"][0]["location"];
    assert_eq!(related["uri"], json!(beta_uri), "{d:#}");
    assert_eq!(
        related["range"]["start"]["line"],
        u64::from(pos(&beta_text, "5580", 0).0),
        "{d:#}"
    );

    // Beta moves to 5590 in its buffer: the conflict is gone from both.
    let (line, col) = pos(&beta_text, "5580", 0);
    s.change(
        &beta_uri,
        2,
        json!([edit((line, col), (line, col + 4), "5590")]),
    );
    s.wait_until("the conflict is gone from both files", TIMEOUT, |s| {
        s.latest(&beta_uri).is_some_and(|p| p["version"] == 2)
            && !has_code(s.latest(&beta_uri), "port-conflict")
            && !has_code(s.latest(&alpha_uri), "port-conflict")
    });

    // Beta is saved and closed; then its file on disk goes back to 5580 and the client says so.
    std::fs::write(&beta, app_file("beta", 5590)).unwrap();
    s.notify(
        "textDocument/didSave",
        json!({ "textDocument": { "uri": beta_uri } }),
    );
    s.notify(
        "textDocument/didClose",
        json!({ "textDocument": { "uri": beta_uri } }),
    );
    s.wait_until("beta's diagnostics are cleared on close", TIMEOUT, |s| {
        s.latest(&beta_uri)
            .is_some_and(|p| p["diagnostics"].as_array().unwrap().is_empty())
    });
    // Hover on alpha's port reads the workspace index: beta (closed, re-read from disk) no longer uses 5580.
    let (line, col) = pos(&alpha_text, "5580", 0);
    let hover = s.hover(&alpha_uri, line, col + 1);
    let value = hover["contents"]["value"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(
        !value.contains("beta"),
        "after the close, beta's disk text (5590) should be indexed: {value}"
    );
    assert!(!has_code(s.latest(&alpha_uri), "port-conflict"));

    std::fs::write(&beta, &beta_text).unwrap();
    s.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": beta_uri, "type": 2 }] }),
    );
    s.wait_until(
        "the conflict is back in alpha, pointing at beta",
        TIMEOUT,
        |s| conflict_with(s, &alpha_uri, &beta_uri),
    );
}

// ---------------------------------------------------------------------------------------------------------
// 6. The editor and CI agree

const AGREE: &str = "const PORTS = {
  API: 5570,
  SPARE: 5575,
};

module.exports = {
  apps: [
    { name: 'shop-api', script: 'a.js', env: { PORT: PORTS.API } },
    { name: 'shop-worker', script: 'b.js', env: { PORT: 5570 } },
    { name: 'shop-admin', script: 'c.js', env: { PORT: 3000, DB_PORT: 5432 } },
  ],
};
";

/// `portos-lsp check TARGET --output-format json` run in `dir`: its findings, and its stderr.
fn check_json(dir: &TempDir, target: &str) -> (Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_portos-lsp"))
        .args(["check", target, "--output-format", "json"])
        .current_dir(dir.path())
        .env("XDG_CONFIG_HOME", dir.join("no-user-config"))
        .env_remove("PORTOS_TOKEN")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let findings = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "check's output is not JSON ({e}): {}\n{stderr}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    (findings, stderr)
}

fn editor_and_ci_agree(eol: &str, name: &str) {
    let dir = TempDir::new(name);
    dir.mkdir(".git");
    let mut text = AGREE.replace('\n', eol);
    let path = dir.write("shop/ecosystem.config.cjs", &text);
    let mut s = Session::start(dir.path());
    let uri = s.open(&path, 1, &text);
    s.wait_diags(&uri, "the first publish", |_| true);

    // Several edits: a comment on top, 3000 → 80, a new process on a reserved port, a PORTS entry changed.
    let mut version = 1;
    let mut send =
        |s: &mut Session, text: &mut String, start: (u32, u32), end: (u32, u32), new: &str| {
            version += 1;
            apply(text, start, end, new);
            s.change(&uri, version, json!([edit(start, end, new)]));
        };
    let comment = format!("// shop, edited{eol}");
    send(&mut s, &mut text, (0, 0), (0, 0), &comment);
    let (l, c) = pos(&text, "3000", 0);
    send(&mut s, &mut text, (l, c), (l, c + 4), "80");
    let (l, _) = pos(&text, "shop-admin", 0);
    let extra = format!(
        "    {{ name: 'shop-extra', script: 'd.js', env: {{ PORT: 5562, HTTP_PORT: 70000 }} }},{eol}"
    );
    send(&mut s, &mut text, (l + 1, 0), (l + 1, 0), &extra);
    let (l, c) = pos(&text, "5575", 0);
    send(&mut s, &mut text, (l, c), (l, c + 4), "5573");
    let last_version = version;
    s.wait_diags(&uri, "the last version", |p| p["version"] == last_version);
    s.settle(Duration::from_millis(200));

    std::fs::write(&path, &text).unwrap();
    s.notify(
        "textDocument/didSave",
        json!({ "textDocument": { "uri": uri }, "text": text }),
    );
    s.settle(Duration::from_millis(200));
    let published = s.latest(&uri).unwrap().clone();
    assert_eq!(published["version"], last_version, "{published:#}");
    let editor: BTreeSet<(String, u64, u64)> = published["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let (line, col) = start_of(d);
            (d["code"].as_str().unwrap().to_string(), line + 1, col + 1)
        })
        .collect();

    let (findings, stderr) = check_json(&dir, "shop/ecosystem.config.cjs");
    let ci: BTreeSet<(String, u64, u64)> = findings
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["file"]
                .as_str()
                .is_some_and(|f| f.ends_with("shop/ecosystem.config.cjs"))
        })
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["start_line"].as_u64().unwrap(),
                f["start_column"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(
        editor.len() >= 4,
        "the edited file should have several findings: {editor:?}"
    );
    assert_eq!(
        editor, ci,
        "editor (left) and `check` (right) disagree\nfinal text:\n{text}\ncheck's stderr: {stderr}"
    );
}

#[test]
fn editor_and_ci_agree_after_edits() {
    editor_and_ci_agree("\n", "agree-lf");
}

#[test]
fn editor_and_ci_agree_with_crlf_line_endings() {
    editor_and_ci_agree("\r\n", "agree-crlf");
}

/// A diagnostic as both sides can say it: code, severity, 1-based start and end (line, character), message,
/// and each related place's file, range and message.
type Said = (
    String,
    String,
    [u64; 4],
    String,
    Vec<(String, [u64; 4], String)>,
);

/// The column in characters of a UTF-16 `column` on 0-based `line` of `text`.
fn chars_at(text: &str, line: u64, column: u64) -> u64 {
    let line_text = text.split('\n').nth(line as usize).unwrap_or("");
    let mut units = 0;
    let mut chars = 0;
    for c in line_text.chars() {
        if units >= column {
            break;
        }
        units += c.len_utf16() as u64;
        chars += 1;
    }
    chars
}

/// An LSP range in `text` as 1-based lines and characters, as `check` prints them.
fn lsp_range(text: &str, range: &Value) -> [u64; 4] {
    let at = |p: &Value| {
        let line = p["line"].as_u64().unwrap();
        (
            line + 1,
            chars_at(text, line, p["character"].as_u64().unwrap()) + 1,
        )
    };
    let (a, b) = (at(&range["start"]), at(&range["end"]));
    [a.0, a.1, b.0, b.1]
}

/// A place in `check`'s JSON as 1-based lines and characters.
fn check_range(place: &Value) -> [u64; 4] {
    ["start_line", "start_column", "end_line", "end_column"].map(|k| place[k].as_u64().unwrap())
}

/// A copy of the example workspace (a git root) in a temporary directory: the directory, and each file's
/// path relative to it with its text, sorted.
fn copy_example(name: &str) -> (TempDir, Vec<(String, String)>) {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/workspace");
    let dir = TempDir::new(name);
    dir.mkdir(".git");
    let mut files = Vec::new();
    let mut stack = vec![example.clone()];
    while let Some(at) = stack.pop() {
        for entry in std::fs::read_dir(&at).unwrap() {
            let path = entry.unwrap().path();
            let relative = path
                .strip_prefix(&example)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if path.is_dir() {
                stack.push(path);
            } else {
                let text = std::fs::read_to_string(&path).unwrap();
                dir.write(&relative, &text);
                files.push((relative, text));
            }
        }
    }
    files.sort();
    (dir, files)
}

/// What `check --output-format json` says of the workspace in `dir`, per file as `check` prints it (without
/// `./`), with check's stderr.
fn check_said(dir: &TempDir) -> (HashMap<String, BTreeSet<Said>>, String) {
    let (findings, stderr) = check_json(dir, ".");
    let severity = |s: &str| match s {
        "error" => "1",
        "warning" => "2",
        "information" => "3",
        _ => "4",
    };
    let shown = |file: &Value| file.as_str().unwrap().trim_start_matches("./").to_string();
    let mut ci: HashMap<String, BTreeSet<Said>> = HashMap::new();
    for f in findings.as_array().unwrap() {
        let related = f["related"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| {
                (
                    shown(&r["file"]),
                    check_range(r),
                    r["message"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        ci.entry(shown(&f["file"])).or_default().insert((
            f["code"].as_str().unwrap().to_string(),
            severity(f["severity"].as_str().unwrap()).to_string(),
            check_range(f),
            f["message"].as_str().unwrap().to_string(),
            related,
        ));
    }
    (ci, stderr)
}

/// One `publishDiagnostics` params as `check` would say it: places as 1-based lines and characters, files by
/// their path relative to the workspace (`by_uri`: each file's URI to that path and its text).
fn editor_said(published: &Value, by_uri: &HashMap<String, (String, String)>) -> BTreeSet<Said> {
    let uri = published["uri"].as_str().unwrap();
    let place = |uri: &str, range: &Value| {
        let (relative, text) = &by_uri[uri];
        (relative.clone(), lsp_range(text, range))
    };
    published["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let related = d["relatedInformation"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|r| {
                    let location = &r["location"];
                    let (file, range) =
                        place(location["uri"].as_str().unwrap(), &location["range"]);
                    (file, range, r["message"].as_str().unwrap().to_string())
                })
                .collect();
            (
                d["code"].as_str().unwrap_or("").to_string(),
                d["severity"].to_string(),
                place(uri, &d["range"]).1,
                d["message"].as_str().unwrap().to_string(),
                related,
            )
        })
        .collect()
}

/// Where the editor and `check` part over one file, for a failure message; `None` when they agree.
fn disagreement(relative: &str, editor: &BTreeSet<Said>, check: &BTreeSet<Said>) -> Option<String> {
    (editor != check).then(|| {
        let only_editor: Vec<_> = editor.difference(check).collect();
        let only_check: Vec<_> = check.difference(editor).collect();
        format!("{relative}:\n  only the editor: {only_editor:#?}\n  only check: {only_check:#?}")
    })
}

/// Every ecosystem file of the example workspace opened over real stdio: once the server has settled, each
/// file's published diagnostics are what `check --output-format json` says of the same workspace — codes,
/// severities, ranges, messages and related places.
#[test]
fn editor_and_ci_agree_over_the_example_workspace() {
    let (dir, files) = copy_example("agree-example");
    let (ci, stderr) = check_said(&dir);

    let mut s = Session::start(dir.path());
    let ecosystem: Vec<(String, String)> = files
        .iter()
        .filter(|(relative, _)| !relative.ends_with(".toml") && !relative.ends_with("package.json"))
        .map(|(relative, text)| (relative.clone(), s.open(&dir.join(relative), 1, text)))
        .collect();
    assert!(
        ecosystem.len() >= 6,
        "the example's ecosystem files: {ecosystem:?}"
    );
    // Each file by its URI: its path as `check` prints it, and its text.
    let by_uri: HashMap<String, (String, String)> = files
        .iter()
        .map(|(relative, text)| (uri(&dir.join(relative)), (relative.clone(), text.clone())))
        .collect();
    let disagreements = |s: &Session| -> Vec<String> {
        ecosystem
            .iter()
            .filter_map(|(relative, uri)| {
                let check = ci.get(relative).cloned().unwrap_or_default();
                let Some(published) = s.latest(uri) else {
                    return Some(format!("{relative}: nothing published"));
                };
                disagreement(relative, &editor_said(published, &by_uri), &check)
            })
            .collect()
    };
    // Indexing and the workspace's convention decision may publish again: the editor comes to check's answer
    // within the timeout, and stays there.
    let deadline = Instant::now() + TIMEOUT * 2;
    let mut differ = vec![String::from("nothing compared yet")];
    loop {
        let agreed = differ.is_empty();
        s.settle(Duration::from_millis(300));
        differ = disagreements(&s);
        if (agreed && differ.is_empty()) || Instant::now() >= deadline {
            break;
        }
    }
    assert!(
        differ.is_empty(),
        "the editor and `check` disagree over the example workspace:\n{}\ncheck's stderr: {stderr}",
        differ.join("\n")
    );
    let total: usize = ci.values().map(BTreeSet::len).sum();
    assert!(total >= 20, "the example has deliberate mistakes: {ci:#?}");
}

/// A file opened the moment the server is initialized, as editors do: its FIRST `publishDiagnostics` already
/// carries what `check` says of it, cross-file findings included (`duplicate-process-name` against shop,
/// `port-conflict`): the server holds a document's first publish until its workspace is indexed and its
/// convention decided (within a bound), instead of publishing the file's own findings first.
#[test]
fn the_first_publish_of_a_file_opened_at_once_is_checks_answer() {
    let (dir, files) = copy_example("first-publish");
    let (ci, stderr) = check_said(&dir);
    let by_uri: HashMap<String, (String, String)> = files
        .iter()
        .map(|(relative, text)| (uri(&dir.join(relative)), (relative.clone(), text.clone())))
        .collect();
    let relative = "legacy/ecosystem.config.cjs";
    let check = ci[relative].clone();
    let codes: BTreeSet<&str> = check.iter().map(|said| said.0.as_str()).collect();
    assert!(
        codes.contains("duplicate-process-name") && codes.contains("port-conflict"),
        "the file has cross-file findings: {codes:?}"
    );

    let mut s = Session::start(dir.path());
    let text = &by_uri[&uri(&dir.join(relative))].1;
    let opened = Instant::now();
    let uri = s.open(&dir.join(relative), 1, text);
    let first = s.wait_diags(&uri, "the first publish", |_| true);
    let took = opened.elapsed();
    assert_eq!(first["version"], json!(1), "{first:#}");
    if let Some(differ) = disagreement(relative, &editor_said(&first, &by_uri), &check) {
        panic!(
            "the first publish ({} ms after didOpen) is not check's answer:\n{differ}\ncheck's stderr: {stderr}",
            took.as_millis()
        );
    }
    // Held for the workspace, not for the bound: a small workspace is indexed and decided well before it.
    assert!(
        took < Duration::from_secs(2),
        "the first publish took {} ms",
        took.as_millis()
    );
}

/// The same over a workspace without a project file, where only another file shows PortOS's convention: the
/// opened file alone would be checked without the convention's rules (its provisional answer), but its first
/// publish waits for the workspace's decision, so it carries the convention's findings as `check` does.
#[test]
fn the_first_publish_waits_for_the_workspaces_convention() {
    let dir = TempDir::new("first-publish-convention");
    dir.mkdir(".git");
    let signs = "const PORTS = { API: 5570 };\n\nmodule.exports = {\n  apps: [{ name: 'api', script: 'api.js', env: { PORT: PORTS.API } }],\n};\n";
    let plain = "module.exports = {\n  apps: [{ name: 'web', script: 'web.js', env: { PORT: 3100 } }],\n};\n";
    dir.write("api/ecosystem.config.cjs", signs);
    let path = dir.write("web/ecosystem.config.cjs", plain);
    let (ci, stderr) = check_said(&dir);
    let relative = "web/ecosystem.config.cjs";
    let check = ci.get(relative).cloned().unwrap_or_default();
    assert!(
        check.iter().any(|said| said.0 == "outside-user-range"),
        "check applies the convention detected in api/: {check:#?}\n{stderr}"
    );
    let by_uri: HashMap<String, (String, String)> =
        HashMap::from([(uri(&path), (relative.to_string(), plain.to_string()))]);

    let mut s = Session::start(dir.path());
    let uri = s.open(&path, 1, plain);
    let first = s.wait_diags(&uri, "the first publish", |_| true);
    if let Some(differ) = disagreement(relative, &editor_said(&first, &by_uri), &check) {
        panic!("the first publish is not check's answer:\n{differ}\ncheck's stderr: {stderr}");
    }
}

/// The hold has a bound: a client that never says `initialized` never has its workspace indexed, yet its
/// document's first diagnostics come about two seconds after its analysis, with what is known; a request on
/// the document is answered at once meanwhile (requests never wait for the hold).
#[test]
fn the_first_publish_is_held_only_within_a_bound() {
    let (dir, files) = copy_example("first-publish-bound");
    let relative = "legacy/ecosystem.config.cjs";
    let text = &files.iter().find(|(r, _)| r == relative).unwrap().1;
    let mut s = Session::spawn();
    let response = s.request(
        "initialize",
        json!({
            "processId": null,
            "rootUri": uri(dir.path()),
            "capabilities": default_capabilities(),
            "workspaceFolders": [{ "uri": uri(dir.path()), "name": "workspace" }],
        }),
    );
    assert!(response.get("error").is_none(), "{response}");
    let opened = Instant::now();
    let uri = s.open(&dir.join(relative), 1, text);
    let hover = hover_on(&mut s, &uri, text, "5574");
    assert!(answered(&hover), "{hover:#}");
    assert!(
        s.latest(&uri).is_none(),
        "the hover was answered while the first publish is held ({} ms after didOpen)",
        opened.elapsed().as_millis()
    );
    let first = s.wait_diags(&uri, "the first publish, after the bound", |_| true);
    let took = opened.elapsed();
    assert!(
        took >= Duration::from_millis(1900),
        "published {} ms after didOpen, before the bound, with no workspace indexed: {first:#}",
        took.as_millis()
    );
    assert_eq!(first["version"], json!(1), "{first:#}");
    let codes: BTreeSet<&str> = first["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["code"].as_str())
        .collect();
    assert!(
        codes.contains("duplicate-port"),
        "what is known of the file alone is published: {codes:?}"
    );
}

// ---------------------------------------------------------------------------------------------------------
// 7. Never down

/// The response to a hover inside the first `needle` of `text`, the document at `uri`.
fn hover_on(s: &mut Session, uri: &str, text: &str, needle: &str) -> Value {
    let (line, col) = pos(text, needle, 0);
    s.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": col + 1 } }),
    )
}

/// Whether a hover response has contents.
fn answered(hover: &Value) -> bool {
    hover.get("error").is_none() && hover["result"]["contents"].is_object()
}

/// A normal request that must be answered: hover on the clean file's port.
fn ping(s: &mut Session, uri: &str, after: &str) {
    let response = hover_on(s, uri, CLEAN, "5570");
    assert!(
        answered(&response),
        "after {after}, a normal hover is not answered: {response:#}\n{}",
        s.summary()
    );
    s.assert_running();
}

fn wait_error(s: &mut Session, what: &str, code: i64) -> Value {
    s.wait_for(what, TIMEOUT, |m| {
        m.get("method").is_none() && m["error"]["code"] == json!(code)
    })
}

#[test]
fn the_server_survives_bad_input() {
    let dir = TempDir::new("never-down");
    dir.mkdir(".git");
    let path = dir.write("ok/ecosystem.config.cjs", CLEAN);
    let mut s = Session::start(dir.path());
    let uri = s.open(&path, 1, CLEAN);
    s.wait_diags(&uri, "the first publish", |_| true);
    ping(&mut s, &uri, "opening");

    // A body that is not JSON.
    s.send_raw(&frame(br#"{"jsonrpc":"2.0","id":900,"method":"#));
    let error = wait_error(&mut s, "a parse error for a body that is not JSON", -32700);
    assert!(error["id"].is_null(), "{error:#}");
    ping(&mut s, &uri, "a body that is not JSON");

    // A Content-Length that is not a number.
    s.send_raw(b"Content-Length: twelve\r\n\r\n");
    wait_error(&mut s, "a parse error for a bad Content-Length", -32700);
    ping(&mut s, &uri, "a bad Content-Length");

    // A Content-Length shorter than the body.
    s.send_raw(
        b"Content-Length: 5\r\n\r\n{\"jsonrpc\":\"2.0\",\"id\":901,\"method\":\"shutdown\"}",
    );
    wait_error(&mut s, "a parse error for a cut body", -32700);
    ping(&mut s, &uri, "a Content-Length shorter than the body");

    // No Content-Length at all.
    s.send_raw(b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n{\"jsonrpc\":\"2.0\",\"method\":\"$/nothing\"}");
    ping(&mut s, &uri, "a message without Content-Length");

    // An unknown method: MethodNotFound. An unknown notification: nothing.
    let response = s.request("portos/noSuchThing", json!({}));
    assert_eq!(response["error"]["code"], -32601, "{response:#}");
    s.notify("portos/noSuchNotification", json!({}));
    s.notify("$/cancelRequest", json!({ "id": 12345 }));
    ping(&mut s, &uri, "an unknown method");

    // A document that was never opened.
    let never = uri.replace("/ok/", "/never-opened/");
    let hover = s.hover(&never, 1, 5);
    assert!(
        hover.is_null(),
        "hover on a document never opened: {hover:#}"
    );
    let response = s.request(
        "textDocument/completion",
        json!({ "textDocument": { "uri": never }, "position": { "line": 1, "character": 5 } }),
    );
    assert!(response.get("error").is_none(), "{response:#}");
    s.change(&never, 3, json!([edit((0, 0), (0, 0), "// x\n")]));
    ping(&mut s, &uri, "requests for a document never opened");

    // Positions past the end: a line past the last, a column past a line's end, a start after its end.
    let scratch = dir.write("scratch/ecosystem.config.cjs", CLEAN);
    let scratch_uri = s.open(&scratch, 1, CLEAN);
    s.change(
        &scratch_uri,
        2,
        json!([edit((1000, 5), (1000, 9), "// tail\n")]),
    );
    s.change(&scratch_uri, 3, json!([edit((0, 500), (0, 900), " ")]));
    s.change(&scratch_uri, 4, json!([edit((2, 3), (1, 900), "")]));
    s.change(
        &scratch_uri,
        5,
        json!([edit((4_000_000_000, 4_000_000_000), (0, 4_000_000_000), "")]),
    );
    s.wait_diags(&scratch_uri, "version 5", |p| p["version"] == 5);
    for (line, character) in [(10_000u32, 10_000u32), (1, 10_000), (4_000_000_000, 0)] {
        let response = s.request(
            "textDocument/hover",
            json!({ "textDocument": { "uri": scratch_uri }, "position": { "line": line, "character": character } }),
        );
        assert!(
            response.get("error").is_none(),
            "hover at {line}:{character}: {response:#}"
        );
    }
    ping(&mut s, &uri, "positions past the end");

    // A 10 MB buffer: not analysed, and the diagnostic says why.
    let mut big = CLEAN.to_string();
    let filler = "// ".to_string() + &"x".repeat(97) + "\n";
    while big.len() < 10 * 1024 * 1024 {
        big.push_str(&filler);
    }
    let big_path = dir.join("big/ecosystem.config.cjs");
    let big_uri = s.open(&big_path, 1, &big);
    let published = s.wait_diags(&big_uri, "the 10 MB buffer", |_| true);
    let d = find_diag(&published, "not-analysed")
        .unwrap_or_else(|| panic!("no not-analysed for 10 MB: {published:#}"));
    let message = d["message"].as_str().unwrap();
    assert!(
        message.contains("limit") && message.contains("bytes"),
        "the message should say the file is too big: {message}"
    );
    ping(&mut s, &uri, "a 10 MB buffer");
    let hover = s.hover(&big_uri, 2, 40);
    assert!(hover.is_null(), "hover in a buffer not analysed: {hover:#}");

    // A buffer with NUL bytes.
    let nul = CLEAN.replace("shop-api", "shop\0api");
    let nul_path = dir.join("nul/ecosystem.config.cjs");
    let nul_uri = s.open(&nul_path, 1, &nul);
    let published = s.wait_diags(&nul_uri, "the buffer with NUL bytes", |_| true);
    let d = find_diag(&published, "not-analysed")
        .unwrap_or_else(|| panic!("no not-analysed for NUL bytes: {published:#}"));
    let message = d["message"].as_str().unwrap();
    assert!(
        message.contains("NUL"),
        "the message should say why: {message}"
    );
    ping(&mut s, &uri, "a buffer with NUL bytes");

    // Fixing the NUL buffer brings analysis back.
    s.change(&nul_uri, 2, json!([{ "text": CLEAN }]));
    let published = s.wait_diags(&nul_uri, "the fixed buffer", |p| p["version"] == 2);
    assert!(!has_code(Some(&published), "not-analysed"), "{published:#}");
    ping(&mut s, &uri, "fixing a binary buffer");
}

// ---------------------------------------------------------------------------------------------------------
// 8. Exit

#[test]
fn shutdown_then_exit_exits_with_code_0() {
    let dir = TempDir::new("exit");
    let mut s = Session::start(dir.path());
    let response = s.request("shutdown", Value::Null);
    assert!(response.get("error").is_none(), "{response:#}");
    assert!(response["result"].is_null(), "{response:#}");
    s.notify("exit", Value::Null);
    let status = s
        .wait_exit(Duration::from_secs(2))
        .unwrap_or_else(|| panic!("no exit after `exit`\n{}", s.summary()));
    assert_eq!(status.code(), Some(0), "{}", s.summary());
}

#[test]
fn closing_stdin_ends_the_server_within_a_second() {
    let dir = TempDir::new("eof");
    let mut s = Session::start(dir.path());
    let path = dir.write("ecosystem.config.cjs", DUPLICATE);
    let uri = s.open(&path, 1, DUPLICATE);
    s.wait_diags(&uri, "the first publish", |_| true);
    s.close_stdin();
    let started = Instant::now();
    let status = s.wait_exit(Duration::from_secs(1));
    assert!(
        status.is_some(),
        "still running {:?} after stdin closed\n{}",
        started.elapsed(),
        s.summary()
    );
}

#[test]
fn the_server_exits_when_the_client_process_dies() {
    let dir = TempDir::new("parent");
    let mut parent = Command::new("sleep")
        .arg("30")
        .spawn()
        .expect("a short-lived child");
    let mut init = Init::new(dir.path());
    init.process_id = json!(parent.id());
    let mut s = Session::start_with(init);
    let response = s.request("portos/noSuchThing", json!({}));
    assert!(response.get("error").is_some());
    std::thread::sleep(Duration::from_millis(50));
    s.assert_running();

    parent.kill().unwrap();
    parent.wait().unwrap();
    let started = Instant::now();
    let status = s.wait_exit(Duration::from_secs(2));
    assert!(
        status.is_some(),
        "still running {:?} after the client's process died\n{}",
        started.elapsed(),
        s.summary()
    );
}

// ---------------------------------------------------------------------------------------------------------
// 9. Configuration

#[test]
fn initialization_options_and_pulled_configuration_set_rule_severities() {
    let dir = TempDir::new("config");
    dir.mkdir(".git");
    let path = dir.write("ecosystem.config.cjs", DUPLICATE);
    let mut init = Init::new(dir.path());
    init.options = Some(json!({ "rules": { "duplicate-port": "off" } }));
    let mut s = Session::start_with(init);
    s.wait_for("the first configuration pull", TIMEOUT, |m| {
        m["method"] == "workspace/configuration"
    });
    let uri = s.open(&path, 1, DUPLICATE);
    let published = s.wait_diags(&uri, "the first publish", |_| true);
    assert!(
        !has_code(Some(&published), "duplicate-port"),
        "duplicate-port is off: {published:#}"
    );

    s.set_settings(json!({ "rules": { "duplicate-port": "warning" } }));
    s.notify(
        "workspace/didChangeConfiguration",
        json!({ "settings": {} }),
    );
    s.wait_for(
        "a configuration pull after didChangeConfiguration",
        TIMEOUT,
        |m| m["method"] == "workspace/configuration",
    );
    s.wait_until("duplicate-port comes back as a warning", TIMEOUT, |s| {
        s.latest(&uri)
            .and_then(|p| find_diag(p, "duplicate-port"))
            .is_some_and(|d| d["severity"] == 2)
    });
}

#[test]
fn a_broken_project_file_is_diagnosed_and_the_last_good_settings_stay() {
    let dir = TempDir::new("broken-config");
    dir.mkdir(".git");
    let good = "[rules]\nport-gap = \"off\"\n";
    let toml = dir.write("portos-lsp.toml", good);
    // 5570 twice and 5572: a duplicate and (unless silenced) a gap.
    let text = "module.exports = {
  apps: [
    { name: 'shop-api', script: 'a.js', env: { PORT: 5570 } },
    { name: 'shop-cdp', script: 'b.js', env: { PORT: 5572 } },
    { name: 'shop-worker', script: 'c.js', env: { PORT: 5570 } },
  ],
};
";
    let path = dir.write("ecosystem.config.cjs", text);
    let mut s = Session::start(dir.path());
    let uri = s.open(&path, 1, text);
    let published = s.wait_diags(&uri, "the first publish", |_| true);
    assert!(
        has_code(Some(&published), "duplicate-port"),
        "{published:#}"
    );
    assert!(
        !has_code(Some(&published), "port-gap"),
        "port-gap is off in portos-lsp.toml: {published:#}"
    );

    let broken = "[rules\nport-gap = \"off\"\n";
    let toml_uri = s.open(&toml, 1, broken);
    let published = s.wait_diags(&toml_uri, "the broken project file", |p| {
        !p["diagnostics"].as_array().unwrap().is_empty()
    });
    let d = &published["diagnostics"][0];
    assert_eq!(d["severity"], 1, "an error: {d:#}");
    assert_eq!(d["range"]["start"]["line"], 0, "on the broken line: {d:#}");
    assert!(!d["message"].as_str().unwrap_or("").is_empty(), "{d:#}");

    // The ecosystem file goes on being checked, with port-gap still off.
    s.change(&uri, 2, json!([edit((0, 0), (0, 0), "// edited\n")]));
    let published = s.wait_diags(&uri, "version 2", |p| p["version"] == 2);
    let d = find_diag(&published, "duplicate-port")
        .unwrap_or_else(|| panic!("still checked: {published:#}"));
    assert_eq!(start_of(d).0, 5, "{d:#}");
    assert!(
        !has_code(Some(&published), "port-gap"),
        "the last good settings (port-gap off) stay in force: {published:#}"
    );
    s.settle(Duration::from_millis(200));
    assert!(
        !has_code(s.latest(&uri), "port-gap"),
        "the last good settings stay in force: {:#}",
        s.latest(&uri).unwrap()
    );
}

// ---------------------------------------------------------------------------------------------------------
// 10. Position encodings

const WIDE: &str = "module.exports = {
  apps: [
    { name: 'api', script: 'a.js', env: { PORT: 5570 } },
    { name: '日本-🚀', script: 'b.js', env: { PORT: 5570 } },
  ],
};
";

fn wide_columns() -> (u32, u32, u32) {
    let line_text = WIDE.lines().nth(3).unwrap();
    let at = line_text.find("5570").unwrap();
    let utf8 = at as u32;
    let utf16 = line_text[..at].encode_utf16().count() as u32;
    assert_ne!(utf8, utf16);
    (3, utf8, utf16)
}

#[test]
fn a_client_offering_utf8_gets_utf8_positions() {
    let dir = TempDir::new("utf8");
    dir.mkdir(".git");
    let path = dir.write("ecosystem.config.cjs", WIDE);
    let mut init = Init::new(dir.path());
    init.capabilities["general"] = json!({ "positionEncodings": ["utf-8", "utf-16"] });
    let mut s = Session::start_with(init);
    assert_eq!(
        s.init_result["capabilities"]["positionEncoding"], "utf-8",
        "{:#}",
        s.init_result
    );
    let uri = s.open(&path, 1, WIDE);
    let (line, utf8, _) = wide_columns();
    let published = s.wait_diags(&uri, "the first publish", |_| true);
    let d = find_diag(&published, "duplicate-port").unwrap_or_else(|| panic!("{published:#}"));
    assert_eq!(start_of(d), (u64::from(line), u64::from(utf8)), "{d:#}");
    assert_eq!(d["range"]["end"]["character"], utf8 + 4, "{d:#}");

    let hover = s.hover(&uri, line, utf8 + 1);
    assert!(!hover.is_null(), "hover at a UTF-8 column\n{}", s.summary());
    assert_eq!(hover["range"]["start"]["character"], utf8, "{hover:#}");

    // An edit in UTF-8 columns: the duplicate becomes 5571, right after the emoji.
    s.change(
        &uri,
        2,
        json!([edit((line, utf8 + 3), (line, utf8 + 4), "1")]),
    );
    let published = s.wait_diags(&uri, "version 2", |p| p["version"] == 2);
    assert!(
        !has_code(Some(&published), "duplicate-port"),
        "the edit landed elsewhere: {published:#}"
    );
}

#[test]
fn a_client_offering_nothing_gets_utf16_positions() {
    let dir = TempDir::new("utf16");
    dir.mkdir(".git");
    let path = dir.write("ecosystem.config.cjs", WIDE);
    let mut s = Session::start(dir.path());
    let negotiated = &s.init_result["capabilities"]["positionEncoding"];
    assert!(
        negotiated.is_null() || negotiated == "utf-16",
        "{:#}",
        s.init_result
    );
    let uri = s.open(&path, 1, WIDE);
    let (line, _, utf16) = wide_columns();
    let published = s.wait_diags(&uri, "the first publish", |_| true);
    let d = find_diag(&published, "duplicate-port").unwrap_or_else(|| panic!("{published:#}"));
    assert_eq!(start_of(d), (u64::from(line), u64::from(utf16)), "{d:#}");
    assert_eq!(d["range"]["end"]["character"], utf16 + 4, "{d:#}");
    let hover = s.hover(&uri, line, utf16 + 1);
    assert!(
        !hover.is_null(),
        "hover at a UTF-16 column\n{}",
        s.summary()
    );
    assert_eq!(hover["range"]["start"]["character"], utf16, "{hover:#}");
}

#[test]
fn a_quick_fix_and_a_rename_applied_through_stdio_leave_a_clean_file() {
    let dir = TempDir::new("fix-rename");
    dir.mkdir(".git");
    let text = "const PORTS = {\n  API: 5570,\n  WORKER: 5570,\n};\nmodule.exports = {\n  apps: [\n    { name: 'api', script: 'a.js', env: { PORT: PORTS.API } },\n    { name: 'worker', script: 'w.js', env: { PORT: PORTS.WORKER } },\n  ],\n};\n";
    let path = dir.write("app/ecosystem.config.cjs", text);
    let mut s = Session::start(dir.path());
    let uri = s.open(&path, 1, text);
    let published = s.wait_diags(&uri, "a duplicate", |p| {
        p["diagnostics"]
            .as_array()
            .is_some_and(|d| d.iter().any(|d| d["code"] == "duplicate-port"))
    });
    let duplicate = published["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "duplicate-port")
        .unwrap()
        .clone();
    let actions = s.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri}, "range": duplicate["range"], "context": {"diagnostics": [duplicate], "only": ["quickfix"]}}),
    );
    let fix = &actions["result"][0];
    assert_eq!(fix["isPreferred"], true, "{actions:#}");
    let fixed = apply_text_edits(text, fix["edit"]["changes"][&uri].as_array().unwrap());
    assert!(fixed.contains("WORKER: 5571,"), "{fixed}");
    s.change(&uri, 2, json!([{"text": fixed}]));
    let after = s.wait_diags(&uri, "version 2", |p| p["version"] == 2);
    assert!(
        !after["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["code"] == "duplicate-port"),
        "{after:#}"
    );
    // Rename WORKER → JOBS from its use, through prepareRename.
    let line = fixed
        .lines()
        .position(|l| l.contains("PORTS.WORKER"))
        .unwrap();
    let col = fixed.lines().nth(line).unwrap().find("WORKER").unwrap();
    let position = json!({"line": line, "character": col + 2});
    let prepared = s.request(
        "textDocument/prepareRename",
        json!({"textDocument": {"uri": uri}, "position": position}),
    );
    assert_eq!(prepared["result"]["placeholder"], "WORKER", "{prepared:#}");
    let renamed = s.request(
        "textDocument/rename",
        json!({"textDocument": {"uri": uri}, "position": position, "newName": "JOBS"}),
    );
    let change = &renamed["result"]["documentChanges"][0];
    let edits: Vec<Value> = change["edits"].as_array().unwrap().to_vec();
    assert_eq!(edits.len(), 2, "the key and its use: {renamed:#}");
    let final_text = apply_text_edits(&fixed, &edits);
    assert!(
        final_text.contains("JOBS: 5571,") && final_text.contains("PORTS.JOBS }"),
        "{final_text}"
    );
    s.change(&uri, 3, json!([{"text": final_text.clone()}]));
    let last = s.wait_diags(&uri, "version 3", |p| p["version"] == 3);
    let errors: Vec<&Value> = last["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["severity"] == 1)
        .collect();
    assert!(errors.is_empty(), "{last:#}");
    // And the command line agrees: no error left.
    std::fs::write(&path, &final_text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_portos-lsp"))
        .args(["check", "app", "--output-format", "concise"])
        .current_dir(dir.path())
        .env("XDG_CONFIG_HOME", dir.join("no-user-config"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

// ---------------------------------------------------------------------------------------------------------
// PM2's JSON and YAML ecosystem files (spec §11)

#[test]
fn yaml_and_json_ecosystem_files_are_served_like_javascript_ones() {
    let dir = TempDir::new("formats");
    dir.mkdir(".git");
    let yaml = "apps:\n  - name: queue\n    script: queue.py\n    instances: 2\n    env:\n      PORT: 4000\n    instance: 3\n";
    let json = "{\n  // PM2 evaluates this as JavaScript\n  apps: [{ name: 'web', script: 'server.js', exec_mode: 'cluser', env: { PORT: 4000 } }],\n}\n";
    let yaml_path = dir.write("queue/ecosystem.yml", yaml);
    let json_path = dir.write("web/process.json", json);
    let mut s = Session::start(dir.path());
    let yaml_uri = uri(&yaml_path);
    s.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": yaml_uri, "languageId": "yaml", "version": 1, "text": yaml } }),
    );
    let json_uri = uri(&json_path);
    s.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": json_uri, "languageId": "jsonc", "version": 1, "text": json } }),
    );
    let on_yaml = s.wait_diags(&yaml_uri, "the YAML file's findings", |p| {
        has_code(Some(p), "instances-port-clash")
    });
    let clash = find_diag(&on_yaml, "instances-port-clash").unwrap().clone();
    assert_eq!(text_at(yaml, &clash["range"]), "4000", "{clash:#}");
    let unknown = find_diag(&on_yaml, "unknown-option").unwrap().clone();
    assert_eq!(text_at(yaml, &unknown["range"]), "instance", "{unknown:#}");
    // The cross-file conflict between the two apps on 4000 shows in both files.
    let on_json = s.wait_diags(&json_uri, "the JSON file's findings", |p| {
        has_code(Some(p), "invalid-option-value") && has_code(Some(p), "port-conflict")
    });
    let invalid = find_diag(&on_json, "invalid-option-value").unwrap().clone();
    assert_eq!(text_at(json, &invalid["range"]), "'cluser'", "{invalid:#}");
    // Hover on a PM2 key of the YAML file.
    let (line, col) = pos(yaml, "instances", 0);
    let hover = s.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": yaml_uri }, "position": { "line": line, "character": col + 2 } }),
    );
    let text = hover["result"]["contents"]["value"]
        .as_str()
        .unwrap_or_default();
    assert!(
        text.contains("fork mode") && text.contains("2 instance"),
        "{hover:#}"
    );
    // Fixing the clash in YAML's own syntax clears it.
    let (line, col) = pos(yaml, "2\n", 0);
    s.change(
        &yaml_uri,
        2,
        json!([edit((line, col), (line, col + 1), "1")]),
    );
    let fixed = s.wait_diags(&yaml_uri, "version 2", |p| p["version"] == 2);
    assert!(!has_code(Some(&fixed), "instances-port-clash"), "{fixed:#}");
}
