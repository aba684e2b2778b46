//! The language server in-process, over `tokio::io::duplex`: hover and completion from cursor-marker fixtures
//! (`PORT: $0`, rust-analyzer's style), diagnostics on open and change, and the ordering of edits and requests.

mod common;
mod fake_portos;
use common::apply_text_edits;

use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::sync::{Mutex, mpsc};

static NEXT_DIR: AtomicUsize = AtomicUsize::new(0);

/// A fresh directory under the system's temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!(
            "portos-lsp-inproc-{}-{}",
            std::process::id(),
            NEXT_DIR.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join(".git")).unwrap();
        // A project file shows PortOS's convention, so its rules run whatever the timing of the decision.
        std::fs::write(dir.join("portos-lsp.toml"), "").unwrap();
        TempDir(dir)
    }

    /// A plain PM2 project: no project file, nothing of PortOS's convention.
    fn plain() -> Self {
        let dir = Self::new();
        std::fs::remove_file(dir.0.join("portos-lsp.toml")).unwrap();
        dir
    }

    fn write(&self, relative: &str, text: &str) -> PathBuf {
        let path = self.0.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
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

type Writer = Arc<Mutex<tokio::io::WriteHalf<tokio::io::DuplexStream>>>;

/// A client speaking to an in-process server.
struct Client {
    writer: Writer,
    incoming: mpsc::UnboundedReceiver<Value>,
    seen: Vec<Value>,
    next_id: i64,
}

async fn send(writer: &Writer, message: &Value) {
    let body = serde_json::to_vec(message).unwrap();
    let mut w = writer.lock().await;
    w.write_all(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes())
        .await
        .unwrap();
    w.write_all(&body).await.unwrap();
    w.flush().await.unwrap();
}

impl Client {
    /// Starts a server and initializes it with `folder` as the workspace folder.
    async fn start(folder: &Path, capabilities: Value, options: Value) -> Client {
        let (client_io, server_io) = tokio::io::duplex(1 << 20);
        let (server_read, server_write) = tokio::io::split(server_io);
        tokio::spawn(portos_lsp::shells::lsp::serve(server_read, server_write));
        let (read, write) = tokio::io::split(client_io);
        let writer: Writer = Arc::new(Mutex::new(write));
        let (tx, incoming) = mpsc::unbounded_channel();
        let answer = writer.clone();
        tokio::spawn(async move {
            let mut reader = BufReader::new(read);
            loop {
                let mut length = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(v) = line.strip_prefix("Content-Length:") {
                        length = v.trim().parse().unwrap();
                    }
                }
                let mut body = vec![0; length];
                if reader.read_exact(&mut body).await.is_err() {
                    return;
                }
                let message: Value = serde_json::from_slice(&body).unwrap();
                // Server → client requests get an answer at once.
                if let (Some(id), Some(method)) = (message.get("id"), message.get("method")) {
                    let result = match method.as_str() {
                        Some("workspace/configuration") => json!([null]),
                        // The first action: "Use PortOS's convention here".
                        Some("window/showMessageRequest") => {
                            message["params"]["actions"][0].clone()
                        }
                        _ => Value::Null,
                    };
                    send(
                        &answer,
                        &json!({"jsonrpc": "2.0", "id": id, "result": result}),
                    )
                    .await;
                }
                if tx.send(message).is_err() {
                    return;
                }
            }
        });
        let mut client = Client {
            writer,
            incoming,
            seen: Vec::new(),
            next_id: 0,
        };
        let init = client
            .request(
                "initialize",
                json!({
                    "processId": null,
                    "rootUri": uri(folder),
                    "workspaceFolders": [{"uri": uri(folder), "name": "w"}],
                    "capabilities": capabilities,
                    "initializationOptions": options,
                }),
            )
            .await;
        assert!(init.get("result").is_some(), "{init}");
        client.notify("initialized", json!({})).await;
        client
    }

    async fn notify(&mut self, method: &str, params: Value) {
        send(
            &self.writer,
            &json!({"jsonrpc": "2.0", "method": method, "params": params}),
        )
        .await;
    }

    async fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        send(
            &self.writer,
            &json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}),
        )
        .await;
        self.wait_for(|m| m.get("id") == Some(&json!(id)) && m.get("method").is_none())
            .await
    }

    /// Waits for a message matching `pred` (already seen ones count), up to 10 s.
    async fn wait_for(&mut self, pred: impl Fn(&Value) -> bool) -> Value {
        if let Some(found) = self.seen.iter().find(|m| pred(m)) {
            return found.clone();
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            match tokio::time::timeout_at(deadline, self.incoming.recv()).await {
                Ok(Some(message)) => {
                    self.seen.push(message.clone());
                    if pred(&message) {
                        return message;
                    }
                }
                _ => panic!("no matching message; seen: {:#?}", self.seen),
            }
        }
    }

    /// The hover's Markdown at `position` of the open document `path` (empty when there is none).
    async fn hover_text(&mut self, path: &Path, position: &Value) -> String {
        let answer = self
            .request(
                "textDocument/hover",
                json!({"textDocument": {"uri": uri(path)}, "position": position}),
            )
            .await;
        answer["result"]["contents"]["value"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Waits for a message matching `pred` that arrives from now on (those already seen do not count).
    async fn wait_for_next(&mut self, pred: impl Fn(&Value) -> bool) -> Value {
        let from = self.seen.len();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            match tokio::time::timeout_at(deadline, self.incoming.recv()).await {
                Ok(Some(message)) => {
                    self.seen.push(message.clone());
                    if pred(&message) {
                        return message;
                    }
                }
                _ => panic!("no new matching message; seen: {:#?}", &self.seen[from..]),
            }
        }
    }

    /// The newest diagnostics published for `uri` with `version`.
    async fn diagnostics(&mut self, uri: &str, version: i64) -> Vec<Value> {
        let uri = uri.to_string();
        let message = self
            .wait_for(|m| {
                m["method"] == "textDocument/publishDiagnostics"
                    && m["params"]["uri"] == uri.as_str()
                    && m["params"]["version"] == version
            })
            .await;
        message["params"]["diagnostics"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    async fn open(&mut self, path: &Path, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri(path), "languageId": "javascript", "version": 1, "text": text}}),
        )
        .await;
    }
}

/// Splits a fixture at its `$0` marker: the text and the marker's LSP position (UTF-16).
fn cursor(fixture: &str) -> (String, Value) {
    let at = fixture.find("$0").expect("fixture has a $0 marker");
    let text = fixture.replacen("$0", "", 1);
    let before = &fixture[..at];
    let line = before.matches('\n').count();
    let col: usize = before
        .rsplit('\n')
        .next()
        .unwrap()
        .chars()
        .map(char::len_utf16)
        .sum();
    (text, json!({"line": line, "character": col}))
}

fn markdown_caps() -> Value {
    json!({"textDocument": {"hover": {"contentFormat": ["markdown", "plaintext"]}}})
}

async fn hover_at(fixture: &str) -> Option<String> {
    hover_in("app/ecosystem.config.cjs", fixture).await
}

/// The hover at the marker of `fixture` saved as `name`.
async fn hover_in(name: &str, fixture: &str) -> Option<String> {
    let dir = TempDir::new();
    let (text, position) = cursor(fixture);
    let path = dir.write(name, &text);
    let mut client = Client::start(&dir.0, markdown_caps(), Value::Null).await;
    client.open(&path, &text).await;
    let answer = client
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri(&path)}, "position": position}),
        )
        .await;
    answer["result"]["contents"]["value"]
        .as_str()
        .map(str::to_string)
}

