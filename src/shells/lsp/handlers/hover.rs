//! `textDocument/hover`: what the port (or the suppressed code) under the cursor is.

use super::super::global_state::Shared;
use super::at;
use std::sync::Arc;
use tower_lsp_server::ls_types::*;

/// `textDocument/hover`.
pub async fn hover(shared: &Arc<Shared>, params: HoverParams) -> Option<Hover> {
    let position = params.text_document_position_params;
    let at = at(shared, &position.text_document.uri).await?;
    let found = at.snapshot.hover(&at.path, at.offset(position.position))?;
    let contents = if at.caps.markdown_hover {
        MarkupContent {
            kind: MarkupKind::Markdown,
            value: found.markdown.clone(),
        }
    } else {
        MarkupContent {
            kind: MarkupKind::PlainText,
            value: found.plain(),
        }
    };
    Some(Hover {
        contents: HoverContents::Markup(contents),
        range: Some(at.proto().range(found.range)),
    })
}
