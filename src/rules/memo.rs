//! What the per-app rules found for each app, kept for the next check of the same file: an app whose process
//! and labels are the very ones of the previous version (shared, not rebuilt: its text and place are the
//! same) gets its findings back instead of the rules running on it again.
//!
//! Why this is sound: a per-app rule ([`super::AppCheckFn`]) reads only its app (process, bindings, listing),
//! the configuration, the file's path, format, role, environments and line ending, and the text of the
//! lines the app's object spans. All of those are compared (the shared parts by identity, the rest by
//! value, texts byte for byte) before a reuse.

use super::{Finding, RULE_COUNT};
use crate::config::{Config, Role};
use crate::labels::{Binding, ListedPort};
use crate::model::Process;
use std::sync::Arc;

/// The per-app rules' findings of one check, for the next check of the same file.
#[derive(Default)]
pub struct RuleMemo {
    context: Option<Context>,
    apps: foldhash::HashMap<usize, App>,
}

impl std::fmt::Debug for RuleMemo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuleMemo")
            .field("apps", &self.apps.len())
            .finish()
    }
}

/// What every app's findings also depend on.
#[derive(PartialEq)]
pub(super) struct Context {
    pub(super) config: Config,
    pub(super) path: std::path::PathBuf,
    pub(super) format: crate::syntax::Format,
    pub(super) role: Role,
    pub(super) environments: Vec<Option<String>>,
    pub(super) line_ending: &'static str,
}

/// One app's entry: what it was checked from (held, so the identities cannot be taken by new values) and
/// what each per-app rule found, by the rule's place in the registry.
struct App {
    process: Arc<Process>,
    bindings: Arc<Vec<Binding>>,
    listing: Arc<Vec<ListedPort>>,
    text: Arc<str>,
    findings: [Option<Arc<[Finding]>>; RULE_COUNT],
}

/// The memo being filled by one check, and the previous one it may reuse from.
pub(super) struct Recorder<'p> {
    previous: Option<&'p RuleMemo>,
    next: RuleMemo,
}

impl<'p> Recorder<'p> {
    /// A recorder for a check under `context`; `previous` is used only under the same context.
    pub(super) fn new(context: Context, previous: Option<&'p RuleMemo>) -> Self {
        // Room for as many apps as last time: filling the table from empty rehashes it at every doubling.
        let apps = previous.map_or(0, |p| p.apps.len());
        let previous = previous.filter(|p| p.context.as_ref() == Some(&context));
        Recorder {
            previous,
            next: RuleMemo {
                context: Some(context),
                apps: foldhash::HashMap::with_capacity_and_hasher(apps, Default::default()),
            },
        }
    }

    /// The findings of rule `rule` (its registry index) for an app, added to `out`: the previous check's
    /// where the app is the same, else `run`'s; kept either way (shared, so a reused app's findings are
    /// copied once, into `out`).
    pub(super) fn app_findings(
        &mut self,
        rule: usize,
        app: (&Arc<Process>, &Arc<Vec<Binding>>, &Arc<Vec<ListedPort>>),
        text: &Arc<str>,
        run: impl FnOnce() -> Vec<Finding>,
        out: &mut Vec<Finding>,
    ) {
        let (process, bindings, listing) = app;
        let key = Arc::as_ptr(process) as usize;
        let reused = self
            .previous
            .and_then(|p| p.apps.get(&key))
            .filter(|old| {
                Arc::ptr_eq(&old.process, process)
                    && Arc::ptr_eq(&old.bindings, bindings)
                    && Arc::ptr_eq(&old.listing, listing)
                    && same_lines(&old.text, text, process)
            })
            .and_then(|old| old.findings[rule].clone());
        let found = reused.unwrap_or_else(|| run().into());
        out.extend(found.iter().cloned());
        let entry = self.next.apps.entry(key).or_insert_with(|| App {
            process: process.clone(),
            bindings: bindings.clone(),
            listing: listing.clone(),
            text: text.clone(),
            findings: std::array::from_fn(|_| None),
        });
        entry.findings[rule] = Some(found);
    }

    /// The memo for the next check.
    pub(super) fn finish(self) -> RuleMemo {
        self.next
    }
}

/// Whether the lines `process`'s object spans hold the same bytes in both texts (the object itself is the
/// same; its first line may start, and its last line end, with text of its neighbours).
fn same_lines(before: &str, text: &str, process: &Process) -> bool {
    if process.def.file.0 != 0 {
        return false;
    }
    let (start, end) = (
        process.def.range.start as usize,
        process.def.range.end as usize,
    );
    let lines = |t: &str| -> Option<std::ops::Range<usize>> {
        let from = t.get(..start)?.rfind('\n').map_or(0, |i| i + 1);
        let to = t.get(end..)?.find('\n').map_or(t.len(), |i| end + i);
        Some(from..to)
    };
    match (lines(before), lines(text)) {
        (Some(a), Some(b)) => a == b && crate::syntax::same_span(before, text, a),
        _ => false,
    }
}
