//! Ports held outside the workspace — apps the running PortOS knows, sockets listening on this machine — read
//! through `live` when the configuration or a flag turns them on. Failures are warnings, never fatal: PortOS
//! not running is a normal state of a developer's machine.
//!
//! PortOS's registry is read from its API (spec §12: the health check, the loopback mirror when its main port
//! serves HTTPS, a bearer token or a password from the variables the configuration names), or, when
//! `[portos] root` names a PortOS checkout, straight from its `data/apps.json`. The same settings ask PortOS to
//! refresh one app (`registry-stale`'s action), on loopback only.

use crate::config::Config;
use crate::live::{self, RegistryApp};
use crate::rules::{ExternalPorts, RegisteredApp};
use crate::vfs::Vfs;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long PortOS may take to answer a whole read (health check, mirror, app list) before we go on without it.
pub const REGISTRY_TIMEOUT: Duration = Duration::from_secs(2);

/// The variable that moves PortOS's loopback HTTP mirror off 5553 (PortOS reads it too).
pub const MIRROR_PORT_ENV: &str = "PORTOS_HTTP_PORT";

/// Which outside sources to read, beside what the configuration turns on.
#[derive(Clone, Copy, Debug, Default)]
pub struct ExternalRequest {
    /// `--registry`: PortOS's registry even when the configuration leaves it off.
    pub registry: bool,
    /// `--live-ports`: the listening sockets even when the configuration leaves them off.
    pub live_ports: bool,
}

/// What decides what an outside read returns: files whose configurations agree on it share one read.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExternalKey {
    /// Read PortOS's registry.
    pub registry: bool,
    /// Read the listening sockets.
    pub live_ports: bool,
    /// `portos.api_url`.
    pub api_url: String,
    /// `portos.token_env`.
    pub token_env: String,
    /// `portos.password_env`.
    pub password_env: String,
    /// `<portos.root>/data/apps.json`, when a root is set.
    pub apps_file: Option<PathBuf>,
}

impl ExternalKey {
    /// The outside read a file of `workspace` under `config` asks for, `None` when nothing outside is on.
    pub fn of(config: &Config, request: ExternalRequest, workspace: &Path) -> Option<Self> {
        let registry = config.portos.registry || request.registry;
        let live_ports = config.portos.live_ports || request.live_ports;
        if !registry && !live_ports {
            return None;
        }
        Some(ExternalKey {
            registry,
            live_ports,
            api_url: config.portos.api_url.clone(),
            token_env: config.portos.token_env.clone(),
            password_env: config.portos.password_env.clone(),
            apps_file: super::portos_core::root_dir(config, workspace)
                .map(|dir| dir.join("data").join("apps.json")),
        })
    }

    /// How to reach PortOS: the URL, the token or password from the variables named, the mirror's port.
    pub fn access(&self, env: &dyn Fn(&str) -> Option<String>) -> live::Access {
        access(&self.api_url, &self.token_env, &self.password_env, env)
    }
}

