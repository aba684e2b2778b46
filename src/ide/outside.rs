//! What the host knows from outside the workspace's texts, for every question a snapshot answers: the registry
//! and listening ports per set of access settings ([`ExternalKey`]), and the core-table entries of PortOS's own
//! file in the checkout `[portos] root` names. Read by jobs with no lock held ([`OutsideJob`]); a command-line
//! run reads them once, when first asked ([`Host::external_for`], [`Host::core_config`]).

use super::Host;
use super::external::{External, ExternalKey, ExternalRequest};
use super::portos_core::{self, PortosEntries};
use crate::config::Config;
use crate::rules::{AppSummary, ExternalPorts};
use crate::vfs::Vfs;
use foldhash::HashMap;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The outside reads the host holds.
#[derive(Clone, Default)]
pub struct Outside {
    externals: HashMap<ExternalKey, Arc<External>>,
    /// PortOS checkout directory → its file's entries, or why there are none (no ecosystem file there, or it
    /// could not be read).
    roots: HashMap<PathBuf, Result<Arc<PortosEntries>, String>>,
}

impl Outside {
    /// The ports held outside the workspace as the app in `app_dir` of `workspace` sees them, under `config`.
    pub fn ports_for(&self, config: &Config, workspace: &Path, app_dir: &Path) -> ExternalPorts {
        ExternalKey::of(config, ExternalRequest::default(), workspace)
            .and_then(|key| self.externals.get(&key))
            .map(|external| external.for_app(app_dir))
            .unwrap_or_default()
    }

    /// The entries of PortOS's file under `config`'s `[portos] root`, when it was read.
    pub fn root_entries(&self, config: &Config, workspace: &Path) -> Option<&PortosEntries> {
        let dir = portos_core::root_dir(config, workspace)?;
        self.roots.get(&dir)?.as_deref().ok()
    }

    /// `config` with PortOS's own file joined to its core table: the checkout's under `[portos] root` and
    /// `workspace_entries` (those of the workspace's own PortOS file).
    pub fn core_config(
        &self,
        config: &Arc<Config>,
        workspace: &Path,
        workspace_entries: &PortosEntries,
    ) -> Arc<Config> {
        portos_core::joined(
            config,
            self.root_entries(config, workspace),
            workspace_entries,
        )
    }

    /// The files to watch: each checkout's ecosystem files and its `data/apps.json`.
    pub fn watched(&self) -> BTreeSet<PathBuf> {
        let mut files = BTreeSet::new();
        for dir in self.roots.keys() {
            files.insert(dir.join("ecosystem.config.js"));
            files.insert(dir.join("ecosystem.config.cjs"));
            files.insert(dir.join("data").join("apps.json"));
        }
        files
    }
}

/// Reading what the open and indexed files' configurations ask for from outside, with no lock held.
pub struct OutsideJob {
    keys: Vec<ExternalKey>,
    roots: Vec<(PathBuf, Arc<Config>)>,
    vfs: Arc<dyn Vfs>,
}

/// What an [`OutsideJob`] read.
pub struct OutsideDone {
    externals: Vec<(ExternalKey, External)>,
    roots: Vec<(PathBuf, Result<Arc<PortosEntries>, String>)>,
}

impl OutsideDone {
    /// Every warning of the reads, for the shell's log.
    pub fn warnings(&self) -> Vec<String> {
        self.externals
            .iter()
            .flat_map(|(_, e)| e.warnings.iter().cloned())
            .chain(
                self.roots
                    .iter()
                    .filter_map(|(_, r)| r.as_ref().err().cloned()),
            )
            .collect()
    }
}

impl OutsideJob {
    /// Whether there is nothing to read.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty() && self.roots.is_empty()
    }

    /// Reads each registry and each checkout's PortOS file (analysed as the host analyses any file). `env`
    /// looks up the variables naming PortOS's token, password and mirror port.
    pub fn run(self, env: &dyn Fn(&str) -> Option<String>) -> OutsideDone {
        let externals = self
            .keys
            .into_iter()
            .map(|key| {
                let external = External::read(&key, env, &*self.vfs);
                (key, external)
            })
            .collect();
        let roots = self
            .roots
            .into_iter()
            .map(|(dir, config)| {
                let entries = read_root(&*self.vfs, &dir, &config).map(Arc::new);
                (dir, entries)
            })
            .collect();
        OutsideDone { externals, roots }
    }
}

/// The entries of PortOS's file in checkout `dir`, analysed under `config` (`require` bounded by the checkout),
/// or why there are none, in a sentence naming the setting.
fn read_root(vfs: &dyn Vfs, dir: &Path, config: &Config) -> Result<PortosEntries, String> {
    let unused = "PortOS's ports come from the guide preset alone";
    let path = portos_core::root_file(vfs, dir).ok_or_else(|| {
        format!(
            "portos.root: {} holds no ecosystem.config.js or ecosystem.config.cjs; {unused}",
            dir.display()
        )
    })?;
    let limit = usize::try_from(config.max_file_bytes).unwrap_or(usize::MAX);
    let text = crate::vfs::read_text(vfs, &path, limit)
        .map_err(|why| format!("portos.root: {}: {why}; {unused}", path.display()))?;
    let analysis = Host::analyze_in(vfs, &path, text, config, dir)
        .map_err(|stopped| format!("portos.root: {}: {stopped}; {unused}", path.display()))?;
    let summary = crate::rules::FileCheck::new(&analysis, config).summary();
    Ok(portos_core::entries_of(&path, &summary))
}

