//! The server's one loop: every piece of background work is a [`Task`] sent here, and this loop alone decides
//! what runs when — ruff's and rust-analyzer's main loops are the models. Tasks that arrive together are
//! handled together, so a burst of edits to one or many documents costs one analysis per document: an edit
//! only marks its document, and a document is analysed for its newest version, one analysis at a time, again
//! once if it changed meanwhile. Analyses, indexing and convention decisions run off the loop (on the
//! blocking pool) from jobs taken under the lock; their results come back here as tasks and are stored. A
//! document whose previous analysis took a few milliseconds at most is analysed on the loop itself (the
//! hop to the pool and back cost more than the work; see [`crate::ide::AnalysisJob::is_quick`]).
//! Diagnostics are published from here, in order, only for the version they were computed from; a document's
//! first publish waits (within a bound) for its workspace's indexing and convention (see [`FirstPublish`]).

use super::first_publish::FirstPublish;
use super::global_state::{Shared, lock};
use super::handlers::registry;
use super::publish::{Sent, diagnostics_of};
use super::{log_stderr, panic_message, to_proto};
use crate::config;
use crate::ide::{AnalysisDone, DocAnalysis, IndexDone};
use foldhash::{HashMap, HashSet};
use std::collections::BTreeSet;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tower_lsp_server::ls_types::{
    DidChangeWatchedFilesRegistrationOptions, FileSystemWatcher, GlobPattern, MessageActionItem,
    MessageType, NumberOrString, Registration, Unregistration,
};

/// The closed set of things the loop does.
pub enum Task {
    /// Analyse the newest version of these open documents (an edit, an open, an invalidation).
    Analyse(Vec<PathBuf>),
    /// An analysis finished (`None`: it failed, caught).
    Analysed {
        /// The document.
        path: PathBuf,
        /// The version analysed.
        version: i32,
        /// The result.
        done: Option<Box<AnalysisDone>>,
    },
    /// Publish these documents' diagnostics if they changed (`None`: every open document).
    Publish(Option<Vec<PathBuf>>),
    /// A document was closed: clear its diagnostics.
    Closed(PathBuf, tower_lsp_server::ls_types::Uri),
    /// Walk these roots (the workspace folders when `None`) and index their ecosystem files.
    Index(Option<Vec<PathBuf>>),
    /// Read these closed files again from disk (or forget them), then refresh what depends on the index.
    Reindex(Vec<PathBuf>),
    /// Files read by an indexing run; `finished` when it was the run's last chunk.
    Indexed {
        /// What each file came to.
        done: Vec<IndexDone>,
        /// Log lines.
        logs: Vec<String>,
        /// For the last chunk of a start-up indexing: how many files, since when, and the run's roots.
        finished: Option<(usize, Instant, Option<Vec<PathBuf>>)>,
        /// Whether to republish, re-watch and decide the convention afterwards (a re-read).
        refresh: bool,
    },
    /// Decide every workspace's convention (spec §9).
    DecideConvention,
    /// Register file watching again if what must be watched changed.
    RefreshWatchers,
    /// The configuration changed: analyse and index everything again.
    RecheckAll,
    /// A file changed (in a buffer or on disk): check the ecosystem files that require it again.
    RecheckImporters(PathBuf),
    /// Read what the configurations ask for from outside (PortOS's registry, listening ports, the PortOS
    /// checkout `portos.root` names); `true` reads everything again.
    ReadOutside(bool),
    /// An outside read finished (`None`: it failed, caught).
    OutsideRead(Option<Box<crate::ide::outside::OutsideDone>>),
}

/// What the loop keeps for itself (no lock needed: only the loop touches it).
#[derive(Default)]
struct LoopState {
    /// Documents whose analysis is running: the version, and the switch that calls it off.
    running: HashMap<PathBuf, (i32, Arc<AtomicBool>)>,
    /// Documents changed while their analysis ran: analysed again when it ends.
    again: HashSet<PathBuf>,
    /// The last diagnostics published per document, to skip repeats and reuse their JSON.
    published: HashMap<PathBuf, Sent>,
    /// The files watched because an ecosystem file requires them, once watching is registered.
    watched: Option<BTreeSet<PathBuf>>,
    /// Whether the start-up indexing has finished: only then is a workspace's convention decided (a partial
    /// index would decide too early).
    indexed: bool,
    /// Indexing runs under way and documents whose first publish waits for them.
    first: FirstPublish,
}

