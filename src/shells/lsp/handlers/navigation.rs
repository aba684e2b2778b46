//! Moving around `PORTS` keys and ports: definition, references, document highlight, and rename (refused
//! where a use is computed).

use super::super::global_state::{Shared, lock};
use super::super::to_proto;
use super::{At, at, off_the_loop};
use crate::ide::navigation::{self, KeyAt, Place};
use foldhash::HashMap;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::*;

/// The request's document and the `PORTS` key under the cursor, if any.
async fn key_target(
    shared: &Arc<Shared>,
    position: &TextDocumentPositionParams,
) -> Option<(At, KeyAt)> {
    let at = at(shared, &position.text_document.uri).await?;
    let key = at.snapshot.key_at(&at.path, at.offset(position.position))?;
    Some((at, key))
}

/// The URIs of open documents, so locations name them as the client did.
fn uris(shared: &Shared) -> HashMap<PathBuf, Uri> {
    lock(&shared.state).uris.clone()
}

fn location(at: &At, uris: &HashMap<PathBuf, Uri>, place: &Place) -> Option<Location> {
    to_proto::location(
        &at.snapshot,
        uris,
        &place.path,
        place.range,
        at.caps.encoding,
    )
}

/// `textDocument/definition`.
pub async fn definition(
    shared: &Arc<Shared>,
    params: GotoDefinitionParams,
) -> Option<GotoDefinitionResponse> {
    let (at, target) = key_target(shared, &params.text_document_position_params).await?;
    let place = target.definition?;
    let location = location(&at, &uris(shared), &place)?;
    Some(GotoDefinitionResponse::Scalar(location))
}

/// Every place the key is defined or read (closed files that may read it are analysed from disk, on the
/// blocking pool), the reasons a rename is not safe, and whether the table is exported.
async fn references_of(at: Arc<At>, target: Arc<KeyAt>) -> (Vec<Place>, Vec<String>, bool) {
    off_the_loop("references", move || Some(at.snapshot.references(&target)))
        .await
        .unwrap_or_default()
}

/// `textDocument/references`.
pub async fn references(shared: &Arc<Shared>, params: ReferenceParams) -> Option<Vec<Location>> {
    let (at, target) = key_target(shared, &params.text_document_position).await?;
    let (at, target) = (Arc::new(at), Arc::new(target));
    let (places, _, _) = references_of(at.clone(), target.clone()).await;
    let skip = (!params.context.include_declaration)
        .then(|| target.definition.clone())
        .flatten();
    let uris = uris(shared);
    Some(
        places
            .iter()
            .filter(|p| Some(*p) != skip.as_ref())
            .filter_map(|p| location(&at, &uris, p))
            .collect(),
    )
}

/// `textDocument/documentHighlight`.
pub async fn document_highlight(
    shared: &Arc<Shared>,
    params: DocumentHighlightParams,
) -> Option<Vec<DocumentHighlight>> {
    let position = params.text_document_position_params;
    let at = at(shared, &position.text_document.uri).await?;
    let ranges = at
        .snapshot
        .highlights(&at.path, at.offset(position.position));
    let text = at.proto();
    (!ranges.is_empty()).then(|| {
        ranges
            .into_iter()
            .map(|r| DocumentHighlight {
                range: text.range(r),
                kind: Some(DocumentHighlightKind::TEXT),
            })
            .collect()
    })
}

fn not_a_key() -> Error {
    Error::invalid_params("only a PORTS key can be renamed here")
}

fn unsafe_rename(key: &str, why: &str) -> Error {
    Error::invalid_params(format!("cannot rename `{key}` safely: {why}"))
}

/// `textDocument/prepareRename`.
pub async fn prepare_rename(
    shared: &Arc<Shared>,
    params: TextDocumentPositionParams,
) -> Result<Option<PrepareRenameResponse>> {
    let Some((at, target)) = key_target(shared, &params).await else {
        return Err(not_a_key());
    };
    let (at, target) = (Arc::new(at), Arc::new(target));
    let (_, blockers, _) = references_of(at.clone(), target.clone()).await;
    if let Some(first) = blockers.first() {
        return Err(unsafe_rename(&target.key, first));
    }
    Ok(Some(PrepareRenameResponse::RangeWithPlaceholder {
        range: at.proto().range(target.range),
        placeholder: target.key.clone(),
    }))
}

/// `textDocument/rename`: every definition and use, one versioned edit per file; an exported table's rename
/// needs the user's confirmation (code outside the ecosystem files may read the old key).
pub async fn rename(shared: &Arc<Shared>, params: RenameParams) -> Result<Option<WorkspaceEdit>> {
    let new_name = params.new_name;
    if !navigation::is_identifier(&new_name) {
        return Err(Error::invalid_params(format!(
            "`{new_name}` is not a JavaScript identifier, so `PORTS.{new_name}` would not parse"
        )));
    }
    let Some((at, target)) = key_target(shared, &params.text_document_position).await else {
        return Err(not_a_key());
    };
    let (at, target) = (Arc::new(at), Arc::new(target));
    let (places, blockers, exported) = references_of(at.clone(), target.clone()).await;
    if let Some(first) = blockers.first() {
        return Err(unsafe_rename(&target.key, first));
    }
    let annotation = exported.then(|| "portos-lsp/exported-ports".to_string());
    let uris = uris(shared);
    let mut by_file: BTreeMap<PathBuf, Vec<OneOf<TextEdit, AnnotatedTextEdit>>> = BTreeMap::new();
    for place in &places {
        let Some(location) = location(&at, &uris, place) else {
            continue;
        };
        let edit = TextEdit::new(location.range, new_name.clone());
        by_file
            .entry(place.path.clone())
            .or_default()
            .push(match &annotation {
                Some(id) => OneOf::Right(AnnotatedTextEdit {
                    text_edit: edit,
                    annotation_id: id.clone(),
                }),
                None => OneOf::Left(edit),
            });
    }
    let changes = by_file
        .into_iter()
        .filter_map(|(path, edits)| {
            Some(TextDocumentEdit {
                text_document: OptionalVersionedTextDocumentIdentifier {
                    uri: uris.get(&path).cloned().or_else(|| to_proto::uri(&path))?,
                    version: at.snapshot.version(&path),
                },
                edits,
            })
        })
        .collect();
    let change_annotations = annotation.map(|id| {
        std::collections::HashMap::from([(
            id,
            ChangeAnnotation {
                label: format!("Rename the exported PORTS.{}", target.key),
                needs_confirmation: Some(true),
                description: Some(
                    "PORTS is exported: code outside the ecosystem files may read the old key"
                        .into(),
                ),
            },
        )])
    });
    Ok(Some(WorkspaceEdit {
        document_changes: Some(DocumentChanges::Edits(changes)),
        change_annotations,
        ..WorkspaceEdit::default()
    }))
}
