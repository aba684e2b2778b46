//! Ports held outside the workspace — apps the running PortOS knows, sockets listening on this machine — read
//! through `live` when the configuration or a flag turns them on, once per run. Failures are warnings, never
//! fatal: PortOS not running is a normal state of a developer's machine.

use crate::config::Config;
use crate::live::{self, RegistryApp};
use crate::rules::ExternalPorts;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

/// How long PortOS's registry may take to answer before we go on without it.
pub const REGISTRY_TIMEOUT: Duration = Duration::from_secs(2);

/// Which outside sources to read, beside what the configuration turns on.
#[derive(Clone, Copy, Debug, Default)]
pub struct ExternalRequest {
    /// `--registry`: PortOS's registry even when the configuration leaves it off.
    pub registry: bool,
    /// `--live-ports`: the listening sockets even when the configuration leaves them off.
    pub live_ports: bool,
}

/// What was read, for every app of a run.
#[derive(Default)]
pub struct External {
    apps: Vec<RegistryApp>,
    listening: BTreeSet<u16>,
    /// What could not be read, for the shell to print as warnings.
    pub warnings: Vec<String>,
}

impl External {
    /// Reads the sources `config` and `request` enable. `token` looks up the environment variable that holds
    /// PortOS's token (only a shell reads the environment).
    pub fn fetch(
        config: &Config,
        request: ExternalRequest,
        token: &dyn Fn(&str) -> Option<String>,
    ) -> Self {
        let mut external = External::default();
        if config.portos.registry || request.registry {
            let token = token(&config.portos.token_env);
            match live::fetch_apps(&config.portos.api_url, token.as_deref(), REGISTRY_TIMEOUT) {
                Ok(apps) => external.apps = apps,
                Err(e) => external.warnings.push(e.to_string()),
            }
        }
        if config.portos.live_ports || request.live_ports {
            match live::listening_ports() {
                Ok(ports) => external.listening = ports,
                Err(e) => external.warnings.push(e.to_string()),
            }
        }
        external
    }

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
