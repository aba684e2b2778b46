//! The static evaluator: a small, total, side-effect-free subset of JavaScript over the syntax tree.
//!
//! It never executes the user's file. What it cannot know it calls unknown, with a reason.

use super::value::{
    FileId, Loc, Object, Piece, Prop, Str, Traced, Unknown, Value, to_js_string, truthy,
};
use crate::syntax::fields::FIELDS;
use crate::syntax::{self, TextRange};
use crate::vfs::Vfs;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tree_sitter::Node;

/// How many files deep `require` may go, so a chain of requires cannot run away.
pub const MAX_REQUIRE_DEPTH: u32 = 8;
/// How many alternatives one value may carry before it becomes unknown, so `a ? b : c` chains stay small.
const MAX_ALTERNATIVES: usize = 16;
/// How deeply nested an expression may be before evaluation gives up, so hostile input cannot overflow the stack.
const MAX_EXPRESSION_DEPTH: u32 = 200;

/// Reads a file that `require` reached, refusing what the analysis would refuse for the main file.
fn load(vfs: &dyn Vfs, path: &Path) -> Option<String> {
    let bytes = vfs.read(path).ok()?;
    syntax::decode(bytes, syntax::source::DEFAULT_MAX_FILE_BYTES).ok()
}

/// One file the evaluation read, so locations can be turned into paths and positions.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// Its path (as given for the main file, resolved for required ones).
    pub path: PathBuf,
    /// Its text.
    pub text: Arc<str>,
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
    pub referenced: std::collections::HashSet<Loc>,
    vfs: &'l dyn Vfs,
    workspace: Option<PathBuf>,
    modules: HashMap<PathBuf, Option<Traced>>,
    depth: u32,
}

impl<'l> Session<'l> {
    /// Starts a session for `main` inside `workspace` (where `require` may reach; `None` forbids it).
    pub fn new(main: SourceFile, vfs: &'l dyn Vfs, workspace: Option<PathBuf>) -> Self {
        // The main file is being evaluated: a helper that requires it back sees a cycle, not a second copy.
        let modules = HashMap::from([(vfs.normalize(&main.path), None)]);
        Session {
            files: vec![main],
            notes: Vec::new(),
            referenced: Default::default(),
            vfs,
            workspace,
            modules,
            depth: 0,
        }
    }

    fn note(&mut self, note: EvalNote) {
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
}

/// Evaluates the session's main file (already parsed) and returns its exports and bindings.
pub fn evaluate_main(session: &mut Session, tree: &tree_sitter::Tree) -> ModuleResult {
    let text = session.files[0].text.clone();
    let mut scope = Scope::new(FileId(0), &text, tree.root_node());
    let exports = scope.module_exports(session);
    let bindings = scope.all_bindings(session, &exports);
    ModuleResult { exports, bindings }
}

/// How a destructuring pattern reaches into a declarator's value.
#[derive(Clone, Debug)]
enum Step {
    Key(String),
    Index(usize),
}

struct Slot<'t> {
    name_node: Node<'t>,
    declarator: Node<'t>,
    path: Vec<Step>,
    default: Option<Node<'t>>,
    exported: bool,
    state: SlotState,
}

enum SlotState {
    Pending,
    Evaluating,
    Done(Traced),
}

/// A top-level statement that changes a binding after its declaration.
#[derive(Clone, Copy)]
enum Mutation<'t> {
    /// `list.push(a, b)`: the call's arguments node.
    Push(Node<'t>),
    /// `config.apps = value` / `PORTS.EXTRA = 5580`: the assignment's left side and value.
    Set(Node<'t>, Node<'t>),
}

struct Scope<'t> {
    file: FileId,
    text: &'t str,
    root: Node<'t>,
    slots: HashMap<&'t str, Slot<'t>>,
    /// Top-level mutations of each binding, in source order. They apply to the binding's value whatever
    /// their position: the binding holds a reference, so every reader sees them (as `module.exports = { apps }`
    /// followed by `apps.push(…)` does in JavaScript).
    mutations: HashMap<&'t str, Vec<Mutation<'t>>>,
    order: Vec<&'t str>,
    declarator_values: HashMap<usize, Traced>,
    depth: u32,
}

impl<'t> Scope<'t> {
    fn new(file: FileId, text: &'t str, root: Node<'t>) -> Self {
        let mut scope = Scope {
            file,
            text,
            root,
            slots: HashMap::new(),
            mutations: HashMap::new(),
            order: Vec::new(),
            declarator_values: HashMap::new(),
            depth: 0,
        };
        scope.collect_bindings();
        scope
    }

    fn loc(&self, node: Node) -> Loc {
        Loc::new(self.file, TextRange::of(node))
    }

