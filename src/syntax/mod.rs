//! The syntax layer: decoding a file's bytes, parsing it with tree-sitter, and positions in its text.

mod facts;
pub mod fields;
pub mod kinds;
pub mod line_index;
pub mod source;
mod tree;
pub mod yaml;

pub use facts::{KeyUse, PortsUses, TextKind, TextSpans};
pub use line_index::{Encoding, LineCol, LineIndex};
pub use source::{DecodeError, decode, line_ending, same_span};
pub use tree::{SyntaxNode, SyntaxTree, TreeEdit};

use std::sync::OnceLock;

use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tree_sitter::{InputEdit, Node, ParseOptions, ParseState, Parser, Point, Tree};

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
    /// Where a `,` makes the file parse better, when one does: the likely fix, and the repair the evaluator's
    /// tree already has. It is before the error (`'x.js' env: {…}`) or right after it.
    pub comma_at: Option<u32>,
    /// An object literal that starts a statement (`{ "apps": […] }`, JSON in a `.js` file): tree-sitter reads
    /// an object, JavaScript a block, so Node stops at the first `:` and PM2 cannot load the file.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub object_statement: bool,
    /// The loader's own words, where the error is not tree-sitter's (a YAML file PM2's YAML loader refuses).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// How PM2 reads a configuration file, decided by its name as PM2 decides it: the first of `.json`, `.yml`,
/// `.yaml` the name contains (a substring test, so `ecosystem.json5` is JSON) picks the format; any other
/// name is JavaScript, loaded with `require`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// `.js`, `.cjs`, `.mjs`: a module Node loads.
    JavaScript,
    /// `.json`, `.json5`: one JavaScript expression PM2 evaluates (`(` + text + `)`), so comments, single
    /// quotes, unquoted keys, trailing commas and arithmetic all work.
    Json,
    /// `.yml`, `.yaml`: one YAML 1.2 document (js-yaml).
    Yaml,
}

impl Format {
    /// The format of a file by its name (PM2's substring test, in PM2's order).
    pub fn of_path(path: &std::path::Path) -> Format {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        Format::of_name(name)
    }

    /// The format of a base name (PM2's substring test, in PM2's order).
    pub fn of_name(name: &str) -> Format {
        if name.contains(".json") {
            Format::Json
        } else if name.contains(".yml") || name.contains(".yaml") {
            Format::Yaml
        } else {
            Format::JavaScript
        }
    }

    /// Whether PM2 reads a file of this name as a configuration at all: JSON and YAML names, and
    /// JavaScript named `*.config.js`, `*.config.cjs` or `*.config.mjs`; any other file given to `pm2 start`
    /// is run as an app.
    pub fn pm2_reads_as_config(name: &str) -> bool {
        Format::of_name(name) != Format::JavaScript
            || [".config.js", ".config.cjs", ".config.mjs"]
                .iter()
                .any(|ext| name.contains(ext))
    }

    /// What a line comment starts with in this format, for suppression comments and the fixes that write them.
    pub fn line_comment(self) -> &'static str {
        match self {
            Format::JavaScript | Format::Json => "//",
            Format::Yaml => "#",
        }
    }

    /// The format's name in messages.
    pub fn name(self) -> &'static str {
        match self {
            Format::JavaScript => "JavaScript",
            Format::Json => "JSON",
            Format::Yaml => "YAML",
        }
    }
}

/// The top-level statements that are object literals JavaScript cannot read as blocks (a key that is a
/// string or a number, or more than one member: `{ "apps": […] }`, `{ a: 1, b: 2 }`); `{ a: 1 }` is a valid
/// labelled statement and is left alone. Real files held JSON under a `.js` name.
fn object_statements(tree: &Tree) -> Vec<SyntaxError> {
    let root = tree.root_node();
    let mut cursor = root.walk();
    root.named_children(&mut cursor)
        .filter(|statement| statement.kind() == "expression_statement")
        .filter_map(|statement| statement.named_child(0))
        .filter(|expr| expr.kind() == "object")
        .filter(|object| {
            let mut members = object.walk();
            let members: Vec<Node> = object
                .named_children(&mut members)
                .filter(|m| m.kind() != "comment")
                .collect();
            members.len() > 1
                || members.iter().any(|m| {
                    m.child_by_field_name("key")
                        .is_some_and(|k| matches!(k.kind(), "string" | "number"))
                })
        })
        .map(|object| SyntaxError {
            range: TextRange::new(object.start_byte(), object.start_byte() + 1),
            missing: None,
            unbounded: false,
            comma_at: None,
            object_statement: true,
            message: None,
        })
        .collect()
}

