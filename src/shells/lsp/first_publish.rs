//! A document's first diagnostics wait for its workspace: a file opened the moment the server starts is
//! analysed long before the workspace is indexed and its convention decided, and publishing its own findings
//! then would show the user (and a client comparing with `check`) an answer without the cross-file findings
//! (`port-conflict`, `duplicate-process-name`, …) and under a provisional convention. So the main loop holds
//! a document's first publish until the indexing runs covering it have finished and its workspace's
//! convention is decided, but never longer than [`HOLD_BOUND`] after its analysis is ready: in a huge
//! workspace what is known then is published, and again once indexing is done. Later publishes, requests
//! and every other document are never held.

use super::global_state::Shared;
use super::main_loop::Task;
use foldhash::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tower_lsp_server::ls_types::MessageType;

/// How long a document's first diagnostics may wait for its workspace once its analysis is ready: long
/// enough for a workspace of hundreds of files to be indexed, short enough that nobody stares at a file
/// without diagnostics.
pub const HOLD_BOUND: Duration = Duration::from_secs(2);

/// The loop's bookkeeping for first publishes.
#[derive(Default)]
pub struct FirstPublish {
    /// Indexing runs under way, by their roots (`None`: the workspace folders).
    indexing: Vec<Option<Vec<PathBuf>>>,
    /// Documents whose first publish is held, and since when.
    held: HashMap<PathBuf, Instant>,
}

impl FirstPublish {
    /// An indexing run over `roots` started.
    pub fn indexing_started(&mut self, roots: &Option<Vec<PathBuf>>) {
        self.indexing.push(roots.clone());
    }

    /// An indexing run over `roots` finished.
    pub fn indexing_finished(&mut self, roots: &Option<Vec<PathBuf>>) {
        if let Some(at) = self.indexing.iter().position(|run| run == roots) {
            self.indexing.remove(at);
        }
    }

    /// Whether an indexing run under way covers `path` (`in_folders`: whether it lies in a workspace folder,
    /// which a run over the folders covers).
    pub fn being_indexed(&self, path: &Path, in_folders: bool) -> bool {
        self.indexing.iter().any(|run| match run {
            None => in_folders,
            Some(roots) => roots.iter().any(|root| path.starts_with(root)),
        })
    }

    /// Whether to hold `path`'s first publish now, its workspace `waiting` (not yet indexed or decided). The
    /// first hold starts the bound: when it runs out, the document is published with what is known.
    pub fn hold(&mut self, shared: &Arc<Shared>, path: &Path, waiting: bool) -> bool {
        if !waiting {
            self.held.remove(path);
            return false;
        }
        if let Some(since) = self.held.get(path) {
            if since.elapsed() < HOLD_BOUND {
                return true;
            }
            self.held.remove(path);
            shared.log(
                MessageType::INFO,
                format!(
                    "published {} before its workspace was indexed (still under way after {} s)",
                    path.display(),
                    HOLD_BOUND.as_secs()
                ),
            );
            return false;
        }
        self.held.insert(path.to_path_buf(), Instant::now());
        let shared = shared.clone();
        let path = path.to_path_buf();
        tokio::spawn(async move {
            // A moment past the bound, so the hold has surely run out when the publish arrives.
            tokio::time::sleep(HOLD_BOUND + Duration::from_millis(10)).await;
            shared.send(Task::Publish(Some(vec![path])));
        });
        true
    }

    /// A document was closed: a hold of it ends (reopened, it waits afresh).
    pub fn forget(&mut self, path: &Path) {
        self.held.remove(path);
    }
}