/// Runs `work` and turns a panic into `None`, logged: a bug in one analysis must not take the server down.
pub fn guarded<T>(what: &str, work: impl FnOnce() -> T) -> Option<T> {
    match std::panic::catch_unwind(AssertUnwindSafe(work)) {
        Ok(value) => Some(value),
        Err(panic) => {
            log_stderr(&format!("{what} panicked: {}", panic_message(&panic)));
            None
        }
    }
}

/// The loop: runs until every sender is gone.
pub async fn run(shared: Arc<Shared>, mut inbox: mpsc::UnboundedReceiver<Task>) {
    let mut state = LoopState::default();
    while let Some(first) = inbox.recv().await {
        let mut tasks = vec![first];
        while let Ok(more) = inbox.try_recv() {
            tasks.push(more);
        }
        let mut analyse: BTreeSet<PathBuf> = BTreeSet::new();
        let mut publish: BTreeSet<PathBuf> = BTreeSet::new();
        let mut publish_all = false;
        // Replaced analyses, freed once this round's diagnostics are out (freeing is no part of a reply).
        let mut retired = Vec::new();
        for task in tasks {
            match task {
                Task::Analyse(paths) => analyse.extend(paths),
                Task::Analysed {
                    path,
                    version,
                    done,
                } => {
                    state.running.remove(&path);
                    let affected = stored(
                        &shared,
                        &mut state,
                        path.clone(),
                        version,
                        done,
                        &mut retired,
                    );
                    publish.extend(affected);
                    if state.again.remove(&path) {
                        analyse.insert(path);
                    }
                }
                Task::Publish(Some(paths)) => publish.extend(paths),
                Task::Publish(None) => publish_all = true,
                Task::Closed(path, uri) => {
                    state.published.remove(&path);
                    state.first.forget(&path);
                    shared.write_body(to_proto::publish_body(&uri, None, &[]));
                }
                Task::Index(roots) => {
                    state.first.indexing_started(&roots);
                    tokio::spawn(index_roots(shared.clone(), roots));
                }
                Task::Reindex(paths) => reindex(&shared, paths),
                Task::Indexed {
                    done,
                    logs,
                    finished,
                    refresh,
                } => {
                    for line in logs {
                        shared.log(MessageType::INFO, line);
                    }
                    {
                        let mut global = lock(&shared.state);
                        for done in done {
                            global.host.store_indexed(done);
                        }
                    }
                    if let Some((count, started, roots)) = &finished {
                        state.indexed = true;
                        state.first.indexing_finished(roots);
                        shared.log(
                            MessageType::INFO,
                            format!(
                                "indexed {count} ecosystem files in {} ms",
                                started.elapsed().as_millis()
                            ),
                        );
                    }
                    if finished.is_some() || refresh {
                        publish_all = true;
                        refresh_watchers(&shared, &mut state);
                        decide_conventions(&shared, &state);
                        registry::read_outside(&shared, refresh);
                    }
                }
                Task::DecideConvention => decide_conventions(&shared, &state),
                Task::RefreshWatchers => refresh_watchers(&shared, &mut state),
                Task::RecheckAll => analyse.extend(recheck_all(&shared)),
                Task::RecheckImporters(path) => analyse.extend(recheck_importers(&shared, &path)),
                Task::ReadOutside(refresh) => registry::read_outside(&shared, refresh),
                Task::OutsideRead(done) => registry::store_outside(&shared, done.map(|d| *d)),
            }
        }
        for path in analyse {
            start_analysis(&shared, &mut state, path);
        }
        if publish_all {
            publish.extend(lock(&shared.state).host.open_paths());
        }
        if !publish.is_empty() {
            publish_diagnostics(&shared, &mut state, publish).await;
        }
        if !retired.is_empty() {
            // Where the writer is a task on this worker (a duplex pipe; stdio's is a thread of its own), let it
            // send this round's publish before the freeing.
            tokio::task::yield_now().await;
        }
        drop(retired);
    }
}

