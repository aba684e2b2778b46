//! A parsed tree behind the syntax layer's own types, so no layer above `model` depends on tree-sitter: the
//! evaluator reads the raw tree, and the one rewriter that walks syntax (`migrate`) reads it through these.

use super::TextRange;
use super::yaml::YamlDocument;
use std::sync::Arc;

/// A syntax tree of one version of a text: tree-sitter's for JavaScript and JSON, the YAML loader's for YAML.
/// Cheap to clone (tree-sitter shares its nodes; the YAML document is shared).
#[derive(Clone)]
pub struct SyntaxTree(pub(super) Repr);

/// The tree of each kind of text.
#[derive(Clone)]
pub(super) enum Repr {
    /// JavaScript, and JSON read as the JavaScript expression PM2 evaluates (its spans the file's own).
    Js(tree_sitter::Tree),
    /// A YAML document.
    Yaml(Arc<YamlDocument>),
}

impl std::fmt::Debug for SyntaxTree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Repr::Js(tree) => f
                .debug_struct("SyntaxTree")
                .field("bytes", &tree.root_node().end_byte())
                .finish(),
            Repr::Yaml(doc) => f
                .debug_struct("SyntaxTree")
                .field("yaml_nodes", &doc.nodes.len())
                .finish(),
        }
    }
}

/// Where an edit lands, in bytes and in (row, byte column) points, as tree-sitter needs it to reuse a tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TreeEdit {
    /// The first byte replaced.
    pub start: usize,
    /// One past the last byte replaced, before the edit.
    pub old_end: usize,
    /// One past the last byte inserted, after the edit.
    pub new_end: usize,
    /// `start` as (row, byte column).
    pub start_point: (usize, usize),
    /// `old_end` as (row, byte column) in the old text.
    pub old_end_point: (usize, usize),
    /// `new_end` as (row, byte column) in the new text.
    pub new_end_point: (usize, usize),
}

impl SyntaxTree {
    /// The root node of a JavaScript or JSON tree (`None` for YAML, which has no syntax nodes to walk).
    pub fn root(&self) -> Option<SyntaxNode<'_>> {
        self.js().map(|tree| SyntaxNode(tree.root_node()))
    }

    /// The evaluator's view: the raw tree-sitter root of a JavaScript or JSON tree. Only `syntax` and `model`
    /// may call it (the architecture test says so).
    pub(crate) fn raw_root(&self) -> Option<tree_sitter::Node<'_>> {
        self.js().map(tree_sitter::Tree::root_node)
    }

    /// The YAML document, for a YAML file.
    pub fn yaml(&self) -> Option<&YamlDocument> {
        match &self.0 {
            Repr::Yaml(doc) => Some(doc),
            Repr::Js(_) => None,
        }
    }

    /// tree-sitter's tree, for JavaScript and JSON.
    pub(super) fn js(&self) -> Option<&tree_sitter::Tree> {
        match &self.0 {
            Repr::Js(tree) => Some(tree),
            Repr::Yaml(_) => None,
        }
    }

    /// Records an edit of the text, so the next parse can reuse what the edit did not touch (JavaScript only:
    /// JSON and YAML are parsed afresh each version).
    pub fn edit(&mut self, edit: &TreeEdit) {
        let Repr::Js(tree) = &mut self.0 else {
            return;
        };
        let point = |(row, column): (usize, usize)| tree_sitter::Point::new(row, column);
        tree.edit(&tree_sitter::InputEdit {
            start_byte: edit.start,
            old_end_byte: edit.old_end,
            new_end_byte: edit.new_end,
            start_position: point(edit.start_point),
            old_end_position: point(edit.old_end_point),
            new_end_position: point(edit.new_end_point),
        });
    }

    /// Whether the tree, parsed from `text` and not edited since, is still the tree a fresh parse makes once
    /// `start..end` of `text` is replaced by `new`: ASCII digits swapped for as many ASCII digits inside one
    /// leaf where a digit is only a character — a comment, a string's text, a name past its first character,
    /// a decimal integer that stays one (`5580` → `5581`, never `1` → `0…`) — in a tree without errors. That
    /// is the edit a port number gets, and then nothing needs reparsing: tree-sitter's nodes hold spans and
    /// kinds, not text, and no span or kind moves.
    pub fn keeps_shape(&self, text: &str, start: usize, end: usize, new: &str) -> bool {
        let Repr::Js(tree) = &self.0 else {
            return false;
        };
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let Some(old) = text.get(start..end) else {
            return false;
        };
        if old.len() != new.len() || !digits(old) || !digits(new) {
            return false;
        }
        let root = tree.root_node();
        if root.has_error() {
            return false;
        }
        let Some(leaf) = root.descendant_for_byte_range(start, end) else {
            return false;
        };
        if leaf.child_count() != 0 || leaf.start_byte() > start || leaf.end_byte() < end {
            return false;
        }
        match leaf.kind() {
            "comment" | "string_fragment" => true,
            // Past its first character (a name cannot start with a digit), and with no `\u` escape, whose
            // digits say which character it is.
            "identifier" | "property_identifier" | "shorthand_property_identifier" => {
                leaf.start_byte() < start
                    && text
                        .get(leaf.byte_range())
                        .is_some_and(|name| !name.contains('\\'))
            }
            "number" => {
                let Some(before) = text.get(leaf.byte_range()) else {
                    return false;
                };
                let at = start - leaf.start_byte();
                let after = [&before[..at], new, &before[at + new.len()..]].concat();
                let decimal = |s: &str| digits(s) && (s == "0" || !s.starts_with('0'));
                decimal(before) && decimal(&after)
            }
            _ => false,
        }
    }

    /// Whether the tree has an ERROR or MISSING node anywhere (for YAML: whether the document failed to load).
    pub fn has_error(&self) -> bool {
        match &self.0 {
            Repr::Js(tree) => tree.root_node().has_error(),
            Repr::Yaml(doc) => doc.root.is_none() && !doc.nodes.is_empty(),
        }
    }

    /// The tree as an S-expression, for tests comparing two parses.
    pub fn to_sexp(&self) -> String {
        match &self.0 {
            Repr::Js(tree) => tree.root_node().to_sexp(),
            Repr::Yaml(doc) => format!("{doc:?}"),
        }
    }
}

