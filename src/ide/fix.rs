//! Fixes you can trust: every fix is verified before it is offered or written. One verification for the
//! editor's quick fixes, its fix-all, `check --fix`, `--diff` and `migrate`: the edited text is analysed
//! again with the rest of its workspace as context, and the fix is kept only when it resolves the finding it
//! targets, adds no finding at warning level or above, keeps every mirror of a moved port in step (a v1
//! `ports` map and its env key; a `PORTS` entry and its uses move together by construction), and gives no
//! two processes or apps one port.
//!
//! Fix-all verifies the combined result of a pass and falls back to smaller sets only where that fails
//! (halving the pass), so a file with thousands of findings costs a few analyses, not one per fix.

use super::actions::{self, Edit, Fix};
use super::external::ExternalRequest;
use super::inputs::{self, Unreadable};
use super::migrate::{self, Migration, Refusal};
use super::{Host, diagnostics};
use crate::analysis::{self, Analysis};
use crate::config::{Config, Role};
use crate::features::occupied::{self, AppPorts};
use crate::rules::{self, AppSummary, ExternalPorts, FileCheck, FileReport, Finding, Severity};
use crate::syntax::TextRange;
use crate::vfs::{DirEntry, Vfs};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// At most this many fix-all passes: each pass applies every fix that verifies, so a pass that changes
/// nothing ends the loop long before.
const MAX_PASSES: usize = 32;

/// Everything a fix's verification reads besides the text.
pub struct FixContext<'a> {
    /// The file being fixed.
    pub path: &'a Path,
    /// Its configuration.
    pub config: &'a Config,
    /// Its workspace root (bounds `require`).
    pub root: &'a Path,
    /// The other files of its workspace.
    pub others: &'a [&'a FileReport],
    /// Ports held outside the workspace, as this file's app sees them.
    pub external: &'a ExternalPorts,
    /// The workspace's decision on PortOS's convention (`None`: undecided, every rule; the allocator then
    /// works in PortOS's ranges).
    pub convention: Option<bool>,
    /// Where required files are read.
    pub vfs: &'a dyn Vfs,
}

/// What one text of the file reads as, for judging a fix made to it.
pub struct Reading {
    /// Its findings, assembled as `check` reports them.
    pub findings: Vec<Finding>,
    /// The allocator's view of its app.
    pub ports: AppPorts,
    /// How many served bindings of the file state each port.
    served: HashMap<u16, usize>,
    /// How many differences each process's v1 `ports` map has with the rest of it (by process index).
    mismatches: Vec<usize>,
    /// How many ports each process's v1 `ports` map and the rest of it disagree on (by process index): one
    /// label mismatch can put one port or two out of step.
    out_of_step: Vec<usize>,
    /// Whether the text has a syntax error (whatever the configuration does with `syntax-error`).
    syntax_error: bool,
    /// The app's directory and role.
    app_dir: PathBuf,
    role: Role,
}

impl Reading {
    /// The reading of an analysis whose findings and allocator view are at hand (the editor's snapshot).
    pub fn of(
        analysis: &Analysis,
        findings: Vec<Finding>,
        ports: AppPorts,
        config: &Config,
    ) -> Self {
        let check = FileCheck::new(analysis, config);
        let mut served: HashMap<u16, usize> = HashMap::new();
        for (_, _, port) in check.served() {
            *served.entry(port).or_default() += 1;
        }
        let mut mismatches = vec![0; analysis.model.processes.len()];
        for (process, _) in rules::ports_mismatch::differences(&check) {
            if let Some(count) = mismatches.get_mut(process) {
                *count += 1;
            }
        }
        let mut out_of_step = vec![0; analysis.model.processes.len()];
        for (process, count) in rules::ports_mismatch::out_of_step(&check) {
            if let Some(slot) = out_of_step.get_mut(process) {
                *slot = count;
            }
        }
        Reading {
            findings,
            ports,
            served,
            mismatches,
            out_of_step,
            syntax_error: !analysis.model.syntax_errors.is_empty(),
            app_dir: analysis.dir.app_dir.clone(),
            role: check.role,
        }
    }
}

