//! The `LanguageServer` implementation: thin handlers that turn LSP messages into calls on the analysis
//! host, plus the three pieces of plumbing that keep it live and never stale — one analysis worker per open
//! document (no debounce: edits that arrive while it runs are coalesced into its next round), one publisher
//! that sends diagnostics in order and only for the version they were computed from, and the workspace
//! indexer.

use super::state::{ClientCaps, DocAnalysis, DocKind, OpenDoc, Snapshot, State, lock};
use super::{from_proto, log_stderr, panic_message, to_proto};
use crate::config::{self, CONFIG_FILE_NAMES, ConfigSource};
use crate::ide::{self, Document, completion, hover};
use crate::syntax::Encoding;
use crate::workspace;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, ClientSocket, LanguageServer, LspService};

/// The kind of the "fix everything safe" action: `source.fixAll` narrowed to us, as ruff's server does.
const FIX_ALL_KIND: &str = "source.fixAll.portos";

/// The server: the client handle and the shared state.
pub struct Server {
    shared: Arc<Shared>,
}

/// What every handler and background task shares.
struct Shared {
    client: Client,
    state: Mutex<State>,
    publish: mpsc::UnboundedSender<PathBuf>,
    shut_down: Arc<AtomicBool>,
    /// `initializationOptions`, kept to layer `workspace/configuration` answers over.
    init_options: Mutex<serde_json::Value>,
}

/// Builds the service and its client socket. `shut_down` is set when `shutdown` is answered, so the framing
/// loop knows which exit code `exit` means.
pub fn build(shut_down: Arc<AtomicBool>) -> (LspService<Server>, ClientSocket) {
    LspService::build(move |client| {
        let (publish, receiver) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            client,
            state: Mutex::new(State::new()),
            publish,
            shut_down,
            init_options: Mutex::new(serde_json::Value::Null),
        });
        tokio::spawn(publisher(shared.clone(), receiver));
        Server { shared }
    })
    .custom_method("portos/workspacePorts", Server::workspace_ports)
    .finish()
}

/// Runs `work` and turns a panic into `None`, logged: a bug in one analysis must not take the server down.
fn guarded<T>(what: &str, work: impl FnOnce() -> T) -> Option<T> {
    match std::panic::catch_unwind(AssertUnwindSafe(work)) {
        Ok(value) => Some(value),
        Err(panic) => {
            log_stderr(&format!("{what} panicked: {}", panic_message(&panic)));
            None
        }
    }
}

impl Shared {
    fn log(&self, kind: MessageType, message: String) {
        // Informational lines go to the client's log only: editors such as Neovim show every stderr line
        // as an error.
        if kind != MessageType::INFO && kind != MessageType::LOG {
            log_stderr(&message);
        }
        let client = self.client.clone();
        tokio::spawn(async move { client.log_message(kind, message).await });
    }

    /// Shows a message to the user when the client can, and logs it either way.
    fn show(&self, kind: MessageType, message: String) {
        let can_show = lock(&self.state).caps.show_message;
        self.log(kind, message.clone());
        if can_show {
            let client = self.client.clone();
            tokio::spawn(async move { client.show_message(kind, message).await });
        }
    }

    fn enqueue(&self, paths: impl IntoIterator<Item = PathBuf>) {
        for path in paths {
            let _ = self.publish.send(path);
        }
    }
}

/// Schedules the analysis of an open document. A running analysis is not interrupted: the document is marked
/// dirty and analysed again as soon as that one ends, so a burst of edits costs at most two analyses.
fn schedule(shared: &Arc<Shared>, path: PathBuf) {
    {
        let mut state = lock(&shared.state);
        if state.running.contains(&path) {
            state.dirty.insert(path);
            return;
        }
        state.running.insert(path.clone());
    }
    tokio::spawn(analyse_loop(shared.clone(), path));
}

async fn analyse_loop(shared: Arc<Shared>, path: PathBuf) {
    loop {
        let snapshot = {
            let mut state = lock(&shared.state);
            match snapshot(&shared, &mut state, &path) {
                Some(snapshot) => snapshot,
                None => {
                    state.running.remove(&path);
                    state.dirty.remove(&path);
                    drop(state);
                    shared.enqueue([path]);
                    return;
                }
            }
        };
        let computed =
            tokio::task::spawn_blocking(move || guarded("analysis", move || snapshot.compute()))
                .await
                .ok()
                .flatten();
        let (affected, again, undecided) = {
            let mut state = lock(&shared.state);
            let (stored, affected) = match computed {
                Some((analysed, tree)) => store(&mut state, &path, analysed, tree),
                None => (None, Vec::new()),
            };
            // A file whose workspace indexing never saw (opened while it ran, or outside every folder) still
            // gets its workspace decided, once indexing is over.
            let undecided =
                state.indexed && stored.is_some_and(|a| state.index.convention(&a.root).is_none());
            let again = state.dirty.remove(&path);
            if !again {
                state.running.remove(&path);
            }
            (affected, again, undecided)
        };
        shared.enqueue(affected);
        refresh_watchers(&shared);
        if undecided {
            tokio::spawn(decide_conventions(shared.clone()));
        }
        if !again {
            return;
        }
    }
}

/// Takes what an analysis of `path` needs, under the lock. `None` when it is not an analysable open
/// ecosystem file.
fn snapshot(shared: &Shared, state: &mut State, path: &Path) -> Option<Snapshot> {
    let open = state.docs.get(path)?;
    if open.kind != DocKind::Ecosystem || open.not_analysed.is_some() {
        return None;
    }
    let input = open.doc.parse_input();
    let (config, error) = state.configs.for_file_lenient(path);
    if let Some(error) = error {
        report_config_error(shared, state, &error);
    }
    let root = state.root_of(path);
    Some(Snapshot {
        path: path.to_path_buf(),
        input,
        config,
        root,
        vfs: state.vfs(),
    })
}

/// A broken project file: a diagnostic on it when it is open (the publisher shows it), else a message
/// naming it, once per distinct error. The last good settings stay in force meanwhile.
fn report_config_error(shared: &Shared, state: &mut State, error: &config::ConfigError) {
    let text = error.to_string();
    if !state.shown_errors.insert(text.clone()) {
        return;
    }
    let open = error
        .path
        .as_ref()
        .is_some_and(|p| state.docs.contains_key(&crate::vfs::clean(p)));
    let message = format!("{text} (the last good settings stay in force until it is fixed)");
    log_stderr(&message);
    let client = shared.client.clone();
    let show = !open && state.caps.show_message;
    tokio::spawn(async move {
        client
            .log_message(MessageType::ERROR, message.clone())
            .await;
        if show {
            client.show_message(MessageType::ERROR, message).await;
        }
    });
}

/// Keeps an analysis when it is of the document's current version; returns it and the open documents whose
/// diagnostics may have changed (every open file of its workspace: cross-file findings).
fn store(
    state: &mut State,
    path: &Path,
    analysed: DocAnalysis,
    tree: crate::syntax::SyntaxTree,
) -> (Option<Arc<DocAnalysis>>, Vec<PathBuf>) {
    let Some(open) = state.docs.get_mut(path) else {
        return (None, Vec::new());
    };
    if open.doc.version != analysed.version {
        return (None, Vec::new());
    }
    open.doc.keep_tree(analysed.version, tree);
    let analysed = Arc::new(analysed);
    let previous = open.analysed.replace(analysed.clone());
    state.index_file(path, &analysed);
    let mut affected = state.open_in(&analysed.root);
    if !affected.iter().any(|p| p == path) {
        affected.push(path.to_path_buf());
    }
    // A large previous analysis (a 1 MB file's takes milliseconds to free) is freed off the state lock, on
    // the blocking pool; a small one is not worth the hop.
    if let Some(previous) = previous
        && previous.analysis.model.text().len() > 64 * 1024
    {
        tokio::task::spawn_blocking(move || drop(previous));
    }
    (Some(analysed), affected)
}

/// The analysis of an open document's current version, computing it now when the worker has not yet: every
/// request is answered against all the changes received before it.
async fn current_analysis(shared: &Arc<Shared>, path: &Path) -> Option<Arc<DocAnalysis>> {
    let snapshot = {
        let mut state = lock(&shared.state);
        let open = state.docs.get(path)?;
        if let Some(analysed) = &open.analysed
            && analysed.version == open.doc.version
        {
            return Some(analysed.clone());
        }
        snapshot(shared, &mut state, path)?
    };
    let (analysed, tree) =
        tokio::task::spawn_blocking(move || guarded("analysis", move || snapshot.compute()))
            .await
            .ok()
            .flatten()?;
    let (stored, affected) = {
        let mut state = lock(&shared.state);
        store(&mut state, path, analysed, tree)
    };
    shared.enqueue(affected);
    stored
}

