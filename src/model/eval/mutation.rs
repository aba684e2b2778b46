//! Mutations: top-level statements that change a binding after its declaration (spec §9).
//!
//! Straight-line statements are followed: `list.push(…)`, `config.apps = …`, `name = …`, and the same under an
//! `if` (an unknown condition makes the value an alternative of the old and the new one, as a ternary does). A
//! binding changed in a way that is not followed — inside a callback or a loop, by a method the evaluator does
//! not model — is unknown from that point, with the statement as the reason: `apps.push` inside `forEach`
//! makes the apps list dynamic, never empty.

use super::Session;
use super::expr::{alternatives, truncate};
use super::scope::Scope;
use super::triggers::{self, Triggers};
use crate::model::value::{Loc, Object, Prop, Traced, Unknown, Value, truthy};
use crate::syntax::fields::FIELDS;
use crate::syntax::kinds::KINDS;
use foldhash::{HashMap, HashMapExt};
use std::sync::Arc;
use tree_sitter::Node;

/// How deep the search for mutations goes into one statement, so hostile nesting cannot overflow the stack
/// (the evaluator gives up on such expressions anyway).
const MAX_SCAN_DEPTH: u32 = 400;

/// Methods that change the array, map or set they are called on.
pub(super) const MUTATING_METHODS: &[&str] = &[
    "push",
    "unshift",
    "splice",
    "pop",
    "shift",
    "reverse",
    "sort",
    "fill",
    "copyWithin",
    "set",
    "delete",
    "add",
    "clear",
];

/// `Object.<function>(target, …)` that change their first argument.
pub(super) const MUTATING_OBJECT_FUNCTIONS: &[&str] = &[
    "assign",
    "defineProperty",
    "defineProperties",
    "setPrototypeOf",
];

/// A top-level statement that changes a binding after its declaration.
#[derive(Clone)]
pub(super) enum Mutation<'t> {
    /// `list.push(a, b)`, `config.apps.push(a)`: the callee and the call's arguments node.
    Push(Node<'t>, Node<'t>),
    /// `config.apps = value` / `PORTS.EXTRA = 5580`: the assignment's left side and value.
    Set(Node<'t>, Node<'t>),
    /// `name = value`: the new value.
    Replace(Node<'t>),
    /// A change that is not followed: the statement that makes it.
    Opaque(Node<'t>),
    /// `env[name] = …` with a key not known where it is written (spec §9): only keys of the object at `path`
    /// can change. A key of top-level constants (`env[KEY] = …`) is that key, set to a value not followed.
    /// Otherwise the keys are ones the file does not state, or run-time overrides of ones it does (`for (const
    /// name of NAMES) env[name] = process.env[name]`), read as the stated default the way `process.env.PORT
    /// || 4000` is: the object keeps what it states and is open to the rest. Keys known to exist but not
    /// which (`Object.keys(env)`), and a write into an array (`apps[i] = …`), make the value unknown.
    ComputedKey {
        /// The statement that makes it.
        statement: Node<'t>,
        /// The keys from the binding to the object written into (`["env"]` for `config.env[k]`).
        path: Vec<String>,
        /// What the key can be.
        keys: KeySource<'t>,
    },
    /// Mutations under `if (condition)`, and under its `else`.
    Conditional {
        /// The `if` statement.
        statement: Node<'t>,
        /// Its condition.
        condition: Node<'t>,
        /// What the consequence does to the binding.
        then: Vec<Mutation<'t>>,
        /// What the `else` branch does to it.
        otherwise: Vec<Mutation<'t>>,
    },
}

/// The state of the search for mutations inside one top-level statement.
struct Scan<'a, 't> {
    /// Names declared by the functions and blocks being searched, innermost last: each maps to the top-level
    /// binding it is an element of (a callback's parameter over `apps.forEach`, `for (const app of apps)`), or
    /// to `None` for a plain local that hides any top-level binding of that name.
    frames: Vec<HashMap<&'t str, Option<&'t str>>>,
    /// The mutation expressions recorded as followed, which the search does not report again.
    followed: &'a [usize],
    /// Where a mutation could be written ([`triggers`]): subtrees holding none are not searched. `None`
    /// searches everything.
    triggers: Option<&'a [u32]>,
    /// The top-level bindings changed in a way that is not followed.
    found: Vec<&'t str>,
    /// Writes through a computed key into a top-level binding's object: the binding, the path to the object
    /// and what the key can be.
    computed: Vec<(&'t str, Vec<String>, KeySource<'t>)>,
}

/// What the key of a computed write (`env[key] = …`) can be.
#[derive(Clone, Copy)]
pub(super) enum KeySource<'t> {
    /// An element of this top-level binding: listed names when it is an array of strings, else possibly any
    /// key the object has (`Object.keys(env)`).
    ElementOf(&'t str),
    /// The value of this expression of top-level bindings (`KEY`, `KEYS.port`, `` `PORT` ``): when known, the
    /// one key written.
    Value(Node<'t>),
    /// Anything else (a local, a call): a key the file does not list, or a run-time override of one it does.
    Unknown,
}

/// What the mutation search keeps for the next version of the same file (see
/// [`Scope::collect_mutations`]): it depends on the text alone, so it is kept even where the evaluator's memo
/// is not.
#[derive(Default)]
pub struct MutationMemo {
    /// The text searched.
    pub(super) text: Option<Arc<str>>,
    /// The top-level names searched for, sorted.
    names: Vec<Box<str>>,
    /// The trigger pass's result over that text.
    triggers: Option<Triggers>,
    /// Whether the search used [`MutationMemo::triggers`] (else it walked everything).
    used_triggers: bool,
    /// The top-level statements that changed no binding: start, end and syntax kind, in order.
    quiet: Vec<(u32, u32, u16)>,
}

impl MutationMemo {
    /// The triggers the search used (`None`: it walked everything).
    fn used(&self) -> Option<&[u32]> {
        self.triggers
            .as_ref()
            .filter(|_| self.used_triggers)
            .map(|t| t.found.as_slice())
    }

    /// Whether the statement at `place` of `text` changed no binding in the version searched: same place and
    /// kind, same text, and the same triggers in it as the search now uses (`found`).
    fn was_quiet(&self, place: (u32, u32, u16), text: &str, found: Option<&[u32]>) -> bool {
        let Some(before) = &self.text else {
            return false;
        };
        let Ok(k) = self.quiet.binary_search_by_key(&place.0, |q| q.0) else {
            return false;
        };
        self.quiet[k] == place
            && crate::syntax::same_span(before, text, place.0 as usize..place.1 as usize)
            && self.used().map(|t| within(t, place)) == found.map(|t| within(t, place))
    }
}

/// The triggers of `all` (sorted) that lie in the statement at `place`.
fn within(all: &[u32], place: (u32, u32, u16)) -> &[u32] {
    let from = all.partition_point(|&t| t < place.0);
    let to = all.partition_point(|&t| t < place.1);
    &all[from..to]
}

impl<'t> Scan<'_, 't> {
    /// What a name is where the search is, innermost declaration first: `Some(Some(binding))` a local
    /// that refers into a top-level binding, `Some(None)` a plain local, `None` no local (the top-level
    /// binding, if there is one).
    fn local(&self, name: &str) -> Option<Option<&'t str>> {
        self.frames
            .iter()
            .rev()
            .find_map(|frame| frame.get(name).copied())
    }
}

