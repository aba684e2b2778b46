//! `label-collision`: two ports of one process infer the same label, and PortOS keeps only the first.

use super::{FileCheck, Finding, Rule, Severity};
use crate::labels::Shadowed;
use crate::model::value::number_to_string;

/// The rule.
pub const RULE: Rule = Rule {
    code: "label-collision",
    default_severity: Severity::Warning,
    summary: "Two ports of one process get the same label; PortOS drops one",
    docs: r#"# label-collision

## What it flags
Two different ports of one process that PortOS's rules give the same label: `API_PORT` beside `PORT` in an api
process (both `api`), `UI_PORT` beside `PORT` in a `-ui` process, `HEALTH_PORT` in a browser process that has
`PORT` and `CDP_PORT`, or `--port` in args beside a `VITE_PORT` with another number. PortOS keeps the first label
and silently drops the other port.

## Why it matters
The dropped port is still bound when the process runs, but PortOS neither shows it nor reserves it, so it can
hand the same port to another app.

## Example
```js
{ name: 'api', env: { PORT: 5570, API_PORT: 5571 } }   // both labelled api: 5571 is dropped
```

## How to fix
Rename the second key so its label is distinct (`ADMIN_PORT` → `admin`), or declare both in a `ports` map with
distinct labels.

## Configuration
`[rules] label-collision = "off"` silences it.
A convention rule: it runs only where PortOS's convention applies (`[app] convention = "auto" | "portos" |
"plain"`; see docs/configuration.md, "Where PortOS's convention applies").
"#,
};

/// Reports each binding PortOS drops on a label collision.
pub fn check(check: &FileCheck, out: &mut Vec<Finding>) {
    for (process, binding) in check.shadowed() {
        let Some(Shadowed::Collision {
            label,
            kept,
            kept_at,
        }) = &binding.shadowed
        else {
            continue;
        };
        let key = binding.uses.first().map(|u| u.key.as_str()).unwrap_or("?");
        let message = format!(
            "`{key}` ({}) gets the label `{label}`, which `{}` already has for port {}: PortOS will drop {}{}",
            number_to_string(binding.port.number),
            process.display_name(),
            number_to_string(*kept),
            number_to_string(binding.port.number),
            check.environments_note(&binding.environments),
        );
        let mut finding = check.finding(&RULE, check.binding_range(process, binding), message);
        finding
            .related
            .push(check.related(*kept_at, format!("`{label}` is taken here first")));
        out.push(finding);
    }
}