/// Sends diagnostics in the order asked, each computed from the newest analysis of the document and tagged
/// with its version; a document whose analysis is behind its text is skipped (its worker will ask again).
async fn publisher(shared: Arc<Shared>, mut receiver: mpsc::UnboundedReceiver<PathBuf>) {
    while let Some(first) = receiver.recv().await {
        let mut paths = vec![first];
        while let Ok(more) = receiver.try_recv() {
            if !paths.contains(&more) {
                paths.push(more);
            }
        }
        for path in paths {
            let message = guarded("publishing diagnostics", || {
                let mut state = lock(&shared.state);
                diagnostics_to_publish(&mut state, &path)
            })
            .flatten();
            if let Some((uri, version, diagnostics)) = message {
                shared
                    .client
                    .publish_diagnostics(uri, diagnostics, version)
                    .await;
            }
        }
    }
}

fn diagnostics_to_publish(
    state: &mut State,
    path: &Path,
) -> Option<(Uri, Option<i32>, Vec<Diagnostic>)> {
    let ecosystem_findings = match state.docs.get(path) {
        Some(open) if open.kind == DocKind::Ecosystem && open.not_analysed.is_none() => {
            Some(state.findings_of(path)?)
        }
        _ => None,
    };
    let open = state.docs.get(path)?;
    let uri = open.uri.clone();
    let version = open.doc.version;
    let text = to_proto::Text {
        text: open.doc.text(),
        index: open.doc.index(),
        encoding: state.caps.encoding,
    };
    let diagnostics = match open.kind {
        DocKind::Other => return None,
        DocKind::Config => config_diagnostics(path, &text),
        DocKind::Ecosystem => match &open.not_analysed {
            Some(why) => vec![not_analysed(why)],
            None => {
                let (analysed_version, findings) = ecosystem_findings?;
                debug_assert_eq!(analysed_version, version);
                let vfs = state.vfs();
                to_proto::diagnostics(
                    &findings,
                    path,
                    &text,
                    &*vfs,
                    state.caps.related_information,
                )
            }
        },
    };
    let entry = (Some(version), diagnostics);
    if state.published.get(path) == Some(&entry) {
        return None;
    }
    state.published.insert(path.to_path_buf(), entry.clone());
    Some((uri, entry.0, entry.1))
}

/// A project file's own diagnostics: its first error, or its warnings.
fn config_diagnostics(path: &Path, text: &to_proto::Text) -> Vec<Diagnostic> {
    let at = |line: u32, column: u32| {
        let line = line.saturating_sub(1);
        let start = Position::new(line, column.saturating_sub(1));
        let offset = text
            .index
            .offset(
                text.text,
                crate::syntax::LineCol {
                    line,
                    col: column.saturating_sub(1),
                },
                Encoding::Utf32,
            )
            .unwrap_or(0);
        let start = if line == 0 && column == 0 {
            start
        } else {
            text.position(offset)
        };
        Range::new(start, Position::new(start.line, start.character + 1))
    };
    let diagnostic = |severity, line, column, message: String| Diagnostic {
        range: at(line, column),
        severity: Some(severity),
        source: Some("portos-lsp".into()),
        message,
        ..Diagnostic::default()
    };
    match config::parse_project_file(text.text, Some(path), &crate::rules::codes()) {
        Err(e) => vec![diagnostic(
            DiagnosticSeverity::ERROR,
            e.line,
            e.column,
            format!(
                "{} (the last good settings stay in force until this is fixed)",
                e.message
            ),
        )],
        Ok(loaded) => loaded
            .warnings
            .into_iter()
            .map(|w| diagnostic(DiagnosticSeverity::WARNING, w.line, w.column, w.message))
            .collect(),
    }
}

/// The `not-analysed` diagnostic (spec §5): the buffer was not read, and why.
fn not_analysed(why: &str) -> Diagnostic {
    Diagnostic {
        range: Range::default(),
        severity: Some(DiagnosticSeverity::WARNING),
        code: Some(NumberOrString::String("not-analysed".into())),
        code_description: std::str::FromStr::from_str(&format!(
            "{}not-analysed.md",
            crate::rules::DOCS_BASE_URL
        ))
        .ok()
        .map(|href| CodeDescription { href }),
        source: Some("portos-lsp".into()),
        message: why.to_string(),
        ..Diagnostic::default()
    }
}

/// Why a buffer is not analysed, if it is not: too large, or binary.
fn refusal(text: &str, max_bytes: u64) -> Option<String> {
    if text.len() as u64 > max_bytes {
        return Some(format!(
            "not analysed: the file is {} bytes, over the limit of {max_bytes} (raise it with `max_file_bytes` in portos-lsp.toml or the editor setting `portos.maxFileBytes`)",
            text.len()
        ));
    }
    if text.contains('\0') {
        return Some(
            "not analysed: the file contains NUL bytes, so it is binary, not JavaScript".into(),
        );
    }
    None
}

/// Reads, analyses and indexes closed ecosystem files from disk (through the overlay, so open buffers they
/// `require` are seen). Files over the size limit are skipped with a log line. Returns the log lines.
fn index_closed(state: &Mutex<State>, paths: &[PathBuf]) -> Vec<String> {
    let mut logs = Vec::new();
    for path in paths {
        let prepared = {
            let mut state = lock(state);
            if state.docs.contains_key(path) {
                continue;
            }
            let (config, _) = state.configs.for_file_lenient(path);
            let root = state.root_of(path);
            (config, root, state.vfs())
        };
        let (config, root, vfs) = prepared;
        let limit = usize::try_from(config.max_file_bytes).unwrap_or(usize::MAX);
        let text = match crate::vfs::read_text(&*vfs, path, limit) {
            Ok(text) => text,
            Err(why) => {
                logs.push(format!("skipped {}: {why}", path.display()));
                let mut state = lock(state);
                state.index.remove(path);
                continue;
            }
        };
        let analysed = guarded("indexing", || {
            let analysis = crate::analysis::analyze(
                path,
                text,
                &*vfs,
                Some(root.clone()),
                &config.connect_keys,
            );
            let report = Arc::new(crate::rules::check_file(&analysis, &config));
            DocAnalysis {
                version: 0,
                analysis,
                report,
                config: config.clone(),
                root: root.clone(),
            }
        });
        let mut state = lock(state);
        if let Some(analysed) = analysed
            && !state.docs.contains_key(path)
        {
            state.index_file(path, &analysed);
        }
    }
    logs
}

/// The ecosystem files of the workspace folders, with the near-miss names worth a log line.
fn discover(state: &Mutex<State>, roots: Option<Vec<PathBuf>>) -> (Vec<PathBuf>, Vec<String>) {
    let (folders, vfs) = {
        let state = lock(state);
        (roots.unwrap_or_else(|| state.folders.clone()), state.vfs())
    };
    let mut files = Vec::new();
    let mut logs = Vec::new();
    for folder in folders {
        let globs = ide::file_globs_for(&vfs, &folder);
        let (all, errors) = vfs.walk(&folder);
        for (path, why) in errors {
            logs.push(format!("cannot read {}: {why}", path.display()));
        }
        for path in all {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if workspace::is_ecosystem_file(&path, &globs) {
                files.push(vfs.normalize(&path));
            } else if workspace::looks_like_ecosystem(name) {
                logs.push(near_miss(&path));
            }
        }
    }
    files.sort();
    files.dedup();
    (files, logs)
}

fn near_miss(path: &Path) -> String {
    format!(
        "not an ecosystem file: {} (only ecosystem.config.{{js,cjs,mjs}}, ecosystem.<name>.config.{{js,cjs,mjs}} and pm2.config.{{js,cjs,mjs}} are read; add a glob to `files` in portos-lsp.toml to include it)",
        path.display()
    )
}

/// Indexes every ecosystem file of the workspace folders, with `$/progress` when it takes longer than a
/// moment, then republishes the open documents.
async fn index_workspace(shared: Arc<Shared>) {
    index_roots(shared, None).await
}

