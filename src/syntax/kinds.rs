//! Node-kind ids of the JavaScript grammar, resolved once: `Node::kind` measures and validates a C string on
//! every call, which showed up in profiles of the mutation search, a walk over every node of a file.

use std::sync::LazyLock;

/// The ids of the named node kinds the mutation search tells apart, for `Node::kind_id`.
pub struct Kinds {
    /// `arrow_function`.
    pub arrow_function: u16,
    /// `function_expression`.
    pub function_expression: u16,
    /// `function` (older grammars' name of a function expression).
    pub function: u16,
    /// `function_declaration`.
    pub function_declaration: u16,
    /// `generator_function`.
    pub generator_function: u16,
    /// `generator_function_declaration`.
    pub generator_function_declaration: u16,
    /// `method_definition`.
    pub method_definition: u16,
    /// `statement_block`.
    pub statement_block: u16,
    /// `for_in_statement`.
    pub for_in_statement: u16,
    /// `for_statement`.
    pub for_statement: u16,
    /// `catch_clause`.
    pub catch_clause: u16,
    /// `call_expression`.
    pub call_expression: u16,
    /// `assignment_expression`.
    pub assignment_expression: u16,
    /// `augmented_assignment_expression`.
    pub augmented_assignment_expression: u16,
    /// `update_expression`.
    pub update_expression: u16,
    /// `unary_expression`.
    pub unary_expression: u16,
}

/// The kind ids, resolved from the bundled grammar on first use.
pub static KINDS: LazyLock<Kinds> = LazyLock::new(|| {
    let language = super::language();
    // A name the grammar lacks maps to u16::MAX, which no node's kind id equals: such a kind is then never
    // matched, exactly as a comparison of names would never match it.
    let id = |name: &str| match language.id_for_node_kind(name, true) {
        0 => u16::MAX,
        id => id,
    };
    Kinds {
        arrow_function: id("arrow_function"),
        function_expression: id("function_expression"),
        function: id("function"),
        function_declaration: id("function_declaration"),
        generator_function: id("generator_function"),
        generator_function_declaration: id("generator_function_declaration"),
        method_definition: id("method_definition"),
        statement_block: id("statement_block"),
        for_in_statement: id("for_in_statement"),
        for_statement: id("for_statement"),
        catch_clause: id("catch_clause"),
        call_expression: id("call_expression"),
        assignment_expression: id("assignment_expression"),
        augmented_assignment_expression: id("augmented_assignment_expression"),
        update_expression: id("update_expression"),
        unary_expression: id("unary_expression"),
    }
});

#[cfg(test)]
mod tests {
    use super::KINDS;

    #[test]
    fn every_kind_the_search_needs_is_in_the_grammar() {
        let k = &*KINDS;
        // `function` is the older grammars' name; the others must all resolve.
        for id in [
            k.arrow_function,
            k.function_expression,
            k.function_declaration,
            k.generator_function,
            k.generator_function_declaration,
            k.method_definition,
            k.statement_block,
            k.for_in_statement,
            k.for_statement,
            k.catch_clause,
            k.call_expression,
            k.assignment_expression,
            k.augmented_assignment_expression,
            k.update_expression,
            k.unary_expression,
        ] {
            assert_ne!(id, u16::MAX);
        }
        let tree = crate::syntax::parse(
            "x = () => { a.push(1) }",
            &crate::syntax::Budget::unlimited(),
        )
        .unwrap()
        .tree;
        let root = tree.raw_root().unwrap();
        let assignment = root.named_child(0).unwrap().named_child(0).unwrap();
        assert_eq!(assignment.kind_id(), k.assignment_expression);
        assert_eq!(
            assignment.child_by_field_name("right").unwrap().kind_id(),
            k.arrow_function
        );
    }
}
