//! The syntax layer: decoding a file's bytes, parsing it with tree-sitter, and positions in its text.

pub mod fields;
pub mod line_index;
pub mod source;

pub use line_index::{Encoding, LineCol, LineIndex};
pub use source::{DecodeError, decode};

use tree_sitter::{Node, Parser, Tree};

/// A half-open byte range in one file's text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default, serde::Serialize)]
pub struct TextRange {
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

impl TextRange {
    /// Builds a range; callers pass offsets they got from tree-sitter or from searching the text.
    pub fn new(start: usize, end: usize) -> Self {
        TextRange {
            start: start as u32,
            end: end as u32,
        }
    }

    /// The range a syntax node covers.
    pub fn of(node: Node) -> Self {
        TextRange::new(node.start_byte(), node.end_byte())
    }

    /// Whether `offset` falls inside the range (the end counts, so a cursor right after a token still hits it).
    pub fn touches(&self, offset: usize) -> bool {
        (self.start as usize) <= offset && offset <= (self.end as usize)
    }

    /// Whether `other` lies entirely inside this range.
    pub fn contains_range(&self, other: TextRange) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    /// As a `usize` range for slicing the text.
    pub fn as_range(&self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// What tree-sitter could not make sense of.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SyntaxError {
    /// Where the error is.
    pub range: TextRange,
    /// `Some(kind)` when tree-sitter inserted a missing token (`;`, `}`, …); `None` for an ERROR node.
    pub missing: Option<String>,
    /// Whether the error leaves an open string, template, comment or brace, after which the extent of the
    /// enclosing app cannot be known (spec §8); the diagnostic says findings after it may be incomplete.
    pub unbounded: bool,
}

/// A parsed file: the tree and its errors. Parsing never fails; a broken file is a tree with errors.
pub struct Parsed {
    /// The concrete syntax tree.
    pub tree: Tree,
    /// Every ERROR and MISSING node, in text order.
    pub errors: Vec<SyntaxError>,
}

/// The JavaScript language, for callers that build their own parser (the benchmark's bare parse).
pub fn language() -> tree_sitter::Language {
    tree_sitter_javascript::LANGUAGE.into()
}

thread_local! {
    static PARSER: std::cell::RefCell<Option<Parser>> = const { std::cell::RefCell::new(None) };
}

/// Parses JavaScript. Reuses one parser per thread, since creating one allocates its tables each time.
pub fn parse(text: &str) -> Parsed {
    let tree = PARSER.with(|cell| {
        let mut slot = cell.borrow_mut();
        let parser = slot.get_or_insert_with(|| {
            let mut parser = Parser::new();
            parser
                .set_language(&language())
                .expect("the bundled JavaScript grammar matches the tree-sitter version");
            parser
        });
        parser.reset();
        parser.parse(text, None)
    });
    // `parse` only returns None on cancellation or without a language, neither of which we allow.
    let tree =
        tree.expect("tree-sitter parse without timeout or cancellation always yields a tree");
    let errors = collect_errors(&tree, text);
    Parsed { tree, errors }
}

fn collect_errors(tree: &Tree, text: &str) -> Vec<SyntaxError> {
    let mut errors = Vec::new();
    if !tree.root_node().has_error() {
        return errors;
    }
    let mut cursor = tree.walk();
    loop {
        let node = cursor.node();
        if node.is_error() || node.is_missing() {
            let missing = node.is_missing().then(|| node.kind().to_string());
            errors.push(SyntaxError {
                range: TextRange::of(node),
                unbounded: is_unbounded(node, text),
                missing,
            });
        } else if node.has_error() && cursor.goto_first_child() {
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                return errors;
            }
        }
    }
}

/// An error is unbounded when it runs to the end of the file, or starts an unterminated string,
/// template or comment, or is a missing closing brace/bracket: tree-sitter then cannot say where the
/// enclosing construct ends.
fn is_unbounded(node: Node, text: &str) -> bool {
    if node.is_missing() {
        return matches!(node.kind(), "}" | "]" | ")" | "`" | "\"" | "'");
    }
    if node.end_byte() >= text.trim_end().len() {
        return true;
    }
    let slice = text.get(node.start_byte()..node.end_byte()).unwrap_or("");
    slice.contains("/*") && !slice.contains("*/")
        || slice.matches('`').count() % 2 == 1
        || is_unterminated_string(slice)
}

/// Whether the text opens a quote it never closes (`'b, env: {…`), which swallows what follows.
pub fn is_unterminated_string(slice: &str) -> bool {
    let trimmed = slice.trim();
    let Some(quote) = trimmed.chars().next().filter(|c| *c == '\'' || *c == '"') else {
        return false;
    };
    trimmed.len() == 1 || !trimmed.ends_with(quote) || trimmed.lines().count() > 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_file_has_no_errors() {
        assert!(parse("module.exports = { apps: [] };").errors.is_empty());
    }

    #[test]
    fn missing_comma_is_reported_and_bounded() {
        let parsed = parse("const a = { x: 1 y: 2 };\nconst b = 3;\n");
        assert!(!parsed.errors.is_empty());
        assert!(
            parsed.errors.iter().all(|e| !e.unbounded),
            "{:?}",
            parsed.errors
        );
    }

    #[test]
    fn unterminated_string_is_unbounded() {
        let parsed =
            parse("const a = [\n  { n: 'a' },\n  { n: 'b, x: { y: 1 } },\n  { n: 'c' },\n];\n");
        assert!(
            parsed.errors.iter().any(|e| e.unbounded),
            "{:?}",
            parsed.errors
        );
        assert!(is_unterminated_string("'b, x: 1 },"));
        assert!(!is_unterminated_string("'b'"));
        assert!(!is_unterminated_string("{ n: 'b' }"));
    }

    #[test]
    fn unterminated_comment_is_unbounded() {
        let parsed = parse("const a = 1;\n/* open\nconst b = 2;\n");
        assert!(
            parsed.errors.iter().any(|e| e.unbounded),
            "{:?}",
            parsed.errors
        );
    }
}
