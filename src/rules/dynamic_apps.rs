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
`apps: buildApps()`, `apps: [...generated]`, or exports built at run time (`module.exports = makeConfig()`),
from which PM2 starts whatever they hold.

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

/// Reports, once per apps value (spec §1), the parts of `apps` computed at run time.
pub fn check(check: &FileCheck, out: &mut Vec<Finding>) {
    let dynamic = &check.model().dynamic_apps;
    let Some(first) = dynamic.first() else {
        return;
    };
    let apps = check.model().apps_loc.unwrap_or(first.loc);
    let range = check.here(apps, first.loc);
    let mut reasons: Vec<String> = Vec::new();
    for part in dynamic {
        let why = part.why.describe();
        if !reasons.contains(&why) {
            reasons.push(why);
        }
    }
    let what = if dynamic.len() == 1 {
        "the apps list is computed at run time".to_string()
    } else {
        format!(
            "{} parts of the apps list are computed at run time",
            dynamic.len()
        )
    };
    let message = format!(
        "{what} ({}); those processes and ports cannot be checked statically",
        reasons.join("; ")
    );
    out.push(check.finding(&RULE, range, message));
}

#[cfg(test)]
mod tests {
    #[test]
    fn one_finding_per_apps_value_however_many_parts_are_dynamic() {
        let text = "const a = require('x');\nconst b = require('y');\nmodule.exports = { apps: [...a.list, { name: 'w', script: 'w.js' }, ...b.list] };\n";
        let findings = crate::rules::test_support::findings_in_memory(text);
        let dynamic: Vec<_> = findings
            .iter()
            .filter(|f| f.code == "dynamic-apps")
            .collect();
        assert_eq!(dynamic.len(), 1, "{dynamic:#?}");
        assert!(
            dynamic[0].message.starts_with("2 parts of the apps list"),
            "{}",
            dynamic[0].message
        );
    }
}
