//! Every ecosystem file the server knows, open or not, by its summary: what cross-file findings, the
//! allocator and hover's "every other user" need, without any file's text or tree.

use super::convention::ConventionDecision;
use super::diagnostics;
use super::outside::Outside;
use super::portos_core::{self, PortosEntries};
use crate::config::Config;
use crate::rules::{AppSummary, FileReport, Finding};
use foldhash::HashMap;
use std::collections::{BTreeMap, BTreeSet};
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
    by_name: foldhash::HashMap<String, FileSet>,
    by_port: foldhash::HashMap<u16, FileSet>,
    /// The files that are PortOS's own (every process `portos-*`): their ports join the core table of their
    /// workspace (spec §12), found without walking every file.
    portos_files: BTreeSet<PathBuf>,
}

impl WorkspaceIndex {
    /// Records (or replaces) what a file yields.
    pub fn upsert(&mut self, path: PathBuf, file: IndexedFile) {
        // A keystroke mostly leaves the names and ports as they were: then their sets stay as they are.
        let same_keys = self
            .files
            .get(&path)
            .is_some_and(|old| same_keys(&old.report.summary, &file.report.summary));
        self.unlink_requires(&path);
        if !same_keys {
            self.unlink_keys(&path);
        }
        for required in &file.requires {
            self.importers
                .entry(required.clone())
                .or_default()
                .insert(path.clone());
        }
        if portos_core::is_portos_file(&file.report.summary) {
            self.portos_files.insert(path.clone());
        }
        if !same_keys {
            self.link_keys(&path, &file);
        }
        self.files.insert(path, file);
    }

    /// Files `file` under each of its process names and served ports.
    fn link_keys(&mut self, path: &Path, file: &IndexedFile) {
        let shared: Arc<Path> = Arc::from(path);
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
    }

    /// Forgets a file (deleted, or no longer an ecosystem file).
    pub fn remove(&mut self, path: &Path) -> Option<IndexedFile> {
        self.unlink(path);
        self.files.remove(path)
    }

    fn unlink(&mut self, path: &Path) {
        self.unlink_requires(path);
        self.unlink_keys(path);
    }

    /// Takes `path` out of the importers of what it requires, and out of PortOS's files.
    fn unlink_requires(&mut self, path: &Path) {
        self.portos_files.remove(path);
        if let Some(old) = self.files.get(path) {
            for required in &old.requires {
                if let Some(set) = self.importers.get_mut(required) {
                    set.remove(path);
                }
            }
        }
    }

    /// Takes `path` out of the sets of its process names and served ports.
    fn unlink_keys(&mut self, path: &Path) {
        if let Some(old) = self.files.get(path) {
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
        // The index keeps one shared copy of each path, so a path is told by its address (comparing paths
        // component by component, once per name and port, was most of the cost for a lone large file).
        let mut seen: foldhash::HashSet<*const u8> = foldhash::HashSet::default();
        let mut sharing: Vec<&Path> = Vec::new();
        let names = file
            .report
            .summary
            .processes
            .iter()
            .filter_map(|p| p.name.as_ref())
            .filter_map(|name| self.by_name.get(name));
        let ports = file
            .report
            .summary
            .served
            .iter()
            .filter_map(|served| self.by_port.get(&served.port));
        for path in names.chain(ports).flat_map(FileSet::iter) {
            if seen.insert(path.as_os_str().as_encoded_bytes().as_ptr()) {
                sharing.push(path);
            }
        }
        sharing.sort_unstable();
        sharing.dedup();
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

/// Whether two summaries of a file name the same processes and serve the same ports (so the name and port
/// sets it is filed under are the same).
fn same_keys(old: &AppSummary, new: &AppSummary) -> bool {
    old.processes
        .iter()
        .map(|p| &p.name)
        .eq(new.processes.iter().map(|p| &p.name))
        && old
            .served
            .iter()
            .map(|s| s.port)
            .eq(new.served.iter().map(|s| s.port))
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