async fn check_hover(fixture: &str, expect: &[&str]) {
    let text = hover_at(fixture)
        .await
        .unwrap_or_else(|| panic!("no hover at the marker of:\n{fixture}"));
    for wanted in expect {
        assert!(text.contains(wanted), "hover lacks {wanted:?}:\n{text}");
    }
}

async fn completion_labels(fixture: &str) -> Vec<(String, String, String)> {
    completion_in("app/ecosystem.config.cjs", fixture).await
}

/// The completion items (label, sort text, detail) at the marker of `fixture` saved as `name`.
async fn completion_in(name: &str, fixture: &str) -> Vec<(String, String, String)> {
    completion_items(name, fixture)
        .await
        .iter()
        .map(|i| {
            (
                i["label"].as_str().unwrap_or("").to_string(),
                i["sortText"].as_str().unwrap_or("").to_string(),
                i["detail"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// The completion items at `$0` in a file called `name`, as the server sends them.
async fn completion_items(name: &str, fixture: &str) -> Vec<Value> {
    let dir = TempDir::new();
    let (text, position) = cursor(fixture);
    let path = dir.write(name, &text);
    let mut client = Client::start(&dir.0, json!({}), Value::Null).await;
    client.open(&path, &text).await;
    let answer = client
        .request(
            "textDocument/completion",
            json!({"textDocument": {"uri": uri(&path)}, "position": position}),
        )
        .await;
    answer["result"]["items"]
        .as_array()
        .cloned()
        .or_else(|| answer["result"].as_array().cloned())
        .unwrap_or_default()
}

const V2: &str = "const PORTS = {\n  API: 5570,\n  UI: 5572,\n};\nmodule.exports = {\n  PORTS,\n  apps: [\n    { name: 'shop-api', script: 'a.js', env: { PORT: PORTS.API } },\n    { name: 'shop-ui', script: 'vite', env: { VITE_PORT: PORTS.UI } },\n  ],\n};\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hover_on_a_literal_names_number_label_process_and_range() {
    check_hover(
        "module.exports = { apps: [{ name: 'api', script: 'a.js', env: { PORT: 55$070 } }] };\n",
        &[
            "5570",
            "`api`",
            "Process: `api`",
            "user range 5570–5599",
            "PortOS shows",
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hover_on_the_env_key_and_on_a_reference() {
    check_hover(
        "module.exports = { apps: [{ name: 'api', script: 'a.js', env: { P$0ORT: 5570 } }] };\n",
        &["5570", "`api`"],
    )
    .await;
    let fixture = V2.replace("PORT: PORTS.API", "PORT: PORTS.A$0PI");
    check_hover(&fixture, &["5570", "`api`", "shop-api"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hover_on_a_ports_table_entry_key_colon_or_value() {
    for marked in ["A$0PI: 5570", "API$0: 5570", "API: 55$070"] {
        let fixture = V2.replace("API: 5570", marked);
        check_hover(&fixture, &["5570", "`api`", "shop-api"]).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hover_on_a_well_known_port_names_its_owner_and_other_users() {
    check_hover(
        "module.exports = { apps: [\n  { name: 'a', script: 'a.js', env: { PORT: 30$000 } },\n  { name: 'b', script: 'b.js', env: { PORT: 3000 } },\n] };\n",
        &["3000", "Well-known", "Also used by", "ecosystem.config.cjs:3", "outside PortOS's ranges"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hover_on_a_suppressed_code_shows_the_rule_docs() {
    check_hover(
        "module.exports = { apps: [\n  // portos-lsp-ignore: common-p$0ort\n  { name: 'a', script: 'a.js', env: { PORT: 3000 } },\n] };\n",
        &["common-port", "## What it flags"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hover_after_emoji_and_cjk_and_on_crlf_lines() {
    check_hover(
        "// 端口 😀 ports\r\nmodule.exports = { apps: [{ name: 'ü😀', script: 'a.js', env: { PORT: 557$01 } }] };\r\n",
        &["5571", "`api`"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_hover_away_from_ports_and_keys() {
    assert_eq!(
        hover_at("module.exports = { apps: [{ name: 'a$0pi', env: { PORT: 5570 } }] };\n").await,
        None
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completion_offers_the_gap_first_then_free_ports_in_order() {
    let fixture = "module.exports = { apps: [\n  { name: 'a', script: 'a.js', env: { PORT: 5570 } },\n  { name: 'b', script: 'b.js', env: { PORT: 5572 } },\n  { name: 'c', script: 'c.js', env: { PORT: $0 } },\n] };\n";
    let items = completion_labels(fixture).await;
    assert!(items.len() >= 3, "{items:?}");
    assert_eq!(items[0].0, "5571", "{items:?}");
    assert!(items[0].2.contains("gap"), "{items:?}");
    assert_eq!(items[1].0, "5573", "{items:?}");
    let sorts: Vec<&String> = items.iter().map(|i| &i.1).collect();
    let mut sorted = sorts.clone();
    sorted.sort();
    assert_eq!(sorts, sorted);
    assert!(items.iter().all(|i| i.0.parse::<u16>().is_ok()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completion_in_a_ports_table_a_ports_map_and_after_port_flag() {
    let table = V2.replace("UI: 5572,", "UI: 5572,\n  CDP: 55$0,");
    let items = completion_labels(&table).await;
    assert_eq!(
        items.first().map(|i| i.0.as_str()),
        Some("5571"),
        "{items:?}"
    );
    let map = "module.exports = { apps: [{ name: 'x', script: 'a.js', ports: { api: 5570, ui: $0 } }] };\n";
    let items = completion_labels(map).await;
    assert_eq!(
        items.first().map(|i| i.0.as_str()),
        Some("5571"),
        "{items:?}"
    );
    let args = "module.exports = { apps: [{ name: 'x', script: 'vite', args: '--port $0', env: { PORT: 5570 } }] };\n";
    let items = completion_labels(args).await;
    assert_eq!(
        items.first().map(|i| i.0.as_str()),
        Some("5571"),
        "{items:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_completion_outside_port_values() {
    let items = completion_labels(
        "module.exports = { apps: [{ name: '$0', script: 'a.js', env: { PORT: 5570 } }] };\n",
    )
    .await;
    assert!(items.is_empty(), "{items:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clash_typed_shows_at_once_and_clears() {
    let dir = TempDir::new();
    let text = "module.exports = { apps: [\n  { name: 'a', script: 'a.js', env: { PORT: 5570 } },\n  { name: 'b', script: 'b.js', env: { PORT: 5571 } },\n] };\n";
    let path = dir.write("app/ecosystem.config.cjs", text);
    let mut client = Client::start(&dir.0, json!({}), Value::Null).await;
    client.open(&path, text).await;
    let before = client.diagnostics(&uri(&path), 1).await;
    assert!(!before.iter().any(|d| d["code"] == "duplicate-port"));
    // Line 2: `  { name: 'b', script: 'b.js', env: { PORT: 5571 } },` — the port's last digit is at column 48.
    let line = text.lines().nth(2).unwrap();
    let col = line.find("5571").unwrap() + 3;
    client
        .notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri(&path), "version": 2}, "contentChanges": [
                {"range": {"start": {"line": 2, "character": col}, "end": {"line": 2, "character": col + 1}}, "text": "0"}
            ]}),
        )
        .await;
    let after = client.diagnostics(&uri(&path), 2).await;
    let duplicate = after
        .iter()
        .find(|d| d["code"] == "duplicate-port")
        .unwrap_or_else(|| panic!("{after:#?}"));
    assert_eq!(duplicate["source"], "portos-lsp");
    assert!(
        duplicate["codeDescription"]["href"]
            .as_str()
            .unwrap()
            .ends_with("docs/rules/duplicate-port.md")
    );
    client
        .notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri(&path), "version": 3}, "contentChanges": [
                {"range": {"start": {"line": 2, "character": col}, "end": {"line": 2, "character": col + 1}}, "text": "1"}
            ]}),
        )
        .await;
    let cleared = client.diagnostics(&uri(&path), 3).await;
    assert!(!cleared.iter().any(|d| d["code"] == "duplicate-port"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_edits_then_a_request_sees_them_all_and_the_last_publish_is_newest() {
    let dir = TempDir::new();
    let text = "module.exports = { apps: [{ name: 'a', script: 'a.js', env: { PORT: 5570 } }] };\n";
    let path = dir.write("app/ecosystem.config.cjs", text);
    let mut client = Client::start(&dir.0, markdown_caps(), Value::Null).await;
    client.open(&path, text).await;
    let col = text.find("5570").unwrap() + 3;
    for version in 2..=61 {
        let digit = if version % 2 == 0 { "1" } else { "0" };
        client
            .notify(
                "textDocument/didChange",
                json!({"textDocument": {"uri": uri(&path), "version": version}, "contentChanges": [
                    {"range": {"start": {"line": 0, "character": col}, "end": {"line": 0, "character": col + 1}}, "text": digit}
                ]}),
            )
            .await;
    }
    // Version 61 is odd: the port is back to 5570. A hover sent right away sees it.
    let answer = client
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri(&path)}, "position": {"line": 0, "character": col}}),
        )
        .await;
    let value = answer["result"]["contents"]["value"].as_str().unwrap();
    assert!(value.contains("**5570**"), "{value}");
    client.diagnostics(&uri(&path), 61).await;
    // Publishes come in version order: never an older version after a newer one.
    tokio::time::sleep(Duration::from_millis(200)).await;
    while let Ok(m) = client.incoming.try_recv() {
        client.seen.push(m);
    }
    let versions: Vec<i64> = client
        .seen
        .iter()
        .filter(|m| m["method"] == "textDocument/publishDiagnostics")
        .filter_map(|m| m["params"]["version"].as_i64())
        .collect();
    assert!(versions.windows(2).all(|w| w[0] <= w[1]), "{versions:?}");
    assert_eq!(versions.last(), Some(&61));
}

/// The code actions at the marker, with the edit of the first (preferred) one applied to the text.
async fn actions_at(fixture: &str, only: Option<&str>) -> (Vec<Value>, String) {
    actions_in("app/ecosystem.config.cjs", fixture, only).await
}

/// [`actions_at`] for `fixture` saved as `name`.
async fn actions_in(name: &str, fixture: &str, only: Option<&str>) -> (Vec<Value>, String) {
    let dir = TempDir::new();
    let (text, position) = cursor(fixture);
    let path = dir.write(name, &text);
    let mut client = Client::start(&dir.0, json!({}), Value::Null).await;
    client.open(&path, &text).await;
    let mut context = json!({"diagnostics": []});
    if let Some(kind) = only {
        context["only"] = json!([kind]);
    }
    let answer = client
        .request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri(&path)}, "range": {"start": position, "end": position}, "context": context}),
        )
        .await;
    let actions = answer["result"].as_array().cloned().unwrap_or_default();
    let applied = actions
        .first()
        .map(|a| apply_text_edits(&text, a["edit"]["changes"][uri(&path)].as_array().unwrap()))
        .unwrap_or_else(|| text.clone());
    (actions, applied)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_duplicate_is_fixed_by_editing_the_ports_entry() {
    let fixture = "const PORTS = {\n  API: 5570,\n  WORKER: 5570,\n};\nmodule.exports = {\n  apps: [\n    { name: 'api', script: 'a.js', env: { PORT: PORTS.API } },\n    { name: 'worker', script: 'w.js', env: { PORT: PORTS.WOR$0KER } },\n  ],\n};\n";
    let (actions, applied) = actions_at(fixture, None).await;
    let first = &actions[0];
    assert_eq!(first["kind"], "quickfix");
    assert_eq!(first["isPreferred"], true);
    assert!(
        first["title"]
            .as_str()
            .unwrap()
            .starts_with("Use free port 5571"),
        "{first:#}"
    );
    assert!(applied.contains("WORKER: 5571,"), "{applied}");
    insta::assert_snapshot!("quick_fix_duplicate_through_ports", applied);
    assert!(
        applied.contains("PORTS.WORKER }"),
        "the reference is left alone: {applied}"
    );
    let titles: Vec<&str> = actions.iter().filter_map(|a| a["title"].as_str()).collect();
    assert!(
        titles.contains(&"Ignore duplicate-port on this line"),
        "{titles:?}"
    );
    assert!(
        titles.contains(&"Ignore duplicate-port in this file"),
        "{titles:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ignore_actions_write_the_suppression_comments() {
    let fixture = "module.exports = { apps: [\n  { name: 'a', script: 'a.js', env: { PORT: 30$000 } },\n] };\n";
    let (actions, _) = actions_at(fixture, None).await;
    let (text, _) = cursor(fixture);
    let line = actions
        .iter()
        .find(|a| a["title"] == "Ignore common-port on this line")
        .unwrap();
    let file = actions
        .iter()
        .find(|a| a["title"] == "Ignore common-port in this file")
        .unwrap();
    let key = actions[0]["edit"]["changes"]
        .as_object()
        .unwrap()
        .keys()
        .next()
        .unwrap()
        .clone();
    let on_line = apply_text_edits(&text, line["edit"]["changes"][&key].as_array().unwrap());
    assert!(
        on_line.contains("\n  // portos-lsp-ignore: common-port\n  { name: 'a'"),
        "{on_line}"
    );
    let in_file = apply_text_edits(&text, file["edit"]["changes"][&key].as_array().unwrap());
    assert!(
        in_file.starts_with("// portos-lsp-ignore-file: common-port\n"),
        "{in_file}"
    );
    insta::assert_snapshot!("ignore_on_this_line", on_line);
    insta::assert_snapshot!("ignore_in_this_file", in_file);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quick_fix_moves_a_mirrored_port_with_its_env_key() {
    // The gap fix moves `ui: 5572` into 5571: the env key stating the same port moves with it, or PortOS would
    // show one port while the process binds another.
    let fixture = "module.exports = { apps: [\n  { name: 'a-api', script: 'a.js', ports: { api: 5570 }, env: { PORT: 5570 } },\n  { name: 'a-web', script: 'w.js', ports: { ui: 55$072 }, env: { PORT: 5572 } },\n] };\n";
    let (actions, applied) = actions_at(fixture, Some("quickfix")).await;
    assert!(
        actions[0]["title"]
            .as_str()
            .unwrap()
            .starts_with("Use port 5571"),
        "{actions:#?}"
    );
    assert!(
        applied.contains("ports: { ui: 5571 }, env: { PORT: 5571 }"),
        "{applied}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quick_fix_that_would_add_a_finding_is_not_offered() {
    // Making `HEALTH_PORT` match the map (5581) would leave 5582 a hole in the app's block: a new port-gap
    // warning. Only the suppressions are offered.
    let fixture = "module.exports = { apps: [\n  { name: 'b-api', script: 'a.js', ports: { api: 5580, health: 5581 }, env: { PORT: 5580, HEALTH_PORT: 55$082 } },\n  { name: 'b-web', script: 'w.js', ports: { ui: 5583 }, env: { PORT: 5583 } },\n] };\n";
    let (actions, _) = actions_at(fixture, Some("quickfix")).await;
    let titles: Vec<&str> = actions.iter().filter_map(|a| a["title"].as_str()).collect();
    assert!(
        titles.iter().all(|t| t.starts_with("Ignore ")),
        "{titles:?}"
    );
    assert!(
        titles.contains(&"Ignore ports-mismatch on this line"),
        "{titles:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fix_all_applies_every_safe_fix_without_taking_one_port_twice() {
    let fixture = "$0module.exports = { apps: [\n  { name: 'a', script: 'a.js', env: { PORT: 5570 } },\n  { name: 'b', script: 'b.js', env: { PORT: 5570 } },\n  { name: 'c', script: 'c.js', env: { PORT: 5570 } },\n] };\n";
    let (actions, applied) = actions_at(fixture, Some("source.fixAll.portos")).await;
    assert_eq!(actions.len(), 1, "{actions:#?}");
    assert_eq!(actions[0]["kind"], "source.fixAll.portos");
    assert!(applied.contains("PORT: 5570 }"), "{applied}");
    assert!(applied.contains("PORT: 5571 }"), "{applied}");
    assert!(applied.contains("PORT: 5572 }"), "{applied}");
    insta::assert_snapshot!("fix_all_three_on_one_port", applied);
}

/// Opens `files` (relative path → text; the first is the one asked about) in one workspace and sends
/// `method` at the first file's `$0`.
async fn ask(files: &[(&str, &str)], method: &str, extra: Value) -> (Value, TempDir) {
    let dir = TempDir::new();
    let (text, position) = cursor(files[0].1);
    let path = dir.write(files[0].0, &text);
    for (relative, other) in &files[1..] {
        dir.write(relative, other);
    }
    let mut client = Client::start(&dir.0, markdown_caps(), Value::Null).await;
    // Let the workspace index settle (it is read at start-up).
    client
        .wait_for(|m| {
            m["method"] == "window/logMessage"
                && m["params"]["message"]
                    .as_str()
                    .is_some_and(|s| s.starts_with("indexed "))
        })
        .await;
    client.open(&path, &text).await;
    let mut params = json!({"textDocument": {"uri": uri(&path)}, "position": position});
    if let (Value::Object(p), Value::Object(e)) = (&mut params, extra) {
        p.extend(e);
    }
    let answer = client.request(method, params).await;
    (answer, dir)
}

const PORTS_FILE: &str = "const PORTS = { API: 5570, UI: 5571 };\nmodule.exports = { PORTS };\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn definition_of_a_ports_reference_in_the_file_and_across_require() {
    let (answer, _dir) = ask(
        &[(
            "app/ecosystem.config.cjs",
            &V2.replace("PORTS.API }", "PORTS.A$0PI }"),
        )],
        "textDocument/definition",
        json!({}),
    )
    .await;
    let range = &answer["result"]["range"];
    assert_eq!(
        range["start"],
        json!({"line": 1, "character": 2}),
        "{answer:#}"
    );
    let app = "const { PORTS } = require('../ports.cjs');\nmodule.exports = { apps: [{ name: 'a', script: 'a.js', env: { PORT: PORTS.U$0I } }] };\n";
    let (answer, _dir) = ask(
        &[("app/ecosystem.config.cjs", app), ("ports.cjs", PORTS_FILE)],
        "textDocument/definition",
        json!({}),
    )
    .await;
    assert!(
        answer["result"]["uri"]
            .as_str()
            .unwrap()
            .ends_with("/ports.cjs"),
        "{answer:#}"
    );
    assert_eq!(
        answer["result"]["range"]["start"],
        json!({"line": 0, "character": 27})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn references_and_rename_of_a_ports_key_across_files() {
    let a = "const { PORTS } = require('../ports.cjs');\nmodule.exports = { apps: [{ name: 'a', script: 'a.js', env: { PORT: PORTS.A$0PI } }] };\n";
    let b = "const ports = require('../ports.cjs');\nmodule.exports = { apps: [{ name: 'b', script: 'b.js', env: { API_UPSTREAM_PORT: ports.PORTS.API } }] };\n";
    let files = [
        ("a/ecosystem.config.cjs", a),
        ("b/ecosystem.config.cjs", b),
        ("ports.cjs", PORTS_FILE),
    ];
    let (answer, _dir) = ask(
        &files,
        "textDocument/references",
        json!({"context": {"includeDeclaration": true}}),
    )
    .await;
    let uris: Vec<&str> = answer["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["uri"].as_str().unwrap())
        .collect();
    assert_eq!(uris.len(), 3, "{answer:#}");
    assert!(
        uris[0].ends_with("/ports.cjs"),
        "the definition first: {uris:?}"
    );
    let (answer, _dir) = ask(&files, "textDocument/prepareRename", json!({})).await;
    assert_eq!(answer["result"]["placeholder"], "API", "{answer:#}");
    let (answer, _dir) = ask(&files, "textDocument/rename", json!({"newName": "GATEWAY"})).await;
    let changes = answer["result"]["documentChanges"].as_array().unwrap();
    assert_eq!(changes.len(), 3, "{answer:#}");
    // PORTS is exported from ports.cjs: the edit asks for confirmation.
    let annotations = answer["result"]["changeAnnotations"].as_object().unwrap();
    assert!(annotations.values().all(|a| a["needsConfirmation"] == true));
    let (answer, _dir) = ask(
        &files,
        "textDocument/rename",
        json!({"newName": "not valid"}),
    )
    .await;
    assert!(answer.get("error").is_some(), "{answer:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rename_is_refused_where_a_use_is_computed() {
    let text = "const PORTS = { API: 5570 };\nconst k = 'API';\nmodule.exports = { apps: [\n  { name: 'a', script: 'a.js', env: { PORT: PORTS.A$0PI } },\n  { name: 'b', script: 'b.js', env: { X_PORT: PORTS[k] } },\n] };\n";
    let (answer, _dir) = ask(
        &[("app/ecosystem.config.cjs", text)],
        "textDocument/prepareRename",
        json!({}),
    )
    .await;
    let message = answer["error"]["message"].as_str().unwrap_or("");
    assert!(message.contains("computed key"), "{answer:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn highlight_inlay_hints_and_outline() {
    let fixture = V2.replace("PORT: PORTS.API", "PORT: PORTS.A$0PI");
    let (answer, _dir) = ask(
        &[("app/ecosystem.config.cjs", &fixture)],
        "textDocument/documentHighlight",
        json!({}),
    )
    .await;
    assert_eq!(
        answer["result"].as_array().unwrap().len(),
        2,
        "the key and its use: {answer:#}"
    );
    let (answer, _dir) = ask(
        &[("app/ecosystem.config.cjs", &fixture)],
        "textDocument/inlayHint",
        json!({"range": {"start": {"line": 0, "character": 0}, "end": {"line": 99, "character": 0}}}),
    )
    .await;
    let labels: Vec<&str> = answer["result"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|h| h["label"].as_str())
        .collect();
    assert!(
        labels.contains(&"= 5570") && labels.contains(&": api"),
        "{labels:?}"
    );
    assert!(
        labels.contains(&": devUi"),
        "ui is devUi beside an api: {labels:?}"
    );
    let (answer, _dir) = ask(
        &[("app/ecosystem.config.cjs", &fixture)],
        "textDocument/documentSymbol",
        json!({}),
    )
    .await;
    let names: Vec<&str> = answer["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["PORTS", "app"], "{answer:#}");
    let app = &answer["result"][1];
    assert_eq!(app["children"][0]["name"], "shop-api");
    assert_eq!(app["children"][0]["children"][0]["name"], "api:5570");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workspace_symbols_find_every_process() {
    let dir = TempDir::new();
    dir.write("shop/ecosystem.config.cjs", V2);
    let mut client = Client::start(&dir.0, json!({}), Value::Null).await;
    client
        .wait_for(|m| {
            m["params"]["message"]
                .as_str()
                .is_some_and(|s| s.starts_with("indexed "))
        })
        .await;
    let answer = client
        .request("workspace/symbol", json!({"query": "shopapi"}))
        .await;
    let names: Vec<&str> = answer["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["shop-api"], "{answer:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quick_fixes_of_the_other_rules() {
    // port-gap: the highest port moves into the gap.
    let gap = "module.exports = { apps: [\n  { name: 'a', script: 'a.js', env: { PORT: 5570 } },\n  { name: 'b', script: 'b.js', env: { PORT: 55$073 } },\n] };\n";
    let (actions, applied) = actions_at(gap, None).await;
    assert!(
        actions[0]["title"]
            .as_str()
            .unwrap()
            .starts_with("Use port 5571"),
        "{actions:#?}"
    );
    insta::assert_snapshot!("quick_fix_port_gap", applied);
    // undefined-port-constant: the suggested member.
    let typo = "const PORTS = { API: 5570 };\nmodule.exports = { PORTS, apps: [{ name: 'a', script: 'a.js', env: { PORT: PORTS.AP$0U } }] };\n";
    let (actions, applied) = actions_at(typo, None).await;
    assert_eq!(
        actions[0]["title"], "Replace with `PORTS.API`",
        "{actions:#?}"
    );
    insta::assert_snapshot!("quick_fix_undefined_constant", applied);
    // ports-mismatch: the env follows the map.
    let mismatch = "module.exports = { apps: [{ name: 'a', script: 'a.js', ports: { api: 5570 }, env: { PORT: 55$071 } }] };\n";
    let (actions, applied) = actions_at(mismatch, None).await;
    assert!(
        actions[0]["title"]
            .as_str()
            .unwrap()
            .starts_with("Use port 5570"),
        "{actions:#?}"
    );
    insta::assert_snapshot!("quick_fix_ports_mismatch", applied);
    // common-port on a literal in a string: the quotes stay.
    let quoted =
        "module.exports = { apps: [{ name: 'a', script: 'a.js', env: { PORT: '80$080' } }] };\n";
    let (actions, applied) = actions_at(quoted, None).await;
    assert!(
        actions[0]["title"]
            .as_str()
            .unwrap()
            .starts_with("Use free port 5570"),
        "{actions:#?}"
    );
    assert!(applied.contains("PORT: '5570'"), "{applied}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workspace_ports_with_params_absent_null_or_empty() {
    let dir = TempDir::new();
    dir.write("shop/ecosystem.config.cjs", V2);
    dir.write(
        "blog/ecosystem.config.cjs",
        "module.exports = { apps: [{ name: 'blog', script: 'b.js', env: { PORT: 5572 } }] };\n",
    );
    let mut client = Client::start(&dir.0, json!({}), Value::Null).await;
    client
        .wait_for(|m| {
            m["params"]["message"]
                .as_str()
                .is_some_and(|s| s.starts_with("indexed "))
        })
        .await;
    for params in [None, Some(Value::Null), Some(json!({}))] {
        client.next_id += 1;
        let id = client.next_id;
        let mut message = json!({"jsonrpc": "2.0", "id": id, "method": "portos/workspacePorts"});
        if let Some(p) = params {
            message["params"] = p;
        }
        send(&client.writer, &message).await;
        let answer = client
            .wait_for(|m| m.get("id") == Some(&json!(id)) && m.get("method").is_none())
            .await;
        let result = &answer["result"];
        assert_eq!(result["ranges"]["user"], json!([5570, 5599]), "{answer:#}");
        let apps: Vec<&str> = result["apps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["name"].as_str().unwrap())
            .collect();
        assert_eq!(apps.len(), 2, "{apps:?}");
        let conflict = &result["conflicts"][0];
        assert_eq!(conflict["port"], 5572, "{result:#}");
        assert!(
            conflict["uses"][0]["uri"]
                .as_str()
                .unwrap()
                .starts_with("file://")
        );
        assert!(conflict["uses"][0]["range"]["start"]["line"].is_number());
        assert!(
            result["free"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r[1] == 5599)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_v1_to_v2_migration_is_a_refactor_action() {
    let v1 = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/model/v1-ports-map.cjs"),
    )
    .unwrap();
    let fixture = format!("$0{v1}");
    let (actions, applied) = actions_at(&fixture, Some("refactor")).await;
    assert_eq!(actions.len(), 1, "{actions:#?}");
    assert_eq!(actions[0]["kind"], "refactor.rewrite");
    assert!(
        actions[0]["title"]
            .as_str()
            .unwrap()
            .starts_with("Move ports to a top-level PORTS table"),
        "{actions:#?}"
    );
    assert!(applied.contains("const PORTS = {"), "{applied}");
    assert!(!applied.contains("ports: {"), "{applied}");
    // Not offered on a file that already has a PORTS table.
    let (actions, _) = actions_at(&format!("$0{V2}"), Some("refactor")).await;
    assert!(actions.is_empty(), "{actions:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_pm2_project_gets_no_convention_findings_until_the_user_says_so() {
    let dir = TempDir::plain();
    let text = "module.exports = { apps: [\n  { name: 'web', script: 'w.js', env: { PORT: 3000 } },\n  { name: 'db-admin', script: 'd.js', env: { PORT: 5432 } },\n] };\n";
    let path = dir.write("app/ecosystem.config.cjs", text);
    let caps = json!({"window": {"showMessage": {"messageActionItem": {"additionalPropertiesSupport": false}}}});
    let mut client = Client::start(&dir.0, caps, Value::Null).await;
    client.open(&path, text).await;
    // The question comes once indexing has decided; answering it writes the project file.
    let question = client
        .wait_for(|m| m["method"] == "window/showMessageRequest")
        .await;
    assert!(
        question["params"]["message"]
            .as_str()
            .unwrap()
            .contains("convention"),
        "{question:#}"
    );
    let codes_of = |m: &Value| -> Vec<String> {
        m["params"]["diagnostics"]
            .as_array()
            .map(|d| {
                d.iter()
                    .map(|d| d["code"].as_str().unwrap_or("").to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    let path_uri = uri(&path);
    // Before the answer took effect: 5432 (a service) still gets common-port, 3000 (a dev default) does not.
    let plain = client
        .wait_for(|m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == path_uri.as_str()
                && {
                    let d = &m["params"]["diagnostics"];
                    d.as_array()
                        .is_some_and(|d| d.iter().any(|d| d["code"] == "common-port"))
                        && !d
                            .as_array()
                            .unwrap()
                            .iter()
                            .any(|d| d["code"] == "outside-user-range")
                }
        })
        .await;
    let plain_codes = codes_of(&plain);
    assert_eq!(
        plain_codes.iter().filter(|c| *c == "common-port").count(),
        1,
        "only the service port: {plain_codes:?}"
    );
    // After the answer: portos-lsp.toml says convention = "portos", and the convention rules are back.
    let toml = dir.0.join("portos-lsp.toml");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !toml.is_file() && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        std::fs::read_to_string(&toml)
            .unwrap()
            .contains("convention = \"portos\"")
    );
    let full = client
        .wait_for(|m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == path_uri.as_str()
                && m["params"]["diagnostics"]
                    .as_array()
                    .is_some_and(|d| d.iter().filter(|d| d["code"] == "common-port").count() == 2)
        })
        .await;
    assert!(
        codes_of(&full)
            .iter()
            .filter(|c| *c == "common-port")
            .count()
            == 2
    );
}

/// Replaces a document's whole text.
async fn replace_text(client: &mut Client, path: &Path, version: i64, text: &str) {
    client
        .notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri(path), "version": version}, "contentChanges": [{"text": text}]}),
        )
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_buffer_whose_parse_runs_over_its_budget_never_stalls_the_server() {
    let dir = TempDir::new();
    let clash = "module.exports = { apps: [\n  { name: 'a', script: 'a.js', env: { PORT: 5570, HEALTH_PORT: 5570 } },\n] };\n";
    let path = dir.write("app/ecosystem.config.cjs", clash);
    // A 25 ms budget, and a 2 MB buffer that takes longer than that to parse (as a buffer on which
    // tree-sitter's error recovery runs away would).
    let options = json!({"limits": {"parseMs": 25}});
    let mut client = Client::start(&dir.0, markdown_caps(), options).await;
    client.open(&path, clash).await;
    let first = client.diagnostics(&uri(&path), 1).await;
    assert!(
        first.iter().any(|d| d["code"] == "duplicate-port"),
        "{first:#?}"
    );

    let mut slow = clash.to_string();
    slow.push_str("const filler = [\n");
    while slow.len() < 2 * 1024 * 1024 {
        slow.push_str("  { a: 1, b: 'x', c: [2, 3], d: { e: `f${g}` } },\n");
    }
    slow.push_str("];\n");
    replace_text(&mut client, &path, 2, &slow).await;
    // A hover is answered within a second, from the last good analysis.
    let started = std::time::Instant::now();
    let hover = client
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri(&path)}, "position": {"line": 1, "character": 48}}),
        )
        .await;
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "hover took {:?}",
        started.elapsed()
    );
    assert!(hover.get("result").is_some(), "{hover}");
    // The version is published: the last good findings, with a note naming the budget and the setting.
    let stalled = client.diagnostics(&uri(&path), 2).await;
    let note = stalled
        .iter()
        .find(|d| d["code"] == "not-analysed")
        .unwrap_or_else(|| panic!("{stalled:#?}"));
    let message = note["message"].as_str().unwrap();
    assert!(
        message.contains("budget of 25 ms") && message.contains("parseMs"),
        "{message}"
    );
    assert!(
        stalled.iter().any(|d| d["code"] == "duplicate-port"),
        "{stalled:#?}"
    );

    // The fixed text is published at once.
    let fixed = "module.exports = { apps: [\n  { name: 'a', script: 'a.js', env: { PORT: 5570, HEALTH_PORT: 5571 } },\n] };\n";
    let started = std::time::Instant::now();
    replace_text(&mut client, &path, 3, fixed).await;
    let now = client.diagnostics(&uri(&path), 3).await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the fixed version took {:?}",
        started.elapsed()
    );
    assert!(
        !now.iter()
            .any(|d| d["code"] == "duplicate-port" || d["code"] == "not-analysed"),
        "{now:#?}"
    );
}

// --- PortOS as it is today (issue 19) ----------------------------------------------------------------------

use fake_portos::{FakePortos, Mode};

/// Whether a published diagnostics message for `uri` has a finding of `code`.
fn has_code(message: &Value, uri: &str, code: &str) -> bool {
    message["method"] == "textDocument/publishDiagnostics"
        && message["params"]["uri"] == uri
        && message["params"]["diagnostics"]
            .as_array()
            .is_some_and(|d| d.iter().any(|d| d["code"] == code))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registry_stale_appears_and_the_refresh_action_clears_it() {
    let dir = TempDir::new();
    let text = "module.exports = {\n  apps: [\n    { name: 'shop-api', script: 'server.js', env: { PORT: 5571 } },\n  ],\n};\n";
    let path = dir.write("shop/ecosystem.config.cjs", text);
    let shop = dir.0.join("shop").to_string_lossy().into_owned();
    let fake = FakePortos::start(
        Mode::Http,
        vec![fake_portos::app(
            "shop-1",
            "Shop",
            &shop,
            json!([{ "name": "shop-api", "port": 5570, "ports": { "api": 5570 } }]),
        )],
    );
    fake.on_refresh(
        "shop-1",
        json!([{ "name": "shop-api", "port": 5571, "ports": { "api": 5571 } }]),
    );
    let mut client = Client::start(
        &dir.0,
        json!({}),
        json!({ "registry": true, "apiUrl": fake.url() }),
    )
    .await;
    client.open(&path, text).await;
    let file = uri(&path);
    let stale = client
        .wait_for(|m| has_code(m, &file, "registry-stale"))
        .await;
    let diagnostic = stale["params"]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "registry-stale")
        .unwrap()
        .clone();
    assert_eq!(diagnostic["severity"], 3, "information: {diagnostic}");
    assert!(
        diagnostic["message"]
            .as_str()
            .unwrap()
            .contains("still shows `shop-api:5570`"),
        "{diagnostic}"
    );
    let actions = client
        .request(
            "textDocument/codeAction",
            json!({
                "textDocument": {"uri": file},
                "range": diagnostic["range"],
                "context": {"diagnostics": [diagnostic]},
            }),
        )
        .await;
    let refresh = actions["result"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"] == "Refresh this app in PortOS")
        .unwrap_or_else(|| panic!("{actions:#}"))
        .clone();
    assert!(refresh.get("edit").is_none_or(Value::is_null), "{refresh}");
    let command = &refresh["command"];
    assert_eq!(command["command"], "portos.refreshApp");
    let answer = client
        .request(
            "workspace/executeCommand",
            json!({"command": command["command"], "arguments": command["arguments"]}),
        )
        .await;
    assert_eq!(answer["result"]["refreshed"], "shop-1", "{answer}");
    assert!(
        fake.requests()
            .iter()
            .any(|(method, path, _)| method == "POST" && path == "/api/apps/shop-1/refresh-config")
    );
    // PortOS read the file again: the finding is gone from the next diagnostics.
    client
        .wait_for_next(|m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == file.as_str()
                && !has_code(m, &file, "registry-stale")
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn portos_down_is_one_line_in_the_log_then_silence() {
    let dir = TempDir::new();
    let nothing = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://127.0.0.1:{}", nothing.local_addr().unwrap().port());
    drop(nothing);
    let text =
        "module.exports = { apps: [{ name: 'shop-api', script: 's.js', env: { PORT: 5570 } }] };\n";
    let path = dir.write("shop/ecosystem.config.cjs", text);
    let mut client = Client::start(
        &dir.0,
        json!({}),
        json!({ "registry": true, "apiUrl": url }),
    )
    .await;
    client.open(&path, text).await;
    let down = |m: &Value| {
        m["method"] == "window/logMessage"
            && m["params"]["message"]
                .as_str()
                .is_some_and(|t| t.contains("not reachable"))
    };
    client.wait_for(down).await;
    // Saving reads the registry again; PortOS is still down, and nothing more is said about it.
    for _ in 0..3 {
        client
            .notify(
                "textDocument/didSave",
                json!({"textDocument": {"uri": uri(&path)}}),
            )
            .await;
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let hover = client
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri(&path)}, "position": {"line": 0, "character": 70}}),
        )
        .await;
    assert!(
        hover.get("result").is_some(),
        "the server still answers: {hover}"
    );
    while let Ok(Some(message)) =
        tokio::time::timeout(Duration::from_millis(300), client.incoming.recv()).await
    {
        client.seen.push(message);
    }
    let said = client.seen.iter().filter(|m| down(m)).count();
    assert_eq!(said, 1, "{:#?}", client.seen);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hover_names_the_guide_preset_and_where_a_core_port_comes_from() {
    // The preset, from the editor's settings.
    let dir = TempDir::new();
    let (text, position) = cursor(
        "module.exports = { apps: [{ name: 'lab', script: 'a.js', env: { PORT: 55$068 } }] };\n",
    );
    let path = dir.write("lab/ecosystem.config.cjs", &text);
    let mut client = Client::start(
        &dir.0,
        markdown_caps(),
        json!({ "ranges": { "guide": "portos-2026-08" } }),
    )
    .await;
    client.open(&path, &text).await;
    let hover = client.hover_text(&path, &position).await;
    for wanted in [
        "guide preset portos-2026-08",
        "range reserved for extensions 5562–5569",
        "`portos-llama-server (api; optional)`, from the guide preset portos-2026-08",
    ] {
        assert!(hover.contains(wanted), "hover lacks {wanted:?}:\n{hover}");
    }
    let diagnostics = client.diagnostics(&uri(&path), 1).await;
    assert!(
        diagnostics.iter().any(|d| d["code"] == "port-conflict"
            && d["message"]
                .as_str()
                .unwrap()
                .contains("portos-llama-server")),
        "{diagnostics:#?}"
    );

    // PortOS's own file in the workspace: the entry it comes from.
    let dir = TempDir::new();
    let portos = "const PORTS = { API: 5555, LLAMA_SERVER: 5568 };\nmodule.exports = { PORTS, apps: [{ name: 'portos-server', script: 's.js', env: { PORT: PORTS.API } }] };\n";
    dir.write("portos/ecosystem.config.cjs", portos);
    let path = dir.write("lab/ecosystem.config.cjs", &text);
    let mut client = Client::start(&dir.0, markdown_caps(), Value::Null).await;
    client.open(&path, &text).await;
    let conflict = client
        .wait_for(|m| has_code(m, &uri(&path), "port-conflict"))
        .await;
    assert!(
        conflict
            .to_string()
            .contains("PORTS.LLAMA_SERVER (in its ecosystem.config.cjs, no PM2 process)"),
        "{conflict}"
    );
    let hover = client.hover_text(&path, &position).await;
    assert!(
        hover.contains("from PortOS's ecosystem.config.cjs, PORTS.LLAMA_SERVER"),
        "{hover}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_index_refuses_a_huge_file_before_reading_it() {
    let dir = TempDir::new();
    dir.write(
        "app/ecosystem.config.cjs",
        "module.exports = { apps: [{ name: 'a', env: { PORT: 5570 } }] };\n",
    );
    // Sparse: 3 GB on paper, nothing on the disk; read whole it would take seconds and gigabytes.
    std::fs::create_dir_all(dir.0.join("huge")).unwrap();
    let file = std::fs::File::create(dir.0.join("huge/ecosystem.config.cjs")).unwrap();
    file.set_len(3 << 30).unwrap();
    drop(file);
    let started = std::time::Instant::now();
    let mut client = Client::start(&dir.0, json!({}), Value::Null).await;
    let skipped = client
        .wait_for(|m| {
            m["method"] == "window/logMessage"
                && m["params"]["message"]
                    .as_str()
                    .is_some_and(|s| s.starts_with("skipped ") && s.contains("huge"))
        })
        .await;
    assert!(
        skipped["params"]["message"]
            .as_str()
            .unwrap()
            .contains("too large to analyse (3221225472 bytes"),
        "{skipped:#}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

// ---------------------------------------------------------------------------------------------------------
// PM2 as PM2 runs it (spec §11): JSON and YAML files, modes and instances, PM2's options in the editor

const YAML_APP: &str =
    "apps:\n  - name: queue\n    script: queue.py\n    instances: 1\n    env:\n      PORT: 4000\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn yaml_and_json_files_are_diagnosed_where_their_text_says() {
    let dir = TempDir::plain();
    let yaml = YAML_APP.replace("instances: 1", "instances: 2");
    let yaml_path = dir.write("queue/ecosystem.yml", &yaml);
    let json = "// PM2 reads this as JavaScript\n{\n  apps: [{ name: 'web', script: 'npm', instances: 2, env: { PORT: 4100 } }],\n}\n";
    let json_path = dir.write("web/ecosystem.json", json);
    let mut client = Client::start(&dir.0, json!({}), Value::Null).await;
    client
        .notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri(&yaml_path), "languageId": "yaml", "version": 1, "text": yaml}}),
        )
        .await;
    client
        .notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri(&json_path), "languageId": "json", "version": 1, "text": json}}),
        )
        .await;
    let on_yaml = client.diagnostics(&uri(&yaml_path), 1).await;
    let clash = on_yaml
        .iter()
        .find(|d| d["code"] == "instances-port-clash")
        .unwrap_or_else(|| panic!("{on_yaml:#?}"));
    assert_eq!(clash["range"]["start"], json!({"line": 5, "character": 12}));
    assert_eq!(clash["severity"], 1);
    let on_json = client.diagnostics(&uri(&json_path), 1).await;
    let clash = on_json
        .iter()
        .find(|d| d["code"] == "instances-port-clash")
        .unwrap_or_else(|| panic!("{on_json:#?}"));
    let col = json.lines().nth(2).unwrap().find("4100").unwrap();
    assert_eq!(
        clash["range"]["start"],
        json!({"line": 2, "character": col})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instances_clash_appears_and_clears_as_you_type() {
    let dir = TempDir::plain();
    let path = dir.write("queue/ecosystem.yaml", YAML_APP);
    let mut client = Client::start(&dir.0, json!({}), Value::Null).await;
    client.open(&path, YAML_APP).await;
    let before = client.diagnostics(&uri(&path), 1).await;
    assert!(
        !before.iter().any(|d| d["code"] == "instances-port-clash"),
        "{before:#?}"
    );
    let col = YAML_APP.lines().nth(3).unwrap().find('1').unwrap();
    let change = |version: i64, digit: &str| {
        json!({"textDocument": {"uri": uri(&path), "version": version}, "contentChanges": [
            {"range": {"start": {"line": 3, "character": col}, "end": {"line": 3, "character": col + 1}}, "text": digit}
        ]})
    };
    client
        .notify("textDocument/didChange", change(2, "2"))
        .await;
    let during = client.diagnostics(&uri(&path), 2).await;
    assert!(
        during.iter().any(|d| d["code"] == "instances-port-clash"),
        "{during:#?}"
    );
    client
        .notify("textDocument/didChange", change(3, "1"))
        .await;
    let after = client.diagnostics(&uri(&path), 3).await;
    assert!(
        !after.iter().any(|d| d["code"] == "instances-port-clash"),
        "{after:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completion_of_pm2_option_keys_an_app_lacks() {
    let labels = |items: Vec<(String, String, String)>| -> Vec<String> {
        items.into_iter().map(|i| i.0).collect()
    };
    let js = labels(
        completion_labels(
            "module.exports = { apps: [{\n  name: 'a',\n  script: 'a.js',\n  ins$0\n}] };\n",
        )
        .await,
    );
    assert!(js.contains(&"instances".to_string()), "{js:?}");
    assert!(js.contains(&"exec_mode".to_string()), "{js:?}");
    assert!(
        !js.contains(&"name".to_string()) && !js.contains(&"script".to_string()),
        "{js:?}"
    );
    let yaml = labels(
        completion_in(
            "q/ecosystem.yml",
            "apps:\n  - name: queue\n    interpreter: python3\n    exe$0\n    env:\n      PORT: 4000\n",
        )
        .await,
    );
    assert!(yaml.contains(&"exec_mode".to_string()), "{yaml:?}");
    assert!(
        !yaml.contains(&"exec_interpreter".to_string()),
        "an alias is there: {yaml:?}"
    );
    // Inside a nested object the keys are not the app's.
    let nested = labels(
        completion_labels(
            "module.exports = { apps: [{ name: 'a', env: { NODE_ENV: 'x', $0 } }] };\n",
        )
        .await,
    );
    assert!(!nested.contains(&"instances".to_string()), "{nested:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completion_of_enumerated_values_in_the_files_own_syntax() {
    let js =
        completion_labels("module.exports = { apps: [{ name: 'a', exec_mode: $0 }] };\n").await;
    let js: Vec<&str> = js.iter().map(|i| i.0.as_str()).collect();
    assert_eq!(js, ["'fork'", "'cluster'"]);
    let yaml = completion_in("q/pm2.yaml", "apps:\n  - name: a\n    exec_mode: $0\n").await;
    let yaml: Vec<&str> = yaml.iter().map(|i| i.0.as_str()).collect();
    assert_eq!(yaml, ["fork", "cluster"]);
    let json = completion_in(
        "q/process.json",
        "{ \"apps\": [{ \"name\": \"a\", \"autorestart\": $0 }] }\n",
    )
    .await;
    let json: Vec<&str> = json.iter().map(|i| i.0.as_str()).collect();
    assert_eq!(json, ["true", "false"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hover_on_pm2_keys_says_what_they_do_to_ports() {
    check_hover(
        "module.exports = { apps: [{ name: 'a', script: 'a.js', insta$0nces: 'max', env: { PORT: 5570 } }] };\n",
        &["instances", "one per CPU", "4 instances", "`[pm2] cpus = 4`", "cluster mode"],
    )
    .await;
    check_hover(
        "module.exports = { apps: [{ name: 'a', script: 'npm', instances: 2, exec_m$0ode: 'cluster' }] };\n",
        &["exec_mode", "`npm` starts the server in a child process"],
    )
    .await;
    check_hover(
        "module.exports = { apps: [{ name: 'a', script: 'a.js', instanc$0e: 2 }] };\n",
        &["not a PM2 option", "`instances`"],
    )
    .await;
    let yaml = hover_in(
        "q/ecosystem.yml",
        "apps:\n  - name: a\n    script: serve\n    p$0ort: 4500\n",
    )
    .await
    .unwrap();
    assert!(yaml.contains("`PORT`") && yaml.contains("Ports:"), "{yaml}");
    // The file's own top-level keys beside the apps.
    let top = hover_in(
        "q/ecosystem.yaml",
        "apps:\n  - name: a\n    script: a.js\nsta$0tic:\n  - port: 8081\n",
    )
    .await
    .unwrap();
    assert!(
        top.contains("**`static`**")
            && top.contains("static-page-server-PORT")
            && top.contains("Ports:"),
        "{top}"
    );
    check_hover(
        "module.exports = { apps: [{ name: 'a', script: 'a.js' }], dep$0loy: { production: {} } };\n",
        &["**`deploy`**", "lowest layer"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quick_fixes_of_pm2_rules_are_written_in_yaml() {
    let fixture = "apps:\n  - name: queue\n    script: queue.py\n    instances: 2\n    env:\n      PORT: 55$075\n";
    let (actions, applied) = actions_in("q/ecosystem.yml", fixture, None).await;
    let titles: Vec<&str> = actions.iter().filter_map(|a| a["title"].as_str()).collect();
    assert!(
        titles.iter().any(|t| t.starts_with("Set `instances: 1`")),
        "{titles:?}"
    );
    assert!(
        titles.contains(&"Ignore instances-port-clash on this line"),
        "{titles:?}"
    );
    let (text, _) = cursor(fixture);
    assert_eq!(
        applied,
        text.replace("instances: 2\n", "instances: 2\n    increment_var: PORT\n"),
        "{titles:?}"
    );
    let ignore = actions
        .iter()
        .find(|a| a["title"] == "Ignore instances-port-clash on this line")
        .unwrap();
    let path_key = ignore["edit"]["changes"]
        .as_object()
        .unwrap()
        .keys()
        .next()
        .unwrap()
        .clone();
    let ignored = apply_text_edits(
        &text,
        ignore["edit"]["changes"][&path_key].as_array().unwrap(),
    );
    assert!(
        ignored.contains("      # portos-lsp-ignore: instances-port-clash\n      PORT: 5575"),
        "{ignored}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_completed_in_a_json_file_is_quoted_as_its_neighbours_are() {
    for (name, fixture, wanted) in [
        (
            "w/ecosystem.json",
            "{\n  \"apps\": [{\n    \"name\": \"api\",\n    \"script\": \"a.js\",\n    ins$0\n  }]\n}\n",
            "\"instances\": ",
        ),
        (
            "w/ecosystem.json",
            "{\n  apps: [{\n    name: 'api',\n    script: 'a.js',\n    ins$0\n  }]\n}\n",
            "instances: ",
        ),
    ] {
        let items = completion_items(name, fixture).await;
        let instances = items
            .iter()
            .find(|i| i["label"] == "instances")
            .unwrap_or_else(|| panic!("{items:#?}"));
        let inserted = instances["textEdit"]["newText"]
            .as_str()
            .or_else(|| instances["insertText"].as_str())
            .unwrap_or_else(|| panic!("{instances:#}"));
        assert_eq!(inserted, wanted, "{fixture}");
    }
}

/// The LSP position (UTF-16) of a byte offset.
fn position_of(text: &str, offset: usize) -> Value {
    let before = &text[..offset];
    let line = before.matches('\n').count();
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    let character: usize = before[start..].chars().map(char::len_utf16).sum();
    json!({"line": line, "character": character})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_every_edit_the_published_diagnostics_equal_a_fresh_servers() {
    // The publish reuses each unchanged diagnostic's conversion and the analysis reuses unchanged apps:
    // a random series of edits (digits, lines, a name, emoji, CRLF) must publish what a fresh server
    // publishes for the same text.
    let fixture = include_str!("../benches/fixtures/realistic-8kb.cjs");
    let dir = TempDir::new();
    let path = dir.write("app/ecosystem.config.cjs", fixture);
    let mut client = Client::start(&dir.0, markdown_caps(), Value::Null).await;
    client.open(&path, fixture).await;
    client.diagnostics(&uri(&path), 1).await;
    let mut text = fixture.to_string();
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = |bound: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % bound as u64) as usize
    };
    for version in 2..=25 {
        let digits: Vec<usize> = text
            .char_indices()
            .filter(|(_, c)| c.is_ascii_digit())
            .map(|(i, _)| i)
            .collect();
        let lines: Vec<usize> = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .filter(|&i| i < text.len())
            .collect();
        let (start, end, insert) = match version % 6 {
            0 | 1 => {
                let at = digits[next(digits.len())];
                let digit = if &text[at..=at] == "1" { "2" } else { "1" };
                (at, at + 1, digit.to_string())
            }
            2 => {
                let at = lines[next(lines.len())];
                (at, at, "\n".to_string())
            }
            3 => {
                let at = text.find("name: '").map(|i| i + 7).unwrap_or(0);
                (at, at, "🚀x".to_string())
            }
            4 => {
                let at = lines[next(lines.len())];
                let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
                (end, end, "\r".to_string())
            }
            _ => {
                let at = digits[next(digits.len())];
                (at, at + 1, String::new())
            }
        };
        let range = json!({"start": position_of(&text, start), "end": position_of(&text, end)});
        client
            .notify(
                "textDocument/didChange",
                json!({"textDocument": {"uri": uri(&path), "version": version},
                       "contentChanges": [{"range": range, "text": insert}]}),
            )
            .await;
        text.replace_range(start..end, &insert);
        let edited = client.diagnostics(&uri(&path), version).await;
        let mut fresh_client = Client::start(&dir.0, markdown_caps(), Value::Null).await;
        fresh_client.open(&path, &text).await;
        let fresh = fresh_client.diagnostics(&uri(&path), 1).await;
        assert_eq!(
            edited, fresh,
            "after edit {version} ({start}..{end} := {insert:?}) the text is:\n{text}"
        );
    }
}