impl Host {
    /// What reading from outside takes for every configuration the open and indexed files use: the registry
    /// reads not done yet (all of them with `refresh`), and the PortOS checkouts not read yet.
    pub fn outside_job(&mut self, refresh: bool) -> OutsideJob {
        let mut keys: BTreeSet<ExternalKey> = BTreeSet::new();
        let mut roots: BTreeMap<PathBuf, Arc<Config>> = BTreeMap::new();
        for (config, workspace) in self.configs_in_use() {
            if let Some(key) = ExternalKey::of(&config, ExternalRequest::default(), &workspace)
                && (refresh || !self.outside.externals.contains_key(&key))
            {
                keys.insert(key);
            }
            if let Some(dir) = portos_core::root_dir(&config, &workspace)
                && (refresh || !self.outside.roots.contains_key(&dir))
            {
                roots.entry(dir).or_insert(config);
            }
        }
        OutsideJob {
            keys: keys.into_iter().collect(),
            roots: roots.into_iter().collect(),
            vfs: self.vfs(),
        }
    }

    /// Keeps what an [`OutsideJob`] read.
    pub fn store_outside(&mut self, done: OutsideDone) {
        let outside = Arc::make_mut(&mut self.outside);
        for (key, external) in done.externals {
            outside.externals.insert(key, Arc::new(external));
        }
        for (dir, entries) in done.roots {
            outside.roots.insert(dir, entries);
        }
    }

    /// Forgets what was read from outside (the configuration changed, or a checkout's file did), so the next
    /// job reads it again.
    pub fn forget_outside(&mut self) {
        self.outside = Arc::new(Outside::default());
    }

    /// The files the editor should watch for the outside reads.
    pub fn outside_watched(&self) -> BTreeSet<PathBuf> {
        self.outside.watched()
    }

    /// The configuration of every open ecosystem file and indexed file, with its workspace: what the outside
    /// reads are for.
    fn configs_in_use(&mut self) -> Vec<(Arc<Config>, PathBuf)> {
        let mut seen: Vec<(Arc<Config>, PathBuf)> = Vec::new();
        let mut push = |config: Arc<Config>, root: PathBuf| {
            if !seen
                .iter()
                .any(|(c, r)| *r == root && (Arc::ptr_eq(c, &config) || **c == *config))
            {
                seen.push((config, root));
            }
        };
        for (_, file) in self.index.iter() {
            push(file.config.clone(), file.root.clone());
        }
        for path in self.open_ecosystem_paths() {
            let (config, _) = self.configs.for_file_lenient(&path);
            let root = self.root_of(&path);
            push(config, root);
        }
        seen
    }

    /// The outside sources `config` and `request` turn on for a file of `workspace`, read once per host (a
    /// command-line run): every workspace of a run shares one read of the same registry.
    pub fn external_for(
        &mut self,
        config: &Config,
        request: ExternalRequest,
        env: &dyn Fn(&str) -> Option<String>,
        workspace: &Path,
    ) -> Arc<External> {
        let Some(key) = ExternalKey::of(config, request, workspace) else {
            return Arc::new(External::default());
        };
        if let Some(known) = self.outside.externals.get(&key) {
            // Its warnings were handed on with the first read.
            let mut quiet = (**known).clone();
            quiet.warnings.clear();
            return Arc::new(quiet);
        }
        let external = Arc::new(External::read(&key, env, &*self.vfs()));
        Arc::make_mut(&mut self.outside)
            .externals
            .insert(key, external.clone());
        external
    }

    /// `config` with PortOS's own file joined to its core table for a run over `workspace`'s files: the file
    /// among them whose processes are all `portos-*`, and the checkout `[portos] root` names (read through the
    /// analysis once per host; why it could not be read is kept for [`Host::take_outside_warnings`]).
    pub fn core_config<'a>(
        &mut self,
        config: &Arc<Config>,
        workspace: &Path,
        files: impl IntoIterator<Item = (&'a Path, &'a AppSummary)>,
    ) -> Arc<Config> {
        if let Some(dir) = portos_core::root_dir(config, workspace)
            && !self.outside.roots.contains_key(&dir)
        {
            let entries = read_root(&*self.vfs(), &dir, config).map(Arc::new);
            if let Err(why) = &entries {
                self.outside_warnings.push(why.clone());
            }
            Arc::make_mut(&mut self.outside).roots.insert(dir, entries);
        }
        let in_workspace = portos_core::workspace_entries(files);
        self.outside.core_config(config, workspace, &in_workspace)
    }

    /// What reading the PortOS checkout met since last asked (a command-line run prints it as warnings).
    pub fn take_outside_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.outside_warnings)
    }

    /// The outside reads held now, for snapshots.
    pub(super) fn outside(&self) -> Arc<Outside> {
        self.outside.clone()
    }
}
