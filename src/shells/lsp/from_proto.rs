//! LSP → ide: URIs to paths, positions to byte offsets, content changes to edits. Every conversion goes
//! through the one line index.

use crate::ide::document::Change;
use crate::ide::{Encoding, LineCol};
use std::path::PathBuf;
use tower_lsp_server::ls_types::{Position, TextDocumentContentChangeEvent, Uri};

/// The normalised path of a `file:` URI; `None` for other schemes (untitled buffers, remote files).
pub fn path(uri: &Uri) -> Option<PathBuf> {
    let path = uri.to_file_path()?;
    Some(crate::ide::clean_path(&path))
}

/// A position as the line index takes it.
pub fn line_col(position: Position) -> LineCol {
    LineCol {
        line: position.line,
        col: position.character,
    }
}

/// The editor's changes as the document applies them.
pub fn changes(events: Vec<TextDocumentContentChangeEvent>) -> Vec<Change> {
    events
        .into_iter()
        .map(|e| Change {
            range: e.range.map(|r| (line_col(r.start), line_col(r.end))),
            text: e.text,
        })
        .collect()
}

/// The negotiated encoding's name as LSP spells it.
pub fn encoding_name(encoding: Encoding) -> &'static str {
    match encoding {
        Encoding::Utf8 => "utf-8",
        Encoding::Utf16 => "utf-16",
        Encoding::Utf32 => "utf-32",
    }
}
