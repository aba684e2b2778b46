//! Values the static evaluator knows, each remembering where it was defined and where it was used.

use crate::syntax::TextRange;
use foldhash::HashMap;
use serde::Serialize;
use std::sync::Arc;

/// Which source file a location is in: 0 is the file being analysed, others were reached by `require`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize)]
pub struct FileId(pub u16);

/// A place in some file: diagnostics need the file as well as the range, since values cross `require`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize)]
pub struct Loc {
    /// The file.
    pub file: FileId,
    /// The byte range in that file.
    pub range: TextRange,
}

impl Loc {
    /// A location in `file`.
    pub fn new(file: FileId, range: TextRange) -> Self {
        Loc { file, range }
    }
}

/// Why a value is not known statically. Unknown is never guessed; the reason is shown to the user.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", content = "detail", rename_all = "kebab-case")]
pub enum Unknown {
    /// A value only the running process has, e.g. `process.env.PORT`.
    Runtime(String),
    /// A construct the evaluator does not model (a function call, a loop, an operator on unknowns).
    Unsupported(String),
    /// A name with no top-level binding, or a binding that refers to itself.
    Unbound(String),
    /// A member that a statically known object does not have.
    Missing(String),
    /// Something from outside the workspace or from `node_modules`.
    External(String),
}

impl Unknown {
    /// A short human reason, for hover texts and the `unresolved-port` message.
    pub fn describe(&self) -> String {
        match self {
            Unknown::Runtime(what) => format!("`{what}` is only known at run time"),
            Unknown::Unsupported(what) => format!("{what} is not evaluated statically"),
            Unknown::Unbound(name) => format!("`{name}` has no top-level binding"),
            Unknown::Missing(path) => format!("`{path}` is not defined"),
            Unknown::External(what) => format!("{what} is outside the workspace"),
        }
    }
}

/// A JavaScript value as far as the evaluator can know it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", content = "value", rename_all = "kebab-case")]
pub enum Value {
    /// A number; ports are checked for being integers later, so the raw number is kept.
    Number(f64),
    /// A string, with where each part of it came from.
    String(Str),
    /// A boolean.
    Bool(bool),
    /// `null`.
    Null,
    /// `undefined`, also what a missing member of a known object evaluates to.
    Undefined,
    /// An object literal, its properties in JavaScript's override order.
    Object(Object),
    /// An array literal with spreads expanded.
    Array(Vec<Traced>),
    /// One of several values, chosen at run time (`c ? x : y` with an unknown `c`).
    Alternatives(Vec<Traced>),
    /// Not known statically.
    Unknown(Unknown),
}

/// A string value and the origin of its parts, so a port written inside a string (`'--port 5571'`,
/// `` `--port ${PORTS.UI}` ``) can be traced to the literal that defines it.
#[derive(Clone, Debug, PartialEq, Default, Serialize)]
#[serde(transparent)]
pub struct Str {
    /// The string's value.
    pub text: String,
    /// Where parts of `text` came from, in order; parts without a piece (escapes, unknown) have no origin.
    #[serde(skip)]
    pub pieces: Vec<Piece>,
}

/// One part of a string and its origin.
#[derive(Clone, Debug, PartialEq)]
pub struct Piece {
    /// Byte range in the string's value.
    pub range: std::ops::Range<usize>,
    /// Where it was defined.
    pub def: Loc,
    /// True when the bytes map one to one onto `def` (literal text without escapes), so a sub-range of the
    /// value has an exact sub-range in the source.
    pub verbatim: bool,
}

impl Str {
    /// A string with no known origin.
    pub fn plain(text: impl Into<String>) -> Self {
        Str {
            text: text.into(),
            pieces: Vec::new(),
        }
    }

