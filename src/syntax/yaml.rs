//! YAML ecosystem files, read the way PM2 reads them (js-yaml's `load`): one document parsed by saphyr's
//! YAML 1.2 parser into a tree of nodes with exact byte spans, anchors resolved to their nodes. What js-yaml
//! refuses and saphyr does not check (a repeated key, an unknown tag, a second document) is an error here too,
//! so a file PM2 cannot load is never read as if it could be. Typing the plain scalars (numbers, booleans,
//! `null`) is the evaluator's job; this layer keeps each scalar's text and style.

use super::{Clock, Stopped, SyntaxError, TextRange};
use saphyr_parser::{Event, Parser, ScalarStyle, Span};

/// How a scalar is written: js-yaml types plain scalars only, every other style is a string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum YamlStyle {
    /// `5570`, `true`, `node server.js`.
    Plain,
    /// `'…'`.
    SingleQuoted,
    /// `"…"`.
    DoubleQuoted,
    /// `|` block.
    Literal,
    /// `>` block.
    Folded,
}

/// What a node is.
#[derive(Clone, Debug, PartialEq)]
pub enum YamlKind {
    /// A scalar: its value after YAML's folding and escapes, and how it was written.
    Scalar {
        /// The value.
        value: String,
        /// Its style.
        style: YamlStyle,
    },
    /// A sequence: its items, as node indexes.
    Sequence(Vec<usize>),
    /// A mapping: its (key, value) pairs in source order, as node indexes.
    Mapping(Vec<(usize, usize)>),
    /// `*name`: the node index of the anchored node it repeats.
    Alias(usize),
}

/// One node of a YAML document.
#[derive(Clone, Debug, PartialEq)]
pub struct YamlNode {
    /// What it is.
    pub kind: YamlKind,
    /// Where it is written (a scalar's quotes included; a collection from its first to its last byte).
    pub range: TextRange,
    /// Its explicit tag (`!!str`, `!!int`, …) in its short form, when it has one.
    pub tag: Option<String>,
}

/// A YAML file's one document: every node in an arena, the root first reachable from `root`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct YamlDocument {
    /// The nodes; indexes are stable.
    pub nodes: Vec<YamlNode>,
    /// The document's top node; `None` for an empty file (js-yaml gives `undefined`).
    pub root: Option<usize>,
}

/// The tags js-yaml's default schema knows, in their short form; any other tag stops its `load`.
const KNOWN_TAGS: &[&str] = &[
    "!!str",
    "!!int",
    "!!float",
    "!!bool",
    "!!null",
    "!!seq",
    "!!map",
    "!!timestamp",
    "!!merge",
    "!!binary",
    "!!omap",
    "!!pairs",
    "!!set",
];

/// Byte offsets of a text's characters: saphyr counts positions in characters.
struct Offsets {
    /// The byte offset of each character, and the text's length last; empty for ASCII text.
    starts: Vec<u32>,
    len: usize,
}

impl Offsets {
    fn new(text: &str) -> Self {
        let starts = if text.is_ascii() {
            Vec::new()
        } else {
            text.char_indices()
                .map(|(i, _)| i as u32)
                .chain(std::iter::once(text.len() as u32))
                .collect()
        };
        Offsets {
            starts,
            len: text.len(),
        }
    }

    fn byte(&self, char_index: usize) -> usize {
        if self.starts.is_empty() {
            char_index.min(self.len)
        } else {
            self.starts
                .get(char_index)
                .map_or(self.len, |&b| b as usize)
        }
    }

    fn range(&self, span: &Span) -> TextRange {
        let start = self.byte(span.start.index());
        let end = self.byte(span.end.index()).max(start);
        TextRange::new(start, end)
    }
}

/// A collection being read: its node index and where it starts.
struct Open {
    node: usize,
    flow: bool,
    /// A mapping's key waiting for its value.
    pending_key: Option<usize>,
    /// A mapping's keys so far, to refuse a repeated one as js-yaml does.
    keys: Vec<(String, usize)>,
}

/// How many lines one file's YAML error may blank out before giving up on reading around it.
const MAX_LINE_REPAIRS: usize = 4;

