//! `cargo bench --bench lsp`: the language server over real stdio. Spawns the release binary
//! (`portos-lsp serve`) and measures, as an editor sees it:
//!
//! 1. keystroke → `publishDiagnostics` latency (p50, p99) for files of about 2 KB, 8 KB, 50 KB and 1 MB,
//!    beside the floor: the same client against a bare tower-lsp-server that publishes empty diagnostics
//!    at once (this binary re-executed with `--bare-server`), changes sent to the two in turn;
//! 2. hovers on a small file answered while a change to the 1 MB file is being analysed;
//! 3. spawn → first diagnostics of an opened 8 KB file;
//! 4. peak RSS (`VmHWM`) after indexing workspaces of 1,000 and 10,000 files, and keystroke latency in them;
//! 5. `keystroke` (issue 15): what one keystroke costs against one full tree-sitter parse of the same file,
//!    in the hand-written `benches/fixtures/realistic-8kb.cjs` (`8KB-realistic`), the same with a
//!    half-typed statement above its `PORTS` table (`8KB-typing`) and generated files of 64 KB and 1 MB
//!    (`64KB`, `1MB`): the port literal nearest the middle gets a digit toggled; each publish is stamped
//!    when its last byte is read, before it is decoded; the ratio is (p50 − floor p50) / full parse.
//!
//! Arguments pick sections (`latency`, `hover`, `spawn`, `rss`, `keystroke`) and sizes (`2KB`, `8KB`,
//! `50KB`, `1MB`; for `keystroke` its four labels); none runs everything. Generated files go to the temp
//! dir and are deleted (`PORTOS_LSP_BENCH_KEEP=1` keeps them); `PORTOS_LSP_BENCH_CHANGES=N` sets the
//! number of timed changes per size; `PORTOS_LSP_BENCH_BIN=/path/to/portos-lsp` measures another build
//! (before/after in one sitting); `PORTOS_LSP_BENCH_WRAP='perf record -g --'` runs the server under a
//! profiler. See docs/performance.md.
#![allow(clippy::print_stdout, clippy::print_stderr)] // a benchmark reports on the terminal

mod generate;

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The first port of the generated single files (PortOS's user range starts there).
const FIRST_PORT: u32 = 5570;
/// The first port of the generated workspaces' apps.
const WORKSPACE_FIRST_PORT: u32 = 20_000;
/// How long any one answer may take before the bench gives up.
const TIMEOUT: Duration = Duration::from_secs(120);

// ---------------------------------------------------------------------------------------------------------
// The floor: a bare tower-lsp-server, run by this same binary with `--bare-server`.

mod bare {
    use tower_lsp_server::jsonrpc::Result;
    use tower_lsp_server::ls_types::*;
    use tower_lsp_server::{Client, LanguageServer, LspService, Server};

    /// Publishes empty diagnostics for every opened or changed document, at once; answers hovers with
    /// nothing. It logs the line the real server logs when its indexing is done, so one client drives both.
    struct Bare {
        client: Client,
    }

    impl LanguageServer for Bare {
        async fn initialize(&self, _: InitializeParams) -> Result<InitializeResult> {
            Ok(InitializeResult {
                capabilities: ServerCapabilities {
                    text_document_sync: Some(TextDocumentSyncCapability::Kind(
                        TextDocumentSyncKind::INCREMENTAL,
                    )),
                    hover_provider: Some(HoverProviderCapability::Simple(true)),
                    ..ServerCapabilities::default()
                },
                ..InitializeResult::default()
            })
        }

        async fn initialized(&self, _: InitializedParams) {
            self.client
                .log_message(MessageType::INFO, "indexed 0 ecosystem files in 0 ms")
                .await;
        }

        async fn shutdown(&self) -> Result<()> {
            Ok(())
        }

        async fn did_open(&self, params: DidOpenTextDocumentParams) {
            let doc = params.text_document;
            self.client
                .publish_diagnostics(doc.uri, Vec::new(), Some(doc.version))
                .await;
        }

        async fn did_change(&self, params: DidChangeTextDocumentParams) {
            let doc = params.text_document;
            self.client
                .publish_diagnostics(doc.uri, Vec::new(), Some(doc.version))
                .await;
        }

        async fn hover(&self, _: HoverParams) -> Result<Option<Hover>> {
            Ok(None)
        }
    }

    /// Serves stdio on the same runtime shape as `portos-lsp serve` (multi-threaded, two workers).
    pub fn run() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        runtime.block_on(async {
            let (service, socket) = LspService::new(|client| Bare { client });
            Server::new(tokio::io::stdin(), tokio::io::stdout(), socket)
                .serve(service)
                .await;
        });
    }
}

// ---------------------------------------------------------------------------------------------------------
// A minimal synchronous LSP client over a child's stdio.

/// A message from the server, when its last byte was read (before it was decoded) and its body's size.
struct Incoming {
    at: Instant,
    bytes: usize,
    msg: Value,
}

/// One server process and our end of its pipes. A reader thread reads frames and stamps them as soon as
/// their body is in; a second thread decodes them (so decoding a large message never delays the stamp of
/// the next) and answers the server's own requests.
struct Client {
    child: Child,
    stdin: Arc<Mutex<ChildStdin>>,
    rx: Receiver<Incoming>,
    next_id: i64,
    /// When the process was spawned.
    spawned: Instant,
}

fn write_message(stdin: &Mutex<ChildStdin>, msg: &Value) -> Instant {
    let body = serde_json::to_vec(msg).expect("serialise a message");
    let mut frame = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    frame.extend_from_slice(&body);
    let mut stdin = stdin.lock().unwrap_or_else(|p| p.into_inner());
    let sent = Instant::now();
    stdin.write_all(&frame).expect("write to the server");
    stdin.flush().expect("flush to the server");
    sent
}

/// Reads `Content-Length` frames until the stream ends.
fn read_frames(stdout: impl Read, tx: mpsc::Sender<(Instant, Vec<u8>)>) {
    let mut reader = BufReader::with_capacity(1 << 16, stdout);
    let mut line = String::new();
    loop {
        let mut length = None;
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let trimmed = line.trim_end();
            if trimmed.is_empty() {
                break;
            }
            if let Some(value) = trimmed.to_ascii_lowercase().strip_prefix("content-length:") {
                length = value.trim().parse::<usize>().ok();
            }
        }
        let Some(length) = length else { continue };
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        if tx.send((Instant::now(), body)).is_err() {
            return;
        }
    }
}

