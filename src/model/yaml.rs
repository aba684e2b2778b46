//! A YAML document's value as PM2 gets it from js-yaml's `load` (its default schema): plain scalars typed as
//! null, booleans, integers and floats, everything else a string; anchors, aliases and `<<` merge keys
//! resolved. Every value keeps its span; a value reached through an alias or a `<<` merge keeps its anchored
//! node's, as its definition and its use (where a fix must edit, and where a finding points).

use super::value::{FileId, Loc, Object, Piece, Prop, Str, Traced, Unknown, Value};
use crate::syntax::TextRange;
use crate::syntax::yaml::{YamlDocument, YamlKind, YamlStyle};

/// The value of a YAML file (`undefined` for an empty one, or one the loader refused).
pub fn value_of(doc: &YamlDocument, text: &str) -> Traced {
    // Only the nodes an alias repeats are kept once read.
    let mut repeated = vec![false; doc.nodes.len()];
    for node in &doc.nodes {
        if let YamlKind::Alias(target) = node.kind {
            repeated[target] = true;
        }
    }
    let mut reader = Reader {
        doc,
        text,
        repeated,
        cache: vec![None; doc.nodes.len()],
        busy: vec![false; doc.nodes.len()],
        work: 0,
        limit: 4 * text.len() as u64 + 10_000,
        depth: 0,
        last_size: 0,
    };
    match doc.root {
        Some(root) => reader.node(root),
        None => Traced::here(Value::Undefined, loc(TextRange::new(0, 0))),
    }
}

fn loc(range: TextRange) -> Loc {
    Loc::new(FileId(0), range)
}

struct Reader<'d> {
    doc: &'d YamlDocument,
    text: &'d str,
    /// Which nodes an alias repeats.
    repeated: Vec<bool>,
    /// Each repeated node's value once read, with how many values it holds.
    cache: Vec<Option<(Traced, u64)>>,
    /// How many values the node just read holds (itself and everything inside).
    last_size: u64,
    /// Nodes being read, so an alias of an enclosing node is refused rather than followed for ever.
    busy: Vec<bool>,
    /// Values built so far: aliases of aliases can multiply a small file's values exponentially.
    work: u64,
    limit: u64,
    /// How deep the node being read is: a value nested deeper than [`MAX_DEPTH`] is not followed.
    depth: u32,
}

/// How deep a YAML value is read; deeper ones are unknown (no ecosystem file nests so deep, and reading them
/// would need as deep a stack).
const MAX_DEPTH: u32 = 200;

