//! Top-level bindings: declarations and destructuring, imports, lazy evaluation of each binding once (with
//! the mutations `mutation.rs` found applied to its value).

use super::memo;
use super::mutation::{Mutation, MutationMemo};
use super::{Session, TopBinding};
use crate::model::value::{FileId, Loc, Traced, Unknown, Value};
use crate::syntax::TextRange;
use crate::syntax::fields::FIELDS;
use foldhash::{HashMap, HashMapExt};
use tree_sitter::Node;

/// How a destructuring pattern reaches into a declarator's value.
#[derive(Clone, Debug)]
pub(super) enum Step {
    Key(String),
    Index(usize),
}

pub(super) struct Slot<'t> {
    pub(super) name_node: Node<'t>,
    pub(super) declarator: Node<'t>,
    pub(super) path: Vec<Step>,
    default: Option<Node<'t>>,
    exported: bool,
    pub(super) state: SlotState,
}

pub(super) enum SlotState {
    Pending,
    Evaluating,
    Done(Traced),
}

pub(super) struct Scope<'t> {
    pub(super) file: FileId,
    pub(super) text: &'t str,
    pub(super) root: Node<'t>,
    /// The root's named children, walked once: a tree-sitter sibling walk climbs the hidden nodes that hold a
    /// long list, and the passes over the top level (bindings, mutations, exports, facts) each needed it.
    pub(super) statements: Vec<Node<'t>>,
    pub(super) slots: HashMap<&'t str, Slot<'t>>,
    /// Top-level mutations of each binding, in source order. They apply to the binding's value whatever
    /// their position: the binding holds a reference, so every reader sees them (as `module.exports = { apps }`
    /// followed by `apps.push(…)` does in JavaScript).
    pub(super) mutations: HashMap<&'t str, Vec<Mutation<'t>>>,
    order: Vec<&'t str>,
    declarator_values: HashMap<usize, Traced>,
    pub(super) depth: u32,
    /// The parameters of each helper call being evaluated, innermost last. A helper's body sees its own frame
    /// and the top level, never its caller's parameters.
    pub(super) frames: Vec<HashMap<&'t str, Traced>>,
    /// The helper functions being called (their nodes' ids), innermost last, so recursion is refused.
    pub(super) calls: Vec<usize>,
    /// Work done beyond reading the file once — expressions evaluated inside helper calls, values copied to
    /// merge the branches of an `if` — bounded by [`Scope::over_budget`] so hostile input stays linear.
    pub(super) work: u64,
    /// Whether a binding was read while being evaluated: then the order of lazy evaluation shows in values,
    /// and reusing elements across versions would not be sound.
    pub(super) cyclic: bool,
    /// How many mutations were recorded, and the top-level statements that made any.
    pub(super) records: usize,
    pub(super) mutating: Vec<std::ops::Range<usize>>,
    /// Whether top-level bindings are kept for the next evaluation (`Some`), and whether they may be reused
    /// from the previous one (see [`Scope::enable_binding_memo`]).
    binding_memo: Option<bool>,
    /// The deepest expression depth reached so far, so a reused binding is known to stay within the limit.
    pub(super) deepest: u32,
}

impl<'t> Scope<'t> {
    pub(super) fn new(file: FileId, text: &'t str, root: Node<'t>) -> Self {
        Self::searched(file, text, root, None).0
    }

    /// A scope whose mutation search starts from what it kept for the previous version of the same file
    /// (see [`Scope::collect_mutations`]); returns what to keep for the next.
    pub(super) fn searched(
        file: FileId,
        text: &'t str,
        root: Node<'t>,
        previous: Option<&MutationMemo>,
    ) -> (Self, MutationMemo) {
        let mut cursor = root.walk();
        let statements = root.named_children(&mut cursor).collect();
        let mut scope = Scope {
            file,
            text,
            root,
            statements,
            slots: HashMap::new(),
            mutations: HashMap::new(),
            order: Vec::new(),
            declarator_values: HashMap::new(),
            depth: 0,
            frames: Vec::new(),
            calls: Vec::new(),
            work: 0,
            cyclic: false,
            records: 0,
            mutating: Vec::new(),
            binding_memo: None,
            deepest: 0,
        };
        scope.collect_bindings();
        // Every binding is known now (declarations are hoisted): find what changes them.
        let memo = scope.collect_mutations(previous);
        (scope, memo)
    }