impl<'t> Scope<'t> {
    /// Finds every top-level statement's mutations of top-level bindings. With `previous` (what the search
    /// kept for the previous version of the same file) the trigger pass runs over the changed lines only,
    /// and a statement that changed no binding then is not searched again where its text, its place, the
    /// triggers in it and the top-level names are the same (the search reads nothing else). Returns what
    /// to keep for the next version.
    pub(super) fn collect_mutations(&mut self, previous: Option<&MutationMemo>) -> MutationMemo {
        let statements = self.statements.clone();
        let triggers = match previous {
            Some(MutationMemo {
                text: Some(before),
                triggers: Some(old),
                ..
            }) => old.after_edit(before, self.text),
            _ => Triggers::of(self.text),
        };
        let mut names: Vec<&str> = self.slots.keys().copied().collect();
        names.sort_unstable();
        let previous = previous.filter(|p| {
            p.text.is_some() && p.names.iter().map(Box::as_ref).eq(names.iter().copied())
        });
        let found = triggers.as_ref().map(|t| t.found.as_slice());
        #[cfg(test)]
        let found = found.filter(|_| !tests::WALK_EVERYTHING.with(std::cell::Cell::get));
        let mut quiet = Vec::new();
        for statement in statements {
            let place = (
                statement.start_byte() as u32,
                statement.end_byte() as u32,
                statement.kind_id(),
            );
            // A statement with a syntax error is searched every time (its recovery depends on its
            // neighbours, as a repaired comma's does: one repaired then may be broken now, and the reverse).
            let clean = !statement.has_error();
            if clean && previous.is_some_and(|p| p.was_quiet(place, self.text, found)) {
                quiet.push(place);
                continue;
            }
            let records = self.records;
            self.collect_statement(statement, found);
            if self.records > records {
                self.mutating.push(statement.byte_range());
            } else if clean {
                quiet.push(place);
            }
        }
        // The caller keeps the text (it holds it shared).
        MutationMemo {
            text: None,
            names: names.into_iter().map(Box::from).collect(),
            used_triggers: found.is_some(),
            triggers,
            quiet,
        }
    }

    /// The mutations one top-level statement makes.
    fn collect_statement(&mut self, statement: Node<'t>, triggers: Option<&[u32]>) {
        let mut followed: Vec<usize> = Vec::new();
        match statement.kind() {
            "expression_statement" => {
                if let Some((name, mutation, expr)) = self.simple_mutation(statement) {
                    followed.push(expr.id());
                    self.record(name, mutation);
                }
            }
            "if_statement" => match self.conditional(statement, &mut followed) {
                Some(per_name) => {
                    for (name, mutation) in per_name {
                        self.record(name, mutation);
                    }
                }
                None => followed.clear(),
            },
            _ => {}
        }
        let mut scan = Scan {
            frames: Vec::new(),
            followed: &followed,
            triggers,
            found: Vec::new(),
            computed: Vec::new(),
        };
        self.scan(statement, &mut scan);
        let mut found = scan.found;
        let mut seen = std::collections::HashSet::new();
        found.retain(|name| seen.insert(*name));
        // A binding changed in a way that is not followed is unknown whatever else the statement does.
        for (name, path, keys) in scan.computed {
            if !found.contains(&name) {
                self.record(
                    name,
                    Mutation::ComputedKey {
                        statement,
                        path,
                        keys,
                    },
                );
            }
        }
        for name in found {
            self.record(name, Mutation::Opaque(statement));
        }
    }