/// Indexes the ecosystem files below `roots` (the workspace folders when `None`).
async fn index_roots(shared: Arc<Shared>, roots: Option<Vec<PathBuf>>) {
    let started = Instant::now();
    let (files, logs) = {
        let shared = shared.clone();
        tokio::task::spawn_blocking(move || discover(&shared.state, roots))
            .await
            .unwrap_or_default()
    };
    for line in logs {
        shared.log(MessageType::INFO, line);
    }
    let can_progress = lock(&shared.state).caps.progress;
    let mut progress = None;
    let total = files.len().max(1);
    for (done, chunk) in files.chunks(64).enumerate() {
        if progress.is_none() && can_progress && started.elapsed() > Duration::from_millis(100) {
            let token = NumberOrString::String("portos-lsp/indexing".into());
            if shared
                .client
                .create_work_done_progress(token.clone())
                .await
                .is_ok()
            {
                progress = Some(
                    shared
                        .client
                        .progress(token, "Indexing ecosystem files")
                        .with_percentage(0)
                        .begin()
                        .await,
                );
            }
        }
        let chunk = chunk.to_vec();
        let worker = shared.clone();
        let logs = tokio::task::spawn_blocking(move || index_closed(&worker.state, &chunk))
            .await
            .unwrap_or_default();
        for line in logs {
            shared.log(MessageType::INFO, line);
        }
        if let Some(progress) = &progress {
            let percent = ((done + 1) * 64).min(total) * 100 / total;
            progress.report(percent as u32).await;
        }
    }
    if let Some(progress) = progress {
        progress.finish().await;
    }
    shared.log(
        MessageType::INFO,
        format!(
            "indexed {} ecosystem files in {} ms",
            files.len(),
            started.elapsed().as_millis()
        ),
    );
    lock(&shared.state).indexed = true;
    republish_all(&shared);
    refresh_watchers(&shared);
    decide_conventions(shared).await;
}

/// Decides, for every workspace the index knows, whether PortOS's convention applies (spec §9), from the
/// files on disk (an open buffer with unsaved edits counts by its disk copy, so the answer never flickers
/// while someone types); republishes a workspace whose answer changed, and asks once per workspace when
/// `auto` left the convention's rules off.
async fn decide_conventions(shared: Arc<Shared>) {
    let worker = shared.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        guarded("deciding the convention", || {
            let mut state = lock(&worker.state);
            let roots: std::collections::BTreeSet<PathBuf> =
                state.index.iter().map(|(_, f)| f.root.clone()).collect();
            let disk: Arc<dyn crate::vfs::Vfs> = Arc::new(crate::vfs::DiskVfs::new());
            let mut changed = Vec::new();
            let mut to_ask = Vec::new();
            for root in roots {
                let buffers: Vec<(PathBuf, Arc<str>)> = state
                    .docs
                    .iter()
                    .map(|(p, d)| (p.clone(), d.doc.text().clone()))
                    .collect();
                let unsaved = |path: &Path| {
                    buffers.iter().any(|(p, text)| {
                        p == path && disk.read(path).ok().as_deref() != Some(text.as_bytes())
                    })
                };
                let State { index, configs, .. } = &mut *state;
                let decision =
                    ide::convention::decide_for_index(index, &root, &unsaved, &disk, configs);
                let ask = decision.left_off_by_auto();
                let line = decision.describe(&root);
                if state.index.set_convention(root.clone(), decision) {
                    changed.push((root.clone(), line));
                }
                if ask && state.caps.show_message && state.asked.insert(root.clone()) {
                    to_ask.push(root);
                }
            }
            let open: Vec<PathBuf> = if changed.is_empty() {
                Vec::new()
            } else {
                state.docs.keys().cloned().collect()
            };
            (changed, to_ask, open)
        })
    })
    .await
    .ok()
    .flatten();
    let Some((changed, to_ask, open)) = outcome else {
        return;
    };
    for (_, line) in &changed {
        shared.log(MessageType::INFO, line.clone());
    }
    shared.enqueue(open);
    for root in to_ask {
        tokio::spawn(ask_convention(shared.clone(), root));
    }
}

/// The one question per workspace (spec §9): use PortOS's convention here, for all projects, or not now.
/// Never blocks anything while unanswered.
async fn ask_convention(shared: Arc<Shared>, root: PathBuf) {
    const HERE: &str = "Use PortOS's convention here";
    const EVERYWHERE: &str = "For all my projects";
    const NOT_NOW: &str = "Not now";
    let message = format!(
        "portos-lsp did not find PortOS's port convention in {} (no PORTS table, ports map or port in PortOS's ranges), so its convention rules are off. Use them?",
        root.display()
    );
    let actions = [HERE, EVERYWHERE, NOT_NOW]
        .map(|title| MessageActionItem {
            title: title.into(),
            properties: Default::default(),
        })
        .to_vec();
    let answer = shared
        .client
        .show_message_request(MessageType::INFO, message, Some(actions))
        .await;
    let target = match answer {
        Ok(Some(item)) if item.title == HERE => {
            let mut state = lock(&shared.state);
            Some(ide::convention::project_file_for(&mut state.configs, &root))
        }
        Ok(Some(item)) if item.title == EVERYWHERE => crate::shells::user_config_file(),
        _ => None,
    };
    let Some(target) = target else {
        return;
    };
    let old = std::fs::read_to_string(&target).unwrap_or_default();
    let written = config::with_convention(&old, config::Convention::Portos, &crate::rules::codes())
        .map_err(|e| e.to_string())
        .and_then(|text| {
            if let Some(dir) = target.parent() {
                std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
            }
            std::fs::write(&target, text).map_err(|e| e.to_string())
        });
    match written {
        Ok(()) => {
            shared.log(
                MessageType::INFO,
                format!(
                    "wrote `[app] convention = \"portos\"` into {}",
                    target.display()
                ),
            );
            recheck_all(&shared);
        }
        Err(e) => shared.show(
            MessageType::ERROR,
            format!("could not write {}: {e}", target.display()),
        ),
    }
}

fn republish_all(shared: &Arc<Shared>) {
    let open: Vec<PathBuf> = lock(&shared.state).docs.keys().cloned().collect();
    shared.enqueue(open);
}

/// Re-reads everything after a configuration change: open documents are analysed again, closed files
/// re-indexed.
fn recheck_all(shared: &Arc<Shared>) {
    let (open, closed) = {
        let mut state = lock(&shared.state);
        state.configs.invalidate();
        state.shown_errors.clear();
        let open: Vec<PathBuf> = state
            .docs
            .iter()
            .filter(|(_, d)| d.kind == DocKind::Ecosystem)
            .map(|(p, _)| p.clone())
            .collect();
        let closed: Vec<PathBuf> = state
            .index
            .iter()
            .map(|(p, _)| p.clone())
            .filter(|p| !state.docs.contains_key(p))
            .collect();
        (open, closed)
    };
    for path in open {
        invalidate_doc(shared, &path);
        schedule(shared, path);
    }
    let worker = shared.clone();
    tokio::spawn(async move {
        let inner = worker.clone();
        let _ = tokio::task::spawn_blocking(move || index_closed(&inner.state, &closed)).await;
        republish_all(&worker);
        decide_conventions(worker).await;
    });
}

/// Forgets a document's analysis so the next request recomputes it (its configuration or a file it
/// requires changed).
fn invalidate_doc(shared: &Shared, path: &Path) {
    if let Some(open) = lock(&shared.state).docs.get_mut(path) {
        open.analysed = None;
    }
}

/// Re-analyses the ecosystem files that `require` `path` (open ones through their worker, closed ones from
/// disk), after `path` changed in a buffer or on disk.
fn recheck_importers(shared: &Arc<Shared>, path: &Path) {
    let (open, closed) = {
        let state = lock(&shared.state);
        let importers = state.index.importers_of(path);
        let (open, closed): (Vec<PathBuf>, Vec<PathBuf>) = importers
            .into_iter()
            .partition(|p| state.docs.contains_key(p));
        (open, closed)
    };
    for importer in open {
        invalidate_doc(shared, &importer);
        schedule(shared, importer);
    }
    if !closed.is_empty() {
        let worker = shared.clone();
        tokio::spawn(async move {
            let inner = worker.clone();
            let _ = tokio::task::spawn_blocking(move || index_closed(&inner.state, &closed)).await;
            republish_all(&worker);
        });
    }
}

