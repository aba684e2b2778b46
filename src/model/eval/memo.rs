//! What one evaluation keeps for the next version of the same file: the values of the top-level arrays'
//! elements (the apps, mostly) and of the top-level bindings, with the text they were computed from, so a
//! keystroke in one app re-evaluates that app and reuses the others.
//!
//! Why this is sound: the evaluator is side-effect free, so an element's value is a function of its text,
//! where it is (its spans and nesting depth) and the bindings it reads — and those are fixed by the file's
//! text outside its array; a binding's value is fixed by the text outside the statements that only assign
//! `module.exports` (when those change no binding and nothing else names `exports`). Texts are compared, not
//! hashed: equal texts, never a hash collision, decide a reuse. What an element did besides yielding its
//! value (notes, definitions read, work spent) is recorded and replayed on reuse. An evaluation that read
//! other files, met a binding referring to itself (where the order of lazy evaluation shows) or spent much
//! of its work budget keeps nothing.

use super::EvalNote;
use super::mutation::MutationMemo;
use crate::model::value::{Loc, Traced};
use foldhash::HashMap;
use std::sync::Arc;

/// Elements shorter than this are evaluated again: looking them up costs about what evaluating them does.
pub(super) const MIN_ELEMENT_LEN: usize = 16;

/// The evaluated elements of one analysis, handed to the next analysis of the same file.
#[derive(Default)]
pub struct EvalMemo {
    elements: HashMap<MemoKey, Arc<Element>>,
    /// How many of them were reused from the previous evaluation rather than evaluated.
    reused: usize,
    /// The text they were evaluated from.
    pub(super) text: Option<Arc<str>>,
    /// Each top-level array whose elements are kept: its start and end.
    pub(super) arrays: HashMap<usize, usize>,
    /// Each such array's named children (start, end, kind), by the array's start: where the tree's shape is
    /// kept they are the same, and walking them again (tree-sitter's sibling steps climb the hidden nodes
    /// of a long list) is the evaluation's largest cost after an edit in one app.
    pub(super) element_lists: HashMap<usize, ElementList>,
    /// The statements that only assign the exports, when the bindings are kept.
    pub(super) exports: Option<Vec<std::ops::Range<usize>>>,
    /// What the mutation search kept (kept even when nothing else is: it depends on the text alone).
    pub(super) mutations: MutationMemo,
    /// How many definitions the evaluation read (to size the next one's set).
    pub(super) referenced_count: usize,
    /// How many arrays' elements were taken from the previous list instead of a walk (for tests).
    pub(super) listed: usize,
}

/// What a memo entry is for: an element of a top-level array, or a top-level binding (by name).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) enum MemoKey {
    Element(ElementKey),
    Binding(String),
}

impl EvalMemo {
    /// An empty memo with room for what `previous` held (the next version of a file keeps about as many
    /// elements: filling a table from empty rehashes it at every doubling).
    pub(super) fn sized_like(previous: &EvalMemo) -> Self {
        EvalMemo {
            elements: HashMap::with_capacity_and_hasher(
                previous.elements.len(),
                Default::default(),
            ),
            ..EvalMemo::default()
        }
    }

    /// How many elements it holds (for tests and benchmarks).
    pub fn len(&self) -> usize {
        self.elements.len()
    }

    /// How many of its entries this evaluation reused from the previous one (for tests and benchmarks).
    pub fn reused(&self) -> usize {
        self.reused
    }

    pub(super) fn count_reuse(&mut self) {
        self.reused += 1;
    }

    /// How many arrays this evaluation read from the previous one's element lists, not walking them (for
    /// tests).
    pub fn listed(&self) -> usize {
        self.listed
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.elements.is_empty()
    }

    pub(super) fn get(&self, key: &MemoKey) -> Option<&Arc<Element>> {
        self.elements.get(key)
    }

    pub(super) fn insert(&mut self, key: MemoKey, element: Arc<Element>) {
        self.elements.insert(key, element);
    }
}

/// The named children of an array, as (start, end, kind id).
pub(super) type ElementList = Arc<[(u32, u32, u16)]>;

/// Where an element is: its span, its syntax kind and its expression depth. It is looked up only where the
/// text outside its array (which has no syntax error) is unchanged, and reused only where its own text is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) struct ElementKey {
    pub(super) start: u32,
    pub(super) end: u32,
    pub(super) kind: u16,
    pub(super) depth: u32,
}

