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

/// Reports each binding PortOS drops on a label collision — once per place, however many environments it
/// holds in (an `env` collision also holds in an `env_production` that only adds `NODE_ENV`).
pub fn check(check: &FileCheck, out: &mut Vec<Finding>) {
    let mut seen: Vec<(Finding, std::collections::BTreeSet<Option<String>>, String)> = Vec::new();
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
            "`{key}` ({}) gets the label `{label}`, which `{}` already has for port {}: PortOS will drop {}",
            number_to_string(binding.port.number),
            process.display_name(),
            number_to_string(*kept),
            number_to_string(binding.port.number),
        );
        let range = check.binding_range(process, binding);
        if let Some((_, environments, _)) = seen
            .iter_mut()
            .find(|(f, _, m)| f.range == range && *m == message)
        {
            environments.extend(binding.environments.iter().cloned());
            continue;
        }
        let mut finding = check.finding(&RULE, range, String::new());
        finding
            .related
            .push(check.related(*kept_at, format!("`{label}` is taken here first")));
        seen.push((finding, binding.environments.clone(), message));
    }
    for (mut finding, environments, message) in seen {
        finding.message = format!("{message}{}", check.environments_note(&environments));
        out.push(finding);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn one_finding_when_another_environment_changes_nothing() {
        let text = "module.exports = { apps: [{ name: 'a', script: 'a.js', env: { PORT: 5570, API_PORT: 5571 }, env_production: { NODE_ENV: 'production' } }] };\n";
        let findings = crate::rules::test_support::findings_in_memory(text);
        let found: Vec<_> = findings
            .iter()
            .filter(|f| f.code == "label-collision")
            .collect();
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(!found[0].message.contains("(in "), "{}", found[0].message);
    }
}
