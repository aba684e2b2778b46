//! `portos-reads-differently`: PortOS's own regex detector reads this file differently from the truth.

use super::{FileCheck, Finding, Rule, Severity};
use crate::labels;
use crate::model::{FileId, Loc};
use crate::portos::detector::{self, DetectedProcess};
use crate::syntax::{TextKind, TextRange};

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
  app's directory — never `.mjs`, JSON, YAML or other names;
- an app whose `port` differs from its `env.PORT`: PM2 binds `port`, while PortOS reads the env first and shows
  the other number.
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
A convention rule: it runs only where PortOS's convention applies (`[app] convention = "auto" | "portos" |
"plain"`; see docs/configuration.md, "Where PortOS's convention applies").
"#,
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
    // Stdin with no `--stdin-filename` has no name of its own: it is judged as the file PortOS reads.
    if read != Some(name) && name != crate::vfs::STDIN_NAME {
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
    let detected = check.detected();
    let mut unmatched = Unmatched::new(detected.len());
    for labelled in &check.analysis.labels.processes {
        let process = &model.processes[labelled.index];
        let range = check.here(process.name_loc, process.use_loc);
        let found = if process.name_loc.file.0 == 0 {
            unmatched.first_inside(detected, range)
        } else {
            None
        }
        .map(|i| (i, &detected[i]));
        // Built only for a message: most apps read the same both ways.
        let truth = || labels::display_line(process.display_name(), &labelled.listing);
        let Some((i, seen)) = found else {
            if process.name.is_none() {
                // No plain name (a broken or computed one): nothing useful to compare.
                continue;
            }
            let message = format!(
                "PortOS will not see `{}`: its detector finds only apps written as `{{ name: '…'` with `name` first and a plain string name; the file says `{}`",
                process.display_name(),
                truth()
            );
            out.push(check.finding(&RULE, range, message));
            continue;
        };
        unmatched.take(i);
        let same_ports = seen.ports.len() == labelled.listing.len()
            && seen
                .ports
                .iter()
                .zip(labelled.listing.iter())
                .all(|(p, t)| p.label == t.label && p.port as f64 == t.port);
        if !same_ports || seen.name != process.display_name() {
            let mut shown = detector::display_line(&seen.name, &seen.ports);
            let mut truth = truth();
            if shown == truth {
                // One port each: the display hides the label, so show the labels that differ.
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
                shown = with_labels(&seen.name, &portos);
                truth = with_labels(process.display_name(), &true_ports);
            }
            let message = format!("PortOS will show `{shown}` here; the file says `{truth}`");
            out.push(check.finding(&RULE, range, message));
        }
    }
    unlisted(check, out);
    port_shortcut(check, out);
    let mut causes = None;
    for (i, seen) in detected.iter().enumerate() {
        if unmatched.is_taken(i) {
            continue;
        }
        let causes = causes.get_or_insert_with(|| PhantomCauses::new(check));
        out.push(phantom(check, seen, causes));
    }
}

/// Ports served through flags PortOS's detector does not read (`next -p`, `serve -l`, `--inspect`): its
/// dashboard will not show them (spec §9).
fn unlisted(check: &FileCheck, out: &mut Vec<Finding>) {
    let model = check.model();
    for labelled in &check.analysis.labels.processes {
        let process = &model.processes[labelled.index];
        for binding in labelled.bindings.iter() {
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

/// An app whose `port` differs from its `env.PORT`: PM2 binds `port`, while PortOS's detector reads the env
/// first and shows the dead value (detection spec §3.8, spec §11).
fn port_shortcut(check: &FileCheck, out: &mut Vec<Finding>) {
    for process in &check.model().processes {
        let Some(bare) = process.bare_port.as_ref() else {
            continue;
        };
        let Some(port) = bare.value.definite().filter(|p| p.number != 0.0) else {
            continue;
        };
        let env = process
            .env_blocks
            .iter()
            .filter(|b| !b.deploy && b.name == "env")
            .flat_map(|b| b.entries.iter())
            .find(|u| u.key == "PORT" && u.instance.is_none());
        let Some(dead) = env.and_then(|u| u.value.definite()) else {
            continue;
        };
        if dead.number == port.number {
            continue;
        }
        let show = crate::model::value::number_to_string;
        let message = format!(
            "PortOS will show {} for `{}`: its detector reads `env.PORT` before a bare `port`, while PM2 sets `PORT` from `port` and binds {}",
            show(dead.number),
            process.display_name(),
            show(port.number)
        );
        out.push(check.finding(&RULE, check.here(bare.use_loc, process.use_loc), message));
    }
}

/// The detected processes not yet paired with a real one. Detected names are disjoint and in text order, so
/// the candidates for a real process are one contiguous stretch, found by binary search; taken ones are
/// skipped by a path-compressed "next untaken" link, so pairing n processes costs O(n log n), not O(n²).
struct Unmatched {
    /// For each index, an index at or after it that may be untaken (`len` when none is).
    next: Vec<usize>,
}

impl Unmatched {
    fn new(len: usize) -> Self {
        Unmatched {
            next: (0..=len).collect(),
        }
    }

    /// The first untaken index at or after `i`.
    fn untaken_from(&mut self, i: usize) -> usize {
        let mut root = i;
        while self.next[root] != root {
            root = self.next[root];
        }
        let mut at = i;
        while self.next[at] != root {
            let later = self.next[at];
            self.next[at] = root;
            at = later;
        }
        root
    }

    fn take(&mut self, i: usize) {
        self.next[i] = i + 1;
    }

    fn is_taken(&self, i: usize) -> bool {
        self.next[i] != i
    }

    /// The first untaken detected process whose name lies inside `range`.
    fn first_inside(&mut self, detected: &[DetectedProcess], range: TextRange) -> Option<usize> {
        let from = detected.partition_point(|d| d.name_range.start < range.start);
        let mut i = self.untaken_from(from);
        while let Some(d) = detected.get(i) {
            if d.name_range.start >= range.end {
                return None;
            }
            if range.contains_range(d.name_range) {
                return Some(i);
            }
            i = self.untaken_from(i + 1);
        }
        None
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

fn phantom(check: &FileCheck, seen: &DetectedProcess, causes: &mut PhantomCauses) -> Finding {
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
    let every = "PortOS's detector takes every `{ name: '…'` for an app";
    let message = match causes.of(seen.block_range) {
        PhantomCause::Comment => format!(
            "PortOS will show a process `{shown}` that the file does not run: it is in a comment, and PortOS's detector reads comments as code"
        ),
        PhantomCause::Text(what) => format!(
            "PortOS will show a process `{shown}` that the file does not run: it is text inside {what}, and PortOS's detector reads it as code"
        ),
        PhantomCause::SyntaxError(at) => format!(
            "PortOS will show a process `{shown}` that the file does not run: the syntax error on line {} stops PM2 from loading the file, and portos-lsp from reading this part of it as apps; PortOS's detector reads the text regardless",
            check.line_of(Loc::new(FileId(0), at))
        ),
        PhantomCause::InsideApp(app) => format!(
            "PortOS will show a process `{shown}` that the file does not run: it is an object inside the app `{app}`, not an app ({every})"
        ),
        PhantomCause::Dynamic => format!(
            "PortOS will show a process `{shown}` that portos-lsp does not find among the apps: part of `apps` is computed at run time, so whether PM2 runs it is not known ({every})"
        ),
        PhantomCause::Helper => format!(
            "PortOS will show a process `{shown}` that the file does not run: it is an object with a `name` key that is not one of the apps ({every})"
        ),
    };
    check.finding(
        &RULE,
        TextRange::new(seen.name_range.start as usize, seen.name_range.end as usize),
        message,
    )
}

/// Why PortOS's detector found a process that is not one of the file's apps.
#[derive(Debug, PartialEq)]
enum PhantomCause<'a> {
    /// The `{ name: '…'` is in a comment.
    Comment,
    /// It is text inside a string, template literal or regular expression (named).
    Text(&'static str),
    /// It is live code the parser could not read as apps because of a syntax error (the error's range).
    SyntaxError(TextRange),
    /// It is an object nested inside the named app.
    InsideApp(&'a str),
    /// The apps list is partly computed at run time, so it may be an app after all.
    Dynamic,
    /// Live code that is not an app: a helper object with a `name` key.
    Helper,
}

/// What [`PhantomCause`] is decided from: where the file's comments, strings and syntax errors are (from
/// the facts of its one syntax tree, read off it once a phantom is found) and where its apps are.
/// Phantoms are asked about in text order, so each question is a step of a sweep, never a walk up the
/// tree (whose `parent` costs the depth): a file of thousands of nested objects stays linear.
struct PhantomCauses<'a> {
    /// Comments, strings, template literals (their text between substitutions) and regular expressions,
    /// sorted and disjoint, with what each is.
    texts: &'a [(TextRange, TextKind)],
    /// ERROR and MISSING nodes, merged into sorted disjoint ranges.
    broken: &'a [TextRange],
    /// Syntax errors' ranges in text order.
    errors: Vec<TextRange>,
    /// The first syntax error after which the parser cannot tell where things end (`unbounded`).
    first_unbounded: Option<TextRange>,
    /// Each app's object literal in this file, with its name, sorted by start.
    apps: Vec<(TextRange, &'a str)>,
    /// How many of `apps` start before the last position asked about.
    apps_seen: usize,
    /// The apps among those that contain the last position asked about, outermost first.
    open_apps: Vec<(TextRange, &'a str)>,
    dynamic: bool,
}

impl<'a> PhantomCauses<'a> {
    fn new(check: &FileCheck<'a>) -> Self {
        let model = check.model();
        let mut apps: Vec<(TextRange, &'a str)> = model
            .processes
            .iter()
            .filter(|p| p.def.file.0 == 0)
            .map(|p| (p.def.range, p.display_name()))
            .collect();
        // Outer before inner where two start together, so the stack below nests.
        apps.sort_by_key(|(range, _)| (range.start, std::cmp::Reverse(range.end)));
        let spans = model.syntax().text_spans();
        let (texts, broken) = (&spans.texts, &spans.broken);
        let mut errors: Vec<TextRange> = model.syntax_errors.iter().map(|e| e.range).collect();
        errors.sort();
        PhantomCauses {
            texts,
            broken,
            errors,
            first_unbounded: model
                .syntax_errors
                .iter()
                .filter(|e| e.unbounded)
                .map(|e| e.range)
                .min(),
            apps,
            apps_seen: 0,
            open_apps: Vec::new(),
            dynamic: !model.dynamic_apps.is_empty(),
        }
    }

    /// The cause for a detected app whose block (from its `{`) is `block`. Asked in text order.
    fn of(&mut self, block: TextRange) -> PhantomCause<'a> {
        let open = block.start;
        // After an unterminated string, template or comment, or a missing brace, nothing after it can be
        // told apart: code may read as a string and the reverse.
        if let Some(error) = self.first_unbounded.filter(|e| e.start <= open) {
            return PhantomCause::SyntaxError(error);
        }
        let contains = |range: &TextRange| range.start <= open && open < range.end;
        let text = self.texts.partition_point(|(range, _)| range.start <= open);
        if let Some((_, kind)) = text
            .checked_sub(1)
            .map(|i| self.texts[i])
            .filter(|(range, _)| contains(range))
        {
            return match kind {
                TextKind::Comment => PhantomCause::Comment,
                TextKind::Text(what) => PhantomCause::Text(what),
            };
        }
        let broken = self.broken.partition_point(|range| range.start <= open);
        if broken > 0 && contains(&self.broken[broken - 1]) {
            // The error around it: the last one that starts at or before it.
            let before = self.errors.partition_point(|e| e.start <= open);
            let around = before.checked_sub(1).map(|i| self.errors[i]);
            return PhantomCause::SyntaxError(
                around.or(self.errors.first().copied()).unwrap_or_default(),
            );
        }
        // Live code: an object nested in an app (the innermost app around it) …
        while let Some(&app) = self.apps.get(self.apps_seen) {
            if app.0.start >= open {
                break;
            }
            while self
                .open_apps
                .last()
                .is_some_and(|(outer, _)| outer.end <= app.0.start)
            {
                self.open_apps.pop();
            }
            self.open_apps.push(app);
            self.apps_seen += 1;
        }
        while self
            .open_apps
            .last()
            .is_some_and(|(range, _)| range.end <= open)
        {
            self.open_apps.pop();
        }
        if let Some((_, app)) = self.open_apps.last() {
            return PhantomCause::InsideApp(app);
        }
        // … code in or after a syntax error, which the parser may not have read as the author meant (an
        // error after it cannot have changed how it was read; the first one is where reading went
        // wrong) …
        if let Some(&error) = self.errors.first().filter(|e| e.start < block.end) {
            return PhantomCause::SyntaxError(error);
        }
        if self.dynamic {
            return PhantomCause::Dynamic;
        }
        // … or an object with a `name` key that is not in `apps`.
        PhantomCause::Helper
    }
}
