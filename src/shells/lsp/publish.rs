//! What a publish sends: a document's diagnostics for its current version, and the JSON of each kept from
//! the last publish so an unchanged diagnostic is not serialised again.

use super::to_proto;
use crate::ide::{Published, Snapshot};
use std::sync::Arc;
use tower_lsp_server::ls_types::Diagnostic;

/// A document's last publish: its version, its diagnostics and each one's JSON.
pub(super) struct Sent {
    pub(super) version: i32,
    pub(super) diagnostics: Vec<Diagnostic>,
    pub(super) json: Vec<Arc<[u8]>>,
}

impl Sent {
    /// The JSON of `diagnostics`, reusing the last publish's for those it held unchanged (diagnostics are
    /// sorted by position, so an unchanged one is found at or just after the previous match).
    pub(super) fn json_of(previous: Option<&Sent>, diagnostics: &[Diagnostic]) -> Vec<Arc<[u8]>> {
        const LOOK_AHEAD: usize = 4;
        let mut next = 0;
        diagnostics
            .iter()
            .map(|diagnostic| {
                if let Some(previous) = previous {
                    let end = (next + LOOK_AHEAD).min(previous.diagnostics.len());
                    if let Some(found) =
                        (next..end).find(|&i| previous.diagnostics[i] == *diagnostic)
                    {
                        next = found + 1;
                        return previous.json[found].clone();
                    }
                }
                to_proto::diagnostic_json(diagnostic)
            })
            .collect()
    }
}

/// The diagnostics to publish for an open document's current version.
pub(super) fn diagnostics_of(
    snapshot: &Snapshot,
    path: &std::path::Path,
    encoding: crate::ide::Encoding,
    related: bool,
) -> Option<(i32, Vec<Diagnostic>)> {
    let (version, published) = snapshot.published(path)?;
    let (text, index) = snapshot.text(path)?;
    let text = to_proto::Text {
        text: &text,
        index: &index,
        encoding,
    };
    let diagnostics = match published {
        Published::ProjectFile => to_proto::config_diagnostics(path, &text),
        Published::NotAnalysed(why) => vec![to_proto::not_analysed(&why)],
        Published::Stalled(last_good, why) => {
            let mut diagnostics = to_proto::diagnostics(&last_good, path, &text, snapshot, related);
            diagnostics.insert(0, to_proto::not_analysed(&why));
            diagnostics
        }
        Published::Findings(findings) => {
            to_proto::diagnostics(&findings, path, &text, snapshot, related)
        }
    };
    Some((version, diagnostics))
}