    pub(super) fn loc(&self, node: Node) -> Loc {
        Loc::new(self.file, TextRange::of(node))
    }

    /// Whether [`Scope::work`] has gone past a few times the file's size: helpers calling helpers, or `if`s
    /// over a large value, could otherwise take time exponential or quadratic in it.
    pub(super) fn over_budget(&self) -> bool {
        self.work > self.work_budget()
    }

    fn work_budget(&self) -> u64 {
        4 * self.text.len() as u64 + 100_000
    }

    /// Whether this evaluation's elements must not be reused: a binding referred to itself, or the work spent
    /// came near enough to the budget that counting a reused element's work twice could cross it.
    pub(super) fn memo_unsound(&self) -> bool {
        self.cyclic || self.work > self.work_budget() / 8
    }

    /// Whether a top-level binding is declared, or a top-level statement changes one, at or after `offset`:
    /// values an element may read from past its array.
    pub(super) fn declared_or_changed_from(&self, offset: usize) -> bool {
        self.slots
            .values()
            .any(|slot| slot.name_node.start_byte() >= offset)
            || self.mutating.iter().any(|range| range.start >= offset)
    }

    pub(super) fn src(&self, node: Node) -> &'t str {
        self.text.get(node.byte_range()).unwrap_or("")
    }

    // ---- bindings -------------------------------------------------------------------------------

    fn collect_bindings(&mut self) {
        for statement in self.statements.clone() {
            match statement.kind() {
                "lexical_declaration" | "variable_declaration" => self.declare(statement, false),
                "export_statement" => {
                    if let Some(decl) = statement.child_by_field_id(FIELDS.declaration) {
                        match decl.kind() {
                            "lexical_declaration" | "variable_declaration" => {
                                self.declare(decl, true)
                            }
                            _ => self.declare_opaque(decl),
                        }
                    }
                }
                "function_declaration" | "class_declaration" | "generator_function_declaration" => {
                    self.declare_opaque(statement)
                }
                "import_statement" => self.declare_imports(statement),
                _ => {}
            }
        }
    }

    fn declare(&mut self, declaration: Node<'t>, exported: bool) {
        let mut cursor = declaration.walk();
        for declarator in declaration.named_children(&mut cursor) {
            if declarator.kind() != "variable_declarator" {
                continue;
            }
            if let Some(name) = declarator.child_by_field_id(FIELDS.name) {
                self.declare_pattern(name, declarator, Vec::new(), None, exported);
            }
        }
    }

    fn declare_pattern(
        &mut self,
        pattern: Node<'t>,
        declarator: Node<'t>,
        path: Vec<Step>,
        default: Option<Node<'t>>,
        exported: bool,
    ) {
        match pattern.kind() {
            "identifier" | "shorthand_property_identifier_pattern" => {
                let name = self.src(pattern);
                if !self.slots.contains_key(name) {
                    self.order.push(name);
                }
                // A later declaration of the same name wins, as `var` redeclaration does.
                self.slots.insert(
                    name,
                    Slot {
                        name_node: pattern,
                        declarator,
                        path,
                        default,
                        exported,
                        state: SlotState::Pending,
                    },
                );
            }
            "object_pattern" => {
                let mut cursor = pattern.walk();
                for part in pattern.named_children(&mut cursor) {
                    match part.kind() {
                        "shorthand_property_identifier_pattern" => {
                            let mut p = path.clone();
                            p.push(Step::Key(self.src(part).to_string()));
                            self.declare_pattern(part, declarator, p, None, exported);
                        }
                        "object_assignment_pattern" => {
                            let (Some(left), right) = (
                                part.child_by_field_id(FIELDS.left),
                                part.child_by_field_id(FIELDS.right),
                            ) else {
                                continue;
                            };
                            let mut p = path.clone();
                            p.push(Step::Key(self.src(left).to_string()));
                            self.declare_pattern(left, declarator, p, right, exported);
                        }
                        "pair_pattern" => {
                            let (Some(key), Some(value)) = (
                                part.child_by_field_id(FIELDS.key),
                                part.child_by_field_id(FIELDS.value),
                            ) else {
                                continue;
                            };
                            let Some(key) = self.static_key(key) else {
                                continue;
                            };
                            let mut p = path.clone();
                            p.push(Step::Key(key));
                            let (target, default) = if value.kind() == "assignment_pattern" {
                                (
                                    value.child_by_field_id(FIELDS.left),
                                    value.child_by_field_id(FIELDS.right),
                                )
                            } else {
                                (Some(value), None)
                            };
                            if let Some(target) = target {
                                self.declare_pattern(target, declarator, p, default, exported);
                            }
                        }
                        _ => {}
                    }
                }
            }
            "array_pattern" => {
                let mut cursor = pattern.walk();
                for (index, part) in pattern.named_children(&mut cursor).enumerate() {
                    let mut p = path.clone();
                    p.push(Step::Index(index));
                    let (target, default) = if part.kind() == "assignment_pattern" {
                        (
                            part.child_by_field_id(FIELDS.left),
                            part.child_by_field_id(FIELDS.right),
                        )
                    } else {
                        (Some(part), None)
                    };
                    if let Some(target) = target {
                        self.declare_pattern(target, declarator, p, default, exported);
                    }
                }
            }
            _ => {}
        }
    }

    /// Functions and classes are bindings whose value we do not model.
    fn declare_opaque(&mut self, decl: Node<'t>) {
        if let Some(name) = decl.child_by_field_id(FIELDS.name) {
            self.declare_pattern(name, decl, Vec::new(), None, false);
        }
    }

    /// `import x from './a.cjs'`, `import { A as B } from …`, `import * as ns from …`.
    fn declare_imports(&mut self, statement: Node<'t>) {
        let mut cursor = statement.walk();
        for clause in statement.named_children(&mut cursor) {
            if clause.kind() != "import_clause" {
                continue;
            }
            let mut inner = clause.walk();
            for part in clause.named_children(&mut inner) {
                match part.kind() {
                    "identifier" => self.declare_pattern(
                        part,
                        statement,
                        vec![Step::Key("default".into())],
                        None,
                        false,
                    ),
                    "namespace_import" => {
                        if let Some(name) = part.named_child(0) {
                            self.declare_pattern(name, statement, Vec::new(), None, false);
                        }
                    }
                    "named_imports" => {
                        let mut specs = part.walk();
                        for spec in part.named_children(&mut specs) {
                            let Some(name) = spec.child_by_field_id(FIELDS.name) else {
                                continue;
                            };
                            let target = spec.child_by_field_id(FIELDS.alias).unwrap_or(name);
                            let key = self
                                .static_key(name)
                                .unwrap_or_else(|| self.src(name).into());
                            self.declare_pattern(
                                target,
                                statement,
                                vec![Step::Key(key)],
                                None,
                                false,
                            );
                        }
                    }
                    _ => {}
                }
            }
        }
    }

    pub(super) fn lookup(&mut self, session: &mut Session, name: &str, at: Loc) -> Traced {
        if let Some(value) = self.parameter(name) {
            // A parameter keeps the use of its argument: the call is where each app's values are written.
            return value.clone();
        }
        self.force(session, name);
        match self.slots.get(name).map(|slot| &slot.state) {
            None => Traced::here(unbound_global(name), at),
            Some(SlotState::Done(value)) => value.clone().used_at(at),
            Some(_) => {
                self.cyclic = true;
                Traced::here(
                    Value::Unknown(Unknown::Unbound(format!("{name} (refers to itself)"))),
                    at,
                )
            }
        }
    }

    /// The value of `name` when it is a parameter of the helper call being evaluated.
    pub(super) fn parameter(&self, name: &str) -> Option<&Traced> {
        self.frames.last().and_then(|frame| frame.get(name))
    }

    /// Whether `name` is bound here, as a parameter or at the top level (so not a global such as `require`).
    pub(super) fn is_bound(&self, name: &str) -> bool {
        self.parameter(name).is_some() || self.slots.contains_key(name)
    }

    /// Evaluates a binding once; a binding met again while it is being evaluated refers to itself. It is
    /// evaluated at the top level: the parameters of a helper call that reads it are not in its scope.
    pub(super) fn force(&mut self, session: &mut Session, name: &str) {
        if !matches!(
            self.slots.get(name).map(|slot| &slot.state),
            Some(SlotState::Pending)
        ) {
            return;
        }
        let frames = std::mem::take(&mut self.frames);
        self.force_at_top_level(session, name);
        self.frames = frames;
    }

    fn force_at_top_level(&mut self, session: &mut Session, name: &str) {
        let Some(slot) = self.slots.get(name) else {
            return;
        };
        if !matches!(slot.state, SlotState::Pending) {
            return;
        }
        let key = self.binding_key(session, name);
        let depth = self.depth;
        if let Some((key, true)) = &key
            && let Some(hit) = session.memo_hit(key, |hit| {
                depth + hit.depth < super::expr::MAX_EXPRESSION_DEPTH
            })
        {
            self.work += hit.work;
            if let Some(slot) = self.slots.get_mut(name) {
                slot.state = SlotState::Done(hit.items[0].clone());
            }
            return;
        }
        let recording = key.is_some().then(|| {
            let outer = std::mem::replace(&mut self.deepest, self.depth);
            session.memo_start();
            (self.work, outer)
        });
        let Some(slot) = self.slots.get_mut(name) else {
            return;
        };
        slot.state = SlotState::Evaluating;
        let (declarator, path, default) = (slot.declarator, slot.path.clone(), slot.default);
        // Only a destructuring declarator serves several bindings; its value is worth keeping.
        let whole = self.declarator_value(session, declarator, !path.is_empty());
        let mut value = walk_path(whole, &path);
        if !path.is_empty() {
            // `const { API } = PORTS` reads `PORTS.API` as surely as a member access does.
            session.reference(value.def);
        }
        if let Some(default) = default
            && matches!(
                value.value,
                Value::Undefined | Value::Unknown(Unknown::Missing(_))
            )
        {
            value = self.eval(session, default);
        }
        self.apply_mutations(session, name, &mut value);
        if let (Some((key, _)), Some((work, outer))) = (key, recording) {
            // Kept only where the depth limit was not reached: then any start shallow enough reads the same.
            let used = self.deepest - depth;
            if self.deepest < super::expr::MAX_EXPRESSION_DEPTH {
                session.memo_end(
                    key,
                    memo::Element::value(value.clone(), self.work - work, used),
                );
            } else {
                session.memo_drop();
            }
            self.deepest = self.deepest.max(outer);
        }
        if let Some(slot) = self.slots.get_mut(name) {
            slot.state = SlotState::Done(value);
        }
    }

    /// Lets top-level bindings be reused from the previous evaluation of the same file when its exports are
    /// assigned by statements of their own (`module.exports = …`), which change no binding, and nothing
    /// else mentions `exports`: then a binding's value is a function of the rest of the text, the prelude.
    pub(super) fn enable_binding_memo(&mut self, session: &mut Session) {
        let mut exports = Vec::new();
        for &statement in &self.statements {
            if statement.kind() == "expression_statement"
                && let Some(expr) = statement.named_child(0)
                && expr.kind() == "assignment_expression"
                && let Some(left) = expr.child_by_field_id(FIELDS.left)
                && matches!(
                    self.member_chain(left).first().map(String::as_str),
                    Some("module" | "exports")
                )
            {
                exports.push(statement.byte_range());
            }
        }
        if exports.is_empty() || exports.iter().any(|r| self.mutating.contains(r)) {
            return;
        }
        let mut from = 0;
        for range in exports
            .iter()
            .chain(std::iter::once(&(self.text.len()..self.text.len())))
        {
            if self
                .text
                .get(from..range.start)
                .unwrap_or("")
                .contains("exports")
            {
                return;
            }
            from = range.end;
        }
        let reusable = session
            .memo_in
            .is_some_and(|m| m.prelude_unchanged(self.text, &exports));
        if let Some(out) = &mut session.memo_out {
            out.exports = Some(exports);
        }
        self.binding_memo = Some(reusable);
    }

    /// The memo's key for binding `name` forced now, when it may be reused: the prelude is known and the
    /// binding is evaluated at the top level of the main file, outside any helper call.
    fn binding_key(&self, session: &Session, name: &str) -> Option<(memo::MemoKey, bool)> {
        let reusable = self.binding_memo?;
        (session.memo_out.is_some() && self.calls.is_empty() && self.file == FileId(0))
            .then(|| (memo::MemoKey::Binding(name.to_string()), reusable))
    }

    fn declarator_value(
        &mut self,
        session: &mut Session,
        declarator: Node<'t>,
        keep: bool,
    ) -> Traced {
        if let Some(done) = self.declarator_values.get(&declarator.id()) {
            return done.clone();
        }
        let value = match declarator.kind() {
            "variable_declarator" => match declarator.child_by_field_id(FIELDS.value) {
                Some(init) => self.eval(session, init),
                None => Traced::here(Value::Undefined, self.loc(declarator)),
            },
            "import_statement" => match declarator.child_by_field_id(FIELDS.source) {
                Some(source) => {
                    let specifier = self.string_literal(source).unwrap_or_default();
                    self.require(session, &specifier, self.loc(declarator), true)
                }
                None => Traced::here(
                    Value::Unknown(Unknown::Unsupported("import".into())),
                    self.loc(declarator),
                ),
            },
            kind => Traced::here(
                Value::Unknown(Unknown::Unsupported(format!(
                    "a {}",
                    kind.replace('_', " ")
                ))),
                self.loc(declarator),
            ),
        };
        if keep {
            self.declarator_values
                .insert(declarator.id(), value.clone());
        }
        value
    }

    /// Every binding with its value, moved out of the scope: evaluation of this module is over.
    pub(super) fn all_bindings(
        &mut self,
        session: &mut Session,
        exports: &Traced,
    ) -> Vec<TopBinding> {
        let names = self.order.clone();
        let exported_defs: Vec<Loc> = match &exports.value {
            Value::Object(object) => object.props().iter().map(|p| p.value.def).collect(),
            _ => Vec::new(),
        };
        for name in &names {
            self.force(session, name);
        }
        names
            .into_iter()
            .filter_map(|name| {
                let name_loc = self.loc(self.slots.get(name)?.name_node);
                let slot = self.slots.get_mut(name)?;
                let state = std::mem::replace(&mut slot.state, SlotState::Evaluating);
                let SlotState::Done(value) = state else {
                    return None;
                };
                let exported = slot.exported || exported_defs.contains(&value.def);
                Some(TopBinding {
                    name: name.to_string(),
                    name_loc,
                    value: value.used_at(name_loc),
                    exported,
                })
            })
            .collect()
    }

    /// `module.exports.apps` → ["module", "exports", "apps"]; anything else → empty.
    pub(super) fn member_chain(&self, node: Node<'t>) -> Vec<String> {
        match node.kind() {
            "identifier" => vec![self.src(node).to_string()],
            "member_expression" => {
                let (Some(object), Some(property)) = (
                    node.child_by_field_id(FIELDS.object),
                    node.child_by_field_id(FIELDS.property),
                ) else {
                    return Vec::new();
                };
                let mut chain = self.member_chain(object);
                if !chain.is_empty() {
                    chain.push(self.src(property).to_string());
                }
                chain
            }
            "subscript_expression" => {
                let (Some(object), Some(index)) = (
                    node.child_by_field_id(FIELDS.object),
                    node.child_by_field_id(FIELDS.index),
                ) else {
                    return Vec::new();
                };
                let mut chain = self.member_chain(object);
                match self.string_literal(index) {
                    Some(key) if !chain.is_empty() => chain.push(key),
                    _ => chain.clear(),
                }
                chain
            }
            "parenthesized_expression" => node
                .named_child(0)
                .map(|n| self.member_chain(n))
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }
}

