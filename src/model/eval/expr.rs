//! Expressions: literals, objects and arrays, member access, the calls we model, operators and conditionals.

use super::number::{arithmetic, concat, convert, parse_number_literal, to_number};
use super::scope::{Scope, SlotState};
use super::{EvalNote, Session, memo};
use crate::model::value::{
    FileId, Loc, Object, Piece, Prop, Str, Traced, Unknown, Value, to_js_string, truthy,
};
use crate::syntax::TextRange;
use crate::syntax::fields::FIELDS;
use tree_sitter::Node;

/// How many alternatives one value may carry before it becomes unknown, so `a ? b : c` chains stay small.
const MAX_ALTERNATIVES: usize = 16;
/// How deeply nested an expression may be before evaluation gives up, so hostile input cannot overflow the stack.
pub(super) const MAX_EXPRESSION_DEPTH: u32 = 200;

impl<'t> Scope<'t> {
    pub(super) fn eval(&mut self, session: &mut Session, node: Node<'t>) -> Traced {
        if self.depth >= MAX_EXPRESSION_DEPTH {
            return self.unknown(
                node,
                Unknown::Unsupported("an expression nested this deeply".into()),
            );
        }
        self.depth += 1;
        self.deepest = self.deepest.max(self.depth);
        if !self.calls.is_empty() {
            self.work += 1;
        }
        let value = self.eval_inner(session, node);
        self.depth -= 1;
        value
    }

