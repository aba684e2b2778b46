//! Request and notification handlers, one small file per feature. Each request starts the same way
//! ([`at`]): the document's path, a snapshot in which its current version is analysed, and its text for
//! positions; then it asks the snapshot and converts the answer with `to_proto`.

pub mod code_action;
pub mod completion;
pub mod documents;
pub mod hover;
pub mod lifecycle;
pub mod navigation;
pub mod registry;
pub mod symbols;
pub mod workspace;
pub mod workspace_ports;

use super::from_proto;
use super::global_state::{ClientCaps, Shared, lock};
use super::main_loop::Task;
use super::to_proto;
use crate::ide::{LineIndex, Snapshot};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tower_lsp_server::ls_types::{Position, Uri};

/// How long a request waits for its document's current analysis when an older one can answer it: a hover on a
/// buffer whose parse runs to its budget is still answered within a second.
const WAIT_WITH_AN_ANSWER: Duration = Duration::from_millis(900);

/// How long a request waits for its document's first analysis, when nothing else could answer it.
const WAIT_FOR_A_FIRST_ANSWER: Duration = Duration::from_secs(10);

/// A request on an open document, ready to be answered.
pub struct At {
    /// The document's path.
    pub path: PathBuf,
    /// The host's state, the document's current version analysed (unless its analysis failed).
    pub snapshot: Snapshot,
    /// The document's text and line index, for positions.
    pub text: Arc<str>,
    /// Its line index.
    pub index: Arc<LineIndex>,
    /// What the client can do.
    pub caps: ClientCaps,
}

impl At {
    /// The byte offset of a position, clamped to the text.
    pub fn offset(&self, position: Position) -> usize {
        self.index
            .offset(
                &self.text,
                from_proto::line_col(position),
                self.caps.encoding,
            )
            .unwrap_or(self.text.len())
    }

    /// The text for converting offsets back to positions.
    pub fn proto(&self) -> to_proto::Text<'_> {
        to_proto::Text {
            text: &self.text,
            index: &self.index,
            encoding: self.caps.encoding,
        }
    }
}

/// Where every per-document request starts: `None` for a URI that is not a file, or a document that is not
/// open.
pub async fn at(shared: &Arc<Shared>, uri: &Uri) -> Option<At> {
    let path = from_proto::path(uri)?;
    let snapshot = ready(shared, &path).await;
    let (text, index) = snapshot.text(&path)?;
    snapshot.version(&path)?;
    let caps = lock(&shared.state).caps.clone();
    Some(At {
        path,
        snapshot,
        text,
        index,
        caps,
    })
}

/// A snapshot in which `path`'s current version is analysed: when it is not yet, the main loop is asked to
/// and the request waits for it (every request is answered against all the changes received before it).
/// An analysis that fails, runs over its budget or takes too long is not waited for: the answer comes from
/// the last good analysis, or nothing.
pub async fn ready(shared: &Arc<Shared>, path: &Path) -> Snapshot {
    let mut generation = shared.analysed.subscribe();
    let started = tokio::time::Instant::now();
    loop {
        let snapshot = shared.snapshot();
        if !snapshot.pending(path) {
            return snapshot;
        }
        let patience = match snapshot.answering(path) {
            Some(_) => WAIT_WITH_AN_ANSWER,
            None => WAIT_FOR_A_FIRST_ANSWER,
        };
        let deadline = started + patience;
        shared.send(Task::Analyse(vec![path.to_path_buf()]));
        match tokio::time::timeout_at(deadline, generation.changed()).await {
            Ok(Ok(())) => continue,
            _ => return snapshot,
        }
    }
}

/// Runs a request's work on the blocking pool (code actions re-analyse, references read closed files), a
/// panic turned into `None`.
pub async fn off_the_loop<T: Send + 'static>(
    what: &'static str,
    work: impl FnOnce() -> Option<T> + Send + 'static,
) -> Option<T> {
    tokio::task::spawn_blocking(move || super::main_loop::guarded(what, work))
        .await
        .ok()
        .flatten()
        .flatten()
}