/// Starts analysing the newest version of `path` unless its analysis is running (then it runs again once
/// that one ends: a running analysis of an older version is called off, so its parse stops at once and no
/// request or publish waits behind a stale version) or its newest version is analysed already.
fn start_analysis(shared: &Arc<Shared>, state: &mut LoopState, path: PathBuf) {
    if let Some((version, cancel)) = state.running.get(&path) {
        if lock(&shared.state).host.version(&path) != Some(*version) {
            cancel.store(true, Ordering::Relaxed);
        }
        state.again.insert(path);
        return;
    }
    let job = {
        let mut global = lock(&shared.state);
        if !global.host.needs_analysis(&path) {
            return;
        }
        let Some((job, error)) = global.host.analysis_job(&path) else {
            return;
        };
        if let Some(error) = error {
            report_config_error(shared, &mut global, &error);
        }
        job
    };
    let version = job.version();
    state
        .running
        .insert(path.clone(), (version, job.cancel_token()));
    if job.is_quick() {
        // Here, not on the blocking pool: the hop there and back would cost more than the work.
        let done = guarded("analysis", move || job.run()).map(Box::new);
        shared.send(Task::Analysed {
            path,
            version,
            done,
        });
        return;
    }
    let shared = shared.clone();
    tokio::spawn(async move {
        let done = tokio::task::spawn_blocking(move || guarded("analysis", move || job.run()))
            .await
            .ok()
            .flatten()
            .map(Box::new);
        shared.send(Task::Analysed {
            path,
            version,
            done,
        });
    });
}

/// Stores a finished analysis; returns the documents to publish. The analysis it replaces goes to `retired`
/// (or, when large, is freed on the blocking pool).
fn stored(
    shared: &Arc<Shared>,
    state: &mut LoopState,
    path: PathBuf,
    version: i32,
    done: Option<Box<AnalysisDone>>,
    retired: &mut Vec<Arc<DocAnalysis>>,
) -> Vec<PathBuf> {
    let mut global = lock(&shared.state);
    let affected = match done {
        Some(done) => {
            let root = done.root().map(std::path::Path::to_path_buf);
            match global.host.store(*done) {
                Some((affected, previous)) => {
                    retired.extend(free_off_the_loop(previous));
                    // A file whose workspace indexing never saw (opened while it ran, or outside every folder)
                    // still gets its workspace decided, once indexing is over.
                    if state.indexed && root.is_some_and(|root| global.host.undecided(&root)) {
                        shared.send(Task::DecideConvention);
                    }
                    shared.send(Task::RefreshWatchers);
                    affected
                }
                None => Vec::new(),
            }
        }
        None => {
            global.host.analysis_failed(&path, version);
            vec![path]
        }
    };
    drop(global);
    shared.analysed.send_modify(|generation| *generation += 1);
    affected
}

/// A large previous analysis (a 1 MB file's takes milliseconds to free) is freed on the blocking pool; a
/// small one is not worth the hop and is handed back, to be freed after the publish.
fn free_off_the_loop(previous: Option<Arc<DocAnalysis>>) -> Option<Arc<DocAnalysis>> {
    match previous {
        Some(previous) if previous.analysis.model.text().len() > 64 * 1024 => {
            tokio::task::spawn_blocking(move || drop(previous));
            None
        }
        previous => previous,
    }
}

/// A broken project file: a diagnostic on it when it is open (the publisher shows it), else a message
/// naming it, once per distinct error. The last good settings stay in force meanwhile.
pub fn report_config_error(
    shared: &Shared,
    global: &mut super::global_state::GlobalState,
    error: &config::ConfigError,
) {
    let text = error.to_string();
    if !global.shown_errors.insert(text.clone()) {
        return;
    }
    let open = error
        .path
        .as_ref()
        .is_some_and(|p| global.host.is_open(&crate::ide::clean_path(p)));
    let message = format!("{text} (the last good settings stay in force until it is fixed)");
    log_stderr(&message);
    let client = shared.client.clone();
    let show = !open && global.caps.show_message;
    tokio::spawn(async move {
        client
            .log_message(MessageType::ERROR, message.clone())
            .await;
        if show {
            client.show_message(MessageType::ERROR, message).await;
        }
    });
}