/// The Vfs with some files' texts replaced: how a fix that edits a required file (`ports.cjs`) is checked
/// before anything is written.
struct Patched<'a> {
    base: &'a dyn Vfs,
    files: &'a [(PathBuf, String)],
}

impl Patched<'_> {
    fn patched(&self, path: &Path) -> Option<&String> {
        let path = self.base.normalize(path);
        self.files
            .iter()
            .find(|(p, _)| self.base.normalize(p) == path)
            .map(|(_, text)| text)
    }
}

impl Vfs for Patched<'_> {
    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        match self.patched(path) {
            Some(text) => Ok(text.as_bytes().to_vec()),
            None => self.base.read(path),
        }
    }
    fn size(&self, path: &Path) -> std::io::Result<u64> {
        match self.patched(path) {
            Some(text) => Ok(text.len() as u64),
            None => self.base.size(path),
        }
    }
    fn is_file(&self, path: &Path) -> bool {
        self.patched(path).is_some() || self.base.is_file(path)
    }
    fn exists(&self, path: &Path) -> bool {
        self.patched(path).is_some() || self.base.exists(path)
    }
    fn is_dir(&self, path: &Path) -> bool {
        self.base.is_dir(path)
    }
    fn list_dir(&self, path: &Path) -> std::io::Result<Vec<DirEntry>> {
        self.base.list_dir(path)
    }
    fn absolute(&self, path: &Path) -> PathBuf {
        self.base.absolute(path)
    }
    fn walk(&self, root: &Path) -> (Vec<PathBuf>, Vec<(PathBuf, String)>) {
        self.base.walk(root)
    }
    fn canonical(&self, path: &Path) -> Option<PathBuf> {
        self.base.canonical(path)
    }
    fn normalize(&self, path: &Path) -> PathBuf {
        self.base.normalize(path)
    }
}

impl FixContext<'_> {
    /// A file's text, read through the context's file system.
    fn read(&self, path: &Path) -> Option<String> {
        self.vfs
            .read(path)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
    }

    /// Whether PortOS's convention applies to the allocator's answers.
    fn allocator_convention(&self) -> bool {
        self.convention.unwrap_or(true)
    }

    /// What `text` (with the other files of `patched` edited too) reads as; `None` when it cannot be
    /// analysed (its parse ran over its budget).
    pub fn reading(&self, text: &str, patched: &[(PathBuf, String)]) -> Option<Reading> {
        let patched_vfs = Patched {
            base: self.vfs,
            files: patched,
        };
        let vfs: &dyn Vfs = if patched.is_empty() {
            self.vfs
        } else {
            &patched_vfs
        };
        let analysis = analysis::analyze(
            self.path,
            Arc::from(text),
            vfs,
            Some(self.root.to_path_buf()),
            self.config,
        )
        .ok()?;
        let report = diagnostics::report(&analysis, self.config);
        let mut all: Vec<&FileReport> = self.others.to_vec();
        all.push(&report);
        let cross = diagnostics::cross_file(&report, &all, self.config, self.external);
        let findings = diagnostics::assemble(&report, cross, self.config, self.convention);
        let summaries: Vec<&AppSummary> = all.iter().map(|r| &r.summary).collect();
        let ports = occupied::app_ports(
            &analysis.dir.app_dir,
            &analysis.dir.app_name,
            &summaries,
            self.config,
            self.external,
            self.allocator_convention(),
        );
        Some(Reading::of(&analysis, findings, ports, self.config))
    }
}

/// How offsets of the text before some edits move in the text after them.
struct Shift {
    /// Each edit of the file, by position: where it was, and how much longer it made the text.
    edits: Vec<(TextRange, i64)>,
    /// The sum of the growth of the edits before each index (one more entry than `edits`).
    before: Vec<i64>,
}