/// Reads `text` as one YAML document within the clock's budget. A document js-yaml would refuse gives its
/// errors; PM2 loads nothing from it, but the document around an error that a line blanked out repairs (a key
/// half typed, a stray line) is still read, as the apps around a JavaScript syntax error are. Blanking keeps
/// every offset, so the repaired tree's spans are the text's own.
pub(super) fn parse(
    text: &str,
    clock: &Clock,
) -> Result<(YamlDocument, Vec<SyntaxError>), Stopped> {
    let (doc, errors, failed_at) = load(text, clock)?;
    let Some(mut at) = failed_at else {
        return Ok((doc, errors));
    };
    let mut candidate = text.as_bytes().to_vec();
    for _ in 0..MAX_LINE_REPAIRS {
        // Blank the line the loader stopped on, or the written line before it (a key half typed is found
        // missing its `:` only on the next line): whichever lets it read farther.
        let here = line_start(&candidate, at);
        let before = previous_written_line(&candidate, here);
        let mut best: Option<(Vec<u8>, Option<usize>, YamlDocument)> = None;
        for line in [Some(here), before].into_iter().flatten() {
            let mut attempt = candidate.clone();
            blank_line(&mut attempt, line);
            let Ok(attempt_text) = std::str::from_utf8(&attempt) else {
                continue;
            };
            let (repaired, _, stopped) = load(attempt_text, clock)?;
            let farther = match (&best, stopped) {
                (None, _) => true,
                (Some((_, None, _)), _) => false,
                (Some(_), None) => true,
                (Some((_, Some(b), _)), Some(s)) => s > *b,
            };
            if farther {
                best = Some((attempt, stopped, repaired));
            }
        }
        let Some((attempt, stopped, repaired)) = best else {
            break;
        };
        match stopped {
            None => return Ok((repaired, errors)),
            Some(next) if next > at || attempt != candidate => {
                candidate = attempt;
                at = next;
            }
            Some(_) => break,
        }
    }
    Ok((doc, errors))
}

/// The offset of the start of the line holding `at`.
fn line_start(text: &[u8], at: usize) -> usize {
    text[..at.min(text.len())]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1)
}

/// The start of the nearest line before the one starting at `start` that has something written on it.
fn previous_written_line(text: &[u8], start: usize) -> Option<usize> {
    let mut end = start.checked_sub(1)?;
    loop {
        let begin = line_start(text, end);
        if text[begin..end].iter().any(|b| !b.is_ascii_whitespace()) {
            return Some(begin);
        }
        end = begin.checked_sub(1)?;
    }
}

/// Turns every byte of the line starting at `start` into a space (offsets, and UTF-8, stay valid).
fn blank_line(text: &mut [u8], start: usize) {
    for byte in text[start..].iter_mut().take_while(|b| **b != b'\n') {
        *byte = b' ';
    }
}

/// What one load of a text gives: the tree (empty past a scanner error), every error js-yaml would give, and
/// where the scanner stopped when it did (an error js-yaml adds, a repeated key or an unknown tag, leaves the
/// tree whole).
type Loaded = (YamlDocument, Vec<SyntaxError>, Option<usize>);