/// The errors of a parse with the object statements among them, in text order.
fn with_object_statements(tree: &Tree, mut errors: Vec<SyntaxError>) -> Vec<SyntaxError> {
    let objects = object_statements(tree);
    if !objects.is_empty() {
        errors.extend(objects);
        errors.sort_by_key(|e| e.range.start);
    }
    errors
}

/// A parsed file: the tree, its errors, and the facts read off the tree (each computed once, when first
/// asked). Parsing never fails; a broken file is a tree with errors.
pub struct Parsed {
    /// How the text was read.
    pub format: Format,
    /// The concrete syntax tree.
    pub tree: SyntaxTree,
    /// Every ERROR and MISSING node, in text order.
    pub errors: Vec<SyntaxError>,
    /// Whether this is the previous version's tree kept as it was (see [`SyntaxTree::keeps_shape`]): every
    /// node has the kind and span it had, so what was read off the positions of that tree still holds.
    pub shape_kept: bool,
    text_spans: OnceLock<TextSpans>,
    comments: OnceLock<Vec<TextRange>>,
    ports_uses: OnceLock<PortsUses>,
}

impl std::fmt::Debug for Parsed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Parsed")
            .field("tree", &self.tree)
            .field("errors", &self.errors)
            .finish()
    }
}

impl Parsed {
    fn new(tree: Tree, errors: Vec<SyntaxError>) -> Self {
        Self::of(Format::JavaScript, SyntaxTree(tree::Repr::Js(tree)), errors)
    }

    fn of(format: Format, tree: SyntaxTree, errors: Vec<SyntaxError>) -> Self {
        Parsed {
            format,
            tree,
            errors,
            shape_kept: false,
            text_spans: OnceLock::new(),
            comments: OnceLock::new(),
            ports_uses: OnceLock::new(),
        }
    }

    /// Where the text is a comment, a string or broken: what PortOS's regexes misread (nothing for YAML,
    /// which PortOS never reads).
    pub fn text_spans(&self) -> &TextSpans {
        self.text_spans.get_or_init(|| match self.tree.js() {
            Some(tree) => facts::text_spans(tree),
            None => TextSpans::default(),
        })
    }

    /// Every comment's range, in text order (JavaScript and JSON).
    pub fn comments(&self) -> &[TextRange] {
        self.comments.get_or_init(|| match self.tree.js() {
            Some(tree) => facts::comments(tree),
            None => Vec::new(),
        })
    }

    /// What the text does with a `PORTS` table. `text` is the text this tree was parsed from.
    pub fn ports_uses(&self, text: &str) -> &PortsUses {
        self.ports_uses.get_or_init(|| match self.tree.js() {
            Some(tree) => facts::ports_uses(tree, text),
            None => PortsUses::default(),
        })
    }
}

/// The JavaScript language, for callers that build their own parser (the benchmark's bare parse).
pub fn language() -> tree_sitter::Language {
    tree_sitter_javascript::LANGUAGE.into()
}

thread_local! {
    static PARSER: std::cell::RefCell<Option<Parser>> = const { std::cell::RefCell::new(None) };
}

/// How long one file's parse may take, and a way to call it off. tree-sitter's error recovery is super-linear
/// on some inputs (a few hundred bytes can take minutes), so no parse runs without one.
#[derive(Clone, Debug, Default)]
pub struct Budget {
    /// The time the file's parse may take; `None` only in tests and benchmarks.
    pub limit: Option<Duration>,
    /// Set when the result is no longer wanted (the editor has a newer version): the parse stops at once.
    pub cancel: Option<Arc<AtomicBool>>,
}

impl Budget {
    /// A budget of `limit`.
    pub fn new(limit: Duration) -> Self {
        Budget {
            limit: Some(limit),
            cancel: None,
        }
    }

    /// No limit: for tests and benchmarks, which measure the parse itself.
    pub fn unlimited() -> Self {
        Budget::default()
    }

    /// The same budget, called off when `cancel` is set.
    pub fn cancelled_by(mut self, cancel: Arc<AtomicBool>) -> Self {
        self.cancel = Some(cancel);
        self
    }

    /// The clock of one file's parse, started now.
    fn start(&self) -> Clock<'_> {
        Clock {
            budget: self,
            started: Instant::now(),
        }
    }
}

/// Why a parse stopped before its end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stopped {
    /// It took longer than the budget.
    OverBudget {
        /// The budget.
        limit: Duration,
    },
    /// Its result was no longer wanted.
    Cancelled,
}

