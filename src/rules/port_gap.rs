//! `port-gap`: an app's served ports do not form one contiguous block.

use super::{FileCheck, Finding, FixData, Rule, Severity, block};
use crate::model::ProcessOrigin;
use std::collections::{BTreeMap, BTreeSet};

/// The rule.
pub const RULE: Rule = Rule {
    code: "port-gap",
    default_severity: Severity::Warning,
    summary: "The app's ports are not one contiguous block",
    docs: r#"# port-gap

## What it flags
An app (the processes of one ecosystem file) whose served ports leave holes: 5570, 5571 and 5573 miss 5572. Only
definite ports the app serves inside its own range count (the user range for a user app, the reserved range for
an extension, the core range for PortOS) — not ports it connects to, not run-time alternatives, not ports outside
the range, which `outside-user-range` and the other range rules report. A port inside the block that the app
connects to (`DB_PORT: 5571` for its own database container) is taken, not a hole. Each environment
(`env`, and `env` overlaid with each `env_<name>`) is checked on its own. The message names the missing ports.

## Why it matters
The guide's first rule is one contiguous block per app, with no gaps: it is what makes "which ports are free?"
answerable at a glance, and a hole is a port another app will eventually be given, interleaving two apps.

## Example
```js
const PORTS = { API: 5570, UI: 5571, CDP: 5573 };   // 5572 is missing
```

## How to fix
Close the gap; the quick fix moves the highest port into it.

## Configuration
`[rules] port-gap = "off"` silences it.
A convention rule: it runs only where PortOS's convention applies (`[app] convention = "auto" | "portos" |
"plain"`; see docs/configuration.md, "Where PortOS's convention applies").
"#,
};

/// Describes missing ports compactly: `5572`, `5572 and 5574`, `5572–5580`.
fn describe_missing(missing: &[u16]) -> String {
    let mut runs: Vec<(u16, u16)> = Vec::new();
    for &port in missing {
        match runs.last_mut() {
            Some((_, end)) if *end + 1 == port => *end = port,
            _ => runs.push((port, port)),
        }
    }
    let parts: Vec<String> = runs
        .iter()
        .map(|&(a, b)| {
            if a == b {
                a.to_string()
            } else {
                format!("{a}–{b}")
            }
        })
        .collect();
    match parts.as_slice() {
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
        [] => String::new(),
    }
}

/// Reports the missing ports of the app's block, once per distinct set of holes.
pub fn check(check: &FileCheck, out: &mut Vec<Finding>) {
    // The block is the app's ports inside its own range (a convention rule, so always PortOS's range):
    // ports elsewhere (3000, 80) are other rules' findings and would only stretch the "gap" over thousands of
    // ports.
    let scope = block::Scope::of(check.config, check.role, true);
    // A `static` entry's server takes its port but is no part of the block (see `ServedPort::beside_block`).
    let (beside, served): (Vec<_>, Vec<_>) = check
        .served()
        .filter(|(_, b, p)| !b.alternative && scope.contains(*p))
        .partition(|(process, _, _)| process.origin == ProcessOrigin::Static);
    let mut by_holes: BTreeMap<Vec<u16>, BTreeSet<Option<String>>> = BTreeMap::new();
    for env in &check.analysis.labels.environments {
        let ports: BTreeSet<u16> = served
            .iter()
            .filter(|(_, b, _)| b.in_environment(env))
            .map(|(_, _, p)| *p)
            .collect();
        let Some((low, high)) = block::block(ports.iter().copied(), scope) else {
            continue;
        };
        // A port inside the block that the app connects to (its database container, say) is taken, not a
        // hole: moving a process onto it would clash with it.
        let connected: BTreeSet<u16> = check
            .analysis
            .labels
            .processes
            .iter()
            .flat_map(|p| p.bindings.iter())
            .filter(|b| !b.served() && b.in_environment(env))
            .filter_map(|b| b.number())
            .chain(
                beside
                    .iter()
                    .filter(|(_, b, _)| b.in_environment(env))
                    .map(|(_, _, p)| *p),
            )
            .collect();
        let missing: Vec<u16> = (low..=high)
            .filter(|p| !ports.contains(p) && !connected.contains(p))
            .collect();
        if !missing.is_empty() {
            by_holes.entry(missing).or_default().insert(env.clone());
        }
    }
    for (missing, environments) in by_holes {
        let first_missing = missing[0];
        // Point at the first port above the first hole, in an environment that has the hole.
        let above = served
            .iter()
            .filter(|(_, b, p)| {
                *p > first_missing && environments.iter().any(|e| b.in_environment(e))
            })
            .min_by_key(|(_, _, p)| *p);
        let highest = served
            .iter()
            .filter(|(_, b, _)| environments.iter().any(|e| b.in_environment(e)))
            .max_by_key(|(_, _, p)| *p);
        let (Some((process, binding, port)), Some((_, high_binding, high_port))) = (above, highest)
        else {
            continue;
        };
        let count = missing.len();
        let noun = if count == 1 { "port" } else { "ports" };
        let message = format!(
            "the app's ports are not one contiguous block: {noun} {} {} missing before {port}{}",
            describe_missing(&missing),
            if count == 1 { "is" } else { "are" },
            check.environments_note(&environments),
        );
        let mut finding = check.finding(&RULE, check.binding_range(process, binding), message);
        if *high_port > first_missing {
            finding.fix = Some(FixData::SetPort {
                path: check.path_of(high_binding.port.def),
                range: high_binding.port.def.range,
                port: first_missing,
                reason: format!("moves the highest port, {high_port}, into the gap"),
                mirrors: check.mirrors(high_binding),
            });
        }
        out.push(finding);
    }
}

#[cfg(test)]
mod tests {
    use super::describe_missing;

    #[test]
    fn missing_ports_are_named_as_runs() {
        assert_eq!(describe_missing(&[5572]), "5572");
        assert_eq!(describe_missing(&[5572, 5574]), "5572 and 5574");
        assert_eq!(
            describe_missing(&[5572, 5573, 5574, 5580]),
            "5572–5574 and 5580"
        );
    }
}
