//! `hardcoded-port`: in a file with a `PORTS` table, a literal port that the table should hold.

use super::{FileCheck, Finding, FixData, Rule, Severity};
use crate::model::value::number_to_string;
use crate::model::{PortSource, Value};

/// The rule.
pub const RULE: Rule = Rule {
    code: "hardcoded-port",
    default_severity: Severity::Hint,
    summary: "A literal port where the PORTS table should be referenced",
    docs: r#"# hardcoded-port

## What it flags
In a file that has a top-level `PORTS` table (the later guide's single source of truth), a port written as a
literal number in a process's `env`, `args` or `ports` instead of referencing the table. Files in the older
guide's style (no `PORTS` table) are never flagged, and neither are ports a process connects to.

## Why it matters
Two places to change means one will be forgotten: the table says one thing, the process listens on another.

## Example
```js
const PORTS = { API: 5570 };
apps: [{ name: 'api', env: { PORT: 5570 } }]   // should be PORTS.API
```

## How to fix
Reference the table (`PORT: PORTS.API`); when an entry already holds the number, the quick fix writes the
reference for you.

## Configuration
`[rules] hardcoded-port = "off"` silences it.
A convention rule: it runs only where PortOS's convention applies (`[app] convention = "auto" | "portos" |
"plain"`; see docs/configuration.md, "Where PortOS's convention applies").
"#,
};

/// Reports literal served ports written inside processes of a file with a `PORTS` table.
pub fn check(check: &FileCheck, out: &mut Vec<Finding>) {
    let Some(table) = check.model().ports_table() else {
        return;
    };
    let mut entries: Vec<(String, f64)> = Vec::new();
    super::invalid_port::table_leaves(&table.value, "PORTS", &mut |path, traced| {
        if let Value::Number(n) = traced.value {
            entries.push((path.to_string(), n));
        }
    });
    let mut seen = Vec::new();
    // Every use is looked at, not only the binding's first definition: `--port 5571` beside
    // `VITE_PORT: PORTS.UI` is one binding whose definition is the table, yet the args literal is a second place
    // to change.
    for (process, binding, _) in check.served() {
        for port_use in &binding.uses {
            for port in port_use.value.ports() {
                let def = port.def;
                let written_in_process =
                    def.file == process.def.file && process.def.range.contains_range(def.range);
                if !written_in_process || def.file.0 != 0 || seen.contains(&def) {
                    continue;
                }
                seen.push(def);
                let number = port.number;
                let entry = entries
                    .iter()
                    .find(|(_, n)| *n == number)
                    .map(|(p, _)| p.clone());
                let message = match &entry {
                    Some(path) => format!(
                        "port {} of `{}` is a literal, but the file's `PORTS` table already holds it as `{path}`: reference that",
                        number_to_string(number),
                        process.display_name()
                    ),
                    None => format!(
                        "port {} of `{}` is a literal; add it to the file's `PORTS` table and reference it there",
                        number_to_string(number),
                        process.display_name()
                    ),
                };
                let mut finding = check.finding(&RULE, def.range, message);
                // A number inside a command line (`--port 5571`, `-p 5571`) cannot become `PORTS.X` in place.
                let in_command_line = matches!(
                    port_use.source,
                    PortSource::Args | PortSource::ProgramFlag | PortSource::Inspector(_)
                );
                if let (Some(path), false) = (entry, in_command_line) {
                    finding.fix = Some(FixData::Replace {
                        path: check.path().to_path_buf(),
                        range: def.range,
                        text: path,
                    });
                }
                out.push(finding);
            }
        }
    }
}