impl std::fmt::Display for Stopped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stopped::OverBudget { limit } => write!(
                f,
                "not analysed: parsing took longer than the budget of {} ms (raise `parse_ms` under `[limits]` in portos-lsp.toml, or the editor setting `portos.limits.parseMs`)",
                limit.as_millis()
            ),
            Stopped::Cancelled => write!(f, "not analysed: a newer version replaced it"),
        }
    }
}

/// One file's parse under way: every parse of the file (the repairs included) counts against its budget.
struct Clock<'b> {
    budget: &'b Budget,
    started: Instant,
}

impl Clock<'_> {
    /// Why the parse must stop now, if it must.
    fn stop(&self) -> Option<Stopped> {
        if self
            .budget
            .cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::Relaxed))
        {
            return Some(Stopped::Cancelled);
        }
        let limit = self.budget.limit?;
        (self.started.elapsed() > limit).then_some(Stopped::OverBudget { limit })
    }

    /// Whether less than half the budget is spent: the comma repairs only use the first half, so a file that
    /// parses in time is never refused because of them.
    fn has_half_left(&self) -> bool {
        self.budget
            .limit
            .is_none_or(|limit| self.started.elapsed() < limit / 2)
    }
}

/// Parses JavaScript within `budget`: the one function every parse of a text goes through (a file read from
/// disk, a required file, an editor's version, a text a fix or migration produced). Reuses one parser per
/// thread, since creating one allocates its tables each time.
pub fn parse(text: &str, budget: &Budget) -> Result<Parsed, Stopped> {
    let clock = budget.start();
    let raw = parse_raw(text, None, &clock)?;
    Ok(finish(text, raw, &clock))
}

/// Parses a text in `format` within `budget`: JavaScript as it is, JSON as the one expression PM2 evaluates,
/// YAML with the YAML loader. Spans are the text's own in every format.
pub fn parse_as(text: &str, format: Format, budget: &Budget) -> Result<Parsed, Stopped> {
    match format {
        Format::JavaScript => parse(text, budget),
        Format::Json => parse_json(text, budget),
        Format::Yaml => {
            let clock = budget.start();
            let (doc, errors) = yaml::parse(text, &clock)?;
            Ok(Parsed::of(
                Format::Yaml,
                SyntaxTree(tree::Repr::Yaml(Arc::new(doc))),
                errors,
            ))
        }
    }
}

/// JSON as PM2 reads it: `(` + text + `)` evaluated as JavaScript. The parenthesised text is parsed, then the
/// tree is told that both parentheses were deleted, so every node's span is the file's own.
fn parse_json(text: &str, budget: &Budget) -> Result<Parsed, Stopped> {
    let clock = budget.start();
    let wrapped = format!("({text})");
    let raw = parse_raw(&wrapped, None, &clock)?;
    let mut parsed = finish(&wrapped, raw, &clock);
    let len = text.len();
    if let tree::Repr::Js(tree) = &mut parsed.tree.0 {
        let end_point = {
            let row = text.bytes().filter(|&b| b == b'\n').count();
            let column = len - text.rfind('\n').map_or(0, |i| i + 1);
            tree_sitter::Point::new(row, column)
        };
        // The `(` before the text.
        tree.edit(&tree_sitter::InputEdit {
            start_byte: 0,
            old_end_byte: 1,
            new_end_byte: 0,
            start_position: tree_sitter::Point::new(0, 0),
            old_end_position: tree_sitter::Point::new(0, 1),
            new_end_position: tree_sitter::Point::new(0, 0),
        });
        // The `)` after it.
        let after = tree_sitter::Point::new(end_point.row, end_point.column + 1);
        tree.edit(&tree_sitter::InputEdit {
            start_byte: len,
            old_end_byte: len + 1,
            new_end_byte: len,
            start_position: end_point,
            old_end_position: after,
            new_end_position: end_point,
        });
    }
    let shift = |at: u32| (at.saturating_sub(1) as usize).min(len) as u32;
    for error in &mut parsed.errors {
        error.range = TextRange {
            start: shift(error.range.start),
            end: shift(error.range.end),
        };
        error.comma_at = error.comma_at.map(shift);
    }
    // A `//` comment on the last line, with no line break after it, swallows PM2's closing parenthesis.
    let last_line = &text[text.rfind('\n').map_or(0, |i| i + 1)..];
    if !parsed.errors.is_empty()
        && let Some(tree) = parsed.tree.js()
        && let Some(comment) = facts::comments(tree)
            .into_iter()
            .rfind(|c| c.end as usize == len && text[c.as_range()].starts_with("//"))
        && last_line.contains("//")
    {
        parsed.errors = vec![SyntaxError {
            range: comment,
            missing: Some(")".into()),
            unbounded: false,
            comma_at: None,
            object_statement: false,
            message: Some(
                "syntax error: PM2 reads a JSON file as `(` + text + `)`, and this `//` comment on the last line \
                 swallows that `)`: end the file with a line break"
                    .into(),
            ),
        }];
    }
    parsed.format = Format::Json;
    Ok(parsed)
}

