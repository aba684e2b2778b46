//! `textDocument/completion`: where a port value is typed, the allocator's answer first, then free ports.

use super::super::global_state::Shared;
use super::super::to_proto;
use super::at;
use std::sync::Arc;
use tower_lsp_server::ls_types::*;

/// `textDocument/completion`.
pub async fn completion(
    shared: &Arc<Shared>,
    params: CompletionParams,
) -> Option<CompletionResponse> {
    let position = params.text_document_position;
    let at = at(shared, &position.text_document.uri).await?;
    let items = at
        .snapshot
        .completion(&at.path, at.offset(position.position))?;
    let text = at.proto();
    Some(CompletionResponse::List(CompletionList {
        is_incomplete: false,
        items: items
            .iter()
            .map(|item| to_proto::completion(item, &text))
            .collect(),
    }))
}
