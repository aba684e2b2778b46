//! Every ecosystem file the server knows, open or not, by its summary: what cross-file findings, the
//! allocator and hover's "every other user" need, without any file's text or tree.

use super::convention::ConventionDecision;
use super::diagnostics;
use super::outside::Outside;
use super::portos_core::{self, PortosEntries};
use crate::config::Config;
use crate::rules::{AppSummary, FileReport, Finding};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One known file.
#[derive(Clone)]
pub struct IndexedFile {
    /// Its summary and suppressions; its own findings only while it is open (a closed file's are never
    /// published, so [`IndexJob`](super::host::IndexJob) drops them).
    pub report: Arc<FileReport>,
    /// Its workspace root: cross-file questions are asked among the files of one root.
    pub root: PathBuf,
    /// The configuration it was checked with.
    pub config: Arc<Config>,
    /// The files its `require`s read (absolute), so an edit to one re-checks it.
    pub requires: Vec<PathBuf>,
}

/// The summaries of a session's ecosystem files and who requires whom. Cloned only when a snapshot still
/// holds the previous state while the host records a change.
#[derive(Clone, Default)]
pub struct WorkspaceIndex {
    files: BTreeMap<PathBuf, IndexedFile>,
    importers: HashMap<PathBuf, BTreeSet<PathBuf>>,
    /// Each workspace root's decision on PortOS's convention (spec §9); a root with none gets every rule.
    conventions: HashMap<PathBuf, ConventionDecision>,
    /// The files naming each process, and serving each port: cross-file findings compare a file with these
    /// alone, so a keystroke costs the same in a workspace of 10 files and of 10,000.
    by_name: HashMap<String, FileSet>,
    by_port: HashMap<u16, FileSet>,
    /// The files that are PortOS's own (every process `portos-*`): their ports join the core table of their
    /// workspace (spec §12), found without walking every file.
    portos_files: BTreeSet<PathBuf>,
}

impl WorkspaceIndex {
    /// Records (or replaces) what a file yields.
    pub fn upsert(&mut self, path: PathBuf, file: IndexedFile) {
        self.unlink(&path);
        let shared: Arc<Path> = Arc::from(path.as_path());
        for required in &file.requires {
            self.importers
                .entry(required.clone())
                .or_default()
                .insert(path.clone());
        }
        for name in file
            .report
            .summary
            .processes
            .iter()
            .filter_map(|p| p.name.clone())
        {
            self.by_name.entry(name).or_default().insert(&shared);
        }
        for served in &file.report.summary.served {
            self.by_port.entry(served.port).or_default().insert(&shared);
        }
        if portos_core::is_portos_file(&file.report.summary) {
            self.portos_files.insert(path.clone());
        }
        self.files.insert(path, file);
    }

    /// Forgets a file (deleted, or no longer an ecosystem file).
    pub fn remove(&mut self, path: &Path) -> Option<IndexedFile> {
        self.unlink(path);
        self.files.remove(path)
    }

    fn unlink(&mut self, path: &Path) {
        self.portos_files.remove(path);
        if let Some(old) = self.files.get(path) {
            for required in &old.requires {
                if let Some(set) = self.importers.get_mut(required) {
                    set.remove(path);
                }
            }
            for name in old
                .report
                .summary
                .processes
                .iter()
                .filter_map(|p| p.name.as_ref())
            {
                if let Some(set) = self.by_name.get_mut(name)
                    && set.remove(path)
                {
                    self.by_name.remove(name);
                }
            }
            for served in &old.report.summary.served {
                if let Some(set) = self.by_port.get_mut(&served.port)
                    && set.remove(path)
                {
                    self.by_port.remove(&served.port);
                }
            }
        }
    }

    /// A known file.
    pub fn get(&self, path: &Path) -> Option<&IndexedFile> {
        self.files.get(path)
    }

    /// Every known file, in path order.
    pub fn iter(&self) -> impl Iterator<Item = (&PathBuf, &IndexedFile)> {
        self.files.iter()
    }

