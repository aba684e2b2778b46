//! `undefined-port-constant`: a member path into a statically known object names a missing key (`PORTS.APU`).

use super::{FileCheck, Finding, FixData, Rule, Severity};
use crate::model::{EvalNote, PortValue, Unknown};

/// The rule.
pub const RULE: Rule = Rule {
    code: "undefined-port-constant",
    default_severity: Severity::Error,
    summary: "A reference to a PORTS entry that does not exist",
    docs: r#"# undefined-port-constant

## What it flags
A member path into an object whose contents are known — the `PORTS` table, a required file's exports — that
names a key the object does not have: `PORTS.APU`, `PORTS.gateway.helth`. Objects whose name mentions ports are
always checked; other objects only where the missing member is used as a port. `process.env.*` and packages'
exports are never flagged: they are not known statically.

## Why it matters
The value is `undefined` at run time: the process falls back to its default port, or `PM2` passes the string
`"undefined"` as `PORT` — nothing fails until two apps collide.

## Example
```js
const PORTS = { API: 5570 };
env: { PORT: PORTS.APU }
```

## How to fix
Fix the name; the message suggests the closest existing key and the quick fix applies it.

## Configuration
`[rules] undefined-port-constant = "off"` silences it.
"#,
};

/// Whether an object's name has the word "port(s)" in it (`PORTS`, `apiPorts`, `PORT_MAP`, `ports.gateway`),
/// as opposed to merely containing the letters (`support`, `transport`, `report`).
fn names_ports(object: &str) -> bool {
    let mut words: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in object.chars() {
        if !c.is_alphanumeric() {
            words.push(std::mem::take(&mut current));
            previous_lower = false;
            continue;
        }
        if c.is_uppercase() && previous_lower {
            words.push(std::mem::take(&mut current));
        }
        previous_lower = c.is_lowercase();
        current.extend(c.to_lowercase());
    }
    words.push(current);
    words.iter().any(|w| w == "port" || w == "ports")
}

/// Edit distance, for "did you mean".
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (row[j + 1] + 1)
                .min(row[j] + 1)
                .min(prev + usize::from(ca != *cb));
            prev = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// The known key closest to `key`, if it is close enough to be a typo.
pub fn suggestion<'k>(key: &str, known: &'k [String]) -> Option<&'k String> {
    known
        .iter()
        .filter(|k| {
            k.eq_ignore_ascii_case(key) || distance(&k.to_lowercase(), &key.to_lowercase()) <= 2
        })
        .min_by_key(|k| distance(k, key))
}

/// Reports missing members of known objects that are ports.
pub fn check(check: &FileCheck, out: &mut Vec<Finding>) {
    let port_use_locs: Vec<_> = check
        .model()
        .processes
        .iter()
        .flat_map(|p| p.port_uses())
        .filter(|u| {
            matches!(
                u.value,
                PortValue::Unknown {
                    why: Unknown::Missing(_)
                }
            )
        })
        .map(|u| u.use_loc)
        .collect();
    for note in &check.model().notes {
        let EvalNote::MissingMember {
            loc,
            object,
            key,
            known,
        } = note
        else {
            continue;
        };
        if loc.file.0 != 0 {
            continue;
        }
        let porty = names_ports(object) || port_use_locs.contains(loc);
        if !porty {
            continue;
        }
        let mut message = format!("`{object}.{key}` is not defined: `{object}` has no key `{key}`");
        let guess = suggestion(key, known);
        match guess {
            Some(guess) => message.push_str(&format!("; did you mean `{object}.{guess}`?")),
            None if !known.is_empty() => {
                let list: Vec<&str> = known.iter().take(8).map(String::as_str).collect();
                message.push_str(&format!(" (it has {})", list.join(", ")));
            }
            None => {}
        }
        let mut finding = check.finding(&RULE, loc.range, message);
        if let Some(guess) = guess {
            finding.fix = Some(FixData::Replace {
                path: check.path().to_path_buf(),
                range: loc.range,
                text: format!("{object}.{guess}"),
            });
        }
        out.push(finding);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_tables_are_named_by_word() {
        for name in ["PORTS", "apiPorts", "PORT_MAP", "ports.gateway", "Ports"] {
            assert!(names_ports(name), "{name}");
        }
        for name in [
            "support",
            "transport",
            "report",
            "passport",
            "portal",
            "cfg",
        ] {
            assert!(!names_ports(name), "{name}");
        }
    }

    #[test]
    fn suggests_close_keys() {
        let known = vec!["API".to_string(), "UI".to_string(), "CDP".to_string()];
        assert_eq!(suggestion("APU", &known).map(String::as_str), Some("API"));
        assert_eq!(suggestion("api", &known).map(String::as_str), Some("API"));
        assert_eq!(suggestion("HEALTHCHECK", &known), None);
    }
}