    fn record(&mut self, name: &'t str, mutation: Mutation<'t>) {
        self.mutations.entry(name).or_default().push(mutation);
        self.records += 1;
    }

    /// `name.push(…)`, `name.a.b.push(…)`, `name.a.b = …` or `name = …` as a statement, for a top-level binding
    /// `name`: the name, the mutation and the mutating expression.
    fn simple_mutation(&self, statement: Node<'t>) -> Option<(&'t str, Mutation<'t>, Node<'t>)> {
        let expr = statement.named_child(0)?;
        let (root, mutation) = match expr.kind() {
            "call_expression" => {
                let function = expr.child_by_field_id(FIELDS.function)?;
                let arguments = expr.child_by_field_id(FIELDS.arguments)?;
                let chain = self.member_chain(function);
                if chain.len() < 2 || chain.last().map(String::as_str) != Some("push") {
                    return None;
                }
                (
                    root_identifier(function)?,
                    Mutation::Push(function, arguments),
                )
            }
            "assignment_expression" => {
                let left = expr.child_by_field_id(FIELDS.left)?;
                let right = expr.child_by_field_id(FIELDS.right)?;
                if left.kind() == "identifier" {
                    (left, Mutation::Replace(right))
                } else {
                    if self.member_chain(left).len() < 2 {
                        return None;
                    }
                    (root_identifier(left)?, Mutation::Set(left, right))
                }
            }
            _ => return None,
        };
        let name = self.src(root);
        (self.slots.contains_key(name) && !matches!(name, "module" | "exports"))
            .then_some((name, mutation, expr))
    }