/// The errors of a fresh tree, and the best comma repair of it.
fn finish(text: &str, tree: Tree, clock: &Clock) -> Parsed {
    let errors = collect_errors(&tree, text);
    if errors.is_empty() {
        let errors = with_object_statements(&tree, errors);
        return Parsed::new(tree, errors);
    }
    // The errors reported are the file's own; the tree is the best repair found, so the apps around a missing
    // comma keep all their keys (`script: 'x.js' env: {…}` would otherwise lose its env).
    let mut errors = errors;
    let tree = repair_missing_commas(text, tree, &mut errors, clock);
    if errors.iter().any(|e| e.comma_at.is_some()) {
        // Errors that vanish once the comma is there were only its echo (a stray `}` after the broken app).
        let remaining = collect_errors(&tree, text);
        errors.retain(|e| {
            e.comma_at.is_some()
                || remaining.iter().any(|r| {
                    r.range.start < e.range.end.max(e.range.start + 1)
                        && e.range.start < r.range.end.max(r.range.start + 1)
                })
        });
    }
    let errors = with_object_statements(&tree, errors);
    Parsed::new(tree, errors)
}

/// The editor's parse of a new version: it reuses the previous version's tree (`old`, the edits already
/// applied with [`SyntaxTree::edit`]). Where a tree has syntax errors, tree-sitter's incremental parse can
/// recover from them differently from a fresh parse when it reuses nodes near them, so every top-level
/// statement with an error, and [`REREAD_REACH`] statements each side of it, is read again token by token
/// as a fresh parse reads it (see [`mark_changed`]): those of the previous tree first, then, if the new tree
/// has errors elsewhere, those too in a second pass; a text with errors all over is parsed fresh. The
/// result is what [`parse`] gives for `text` (tests/incremental.rs compares every answer with a fresh
/// analysis after each random edit). Returns the result and the unrepaired tree to edit next time.
pub fn parse_incremental(
    text: &str,
    old: Option<&SyntaxTree>,
    budget: &Budget,
) -> Result<(Parsed, SyntaxTree), Stopped> {
    let clock = budget.start();
    let fresh = |clock: &Clock| -> Result<(Parsed, SyntaxTree), Stopped> {
        let raw = parse_raw(text, None, clock)?;
        Ok((
            finish(text, raw.clone(), clock),
            SyntaxTree(tree::Repr::Js(raw)),
        ))
    };
    let Some(old) = old.and_then(SyntaxTree::js) else {
        return fresh(&clock);
    };
    let mut reread = Vec::new();
    error_windows(old, &mut reread);
    if reread.len() > MAX_REREAD_WINDOWS {
        return fresh(&clock);
    }
    let mut base = old.clone();
    mark_changed(&mut base, &reread);
    let mut tree = parse_raw(text, Some(&base), &clock)?;
    if tree.root_node().has_error() {
        // Errors the previous tree did not have: their neighbourhood was reused; read it again too.
        let mut marks = Vec::new();
        error_windows(&tree, &mut marks);
        if marks.len() > MAX_REREAD_WINDOWS {
            return fresh(&clock);
        }
        if covers_more(&reread, &marks) {
            reread.extend(marks);
            let mut base = old.clone();
            mark_changed(&mut base, &reread);
            tree = parse_raw(text, Some(&base), &clock)?;
        }
    }
    if !tree.root_node().has_error() {
        let errors = object_statements(&tree);
        return Ok((
            Parsed::new(tree.clone(), errors),
            SyntaxTree(tree::Repr::Js(tree)),
        ));
    }
    Ok((
        finish(text, tree.clone(), &clock),
        SyntaxTree(tree::Repr::Js(tree)),
    ))
}

/// The parse of a text whose previous tree still fits it exactly (see [`SyntaxTree::keeps_shape`]): that
/// tree, with no reparse (`None` for a tree that is not JavaScript's), and `errors`, the errors read off it
/// before (an unchanged shape has the same ones: no walk over the statements for them).
pub fn reuse_unchanged_shape(
    old: &SyntaxTree,
    errors: Vec<SyntaxError>,
) -> Option<(Parsed, SyntaxTree)> {
    let tree = old.js()?;
    let mut parsed = Parsed::new(tree.clone(), errors);
    parsed.shape_kept = true;
    Some((parsed, old.clone()))
}

