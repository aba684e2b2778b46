//! What the server shares between its handlers and its main loop: the analysis host and what only the
//! protocol knows (the client's capabilities, each document's URI), behind one lock that survives a panic.
//! No guard is held across an `.await`, and nothing is parsed or analysed under it: handlers apply edits and
//! take snapshots; the work runs elsewhere.

use super::main_loop::Task;
use crate::config::ConfigSource;
use crate::ide::{Encoding, Host, Snapshot};
use foldhash::HashMap;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::{mpsc, watch};
use tower_lsp_server::Client;
use tower_lsp_server::ls_types::{MessageType, Uri};

/// Locks a mutex, taking it over if a panic poisoned it: the state is still the last consistent one, since
/// every mutation is a single assignment made after the work that could fail.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// What the client said it can do.
#[derive(Clone, Debug, Default)]
pub struct ClientCaps {
    /// The negotiated position encoding.
    pub encoding: Encoding,
    /// Hover in Markdown.
    pub markdown_hover: bool,
    /// `relatedInformation` on diagnostics.
    pub related_information: bool,
    /// Dynamic registration of `workspace/didChangeWatchedFiles`.
    pub watch_files: bool,
    /// `workspace/configuration` pulls.
    pub configuration: bool,
    /// `window/workDoneProgress`.
    pub progress: bool,
    /// `window/showMessage`.
    pub show_message: bool,
}

/// The state behind the lock.
pub struct GlobalState {
    /// The analysis host: documents, index, configuration, file system.
    pub host: Host,
    /// What the client can do.
    pub caps: ClientCaps,
    /// The client's URI of each open document (a diagnostic names the document as the client did).
    pub uris: HashMap<PathBuf, Uri>,
    /// Configuration errors already shown, so one broken file is not announced on every keystroke.
    pub shown_errors: BTreeSet<String>,
    /// Workspaces indexed for files opened outside every workspace folder.
    pub extra_roots: BTreeSet<PathBuf>,
    /// Workspaces already asked whether to use PortOS's convention (once per workspace, spec §9).
    pub asked: BTreeSet<PathBuf>,
    /// `initializationOptions`, kept to layer `workspace/configuration` answers over.
    pub init_options: serde_json::Value,
    /// The problems of the last outside read (PortOS down, refused, …): each is logged once, not on every read.
    pub outside_logged: BTreeSet<String>,
    /// Whether an outside read is running, and whether another was asked for meanwhile.
    pub outside_busy: bool,
    /// Read everything again once the running read ends.
    pub outside_again: bool,
}

impl GlobalState {
    fn new() -> Self {
        let mut host = Host::on_disk(ConfigSource::Discover);
        host.configs
            .set_user_file(crate::shells::user_config_file());
        GlobalState {
            host,
            caps: ClientCaps::default(),
            uris: HashMap::default(),
            shown_errors: BTreeSet::new(),
            extra_roots: BTreeSet::new(),
            asked: BTreeSet::new(),
            init_options: serde_json::Value::Null,
            outside_logged: BTreeSet::new(),
            outside_busy: false,
            outside_again: false,
        }
    }
}

/// What every handler and the main loop share.
pub struct Shared {
    /// The client handle, for notifications and requests to the client.
    pub client: Client,
    /// The state.
    pub state: Mutex<GlobalState>,
    /// The main loop's inbox.
    tasks: mpsc::UnboundedSender<Task>,
    /// Bumped whenever an analysis is stored or fails: requests waiting for one watch it.
    pub analysed: watch::Sender<u64>,
    /// Set when `shutdown` is answered, so the framing loop knows which exit code `exit` means.
    pub shut_down: Arc<AtomicBool>,
    /// The framed output, for bodies serialised here rather than by tower-lsp-server's client (which turns
    /// every message into a `serde_json::Value` first: a third of a keystroke's publish). Weak, so the
    /// output ends when the framing loop lets go of it.
    output: mpsc::WeakUnboundedSender<Vec<u8>>,
}

impl Shared {
    /// The shared state and the receiving end of the main loop's inbox.
    pub fn new(
        client: Client,
        shut_down: Arc<AtomicBool>,
        output: mpsc::WeakUnboundedSender<Vec<u8>>,
    ) -> (Arc<Self>, mpsc::UnboundedReceiver<Task>) {
        let (tasks, inbox) = mpsc::unbounded_channel();
        let (analysed, _) = watch::channel(0);
        let shared = Arc::new(Shared {
            client,
            state: Mutex::new(GlobalState::new()),
            tasks,
            analysed,
            shut_down,
            output,
        });
        (shared, inbox)
    }

    /// Writes a message body the server serialised itself; `false` when the output is gone.
    pub fn write_body(&self, body: Vec<u8>) -> bool {
        self.output
            .upgrade()
            .is_some_and(|output| output.send(body).is_ok())
    }

    /// Hands a task to the main loop.
    pub fn send(&self, task: Task) {
        let _ = self.tasks.send(task);
    }

    /// A snapshot of the host, taken under the lock.
    pub fn snapshot(&self) -> Snapshot {
        lock(&self.state).host.snapshot()
    }

    /// Logs a message to the client (warnings and errors also to stderr). Informational lines go to the
    /// client's log only: editors such as Neovim show every stderr line as an error.
    pub fn log(&self, kind: MessageType, message: String) {
        if kind != MessageType::INFO && kind != MessageType::LOG {
            super::log_stderr(&message);
        }
        let client = self.client.clone();
        tokio::spawn(async move { client.log_message(kind, message).await });
    }

    /// Shows a message to the user when the client can, and logs it either way.
    pub fn show(&self, kind: MessageType, message: String) {
        let can_show = lock(&self.state).caps.show_message;
        self.log(kind, message.clone());
        if can_show {
            let client = self.client.clone();
            tokio::spawn(async move { client.show_message(kind, message).await });
        }
    }
}