    /// How many files are known.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether no file is known.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The ecosystem files that `require` `path` (directly).
    pub fn importers_of(&self, path: &Path) -> Vec<PathBuf> {
        self.importers
            .get(path)
            .map(|set| set.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// The reports of every file in workspace `root`.
    pub fn reports_in(&self, root: &Path) -> Vec<&FileReport> {
        self.files
            .values()
            .filter(|f| f.root == root)
            .map(|f| &*f.report)
            .collect()
    }

    /// The summaries of every file in workspace `root`.
    pub fn summaries_in(&self, root: &Path) -> Vec<&AppSummary> {
        self.files
            .values()
            .filter(|f| f.root == root)
            .map(|f| &f.report.summary)
            .collect()
    }

    /// The other files of `path`'s workspace that share a process name or a served port with it: the only
    /// ones a cross-file finding can name.
    pub fn sharing(&self, path: &Path) -> Vec<&FileReport> {
        let Some(file) = self.files.get(path) else {
            return Vec::new();
        };
        let mut sharing: BTreeSet<&Path> = BTreeSet::new();
        for name in file
            .report
            .summary
            .processes
            .iter()
            .filter_map(|p| p.name.as_ref())
        {
            sharing.extend(self.by_name.get(name).into_iter().flat_map(FileSet::iter));
        }
        for served in &file.report.summary.served {
            sharing.extend(
                self.by_port
                    .get(&served.port)
                    .into_iter()
                    .flat_map(FileSet::iter),
            );
        }
        sharing
            .into_iter()
            .filter_map(|p| self.files.get(p))
            .filter(|f| f.root == file.root)
            .map(|f| &*f.report)
            .collect()
    }

    /// The findings to show for `path`: its own and its cross-file ones (against the files sharing a name or
    /// a port, so a keystroke costs the same in a workspace of 10 files and of 10,000), without PortOS's
    /// convention where `convention` is false; PortOS's own file joins the core table and the outside reads
    /// (registry, listening ports) are those of the file's configuration.
    pub fn findings(&self, path: &Path, outside: &Outside, convention: bool) -> Vec<Finding> {
        let Some(file) = self.files.get(path) else {
            return Vec::new();
        };
        let config = self.core_config(&file.config, &file.root, outside);
        let external = outside.ports_for(&config, &file.root, &file.report.summary.app_dir);
        let cross = diagnostics::cross_file(&file.report, &self.sharing(path), &config, &external);
        diagnostics::assemble(&file.report, cross, &config, Some(convention))
    }

    /// The core-table entries of the PortOS files indexed in workspace `root`.
    pub fn portos_entries(&self, root: &Path) -> PortosEntries {
        portos_core::workspace_entries(
            self.portos_files
                .iter()
                .filter_map(|p| Some((p.as_path(), self.files.get(p)?)))
                .filter(|(_, f)| f.root == root)
                .map(|(p, f)| (p, &f.report.summary)),
        )
    }

    /// `config` for a file of workspace `root`, PortOS's own file joined to its core table: the workspace's
    /// and the checkout's under `[portos] root`.
    pub fn core_config(&self, config: &Arc<Config>, root: &Path, outside: &Outside) -> Arc<Config> {
        outside.core_config(config, root, &self.portos_entries(root))
    }

    /// Records workspace `root`'s decision on PortOS's convention (from
    /// [`crate::ide::convention::decide`]); [`WorkspaceIndex::findings`] is given it. Returns whether
    /// it changed, i.e. whether the workspace's open files need their diagnostics published again.
    pub fn set_convention(&mut self, root: PathBuf, decision: ConventionDecision) -> bool {
        let changed = self
            .conventions
            .get(&root)
            .is_none_or(|old| old.active != decision.active);
        self.conventions.insert(root, decision);
        changed
    }

    /// Workspace `root`'s decision, when one was recorded (hover's `convention` is its `active`).
    pub fn convention(&self, root: &Path) -> Option<&ConventionDecision> {
        self.conventions.get(root)
    }
}

/// The files naming one process or serving one port, sorted. Most names and ports have one file, so a
/// vector of the index's one shared copy of each path: a B-tree set cost a node of eleven slots and a path
/// of its own per file and key (about 1.5 KB a file, the index's largest part at 10,000 files).
#[derive(Clone, Default)]
struct FileSet(Vec<Arc<Path>>);

impl FileSet {
    fn insert(&mut self, path: &Arc<Path>) {
        if let Err(at) = self.0.binary_search_by(|p| (**p).cmp(path)) {
            self.0.reserve_exact(1);
            self.0.insert(at, path.clone());
        }
    }

    /// Takes `path` out; returns whether the set is now empty (its key can go).
    fn remove(&mut self, path: &Path) -> bool {
        if let Ok(at) = self.0.binary_search_by(|p| (**p).cmp(path)) {
            self.0.remove(at);
        }
        self.0.is_empty()
    }

    fn iter(&self) -> impl Iterator<Item = &Path> {
        self.0.iter().map(|p| &**p)
    }
}