/// Top-level statements read again on each side of one with a syntax error when a tree with errors is
/// reparsed. Over 307,162 random edits of texts with errors (the fixtures, as tests/incremental.rs edits
/// them), a plain incremental parse gave a tree other than the fresh one 67 times, rereading the statements
/// with errors alone 8 times, with 1, 2 or 3 neighbours never (trees compared node by node, where a
/// comment sits aside); 3 leaves a margin for little cost (docs/decisions.md).
const REREAD_REACH: usize = 3;

/// A byte range of a tree (in its current text's offsets) to read again, and where it starts and ends.
type Window = (usize, usize, Point, Point);

/// The windows of `tree`'s errors: each top-level statement with an error (a stray ERROR node among them
/// included) with [`REREAD_REACH`] statements each side.
fn error_windows(tree: &Tree, out: &mut Vec<Window>) {
    let root = tree.root_node();
    if !root.has_error() {
        return;
    }
    let count = root.child_count();
    if root.is_error() || count == 0 {
        // An ERROR root: all of it.
        out.push((
            root.start_byte(),
            root.end_byte(),
            root.start_position(),
            root.end_position(),
        ));
        return;
    }
    // One walk over the statements (`Node::child(i)` walks from the first each time: quadratic on a file of
    // many statements).
    let mut cursor = root.walk();
    let statements: Vec<Node> = root.children(&mut cursor).collect();
    for (i, statement) in statements.iter().enumerate() {
        if !statement.has_error() {
            continue;
        }
        let first = statements[i.saturating_sub(REREAD_REACH)];
        let last = statements[(i + REREAD_REACH).min(statements.len() - 1)];
        match out.last_mut() {
            // Overlapping the window before it (statements come in order): one window.
            Some(previous) if first.start_byte() <= previous.1 => {
                previous.1 = last.end_byte();
                previous.3 = last.end_position();
            }
            _ => out.push((
                first.start_byte(),
                last.end_byte(),
                first.start_position(),
                last.end_position(),
            )),
        }
    }
}

/// The most error windows a reparse marks: past it, errors are everywhere and a fresh parse is as cheap (and
/// the window bookkeeping stays linear).
const MAX_REREAD_WINDOWS: usize = 32;

/// Whether `more` has a window not inside one of `have`.
fn covers_more(have: &[Window], more: &[Window]) -> bool {
    more.iter()
        .any(|m| !have.iter().any(|h| h.0 <= m.0 && m.1 <= h.1))
}

/// Tells `tree` that each window's text was replaced by itself: its nodes are not reused.
fn mark_changed(tree: &mut Tree, windows: &[Window]) {
    for &(start, end, start_point, end_point) in windows {
        tree.edit(&InputEdit {
            start_byte: start,
            old_end_byte: end,
            new_end_byte: end,
            start_position: start_point,
            old_end_position: end_point,
            new_end_position: end_point,
        });
    }
}

/// [`parse_incremental`] for a text in `format`: JSON and YAML are parsed afresh each version (they are small,
/// and a JSON tree's spans are shifted), so the tree to keep is the one parsed.
pub fn parse_incremental_as(
    text: &str,
    format: Format,
    old: Option<&SyntaxTree>,
    budget: &Budget,
) -> Result<(Parsed, SyntaxTree), Stopped> {
    match format {
        Format::JavaScript => parse_incremental(text, old, budget),
        _ => {
            let parsed = parse_as(text, format, budget)?;
            let tree = parsed.tree.clone();
            Ok((parsed, tree))
        }
    }
}

/// The one place tree-sitter parses: within the clock's budget, reusing `old` when given.
fn parse_raw(text: &str, old: Option<&Tree>, clock: &Clock) -> Result<Tree, Stopped> {
    if let Some(stopped) = clock.stop() {
        return Err(stopped);
    }
    let bytes = text.as_bytes();
    let mut stopped = None;
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
        let mut progress = |_: &ParseState| {
            stopped = clock.stop();
            match stopped {
                Some(_) => ControlFlow::Break(()),
                None => ControlFlow::Continue(()),
            }
        };
        let options = ParseOptions::new().progress_callback(&mut progress);
        parser.parse_with_options(
            &mut |at: usize, _| bytes.get(at..).unwrap_or_default(),
            old,
            Some(options),
        )
    });
    match tree {
        Some(tree) => Ok(tree),
        // `None` only when the progress callback stopped it (a language is always set).
        None => Err(stopped.unwrap_or(Stopped::Cancelled)),
    }
}

