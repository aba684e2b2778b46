//! Configuration for command-line runs: `--config`/`--no-config`, per-file discovery with a cache, and the
//! opt-in sources of ports held outside the workspace (PortOS's registry, listening sockets).

use crate::config::{self, Config, ConfigError, ConfigSource, ConfigWarning, FileGlobs};
use crate::live::{self, RegistryApp};
use crate::rules::ExternalPorts;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
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

/// Loads each configuration file once, however many files it governs.
pub struct ConfigCache {
    source: ConfigSource,
    by_file: BTreeMap<Option<PathBuf>, Config>,
    warnings: BTreeSet<String>,
}

impl ConfigCache {
    /// A cache for one run.
    pub fn new(source: ConfigSource) -> Self {
        ConfigCache {
            source,
            by_file: BTreeMap::new(),
            warnings: BTreeSet::new(),
        }
    }

    /// The configuration that governs `file`.
    pub fn for_file(&mut self, file: &Path) -> Result<Config, ConfigError> {
        let key = match &self.source {
            ConfigSource::Discover => config::find_config_file(file).map(|f| f.path),
            ConfigSource::Path(path) => Some(path.clone()),
            ConfigSource::None => None,
        };
        if let Some(config) = self.by_file.get(&key) {
            return Ok(config.clone());
        }
        let loaded = config::load_for(file, self.source.clone(), &crate::rules::codes())?;
        self.warnings
            .extend(loaded.warnings.iter().map(ConfigWarning::to_string));
        self.by_file.insert(key, loaded.config.clone());
        Ok(loaded.config)
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
