//! Modules: what shapes `module.exports` / ESM exports, and `require` / `import` of local files.

use super::scope::Scope;
use super::{EvalNote, MAX_REQUIRE_DEPTH, Session, SourceFile};
use crate::model::value::{FileId, Loc, Object, Prop, Traced, Unknown, Value};
use crate::syntax::{self, fields::FIELDS};
use crate::vfs::Vfs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tree_sitter::Node;

/// Reads a file that `require` reached, refusing what the analysis would refuse for the main file.
fn load(vfs: &dyn Vfs, path: &Path) -> Option<String> {
    let text = crate::vfs::read_text(vfs, path, syntax::source::DEFAULT_MAX_FILE_BYTES).ok()?;
    Some(text.to_string())
}

impl<'t> Scope<'t> {
    /// A required JSON file's value (`require('./package.json')`): its one expression, read as the JavaScript
    /// literal it also is, so every value keeps its place in the file.
    pub(super) fn json_value(&mut self, session: &mut Session) -> Traced {
        let statements: Vec<Node<'t>> = self
            .statements
            .iter()
            .copied()
            .filter(|n| n.kind() != "comment")
            .collect();
        match statements.as_slice() {
            [statement] if statement.kind() == "expression_statement" && !self.root.has_error() => {
                match statement.named_child(0) {
                    Some(expr) => self.eval(session, expr),
                    None => self.unknown(*statement, Unknown::Unsupported("this JSON".into())),
                }
            }
            _ => self.unknown(
                self.root,
                Unknown::Unsupported("a JSON file that is not valid".into()),
            ),
        }
    }

    /// A JSON main file's value, as PM2 reads it: the expression inside the parentheses PM2 wraps the text in.
    pub(super) fn json_main(&mut self, session: &mut Session) -> Traced {
        let statement = self
            .statements
            .iter()
            .copied()
            .find(|n| n.kind() == "expression_statement");
        let mut expr = statement.and_then(|s| s.named_child(0));
        while let Some(inner) = expr.filter(|e| e.kind() == "parenthesized_expression") {
            expr = inner
                .named_child(0)
                .filter(|n| n.kind() != "comment")
                .or_else(|| {
                    let mut walk = inner.walk();
                    inner
                        .named_children(&mut walk)
                        .find(|n| n.kind() != "comment")
                });
        }
        match expr {
            Some(expr) => self.eval(session, expr),
            None => {
                let why = if self.src(self.root).trim().is_empty() {
                    "an empty JSON file"
                } else {
                    "a JSON value its syntax error leaves unreadable"
                };
                self.unknown(self.root, Unknown::Unsupported(why.into()))
            }
        }
    }

    /// What the top level does that decides whether Node can load the file as PM2 asks it to: CommonJS's
    /// globals, ES module syntax, the default and `apps` exports (spec §11, `pm2-cannot-load`).
    pub(super) fn module_facts(&self, commonjs_matters: bool) -> ModuleFacts {
        let mut facts = ModuleFacts::default();
        for &statement in &self.statements {
            match statement.kind() {
                "import_statement" => {
                    facts.esm.get_or_insert(self.loc(statement));
                }
                "export_statement" => {
                    facts.esm.get_or_insert(self.loc(statement));
                    let src = self.src(statement);
                    if src
                        .strip_prefix("export")
                        .is_some_and(|rest| rest.trim_start().starts_with("default"))
                    {
                        facts.default_export.get_or_insert(self.loc(statement));
                    } else if self.exports_apps(statement) {
                        facts.exports_apps = true;
                    }
                }
                _ => {
                    if commonjs_matters
                        && facts.commonjs.is_none()
                        && let Some(name) = self.commonjs_global(statement)
                    {
                        facts.commonjs = Some((self.loc(statement), name));
                    }
                }
            }
        }
        facts
    }

    /// Whether an `export` statement exports a binding named `apps`.
    fn exports_apps(&self, statement: Node<'t>) -> bool {
        if let Some(decl) = statement.child_by_field_id(FIELDS.declaration) {
            return self.slots.iter().any(|(name, s)| {
                *name == "apps"
                    && (s.declarator.parent().map(|p| p.id()) == Some(decl.id())
                        || s.declarator.id() == decl.id())
            });
        }
        let mut cursor = statement.walk();
        let clauses: Vec<Node<'t>> = statement
            .named_children(&mut cursor)
            .filter(|n| n.kind() == "export_clause")
            .collect();
        clauses.into_iter().any(|clause| {
            let mut inner = clause.walk();
            let specs: Vec<Node<'t>> = clause.named_children(&mut inner).collect();
            specs.into_iter().any(|spec| {
                spec.child_by_field_id(FIELDS.alias)
                    .or_else(|| spec.child_by_field_id(FIELDS.name))
                    .is_some_and(|n| self.src(n).trim_matches(['\'', '"']) == "apps")
            })
        })
    }

