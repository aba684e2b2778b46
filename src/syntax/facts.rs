//! Facts read off a parsed tree once and kept with it, for the layers that must not see the tree: where the
//! text is a comment, a string or a broken stretch (PortOS's detector reads those differently), the comments
//! (migrate keeps every one), and what the text does with a `PORTS` table (navigation and rename).

use super::TextRange;
use tree_sitter::{Node, Tree};

/// What a stretch of text is that is not code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextKind {
    /// A comment.
    Comment,
    /// A literal's text: "a string", "a regular expression" or "a template literal".
    Text(&'static str),
}

/// The stretches of a text that are not live code, in text order.
#[derive(Clone, Debug, Default)]
pub struct TextSpans {
    /// Comments, strings, regular expressions, and template literals minus their `${…}` substitutions.
    pub texts: Vec<(TextRange, TextKind)>,
    /// ERROR and MISSING nodes, overlapping ones merged, in text order.
    pub broken: Vec<TextRange>,
}

/// The ranges of every comment, in text order.
pub(super) fn comments(tree: &Tree) -> Vec<TextRange> {
    let mut out = Vec::new();
    let mut cursor = tree.walk();
    'walk: loop {
        let node = cursor.node();
        if node.kind() == "comment" {
            out.push(TextRange::of(node));
        } else if cursor.goto_first_child() {
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                break 'walk;
            }
        }
    }
    out
}

/// One walk over the tree with a cursor: the text ranges (comments, strings, regular expressions, and
/// template literals minus their `${…}` substitutions, which are code) and the ERROR / MISSING ranges.
pub(super) fn text_spans(tree: &Tree) -> TextSpans {
    let mut texts = Vec::new();
    let mut broken: Vec<TextRange> = Vec::new();
    let mut cursor = tree.walk();
    'walk: loop {
        let node = cursor.node();
        let range = TextRange::of(node);
        let mut descend = true;
        if node.is_error() || node.is_missing() {
            broken.push(range);
        }
        match node.kind() {
            "comment" => {
                texts.push((range, TextKind::Comment));
                descend = false;
            }
            "string" | "regex" => {
                let what = if node.kind() == "string" {
                    "a string"
                } else {
                    "a regular expression"
                };
                texts.push((range, TextKind::Text(what)));
                descend = false;
            }
            "template_string" => {
                // The literal's own text is what lies between its substitutions.
                let mut start = range.start;
                let mut parts = node.walk();
                for part in node.children(&mut parts) {
                    if part.kind() == "template_substitution" {
                        let hole = TextRange::of(part);
                        texts.push((
                            TextRange {
                                start,
                                end: hole.start,
                            },
                            TextKind::Text("a template literal"),
                        ));
                        start = hole.end;
                    }
                }
                texts.push((
                    TextRange {
                        start,
                        end: range.end,
                    },
                    TextKind::Text("a template literal"),
                ));
            }
            _ => {}
        }
        if descend && cursor.goto_first_child() {
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                break 'walk;
            }
        }
    }
    texts.retain(|(range, _)| range.start < range.end);
    texts.sort_by_key(|(range, _)| range.start);
    broken.sort();
    let mut merged: Vec<TextRange> = Vec::with_capacity(broken.len());
    for range in broken {
        match merged.last_mut() {
            Some(last) if range.start <= last.end => last.end = last.end.max(range.end),
            _ => merged.push(range),
        }
    }
    TextSpans {
        texts,
        broken: merged,
    }
}

/// One access to a `PORTS` table's key in a text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyUse {
    /// The key (`API` in `PORTS.API` or `PORTS['API']`); `None` when it is computed (`PORTS[name]`).
    pub key: Option<String>,
    /// The key's text (the property, or the string's content).
    pub range: TextRange,
}

/// What a text does with `PORTS`: its key accesses, its table's keys, and what blocks a rename.
#[derive(Clone, Debug, Default)]
pub struct PortsUses {
    /// `PORTS.KEY` / `PORTS['KEY']` / `x.PORTS.KEY` accesses.
    pub uses: Vec<KeyUse>,
    /// The keys of a top-level `const PORTS = { … }` table in this text, with their ranges.
    pub keys: Vec<(String, TextRange)>,
    /// Destructurings of `PORTS` (`const { API } = PORTS`): their ranges.
    pub destructured: Vec<TextRange>,
    /// Whether the text exports `PORTS` (`module.exports = { PORTS, … }`, `export`), so code outside the
    /// ecosystem files may read its keys.
    pub exported: bool,
}