/// How many comma repairs one file may get: each costs a parse.
const MAX_COMMA_REPAIRS: usize = 4;

/// Tries a `,` in place of one whitespace byte before each bounded ERROR that follows a complete value, keeping
/// a repair when the file then has fewer errors. Replacing a byte (not inserting one) keeps every offset, so
/// the repaired tree's spans are the original text's spans.
fn repair_missing_commas(
    text: &str,
    mut tree: Tree,
    errors: &mut [SyntaxError],
    clock: &Clock,
) -> Tree {
    let mut candidate = text.as_bytes().to_vec();
    let mut error_count = errors.len();
    let mut repairs = 0;
    for error in errors
        .iter_mut()
        .filter(|e| e.missing.is_none() && !e.unbounded)
    {
        if repairs == MAX_COMMA_REPAIRS || !clock.has_half_left() {
            break;
        }
        // The comma may be missing before the error (`'x.js' env: {…}`), inside it (tree-sitter folded the value
        // before the gap into the ERROR), or right after it (an ERROR that wraps a complete app).
        let (start, end) = (error.range.start as usize, error.range.end as usize);
        let slot = comma_slot(&candidate, start)
            .or_else(|| {
                (start + 1..end.min(start + 4096))
                    .filter(|&j| candidate[j - 1].is_ascii_whitespace())
                    .find_map(|j| comma_slot(&candidate, j))
            })
            .or_else(|| {
                let next = (end..candidate.len()).find(|&i| !candidate[i].is_ascii_whitespace())?;
                comma_slot(&candidate, next)
            });
        let Some((at, reported)) = slot else {
            continue;
        };
        let saved = candidate[at];
        candidate[at] = b',';
        let Ok(repaired_text) = std::str::from_utf8(&candidate) else {
            candidate[at] = saved;
            continue;
        };
        // The repair reparses only around the changed byte: the best tree so far, told of the edit, is
        // reused. A repair cut off by the budget is one that did not help.
        let mut edited = tree.clone();
        edited.edit(&byte_replaced(&candidate, at));
        let Ok(repaired) = parse_raw(repaired_text, Some(&edited), clock) else {
            candidate[at] = saved;
            break;
        };
        let count = count_errors(&repaired);
        repairs += 1;
        if count < error_count {
            error_count = count;
            tree = repaired;
            error.comma_at = Some(reported as u32);
        } else {
            candidate[at] = saved;
        }
    }
    tree
}

/// The edit that replaces the one byte at `at` (a space or tab, never a line break) of `text`.
fn byte_replaced(text: &[u8], at: usize) -> InputEdit {
    let row = text[..at].iter().filter(|&&b| b == b'\n').count();
    let column = at
        - text[..at]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
    InputEdit {
        start_byte: at,
        old_end_byte: at + 1,
        new_end_byte: at + 1,
        start_position: Point::new(row, column),
        old_end_position: Point::new(row, column + 1),
        new_end_position: Point::new(row, column + 1),
    }
}

/// The whitespace byte to turn into a comma before an error at `start`: the run of spaces before it must follow
/// the end of a value (a quote, a digit, a closing bracket, a word) and the error must start like a key.
fn comma_slot(bytes: &[u8], start: usize) -> Option<(usize, usize)> {
    let starts_like_key = bytes.get(start).is_some_and(|b| {
        b.is_ascii_alphabetic() || matches!(b, b'_' | b'$' | b'\'' | b'"' | b'[' | b'{' | b'.')
    });
    if !starts_like_key {
        return None;
    }
    let mut i = start;
    while i > 0 && bytes[i - 1].is_ascii_whitespace() {
        i -= 1;
    }
    if i == start || i == 0 {
        return None;
    }
    let ends_value = bytes[i - 1].is_ascii_alphanumeric()
        || matches!(
            bytes[i - 1],
            b'\'' | b'"' | b'`' | b'}' | b']' | b')' | b'_' | b'$'
        );
    if !ends_value || ends_with_keyword(&bytes[..i]) {
        return None;
    }
    // Replace a space or tab if there is one, so line breaks stay where they are; report the comma right after
    // the value, where a user would type it.
    let replace = (i..start)
        .find(|&j| bytes[j] == b' ' || bytes[j] == b'\t')
        .unwrap_or(i);
    Some((replace, i))
}

