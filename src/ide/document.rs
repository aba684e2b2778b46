//! One open buffer: its text in a rope, its version, its line index and the tree to reparse incrementally.

use crate::syntax::{
    self, Budget, Encoding, Format, LineCol, LineIndex, Parsed, Stopped, SyntaxError, SyntaxTree,
    TreeEdit,
};
use ropey::Rope;
use std::path::PathBuf;
use std::sync::Arc;

/// A change to a buffer, in the editor's coordinates: a range (`None` replaces the whole text) and its
/// replacement.
#[derive(Clone, Debug)]
pub struct Change {
    /// The replaced range as start and end positions, in the negotiated encoding.
    pub range: Option<(LineCol, LineCol)>,
    /// The new text.
    pub text: String,
}

/// An open document.
pub struct Document {
    /// Its absolute, normalised path.
    pub path: PathBuf,
    /// The editor's version of the text.
    pub version: i32,
    rope: Rope,
    text: Arc<str>,
    index: Arc<LineIndex>,
    /// The last tree parsed, with every edit since applied (`Tree::edit`), so the next parse can reuse it.
    tree: Option<SyntaxTree>,
    /// `Some` while `tree` is, as it stands, the tree of the current text — no edit since its parse, or only
    /// edits that keep its shape (a port's digits: [`SyntaxTree::keeps_shape`]), so the next parse is no
    /// parse — holding the errors read off it when it was parsed.
    exact: Option<Vec<SyntaxError>>,
}

impl Document {
    /// A document opened with `text`.
    pub fn new(path: PathBuf, version: i32, text: &str) -> Self {
        Document {
            path,
            version,
            rope: Rope::from_str(text),
            text: Arc::from(text),
            index: Arc::new(LineIndex::new(text)),
            tree: None,
            exact: None,
        }
    }

    /// The current text.
    pub fn text(&self) -> &Arc<str> {
        &self.text
    }

    /// The line index of the current text.
    pub fn index(&self) -> &Arc<LineIndex> {
        &self.index
    }

    /// Applies the editor's changes in order and sets the new version. Ranges past the end are clamped; a
    /// start after its end is swapped. Never panics, whatever the positions.
    pub fn apply(&mut self, version: i32, changes: &[Change], encoding: Encoding) {
        for change in changes {
            match change.range {
                None => {
                    self.rope = Rope::from_str(&change.text);
                    self.tree = None;
                    self.exact = None;
                    self.text = Arc::from(change.text.as_str());
                    self.index = Arc::new(LineIndex::new(&self.text));
                }
                Some((start, end)) => {
                    let start = self.offset(start, encoding);
                    let end = self.offset(end, encoding);
                    let (start, end) = if start <= end {
                        (start, end)
                    } else {
                        (end, start)
                    };
                    self.edit(start, end, &change.text);
                    self.text = flatten(&self.rope);
                    // Only the lines the edit touched are read again.
                    self.index =
                        Arc::new(self.index.edited(&self.text, start, end, change.text.len()));
                }
            }
        }
        self.version = version;
    }

    /// The byte offset of an editor position, clamped to the text (a line past the end is the end).
    pub fn offset(&self, pos: LineCol, encoding: Encoding) -> usize {
        self.index
            .offset(&self.text, pos, encoding)
            .unwrap_or(self.text.len())
    }

    fn point(&self, offset: usize) -> (usize, usize) {
        let row = self.index.line_of(offset);
        // tree-sitter counts columns in bytes from the line's first byte (a BOM included on line 0).
        let start = if row == 0 {
            0
        } else {
            self.index.line_range(row).map(|r| r.start).unwrap_or(0)
        };
        (row, offset.saturating_sub(start))
    }