    pub(super) fn unknown(&self, node: Node, why: Unknown) -> Traced {
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
                match node.named_child(
                    u32::try_from(node.named_child_count().saturating_sub(1)).unwrap_or(0),
                ) {
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

    pub(super) fn string_literal(&self, node: Node<'t>) -> Option<String> {
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
                    let value = self.eval(session, inner);
                    if inner.kind() == "identifier" && self.parameter(self.src(inner)).is_some() {
                        // A helper's `...extra`: the keys were written in the call's argument, and are used there.
                        spread_keeping_uses(&mut object, value);
                    } else {
                        spread_into(&mut object, value, self.loc(member));
                    }
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

    pub(super) fn static_key(&self, key: Node<'t>) -> Option<String> {
        match key.kind() {
            "string" => Some(self.string_value(key).text),
            "number" => {
                parse_number_literal(self.src(key)).map(crate::model::value::number_to_string)
            }
            "property_identifier" | "identifier" | "shorthand_property_identifier_pattern" => {
                Some(self.src(key).to_string())
            }
            _ => None,
        }
    }

    fn array(&mut self, session: &mut Session, node: Node<'t>) -> Traced {
        let loc = self.loc(node);
        let mut items = Vec::new();
        // The elements' places: the previous evaluation's where the tree's shape is kept, else a walk.
        let walked: Vec<Node<'t>>;
        let list: memo::ElementList = match self.kept_elements(session, node) {
            Some(list) => {
                walked = Vec::new();
                if let Some(out) = &mut session.memo_out {
                    out.listed += 1;
                }
                list
            }
            None => {
                let mut cursor = node.walk();
                walked = node.named_children(&mut cursor).collect();
                walked
                    .iter()
                    .map(|e| (e.start_byte() as u32, e.end_byte() as u32, e.kind_id()))
                    .collect()
            }
        };
        let mut outside = None;
        for (i, &(start, end, kind)) in list.iter().enumerate() {
            let element = || walked.get(i).copied().or_else(|| child_at(node, start));
            let range = start as usize..end as usize;
            match self.element_key(session, node, range, kind, &mut outside) {
                Some((key, reusable)) => {
                    let key = memo::MemoKey::Element(key);
                    if reusable && let Some(hit) = session.memo_hit(&key, |_| true) {
                        items.extend(hit.items.iter().cloned());
                        self.work += hit.work;
                    } else if let Some(element) = element() {
                        self.memo_element(session, element, key, &mut items);
                    }
                }
                None => {
                    if let Some(element) = element() {
                        self.element_items(session, element, &mut items);
                    }
                }
            }
        }
        if self.array_in_memo(session, node)
            && let Some(out) = &mut session.memo_out
        {
            out.element_lists.insert(node.start_byte(), list);
        }
        Traced::here(Value::Array(items), loc)
    }

    /// Whether a top-level array's elements go through the memo: not inside a helper call or another element
    /// being recorded, not in a required file, and not in an erroneous array (how its text was recovered
    /// depends on its neighbours, not on its own text).
    fn array_in_memo(&self, session: &Session, array: Node<'t>) -> bool {
        session.memo_out.is_some()
            && session.recording.is_empty()
            && self.file == FileId(0)
            && self.frames.is_empty()
            && self.calls.is_empty()
            && !array.has_error()
    }

    /// The previous evaluation's list of `array`'s elements, where the tree is that evaluation's, its shape
    /// kept (then every element is where it was: no walk needed). In debug builds the list is checked
    /// against a walk.
    fn kept_elements(&self, session: &Session, array: Node<'t>) -> Option<memo::ElementList> {
        if !session.shape_kept || !self.array_in_memo(session, array) {
            return None;
        }
        let memo = session.memo_in?;
        let list = memo.element_lists.get(&array.start_byte())?;
        // Elements too short for the memo are found one by one (a descent each): past a few, a walk is cheaper.
        let short = list
            .iter()
            .filter(|(start, end, _)| ((end - start) as usize) < memo::MIN_ELEMENT_LEN)
            .count();
        let same = memo.arrays.get(&array.start_byte()) == Some(&array.end_byte())
            && list.len() == array.named_child_count()
            && short <= 4;
        #[cfg(debug_assertions)]
        if same {
            let mut cursor = array.walk();
            let walked: Vec<(u32, u32, u16)> = array
                .named_children(&mut cursor)
                .map(|e| (e.start_byte() as u32, e.end_byte() as u32, e.kind_id()))
                .collect();
            assert_eq!(
                &walked[..],
                &list[..],
                "a kept shape's array elements moved"
            );
        }
        same.then(|| list.clone())
    }

    /// The memo's key for the element of a top-level array at `range` (see [`memo::EvalMemo`]), and whether
    /// the text around its array is unchanged (else it is only kept, not looked up); `None` where the element
    /// is evaluated afresh: where the array is not in the memo (see [`Scope::array_in_memo`]), or the element
    /// is too short to be worth it. `outside` caches the answer for the array.
    fn element_key(
        &self,
        session: &mut Session,
        array: Node<'t>,
        range: std::ops::Range<usize>,
        kind: u16,
        outside: &mut Option<bool>,
    ) -> Option<(memo::ElementKey, bool)> {
        if range.len() < memo::MIN_ELEMENT_LEN || !self.array_in_memo(session, array) {
            return None;
        }
        let unchanged = *outside.get_or_insert_with(|| {
            if let Some(out) = &mut session.memo_out {
                out.arrays.insert(array.start_byte(), array.end_byte());
            }
            // After a change of the array's length, what follows it sits at other offsets: an element that
            // read a binding declared (or changed) there would keep the old places, so none is reused then.
            let moved_reads = || self.declared_or_changed_from(array.start_byte());
            session
                .memo_in
                .and_then(|m| m.outside_unchanged(self.text, array.byte_range()))
                .is_some_and(|end| end == array.end_byte() || !moved_reads())
        });
        let key = memo::ElementKey {
            start: range.start as u32,
            end: range.end as u32,
            kind,
            depth: self.depth,
        };
        let reusable = unchanged
            && session
                .memo_in
                .is_some_and(|m| m.same_text(self.text, range));
        Some((key, reusable))
    }

    /// An element the memo could not give back: evaluated while recording what it does, and kept for the
    /// next evaluation.
    fn memo_element(
        &mut self,
        session: &mut Session,
        element: Node<'t>,
        key: memo::MemoKey,
        items: &mut Vec<Traced>,
    ) {
        let (work, from) = (self.work, items.len());
        session.memo_start();
        self.element_items(session, element, items);
        let result = memo::Element::items(items[from..].to_vec(), self.work - work);
        session.memo_end(key, result);
    }

    /// The items one element of an array literal stands for.
    fn element_items(&mut self, session: &mut Session, element: Node<'t>, items: &mut Vec<Traced>) {
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
            return;
        }
        if element.kind() == "comment" {
            return;
        }
        if element.kind() == "spread_element" {
            let Some(inner) = element.named_child(0) else {
                return;
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
        if self.parameter(name).is_some() {
            return None;
        }
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
        for def in defs {
            session.reference(def);
        }
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
                    session.reference(prop.value.def);
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
                        known: object.props().iter().map(|p| p.key.clone()).collect(),
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
        let shadowed = |scope: &Self, name: &str| scope.is_bound(name);
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
            [name] if function.kind() == "identifier" && self.helper(name).is_some() => {
                self.call_helper(session, node, function, &args)
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

/// [`spread_into`] for a value whose properties keep the uses they have (a helper's parameter: they were
/// written at the call).
fn spread_keeping_uses(object: &mut Object, value: Traced) {
    match value.value {
        Value::Object(source) => {
            object.open |= source.open;
            for prop in source.into_props() {
                object.set(prop);
            }
        }
        Value::Null | Value::Undefined => {}
        _ => object.open = true,
    }
}

/// Copies an object's properties into `object` in order (later keys override), as `{...x}` does.
fn spread_into(object: &mut Object, value: Traced, spread_loc: Loc) {
    match value.value {
        Value::Object(source) => {
            object.open |= source.open;
            for prop in source.into_props() {
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

pub(super) fn alternatives(items: Vec<Traced>, loc: Loc) -> Traced {
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
pub(super) fn map_value(value: Traced, loc: Loc, f: &dyn Fn(&Value) -> Option<Value>) -> Traced {
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

pub(super) fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let cut: String = s.chars().take(max).collect();
        format!("{cut}…")
    }
}

/// The named child of `array` that starts at byte `start`, found by descending on byte offsets rather than
/// walking the children before it.
fn child_at(array: Node<'_>, start: u32) -> Option<Node<'_>> {
    let mut cursor = array.walk();
    cursor.goto_first_child_for_byte(start as usize)?;
    loop {
        let node = cursor.node();
        if node.start_byte() == start as usize && node.is_named() {
            return Some(node);
        }
        if node.start_byte() > start as usize || !cursor.goto_next_sibling() {
            return None;
        }
    }
}
