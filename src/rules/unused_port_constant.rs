//! `unused-port-constant`: a `PORTS` entry nothing refers to.

use super::{FileCheck, Finding, Rule, Severity};
use crate::model::{Loc, Traced, Value};

/// The rule.
pub const RULE: Rule = Rule {
    code: "unused-port-constant",
    default_severity: Severity::Hint,
    summary: "A PORTS entry nothing uses",
    docs: r#"# unused-port-constant

## What it flags
An entry of the file's top-level `PORTS` table that nothing in the file reads (no `PORTS.X`, no
`ports: PORTS.group`). When the file exports the table (`module.exports = { PORTS, apps }`), its entries count as
used: the guide makes the table importable, and app code may read them. The entry is shown faded.

## Why it matters
A stale entry keeps a port "allocated" on paper: readers and the allocator's users think it is taken, and the
app's block looks larger than it is.

## Example
```js
const PORTS = { API: 5570, OLD_ADMIN: 5571 };   // OLD_ADMIN is never used
module.exports = { apps: [{ name: 'api', env: { PORT: PORTS.API } }] };
```

## How to fix
Delete the entry, or use it.

## Configuration
`[rules] unused-port-constant = "off"` silences it.
A convention rule: it runs only where PortOS's convention applies (`[app] convention = "auto" | "portos" |
"plain"`; see docs/configuration.md, "Where PortOS's convention applies").
"#,
};

/// Reports leaves of an unexported `PORTS` table that no member access reached.
pub fn check(check: &FileCheck, out: &mut Vec<Finding>) {
    let Some(table) = check.model().ports_table() else {
        return;
    };
    if table.exported {
        return;
    }
    let referenced = &check.model().referenced;
    let Value::Object(object) = &table.value.value else {
        return;
    };
    for prop in object.props() {
        visit(
            check,
            &prop.value,
            prop.key_loc,
            &format!("PORTS.{}", prop.key),
            referenced,
            out,
        );
    }
}

fn visit(
    check: &FileCheck,
    value: &Traced,
    key_loc: Option<Loc>,
    path: &str,
    referenced: &foldhash::HashSet<Loc>,
    out: &mut Vec<Finding>,
) {
    if referenced.contains(&value.def) {
        return;
    }
    match &value.value {
        Value::Object(inner) => {
            for prop in inner.props() {
                let path = format!("{path}.{}", prop.key);
                visit(check, &prop.value, prop.key_loc, &path, referenced, out);
            }
        }
        Value::Number(_) => {
            let Some(loc) = key_loc.filter(|l| l.file.0 == 0) else {
                return;
            };
            let message = format!("`{path}` is never used; the port stays allocated on paper only");
            let mut finding = check.finding(&RULE, loc.range, message);
            finding.unnecessary = true;
            out.push(finding);
        }
        _ => {}
    }
}
