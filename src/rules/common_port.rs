//! `common-port`: a well-known port that other software usually takes.

use super::{FileCheck, Finding, Rule, Severity};

/// The rule.
pub const RULE: Rule = Rule {
    code: "common-port",
    default_severity: Severity::Warning,
    summary: "A well-known port other software usually takes",
    docs: r#"# common-port

## What it flags
A served port that other software commonly uses: 3000 (Node/React dev servers), 5173 (Vite), 5432 (PostgreSQL),
6379 (Redis), 8080 (HTTP alternate), 9229 (Node inspector) and more. The message names the usual owner. Ports a
process connects to (`DB_PORT: 5432`) are not flagged: connecting to PostgreSQL on 5432 is right.

## Why it matters
The guide says to stay away from well-known ports: the day you start that other tool, one of the two fails with
`EADDRINUSE`.

## Example
```js
{ name: 'my-api', env: { PORT: 3000 } }
```

## How to fix
Move to a port in the user range; the quick fix picks the next free one.

## Configuration
`[ranges] common_ports = { 4000 = "Phoenix" }` adds or overrides entries.
"#,
};

/// Reports served ports that are in the common-ports list.
pub fn check(check: &FileCheck, out: &mut Vec<Finding>) {
    for (process, binding, port) in check.served() {
        let Some(owner) = check.config.common_port_owner(port) else {
            continue;
        };
        let message = format!(
            "port {port} ({} of `{}`) is commonly used by {owner}{}; pick a port in the user range",
            binding.label,
            process.display_name(),
            check.environments_note(&binding.environments),
        );
        out.push(check.movable_finding(&RULE, process, binding, port, message));
    }
}
