//! The analysis host: the one mutable owner of everything the analysis reads — the file system with its overlay
//! of open buffers, the configuration cache, the open documents and the workspace index. Shells change it
//! (open, edit, close, index) and ask it for a [`Snapshot`], an immutable view that answers every question
//! from a consistent state with no lock held (rust-analyzer's `AnalysisHost` / `Analysis` split).
//!
//! Work that costs (parsing, analysing, reading files) is never done by the host itself while a shell holds
//! it: it hands out jobs ([`AnalysisJob`], [`IndexJob`], [`ConventionJob`]) that run anywhere and whose
//! results it stores.

use super::convention::{self, ConventionDecision};
use super::document::{Change, Document, KeptTree};
use super::index::{IndexedFile, WorkspaceIndex};
use super::outside::Outside;
use super::snapshot::{OpenView, Snapshot};
use super::{ConfigCache, diagnostics};
use crate::analysis::{self, Analysis};
use crate::config::{Config, ConfigError, ConfigLayer, ConfigSource, Convention};
use crate::rules::FileReport;
use crate::syntax::{Budget, Encoding, Stopped};
use crate::vfs::{Overlay, Vfs};
use crate::workspace;
use foldhash::HashMap;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

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

/// One version of an open ecosystem file, analysed: immutable, shared by every request on that version.
pub struct DocAnalysis {
    /// The version analysed.
    pub version: i32,
    /// The analysis (its model holds the version's one tree).
    pub analysis: Analysis,
    /// Its per-file findings and summary.
    pub report: Arc<FileReport>,
    /// The configuration used.
    pub config: Arc<Config>,
    /// The workspace root used.
    pub root: PathBuf,
    /// Whether PortOS's convention applies until the workspace is decided (its setting, a project file, the
    /// file's own signs), so a plain PM2 file does not flash PortOS's findings while indexing runs.
    pub provisional_convention: bool,
    /// How long the analysis took (zero for an indexed file): the next version's job is run where it is
    /// asked for when this was short (see [`AnalysisJob::is_quick`]).
    pub took: std::time::Duration,
}

/// The longest previous analysis after which a document's next one counts as quick ([`AnalysisJob::is_quick`]).
pub const QUICK_ANALYSIS: std::time::Duration = std::time::Duration::from_millis(4);

/// The largest text whose analysis may count as quick: a large file's analysis can turn slow with one edit.
const QUICK_TEXT_BYTES: usize = 128 * 1024;

/// An open document as the host keeps it.
pub(super) struct OpenDocument {
    pub(super) doc: Document,
    pub(super) kind: DocKind,
    pub(super) analysed: Option<Arc<DocAnalysis>>,
    /// Why the buffer is not analysed (too big, binary), when it is not.
    pub(super) not_analysed: Option<String>,
    /// A version whose analysis failed (a bug caught): requests stop waiting for it.
    pub(super) failed: Option<i32>,
    /// A version whose parse ran over its budget, and the note saying so: its last good analysis stays in
    /// force, and requests answer from it at once.
    pub(super) stalled: Option<(i32, String)>,
}

/// The host: see the module's docs.
pub struct Host {
    /// Open buffers over the file system; every read of the analysis goes through it.
    overlay: Arc<Overlay>,
    /// The file system below the buffers: the convention is decided from it alone.
    disk: Arc<dyn Vfs>,
    /// Project files and editor settings.
    pub configs: ConfigCache,
    docs: HashMap<PathBuf, OpenDocument>,
    pub(super) index: Arc<WorkspaceIndex>,
    /// What was read from outside the workspace's texts: PortOS's registry, listening ports, the PortOS
    /// checkout `[portos] root` names.
    pub(super) outside: Arc<Outside>,
    /// What reading from outside met in a command-line run, not yet handed to the shell.
    pub(super) outside_warnings: Vec<String>,
    folders: Vec<PathBuf>,
    /// Files of the workspace left out of the context of a run, and why (see [`Host::context_reports`]).
    pub(super) context_problems: BTreeSet<(PathBuf, String)>,
}

impl Host {
    /// A host reading `disk` (the real disk, or memory in tests) under an overlay of open buffers, with
    /// project files chosen by `source`.
    pub fn new(disk: Arc<dyn Vfs>, source: ConfigSource) -> Self {
        let overlay = Arc::new(Overlay::new(disk.clone()));
        let vfs: Arc<dyn Vfs> = overlay.clone();
        Host {
            configs: ConfigCache::new(vfs, source),
            overlay,
            disk,
            docs: HashMap::default(),
            index: Arc::new(WorkspaceIndex::default()),
            outside: Arc::new(Outside::default()),
            outside_warnings: Vec::new(),
            folders: Vec::new(),
            context_problems: BTreeSet::new(),
        }
    }

