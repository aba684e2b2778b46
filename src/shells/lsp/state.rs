//! The server's state: open documents, the workspace index, configuration, what the client can do. Behind one
//! lock that survives a panic (a poisoned lock is taken over, not failed); no guard is held across an
//! `.await`, and analysis runs outside the lock on a snapshot.

use crate::analysis::Analysis;
use crate::config::{Config, ConfigSource};
use crate::ide::index::IndexedFile;
use crate::ide::{ConfigCache, Document, WorkspaceIndex};
use crate::rules::{self, ExternalPorts, FileReport};
use crate::syntax::Encoding;
use crate::vfs::{DiskVfs, Overlay, Vfs};
use crate::workspace;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use tower_lsp_server::ls_types::{Diagnostic, Uri};

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

/// What kind of file an open document is to us.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocKind {
    /// An ecosystem file: analysed, diagnosed.
    Ecosystem,
    /// A `portos-lsp.toml`: validated, and its buffer governs configuration.
    Config,
    /// Anything else: held in the overlay (a `require`d `ports.cjs`), never diagnosed.
    Other,
}

/// One file's analysis for one version of its text.
pub struct DocAnalysis {
    /// The version analysed.
    pub version: i32,
    /// The analysis.
    pub analysis: Analysis,
    /// Its per-file findings and summary.
    pub report: Arc<FileReport>,
    /// The configuration used.
    pub config: Arc<Config>,
    /// The workspace root used.
    pub root: PathBuf,
}

/// An open document.
pub struct OpenDoc {
    /// The client's URI for it.
    pub uri: Uri,
    /// Text, version, tree.
    pub doc: Document,
    /// What it is to us.
    pub kind: DocKind,
    /// The newest analysis, if any.
    pub analysed: Option<Arc<DocAnalysis>>,
    /// Why it is not analysed (too big, binary), when it is not.
    pub not_analysed: Option<String>,
}

/// Everything the server knows.
pub struct State {
    /// Open buffers over the disk; every read of the analysis goes through it.
    pub overlay: Arc<Overlay>,
    /// Project files and editor settings.
    pub configs: ConfigCache,
    /// Open documents by normalised path.
    pub docs: HashMap<PathBuf, OpenDoc>,
    /// Every ecosystem file's summary.
    pub index: WorkspaceIndex,
    /// The workspace folders.
    pub folders: Vec<PathBuf>,
    /// What the client can do.
    pub caps: ClientCaps,
    /// Ports held outside the workspace (registry, listening sockets), when enabled.
    pub external: ExternalPorts,
    /// The last diagnostics published per document, to skip repeats.
    pub published: HashMap<PathBuf, (Option<i32>, Vec<Diagnostic>)>,
    /// Documents whose analysis is running.
    pub running: HashSet<PathBuf>,
    /// Documents changed while their analysis was running.
    pub dirty: HashSet<PathBuf>,
    /// Configuration errors already shown, so one broken file is not announced on every keystroke.
    pub shown_errors: BTreeSet<String>,
    /// The files watched for changes because an ecosystem file requires them.
    pub watched_requires: BTreeSet<PathBuf>,
    /// Whether file watching was registered with the client.
    pub watchers_registered: bool,
    /// Workspaces indexed for files opened outside every workspace folder.
    pub extra_roots: BTreeSet<PathBuf>,
    /// Workspaces already asked whether to use PortOS's convention (once per workspace, spec §9).
    pub asked: BTreeSet<PathBuf>,
    /// Whether the start-up indexing has finished: only then is a workspace's convention decided (a partial
    /// index would decide too early).
    pub indexed: bool,
}

impl State {
    /// A fresh state over the disk.
    pub fn new() -> Self {
        let disk: Arc<dyn Vfs> = Arc::new(DiskVfs::new());
        let overlay = Arc::new(Overlay::new(disk));
        let vfs: Arc<dyn Vfs> = overlay.clone();
        let mut configs = ConfigCache::new(vfs, ConfigSource::Discover);
        configs.set_user_file(crate::shells::user_config_file());
        State {
            configs,
            overlay,
            docs: HashMap::new(),
            index: WorkspaceIndex::default(),
            folders: Vec::new(),
            caps: ClientCaps::default(),
            external: ExternalPorts::default(),
            published: HashMap::new(),
            running: HashSet::new(),
            dirty: HashSet::new(),
            shown_errors: BTreeSet::new(),
            watched_requires: BTreeSet::new(),
            watchers_registered: false,
            extra_roots: BTreeSet::new(),
            asked: BTreeSet::new(),
            indexed: false,
        }
    }

    /// The vfs analyses read.
    pub fn vfs(&self) -> Arc<dyn Vfs> {
        self.overlay.clone()
    }

