//! `outside-user-range`: a user app binds a port outside the user range (and no stronger finding applies).

use super::{FileCheck, Finding, Rule, Severity};
use crate::config::Role;
use crate::labels::LabelledProcess;

/// The rule.
pub const RULE: Rule = Rule {
    code: "outside-user-range",
    default_severity: Severity::Information,
    summary: "A user app uses a port outside the user range",
    docs: r#"# outside-user-range

## What it flags
A port served by a user app outside the user range (5570–5599 by default). It is not given where
`reserved-range`, `port-conflict` (PortOS's core table), `privileged-port` or `common-port` already reports the
same port: one finding per concern.

## Why it matters
The convention keeps every app's block inside the user range so that "which ports are free?" has one answer.
Ports elsewhere are invisible to that reasoning.

## Example
```js
{ name: 'my-api', env: { PORT: 6100 } }
```

## How to fix
Move the app's block into the user range, or widen the range if your machine uses another one.

## Configuration
`[ranges] user = [6000, 6099]` sets the user range; `[app] role = "extension"` for PortOS extensions.
A convention rule: it runs only where PortOS's convention applies (`[app] convention = "auto" | "portos" |
"plain"`; see docs/configuration.md, "Where PortOS's convention applies").
"#,
};

/// Reports served ports of user apps outside the user range.
pub fn check_app(check: &FileCheck, labelled: &LabelledProcess, out: &mut Vec<Finding>) {
    if check.role != Role::User {
        return;
    }
    let user = check.config.ranges.user;
    let process = &check.model().processes[labelled.index];
    for (binding, port) in labelled.served() {
        // One finding per concern: where a stronger rule fires on this port, the registry's precedence
        // (rules::REGISTRY) takes this one out.
        if user.contains(port) {
            continue;
        }
        let message = format!(
            "port {port} ({} of `{}`) is outside PortOS's user range {}–{}{}",
            binding.label,
            process.display_name(),
            user.first,
            user.last,
            check.environments_note(&binding.environments),
        );
        out.push(check.finding(&RULE, check.binding_range(process, binding), message));
    }
}
