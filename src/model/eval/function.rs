//! Helper functions: a call to a top-level function whose body is one returned expression is evaluated like
//! any other expression, its parameters bound to the call's arguments (spec §9). Depth-bounded; recursion,
//! `async` functions and bodies of more than one statement are refused as unknown, with the reason.

use super::Session;
use super::expr::truncate;
use super::scope::{Scope, Step, walk_path};
use crate::model::value::{Loc, Traced, Unknown, Value};
use crate::syntax::fields::FIELDS;
use foldhash::{HashMap, HashMapExt};
use tree_sitter::Node;

/// How many helper calls may be nested (a helper calling a helper …) before evaluation gives up.
const MAX_CALL_DEPTH: usize = 8;

impl<'t> Scope<'t> {
    /// The function node a top-level binding `name` holds (`function name(…) {…}`, `const name = (…) => …`,
    /// `const name = function (…) {…}`), when `name` is not a parameter of the helper being evaluated.
    pub(super) fn helper(&self, name: &str) -> Option<Node<'t>> {
        if self.parameter(name).is_some() {
            return None;
        }
        let slot = self.slots.get(name)?;
        if !slot.path.is_empty() {
            return None;
        }
        let declarator = slot.declarator;
        let function = match declarator.kind() {
            "function_declaration" => declarator,
            "variable_declarator" => {
                let mut value = declarator.child_by_field_id(FIELDS.value)?;
                while value.kind() == "parenthesized_expression" {
                    value = value.named_child(0)?;
                }
                value
            }
            _ => return None,
        };
        matches!(
            function.kind(),
            "function_declaration" | "arrow_function" | "function_expression" | "function"
        )
        .then_some(function)
    }

    /// Evaluates `call` (whose callee names a helper) with the helper's parameters bound to `args`.
    pub(super) fn call_helper(
        &mut self,
        session: &mut Session,
        call: Node<'t>,
        callee: Node<'t>,
        args: &[Node<'t>],
    ) -> Traced {
        let name = self.src(callee);
        let loc = self.loc(call);
        let refuse = |why: String| Traced::here(Value::Unknown(Unknown::Unsupported(why)), loc);
        let Some(function) = self.helper(name) else {
            return refuse(format!("the call `{}(…)`", truncate(name, 40)));
        };
        if self.calls.contains(&function.id()) {
            return refuse(format!("the recursive call `{}(…)`", truncate(name, 40)));
        }
        if self.calls.len() >= MAX_CALL_DEPTH {
            return refuse(format!(
                "`{}(…)`, nested too deeply in helper calls,",
                truncate(name, 40)
            ));
        }
        if self.over_budget() {
            return refuse(format!(
                "`{}(…)`, after too much evaluation in helper calls,",
                truncate(name, 40)
            ));
        }
        if is_async(function) {
            return refuse(format!(
                "the call of the async function `{}`",
                truncate(name, 40)
            ));
        }
        let Some(body) = returned_expression(function) else {
            return refuse(format!(
                "the call `{}(…)` (its body is more than one returned expression)",
                truncate(name, 40)
            ));
        };
        // The arguments are evaluated where the call is, in the caller's scope.
        let mut values: Vec<Traced> = Vec::new();
        let mut rest_unknown: Option<Traced> = None;
        for arg in args {
            if arg.kind() == "spread_element" {
                let Some(inner) = arg.named_child(0) else {
                    continue;
                };
                match self.eval(session, inner) {
                    Traced {
                        value: Value::Array(items),
                        ..
                    } => values.extend(items),
                    other => {
                        // `f(...list)` of an unknown list: this parameter and every later one is unknown.
                        rest_unknown = Some(other.used_at(self.loc(*arg)));
                        break;
                    }
                }
            } else {
                let value = self.eval(session, *arg);
                values.push(value);
            }
        }
        let argument = |i: usize| -> Traced {
            match (values.get(i), &rest_unknown) {
                (Some(value), _) => value.clone(),
                (None, Some(unknown)) => unknown.clone(),
                (None, None) => Traced::here(Value::Undefined, loc),
            }
        };
        let mut params: Vec<Node<'t>> = Vec::new();
        if let Some(single) = function.child_by_field_id(FIELDS.parameter) {
            params.push(single);
        } else if let Some(list) = function.child_by_field_id(FIELDS.parameters) {
            let mut cursor = list.walk();
            params.extend(
                list.named_children(&mut cursor)
                    .filter(|n| n.kind() != "comment"),
            );
        }
        self.frames.push(HashMap::new());
        self.calls.push(function.id());
        for (i, param) in params.into_iter().enumerate() {
            if param.kind() == "rest_pattern" {
                let rest: Vec<Traced> = values.iter().skip(i).cloned().collect();
                let value = match &rest_unknown {
                    Some(unknown) => unknown.clone(),
                    None => Traced::here(Value::Array(rest), loc),
                };
                if let Some(target) = param.named_child(0) {
                    self.bind(session, target, value);
                }
                break;
            }
            self.bind(session, param, argument(i));
        }
        let mut result = self.eval(session, body);
        self.calls.pop();
        self.frames.pop();
        // An object the helper builds is a new object at each call: the call defines it, so each app is told
        // apart by the call that made it and its values are reported at the call's arguments.
        let inside = |loc: Loc| {
            loc.file == self.file
                && crate::syntax::TextRange::of(function).contains_range(loc.range)
        };
        match &mut result.value {
            Value::Object(_) if inside(result.def) => result.def = loc,
            Value::Array(items) => {
                for item in items.iter_mut() {
                    if matches!(item.value, Value::Object(_)) && inside(item.def) {
                        item.def = loc;
                        item.use_ = loc;
                    }
                }
            }
            _ => {}
        }
        result.used_at(loc)
    }

    /// Binds a parameter pattern to a value in the innermost frame: a name, a default (taken when the value
    /// is `undefined`, evaluated in the helper's scope, so it may read earlier parameters), an object or array
    /// pattern.
    fn bind(&mut self, session: &mut Session, pattern: Node<'t>, value: Traced) {
        match pattern.kind() {
            "identifier" | "shorthand_property_identifier_pattern" => {
                let name = self.src(pattern);
                if let Some(frame) = self.frames.last_mut() {
                    frame.insert(name, value);
                }
            }
            "assignment_pattern" | "object_assignment_pattern" => {
                let (Some(left), Some(right)) = (
                    pattern.child_by_field_id(FIELDS.left),
                    pattern.child_by_field_id(FIELDS.right),
                ) else {
                    return;
                };
                let value = if matches!(
                    value.value,
                    Value::Undefined | Value::Unknown(Unknown::Missing(_))
                ) {
                    self.eval(session, right)
                } else {
                    value
                };
                self.bind(session, left, value);
            }
            "object_pattern" => {
                let mut cursor = pattern.walk();
                let parts: Vec<Node<'t>> = pattern.named_children(&mut cursor).collect();
                for part in parts {
                    match part.kind() {
                        "shorthand_property_identifier_pattern" => {
                            let key = self.src(part).to_string();
                            let inner = walk_path(value.clone(), &[Step::Key(key)]);
                            self.bind(session, part, inner);
                        }
                        "object_assignment_pattern" => {
                            let Some(left) = part.child_by_field_id(FIELDS.left) else {
                                continue;
                            };
                            let key = self.src(left).to_string();
                            let inner = walk_path(value.clone(), &[Step::Key(key)]);
                            self.bind(session, part, inner);
                        }
                        "pair_pattern" => {
                            let (Some(key), Some(target)) = (
                                part.child_by_field_id(FIELDS.key),
                                part.child_by_field_id(FIELDS.value),
                            ) else {
                                continue;
                            };
                            let Some(key) = self.static_key(key) else {
                                continue;
                            };
                            let inner = walk_path(value.clone(), &[Step::Key(key)]);
                            self.bind(session, target, inner);
                        }
                        "rest_pattern" => {
                            if let Some(target) = part.named_child(0) {
                                let unknown = Traced::here(
                                    Value::Unknown(Unknown::Unsupported("a rest pattern".into())),
                                    self.loc(part),
                                );
                                self.bind(session, target, unknown);
                            }
                        }
                        _ => {}
                    }
                }
            }
            "array_pattern" => {
                let mut cursor = pattern.walk();
                let parts: Vec<Node<'t>> = pattern.named_children(&mut cursor).collect();
                for (index, part) in parts.into_iter().enumerate() {
                    let inner = walk_path(value.clone(), &[Step::Index(index)]);
                    self.bind(session, part, inner);
                }
            }
            _ => {}
        }
    }
}

