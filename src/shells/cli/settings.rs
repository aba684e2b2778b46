//! Configuration for command-line runs: `--config`/`--no-config`, per-file discovery with a cache, and the
//! opt-in sources of ports held outside the workspace (PortOS's registry, listening sockets).

use crate::config::{self, Config, ConfigError, ConfigSource, ConfigWarning, FileGlobs};
use crate::live::{self, RegistryApp};
use crate::rules::ExternalPorts;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// How long PortOS's registry may take to answer before we go on without it.
pub const REGISTRY_TIMEOUT: Duration = Duration::from_secs(2);

/// Flags that choose the configuration and the opt-in port sources.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct ConfigChoice {
    /// Use this configuration file instead of discovering `portos-lsp.toml` upward from each file.
    #[arg(long, value_name = "PATH", conflicts_with = "no_config")]
    pub config: Option<PathBuf>,
    /// Use the built-in defaults only.
    #[arg(long)]
    pub no_config: bool,
    /// Also treat the ports of apps registered in the running PortOS as taken (`[portos] registry`).
    #[arg(long)]
    pub registry: bool,
}

impl ConfigChoice {
    /// The source the flags ask for.
    pub fn source(&self) -> ConfigSource {
        match (&self.config, self.no_config) {
            (Some(path), _) => ConfigSource::Path(path.clone()),
            (None, true) => ConfigSource::None,
            (None, false) => ConfigSource::Discover,
        }
    }
}

/// Loads each configuration file once, however many files it governs, and remembers per directory which file
/// governs it and which workspace it is in: a run over thousands of files must not stat every ancestor of
/// every file again and again.
pub struct ConfigCache {
    source: ConfigSource,
    by_file: BTreeMap<Option<PathBuf>, Arc<Config>>,
    /// What the ancestors of a directory hold, for directories met as parents (a handful per run, not one
    /// entry per app).
    above: HashMap<PathBuf, Markers>,
    warnings: BTreeSet<String>,
}

/// The nearest project file and the nearest `.git` at or above a directory.
#[derive(Clone, Debug, Default)]
struct Markers {
    config: Option<PathBuf>,
    git: Option<PathBuf>,
}

impl ConfigCache {
    /// A cache for one run.
    pub fn new(source: ConfigSource) -> Self {
        ConfigCache {
            source,
            by_file: BTreeMap::new(),
            above: HashMap::new(),
            warnings: BTreeSet::new(),
        }
    }

    /// The configuration that governs `file`.
    pub fn for_file(&mut self, file: &Path) -> Result<Arc<Config>, ConfigError> {
        let key = match &self.source {
            ConfigSource::Discover => self.markers_of_file(file).config,
            ConfigSource::Path(path) => Some(path.clone()),
            ConfigSource::None => None,
        };
        if let Some(config) = self.by_file.get(&key) {
            return Ok(config.clone());
        }
        let loaded = config::load_for(file, self.source.clone(), &crate::rules::codes())?;
        self.warnings
            .extend(loaded.warnings.iter().map(ConfigWarning::to_string));
        let config = Arc::new(loaded.config);
        self.by_file.insert(key, config.clone());
        Ok(config)
    }

    /// The workspace root of `file` (spec §1): the nearest directory with a project file, else with `.git`,
    /// else the file's own directory; absolute, without `.` or `..`.
    pub fn workspace_root(&mut self, file: &Path) -> PathBuf {
        let markers = self.markers_of_file(file);
        let dir = crate::model::normalize(file)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        markers
            .config
            .as_deref()
            .and_then(Path::parent)
            .map(Path::to_path_buf)
            .or(markers.git)
            .unwrap_or(dir)
    }

    fn markers_of_file(&mut self, file: &Path) -> Markers {
        let absolute = crate::model::normalize(file);
        match absolute.parent() {
            Some(dir) => self.markers_of_dir(dir, false),
            None => Markers::default(),
        }
    }

    /// The markers at or above `dir`; `remember` caches the answer (done for parents, not for every leaf).
    fn markers_of_dir(&mut self, dir: &Path, remember: bool) -> Markers {
        if let Some(known) = self.above.get(dir) {
            return known.clone();
        }
        let inherited = match dir.parent() {
            Some(parent) => self.markers_of_dir(parent, true),
            None => Markers::default(),
        };
        let has_config = config::CONFIG_FILE_NAMES
            .iter()
            .any(|name| dir.join(name).is_file());
        let markers = Markers {
            config: if has_config {
                config::find_config_file(dir).map(|f| f.path)
            } else {
                inherited.config
            },
            git: if dir.join(".git").exists() {
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
}

/// The extra ecosystem-file globs that apply below `dir`, matched relative to its workspace root.
pub fn file_globs_for(dir: &Path) -> impl Fn(&Path) -> bool + use<> {
    let root = crate::config::workspace_root(dir);
    let globs = config::load_for(dir, ConfigSource::Discover, &crate::rules::codes())
        .map(|l| FileGlobs::new(&l.config.files))
        .unwrap_or_else(|_| FileGlobs::new(&[]));
    move |path: &Path| {
        if globs.is_empty() {
            return false;
        }
        let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        globs.matches(absolute.strip_prefix(&root).unwrap_or(&absolute))
    }
}

/// Ports held outside the workspace, fetched once per run.
pub struct External {
    apps: Vec<RegistryApp>,
    listening: BTreeSet<u16>,
}

impl External {
    /// What one app sees: the registry minus its own entry, and the listening sockets.
    pub fn for_app(&self, app_dir: &Path) -> ExternalPorts {
        ExternalPorts {
            registry: if self.apps.is_empty() {
                BTreeMap::new()
            } else {
                live::reserved_ports(&self.apps, Some(app_dir))
            },
            listening: self.listening.clone(),
        }
    }
}

/// Reads the opt-in sources the configuration or flags enable. Failures are warnings on stderr, never fatal.
pub fn external_ports(config: &Config, registry_flag: bool, live_flag: bool) -> External {
    let mut external = External {
        apps: Vec::new(),
        listening: BTreeSet::new(),
    };
    if config.portos.registry || registry_flag {
        let token = std::env::var(&config.portos.token_env).ok();
        match live::fetch_apps(&config.portos.api_url, token.as_deref(), REGISTRY_TIMEOUT) {
            Ok(apps) => external.apps = apps,
            Err(e) => eprintln!("warning: {e}"),
        }
    }
    if config.portos.live_ports || live_flag {
        match live::listening_ports() {
            Ok(ports) => external.listening = ports,
            Err(e) => eprintln!("warning: {e}"),
        }
    }
    external
}

impl ConfigCache {
    /// The size limit for files governed by `path`'s configuration (5 MB by default; a broken
    /// configuration is reported when the file is checked, so the default applies here).
    pub fn max_file_bytes(&mut self, path: &Path) -> usize {
        self.for_file(path)
            .map(|c| c.max_file_bytes)
            .unwrap_or(config::DEFAULT_MAX_FILE_BYTES)
            .try_into()
            .unwrap_or(usize::MAX)
    }
}
