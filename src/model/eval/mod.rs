//! The static evaluator: a small, total, side-effect-free subset of JavaScript over the syntax tree.
//!
//! It never executes the user's file. What it cannot know it calls unknown, with a reason.

mod expr;
mod function;
mod memo;
mod module;
mod mutation;
mod number;
mod scope;
mod triggers;

pub use memo::EvalMemo;
pub use module::ModuleFacts;
pub use number::{parse_int, parse_number_literal, string_to_number, to_number};

use crate::model::value::{FileId, Loc, Traced};
use crate::vfs::Vfs;
use foldhash::HashMap;
use scope::Scope;
use std::path::PathBuf;
use std::sync::Arc;

/// How many files deep `require` may go, so a chain of requires cannot run away.
pub const MAX_REQUIRE_DEPTH: u32 = 8;

/// One file the evaluation read, so locations can be turned into paths and positions.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// Its path (as given for the main file, resolved for required ones).
    pub path: PathBuf,
    /// Its text.
    pub text: Arc<str>,
    /// Its one parse, kept so every consumer reads the facts of this very tree instead of parsing again
    /// (`None` until the file is parsed).
    pub syntax: Option<Arc<crate::syntax::Parsed>>,
}

/// Something the evaluator noticed that a rule reports.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum EvalNote {
    /// A member path into a statically known object names a key it does not have (`PORTS.APU`).
    MissingMember {
        /// The member expression.
        loc: Loc,
        /// The object's source text (`PORTS`).
        object: String,
        /// The missing key.
        key: String,
        /// The keys the object does have, for "did you mean".
        known: Vec<String>,
    },
    /// A `require` of a local file that could not be followed.
    RequireFailed {
        /// The `require(…)` call.
        loc: Loc,
        /// The specifier as written.
        specifier: String,
        /// Why.
        reason: String,
    },
}

/// State shared by every module one analysis evaluates.
pub struct Session<'l> {
    /// Every file read, indexed by [`FileId`]; the main file is first.
    pub files: Vec<SourceFile>,
    /// Notes for rules, in the order found.
    pub notes: Vec<EvalNote>,
    /// Definitions that some member access read (`PORTS.API` reads the literal of `API`), so a rule can
    /// tell which table entries nothing refers to.
    pub referenced: foldhash::HashSet<Loc>,
    vfs: &'l dyn Vfs,
    workspace: Option<PathBuf>,
    /// The budget each required file is parsed within.
    budget: crate::syntax::Budget,
    modules: HashMap<PathBuf, Option<Traced>>,
    depth: u32,
    /// The previous evaluation's elements, to reuse (see [`EvalMemo`]).
    memo_in: Option<&'l EvalMemo>,
    /// This evaluation's elements, for the next one; `None` when the main file is not JavaScript.
    memo_out: Option<EvalMemo>,
    /// What each element or binding being evaluated for the memo does besides yielding its value, innermost
    /// last (a binding read inside an element is recorded for both).
    recording: Vec<memo::Recording>,
    /// Whether a `require` looked for a local file (found or not).
    read_disk: bool,
    /// Whether the main file's tree is the previous evaluation's, its shape kept (see
    /// [`crate::syntax::Parsed::shape_kept`]): a top-level array's elements are where they were then.
    shape_kept: bool,
}

impl<'l> Session<'l> {
    /// Starts a session for `main` inside `workspace` (where `require` may reach; `None` forbids it).
    pub fn new(
        main: SourceFile,
        vfs: &'l dyn Vfs,
        workspace: Option<PathBuf>,
        budget: crate::syntax::Budget,
    ) -> Self {
        // The main file is being evaluated: a helper that requires it back sees a cycle, not a second copy.
        let modules = HashMap::from_iter([(vfs.normalize(&main.path), None)]);
        Session {
            files: vec![main],
            notes: Vec::new(),
            referenced: Default::default(),
            vfs,
            workspace,
            budget,
            modules,
            depth: 0,
            memo_in: None,
            memo_out: None,
            recording: Vec::new(),
            read_disk: false,
            shape_kept: false,
        }
    }

    /// Reuses the elements of `previous` (the evaluation of an earlier version of the same file) where they
    /// cannot have changed, and keeps this evaluation's for the next: see [`EvalMemo`].
    pub fn with_memo(mut self, previous: &'l EvalMemo) -> Self {
        self.memo_in = Some(previous);
        self.memo_out = Some(EvalMemo::sized_like(previous));
        // As many definitions are read as last time, give or take an edit: no growing the set as it fills.
        self.referenced.reserve(previous.referenced_count);
        self
    }

    /// Tells the session the main file's tree is the one the memo's evaluation read, unchanged in shape.
    pub fn with_kept_shape(mut self, kept: bool) -> Self {
        self.shape_kept = kept;
        self
    }

    /// This evaluation's elements, for the next evaluation of the same file (empty when keeping them would
    /// not be sound; see [`EvalMemo`]).
    pub fn take_memo(&mut self) -> EvalMemo {
        let mut memo = self.memo_out.take().unwrap_or_default();
        memo.referenced_count = self.referenced.len();
        memo
    }

