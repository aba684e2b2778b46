//! The v1 → v2 migration (spec §10, "move ports to a top-level PORTS table"): a file whose processes declare
//! `ports` maps or literal ports is rewritten into the later guide's shape — one `const PORTS = { … };` before
//! the exports, env values and `--port` flags as `PORTS.KEY`, `PORTS` exported beside `apps`, the `ports` maps
//! removed — by text edits on the original, so every comment stays. The result is checked before it is offered:
//! it lists the same ports (the PortOS-compatible listing), PortOS's own detector reads it the same, it has no
//! error-level finding, and every comment of the original is still in it. Ports a v1 map hid from PortOS, which
//! PortOS starts to list once the map is gone, are named in [`Migration::newly_listed`].
//!
//! Naming and the other choices are in `docs/decisions.md` ("The v1 → v2 migration").

use crate::analysis::Analysis;
use crate::config::Config;
use crate::ide::actions::{self, Edit};
use crate::labels::{Binding, LabelledProcess, ListedPort, Shadowed, camel_label};
use crate::model::value::number_to_string;
use crate::model::{FileId, PortSource, PortUse, PortValue, Process};
use crate::rules::{self, Severity};
use crate::syntax::{LineIndex, TextRange};
use crate::syntax::{Stopped, SyntaxNode as Node, SyntaxTree};
use crate::vfs::Vfs;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

/// The title of the editor's refactor action (without the note on newly listed ports; see
/// [`Migration::title`]).
pub const ACTION_TITLE: &str = "Move ports to a top-level PORTS table";

/// A migration ready to apply: the edits on the original text and the text they give.
#[derive(Clone, Debug, PartialEq)]
pub struct Migration {
    /// The edits, all in the migrated file, in text order and never overlapping.
    pub edits: Vec<Edit>,
    /// The migrated text (`actions::apply` of the edits).
    pub text: String,
    /// The entries of the new `PORTS` table, in table order.
    pub table: Vec<TableEntry>,
    /// Ports PortOS does not list today, because a `ports` map hides the env, and will list after the migration.
    pub newly_listed: Vec<NewlyListed>,
    /// One line each for what the user should know: the ports that will newly appear, env keys added.
    pub notes: Vec<String>,
}

/// One entry of the new `PORTS` table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableEntry {
    /// The key (`API`, `WORKER_API`).
    pub key: String,
    /// The value as written (`5570`, or the map's own expression when it is not known statically).
    pub value: String,
    /// The process it belongs to.
    pub process: String,
}

/// A port PortOS will newly list once the `ports` map that hid it is gone.
#[derive(Clone, Debug, PartialEq)]
pub struct NewlyListed {
    /// The process.
    pub process: String,
    /// PortOS's label for it.
    pub label: String,
    /// The port.
    pub port: f64,
}

impl Migration {
    /// The action's title: [`ACTION_TITLE`], naming the ports PortOS will newly list, if any.
    pub fn title(&self) -> String {
        if self.newly_listed.is_empty() {
            ACTION_TITLE.to_string()
        } else {
            format!(
                "{ACTION_TITLE} (PortOS will also list {})",
                newly_listed_text(&self.newly_listed)
            )
        }
    }
}

/// Why a file is not migrated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Nothing to do: the file already has a top-level `PORTS` table, or has no ports to move.
    NothingToDo(String),
    /// The file is v1 but cannot be migrated: a syntax error, a run-time apps list, an error to fix first, or
    /// a migration that would change what PortOS lists.
    Cannot(String),
}

impl Refusal {
    /// The reason, a sentence about the file.
    pub fn reason(&self) -> &str {
        match self {
            Refusal::NothingToDo(reason) | Refusal::Cannot(reason) => reason,
        }
    }

    /// Whether there was simply nothing to migrate (not a failure).
    pub fn is_nothing_to_do(&self) -> bool {
        matches!(self, Refusal::NothingToDo(_))
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.reason())
    }
}

/// Re-analyses a candidate text as the same file (same path, Vfs, workspace and connects-to keys).
pub type Reanalyse<'a> = &'a mut dyn FnMut(&str) -> Result<Analysis, Stopped>;

/// Migrates the analysed file, re-analysing the result through `vfs` with `root` as the workspace, as
/// [`crate::ide::Host::analyze`] does. `config` is the file's configuration (for the findings check).
pub fn migrate(
    analysis: &Analysis,
    config: &Config,
    vfs: &dyn Vfs,
    root: &Path,
) -> Result<Migration, Refusal> {
    let path = analysis.model.path().to_path_buf();
    let mut reanalyse = |text: &str| {
        crate::analysis::analyze(
            &path,
            Arc::from(text),
            vfs,
            Some(root.to_path_buf()),
            config,
        )
    };
    migrate_with(analysis, config, &mut reanalyse)
}

/// [`migrate`] with the caller's re-analysis (the editor's snapshot, a test's host).
pub fn migrate_with(
    analysis: &Analysis,
    config: &Config,
    reanalyse: Reanalyse,
) -> Result<Migration, Refusal> {
    let model = &analysis.model;
    if model.format() != crate::syntax::Format::JavaScript {
        return Err(Refusal::Cannot(format!(
            "migrate handles JavaScript files only: a {} file has no top-level bindings to hold a `PORTS` table",
            model.format().name()
        )));
    }
    if !model.syntax_errors.is_empty() {
        return Err(Refusal::Cannot(
            "it has a syntax error; fix it first".into(),
        ));
    }
    if model.bindings.iter().any(|b| b.name == "PORTS") {
        return Err(Refusal::NothingToDo(
            "it already has a top-level PORTS table".into(),
        ));
    }
    if !model.dynamic_apps.is_empty() {
        return Err(Refusal::Cannot(
            "its apps list is computed at run time, so its ports cannot be moved statically".into(),
        ));
    }
    let has_map = model.processes.iter().any(|p| p.ports_map.is_some());
    let has_literal = analysis.labels.processes.iter().any(|lp| {
        let process = &model.processes[lp.index];
        lp.bindings
            .iter()
            .any(|b| b.served() && b.uses.iter().any(|u| is_env_or_args(u, process)))
    });
    if !has_map && !has_literal {
        return Err(Refusal::NothingToDo(
            "it has no ports map and no literal port to move".into(),
        ));
    }
    let report = rules::check_file(analysis, config);
    if let Some(error) = report
        .findings
        .iter()
        .find(|f| f.severity == Severity::Error)
    {
        let line = LineIndex::new(model.text()).line_of(error.range.start as usize) + 1;
        return Err(Refusal::Cannot(format!(
            "it has an error to fix first: {} ({}, line {line})",
            error.message, error.code
        )));
    }

    let planner = Planner::new(analysis);
    let plan = planner.plan()?;
    if plan.table.is_empty() && !has_map {
        return Err(Refusal::NothingToDo(
            "it has no ports map and no literal port to move".into(),
        ));
    }
    let path = model.path().to_path_buf();
    let text = actions::apply(model.text(), &path, &plan.edits);
    let after = reanalyse(&text).map_err(|stopped| {
        Refusal::Cannot(format!(
            "the migrated text could not be checked ({stopped})"
        ))
    })?;
    let newly_listed = verify(analysis, &after, config, &text)?;
    let mut notes = Vec::new();
    if !newly_listed.is_empty() {
        notes.push(format!(
            "PortOS will newly list {}: the ports map hid the env, and PortOS reads only the map when there is \
             one",
            newly_listed_text(&newly_listed)
        ));
    }
    notes.extend(plan.notes);
    Ok(Migration {
        edits: plan.edits,
        text,
        table: plan.table,
        newly_listed,
        notes,
    })
}