/// What evaluating one element (or binding) produced.
pub(super) struct Element {
    /// The array items it stands for (an object with a missing comma may stand for several); a binding's
    /// one value.
    pub(super) items: Vec<Traced>,
    /// The notes it raised, including those already raised before it.
    pub(super) notes: Vec<EvalNote>,
    /// The definitions it read.
    pub(super) referenced: Vec<Loc>,
    /// The work it counted.
    pub(super) work: u64,
    /// For a binding: how much deeper than where it was forced its evaluation went.
    pub(super) depth: u32,
}

impl Element {
    /// The result of evaluating an element to `items` (notes and reads are filled in when it is kept).
    pub(super) fn items(items: Vec<Traced>, work: u64) -> Self {
        Element {
            items,
            notes: Vec::new(),
            referenced: Vec::new(),
            work,
            depth: 0,
        }
    }

    /// The result of evaluating a binding to `value`, `depth` levels deeper than where it was forced.
    pub(super) fn value(value: Traced, work: u64, depth: u32) -> Self {
        Element {
            depth,
            ..Element::items(vec![value], work)
        }
    }
}

/// What an element is doing while it is evaluated for the memo.
#[derive(Default)]
pub(super) struct Recording {
    pub(super) notes: Vec<EvalNote>,
    pub(super) referenced: Vec<Loc>,
}

impl EvalMemo {
    /// Where the array at `range` of `text` ended when this memo was made, if the text outside it is the text
    /// outside the same array (same start) then: its elements read what they read then, though what follows
    /// the array sits elsewhere when its end moved.
    pub(super) fn outside_unchanged(
        &self,
        text: &str,
        range: std::ops::Range<usize>,
    ) -> Option<usize> {
        let (before, &end) = (self.text.as_ref()?, self.arrays.get(&range.start)?);
        (before.get(..range.start) == text.get(..range.start)
            && before.get(end..) == text.get(range.end..))
        .then_some(end)
    }

    /// Whether `range` of `text` holds the text it held when this memo was made.
    pub(super) fn same_text(&self, text: &str, range: std::ops::Range<usize>) -> bool {
        self.text
            .as_ref()
            .is_some_and(|before| crate::syntax::same_span(before, text, range))
    }