    fn edit(&mut self, start: usize, end: usize, new_text: &str) {
        if self.exact.is_some()
            && self
                .tree
                .as_ref()
                .is_some_and(|tree| tree.keeps_shape(&self.text, start, end, new_text))
        {
            // No span, row or column moves: the tree needs no edit and stays exact.
            let start_char = self.rope.byte_to_char(start);
            self.rope.remove(start_char..start_char + new_text.len());
            self.rope.insert(start_char, new_text);
            return;
        }
        self.exact = None;
        let start_position = self.point(start);
        let old_end_position = self.point(end);
        let start_char = self.rope.byte_to_char(start);
        let end_char = self.rope.byte_to_char(end);
        self.rope.remove(start_char..end_char);
        self.rope.insert(start_char, new_text);
        let new_end = start + new_text.len();
        // The new end's point: rows and columns counted over the inserted text.
        let breaks = LineIndex::new(new_text);
        let inserted_lines = breaks.line_count().saturating_sub(1);
        let new_end_position = if inserted_lines == 0 {
            (start_position.0, start_position.1 + new_text.len())
        } else {
            let last_start = breaks
                .line_range(inserted_lines)
                .map(|r| r.start)
                .unwrap_or(0);
            (
                start_position.0 + inserted_lines,
                new_text.len() - last_start,
            )
        };
        if let Some(tree) = &mut self.tree {
            tree.edit(&TreeEdit {
                start,
                old_end: end,
                new_end,
                start_point: start_position,
                old_end_point: old_end_position,
                new_end_point: new_end_position,
            });
        }
    }

    /// What a parse of the current version needs: its text and the edited tree to reuse.
    pub fn parse_input(&self) -> ParseInput {
        ParseInput {
            version: self.version,
            text: self.text.clone(),
            format: Format::of_path(&self.path),
            old_tree: self.tree.clone(),
            old_tree_exact: self.exact.clone(),
            index: self.index.clone(),
        }
    }

    /// Keeps the tree of a parse when it is of the current version (a later edit makes it stale).
    pub fn keep_tree(&mut self, version: i32, kept: KeptTree) {
        if version == self.version {
            self.tree = Some(kept.tree);
            self.exact = Some(kept.errors);
        }
    }
}

/// The rope's text as one string, its chunks copied in: `Rope::to_string` goes through the formatting
/// machinery and growing a string, about 7 instructions a byte (a 64 KB file's keystroke spent 2 % there).
fn flatten(rope: &Rope) -> Arc<str> {
    let mut text = String::with_capacity(rope.len_bytes());
    for chunk in rope.chunks() {
        text.push_str(chunk);
    }
    Arc::from(text)
}

/// What a document keeps of a parse for the next one: the tree, and the errors read off it.
pub struct KeptTree {
    tree: SyntaxTree,
    errors: Vec<SyntaxError>,
}

impl KeptTree {
    fn of((parsed, tree): (Parsed, SyntaxTree)) -> (Parsed, KeptTree) {
        let errors = parsed.errors.clone();
        (parsed, KeptTree { tree, errors })
    }
}

/// A snapshot to parse outside any lock.
pub struct ParseInput {
    /// The version it is of.
    pub version: i32,
    /// Its text.
    pub text: Arc<str>,
    /// How it is read (by its name, as PM2 decides).
    pub format: Format,
    /// The previous tree with the edits since applied, if there is one.
    pub old_tree: Option<SyntaxTree>,
    /// `Some` where `old_tree` is already this text's tree (see [`SyntaxTree::keeps_shape`]): the errors
    /// read off it.
    pub old_tree_exact: Option<Vec<SyntaxError>>,
    /// The line index of its text.
    pub index: Arc<LineIndex>,
}