impl Client {
    fn spawn(mut command: Command) -> Client {
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let spawned = Instant::now();
        let mut child = command.spawn().expect("spawn the server");
        let stdin = Arc::new(Mutex::new(child.stdin.take().expect("piped stdin")));
        let stdout = child.stdout.take().expect("piped stdout");
        let (frames_tx, frames_rx) = mpsc::channel();
        std::thread::spawn(move || read_frames(stdout, frames_tx));
        let (tx, rx) = mpsc::channel();
        let answer_to = stdin.clone();
        std::thread::spawn(move || {
            for (at, body) in frames_rx {
                let Ok(msg) = serde_json::from_slice::<Value>(&body) else {
                    continue;
                };
                // A request from the server (registrations, progress tokens, configuration): answered
                // so it never waits on us. The client below announces none of them, so this is a guard.
                if let (Some(id), Some(method)) = (msg.get("id"), msg.get("method")) {
                    let result = if method == "workspace/configuration" {
                        let n = msg["params"]["items"].as_array().map_or(0, Vec::len);
                        Value::Array(vec![Value::Null; n])
                    } else {
                        Value::Null
                    };
                    write_message(
                        &answer_to,
                        &json!({"jsonrpc": "2.0", "id": id, "result": result}),
                    );
                }
                let bytes = body.len();
                if tx.send(Incoming { at, bytes, msg }).is_err() {
                    return;
                }
            }
        });
        Client {
            child,
            stdin,
            rx,
            next_id: 1,
            spawned,
        }
    }

    /// `portos-lsp serve`; `PORTOS_LSP_BENCH_WRAP` prefixes a command to profile it (`perf record -g
    /// --`), in which case the peak RSS figures are the wrapper's.
    fn server(binary: &Path) -> Client {
        let wrap = std::env::var("PORTOS_LSP_BENCH_WRAP").unwrap_or_default();
        let mut words = wrap.split_whitespace();
        let mut command = match words.next() {
            Some(first) => {
                let mut command = Command::new(first);
                command.args(words).arg(binary);
                command
            }
            None => Command::new(binary),
        };
        command.arg("serve");
        Client::spawn(command)
    }

    /// The floor: this binary as a bare tower-lsp-server.
    fn floor() -> Client {
        let mut command = Command::new(std::env::current_exe().expect("the bench's own path"));
        command.arg("--bare-server");
        Client::spawn(command)
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn notify(&self, method: &str, params: Value) -> Instant {
        write_message(
            &self.stdin,
            &json!({"jsonrpc": "2.0", "method": method, "params": params}),
        )
    }

    fn request(&mut self, method: &str, params: Value) -> (i64, Instant) {
        let id = self.next_id;
        self.next_id += 1;
        let sent = write_message(
            &self.stdin,
            &json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}),
        );
        (id, sent)
    }

    /// The first message `wanted` accepts; the others are dropped.
    fn wait_for(&self, what: &str, mut wanted: impl FnMut(&Value) -> bool) -> Incoming {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(m) if wanted(&m.msg) => return m,
                Ok(_) => {}
                Err(e) => panic!("waiting for {what}: {e}"),
            }
        }
    }

    fn wait_response(&self, id: i64) -> Incoming {
        self.wait_for("a response", |m| {
            m.get("method").is_none() && m.get("id") == Some(&json!(id))
        })
    }

    /// `initialize` (answered) then `initialized`, as an editor opening `folder` does. The client is
    /// VS Code-like where it matters here (UTF-16, related information, Markdown hovers) and announces no
    /// capability that would make the server ask it things (watchers, configuration, progress).
    fn initialize(&mut self, folder: Option<&Path>) -> Instant {
        let folders = folder.map(|f| json!([{"uri": uri_of(f), "name": "bench"}]));
        let (id, _) = self.request(
            "initialize",
            json!({
                "processId": std::process::id(),
                "rootUri": folder.map(uri_of),
                "workspaceFolders": folders,
                "capabilities": {
                    "general": {"positionEncodings": ["utf-16"]},
                    "textDocument": {
                        "synchronization": {"dynamicRegistration": false},
                        "publishDiagnostics": {"relatedInformation": true, "versionSupport": true},
                        "hover": {"contentFormat": ["markdown", "plaintext"]},
                    },
                    "window": {"showMessage": {}},
                },
            }),
        );
        let answered = self.wait_response(id).at;
        self.notify("initialized", json!({}));
        answered
    }

    /// Waits for the `indexed N ecosystem files in M ms` log line; returns N and M.
    fn wait_indexed(&self) -> (usize, u64) {
        let m = self.wait_for("the end of indexing", |m| {
            m["method"] == "window/logMessage"
                && m["params"]["message"].as_str().is_some_and(|s| {
                    s.starts_with("indexed ") && s.contains(" ecosystem files in ")
                })
        });
        let text = m.msg["params"]["message"].as_str().unwrap_or_default();
        let words: Vec<&str> = text.split_whitespace().collect();
        (
            words.get(1).and_then(|w| w.parse().ok()).unwrap_or(0),
            words.get(5).and_then(|w| w.parse().ok()).unwrap_or(0),
        )
    }

    fn open(&self, uri: &str, text: &str) -> Instant {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "javascript", "version": 1, "text": text}}),
        )
    }

    /// The `publishDiagnostics` for `uri` at `version` (any version when `None`); returns it and the
    /// number of diagnostics.
    fn wait_diagnostics(&self, uri: &str, version: Option<i64>) -> (Incoming, usize) {
        let m = self.wait_for("diagnostics", |m| is_diagnostics(m, uri, version));
        let count = m.msg["params"]["diagnostics"]
            .as_array()
            .map_or(0, Vec::len);
        (m, count)
    }

    /// `shutdown`, `exit`, and the process reaped (killed if it lingers).
    fn close(mut self) {
        let (id, _) = self.request("shutdown", Value::Null);
        self.wait_response(id);
        self.notify("exit", Value::Null);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

fn is_diagnostics(m: &Value, uri: &str, version: Option<i64>) -> bool {
    m["method"] == "textDocument/publishDiagnostics"
        && m["params"]["uri"] == uri
        && version.is_none_or(|v| m["params"]["version"] == v)
}

fn uri_of(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// The `textDocument/didChange` that puts `digit` at `(line, character)`: one character replaced.
fn digit_change(uri: &str, version: i64, (line, character): (usize, usize), digit: &str) -> Value {
    json!({
        "textDocument": {"uri": uri, "version": version},
        "contentChanges": [{
            "range": {
                "start": {"line": line, "character": character},
                "end": {"line": line, "character": character + 1},
            },
            "text": digit,
        }],
    })
}

/// The line and UTF-16 column (what the client announced) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset];
    let line = before.matches('\n').count();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].encode_utf16().count())
}