    /// Where the bytes `range` of the value were defined: an exact sub-span for verbatim text, else the
    /// whole piece's origin.
    pub fn origin_of(&self, range: std::ops::Range<usize>) -> Option<Loc> {
        let piece = self
            .pieces
            .iter()
            .find(|p| p.range.start <= range.start && range.end <= p.range.end)?;
        if !piece.verbatim {
            return Some(piece.def);
        }
        let start = piece.def.range.start as usize + (range.start - piece.range.start);
        let end = start + (range.end - range.start);
        Some(Loc::new(piece.def.file, TextRange::new(start, end)))
    }

    /// Appends another string, keeping its pieces' origins.
    pub fn push(&mut self, other: &Str) {
        let shift = self.text.len();
        self.text.push_str(&other.text);
        self.pieces.extend(other.pieces.iter().map(|p| Piece {
            range: p.range.start + shift..p.range.end + shift,
            def: p.def,
            verbatim: p.verbatim,
        }));
    }
}

/// One property of an object.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Prop {
    /// The key as a string (numeric keys are written as JavaScript would).
    pub key: String,
    /// Where the key is written, if it is written (a spread-in or computed key points at its source).
    pub key_loc: Option<Loc>,
    /// The value.
    pub value: Traced,
}

/// An object's properties in insertion order with unique keys (a later key replaces an earlier one in place,
/// as JavaScript does). A large object keeps an index of its keys, so building or reading a table of
/// thousands of entries costs what it holds, not its square. Both are shared until changed, so copying an
/// object (an app reused from the previous version's evaluation, a spread) costs nothing per property.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Object {
    /// The properties.
    #[serde(serialize_with = "serialize_props")]
    props: Arc<Vec<Prop>>,
    /// Each key's position, once the object has [`INDEXED_FROM`] properties.
    #[serde(skip)]
    index: Option<Arc<HashMap<String, usize>>>,
    /// True when a spread of an unknown value may have added keys we cannot see.
    pub open: bool,
}

fn serialize_props<S: serde::Serializer>(props: &Arc<Vec<Prop>>, s: S) -> Result<S::Ok, S::Error> {
    props.as_slice().serialize(s)
}

/// From how many properties an object indexes its keys: below it, a scan is cheaper than hashing.
const INDEXED_FROM: usize = 16;

impl PartialEq for Object {
    fn eq(&self, other: &Self) -> bool {
        self.open == other.open && self.props == other.props
    }
}

impl Object {
    /// An empty object; `open` when keys we cannot see may be in it.
    pub fn new(open: bool) -> Self {
        Object {
            props: Arc::new(Vec::new()),
            index: None,
            open,
        }
    }

    /// Whether `other` is this very object: the same shared properties (so the same content), unchanged
    /// since they were shared. Holding one of the two keeps the comparison sound.
    pub fn is_same(&self, other: &Object) -> bool {
        Arc::ptr_eq(&self.props, &other.props) && self.open == other.open
    }

    /// The properties, in order.
    pub fn props(&self) -> &[Prop] {
        &self.props
    }

    /// The properties, in order, taken out.
    pub fn into_props(self) -> Vec<Prop> {
        Arc::unwrap_or_clone(self.props)
    }

    /// How many properties.
    pub fn len(&self) -> usize {
        self.props.len()
    }

    /// Whether it has no property.
    pub fn is_empty(&self) -> bool {
        self.props.is_empty()
    }

    fn position(&self, key: &str) -> Option<usize> {
        match &self.index {
            Some(index) => index.get(key).copied(),
            None => self.props.iter().position(|p| p.key == key),
        }
    }

    /// Looks a key up.
    pub fn get(&self, key: &str) -> Option<&Prop> {
        self.position(key).map(|i| &self.props[i])
    }

