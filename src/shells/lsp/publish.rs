//! What a publish sends: a document's diagnostics for its current version, each converted and serialised
//! once and reused by later publishes while its finding and positions stay the same — a keystroke re-sends
//! every diagnostic of the file, most of them unchanged.

use super::to_proto::{self, Converter};
use crate::ide::{Finding, Published, Snapshot};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tower_lsp_server::ls_types::Range;

/// Where a diagnostic points: its range, then each related place's file (`None`: this one) and range.
type Positions = Vec<(Option<PathBuf>, Range)>;

/// A document's last publish.
pub(super) struct Sent {
    /// The version it was for.
    pub(super) version: i32,
    /// Each diagnostic's finding and positions, where it came from one (not a note such as "not analysed").
    sources: Vec<Option<(Finding, Positions)>>,
    /// Each diagnostic's JSON.
    pub(super) json: Vec<Arc<[u8]>>,
}

impl Sent {
    /// Whether `next` would send exactly what this publish sent.
    pub(super) fn same_as(&self, next: &Sent) -> bool {
        self.version == next.version
            && self.json.len() == next.json.len()
            && self
                .json
                .iter()
                .zip(&next.json)
                .all(|(a, b)| Arc::ptr_eq(a, b) || a == b)
    }
}

/// What to publish for an open document's current version, reusing `previous`'s conversion of each finding
/// that is unchanged and still points at the same positions (diagnostics are sorted by position, so an
/// unchanged one is found at or just after the previous match).
pub(super) fn diagnostics_of(
    snapshot: &Snapshot,
    path: &Path,
    encoding: crate::ide::Encoding,
    related: bool,
    previous: Option<&Sent>,
) -> Option<Sent> {
    let (version, published) = snapshot.published(path)?;
    let (text, index) = snapshot.text(path)?;
    let text = to_proto::Text {
        text: &text,
        index: &index,
        encoding,
    };
    let mut converter = Converter::new(path, &text, snapshot, related);
    let mut sent = Sent {
        version,
        sources: Vec::new(),
        json: Vec::new(),
    };
    let note = |sent: &mut Sent, diagnostic| {
        sent.sources.push(None);
        sent.json.push(to_proto::diagnostic_json(&diagnostic));
    };
    let findings = match published {
        Published::ProjectFile => {
            for diagnostic in to_proto::config_diagnostics(path, &text) {
                note(&mut sent, diagnostic);
            }
            return Some(sent);
        }
        Published::NotAnalysed(why) => {
            note(&mut sent, to_proto::not_analysed(&why));
            return Some(sent);
        }
        Published::Stalled(last_good, why) => {
            note(&mut sent, to_proto::not_analysed(&why));
            last_good
        }
        Published::Findings(findings) => findings,
    };
    const LOOK_AHEAD: usize = 4;
    let mut next = 0;
    for finding in findings {
        let positions = converter.positions(&finding);
        let reused = previous.and_then(|previous| {
            let end = (next + LOOK_AHEAD).min(previous.sources.len());
            let found = (next..end).find(|&i| {
                previous.sources[i]
                    .as_ref()
                    .is_some_and(|(f, p)| *f == finding && *p == positions)
            })?;
            next = found + 1;
            Some(previous.json[found].clone())
        });
        let json =
            reused.unwrap_or_else(|| to_proto::diagnostic_json(&converter.diagnostic(&finding)));
        sent.sources.push(Some((finding, positions)));
        sent.json.push(json);
    }
    Some(sent)
}