/// Where the last digit of the first group's UI port is: `UI: 5571,` becomes `UI: 5570,`, the API's port —
/// a `duplicate-port` appears — and back. Returns the position and the original digit.
fn ui_digit(text: &str, ui_port: u32) -> ((usize, usize), String) {
    let needle = format!("UI: {ui_port},");
    let at = text
        .find(&needle)
        .expect("the UI port in the generated file")
        + needle.len()
        - 2;
    (line_col(text, at), text[at..at + 1].to_string())
}

// ---------------------------------------------------------------------------------------------------------
// Statistics and output.

/// Nearest-rank percentile of sorted durations.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

struct Summary {
    p50: Duration,
    p99: Duration,
    max: Duration,
    n: usize,
}

impl Summary {
    /// The summary of `times`; all zero when there are none.
    fn of(mut times: Vec<Duration>) -> Summary {
        let n = times.len();
        if n == 0 {
            times.push(Duration::ZERO);
        }
        times.sort();
        Summary {
            p50: percentile(&times, 0.50),
            p99: percentile(&times, 0.99),
            max: times[times.len() - 1],
            n,
        }
    }
}

fn fmt(d: Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    if us < 1_000.0 {
        format!("{us:.0} µs")
    } else if us < 100_000.0 {
        format!("{:.2} ms", us / 1_000.0)
    } else {
        format!("{:.1} ms", us / 1_000.0)
    }
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64()
}

/// `VmHWM` and `VmRSS` of a process, in KiB.
fn memory_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
            .unwrap_or(0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// CPU time the process's threads have used so far (`/proc/<pid>/task/*/schedstat`, in nanoseconds).
fn cpu_time(pid: u32) -> Duration {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Duration::ZERO;
    };
    let ns: u64 = tasks
        .filter_map(Result::ok)
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    Duration::from_nanos(ns)
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map_or("unknown CPU".to_string(), |s| s.trim().to_string());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory = meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or("unknown".to_string(), |kib| format!("{} MB", kib / 1024));
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load: Vec<&str> = load.split_whitespace().take(3).collect();
    format!(
        "{} CPUs ({cpu}), {memory} memory, load average {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load.join(" ")
    )
}

// ---------------------------------------------------------------------------------------------------------
// Generated files.

/// A directory in the temp dir for this run, deleted when dropped.
struct Scratch {
    root: PathBuf,
}

impl Scratch {
    fn new() -> Scratch {
        let root =
            std::env::temp_dir().join(format!("portos-lsp-bench-lsp-{}", std::process::id()));
        if root.exists() {
            std::fs::remove_dir_all(&root).expect("remove a stale scratch directory");
        }
        std::fs::create_dir_all(&root).expect("create the scratch directory");
        Scratch { root }
    }

    /// Writes `text` as `<dir>/ecosystem.config.cjs`; returns its path.
    fn ecosystem(&self, dir: &str, text: &str) -> PathBuf {
        let dir = self.root.join(dir);
        std::fs::create_dir_all(&dir).expect("create a directory");
        let file = dir.join("ecosystem.config.cjs");
        std::fs::write(&file, text).expect("write an ecosystem file");
        file
    }