    /// An `if` whose branches are followed mutations (or other statements that change no binding), per name.
    /// `None` when a branch declares names of its own: its assignments may read them.
    fn conditional(
        &self,
        statement: Node<'t>,
        followed: &mut Vec<usize>,
    ) -> Option<Vec<(&'t str, Mutation<'t>)>> {
        let condition = statement.child_by_field_id(FIELDS.condition)?;
        let consequence = statement.child_by_field_id(FIELDS.consequence)?;
        let then = self.branch(consequence, followed)?;
        let otherwise = match statement.child_by_field_id(FIELDS.alternative) {
            Some(clause) => {
                let mut cursor = clause.walk();
                let inner = clause
                    .named_children(&mut cursor)
                    .find(|n| n.kind() != "comment")?;
                self.branch(inner, followed)?
            }
            None => Vec::new(),
        };
        let mut names: Vec<&'t str> = Vec::new();
        for (name, _) in then.iter().chain(&otherwise) {
            if !names.contains(name) {
                names.push(name);
            }
        }
        let of = |list: &[(&'t str, Mutation<'t>)], name: &str| -> Vec<Mutation<'t>> {
            list.iter()
                .filter(|(n, _)| *n == name)
                .map(|(_, m)| m.clone())
                .collect()
        };
        Some(
            names
                .into_iter()
                .map(|name| {
                    let mutation = Mutation::Conditional {
                        statement,
                        condition,
                        then: of(&then, name),
                        otherwise: of(&otherwise, name),
                    };
                    (name, mutation)
                })
                .collect(),
        )
    }

    /// The followed mutations of one branch of an `if`, in order.
    fn branch(
        &self,
        node: Node<'t>,
        followed: &mut Vec<usize>,
    ) -> Option<Vec<(&'t str, Mutation<'t>)>> {
        match node.kind() {
            "expression_statement" => Some(match self.simple_mutation(node) {
                Some((name, mutation, expr)) => {
                    followed.push(expr.id());
                    vec![(name, mutation)]
                }
                None => Vec::new(),
            }),
            "statement_block" => {
                let mut out = Vec::new();
                let mut cursor = node.walk();
                let children: Vec<Node<'t>> = node.named_children(&mut cursor).collect();
                for child in children {
                    if matches!(
                        child.kind(),
                        "lexical_declaration"
                            | "variable_declaration"
                            | "function_declaration"
                            | "class_declaration"
                    ) {
                        return None;
                    }
                    out.extend(self.branch(child, followed)?);
                }
                Some(out)
            }
            "if_statement" => self.conditional(node, followed),
            // Anything else (a loop, `try`, …) is searched like any statement: what it changes is not followed.
            _ => Some(Vec::new()),
        }
    }

    /// Searches `statement` for mutations of top-level bindings that are not followed: one cursor over every
    /// node below it (a cursor per node, and `Node::kind` per node, were most of the search's cost).
    fn scan(&self, statement: Node<'t>, scan: &mut Scan<'_, 't>) {
        let mut cursor = statement.walk();
        // For each node from `statement` down to the cursor's: whether it opened a frame.
        let mut path: Vec<bool> = Vec::new();
        loop {
            let node = cursor.node();
            let mut entered = false;
            let searched = scan
                .triggers
                .is_none_or(|triggers| triggers::any_in(triggers, node.byte_range()));
            // Anonymous nodes are tokens: nothing to search.
            if searched && node.is_named() {
                entered = self.enter(node, scan);
                if !scan.followed.contains(&node.id()) {
                    self.mutated_here(node, scan);
                }
            }
            path.push(entered);
            if searched && path.len() <= MAX_SCAN_DEPTH as usize && cursor.goto_first_child() {
                continue;
            }
            loop {
                if path.pop() == Some(true) {
                    scan.frames.pop();
                }
                if path.is_empty() {
                    return;
                }
                if cursor.goto_next_sibling() {
                    break;
                }
                cursor.goto_parent();
            }
        }
    }

    /// Opens the scope of a function (its parameters), a block (its declarations), a `for` loop or a `catch`.
    fn enter(&self, node: Node<'t>, scan: &mut Scan<'_, 't>) -> bool {
        let mut frame: HashMap<&'t str, Option<&'t str>> = HashMap::new();
        let mut names = Vec::new();
        let k = &*KINDS;
        let kind = node.kind_id();
        let function_like = [
            k.arrow_function,
            k.function_expression,
            k.function,
            k.function_declaration,
            k.generator_function,
            k.generator_function_declaration,
            k.method_definition,
        ]
        .contains(&kind);
        if !function_like
            && ![
                k.statement_block,
                k.for_in_statement,
                k.for_statement,
                k.catch_clause,
            ]
            .contains(&kind)
        {
            return false;
        }
        match node.kind() {
            "arrow_function"
            | "function_expression"
            | "function"
            | "function_declaration"
            | "generator_function"
            | "generator_function_declaration"
            | "method_definition" => {
                // A callback of `list.forEach(…)`, `list.map(…)`, …: its parameters are the list's elements.
                let alias = node
                    .parent()
                    .filter(|p| p.kind() == "arguments")
                    .and_then(|p| p.parent())
                    .and_then(|call| call.child_by_field_id(FIELDS.function))
                    .filter(|f| f.kind() == "member_expression")
                    .and_then(|f| f.child_by_field_id(FIELDS.object))
                    .and_then(|object| self.element_of(object, scan));
                if let Some(single) = node.child_by_field_id(FIELDS.parameter) {
                    pattern_names(single, &mut names);
                } else if let Some(list) = node.child_by_field_id(FIELDS.parameters) {
                    pattern_names(list, &mut names);
                }
                for name in names {
                    frame.insert(self.src(name), alias);
                }
            }
            "statement_block" => {
                let mut cursor = node.walk();
                for child in node.named_children(&mut cursor) {
                    match child.kind() {
                        "lexical_declaration" | "variable_declaration" => {
                            let mut inner = child.walk();
                            for declarator in child.named_children(&mut inner) {
                                let Some(target) = declarator.child_by_field_id(FIELDS.name) else {
                                    continue;
                                };
                                // `const app = apps[0]` refers to an element of `apps`.
                                let alias = declarator
                                    .child_by_field_id(FIELDS.value)
                                    .and_then(|value| self.element_of(value, scan));
                                let mut declared = Vec::new();
                                pattern_names(target, &mut declared);
                                for name in declared {
                                    frame.insert(self.src(name), alias);
                                }
                            }
                        }
                        "function_declaration"
                        | "class_declaration"
                        | "generator_function_declaration" => {
                            if let Some(name) = child.child_by_field_id(FIELDS.name) {
                                frame.insert(self.src(name), None);
                            }
                        }
                        _ => {}
                    }
                }
            }
            "for_in_statement" => {
                // `for (const app of apps)`: `app` is an element of `apps`. Without a declaration the loop
                // assigns to an existing name, which the search reports like any assignment.
                let declares = node.child_by_field_id(FIELDS.kind).is_some();
                let (Some(left), true) = (node.child_by_field_id(FIELDS.left), declares) else {
                    return false;
                };
                let alias = node
                    .child_by_field_id(FIELDS.right)
                    .and_then(|right| self.element_of(right, scan));
                pattern_names(left, &mut names);
                for name in names {
                    frame.insert(self.src(name), alias);
                }
            }
            "for_statement" => {
                let Some(init) = node.child_by_field_id(FIELDS.initializer) else {
                    return false;
                };
                if !matches!(init.kind(), "lexical_declaration" | "variable_declaration") {
                    return false;
                }
                let mut cursor = init.walk();
                for declarator in init.named_children(&mut cursor) {
                    if let Some(target) = declarator.child_by_field_id(FIELDS.name) {
                        pattern_names(target, &mut names);
                    }
                }
                for name in names {
                    frame.insert(self.src(name), None);
                }
            }
            "catch_clause" => {
                let Some(parameter) = node.child_by_field_id(FIELDS.parameter) else {
                    return false;
                };
                pattern_names(parameter, &mut names);
                for name in names {
                    frame.insert(self.src(name), None);
                }
            }
            _ => return false,
        }
        scan.frames.push(frame);
        true
    }

    /// Reports the top-level bindings `node` itself changes.
    fn mutated_here(&self, node: Node<'t>, scan: &mut Scan<'_, 't>) {
        let k = &*KINDS;
        if ![
            k.call_expression,
            k.assignment_expression,
            k.augmented_assignment_expression,
            k.update_expression,
            k.unary_expression,
        ]
        .contains(&node.kind_id())
        {
            return;
        }
        match node.kind() {
            "call_expression" => {
                let Some(function) = node.child_by_field_id(FIELDS.function) else {
                    return;
                };
                if function.kind() != "member_expression" {
                    return;
                }
                let (Some(object), Some(property)) = (
                    function.child_by_field_id(FIELDS.object),
                    function.child_by_field_id(FIELDS.property),
                ) else {
                    return;
                };
                let method = self.src(property);
                if MUTATING_METHODS.contains(&method) {
                    self.report(object, true, scan);
                } else if object.kind() == "identifier"
                    && self.src(object) == "Object"
                    && self.resolve("Object", scan).is_none()
                    && MUTATING_OBJECT_FUNCTIONS.contains(&method)
                    && let Some(target) = node
                        .child_by_field_id(FIELDS.arguments)
                        .and_then(|a| a.named_child(0))
                {
                    self.report(target, true, scan);
                }
            }
            "assignment_expression" | "augmented_assignment_expression" => {
                let Some(left) = node.child_by_field_id(FIELDS.left) else {
                    return;
                };
                if node.kind() == "assignment_expression" && self.computed_key_write(left, scan) {
                    return;
                }
                match left.kind() {
                    "object_pattern" | "array_pattern" => {
                        let mut names = Vec::new();
                        pattern_names(left, &mut names);
                        for name in names {
                            self.report(name, false, scan);
                        }
                    }
                    _ => self.report(left, false, scan),
                }
            }
            "update_expression" => {
                if let Some(argument) = node.child_by_field_id(FIELDS.argument) {
                    self.report(argument, false, scan);
                }
            }
            "unary_expression" => {
                if node
                    .child_by_field_id(FIELDS.operator)
                    .is_some_and(|op| self.src(op) == "delete")
                    && let Some(argument) = node.child_by_field_id(FIELDS.argument)
                {
                    self.report(argument, false, scan);
                }
            }
            _ => {}
        }
    }

    /// Records `binding.a[key] = …` whose key is not a string literal, where `binding` is a top-level binding
    /// itself (not a local's alias of one): a write of one key of a known object, not an unknown change.
    fn computed_key_write(&self, left: Node<'t>, scan: &mut Scan<'_, 't>) -> bool {
        if left.kind() != "subscript_expression" || !self.member_chain(left).is_empty() {
            return false;
        }
        let (Some(object), Some(index)) = (
            left.child_by_field_id(FIELDS.object),
            left.child_by_field_id(FIELDS.index),
        ) else {
            return false;
        };
        let mut path = self.member_chain(object);
        if path.is_empty() {
            return false;
        }
        let name = path.remove(0);
        let shadowed = scan.local(&name).is_some();
        let Some((&binding, _)) = self.slots.get_key_value(name.as_str()) else {
            return false;
        };
        if shadowed || matches!(binding, "module" | "exports") {
            return false;
        }
        // Whether the index reads only top-level bindings (`KEY`, `KEYS.port`, a literal), so it can be
        // evaluated where the mutations are applied; a loop's or callback's local cannot.
        let top_level_only = |node: Node<'t>| match root_identifier(node) {
            Some(root) => scan.local(self.src(root)).is_none(),
            // A number, or a template without substitutions (`` `PORT` ``).
            None => {
                let mut cursor = node.walk();
                node.kind() == "number"
                    || node.kind() == "template_string"
                        && !node
                            .named_children(&mut cursor)
                            .any(|part| part.kind() == "template_substitution")
            }
        };
        let keys = match index.kind() {
            "identifier" => {
                match scan.local(self.src(index)) {
                    // `for (const name of NAMES) env[name] = …`
                    Some(Some(from)) => KeySource::ElementOf(from),
                    Some(None) => KeySource::Unknown,
                    // `env[KEY] = …` with a top-level `KEY`.
                    None => KeySource::Value(index),
                }
            }
            "member_expression" | "template_string" | "number" if top_level_only(index) => {
                KeySource::Value(index)
            }
            _ => KeySource::Unknown,
        };
        scan.computed.push((binding, path, keys));
        true
    }

    /// Reports the top-level binding that a change of `target` changes: its own binding when `target` is the
    /// binding (`name = …`), the binding a local refers into when the change goes through a member
    /// (`app.env.PORT = …` over `apps.forEach(app => …)`), nothing for a plain local. `inside` says the change is
    /// to the target's contents (`target.push(…)`), not to the name.
    fn report(&self, target: Node<'t>, inside: bool, scan: &mut Scan<'_, 't>) {
        let Some(root) = root_identifier(target) else {
            return;
        };
        let through_member = inside || root.id() != target.id();
        let name = self.src(root);
        let changed = match scan.local(name) {
            Some(alias) => alias.filter(|_| through_member),
            None => (self.slots.contains_key(name) && !matches!(name, "module" | "exports"))
                .then_some(name),
        };
        if let Some(name) = changed {
            scan.found.push(name);
        }
    }

    /// The top-level binding whose elements `expr` yields (`apps`, `apps.filter(…)`, `Object.values(PORTS)`,
    /// `apps[0]`), when it is one.
    fn element_of(&self, expr: Node<'t>, scan: &Scan<'_, 't>) -> Option<&'t str> {
        let mut current = expr;
        loop {
            match current.kind() {
                "member_expression" | "subscript_expression" => {
                    current = current.child_by_field_id(FIELDS.object)?;
                }
                "parenthesized_expression" => current = current.named_child(0)?,
                "call_expression" => {
                    let function = current.child_by_field_id(FIELDS.function)?;
                    if function.kind() != "member_expression" {
                        return None;
                    }
                    let object = function.child_by_field_id(FIELDS.object)?;
                    if object.kind() == "identifier" && self.src(object) == "Object" {
                        current = current
                            .child_by_field_id(FIELDS.arguments)?
                            .named_child(0)?;
                    } else {
                        current = object;
                    }
                }
                "identifier" => return self.resolve(self.src(current), scan),
                _ => return None,
            }
        }
    }

    /// The top-level binding a name refers to where the search is: a local's alias, or the binding itself.
    fn resolve(&self, name: &'t str, scan: &Scan<'_, 't>) -> Option<&'t str> {
        match scan.local(name) {
            Some(alias) => alias,
            None => self.slots.contains_key(name).then_some(name),
        }
    }

    /// Makes `value` unknown: `name` is changed by `statement` in a way that is not followed.
    fn changed_unknowably(&self, name: &str, statement: Node<'t>, value: &mut Traced) {
        let why = format!("`{name}`, changed by `{}`,", self.snippet(statement));
        value.value = Value::Unknown(Unknown::Unsupported(why));
    }

    /// Applies the recorded mutations of `name` to its value.
    pub(super) fn apply_mutations(
        &mut self,
        session: &mut Session,
        name: &str,
        value: &mut Traced,
    ) {
        let Some(mutations) = self.mutations.get(name).cloned() else {
            return;
        };
        self.apply_all(session, name, &mutations, value);
    }

    fn apply_all(
        &mut self,
        session: &mut Session,
        name: &str,
        mutations: &[Mutation<'t>],
        value: &mut Traced,
    ) {
        for mutation in mutations {
            self.apply(session, name, mutation, value);
        }
    }

    fn apply(
        &mut self,
        session: &mut Session,
        name: &str,
        mutation: &Mutation<'t>,
        value: &mut Traced,
    ) {
        match mutation {
            Mutation::Push(function, arguments) => {
                let mut keys = self.member_chain(*function);
                keys.remove(0);
                keys.pop();
                let new_items = self.push_arguments(session, *arguments);
                if let Some(Traced {
                    value: Value::Array(items),
                    ..
                }) = path_mut(value, &keys)
                {
                    items.extend(new_items);
                }
            }
            Mutation::Set(left, right) => {
                let mut keys = self.member_chain(*left);
                keys.remove(0);
                let new_value = self.eval(session, *right);
                let key_loc = self.loc(*left);
                set_path(value, &keys, new_value, key_loc);
            }
            Mutation::Replace(right) => {
                *value = self.eval(session, *right);
            }
            Mutation::Opaque(statement) => self.changed_unknowably(name, *statement, value),
            Mutation::ComputedKey {
                statement,
                path,
                keys,
            } => {
                /// What a computed write can change in the object it writes into.
                enum Written {
                    /// Any key it states (`for (const k of Object.keys(env))`).
                    AnyKey,
                    /// This key (`env[KEY] = …`).
                    Key(String),
                    /// Keys it does not state, or run-time overrides of ones it does.
                    Others,
                }
                let loc = self.loc(*statement);
                // Into an array (`apps[i] = …`), or through something that is not a known object: not
                // followed, so unknown.
                let into_object = matches!(
                    path_mut(value, path),
                    Some(Traced {
                        value: Value::Object(_),
                        ..
                    })
                );
                let written = match *keys {
                    KeySource::ElementOf(from) => {
                        let list = self.lookup(session, from, loc);
                        let names = matches!(&list.value, Value::Array(items)
                            if items.iter().all(|item| matches!(item.value, Value::String(_))));
                        if names {
                            Written::Others
                        } else {
                            Written::AnyKey
                        }
                    }
                    KeySource::Value(index) => match self.eval(session, index).value {
                        Value::String(key) => Written::Key(key.text),
                        Value::Number(n) => Written::Key(crate::model::value::number_to_string(n)),
                        _ => Written::Others,
                    },
                    KeySource::Unknown => Written::Others,
                };
                match written {
                    Written::AnyKey => self.changed_unknowably(name, *statement, value),
                    _ if !into_object => self.changed_unknowably(name, *statement, value),
                    // That key is written, with a value not followed.
                    Written::Key(key) => {
                        let mut full = path.clone();
                        full.push(key);
                        let why = format!("set by `{}`", self.snippet(*statement));
                        let unknown = Traced::here(Value::Unknown(Unknown::Unsupported(why)), loc);
                        set_path(value, &full, unknown, loc);
                    }
                    // The object keeps what it states (a run-time override is read as the stated
                    // default) and is open to the rest.
                    Written::Others => {
                        if let Some(Traced {
                            value: Value::Object(object),
                            ..
                        }) = path_mut(value, path)
                        {
                            object.open = true;
                        }
                    }
                }
            }
            Mutation::Conditional {
                statement,
                condition,
                then,
                otherwise,
            } => {
                let condition = self.eval(session, *condition);
                match truthy(&condition.value) {
                    Some(true) => self.apply_all(session, name, then, value),
                    Some(false) => self.apply_all(session, name, otherwise, value),
                    None if self.over_budget() => {
                        let why = format!(
                            "`{name}`, after too many changes under `if`s (`{}`),",
                            self.snippet(*statement)
                        );
                        value.value = Value::Unknown(Unknown::Unsupported(why));
                    }
                    None => {
                        // Both branches copy the value: count it, so many `if`s over a large value stay linear.
                        self.work += 2 * size(value);
                        let mut yes = value.clone();
                        self.apply_all(session, name, then, &mut yes);
                        let mut no = value.clone();
                        self.apply_all(session, name, otherwise, &mut no);
                        *value = merge(no, yes, self.loc(*statement));
                    }
                }
            }
        }
    }

    /// The values `list.push(…)` appends, spreads expanded.
    fn push_arguments(&mut self, session: &mut Session, arguments: Node<'t>) -> Vec<Traced> {
        let mut cursor = arguments.walk();
        let args: Vec<Node<'t>> = arguments
            .named_children(&mut cursor)
            .filter(|n| n.kind() != "comment")
            .collect();
        let mut items = Vec::new();
        for arg in args {
            if arg.kind() == "spread_element" {
                let Some(inner) = arg.named_child(0) else {
                    continue;
                };
                match self.eval(session, inner) {
                    Traced {
                        value: Value::Array(more),
                        ..
                    } => items.extend(more),
                    other => items.push(other.used_at(self.loc(arg))),
                }
            } else {
                items.push(self.eval(session, arg));
            }
        }
        items
    }

    /// A short form of a statement for a message: `dirs.forEach(…)`, `for (const d of dirs) …`.
    fn snippet(&self, statement: Node<'t>) -> String {
        let node = match statement.kind() {
            "expression_statement" => statement.named_child(0).unwrap_or(statement),
            _ => statement,
        };
        if node.kind() == "call_expression"
            && let Some(function) = node.child_by_field_id(FIELDS.function)
        {
            return format!("{}(…)", truncate(self.src(function), 40));
        }
        let text = self.src(node);
        let head = match node.child_by_field_id(FIELDS.body) {
            Some(body) if body.start_byte() > node.start_byte() => {
                let end = body.start_byte() - node.start_byte();
                format!("{} …", text.get(..end).unwrap_or(text).trim_end())
            }
            _ => text.lines().next().unwrap_or("").to_string(),
        };
        let head = head.split_whitespace().collect::<Vec<_>>().join(" ");
        truncate(&head, 40)
    }
}

/// The identifier a member chain starts from (`apps` in `apps[0].env.PORT`).
fn root_identifier(node: Node) -> Option<Node> {
    let mut current = node;
    loop {
        match current.kind() {
            "identifier" => return Some(current),
            "member_expression" | "subscript_expression" => {
                current = current.child_by_field_id(FIELDS.object)?;
            }
            "parenthesized_expression" => current = current.named_child(0)?,
            _ => return None,
        }
    }
}

/// The identifiers a parameter or declaration pattern binds.
fn pattern_names<'t>(pattern: Node<'t>, out: &mut Vec<Node<'t>>) {
    match pattern.kind() {
        "identifier" | "shorthand_property_identifier_pattern" => out.push(pattern),
        "assignment_pattern" | "object_assignment_pattern" => {
            if let Some(left) = pattern.child_by_field_id(FIELDS.left) {
                pattern_names(left, out);
            }
        }
        "pair_pattern" => {
            if let Some(value) = pattern.child_by_field_id(FIELDS.value) {
                pattern_names(value, out);
            }
        }
        "formal_parameters" | "object_pattern" | "array_pattern" | "rest_pattern" => {
            let mut cursor = pattern.walk();
            for part in pattern.named_children(&mut cursor) {
                pattern_names(part, out);
            }
        }
        _ => {}
    }
}

/// The value at `keys` inside `target`'s objects.
fn path_mut<'v>(target: &'v mut Traced, keys: &[String]) -> Option<&'v mut Traced> {
    let mut current = target;
    for key in keys {
        let Value::Object(object) = &mut current.value else {
            return None;
        };
        current = &mut object.get_mut(key)?.value;
    }
    Some(current)
}