    fn src(&self, node: Node) -> &'t str {
        self.text.get(node.byte_range()).unwrap_or("")
    }

    // ---- bindings -------------------------------------------------------------------------------

    fn collect_bindings(&mut self) {
        let mut cursor = self.root.walk();
        let children: Vec<Node<'t>> = self.root.named_children(&mut cursor).collect();
        for statement in children {
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
                "expression_statement" => self.note_mutation(statement),
                _ => {}
            }
        }
    }

    /// Records `name.push(…)` and `name.a.b = …` statements for the binding `name`.
    fn note_mutation(&mut self, statement: Node<'t>) {
        let Some(expr) = statement.named_child(0) else {
            return;
        };
        let (root, mutation) = match expr.kind() {
            "call_expression" => {
                let (Some(function), Some(arguments)) = (
                    expr.child_by_field_id(FIELDS.function),
                    expr.child_by_field_id(FIELDS.arguments),
                ) else {
                    return;
                };
                let chain = self.member_chain(function);
                let [_, method] = chain.as_slice() else {
                    return;
                };
                if method != "push" {
                    return;
                }
                let Some(root) = function.child_by_field_id(FIELDS.object) else {
                    return;
                };
                (root, Mutation::Push(arguments))
            }
            "assignment_expression" => {
                let (Some(left), Some(right)) = (
                    expr.child_by_field_id(FIELDS.left),
                    expr.child_by_field_id(FIELDS.right),
                ) else {
                    return;
                };
                let mut root = left;
                while matches!(root.kind(), "member_expression" | "subscript_expression") {
                    let Some(object) = root.child_by_field_id(FIELDS.object) else {
                        return;
                    };
                    root = object;
                }
                if root.id() == left.id() {
                    return;
                }
                (root, Mutation::Set(left, right))
            }
            _ => return,
        };
        if root.kind() != "identifier" {
            return;
        }
        let name = self.src(root);
        if matches!(name, "module" | "exports") {
            return;
        }
        self.mutations.entry(name).or_default().push(mutation);
    }

    /// Applies the recorded mutations of `name` to its value.
    fn apply_mutations(&mut self, session: &mut Session, name: &str, value: &mut Traced) {
        let Some(mutations) = self.mutations.get(name).cloned() else {
            return;
        };
        for mutation in mutations {
            match mutation {
                Mutation::Push(arguments) => {
                    let Value::Array(items) = &mut value.value else {
                        continue;
                    };
                    let mut cursor = arguments.walk();
                    let args: Vec<Node<'t>> = arguments
                        .named_children(&mut cursor)
                        .filter(|n| n.kind() != "comment")
                        .collect();
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
                            let item = self.eval(session, arg);
                            items.push(item);
                        }
                    }
                }
                Mutation::Set(left, right) => {
                    let mut keys = self.member_chain(left);
                    if keys.len() < 2 {
                        continue;
                    }
                    keys.remove(0);
                    let new_value = self.eval(session, right);
                    let key_loc = self.loc(left);
                    set_path(value, &keys, new_value, key_loc);
                }
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

    fn lookup(&mut self, session: &mut Session, name: &str, at: Loc) -> Traced {
        self.force(session, name);
        match self.slots.get(name).map(|slot| &slot.state) {
            None => Traced::here(unbound_global(name), at),
            Some(SlotState::Done(value)) => value.clone().used_at(at),
            Some(_) => Traced::here(
                Value::Unknown(Unknown::Unbound(format!("{name} (refers to itself)"))),
                at,
            ),
        }
    }

    /// Evaluates a binding once; a binding met again while it is being evaluated refers to itself.
    fn force(&mut self, session: &mut Session, name: &str) {
        let Some(slot) = self.slots.get_mut(name) else {
            return;
        };
        if !matches!(slot.state, SlotState::Pending) {
            return;
        }
        slot.state = SlotState::Evaluating;
        let (declarator, path, default) = (slot.declarator, slot.path.clone(), slot.default);
        // Only a destructuring declarator serves several bindings; its value is worth keeping.
        let whole = self.declarator_value(session, declarator, !path.is_empty());
        let mut value = walk_path(whole, &path);
        if !path.is_empty() {
            // `const { API } = PORTS` reads `PORTS.API` as surely as a member access does.
            session.referenced.insert(value.def);
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
        if let Some(slot) = self.slots.get_mut(name) {
            slot.state = SlotState::Done(value);
        }
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
    fn all_bindings(&mut self, session: &mut Session, exports: &Traced) -> Vec<TopBinding> {
        let names = self.order.clone();
        let exported_defs: Vec<Loc> = match &exports.value {
            Value::Object(object) => object.props.iter().map(|p| p.value.def).collect(),
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

    // ---- exports --------------------------------------------------------------------------------

    /// Runs the top-level statements that shape the exports, in order.
    fn module_exports(&mut self, session: &mut Session) -> Traced {
        let root_loc = self.loc(self.root);
        let mut exports = Traced::here(Value::Object(Object::default()), root_loc);
        let mut cursor = self.root.walk();
        let statements: Vec<Node<'t>> = self.root.named_children(&mut cursor).collect();
        for statement in statements {
            match statement.kind() {
                "expression_statement" => {
                    let Some(expr) = statement.named_child(0) else {
                        continue;
                    };
                    if expr.kind() == "assignment_expression" {
                        self.export_assignment(session, expr, &mut exports);
                    }
                }
                "export_statement" => self.export_statement(session, statement, &mut exports),
                _ => {}
            }
        }
        exports
    }

    fn export_assignment(
        &mut self,
        session: &mut Session,
        assignment: Node<'t>,
        exports: &mut Traced,
    ) {
        let (Some(left), Some(right)) = (
            assignment.child_by_field_id(FIELDS.left),
            assignment.child_by_field_id(FIELDS.right),
        ) else {
            return;
        };
        let target = self.member_chain(left);
        let key = match target.as_slice() {
            [m, e] if m == "module" && e == "exports" => None,
            [m, e, key] if m == "module" && e == "exports" => Some(key.clone()),
            [e, key] if e == "exports" => Some(key.clone()),
            _ => return,
        };
        let value = self.eval(session, right);
        match key {
            None => *exports = value,
            Some(key) => {
                let key_loc = Some(self.loc(left));
                if let Value::Object(object) = &mut exports.value {
                    object.set(Prop {
                        key,
                        key_loc,
                        value,
                    });
                }
            }
        }
    }

    fn export_statement(
        &mut self,
        session: &mut Session,
        statement: Node<'t>,
        exports: &mut Traced,
    ) {
        let set = |key: String, key_loc: Loc, value: Traced, exports: &mut Traced| {
            if let Value::Object(object) = &mut exports.value {
                object.set(Prop {
                    key,
                    key_loc: Some(key_loc),
                    value,
                });
            }
        };
        if let Some(value) = statement.child_by_field_id(FIELDS.value) {
            let v = self.eval(session, value);
            set("default".into(), self.loc(statement), v, exports);
        } else if let Some(decl) = statement.child_by_field_id(FIELDS.declaration) {
            let names: Vec<(String, Loc)> = self
                .slots
                .iter()
                .filter(|(_, s)| {
                    s.declarator.parent().map(|p| p.id()) == Some(decl.id())
                        || s.declarator.id() == decl.id()
                })
                .map(|(name, s)| (name.to_string(), self.loc(s.name_node)))
                .collect();
            for (name, loc) in names {
                let v = self.lookup(session, &name, loc);
                set(name, loc, v, exports);
            }
        } else {
            let mut cursor = statement.walk();
            let clauses: Vec<Node<'t>> = statement
                .named_children(&mut cursor)
                .filter(|n| n.kind() == "export_clause")
                .collect();
            for clause in clauses {
                let mut inner = clause.walk();
                let specs: Vec<Node<'t>> = clause.named_children(&mut inner).collect();
                for spec in specs {
                    let Some(name) = spec.child_by_field_id(FIELDS.name) else {
                        continue;
                    };
                    let alias = spec.child_by_field_id(FIELDS.alias).unwrap_or(name);
                    let local = self.src(name).to_string();
                    let exported = self
                        .static_key(alias)
                        .unwrap_or_else(|| self.src(alias).into());
                    let v = self.lookup(session, &local, self.loc(name));
                    set(exported, self.loc(spec), v, exports);
                }
            }
        }
    }

    /// `module.exports.apps` → ["module", "exports", "apps"]; anything else → empty.
    fn member_chain(&self, node: Node<'t>) -> Vec<String> {
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

    // ---- expressions ----------------------------------------------------------------------------

    fn eval(&mut self, session: &mut Session, node: Node<'t>) -> Traced {
        if self.depth >= MAX_EXPRESSION_DEPTH {
            return self.unknown(
                node,
                Unknown::Unsupported("an expression nested this deeply".into()),
            );
        }
        self.depth += 1;
        let value = self.eval_inner(session, node);
        self.depth -= 1;
        value
    }

    fn unknown(&self, node: Node, why: Unknown) -> Traced {
        Traced::here(Value::Unknown(why), self.loc(node))
    }

    fn eval_inner(&mut self, session: &mut Session, node: Node<'t>) -> Traced {
        let loc = self.loc(node);
        if node.is_missing() {
            // Tree-sitter stood in a zero-width token for a value the source does not have (`PORT: ,`).
            return self.unknown(
                node,
                Unknown::Unsupported("a value missing from the source".into()),
            );
        }
        match node.kind() {
            "number" => match parse_number_literal(self.src(node)) {
                Some(n) => Traced::here(Value::Number(n), loc),
                None => self.unknown(
                    node,
                    Unknown::Unsupported(format!("the number `{}`", self.src(node))),
                ),
            },
            "string" => Traced::here(Value::String(self.string_value(node)), loc),
            "template_string" => self.template(session, node),
            "true" => Traced::here(Value::Bool(true), loc),
            "false" => Traced::here(Value::Bool(false), loc),
            "null" => Traced::here(Value::Null, loc),
            "undefined" => Traced::here(Value::Undefined, loc),
            "identifier" => {
                let name = self.src(node);
                self.lookup(session, name, loc)
            }
            "parenthesized_expression" => match node.named_child(0) {
                Some(inner) => self.eval(session, inner).used_at(loc),
                None => self.unknown(node, Unknown::Unsupported("an empty expression".into())),
            },
            "object" => self.object(session, node),
            "array" => self.array(session, node),
            "member_expression" => self.member(session, node),
            "subscript_expression" => self.subscript(session, node),
            "call_expression" => self.call(session, node),
            "binary_expression" => self.binary(session, node),
            "unary_expression" => self.unary(session, node),
            "ternary_expression" => self.ternary(session, node),
            "sequence_expression" => {
                match node.named_child(node.named_child_count().saturating_sub(1)) {
                    Some(last) => self.eval(session, last),
                    None => self.unknown(node, Unknown::Unsupported("a sequence".into())),
                }
            }
            "arrow_function" | "function_expression" | "function" => {
                self.unknown(node, Unknown::Unsupported("a function".into()))
            }
            "await_expression" => self.unknown(node, Unknown::Runtime(self.src(node).to_string())),
            kind => self.unknown(
                node,
                Unknown::Unsupported(format!("a {}", kind.replace('_', " "))),
            ),
        }
    }

    fn string_literal(&self, node: Node<'t>) -> Option<String> {
        (node.kind() == "string").then(|| self.string_value(node).text)
    }

    fn string_value(&self, node: Node<'t>) -> Str {
        let mut out = Str::default();
        let mut cursor = node.walk();
        for part in node.named_children(&mut cursor) {
            let raw = self.src(part);
            match part.kind() {
                "string_fragment" => {
                    let start = out.text.len();
                    out.text.push_str(raw);
                    out.pieces.push(Piece {
                        range: start..out.text.len(),
                        def: self.loc(part),
                        verbatim: true,
                    });
                }
                "escape_sequence" => out.text.push_str(&decode_escape(raw)),
                _ => out.text.push_str(raw),
            }
        }
        out
    }

    fn template(&mut self, session: &mut Session, node: Node<'t>) -> Traced {
        let loc = self.loc(node);
        let mut parts: Vec<Traced> = Vec::new();
        let mut cursor = node.walk();
        let children: Vec<Node<'t>> = node.named_children(&mut cursor).collect();
        for part in children {
            match part.kind() {
                "string_fragment" => {
                    let raw = self.src(part);
                    let piece = Piece {
                        range: 0..raw.len(),
                        def: self.loc(part),
                        verbatim: true,
                    };
                    parts.push(Traced::here(
                        Value::String(Str {
                            text: raw.to_string(),
                            pieces: vec![piece],
                        }),
                        self.loc(part),
                    ));
                }
                "escape_sequence" => parts.push(Traced::here(
                    Value::String(Str::plain(decode_escape(self.src(part)))),
                    self.loc(part),
                )),
                "template_substitution" => match part.named_child(0) {
                    Some(expr) => {
                        let value = self.eval(session, expr);
                        parts.push(stringified(value));
                    }
                    None => {
                        return self
                            .unknown(part, Unknown::Unsupported("an empty substitution".into()));
                    }
                },
                _ => {}
            }
        }
        let mut acc = Traced::here(Value::String(Str::default()), loc);
        for part in parts {
            acc = combine(acc, part, loc, &|a, b| concat(a, b).map(Value::String));
        }
        acc
    }

    fn object(&mut self, session: &mut Session, node: Node<'t>) -> Traced {
        let mut cursor = node.walk();
        let members: Vec<Node<'t>> = node.named_children(&mut cursor).collect();
        self.object_of(session, self.loc(node), members)
    }

    /// A missing `}` makes tree-sitter read the next element of a list into the broken one, the next
    /// element's `{` left as an ERROR among the members. Splitting there gives the broken element what it
    /// had and the next element back as itself, instead of one object whose later keys overwrite the
    /// earlier ones. `None` when the object has no such ERROR.
    fn run_on_objects(&self, node: Node<'t>) -> Option<Vec<(Loc, Vec<Node<'t>>)>> {
        let mut cursor = node.walk();
        let children: Vec<Node<'t>> = node.named_children(&mut cursor).collect();
        let opens_object =
            |n: &Node<'t>| n.is_error() && n.child(0).is_some_and(|c| c.kind() == "{");
        if !children.iter().any(opens_object) {
            return None;
        }
        let mut parts = Vec::new();
        let mut start = node.start_byte();
        let mut members: Vec<Node<'t>> = Vec::new();
        for child in children {
            if opens_object(&child) {
                let end = members.last().map_or(child.start_byte(), |m| m.end_byte());
                let range = TextRange::new(start, end);
                parts.push((Loc::new(self.file, range), std::mem::take(&mut members)));
                start = child.start_byte();
                let mut inner = child.walk();
                members.extend(child.named_children(&mut inner));
            } else {
                members.push(child);
            }
        }
        let range = TextRange::new(start, node.end_byte());
        parts.push((Loc::new(self.file, range), members));
        Some(parts)
    }

    fn object_of(&mut self, session: &mut Session, loc: Loc, members: Vec<Node<'t>>) -> Traced {
        let mut object = Object::default();
        for member in members {
            match member.kind() {
                "pair" => {
                    let (Some(key), Some(value)) = (
                        member.child_by_field_id(FIELDS.key),
                        member.child_by_field_id(FIELDS.value),
                    ) else {
                        continue;
                    };
                    let Some(key_text) = self.key(session, key) else {
                        object.open = true;
                        continue;
                    };
                    let value = self.eval(session, value);
                    object.set(Prop {
                        key: key_text,
                        key_loc: Some(self.loc(key)),
                        value,
                    });
                }
                "shorthand_property_identifier" => {
                    let name = self.src(member);
                    let value = self.lookup(session, name, self.loc(member));
                    object.set(Prop {
                        key: name.to_string(),
                        key_loc: Some(self.loc(member)),
                        value,
                    });
                }
                "spread_element" => {
                    let Some(inner) = member.named_child(0) else {
                        continue;
                    };
                    let spread_loc = self.loc(member);
                    let value = self.eval(session, inner);
                    spread_into(&mut object, value, spread_loc);
                }
                "method_definition" => {
                    if let Some(name) = member.child_by_field_id(FIELDS.name)
                        && let Some(key) = self.key(session, name)
                    {
                        object.set(Prop {
                            key,
                            key_loc: Some(self.loc(name)),
                            value: self.unknown(member, Unknown::Unsupported("a method".into())),
                        });
                    }
                }
                _ => {}
            }
        }
        Traced::here(Value::Object(object), loc)
    }

    /// A property key's text; `None` for a computed key whose value is unknown.
    fn key(&mut self, session: &mut Session, key: Node<'t>) -> Option<String> {
        match key.kind() {
            "computed_property_name" => {
                let expr = key.named_child(0)?;
                let value = self.eval(session, expr);
                to_js_string(&value.value)
            }
            _ => self.static_key(key),
        }
    }

    fn static_key(&self, key: Node<'t>) -> Option<String> {
        match key.kind() {
            "string" => Some(self.string_value(key).text),
            "number" => parse_number_literal(self.src(key)).map(super::value::number_to_string),
            "property_identifier" | "identifier" | "shorthand_property_identifier_pattern" => {
                Some(self.src(key).to_string())
            }
            _ => None,
        }
    }

    fn array(&mut self, session: &mut Session, node: Node<'t>) -> Traced {
        let loc = self.loc(node);
        let mut items = Vec::new();
        let mut cursor = node.walk();
        let elements: Vec<Node<'t>> = node.named_children(&mut cursor).collect();
        for element in elements {
            // An ERROR among the elements is reported as a syntax error; it is no element of the list, but a
            // complete object inside it (an app followed by a missing comma) still is one.
            if element.is_error() {
                let mut inner = element.walk();
                let recovered: Vec<Node<'t>> = element
                    .named_children(&mut inner)
                    .filter(|n| n.kind() == "object" && !n.has_error())
                    .collect();
                for object in recovered {
                    items.push(self.eval(session, object));
                }
                continue;
            }
            if element.kind() == "comment" {
                continue;
            }
            if element.kind() == "spread_element" {
                let Some(inner) = element.named_child(0) else {
                    continue;
                };
                let value = self.eval(session, inner);
                match value.value {
                    Value::Array(spread) => items.extend(spread),
                    _ => items.push(value.used_at(self.loc(element))),
                }
            } else if element.kind() == "object"
                && let Some(parts) = self.run_on_objects(element)
            {
                for (part_loc, members) in parts {
                    items.push(self.object_of(session, part_loc, members));
                }
            } else {
                items.push(self.eval(session, element));
            }
        }
        Traced::here(Value::Array(items), loc)
    }

    fn member(&mut self, session: &mut Session, node: Node<'t>) -> Traced {
        if let Some(value) = self.member_by_reference(session, node) {
            return value;
        }
        let loc = self.loc(node);
        let (Some(object), Some(property)) = (
            node.child_by_field_id(FIELDS.object),
            node.child_by_field_id(FIELDS.property),
        ) else {
            return self.unknown(node, Unknown::Unsupported("a member expression".into()));
        };
        let key = self.src(property).to_string();
        let base = self.eval(session, object);
        let object_text = self.src(object).to_string();
        self.get_member(session, base, &key, &object_text, loc)
    }

    /// `NAME.a.b.c` where `NAME` is a top-level binding whose every step is a known object that has the
    /// key: reads the binding's stored value in place and clones only the member read. The general path
    /// clones the whole binding at each access, which for a large `PORTS` table referenced once per app
    /// made analysis quadratic. `None` means "take the general path", which gives the same result.
    fn member_by_reference(&mut self, session: &mut Session, node: Node<'t>) -> Option<Traced> {
        let mut keys: Vec<&'t str> = Vec::new();
        let mut current = node;
        while current.kind() == "member_expression" {
            keys.push(self.src(current.child_by_field_id(FIELDS.property)?));
            current = current.child_by_field_id(FIELDS.object)?;
        }
        // The general path evaluates one nested expression per key; keep its depth limit.
        if current.kind() != "identifier"
            || self.depth as usize + keys.len() >= MAX_EXPRESSION_DEPTH as usize
        {
            return None;
        }
        let name = self.src(current);
        self.force(session, name);
        let SlotState::Done(root) = &self.slots.get(name)?.state else {
            return None;
        };
        let mut value = root;
        let mut defs = Vec::with_capacity(keys.len());
        for key in keys.iter().rev() {
            let Value::Object(object) = &value.value else {
                return None;
            };
            let prop = object.get(key)?;
            defs.push(prop.value.def);
            value = &prop.value;
        }
        let read = value.clone().used_at(self.loc(node));
        session.referenced.extend(defs);
        Some(read)
    }

    fn subscript(&mut self, session: &mut Session, node: Node<'t>) -> Traced {
        let loc = self.loc(node);
        let (Some(object), Some(index)) = (
            node.child_by_field_id(FIELDS.object),
            node.child_by_field_id(FIELDS.index),
        ) else {
            return self.unknown(node, Unknown::Unsupported("a subscript".into()));
        };
        let base = self.eval(session, object);
        let index_value = self.eval(session, index);
        let Some(key) = to_js_string(&index_value.value) else {
            return self.unknown(node, Unknown::Unsupported(format!("`{}`", self.src(node))));
        };
        let object_text = self.src(object).to_string();
        self.get_member(session, base, &key, &object_text, loc)
    }

    fn get_member(
        &mut self,
        session: &mut Session,
        base: Traced,
        key: &str,
        object_text: &str,
        loc: Loc,
    ) -> Traced {
        match base.value {
            Value::Object(object) => match object.get(key) {
                Some(prop) => {
                    session.referenced.insert(prop.value.def);
                    prop.value.clone().used_at(loc)
                }
                None if object.open => Traced::here(
                    Value::Unknown(Unknown::Unsupported(format!(
                        "`{object_text}.{key}` (spread of an unknown value)"
                    ))),
                    loc,
                ),
                None => {
                    session.note(EvalNote::MissingMember {
                        loc,
                        object: object_text.to_string(),
                        key: key.to_string(),
                        known: object.props.iter().map(|p| p.key.clone()).collect(),
                    });
                    Traced::here(
                        Value::Unknown(Unknown::Missing(format!("{object_text}.{key}"))),
                        loc,
                    )
                }
            },
            Value::Array(items) => {
                if key == "length" {
                    return Traced::here(Value::Number(items.len() as f64), loc);
                }
                match key.parse::<usize>().ok().and_then(|i| items.get(i)) {
                    Some(item) => item.clone().used_at(loc),
                    None => Traced::here(Value::Undefined, loc),
                }
            }
            Value::String(s) if key == "length" => {
                Traced::here(Value::Number(s.text.chars().count() as f64), loc)
            }
            Value::Alternatives(items) => {
                let items = items
                    .into_iter()
                    .map(|item| self.get_member(session, item, key, object_text, loc))
                    .collect();
                alternatives(items, loc)
            }
            Value::Unknown(Unknown::Runtime(path)) => Traced::here(
                Value::Unknown(Unknown::Runtime(format!("{path}.{key}"))),
                loc,
            ),
            Value::Unknown(why) => Traced::here(Value::Unknown(why), loc),
            _ => Traced::here(Value::Undefined, loc),
        }
    }

    fn call(&mut self, session: &mut Session, node: Node<'t>) -> Traced {
        let loc = self.loc(node);
        let (Some(function), Some(arguments)) = (
            node.child_by_field_id(FIELDS.function),
            node.child_by_field_id(FIELDS.arguments),
        ) else {
            return self.unknown(node, Unknown::Unsupported("a call".into()));
        };
        let callee = self.member_chain(function);
        let mut cursor = arguments.walk();
        let args: Vec<Node<'t>> = arguments
            .named_children(&mut cursor)
            .filter(|n| n.kind() != "comment")
            .collect();
        let callee: Vec<&str> = callee.iter().map(String::as_str).collect();
        let shadowed = |scope: &Self, name: &str| scope.slots.contains_key(name);
        match callee.as_slice() {
            ["require"] if !shadowed(self, "require") => {
                let Some(specifier) = args.first().and_then(|a| self.string_literal(*a)) else {
                    return self.unknown(
                        node,
                        Unknown::Unsupported("`require` of a computed path".into()),
                    );
                };
                self.require(session, &specifier, loc, false)
            }
            ["Object", "freeze"] if !shadowed(self, "Object") => match args.first() {
                Some(arg) => self.eval(session, *arg).used_at(loc),
                None => Traced::here(Value::Undefined, loc),
            },
            ["Object", "assign"] if !shadowed(self, "Object") => {
                let mut object = Object::default();
                for arg in args {
                    let value = self.eval(session, arg);
                    spread_into(&mut object, value, loc);
                }
                Traced::here(Value::Object(object), loc)
            }
            ["Number"]
            | ["parseInt"]
            | ["Number", "parseInt"]
            | ["String"]
            | ["parseFloat"]
            | ["Number", "parseFloat"]
                if !shadowed(self, callee[0]) =>
            {
                let arg = match args.first() {
                    Some(arg) => self.eval(session, *arg),
                    None => Traced::here(Value::Undefined, loc),
                };
                let radix = match args.get(1) {
                    Some(r) => match self.eval(session, *r).value {
                        Value::Number(n) => Some(n),
                        _ => {
                            return self.unknown(
                                node,
                                Unknown::Unsupported(format!("`{}`", self.src(node))),
                            );
                        }
                    },
                    None => None,
                };
                let conversion = *callee.last().unwrap_or(&"");
                convert(arg, conversion, radix, loc)
            }
            _ => {
                // `list.concat(other)` on known arrays is common enough to model; any other call is opaque.
                if let ["concat"] = callee.last().map(std::slice::from_ref).unwrap_or_default()
                    && function.kind() == "member_expression"
                    && let Some(object) = function.child_by_field_id(FIELDS.object)
                {
                    let base = self.eval(session, object);
                    if let Value::Array(mut items) = base.value {
                        for arg in args {
                            let value = self.eval(session, arg);
                            match value.value {
                                Value::Array(more) => items.extend(more),
                                _ => items.push(value),
                            }
                        }
                        return Traced::here(Value::Array(items), loc);
                    }
                }
                let shown = self.src(function);
                self.unknown(
                    node,
                    Unknown::Unsupported(format!("the call `{}(…)`", truncate(shown, 40))),
                )
            }
        }
    }

    fn binary(&mut self, session: &mut Session, node: Node<'t>) -> Traced {
        let loc = self.loc(node);
        let (Some(left), Some(right), Some(op)) = (
            node.child_by_field_id(FIELDS.left),
            node.child_by_field_id(FIELDS.right),
            node.child_by_field_id(FIELDS.operator),
        ) else {
            return self.unknown(node, Unknown::Unsupported("an operator".into()));
        };
        let op = self.src(op);
        let l = self.eval(session, left);
        match op {
            "||" | "??" | "&&" => {
                let r = self.eval(session, right);
                logical(op, l, r, loc)
            }
            _ => {
                let mut r = self.eval(session, right);
                let mut l = l;
                if op == "+" && (is_string(&l.value) || is_string(&r.value)) {
                    // Concatenation: a number keeps its origin inside the string (`'--port ' + PORTS.UI`).
                    l = stringified(l);
                    r = stringified(r);
                }
                let op = op.to_string();
                combine(l, r, loc, &move |a, b| arithmetic(&op, a, b))
            }
        }
    }

    fn unary(&mut self, session: &mut Session, node: Node<'t>) -> Traced {
        let loc = self.loc(node);
        let (Some(arg), Some(op)) = (
            node.child_by_field_id(FIELDS.argument),
            node.child_by_field_id(FIELDS.operator),
        ) else {
            return self.unknown(node, Unknown::Unsupported("an operator".into()));
        };
        let op = self.src(op).to_string();
        let value = self.eval(session, arg);
        map_value(value, loc, &|v| match (op.as_str(), v) {
            ("-", Value::Number(n)) => Some(Value::Number(-n)),
            ("+", v) => to_number(v).map(Value::Number),
            ("!", v) => truthy(v).map(|b| Value::Bool(!b)),
            _ => None,
        })
    }

    fn ternary(&mut self, session: &mut Session, node: Node<'t>) -> Traced {
        let loc = self.loc(node);
        let (Some(condition), Some(yes), Some(no)) = (
            node.child_by_field_id(FIELDS.condition),
            node.child_by_field_id(FIELDS.consequence),
            node.child_by_field_id(FIELDS.alternative),
        ) else {
            return self.unknown(node, Unknown::Unsupported("a conditional".into()));
        };
        let condition = self.eval(session, condition);
        match truthy(&condition.value) {
            Some(true) => self.eval(session, yes),
            Some(false) => self.eval(session, no),
            None => {
                let a = self.eval(session, yes);
                let b = self.eval(session, no);
                alternatives(vec![a, b], loc)
            }
        }
    }

    // ---- require --------------------------------------------------------------------------------

    fn require(&mut self, session: &mut Session, specifier: &str, loc: Loc, esm: bool) -> Traced {
        let external = |what: String| Traced::here(Value::Unknown(Unknown::External(what)), loc);
        if !(specifier.starts_with("./")
            || specifier.starts_with("../")
            || specifier.starts_with('/'))
        {
            return external(format!("the package `{specifier}`"));
        }
        let Some(workspace) = session.workspace.clone() else {
            return external(format!("`{specifier}` (no workspace)"));
        };
        let base = session.files[self.file.0 as usize]
            .path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let vfs = session.vfs;
        let inside = |path: &Path| {
            path.starts_with(vfs.normalize(&workspace))
                && !path.components().any(|c| c.as_os_str() == "node_modules")
        };
        // Judge the path as written before probing the disk: nothing outside the workspace is even looked at.
        if !inside(&vfs.normalize(&base.join(specifier))) {
            return external(format!("`{specifier}`"));
        }
        let Some(path) = resolve_module(vfs, &base.join(specifier)) else {
            session.note(EvalNote::RequireFailed {
                loc,
                specifier: specifier.into(),
                reason: "no such file".into(),
            });
            return Traced::here(
                Value::Unknown(Unknown::Unsupported(format!("`require('{specifier}')`"))),
                loc,
            );
        };
        let path = vfs.normalize(&path);
        if !inside(&path) {
            return external(format!("`{specifier}`"));
        }
        if let Some(cached) = session.modules.get(&path) {
            return match cached {
                Some(exports) => with_default(exports.clone(), esm).used_at(loc),
                None => Traced::here(
                    Value::Unknown(Unknown::Unsupported(format!(
                        "the circular `require('{specifier}')`"
                    ))),
                    loc,
                ),
            };
        }
        if session.depth >= MAX_REQUIRE_DEPTH || session.files.len() >= u16::MAX as usize {
            return Traced::here(
                Value::Unknown(Unknown::Unsupported(format!(
                    "`require('{specifier}')` nested too deeply"
                ))),
                loc,
            );
        }
        let Some(text) = load(vfs, &path) else {
            session.note(EvalNote::RequireFailed {
                loc,
                specifier: specifier.into(),
                reason: "the file could not be read as text".into(),
            });
            return Traced::here(
                Value::Unknown(Unknown::Unsupported(format!("`require('{specifier}')`"))),
                loc,
            );
        };
        let file = FileId(session.files.len() as u16);
        let text: Arc<str> = Arc::from(text);
        session.files.push(SourceFile {
            path: path.clone(),
            text: text.clone(),
        });
        session.modules.insert(path.clone(), None);
        session.depth += 1;
        let parsed = syntax::parse(&text);
        let exports = {
            let mut scope = Scope::new(file, &text, parsed.tree.root_node());
            scope.module_exports(session)
        };
        session.depth -= 1;
        session.modules.insert(path, Some(exports.clone()));
        with_default(exports, esm).used_at(loc)
    }
}

/// A value about to become part of a string (a template substitution, `'…' + x`) as a string whose one piece
/// points at the value's definition, so a port written through `${PORTS.UI}` is traced to `PORTS.UI`'s literal.
fn stringified(value: Traced) -> Traced {
    match value.value {
        Value::Alternatives(items) => {
            let loc = value.use_;
            alternatives(items.into_iter().map(stringified).collect(), loc)
        }
        Value::String(_) | Value::Unknown(_) | Value::Object(_) | Value::Array(_) => value,
        ref other => match to_js_string(other) {
            Some(text) => {
                let piece = Piece {
                    range: 0..text.len(),
                    def: value.def,
                    verbatim: false,
                };
                Traced {
                    value: Value::String(Str {
                        text,
                        pieces: vec![piece],
                    }),
                    def: value.def,
                    use_: value.use_,
                }
            }
            None => value,
        },
    }
}

/// Whether `+` on this value concatenates: a string, or alternatives that are all strings.
fn is_string(value: &Value) -> bool {
    match value {
        Value::String(_) => true,
        Value::Alternatives(items) => items.iter().all(|t| is_string(&t.value)),
        _ => false,
    }
}

/// Sets `keys` inside `target`'s objects (`config.apps = …` sets `apps`); a path through something that is not a
/// known object is left alone.
fn set_path(target: &mut Traced, keys: &[String], value: Traced, key_loc: Loc) {
    let Some((last, init)) = keys.split_last() else {
        return;
    };
    let mut current = target;
    for key in init {
        let Value::Object(object) = &mut current.value else {
            return;
        };
        let Some(prop) = object.props.iter_mut().find(|p| &p.key == key) else {
            return;
        };
        current = &mut prop.value;
    }
    if let Value::Object(object) = &mut current.value {
        object.set(Prop {
            key: last.clone(),
            key_loc: Some(key_loc),
            value,
        });
    }
}

/// For `import x from './m.cjs'`: a CommonJS module's `default` is its whole `module.exports`.
fn with_default(exports: Traced, esm: bool) -> Traced {
    if !esm {
        return exports;
    }
    let mut namespace = exports.clone();
    if let Value::Object(object) = &mut namespace.value
        && object.get("default").is_none()
    {
        object.set(Prop {
            key: "default".into(),
            key_loc: None,
            value: exports,
        });
    }
    namespace
}

fn resolve_module(vfs: &dyn Vfs, path: &Path) -> Option<PathBuf> {
    if vfs.is_file(path) {
        return Some(path.to_path_buf());
    }
    for ext in ["js", "cjs", "mjs"] {
        let mut candidate = path.as_os_str().to_owned();
        candidate.push(".");
        candidate.push(ext);
        let candidate = PathBuf::from(candidate);
        if vfs.is_file(&candidate) {
            return Some(candidate);
        }
    }
    None
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

fn walk_path(mut value: Traced, path: &[Step]) -> Traced {
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

/// Copies an object's properties into `object` in order (later keys override), as `{...x}` does.
fn spread_into(object: &mut Object, value: Traced, spread_loc: Loc) {
    match value.value {
        Value::Object(source) => {
            object.open |= source.open;
            for prop in source.props {
                object.set(Prop {
                    key: prop.key,
                    key_loc: prop.key_loc,
                    value: prop.value.used_at(spread_loc),
                });
            }
        }
        Value::Null | Value::Undefined => {}
        _ => object.open = true,
    }
}

fn alternatives(items: Vec<Traced>, loc: Loc) -> Traced {
    let mut flat: Vec<Traced> = Vec::new();
    for item in items {
        match item.value {
            Value::Alternatives(inner) => flat.extend(inner),
            _ => flat.push(item),
        }
    }
    if flat.len() > MAX_ALTERNATIVES {
        return Traced::here(
            Value::Unknown(Unknown::Unsupported(
                "a value with too many alternatives".into(),
            )),
            loc,
        );
    }
    if flat.iter().any(Traced::is_unknown)
        && let Some(unknown) = flat.iter().find(|t| t.is_unknown())
    {
        // One unknown branch makes the whole value unknown: we cannot list what it may be.
        return Traced::here(unknown.value.clone(), loc);
    }
    Traced::here(Value::Alternatives(flat), loc)
}

/// Applies `f` to a value, or to each alternative; an unknown stays unknown.
fn map_value(value: Traced, loc: Loc, f: &dyn Fn(&Value) -> Option<Value>) -> Traced {
    match value.value {
        Value::Alternatives(items) => {
            let items = items.into_iter().map(|t| map_value(t, loc, f)).collect();
            alternatives(items, loc)
        }
        Value::Unknown(_) => value.used_at(loc),
        ref v => match f(v) {
            Some(result) => Traced {
                value: result,
                def: value.def,
                use_: loc,
            },
            None => Traced::here(
                Value::Unknown(Unknown::Unsupported("an operation on this value".into())),
                loc,
            ),
        },
    }
}

/// Applies a binary `f`, over every pair of alternatives; unknown if either side is.
fn combine(a: Traced, b: Traced, loc: Loc, f: &dyn Fn(&Value, &Value) -> Option<Value>) -> Traced {
    match (&a.value, &b.value) {
        (Value::Unknown(why), _) | (_, Value::Unknown(why)) => {
            Traced::here(Value::Unknown(why.clone()), loc)
        }
        (Value::Alternatives(items), _) => {
            let items = items
                .iter()
                .map(|x| combine(x.clone(), b.clone(), loc, f))
                .collect();
            alternatives(items, loc)
        }
        (_, Value::Alternatives(items)) => {
            let items = items
                .iter()
                .map(|y| combine(a.clone(), y.clone(), loc, f))
                .collect();
            alternatives(items, loc)
        }
        (x, y) => match f(x, y) {
            Some(value) => Traced::here(value, loc),
            None => Traced::here(
                Value::Unknown(Unknown::Unsupported("an operation on these values".into())),
                loc,
            ),
        },
    }
}

/// `a || b`, `a ?? b`, `a && b`. A run-time `a` (an env variable, anything unknown) yields the default `b`:
/// that is the value the file states, and the one a port checker must check.
fn logical(op: &str, a: Traced, b: Traced, loc: Loc) -> Traced {
    if let Value::Alternatives(items) = &a.value {
        let items = items
            .iter()
            .map(|x| logical(op, x.clone(), b.clone(), loc))
            .collect();
        return alternatives(items, loc);
    }
    let pick_b = match (op, &a.value) {
        ("||" | "??", Value::Unknown(_)) => true,
        ("&&", Value::Unknown(_)) => return a.used_at(loc),
        ("||", v) => truthy(v) == Some(false),
        ("??", v) => matches!(v, Value::Null | Value::Undefined),
        (_, v) => truthy(v) == Some(true),
    };
    if pick_b {
        b.used_at(loc)
    } else {
        a.used_at(loc)
    }
}

fn concat(a: &Value, b: &Value) -> Option<Str> {
    let mut out = match a {
        Value::String(s) => s.clone(),
        other => number_piece(other)?,
    };
    match b {
        Value::String(s) => out.push(s),
        other => out.push(&number_piece(other)?),
    }
    Some(out)
}

fn number_piece(value: &Value) -> Option<Str> {
    to_js_string(value).map(Str::plain)
}

fn arithmetic(op: &str, a: &Value, b: &Value) -> Option<Value> {
    if op == "+" {
        if matches!(a, Value::String(_)) || matches!(b, Value::String(_)) {
            return concat(a, b).map(Value::String);
        }
        return Some(Value::Number(to_number(a)? + to_number(b)?));
    }
    if let ("===" | "!==" | "==" | "!=", x, y) = (op, a, b) {
        let same = match (x, y) {
            (Value::Number(p), Value::Number(q)) => p == q,
            (Value::String(p), Value::String(q)) => p.text == q.text,
            (Value::Bool(p), Value::Bool(q)) => p == q,
            (Value::Null | Value::Undefined, Value::Null | Value::Undefined) => {
                op.len() == 2 || std::mem::discriminant(x) == std::mem::discriminant(y)
            }
            (Value::Number(_) | Value::String(_), Value::Number(_) | Value::String(_))
                if op.len() == 2 =>
            {
                to_number(x)? == to_number(y)?
            }
            (Value::Object(_) | Value::Array(_), _) | (_, Value::Object(_) | Value::Array(_)) => {
                return None;
            }
            _ => false,
        };
        return Some(Value::Bool(same == op.starts_with('=')));
    }
    let (x, y) = (to_number(a)?, to_number(b)?);
    Some(match op {
        "-" => Value::Number(x - y),
        "*" => Value::Number(x * y),
        "/" => Value::Number(x / y),
        "%" => Value::Number(x % y),
        "<" => Value::Bool(x < y),
        ">" => Value::Bool(x > y),
        "<=" => Value::Bool(x <= y),
        ">=" => Value::Bool(x >= y),
        _ => return None,
    })
}

/// JavaScript's `ToNumber` for the values we know.
pub fn to_number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => Some(*n),
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        Value::Null => Some(0.0),
        Value::Undefined => Some(f64::NAN),
        Value::String(s) => Some(string_to_number(&s.text)),
        _ => None,
    }
}

/// `Number("…")`: the whole trimmed string must be a numeric literal; empty is 0; anything else NaN.
pub fn string_to_number(s: &str) -> f64 {
    let t = s.trim();
    if t.is_empty() {
        return 0.0;
    }
    let lower = t.to_ascii_lowercase();
    for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
        if let Some(digits) = lower.strip_prefix(prefix) {
            return u64::from_str_radix(digits, radix)
                .map(|n| n as f64)
                .unwrap_or(f64::NAN);
        }
    }
    match t {
        "Infinity" | "+Infinity" => f64::INFINITY,
        "-Infinity" => f64::NEG_INFINITY,
        _ if t
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-')) =>
        {
            t.parse::<f64>().unwrap_or(f64::NAN)
        }
        _ => f64::NAN,
    }
}

/// `parseInt("…", radix)`: leading digits after optional space and sign; NaN when there are none.
pub fn parse_int(s: &str, radix: Option<f64>) -> f64 {
    let t = s.trim_start();
    let (negative, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let explicit = radix
        .filter(|r| *r != 0.0 && r.is_finite())
        .map(|r| r as u32);
    let mut radix = explicit.unwrap_or(10);
    let mut t = t;
    if (explicit.is_none() || radix == 16) && (t.starts_with("0x") || t.starts_with("0X")) {
        radix = 16;
        t = &t[2..];
    }
    if !(2..=36).contains(&radix) {
        return f64::NAN;
    }
    let digits: String = t.chars().take_while(|c| c.is_digit(radix)).collect();
    if digits.is_empty() {
        return f64::NAN;
    }
    let mut n = 0f64;
    for c in digits.chars() {
        n = n * radix as f64 + c.to_digit(radix).unwrap_or(0) as f64;
    }
    if negative { -n } else { n }
}

fn convert(arg: Traced, conversion: &str, radix: Option<f64>, loc: Loc) -> Traced {
    let conversion = conversion.to_string();
    map_value(arg, loc, &move |v| match conversion.as_str() {
        "String" => to_js_string(v).map(|s| Value::String(keep_pieces(v, s))),
        "parseInt" => to_js_string(v).map(|s| Value::Number(parse_int(&s, radix))),
        "parseFloat" => to_js_string(v).map(|s| {
            let t = s.trim_start();
            let end = t
                .char_indices()
                .take_while(|(_, c)| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'))
                .last()
                .map(|(i, c)| i + c.len_utf8())
                .unwrap_or(0);
            Value::Number(t[..end].parse::<f64>().unwrap_or(f64::NAN))
        }),
        _ => to_number(v).map(Value::Number),
    })
}

fn keep_pieces(v: &Value, text: String) -> Str {
    match v {
        Value::String(s) => s.clone(),
        _ => Str::plain(text),
    }
}

/// Parses a JavaScript number literal: decimal, hex, octal, binary, numeric separators, legacy octal.
pub fn parse_number_literal(raw: &str) -> Option<f64> {
    let cleaned: String = raw.chars().filter(|c| *c != '_').collect();
    if cleaned.ends_with('n') {
        return None;
    }
    let lower = cleaned.to_ascii_lowercase();
    for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
        if let Some(digits) = lower.strip_prefix(prefix) {
            return u64::from_str_radix(digits, radix).ok().map(|n| n as f64);
        }
    }
    if lower.len() > 1 && lower.starts_with('0') && lower.chars().all(|c| c.is_ascii_digit()) {
        if lower.chars().all(|c| c < '8') {
            return u64::from_str_radix(&lower[1..], 8).ok().map(|n| n as f64);
        }
        return lower.parse::<f64>().ok();
    }
    lower.parse::<f64>().ok()
}

fn decode_escape(raw: &str) -> String {
    let body = raw.strip_prefix('\\').unwrap_or(raw);
    let mut chars = body.chars();
    match chars.next() {
        Some('n') => "\n".into(),
        Some('t') => "\t".into(),
        Some('r') => "\r".into(),
        Some('b') => "\u{8}".into(),
        Some('f') => "\u{c}".into(),
        Some('v') => "\u{b}".into(),
        Some('0') if body.len() == 1 => "\0".into(),
        Some('x') => u32::from_str_radix(&body[1..], 16)
            .ok()
            .and_then(char::from_u32)
            .map(String::from)
            .unwrap_or_default(),
        Some('u') => {
            let hex = body[1..].trim_start_matches('{').trim_end_matches('}');
            u32::from_str_radix(hex, 16)
                .ok()
                .and_then(char::from_u32)
                .map(String::from)
                .unwrap_or_else(|| "\u{fffd}".into())
        }
        Some('\r' | '\n' | '\u{2028}' | '\u{2029}') => String::new(),
        Some(c) => c.to_string(),
        None => String::new(),
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let cut: String = s.chars().take(max).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_literals() {
        assert_eq!(parse_number_literal("6_056"), Some(6056.0));
        assert_eq!(parse_number_literal("0x17A2"), Some(6050.0));
        assert_eq!(parse_number_literal("0o17"), Some(15.0));
        assert_eq!(parse_number_literal("0b101"), Some(5.0));
        assert_eq!(parse_number_literal("017"), Some(15.0));
        assert_eq!(parse_number_literal("019"), Some(19.0));
        assert_eq!(parse_number_literal("1e3"), Some(1000.0));
        assert_eq!(parse_number_literal("10n"), None);
    }

    #[test]
    fn conversions_follow_javascript() {
        assert_eq!(string_to_number(" 6350 "), 6350.0);
        assert!(string_to_number("63a").is_nan());
        assert_eq!(string_to_number(""), 0.0);
        assert_eq!(parse_int("6350px", None), 6350.0);
        assert_eq!(parse_int("0x10", None), 16.0);
        assert!(parse_int("px", None).is_nan());
        assert_eq!(parse_int("ff", Some(16.0)), 255.0);
    }
}
