//! `initialize`, `initialized` and `shutdown`: what the client can do, what we offer, the workspace folders,
//! and the first configuration pull and indexing.

use super::super::from_proto;
use super::super::global_state::{ClientCaps, Shared, lock};
use super::super::log_stderr;
use super::super::main_loop::Task;
use super::workspace;
use crate::config::{self, ConfigSource};
use crate::ide::Encoding;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;

/// The kind of the "fix everything safe" action: `source.fixAll` narrowed to us, as ruff's server does.
pub const FIX_ALL_KIND: &str = "source.fixAll.portos";

/// `initialize`.
pub fn initialize(shared: &Arc<Shared>, params: InitializeParams) -> Result<InitializeResult> {
    let caps = client_caps(&params);
    let mut folders: Vec<PathBuf> = params
        .workspace_folders
        .iter()
        .flatten()
        .filter_map(|f| from_proto::path(&f.uri))
        .collect();
    #[allow(deprecated)]
    if folders.is_empty()
        && let Some(root) = params.root_uri.as_ref().and_then(from_proto::path)
    {
        folders.push(root);
    }
    if let Some(pid) = params.process_id {
        watch_parent(pid);
    }
    let encoding = caps.encoding;
    {
        let mut global = lock(&shared.state);
        global.caps = caps;
        for folder in folders {
            global.host.add_folder(folder);
        }
        if let Some(options) = params.initialization_options {
            let parsed = config::parse_editor_settings(&options, &crate::ide::rule_codes());
            for warning in &parsed.warnings {
                log_stderr(&warning.to_string());
            }
            let source = match &parsed.config_path {
                Some(path) => ConfigSource::Path(path.clone()),
                None => ConfigSource::Discover,
            };
            global.host.set_editor_settings(parsed.layer, source);
            global.init_options = options;
        }
    }
    Ok(InitializeResult {
        server_info: Some(ServerInfo {
            name: "portos-lsp".into(),
            version: Some(env!("CARGO_PKG_VERSION").into()),
        }),
        capabilities: capabilities(encoding),
        ..InitializeResult::default()
    })
}

/// What the server offers.
fn capabilities(encoding: Encoding) -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(PositionEncodingKind::from(from_proto::encoding_name(
            encoding,
        ))),
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                ..TextDocumentSyncOptions::default()
            },
        )),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        document_highlight_provider: Some(OneOf::Left(true)),
        rename_provider: Some(OneOf::Right(RenameOptions {
            prepare_provider: Some(true),
            work_done_progress_options: WorkDoneProgressOptions::default(),
        })),
        inlay_hint_provider: Some(OneOf::Left(true)),
        document_symbol_provider: Some(OneOf::Left(true)),
        workspace_symbol_provider: Some(OneOf::Left(true)),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![
                CodeActionKind::QUICKFIX,
                CodeActionKind::REFACTOR_REWRITE,
                CodeActionKind::new(FIX_ALL_KIND),
            ]),
            resolve_provider: Some(false),
            ..CodeActionOptions::default()
        })),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![":".into(), " ".into(), "=".into()]),
            ..CompletionOptions::default()
        }),
        execute_command_provider: Some(ExecuteCommandOptions {
            commands: vec![super::registry::REFRESH_COMMAND.into()],
            work_done_progress_options: WorkDoneProgressOptions::default(),
        }),
        workspace: Some(WorkspaceServerCapabilities {
            workspace_folders: Some(WorkspaceFoldersServerCapabilities {
                supported: Some(true),
                change_notifications: Some(OneOf::Left(true)),
            }),
            file_operations: None,
        }),
        ..ServerCapabilities::default()
    }
}

/// `initialized`: the configuration is pulled, then the workspace indexed.
pub fn initialized(shared: &Arc<Shared>) {
    let shared = shared.clone();
    tokio::spawn(async move {
        workspace::pull_configuration(shared.clone()).await;
        shared.send(Task::Index(None));
    });
}

/// `shutdown`: the next `exit` means a clean stop.
pub fn shutdown(shared: &Arc<Shared>) -> Result<()> {
    shared.shut_down.store(true, Ordering::SeqCst);
    Ok(())
}

/// Exits when the client's process is gone (it vanished without `exit`).
fn watch_parent(pid: u32) {
    #[cfg(target_os = "linux")]
    std::thread::spawn(move || {
        let proc = PathBuf::from(format!("/proc/{pid}"));
        loop {
            std::thread::sleep(Duration::from_millis(500));
            if !proc.exists() {
                log_stderr(&format!("the client (process {pid}) is gone: exiting"));
                std::process::exit(1);
            }
        }
    });
    #[cfg(not(target_os = "linux"))]
    let _ = pid;
}

fn client_caps(params: &InitializeParams) -> ClientCaps {
    let caps = &params.capabilities;
    let encodings = caps
        .general
        .as_ref()
        .and_then(|g| g.position_encodings.clone())
        .unwrap_or_default();
    let encoding = if encodings.contains(&PositionEncodingKind::UTF8) {
        Encoding::Utf8
    } else {
        Encoding::Utf16
    };
    let text = caps.text_document.as_ref();
    let workspace = caps.workspace.as_ref();
    let window = caps.window.as_ref();
    ClientCaps {
        encoding,
        markdown_hover: text
            .and_then(|t| t.hover.as_ref())
            .and_then(|h| h.content_format.as_ref())
            .is_some_and(|f| f.contains(&MarkupKind::Markdown)),
        related_information: text
            .and_then(|t| t.publish_diagnostics.as_ref())
            .and_then(|p| p.related_information)
            .unwrap_or(false),
        watch_files: workspace
            .and_then(|w| w.did_change_watched_files.as_ref())
            .and_then(|d| d.dynamic_registration)
            .unwrap_or(false),
        configuration: workspace.and_then(|w| w.configuration).unwrap_or(false),
        progress: window.and_then(|w| w.work_done_progress).unwrap_or(false),
        show_message: window.is_some_and(|w| w.show_message.is_some()),
    }
}