/// Registers file watching for ecosystem files, project files, `package.json` and every file an ecosystem
/// file requires; registered again when that last set changes.
fn refresh_watchers(shared: &Arc<Shared>) {
    let (wanted, globs) = {
        let mut state = lock(&shared.state);
        if !state.caps.watch_files {
            return;
        }
        let wanted: std::collections::BTreeSet<PathBuf> = state
            .index
            .iter()
            .flat_map(|(_, f)| f.requires.iter().cloned())
            .collect();
        if state.watchers_registered && wanted == state.watched_requires {
            return;
        }
        state.watchers_registered = true;
        state.watched_requires = wanted.clone();
        let first = state
            .folders
            .first()
            .map(|f| f.join("ecosystem.config.cjs"));
        let globs = match first {
            Some(probe) => state.configs.for_file_lenient(&probe).0.files.clone(),
            None => Vec::new(),
        };
        (wanted, globs)
    };
    let mut patterns: Vec<String> = vec![
        "**/ecosystem.config.{js,cjs,mjs}".into(),
        "**/ecosystem.*.config.{js,cjs,mjs}".into(),
        "**/pm2.config.{js,cjs,mjs}".into(),
        "**/{portos-lsp,.portos-lsp}.toml".into(),
        "**/package.json".into(),
    ];
    patterns.extend(globs.into_iter().map(|g| format!("**/{g}")));
    patterns.extend(wanted.iter().map(|p| p.display().to_string()));
    let watchers = patterns
        .into_iter()
        .map(|pattern| FileSystemWatcher {
            glob_pattern: GlobPattern::String(pattern),
            kind: None,
        })
        .collect();
    let options = DidChangeWatchedFilesRegistrationOptions { watchers };
    let client = shared.client.clone();
    tokio::spawn(async move {
        const ID: &str = "portos-lsp/watched-files";
        let _ = client
            .unregister_capability(vec![Unregistration {
                id: ID.into(),
                method: "workspace/didChangeWatchedFiles".into(),
            }])
            .await;
        let registration = Registration {
            id: ID.into(),
            method: "workspace/didChangeWatchedFiles".into(),
            register_options: serde_json::to_value(options).ok(),
        };
        if let Err(e) = client.register_capability(vec![registration]).await {
            log_stderr(&format!("the client refused file watching: {e}"));
        }
    });
}

/// Deep-merges `over` into `base` (objects key by key; anything else replaces).
fn merge_json(base: &mut serde_json::Value, over: &serde_json::Value) {
    match (base, over) {
        (serde_json::Value::Object(base), serde_json::Value::Object(over)) => {
            for (key, value) in over {
                merge_json(
                    base.entry(key.clone()).or_insert(serde_json::Value::Null),
                    value,
                );
            }
        }
        (_, serde_json::Value::Null) => {}
        (base, over) => *base = over.clone(),
    }
}

/// Applies editor settings (initialization options with a `workspace/configuration` answer over them) and
/// re-checks everything.
fn apply_settings(shared: &Arc<Shared>, pulled: Option<serde_json::Value>) {
    let mut settings = lock(&shared.init_options).clone();
    let section = |v: &serde_json::Value| v.get("portos").cloned().unwrap_or_else(|| v.clone());
    settings = section(&settings);
    if let Some(pulled) = pulled {
        if settings.is_null() {
            settings = serde_json::json!({});
        }
        merge_json(&mut settings, &section(&pulled));
    }
    let parsed = config::parse_editor_settings(&settings, &crate::rules::codes());
    for warning in &parsed.warnings {
        shared.log(MessageType::WARNING, warning.to_string());
    }
    for error in &parsed.errors {
        shared.show(
            MessageType::ERROR,
            format!("{error} (the default stays in force)"),
        );
    }
    {
        let mut state = lock(&shared.state);
        let source = match &parsed.config_path {
            Some(path) => ConfigSource::Path(path.clone()),
            None => ConfigSource::Discover,
        };
        state.configs.set_editor(parsed.layer, source);
    }
    recheck_all(shared);
}

async fn pull_configuration(shared: Arc<Shared>) {
    if !lock(&shared.state).caps.configuration {
        return;
    }
    let item = ConfigurationItem {
        scope_uri: None,
        section: Some("portos".into()),
    };
    match shared.client.configuration(vec![item]).await {
        Ok(mut values) if !values.is_empty() => apply_settings(&shared, Some(values.remove(0))),
        Ok(_) => {}
        Err(e) => log_stderr(&format!("workspace/configuration failed: {e}")),
    }
}

/// Exits when the client's process is gone (it vanished without `exit`).
fn watch_parent(pid: u32) {
    #[cfg(target_os = "linux")]
    std::thread::spawn(move || {
        let proc = PathBuf::from(format!("/proc/{pid}"));
        loop {
            std::thread::sleep(Duration::from_millis(500));
            if !proc.exists() {
                log_stderr(&format!("the client (process {pid}) is gone: exiting"));
                std::process::exit(1);
            }
        }
    });
    #[cfg(not(target_os = "linux"))]
    let _ = pid;
}

fn client_caps(params: &InitializeParams) -> ClientCaps {
    let caps = &params.capabilities;
    let encodings = caps
        .general
        .as_ref()
        .and_then(|g| g.position_encodings.clone())
        .unwrap_or_default();
    let encoding = if encodings.contains(&PositionEncodingKind::UTF8) {
        Encoding::Utf8
    } else {
        Encoding::Utf16
    };
    let text = caps.text_document.as_ref();
    let workspace = caps.workspace.as_ref();
    let window = caps.window.as_ref();
    ClientCaps {
        encoding,
        markdown_hover: text
            .and_then(|t| t.hover.as_ref())
            .and_then(|h| h.content_format.as_ref())
            .is_some_and(|f| f.contains(&MarkupKind::Markdown)),
        related_information: text
            .and_then(|t| t.publish_diagnostics.as_ref())
            .and_then(|p| p.related_information)
            .unwrap_or(false),
        watch_files: workspace
            .and_then(|w| w.did_change_watched_files.as_ref())
            .and_then(|d| d.dynamic_registration)
            .unwrap_or(false),
        configuration: workspace.and_then(|w| w.configuration).unwrap_or(false),
        progress: window.and_then(|w| w.work_done_progress).unwrap_or(false),
        show_message: window.is_some_and(|w| w.show_message.is_some()),
    }
}

/// The workspace port map (spec §10) as JSON, with URIs and LSP ranges (files read through the overlay to
/// place ranges).
fn port_map_json(state: &State, map: &ide::port_map::PortMap) -> serde_json::Value {
    use serde_json::json;
    let vfs = state.vfs();
    let mut texts: std::collections::HashMap<PathBuf, Option<(String, crate::syntax::LineIndex)>> =
        Default::default();
    let encoding = state.caps.encoding;
    let mut place = |path: &Path, range: crate::syntax::TextRange| -> serde_json::Value {
        let entry = texts.entry(path.to_path_buf()).or_insert_with(|| {
            let text = String::from_utf8(vfs.read(path).ok()?).ok()?;
            let index = crate::syntax::LineIndex::new(&text);
            Some((text, index))
        });
        let range = match entry {
            Some((text, index)) => to_proto::Text {
                text,
                index,
                encoding,
            }
            .range(range),
            None => Range::default(),
        };
        serde_json::to_value(range).unwrap_or(serde_json::Value::Null)
    };
    let uri = |path: &Path| {
        to_proto::uri(path)
            .map(|u| u.as_str().to_string())
            .unwrap_or_default()
    };
    let apps: Vec<serde_json::Value> = map
        .apps
        .iter()
        .map(|app| {
            let processes: Vec<serde_json::Value> = app
                .processes
                .iter()
                .map(|process| {
                    let ports: Vec<serde_json::Value> = process
                        .ports
                        .iter()
                        .map(|port| {
                            json!({
                                "label": port.label,
                                "port": port.port,
                                "uri": uri(&port.path),
                                "range": place(&port.path, port.range),
                            })
                        })
                        .collect();
                    json!({"name": process.name, "ports": ports})
                })
                .collect();
            json!({
                "name": app.name,
                "dir": app.dir.display().to_string(),
                "uri": uri(&app.path),
                "role": app.role.as_str(),
                "block": app.block.map(|(a, b)| [a, b]),
                "contiguous": app.contiguous,
                "processes": processes,
            })
        })
        .collect();
    let conflicts: Vec<serde_json::Value> = map
        .conflicts
        .iter()
        .map(|conflict| {
            let uses: Vec<serde_json::Value> = conflict
                .uses
                .iter()
                .map(|u| {
                    json!({
                        "app": u.app,
                        "process": u.process,
                        "label": u.label,
                        "uri": uri(&u.path),
                        "range": place(&u.path, u.range),
                    })
                })
                .collect();
            json!({
                "port": conflict.port,
                "core": conflict.core.as_ref().map(|c| json!({"process": c.process, "label": c.label})),
                "uses": uses,
            })
        })
        .collect();
    json!({
        "ranges": {
            "core": [map.ranges.core.0, map.ranges.core.1],
            "reserved": [map.ranges.reserved.0, map.ranges.reserved.1],
            "user": [map.ranges.user.0, map.ranges.user.1],
        },
        "apps": apps,
        "free": map.free.iter().map(|(a, b)| [a, b]).collect::<Vec<_>>(),
        "conflicts": conflicts,
    })
}

