//! Moving around ports: go to definition on `PORTS.X` (also across `require('./ports.cjs').PORTS.X`),
//! references of a `PORTS` key across the workspace, rename of a key (refused where a use is computed), and
//! document highlight of one port's uses.

use crate::analysis::Analysis;
use crate::model::SourceFile;
use crate::syntax::{self, PortsUses, TextRange};
use std::path::PathBuf;

/// A place in a file.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Place {
    /// The file.
    pub path: PathBuf,
    /// The range.
    pub range: TextRange,
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

/// What a file the evaluation read does with `PORTS`, from its one parse (nothing for a file it did not
/// parse).
pub fn ports_uses(file: &SourceFile) -> Option<&PortsUses> {
    Some(file.syntax.as_deref()?.ports_uses(&file.text))
}

/// The `PORTS` key at `offset` of the analysed file: on the table's key, or on a `PORTS.KEY` access (the
/// table may be in a required file).
pub fn key_at(analysis: &Analysis, offset: usize) -> Option<KeyAt> {
    let here = analysis.model.path().to_path_buf();
    let uses = ports_uses(&analysis.model.files[0])?;
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
    let mut candidates: Vec<usize> = Vec::new();
    for labelled in &analysis.labels.processes {
        for binding in labelled.bindings.iter() {
            if binding.port.def.file.0 != 0
                && binding
                    .uses
                    .iter()
                    .any(|u| u.use_loc.file.0 == 0 && u.use_loc.range.contains_range(access.range))
            {
                candidates.push(binding.port.def.file.0 as usize);
            }
        }
    }
    candidates.extend(1..analysis.model.files.len());
    for file in candidates {
        let other = &analysis.model.files[file];
        let Some(other_uses) = ports_uses(other) else {
            continue;
        };
        if let Some((_, range)) = other_uses.keys.iter().find(|(k, _)| *k == key) {
            let path = other.path.clone();
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
/// that may read it, each with its one parse): the definition first. Also returns the reasons a rename would
/// not be safe, and whether the table is exported (then code outside the ecosystem files may read the key
/// too).
pub fn key_references(target: &KeyAt, files: &[&SourceFile]) -> (Vec<Place>, Vec<String>, bool) {
    let mut places = Vec::new();
    let mut blockers = Vec::new();
    let mut exported = false;
    if let Some(definition) = &target.definition {
        places.push(definition.clone());
    }
    for file in files {
        let (path, text) = (&file.path, &file.text);
        let Some(uses) = ports_uses(file) else {
            continue;
        };
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
    let Some(uses) = ports_uses(&analysis.model.files[0]) else {
        return Vec::new();
    };
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
        for binding in labelled.bindings.iter() {
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
                .flat_map(|p| p.bindings.iter())
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