    /// Whether `text` outside its `exports` statements is the text outside the exports when this memo was
    /// made, part for part and at the same offsets (blanks after the last statement aside): then every
    /// top-level binding has the value it had.
    pub(super) fn prelude_unchanged(&self, text: &str, exports: &[std::ops::Range<usize>]) -> bool {
        let (Some(before), Some(old)) = (&self.text, &self.exports) else {
            return false;
        };
        if old.len() != exports.len() {
            return false;
        }
        let mut from = (0, 0);
        for (now, then) in exports.iter().zip(old) {
            if now.start - from.0 != then.start - from.1
                || from.0 != from.1
                || text.get(from.0..now.start) != before.get(from.1..then.start)
            {
                return false;
            }
            from = (now.end, then.end);
        }
        let (rest, old_rest) = (
            text.get(from.0..).unwrap_or(""),
            before.get(from.1..).unwrap_or(""),
        );
        (rest.trim().is_empty() && old_rest.trim().is_empty())
            || (from.0 == from.1 && rest == old_rest)
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{FileModel, ModelMemo};
    use std::sync::Arc;

    fn model(text: &str, previous: Option<Arc<ModelMemo>>) -> FileModel {
        crate::model::model_after(text, previous)
    }

    /// Everything the model says, for comparing an incremental model with a fresh one.
    fn said(model: &FileModel) -> String {
        format!(
            "{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
            model.processes, model.bindings, model.notes, model.exports, model.dynamic_apps
        ) + &{
            let mut referenced: Vec<_> = model.referenced.iter().collect();
            referenced.sort();
            format!("{referenced:?}")
        }
    }

    const FILE: &str = "const PORTS = { API: 5570, UI: 5571, DOCS: 5572 };\n\
        const shared = { NODE_ENV: 'production', LOG: PORTS.APU };\n\
        module.exports = {\n  apps: [\n\
        { name: 'api', script: 'api.js', env: { ...shared, PORT: PORTS.API } },\n\
        { name: 'ui', script: 'ui.js', env: { PORT: PORTS.UI, API_PORT: PORTS.API } },\n\
        { name: 'docs', script: 'docs.js', env: { PORT: PORTS.DOCS } },\n  ],\n};\n";

    #[test]
    fn an_edit_in_one_app_reuses_the_rest_and_reads_as_a_fresh_evaluation() {
        let first = model(FILE, Some(Arc::default()));
        assert!(first.memo.eval.len() >= 5, "apps and bindings are kept");
        let edited = FILE.replace("script: 'ui.js'", "script: 'UI.js'");
        let second = model(&edited, Some(first.memo.clone()));
        assert_eq!(said(&second), said(&model(&edited, None)));
        // Two apps and both bindings reused; the edited app evaluated again.
        assert_eq!(second.memo.eval.reused(), 4);
        // An edit that changes the length: the apps after it moved, so only the one before is reused.
        let longer = FILE.replace("script: 'ui.js'", "script: 'web.js'");
        let third = model(&longer, Some(second.memo.clone()));
        assert_eq!(said(&third), said(&model(&longer, None)));
        assert_eq!(third.memo.eval.reused(), 3);
    }

    /// A port's digit retyped in one app: the tree is kept, the apps array is read from the last list (no
    /// walk; debug builds check the list against one) and the model is a fresh evaluation's.
    #[test]
    fn a_kept_shape_reads_the_apps_from_the_last_list_as_a_fresh_evaluation_would() {
        use crate::syntax::{self, Budget};
        let file = "module.exports = {\n  apps: [\n\
            { name: 'api', script: 'api.js', env: { PORT: 5570 } },\n\
            // the web front\n\
            { name: 'web', script: 'web.js', env: { PORT: 5571 } },\n\
            { name: 'docs', script: 'docs.js', env: { PORT: 5572 } },\n  ],\n};\n";
        let budget = Budget::unlimited();
        let parsed = syntax::parse(file, &budget).unwrap();
        let (tree, errors) = (parsed.tree.clone(), parsed.errors.clone());
        let build = crate::model::model_after_parse;
        let first = build(file, parsed, Some(Arc::default()));
        let mut text = file.to_string();
        let mut memo = first.memo.clone();
        for digit in ["3", "9", "2"] {
            // The last digit of the last app's port.
            let last = text.rfind("PORT: 557").unwrap() + "PORT: 557".len();
            assert!(tree.keeps_shape(&text, last, last + 1, digit));
            text.replace_range(last..last + 1, digit);
            let (kept, _) = syntax::reuse_unchanged_shape(&tree, errors.clone()).unwrap();
            assert!(kept.shape_kept);
            let second = build(&text, kept, Some(memo.clone()));
            assert_eq!(said(&second), said(&model(&text, None)));
            assert_eq!(
                second.memo.eval.listed(),
                1,
                "the apps array read from the list"
            );
            assert_eq!(
                second.memo.eval.reused(),
                3,
                "the other apps and the comment reused"
            );
            memo = second.memo.clone();
        }
    }

    #[test]
    fn an_edit_to_a_binding_reuses_nothing_that_reads_it() {
        let first = model(FILE, Some(Arc::default()));
        let edited = FILE.replace("API: 5570", "API: 5580");
        let second = model(&edited, Some(first.memo.clone()));
        assert_eq!(said(&second), said(&model(&edited, None)));
        assert_eq!(second.memo.eval.reused(), 0);
    }

    #[test]
    fn an_app_reading_a_binding_below_its_array_is_not_reused_once_the_array_changes_length() {
        let file = "module.exports = { apps: [\n\
            { name: 'api', script: 'api.js', env: { PORT: port() } },\n\
            { name: 'web', script: 'web.js', env: { PORT: 5571 } },\n] };\n\
            function port() { return 5570; }\n\
            const UNUSED_PORT = 5599;\n";
        let first = model(file, Some(Arc::default()));
        // The second app grows by a byte: `port()` and everything below the array move.
        let edited = file.replace("'web.js'", "'web2.js'");
        let second = model(&edited, Some(first.memo.clone()));
        assert_eq!(said(&second), said(&model(&edited, None)));
        // A same-length edit still reuses the first app.
        let same = edited.replace("'web2.js'", "'web3.js'");
        let third = model(&same, Some(second.memo.clone()));
        assert_eq!(said(&third), said(&model(&same, None)));
        assert!(third.memo.eval.reused() >= 1);
    }

    #[test]
    fn a_binding_changed_by_a_statement_inside_the_exports_is_never_reused() {
        let file = "const PORTS = { API: 5570 };\nmodule.exports = { apps: [{ name: 'api', env: { PORT: (PORTS.API = 5590) } }] };\n";
        let first = model(file, Some(Arc::default()));
        let edited = file.replace("5590", "5591");
        let second = model(&edited, Some(first.memo.clone()));
        assert_eq!(said(&second), said(&model(&edited, None)));
    }
}
