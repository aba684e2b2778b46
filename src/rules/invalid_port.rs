//! `invalid-port`: a port value is a number that is not an integer in 1–65535.

use super::{FileCheck, Finding, Rule, Severity};
use crate::model::value::number_to_string;
use crate::model::{Loc, Traced, Value};

/// The rule.
pub const RULE: Rule = Rule {
    code: "invalid-port",
    default_severity: Severity::Error,
    summary: "A port number that is not an integer from 1 to 65535",
    docs: r#"# invalid-port

## What it flags
A port value that is a number but not a TCP port: above 65535, negative, or not an integer (`5570.5`). Both
port uses in processes (`ports`, env `*_PORT`, `--port`, `port`) and entries of a `PORTS` table are checked.
`0` means "any free port" to most servers and is left alone; a string that is not a number is reported by
`unresolved-port` instead.

## Why it matters
The process fails to listen (`ERR_SOCKET_BAD_PORT`) or listens somewhere else than PortOS shows. PortOS accepts
such numbers without complaint, so the mistake shows up only at run time.

## Example
```js
const PORTS = { API: 55700 };   // one digit too many
```

## How to fix
Use an integer from the user range (5570–5599 by default).

## Configuration
`[rules] invalid-port = "warning"` lowers it; `"off"` silences it.
"#,
};

fn is_invalid(n: f64) -> bool {
    n != 0.0 && (n.fract() != 0.0 || !(1.0..=65535.0).contains(&n))
}

/// Reports invalid numbers in port uses and in the `PORTS` table.
pub fn check(check: &FileCheck, out: &mut Vec<Finding>) {
    let mut seen: Vec<Loc> = Vec::new();
    for process in &check.model().processes {
        for port_use in process.port_uses() {
            for port in port_use.value.ports() {
                if is_invalid(port.number) && !seen.contains(&port.def) {
                    seen.push(port.def);
                    let range = check.here(port_use.use_loc, process.use_loc);
                    out.push(check.finding(&RULE, range, message(&port_use.key, port.number)));
                }
            }
        }
    }
    if let Some(table) = check.model().ports_table() {
        table_leaves(&table.value, "PORTS", &mut |path, traced| {
            if let Value::Number(n) = traced.value
                && is_invalid(n)
                && !seen.contains(&traced.def)
                && traced.def.file.0 == 0
            {
                seen.push(traced.def);
                out.push(check.finding(&RULE, traced.def.range, message(path, n)));
            }
        });
    }
}

fn message(key: &str, n: f64) -> String {
    format!(
        "`{key}` is {}, which is not a valid port: ports are integers from 1 to 65535",
        number_to_string(n)
    )
}

/// Visits every leaf of a table with its dotted path (`PORTS.gateway.api`).
pub fn table_leaves(value: &Traced, path: &str, visit: &mut dyn FnMut(&str, &Traced)) {
    leaves_below(value, &mut path.to_string(), visit);
}

/// [`table_leaves`] with one path buffer for the whole walk: a table of thousands of entries is walked by
/// three rules on every keystroke.
fn leaves_below(value: &Traced, path: &mut String, visit: &mut dyn FnMut(&str, &Traced)) {
    match &value.value {
        Value::Object(object) => {
            for prop in object.props() {
                let len = path.len();
                path.push('.');
                path.push_str(&prop.key);
                leaves_below(&prop.value, path, visit);
                path.truncate(len);
            }
        }
        Value::Alternatives(items) => items.iter().for_each(|i| leaves_below(i, path, visit)),
        _ => visit(path, value),
    }
}
