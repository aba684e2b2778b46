//! Configuration for every file of a run or a session: discovery through the Vfs with a cache, editor
//! settings layered on top, and the last good settings kept while a project file is broken.

use crate::config::{self, Config, ConfigError, ConfigLayer, ConfigSource, FileGlobs};
use crate::vfs::Vfs;
use foldhash::HashMap;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Loads each configuration file once, however many files it governs, and remembers per directory which file
/// governs it and which workspace it is in: a run over thousands of files must not stat every ancestor of
/// every file again and again. The server invalidates it when a project file changes.
pub struct ConfigCache {
    vfs: Arc<dyn Vfs>,
    source: ConfigSource,
    editor: ConfigLayer,
    /// Where the user-level file is (the shell reads `XDG_CONFIG_HOME` / `HOME`; the core never does), and
    /// its settings once read.
    user_file: Option<PathBuf>,
    user: Option<Result<ConfigLayer, ConfigError>>,
    by_file: BTreeMap<Option<PathBuf>, Result<Arc<Config>, ConfigError>>,
    /// The last configuration that loaded from each project file, kept in force while the file is broken
    /// (so typing in it does not flood the workspace with findings).
    last_good: HashMap<Option<PathBuf>, Arc<Config>>,
    /// What a directory and its ancestors hold: for every directory met as a parent, and for files' own
    /// directories too when [`ConfigCache::remember_leaves`] says so.
    above: HashMap<PathBuf, Markers>,
    /// Whether a file's own directory is remembered as well: a one-shot run asks about each file three times
    /// (configuration, workspace root, convention), while the editor must notice a `git init` in an app's
    /// directory, which it does not watch.
    remember_leaves: bool,
    /// Files' own directories' markers while a run of questions about them is held (see
    /// [`ConfigCache::hold_leaves`]); `None` when none is.
    held_leaves: Option<HashMap<PathBuf, Markers>>,
    /// The project files' warnings as the command line prints them (paths relative to the working directory).
    warnings: BTreeSet<String>,
    /// Directories the command line named: the workspace of a file below one is at least that directory
    /// (spec §1), so `check ~/projects` asks cross-file questions across every repository in it.
    named_dirs: Vec<PathBuf>,
}

/// The nearest project file and the nearest `.git` at or above a directory.
#[derive(Clone, Debug, Default)]
struct Markers {
    config: Option<PathBuf>,
    git: Option<PathBuf>,
}

impl ConfigCache {
    /// A cache reading project files as `source` says, through `vfs`.
    pub fn new(vfs: Arc<dyn Vfs>, source: ConfigSource) -> Self {
        ConfigCache {
            vfs,
            source,
            editor: ConfigLayer::default(),
            user_file: None,
            user: None,
            by_file: BTreeMap::new(),
            last_good: HashMap::default(),
            above: HashMap::default(),
            remember_leaves: false,
            held_leaves: None,
            warnings: BTreeSet::new(),
            named_dirs: Vec::new(),
        }
    }

    /// Remembers files' own directories too, for a run that ends before the disk can change under it (the
    /// command line): a workspace of one file per directory asked the disk for each of them three times.
    pub fn remember_leaves(&mut self) {
        self.remember_leaves = true;
    }

    /// Keeps files' own directories' markers until [`ConfigCache::release_leaves`]: the questions one
    /// analysis asks about its file (configuration, workspace root, project file) see one disk, instead of
    /// asking it the same four questions three or four times per keystroke.
    pub fn hold_leaves(&mut self) {
        self.held_leaves = Some(HashMap::default());
    }

    /// Ends what [`ConfigCache::hold_leaves`] began: the next question reads the disk again (the editor must
    /// notice a `git init` in an app's directory, which it does not watch).
    pub fn release_leaves(&mut self) {
        self.held_leaves = None;
    }

    /// Records a directory the user named (absolute, normalised): every file below it has a workspace at
    /// least that big.
    pub fn add_named_dir(&mut self, dir: PathBuf) {
        if !self.named_dirs.contains(&dir) {
            self.named_dirs.push(dir);
        }
    }