/// Sets `keys` inside `target`'s objects (`config.apps = …` sets `apps`); a path through something that is not a
/// known object is left alone.
fn set_path(target: &mut Traced, keys: &[String], value: Traced, key_loc: Loc) {
    let Some((last, init)) = keys.split_last() else {
        return;
    };
    if let Some(Traced {
        value: Value::Object(object),
        ..
    }) = path_mut(target, init)
    {
        object.set(Prop {
            key: last.clone(),
            key_loc: Some(key_loc),
            value,
        });
    }
}

/// The value after an `if` with an unknown condition: `old` where the branch did not run, `new` where it did,
/// merged where they differ — key by key in objects, item by item in arrays — into alternatives, so
/// `env.PORT = 5590` under a condition makes only `env.PORT` an alternative. A key or item only one side has
/// is an alternative with `undefined`.
fn merge(old: Traced, new: Traced, loc: Loc) -> Traced {
    if old == new {
        return old;
    }
    let Traced {
        value: old_value,
        def,
        use_,
    } = old;
    match (old_value, new.value) {
        (Value::Object(a), Value::Object(b)) => {
            let mut object = Object::new(a.open || b.open);
            // `b`'s properties by key, each taken once: a merge costs what the two objects hold.
            let mut others: Vec<Option<Prop>> = b.into_props().into_iter().map(Some).collect();
            let at: HashMap<String, usize> = others
                .iter()
                .enumerate()
                .filter_map(|(i, p)| Some((p.as_ref()?.key.clone(), i)))
                .collect();
            for prop in a.into_props() {
                let other = at
                    .get(&prop.key)
                    .and_then(|&i| others[i].take())
                    .map(|p| p.value)
                    .unwrap_or_else(|| Traced::here(Value::Undefined, loc));
                object.set(Prop {
                    key: prop.key,
                    key_loc: prop.key_loc,
                    value: merge(prop.value, other, loc),
                });
            }
            for prop in others.into_iter().flatten() {
                let value = merge(Traced::here(Value::Undefined, loc), prop.value, loc);
                object.set(Prop { value, ..prop });
            }
            Traced {
                value: Value::Object(object),
                def,
                use_,
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            let len = a.len().max(b.len());
            let mut a = a.into_iter();
            let mut b = b.into_iter();
            let undefined = || Traced::here(Value::Undefined, loc);
            let items = (0..len)
                .map(|_| {
                    merge(
                        a.next().unwrap_or_else(undefined),
                        b.next().unwrap_or_else(undefined),
                        loc,
                    )
                })
                .collect();
            Traced {
                value: Value::Array(items),
                def,
                use_,
            }
        }
        (old_value, new_value) => {
            let absent = matches!(old_value, Value::Undefined);
            let old = Traced {
                value: old_value,
                def,
                use_,
            };
            let new = Traced {
                value: new_value,
                def: new.def,
                use_: new.use_,
            };
            // Reported where the old value was used (inside the app), unless there was none.
            let at = if absent { new.use_ } else { use_ };
            let mut merged = alternatives(vec![old, new], loc);
            if let Value::Alternatives(items) = &mut merged.value {
                // In source order, whichever branch came first in the merging.
                items.sort_by_key(|item| (item.def.file, item.def.range.start));
            }
            merged.use_ = at;
            merged
        }
    }
}

/// How many values `value` holds, itself included.
fn size(value: &Traced) -> u64 {
    1 + match &value.value {
        Value::Object(object) => object.props().iter().map(|p| size(&p.value)).sum(),
        Value::Array(items) | Value::Alternatives(items) => items.iter().map(size).sum(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use crate::model::Value;
    use crate::model::model_of as model;

    thread_local! {
        /// Set by the test below: the search walks every node, as it did before the trigger prefilter.
        pub(super) static WALK_EVERYTHING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }

    /// The fixtures' ecosystem files, for the property test below.
    fn fixture_texts() -> Vec<String> {
        fn walk(dir: &std::path::Path, out: &mut Vec<String>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            let mut paths: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
            paths.sort();
            for path in paths {
                if path.is_dir() {
                    walk(&path, out);
                } else if path
                    .extension()
                    .is_some_and(|e| e == "cjs" || e == "js" || e == "mjs")
                    && let Ok(text) = std::fs::read_to_string(&path)
                {
                    out.push(text);
                }
            }
        }
        let mut out = Vec::new();
        walk(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures"),
            &mut out,
        );
        out
    }

    /// What the model says of a text's apps, for comparing two evaluations.
    fn reading(text: &str) -> String {
        let model = model(text);
        format!("{:?} {:?}", model.processes, model.dynamic_apps)
    }

    #[test]
    fn the_trigger_prefilter_never_changes_a_reading() {
        // Every fixture, and variants with tokens the text pass must get right inserted at pseudo-random
        // places: the reading with the prefilter equals the reading of the search that walks everything.
        const TOKENS: &[&str] = &[
            "'",
            "\"",
            "`",
            "/",
            "${",
            "}",
            "{",
            "\r",
            "\u{2028}",
            "//",
            "/*",
            "*/",
            "\\",
            "++",
            "=",
            ")",
            " apps.push(x) ",
            " env.PORT = 1; ",
        ];
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut compared = 0;
        for text in fixture_texts() {
            let mut variants = vec![text.clone()];
            for _ in 0..6 {
                let mut variant = text.clone();
                for _ in 0..3 {
                    let mut at = (next() as usize) % (variant.len() + 1);
                    while !variant.is_char_boundary(at) {
                        at -= 1;
                    }
                    variant.insert_str(at, TOKENS[(next() as usize) % TOKENS.len()]);
                }
                variants.push(variant);
            }
            for variant in variants {
                let filtered = reading(&variant);
                WALK_EVERYTHING.with(|w| w.set(true));
                let walked = reading(&variant);
                WALK_EVERYTHING.with(|w| w.set(false));
                assert_eq!(filtered, walked, "{variant}");
                compared += 1;
            }
        }
        assert!(compared > 500, "{compared} texts compared");
    }

    #[test]
    fn many_ifs_over_a_large_value_stay_linear() {
        let mut text = String::from("const table = {");
        for i in 0..3000 {
            text.push_str(&format!(" K{i}: {},", 5570 + i % 30));
        }
        text.push_str(" };\n");
        for i in 0..3000 {
            text.push_str(&format!("if (process.env.X{i}) table.K0 = {};\n", 6000 + i));
        }
        text.push_str("module.exports = { table, apps: [] };\n");
        let model = model(&text);
        let table = model
            .exports
            .as_object()
            .and_then(|o| o.get("table"))
            .map(|p| p.value.value.clone());
        match table {
            Some(Value::Unknown(why)) => {
                assert!(why.describe().contains("too many changes"), "{why:?}")
            }
            other => panic!("{other:?}"),
        }
    }
}