/// `shop-api metrics:5579, shop-ui ws:5580`.
fn newly_listed_text(ports: &[NewlyListed]) -> String {
    ports
        .iter()
        .map(|p| format!("{} {}:{}", p.process, p.label, number_to_string(p.port)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether a port use is an env entry or a `--port` flag written inside the process's own literal.
fn is_env_or_args(use_: &PortUse, process: &Process) -> bool {
    matches!(use_.source, PortSource::Env(_) | PortSource::Args)
        && use_.instance.is_none()
        && use_.use_loc.file == FileId(0)
        && process.def.file == FileId(0)
        && process.def.range.contains_range(use_.use_loc.range)
}

// ------------------------------------------------------------------------------------------------------------
// Verification

/// Each process's display name and listing.
fn listings(analysis: &Analysis) -> Vec<(String, Vec<ListedPort>)> {
    analysis
        .labels
        .processes
        .iter()
        .map(|lp| {
            (
                analysis.model.processes[lp.index]
                    .display_name()
                    .to_string(),
                lp.listing.to_vec(),
            )
        })
        .collect()
}

/// `(api:5570,health:5571)`, labels always shown.
fn listing_text(listing: &[ListedPort]) -> String {
    let parts: Vec<String> = listing
        .iter()
        .map(|p| format!("{}:{}", p.label, number_to_string(p.port)))
        .collect();
    format!("({})", parts.join(","))
}

/// Checks the migrated analysis against the original; returns the ports PortOS will newly list.
fn verify(
    before: &Analysis,
    after: &Analysis,
    config: &Config,
    text: &str,
) -> Result<Vec<NewlyListed>, Refusal> {
    let internal = |what: String| Refusal::Cannot(format!("the migration would {what}"));
    if !after.model.syntax_errors.is_empty() {
        return Err(internal("not parse (please report this)".into()));
    }
    if after.model.ports_table().is_none() {
        return Err(internal("not leave a PORTS table PortOS can read".into()));
    }
    let old = listings(before);
    let new = listings(after);
    if old.len() != new.len() || old.iter().zip(&new).any(|(a, b)| a.0 != b.0) {
        return Err(internal("change the processes (please report this)".into()));
    }
    let mut newly = Vec::new();
    for (index, ((name, was), (_, is))) in old.iter().zip(&new).enumerate() {
        let mut matched = 0;
        let mut added = Vec::new();
        for port in is {
            if matched < was.len() && was[matched] == *port {
                matched += 1;
            } else {
                added.push(port);
            }
        }
        let had_map = before.model.processes[index].ports_map.is_some();
        if matched != was.len() || (!added.is_empty() && !had_map) {
            let mut reason = format!(
                "{name}: PortOS would list {} instead of {}",
                listing_text(is),
                listing_text(was)
            );
            if let Some(why) = relabelled(
                &before.labels.processes[index],
                &after.labels.processes[index],
            ) {
                reason.push_str(&format!(": {why}"));
            }
            return Err(Refusal::Cannot(reason));
        }
        newly.extend(added.into_iter().map(|p| NewlyListed {
            process: name.clone(),
            label: p.label.clone(),
            port: p.port,
        }));
    }
    // PortOS's own detector must read the migrated file as it is.
    let read_before = portos_reading(before.model.text(), &old);
    for (((name, listing), read), (was, read_was)) in new
        .iter()
        .zip(portos_reading(text, &new))
        .zip(old.iter().zip(read_before))
    {
        if read == *listing {
            continue;
        }
        if read_was != was.1 {
            return Err(Refusal::Cannot(format!(
                "PortOS's own detector already reads {name} as {} instead of {} (portos-reads-differently), and \
                 would still after the migration; fix that first",
                listing_text(&read_was),
                listing_text(&was.1)
            )));
        }
        return Err(Refusal::Cannot(format!(
            "PortOS's own detector would read {name} in the migrated file as {} instead of {}",
            listing_text(&read),
            listing_text(listing)
        )));
    }
    let report = rules::check_file(after, config);
    if let Some(error) = report
        .findings
        .iter()
        .find(|f| f.severity == Severity::Error)
    {
        return Err(internal(format!(
            "have an error: {} ({})",
            error.message, error.code
        )));
    }
    let kept = comments(before);
    let mut now: BTreeMap<String, usize> = BTreeMap::new();
    for comment in comments(after) {
        *now.entry(comment).or_default() += 1;
    }
    for comment in kept {
        match now.get_mut(&comment) {
            Some(n) if *n > 0 => *n -= 1,
            _ => {
                return Err(internal(format!(
                    "lose the comment `{comment}` (please report this)"
                )));
            }
        }
    }
    Ok(newly)
}

/// What PortOS's own detector reads for each process of `processes` (matched by name, in order).
fn portos_reading(text: &str, processes: &[(String, Vec<ListedPort>)]) -> Vec<Vec<ListedPort>> {
    let detected = crate::portos::detect(text);
    let mut from = 0;
    processes
        .iter()
        .map(|(name, _)| {
            let found = detected
                .iter()
                .skip(from)
                .position(|d| d.name == *name)
                .map(|i| i + from);
            let Some(i) = found else {
                return Vec::new();
            };
            from = i + 1;
            detected[i]
                .ports
                .iter()
                .map(|p| ListedPort {
                    label: p.label.clone(),
                    port: p.port as f64,
                })
                .collect()
        })
        .collect()
}

/// Why a port changed label, when one did: the env key PortOS reads for the number instead of the map.
fn relabelled(before: &LabelledProcess, after: &LabelledProcess) -> Option<String> {
    for was in before.listing.iter() {
        let Some(is) = after
            .listing
            .iter()
            .find(|p| p.port == was.port && p.label != was.label)
        else {
            continue;
        };
        let key = after
            .bindings
            .iter()
            .find(|b| b.label == is.label && b.port.number == was.port)
            .and_then(|b| {
                b.uses
                    .iter()
                    .find(|u| matches!(u.source, PortSource::Env(_)))
            })
            .map(|u| u.key.clone())?;
        return Some(format!(
            "PortOS reads `{key}` as `{}` in this process, and only the ports map called it `{}`",
            is.label, was.label
        ));
    }
    None
}

/// The text of every comment of an analysed file, in text order (from its one parse).
fn comments(analysis: &Analysis) -> Vec<String> {
    let text = analysis.model.text();
    analysis
        .model
        .syntax()
        .comments()
        .iter()
        .map(|range| text[range.as_range()].to_string())
        .collect()
}

// ------------------------------------------------------------------------------------------------------------
// Planning

/// One entry of the new table and every place that will refer to it.
struct Slot {
    /// Index into the model's processes.
    process: usize,
    /// The label as the file states it (a map key; `ui` for a port PortOS shows as `devUi`).
    label: String,
    /// The number, when known.
    number: Option<f64>,
    /// The table value as written.
    value: String,
    /// Where the value is written in this file, when it is moved verbatim (not a known number).
    written: Option<TextRange>,
    /// Literals (env values, args array items) to replace with `PORTS.KEY`.
    literals: Vec<TextRange>,
    /// Args array string items equal to the port, replaced with `` `${PORTS.KEY}` ``.
    items: Vec<TextRange>,
    /// `--port N` digits inside string or template args: (the string node, the digits).
    flags: Vec<(TextRange, TextRange)>,
    /// Whether an env key must be added so PortOS keeps reading the port.
    needs_env: bool,
    /// The env key added, once chosen.
    env_key: Option<String>,
    /// The env block of its first literal, for telling two entries of one label apart.
    block: Option<String>,
    /// The table key, once chosen.
    key: String,
    /// Comments of the map entry, moved with it.
    comments: Moved,
}

/// Comments moved out of a `ports` map, by where they go around a table entry.
#[derive(Default)]
struct Moved {
    /// On their own lines before the entry.
    leading: Vec<String>,
    /// After the entry on its line.
    inline: Vec<String>,
    /// On their own lines after the entry.
    after: Vec<String>,
}

/// The edits and the table a plan arrives at.
struct Plan {
    edits: Vec<Edit>,
    table: Vec<TableEntry>,
    notes: Vec<String>,
}

/// Raw edits before they are merged: `(start, end, priority, text)`; inserts at one offset are joined in
/// priority order (commas first), then in the order they were added.
#[derive(Default)]
struct RawEdits {
    list: Vec<(usize, usize, u8, String)>,
    commas: BTreeSet<usize>,
}

impl RawEdits {
    fn replace(&mut self, range: TextRange, text: impl Into<String>) {
        self.list
            .push((range.start as usize, range.end as usize, 1, text.into()));
    }

    fn insert(&mut self, at: usize, text: impl Into<String>) {
        self.list.push((at, at, 1, text.into()));
    }

    fn remove(&mut self, start: usize, end: usize) {
        if start < end {
            self.list.push((start, end, 1, String::new()));
        }
    }

    /// Sorted, same-offset inserts joined, checked for overlaps.
    fn finish(mut self, path: &Path) -> Result<Vec<Edit>, Refusal> {
        for at in &self.commas {
            self.list.push((*at, *at, 0, ",".into()));
        }
        let mut indexed: Vec<(usize, (usize, usize, u8, String))> =
            self.list.into_iter().enumerate().collect();
        indexed.sort_by_key(|(i, (s, e, p, _))| (*s, *e, *p, *i));
        let mut merged: Vec<(usize, usize, String)> = Vec::new();
        for (_, (start, end, _, text)) in indexed {
            match merged.last_mut() {
                Some(last) if start == end && last.0 == start && last.1 == start => {
                    last.2.push_str(&text)
                }
                Some(last) if last.1 > start => {
                    return Err(Refusal::Cannot(
                        "the migration's edits would overlap (please report this)".into(),
                    ));
                }
                _ => merged.push((start, end, text)),
            }
        }
        Ok(merged
            .into_iter()
            .map(|(start, end, text)| Edit {
                path: path.to_path_buf(),
                range: TextRange::new(start, end),
                text,
            })
            .collect())
    }
}

struct Planner<'a> {
    analysis: &'a Analysis,
    text: &'a str,
    tree: &'a SyntaxTree,
    nl: &'static str,
    unit: String,
    trailing_commas: bool,
}

/// Names a bare identifier in a moved expression may use without being a top-level binding.
const GLOBALS: &[&str] = &[
    "process",
    "Number",
    "parseInt",
    "parseFloat",
    "String",
    "Boolean",
    "Math",
    "JSON",
    "Object",
    "undefined",
    "NaN",
    "Infinity",
    "require",
    "__dirname",
    "__filename",
];

impl<'a> Planner<'a> {
    fn new(analysis: &'a Analysis) -> Self {
        let text = analysis.model.text();
        Planner {
            analysis,
            text,
            tree: &analysis.model.syntax().tree,
            nl: crate::syntax::line_ending(text),
            unit: indent_unit(text),
            trailing_commas: uses_trailing_commas(text),
        }
    }

    // --- text and tree helpers ---

    /// The node spanning exactly `range`, the outermost of several.
    fn node_exact(&self, range: TextRange) -> Option<Node<'_>> {
        let (start, end) = (range.start as usize, range.end as usize);
        let mut node = self.tree.root()?.descendant_for_byte_range(start, end)?;
        if node.start_byte() != start || node.end_byte() != end {
            return None;
        }
        while let Some(parent) = node.parent() {
            if parent.start_byte() == start && parent.end_byte() == end {
                node = parent;
            } else {
                break;
            }
        }
        Some(node)
    }

    /// The smallest node of one of `kinds` that contains `range`.
    fn enclosing(&self, range: TextRange, kinds: &[&str]) -> Option<Node<'_>> {
        let mut node = self
            .tree
            .root()?
            .descendant_for_byte_range(range.start as usize, range.end as usize)?;
        loop {
            if kinds.contains(&node.kind()) {
                return Some(node);
            }
            node = node.parent()?;
        }
    }

    fn line_start(&self, at: usize) -> usize {
        self.text[..at].rfind('\n').map_or(0, |i| i + 1)
    }

    /// The end of the line holding `at`, after its newline.
    fn line_end(&self, at: usize) -> usize {
        self.text[at..]
            .find('\n')
            .map_or(self.text.len(), |i| at + i + 1)
    }

    fn blank(&self, start: usize, end: usize) -> bool {
        self.text[start..end]
            .chars()
            .all(|c| c == ' ' || c == '\t' || c == '\r')
    }

    /// Whether only indentation precedes `at` on its line.
    fn starts_line(&self, at: usize) -> bool {
        self.blank(self.line_start(at), at)
    }

    fn indent_at(&self, at: usize) -> &str {
        let start = self.line_start(at);
        let line = &self.text[start..];
        &line[..line.len() - line.trim_start_matches([' ', '\t']).len()]
    }

    fn line_of(&self, at: usize) -> usize {
        self.text[..at].matches('\n').count()
    }

    /// The members of an object literal (pairs, shorthands, spreads, methods), without comments.
    fn members<'t>(&self, object: Node<'t>) -> Vec<Node<'t>> {
        object
            .named_children()
            .into_iter()
            .filter(|n| n.kind() != "comment")
            .collect()
    }

    /// The `,` after a member, comments skipped.
    fn comma_after<'t>(&self, member: Node<'t>) -> Option<Node<'t>> {
        let mut next = member.next_sibling();
        while let Some(node) = next {
            match node.kind() {
                "comment" => next = node.next_sibling(),
                "," => return Some(node),
                _ => return None,
            }
        }
        None
    }

    /// The `,` before a member, comments skipped.
    fn comma_before<'t>(&self, member: Node<'t>) -> Option<Node<'t>> {
        let mut prev = member.prev_sibling();
        while let Some(node) = prev {
            match node.kind() {
                "comment" => prev = node.prev_sibling(),
                "," => return Some(node),
                _ => return None,
            }
        }
        None
    }

    // --- the plan ---

    fn plan(&self) -> Result<Plan, Refusal> {
        let model = &self.analysis.model;
        let mut slots: Vec<Slot> = Vec::new();
        let mut claimed: BTreeSet<TextRange> = BTreeSet::new();
        let mut edits = RawEdits::default();
        // Comments of a map no entry takes, by process.
        let mut loose: BTreeMap<usize, Vec<String>> = BTreeMap::new();
        // The `ports` pair of each process that has a literal map.
        let mut map_pairs: BTreeMap<usize, Node> = BTreeMap::new();

        for lp in &self.analysis.labels.processes {
            let process = &model.processes[lp.index];
            let name = process.display_name();
            if let Some(shadow) = lp.bindings.iter().find_map(|b| match &b.shadowed {
                Some(Shadowed::Mismatch {
                    label, map_port, ..
                }) => Some((label.clone(), *map_port, b.port.number)),
                _ => None,
            }) {
                return Err(Refusal::Cannot(format!(
                    "{name}: its ports map says {} is {} but its env says {} (ports-mismatch); make them agree \
                     first",
                    shadow.0,
                    number_to_string(shadow.1),
                    number_to_string(shadow.2)
                )));
            }
            let mut taken_bindings: BTreeSet<usize> = BTreeSet::new();
            let first = slots.len();
            if let Some(map) = &process.ports_map {
                if map.via_reference {
                    return Err(Refusal::Cannot(format!(
                        "{name}: its ports map is given by reference; write it out in the app first"
                    )));
                }
                let pair = self.map_pair(process)?;
                map_pairs.insert(lp.index, pair);
                for entry in &map.entries {
                    let slot =
                        self.map_slot(lp, process, entry, &mut taken_bindings, &mut claimed)?;
                    slots.push(slot);
                }
                self.attach_map_comments(
                    pair,
                    &mut slots[first..],
                    loose.entry(lp.index).or_default(),
                );
            }
            for (i, binding) in lp.bindings.iter().enumerate() {
                if taken_bindings.contains(&i) || !binding.served() {
                    continue;
                }
                if let Some(slot) = self.literal_slot(lp, process, binding, &mut claimed)? {
                    slots.push(slot);
                }
            }
        }
        self.choose_env_keys(&mut slots)?;
        self.assign_keys(&mut slots);
        let mut notes = Vec::new();
        for slot in &slots {
            if let Some(key) = &slot.env_key {
                let process = model.processes[slot.process].display_name();
                let value = match slot.number {
                    Some(n) => format!("{}:{}", slot.label, number_to_string(n)),
                    None => format!("`{}`", slot.label),
                };
                notes.push(format!(
                    "{process}: adds `{key}: PORTS.{}` to env so PortOS keeps reading {value} (PM2 will pass {key} \
                     to the process)",
                    slot.key
                ));
            }
        }
        // Rewrites, now that keys are known.
        for slot in &slots {
            for literal in &slot.literals {
                edits.replace(*literal, format!("PORTS.{}", slot.key));
                self.comma_before_comment(*literal, &mut edits);
            }
            for item in &slot.items {
                edits.replace(*item, format!("`${{PORTS.{}}}`", slot.key));
            }
        }
        self.flag_edits(&slots, &mut edits);
        // Maps out, env keys in.
        for lp in &self.analysis.labels.processes {
            let process = &model.processes[lp.index];
            let added: Vec<String> = slots
                .iter()
                .filter(|s| s.process == lp.index)
                .filter_map(|s| s.env_key.as_ref().map(|k| format!("{k}: PORTS.{}", s.key)))
                .collect();
            let map_pair = map_pairs.get(&lp.index).copied();
            if !added.is_empty() {
                if let Some(env) = process.env_blocks.iter().find(|b| b.name == "env") {
                    let object = self
                        .node_exact(env.loc.range)
                        .filter(|n| {
                            n.kind() == "object"
                                && env.loc.file == FileId(0)
                                && process.def.range.contains_range(env.loc.range)
                        })
                        .ok_or_else(|| {
                            Refusal::Cannot(format!(
                                "{}: its env is not written in the app, so the env keys PortOS needs cannot be \
                                 added",
                                process.display_name()
                            ))
                        })?;
                    self.insert_members(object, &added, &mut edits);
                    if let Some(pair) = map_pair {
                        self.remove_member(pair, &mut edits);
                    }
                } else if let Some(pair) = map_pair {
                    edits.replace(pair.range(), format!("env: {{ {} }}", added.join(", ")));
                } else {
                    let app = self.app_object(process)?;
                    self.insert_members(
                        app,
                        &[format!("env: {{ {} }}", added.join(", "))],
                        &mut edits,
                    );
                }
            } else if let Some(pair) = map_pair {
                self.remove_member(pair, &mut edits);
            }
        }
        // The table and its export.
        let (decl, export_at) = self.export_edit(&mut edits)?;
        let starts: Vec<usize> = edits
            .list
            .iter()
            .map(|e| e.0)
            .chain(edits.commas.iter().copied())
            .chain(export_at)
            .collect();
        let first = starts.into_iter().min().unwrap_or(0);
        let statement = self.top_level_statement(first).ok_or_else(|| {
            Refusal::Cannot("cannot tell where to put the PORTS table (please report this)".into())
        })?;
        let at = if self.starts_line(statement.start_byte()) {
            self.line_start(statement.start_byte())
        } else {
            statement.start_byte()
        };
        for slot in slots.iter().filter(|s| s.number.is_none()) {
            self.check_moved_expression(slot, at)?;
        }
        let table_text = self.table_text(&slots, &loose, decl, at);
        edits.insert(at, table_text);
        let table = slots
            .iter()
            .map(|s| TableEntry {
                key: s.key.clone(),
                value: s.value.clone(),
                process: model.processes[s.process].display_name().to_string(),
            })
            .collect();
        Ok(Plan {
            edits: edits.finish(model.path())?,
            table,
            notes,
        })
    }

    /// The `ports: { … }` pair of a process's literal map.
    fn map_pair(&self, process: &Process) -> Result<Node<'_>, Refusal> {
        let name = process.display_name();
        let Some(map) = &process.ports_map else {
            return Err(Refusal::Cannot(format!("{name}: no ports map")));
        };
        let object = self
            .node_exact(map.loc.range)
            .filter(|n| {
                n.kind() == "object"
                    && map.loc.file == FileId(0)
                    && process.def.file == FileId(0)
                    && process.def.range.contains_range(map.loc.range)
            })
            .filter(|_| self.unique_app(process));
        let pair = object
            .and_then(|o| o.parent())
            .filter(|p| p.kind() == "pair");
        pair.ok_or_else(|| {
            Refusal::Cannot(format!(
                "{name}: its ports map is not written in the app itself, so it cannot be moved"
            ))
        })
    }

    /// The app's object literal.
    fn app_object(&self, process: &Process) -> Result<Node<'_>, Refusal> {
        self.node_exact(process.def.range)
            .filter(|n| n.kind() == "object" && process.def.file == FileId(0))
            .filter(|_| self.unique_app(process))
            .ok_or_else(|| {
                Refusal::Cannot(format!(
                    "{}: the app is not an object literal of its own in this file",
                    process.display_name()
                ))
            })
    }

    /// Whether no other process is made from the same literal (an edit there would change both).
    fn unique_app(&self, process: &Process) -> bool {
        self.analysis
            .model
            .processes
            .iter()
            .filter(|p| p.def == process.def)
            .count()
            == 1
    }

    /// A slot for one entry of a literal `ports` map.
    fn map_slot(
        &self,
        lp: &LabelledProcess,
        process: &Process,
        entry: &PortUse,
        taken_bindings: &mut BTreeSet<usize>,
        claimed: &mut BTreeSet<TextRange>,
    ) -> Result<Slot, Refusal> {
        let name = process.display_name();
        let mut slot = Slot {
            process: lp.index,
            label: entry.key.clone(),
            number: None,
            value: String::new(),
            written: None,
            literals: Vec::new(),
            items: Vec::new(),
            flags: Vec::new(),
            needs_env: true,
            env_key: None,
            block: None,
            key: String::new(),
            comments: Moved::default(),
        };
        match &entry.value {
            PortValue::Definite { port } if port.number != 0.0 => {
                slot.number = Some(port.number);
                slot.value = number_to_string(port.number);
                let found = lp.bindings.iter().position(|b| {
                    b.uses.iter().any(|u| {
                        u.source == PortSource::PortsMap
                            && u.key == entry.key
                            && u.use_loc == entry.use_loc
                    })
                });
                if let Some(i) = found {
                    taken_bindings.insert(i);
                    let binding = &lp.bindings[i];
                    slot.needs_env = !binding
                        .uses
                        .iter()
                        .any(|u| matches!(u.source, PortSource::Env(_)));
                    self.collect_literals(&mut slot, process, binding, claimed);
                }
            }
            PortValue::NotANumber { shown } => {
                return Err(Refusal::Cannot(format!(
                    "{name}: its ports map entry `{}` is {shown}, not a port number",
                    entry.key
                )));
            }
            _ => {
                if entry.use_loc.file != FileId(0) {
                    return Err(Refusal::Cannot(format!(
                        "{name}: its ports map entry `{}` is not written in this file",
                        entry.key
                    )));
                }
                slot.value = self.text[entry.use_loc.range.as_range()].to_string();
                slot.written = Some(entry.use_loc.range);
            }
        }
        Ok(slot)
    }

    /// A slot for a served binding with literal uses (env values, `--port` flags), if it has any.
    fn literal_slot(
        &self,
        lp: &LabelledProcess,
        process: &Process,
        binding: &Binding,
        claimed: &mut BTreeSet<TextRange>,
    ) -> Result<Option<Slot>, Refusal> {
        // 0 is no port to PortOS (and "any free port" to most servers): it stays as it is.
        if binding.port.number == 0.0 {
            return Ok(None);
        }
        let label = match &binding.shadowed {
            _ if binding.renamed_to_dev_ui => "ui".to_string(),
            // A second `--port` is labelled by its key; the table names it after the label it lost.
            Some(Shadowed::Collision { label, .. }) if binding.label.starts_with('-') => {
                label.clone()
            }
            _ => binding.label.clone(),
        };
        let mut slot = Slot {
            process: lp.index,
            label,
            number: Some(binding.port.number),
            value: number_to_string(binding.port.number),
            written: None,
            literals: Vec::new(),
            items: Vec::new(),
            flags: Vec::new(),
            needs_env: false,
            env_key: None,
            block: None,
            key: String::new(),
            comments: Moved::default(),
        };
        self.collect_literals(&mut slot, process, binding, claimed);
        if slot.literals.is_empty() && slot.items.is_empty() && slot.flags.is_empty() {
            return Ok(None);
        }
        if !self.unique_app(process) {
            return Err(Refusal::Cannot(format!(
                "{}: its app literal is shared with another process, so its ports cannot be edited for it alone",
                process.display_name()
            )));
        }
        let listed = lp
            .listing
            .iter()
            .any(|l| l.label == binding.label && l.port == binding.port.number);
        let in_env = binding
            .uses
            .iter()
            .any(|u| matches!(u.source, PortSource::Env(_)));
        slot.needs_env = listed && !in_env;
        Ok(Some(slot))
    }

    /// The literal uses of a binding the slot will rewrite: env values, args array items and `--port` digits.
    fn collect_literals(
        &self,
        slot: &mut Slot,
        process: &Process,
        binding: &Binding,
        claimed: &mut BTreeSet<TextRange>,
    ) {
        let number = binding.port.number;
        for use_ in binding.uses.iter().filter(|u| is_env_or_args(u, process)) {
            match &use_.source {
                PortSource::Env(block) => {
                    let range = use_.use_loc.range;
                    let Some(node) = self.node_exact(range) else {
                        continue;
                    };
                    if literal_value(node, self.text) == Some(number) && claimed.insert(range) {
                        slot.literals.push(range);
                        slot.block.get_or_insert_with(|| block.clone());
                    }
                }
                PortSource::Args => {
                    let Some(port) = use_.value.definite() else {
                        continue;
                    };
                    let def = port.def;
                    if def.file != FileId(0)
                        || !use_.use_loc.range.contains_range(def.range)
                        || !claimed.insert(def.range)
                    {
                        continue;
                    }
                    let Some(node) =
                        self.enclosing(def.range, &["number", "string", "template_string"])
                    else {
                        continue;
                    };
                    let digits = &self.text[def.range.as_range()];
                    match node.kind() {
                        "number" if literal_value(node, self.text) == Some(number) => {
                            slot.literals.push(node.range())
                        }
                        "string" | "template_string"
                            if digits.parse::<f64>().ok() == Some(number) =>
                        {
                            let whole = node.kind() == "string"
                                && node.parent().is_some_and(|p| p.kind() == "array")
                                && def.range.start as usize == node.start_byte() + 1
                                && def.range.end as usize == node.end_byte() - 1;
                            if whole {
                                slot.items.push(node.range());
                            } else {
                                slot.flags.push((node.range(), def.range));
                            }
                        }
                        _ => continue,
                    }
                    slot.block.get_or_insert_with(|| "args".into());
                }
                _ => {}
            }
        }
    }

    /// `--port N` inside a string becomes a template literal with `${PORTS.KEY}`; inside a template, just the
    /// digits change.
    fn flag_edits(&self, slots: &[Slot], edits: &mut RawEdits) {
        let mut by_node: BTreeMap<TextRange, Vec<(TextRange, &str)>> = BTreeMap::new();
        for slot in slots {
            for (node, digits) in &slot.flags {
                by_node
                    .entry(*node)
                    .or_default()
                    .push((*digits, slot.key.as_str()));
            }
        }
        for (node_range, mut parts) in by_node {
            parts.sort();
            let Some(node) = self.node_exact(node_range) else {
                continue;
            };
            if node.kind() == "template_string" {
                for (digits, key) in parts {
                    edits.replace(digits, format!("${{PORTS.{key}}}"));
                }
                continue;
            }
            let (start, end) = (node.start_byte() + 1, node.end_byte() - 1);
            let mut out = String::from("`");
            let mut at = start;
            for (digits, key) in parts {
                out.push_str(&template_escape(&self.text[at..digits.start as usize]));
                out.push_str(&format!("${{PORTS.{key}}}"));
                at = digits.end as usize;
            }
            out.push_str(&template_escape(&self.text[at..end]));
            out.push('`');
            edits.replace(node_range, out);
        }
    }

    /// A value that is the last member of its object, followed by a comment on its line, gets a comma: PortOS
    /// reads an env value up to the next comma, `}` or newline, so the comment would otherwise be part of it.
    fn comma_before_comment(&self, literal: TextRange, edits: &mut RawEdits) {
        let Some(pair) = self
            .node_exact(literal)
            .and_then(|n| n.parent())
            .filter(|p| p.kind() == "pair")
        else {
            return;
        };
        if self.comma_after(pair).is_some() {
            return;
        }
        let line = self.line_of(pair.end_byte());
        let next = pair.next_sibling();
        if next.is_some_and(|n| n.kind() == "comment" && self.line_of(n.start_byte()) == line) {
            edits.commas.insert(pair.end_byte());
        }
    }

    /// Sorts the comments of a map's pair onto its entries: a comment inside an entry, or after it on the
    /// same line, trails it; a comment on its own line leads the next entry (or trails the last one).
    fn attach_map_comments(&self, pair: Node, slots: &mut [Slot], loose: &mut Vec<String>) {
        let Some(object) = pair.child_by_field_name("value") else {
            return;
        };
        let members = self.members(object);
        // Entry pairs in map order, matched to slots by their key text.
        let entries: Vec<(Node, usize)> = members
            .iter()
            .filter_map(|m| {
                let key = m.child_by_field_name("key")?;
                let key_text = unquote(&self.text[key.byte_range()]);
                let i = slots.iter().position(|s| s.label == key_text)?;
                Some((*m, i))
            })
            .collect();
        let verbatim: Vec<TextRange> = entries
            .iter()
            .filter(|(_, i)| slots[*i].number.is_none())
            .filter_map(|(m, _)| m.child_by_field_name("value").map(|v| v.range()))
            .collect();
        let found: Vec<Node> = pair
            .descendants()
            .into_iter()
            .filter(|n| n.kind() == "comment")
            .collect();
        for comment in found {
            let range = comment.range();
            if verbatim.iter().any(|v| v.contains_range(range)) {
                continue;
            }
            let text = self.text[comment.byte_range()].to_string();
            let inside_object = object.range().contains_range(range);
            if !inside_object {
                loose.push(text);
                continue;
            }
            if let Some((_, i)) = entries
                .iter()
                .find(|(m, _)| m.range().contains_range(range))
            {
                slots[*i].comments.inline.push(text);
                continue;
            }
            let before = entries
                .iter()
                .rev()
                .find(|(m, _)| m.end_byte() <= comment.start_byte());
            let after = entries
                .iter()
                .find(|(m, _)| m.start_byte() >= comment.end_byte());
            match (before, after) {
                (Some((m, i)), _)
                    if self.line_of(m.end_byte()) == self.line_of(comment.start_byte()) =>
                {
                    slots[*i].comments.inline.push(text)
                }
                (_, Some((_, i))) => slots[*i].comments.leading.push(text),
                (Some((_, i)), None) => slots[*i].comments.after.push(text),
                (None, None) => loose.push(text),
            }
        }
    }

    /// Env keys for the slots that need one, so PortOS reads each port under the same label without the map.
    fn choose_env_keys(&self, slots: &mut [Slot]) -> Result<(), Refusal> {
        let model = &self.analysis.model;
        for index in 0..model.processes.len() {
            let process = &model.processes[index];
            let mut taken: BTreeSet<String> = process
                .env_blocks
                .iter()
                .flat_map(|b| b.entries.iter().map(|e| e.key.clone()))
                .collect();
            let has_cdp = taken.contains("CDP_PORT")
                || slots
                    .iter()
                    .any(|s| s.process == index && s.needs_env && s.label == "cdp");
            for slot in slots
                .iter_mut()
                .filter(|s| s.process == index && s.needs_env)
            {
                match env_key_for(&slot.label, process, has_cdp, &taken) {
                    Some(key) => {
                        taken.insert(key.clone());
                        slot.env_key = Some(key);
                    }
                    // A value not known statically is not listed either way: the table keeps it.
                    None if slot.number.is_none() => {}
                    None => {
                        return Err(Refusal::Cannot(format!(
                            "{}: no env key PortOS reads is free to state {}:{} once the ports map is gone",
                            process.display_name(),
                            slot.label,
                            number_to_string(slot.number.unwrap_or_default())
                        )));
                    }
                }
            }
        }
        Ok(())
    }

    /// Table keys: the label in upper snake case, prefixed with the process's distinguishing name where two
    /// processes share the label, and made unique.
    fn assign_keys(&self, slots: &mut [Slot]) {
        let model = &self.analysis.model;
        let names: Vec<Vec<String>> = model
            .processes
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let snake = upper_snake(p.name.as_deref().unwrap_or(""));
                if snake.is_empty() {
                    vec![format!("APP{}", i + 1)]
                } else {
                    snake.split('_').map(str::to_string).collect()
                }
            })
            .collect();
        let common = if names.len() > 1 {
            (0..)
                .take_while(|&k| names.iter().all(|n| n.len() > k && n[k] == names[0][k]))
                .count()
        } else {
            0
        };
        let short: Vec<String> = names
            .iter()
            .map(|n| {
                if n.len() > common {
                    n[common..].join("_")
                } else {
                    n.join("_")
                }
            })
            .collect();
        let bases: Vec<String> = slots.iter().map(|s| key_base(&s.label)).collect();
        let mut owners: BTreeMap<&str, BTreeSet<usize>> = BTreeMap::new();
        for (slot, base) in slots.iter().zip(&bases) {
            owners.entry(base).or_default().insert(slot.process);
        }
        let mut seen: BTreeSet<String> = BTreeSet::new();
        for (slot, base) in slots.iter_mut().zip(&bases) {
            let mut key = if owners[base.as_str()].len() > 1 {
                let short = &short[slot.process];
                if short == base || short.ends_with(&format!("_{base}")) {
                    short.clone()
                } else {
                    format!("{short}_{base}")
                }
            } else {
                base.clone()
            };
            if key.starts_with(|c: char| c.is_ascii_digit()) {
                key = format!("P_{key}");
            }
            if seen.contains(&key)
                && let Some(block) = slot.block.as_deref()
            {
                let suffix = upper_snake(block.strip_prefix("env_").unwrap_or(block));
                if !suffix.is_empty() && suffix != "ENV" {
                    key = format!("{key}_{suffix}");
                }
            }
            let stem = key.clone();
            let mut n = 2;
            while seen.contains(&key) {
                key = format!("{stem}_{n}");
                n += 1;
            }
            seen.insert(key.clone());
            slot.key = key;
        }
    }

    /// Refuses to move a map value that names a binding declared after the table (it would be read before
    /// it is initialised) or a name that is not top-level at all.
    fn check_moved_expression(&self, slot: &Slot, table_at: usize) -> Result<(), Refusal> {
        let model = &self.analysis.model;
        let name = model.processes[slot.process].display_name();
        // The value as written in this file: its own nodes, from the file's one parse.
        let node = slot
            .written
            .and_then(|range| self.node_exact(range))
            .ok_or_else(|| {
                Refusal::Cannot(format!(
                    "{name}: cannot find its ports map entry `{}` in the file (please report this)",
                    slot.label
                ))
            })?;
        for node in node.descendants() {
            if matches!(node.kind(), "identifier" | "shorthand_property_identifier") {
                let ident = &self.text[node.byte_range()];
                let binding = model.bindings.iter().find(|b| b.name == ident);
                let ok = match binding {
                    Some(b) => {
                        b.name_loc.file == FileId(0) && (b.name_loc.range.start as usize) < table_at
                    }
                    None => GLOBALS.contains(&ident),
                };
                if !ok {
                    return Err(Refusal::Cannot(format!(
                        "{name}: its ports map entry `{}` uses `{ident}`, which the PORTS table cannot see",
                        slot.label
                    )));
                }
            }
        }
        Ok(())
    }

    /// The top-level statement holding `offset`.
    fn top_level_statement(&self, offset: usize) -> Option<Node<'_>> {
        self.tree
            .root()?
            .named_children()
            .into_iter()
            .filter(|n| n.kind() != "comment")
            .find(|n| n.start_byte() <= offset && offset < n.end_byte().max(n.start_byte() + 1))
    }

    /// Exports `PORTS` beside `apps`: `PORTS,` before the `apps` member of the exported object, or
    /// `module.exports.PORTS = PORTS;` after `module.exports.apps = …`; for `export const apps`, the table itself
    /// is exported. Returns the declaration keyword and where the edit is.
    fn export_edit(&self, edits: &mut RawEdits) -> Result<(&'static str, Option<usize>), Refusal> {
        let model = &self.analysis.model;
        let cannot =
            || Refusal::Cannot("cannot tell how to export PORTS beside apps in this file".into());
        let exports = model.exports.as_object().ok_or_else(cannot)?;
        if exports.get("PORTS").is_some() {
            return Err(Refusal::NothingToDo("it already exports PORTS".into()));
        }
        let apps = exports.get("apps").or_else(|| {
            exports
                .get("default")
                .and_then(|d| d.value.as_object())
                .and_then(|o| o.get("apps"))
        });
        let key = apps
            .and_then(|p| p.key_loc)
            .filter(|l| l.file == FileId(0))
            .ok_or_else(cannot)?;
        let node = self.node_exact(key.range).ok_or_else(cannot)?;
        let parent = node.parent().ok_or_else(cannot)?;
        let member = match (node.kind(), parent.kind()) {
            ("shorthand_property_identifier", "object") => Some(node),
            (_, "pair") if parent.child_by_field_name("key") == Some(node) => Some(parent),
            _ => None,
        };
        if let Some(member) = member {
            let at = member.start_byte();
            let text = if self.starts_line(at) {
                format!("PORTS,{}{}", self.nl, self.indent_at(at))
            } else {
                "PORTS, ".to_string()
            };
            edits.insert(at, text);
            return Ok(("const", Some(at)));
        }
        if node.kind() == "member_expression" {
            let object = node.child_by_field_name("object").ok_or_else(cannot)?;
            let statement = self
                .enclosing(node.range(), &["expression_statement"])
                .ok_or_else(cannot)?;
            let at = statement.end_byte();
            edits.insert(
                at,
                format!(
                    "{}{}{}.PORTS = PORTS;",
                    self.nl,
                    self.indent_at(statement.start_byte()),
                    &self.text[object.byte_range()]
                ),
            );
            return Ok(("const", Some(statement.start_byte())));
        }
        if self
            .enclosing(node.range(), &["export_statement"])
            .is_some()
        {
            return Ok(("export const", None));
        }
        Err(cannot())
    }

    /// `const PORTS = { … };` and a blank line, to insert at `at` (a line start, normally).
    fn table_text(
        &self,
        slots: &[Slot],
        loose: &BTreeMap<usize, Vec<String>>,
        decl: &str,
        at: usize,
    ) -> String {
        let nl = self.nl;
        let base = if self.starts_line(at) || at == self.line_start(at) {
            self.indent_at(at).to_string()
        } else {
            String::new()
        };
        let inner = format!("{base}{}", self.unit);
        let model = &self.analysis.model;
        let mut groups: Vec<usize> = slots.iter().map(|s| s.process).collect();
        groups.extend(loose.iter().filter(|(_, c)| !c.is_empty()).map(|(p, _)| *p));
        groups.sort();
        groups.dedup();
        let mut lines: Vec<String> = Vec::new();
        let last = slots.len().saturating_sub(1);
        for &process in &groups {
            if groups.len() > 1 {
                lines.push(format!(
                    "{inner}// {}",
                    model.processes[process].display_name()
                ));
            }
            for comment in loose.get(&process).into_iter().flatten() {
                lines.push(format!("{inner}{comment}"));
            }
            for (i, slot) in slots
                .iter()
                .enumerate()
                .filter(|(_, s)| s.process == process)
            {
                for comment in &slot.comments.leading {
                    lines.push(format!("{inner}{comment}"));
                }
                let comma = if i < last || self.trailing_commas {
                    ","
                } else {
                    ""
                };
                let mut line = format!("{inner}{}: {}{comma}", slot.key, slot.value);
                for comment in &slot.comments.inline {
                    line.push(' ');
                    line.push_str(comment);
                }
                lines.push(line);
                for comment in &slot.comments.after {
                    lines.push(format!("{inner}{comment}"));
                }
            }
        }
        let mut out = String::new();
        let before = &self.text[..at];
        let previous_line = before
            .trim_end_matches(['\n', '\r'])
            .rsplit('\n')
            .next()
            .unwrap_or("");
        if at > 0 && before.ends_with('\n') && !before.trim_end().is_empty() {
            let trimmed = previous_line.trim();
            let is_comment = trimmed.starts_with("//") || trimmed.ends_with("*/");
            if !trimmed.is_empty() && !is_comment && !before.ends_with(&format!("{nl}{nl}")) {
                out.push_str(nl);
            }
        }
        if !self.starts_line(at) {
            out.push_str(nl);
        }
        out.push_str(&format!("{base}{decl} PORTS = {{{nl}"));
        for line in lines {
            out.push_str(&line);
            out.push_str(nl);
        }
        out.push_str(&format!("{base}}};{nl}{nl}"));
        if !self.starts_line(at) {
            out.push_str(&base);
        }
        out
    }

    /// Adds members at the end of an object literal, in its layout: one per line before the closing brace of a
    /// multi-line object, inline otherwise; a comma after the old last member when it has none.
    fn insert_members(&self, object: Node, added: &[String], edits: &mut RawEdits) {
        let members = self.members(object);
        let close = object.end_byte() - 1;
        let Some(last) = members.last() else {
            let open = object.start_byte() + 1;
            let inner = &self.text[open..close];
            if inner.trim().is_empty() {
                edits.replace(
                    TextRange::new(open, close),
                    format!(" {} ", added.join(", ")),
                );
            } else {
                edits.insert(open, format!(" {},", added.join(", ")));
            }
            return;
        };
        let comma = self.comma_after(*last);
        let multiline = self.starts_line(close)
            && self.line_of(last.end_byte()) < self.line_of(close)
            && self.line_of(object.start_byte()) < self.line_of(close);
        if multiline {
            let indent = if self.starts_line(last.start_byte()) {
                self.indent_at(last.start_byte()).to_string()
            } else {
                format!("{}{}", self.indent_at(close), self.unit)
            };
            if comma.is_none() {
                edits.commas.insert(last.end_byte());
            }
            let mut text = String::new();
            for (i, member) in added.iter().enumerate() {
                let comma = if i + 1 < added.len() || comma.is_some() {
                    ","
                } else {
                    ""
                };
                text.push_str(&format!("{indent}{member}{comma}{}", self.nl));
            }
            edits.insert(self.line_start(close), text);
        } else if let Some(comma) = comma {
            edits.insert(comma.end_byte(), format!(" {},", added.join(", ")));
        } else {
            edits.commas.insert(last.end_byte());
            edits.insert(last.end_byte(), format!(" {}", added.join(", ")));
        }
    }

    /// Removes a member of an object with its comma, keeping the layout: a member alone on its line goes with
    /// its line; comments around it stay.
    fn remove_member(&self, member: Node, edits: &mut RawEdits) {
        let (start, end) = (member.start_byte(), member.end_byte());
        let own_line = self.starts_line(start);
        if let Some(comma) = self.comma_after(member) {
            let tight = self.blank(end, comma.start_byte());
            let after = comma.end_byte();
            let eol = self.line_end(after);
            let rest_blank = self.blank(after, eol.saturating_sub(1).max(after))
                && self.text[after..eol].trim().is_empty();
            if tight && own_line && rest_blank {
                edits.remove(self.line_start(start), eol);
                return;
            }
            let mut stop = if tight { after } else { end };
            if tight {
                // Spaces up to whatever follows on the line.
                stop += self.text[stop..].len()
                    - self.text[stop..].trim_start_matches([' ', '\t']).len();
                if self.text[stop..].starts_with(['\n', '\r']) {
                    stop = after;
                }
            }
            edits.remove(start, stop);
            if !tight {
                edits.remove(comma.start_byte(), comma.end_byte());
            }
            return;
        }
        match self.comma_before(member) {
            None => {
                let eol = self.line_end(end);
                if own_line && self.text[end..eol].trim().is_empty() {
                    edits.remove(self.line_start(start), eol);
                } else {
                    edits.remove(start, end);
                }
            }
            Some(comma) => {
                if own_line {
                    let line_start = self.line_start(start);
                    let from = if self.text[..line_start].ends_with(self.nl) {
                        line_start - self.nl.len()
                    } else {
                        line_start.saturating_sub(1)
                    };
                    if from >= comma.end_byte() {
                        edits.remove(comma.start_byte(), comma.end_byte());
                        edits.remove(from, end);
                    } else {
                        edits.remove(comma.start_byte(), end);
                    }
                } else if self.blank(comma.end_byte(), start) {
                    edits.remove(comma.start_byte(), end);
                } else {
                    edits.remove(comma.start_byte(), comma.end_byte());
                    edits.remove(start, end);
                }
            }
        }
    }
}