/// Sends the diagnostics of `paths` that changed since last published, each computed from its document's
/// current version and tagged with it; a document whose analysis is behind its text is skipped (its analysis
/// will publish it), and so is an analysed document never published while its workspace is being indexed or
/// its convention is undecided (within [`FirstPublish`]'s bound: indexing or the decision publishes it).
async fn publish_diagnostics(
    shared: &Arc<Shared>,
    state: &mut LoopState,
    paths: BTreeSet<PathBuf>,
) {
    let (snapshot, caps, places) = {
        let global = lock(&shared.state);
        let places: Vec<_> = paths
            .iter()
            .map(|p| (global.uris.get(p).cloned(), global.host.in_folders(p)))
            .collect();
        (global.host.snapshot(), global.caps.clone(), places)
    };
    for (path, (uri, in_folders)) in paths.into_iter().zip(places) {
        let Some(uri) = uri else { continue };
        if let Some(decided) = snapshot.convention_decided(&path)
            && !state.published.contains_key(&path)
        {
            let waiting =
                !state.indexed || !decided || state.first.being_indexed(&path, in_folders);
            if state.first.hold(shared, &path, waiting) {
                continue;
            }
        }
        let previous = state.published.get(&path);
        let Some(sent) = guarded("publishing diagnostics", || {
            diagnostics_of(
                &snapshot,
                &path,
                caps.encoding,
                caps.related_information,
                previous,
            )
        })
        .flatten() else {
            continue;
        };
        if previous.is_some_and(|p| p.same_as(&sent)) {
            continue;
        }
        shared.write_body(to_proto::publish_body(&uri, Some(sent.version), &sent.json));
        state.published.insert(path, sent);
    }
}

/// Re-reads everything after a configuration change: returns the open documents to analyse again; closed
/// files are re-indexed.
fn recheck_all(shared: &Arc<Shared>) -> Vec<PathBuf> {
    let (open, closed) = {
        let mut global = lock(&shared.state);
        global.host.configs.invalidate();
        global.shown_errors.clear();
        let open = global.host.open_ecosystem_paths();
        for path in &open {
            global.host.invalidate(path);
        }
        (open, global.host.closed_indexed())
    };
    reindex(shared, closed);
    open
}

/// The ecosystem files that `require` `path`: open ones are returned to analyse again, closed ones re-read.
fn recheck_importers(shared: &Arc<Shared>, path: &std::path::Path) -> Vec<PathBuf> {
    let (open, closed): (Vec<PathBuf>, Vec<PathBuf>) = {
        let mut global = lock(&shared.state);
        let importers = global.host.importers_of(path);
        let (open, closed): (Vec<PathBuf>, Vec<PathBuf>) =
            importers.into_iter().partition(|p| global.host.is_open(p));
        for path in &open {
            global.host.invalidate(path);
        }
        (open, closed)
    };
    if !closed.is_empty() {
        reindex(shared, closed);
    }
    open
}

/// Reads closed files again from disk on the blocking pool; the results come back as [`Task::Indexed`].
fn reindex(shared: &Arc<Shared>, paths: Vec<PathBuf>) {
    let jobs = lock(&shared.state).host.index_jobs(&paths);
    let shared = shared.clone();
    tokio::spawn(async move {
        let (done, logs) = run_index_jobs(jobs).await;
        shared.send(Task::Indexed {
            done,
            logs,
            finished: None,
            refresh: true,
        });
    });
}

/// Runs index jobs on the blocking pool: what each came to, and a log line for each file skipped.
async fn run_index_jobs(jobs: Vec<crate::ide::IndexJob>) -> (Vec<IndexDone>, Vec<String>) {
    tokio::task::spawn_blocking(move || {
        let mut done = Vec::new();
        let mut logs = Vec::new();
        for job in jobs {
            let path = job.path().to_path_buf();
            match guarded("indexing", move || job.run()) {
                Some(IndexDone::Skipped(path, why)) => {
                    logs.push(format!("skipped {}: {why}", path.display()));
                    done.push(IndexDone::Skipped(path, why));
                }
                Some(result) => done.push(result),
                None => done.push(IndexDone::Failed(path)),
            }
        }
        (done, logs)
    })
    .await
    .unwrap_or_default()
}