/// Whether `bytes` ends with a keyword after which a value must follow (`const`, `return`, `new`, …): no
/// comma belongs there, so the repair is not tried (a half-typed `const X = ` line would otherwise cost a
/// parse on every keystroke).
fn ends_with_keyword(bytes: &[u8]) -> bool {
    let word_start = bytes
        .iter()
        .rposition(|&b| !(b.is_ascii_alphanumeric() || b == b'_' || b == b'$'))
        .map_or(0, |i| i + 1);
    // `paths.new` or `#new` names a property: a value may end there.
    if word_start > 0 && matches!(bytes[word_start - 1], b'.' | b'#') {
        return false;
    }
    // Only words reserved in every mode (`let`, `of`, `yield`, `await` can be names).
    matches!(
        &bytes[word_start..],
        b"const"
            | b"var"
            | b"return"
            | b"typeof"
            | b"new"
            | b"delete"
            | b"void"
            | b"in"
            | b"instanceof"
            | b"function"
            | b"class"
            | b"extends"
            | b"if"
            | b"else"
            | b"case"
            | b"do"
            | b"export"
            | b"import"
            | b"throw"
    )
}

fn count_errors(tree: &Tree) -> usize {
    if !tree.root_node().has_error() {
        return 0;
    }
    let mut count = 0;
    let mut cursor = tree.walk();
    loop {
        let node = cursor.node();
        if node.is_error() || node.is_missing() {
            count += 1;
        } else if node.has_error() && cursor.goto_first_child() {
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                return count;
            }
        }
    }
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
                comma_at: None,
                object_statement: false,
                message: None,
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
    let trimmed = slice.trim_start();
    let Some(quote) = trimmed.chars().next().filter(|c| *c == '\'' || *c == '"') else {
        return false;
    };
    // Terminated when the same quote closes it on its own line (a backslash escapes the next character).
    let mut escaped = false;
    for c in trimmed[1..].chars() {
        match c {
            '\n' | '\r' => return true,
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            c if c == quote => return false,
            _ => {}
        }
    }
    true
}

/// A fixed xorshift generator for the crate's randomised tests, so failures reproduce.
#[cfg(test)]
pub(crate) fn xorshift(mut state: u64) -> impl FnMut() -> usize {
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state as usize
    }
}

/// A number below its argument from [`xorshift`]: what the randomised edit tests draw.
#[cfg(test)]
pub(crate) fn random_below(seed: u64) -> impl FnMut(usize) -> usize {
    let mut random = xorshift(seed);
    move |bound| random() % bound
}