    /// A workspace of `count` apps as the workspace benchmark generates it: `app-NNNNN/ecosystem.config.cjs`
    /// of about 2 KB each, one `portos-lsp.toml` widening the user range, every hundredth app reusing its
    /// neighbour's port. Returns its root.
    fn workspace(&self, count: usize) -> PathBuf {
        let root = self.root.join(format!("workspace-{count}"));
        std::fs::create_dir_all(&root).expect("create the workspace");
        let last = WORKSPACE_FIRST_PORT + count as u32 * generate::PORTS_PER_GROUP;
        std::fs::write(
            root.join("portos-lsp.toml"),
            format!("[ranges]\nuser = [{WORKSPACE_FIRST_PORT}, {last}]\n"),
        )
        .expect("write portos-lsp.toml");
        for i in 0..count {
            let dir = root.join(format!("app-{i:05}"));
            std::fs::create_dir(&dir).expect("create an app directory");
            let first = WORKSPACE_FIRST_PORT + i as u32 * generate::PORTS_PER_GROUP;
            let ui = if i % 100 == 99 {
                first - generate::PORTS_PER_GROUP
            } else {
                first + 1
            };
            let text = generate::workspace_app(i, [first, ui, first + 2]);
            std::fs::write(dir.join("ecosystem.config.cjs"), text)
                .expect("write an ecosystem file");
        }
        root
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if std::env::var_os("PORTOS_LSP_BENCH_KEEP").is_some() {
            eprintln!("kept {}", self.root.display());
            return;
        }
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

// ---------------------------------------------------------------------------------------------------------
// The measurements.

/// Keystroke latencies of one open document: `rounds` changes after `warmup` uncounted ones, each timed
/// from the write of its `didChange` to the `publishDiagnostics` of its version. The digit alternates
/// between `digits.0` and `digits.1`. Returns the timings and the diagnostics counts seen per digit.
struct Typist {
    uri: String,
    at: (usize, usize),
    digits: [String; 2],
    version: i64,
    times: Vec<Duration>,
    counts: [usize; 2],
    /// The body size of the last publish seen per digit, in bytes.
    sizes: [usize; 2],
}

impl Typist {
    fn new(uri: String, at: (usize, usize), digits: [String; 2]) -> Typist {
        Typist {
            uri,
            at,
            digits,
            version: 1,
            times: Vec::new(),
            counts: [0; 2],
            sizes: [0; 2],
        }
    }

    /// Sends the next change and waits for its diagnostics; counts it unless `warmup`.
    fn keystroke(&mut self, client: &Client, warmup: bool) -> Duration {
        self.version += 1;
        let which = (self.version % 2) as usize;
        let sent = client.notify(
            "textDocument/didChange",
            digit_change(&self.uri, self.version, self.at, &self.digits[which]),
        );
        let (got, count) = client.wait_diagnostics(&self.uri, Some(self.version));
        let took = got.at.duration_since(sent);
        self.counts[which] = count;
        self.sizes[which] = got.bytes;
        if !warmup {
            self.times.push(took);
        }
        took
    }
}

struct LatencyRow {
    label: &'static str,
    bytes: usize,
    counts: [usize; 2],
    server: Summary,
    floor: Summary,
    /// CPU time per change of the server's and the floor's processes (all threads).
    cpu: [Duration; 2],
    parse: Duration,
}

/// Opens `text` in `client` (already initialised) and waits for its first diagnostics.
fn open_and_wait(client: &Client, uri: &str, text: &str) -> usize {
    client.open(uri, text);
    client.wait_diagnostics(uri, Some(1)).1
}

/// One document typed in, in the server and in the floor: the server is still open (the hover section
/// goes on with it), the floor is closed.
struct Typed {
    server: Client,
    on_server: Typist,
    on_floor: Typist,
    /// CPU time per counted change of the server's and the floor's processes (all threads).
    cpu: [Duration; 2],
}

/// The server and the floor, each with `text` open at `uri`; changes (`digits` in turn at `at`) go to one
/// then the other, then `beside` runs in this process (told whether the round counts), round after round,
/// so that the load of other processes on this shared machine falls on all three alike.
fn type_beside_floor(
    binary: &Path,
    uri: &str,
    text: &str,
    (at, digits): ((usize, usize), [String; 2]),
    (rounds, warmup): (usize, usize),
    mut beside: impl FnMut(bool),
) -> Typed {
    // `initialize` without a workspace folder: the file alone, nothing indexed.
    let mut server = Client::server(binary);
    let mut floor = Client::floor();
    server.initialize(None);
    server.wait_indexed();
    floor.initialize(None);
    floor.wait_indexed();
    open_and_wait(&server, uri, text);
    open_and_wait(&floor, uri, text);

    let mut on_server = Typist::new(uri.to_string(), at, digits.clone());
    let mut on_floor = Typist::new(uri.to_string(), at, digits);
    let mut cpu = [Duration::ZERO; 2];
    for i in 0..warmup + rounds {
        if i == warmup {
            cpu = [cpu_time(server.pid()), cpu_time(floor.pid())];
        }
        on_server.keystroke(&server, i < warmup);
        on_floor.keystroke(&floor, i < warmup);
        beside(i >= warmup);
    }
    let cpu = [
        (cpu_time(server.pid()) - cpu[0]) / rounds.max(1) as u32,
        (cpu_time(floor.pid()) - cpu[1]) / rounds.max(1) as u32,
    ];
    floor.close();
    Typed {
        server,
        on_server,
        on_floor,
        cpu,
    }
}

/// Keystroke latency in a generated file of about `target` bytes, its first UI port typed in, beside the
/// floor and a full parse with `portos_lsp::syntax::parse` (a fresh, non-incremental parse) each round.
fn latency(
    binary: &Path,
    scratch: &Scratch,
    label: &'static str,
    target: usize,
    rounds: usize,
    warmup: usize,
    hover: bool,
) -> (LatencyRow, Option<HoverFigures>) {
    let (text, _groups) = generate::ecosystem_of_size(target, FIRST_PORT);
    let path = scratch.ecosystem(&format!("single-{label}"), &text);
    let uri = uri_of(&path);
    let (at, original) = ui_digit(&text, FIRST_PORT + 1);
    let other = if original == "0" { "1" } else { "0" };
    let digits = [original.clone(), other.to_string()];

    let mut parses = Vec::new();
    let Typed {
        mut server,
        mut on_server,
        on_floor,
        cpu,
    } = type_beside_floor(
        binary,
        &uri,
        &text,
        (at, digits),
        (rounds, warmup),
        |counted| {
            let t = Instant::now();
            let _ = std::hint::black_box(portos_lsp::syntax::parse(
                &text,
                &portos_lsp::syntax::Budget::unlimited(),
            ));
            if counted {
                parses.push(t.elapsed());
            }
        },
    );
    assert_ne!(
        on_server.counts[0], on_server.counts[1],
        "the two versions of {label} should differ in their diagnostics"
    );

    let hover = hover.then(|| hover_while_busy(&mut server, scratch, &mut on_server));
    server.close();
    let row = LatencyRow {
        label,
        bytes: text.len(),
        counts: on_server.counts,
        server: Summary::of(on_server.times),
        floor: Summary::of(on_floor.times),
        cpu,
        parse: Summary::of(parses).p50,
    };
    (row, hover)
}

// ---------------------------------------------------------------------------------------------------------
// Issue 15: what a keystroke costs against one full parse of the same file.

/// The hand-written realistic file: derived ports, helpers, spreads, `require`s, places PortOS reads
/// differently.
const REALISTIC_8KB: &str = include_str!("fixtures/realistic-8kb.cjs");
/// What is typed above the realistic file's `PORTS` table to catch it mid-typing (a syntax error).
const HALF_TYPED: &str = "const STAGING_BASE = \n";
/// The processes of the realistic file (`portos-lsp ports` lists them), seven of them built by helpers.
const REALISTIC_APPS: usize = 20;

/// One file of the `keystroke` section: its label (an argument selects it), its text, its number of apps,
/// counted and warm-up changes, and the target for (p50 − floor) / full parse.
struct KeystrokeFile {
    label: &'static str,
    text: String,
    apps: usize,
    rounds: usize,
    warmup: usize,
    target: f64,
}

/// The four files of issue 15: the realistic 8 KB file, the same with a syntax error, and generated files
/// of 64 KB (about 100 apps) and 1 MB (about 1,600 apps).
fn keystroke_files() -> Vec<KeystrokeFile> {
    let generated = |label, bytes, rounds, warmup, target| {
        let (text, groups) = generate::ecosystem_of_size(bytes, FIRST_PORT);
        KeystrokeFile {
            label,
            text,
            apps: 2 * groups,
            rounds,
            warmup,
            target,
        }
    };
    let realistic = |label, text: &str, target| KeystrokeFile {
        label,
        text: text.to_string(),
        apps: REALISTIC_APPS,
        rounds: 200,
        warmup: 20,
        target,
    };
    vec![
        realistic("8KB-realistic", REALISTIC_8KB, 0.4),
        realistic("8KB-typing", &mid_typing(REALISTIC_8KB), 1.3),
        generated("64KB", 64 * 1024, 200, 10, 0.3),
        generated("1MB", 1024 * 1024, 40, 3, 0.35),
    ]
}

/// `text` with [`HALF_TYPED`] on its own line just above the blank line before `const PORTS`: the file as
/// it is while someone types a new constant.
fn mid_typing(text: &str) -> String {
    let at = text
        .find("\nconst PORTS = {")
        .expect("a PORTS table in the realistic file");
    format!("{}{HALF_TYPED}{}", &text[..at], &text[at..])
}

/// The port literal nearest the middle of `text`: a number of 4 or 5 digits from 1024 to 65535 standing
/// as a value (after `:`, `=`, `||` or `??`). Returns its byte offset and the literal.
fn mid_file_port(text: &str) -> (usize, &str) {
    let bytes = text.as_bytes();
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b == b'.';
    let mut best: Option<(usize, usize)> = None;
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() || (i > 0 && is_word(bytes[i - 1])) {
            i += 1;
            continue;
        }
        let end = (i..bytes.len())
            .find(|&j| !bytes[j].is_ascii_digit())
            .unwrap_or(bytes.len());
        let literal = &text[i..end];
        let before = text[..i].trim_end();
        let as_value = (before.ends_with(':') || before.ends_with('=') || before.ends_with("||"))
            && !before.ends_with("==")
            || before.ends_with("??");
        let port = literal
            .parse::<u32>()
            .is_ok_and(|n| (1024..=65_535).contains(&n));
        let alone = end == bytes.len() || !is_word(bytes[end]);
        if (4..=5).contains(&literal.len()) && as_value && port && alone {
            let distance = i.abs_diff(text.len() / 2);
            if best.is_none_or(|(_, d)| distance < d) {
                best = Some((i, distance));
            }
        }
        i = end;
    }
    let (start, _) = best.expect("a port literal in the file");
    let end = start
        + text[start..]
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(0);
    (start, &text[start..end])
}

/// An in-process tree-sitter parser of the grammar the server uses, for the two yardsticks: a full parse
/// of the text and the incremental reparse after the same one-digit change the server gets.
struct Yardstick {
    parser: tree_sitter::Parser,
    texts: [String; 2],
    /// Which of `texts` `tree` is the tree of.
    current: usize,
    tree: tree_sitter::Tree,
    offset: usize,
    point: tree_sitter::Point,
}

impl Yardstick {
    /// `texts` differ in the one byte at `offset`, on `line` at byte `column`.
    fn new(texts: [String; 2], offset: usize) -> Yardstick {
        let mut parser = tree_sitter::Parser::new();
        parser
            .set_language(&portos_lsp::syntax::language())
            .expect("grammar matches tree-sitter");
        let tree = parser.parse(&texts[0], None).expect("a tree");
        let before = &texts[0][..offset];
        let row = before.matches('\n').count();
        let column = offset - before.rfind('\n').map_or(0, |i| i + 1);
        Yardstick {
            parser,
            texts,
            current: 0,
            tree,
            offset,
            point: tree_sitter::Point { row, column },
        }
    }

