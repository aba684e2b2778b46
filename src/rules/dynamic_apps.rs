//! `dynamic-apps`: the apps list is computed at run time, so it cannot be checked statically.

use super::{FileCheck, Finding, Rule, Severity};

/// The rule.
pub const RULE: Rule = Rule {
    code: "dynamic-apps",
    default_severity: Severity::Information,
    summary: "The apps list is computed at run time",
    docs: r#"# dynamic-apps

## What it flags
An `apps` value, or an element or spread of one, that only running code can produce: `apps: names.map(makeApp)`,
`apps: buildApps()`, `apps: [...generated]`.

## Why it matters
portos-lsp never executes your file, so it cannot see those apps or check their ports. It says so once instead
of inventing processes. PortOS's own detector cannot see them either; it may report helper objects instead.

## Example
```js
module.exports = { apps: ['api', 'worker'].map((name, i) => ({ name, env: { PORT: 5570 + i } })) };
```

## How to fix
Write the apps out, or keep their ports in a top-level `PORTS` table that the generated apps read: the table is
still checked.

## Configuration
`[rules] dynamic-apps = "off"` silences it.
"#,
};

/// Reports each part of `apps` computed at run time.
pub fn check(check: &FileCheck, out: &mut Vec<Finding>) {
    for dynamic in &check.model().dynamic_apps {
        let range = check.here(dynamic.loc, check.model().apps_loc.unwrap_or(dynamic.loc));
        let message = format!(
            "the apps list is computed at run time ({}); its processes and ports cannot be checked statically",
            dynamic.why.describe()
        );
        out.push(check.finding(&RULE, range, message));
    }
}