/// One node of a [`SyntaxTree`]: its kind, its span and its neighbours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyntaxNode<'t>(tree_sitter::Node<'t>);

impl<'t> SyntaxNode<'t> {
    /// The grammar's name for the node (`object`, `pair`, `,`, `comment`, …).
    pub fn kind(&self) -> &'t str {
        self.0.kind()
    }

    /// The first byte.
    pub fn start_byte(&self) -> usize {
        self.0.start_byte()
    }

    /// One past the last byte.
    pub fn end_byte(&self) -> usize {
        self.0.end_byte()
    }

    /// The byte range, for slicing the text.
    pub fn byte_range(&self) -> std::ops::Range<usize> {
        self.0.byte_range()
    }

    /// The span.
    pub fn range(&self) -> TextRange {
        TextRange::new(self.0.start_byte(), self.0.end_byte())
    }

    /// The enclosing node.
    pub fn parent(&self) -> Option<Self> {
        self.0.parent().map(SyntaxNode)
    }

    /// The next node under the same parent, punctuation included.
    pub fn next_sibling(&self) -> Option<Self> {
        self.0.next_sibling().map(SyntaxNode)
    }

    /// The previous node under the same parent, punctuation included.
    pub fn prev_sibling(&self) -> Option<Self> {
        self.0.prev_sibling().map(SyntaxNode)
    }

    /// Every child, punctuation included.
    pub fn children(&self) -> Vec<Self> {
        let mut cursor = self.0.walk();
        self.0.children(&mut cursor).map(SyntaxNode).collect()
    }

    /// The named children (no punctuation).
    pub fn named_children(&self) -> Vec<Self> {
        let mut cursor = self.0.walk();
        self.0.named_children(&mut cursor).map(SyntaxNode).collect()
    }

    /// The child the grammar names `field` (`key`, `value`, `object`, …).
    pub fn child_by_field_name(&self, field: &str) -> Option<Self> {
        self.0.child_by_field_name(field).map(SyntaxNode)
    }

    /// The `i`-th named child.
    pub fn named_child(&self, i: usize) -> Option<Self> {
        self.0.named_child(u32::try_from(i).ok()?).map(SyntaxNode)
    }

    /// How many named children.
    pub fn named_child_count(&self) -> usize {
        self.0.named_child_count()
    }

    /// The smallest node spanning `start..end`.
    pub fn descendant_for_byte_range(&self, start: usize, end: usize) -> Option<Self> {
        self.0.descendant_for_byte_range(start, end).map(SyntaxNode)
    }

    /// Every node below this one, this one first, in text order (a pre-order walk with one cursor).
    pub fn descendants(&self) -> Vec<Self> {
        let mut out = Vec::new();
        let mut cursor = self.0.walk();
        'walk: loop {
            out.push(SyntaxNode(cursor.node()));
            if cursor.goto_first_child() {
                continue;
            }
            while !cursor.goto_next_sibling() {
                if !cursor.goto_parent() || cursor.node() == self.0 {
                    break 'walk;
                }
            }
        }
        out
    }
}