    /// A host over the real disk.
    pub fn on_disk(source: ConfigSource) -> Self {
        Self::new(Arc::new(crate::vfs::DiskVfs::new()), source)
    }

    /// Where every read goes: the open buffers, then the file system.
    pub fn vfs(&self) -> Arc<dyn Vfs> {
        self.overlay.clone()
    }

    /// The file system below the buffers.
    pub fn disk(&self) -> &Arc<dyn Vfs> {
        &self.disk
    }

    /// `path` absolute, without `.` or `..`, as the host keys files.
    pub fn normalize(&self, path: &Path) -> PathBuf {
        self.overlay.normalize(path)
    }

    /// How `path` is shown to the user: relative to the working directory when it is below it (no `./`),
    /// else as given — one spelling for every output of the command line.
    pub fn shown(&self, path: &Path) -> PathBuf {
        super::inputs::shown(&*self.overlay, path)
    }

    /// The configuration governing `path`, or its project file's error as the command line prints it (the
    /// file named relative to the working directory).
    pub fn config_for(&mut self, path: &Path) -> Result<Arc<Config>, String> {
        let config = self.configs.for_file(path);
        config.map_err(|e| e.shown_with(&|p| self.shown(p)))
    }

    /// Whether `path` is a directory.
    pub fn is_dir(&self, path: &Path) -> bool {
        self.overlay.is_dir(path)
    }

    /// Lays `text` over the file at `path` (stdin judged as that file, an editor buffer).
    pub fn set_buffer(&mut self, path: &Path, text: Arc<str>) {
        self.overlay.set(self.normalize(path), text);
    }

    /// Sets the editor's settings (highest precedence) and where project files come from.
    pub fn set_editor_settings(&mut self, layer: ConfigLayer, source: ConfigSource) {
        self.configs.set_editor(layer, source);
    }

    /// The workspace folders an editor named.
    pub fn folders(&self) -> &[PathBuf] {
        &self.folders
    }

    /// Adds a workspace folder.
    pub fn add_folder(&mut self, folder: PathBuf) {
        if !self.folders.contains(&folder) {
            self.folders.push(folder);
        }
    }

