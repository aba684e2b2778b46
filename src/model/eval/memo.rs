//! What one evaluation keeps for the next version of the same file: the values of the top-level arrays'
//! elements (the apps, mostly), each keyed by its own text, its place and the text around its array, so a
//! keystroke in one app re-evaluates that app and reuses the others.
//!
//! Why this is sound: the evaluator is side-effect free, so an element's value is a function of its text,
//! where it is (its spans and nesting depth) and the bindings it reads — and those are fixed by the file's
//! text outside its array. What an element did besides yielding its value (notes, definitions read, work
//! spent) is recorded and replayed on reuse. An evaluation that read other files, met a binding referring to
//! itself (where the order of lazy evaluation shows) or spent much of its work budget keeps nothing.

use super::EvalNote;
use crate::model::value::{Loc, Traced};
use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

/// Elements shorter than this are evaluated again: looking them up costs about what evaluating them does.
pub(super) const MIN_ELEMENT_LEN: usize = 16;

/// The evaluated elements of one analysis, handed to the next analysis of the same file.
#[derive(Default)]
pub struct EvalMemo {
    elements: HashMap<ElementKey, Arc<Element>>,
}

impl EvalMemo {
    /// How many elements it holds (for tests and benchmarks).
    pub fn len(&self) -> usize {
        self.elements.len()
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.elements.is_empty()
    }

    pub(super) fn get(&self, key: &ElementKey) -> Option<&Arc<Element>> {
        self.elements.get(key)
    }

    pub(super) fn insert(&mut self, key: ElementKey, element: Arc<Element>) {
        self.elements.insert(key, element);
    }
}

/// Where an element is and what it reads: its span, its text's hash, its syntax kind, its expression depth
/// and the hash of the file's text outside its array (which has no syntax error).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) struct ElementKey {
    pub(super) start: u32,
    pub(super) end: u32,
    pub(super) text: u64,
    pub(super) kind: u16,
    pub(super) depth: u32,
    pub(super) outside: u64,
}

/// What evaluating one element produced.
pub(super) struct Element {
    /// The array items it stands for (an object with a missing comma may stand for several).
    pub(super) items: Vec<Traced>,
    /// The notes it raised, including those already raised before it.
    pub(super) notes: Vec<EvalNote>,
    /// The definitions it read.
    pub(super) referenced: Vec<Loc>,
    /// The work it counted.
    pub(super) work: u64,
}

/// What an element is doing while it is evaluated for the memo.
#[derive(Default)]
pub(super) struct Recording {
    pub(super) notes: Vec<EvalNote>,
    pub(super) referenced: Vec<Loc>,
}

/// The hash of a text.
pub(super) fn hash_text(text: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    text.hash(&mut hasher);
    hasher.finish()
}

/// The hash of `text` without `range`: what the elements of the array at `range` can read.
pub(super) fn hash_outside(text: &str, range: std::ops::Range<usize>) -> u64 {
    let mut hasher = DefaultHasher::new();
    text.get(..range.start).unwrap_or("").hash(&mut hasher);
    range.start.hash(&mut hasher);
    text.get(range.end..).unwrap_or("").hash(&mut hasher);
    hasher.finish()
}
