//! The workspace's notifications: settings (`didChangeConfiguration` and the `workspace/configuration` pull),
//! files changed on disk (`didChangeWatchedFiles`) and workspace folders added or removed.

use super::super::from_proto;
use super::super::global_state::{Shared, lock};
use super::super::log_stderr;
use super::super::main_loop::Task;
use crate::config::{self, CONFIG_FILE_NAMES, ConfigSource};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tower_lsp_server::ls_types::*;

/// `workspace/didChangeConfiguration`: pulled again when the client can answer pulls, else taken as sent.
pub fn did_change_configuration(shared: &Arc<Shared>, params: DidChangeConfigurationParams) {
    if lock(&shared.state).caps.configuration {
        tokio::spawn(pull_configuration(shared.clone()));
    } else {
        apply_settings(shared, Some(params.settings));
    }
}

/// Asks the client for the `portos` section and applies it.
pub async fn pull_configuration(shared: Arc<Shared>) {
    if !lock(&shared.state).caps.configuration {
        return;
    }
    let item = ConfigurationItem {
        scope_uri: None,
        section: Some("portos".into()),
    };
    match shared.client.configuration(vec![item]).await {
        Ok(mut values) if !values.is_empty() => apply_settings(&shared, Some(values.remove(0))),
        Ok(_) => {}
        Err(e) => log_stderr(&format!("workspace/configuration failed: {e}")),
    }
}

/// Deep-merges `over` into `base` (objects key by key; anything else replaces).
fn merge_json(base: &mut serde_json::Value, over: &serde_json::Value) {
    match (base, over) {
        (serde_json::Value::Object(base), serde_json::Value::Object(over)) => {
            for (key, value) in over {
                merge_json(
                    base.entry(key.clone()).or_insert(serde_json::Value::Null),
                    value,
                );
            }
        }
        (_, serde_json::Value::Null) => {}
        (base, over) => *base = over.clone(),
    }
}

/// Applies editor settings (initialization options with a `workspace/configuration` answer over them) and
/// re-checks everything.
fn apply_settings(shared: &Arc<Shared>, pulled: Option<serde_json::Value>) {
    let section = |v: &serde_json::Value| v.get("portos").cloned().unwrap_or_else(|| v.clone());
    let mut settings = section(&lock(&shared.state).init_options);
    if let Some(pulled) = pulled {
        if settings.is_null() {
            settings = serde_json::json!({});
        }
        merge_json(&mut settings, &section(&pulled));
    }
    let parsed = config::parse_editor_settings(&settings, &crate::ide::rule_codes());
    for warning in &parsed.warnings {
        shared.log(MessageType::WARNING, warning.to_string());
    }
    for error in &parsed.errors {
        shared.show(
            MessageType::ERROR,
            format!("{error} (the default stays in force)"),
        );
    }
    let source = match &parsed.config_path {
        Some(path) => ConfigSource::Path(path.clone()),
        None => ConfigSource::Discover,
    };
    lock(&shared.state)
        .host
        .set_editor_settings(parsed.layer, source);
    shared.send(Task::RecheckAll);
}

/// `workspace/didChangeWatchedFiles`: a project file re-reads everything; a changed file re-checks what
/// requires it; a `package.json` renames its directory's app; an ecosystem file is re-read or forgotten.
pub fn did_change_watched_files(shared: &Arc<Shared>, params: DidChangeWatchedFilesParams) {
    let mut config_changed = false;
    let mut outside_changed = false;
    let mut reindex = Vec::new();
    let mut importers_of = Vec::new();
    {
        let mut global = lock(&shared.state);
        for change in params.changes {
            let Some(path) = from_proto::path(&change.uri) else {
                continue;
            };
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if CONFIG_FILE_NAMES.contains(&name) {
                config_changed = true;
                continue;
            }
            // The PortOS checkout `portos.root` names (its ecosystem file, its `data/apps.json`): read again.
            if global.host.outside_watched().contains(&path) {
                outside_changed = true;
                if !global.host.in_folders(&path) {
                    continue;
                }
            }
            importers_of.push(path.clone());
            if name == "package.json" {
                let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
                reindex.extend(global.host.indexed_in_dir(&dir));
                continue;
            }
            if global.host.is_open(&path) || !global.host.is_ecosystem(&path) {
                continue;
            }
            if change.typ == FileChangeType::DELETED {
                global.host.forget(&path);
            } else {
                reindex.push(path);
            }
        }
    }
    if config_changed {
        shared.send(Task::RecheckAll);
        return;
    }
    for path in importers_of {
        shared.send(Task::RecheckImporters(path));
    }
    shared.send(Task::Reindex(reindex));
    if outside_changed {
        shared.send(Task::ReadOutside(true));
    }
}

/// `workspace/didChangeWorkspaceFolders`: roots may have changed for open files too, so everything is
/// analysed and indexed again.
pub fn did_change_workspace_folders(shared: &Arc<Shared>, params: DidChangeWorkspaceFoldersParams) {
    let open: Vec<PathBuf> = {
        let mut global = lock(&shared.state);
        for removed in &params.event.removed {
            if let Some(path) = from_proto::path(&removed.uri) {
                global.host.remove_folder(&path);
            }
        }
        for added in &params.event.added {
            if let Some(path) = from_proto::path(&added.uri) {
                global.host.add_folder(path);
            }
        }
        let open = global.host.open_paths();
        for path in &open {
            global.host.invalidate(path);
        }
        open
    };
    shared.send(Task::Analyse(open));
    shared.send(Task::Index(None));
}
