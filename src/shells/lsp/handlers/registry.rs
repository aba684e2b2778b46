//! What the server reads from outside the workspace — PortOS's registry, listening ports, the PortOS checkout
//! `portos.root` names — and `registry-stale`'s action, "Refresh this app in PortOS"
//! (`workspace/executeCommand` `portos.refreshApp`). Reads run on the blocking pool, time-bounded; a PortOS that
//! is down costs one line in the log, then silence until something changes.

use super::super::global_state::{Shared, lock};
use super::super::main_loop::{Task, guarded};
use crate::ide::outside::OutsideDone;
use std::path::PathBuf;
use std::sync::Arc;
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::{ExecuteCommandParams, LSPAny, MessageType};

/// The command behind "Refresh this app in PortOS": arguments `[{"id": "<app id>", "path": "<file>"}]`.
pub const REFRESH_COMMAND: &str = "portos.refreshApp";

/// The environment, read by the shell for the host: PortOS's token, password and mirror port.
fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Reads what the configurations in use ask for from outside (every read again with `refresh`), off the loop;
/// the result comes back as [`Task::OutsideRead`]. One read at a time: asked meanwhile, it runs once more after
/// (so a PortOS that never answers never piles up waiting threads).
pub fn read_outside(shared: &Arc<Shared>, refresh: bool) {
    let job = {
        let mut global = lock(&shared.state);
        if global.outside_busy {
            global.outside_again = true;
            return;
        }
        let job = global.host.outside_job(refresh);
        if job.is_empty() {
            return;
        }
        global.outside_busy = true;
        job
    };
    let shared = shared.clone();
    tokio::spawn(async move {
        let done = tokio::task::spawn_blocking(move || {
            guarded("reading PortOS's registry", move || job.run(&env))
        })
        .await
        .ok()
        .flatten();
        shared.send(Task::OutsideRead(done.map(Box::new)));
    });
}

/// Keeps what was read, logs each new problem once (a PortOS that stays down is not announced again), and
/// republishes every open document.
pub fn store_outside(shared: &Arc<Shared>, done: Option<OutsideDone>) {
    let (fresh, again) = {
        let mut global = lock(&shared.state);
        global.outside_busy = false;
        let again = std::mem::take(&mut global.outside_again);
        let Some(done) = done else {
            return;
        };
        let warnings = done.warnings();
        global.host.store_outside(done);
        let fresh: Vec<String> = warnings
            .iter()
            .filter(|w| !global.outside_logged.contains(*w))
            .cloned()
            .collect();
        global.outside_logged = warnings.into_iter().collect();
        (fresh, again)
    };
    for warning in fresh {
        shared.log(MessageType::WARNING, warning);
    }
    shared.send(Task::Publish(None));
    shared.send(Task::RefreshWatchers);
    if again {
        read_outside(shared, true);
    }
}

/// `workspace/executeCommand`: `portos.refreshApp` asks the running PortOS that the file's configuration
/// reaches to read the app's ecosystem file again, then reads the registry again so `registry-stale` clears.
pub async fn execute_command(
    shared: &Arc<Shared>,
    params: ExecuteCommandParams,
) -> Result<Option<LSPAny>> {
    if params.command != REFRESH_COMMAND {
        return Err(Error::invalid_params(format!(
            "unknown command {}; this server runs {REFRESH_COMMAND}",
            params.command
        )));
    }
    let argument = params.arguments.first().cloned().unwrap_or_default();
    let id = argument
        .get("id")
        .and_then(|v| v.as_str())
        .map(str::to_string);
    let path = argument
        .get("path")
        .and_then(|v| v.as_str())
        .map(PathBuf::from);
    let (Some(id), Some(path)) = (id, path) else {
        return Err(Error::invalid_params(format!(
            "{REFRESH_COMMAND} takes [{{\"id\": \"<app id>\", \"path\": \"<ecosystem file>\"}}]"
        )));
    };
    let (config, _) = lock(&shared.state).host.configs.for_file_lenient(&path);
    let asked = id.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        guarded("refreshing an app in PortOS", move || {
            crate::ide::external::refresh_app(&config, &asked, &env)
        })
    })
    .await
    .ok()
    .flatten()
    .unwrap_or_else(|| Err("the request failed unexpectedly".into()));
    match outcome {
        Ok(()) => {
            shared.log(
                MessageType::INFO,
                format!("PortOS read the ecosystem file of app {id} again"),
            );
            read_outside(shared, true);
            Ok(Some(serde_json::json!({ "refreshed": id })))
        }
        Err(why) => {
            shared.show(
                MessageType::ERROR,
                format!("could not refresh app {id} in PortOS: {why}"),
            );
            Ok(None)
        }
    }
}
