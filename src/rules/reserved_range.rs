//! `reserved-range`: a user app binds a port in PortOS's core or extensions range.

use super::{FileCheck, Finding, Rule, Severity};
use crate::config::{RangeKind, Role};

/// The rule.
pub const RULE: Rule = Rule {
    code: "reserved-range",
    default_severity: Severity::Warning,
    summary: "A user app uses a port in PortOS's core or extensions range",
    docs: r#"# reserved-range

## What it flags
A port served by a user app that lies in PortOS's core range (5554–5560 by default) or in the range reserved for
PortOS extensions (5561–5569). An extension may use the reserved range but not the core range; PortOS itself
(a file of `portos-*` processes, or `[app] role = "core"`) is not checked. A port that is in PortOS's core table
is reported by `port-conflict` instead, naming its owner.

## Why it matters
PortOS and its extensions start on these ports; an app there will clash with them sooner or later, even if the
port happens to be free today.

## Example
```js
{ name: 'my-api', env: { PORT: 5565 } }   // in 5561–5569, reserved for extensions
```

## How to fix
Move the app into the user range (5570–5599); the quick fix picks the next free port.

## Configuration
`[ranges] core`, `reserved` and `user` set the ranges; `[app] role = "extension"` allows the reserved range.
A convention rule: it runs only where PortOS's convention applies (`[app] convention = "auto" | "portos" |
"plain"`; see docs/configuration.md, "Where PortOS's convention applies").
"#,
};

/// Whether a port is in a range the file's role may not use, and which range.
pub fn forbidden_range(check: &FileCheck, port: u16) -> Option<RangeKind> {
    let kind = check.config.range_of(port)?;
    match (check.role, kind) {
        (Role::Core, _) => None,
        (Role::Extension, RangeKind::Core) => Some(kind),
        (Role::User, RangeKind::Core | RangeKind::Reserved) => Some(kind),
        _ => None,
    }
}

/// Reports served ports in forbidden ranges that are not in PortOS's core table.
pub fn check(check: &FileCheck, out: &mut Vec<Finding>) {
    for (process, binding, port) in check.served() {
        let Some(kind) = forbidden_range(check, port) else {
            continue;
        };
        let range = check.config.range(kind);
        let what = match kind {
            RangeKind::Core => "PortOS's core range",
            _ => "the range reserved for PortOS extensions",
        };
        let user = check.config.ranges.user;
        let message = format!(
            "port {port} ({} of `{}`) is in {what} {}–{}{}; user apps belong in {}–{}",
            binding.label,
            process.display_name(),
            range.first,
            range.last,
            check.environments_note(&binding.environments),
            user.first,
            user.last,
        );
        out.push(check.movable_finding(&RULE, process, binding, port, message));
    }
}