    /// The extra ecosystem-file globs below `dir` from the configuration this cache reads: the user-level
    /// file's and the project file's (found upward, or the `--config` file), or none at all (`--no-config`).
    pub fn file_globs(&mut self, dir: &Path) -> impl Fn(&Path) -> bool + use<> {
        let user = self
            .user_layer()
            .map(|layer| layer.files)
            .unwrap_or_default();
        globs_matcher(&self.vfs, dir, self.source.clone(), user)
    }

    /// Sets the editor's settings (highest precedence) and where the project file comes from.
    pub fn set_editor(&mut self, editor: ConfigLayer, source: ConfigSource) {
        self.editor = editor;
        self.source = source;
        self.invalidate();
    }

    /// Sets where the user-level file is (`$XDG_CONFIG_HOME/portos-lsp/config.toml`, else
    /// `~/.config/portos-lsp/config.toml`, as the shell found it): its settings lie between the defaults and
    /// the project file. A missing file is no error; `--no-config` ([`ConfigSource::None`]) ignores it.
    pub fn set_user_file(&mut self, path: Option<PathBuf>) {
        self.user_file = path;
        self.invalidate();
    }

    /// The user-level file in force: the one set, unless every file is ignored (`--no-config`).
    pub fn user_file(&self) -> Option<&Path> {
        match self.source {
            ConfigSource::None => None,
            _ => self.user_file.as_deref(),
        }
    }

    /// The user-level file's settings (read once), or its error; nothing when there is none.
    fn user_layer(&mut self) -> Result<ConfigLayer, ConfigError> {
        let Some(path) = self.user_file().map(Path::to_path_buf) else {
            return Ok(ConfigLayer::default());
        };
        if let Some(known) = &self.user {
            return known.clone();
        }
        let read =
            config::read_user_file(&*self.vfs, &path, &crate::rules::codes()).map(|loaded| {
                let loaded = loaded.unwrap_or_else(config::LoadedConfig::defaults);
                self.warnings.extend(
                    loaded
                        .warnings
                        .iter()
                        .map(|w| w.shown_with(&|p| super::inputs::shown(&*self.vfs, p))),
                );
                loaded.layer
            });
        self.user = Some(read.clone());
        read
    }

    /// Forgets every loaded file and every directory's markers (a project file or the user-level file was
    /// created, changed or deleted); the last good configurations are kept.
    pub fn invalidate(&mut self) {
        self.user = None;
        self.by_file.clear();
        self.above.clear();
        self.warnings.clear();
    }

    /// The project file that governs `file`, if any.
    pub fn config_file_of(&mut self, file: &Path) -> Option<PathBuf> {
        match &self.source {
            ConfigSource::Discover => self.markers_of_file(file).config,
            ConfigSource::Path(path) => Some(path.clone()),
            ConfigSource::None => None,
        }
    }

    /// The configuration that governs `file`, or the error in its project file.
    pub fn for_file(&mut self, file: &Path) -> Result<Arc<Config>, ConfigError> {
        let key = self.config_file_of(file);
        if let Some(config) = self.by_file.get(&key) {
            return config.clone();
        }
        let user = match self.user_layer() {
            Ok(user) => user,
            Err(error) => {
                self.by_file.insert(key, Err(error.clone()));
                return Err(error);
            }
        };
        let loaded = config::load_for(
            &*self.vfs,
            file,
            self.source.clone(),
            &crate::rules::codes(),
        )
        .map(|loaded| {
            self.warnings.extend(
                loaded
                    .warnings
                    .iter()
                    .map(|w| w.shown_with(&|p| super::inputs::shown(&*self.vfs, p))),
            );
            Arc::new(Config::layered(&[&user, &loaded.layer, &self.editor]))
        });
        if let Ok(config) = &loaded {
            self.last_good.insert(key.clone(), config.clone());
        }
        self.by_file.insert(key, loaded.clone());
        loaded
    }

    /// The configuration for `file` as the editor uses it: a broken project file keeps its last good
    /// settings in force (defaults and editor settings when there never was one), and the error is returned
    /// beside it for the shell to show.
    pub fn for_file_lenient(&mut self, file: &Path) -> (Arc<Config>, Option<ConfigError>) {
        match self.for_file(file) {
            Ok(config) => (config, None),
            Err(error) => {
                let key = self.config_file_of(file);
                let user = self.user_layer().unwrap_or_default();
                let config = self
                    .last_good
                    .get(&key)
                    .cloned()
                    .unwrap_or_else(|| Arc::new(Config::layered(&[&user, &self.editor])));
                (config, Some(error))
            }
        }
    }