/// The files whose `PORTS` accesses may name a key of `table`'s table: the table's file first, then every
/// ecosystem file that requires it (or, for an ecosystem file's own table, the file alone plus its
/// importers), with their texts read through the overlay.
fn key_files(state: &State, table: &Path) -> Vec<crate::model::SourceFile> {
    let vfs = state.vfs();
    let mut paths = vec![table.to_path_buf()];
    paths.extend(state.index.importers_of(table));
    paths.dedup();
    let mut files: Vec<crate::model::SourceFile> = Vec::new();
    for path in paths {
        let analysis = match state.docs.get(&path).and_then(|d| d.analysed.clone()) {
            Some(analysed) => analysed.analysis.model.files.clone(),
            None => {
                let Some(indexed) = state.index.get(&path) else {
                    continue;
                };
                let Ok(text) = crate::vfs::read_text(&*vfs, &path, usize::MAX) else {
                    continue;
                };
                crate::analysis::analyze(
                    &path,
                    text,
                    &*vfs,
                    Some(indexed.root.clone()),
                    &indexed.config.connect_keys,
                )
                .model
                .files
            }
        };
        for (i, file) in analysis.into_iter().enumerate() {
            let path = vfs.normalize(&file.path);
            if (i == 0 || path == table) && !files.iter().any(|f| vfs.normalize(&f.path) == path) {
                files.push(file);
            }
        }
    }
    files
}

impl Server {
    /// The path of a document and its analysis of the current version: where every per-document request
    /// starts. `None` for a URI that is not a file, or a document that is not an open ecosystem file.
    async fn analysed(&self, uri: &Uri) -> Option<(PathBuf, Arc<DocAnalysis>)> {
        let path = from_proto::path(uri)?;
        let analysed = current_analysis(&self.shared, &path).await?;
        Some((path, analysed))
    }

    /// `portos/workspacePorts`: the whole workspace's port map. Params may be absent, `null` or `{}`; a
    /// `uri` narrows it to that file's workspace.
    async fn workspace_ports(&self, params: serde_json::Value) -> Result<serde_json::Value> {
        let scope = params
            .get("uri")
            .and_then(|u| u.as_str())
            .and_then(|u| <Uri as std::str::FromStr>::from_str(u).ok())
            .and_then(|u| from_proto::path(&u));
        let answer = guarded("workspacePorts", || {
            let mut state = lock(&self.shared.state);
            let root = scope.as_deref().map(|p| state.root_of(p));
            let files: Vec<(&Path, &crate::rules::FileReport)> = state
                .index
                .iter()
                .filter(|(_, f)| root.as_ref().is_none_or(|r| &f.root == r))
                .map(|(p, f)| (p.as_path(), &*f.report))
                .collect();
            let config = state
                .index
                .iter()
                .find(|(_, f)| root.as_ref().is_none_or(|r| &f.root == r))
                .map(|(_, f)| f.config.clone())
                .unwrap_or_default();
            let map = ide::port_map::port_map(&files, &config);
            port_map_json(&state, &map)
        });
        answer.ok_or_else(tower_lsp_server::jsonrpc::Error::internal_error)
    }

    /// The `PORTS` key under the cursor, if any.
    async fn key_target(
        &self,
        position: &TextDocumentPositionParams,
    ) -> Option<ide::navigation::KeyAt> {
        let (path, analysed) = self.analysed(&position.text_document.uri).await?;
        guarded("finding a PORTS key", || {
            let state = lock(&self.shared.state);
            let open = state.docs.get(&path)?;
            let offset = open
                .doc
                .offset(from_proto::line_col(position.position), state.caps.encoding);
            let vfs = state.vfs();
            ide::navigation::key_at(&analysed.analysis, offset).map(|mut key| {
                key.table = vfs.normalize(&key.table);
                if let Some(d) = &mut key.definition {
                    d.path = vfs.normalize(&d.path);
                }
                key
            })
        })
        .flatten()
    }

    /// The URI of a path: the open document's own URI when it is open.
    fn uri_of(&self, state: &State, path: &Path) -> Option<Uri> {
        match state.docs.get(path) {
            Some(open) => Some(open.uri.clone()),
            None => to_proto::uri(path),
        }
    }

    /// A place as an LSP location, positioned in its open buffer or its file on disk.
    fn location(&self, state: &State, place: &ide::navigation::Place) -> Option<Location> {
        let uri = self.uri_of(state, &place.path)?;
        let range = match state.docs.get(&place.path) {
            Some(open) => to_proto::Text {
                text: open.doc.text(),
                index: open.doc.index(),
                encoding: state.caps.encoding,
            }
            .range(place.range),
            None => {
                let text = String::from_utf8(state.vfs().read(&place.path).ok()?).ok()?;
                let index = crate::syntax::LineIndex::new(&text);
                to_proto::Text {
                    text: &text,
                    index: &index,
                    encoding: state.caps.encoding,
                }
                .range(place.range)
            }
        };
        Some(Location::new(uri, range))
    }

    fn open_or_change(&self, uri: Uri, path: PathBuf, text_changed: bool) {
        let shared = &self.shared;
        let kind = {
            let state = lock(&shared.state);
            match state.docs.get(&path) {
                Some(open) => open.kind,
                None => return,
            }
        };
        match kind {
            DocKind::Ecosystem => {
                let refused = {
                    let mut state = lock(&shared.state);
                    let (config, _) = state.configs.for_file_lenient(&path);
                    let open = state.docs.get_mut(&path);
                    let refused = open
                        .as_ref()
                        .and_then(|o| refusal(o.doc.text(), config.max_file_bytes));
                    if let Some(open) = open {
                        open.not_analysed = refused.clone();
                        if refused.is_some() {
                            open.analysed = None;
                        }
                    }
                    if refused.is_some() {
                        state.index.remove(&path);
                    }
                    refused
                };
                match refused {
                    Some(why) => {
                        shared.log(MessageType::WARNING, format!("{}: {why}", uri.as_str()));
                        shared.enqueue([path.clone()]);
                    }
                    None => schedule(shared, path.clone()),
                }
                if text_changed {
                    recheck_importers(shared, &path);
                }
            }
            DocKind::Config => {
                shared.enqueue([path]);
                recheck_all(shared);
            }
            DocKind::Other => {
                if text_changed {
                    recheck_importers(shared, &path);
                }
            }
        }
    }
}