impl Shift {
    fn new(path: &Path, edits: &[&Edit]) -> Self {
        let mut mine: Vec<(TextRange, i64)> = edits
            .iter()
            .filter(|e| e.path == path)
            .map(|e| {
                (
                    e.range,
                    e.text.len() as i64 - i64::from(e.range.end - e.range.start),
                )
            })
            .collect();
        mine.sort_by_key(|(range, _)| (range.start, range.end));
        let mut before = Vec::with_capacity(mine.len() + 1);
        let mut sum = 0;
        before.push(0);
        for (_, growth) in &mine {
            sum += growth;
            before.push(sum);
        }
        Shift {
            edits: mine,
            before,
        }
    }

    /// Where `range` is after the edits: its start moves by every edit ending at or before it, its end by
    /// those too except an insertion right at the end (an edit of the range's own literal stretches it).
    fn range(&self, range: TextRange) -> TextRange {
        let upto = |at: u32| self.edits.partition_point(|(r, _)| r.end <= at);
        let moved = |at: u32, delta: i64| u32::try_from(i64::from(at) + delta).unwrap_or(at);
        let start = moved(range.start, self.before[upto(range.start)]);
        let last = upto(range.end);
        let inserted_at_end: i64 = self.edits[..last]
            .iter()
            .rev()
            .take_while(|(r, _)| r.end == range.end)
            .filter(|(r, _)| r.start == r.end && r.start > range.start)
            .map(|(_, growth)| growth)
            .sum();
        let end = moved(range.end, self.before[last] - inserted_at_end);
        TextRange {
            start,
            end: end.max(start),
        }
    }
}