/// Whether the function is `async` (it returns a promise, never the object).
fn is_async(function: Node) -> bool {
    let mut cursor = function.walk();
    function
        .children(&mut cursor)
        .take_while(|c| !matches!(c.kind(), "formal_parameters" | "identifier" | "=>"))
        .any(|c| c.kind() == "async")
}

/// The one expression the function returns: an arrow's expression body, or a block that is one `return`
/// (comments aside).
fn returned_expression(function: Node) -> Option<Node> {
    let body = function.child_by_field_id(FIELDS.body)?;
    if body.kind() != "statement_block" {
        return Some(body);
    }
    let mut cursor = body.walk();
    let statements: Vec<Node> = body
        .named_children(&mut cursor)
        .filter(|n| !matches!(n.kind(), "comment" | "empty_statement"))
        .collect();
    match statements.as_slice() {
        [only] if only.kind() == "return_statement" => {
            let mut cursor = only.walk();
            only.named_children(&mut cursor)
                .find(|n| n.kind() != "comment")
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::model::model_of as apps;

    #[test]
    fn helpers_calling_helpers_stay_linear() {
        // Ten calls per body, eight levels: 10^8 evaluations if nothing bounded them.
        let mut text = String::from("const h0 = (p) => ({ name: 'x', env: { PORT: p } });\n");
        for level in 1..=8 {
            let calls: Vec<String> = (0..10).map(|_| format!("h{}(p)", level - 1)).collect();
            text.push_str(&format!(
                "const h{level} = (p) => [{}];\n",
                calls.join(", ")
            ));
        }
        text.push_str("module.exports = { apps: h8(5570) };\n");
        let started = std::time::Instant::now();
        let model = apps(&text);
        assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
        let reasons: Vec<String> = model
            .dynamic_apps
            .iter()
            .map(|d| d.why.describe())
            .collect();
        assert!(
            reasons.iter().any(|r| r.contains("too much evaluation")),
            "{reasons:?}"
        );
    }
}