    /// The workspace of a file: the innermost workspace folder holding it, else (no folder, or outside all
    /// of them) the nearest ancestor with a project file or `.git`, else its directory (spec §1).
    pub fn root_of(&mut self, path: &Path) -> PathBuf {
        self.folders
            .iter()
            .filter(|f| path.starts_with(f))
            .max_by_key(|f| f.components().count())
            .cloned()
            .unwrap_or_else(|| self.configs.workspace_root(path))
    }

    /// Whether `path` is an ecosystem file: by name or by the configuration's extra globs.
    pub fn is_ecosystem(&mut self, path: &Path) -> bool {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if workspace::is_ecosystem_name(name) {
            return true;
        }
        let (config, _) = self.configs.for_file_lenient(path);
        if config.files.is_empty() {
            return false;
        }
        let root = self.root_of(path);
        let globs = config.file_globs();
        globs.matches(path.strip_prefix(&root).unwrap_or(path))
    }

    /// Records a file's analysis in the index (its summary, root, config and the files it requires).
    pub fn index_file(&mut self, path: &Path, analysed: &DocAnalysis) {
        let vfs = self.vfs();
        let requires = analysed.analysis.model.files[1..]
            .iter()
            .map(|f| vfs.normalize(&f.path))
            .collect();
        self.index.upsert(
            path.to_path_buf(),
            IndexedFile {
                report: analysed.report.clone(),
                root: analysed.root.clone(),
                config: analysed.config.clone(),
                requires,
            },
        );
    }

    /// The open ecosystem documents in workspace `root`.
    pub fn open_in(&self, root: &Path) -> Vec<PathBuf> {
        self.docs
            .iter()
            .filter(|(_, d)| d.kind == DocKind::Ecosystem)
            .filter(|(path, d)| {
                d.analysed.as_ref().is_none_or(|a| a.root == root)
                    || self.index.get(path).is_some_and(|f| f.root == root)
            })
            .map(|(path, _)| path.clone())
            .collect()
    }

    /// The allocator's view of an analysed file's app, from every summary of its workspace: what completion
    /// and quick fixes offer.
    pub fn app_ports(&self, analysed: &DocAnalysis) -> crate::features::occupied::AppPorts {
        let summaries = self.index.summaries_in(&analysed.root);
        crate::features::occupied::app_ports(
            &analysed.analysis.dir.app_dir,
            &analysed.analysis.dir.app_name,
            &summaries,
            &analysed.config,
            &self.external,
        )
    }

    /// The findings to publish for an open document, when its analysis is of its current version.
    pub fn findings_of(&mut self, path: &Path) -> Option<(i32, Vec<rules::Finding>)> {
        let open = self.docs.get(path)?;
        let analysed = open.analysed.clone()?;
        if analysed.version != open.doc.version {
            return None;
        }
        let mut findings = self.index.findings(path, &self.external);
        if self.index.convention(&analysed.root).is_none() {
            // Until the workspace is indexed and decided, a provisional answer from what is at hand — the
            // setting, a project file, this file's own signs — so a plain PM2 file does not flash PortOS's
            // findings for the moment indexing takes.
            let active = match analysed.config.convention {
                crate::config::Convention::Portos => true,
                crate::config::Convention::Plain => false,
                crate::config::Convention::Auto => {
                    analysed.config.portos.registry
                        || self.configs.config_file_of(path).is_some()
                        || crate::ide::convention::signal_of(path, &analysed.report.summary)
                            .is_some()
                }
            };
            rules::apply_convention(&mut findings, active);
        }
        Some((analysed.version, findings))
    }
}

/// What an analysis needs, taken under the lock and used outside it.
pub struct Snapshot {
    /// The document's path.
    pub path: PathBuf,
    /// Its text, version and tree.
    pub input: crate::ide::document::ParseInput,
    /// The configuration.
    pub config: Arc<Config>,
    /// The workspace root.
    pub root: PathBuf,
    /// Where `require` reads.
    pub vfs: Arc<dyn Vfs>,
}

impl Snapshot {
    /// Parses (incrementally where it can), analyses and checks. Pure: touches nothing shared.
    pub fn compute(self) -> (DocAnalysis, crate::syntax::SyntaxTree) {
        let (parsed, tree) = self.input.parse();
        let analysis = crate::ide::analyze_parsed(
            &*self.vfs,
            &self.path,
            self.input.text.clone(),
            parsed,
            &self.config,
            &self.root,
        );
        let report = Arc::new(rules::check_file(&analysis, &self.config));
        (
            DocAnalysis {
                version: self.input.version,
                analysis,
                report,
                config: self.config,
                root: self.root,
            },
            tree,
        )
    }
}
