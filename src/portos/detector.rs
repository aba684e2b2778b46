//! PortOS's regex-based ecosystem-file detector (`portos-detection.md` §3), reproduced bugs and all.
//!
//! PortOS never executes an ecosystem file: it runs a handful of regular expressions and two brace counters
//! over the text. This module does the same, so the checker can say "PortOS will show X here" even when X
//! is wrong. Each pattern below follows the spec's prose; where the prose leaves a detail open we take the
//! most literal reading and say so in a `Literal reading:` comment. Patterns use JavaScript's semantics:
//! `\w`, `\d` and `\b` are ASCII-only, `\s` is JavaScript's whitespace set (see [`js_regex`]).

use foldhash::{HashMap, HashMapExt};
use std::ops::Range;
use std::sync::LazyLock;

use regex::{Captures, Regex};

use crate::syntax::TextRange;

/// One port as PortOS's detector reports it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DetectedPort {
    /// The label PortOS shows (`api`, `ui`, `devUi`, `cdp`, `health`, or a camel-cased `*_PORT` stem).
    pub label: String,
    /// The number PortOS took; values above 65535 are kept, as PortOS keeps them.
    pub port: i64,
    /// Byte range of the digits PortOS took, when it took them from this text. For a value that came
    /// through the constant table (`PORT: PORTS.API`) this is the constant's digits. Every port the
    /// detector labels comes from the file, so this is `Some` today; a Vite-config port is never labelled.
    pub value_range: Option<TextRange>,
}

/// One process as PortOS's detector reports it (the shape of an `/api/apps` process).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DetectedProcess {
    /// The PM2 name as PortOS captured it (cut short at a quote of the other kind).
    pub name: String,
    /// The name's characters, inside the quotes.
    pub name_range: TextRange,
    /// The app block as PortOS delimits it: `{` to its matching `}`, or just the `{` when it never closes.
    pub block_range: TextRange,
    /// In the order JavaScript enumerates PortOS's `ports` object: integer-like labels first, ascending,
    /// then insertion order (`devUi` moved to the end by the post-pass).
    pub ports: Vec<DetectedPort>,
    /// The primary port (§3.9); may come from the Vite-config lookup while `ports` is empty (§3.11).
    pub port: Option<i64>,
    /// Whether PortOS thinks the process uses Vite (§3.10).
    pub uses_vite: bool,
    /// The first string-literal `cwd` in the block, which the Vite-config lookup uses.
    pub cwd: Option<String>,
}

/// A number in PortOS's constant table, with where its digits are.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ConstNumber {
    /// The value, parsed saturating.
    pub value: i64,
    /// The digits' byte range in the file.
    pub digits: TextRange,
}

/// A value in PortOS's constant table (§3.1), so callers can explain what a reference resolved to.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub enum ConstValue {
    /// A loose `*PORT*` constant or a `PORTS.word` / `PORTS.word.sub` entry.
    Number(ConstNumber),
    /// A one-level group of the `PORTS` object (`PORTS.word`), sub-key → number in JavaScript key order;
    /// this is what `ports: PORTS.word` uses.
    Group(Vec<(String, ConstNumber)>),
}

impl ConstValue {
    /// The number, when this entry is one (not a group).
    pub fn number(&self) -> Option<i64> {
        match self {
            ConstValue::Number(number) => Some(number.value),
            ConstValue::Group(_) => None,
        }
    }
}

/// PortOS's constant table for a file (§3.1) in insertion order, keyed by the exact text a value will be
/// written as (`API_PORT`, `PORTS.API`, `PORTS.gateway`, `PORTS.gateway.api`).
pub fn constant_table(text: &str) -> Vec<(String, ConstValue)> {
    build_constant_table(text).entries
}

/// Runs PortOS's detector over an ecosystem file's text, without the Vite-config lookup.
pub fn detect(text: &str) -> Vec<DetectedProcess> {
    detect_with_vite_lookup(text, &mut |_| None)
}

/// Same as [`detect`], with §3.11's Vite-config lookup: the callback gets the process's string-literal `cwd`
/// and returns the text of `<app dir>/<cwd>/vite.config.ts`, else `.js`, if one exists (the caller does
/// the IO, and joins the cwd as a relative path even when it is absolute, as PortOS does).
pub fn detect_with_vite_lookup(
    text: &str,
    vite_config: &mut dyn FnMut(&str) -> Option<String>,
) -> Vec<DetectedProcess> {
    detect_reusing(text, None, false, vite_config).0
}

/// [`detect`] for an edited text, reusing what `previous` (the detection of an earlier version) read from
/// each app block the edit left alone; returns what this detection keeps for the next.
pub fn detect_incremental(
    text: &std::sync::Arc<str>,
    previous: Option<&DetectorMemo>,
) -> (Vec<DetectedProcess>, DetectorMemo) {
    let (processes, mut memo) = detect_reusing(text, previous, true, &mut |_| None);
    memo.text = Some(text.clone());
    (processes, memo)
}

/// What a detection keeps for the next detection of the same file: the constant table and, per app block,
/// what was read from it. A block's reading depends only on its text, where it starts, its app's name and
/// the constant table (the scan for its end never looks past it), so a block found again with the same text
/// at the same place, under the same table, reads the same.
#[derive(Default)]
pub struct DetectorMemo {
    /// The text detected (shared with the analysis, not copied).
    text: Option<std::sync::Arc<str>>,
    constants: Vec<(String, ConstValue)>,
    /// What the scans over the whole text found in it (see [`WholeTextScans`]).
    scans: std::sync::Arc<WholeTextScans>,
    /// Each closed block by where it opens: where it ends and what was read from it.
    blocks: HashMap<usize, (usize, std::sync::Arc<Draft>)>,
}

/// The places the scans over the whole text find: the constant table's sources and each app start (its
/// `{` and its name). No pattern of those scans has a digit of its own, and each class either holds every
/// ASCII digit or none, so in a text that differs from the scanned one only in which digits stand where
/// (the commonest keystroke: a port number retyped), every match has the same place; only what is read
/// there changes.
#[derive(Default, Debug)]
struct WholeTextScans {
    sources: Vec<ConstSource>,
    starts: Vec<(usize, Range<usize>)>,
}

impl WholeTextScans {
    fn of(text: &str) -> Self {
        WholeTextScans {
            sources: constant_sources(text),
            starts: APP_START
                .captures_iter(text)
                .map(|caps| (group(&caps, 0).start(), group(&caps, 1).range()))
                .collect(),
        }
    }
}