    /// Looks a key up, to change its value in place.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Prop> {
        let i = self.position(key)?;
        Some(&mut Arc::make_mut(&mut self.props)[i])
    }

    /// Sets a key with JavaScript's semantics: an existing key keeps its position and takes the new value.
    pub fn set(&mut self, prop: Prop) {
        match self.position(&prop.key) {
            Some(i) => Arc::make_mut(&mut self.props)[i] = prop,
            None => {
                if let Some(index) = &mut self.index {
                    Arc::make_mut(index).insert(prop.key.clone(), self.props.len());
                }
                Arc::make_mut(&mut self.props).push(prop);
                if self.index.is_none() && self.props.len() >= INDEXED_FROM {
                    self.index = Some(Arc::new(
                        self.props
                            .iter()
                            .enumerate()
                            .map(|(i, p)| (p.key.clone(), i))
                            .collect(),
                    ));
                }
            }
        }
    }
}

/// A value with the span of the literal that defined it and the span of the expression that used it.
/// Diagnostics point at the use; quick fixes edit the definition.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Traced {
    /// The value.
    pub value: Value,
    /// Where the value was defined: the literal, or for composed values the composing expression.
    pub def: Loc,
    /// Where the value was used: the expression in the object being read that produced it.
    #[serde(rename = "use")]
    pub use_: Loc,
}

impl Traced {
    /// A value defined and used at the same place (a literal read where it stands).
    pub fn here(value: Value, loc: Loc) -> Self {
        Traced {
            value,
            def: loc,
            use_: loc,
        }
    }

    /// The same value, now used at `loc`. Only the top is moved: the parts inside keep their own uses,
    /// and whoever walks into them decides which use is the nearest one in their context.
    pub fn used_at(mut self, loc: Loc) -> Self {
        self.use_ = loc;
        self
    }

    /// The value as an object, if it is one.
    pub fn as_object(&self) -> Option<&Object> {
        match &self.value {
            Value::Object(object) => Some(object),
            _ => None,
        }
    }

    /// The value as a string, if it is one.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(&s.text),
            _ => None,
        }
    }

    /// Every value this may be at run time: itself, or each alternative (flattened).
    pub fn possibilities(&self) -> Vec<&Traced> {
        match &self.value {
            Value::Alternatives(items) => items.iter().flat_map(|t| t.possibilities()).collect(),
            _ => vec![self],
        }
    }

    /// Whether the value is known (no unknown part at the top level).
    pub fn is_unknown(&self) -> bool {
        matches!(self.value, Value::Unknown(_))
    }
}

/// JavaScript's `ToString` for the values we know, used for template literals, `+` and computed keys.
pub fn to_js_string(value: &Value) -> Option<String> {
    Some(match value {
        Value::Number(n) => number_to_string(*n),
        Value::String(s) => s.text.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".into(),
        Value::Undefined => "undefined".into(),
        _ => return None,
    })
}

/// Formats a number the way JavaScript prints integers and simple decimals.
pub fn number_to_string(n: f64) -> String {
    JsNumber(n).to_string()
}

/// A number printed as [`number_to_string`] prints it, for writing into a longer string without a string
/// of its own.
pub struct JsNumber(pub f64);

impl std::fmt::Display for JsNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.0;
        if n.is_nan() {
            f.write_str("NaN")
        } else if n.is_infinite() {
            f.write_str(if n > 0.0 { "Infinity" } else { "-Infinity" })
        } else if n.fract() == 0.0 && n.abs() < 1e21 {
            write!(f, "{}", n as i128)
        } else {
            write!(f, "{n}")
        }
    }
}

/// JavaScript's truthiness for known values; `None` when it depends on run time.
pub fn truthy(value: &Value) -> Option<bool> {
    Some(match value {
        Value::Number(n) => *n != 0.0 && !n.is_nan(),
        Value::String(s) => !s.text.is_empty(),
        Value::Bool(b) => *b,
        Value::Null | Value::Undefined => false,
        Value::Object(_) | Value::Array(_) => true,
        Value::Alternatives(items) => {
            let first = truthy(&items.first()?.value)?;
            if items.iter().all(|t| truthy(&t.value) == Some(first)) {
                first
            } else {
                return None;
            }
        }
        Value::Unknown(_) => return None,
    })
}
