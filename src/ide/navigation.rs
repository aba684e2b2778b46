//! Moving around ports: go to definition on `PORTS.X` (also across `require('./ports.cjs').PORTS.X`),
//! references of a `PORTS` key across the workspace, rename of a key (refused where a use is computed), and
//! document highlight of one port's uses.

use crate::analysis::Analysis;
use crate::syntax::{self, TextRange};
use std::path::{Path, PathBuf};
use tree_sitter::Node;

/// A place in a file.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Place {
    /// The file.
    pub path: PathBuf,
    /// The range.
    pub range: TextRange,
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
pub fn ports_uses(text: &str) -> PortsUses {
    let parsed = syntax::parse(text);
    let mut out = PortsUses::default();
    let mut stack = vec![parsed.tree.root_node()];
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

/// A `PORTS` key the cursor is on: which table (the file holding it) and which key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyAt {
    /// The file whose `PORTS` table defines the key.
    pub table: PathBuf,
    /// The key.
    pub key: String,
    /// The key's text under the cursor.
    pub range: TextRange,
    /// Where the key is defined, when found.
    pub definition: Option<Place>,
}

/// The `PORTS` key at `offset` of the analysed file: on the table's key, or on a `PORTS.KEY` access.
/// `read` gives other files' texts (the table may be in a required file).
pub fn key_at(
    analysis: &Analysis,
    offset: usize,
    read: &dyn Fn(&Path) -> Option<String>,
) -> Option<KeyAt> {
    let text = analysis.model.text();
    let here = analysis.model.path().to_path_buf();
    let uses = ports_uses(text);
    let within = |r: TextRange| (r.start as usize) <= offset && offset <= r.end as usize;
    if let Some((key, range)) = uses.keys.iter().find(|(_, r)| within(*r)) {
        return Some(KeyAt {
            table: here.clone(),
            key: key.clone(),
            range: *range,
            definition: Some(Place {
                path: here,
                range: *range,
            }),
        });
    }
    let access = uses.uses.iter().find(|u| within(u.range))?;
    let key = access.key.clone()?;
    if let Some((_, range)) = uses.keys.iter().find(|(k, _)| *k == key) {
        return Some(KeyAt {
            table: here.clone(),
            key,
            range: access.range,
            definition: Some(Place {
                path: here,
                range: *range,
            }),
        });
    }
    // The table is in a required file: each required file that defines the key is a candidate; a binding
    // whose value came through this access names the very file.
    let mut candidates: Vec<PathBuf> = Vec::new();
    for labelled in &analysis.labels.processes {
        for binding in &labelled.bindings {
            if binding.port.def.file.0 != 0
                && binding
                    .uses
                    .iter()
                    .any(|u| u.use_loc.file.0 == 0 && u.use_loc.range.contains_range(access.range))
            {
                candidates.push(
                    analysis.model.files[binding.port.def.file.0 as usize]
                        .path
                        .clone(),
                );
            }
        }
    }
    candidates.extend(analysis.model.files[1..].iter().map(|f| f.path.clone()));
    for path in candidates {
        let Some(other) = read(&path) else { continue };
        let other_uses = ports_uses(&other);
        if let Some((_, range)) = other_uses.keys.iter().find(|(k, _)| *k == key) {
            return Some(KeyAt {
                table: path.clone(),
                key,
                range: access.range,
                definition: Some(Place {
                    path,
                    range: *range,
                }),
            });
        }
    }
    None
}

/// Every place a key of `table`'s `PORTS` is defined or read, in `files` (the table's file and the files
/// that may read it): the definition first. Also returns the reasons a rename would not be safe, and whether
/// the table is exported (then code outside the ecosystem files may read the key too).
pub fn key_references(
    target: &KeyAt,
    files: &[(PathBuf, String)],
) -> (Vec<Place>, Vec<String>, bool) {
    let mut places = Vec::new();
    let mut blockers = Vec::new();
    let mut exported = false;
    if let Some(definition) = &target.definition {
        places.push(definition.clone());
    }
    for (path, text) in files {
        let uses = ports_uses(text);
        let index = syntax::LineIndex::new(text);
        let line = |r: TextRange| index.line_of(r.start as usize) + 1;
        if *path == target.table && uses.exported {
            exported = true;
        }
        for access in &uses.uses {
            match &access.key {
                Some(key) if *key == target.key => {
                    // Read from another file: the table is exported to it.
                    exported |= *path != target.table;
                    places.push(Place {
                        path: path.clone(),
                        range: access.range,
                    });
                }
                Some(_) => {}
                None => blockers.push(format!(
                    "`PORTS` is indexed with a computed key at {}:{}",
                    path.display(),
                    line(access.range)
                )),
            }
        }
        for range in &uses.destructured {
            blockers.push(format!(
                "`PORTS` is destructured at {}:{}",
                path.display(),
                line(*range)
            ));
        }
    }
    places.sort();
    places.dedup();
    // The definition first.
    if let Some(definition) = &target.definition
        && let Some(at) = places.iter().position(|p| p == definition)
    {
        let d = places.remove(at);
        places.insert(0, d);
    }
    (places, blockers, exported)
}

/// The ranges in the analysed file of every use of the port at `offset`: the `PORTS` key and its accesses,
/// or a binding's uses and definition.
pub fn highlights(analysis: &Analysis, offset: usize) -> Vec<TextRange> {
    let text = analysis.model.text();
    let uses = ports_uses(text);
    let within = |r: TextRange| (r.start as usize) <= offset && offset <= r.end as usize;
    let key = uses
        .keys
        .iter()
        .find(|(_, r)| within(*r))
        .map(|(k, _)| k.clone())
        .or_else(|| {
            uses.uses
                .iter()
                .find(|u| within(u.range))
                .and_then(|u| u.key.clone())
        });
    if let Some(key) = key {
        let mut ranges: Vec<TextRange> = uses
            .keys
            .iter()
            .filter(|(k, _)| *k == key)
            .map(|(_, r)| *r)
            .chain(
                uses.uses
                    .iter()
                    .filter(|u| u.key.as_deref() == Some(key.as_str()))
                    .map(|u| u.range),
            )
            .collect();
        ranges.sort_by_key(|r| r.start);
        ranges.dedup();
        return ranges;
    }
    // A literal port: every use of its binding (and of bindings sharing its definition).
    for labelled in &analysis.labels.processes {
        for binding in &labelled.bindings {
            let hit = binding
                .uses
                .iter()
                .any(|u| u.use_loc.file.0 == 0 && within(u.use_loc.range));
            if !hit {
                continue;
            }
            let def = binding.port.def;
            let mut ranges: Vec<TextRange> = analysis
                .labels
                .processes
                .iter()
                .flat_map(|p| &p.bindings)
                .filter(|b| b.port.def == def)
                .flat_map(|b| &b.uses)
                .filter(|u| u.use_loc.file.0 == 0)
                .map(|u| u.use_loc.range)
                .collect();
            if def.file.0 == 0 {
                ranges.push(def.range);
            }
            ranges.sort_by_key(|r| r.start);
            ranges.dedup();
            return ranges;
        }
    }
    Vec::new()
}

/// Whether `name` can be a `PORTS` key written as `PORTS.name`.
pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '$')
}