    /// Removes a workspace folder and forgets the files indexed under it.
    pub fn remove_folder(&mut self, folder: &Path) {
        self.folders.retain(|f| f != folder);
        let gone: Vec<PathBuf> = self
            .index
            .iter()
            .filter(|(p, f)| p.starts_with(folder) || f.root == folder)
            .map(|(p, _)| p.clone())
            .collect();
        let index = Arc::make_mut(&mut self.index);
        for file in gone {
            index.remove(&file);
        }
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

    /// Whether `path` lies inside one of the workspace folders.
    pub fn in_folders(&self, path: &Path) -> bool {
        self.folders.iter().any(|f| path.starts_with(f))
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

    /// What kind of file `path` is to us.
    pub fn kind_of(&mut self, path: &Path) -> DocKind {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if crate::config::CONFIG_FILE_NAMES.contains(&name) {
            DocKind::Config
        } else if self.is_ecosystem(path) {
            DocKind::Ecosystem
        } else {
            DocKind::Other
        }
    }

    // --- open documents ---

    /// Opens a document (replacing one open at that path). Returns its kind.
    pub fn open(&mut self, path: PathBuf, version: i32, text: &str) -> DocKind {
        let kind = self.kind_of(&path);
        self.overlay.set(path.clone(), Arc::from(text));
        self.docs.insert(
            path.clone(),
            OpenDocument {
                doc: Document::new(path.clone(), version, text),
                kind,
                analysed: None,
                not_analysed: None,
                failed: None,
                stalled: None,
            },
        );
        self.check_size(&path);
        kind
    }

    /// Applies an editor's changes to an open document at once (parsing and analysis follow, for the newest
    /// version only). Returns its kind, `None` when it is not open.
    pub fn change(
        &mut self,
        path: &Path,
        version: i32,
        changes: &[Change],
        encoding: Encoding,
    ) -> Option<DocKind> {
        let open = self.docs.get_mut(path)?;
        open.doc.apply(version, changes, encoding);
        let kind = open.kind;
        self.overlay
            .set(path.to_path_buf(), open.doc.text().clone());
        self.check_size(path);
        Some(kind)
    }

    /// Closes a document: its disk copy shows again. Returns its kind when it was open.
    pub fn close(&mut self, path: &Path) -> Option<DocKind> {
        self.overlay.remove(path);
        self.docs.remove(path).map(|d| d.kind)
    }

    /// Refuses an ecosystem buffer that is too large or binary (`not-analysed`), and takes it out of the
    /// index meanwhile.
    fn check_size(&mut self, path: &Path) {
        let Some(kind) = self.docs.get(path).map(|d| d.kind) else {
            return;
        };
        if kind != DocKind::Ecosystem {
            return;
        }
        let (config, _) = self.configs.for_file_lenient(path);
        let Some(open) = self.docs.get_mut(path) else {
            return;
        };
        let refused = refusal(open.doc.text(), config.max_file_bytes);
        if refused.is_some() {
            open.analysed = None;
            Arc::make_mut(&mut self.index).remove(path);
        }
        if let Some(open) = self.docs.get_mut(path) {
            open.not_analysed = refused;
        }
    }

    /// Why an open document is not analysed, when it is not.
    pub fn not_analysed(&self, path: &Path) -> Option<&str> {
        self.docs.get(path)?.not_analysed.as_deref()
    }

    /// Whether `path` is open.
    pub fn is_open(&self, path: &Path) -> bool {
        self.docs.contains_key(path)
    }

    /// The kind of an open document.
    pub fn open_kind(&self, path: &Path) -> Option<DocKind> {
        self.docs.get(path).map(|d| d.kind)
    }

    /// Every open document's path.
    pub fn open_paths(&self) -> Vec<PathBuf> {
        self.docs.keys().cloned().collect()
    }

    /// The open ecosystem files.
    pub fn open_ecosystem_paths(&self) -> Vec<PathBuf> {
        self.docs
            .iter()
            .filter(|(_, d)| d.kind == DocKind::Ecosystem)
            .map(|(p, _)| p.clone())
            .collect()
    }

    /// Forgets an open document's analysis, so the next request or task recomputes it (its configuration,
    /// or a file it requires, changed).
    pub fn invalidate(&mut self, path: &Path) {
        if let Some(open) = self.docs.get_mut(path) {
            open.analysed = None;
        }
    }

    /// Whether an open ecosystem document's newest version still needs analysing (it is not analysed, not
    /// refused, and did not fail).
    pub fn needs_analysis(&self, path: &Path) -> bool {
        let Some(open) = self.docs.get(path) else {
            return false;
        };
        open.kind == DocKind::Ecosystem
            && open.not_analysed.is_none()
            && open.failed != Some(open.doc.version)
            && open
                .stalled
                .as_ref()
                .is_none_or(|(v, _)| *v != open.doc.version)
            && open
                .analysed
                .as_ref()
                .is_none_or(|a| a.version != open.doc.version)
    }

    /// What analysing the newest version of an open ecosystem document takes, to run with no lock held; the
    /// error of a broken project file beside it (its last good settings are used meanwhile). `None` when
    /// the document is not an analysable ecosystem file.
    pub fn analysis_job(&mut self, path: &Path) -> Option<(AnalysisJob, Option<ConfigError>)> {
        let open = self.docs.get(path)?;
        if open.kind != DocKind::Ecosystem || open.not_analysed.is_some() {
            return None;
        }
        let input = open.doc.parse_input();
        self.configs.hold_leaves();
        let (config, error) = self.configs.for_file_lenient(path);
        let root = self.root_of(path);
        // Reused only under the settings and workspace it was made with.
        let reuse = self
            .docs
            .get(path)
            .and_then(|open| open.analysed.as_ref())
            .filter(|previous| {
                previous.root == root
                    && (Arc::ptr_eq(&previous.config, &config) || *previous.config == *config)
            })
            .map(|previous| {
                (
                    (previous.analysis.reuse(), Some(previous.report.clone())),
                    previous.took <= QUICK_ANALYSIS && input.text.len() <= QUICK_TEXT_BYTES,
                )
            })
            .unwrap_or_default();
        let (reuse, quick) = reuse;
        let provisional = match config.convention {
            Convention::Portos => true,
            Convention::Plain => false,
            Convention::Auto => {
                config.portos.registry || self.configs.config_file_of(path).is_some()
            }
        };
        self.configs.release_leaves();
        Some((
            AnalysisJob {
                path: path.to_path_buf(),
                input,
                budget: config.parse_budget(),
                config,
                root,
                vfs: self.vfs(),
                provisional,
                reuse,
                quick,
                cancel: Arc::new(AtomicBool::new(false)),
            },
            error,
        ))
    }

    /// Keeps an analysis when it is of the document's current version, and indexes it. Returns the open
    /// ecosystem documents whose findings may have changed (every open file of its workspace: cross-file
    /// findings), `None` when the analysis was stale. A large previous analysis is returned to be freed
    /// elsewhere (a 1 MB file's takes milliseconds).
    pub fn store(
        &mut self,
        done: AnalysisDone,
    ) -> Option<(Vec<PathBuf>, Option<Arc<DocAnalysis>>)> {
        let AnalysisDone {
            path,
            version,
            outcome,
        } = done;
        let open = self.docs.get_mut(&path)?;
        if open.doc.version != version {
            return None;
        }
        let (analysed, tree) = match outcome {
            Ok(done) => done,
            // Over budget: the last good analysis stays, with a note; the document is published again.
            Err(stopped @ Stopped::OverBudget { .. }) => {
                open.stalled = Some((version, stopped.to_string()));
                return Some((vec![path], None));
            }
            Err(Stopped::Cancelled) => return None,
        };
        open.doc.keep_tree(analysed.version, tree);
        let analysed = Arc::new(analysed);
        let previous = open.analysed.replace(analysed.clone());
        self.index_analysis(&path, &analysed);
        let mut affected = self.open_in(&analysed.root);
        if !affected.contains(&path) {
            affected.push(path);
        }
        Some((affected, previous))
    }

    /// Records that the analysis of `version` failed (a bug, caught): nothing waits for it any more.
    pub fn analysis_failed(&mut self, path: &Path, version: i32) {
        if let Some(open) = self.docs.get_mut(path)
            && open.doc.version == version
        {
            open.failed = Some(version);
        }
    }

    /// The version of an open document.
    pub fn version(&self, path: &Path) -> Option<i32> {
        Some(self.docs.get(path)?.doc.version)
    }

    /// The open ecosystem documents in workspace `root`.
    fn open_in(&self, root: &Path) -> Vec<PathBuf> {
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

    fn index_analysis(&mut self, path: &Path, analysed: &DocAnalysis) {
        let file = indexed_file(&*self.overlay, analysed);
        Arc::make_mut(&mut self.index).upsert(path.to_path_buf(), file);
    }

    // --- the workspace index ---

    /// What walking `roots` (the workspace folders when `None`) for ecosystem files takes.
    pub fn discover_job(&self, roots: Option<Vec<PathBuf>>) -> DiscoverJob {
        DiscoverJob {
            roots: roots.unwrap_or_else(|| self.folders.clone()),
            vfs: self.vfs(),
        }
    }

    /// What indexing the closed ones of `paths` from disk takes (open documents index their buffers).
    pub fn index_jobs(&mut self, paths: &[PathBuf]) -> Vec<IndexJob> {
        let mut jobs = Vec::new();
        for path in paths {
            if self.docs.contains_key(path) {
                continue;
            }
            let (config, _) = self.configs.for_file_lenient(path);
            let root = self.root_of(path);
            jobs.push(IndexJob {
                path: path.clone(),
                config,
                root,
                vfs: self.vfs(),
            });
        }
        jobs
    }

    /// Stores what indexing found (a file still closed), or forgets a file that could not be read.
    pub fn store_indexed(&mut self, done: IndexDone) {
        match done {
            IndexDone::Indexed(path, file) => {
                if !self.docs.contains_key(&path) {
                    Arc::make_mut(&mut self.index).upsert(path, *file);
                }
            }
            IndexDone::Skipped(path, _) => {
                Arc::make_mut(&mut self.index).remove(&path);
            }
            IndexDone::Failed(_) => {}
        }
    }

    /// Forgets an indexed file (deleted, or no longer an ecosystem file).
    pub fn forget(&mut self, path: &Path) {
        Arc::make_mut(&mut self.index).remove(path);
    }

    /// The indexed files that are not open.
    pub fn closed_indexed(&self) -> Vec<PathBuf> {
        self.index
            .iter()
            .map(|(p, _)| p.clone())
            .filter(|p| !self.docs.contains_key(p))
            .collect()
    }

    /// The indexed files whose directory is `dir` (a `package.json` there names their app).
    pub fn indexed_in_dir(&self, dir: &Path) -> Vec<PathBuf> {
        self.index
            .iter()
            .map(|(p, _)| p.clone())
            .filter(|p| p.parent() == Some(dir))
            .collect()
    }

    /// The ecosystem files that `require` `path` (directly), open or not.
    pub fn importers_of(&self, path: &Path) -> Vec<PathBuf> {
        self.index.importers_of(path)
    }

    /// Every file some ecosystem file requires: what the editor must watch on disk.
    pub fn required_files(&self) -> BTreeSet<PathBuf> {
        self.index
            .iter()
            .flat_map(|(_, f)| f.requires.iter().cloned())
            .collect()
    }

    /// The extra ecosystem-file globs of the first workspace folder's configuration, for watching.
    pub fn extra_globs(&mut self) -> Vec<String> {
        match self.folders.first().map(|f| f.join("ecosystem.config.cjs")) {
            Some(probe) => self.configs.for_file_lenient(&probe).0.files.clone(),
            None => Vec::new(),
        }
    }

    /// Whether a workspace has no decision on PortOS's convention yet.
    pub fn undecided(&self, root: &Path) -> bool {
        self.index.convention(root).is_none()
    }

    // --- PortOS's convention ---

    /// What deciding the convention of every indexed workspace takes: from the files on disk, an open buffer
    /// with unsaved edits counting by its disk copy (so the answer never flickers while someone types).
    pub fn convention_job(&mut self) -> ConventionJob {
        let roots: BTreeSet<PathBuf> = self.index.iter().map(|(_, f)| f.root.clone()).collect();
        let mut workspaces = Vec::new();
        for root in roots {
            let probe = root.join("ecosystem.config.js");
            let (config, _) = self.configs.for_file_lenient(&probe);
            let files: Vec<PathBuf> = self
                .index
                .iter()
                .filter(|(_, f)| f.root == root)
                .map(|(p, _)| p.clone())
                .collect();
            let project_file = std::iter::once(&probe)
                .chain(files.iter())
                .find_map(|path| {
                    convention::project_file_on_disk(&self.disk, &mut self.configs, path)
                });
            let mut open = Vec::new();
            for path in &files {
                if let Some(doc) = self.docs.get(path) {
                    let text = doc.doc.text().clone();
                    let (config, _) = self.configs.for_file_lenient(path);
                    open.push((path.clone(), text, config));
                }
            }
            workspaces.push(WorkspaceConvention {
                root,
                config,
                project_file,
                open,
            });
        }
        ConventionJob {
            workspaces,
            index: self.index.clone(),
            disk: self.disk.clone(),
        }
    }

    /// Records the decisions; returns the workspaces whose answer changed (with a line for the log) and those
    /// `auto` left off (the ones worth a question).
    pub fn set_conventions(
        &mut self,
        decisions: Vec<(PathBuf, ConventionDecision)>,
    ) -> (Vec<String>, Vec<PathBuf>) {
        let mut changed = Vec::new();
        let mut left_off = Vec::new();
        let index = Arc::make_mut(&mut self.index);
        for (root, decision) in decisions {
            if decision.left_off_by_auto() {
                left_off.push(root.clone());
            }
            let line = decision.describe(&root);
            if index.set_convention(root, decision) {
                changed.push(line);
            }
        }
        (changed, left_off)
    }

    /// The project file to write `[app] convention = "portos"` into for workspace `root`.
    pub fn project_file_for(&mut self, root: &Path) -> PathBuf {
        convention::project_file_for(&mut self.configs, root)
    }

    // --- snapshots ---

    /// An immutable view of everything, for answering requests with no lock held.
    pub fn snapshot(&self) -> Snapshot {
        let docs = self
            .docs
            .iter()
            .map(|(path, open)| {
                (
                    path.clone(),
                    OpenView {
                        version: open.doc.version,
                        text: open.doc.text().clone(),
                        index: open.doc.index().clone(),
                        kind: open.kind,
                        analysed: open.analysed.clone(),
                        not_analysed: open.not_analysed.clone(),
                        failed: open.failed == Some(open.doc.version),
                        stalled: open
                            .stalled
                            .as_ref()
                            .filter(|(v, _)| *v == open.doc.version)
                            .map(|(_, why)| why.clone()),
                    },
                )
            })
            .collect();
        Snapshot::new(
            Arc::new(docs),
            self.index.clone(),
            self.outside(),
            self.vfs(),
        )
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

/// The log line for a file whose name suggests an ecosystem file though it does not match.
pub fn near_miss(path: &Path) -> String {
    format!(
        "not an ecosystem file: {} (only ecosystem.config.{{js,cjs,mjs}}, ecosystem.<name>.config.{{js,cjs,mjs}}, pm2.config.{{js,cjs,mjs}}, JSON, JSON5 and YAML files named ecosystem* or pm2*, process.json and processes.json are read; add a glob to `files` in portos-lsp.toml to include it)",
        path.display()
    )
}

/// What the index keeps of an analysis.
fn indexed_file(vfs: &dyn Vfs, analysed: &DocAnalysis) -> IndexedFile {
    let requires = analysed.analysis.model.files[1..]
        .iter()
        .map(|f| vfs.normalize(&f.path))
        .collect();
    IndexedFile {
        report: analysed.report.clone(),
        root: analysed.root.clone(),
        config: analysed.config.clone(),
        requires,
    }
}

/// Analysing one version of an open document, with no lock held: pure, it touches nothing shared.
pub struct AnalysisJob {
    path: PathBuf,
    input: super::document::ParseInput,
    config: Arc<Config>,
    budget: Budget,
    root: PathBuf,
    vfs: Arc<dyn Vfs>,
    provisional: bool,
    /// What the previous analysis of the document kept for this one, and its report (its per-app findings).
    reuse: (analysis::Reuse, Option<Arc<FileReport>>),
    /// Whether it is expected to be quick (see [`AnalysisJob::is_quick`]).
    quick: bool,
    /// Set to call the job off (a newer version arrived): its parse stops at once.
    cancel: Arc<AtomicBool>,
}

/// A finished [`AnalysisJob`], for [`Host::store`].
pub struct AnalysisDone {
    /// The document.
    pub path: PathBuf,
    /// The version analysed.
    pub version: i32,
    /// Its analysis and the unrepaired tree to reuse for the next edit, or why its parse stopped.
    outcome: Result<(DocAnalysis, KeptTree), Stopped>,
}

impl AnalysisDone {
    /// The workspace root of the analysis, when there is one.
    pub fn root(&self) -> Option<&Path> {
        self.outcome.as_ref().ok().map(|(a, _)| a.root.as_path())
    }
}

impl AnalysisJob {
    /// The document.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The version it analyses.
    pub fn version(&self) -> i32 {
        self.input.version
    }

    /// Whether the job may run on the thread that asks for it rather than be handed to another: the previous
    /// version's analysis of the document took at most [`QUICK_ANALYSIS`] and the text is small, so this
    /// one, reusing that analysis, is expected to be quick too, and a hop to another thread and back (two
    /// wake-ups) would be a large part of a keystroke's cost.
    pub fn is_quick(&self) -> bool {
        self.quick
    }

    /// Calls the job off from another thread: once set, its parse stops at its next check.
    pub fn cancel_token(&self) -> Arc<AtomicBool> {
        self.cancel.clone()
    }

    /// Parses (incrementally where it can: the document's one tree for this version, within the budget),
    /// analyses and checks.
    pub fn run(self) -> AnalysisDone {
        let started = std::time::Instant::now();
        let version = self.input.version;
        let budget = self.budget.clone().cancelled_by(self.cancel.clone());
        let outcome = self.input.parse(&budget).map(|(parsed, tree)| {
            let analysis = analysis::analyze_parsed(
                &self.path,
                self.input.text.clone(),
                parsed,
                &*self.vfs,
                Some(self.root.clone()),
                &self.config,
                &budget,
                Some(self.reuse.0),
            );
            let report = Arc::new(diagnostics::report_indexed(
                &analysis,
                &self.config,
                self.input.index.clone(),
                self.reuse.1.as_deref(),
            ));
            let provisional =
                self.provisional || convention::signal_of(&self.path, &report.summary).is_some();
            let analysed = DocAnalysis {
                version,
                analysis,
                report,
                config: self.config,
                root: self.root,
                provisional_convention: provisional,
                took: started.elapsed(),
            };
            (analysed, tree)
        });
        AnalysisDone {
            path: self.path,
            version,
            outcome,
        }
    }
}

/// Indexing one closed ecosystem file from disk, with no lock held.
pub struct IndexJob {
    path: PathBuf,
    config: Arc<Config>,
    root: PathBuf,
    vfs: Arc<dyn Vfs>,
}

/// What indexing a file came to.
pub enum IndexDone {
    /// Its summary.
    Indexed(PathBuf, Box<IndexedFile>),
    /// It could not be read (too large, binary, gone): why, for the log.
    Skipped(PathBuf, String),
    /// Its analysis failed (a bug, caught).
    Failed(PathBuf),
}

impl IndexJob {
    /// Reads, analyses and summarises the file.
    pub fn run(self) -> IndexDone {
        let limit = usize::try_from(self.config.max_file_bytes).unwrap_or(usize::MAX);
        let text = match crate::vfs::read_text(&*self.vfs, &self.path, limit) {
            Ok(text) => text,
            Err(why) => return IndexDone::Skipped(self.path, why),
        };
        let analysis = match analysis::analyze(
            &self.path,
            text,
            &*self.vfs,
            Some(self.root.clone()),
            &self.config,
        ) {
            Ok(analysis) => analysis,
            Err(stopped) => return IndexDone::Skipped(self.path, stopped.to_string()),
        };
        let mut report = diagnostics::report(&analysis, &self.config);
        // Only open documents are published, from their own analysis: a closed file's own findings would
        // never be read, and with their messages and fixes they were most of what the index held.
        report.findings = Vec::new();
        let report = Arc::new(report);
        let analysed = DocAnalysis {
            version: 0,
            analysis,
            report,
            config: self.config,
            root: self.root,
            provisional_convention: false,
            took: std::time::Duration::ZERO,
        };
        let file = indexed_file(&*self.vfs, &analysed);
        IndexDone::Indexed(self.path, Box::new(file))
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// One workspace's inputs to its convention decision.
struct WorkspaceConvention {
    root: PathBuf,
    config: Arc<Config>,
    project_file: Option<PathBuf>,
    /// Open files with their buffers and configurations: where a buffer differs from the disk, the disk
    /// copy counts.
    open: Vec<(PathBuf, Arc<str>, Arc<Config>)>,
}

/// Deciding every indexed workspace's convention, with no lock held (the disk copies of unsaved buffers
/// are read and analysed here).
pub struct ConventionJob {
    workspaces: Vec<WorkspaceConvention>,
    index: Arc<WorkspaceIndex>,
    disk: Arc<dyn Vfs>,
}

impl ConventionJob {
    /// Each workspace's decision.
    pub fn run(self) -> Vec<(PathBuf, ConventionDecision)> {
        let mut decisions = Vec::new();
        for workspace in self.workspaces {
            let root = &workspace.root;
            let unsaved: BTreeMap<&Path, &Arc<Config>> = workspace
                .open
                .iter()
                .filter(|(p, text, _)| self.disk.read(p).ok().as_deref() != Some(text.as_bytes()))
                .map(|(p, _, c)| (p.as_path(), c))
                .collect();
            let reread: Vec<(PathBuf, crate::rules::AppSummary)> = unsaved
                .iter()
                .filter_map(|(path, config)| {
                    let summary = convention::summary_with(&self.disk, config, path, root)?;
                    Some((path.to_path_buf(), summary))
                })
                .collect();
            let known = self
                .index
                .iter()
                .filter(|(path, file)| file.root == *root && !unsaved.contains_key(path.as_path()))
                .map(|(path, file)| (path.as_path(), &file.report.summary));
            let decision = convention::decide(
                &workspace.config,
                workspace.project_file.as_deref(),
                false,
                known.chain(reread.iter().map(|(p, s)| (p.as_path(), s))),
            );
            decisions.push((workspace.root.clone(), decision));
        }
        decisions
    }
}

/// Walking workspace roots for their ecosystem files, with no lock held.
pub struct DiscoverJob {
    roots: Vec<PathBuf>,
    vfs: Arc<dyn Vfs>,
}

impl DiscoverJob {
    /// The ecosystem files below the roots, with the log lines worth writing: directories that could not be
    /// listed, and near-miss names.
    pub fn run(self) -> (Vec<PathBuf>, Vec<String>) {
        let vfs = self.vfs;
        let mut files = Vec::new();
        let mut logs = Vec::new();
        for folder in self.roots {
            let globs = super::file_globs_for(&vfs, &folder);
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
}
