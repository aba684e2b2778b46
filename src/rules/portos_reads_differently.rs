//! `portos-reads-differently`: PortOS's own regex detector reads this file differently from the truth.

use super::{FileCheck, Finding, Rule, Severity};
use crate::labels;
use crate::portos::detector::{self, DetectedProcess};
use crate::syntax::TextRange;

/// The rule.
pub const RULE: Rule = Rule {
    code: "portos-reads-differently",
    default_severity: Severity::Information,
    summary: "PortOS's dashboard will show something else than the file says",
    docs: r#"# portos-reads-differently

## What it flags
A difference between what the file really declares and what PortOS's own detector (a set of regular
expressions over the text) will show in its apps list:
- a phantom process read from a commented-out app, a string, or a helper object that has a `name` key;
- a process PortOS will not see (its first key is not `name`, its name is not a plain string, it is built by
  code);
- wrong ports or labels: commented-out env keys read as live, a `ports` map cut at its first `}`, `--port=N` or
  args arrays missed, spreads and `Object.freeze` tables not followed, label collisions dropping a port;
- a file PortOS does not read at all: PortOS reads only `ecosystem.config.js`, else `ecosystem.config.cjs`, in an
  app's directory — never `.mjs` or other names.
The message says what PortOS will show, so its dashboard is no surprise. `portos-lsp ports --as-portos` prints
PortOS's whole reading.

## Why it matters
PortOS reserves and displays ports from that reading: a port it misses can be handed to another app, and a
phantom process clutters the dashboard and reserves ports nothing uses.

## Example
```js
apps: [
  // { name: 'old-worker', env: { PORT: 5575 } },   ← PortOS shows old-worker:5575
  { name: 'api', env: { PORT: 5570 } },
]
```

## How to fix
Delete dead code rather than commenting it out, keep `name` as the first key of each app, write ports where
PortOS's detector can read them — or accept the difference.

## Configuration
`[rules] portos-reads-differently = "off"` silences it.
"#,
A convention rule: it runs only where PortOS's convention applies (`[app] convention = "auto" | "portos" |
"plain"`; see docs/configuration.md, "Where PortOS's convention applies").
};

/// Reports each difference between PortOS's reading and the truth.
pub fn check(check: &FileCheck, out: &mut Vec<Finding>) {
    let model = check.model();
    let first_range = model
        .processes
        .first()
        .map(|p| check.here(p.name_loc, p.use_loc))
        .unwrap_or_default();
    let name = check
        .path()
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("");
    let read = check.analysis.dir.portos_reads;
    if read != Some(name) {
        if model.processes.is_empty() {
            return;
        }
        let message = match read {
            Some(other) => format!(
                "PortOS reads {other} in this directory, not {name}: this variant is not what its dashboard shows"
            ),
            None => format!(
                "PortOS reads only ecosystem.config.js or ecosystem.config.cjs: it will not find {name}, so none of these processes appear in its apps list"
            ),
        };
        out.push(check.finding(&RULE, first_range, message));
        return;
    }
    let detected = detector::detect(model.text());
    let mut matched = vec![false; detected.len()];
    for labelled in &check.analysis.labels.processes {
        let process = &model.processes[labelled.index];
        let range = check.here(process.name_loc, process.use_loc);
        let found = detected.iter().enumerate().find(|(i, d)| {
            !matched[*i] && process.name_loc.file.0 == 0 && range.contains_range(d.name_range)
        });
        let truth = labels::display_line(process.display_name(), &labelled.listing);
        let Some((i, seen)) = found else {
            if process.name.is_none() {
                // No plain name (a broken or computed one): nothing useful to compare.
                continue;
            }
            let message = format!(
                "PortOS will not see `{}`: its detector finds only apps written as `{{ name: '…'` with `name` first and a plain string name; the file says `{truth}`",
                process.display_name()
            );
            out.push(check.finding(&RULE, range, message));
            continue;
        };
        matched[i] = true;
        let portos: Vec<(String, f64)> = seen
            .ports
            .iter()
            .map(|p| (p.label.clone(), p.port as f64))
            .collect();
        let true_ports: Vec<(String, f64)> = labelled
            .listing
            .iter()
            .map(|p| (p.label.clone(), p.port))
            .collect();
        if portos != true_ports || seen.name != process.display_name() {
            let mut shown = detector::display_line(&seen.name, &seen.ports);
            let mut truth = truth;
            if shown == truth {
                // One port each: the display hides the label, so show the labels that differ.
                shown = with_labels(&seen.name, &portos);
                truth = with_labels(process.display_name(), &true_ports);
            }
            let message = format!("PortOS will show `{shown}` here; the file says `{truth}`");
            out.push(check.finding(&RULE, range, message));
        }
    }
    unlisted(check, out);
    for (i, seen) in detected.iter().enumerate() {
        if matched[i] {
            continue;
        }
        out.push(phantom(check, seen));
    }
}

/// Ports served through flags PortOS's detector does not read (`next -p`, `serve -l`, `--inspect`): its
/// dashboard will not show them (spec §9).
fn unlisted(check: &FileCheck, out: &mut Vec<Finding>) {
    let model = check.model();
    for labelled in &check.analysis.labels.processes {
        let process = &model.processes[labelled.index];
        for binding in &labelled.bindings {
            if binding.shadowed != Some(labels::Shadowed::Unlisted) {
                continue;
            }
            let flag = binding.uses.first().map_or("", |u| u.key.as_str());
            let port = crate::model::value::number_to_string(binding.port.number);
            let what = match binding.rule {
                labels::LabelRule::Inspector => {
                    format!("Node's inspector, `{flag}` of `{}`", process.display_name())
                }
                _ => format!("`{flag}` of `{}`", process.display_name()),
            };
            let message = format!(
                "PortOS will not list port {port} ({what}): its detector reads ports only from `--port` in args and `PORT`/`*_PORT` env keys, so its dashboard will not show this one and may hand it to another app"
            );
            out.push(check.finding(&RULE, check.binding_range(process, binding), message));
        }
    }
}

/// `name (label:port,…)` even for one port, to show a difference in labels.
fn with_labels(name: &str, ports: &[(String, f64)]) -> String {
    let parts: Vec<String> = ports
        .iter()
        .map(|(label, port)| format!("{label}:{}", crate::model::value::number_to_string(*port)))
        .collect();
    format!("{name} ({})", parts.join(","))
}

fn phantom(check: &FileCheck, seen: &DetectedProcess) -> Finding {
    // A name PortOS captured across lines (after an unterminated string) is shown up to its first line.
    let name: String = seen
        .name
        .lines()
        .next()
        .unwrap_or("")
        .chars()
        .take(60)
        .collect();
    let name = if name.len() < seen.name.len() {
        format!("{name}…")
    } else {
        name
    };
    let shown = detector::display_line(&name, &seen.ports);
    let message = format!(
        "PortOS will show a process `{shown}` that the file does not run: its detector takes any `{{ name: '…'` text, in comments, strings and helper objects too"
    );
    check.finding(
        &RULE,
        TextRange::new(seen.name_range.start as usize, seen.name_range.end as usize),
        message,
    )
}
