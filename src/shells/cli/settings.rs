//! Configuration for command-line runs: `--config`/`--no-config`, the disk-backed host, and the opt-in sources of ports held outside the workspace (PortOS's registry, listening sockets).

use crate::config::{Config, ConfigSource};
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
    /// Use the built-in defaults only: neither the project file nor the user-level file.
    #[arg(long)]
    pub no_config: bool,
    /// Also treat the ports of apps registered in the running PortOS as taken (`[portos] registry`).
    #[arg(long)]
    pub registry: bool,
}

impl ConfigChoice {
    /// An analysis host over the disk, with configuration files as the flags ask.
    pub fn host(&self) -> crate::ide::Host {
        self.host_over(std::sync::Arc::new(crate::vfs::DiskVfs::new()))
    }

    /// An analysis host over `vfs`, with configuration files as the flags ask: the project file (discovered,
    /// `--config`, or none with `--no-config`) over the user-level file (none with `--no-config` either).
    pub fn host_over(&self, vfs: std::sync::Arc<dyn crate::vfs::Vfs>) -> crate::ide::Host {
        let mut host = crate::ide::Host::new(vfs, self.source());
        host.configs
            .set_user_file(crate::shells::user_config_file());
        host.configs.remember_leaves();
        host
    }

    /// The source the flags ask for.
    pub fn source(&self) -> ConfigSource {
        match (&self.config, self.no_config) {
            (Some(path), _) => ConfigSource::Path(path.clone()),
            (None, true) => ConfigSource::None,
            (None, false) => ConfigSource::Discover,
        }
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