/// The env key PortOS reads as `label` in `process`, free in its env: `CDP_PORT` for cdp, `VITE_PORT` for a
/// Vite process's ui, `PORT` where PortOS's name rule gives `PORT` that label, else `<LABEL>_PORT`.
fn env_key_for(
    label: &str,
    process: &Process,
    has_cdp: bool,
    taken: &BTreeSet<String>,
) -> Option<String> {
    let name = process.name.as_deref().unwrap_or("").to_lowercase();
    let ends = |suffixes: &[&str]| suffixes.iter().any(|s| name.ends_with(s));
    let port_label = if ends(&["-ui", "_ui", "-client", "_client"]) {
        "ui"
    } else if ends(&["-browser", "_browser"]) && has_cdp {
        "health"
    } else {
        "api"
    };
    let reads = |key: &str| -> String {
        match key {
            "CDP_PORT" => "cdp".into(),
            "PORT" => port_label.into(),
            "VITE_PORT" => "ui".into(),
            other => camel_label(other),
        }
    };
    let mut candidates: Vec<String> = Vec::new();
    if label == "cdp" {
        candidates.push("CDP_PORT".into());
    }
    if label == "ui" && process.uses_vite {
        candidates.push("VITE_PORT".into());
    }
    if label == port_label {
        candidates.push("PORT".into());
    }
    let stem = upper_snake(label);
    if stem.starts_with(|c: char| c.is_ascii_uppercase()) {
        candidates.push(format!("{stem}_PORT"));
    }
    candidates.into_iter().find(|key| {
        !taken.contains(key)
            && reads(key) == label
            && key
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
    })
}

