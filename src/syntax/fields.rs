//! Field ids of the JavaScript grammar, resolved once: looking a field up by its name on every node showed up
//! in profiles of the evaluator (a string search per lookup).

use std::sync::LazyLock;

/// The ids of the fields the evaluator reads, for `Node::child_by_field_id`.
pub struct Fields {
    /// `alias`.
    pub alias: u16,
    /// `alternative`.
    pub alternative: u16,
    /// `argument`.
    pub argument: u16,
    /// `arguments`.
    pub arguments: u16,
    /// `body`.
    pub body: u16,
    /// `condition`.
    pub condition: u16,
    /// `consequence`.
    pub consequence: u16,
    /// `declaration`.
    pub declaration: u16,
    /// `function`.
    pub function: u16,
    /// `index`.
    pub index: u16,
    /// `initializer`.
    pub initializer: u16,
    /// `key`.
    pub key: u16,
    /// `kind` (`const`, `let` or `var` of a `for … of` / `for … in` loop).
    pub kind: u16,
    /// `left`.
    pub left: u16,
    /// `name`.
    pub name: u16,
    /// `object`.
    pub object: u16,
    /// `operator`.
    pub operator: u16,
    /// `parameter` (an arrow function's one unparenthesised parameter).
    pub parameter: u16,
    /// `parameters`.
    pub parameters: u16,
    /// `property`.
    pub property: u16,
    /// `right`.
    pub right: u16,
    /// `source`.
    pub source: u16,
    /// `value`.
    pub value: u16,
}

/// The field ids, resolved from the bundled grammar on first use.
pub static FIELDS: LazyLock<Fields> = LazyLock::new(|| {
    let language = super::language();
    // A name the grammar lacks maps to 0, which `child_by_field_id` never matches: lookups then find nothing,
    // exactly as a by-name lookup of an unknown field would.
    let id = |name: &str| language.field_id_for_name(name).map(u16::from).unwrap_or(0);
    Fields {
        alias: id("alias"),
        alternative: id("alternative"),
        argument: id("argument"),
        arguments: id("arguments"),
        body: id("body"),
        condition: id("condition"),
        consequence: id("consequence"),
        declaration: id("declaration"),
        function: id("function"),
        index: id("index"),
        initializer: id("initializer"),
        key: id("key"),
        kind: id("kind"),
        left: id("left"),
        name: id("name"),
        object: id("object"),
        operator: id("operator"),
        parameter: id("parameter"),
        parameters: id("parameters"),
        property: id("property"),
        right: id("right"),
        source: id("source"),
        value: id("value"),
    }
});

#[cfg(test)]
mod tests {
    #[test]
    fn every_field_exists_in_the_grammar() {
        let fields = &*super::FIELDS;
        for id in [
            fields.key,
            fields.value,
            fields.name,
            fields.object,
            fields.property,
            fields.left,
            fields.right,
            fields.body,
            fields.parameter,
            fields.parameters,
            fields.initializer,
            fields.kind,
        ] {
            assert_ne!(id, 0);
        }
    }
}
