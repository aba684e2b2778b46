//! `unresolved-port`: a port-like key whose value cannot be known statically.

use super::{FileCheck, Finding, Rule, Severity};
use crate::model::{PortValue, Unknown};

/// The rule.
pub const RULE: Rule = Rule {
    code: "unresolved-port",
    default_severity: Severity::Hint,
    summary: "A port whose value cannot be known without running the file",
    docs: r#"# unresolved-port

## What it flags
A port-like key (`PORT`, `*_PORT`, a `ports` entry, `port`) whose value portos-lsp cannot evaluate: a value read
from the environment with no default (`process.env.PORT`), a function call, a string that is not a number.

## Why it matters
Such a port is not checked for clashes, gaps or ranges, and PortOS will not show it either. The hint makes the
blind spot visible instead of silently skipping it.

## Example
```js
env: { PORT: process.env.API_PORT }          // no default
```

## How to fix
Give a literal default (`process.env.API_PORT || 5570`) or reference the `PORTS` table.

## Configuration
`[rules] unresolved-port = "off"` silences it.
"#,
};

/// Reports each port use whose value is unknown or not a number.
pub fn check(check: &FileCheck, out: &mut Vec<Finding>) {
    for process in &check.model().processes {
        for port_use in process.port_uses() {
            let why = match &port_use.value {
                // A misspelt table entry is `undefined-port-constant`'s finding.
                PortValue::Unknown {
                    why: Unknown::Missing(_),
                } => continue,
                PortValue::Unknown { why } => why.describe(),
                PortValue::NotANumber { shown } => format!("{shown} is not a port number"),
                _ => continue,
            };
            let range = check.here(port_use.use_loc, process.use_loc);
            let message = format!(
                "`{}` of `{}` is not checked: {why}",
                port_use.key,
                process.display_name()
            );
            out.push(check.finding(&RULE, range, message));
        }
    }
}