fn unbound_global(name: &str) -> Value {
    match name {
        "undefined" => Value::Undefined,
        "NaN" => Value::Number(f64::NAN),
        "Infinity" => Value::Number(f64::INFINITY),
        "process" | "__dirname" | "__filename" | "os" => {
            Value::Unknown(Unknown::Runtime(name.to_string()))
        }
        _ => Value::Unknown(Unknown::Unbound(name.to_string())),
    }
}

pub(super) fn walk_path(mut value: Traced, path: &[Step]) -> Traced {
    for step in path {
        let loc = value.use_;
        value = match (&value.value, step) {
            (Value::Object(object), Step::Key(key)) => match object.get(key) {
                Some(prop) => prop.value.clone(),
                None if object.open => Traced::here(
                    Value::Unknown(Unknown::Unsupported(format!("`{key}` from a spread"))),
                    loc,
                ),
                None => Traced::here(Value::Unknown(Unknown::Missing(key.clone())), loc),
            },
            (Value::Array(items), Step::Index(i)) => match items.get(*i) {
                Some(item) => item.clone(),
                None => Traced::here(Value::Undefined, loc),
            },
            (Value::Unknown(Unknown::Runtime(p)), Step::Key(key)) => {
                Traced::here(Value::Unknown(Unknown::Runtime(format!("{p}.{key}"))), loc)
            }
            (Value::Unknown(why), _) => Traced::here(Value::Unknown(why.clone()), loc),
            _ => Traced::here(
                Value::Unknown(Unknown::Unsupported("destructuring".into())),
                loc,
            ),
        };
    }
    value
}