fn text_of<'t>(node: Node, text: &'t str) -> &'t str {
    text.get(node.byte_range()).unwrap_or("")
}

/// Whether `node` is `PORTS` or `….PORTS`.
fn is_ports(node: Node, text: &str) -> bool {
    match node.kind() {
        "identifier" => text_of(node, text) == "PORTS",
        "member_expression" => node
            .child_by_field_name("property")
            .is_some_and(|p| text_of(p, text) == "PORTS"),
        "parenthesized_expression" => node
            .named_child(0)
            .is_some_and(|inner| is_ports(inner, text)),
        _ => false,
    }
}

/// Reads what a text does with `PORTS`.
pub(super) fn ports_uses(tree: &Tree, text: &str) -> PortsUses {
    let mut out = PortsUses::default();
    let mut stack = vec![tree.root_node()];
    while let Some(node) = stack.pop() {
        match node.kind() {
            "member_expression" => {
                if let (Some(object), Some(property)) = (
                    node.child_by_field_name("object"),
                    node.child_by_field_name("property"),
                ) && is_ports(object, text)
                {
                    out.uses.push(KeyUse {
                        key: Some(text_of(property, text).to_string()),
                        range: TextRange::of(property),
                    });
                }
            }
            "subscript_expression" => {
                if let (Some(object), Some(index)) = (
                    node.child_by_field_name("object"),
                    node.child_by_field_name("index"),
                ) && is_ports(object, text)
                {
                    let literal = index.kind() == "string"
                        && index.named_child_count() <= 1
                        && index
                            .named_child(0)
                            .is_none_or(|c| c.kind() == "string_fragment");
                    if literal {
                        let range =
                            index
                                .named_child(0)
                                .map(TextRange::of)
                                .unwrap_or(TextRange::new(
                                    index.start_byte() + 1,
                                    index.start_byte() + 1,
                                ));
                        out.uses.push(KeyUse {
                            key: Some(text.get(range.as_range()).unwrap_or("").to_string()),
                            range,
                        });
                    } else {
                        out.uses.push(KeyUse {
                            key: None,
                            range: TextRange::of(index),
                        });
                    }
                }
            }
            "variable_declarator" => {
                let name = node.child_by_field_name("name");
                let value = node.child_by_field_name("value");
                if let (Some(name), Some(value)) = (name, value) {
                    if name.kind() == "object_pattern" && is_ports(value, text) {
                        out.destructured.push(TextRange::of(name));
                    }
                    if text_of(name, text) == "PORTS" {
                        let mut object = value;
                        // Object.freeze({ … })
                        if object.kind() == "call_expression"
                            && let Some(args) = object.child_by_field_name("arguments")
                            && let Some(first) = args.named_child(0)
                        {
                            object = first;
                        }
                        if object.kind() == "object" {
                            let mut cursor = object.walk();
                            for pair in object.named_children(&mut cursor) {
                                if pair.kind() != "pair" {
                                    continue;
                                }
                                if let Some(key) = pair.child_by_field_name("key") {
                                    let range = match key.kind() {
                                        "string" => key
                                            .named_child(0)
                                            .map(TextRange::of)
                                            .unwrap_or(TextRange::of(key)),
                                        _ => TextRange::of(key),
                                    };
                                    let name = text.get(range.as_range()).unwrap_or("").to_string();
                                    out.keys.push((name, range));
                                }
                            }
                        }
                    }
                }
            }
            "shorthand_property_identifier" if text_of(node, text) == "PORTS" => {
                out.exported = true;
            }
            "pair" => {
                if let Some(key) = node.child_by_field_name("key")
                    && text_of(key, text).trim_matches(['\'', '"']) == "PORTS"
                {
                    out.exported = true;
                }
            }
            "export_statement" if text_of(node, text).contains("PORTS") => out.exported = true,
            "assignment_expression" => {
                if let Some(left) = node.child_by_field_name("left")
                    && text_of(left, text).ends_with(".PORTS")
                {
                    out.exported = true;
                }
            }
            _ => {}
        }
        let mut cursor = node.walk();
        for child in node.children(&mut cursor) {
            stack.push(child);
        }
    }
    out.uses.sort_by_key(|u| u.range.start);
    out
}