    /// The CommonJS global (`module`, `exports`, `require`) a top-level statement runs, outside any function
    /// body and not behind `typeof`, when the file does not bind that name itself.
    fn commonjs_global(&self, statement: Node<'t>) -> Option<String> {
        // Most statements name none of the three: skip their walk.
        let src = self.src(statement);
        if !["module", "exports", "require"]
            .iter()
            .any(|word| src.contains(word))
        {
            return None;
        }
        let mut cursor = statement.walk();
        let mut stack = vec![statement];
        while let Some(node) = stack.pop() {
            match node.kind() {
                "function_declaration"
                | "function_expression"
                | "function"
                | "arrow_function"
                | "method_definition"
                | "generator_function"
                | "generator_function_declaration"
                | "class_declaration"
                | "class" => continue,
                "identifier" => {
                    let name = self.src(node);
                    if matches!(name, "module" | "exports" | "require")
                        && !self.slots.contains_key(name)
                        && !node.parent().is_some_and(|p| {
                            p.kind() == "unary_expression" && self.src(p).starts_with("typeof")
                        })
                    {
                        return Some(name.to_string());
                    }
                }
                _ => {}
            }
            let children: Vec<Node<'t>> = node.named_children(&mut cursor).collect();
            stack.extend(children.into_iter().rev());
        }
        None
    }

    /// Runs the top-level statements that shape the exports, in order.
    pub(super) fn module_exports(&mut self, session: &mut Session) -> Traced {
        let root_loc = self.loc(self.root);
        let mut exports = Traced::here(Value::Object(Object::default()), root_loc);
        for statement in self.statements.clone() {
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

    pub(super) fn require(
        &mut self,
        session: &mut Session,
        specifier: &str,
        loc: Loc,
        esm: bool,
    ) -> Traced {
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
        // What the disk holds can change under the same text: an evaluation that looked keeps no memo.
        session.read_disk = true;
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
        let parsed = match syntax::parse(&text, &session.budget) {
            Ok(parsed) => Arc::new(parsed),
            Err(stopped) => {
                session.note(EvalNote::RequireFailed {
                    loc,
                    specifier: specifier.into(),
                    reason: stopped.to_string(),
                });
                return Traced::here(
                    Value::Unknown(Unknown::Unsupported(format!("`require('{specifier}')`"))),
                    loc,
                );
            }
        };
        let file = FileId(session.files.len() as u16);
        let text: Arc<str> = Arc::from(text);
        session.modules.insert(path.clone(), None);
        session.depth += 1;
        session.files.push(SourceFile {
            path: path.clone(),
            text: text.clone(),
            syntax: Some(parsed.clone()),
        });
        let is_json = path.extension().is_some_and(|e| e == "json");
        let exports = {
            let Some(root) = parsed.tree.raw_root() else {
                return Traced::here(
                    Value::Unknown(Unknown::Unsupported(format!("`require('{specifier}')`"))),
                    loc,
                );
            };
            let mut scope = Scope::new(file, &text, root);
            if is_json {
                scope.json_value(session)
            } else {
                scope.module_exports(session)
            }
        };
        session.depth -= 1;
        session.modules.insert(path, Some(exports.clone()));
        with_default(exports, esm).used_at(loc)
    }
}

/// What a module's top level does that decides how Node loads it (see [`Scope::module_facts`]).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct ModuleFacts {
    /// The first top-level statement running one of CommonJS's globals, and which (`module`, `exports`,
    /// `require`); not looked for in a `.cjs` file, CommonJS whatever it holds.
    pub commonjs: Option<(Loc, String)>,
    /// The first `import` or `export` statement: ES module syntax.
    pub esm: Option<Loc>,
    /// `export default …`.
    pub default_export: Option<Loc>,
    /// Whether `apps` is a named export (what PM2 reads of an ES module).
    pub exports_apps: bool,
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
    // Node's order: the path itself, then `.js` and `.json` (`require('./package')`); `.cjs`/`.mjs` are
    // probed too, as a config's author may leave them off.
    for ext in ["js", "json", "cjs", "mjs"] {
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