/// `devUi` → `DEV_UI`, `shop-api` → `SHOP_API`, `h2` → `H2`: ASCII letters and digits in upper case, every
/// other character (and a lower-to-upper case change) a word break.
pub fn upper_snake(text: &str) -> String {
    let mut out = String::new();
    let mut previous_lower = false;
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            if c.is_ascii_uppercase() && previous_lower && !out.ends_with('_') {
                out.push('_');
            }
            out.push(c.to_ascii_uppercase());
            previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        } else {
            if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
            previous_lower = false;
        }
    }
    out.trim_end_matches('_').to_string()
}

/// A label's table key before any process prefix.
fn key_base(label: &str) -> String {
    let base = upper_snake(label);
    if base.is_empty() {
        "PORT".into()
    } else if base.starts_with(|c: char| c.is_ascii_digit()) {
        format!("PORT_{base}")
    } else {
        base
    }
}

/// The number a literal node states (`5570`, `0x15C2`, `5_570`, `'5570'`), if it is a plain literal.
fn literal_value(node: Node, text: &str) -> Option<f64> {
    let raw = &text[node.byte_range()];
    match node.kind() {
        "number" => {
            let clean = raw.replace('_', "");
            let radix = |prefix: &[&str], radix: u32| {
                prefix
                    .iter()
                    .find_map(|p| clean.strip_prefix(p))
                    .and_then(|digits| u64::from_str_radix(digits, radix).ok())
                    .map(|n| n as f64)
            };
            radix(&["0x", "0X"], 16)
                .or_else(|| radix(&["0o", "0O"], 8))
                .or_else(|| radix(&["0b", "0B"], 2))
                .or_else(|| clean.parse::<f64>().ok())
        }
        "string" | "template_string" => {
            let inner = raw.get(1..raw.len().saturating_sub(1))?;
            let trimmed = inner.trim();
            (!trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_digit()))
                .then(|| trimmed.parse::<f64>().ok())
                .flatten()
        }
        _ => None,
    }
}

