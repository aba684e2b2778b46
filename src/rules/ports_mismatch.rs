//! `ports-mismatch`: a v1 `ports` map and the env of the same process disagree on a label's port.

use super::{FileCheck, Finding, Rule, Severity};
use crate::labels::Shadowed;
use crate::model::value::number_to_string;

/// The rule.
pub const RULE: Rule = Rule {
    code: "ports-mismatch",
    default_severity: Severity::Warning,
    summary: "The ports map and the env disagree",
    docs: r#"# ports-mismatch

## What it flags
In a file following the older guide (a per-process `ports: { label: port }` map mirrored in `env`), a label that
both the map and the env give, with two different numbers.

## Why it matters
PortOS reads only the map and shows its number, while the process listens on the env's number: the dashboard is
wrong and the real port is not reserved.

## Example
```js
{ name: 'api', ports: { api: 5570 }, env: { PORT: 5571 } }
```

## How to fix
Make them agree — better, move to the later guide's single `PORTS` table and reference it from env.

## Configuration
`[rules] ports-mismatch = "off"` silences it.
"#,
};

/// Reports each env binding whose label the map gives another number.
pub fn check(check: &FileCheck, out: &mut Vec<Finding>) {
    for (process, binding) in check.shadowed() {
        let Some(Shadowed::Mismatch {
            label,
            map_port,
            map_at,
        }) = &binding.shadowed
        else {
            continue;
        };
        let key = binding.uses.first().map(|u| u.key.as_str()).unwrap_or("?");
        let message = format!(
            "the ports map says `{label}` is {}, but `{key}` says {}{}: PortOS shows {}, the process listens on {}",
            number_to_string(*map_port),
            number_to_string(binding.port.number),
            check.environments_note(&binding.environments),
            number_to_string(*map_port),
            number_to_string(binding.port.number),
        );
        let mut finding = check.finding(&RULE, check.binding_range(process, binding), message);
        finding
            .related
            .push(check.related(*map_at, format!("the ports map's `{label}`")));
        if map_port.fract() == 0.0 && (1.0..=65535.0).contains(map_port) {
            finding.fix = Some(super::FixData::SetPort {
                path: check.path_of(binding.port.def),
                range: binding.port.def.range,
                port: *map_port as u16,
                reason: format!("makes `{key}` match the ports map"),
            });
        }
        out.push(finding);
    }
}
