//! `textDocument/codeAction`: quick fixes of the findings under the cursor, the v1 → v2 migration as a
//! rewrite, and fix-all (`source.fixAll.portos`), computed from a snapshot on the blocking pool.

use super::super::global_state::Shared;
use super::super::to_proto;
use super::lifecycle::FIX_ALL_KIND;
use super::registry::REFRESH_COMMAND;
use super::{at, off_the_loop};
use crate::ide::actions::{ActionCommand, ActionKind};
use crate::ide::{ActionKinds, TextRange};
use std::sync::Arc;
use tower_lsp_server::ls_types::*;

/// `textDocument/codeAction`.
pub async fn code_action(
    shared: &Arc<Shared>,
    params: CodeActionParams,
) -> Option<CodeActionResponse> {
    let at = at(shared, &params.text_document.uri).await?;
    let wants = |kind: &str| {
        params.context.only.as_ref().is_none_or(|only| {
            only.iter()
                .any(|k| kind == k.as_str() || kind.starts_with(&format!("{}.", k.as_str())))
        })
    };
    let kinds = ActionKinds {
        quick_fix: wants("quickfix"),
        rewrite: wants("refactor.rewrite"),
        // Fix-all rewrites the whole file: only when asked for by kind (on save, or from the menu).
        fix_all: wants(FIX_ALL_KIND) && params.context.only.is_some(),
    };
    let start = at.offset(params.range.start);
    let end = at.offset(params.range.end);
    let range = TextRange::new(start.min(end), start.max(end));
    off_the_loop("code actions", move || {
        let (findings, actions) = at.snapshot.code_actions(&at.path, range, kinds)?;
        let text = at.proto();
        let diagnostics = to_proto::diagnostics(
            &findings,
            &at.path,
            &text,
            &at.snapshot,
            at.caps.related_information,
        );
        let mut out: Vec<CodeActionOrCommand> = Vec::new();
        for action in actions {
            let edit = if action.edits.is_empty() {
                None
            } else {
                Some(to_proto::workspace_edit(
                    &action.edits,
                    &at.path,
                    &text,
                    &at.snapshot,
                )?)
            };
            let command = action.command.as_ref().map(|command| match command {
                ActionCommand::RefreshApp { id, path } => Command {
                    title: action.title.clone(),
                    command: REFRESH_COMMAND.into(),
                    arguments: Some(vec![serde_json::json!({
                        "id": id,
                        "path": path.to_string_lossy(),
                    })]),
                },
            });
            let kind = match action.kind {
                ActionKind::QuickFix => CodeActionKind::QUICKFIX,
                ActionKind::Rewrite => CodeActionKind::REFACTOR_REWRITE,
                ActionKind::FixAll => CodeActionKind::new(FIX_ALL_KIND),
            };
            out.push(CodeActionOrCommand::CodeAction(CodeAction {
                title: action.title,
                kind: Some(kind),
                diagnostics: action
                    .finding
                    .and_then(|i| diagnostics.get(i).cloned())
                    .map(|d| vec![d]),
                edit,
                command,
                is_preferred: action.preferred.then_some(true),
                ..CodeAction::default()
            }));
        }
        Some(out)
    })
    .await
}
