//! Configuration for command-line runs: `--config`/`--no-config`/`--registry`, and the disk-backed host they
//! choose.

use crate::config::ConfigSource;
use crate::ide::Host;
use crate::ide::external::ExternalRequest;
use std::path::PathBuf;

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
    /// An analysis host over the disk, with configuration files as the flags ask: the project file
    /// (discovered, `--config`, or none with `--no-config`) over the user-level file (none with `--no-config`
    /// either). A one-shot run remembers each directory's markers: the disk does not change under it.
    pub fn host(&self) -> Host {
        let mut host = Host::on_disk(self.source());
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

    /// The outside sources the flags turn on (`--live-ports` is `next`'s alone).
    pub fn external(&self, live_ports: bool) -> ExternalRequest {
        ExternalRequest {
            registry: self.registry,
            live_ports,
        }
    }
}

/// Reads an environment variable (PortOS's token): the host never reads the environment itself.
pub fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}