/// The places in `text` where a constant whose entry differs between `before` and `now` (changed, added or
/// gone) is named; `None` when there are so many that reusing blocks is not worth sorting out.
fn changed_constant_places(
    text: &str,
    before: &[(String, ConstValue)],
    now: &JsObject<ConstValue>,
) -> Option<Vec<Range<usize>>> {
    const MAX_PLACES: usize = 256;
    if before == now.entries.as_slice() {
        return Some(Vec::new());
    }
    let old: HashMap<&str, &ConstValue> = before.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let mut keys: Vec<&str> = now
        .entries
        .iter()
        .filter(|(key, value)| old.get(key.as_str()) != Some(&value))
        .map(|(key, _)| key.as_str())
        .collect();
    keys.extend(
        before
            .iter()
            .filter(|(key, _)| !now.contains(key))
            .map(|(key, _)| key.as_str()),
    );
    let mut places = Vec::new();
    for key in keys {
        for (at, _) in text.match_indices(key) {
            places.push(at..at + key.len());
            if places.len() > MAX_PLACES {
                return None;
            }
        }
    }
    Some(places)
}

/// Whether `after` is `before` with some ASCII digits replaced by other ASCII digits, and nothing else.
fn differs_in_digits_only(before: &str, after: &str) -> bool {
    const CHUNK: usize = 64;
    let (a, b) = (before.as_bytes(), after.as_bytes());
    a.len() == b.len()
        && a.chunks(CHUNK).zip(b.chunks(CHUNK)).all(|(x, y)| {
            x == y
                || x.iter()
                    .zip(y)
                    .all(|(p, q)| p == q || (p.is_ascii_digit() && q.is_ascii_digit()))
        })
}

/// The detection of `text`, reusing `previous`'s blocks; what it keeps for the next detection is filled in
/// only where there will be one (`keep`: the editor), so a one-off run copies no block.
fn detect_reusing(
    text: &str,
    previous: Option<&DetectorMemo>,
    keep: bool,
    vite_config: &mut dyn FnMut(&str) -> Option<String>,
) -> (Vec<DetectedProcess>, DetectorMemo) {
    let scans = previous
        .filter(|p| {
            p.text
                .as_deref()
                .is_some_and(|before| differs_in_digits_only(before, text))
        })
        .map_or_else(
            || std::sync::Arc::new(WholeTextScans::of(text)),
            |p| p.scans.clone(),
        );
    let constants = table_from_sources(text, &scans.sources);
    // Where the text names a constant whose entry changed: a block reads only constants its own text names
    // (the keys it looks up are pieces of it), so a block clear of those places reads as before.
    let changed = previous.and_then(|p| changed_constant_places(text, &p.constants, &constants));
    let previous = previous.filter(|_| changed.is_some());
    let changed = changed.unwrap_or_default();
    let mut memo = DetectorMemo::default();
    let mut block_ends = BlockEnds::default();
    let mut drafts: Vec<std::sync::Arc<Draft>> = scans
        .starts
        .iter()
        .map(|(open, name)| {
            let open = *open;
            let reused = previous
                .and_then(|p| Some((p.text.as_deref()?, p.blocks.get(&open)?)))
                .filter(|(before, (end, draft))| {
                    draft.name == text[name.clone()]
                        && crate::syntax::same_span(before, text, open..*end)
                        && !changed
                            .iter()
                            .any(|place| place.start < *end && open < place.end)
                })
                .map(|(_, (_, draft))| draft.clone());
            let draft = reused.unwrap_or_else(|| {
                std::sync::Arc::new(read_app(
                    text,
                    open,
                    name.clone(),
                    &constants,
                    &mut block_ends,
                ))
            });
            let end = draft.block_range.end as usize;
            // A block that never closed may close after an edit past it: only closed ones are kept.
            if keep && end > open + 1 {
                memo.blocks.insert(open, (end, draft.clone()));
            }
            draft
        })
        .collect();
    if keep {
        memo.constants = constants.entries;
        memo.scans = scans;
    }

    relabel_vite_ui_as_dev_ui(&mut drafts);

    // Read from the shared drafts (a reused block's reading is not copied whole, only what is shown).
    let processes = drafts
        .iter()
        .map(|draft| {
            let ports = draft.ports.enumerated();
            let mut port = ports.first().map(|(_, found)| found.value);
            if port.is_none()
                && draft.uses_vite
                && let Some(cwd) = &draft.cwd
            {
                port = vite_config(cwd).and_then(|config| first_bare_port(&config));
            }
            DetectedProcess {
                name: draft.name.clone(),
                name_range: draft.name_range,
                block_range: draft.block_range,
                ports: ports
                    .into_iter()
                    .map(|(label, found)| DetectedPort {
                        label: label.clone(),
                        port: found.value,
                        value_range: Some(found.digits),
                    })
                    .collect(),
                port,
                uses_vite: draft.uses_vite,
                cwd: draft.cwd.clone(),
            }
        })
        .collect();
    (processes, memo)
}

/// The guide's display line: `name:5555` for one port, `name (cdp:5556,health:5557)` for several (no space
/// after the comma), just `name` for none. Used wherever we quote what the guide would print.
pub fn display_line(name: &str, ports: &[DetectedPort]) -> String {
    super::write_display_line(name, ports.iter().map(|found| (&found.label, found.port)))
}

// ---------------------------------------------------------------------------------------------------------
// Patterns

/// JavaScript's `\s`: ASCII whitespace plus the Unicode space separators, line separators and the BOM.
/// (Rust's notion differs: it counts U+0085 and not U+FEFF.)
const JS_SPACE_CLASS: &str = r"[\t\n\x0B\x0C\r \x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}\x{FEFF}]";

/// Compiles a pattern written in JavaScript's regex dialect: `\s`, `\w`, `\d` and `\b` are rewritten to
/// their JavaScript (non-`u`) meanings, since the `regex` crate's defaults are Unicode-aware.
fn js_regex(pattern: &str) -> Regex {
    let translated = pattern
        .replace(r"\s", JS_SPACE_CLASS)
        .replace(r"\w", "[0-9A-Za-z_]")
        .replace(r"\d", "[0-9]")
        .replace(r"\b", r"(?-u:\b)");
    Regex::new(&translated).expect("the detector's patterns are fixed and valid")
}