impl LanguageServer for Server {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let caps = client_caps(&params);
        let mut folders: Vec<PathBuf> = params
            .workspace_folders
            .iter()
            .flatten()
            .filter_map(|f| from_proto::path(&f.uri))
            .collect();
        #[allow(deprecated)]
        if folders.is_empty()
            && let Some(root) = params.root_uri.as_ref().and_then(from_proto::path)
        {
            folders.push(root);
        }
        if let Some(pid) = params.process_id {
            watch_parent(pid);
        }
        let encoding = caps.encoding;
        {
            let mut state = lock(&self.shared.state);
            state.caps = caps;
            state.folders = folders;
        }
        if let Some(options) = params.initialization_options {
            *lock(&self.shared.init_options) = options;
            let parsed = config::parse_editor_settings(
                &lock(&self.shared.init_options),
                &crate::rules::codes(),
            );
            for warning in &parsed.warnings {
                log_stderr(&warning.to_string());
            }
            let mut state = lock(&self.shared.state);
            let source = match &parsed.config_path {
                Some(path) => ConfigSource::Path(path.clone()),
                None => ConfigSource::Discover,
            };
            state.configs.set_editor(parsed.layer, source);
        }
        Ok(InitializeResult {
            server_info: Some(ServerInfo {
                name: "portos-lsp".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
            capabilities: ServerCapabilities {
                position_encoding: Some(PositionEncodingKind::from(from_proto::encoding_name(
                    encoding,
                ))),
                text_document_sync: Some(TextDocumentSyncCapability::Options(
                    TextDocumentSyncOptions {
                        open_close: Some(true),
                        change: Some(TextDocumentSyncKind::INCREMENTAL),
                        save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                        ..TextDocumentSyncOptions::default()
                    },
                )),
                hover_provider: Some(HoverProviderCapability::Simple(true)),
                definition_provider: Some(OneOf::Left(true)),
                references_provider: Some(OneOf::Left(true)),
                document_highlight_provider: Some(OneOf::Left(true)),
                rename_provider: Some(OneOf::Right(RenameOptions {
                    prepare_provider: Some(true),
                    work_done_progress_options: WorkDoneProgressOptions::default(),
                })),
                inlay_hint_provider: Some(OneOf::Left(true)),
                document_symbol_provider: Some(OneOf::Left(true)),
                workspace_symbol_provider: Some(OneOf::Left(true)),
                code_action_provider: Some(CodeActionProviderCapability::Options(
                    CodeActionOptions {
                        code_action_kinds: Some(vec![
                            CodeActionKind::QUICKFIX,
                            CodeActionKind::REFACTOR_REWRITE,
                            CodeActionKind::new(FIX_ALL_KIND),
                        ]),
                        resolve_provider: Some(false),
                        ..CodeActionOptions::default()
                    },
                )),
                completion_provider: Some(CompletionOptions {
                    trigger_characters: Some(vec![":".into(), " ".into(), "=".into()]),
                    ..CompletionOptions::default()
                }),
                workspace: Some(WorkspaceServerCapabilities {
                    workspace_folders: Some(WorkspaceFoldersServerCapabilities {
                        supported: Some(true),
                        change_notifications: Some(OneOf::Left(true)),
                    }),
                    file_operations: None,
                }),
                ..ServerCapabilities::default()
            },
            ..InitializeResult::default()
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        let shared = self.shared.clone();
        tokio::spawn(async move {
            pull_configuration(shared.clone()).await;
            index_workspace(shared).await;
        });
    }

    async fn shutdown(&self) -> Result<()> {
        self.shared.shut_down.store(true, Ordering::SeqCst);
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let item = params.text_document;
        let Some(path) = from_proto::path(&item.uri) else {
            return;
        };
        let shared = &self.shared;
        let kind = {
            let mut state = lock(&shared.state);
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let kind = if CONFIG_FILE_NAMES.contains(&name) {
                DocKind::Config
            } else if state.is_ecosystem(&path) {
                DocKind::Ecosystem
            } else {
                DocKind::Other
            };
            state
                .overlay
                .set(path.clone(), Arc::from(item.text.as_str()));
            state.docs.insert(
                path.clone(),
                OpenDoc {
                    uri: item.uri.clone(),
                    doc: Document::new(path.clone(), item.version, &item.text),
                    kind,
                    analysed: None,
                    not_analysed: None,
                },
            );
            kind
        };
        if kind == DocKind::Ecosystem {
            // A file outside every workspace folder (or opened with none): its workspace is found as the
            // command line finds it (spec §1), and indexed once so cross-file questions have an answer.
            let loose_root = {
                let mut state = lock(&shared.state);
                let inside = state.folders.iter().any(|f| path.starts_with(f));
                let root = state.root_of(&path);
                (!inside && state.extra_roots.insert(root.clone())).then_some(root)
            };
            if let Some(root) = loose_root {
                tokio::spawn(index_roots(shared.clone(), Some(vec![root])));
            }
        }
        if kind == DocKind::Other
            && workspace::looks_like_ecosystem(
                path.file_name().and_then(|n| n.to_str()).unwrap_or(""),
            )
        {
            shared.log(MessageType::INFO, near_miss(&path));
        }
        self.open_or_change(item.uri, path, true);
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let Some(path) = from_proto::path(&params.text_document.uri) else {
            return;
        };
        let changes = from_proto::changes(params.content_changes);
        let applied = guarded("applying an edit", || {
            let mut state = lock(&self.shared.state);
            let encoding = state.caps.encoding;
            let open = state.docs.get_mut(&path)?;
            open.doc
                .apply(params.text_document.version, &changes, encoding);
            let text = open.doc.text().clone();
            state.overlay.set(path.clone(), text);
            Some(())
        })
        .flatten();
        if applied.is_some() {
            self.open_or_change(params.text_document.uri, path, true);
        }
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let Some(path) = from_proto::path(&params.text_document.uri) else {
            return;
        };
        let shared = &self.shared;
        let kind = {
            let mut state = lock(&shared.state);
            state.overlay.remove(&path);
            state.published.remove(&path);
            state.docs.remove(&path).map(|d| d.kind)
        };
        let client = shared.client.clone();
        let uri = params.text_document.uri;
        tokio::spawn(async move { client.publish_diagnostics(uri, Vec::new(), None).await });
        match kind {
            Some(DocKind::Ecosystem) => {
                // Closed files keep their summary only: re-read from disk.
                let worker = shared.clone();
                let closed = vec![path.clone()];
                tokio::spawn(async move {
                    let inner = worker.clone();
                    let _ =
                        tokio::task::spawn_blocking(move || index_closed(&inner.state, &closed))
                            .await;
                    republish_all(&worker);
                });
                recheck_importers(shared, &path);
            }
            Some(DocKind::Config) => recheck_all(shared),
            Some(DocKind::Other) => recheck_importers(shared, &path),
            None => {}
        }
    }

    async fn did_save(&self, _: DidSaveTextDocumentParams) {
        // The convention is decided from the disk: a save may change the answer.
        tokio::spawn(decide_conventions(self.shared.clone()));
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        let shared = self.shared.clone();
        if lock(&shared.state).caps.configuration {
            tokio::spawn(pull_configuration(shared));
        } else {
            apply_settings(&shared, Some(params.settings));
        }
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        let shared = &self.shared;
        let mut config_changed = false;
        let mut reindex = Vec::new();
        let mut importers_of = Vec::new();
        {
            let mut state = lock(&shared.state);
            for change in params.changes {
                let Some(path) = from_proto::path(&change.uri) else {
                    continue;
                };
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
                if CONFIG_FILE_NAMES.contains(&name) {
                    config_changed = true;
                    continue;
                }
                importers_of.push(path.clone());
                if name == "package.json" {
                    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
                    reindex.extend(
                        state
                            .index
                            .iter()
                            .map(|(p, _)| p.clone())
                            .filter(|p| p.parent() == Some(dir.as_path())),
                    );
                    continue;
                }
                if state.docs.contains_key(&path) || !state.is_ecosystem(&path) {
                    continue;
                }
                if change.typ == FileChangeType::DELETED {
                    state.index.remove(&path);
                } else {
                    reindex.push(path);
                }
            }
        }
        if config_changed {
            recheck_all(shared);
            return;
        }
        for path in &importers_of {
            recheck_importers(shared, path);
        }
        let worker = shared.clone();
        tokio::spawn(async move {
            let inner = worker.clone();
            let _ = tokio::task::spawn_blocking(move || index_closed(&inner.state, &reindex)).await;
            republish_all(&worker);
            refresh_watchers(&worker);
            decide_conventions(worker).await;
        });
    }

    async fn did_change_workspace_folders(&self, params: DidChangeWorkspaceFoldersParams) {
        {
            let mut state = lock(&self.shared.state);
            for removed in &params.event.removed {
                if let Some(path) = from_proto::path(&removed.uri) {
                    state.folders.retain(|f| f != &path);
                    let gone: Vec<PathBuf> = state
                        .index
                        .iter()
                        .filter(|(p, f)| p.starts_with(&path) || f.root == path)
                        .map(|(p, _)| p.clone())
                        .collect();
                    for file in gone {
                        state.index.remove(&file);
                    }
                }
            }
            for added in &params.event.added {
                if let Some(path) = from_proto::path(&added.uri)
                    && !state.folders.contains(&path)
                {
                    state.folders.push(path);
                }
            }
        }
        // Roots may have changed for open files too.
        let open: Vec<PathBuf> = lock(&self.shared.state).docs.keys().cloned().collect();
        for path in open {
            invalidate_doc(&self.shared, &path);
            schedule(&self.shared, path);
        }
        tokio::spawn(index_workspace(self.shared.clone()));
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        let position = params.text_document_position_params;
        let Some((path, analysed)) = self.analysed(&position.text_document.uri).await else {
            return Ok(None);
        };
        let shared = self.shared.clone();
        let answer = guarded("hover", move || {
            let state = lock(&shared.state);
            let open = state.docs.get(&path)?;
            let encoding = state.caps.encoding;
            let offset = open
                .doc
                .offset(from_proto::line_col(position.position), encoding);
            let others: Vec<hover::OtherFile> = state
                .index
                .iter()
                .filter(|(p, f)| f.root == analysed.root && **p != path)
                .map(|(p, f)| hover::OtherFile {
                    path: p,
                    report: &f.report,
                })
                .collect();
            let ctx = hover::HoverContext {
                report: &analysed.report,
                config: &analysed.config,
                others: &others,
                root: &analysed.root,
                convention: state.index.convention(&analysed.root).map(|d| d.active),
            };
            let found = hover::hover(&analysed.analysis, &ctx, offset)?;
            let text = to_proto::Text {
                text: open.doc.text(),
                index: open.doc.index(),
                encoding,
            };
            let contents = if state.caps.markdown_hover {
                MarkupContent {
                    kind: MarkupKind::Markdown,
                    value: found.markdown.clone(),
                }
            } else {
                MarkupContent {
                    kind: MarkupKind::PlainText,
                    value: found.plain(),
                }
            };
            Some(Hover {
                contents: HoverContents::Markup(contents),
                range: Some(text.range(found.range)),
            })
        });
        Ok(answer.flatten())
    }

    async fn goto_definition(
        &self,
        params: GotoDefinitionParams,
    ) -> Result<Option<GotoDefinitionResponse>> {
        let position = params.text_document_position_params;
        let Some(target) = self.key_target(&position).await else {
            return Ok(None);
        };
        let shared = self.shared.clone();
        let answer = guarded("definition", move || {
            let state = lock(&shared.state);
            let place = target.definition?;
            let location = self.location(&state, &place)?;
            Some(GotoDefinitionResponse::Scalar(location))
        });
        Ok(answer.flatten())
    }

    async fn references(&self, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
        let position = params.text_document_position;
        let Some(target) = self.key_target(&position).await else {
            return Ok(None);
        };
        let include = params.context.include_declaration;
        let answer = guarded("references", || {
            let state = lock(&self.shared.state);
            let files = key_files(&state, &target.table);
            let (places, _, _) =
                ide::navigation::key_references(&target, &files.iter().collect::<Vec<_>>());
            let skip = if include {
                None
            } else {
                target.definition.clone()
            };
            Some(
                places
                    .iter()
                    .filter(|p| Some(*p) != skip.as_ref())
                    .filter_map(|p| self.location(&state, p))
                    .collect(),
            )
        });
        Ok(answer.flatten())
    }

    async fn document_highlight(
        &self,
        params: DocumentHighlightParams,
    ) -> Result<Option<Vec<DocumentHighlight>>> {
        let position = params.text_document_position_params;
        let Some((path, analysed)) = self.analysed(&position.text_document.uri).await else {
            return Ok(None);
        };
        let answer = guarded("highlight", || {
            let state = lock(&self.shared.state);
            let open = state.docs.get(&path)?;
            let encoding = state.caps.encoding;
            let offset = open
                .doc
                .offset(from_proto::line_col(position.position), encoding);
            let text = to_proto::Text {
                text: open.doc.text(),
                index: open.doc.index(),
                encoding,
            };
            let ranges = ide::navigation::highlights(&analysed.analysis, offset);
            (!ranges.is_empty()).then(|| {
                ranges
                    .into_iter()
                    .map(|r| DocumentHighlight {
                        range: text.range(r),
                        kind: Some(DocumentHighlightKind::TEXT),
                    })
                    .collect()
            })
        });
        Ok(answer.flatten())
    }

    async fn prepare_rename(
        &self,
        params: TextDocumentPositionParams,
    ) -> Result<Option<PrepareRenameResponse>> {
        let Some(target) = self.key_target(&params).await else {
            return Err(tower_lsp_server::jsonrpc::Error::invalid_params(
                "only a PORTS key can be renamed here",
            ));
        };
        let blockers = {
            let state = lock(&self.shared.state);
            let files = key_files(&state, &target.table);
            ide::navigation::key_references(&target, &files.iter().collect::<Vec<_>>()).1
        };
        if let Some(first) = blockers.first() {
            return Err(tower_lsp_server::jsonrpc::Error::invalid_params(format!(
                "cannot rename `{}` safely: {first}",
                target.key
            )));
        }
        let state = lock(&self.shared.state);
        let Some(path) = from_proto::path(&params.text_document.uri) else {
            return Ok(None);
        };
        let Some(open) = state.docs.get(&path) else {
            return Ok(None);
        };
        let text = to_proto::Text {
            text: open.doc.text(),
            index: open.doc.index(),
            encoding: state.caps.encoding,
        };
        Ok(Some(PrepareRenameResponse::RangeWithPlaceholder {
            range: text.range(target.range),
            placeholder: target.key,
        }))
    }

    async fn rename(&self, params: RenameParams) -> Result<Option<WorkspaceEdit>> {
        let position = params.text_document_position;
        let new_name = params.new_name;
        if !ide::navigation::is_identifier(&new_name) {
            return Err(tower_lsp_server::jsonrpc::Error::invalid_params(format!(
                "`{new_name}` is not a JavaScript identifier, so `PORTS.{new_name}` would not parse"
            )));
        }
        let Some(target) = self.key_target(&position).await else {
            return Err(tower_lsp_server::jsonrpc::Error::invalid_params(
                "only a PORTS key can be renamed here",
            ));
        };
        let state = lock(&self.shared.state);
        let files = key_files(&state, &target.table);
        let (places, blockers, exported) =
            ide::navigation::key_references(&target, &files.iter().collect::<Vec<_>>());
        if let Some(first) = blockers.first() {
            return Err(tower_lsp_server::jsonrpc::Error::invalid_params(format!(
                "cannot rename `{}` safely: {first}",
                target.key
            )));
        }
        let annotation = exported.then(|| "portos-lsp/exported-ports".to_string());
        let mut by_file: std::collections::BTreeMap<
            PathBuf,
            Vec<OneOf<TextEdit, AnnotatedTextEdit>>,
        > = Default::default();
        for place in &places {
            let Some(location) = self.location(&state, place) else {
                continue;
            };
            let edit = TextEdit::new(location.range, new_name.clone());
            by_file
                .entry(place.path.clone())
                .or_default()
                .push(match &annotation {
                    Some(id) => OneOf::Right(AnnotatedTextEdit {
                        text_edit: edit,
                        annotation_id: id.clone(),
                    }),
                    None => OneOf::Left(edit),
                });
        }
        let changes = by_file
            .into_iter()
            .filter_map(|(path, edits)| {
                Some(TextDocumentEdit {
                    text_document: OptionalVersionedTextDocumentIdentifier {
                        uri: self.uri_of(&state, &path)?,
                        version: state.docs.get(&path).map(|d| d.doc.version),
                    },
                    edits,
                })
            })
            .collect();
        let change_annotations = annotation.map(|id| {
            std::collections::HashMap::from([(
                id,
                ChangeAnnotation {
                    label: format!("Rename the exported PORTS.{}", target.key),
                    needs_confirmation: Some(true),
                    description: Some(
                        "PORTS is exported: code outside the ecosystem files may read the old key"
                            .into(),
                    ),
                },
            )])
        });
        Ok(Some(WorkspaceEdit {
            document_changes: Some(DocumentChanges::Edits(changes)),
            change_annotations,
            ..WorkspaceEdit::default()
        }))
    }

    async fn inlay_hint(&self, params: InlayHintParams) -> Result<Option<Vec<InlayHint>>> {
        let Some((path, analysed)) = self.analysed(&params.text_document.uri).await else {
            return Ok(None);
        };
        let answer = guarded("inlay hints", || {
            let state = lock(&self.shared.state);
            let open = state.docs.get(&path)?;
            let encoding = state.caps.encoding;
            let start = open
                .doc
                .offset(from_proto::line_col(params.range.start), encoding);
            let end = open
                .doc
                .offset(from_proto::line_col(params.range.end), encoding);
            let text = to_proto::Text {
                text: open.doc.text(),
                index: open.doc.index(),
                encoding,
            };
            let hints = ide::symbols::inlay_hints(
                &analysed.analysis,
                crate::syntax::TextRange::new(start, end),
                analysed.config.inlay_hints,
            );
            Some(
                hints
                    .into_iter()
                    .map(|h| InlayHint {
                        position: text.position(h.offset as usize),
                        label: InlayHintLabel::String(h.text),
                        kind: Some(if h.is_label {
                            InlayHintKind::TYPE
                        } else {
                            InlayHintKind::PARAMETER
                        }),
                        text_edits: None,
                        tooltip: None,
                        padding_left: Some(true),
                        padding_right: None,
                        data: None,
                    })
                    .collect(),
            )
        });
        Ok(answer.flatten())
    }

    async fn document_symbol(
        &self,
        params: DocumentSymbolParams,
    ) -> Result<Option<DocumentSymbolResponse>> {
        let Some((path, analysed)) = self.analysed(&params.text_document.uri).await else {
            return Ok(None);
        };
        let answer = guarded("document symbols", || {
            let state = lock(&self.shared.state);
            let open = state.docs.get(&path)?;
            let text = to_proto::Text {
                text: open.doc.text(),
                index: open.doc.index(),
                encoding: state.caps.encoding,
            };
            let symbols = ide::symbols::document_symbols(&analysed.analysis);
            Some(DocumentSymbolResponse::Nested(
                symbols.iter().map(|s| to_proto::symbol(s, &text)).collect(),
            ))
        });
        Ok(answer.flatten())
    }

    async fn symbol(
        &self,
        params: WorkspaceSymbolParams,
    ) -> Result<Option<WorkspaceSymbolResponse>> {
        let answer = guarded("workspace symbols", || {
            let state = lock(&self.shared.state);
            let files: Vec<(&Path, &crate::rules::FileReport)> = state
                .index
                .iter()
                .map(|(p, f)| (p.as_path(), &*f.report))
                .collect();
            let found = ide::symbols::workspace_symbols(&files, &params.query);
            #[allow(deprecated)]
            let symbols = found
                .iter()
                .filter_map(|s| {
                    let location = self.location(
                        &state,
                        &ide::navigation::Place {
                            path: s.path.clone(),
                            range: s.range,
                        },
                    )?;
                    Some(SymbolInformation {
                        name: s.name.clone(),
                        kind: SymbolKind::FUNCTION,
                        tags: None,
                        deprecated: None,
                        location,
                        container_name: Some(s.app.clone()),
                    })
                })
                .collect();
            Some(WorkspaceSymbolResponse::Flat(symbols))
        });
        Ok(answer.flatten())
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        let Some((path, analysed)) = self.analysed(&params.text_document.uri).await else {
            return Ok(None);
        };
        let shared = self.shared.clone();
        let answer = guarded("code actions", move || {
            let state = lock(&shared.state);
            let open = state.docs.get(&path)?;
            let encoding = state.caps.encoding;
            let wants = |kind: &str| {
                params.context.only.as_ref().is_none_or(|only| {
                    only.iter().any(|k| {
                        kind == k.as_str() || kind.starts_with(&format!("{}.", k.as_str()))
                    })
                })
            };
            let start = open
                .doc
                .offset(from_proto::line_col(params.range.start), encoding);
            let end = open
                .doc
                .offset(from_proto::line_col(params.range.end), encoding);
            let range = crate::syntax::TextRange::new(start.min(end), start.max(end));
            let findings = state.index.findings(&path, &state.external);
            let vfs = state.vfs();
            let read = |p: &Path| {
                vfs.read(p)
                    .ok()
                    .and_then(|bytes| String::from_utf8(bytes).ok())
            };
            let ports = state.app_ports(&analysed);
            let text = open.doc.text().clone();
            let here = to_proto::Text {
                text: &text,
                index: open.doc.index(),
                encoding,
            };
            let diagnostics = to_proto::diagnostics(
                &findings,
                &path,
                &here,
                &*vfs,
                state.caps.related_information,
            );
            let mut actions: Vec<CodeActionOrCommand> = Vec::new();
            if wants("quickfix") {
                for action in ide::actions::quick_fixes(
                    &findings,
                    range,
                    &path,
                    &text,
                    &read,
                    &ports,
                    &analysed.config,
                ) {
                    let edit = to_proto::workspace_edit(&action.edits, &path, &here, &*vfs)?;
                    actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                        title: action.title,
                        kind: Some(CodeActionKind::QUICKFIX),
                        diagnostics: action
                            .finding
                            .and_then(|i| diagnostics.get(i).cloned())
                            .map(|d| vec![d]),
                        edit: Some(edit),
                        is_preferred: action.preferred.then_some(true),
                        ..CodeAction::default()
                    }));
                }
            }
            if wants("refactor.rewrite")
                && let Ok(migration) = ide::migrate::migrate(
                    &analysed.analysis,
                    &analysed.config,
                    &*vfs,
                    &analysed.root,
                )
                && let Some(edit) = to_proto::workspace_edit(&migration.edits, &path, &here, &*vfs)
            {
                actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                    title: migration.title(),
                    kind: Some(CodeActionKind::REFACTOR_REWRITE),
                    edit: Some(edit),
                    ..CodeAction::default()
                }));
            }
            if wants(FIX_ALL_KIND) && params.context.only.is_some() {
                let others: Vec<Arc<crate::rules::FileReport>> = state
                    .index
                    .iter()
                    .filter(|(p, f)| f.root == analysed.root && **p != path)
                    .map(|(_, f)| f.report.clone())
                    .collect();
                let external = state.external.clone();
                let convention = state.index.convention(&analysed.root).cloned();
                let analysed_ref = &analysed;
                let mut analyse = |candidate: &str| {
                    let analysis = crate::analysis::analyze(
                        &path,
                        Arc::from(candidate),
                        &*vfs,
                        Some(analysed_ref.root.clone()),
                        &analysed_ref.config.connect_keys,
                    );
                    let report = crate::rules::check_file(&analysis, &analysed_ref.config);
                    let mut all: Vec<&crate::rules::FileReport> =
                        others.iter().map(|r| &**r).collect();
                    all.push(&report);
                    let cross = crate::rules::cross_file_findings_for(
                        &report,
                        &all,
                        &analysed_ref.config,
                        &external,
                    );
                    let mut findings =
                        crate::rules::merged(&report.findings, cross, &analysed_ref.config);
                    if let Some(decision) = &convention {
                        crate::rules::apply_convention(&mut findings, decision.active);
                    }
                    let summaries: Vec<&crate::rules::AppSummary> =
                        all.iter().map(|r| &r.summary).collect();
                    let ports = crate::features::occupied::app_ports(
                        &analysis.dir.app_dir,
                        &analysis.dir.app_name,
                        &summaries,
                        &analysed_ref.config,
                        &external,
                    );
                    Some((findings, ports))
                };
                let fixed =
                    ide::actions::fix_all(&path, &text, &read, &analysed.config, &mut analyse);
                if fixed != *text {
                    let whole = crate::syntax::TextRange::new(0, text.len());
                    let edit = ide::actions::Edit {
                        path: path.clone(),
                        range: whole,
                        text: fixed,
                    };
                    let edit = to_proto::workspace_edit(&[edit], &path, &here, &*vfs)?;
                    actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                        title: "Fix all safe portos-lsp findings".into(),
                        kind: Some(CodeActionKind::new(FIX_ALL_KIND)),
                        edit: Some(edit),
                        ..CodeAction::default()
                    }));
                }
            }
            Some(actions)
        });
        Ok(answer.flatten())
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        let position = params.text_document_position;
        let Some((path, analysed)) = self.analysed(&position.text_document.uri).await else {
            return Ok(None);
        };
        let shared = self.shared.clone();
        let answer = guarded("completion", move || {
            let state = lock(&shared.state);
            let open = state.docs.get(&path)?;
            let encoding = state.caps.encoding;
            let offset = open
                .doc
                .offset(from_proto::line_col(position.position), encoding);
            let slot = completion::slot_at(&analysed.analysis, offset)?;
            let ports = state.app_ports(&analysed);
            let offers = ports.offers(&analysed.config, 6);
            let text = to_proto::Text {
                text: open.doc.text(),
                index: open.doc.index(),
                encoding,
            };
            let items = completion::items(&slot, &offers)
                .iter()
                .map(|item| to_proto::completion(item, &text))
                .collect();
            Some(CompletionResponse::List(CompletionList {
                is_incomplete: false,
                items,
            }))
        });
        Ok(answer.flatten())
    }
}