/// Checks the fixes together against the text `before` reads as; `Err` says why they may not be offered or
/// written. Each fix comes with the finding it targets (none for a migration).
pub fn verify(
    ctx: &FixContext,
    before: &Reading,
    text: &str,
    fixes: &[(Option<&Finding>, &Fix)],
) -> Result<(), String> {
    let edits: Vec<&Edit> = fixes.iter().flat_map(|(_, fix)| &fix.edits).collect();
    let owned: Vec<Edit> = edits.iter().map(|e| (*e).clone()).collect();
    let candidate = actions::apply(text, ctx.path, &owned);
    let mut patched: Vec<(PathBuf, String)> = Vec::new();
    for path in edits
        .iter()
        .map(|e| &e.path)
        .filter(|p| *p != ctx.path)
        .collect::<BTreeSet<_>>()
    {
        let old = ctx
            .read(path)
            .ok_or_else(|| format!("{} cannot be read", path.display()))?;
        patched.push((path.clone(), actions::apply(&old, path, &owned)));
    }
    let after = ctx
        .reading(&candidate, &patched)
        .ok_or("the fixed text could not be analysed in time")?;
    if after.syntax_error && !before.syntax_error {
        return Err("it would break the file's syntax".into());
    }
    let shift = Shift::new(ctx.path, &edits);
    // It resolves the finding it targets (one whose message changes has moved on: a gap half filled).
    for finding in fixes.iter().filter_map(|(finding, _)| *finding) {
        let at = shift.range(finding.range);
        if after
            .findings
            .iter()
            .any(|f| f.code == finding.code && f.range == at && f.message == finding.message)
        {
            return Err(format!("it would not resolve the {} finding", finding.code));
        }
    }
    // It adds no finding at warning level or above: each is one the text had before, at the same place
    // (moved with the edits) or saying the same thing (a migration moves a port's first use from the map to
    // the env). `port-gap` points at the first port above a hole, which moves as holes fill: it is counted.
    let mut by_place: HashMap<(&str, TextRange), Vec<usize>> = HashMap::new();
    let mut by_message: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
    let mut gaps_before = 0;
    for (i, finding) in before.findings.iter().enumerate() {
        if finding.code == rules::port_gap::RULE.code {
            gaps_before += usize::from(finding.severity <= Severity::Warning);
            continue;
        }
        by_place
            .entry((finding.code, shift.range(finding.range)))
            .or_default()
            .push(i);
        by_message
            .entry((finding.code, &finding.message))
            .or_default()
            .push(i);
    }
    let mut matched = vec![false; before.findings.len()];
    let mut gaps_after = 0;
    for finding in after
        .findings
        .iter()
        .filter(|f| f.severity <= Severity::Warning)
    {
        if finding.code == rules::port_gap::RULE.code {
            gaps_after += 1;
            continue;
        }
        let free = |candidates: Option<&Vec<usize>>| {
            candidates.and_then(|c| c.iter().copied().find(|&i| !matched[i]))
        };
        let known = free(by_place.get(&(finding.code, finding.range)))
            .or_else(|| free(by_message.get(&(finding.code, finding.message.as_str()))));
        match known {
            Some(i) => matched[i] = true,
            None => {
                return Err(format!(
                    "it would add a {} finding: {}",
                    finding.code, finding.message
                ));
            }
        }
    }
    if gaps_after > gaps_before {
        return Err("it would open a gap in the app's block (port-gap)".into());
    }
    // It keeps every mirror of a moved port in step.
    if after.mismatches.len() != before.mismatches.len() {
        return Err("it would change the file's processes".into());
    }
    let grows = |now: &[usize], was: &[usize]| now.iter().zip(was).any(|(now, was)| now > was);
    if grows(&after.mismatches, &before.mismatches)
        || grows(&after.out_of_step, &before.out_of_step)
    {
        return Err(
            "it would leave a port's mirror behind: the ports map and the env would disagree (ports-mismatch)"
                .into(),
        );
    }
    // It gives no two processes or apps one port.
    let mut budget: BTreeMap<u16, usize> = BTreeMap::new();
    for (old, new) in fixes.iter().flat_map(|(_, fix)| &fix.writes) {
        let allowed = budget
            .entry(*new)
            .or_insert_with(|| before.served.get(new).copied().unwrap_or(0));
        *allowed += before.served.get(old).copied().unwrap_or(0);
    }
    for (&port, &allowed) in &budget {
        let now = after.served.get(&port).copied().unwrap_or(0);
        if now > allowed.max(1) {
            return Err(format!("it would have two processes serve port {port}"));
        }
        if let Some(other) = ctx.others.iter().find(|r| {
            r.summary.app_dir != after.app_dir && r.summary.served.iter().any(|s| s.port == port)
        }) {
            return Err(format!("port {port} is app {}'s", other.summary.app_name));
        }
        if after.role != Role::Core
            && let Some(owner) = ctx.config.core_owner(port)
        {
            return Err(format!(
                "port {port} is PortOS's {} ({})",
                owner.process, owner.label
            ));
        }
    }
    Ok(())
}

/// The largest set of `candidates` (indexes) that verifies together with `base`, found by halving: the
/// whole pass first, then each half, down to single fixes, which are dropped when they fail alone.
fn accept(
    ctx: &FixContext,
    before: &Reading,
    text: &str,
    planned: &[(usize, Fix)],
    base: Vec<usize>,
    candidates: &[usize],
) -> Vec<usize> {
    if candidates.is_empty() {
        return base;
    }
    let mut all = base.clone();
    all.extend_from_slice(candidates);
    let fixes: Vec<(Option<&Finding>, &Fix)> = all
        .iter()
        .map(|&i| {
            let (finding, fix) = &planned[i];
            (before.findings.get(*finding), fix)
        })
        .collect();
    if verify(ctx, before, text, &fixes).is_ok() {
        return all;
    }
    if candidates.len() == 1 {
        return base;
    }
    let (left, right) = candidates.split_at(candidates.len() / 2);
    let base = accept(ctx, before, text, planned, base, left);
    accept(ctx, before, text, planned, base, right)
}