    /// The previous evaluation's result for `key`, its notes, reads and work replayed here (the caller adds
    /// the work), and kept for the next evaluation.
    fn memo_hit(
        &mut self,
        key: &memo::MemoKey,
        usable: impl Fn(&memo::Element) -> bool,
    ) -> Option<Arc<memo::Element>> {
        let hit = self.memo_in?.get(key).filter(|hit| usable(hit))?.clone();
        for note in &hit.notes {
            self.note(note.clone());
        }
        for def in &hit.referenced {
            self.reference(*def);
        }
        if let Some(out) = &mut self.memo_out {
            out.insert(key.clone(), hit.clone());
            out.count_reuse();
        }
        Some(hit)
    }

    /// Starts recording what an evaluation for the memo does: see [`Session::memo_end`].
    fn memo_start(&mut self) {
        self.recording.push(memo::Recording::default());
    }

    /// Ends the recording [`Session::memo_start`] began and keeps its result under `key`. (An evaluation
    /// that reads another file sets `read_disk` first, and then keeps no memo at all.)
    fn memo_end(&mut self, key: memo::MemoKey, mut result: memo::Element) {
        let recording = self.recording.pop().unwrap_or_default();
        if let Some(out) = &mut self.memo_out {
            result.notes = recording.notes;
            result.referenced = recording.referenced;
            out.insert(key, Arc::new(result));
        }
    }

    /// Ends the recording [`Session::memo_start`] began, keeping nothing.
    fn memo_drop(&mut self) {
        self.recording.pop();
    }

    /// Records that `def` was read through a member access or destructuring.
    fn reference(&mut self, def: Loc) {
        for recording in &mut self.recording {
            recording.referenced.push(def);
        }
        self.referenced.insert(def);
    }

    fn note(&mut self, note: EvalNote) {
        for recording in &mut self.recording {
            recording.notes.push(note.clone());
        }
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
    }
}

/// A top-level binding of the main file.
#[derive(Clone, Debug, serde::Serialize)]
pub struct TopBinding {
    /// Its name.
    pub name: String,
    /// Where the name is declared.
    pub name_loc: Loc,
    /// Its value.
    pub value: Traced,
    /// Whether the module exports it (then app code may read it, so its entries count as used).
    pub exported: bool,
}

/// What evaluating one module yields.
pub struct ModuleResult {
    /// `module.exports` (or the ESM namespace: named exports plus `default`).
    pub exports: Traced,
    /// Every top-level binding, in source order.
    pub bindings: Vec<TopBinding>,
    /// How Node would load it (JavaScript only).
    pub facts: ModuleFacts,
}

/// Evaluates the session's main file (already parsed) and returns its exports and bindings.
pub fn evaluate_main(session: &mut Session, tree: &crate::syntax::SyntaxTree) -> ModuleResult {
    let text = session.files[0].text.clone();
    let Some(root) = tree.raw_root() else {
        return ModuleResult::nothing(&text);
    };
    let previous = session.memo_in.map(|memo| &memo.mutations);
    let (mut scope, mut mutations) = Scope::searched(FileId(0), &text, root, previous);
    mutations.text = Some(text.clone());
    if let Some(out) = &mut session.memo_out {
        out.text = Some(text.clone());
        scope.enable_binding_memo(session);
    }
    let exports = scope.module_exports(session);
    let bindings = scope.all_bindings(session, &exports);
    if scope.memo_unsound() || session.read_disk {
        session.memo_out = session.memo_out.take().map(|_| EvalMemo::default());
    }
    if let Some(out) = &mut session.memo_out {
        out.mutations = mutations;
    }
    // A `.cjs` file is CommonJS whatever it holds: where it uses CommonJS's globals does not matter.
    let cjs = session.files[0]
        .path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("cjs"));
    let facts = scope.module_facts(!cjs);
    ModuleResult {
        exports,
        bindings,
        facts,
    }
}

/// Evaluates a JSON main file as PM2 does: its one expression is the configuration (with `process`
/// available, so `process.env.X || 5570` reads as in JavaScript). What follows a syntax error is still read
/// where tree-sitter recovered it.
pub fn evaluate_json_main(session: &mut Session, tree: &crate::syntax::SyntaxTree) -> ModuleResult {
    let text = session.files[0].text.clone();
    let Some(root) = tree.raw_root() else {
        return ModuleResult::nothing(&text);
    };
    let mut scope = Scope::new(FileId(0), &text, root);
    let exports = scope.json_main(session);
    ModuleResult {
        exports,
        bindings: Vec::new(),
        facts: ModuleFacts::default(),
    }
}

impl ModuleResult {
    /// The exports of a file that yields nothing: `undefined`.
    fn nothing(text: &str) -> Self {
        let loc = Loc::new(
            FileId(0),
            crate::syntax::TextRange::new(0, text.len().min(1)),
        );
        ModuleResult {
            exports: Traced::here(crate::model::value::Value::Undefined, loc),
            bindings: Vec::new(),
            facts: ModuleFacts::default(),
        }
    }
}