/// §3.2: `{`, optional whitespace, `name`, `:`, a quote, non-quote characters, a quote (either kind each).
/// Like every `key:` pattern of PortOS's, whitespace is allowed on both sides of the colon
/// (`name   : 'api'`).
static APP_START: LazyLock<Regex> =
    LazyLock::new(|| js_regex(r#"\{\s*name\s*:\s*['"]([^'"]+)['"]"#));

/// §3.1 loose constants. Literal reading: no word boundary before the keyword; "digits directly after `=`"
/// is read as "no expression between", whitespace allowed (as in `const API_PORT = 5555`).
static LOOSE_CONSTANT: LazyLock<Regex> =
    LazyLock::new(|| js_regex(r"(?:const|let|var)\s+(\w*PORT\w*)\s*=\s*(\d+)"));

/// §3.1: the header of the `PORTS` object; only the first match counts.
static PORTS_DECLARATION: LazyLock<Regex> =
    LazyLock::new(|| js_regex(r"(?:const|let|var)\s+PORTS\s*=\s*\{"));

/// `word: <digits>` as the PORTS table and the literal ports map read it. Whitespace before the colon is
/// allowed: the spec's ternary cases (`? 5432 : 5561` → key `5432`) require it.
static WORD_COLON_DIGITS: LazyLock<Regex> = LazyLock::new(|| js_regex(r"(\w+)\s*:\s*(\d+)"));

/// §3.1 groups: `word: {` up to the next `}`, found left to right without overlap.
static PORTS_GROUP: LazyLock<Regex> = LazyLock::new(|| js_regex(r"(\w+)\s*:\s*\{([^}]*)\}"));

/// §3.4: the first lower-case, unquoted, word-bounded `ports: {` up to the first `}` after it.
static PORTS_MAP: LazyLock<Regex> = LazyLock::new(|| js_regex(r"\bports\s*:\s*\{([^}]*)\}"));

/// §3.5: the first `ports:` followed by a dotted word. Literal reading: the prose names a word boundary
/// only for §3.4, so none here.
static PORTS_REFERENCE: LazyLock<Regex> =
    LazyLock::new(|| js_regex(r"ports\s*:\s*(\w+(?:\.\w+)*)"));

/// §3.6 env block headers, in processing order. Literal reading: no word boundary before the key.
static ENV_HEADERS: LazyLock<[Regex; 3]> = LazyLock::new(|| {
    [
        js_regex(r"env\s*:\s*\{"),
        js_regex(r"env_development\s*:\s*\{"),
        js_regex(r"env_production\s*:\s*\{"),
    ]
});

/// §3.6 env keys: `PORT` or `<LETTER>[A-Z0-9_]*_PORT`, ASCII-word-bounded before, optionally quoted, then
/// optional whitespace, `:` (`PORT : 5570`).
static ENV_KEY: LazyLock<Regex> =
    LazyLock::new(|| js_regex(r#"['"]?\b(PORT|[A-Z][A-Z0-9_]*_PORT)['"]?\s*:"#));

/// §3.8 args: `args`, `:`, a quote, non-quote characters, `--port`, whitespace, digits. No word boundary
/// before `args` (so `node_args` counts); the greedy run takes the last `--port N` in the string.
static ARGS_PORT: LazyLock<Regex> =
    LazyLock::new(|| js_regex(r#"args\s*:\s*['"][^'"]*--port\s+(\d+)"#));

/// §3.8 bare key and §3.11 Vite config: the first lower-case `port: <digits>`. Literal reading: no word
/// boundary before `port`.
static BARE_PORT: LazyLock<Regex> = LazyLock::new(|| js_regex(r"port\s*:\s*(\d+)"));

/// §2 `cwd`: the first `cwd: '…'` string literal. Literal reading: a non-empty string, either quote kind.
static CWD: LazyLock<Regex> = LazyLock::new(|| js_regex(r#"cwd\s*:\s*['"]([^'"]+)['"]"#));

/// §3.10: the word `vite`, case-insensitive (ASCII folding, as a non-`u` JavaScript regex), word-bounded.
static VITE_WORD: LazyLock<Regex> = LazyLock::new(|| js_regex(r"\b[vV][iI][tT][eE]\b"));

// ---------------------------------------------------------------------------------------------------------
// JavaScript object semantics

/// A string-keyed map that behaves like a JavaScript plain object where PortOS relies on it: assigning an
/// existing key keeps its position, assigning `__proto__` is a no-op, and enumeration lists array-index
/// keys first in ascending order, then the rest in insertion order. Keys are indexed, so a file with
/// thousands of keys costs no more per key than a file with one.
#[derive(Clone, Debug)]
struct JsObject<V> {
    entries: Vec<(String, V)>,
    index: HashMap<String, usize>,
}

impl<V> Default for JsObject<V> {
    fn default() -> Self {
        JsObject {
            entries: Vec::new(),
            index: HashMap::new(),
        }
    }
}

impl<V> JsObject<V> {
    fn set(&mut self, key: &str, value: V) {
        // `obj.__proto__ = number` on a plain object changes nothing.
        if key == "__proto__" {
            return;
        }
        match self.index.get(key) {
            Some(&at) => self.entries[at].1 = value,
            None => {
                self.index.insert(key.to_string(), self.entries.len());
                self.entries.push((key.to_string(), value));
            }
        }
    }

    fn get(&self, key: &str) -> Option<&V> {
        self.index.get(key).map(|&at| &self.entries[at].1)
    }

    fn contains(&self, key: &str) -> bool {
        self.index.contains_key(key)
    }

    fn remove(&mut self, key: &str) -> Option<V> {
        let at = self.index.remove(key)?;
        let (_, value) = self.entries.remove(at);
        for later in self.index.values_mut().filter(|later| **later > at) {
            *later -= 1;
        }
        Some(value)
    }

    fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries in JavaScript's enumeration order, borrowed.
    fn enumerated(&self) -> Vec<(&String, &V)> {
        let (mut indexed, named): (Vec<_>, Vec<_>) = self
            .entries
            .iter()
            .map(|(key, value)| (key, value))
            .partition(|(key, _)| array_index(key).is_some());
        indexed.sort_by_key(|(key, _)| array_index(key));
        indexed.extend(named);
        indexed
    }

    /// The entries in JavaScript's enumeration order.
    fn into_enumerated(self) -> Vec<(String, V)> {
        let (mut indexed, named): (Vec<_>, Vec<_>) = self
            .entries
            .into_iter()
            .partition(|(key, _)| array_index(key).is_some());
        indexed.sort_by_key(|(key, _)| array_index(key));
        indexed.extend(named);
        indexed
    }
}

/// The value of a key JavaScript treats as an array index (`"0"`, `"6201"`; not `"01"`, not 2³²−1).
fn array_index(key: &str) -> Option<u32> {
    let canonical = key == "0" || (key.len() <= 10 && !key.starts_with('0'));
    if !canonical || key.is_empty() || !key.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    key.parse::<u64>()
        .ok()
        .filter(|&value| value <= u64::from(u32::MAX - 1))
        .map(|value| value as u32)
}

/// Parses an ASCII digit run, saturating instead of overflowing (PortOS keeps any size; we cap at i64).
fn parse_digits(digits: &str) -> i64 {
    digits.bytes().fold(0i64, |total, byte| {
        total
            .saturating_mul(10)
            .saturating_add(i64::from(byte.wrapping_sub(b'0')))
    })
}

/// A number read from the text, with the absolute range of its digits.
fn number_at(text_offset: usize, digits: regex::Match<'_>) -> ConstNumber {
    ConstNumber {
        value: parse_digits(digits.as_str()),
        digits: TextRange::new(text_offset + digits.start(), text_offset + digits.end()),
    }
}

// ---------------------------------------------------------------------------------------------------------
// §3.1 constant table

fn build_constant_table(text: &str) -> JsObject<ConstValue> {
    table_from_sources(text, &constant_sources(text))
}

/// Where one entry of the constant table comes from: its key's text and its digits, by place. The places
/// are all the regexes decide; the keys and values are read from them.
#[derive(Clone, Debug)]
enum ConstSource {
    /// A loose `*PORT*` constant: its name and digits.
    Loose(Range<usize>, Range<usize>),
    /// `PORTS.word`: the word and the digits.
    Entry(Range<usize>, Range<usize>),
    /// A group `PORTS.word`: the word and each member's key and digits.
    Group(Range<usize>, Vec<(Range<usize>, Range<usize>)>),
}

/// §3.1: the places of the constant table's entries, in the order the table is built.
fn constant_sources(text: &str) -> Vec<ConstSource> {
    let mut sources: Vec<ConstSource> = LOOSE_CONSTANT
        .captures_iter(text)
        .map(|caps| ConstSource::Loose(group(&caps, 1).range(), group(&caps, 2).range()))
        .collect();
    let Some(header) = PORTS_DECLARATION.find(text) else {
        return sources;
    };
    let open = header.end() - 1;
    // Literal reading: a PORTS object that never closes runs to the end of the text.
    let end = naive_matching_brace(text.as_bytes(), open).map_or(text.len(), |close| close + 1);
    let body = &text[open..end];
    let shifted = |m: regex::Match<'_>, by: usize| m.start() + by..m.end() + by;

    // Every `word: digits` at any depth first, then the groups (the order the spec lists them in).
    for caps in WORD_COLON_DIGITS.captures_iter(body) {
        sources.push(ConstSource::Entry(
            shifted(group(&caps, 1), open),
            shifted(group(&caps, 2), open),
        ));
    }
    for caps in PORTS_GROUP.captures_iter(body) {
        let inner = group(&caps, 2);
        let at = open + inner.start();
        let members = WORD_COLON_DIGITS
            .captures_iter(inner.as_str())
            .map(|sub| (shifted(group(&sub, 1), at), shifted(group(&sub, 2), at)))
            .collect();
        sources.push(ConstSource::Group(shifted(group(&caps, 1), open), members));
    }
    sources
}

/// The constant table `sources` (found in `text`, or in a text that differs from it only in digits) make.
fn table_from_sources(text: &str, sources: &[ConstSource]) -> JsObject<ConstValue> {
    let number = |digits: &Range<usize>| ConstNumber {
        value: parse_digits(&text[digits.clone()]),
        digits: TextRange::new(digits.start, digits.end),
    };
    let mut table = JsObject::default();
    for source in sources {
        match source {
            ConstSource::Loose(key, digits) => {
                table.set(&text[key.clone()], ConstValue::Number(number(digits)))
            }
            ConstSource::Entry(key, digits) => table.set(
                &format!("PORTS.{}", &text[key.clone()]),
                ConstValue::Number(number(digits)),
            ),
            ConstSource::Group(key, members) => {
                let word = &text[key.clone()];
                let mut group = JsObject::default();
                for (member, digits) in members {
                    let number = number(digits);
                    let member = &text[member.clone()];
                    table.set(
                        &format!("PORTS.{word}.{member}"),
                        ConstValue::Number(number.clone()),
                    );
                    group.set(member, number);
                }
                table.set(
                    &format!("PORTS.{word}"),
                    ConstValue::Group(group.into_enumerated()),
                );
            }
        }
    }
    table
}

/// A capture group the pattern always has when it matched.
fn group<'t>(caps: &Captures<'t>, index: usize) -> regex::Match<'t> {
    caps.get(index)
        .expect("the group is not optional in its pattern")
}

/// §3.1: the `}` that brings a plain `{`/`}` count back to zero, blind to strings and comments.
fn naive_matching_brace(bytes: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (index, &byte) in bytes.iter().enumerate().skip(open) {
        match byte {
            b'{' => depth += 1,
            b'}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some(index);
                }
            }
            _ => {}
        }
    }
    None
}

// ---------------------------------------------------------------------------------------------------------
// §3.2 block extent

#[derive(Clone, Copy)]
enum ScanState {
    Code,
    LineComment,
    BlockComment,
    /// Inside a `'`, `"` or `` ` `` string (template literals are opaque: `${…}` is not looked into).
    Quoted(u8),
}

/// §3.2: where blocks end — the `}` matching a `{`, counting braces outside `//` and `/* */` comments and
/// `'`, `"`, `` ` `` strings (regex literals are not recognised).
///
/// PortOS rescans from every app start, which is quadratic when blocks overlap (an unclosed or run-on
/// block). The answer for a `{` depends only on its position (a scan always starts in code), so every `{`
/// a scan meets in code is remembered with its answer, and later scans jump over known blocks. The
/// results are the same as rescanning; only the time differs.
#[derive(Default)]
struct BlockEnds {
    known: HashMap<usize, Option<usize>>,
}

impl BlockEnds {
    /// The index of the `}` matching the `{` at `open` in `bytes`, or `None` if it never closes. One
    /// `BlockEnds` must only ever be asked about one `bytes`.
    fn find(&mut self, bytes: &[u8], open: usize) -> Option<usize> {
        if let Some(&known) = self.known.get(&open) {
            return known;
        }
        let mut open_braces: Vec<usize> = Vec::new();
        let mut state = ScanState::Code;
        let mut index = open;
        while let Some(&byte) = bytes.get(index) {
            let next = bytes.get(index + 1).copied();
            match state {
                ScanState::Code => match byte {
                    b'/' if next == Some(b'/') => {
                        state = ScanState::LineComment;
                        index += 1;
                    }
                    b'/' if next == Some(b'*') => {
                        // The opener's `*` cannot also close it: `/*/` stays open.
                        state = ScanState::BlockComment;
                        index += 1;
                    }
                    b'\'' | b'"' | b'`' => state = ScanState::Quoted(byte),
                    b'{' => match self.known.get(&index) {
                        Some(Some(close)) => index = *close,
                        // A block inside ours never closes, so neither does ours.
                        Some(None) => break,
                        None => open_braces.push(index),
                    },
                    b'}' => {
                        if let Some(start) = open_braces.pop() {
                            self.known.insert(start, Some(index));
                        }
                        if open_braces.is_empty() {
                            return Some(index);
                        }
                    }
                    _ => {}
                },
                // Literal reading: a line comment ends at `\n` only (not `\r`, U+2028 or U+2029).
                ScanState::LineComment if byte == b'\n' => state = ScanState::Code,
                ScanState::BlockComment if byte == b'*' && next == Some(b'/') => {
                    state = ScanState::Code;
                    index += 1;
                }
                // Literal reading: the odd-backslash-run rule applies to the closing quote; an opening
                // quote is never considered escaped.
                ScanState::Quoted(quote) if byte == quote && !is_escaped(bytes, index) => {
                    state = ScanState::Code;
                }
                _ => {}
            }
            index += 1;
        }
        for start in open_braces {
            self.known.insert(start, None);
        }
        None
    }
}

/// Whether the byte at `index` is preceded by an odd run of backslashes.
fn is_escaped(bytes: &[u8], index: usize) -> bool {
    let run = bytes[..index]
        .iter()
        .rev()
        .take_while(|&&byte| byte == b'\\')
        .count();
    run % 2 == 1
}

// ---------------------------------------------------------------------------------------------------------
// §3.2–§3.9 one app

/// A process before the post-pass: its ports still as PortOS's `ports` object.
#[derive(Clone)]
struct Draft {
    name: String,
    name_range: TextRange,
    block_range: TextRange,
    ports: JsObject<ConstNumber>,
    uses_vite: bool,
    cwd: Option<String>,
}

fn read_app(
    text: &str,
    open: usize,
    name: Range<usize>,
    constants: &JsObject<ConstValue>,
    block_ends: &mut BlockEnds,
) -> Draft {
    let name_text = &text[name.clone()];
    let end = block_ends
        .find(text.as_bytes(), open)
        .map_or(open + 1, |close| close + 1);
    let block = &text[open..end];
    // §3.2: a block that never closes is just its `{` and yields no ports.
    let ports = if end == open + 1 {
        JsObject::default()
    } else {
        ports_of_block(block, open, name_text, constants)
    };
    Draft {
        name: name_text.to_string(),
        name_range: TextRange::new(name.start, name.end),
        block_range: TextRange::new(open, end),
        ports,
        uses_vite: VITE_WORD.is_match(block) || block.contains("VITE_PORT"),
        cwd: CWD.captures(block).map(|cwd| cwd[1].to_string()),
    }
}

/// §3.3: the five sources in order; the first that yields anything wins.
fn ports_of_block(
    block: &str,
    offset: usize,
    name: &str,
    constants: &JsObject<ConstValue>,
) -> JsObject<ConstNumber> {
    let sources: [&dyn Fn() -> JsObject<ConstNumber>; 5] = [
        &|| literal_ports_map(block, offset),
        &|| referenced_ports_group(block, constants),
        &|| env_ports(block, offset, name, constants),
        &|| single_port(&ARGS_PORT, block, offset, "ui"),
        &|| single_port(&BARE_PORT, block, offset, "api"),
    ];
    sources
        .iter()
        .map(|source| source())
        .find(|ports| !ports.is_empty())
        .unwrap_or_default()
}

/// Sets `label` unless the number is 0, which PortOS treats as no port.
fn set_port(ports: &mut JsObject<ConstNumber>, label: &str, number: ConstNumber) {
    if number.value != 0 {
        ports.set(label, number);
    }
}

/// §3.4: every `word: digits` between the first `ports: {` and the first `}` after it.
fn literal_ports_map(block: &str, offset: usize) -> JsObject<ConstNumber> {
    let mut ports = JsObject::default();
    if let Some(caps) = PORTS_MAP.captures(block) {
        let body = group(&caps, 1);
        for entry in WORD_COLON_DIGITS.captures_iter(body.as_str()) {
            set_port(
                &mut ports,
                &entry[1],
                number_at(offset + body.start(), group(&entry, 2)),
            );
        }
    }
    ports
}

/// §3.5: `ports: PORTS.word`, when the table holds a group under that exact text.
fn referenced_ports_group(block: &str, constants: &JsObject<ConstValue>) -> JsObject<ConstNumber> {
    let mut ports = JsObject::default();
    let reference = PORTS_REFERENCE.captures(block);
    if let Some(ConstValue::Group(members)) = reference.and_then(|caps| constants.get(&caps[1])) {
        for (label, number) in members {
            set_port(&mut ports, label, number.clone());
        }
    }
    ports
}

/// §3.6–§3.7: the env blocks' port keys, merged by precedence, then labelled.
fn env_ports(
    block: &str,
    offset: usize,
    name: &str,
    constants: &JsObject<ConstValue>,
) -> JsObject<ConstNumber> {
    let mut by_key: JsObject<ConstNumber> = JsObject::default();
    // Env blocks are matched within the app block's text, so they cannot run past it.
    let mut env_ends = BlockEnds::default();
    for header in ENV_HEADERS.iter() {
        for found in header.find_iter(block) {
            let open = found.end() - 1;
            let end = env_ends
                .find(block.as_bytes(), open)
                .map_or(open + 1, |close| close + 1);
            read_env_keys(&block[open..end], offset + open, constants, &mut by_key);
        }
    }
    label_env_ports(by_key, name)
}

/// §3.6: every port key in one env block's raw text; a resolved value overwrites, an unresolved one not.
///
/// A key's value is the text after its colon up to the next `,`, `}` or newline, so keys that share one
/// stretch of text (40,000 `PORT:` inside one string) share its end, its trimmed end and its `|| N`
/// default: each is found once per stretch ([`ValueRun`]), and each key then looks only at the start of
/// its own value. The whole block is read in time linear in its length.
fn read_env_keys(
    env: &str,
    offset: usize,
    constants: &JsObject<ConstValue>,
    by_key: &mut JsObject<ConstNumber>,
) {
    let mut run: Option<ValueRun> = None;
    // Literal reading: the search for the next key resumes right after this key's colon.
    for caps in ENV_KEY.captures_iter(env) {
        let value_start = group(&caps, 0).end();
        // Matches come in text order, so a run whose end is not behind this value is still its run.
        let current = match run {
            Some(known) if known.end >= value_start => known,
            _ => *run.insert(ValueRun::starting_at(env, value_start)),
        };
        if let Some(number) = current.resolve(env, value_start, offset, constants) {
            set_port(by_key, &caps[1], number);
        }
    }
}

/// One stretch of env text between a key's colon and the next `,`, `}` or newline, with what every value
/// ending there has in common. Byte offsets are into the env block's text.
#[derive(Clone, Copy)]
struct ValueRun {
    /// The `,`, `}` or newline that ends every value in the run, or the end of the text.
    end: usize,
    /// `end` with trailing JavaScript whitespace trimmed, but not before the run's first value.
    trimmed_end: usize,
    /// §3.6 form 2 for values ending here: where its `||` starts and the number after it. A value has the
    /// default when it starts at or before the `||`.
    or_default: Option<OrDefault>,
}

/// A `|| N` default at the end of a [`ValueRun`]: where the `||` starts, and N with its digits' range.
#[derive(Clone, Copy)]
struct OrDefault {
    bars: usize,
    value: i64,
    digits: TextRange,
}

impl ValueRun {
    fn starting_at(env: &str, start: usize) -> ValueRun {
        let end = env[start..]
            .find([',', '}', '\n'])
            .map_or(env.len(), |at| start + at);
        let trimmed_end = start + env[start..end].trim_end_matches(is_js_space).len();
        ValueRun {
            end,
            trimmed_end,
            or_default: or_default_tail(&env[start..trimmed_end]).map(|(bars, digits)| {
                let digits = start + digits.start..start + digits.end;
                OrDefault {
                    bars: start + bars,
                    value: parse_digits(&env[digits.clone()]),
                    digits: TextRange::new(digits.start, digits.end),
                }
            }),
        }
    }

    /// §3.6's three value forms, for the value starting at `value_start` (inside this run): all digits;
    /// `… || N` (optionally quoted N); an exact constant-table key. `offset` is where `env` is in the file.
    fn resolve(
        &self,
        env: &str,
        value_start: usize,
        offset: usize,
        constants: &JsObject<ConstValue>,
    ) -> Option<ConstNumber> {
        // Leading whitespace, then the value runs to the run's trimmed end. Keys never start with
        // whitespace, so this skip (and the word scan below) stops before the next key: linear overall.
        let start = env[value_start..self.end]
            .char_indices()
            .find(|&(_, c)| !is_js_space(c))
            .map_or(self.end, |(at, _)| value_start + at);
        if start >= self.trimmed_end {
            return None;
        }
        // All digits, or a table key, is one `[\w.]` word to the end; anything else can only be form 2.
        let word_end = start
            + env.as_bytes()[start..self.trimmed_end]
                .iter()
                .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
                .count();
        if word_end < self.trimmed_end {
            return match self.or_default {
                Some(default) if default.bars >= start => Some(ConstNumber {
                    value: default.value,
                    digits: TextRange::new(
                        offset + default.digits.start as usize,
                        offset + default.digits.end as usize,
                    ),
                }),
                _ => None,
            };
        }
        let value = &env[start..self.trimmed_end];
        if value.bytes().all(|b| b.is_ascii_digit()) {
            return Some(ConstNumber {
                value: parse_digits(value),
                digits: TextRange::new(offset + start, offset + self.trimmed_end),
            });
        }
        // Literal reading: a table key that names a group is not a port (only numbers resolve).
        match constants.get(value) {
            Some(ConstValue::Number(number)) => Some(number.clone()),
            _ => None,
        }
    }
}

/// §3.6 form 2, `\|\|\s*['"]?(\d+)['"]?$` (JavaScript's `\s`), matched backwards from the end so it costs
/// only the length of the tail it reads: where the `||` starts and the digits' range, both in `value`.
/// What may follow `||` is fixed (whitespace, a quote, digits, a quote), and none of those can be a `|`
/// or extend the digit run, so the only candidate is the one right before the whitespace.
fn or_default_tail(value: &str) -> Option<(usize, std::ops::Range<usize>)> {
    let bytes = value.as_bytes();
    let mut at = bytes.len();
    if at > 0 && matches!(bytes[at - 1], b'\'' | b'"') {
        at -= 1;
    }
    let digits_end = at;
    while at > 0 && bytes[at - 1].is_ascii_digit() {
        at -= 1;
    }
    if at == digits_end {
        return None;
    }
    let digits = at..digits_end;
    if at > 0 && matches!(bytes[at - 1], b'\'' | b'"') {
        at -= 1;
    }
    at = value[..at].trim_end_matches(is_js_space).len();
    value[..at].ends_with("||").then(|| (at - 2, digits))
}

/// JavaScript's whitespace (what `\s` and `String.prototype.trim` strip).
fn is_js_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{0B}' | '\u{0C}' | '\r' | ' ' | '\u{A0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202F}'
                | '\u{205F}'
                | '\u{3000}'
                | '\u{FEFF}'
    )
}

/// §3.7: `CDP_PORT` → cdp; `PORT` → ui / health / api by the process name; `VITE_PORT` → ui; every other
/// key → its camel-cased stem unless that label is taken.
fn label_env_ports(by_key: JsObject<ConstNumber>, name: &str) -> JsObject<ConstNumber> {
    let mut ports = JsObject::default();
    let cdp = by_key.get("CDP_PORT");
    if let Some(cdp) = cdp {
        ports.set("cdp", cdp.clone());
    }
    if let Some(port) = by_key.get("PORT") {
        let lower = name.to_ascii_lowercase();
        let label = if ["-ui", "_ui", "-client", "_client"]
            .iter()
            .any(|suffix| lower.ends_with(suffix))
        {
            "ui"
        // Literal reading: only the ui/client suffixes are said to be case-insensitive.
        } else if (name.ends_with("-browser") || name.ends_with("_browser")) && cdp.is_some() {
            "health"
        } else {
            "api"
        };
        ports.set(label, port.clone());
    }
    if let Some(vite) = by_key.get("VITE_PORT") {
        ports.set("ui", vite.clone());
    }
    for (key, number) in &by_key.entries {
        if matches!(key.as_str(), "PORT" | "CDP_PORT" | "VITE_PORT") {
            continue;
        }
        let label = camel_case_stem(key);
        if !ports.contains(&label) {
            ports.set(&label, number.clone());
        }
    }
    ports
}

/// `METRICS_HTTP_PORT` → `metricsHttp`: drop the trailing `_PORT` (or `PORT`), lower-case, and turn each
/// `_` + letter into the upper-case letter.
fn camel_case_stem(key: &str) -> String {
    let stem = key
        .strip_suffix("_PORT")
        .or_else(|| key.strip_suffix("PORT"))
        .unwrap_or(key)
        .to_ascii_lowercase();
    let mut label = String::with_capacity(stem.len());
    let mut chars = stem.chars().peekable();
    while let Some(c) = chars.next() {
        match chars.peek() {
            Some(&letter) if c == '_' && letter.is_ascii_lowercase() => {
                label.push(letter.to_ascii_uppercase());
                chars.next();
            }
            _ => label.push(c),
        }
    }
    label
}

/// §3.8: one labelled port from the first match of `pattern` (args `--port` or a bare `port:`).
fn single_port(pattern: &Regex, block: &str, offset: usize, label: &str) -> JsObject<ConstNumber> {
    let mut ports = JsObject::default();
    if let Some(caps) = pattern.captures(block) {
        set_port(&mut ports, label, number_at(offset, group(&caps, 1)));
    }
    ports
}

/// §3.11: the first `port: digits` of a Vite config, when it is not 0.
fn first_bare_port(config: &str) -> Option<i64> {
    let caps = BARE_PORT.captures(config)?;
    Some(parse_digits(&caps[1])).filter(|&port| port != 0)
}

// ---------------------------------------------------------------------------------------------------------
// §3.10 post-pass

/// If any process has an `api` port, every Vite process with `ui` and no `devUi` gets its `ui` moved to
/// `devUi` (appended, so it enumerates last).
fn relabel_vite_ui_as_dev_ui(drafts: &mut [std::sync::Arc<Draft>]) {
    if !drafts.iter().any(|draft| draft.ports.contains("api")) {
        return;
    }
    for draft in drafts.iter_mut() {
        // Only the drafts that change are copied (they may be shared with the memo).
        if draft.uses_vite && !draft.ports.contains("devUi") && draft.ports.contains("ui") {
            let draft = std::sync::Arc::make_mut(draft);
            if let Some(ui) = draft.ports.remove("ui") {
                draft.ports.set("devUi", ui);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::xorshift;

    fn labels(process: &DetectedProcess) -> Vec<(&str, i64)> {
        process
            .ports
            .iter()
            .map(|found| (found.label.as_str(), found.port))
            .collect()
    }

    /// The editor's detection after random edits — most of them digits retyped, which reuse the whole-text
    /// scans' places, some of them anything else — equals a fresh detection of the same text, on every
    /// PortOS fixture.
    #[test]
    fn an_edited_text_detects_as_a_fresh_one() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/portos");
        let mut paths: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect();
        paths.sort();
        let mut random = crate::syntax::random_below(0x5EED_D161);
        let mut digit_steps = 0;
        for path in paths {
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let mut text = text;
            let mut memo = detect_incremental(&std::sync::Arc::from(text.as_str()), None).1;
            for step in 0..40 {
                let digits: Vec<usize> = text
                    .bytes()
                    .enumerate()
                    .filter(|(_, b)| b.is_ascii_digit())
                    .map(|(i, _)| i)
                    .collect();
                if random(4) != 0 && !digits.is_empty() {
                    let at = digits[random(digits.len())];
                    let digit = (b'0' + random(10) as u8) as char;
                    text.replace_range(at..at + 1, &digit.to_string());
                    digit_steps += 1;
                } else {
                    let bounds = crate::syntax::char_boundaries(&text);
                    let at = bounds[random(bounds.len())];
                    let snippet = [
                        "7",
                        "{ name: 'x', port: 5",
                        "}",
                        "const A_PORT = 4",
                        "'",
                        " ",
                    ];
                    text.insert_str(at, snippet[random(snippet.len())]);
                }
                let shared: std::sync::Arc<str> = std::sync::Arc::from(text.as_str());
                let (found, kept) = detect_incremental(&shared, Some(&memo));
                assert_eq!(
                    found,
                    detect(&text),
                    "{} after step {step}:\n{text}",
                    path.display()
                );
                memo = kept;
            }
        }
        assert!(digit_steps > 1000, "{digit_steps} digit steps");
    }

    #[test]
    fn js_space_class_and_trim_agree() {
        let pattern = js_regex(r"^\s+$");
        for c in ['\u{A0}', '\u{3000}', '\u{FEFF}', '\u{2028}', '\t'] {
            assert!(pattern.is_match(&c.to_string()), "{c:?}");
            assert!(is_js_space(c));
        }
        assert!(!pattern.is_match("\u{85}"));
        assert!(!is_js_space('\u{85}'));
    }

    #[test]
    fn word_classes_are_ascii() {
        assert!(!js_regex(r"^\w$").is_match("é"));
        assert!(!js_regex(r"^\d$").is_match("٣"));
        assert!(js_regex(r"\bBER").is_match("ÜBER"));
    }

    #[test]
    fn array_index_keys() {
        assert_eq!(array_index("0"), Some(0));
        assert_eq!(array_index("6201"), Some(6201));
        assert_eq!(array_index("01"), None);
        assert_eq!(array_index("4294967294"), Some(4_294_967_294));
        assert_eq!(array_index("4294967295"), None);
        assert_eq!(array_index("api"), None);
        assert_eq!(array_index(""), None);
    }

    #[test]
    fn js_object_order_and_proto() {
        let mut object = JsObject::default();
        object.set("b", 1);
        object.set("10", 2);
        object.set("a", 3);
        object.set("2", 4);
        object.set("b", 5);
        object.set("__proto__", 6);
        let keys: Vec<_> = object.into_enumerated().into_iter().collect();
        assert_eq!(
            keys,
            vec![
                ("2".to_string(), 4),
                ("10".to_string(), 2),
                ("b".to_string(), 5),
                ("a".to_string(), 3)
            ]
        );
    }

    #[test]
    fn digits_saturate() {
        assert_eq!(parse_digits("0065"), 65);
        assert_eq!(parse_digits("99999999999999999999999"), i64::MAX);
    }

    #[test]
    fn camel_case_stems() {
        assert_eq!(camel_case_stem("METRICS_HTTP_PORT"), "metricsHttp");
        assert_eq!(camel_case_stem("DEV_UI_PORT"), "devUi");
        assert_eq!(camel_case_stem("H2_PORT"), "h2");
        assert_eq!(camel_case_stem("A_2_PORT"), "a_2");
        assert_eq!(camel_case_stem("A__B_PORT"), "a_B");
    }

    #[test]
    fn brace_matcher_escapes_and_comments() {
        let text = r#"{ a: 'x\'}', b: "\\", c: `${ "}" }`, /* } */ // }
        d: 1 }"#;
        let matching_brace = |bytes: &[u8], open| BlockEnds::default().find(bytes, open);
        assert_eq!(matching_brace(text.as_bytes(), 0), Some(text.len() - 1));
        assert_eq!(matching_brace(b"{ /*/ } */ }", 0), Some(11));
        assert_eq!(matching_brace(b"{ 'open }", 0), None);
    }

    #[test]
    fn remembered_block_ends_agree_with_fresh_scans() {
        let text = b"{ a { b: '}' } { c /* { */ } { d ` { ` { e } x '{' } { never";
        let opens: Vec<usize> = (0..text.len()).filter(|&i| text[i] == b'{').collect();
        let mut shared = BlockEnds::default();
        for &open in &opens {
            assert_eq!(
                shared.find(text, open),
                BlockEnds::default().find(text, open),
                "{open}"
            );
        }
        for &open in opens.iter().rev() {
            assert_eq!(
                shared.find(text, open),
                BlockEnds::default().find(text, open),
                "{open}"
            );
        }

        // Random texts over the scanner's alphabet, opens asked in a scrambled order.
        let alphabet = b"{{}}'\"`/*\\\n x";
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as usize
        };
        for _ in 0..2000 {
            let text: Vec<u8> = (0..next() % 40)
                .map(|_| alphabet[next() % alphabet.len()])
                .collect();
            let mut opens: Vec<usize> = (0..text.len()).filter(|&i| text[i] == b'{').collect();
            let rotate = if opens.is_empty() {
                0
            } else {
                next() % opens.len()
            };
            opens.rotate_left(rotate);
            let mut shared = BlockEnds::default();
            for open in opens {
                let fresh = BlockEnds::default().find(&text, open);
                assert_eq!(
                    shared.find(&text, open),
                    fresh,
                    "{:?} at {open}",
                    String::from_utf8_lossy(&text)
                );
            }
        }
    }

    /// §3.6 read the straightforward way (each key's value found, trimmed and matched on its own, which is
    /// quadratic when many keys share one stretch of text), to check the linear reading against.
    fn read_env_keys_one_by_one(
        env: &str,
        offset: usize,
        constants: &JsObject<ConstValue>,
        or_default: &Regex,
    ) -> Vec<(String, ConstNumber)> {
        let mut by_key = JsObject::default();
        for caps in ENV_KEY.captures_iter(env) {
            let value_start = group(&caps, 0).end();
            let rest = &env[value_start..];
            let raw = &rest[..rest.find([',', '}', '\n']).unwrap_or(rest.len())];
            let value = raw.trim_matches(is_js_space);
            let value_offset =
                offset + value_start + (raw.len() - raw.trim_start_matches(is_js_space).len());
            let number = if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
                Some(ConstNumber {
                    value: parse_digits(value),
                    digits: TextRange::new(value_offset, value_offset + value.len()),
                })
            } else if let Some(caps) = or_default.captures(value) {
                Some(number_at(value_offset, group(&caps, 1)))
            } else {
                match constants.get(value) {
                    Some(ConstValue::Number(number)) => Some(number.clone()),
                    _ => None,
                }
            };
            if let Some(number) = number {
                set_port(&mut by_key, &caps[1], number);
            }
        }
        by_key.entries
    }

    #[test]
    fn linear_env_reading_agrees_with_reading_each_key_alone() {
        let constants =
            build_constant_table("const API_PORT = 7000; const PORTS = { a: 1, g: { b: 2 } };");
        let tokens = [
            "PORT",
            "X_PORT",
            "API_PORT",
            "PORTS.a",
            "PORTS.g",
            "PORTS.g.b",
            "'",
            "\"",
            ":",
            " ",
            "\t",
            "\u{A0}",
            ",",
            "}",
            "\n",
            "||",
            "|",
            "5",
            "42",
            "0",
            ".",
            "a",
            "é",
            "x || ",
        ];
        let or_default = js_regex(r#"\|\|\s*['"]?(\d+)['"]?$"#);
        let mut next = xorshift(0x2545_f491_4f6c_dd1d);
        for _ in 0..20_000 {
            let env: String = (0..next() % 24)
                .map(|_| tokens[next() % tokens.len()])
                .collect();
            let mut linear = JsObject::default();
            read_env_keys(&env, 100, &constants, &mut linear);
            assert_eq!(
                linear.entries,
                read_env_keys_one_by_one(&env, 100, &constants, &or_default),
                "{env:?}"
            );
        }
    }

    #[test]
    fn or_default_tail_is_the_regex() {
        let regex = js_regex(r#"\|\|\s*['"]?(\d+)['"]?$"#);
        let alphabet = ["|", "'", "\"", " ", "\u{3000}", "1", "23", "x", "é"];
        let mut next = xorshift(0x9e37_79b9_7f4a_7c15);
        for _ in 0..20_000 {
            let value: String = (0..next() % 10)
                .map(|_| alphabet[next() % alphabet.len()])
                .collect();
            let expected = regex
                .captures(&value)
                .map(|caps| (group(&caps, 0).start(), group(&caps, 1).range()));
            assert_eq!(or_default_tail(&value), expected, "{value:?}");
        }
    }

    #[test]
    fn env_value_forms() {
        let text = "const API_PORT = 7000;\nmodule.exports = { apps: [{ name: 'a', env: {\n  PORT: process.env.PORT || '4420', \n} }, { name: 'b', env: { PORT: API_PORT } }, { name: 'c', env: { PORT: parseInt(x, 10) || 5 } }] };";
        let found = detect(text);
        assert_eq!(labels(&found[0]), vec![("api", 4420)]);
        assert_eq!(
            &text[found[0].ports[0].value_range.unwrap().as_range()],
            "4420"
        );
        assert_eq!(labels(&found[1]), vec![("api", 7000)]);
        assert_eq!(
            &text[found[1].ports[0].value_range.unwrap().as_range()],
            "7000"
        );
        assert!(found[2].ports.is_empty());
    }

    #[test]
    fn display_lines() {
        let port = |label: &str, port| DetectedPort {
            label: label.to_string(),
            port,
            value_range: None,
        };
        assert_eq!(display_line("a", &[]), "a");
        assert_eq!(display_line("a", &[port("api", 5555)]), "a:5555");
        assert_eq!(
            display_line("b", &[port("cdp", 5556), port("health", 5557)]),
            "b (cdp:5556,health:5557)"
        );
    }
}