fn access(
    api_url: &str,
    token_env: &str,
    password_env: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> live::Access {
    live::Access {
        api_url: api_url.to_string(),
        token: env(token_env),
        password: env(password_env),
        mirror_port: env(MIRROR_PORT_ENV)
            .and_then(|p| p.trim().parse().ok())
            .filter(|p| *p != 0)
            .unwrap_or(live::DEFAULT_MIRROR_PORT),
    }
}

/// What was read, for every app of a run.
#[derive(Clone, Debug, Default)]
pub struct External {
    apps: Vec<RegistryApp>,
    listening: BTreeSet<u16>,
    /// Where the registry was read (`PortOS at http://127.0.0.1:5555`, `…/data/apps.json`), when it was.
    pub registry_source: Option<String>,
    /// What could not be read, for the shell to print as warnings.
    pub warnings: Vec<String>,
}

impl External {
    /// Reads the sources `config` and `request` enable (see [`External::read`]).
    pub fn fetch(
        config: &Config,
        request: ExternalRequest,
        env: &dyn Fn(&str) -> Option<String>,
        vfs: &dyn Vfs,
        workspace: &Path,
    ) -> Self {
        match ExternalKey::of(config, request, workspace) {
            Some(key) => External::read(&key, env, vfs),
            None => External::default(),
        }
    }

    /// Reads what `key` asks for: PortOS's registry (its `data/apps.json` when a root is set and the file is
    /// there, else its API, time-bounded), and the listening sockets. `env` looks up the variables holding
    /// PortOS's token or password and its mirror's port (only a shell reads the environment).
    pub fn read(key: &ExternalKey, env: &dyn Fn(&str) -> Option<String>, vfs: &dyn Vfs) -> Self {
        let mut external = External::default();
        if key.registry {
            let from_file = key.apps_file.as_ref().filter(|file| vfs.is_file(file));
            match from_file {
                Some(file) => match vfs.read(file) {
                    Ok(bytes) => match live::parse_apps_file(&bytes) {
                        Ok(apps) => {
                            external.apps = apps;
                            external.registry_source = Some(file.display().to_string());
                        }
                        Err(e) => external.warnings.push(format!(
                            "{}: PortOS's registry file could not be read: {e}; registry ports were not checked",
                            file.display()
                        )),
                    },
                    Err(e) => external.warnings.push(format!(
                        "{}: {e}; registry ports were not checked",
                        file.display()
                    )),
                },
                None => match live::read_registry(&key.access(env), REGISTRY_TIMEOUT) {
                    Ok(registry) => {
                        let via = if registry.via_mirror {
                            " (its loopback HTTP mirror: the main port serves HTTPS)"
                        } else {
                            ""
                        };
                        external.registry_source = Some(format!("PortOS at {}{via}", registry.url));
                        external.apps = registry.apps;
                    }
                    Err(e) => external.warnings.push(e.to_string()),
                },
            }
        }
        if key.live_ports {
            match live::listening_ports() {
                Ok(ports) => external.listening = ports,
                Err(e) => external.warnings.push(e.to_string()),
            }
        }
        external
    }

    /// A registry read elsewhere (a recorded `/api/apps` body in a test fixture, say), from `source`.
    pub fn from_apps(apps: Vec<RegistryApp>, source: String) -> Self {
        External {
            apps,
            registry_source: Some(source),
            ..External::default()
        }
    }

    /// What one app sees: the registry minus its own entry, the listening sockets, and its own entry for
    /// `registry-stale`.
    pub fn for_app(&self, app_dir: &Path) -> ExternalPorts {
        ExternalPorts {
            registry: if self.apps.is_empty() {
                BTreeMap::new()
            } else {
                live::reserved_ports(&self.apps, Some(app_dir))
            },
            listening: self.listening.clone(),
            registered: live::registry::app_for_dir(&self.apps, app_dir).map(registered),
        }
    }

    /// Whether the registry was read (so "no difference" means something).
    pub fn has_registry(&self) -> bool {
        self.registry_source.is_some()
    }
}

/// A registry app as `registry-stale` compares it.
fn registered(app: &RegistryApp) -> RegisteredApp {
    RegisteredApp {
        id: app.id.clone(),
        name: app.name.clone(),
        processes: app
            .processes
            .iter()
            .map(|p| (p.name.clone(), p.ports.clone()))
            .collect(),
    }
}

/// Asks the running PortOS that `config` reaches to read app `id`'s ecosystem file again (`registry-stale`'s
/// action): plain HTTP to loopback only, with the token or password the configuration names. `Err` says why
/// not, in a sentence for the user.
pub fn refresh_app(
    config: &Config,
    id: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(), String> {
    let access = access(
        &config.portos.api_url,
        &config.portos.token_env,
        &config.portos.password_env,
        env,
    );
    live::refresh_app(&access, id, REGISTRY_TIMEOUT).map_err(|e| {
        let text = e.to_string();
        text.strip_suffix("; registry ports were not checked")
            .unwrap_or(&text)
            .to_string()
    })
}