/// The text of `ctx.path` with every safe fix that verifies applied, pass after pass until nothing changes
/// (the text itself when there is none). A text with a syntax error is never touched; edits in other files
/// are left out (they are offered one by one).
pub fn fix_all(ctx: &FixContext, text: &str) -> String {
    let read = |p: &Path| ctx.read(p);
    let mut text = text.to_string();
    for _ in 0..MAX_PASSES {
        let Some(before) = ctx.reading(&text, &[]) else {
            break;
        };
        if before.syntax_error {
            break;
        }
        let planned = actions::plan_pass(
            &before.findings,
            ctx.path,
            &text,
            &read,
            &before.ports,
            ctx.config,
        );
        let all: Vec<usize> = (0..planned.len()).collect();
        let accepted = accept(ctx, &before, &text, &planned, Vec::new(), &all);
        if accepted.is_empty() {
            break;
        }
        let edits: Vec<Edit> = accepted
            .iter()
            .flat_map(|&i| planned[i].1.edits.iter().cloned())
            .collect();
        let next = actions::apply(&text, ctx.path, &edits);
        if next == text {
            break;
        }
        text = next;
    }
    text
}

/// A migration checked as every fix is (no new finding at warning level or above, mirrors in step, no port
/// given twice), with the rest of the workspace as context; `Err` says why it is not offered.
pub fn verify_migration(
    ctx: &FixContext,
    before: &Reading,
    text: &str,
    migration: &Migration,
) -> Result<(), Refusal> {
    let fix = Fix {
        title: migration.title(),
        edits: migration.edits.clone(),
        writes: Vec::new(),
    };
    verify(ctx, before, text, &[(None, &fix)])
        .map_err(|why| Refusal::Cannot(format!("the migration was not verified: {why}")))
}

/// A file whose text the fixes change.
pub struct Fixed {
    /// The file, as given or found.
    pub path: PathBuf,
    /// Its text before.
    pub old: String,
    /// Its text after.
    pub new: String,
}

/// What a fix or migrate run over paths reads for each file.
struct FileContext {
    config: Arc<Config>,
    root: PathBuf,
    others: Vec<FileReport>,
    external: ExternalPorts,
    convention: bool,
}

impl FileContext {
    /// The context of a fix of the file at `path`.
    fn fix_context<'a>(
        &'a self,
        path: &'a Path,
        others: &'a [&'a FileReport],
        vfs: &'a dyn Vfs,
    ) -> FixContext<'a> {
        FixContext {
            path,
            config: &self.config,
            root: &self.root,
            others,
            external: &self.external,
            convention: Some(self.convention),
            vfs,
        }
    }
}

impl Host {
    /// The configuration, workspace, context files, outside ports and convention of one file of a command
    /// line run (conventions remembered per workspace).
    fn file_context(
        &mut self,
        path: &Path,
        request: ExternalRequest,
        env: &dyn Fn(&str) -> Option<String>,
        conventions: &mut BTreeMap<PathBuf, bool>,
    ) -> Result<FileContext, String> {
        let config = self.config_for(path)?;
        let root = self.configs.workspace_root(path);
        // Each workspace's decision on PortOS's convention, made from the disk before anything is fixed:
        // no fix for a finding `check` would not report.
        let convention = match conventions.get(&root) {
            Some(known) => *known,
            None => {
                let active = self.convention_on_disk(&root, request.registry).active;
                conventions.insert(root.clone(), active);
                active
            }
        };
        let seen: BTreeSet<PathBuf> = [path.to_path_buf()].into();
        let others = self.context_reports(&root, &seen);
        // PortOS's own file, in the workspace or under `[portos] root`, joins the core table (spec §12).
        let config = self.core_config(
            &config,
            &root,
            others.iter().map(|r| (r.path.as_path(), &r.summary)),
        );
        let external = self
            .external_for(&config, request, env, &root)
            .for_app(path.parent().unwrap_or(Path::new("/")));
        Ok(FileContext {
            config,
            root,
            others,
            external,
            convention,
        })
    }

