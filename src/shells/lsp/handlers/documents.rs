//! `didOpen`, `didChange`, `didClose`, `didSave`: the edit is applied to the host at once (so the next
//! request sees it), and the main loop is told what to analyse, publish or re-read.

use super::super::from_proto;
use super::super::global_state::{Shared, lock};
use super::super::main_loop::{Task, guarded};
use crate::ide::DocKind;
use std::path::PathBuf;
use std::sync::Arc;
use tower_lsp_server::ls_types::*;

/// `textDocument/didOpen`.
pub fn did_open(shared: &Arc<Shared>, params: DidOpenTextDocumentParams) {
    let item = params.text_document;
    let Some(path) = from_proto::path(&item.uri) else {
        return;
    };
    let (kind, loose_root, refused) = {
        let mut global = lock(&shared.state);
        let kind = global.host.open(path.clone(), item.version, &item.text);
        global.uris.insert(path.clone(), item.uri.clone());
        // A file outside every workspace folder (or opened with none): its workspace is found as the command
        // line finds it (spec §1), and indexed once so cross-file questions have an answer.
        let loose_root = if kind == DocKind::Ecosystem && !global.host.in_folders(&path) {
            let root = global.host.root_of(&path);
            global.extra_roots.insert(root.clone()).then_some(root)
        } else {
            None
        };
        let refused = global.host.not_analysed(&path).map(str::to_string);
        (kind, loose_root, refused)
    };
    if let Some(root) = loose_root {
        shared.send(Task::Index(Some(vec![root])));
    }
    if kind == DocKind::Other
        && crate::ide::looks_like_ecosystem(path.file_name().and_then(|n| n.to_str()).unwrap_or(""))
    {
        shared.log(MessageType::INFO, crate::ide::near_miss(&path));
    }
    changed(shared, &item.uri, path, kind, refused);
}

/// `textDocument/didChange`: applied to the text at once; parsing and analysis follow in the main loop, for
/// the newest version only.
pub fn did_change(shared: &Arc<Shared>, params: DidChangeTextDocumentParams) {
    let Some(path) = from_proto::path(&params.text_document.uri) else {
        return;
    };
    let changes = from_proto::changes(params.content_changes);
    let applied = guarded("applying an edit", || {
        let mut global = lock(&shared.state);
        let encoding = global.caps.encoding;
        let kind = global
            .host
            .change(&path, params.text_document.version, &changes, encoding)?;
        Some((kind, global.host.not_analysed(&path).map(str::to_string)))
    })
    .flatten();
    if let Some((kind, refused)) = applied {
        changed(shared, &params.text_document.uri, path, kind, refused);
    }
}

/// What a document's new text asks of the main loop.
fn changed(shared: &Arc<Shared>, uri: &Uri, path: PathBuf, kind: DocKind, refused: Option<String>) {
    match kind {
        DocKind::Ecosystem => {
            match refused {
                Some(why) => {
                    shared.log(MessageType::WARNING, format!("{}: {why}", uri.as_str()));
                    shared.send(Task::Publish(Some(vec![path.clone()])));
                }
                None => shared.send(Task::Analyse(vec![path.clone()])),
            }
            shared.send(Task::RecheckImporters(path));
        }
        DocKind::Config => {
            shared.send(Task::Publish(Some(vec![path])));
            shared.send(Task::RecheckAll);
        }
        DocKind::Other => shared.send(Task::RecheckImporters(path)),
    }
}

/// `textDocument/didClose`: the disk copy shows again.
pub fn did_close(shared: &Arc<Shared>, params: DidCloseTextDocumentParams) {
    let Some(path) = from_proto::path(&params.text_document.uri) else {
        return;
    };
    let kind = {
        let mut global = lock(&shared.state);
        global.uris.remove(&path);
        global.host.close(&path)
    };
    shared.send(Task::Closed(path.clone(), params.text_document.uri));
    match kind {
        Some(DocKind::Ecosystem) => {
            // A closed file keeps its summary only: re-read from disk.
            shared.send(Task::Reindex(vec![path.clone()]));
            shared.send(Task::RecheckImporters(path));
        }
        Some(DocKind::Config) => shared.send(Task::RecheckAll),
        Some(DocKind::Other) => shared.send(Task::RecheckImporters(path)),
        None => {}
    }
}

/// `textDocument/didSave`: the convention is decided from the disk, so a save may change the answer.
pub fn did_save(shared: &Arc<Shared>) {
    shared.send(Task::DecideConvention);
    // A saved file is what PortOS would read: a good moment to see whether its registry changed too.
    shared.send(Task::ReadOutside(true));
}