impl Reader<'_> {
    fn node(&mut self, index: usize) -> Traced {
        self.depth += 1;
        let value = self.read(index);
        self.depth -= 1;
        value
    }

    fn read(&mut self, index: usize) -> Traced {
        self.last_size = 1;
        let node = &self.doc.nodes[index];
        let here = loc(node.range);
        self.work += 1;
        if self.depth > MAX_DEPTH {
            return Traced::here(
                Value::Unknown(Unknown::Unsupported("a YAML value nested this deep".into())),
                here,
            );
        }
        if self.work > self.limit {
            return Traced::here(
                Value::Unknown(Unknown::Unsupported(
                    "a YAML value repeated through too many aliases".into(),
                )),
                here,
            );
        }
        match &node.kind {
            YamlKind::Alias(target) => {
                let target = *target;
                if self.busy[target] {
                    return Traced::here(
                        Value::Unknown(Unknown::Unsupported(
                            "an alias of the node that holds it".into(),
                        )),
                        here,
                    );
                }
                let (size, cached) = match &self.cache[target] {
                    Some((_, size)) => (*size, true),
                    None => (0, false),
                };
                // A repeated value costs what it holds: aliases of aliases multiply a file's values.
                if cached && self.work + size > self.limit {
                    return Traced::here(
                        Value::Unknown(Unknown::Unsupported(
                            "a YAML value repeated through too many aliases".into(),
                        )),
                        here,
                    );
                }
                // The value keeps its anchored place, defined and used there: that is where it is written,
                // so where a finding points and a fix edits.
                match &self.cache[target] {
                    Some((value, size)) => {
                        self.work += size;
                        self.last_size = *size;
                        value.clone()
                    }
                    None => self.node(target),
                }
            }
            YamlKind::Scalar { value, style } => {
                let typed = scalar(value, *style, node.tag.as_deref(), self.text, node.range);
                let traced = Traced::here(typed, here);
                self.last_size = 1;
                if self.repeated[index] {
                    self.cache[index] = Some((traced.clone(), 1));
                }
                traced
            }
            YamlKind::Sequence(items) => {
                self.busy[index] = true;
                let mut size = 1;
                let mut values = Vec::with_capacity(items.len());
                for item in items.clone() {
                    values.push(self.node(item));
                    size += self.last_size;
                }
                self.busy[index] = false;
                let traced = Traced::here(Value::Array(values), here);
                self.last_size = size;
                if self.repeated[index] {
                    self.cache[index] = Some((traced.clone(), size));
                }
                traced
            }
            YamlKind::Mapping(pairs) => {
                self.busy[index] = true;
                let pairs = pairs.clone();
                let mut object = Object::new(false);
                let mut size = 1;
                // Keys merged in with `<<` give way to the mapping's own keys, wherever those are written.
                for (key, value) in pairs {
                    let key_node = &self.doc.nodes[key];
                    let key_text = self.key_text(key);
                    let is_merge = matches!(&key_node.kind, YamlKind::Scalar { value, style: YamlStyle::Plain } if value == "<<")
                        && key_node.tag.is_none();
                    if is_merge {
                        let source = self.node(value);
                        size += self.last_size;
                        for mapping in merge_sources(&source) {
                            for prop in mapping.props() {
                                if object.get(&prop.key).is_none() {
                                    object.set(prop.clone());
                                }
                            }
                        }
                        continue;
                    }
                    let value = self.node(value);
                    size += self.last_size;
                    object.set(Prop {
                        key: key_text,
                        key_loc: Some(loc(key_node.range)),
                        value,
                    });
                }
                self.busy[index] = false;
                let traced = Traced::here(Value::Object(object), here);
                self.last_size = size;
                if self.repeated[index] {
                    self.cache[index] = Some((traced.clone(), size));
                }
                traced
            }
        }
    }

    /// A key as js-yaml stores it: its value turned into a string.
    fn key_text(&mut self, key: usize) -> String {
        let value = self.node(key);
        super::value::to_js_string(&value.value).unwrap_or_else(|| match value.value {
            Value::Array(_) => "[array]".into(),
            _ => "[object Object]".into(),
        })
    }
}

/// The mappings a `<<` merges: one mapping, or a sequence of them (the first listed wins).
fn merge_sources(value: &Traced) -> Vec<&Object> {
    match &value.value {
        Value::Object(object) => vec![object],
        Value::Array(items) => items.iter().filter_map(Traced::as_object).collect(),
        _ => Vec::new(),
    }
}

/// A scalar's value under js-yaml's default schema: explicit tags first, then plain scalars typed by their
/// text, and every other style a string.
fn scalar(value: &str, style: YamlStyle, tag: Option<&str>, text: &str, range: TextRange) -> Value {
    let string = || Value::String(string_value(value, style, text, range));
    match tag {
        Some("!!str") => return string(),
        Some("!!int") => return int(value).map_or_else(string, Value::Number),
        Some("!!float") => {
            return float(value)
                .or_else(|| int(value))
                .map_or_else(string, Value::Number);
        }
        Some("!!bool") => return boolean(value).map_or_else(string, Value::Bool),
        Some("!!null") => return Value::Null,
        Some(_) => return string(),
        None => {}
    }
    if style != YamlStyle::Plain {
        return string();
    }
    if matches!(value, "" | "~" | "null" | "Null" | "NULL") {
        return Value::Null;
    }
    if let Some(b) = boolean(value) {
        return Value::Bool(b);
    }
    if let Some(n) = int(value).or_else(|| float(value)) {
        return Value::Number(n);
    }
    if is_timestamp(value) {
        return Value::Unknown(Unknown::Unsupported(format!("the date `{value}`")));
    }
    string()
}

/// A string with its origin: verbatim where the source text is the value itself (a plain scalar on one line,
/// a quoted one without escapes), so a port inside it can be edited in place.
fn string_value(value: &str, style: YamlStyle, text: &str, range: TextRange) -> Str {
    let source = text.get(range.as_range()).unwrap_or("");
    let (inner, start) = match style {
        YamlStyle::SingleQuoted | YamlStyle::DoubleQuoted => (
            source.get(1..source.len().saturating_sub(1)).unwrap_or(""),
            range.start as usize + 1,
        ),
        _ => (source, range.start as usize),
    };
    let verbatim = inner == value;
    let def = if verbatim {
        loc(TextRange::new(start, start + inner.len()))
    } else {
        loc(range)
    };
    Str {
        text: value.to_string(),
        pieces: vec![Piece {
            range: 0..value.len(),
            def,
            verbatim,
        }],
    }
}

