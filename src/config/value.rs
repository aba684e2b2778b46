//! One small value tree for both configuration sources (TOML with positions, editor JSON without), so that
//! every setting is validated by a single code path and reports the same message whichever way it came in.

use crate::syntax::{Encoding, LineIndex};

/// A 1-based line and column (columns count Unicode characters), as users and the CLI see them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Pos {
    pub(crate) line: u32,
    pub(crate) column: u32,
}

/// A table entry: the key, where the key was written, the value.
pub(crate) type Entry = (String, Option<Pos>, Node);

/// A configuration value with where it was written; editor JSON has no positions.
#[derive(Clone, Debug)]
pub(crate) struct Node {
    pub(crate) pos: Option<Pos>,
    pub(crate) kind: Kind,
}

/// The shapes a setting can take. Integers are kept wide so that out-of-range numbers can be reported
/// with their real value instead of failing to convert.
#[derive(Clone, Debug)]
pub(crate) enum Kind {
    Int(i128),
    Float(f64),
    Bool(bool),
    Str(String),
    Array(Vec<Node>),
    /// Entries in source order: key, the key's position, the value.
    Table(Vec<Entry>),
    /// JSON `null`: the editor's way of saying "not set".
    Null,
    /// A value of a type no setting accepts (a TOML datetime); the name is for the message.
    Other(&'static str),
}

impl Kind {
    /// The type's name as a user would say it, for "expected X, got Y" messages.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Kind::Int(_) => "an integer",
            Kind::Float(_) => "a float",
            Kind::Bool(_) => "a boolean",
            Kind::Str(_) => "a string",
            Kind::Array(_) => "an array",
            Kind::Table(_) => "a table",
            Kind::Null => "null",
            Kind::Other(name) => name,
        }
    }
}

/// Converts byte offsets of one text to 1-based positions.
pub(crate) struct Positions<'a> {
    text: &'a str,
    index: LineIndex,
}

impl<'a> Positions<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Positions {
            text,
            index: LineIndex::new(text),
        }
    }

    /// The position of a byte offset; offsets past the end clamp to the end.
    pub(crate) fn at(&self, offset: usize) -> Pos {
        let offset = offset.min(self.text.len());
        let lc = self.index.position(self.text, offset, Encoding::Utf32);
        Pos {
            line: lc.line.saturating_add(1),
            column: lc.col.saturating_add(1),
        }
    }
}

/// Converts a parsed TOML value, giving every node and key its position.
pub(crate) fn from_toml(
    value: &toml::Spanned<toml::de::DeValue<'_>>,
    positions: &Positions<'_>,
) -> Node {
    use toml::de::DeValue;
    let pos = Some(positions.at(value.span().start));
    let kind = match value.get_ref() {
        DeValue::String(s) => Kind::Str(s.to_string()),
        DeValue::Integer(i) => match i128::from_str_radix(i.as_str(), i.radix()) {
            Ok(n) => Kind::Int(n),
            // The parser already accepted it as an integer; a value that does not fit i128 is simply huge.
            Err(_) => Kind::Int(i128::MAX),
        },
        DeValue::Float(f) => Kind::Float(f.as_str().parse().unwrap_or(f64::NAN)),
        DeValue::Boolean(b) => Kind::Bool(*b),
        DeValue::Datetime(_) => Kind::Other("a datetime"),
        DeValue::Array(items) => Kind::Array(
            items
                .iter()
                .map(|item| from_toml(item, positions))
                .collect(),
        ),
        DeValue::Table(table) => Kind::Table(table_from_toml(table, positions)),
    };
    Node { pos, kind }
}

/// Converts a TOML table's entries, sorted back into source order (the parser's map sorts by key).
pub(crate) fn table_from_toml(
    table: &toml::de::DeTable<'_>,
    positions: &Positions<'_>,
) -> Vec<Entry> {
    let mut entries: Vec<(usize, String, Option<Pos>, Node)> = table
        .iter()
        .map(|(key, value)| {
            let start = key.span().start;
            (
                start,
                key.get_ref().to_string(),
                Some(positions.at(start)),
                from_toml(value, positions),
            )
        })
        .collect();
    entries.sort_by_key(|entry| entry.0);
    entries
        .into_iter()
        .map(|(_, key, pos, node)| (key, pos, node))
        .collect()
}

/// Converts editor JSON; nothing in it has a position.
pub(crate) fn from_json(value: &serde_json::Value) -> Node {
    use serde_json::Value;
    let kind = match value {
        Value::Null => Kind::Null,
        Value::Bool(b) => Kind::Bool(*b),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Kind::Int(i128::from(i))
            } else if let Some(u) = n.as_u64() {
                Kind::Int(i128::from(u))
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                // Editors often send whole numbers as floats (`5570.0`); accept those as integers.
                if f.fract() == 0.0 && f.abs() < 1e15 {
                    Kind::Int(f as i128)
                } else {
                    Kind::Float(f)
                }
            }
        }
        Value::String(s) => Kind::Str(s.clone()),
        Value::Array(items) => Kind::Array(items.iter().map(from_json).collect()),
        Value::Object(map) => Kind::Table(
            map.iter()
                .map(|(key, value)| (key.clone(), None, from_json(value)))
                .collect(),
        ),
    };
    Node { pos: None, kind }
}