/// A key's text without its quotes.
fn unquote(key: &str) -> &str {
    key.trim_matches(|c| c == '\'' || c == '"')
}

/// Text for inside a template literal: backticks and `${` escaped (other escapes mean the same there).
fn template_escape(raw: &str) -> String {
    raw.replace('`', "\\`").replace("${", "\\${")
}

/// The file's indentation step: a tab, or the smallest indentation of a code line (2 when there is none).
fn indent_unit(text: &str) -> String {
    let mut best: Option<usize> = None;
    for line in text.lines() {
        if line.starts_with('\t') {
            return "\t".into();
        }
        let trimmed = line.trim_start_matches(' ');
        let n = line.len() - trimmed.len();
        if n > 0 && !trimmed.trim().is_empty() && !trimmed.starts_with('*') {
            best = Some(best.map_or(n, |b| b.min(n)));
        }
    }
    " ".repeat(best.unwrap_or(2).clamp(1, 8))
}

/// Whether the file ends multi-line objects and arrays with a trailing comma (the table follows it).
fn uses_trailing_commas(text: &str) -> bool {
    let lines: Vec<&str> = text.lines().collect();
    let (mut with, mut without) = (0, 0);
    for i in 1..lines.len() {
        let t = lines[i].trim_start();
        if !(t.starts_with('}') || t.starts_with(']')) {
            continue;
        }
        let Some(previous) = lines[..i]
            .iter()
            .rev()
            .map(|l| l.trim())
            .find(|l| !l.is_empty())
        else {
            continue;
        };
        let code = match previous.find("//") {
            Some(at) => previous[..at].trim_end(),
            None => previous,
        };
        if code.ends_with(',') {
            with += 1;
        } else if !code.is_empty() && !code.ends_with('{') && !code.ends_with('[') {
            without += 1;
        }
    }
    with >= without
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vfs::MemoryVfs;

    fn run(text: &str) -> Result<Migration, Refusal> {
        let vfs = MemoryVfs::default();
        let path = Path::new("/w/app/ecosystem.config.cjs");
        vfs.insert(path, text);
        let config = Config::default();
        let analysis = crate::analysis::analyze_in_w(path, text, &vfs);
        migrate(&analysis, &config, &vfs, Path::new("/w"))
    }

    fn migrated(text: &str) -> String {
        match run(text) {
            Ok(m) => m.text,
            Err(e) => panic!("not migrated: {e}"),
        }
    }

    fn refused(text: &str) -> String {
        match run(text) {
            Ok(m) => panic!("migrated:\n{}", m.text),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn a_last_map_goes_with_the_comma_before_it() {
        let text = "module.exports = {\n  apps: [\n    {\n      name: 'api',\n      env: { PORT: 5570 }, // env\n      ports: { api: 5570 }\n    }\n  ]\n};\n";
        assert_eq!(
            migrated(text),
            "const PORTS = {\n  API: 5570\n};\n\nmodule.exports = {\n  PORTS,\n  apps: [\n    {\n      name: 'api',\n      env: { PORT: PORTS.API } // env\n    }\n  ]\n};\n"
        );
    }

    #[test]
    fn comments_around_an_inline_map_stay() {
        let text = "module.exports = { apps: [{ name: 'api', /* v1 */ ports: /* map */ { api: 5570 } /* end */, env: { PORT: 5570 } }] };\n";
        let out = migrated(text);
        assert!(out.contains("/* v1 */"), "{out}");
        assert!(out.contains("/* end */"), "{out}");
        assert!(out.contains("  /* map */\n  API: 5570"), "{out}");
        assert!(!out.contains("ports:"), "{out}");
    }

    #[test]
    fn crlf_and_tabs_are_kept() {
        let text = "module.exports = {\r\n\tapps: [\r\n\t\t{\r\n\t\t\tname: 'api',\r\n\t\t\tports: { api: 5570 },\r\n\t\t\tenv: { PORT: 5570 },\r\n\t\t},\r\n\t],\r\n};\r\n";
        let out = migrated(text);
        assert_eq!(
            out,
            "const PORTS = {\r\n\tAPI: 5570,\r\n};\r\n\r\nmodule.exports = {\r\n\tPORTS,\r\n\tapps: [\r\n\t\t{\r\n\t\t\tname: 'api',\r\n\t\t\tenv: { PORT: PORTS.API },\r\n\t\t},\r\n\t],\r\n};\r\n"
        );
    }

    #[test]
    fn a_map_label_the_env_cannot_keep_is_refused_with_the_reason() {
        let text = "module.exports = { apps: [{ name: 'blog-web', ports: { ui: 5583 }, env: { PORT: 5583 } }] };\n";
        let reason = refused(text);
        assert!(
            reason.contains("(api:5583) instead of (ui:5583)"),
            "{reason}"
        );
        assert!(reason.contains("`PORT`"), "{reason}");
    }

    #[test]
    fn a_map_value_naming_a_later_binding_is_refused() {
        let text = "const apps = [{ name: 'api', ports: { api: 5570, ws: late ? 5571 : 5572 } }];\nconst late = process.env.X;\nmodule.exports = { apps };\n";
        assert!(refused(text).contains("`late`"));
    }

    #[test]
    fn env_by_reference_cannot_take_new_keys() {
        let text = "const SHARED = { NODE_ENV: 'x' };\nmodule.exports = { apps: [{ name: 'api', ports: { api: 5570 }, env: SHARED }] };\n";
        assert!(refused(text).contains("env is not written in the app"));
    }

    #[test]
    fn nothing_to_do() {
        assert!(matches!(
            run(
                "const PORTS = { API: 5570 };\nmodule.exports = { PORTS, apps: [{ name: 'a', env: { PORT: PORTS.API } }] };\n"
            ),
            Err(Refusal::NothingToDo(_))
        ));
        assert!(matches!(
            run("module.exports = { apps: [{ name: 'a', script: 'a.js' }] };\n"),
            Err(Refusal::NothingToDo(_))
        ));
        assert!(matches!(
            run("module.exports = { apps: [{ name: 'a', env: { PORT: 5570 } }\n"),
            Err(Refusal::Cannot(_))
        ));
    }

    #[test]
    fn args_arrays_and_connects_to_ports() {
        let text = "module.exports = { apps: [{ name: 'web', script: 'vite', args: ['--port', '5571'] }, { name: 'api', env: { PORT: 5570, DB_PORT: 5432 } }] };\n";
        let out = migrated(text);
        assert!(out.contains("args: ['--port', `${PORTS.UI}`]"), "{out}");
        assert!(out.contains("DB_PORT: 5432"), "{out}");
        assert!(out.contains("VITE_PORT: PORTS.UI"), "{out}");
    }

    #[test]
    fn a_new_port_portos_will_list_is_in_the_title() {
        let text = "module.exports = { apps: [{ name: 'api', ports: { api: 5570 }, env: { PORT: 5570, METRICS_PORT: 5571 } }] };\n";
        let migration = run(text).unwrap();
        assert_eq!(
            migration.title(),
            "Move ports to a top-level PORTS table (PortOS will also list api metrics:5571)"
        );
    }

    #[test]
    fn upper_snake_names() {
        assert_eq!(upper_snake("api"), "API");
        assert_eq!(upper_snake("devUi"), "DEV_UI");
        assert_eq!(upper_snake("cdp"), "CDP");
        assert_eq!(upper_snake("shop-api"), "SHOP_API");
        assert_eq!(upper_snake("metricsHttp"), "METRICS_HTTP");
        assert_eq!(upper_snake("h2"), "H2");
        assert_eq!(upper_snake("🚀-launch"), "LAUNCH");
        assert_eq!(upper_snake("api-local"), "API_LOCAL");
    }

    #[test]
    fn literal_numbers() {
        let text = "x = [5570, 0x15C2, 5_570, '5570', `5570`, 'a']";
        let parsed = crate::syntax::parse(text, &crate::syntax::Budget::unlimited()).unwrap();
        let mut values = Vec::new();
        for node in parsed.tree.root().unwrap().descendants() {
            // A template's own string fragments are not literals of their own.
            if matches!(node.kind(), "number" | "string" | "template_string")
                && !node
                    .parent()
                    .is_some_and(|p| matches!(p.kind(), "string" | "template_string"))
            {
                values.push((node.start_byte(), literal_value(node, text)));
            }
        }
        values.sort_by_key(|v| v.0);
        let values: Vec<Option<f64>> = values.into_iter().map(|v| v.1).collect();
        assert_eq!(
            values,
            vec![
                Some(5570.0),
                Some(5570.0),
                Some(5570.0),
                Some(5570.0),
                Some(5570.0),
                None
            ]
        );
    }

    #[test]
    fn layout_detection() {
        assert_eq!(indent_unit("a\n    b\n  c\n"), "  ");
        assert_eq!(indent_unit("a\n\tb\n"), "\t");
        assert!(uses_trailing_commas("x = {\n  a: 1,\n};\n"));
        assert!(!uses_trailing_commas("x = {\n  a: 1\n};\n"));
    }
}