fn boolean(value: &str) -> Option<bool> {
    match value {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

/// js-yaml's integers: decimal (`_` between digits allowed), `0b`, `0o` and `0x`, with a sign.
fn int(value: &str) -> Option<f64> {
    let (negative, body) = match value.as_bytes().first()? {
        b'-' => (true, &value[1..]),
        b'+' => (false, &value[1..]),
        _ => (false, value),
    };
    let sign = if negative { -1.0 } else { 1.0 };
    if body.is_empty() || body.starts_with('_') || body.ends_with('_') {
        return None;
    }
    let digits: String = body.chars().filter(|c| *c != '_').collect();
    for (prefix, radix) in [("0b", 2), ("0o", 8), ("0x", 16)] {
        if let Some(rest) = digits.strip_prefix(prefix) {
            if rest.is_empty() || !rest.chars().all(|c| c.is_digit(radix)) {
                return None;
            }
            return u64::from_str_radix(rest, radix)
                .ok()
                .map(|n| sign * n as f64);
        }
    }
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<f64>().ok().map(|n| sign * n)
}

/// js-yaml's floats: `1.5`, `1e3`, `.5`, `-.inf`, `.nan` (`_` allowed in the digits).
fn float(value: &str) -> Option<f64> {
    let (sign, body) = match value.as_bytes().first()? {
        b'-' => (-1.0, &value[1..]),
        b'+' => (1.0, &value[1..]),
        _ => (1.0, value),
    };
    match body {
        ".inf" | ".Inf" | ".INF" => return Some(sign * f64::INFINITY),
        ".nan" | ".NaN" | ".NAN" if value == body => return Some(f64::NAN),
        _ => {}
    }
    if value.ends_with('_') || body.is_empty() {
        return None;
    }
    let cleaned: String = body.chars().filter(|c| *c != '_').collect();
    let (mantissa, exponent) = match cleaned.find(['e', 'E']) {
        Some(at) => (&cleaned[..at], Some(&cleaned[at + 1..])),
        None => (cleaned.as_str(), None),
    };
    let (int_part, frac) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = if int_part.is_empty() {
        // `.5`: no sign allowed in js-yaml's pattern.
        frac.is_some_and(|f| !f.is_empty() && all_digits(f)) && value == body
    } else {
        body.starts_with(|c: char| c.is_ascii_digit())
            && all_digits(int_part)
            && frac.is_none_or(all_digits)
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && all_digits(e)
    });
    (mantissa_ok && exponent_ok)
        .then(|| cleaned.parse::<f64>().ok().map(|n| sign * n))
        .flatten()
}

/// js-yaml's timestamps (`2024-01-31`, `2024-01-31T10:00:00Z`): a date, not a string.
fn is_timestamp(value: &str) -> bool {
    let b = value.as_bytes();
    b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
        && b[8..10].iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_scalars_are_typed_as_js_yaml_types_them() {
        assert_eq!(int("5570"), Some(5570.0));
        assert_eq!(int("0x15c2"), Some(5570.0));
        assert_eq!(int("1_000"), Some(1000.0));
        assert_eq!(int("-3"), Some(-3.0));
        assert_eq!(int("0123"), Some(123.0));
        assert_eq!(int("12a"), None);
        assert_eq!(float("1.5"), Some(1.5));
        assert_eq!(float("1e3"), Some(1000.0));
        assert_eq!(float(".5"), Some(0.5));
        assert_eq!(float("1.2.3"), None);
        assert_eq!(float("-.inf"), Some(f64::NEG_INFINITY));
        assert!(is_timestamp("2024-01-31"));
        let r = TextRange::new(0, 4);
        assert_eq!(
            scalar("true", YamlStyle::Plain, None, "true", r),
            Value::Bool(true)
        );
        assert_eq!(scalar("~", YamlStyle::Plain, None, "~", r), Value::Null);
        assert!(matches!(
            scalar("5570", YamlStyle::SingleQuoted, None, "'5570'", r),
            Value::String(_)
        ));
        assert_eq!(
            scalar("5570", YamlStyle::Plain, Some("!!str"), "5570", r),
            Value::String(Str {
                text: "5570".into(),
                pieces: vec![Piece {
                    range: 0..4,
                    def: loc(TextRange::new(0, 4)),
                    verbatim: true
                }],
            })
        );
    }
}