/// One load of `text`.
fn load(text: &str, clock: &Clock) -> Result<Loaded, Stopped> {
    let offsets = Offsets::new(text);
    let mut doc = YamlDocument::default();
    let mut anchors: std::collections::HashMap<usize, usize> = Default::default();
    let mut stack: Vec<Open> = Vec::new();
    let mut documents = 0;
    let mut errors = Vec::new();
    let mut failed_at = None;
    let error = |range: TextRange, message: String| SyntaxError {
        range,
        missing: None,
        unbounded: false,
        comma_at: None,
        object_statement: false,
        message: Some(message),
    };
    let mut parser = Parser::new_from_str(text);
    let mut events = 0u32;
    loop {
        events += 1;
        if events.is_multiple_of(256)
            && let Some(stopped) = clock.stop()
        {
            return Err(stopped);
        }
        let (event, span) = match parser.next_event() {
            None => break,
            Some(Ok(next)) => next,
            Some(Err(scan)) => {
                let at = offsets.byte(scan.marker().index());
                let end = (at + 1).min(text.len()).max(at);
                let range = TextRange::new(at.min(end), end);
                errors.push(error(range, format!("YAML: {}", scan.info())));
                failed_at = Some(at);
                doc.root = None;
                doc.nodes.clear();
                break;
            }
        };
        let range = offsets.range(&span);
        let mapping = matches!(event, Event::MappingStart(..));
        let (node, anchor) = match event {
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    // The first document is what the rest of the checks read.
                    errors.push(error(
                        range,
                        "YAML: a second document in the file (PM2 reads exactly one)".into(),
                    ));
                    break;
                }
                continue;
            }
            Event::Scalar(value, style, anchor, tag) => {
                let tag = tag.map(|t| short_tag(&t.handle, &t.suffix));
                if let Some(tag) = tag.as_deref().filter(|t| !KNOWN_TAGS.contains(t)) {
                    errors.push(error(
                        range,
                        format!("YAML: unknown tag `{tag}` (PM2's YAML loader refuses it)"),
                    ));
                }
                let style = match style {
                    ScalarStyle::Plain => YamlStyle::Plain,
                    ScalarStyle::SingleQuoted => YamlStyle::SingleQuoted,
                    ScalarStyle::DoubleQuoted => YamlStyle::DoubleQuoted,
                    ScalarStyle::Literal => YamlStyle::Literal,
                    ScalarStyle::Folded => YamlStyle::Folded,
                };
                let range = scalar_range(text, range, style);
                doc.nodes.push(YamlNode {
                    kind: YamlKind::Scalar {
                        value: value.into_owned(),
                        style,
                    },
                    range,
                    tag,
                });
                (doc.nodes.len() - 1, anchor)
            }
            Event::Alias(anchor) => {
                let Some(&target) = anchors.get(&anchor) else {
                    errors.push(error(range, "YAML: an alias of an unknown anchor".into()));
                    continue;
                };
                doc.nodes.push(YamlNode {
                    kind: YamlKind::Alias(target),
                    range: alias_range(text, range),
                    tag: None,
                });
                (doc.nodes.len() - 1, 0)
            }
            Event::SequenceStart(anchor, tag) | Event::MappingStart(anchor, tag) => {
                let tag = tag.map(|t| short_tag(&t.handle, &t.suffix));
                if let Some(tag) = tag.as_deref().filter(|t| !KNOWN_TAGS.contains(t)) {
                    errors.push(error(
                        range,
                        format!("YAML: unknown tag `{tag}` (PM2's YAML loader refuses it)"),
                    ));
                }
                let first = text[range.start as usize..].chars().next();
                let flow = matches!(first, Some('{' | '['));
                let kind = if mapping {
                    YamlKind::Mapping(Vec::new())
                } else {
                    YamlKind::Sequence(Vec::new())
                };
                doc.nodes.push(YamlNode {
                    kind,
                    range: TextRange::new(range.start as usize, range.start as usize),
                    tag,
                });
                let node = doc.nodes.len() - 1;
                if anchor != 0 {
                    anchors.insert(anchor, node);
                }
                stack.push(Open {
                    node,
                    flow,
                    pending_key: None,
                    keys: Vec::new(),
                });
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(open) = stack.pop() else { continue };
                let end = if open.flow {
                    range.end.max(doc.nodes[open.node].range.start)
                } else {
                    last_end(&doc, open.node).max(doc.nodes[open.node].range.start)
                };
                doc.nodes[open.node].range.end = end;
                (open.node, 0)
            }
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => {
                continue;
            }
        };
        if anchor != 0 {
            anchors.insert(anchor, node);
        }
        attach(&mut doc, &mut stack, node, text, &mut errors);
    }
    Ok((doc, errors, failed_at))
}