/// Indexes every ecosystem file below `roots` (the workspace folders when `None`), a chunk at a time, with
/// `$/progress` when it takes longer than a moment. Each chunk is stored by the loop.
async fn index_roots(shared: Arc<Shared>, roots: Option<Vec<PathBuf>>) {
    const CHUNK: usize = 64;
    let started = Instant::now();
    let discover = lock(&shared.state).host.discover_job(roots.clone());
    let (files, logs) = tokio::task::spawn_blocking(move || discover.run())
        .await
        .unwrap_or_default();
    for line in logs {
        shared.log(MessageType::INFO, line);
    }
    let can_progress = lock(&shared.state).caps.progress;
    let mut progress = None;
    let total = files.len().max(1);
    let chunks: Vec<&[PathBuf]> = files.chunks(CHUNK).collect();
    for (at, chunk) in chunks.iter().enumerate() {
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
        let jobs = lock(&shared.state).host.index_jobs(chunk);
        let (done, logs) = run_index_jobs(jobs).await;
        shared.send(Task::Indexed {
            done,
            logs,
            finished: None,
            refresh: false,
        });
        if let Some(progress) = &progress {
            let percent = ((at + 1) * CHUNK).min(total) * 100 / total;
            progress.report(percent as u32).await;
        }
    }
    if let Some(progress) = progress {
        progress.finish().await;
    }
    shared.send(Task::Indexed {
        done: Vec::new(),
        logs: Vec::new(),
        finished: Some((files.len(), started, roots)),
        refresh: false,
    });
}

/// Decides, for every workspace the index knows, whether PortOS's convention applies (spec §9), from the
/// files on disk, on the blocking pool; then republishes the workspaces whose answer changed and asks once
/// per workspace where `auto` left the convention's rules off.
fn decide_conventions(shared: &Arc<Shared>, state: &LoopState) {
    if !state.indexed {
        return;
    }
    let job = lock(&shared.state).host.convention_job();
    let shared = shared.clone();
    tokio::spawn(async move {
        let decisions = tokio::task::spawn_blocking(move || {
            guarded("deciding the convention", move || job.run())
        })
        .await
        .ok()
        .flatten();
        let Some(decisions) = decisions else {
            return;
        };
        let (changed, to_ask) = {
            let mut global = lock(&shared.state);
            let (changed, left_off) = global.host.set_conventions(decisions);
            let mut to_ask = Vec::new();
            if global.caps.show_message {
                for root in left_off {
                    if global.asked.insert(root.clone()) {
                        to_ask.push(root);
                    }
                }
            }
            (changed, to_ask)
        };
        for line in &changed {
            shared.log(MessageType::INFO, line.clone());
        }
        if !changed.is_empty() {
            shared.send(Task::Publish(None));
        }
        for root in to_ask {
            tokio::spawn(ask_convention(shared.clone(), root));
        }
    });
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
            Some(lock(&shared.state).host.project_file_for(&root))
        }
        Ok(Some(item)) if item.title == EVERYWHERE => crate::shells::user_config_file(),
        _ => None,
    };
    let Some(target) = target else {
        return;
    };
    let old = std::fs::read_to_string(&target).unwrap_or_default();
    let codes = crate::ide::rule_codes();
    let written = config::with_convention(&old, config::Convention::Portos, &codes)
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
            shared.send(Task::RecheckAll);
        }
        Err(e) => shared.show(
            MessageType::ERROR,
            format!("could not write {}: {e}", target.display()),
        ),
    }
}

/// Registers file watching for ecosystem files, project files, `package.json` and every file an ecosystem
/// file requires; registered again when that last set changes.
fn refresh_watchers(shared: &Arc<Shared>, state: &mut LoopState) {
    let (wanted, globs) = {
        let mut global = lock(&shared.state);
        if !global.caps.watch_files {
            return;
        }
        let mut wanted = global.host.required_files();
        wanted.extend(global.host.outside_watched());
        if state.watched.as_ref() == Some(&wanted) {
            return;
        }
        (wanted, global.host.extra_globs())
    };
    state.watched = Some(wanted.clone());
    let mut patterns: Vec<String> = vec![
        "**/ecosystem.config.{js,cjs,mjs}".into(),
        "**/ecosystem.*.config.{js,cjs,mjs}".into(),
        "**/pm2.config.{js,cjs,mjs}".into(),
        "**/{ecosystem,pm2}*.{json,json5,yml,yaml}".into(),
        "**/{process,processes}.json".into(),
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