    /// The workspace root of `file` (spec §1): the nearest directory with a project file, else with `.git`,
    /// else the file's own directory; absolute, without `.` or `..`. A directory the command line named
    /// that holds the file widens it: the workspace is at least that directory.
    pub fn workspace_root(&mut self, file: &Path) -> PathBuf {
        let markers = self.markers_of_file(file);
        let absolute = self.vfs.normalize(file);
        let dir = absolute.parent().map(Path::to_path_buf).unwrap_or_default();
        let found = markers
            .config
            .as_deref()
            .and_then(Path::parent)
            .map(Path::to_path_buf)
            .or(markers.git)
            .unwrap_or(dir);
        // Every named directory holding the file is an ancestor of it, as `found` is: the widest one wins.
        self.named_dirs
            .iter()
            .filter(|named| absolute.starts_with(named) && found.starts_with(named))
            .min_by_key(|named| named.components().count())
            .cloned()
            .unwrap_or(found)
    }

    fn markers_of_file(&mut self, file: &Path) -> Markers {
        let absolute = self.vfs.normalize(file);
        let Some(dir) = absolute.parent() else {
            return Markers::default();
        };
        if let Some(held) = self.held_leaves.as_ref().and_then(|held| held.get(dir)) {
            return held.clone();
        }
        let markers = self.markers_of_dir(dir, self.remember_leaves);
        if let Some(held) = &mut self.held_leaves {
            held.insert(dir.to_path_buf(), markers.clone());
        }
        markers
    }

    /// The markers at or above `dir`; `remember` keeps the answer (always for parents).
    fn markers_of_dir(&mut self, dir: &Path, remember: bool) -> Markers {
        if let Some(known) = self.above.get(dir) {
            return known.clone();
        }
        let inherited = match dir.parent() {
            Some(parent) => self.markers_of_dir(parent, true),
            None => Markers::default(),
        };
        let found = config::config_in_dir(&*self.vfs, dir);
        let markers = Markers {
            config: found.map(|f| f.path).or(inherited.config),
            git: if self.vfs.exists(&dir.join(".git")) {
                Some(dir.to_path_buf())
            } else {
                inherited.git
            },
        };
        if remember {
            self.above.insert(dir.to_path_buf(), markers.clone());
        }
        markers
    }

    /// Warnings from every configuration file read, once each.
    pub fn warnings(&self) -> impl Iterator<Item = &String> {
        self.warnings.iter()
    }

    /// The size limit for files governed by `path`'s configuration (5 MB by default; a broken
    /// configuration is reported when the file is checked, so the default applies here).
    pub fn max_file_bytes(&mut self, path: &Path) -> usize {
        self.for_file(path)
            .map(|c| c.max_file_bytes)
            .unwrap_or(config::DEFAULT_MAX_FILE_BYTES)
            .try_into()
            .unwrap_or(usize::MAX)
    }

    /// The file system this cache reads.
    pub fn vfs(&self) -> &Arc<dyn Vfs> {
        &self.vfs
    }
}

/// The extra ecosystem-file globs that apply below `dir` from the project file found upward, matched
/// relative to its workspace root.
pub fn file_globs_for(vfs: &Arc<dyn Vfs>, dir: &Path) -> impl Fn(&Path) -> bool + use<> {
    globs_matcher(vfs, dir, ConfigSource::Discover, Vec::new())
}

/// The extra ecosystem-file globs of the configuration `source` gives for `dir` (after `first`), matched
/// relative to the workspace root of `dir`.
fn globs_matcher(
    vfs: &Arc<dyn Vfs>,
    dir: &Path,
    source: ConfigSource,
    first: Vec<String>,
) -> impl Fn(&Path) -> bool + use<> {
    let root = config::workspace_root(&**vfs, dir);
    let mut all = first;
    if let Ok(loaded) = config::load_for(&**vfs, dir, source, &crate::rules::codes()) {
        all.extend(loaded.config.files);
    }
    let globs = FileGlobs::new(&all);
    let vfs = vfs.clone();
    move |path: &Path| {
        if globs.is_empty() {
            return false;
        }
        let absolute = vfs.normalize(path);
        globs.matches(absolute.strip_prefix(&root).unwrap_or(&absolute))
    }
}