    /// The fixed text of every ecosystem file under `paths` (nothing is written; files fixed earlier in the
    /// run are seen fixed by later ones). Returns the fixed files, the paths that could not be read and how
    /// many files were read; `Err` is a usage or configuration error.
    pub fn fix_paths(
        &mut self,
        paths: &[PathBuf],
        stdin_filename: Option<&Path>,
        request: ExternalRequest,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<(Vec<Fixed>, Vec<Unreadable>, usize), String> {
        if paths.iter().any(|p| p.as_os_str() == "-") {
            return Err("--fix and --diff work on files, not stdin".into());
        }
        let mut conventions: BTreeMap<PathBuf, bool> = BTreeMap::new();
        let (pending, mut unreadable) =
            inputs::collect(paths, stdin_filename, None, &mut self.configs)?;
        let mut fixed = Vec::new();
        let mut read = 0;
        for item in pending {
            let path = self.normalize(item.path());
            let display = item.path().to_path_buf();
            let Some(input) = item.read_or_note(&mut self.configs, &mut unreadable) else {
                continue;
            };
            read += 1;
            let file = self.file_context(&path, request, env, &mut conventions)?;
            let others: Vec<&FileReport> = file.others.iter().collect();
            let vfs = self.vfs();
            let context = file.fix_context(&path, &others, &*vfs);
            let old = input.text.to_string();
            let new = fix_all(&context, &old);
            if new != old {
                self.set_buffer(&path, Arc::from(new.as_str()));
                fixed.push(Fixed {
                    path: display,
                    old,
                    new,
                });
            }
        }
        Ok((fixed, unreadable, read))
    }

    /// The v1 → v2 migration of one file (`path` as given or found, `text` its text), verified as every fix
    /// is before it is printed or written. `Err(Ok(…))` is the migration's refusal, `Err(Err(…))` a
    /// configuration error.
    pub fn migrate_file(
        &mut self,
        path: &Path,
        text: Arc<str>,
        request: ExternalRequest,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Migration, Result<Refusal, String>> {
        let normalized = self.normalize(path);
        let mut conventions = BTreeMap::new();
        let file = self
            .file_context(&normalized, request, env, &mut conventions)
            .map_err(Err)?;
        let analysis = self
            .analyze(path, text.clone(), &file.config, &file.root)
            .map_err(|stopped| Ok(Refusal::Cannot(stopped.to_string())))?;
        let vfs = self.vfs();
        let migration = migrate::migrate(&analysis, &file.config, &*vfs, &file.root).map_err(Ok)?;
        let others: Vec<&FileReport> = file.others.iter().collect();
        let context = file.fix_context(path, &others, &*vfs);
        let before = context
            .reading(&text, &[])
            .ok_or_else(|| Ok(Refusal::Cannot("it could not be analysed in time".into())))?;
        verify_migration(&context, &before, &text, &migration).map_err(Ok)?;
        Ok(migration)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(start: usize, end: usize, text: &str) -> Edit {
        Edit {
            path: PathBuf::from("/w/x.cjs"),
            range: TextRange::new(start, end),
            text: text.into(),
        }
    }

    #[test]
    fn ranges_follow_the_edits_before_and_inside_them() {
        let edits = [edit(10, 12, "5577"), edit(30, 34, "80")];
        let refs: Vec<&Edit> = edits.iter().collect();
        let shift = Shift::new(Path::new("/w/x.cjs"), &refs);
        assert_eq!(shift.range(TextRange::new(0, 5)), TextRange::new(0, 5));
        assert_eq!(
            shift.range(TextRange::new(10, 12)),
            TextRange::new(10, 14),
            "the edited literal itself"
        );
        assert_eq!(shift.range(TextRange::new(20, 25)), TextRange::new(22, 27));
        assert_eq!(shift.range(TextRange::new(40, 44)), TextRange::new(40, 44));
        let insertions = [edit(5, 5, "// x\n"), edit(9, 9, "!")];
        let refs: Vec<&Edit> = insertions.iter().collect();
        let shift = Shift::new(Path::new("/w/x.cjs"), &refs);
        assert_eq!(
            shift.range(TextRange::new(5, 9)),
            TextRange::new(10, 14),
            "after an insertion at its start, before one at its end"
        );
    }
}