/// The offsets of `text` where a random edit may start or end (its char boundaries, both ends included).
#[cfg(test)]
pub(crate) fn char_boundaries(text: &str) -> Vec<usize> {
    (0..=text.len())
        .filter(|&i| text.is_char_boundary(i))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A parse without a budget.
    fn parse(text: &str) -> Parsed {
        super::parse(text, &Budget::unlimited()).expect("no budget")
    }

    #[test]
    fn no_comma_is_tried_after_a_keyword_that_wants_a_value() {
        // After a value, before a key: the slot is the space.
        assert_eq!(comma_slot(b"'a.js' env", 7), Some((6, 6)));
        assert_eq!(comma_slot(b"port: x env", 8), Some((7, 7)));
        // `const PORTS` (a half-typed `const X = ` above it): no comma belongs after `const`.
        assert_eq!(comma_slot(b"const PORTS", 6), None);
        assert_eq!(comma_slot(b"return x", 7), None);
        // A property named like a keyword ends a value.
        assert_eq!(comma_slot(b"paths.new env", 10), Some((9, 9)));
    }

    #[test]
    fn an_object_that_starts_a_statement_is_an_error_unless_it_is_a_labelled_statement() {
        let flagged = |text: &str| {
            parse(text)
                .errors
                .iter()
                .filter(|e| e.object_statement)
                .count()
        };
        assert_eq!(flagged("{ \"apps\": [] }\n"), 1);
        assert_eq!(flagged("{ a: 1, b: 2 }\n"), 1);
        assert_eq!(flagged("{ a: 1 }\n"), 0);
        assert_eq!(flagged("module.exports = { \"apps\": [] };\n"), 0);
        let (parsed, _) =
            parse_incremental("{ \"apps\": [] }\n", None, &Budget::unlimited()).unwrap();
        assert_eq!(parsed.errors.len(), 1);
    }

    #[test]
    fn json_is_read_as_one_expression_with_the_files_own_spans() {
        let text = "// PM2 reads this as JavaScript\n{\n  apps: [{ name: 'a', env: { PORT: 4000 + 1, }, },],\n}\n";
        let parsed = parse_as(text, Format::Json, &Budget::unlimited()).unwrap();
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let root = parsed.tree.root().unwrap();
        let number = root
            .descendants()
            .into_iter()
            .find(|n| n.kind() == "number")
            .unwrap();
        assert_eq!(&text[number.byte_range()], "4000");
        let object = root
            .descendants()
            .into_iter()
            .find(|n| n.kind() == "object")
            .unwrap();
        assert_eq!(object.start_byte(), text.find('{').unwrap());
        // A `//` comment on the last line swallows PM2's closing parenthesis.
        let broken = parse_as("{ apps: [] } // done", Format::Json, &Budget::unlimited()).unwrap();
        assert_eq!(broken.errors.len(), 1, "{:?}", broken.errors);
        assert!(broken.errors[0].range.end as usize <= "{ apps: [] } // done".len());
        assert!(broken.errors[0].message.is_some(), "{:?}", broken.errors);
    }

    #[test]
    fn yaml_nodes_have_byte_spans() {
        let text = "apps:\n  - name: 'é api'\n    env: { PORT: 4000 }\n    args: >\n      a b\n";
        let parsed = parse_as(text, Format::Yaml, &Budget::unlimited()).unwrap();
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let doc = parsed.tree.yaml().unwrap();
        let spans: Vec<&str> = doc
            .nodes
            .iter()
            .map(|n| &text[n.range.as_range()])
            .collect();
        assert!(spans.contains(&"'é api'"), "{spans:?}");
        assert!(spans.contains(&"4000"), "{spans:?}");
        assert!(spans.contains(&"{ PORT: 4000 }"), "{spans:?}");
        let root = &doc.nodes[doc.root.unwrap()];
        assert_eq!(root.range.start, 0);
        let repeated = parse_as("a: 1\na: 2\n", Format::Yaml, &Budget::unlimited()).unwrap();
        assert_eq!(repeated.errors.len(), 1);
        // js-yaml refuses a repeated key; the rest of the document is still read.
        assert!(repeated.tree.yaml().unwrap().root.is_some());
        let broken = parse_as("a: [1, 2\n", Format::Yaml, &Budget::unlimited()).unwrap();
        assert_eq!(broken.errors.len(), 1, "{:?}", broken.errors);
        // Spans are byte ranges of the text, on character boundaries, also around a repaired line.
        let cjk = "apps: \n    - script: ./app.js      # 入口文件\n        name: \"app\"         # 程序名称\n        env:\n";
        let parsed = parse_as(cjk, Format::Yaml, &Budget::unlimited()).unwrap();
        assert_eq!(parsed.errors.len(), 1, "{:?}", parsed.errors);
        let doc = parsed.tree.yaml().unwrap();
        let spans: Vec<&str> = doc.nodes.iter().map(|n| &cjk[n.range.as_range()]).collect();
        assert!(spans.contains(&"\"app\""), "{spans:?}");
        let quoted = parse_as(
            "a: 'it''s' # x\nb: \"q\\\"\" # y\n",
            Format::Yaml,
            &Budget::unlimited(),
        )
        .unwrap();
        let doc = quoted.tree.yaml().unwrap();
        let text = "a: 'it''s' # x\nb: \"q\\\"\" # y\n";
        let spans: Vec<&str> = doc
            .nodes
            .iter()
            .map(|n| &text[n.range.as_range()])
            .collect();
        assert!(
            spans.contains(&"'it''s'") && spans.contains(&"\"q\\\"\""),
            "{spans:?}"
        );
        // A key half typed is an error, and the lines around it are still read.
        let typing = "apps:\n  - name: a\n    ins\n    script: b.js\n";
        let parsed = parse_as(typing, Format::Yaml, &Budget::unlimited()).unwrap();
        assert_eq!(parsed.errors.len(), 1, "{:?}", parsed.errors);
        let doc = parsed.tree.yaml().unwrap();
        let scalars: Vec<&str> = doc
            .nodes
            .iter()
            .map(|n| &typing[n.range.as_range()])
            .collect();
        assert!(scalars.contains(&"b.js"), "{scalars:?}");
    }

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
    fn a_missing_comma_is_repaired_in_the_tree_and_named_in_the_error() {
        let text = "const a = { x: 'x' y: { z: 1 } };\n";
        let parsed = parse(text);
        assert_eq!(parsed.errors.len(), 1, "{:?}", parsed.errors);
        assert_eq!(parsed.errors[0].comma_at, Some(18));
        assert!(!parsed.tree.has_error(), "the repaired tree parses cleanly");
        assert_eq!(&text[..18], "const a = { x: 'x'");
    }

    #[test]
    fn no_repair_where_a_comma_does_not_help() {
        let parsed = parse("const a = ;\n");
        assert!(parsed.errors.iter().all(|e| e.comma_at.is_none()));
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
