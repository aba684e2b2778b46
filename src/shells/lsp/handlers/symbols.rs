//! Inlay hints, the document outline and workspace symbols.

use super::super::global_state::Shared;
use super::super::to_proto;
use super::at;
use crate::ide::TextRange;
use std::sync::Arc;
use tower_lsp_server::ls_types::*;

/// `textDocument/inlayHint`.
pub async fn inlay_hint(shared: &Arc<Shared>, params: InlayHintParams) -> Option<Vec<InlayHint>> {
    let at = at(shared, &params.text_document.uri).await?;
    let range = TextRange::new(at.offset(params.range.start), at.offset(params.range.end));
    let hints = at.snapshot.inlay_hints(&at.path, range)?;
    let text = at.proto();
    Some(
        hints
            .into_iter()
            .map(|h| InlayHint {
                position: text.position(h.offset as usize),
                label: InlayHintLabel::String(h.text),
                kind: Some(if h.is_label {
                    InlayHintKind::TYPE
                } else {
                    InlayHintKind::PARAMETER
                }),
                text_edits: None,
                tooltip: None,
                padding_left: Some(true),
                padding_right: None,
                data: None,
            })
            .collect(),
    )
}

/// `textDocument/documentSymbol`: app → process → ports.
pub async fn document_symbol(
    shared: &Arc<Shared>,
    params: DocumentSymbolParams,
) -> Option<DocumentSymbolResponse> {
    let at = at(shared, &params.text_document.uri).await?;
    let symbols = at.snapshot.document_symbols(&at.path)?;
    let text = at.proto();
    Some(DocumentSymbolResponse::Nested(
        symbols.iter().map(|s| to_proto::symbol(s, &text)).collect(),
    ))
}

/// `workspace/symbol`: every process of the workspace whose name matches.
pub fn symbol(shared: &Arc<Shared>, params: WorkspaceSymbolParams) -> WorkspaceSymbolResponse {
    let (snapshot, encoding, uris) = {
        let global = super::super::global_state::lock(&shared.state);
        (
            global.host.snapshot(),
            global.caps.encoding,
            global.uris.clone(),
        )
    };
    #[allow(deprecated)]
    let symbols = snapshot
        .workspace_symbols(&params.query)
        .into_iter()
        .filter_map(|s| {
            let location = to_proto::location(&snapshot, &uris, &s.path, s.range, encoding)?;
            Some(SymbolInformation {
                name: s.name,
                kind: SymbolKind::FUNCTION,
                tags: None,
                deprecated: None,
                location,
                container_name: Some(s.app),
            })
        })
        .collect();
    WorkspaceSymbolResponse::Flat(symbols)
}