    /// One full parse of the first text, from nothing.
    fn full_parse(&mut self) -> Duration {
        let t = Instant::now();
        let tree = self.parser.parse(&self.texts[0], None);
        let took = t.elapsed();
        std::hint::black_box(tree.expect("a tree"));
        took
    }

    /// The old tree told of the one-byte change, then the other text reparsed with it.
    fn reparse(&mut self) -> Duration {
        let next = 1 - self.current;
        let end = tree_sitter::Point {
            row: self.point.row,
            column: self.point.column + 1,
        };
        self.tree.edit(&tree_sitter::InputEdit {
            start_byte: self.offset,
            old_end_byte: self.offset + 1,
            new_end_byte: self.offset + 1,
            start_position: self.point,
            old_end_position: end,
            new_end_position: end,
        });
        let t = Instant::now();
        let tree = self.parser.parse(&self.texts[next], Some(&self.tree));
        let took = t.elapsed();
        self.tree = tree.expect("a tree");
        self.current = next;
        took
    }
}

struct KeystrokeRow {
    label: &'static str,
    bytes: usize,
    apps: usize,
    /// Where the digit is toggled: line (1-based) and the literal's two values.
    changed: String,
    counts: [usize; 2],
    /// Bytes of one `publishDiagnostics` body, per digit.
    sizes: [usize; 2],
    server: Summary,
    floor: Summary,
    cpu: [Duration; 2],
    parse: Duration,
    reparse: Duration,
    target: f64,
}

/// Types in `file`: its port literal nearest the middle gets its last digit toggled (`0` ↔ `1`, `2` ↔
/// `3`, …) by incremental `didChange`s, in the server and the floor in turn, each round beside a full and
/// an incremental tree-sitter parse in this process.
fn keystroke(
    binary: &Path,
    scratch: &Scratch,
    file: &KeystrokeFile,
    rounds: usize,
) -> KeystrokeRow {
    let text = &file.text;
    let path = scratch.ecosystem(&format!("keystroke-{}", file.label), text);
    let uri = uri_of(&path);
    let (start, literal) = mid_file_port(text);
    let last = start + literal.len() - 1;
    let original = text[last..=last].to_string();
    let other = char::from(original.as_bytes()[0] ^ 1).to_string();
    let mut toggled = text.clone();
    toggled.replace_range(last..=last, &other);
    let changed = format!(
        "line {}: {} ↔ {}",
        line_col(text, start).0 + 1,
        literal,
        &toggled[start..start + literal.len()]
    );

    let mut yardstick = Yardstick::new([text.clone(), toggled], last);
    let mut parses = Vec::new();
    let mut reparses = Vec::new();
    let typed = type_beside_floor(
        binary,
        &uri,
        text,
        (line_col(text, last), [original, other]),
        (rounds, file.warmup),
        |counted| {
            let full = yardstick.full_parse();
            let reparse = yardstick.reparse();
            if counted {
                parses.push(full);
                reparses.push(reparse);
            }
        },
    );
    typed.server.close();
    KeystrokeRow {
        label: file.label,
        bytes: text.len(),
        apps: file.apps,
        changed,
        counts: typed.on_server.counts,
        sizes: typed.on_server.sizes,
        server: Summary::of(typed.on_server.times),
        floor: Summary::of(typed.on_floor.times),
        cpu: typed.cpu,
        parse: Summary::of(parses).p50,
        reparse: Summary::of(reparses).p50,
        target: file.target,
    }
}

fn print_keystroke_rows(rows: &[KeystrokeRow]) {
    println!(
        "Keystroke → publishDiagnostics fully read (issue 15): one digit of the port literal nearest the \
         middle toggled per incremental didChange; stamped when the publish's last byte is read, before it \
         is decoded; floor = a bare tower-lsp-server in the same rounds; full parse and reparse = \
         tree-sitter in this process, in the same rounds (medians):"
    );
    println!();
    println!(
        "| file | bytes | apps | changed | diagnostics | publish bytes | changes | p50 | p99 | p99 / p50 | floor p50 | full parse | reparse | (p50 − floor) / parse | target | CPU per change |"
    );
    println!("|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        let above_floor = r.server.p50.saturating_sub(r.floor.p50);
        let ratio_to_parse = ratio(above_floor, r.parse);
        println!(
            "| {} | {} | {} | {} | {} ↔ {} | {} ↔ {} | {} | {} | {} | {:.1}× | {} | {} | {} | **{:.2}×** | ≤ {}× {} | {} |",
            r.label,
            r.bytes,
            r.apps,
            r.changed,
            r.counts[0],
            r.counts[1],
            r.sizes[0],
            r.sizes[1],
            r.server.n,
            fmt(r.server.p50),
            fmt(r.server.p99),
            ratio(r.server.p99, r.server.p50),
            fmt(r.floor.p50),
            fmt(r.parse),
            fmt(r.reparse),
            ratio_to_parse,
            r.target,
            if ratio_to_parse <= r.target {
                "met"
            } else {
                "missed"
            },
            fmt(r.cpu[0]),
        );
    }
    println!();
    for r in rows {
        println!(
            "- {}: server max {}, floor p99 {}, floor max {}",
            r.label,
            fmt(r.server.max),
            fmt(r.floor.p99),
            fmt(r.floor.max)
        );
    }
    println!();
}

struct HoverFigures {
    idle: Summary,
    /// Hovers sent while a change was in flight and answered before its diagnostics arrived.
    busy: Summary,
    /// Those answered after (sent while the server was storing and sending the change's diagnostics).
    behind: Summary,
    sent: usize,
    changes: usize,
    change_latency: Summary,
    non_null: bool,
}

/// With the large file open in `server`, opens a small file elsewhere and hovers on a port in it: first
/// idle, then while changes to the large file are analysed (a hover every 10 ms from the change's write
/// until its diagnostics arrive); every such hover is timed, and counted as answered during the analysis
/// when its answer came before the change's diagnostics.
fn hover_while_busy(server: &mut Client, scratch: &Scratch, large: &mut Typist) -> HoverFigures {
    let (text, _) = generate::ecosystem_of_size(2 * 1024, FIRST_PORT);
    let path = scratch.ecosystem("hover-small", &text);
    let uri = uri_of(&path);
    open_and_wait(server, &uri, &text);
    let port_at = text
        .find(&format!("API: {FIRST_PORT},"))
        .expect("the API port")
        + "API: ".len()
        + 1;
    let (line, character) = line_col(&text, port_at);
    let params = json!({
        "textDocument": {"uri": uri},
        "position": {"line": line, "character": character},
    });

    let mut non_null = false;
    let mut idle = Vec::new();
    for _ in 0..30 {
        let (id, sent) = server.request("textDocument/hover", params.clone());
        let answer = server.wait_response(id);
        non_null |= !answer.msg["result"].is_null();
        idle.push(answer.at.duration_since(sent));
    }

    let changes = 10;
    let mut busy = Vec::new();
    let mut change_latency = Vec::new();
    let mut behind = Vec::new();
    let mut sent_count = 0;
    for _ in 0..changes {
        large.version += 1;
        let which = (large.version % 2) as usize;
        let change_sent = server.notify(
            "textDocument/didChange",
            digit_change(&large.uri, large.version, large.at, &large.digits[which]),
        );
        let mut pending: Vec<(i64, Instant)> = Vec::new();
        let mut next_hover = Instant::now();
        let mut diagnostics_at = None;
        let deadline = Instant::now() + TIMEOUT;
        while diagnostics_at.is_none() || !pending.is_empty() {
            if diagnostics_at.is_none() && Instant::now() >= next_hover {
                pending.push(server.request("textDocument/hover", params.clone()));
                sent_count += 1;
                next_hover += Duration::from_millis(10);
            }
            let wait_until = if diagnostics_at.is_none() {
                next_hover.min(deadline)
            } else {
                deadline
            };
            let Ok(m) = server
                .rx
                .recv_timeout(wait_until.saturating_duration_since(Instant::now()))
            else {
                assert!(Instant::now() < deadline, "no answer to a hover in time");
                continue;
            };
            if is_diagnostics(&m.msg, &large.uri, Some(large.version)) {
                diagnostics_at = Some(m.at);
                change_latency.push(m.at.duration_since(change_sent));
            } else if m.msg.get("method").is_none()
                && let Some(i) = pending
                    .iter()
                    .position(|(id, _)| m.msg.get("id") == Some(&json!(id)))
            {
                let (_, sent) = pending.swap_remove(i);
                let took = m.at.duration_since(sent);
                if diagnostics_at.is_none() {
                    busy.push(took);
                } else {
                    behind.push(took);
                }
            }
        }
    }
    HoverFigures {
        idle: Summary::of(idle),
        busy: Summary::of(busy),
        behind: Summary::of(behind),
        sent: sent_count,
        changes,
        change_latency: Summary::of(change_latency),
        non_null,
    }
}

struct SpawnFigures {
    server: Summary,
    server_initialize: Summary,
    floor: Summary,
}

/// Spawn → first diagnostics of an opened 8 KB file, in a workspace folder holding just that file: the
/// client writes `initialize` at once, `initialized` and `didOpen` when `initialize` is answered. The
/// server and the floor in turn, after two uncounted runs of each.
fn spawn_to_diagnostics(binary: &Path, scratch: &Scratch, runs: usize) -> SpawnFigures {
    let (text, _) = generate::ecosystem_of_size(8 * 1024, FIRST_PORT);
    let path = scratch.ecosystem("spawn-8KB", &text);
    let folder = path.parent().expect("a directory").to_path_buf();
    let uri = uri_of(&path);
    let once = |mut client: Client| -> (Duration, Duration) {
        let answered = client.initialize(Some(&folder));
        client.open(&uri, &text);
        let (got, _) = client.wait_diagnostics(&uri, None);
        let figures = (
            got.at.duration_since(client.spawned),
            answered.duration_since(client.spawned),
        );
        client.close();
        figures
    };
    let mut server = Vec::new();
    let mut initialize = Vec::new();
    let mut floor = Vec::new();
    for i in 0..runs + 2 {
        let (s, init) = once(Client::server(binary));
        let (f, _) = once(Client::floor());
        if i >= 2 {
            server.push(s);
            initialize.push(init);
            floor.push(f);
        }
    }
    SpawnFigures {
        server: Summary::of(server),
        server_initialize: Summary::of(initialize),
        floor: Summary::of(floor),
    }
}

struct RssRow {
    files: usize,
    indexed: usize,
    index_ms: u64,
    wall: Duration,
    hwm_kib: u64,
    rss_kib: u64,
    keystroke: Summary,
    counts: [usize; 2],
}

/// Indexes a generated workspace of `count` files (the folder given in `initialize`), waits for the
/// `indexed` log line and reads the server's peak RSS; then types in one of its files.
fn rss(binary: &Path, scratch: &Scratch, count: usize) -> RssRow {
    let root = scratch.workspace(count);
    let mut server = Client::server(binary);
    server.initialize(Some(&root));
    let started = Instant::now();
    let (indexed, index_ms) = server.wait_indexed();
    let wall = started.elapsed();
    let (hwm_kib, rss_kib) = memory_kib(server.pid());

    // One app of the workspace, open: its keystrokes pay for the cross-file findings against every file.
    let path = root.join("app-00000").join("ecosystem.config.cjs");
    let text = std::fs::read_to_string(&path).expect("read the first app");
    let uri = uri_of(&path);
    open_and_wait(&server, &uri, &text);
    let (at, original) = ui_digit(&text, WORKSPACE_FIRST_PORT + 1);
    let other = if original == "0" { "1" } else { "0" };
    let mut typist = Typist::new(uri, at, [original, other.to_string()]);
    for i in 0..60 {
        typist.keystroke(&server, i < 10);
    }
    server.close();
    RssRow {
        files: count,
        indexed,
        index_ms,
        wall,
        hwm_kib,
        rss_kib,
        keystroke: Summary::of(typist.times),
        counts: typist.counts,
    }
}

/// `PORTOS_LSP_BENCH_CHANGES`: the number of timed changes per file, instead of each section's own.
fn changes_override() -> Option<usize> {
    std::env::var("PORTOS_LSP_BENCH_CHANGES")
        .ok()
        .and_then(|n| n.parse().ok())
}

/// The server to measure: `PORTOS_LSP_BENCH_BIN` when set (to compare two builds in one sitting), else
/// cargo's path for this bench's release build of it, else `target/release/portos-lsp`, built when missing.
fn server_binary() -> PathBuf {
    if let Some(chosen) = std::env::var_os("PORTOS_LSP_BENCH_BIN") {
        let chosen = PathBuf::from(chosen);
        assert!(
            chosen.is_file(),
            "PORTOS_LSP_BENCH_BIN={} is not a file: point it at a built portos-lsp",
            chosen.display()
        );
        return chosen;
    }
    let cargo_built = PathBuf::from(env!("CARGO_BIN_EXE_portos-lsp"));
    if cargo_built.is_file() {
        return cargo_built;
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let release = manifest.join("target/release/portos-lsp");
    if !release.is_file() {
        let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["build", "--release", "--bin", "portos-lsp"])
            .current_dir(manifest)
            .status()
            .expect("run cargo build --release");
        assert!(status.success(), "cargo build --release failed");
    }
    release
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--bare-server") {
        bare::run();
        return;
    }
    // `cargo bench` passes `--bench`; other arguments pick sections and sizes.
    let picked: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| !a.starts_with('-'))
        .collect();
    const SECTIONS: [&str; 5] = ["latency", "hover", "spawn", "rss", "keystroke"];
    let (sections, sizes_picked): (Vec<&str>, Vec<&str>) =
        picked.iter().partition(|a| SECTIONS.contains(a));
    let run = |section: &str| sections.is_empty() || sections.contains(&section);
    let binary = server_binary();
    let scratch = Scratch::new();
    println!(
        "portos-lsp language server benchmark, over stdio: {}",
        binary.display()
    );
    println!("machine: {}", machine());
    println!();

    // Size, bytes, counted changes, uncounted warm-up changes.
    let sizes: [(&'static str, usize, usize, usize); 4] = [
        ("2KB", 2 * 1024, 200, 20),
        ("8KB", 8 * 1024, 200, 20),
        ("50KB", 50 * 1024, 200, 10),
        ("1MB", 1024 * 1024, 40, 3),
    ];
    let mut hover = None;
    if run("latency") || run("hover") {
        let mut rows = Vec::new();
        let changes = changes_override();
        for (label, target, rounds, warmup) in sizes {
            let rounds = changes.unwrap_or(rounds);
            if !sizes_picked.is_empty() && !sizes_picked.contains(&label) {
                continue;
            }
            let with_hover = label == "1MB" && run("hover");
            let started = Instant::now();
            let (row, h) = latency(&binary, &scratch, label, target, rounds, warmup, with_hover);
            eprintln!("  ({label}: {:.1} s)", started.elapsed().as_secs_f64());
            rows.push(row);
            hover = hover.or(h);
        }
        println!(
            "Keystroke → publishDiagnostics (one digit changed per didChange, diagnostics alternating), \
             server and floor in turn:"
        );
        println!();
        println!(
            "| size | bytes | diagnostics | changes | server p50 | server p99 | floor p50 | floor p99 | p50 / floor | p99 / floor | CPU per change: server, floor | full parse | p50 / parse |"
        );
        println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for r in &rows {
            println!(
                "| {} | {} | {} ↔ {} | {} | {} | {} | {} | {} | {:.1}× | {:.1}× | {}, {} | {} | {:.2}× |",
                r.label,
                r.bytes,
                r.counts[0],
                r.counts[1],
                r.server.n,
                fmt(r.server.p50),
                fmt(r.server.p99),
                fmt(r.floor.p50),
                fmt(r.floor.p99),
                ratio(r.server.p50, r.floor.p50),
                ratio(r.server.p99, r.floor.p99),
                fmt(r.cpu[0]),
                fmt(r.cpu[1]),
                fmt(r.parse),
                ratio(r.server.p50, r.parse),
            );
        }
        println!();
        for r in &rows {
            println!(
                "- {}: server max {}, floor max {}",
                r.label,
                fmt(r.server.max),
                fmt(r.floor.max)
            );
        }
        println!();
    }

    if let Some(h) = hover {
        println!(
            "Hover on a 2 KB file while the 1 MB file is analysed ({} changes, a hover every 10 ms until \
             each change's diagnostics; hover result {}):",
            h.changes,
            if h.non_null { "non-empty" } else { "EMPTY" }
        );
        println!();
        println!("| | n | p50 | p99 | max |");
        println!("|---|---:|---:|---:|---:|");
        println!(
            "| hover, idle | {} | {} | {} | {} |",
            h.idle.n,
            fmt(h.idle.p50),
            fmt(h.idle.p99),
            fmt(h.idle.max)
        );
        println!(
            "| hover sent while a 1 MB change is in flight, answered before its diagnostics | {} of {} | {} | {} | {} |",
            h.busy.n,
            h.sent,
            fmt(h.busy.p50),
            fmt(h.busy.p99),
            fmt(h.busy.max)
        );
        println!(
            "| hover sent while a 1 MB change is in flight, answered after its diagnostics | {} of {} | {} | {} | {} |",
            h.behind.n,
            h.sent,
            fmt(h.behind.p50),
            fmt(h.behind.p99),
            fmt(h.behind.max)
        );
        println!(
            "| the 1 MB change meanwhile | {} | {} | {} | {} |",
            h.change_latency.n,
            fmt(h.change_latency.p50),
            fmt(h.change_latency.p99),
            fmt(h.change_latency.max)
        );
        println!();
    }

    if run("keystroke") {
        let changes = changes_override();
        let mut rows = Vec::new();
        for file in keystroke_files() {
            if !sizes_picked.is_empty() && !sizes_picked.contains(&file.label) {
                continue;
            }
            let started = Instant::now();
            rows.push(keystroke(
                &binary,
                &scratch,
                &file,
                changes.unwrap_or(file.rounds),
            ));
            eprintln!(
                "  ({}: {:.1} s)",
                file.label,
                started.elapsed().as_secs_f64()
            );
        }
        print_keystroke_rows(&rows);
    }

    if run("spawn") {
        let s = spawn_to_diagnostics(&binary, &scratch, 20);
        println!(
            "Spawn → first publishDiagnostics of an opened 8 KB file ({} runs, workspace folder holding it):",
            s.server.n
        );
        println!();
        println!("| | p50 | p99 | max |");
        println!("|---|---:|---:|---:|");
        println!(
            "| portos-lsp: spawn → initialize answered | {} | {} | {} |",
            fmt(s.server_initialize.p50),
            fmt(s.server_initialize.p99),
            fmt(s.server_initialize.max)
        );
        println!(
            "| portos-lsp: spawn → first diagnostics | {} | {} | {} |",
            fmt(s.server.p50),
            fmt(s.server.p99),
            fmt(s.server.max)
        );
        println!(
            "| floor: spawn → first diagnostics | {} | {} | {} |",
            fmt(s.floor.p50),
            fmt(s.floor.p99),
            fmt(s.floor.max)
        );
        println!();
    }

    if run("rss") {
        let mut rows = Vec::new();
        for count in [1_000, 10_000] {
            let started = Instant::now();
            rows.push(rss(&binary, &scratch, count));
            eprintln!(
                "  ({count} files: {:.1} s)",
                started.elapsed().as_secs_f64()
            );
        }
        let mut floor = Client::floor();
        floor.initialize(None);
        floor.wait_indexed();
        let (floor_hwm, _) = memory_kib(floor.pid());
        floor.close();
        println!(
            "Workspace indexing (workspaceFolders in initialize), then keystrokes in app-00000's file:"
        );
        println!();
        println!(
            "| files | indexed | server's `indexed … in` | initialized → log line | peak RSS (VmHWM) | RSS after | keystroke p50 | keystroke p99 | diagnostics |"
        );
        println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for r in &rows {
            println!(
                "| {} | {} | {} ms | {} | {} | {} | {} | {} | {} ↔ {} |",
                r.files,
                r.indexed,
                r.index_ms,
                fmt(r.wall),
                mib(r.hwm_kib),
                mib(r.rss_kib),
                fmt(r.keystroke.p50),
                fmt(r.keystroke.p99),
                r.counts[0],
                r.counts[1],
            );
        }
        println!();
        println!("Floor's peak RSS after initialize: {}", mib(floor_hwm));
        println!();
    }
    println!(
        "Targets: p50 < 1 ms at 8 KB (goal 3× the floor), < 10 ms at 50 KB, ≤ 1.5× a full parse at 1 MB; \
         spawn → first diagnostics < 20 ms; peak RSS < 50 MB at 1,000 files, < 80 MB at 10,000."
    );
}