/// Adds a finished node to the collection it belongs to, or makes it the document's root.
fn attach(
    doc: &mut YamlDocument,
    stack: &mut [Open],
    node: usize,
    text: &str,
    errors: &mut Vec<SyntaxError>,
) {
    let Some(open) = stack.last_mut() else {
        doc.root = Some(node);
        return;
    };
    let parent = open.node;
    let pending = open.pending_key.take();
    match (&mut doc.nodes[parent].kind, pending) {
        (YamlKind::Sequence(items), _) => items.push(node),
        (YamlKind::Mapping(_), None) => open.pending_key = Some(node),
        (YamlKind::Mapping(_), Some(key)) => {
            if let YamlKind::Scalar { value, .. } = &doc.nodes[key].kind
                && value != "<<"
            {
                if let Some((_, first)) = open.keys.iter().find(|(k, _)| k == value) {
                    let first_line = text[..doc.nodes[*first].range.start as usize]
                        .matches('\n')
                        .count()
                        + 1;
                    errors.push(SyntaxError {
                        range: doc.nodes[key].range,
                        missing: None,
                        unbounded: false,
                        comma_at: None,
                        object_statement: false,
                        message: Some(format!(
                            "YAML: the key `{value}` is repeated (first on line {first_line}); PM2's YAML loader refuses the file"
                        )),
                    });
                } else {
                    open.keys.push((value.clone(), key));
                }
            }
            if let YamlKind::Mapping(pairs) = &mut doc.nodes[parent].kind {
                pairs.push((key, node));
            }
        }
        _ => {}
    }
}

/// The end of a block collection: the end of its last descendant written (saphyr ends it where the next
/// token starts, past comments and blank lines).
fn last_end(doc: &YamlDocument, node: usize) -> u32 {
    match &doc.nodes[node].kind {
        YamlKind::Sequence(items) => items
            .last()
            .map_or(doc.nodes[node].range.start, |&i| doc.nodes[i].range.end),
        YamlKind::Mapping(pairs) => pairs.last().map_or(doc.nodes[node].range.start, |&(_, v)| {
            doc.nodes[v].range.end
        }),
        _ => doc.nodes[node].range.end,
    }
}

/// A scalar's span, quotes included and its anchor and tag (`&port !!int 4000`), trailing blanks (or a comment
/// saphyr counted in) left out: the value's own text, where a fix edits and a finding points.
fn scalar_range(text: &str, range: TextRange, style: YamlStyle) -> TextRange {
    let slice = text.get(range.as_range()).unwrap_or("");
    let properties = properties_len(slice);
    let slice = &slice[properties..];
    let start = range.start as usize + properties;
    let range = TextRange::new(start, range.end as usize);
    match style {
        YamlStyle::Plain => TextRange::new(start, start + slice.trim_end().len()),
        YamlStyle::SingleQuoted | YamlStyle::DoubleQuoted => {
            // The closing quote: `''` escapes a single quote, a backslash escapes in double quotes.
            let single = style == YamlStyle::SingleQuoted;
            let quote = if single { '\'' } else { '"' };
            let mut chars = slice.char_indices().skip(1).peekable();
            while let Some((at, c)) = chars.next() {
                if !single && c == '\\' {
                    chars.next();
                } else if c == quote {
                    if single && chars.peek().is_some_and(|(_, n)| *n == '\'') {
                        chars.next();
                        continue;
                    }
                    return TextRange::new(start, start + at + 1);
                }
            }
            range
        }
        _ => range,
    }
}

/// How many bytes of a node's text its properties take: an `&anchor` and a `!tag`, in either order, with the
/// blanks (and line breaks) after each. Neither can start a scalar's own text, so a scalar's span starts past them.
fn properties_len(slice: &str) -> usize {
    let mut at = 0;
    while slice[at..].starts_with(['&', '!']) {
        let token = slice[at..]
            .find(|c: char| c.is_whitespace())
            .unwrap_or(slice.len() - at);
        let blanks = slice[at + token..]
            .find(|c: char| !c.is_whitespace())
            .unwrap_or(slice.len() - at - token);
        at += token + blanks;
    }
    at
}

/// An alias's span: `*name`.
fn alias_range(text: &str, range: TextRange) -> TextRange {
    let slice = text.get(range.as_range()).unwrap_or("");
    TextRange::new(
        range.start as usize,
        range.start as usize + slice.trim_end().len(),
    )
}

/// A tag in the short form users write (`!!str`, `!local`).
fn short_tag(handle: &str, suffix: &str) -> String {
    if handle == "tag:yaml.org,2002:" || handle == "!!" {
        format!("!!{suffix}")
    } else if handle == "!" {
        format!("!{suffix}")
    } else {
        format!("{handle}{suffix}")
    }
}