impl ParseInput {
    /// Parses within `budget`, incrementally when there is a tree to reuse: the version's one parse. The
    /// result is what a fresh parse gives (see [`syntax::parse_incremental`]); the second value is the tree
    /// to keep for the next edit.
    pub fn parse(&self, budget: &Budget) -> Result<(Parsed, KeptTree), Stopped> {
        if let Some(errors) = &self.old_tree_exact
            && self.format == Format::JavaScript
            && let Some(reused) = self
                .old_tree
                .as_ref()
                .and_then(|old| syntax::reuse_unchanged_shape(old, errors.clone()))
        {
            return Ok(KeptTree::of(reused));
        }
        syntax::parse_incremental_as(&self.text, self.format, self.old_tree.as_ref(), budget)
            .map(KeptTree::of)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(line: u32, col: u32) -> LineCol {
        LineCol { line, col }
    }

    fn change(a: (u32, u32), b: (u32, u32), text: &str) -> Change {
        Change {
            range: Some((pos(a.0, a.1), pos(b.0, b.1))),
            text: text.into(),
        }
    }

    #[test]
    fn edits_in_utf16_after_emoji_and_cjk() {
        let mut doc = Document::new("/w/e.cjs".into(), 1, "a = '😀端';\r\nPORT: 5570\n");
        // After the emoji (2 UTF-16 units) and the CJK character (1 unit): column 8 is the closing quote.
        doc.apply(2, &[change((0, 8), (0, 8), "x")], Encoding::Utf16);
        assert_eq!(&**doc.text(), "a = '😀端x';\r\nPORT: 5570\n");
        doc.apply(3, &[change((1, 6), (1, 10), "5571")], Encoding::Utf16);
        assert_eq!(&**doc.text(), "a = '😀端x';\r\nPORT: 5571\n");
        assert_eq!(doc.version, 3);
    }

    #[test]
    fn ranges_past_the_end_are_clamped() {
        let mut doc = Document::new("/w/e.cjs".into(), 1, "abc\n");
        doc.apply(2, &[change((0, 99), (42, 7), "!")], Encoding::Utf16);
        assert_eq!(&**doc.text(), "abc!");
        doc.apply(3, &[change((9, 0), (0, 1), "")], Encoding::Utf8);
        assert_eq!(&**doc.text(), "a");
    }

    fn fresh_parse(text: &str) -> Parsed {
        syntax::parse(text, &Budget::unlimited()).unwrap()
    }

    #[test]
    fn incremental_parse_matches_a_fresh_one() {
        let text = "module.exports = { apps: [{ name: 'a', env: { PORT: 5570 } }] };\n";
        let mut doc = Document::new("/w/e.cjs".into(), 1, text);
        let budget = Budget::unlimited();
        let (_, tree) = doc.parse_input().parse(&budget).unwrap();
        doc.keep_tree(1, tree);
        doc.apply(2, &[change((0, 52), (0, 56), "5571")], Encoding::Utf16);
        let (parsed, _) = doc.parse_input().parse(&budget).unwrap();
        let fresh = fresh_parse(doc.text());
        assert_eq!(parsed.tree.to_sexp(), fresh.tree.to_sexp());
        // A broken edit, then typing elsewhere in the broken text: the statements around an error are read
        // again as a fresh parse reads them, the rest is reused.
        let text = "const A = \nconst PORTS = { API: 5570 };\nconst B = 1;\nconst C = 2;\nconst D = 3;\n\
                    const E = 4;\nmodule.exports = { apps: [{ name: 'a', env: { PORT: 5572 } }] };\n";
        let mut doc = Document::new("/w/e.cjs".into(), 1, text);
        let (_, tree) = doc.parse_input().parse(&budget).unwrap();
        doc.keep_tree(1, tree);
        for (version, digit) in [(2, "3"), (3, "4"), (4, "5")] {
            doc.apply(version, &[change((6, 55), (6, 56), digit)], Encoding::Utf16);
            let (parsed, tree) = doc.parse_input().parse(&budget).unwrap();
            doc.keep_tree(version, tree);
            let fresh = fresh_parse(doc.text());
            assert!(doc.text().contains(&format!("PORT: 557{digit}")));
            assert_eq!(parsed.tree.to_sexp(), fresh.tree.to_sexp());
            assert_eq!(parsed.errors.len(), fresh.errors.len());
            assert!(!parsed.errors.is_empty());
        }
    }

    /// Every node's kind and span, in order: what a tree tells the analysis.
    fn nodes(tree: &SyntaxTree) -> Vec<(String, usize, usize)> {
        let root = tree.root().unwrap();
        root.descendants()
            .iter()
            .map(|n| (n.kind().to_string(), n.start_byte(), n.end_byte()))
            .collect()
    }

    /// Every digit of a text replaced by every other digit, one edit at a time: where the tree is kept without
    /// a reparse, it is the fresh parse's tree node for node; the edits that would change it (a leading `0`,
    /// a `0x` prefix's neighbour, a BigInt, an escape) are reparsed.
    #[test]
    fn a_digit_edit_keeps_the_tree_only_where_a_fresh_parse_gives_the_same_tree() {
        let text = "// port 5570 of 1\nconst PORTS = { API: 5570, UI: 0, HEX: 0x15, OCT: 0o17, BIG: 12n, \
                    F: 1.5, E: 1e3, S: '55\\x41', T: `a${PORTS.API}9`, W: 055 };\n\
                    const v2 = 'x9';\n{ 'k1': 2 }\nconst v\\u0041x2 = 3;\nmodule.exports = { apps: [{ name: 'a1', env: { PORT: 5571 } }] };\n";
        let budget = Budget::unlimited();
        let (mut kept, mut reparsed) = (0, 0);
        for (at, byte) in text.bytes().enumerate() {
            if !byte.is_ascii_digit() {
                continue;
            }
            for digit in ["0", "1", "7", "9"] {
                let mut doc = Document::new("/w/e.cjs".into(), 1, text);
                let (first, tree) = doc.parse_input().parse(&budget).unwrap();
                doc.keep_tree(1, tree);
                let index = LineIndex::new(text);
                let line = index.line_of(at);
                let col = (at - index.line_range(line).unwrap().start) as u32;
                let line = line as u32;
                doc.apply(
                    2,
                    &[change((line, col), (line, col + 1), digit)],
                    Encoding::Utf8,
                );
                let input = doc.parse_input();
                if let Some(errors) = &input.old_tree_exact {
                    assert_eq!(
                        errors, &first.errors,
                        "an exact tree's errors are its parse's"
                    );
                }
                let (parsed, _) = input.parse(&budget).unwrap();
                let fresh = fresh_parse(doc.text());
                assert_eq!(nodes(&parsed.tree), nodes(&fresh.tree), "{}", doc.text());
                assert_eq!(parsed.errors, fresh.errors);
                if input.old_tree_exact.is_some() {
                    kept += 1;
                } else {
                    reparsed += 1;
                }
            }
        }
        assert!(
            kept > 40 && reparsed > 10,
            "kept {kept}, reparsed {reparsed}"
        );
    }

    /// Errors in a few places are each read again with their neighbours; errors all over (past the window
    /// limit) make the parse a fresh one. Either way the tree is the fresh parse's.
    #[test]
    fn broken_texts_of_many_statements_reparse_to_the_fresh_tree() {
        let budget = Budget::unlimited();
        for (count, every) in [(100, 40), (3_000, 10)] {
            let mut text = String::new();
            for i in 0..count {
                if i % every == 5 {
                    text.push_str("const broken = ;\n");
                } else {
                    text.push_str(&format!("const PORT_{i} = 5{:03};\n", i % 1000));
                }
            }
            let last = count as u32 - 1;
            let mut doc = Document::new("/w/e.cjs".into(), 1, &text);
            let (_, tree) = doc.parse_input().parse(&budget).unwrap();
            doc.keep_tree(1, tree);
            for (version, digit) in [(2, "7"), (3, "8"), (4, "9")] {
                doc.apply(
                    version,
                    &[change((last, 15), (last, 16), digit)],
                    Encoding::Utf16,
                );
                let (parsed, tree) = doc.parse_input().parse(&budget).unwrap();
                doc.keep_tree(version, tree);
                let fresh = fresh_parse(doc.text());
                assert_eq!(
                    parsed.tree.to_sexp(),
                    fresh.tree.to_sexp(),
                    "{count} statements"
                );
                assert_eq!(parsed.errors.len(), fresh.errors.len());
            }
        }
    }
}
