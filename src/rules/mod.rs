//! The rules: one module per diagnostic code, each with its default severity and user docs, run over one
//! file's analysis (per-file rules) or over every file of a workspace (cross-file rules).

pub mod block;
mod context;
mod memo;
mod suppression;

pub mod common_port;
pub mod duplicate_port;
pub mod duplicate_process_name;
pub mod dynamic_apps;
pub mod hardcoded_port;
pub mod instances_port_clash;
pub mod invalid_option_value;
pub mod invalid_port;
pub mod label_collision;
pub mod outside_user_range;
pub mod pm2_cannot_load;
pub mod port_conflict;
pub mod port_gap;
pub mod portos_reads_differently;
pub mod ports_mismatch;
pub mod privileged_port;
pub mod registry_stale;
pub mod reserved_range;
pub mod shadowed_port;
pub mod syntax_error;
pub mod undefined_port_constant;
pub mod unknown_option;
pub mod unresolved_port;
pub mod unused_port_constant;

pub use context::{
    AppSummary, ExternalPorts, FileCheck, HeldPort, PortosProcess, RegisteredApp, ServedPort,
    SummaryProcess,
};
use context::{CrossFile, SummaryIndex};
pub use memo::RuleMemo;
pub use suppression::Suppressions;

use crate::config::{Config, RuleLevel};
use crate::syntax::TextRange;
use foldhash::{HashMap, HashMapExt};
use serde::Serialize;
use std::path::PathBuf;

/// Where the per-rule docs are published; `codeDescription` links here. Built from Cargo.toml's `repository`
/// key, so the links and the published metadata name one repository.
pub const DOCS_BASE_URL: &str = concat!(env!("CARGO_PKG_REPOSITORY"), "/blob/main/docs/rules/");

/// How serious a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Breaks at run time; fails `check`.
    Error,
    /// Against the convention; fails `check` only with `--deny warnings`.
    Warning,
    /// Worth knowing.
    Information,
    /// A suggestion.
    Hint,
}

impl Severity {
    /// The word used in output and configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Information => "information",
            Severity::Hint => "hint",
        }
    }
}

/// A rule's identity and documentation.
pub struct Rule {
    /// The stable kebab-case code.
    pub code: &'static str,
    /// The severity unless configured otherwise.
    pub default_severity: Severity,
    /// One line for tables and `explain`'s heading.
    pub summary: &'static str,
    /// The user docs in Markdown (what it flags, why it matters, example, how to fix, configuration).
    pub docs: &'static str,
}

impl Rule {
    /// The URL of the rule's docs page.
    pub fn url(&self) -> String {
        format!("{DOCS_BASE_URL}{}.md", self.code)
    }
}

/// A per-file rule's check: reads one file's analysis, pushes its findings.
pub type CheckFn = fn(&FileCheck, &mut Vec<Finding>);

/// A per-app rule's check: pushes the findings of one app, reading only that app, the configuration, the
/// file's path, format, role, environments and line ending and the lines the app spans (see
/// [`RuleMemo`]), so an app unchanged since the last check keeps its findings.
pub type AppCheckFn = fn(&FileCheck, &crate::labels::LabelledProcess, &mut Vec<Finding>);

/// One row of the rule registry: the rule, how it runs, and which weaker findings it replaces.
pub struct RuleEntry {
    /// The rule's identity and docs.
    pub rule: &'static Rule,
    /// Its per-file check; `None` for the cross-file rules, which run on summaries
    /// ([`cross_file_findings`]), and for the per-app ones.
    pub check: Option<CheckFn>,
    /// Its per-app check, for a rule that judges each app alone.
    pub per_app: Option<AppCheckFn>,
    /// The codes whose finding on the same place this rule's finding replaces ("one finding per concern",
    /// spec §5 and §9), while this rule is not configured `off`.
    pub supersedes: &'static [&'static str],
}

/// The one table of rules, in the order of the spec's table: code, default severity and docs (in each
/// [`Rule`]), the check, and the precedence between rules. Everything else is derived from it.
pub const REGISTRY: &[RuleEntry] = &[
    entry(&syntax_error::RULE, Some(syntax_error::check), &[]),
    entry(&invalid_port::RULE, Some(invalid_port::check), &[]),
    entry(&duplicate_port::RULE, Some(duplicate_port::check), &[]),
    entry(
        &undefined_port_constant::RULE,
        Some(undefined_port_constant::check),
        &[],
    ),
    entry(&duplicate_process_name::RULE, None, &[]),
    app_entry(
        &instances_port_clash::RULE,
        instances_port_clash::check_app,
        &[],
    ),
    entry(
        &invalid_option_value::RULE,
        Some(invalid_option_value::check),
        &[],
    ),
    entry(&pm2_cannot_load::RULE, Some(pm2_cannot_load::check), &[]),
    // A port in PortOS's core table is a conflict naming its owner, not only a reserved port.
    entry(
        &port_conflict::RULE,
        None,
        &["reserved-range", "outside-user-range"],
    ),
    entry(&port_gap::RULE, Some(port_gap::check), &[]),
    entry(
        &reserved_range::RULE,
        Some(reserved_range::check),
        &["outside-user-range"],
    ),
    entry(
        &common_port::RULE,
        Some(common_port::check),
        &["outside-user-range"],
    ),
    // Below 1024 the concern is the privilege, whatever else the port is known for.
    entry(
        &privileged_port::RULE,
        Some(privileged_port::check),
        &["common-port", "outside-user-range"],
    ),
    entry(&label_collision::RULE, Some(label_collision::check), &[]),
    entry(&ports_mismatch::RULE, Some(ports_mismatch::check), &[]),
    entry(&shadowed_port::RULE, Some(shadowed_port::check), &[]),
    entry(&unknown_option::RULE, Some(unknown_option::check), &[]),
    app_entry(
        &outside_user_range::RULE,
        outside_user_range::check_app,
        &[],
    ),
    entry(&hardcoded_port::RULE, Some(hardcoded_port::check), &[]),
    entry(
        &unused_port_constant::RULE,
        Some(unused_port_constant::check),
        &[],
    ),
    entry(
        &portos_reads_differently::RULE,
        Some(portos_reads_differently::check),
        &[],
    ),
    entry(&unresolved_port::RULE, Some(unresolved_port::check), &[]),
    entry(&dynamic_apps::RULE, Some(dynamic_apps::check), &[]),
    entry(&registry_stale::RULE, None, &[]),
];

const fn entry(
    rule: &'static Rule,
    check: Option<CheckFn>,
    supersedes: &'static [&'static str],
) -> RuleEntry {
    RuleEntry {
        rule,
        check,
        per_app: None,
        supersedes,
    }
}

/// A registry row for a per-app rule.
const fn app_entry(
    rule: &'static Rule,
    per_app: AppCheckFn,
    supersedes: &'static [&'static str],
) -> RuleEntry {
    RuleEntry {
        rule,
        check: None,
        per_app: Some(per_app),
        supersedes,
    }
}

const RULE_COUNT: usize = REGISTRY.len();

/// Every rule, in the order of the spec's table (derived from [`REGISTRY`]).
pub const ALL: &[&Rule] = &{
    let mut all: [&Rule; RULE_COUNT] = [&syntax_error::RULE; RULE_COUNT];
    let mut i = 0;
    while i < RULE_COUNT {
        all[i] = REGISTRY[i].rule;
        i += 1;
    }
    all
};

/// The precedence between rules, applied in this one place: a finding is dropped when another finding on the
/// same place belongs to a rule that supersedes it and that rule is not configured `off` (so turning the
/// stronger rule off releases the weaker one).
fn apply_precedence(findings: &mut Vec<Finding>, config: &Config) {
    // A set, not a list: 32,000 findings against as many stronger ones were a billion comparisons.
    let stronger: foldhash::HashSet<(u32, u32, &'static str)> = findings
        .iter()
        .filter(|f| config.rule_level(f.code) != Some(RuleLevel::Off))
        .flat_map(|f| {
            REGISTRY
                .iter()
                .find(|e| e.rule.code == f.code)
                .into_iter()
                .flat_map(|e| e.supersedes.iter())
                .map(move |weaker| (f.range.start, f.range.end, *weaker))
        })
        .collect();
    if stronger.is_empty() {
        return;
    }
    findings.retain(|f| !stronger.contains(&(f.range.start, f.range.end, f.code)));
}

/// The rules that only make sense under PortOS's port convention (spec §9): they run under
/// `convention = "portos"`, never under `"plain"`, and under `"auto"` only in a workspace that shows the
/// convention. `common-port` is one of them for dev-server defaults only (its findings say which); every other
/// rule always runs.
pub const CONVENTION_RULES: &[&str] = &[
    "outside-user-range",
    "reserved-range",
    "port-gap",
    "hardcoded-port",
    "unused-port-constant",
    "portos-reads-differently",
    "label-collision",
];

/// Whether every finding of rule `code` belongs to PortOS's convention.
pub fn is_convention_rule(code: &str) -> bool {
    CONVENTION_RULES.contains(&code)
}

/// Where the convention's findings go: the one place the decision applies. With `convention` off, every
/// finding of the convention (see [`Finding::convention`]) is dropped and the others are kept as they are.
pub fn apply_convention(findings: &mut Vec<Finding>, convention: bool) {
    if !convention {
        findings.retain(|f| !f.convention);
    }
}

/// Looks a rule up by code.
pub fn find(code: &str) -> Option<&'static Rule> {
    ALL.iter().copied().find(|r| r.code == code)
}

/// Every rule code, for configuration validation.
pub fn codes() -> Vec<&'static str> {
    ALL.iter().map(|r| r.code).collect()
}

/// Another place a finding involves: the other definition, the other file.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Related {
    /// The file it is in.
    pub path: PathBuf,
    /// Where in that file.
    pub range: TextRange,
    /// What it is.
    pub message: String,
}

/// Another literal stating the same port as a fix's definition: a v1 `ports` map entry and the env key that
/// mirrors it are one listener written twice, and a fix moves both or neither.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Mirror {
    /// The file holding it.
    pub path: PathBuf,
    /// The literal.
    pub range: TextRange,
}

/// Enough to build a quick fix without recomputing the analysis.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum FixData {
    /// Move the port defined at `range` of `path` to a free port the allocator picks.
    MoveToFreePort {
        /// The file holding the definition (it may be a required file).
        path: PathBuf,
        /// The literal to rewrite.
        range: TextRange,
        /// Its current number.
        current: u16,
        /// The other literals stating the same port, moved with it.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        mirrors: Vec<Mirror>,
    },
    /// Replace the literal at `range` with `port`.
    SetPort {
        /// The file holding the definition.
        path: PathBuf,
        /// The literal to rewrite.
        range: TextRange,
        /// The new number.
        port: u16,
        /// Why this number.
        reason: String,
        /// The other literals stating the same port, set with it.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        mirrors: Vec<Mirror>,
    },
    /// Ask the running PortOS to read the app's ecosystem file again (`POST /api/apps/:id/refresh-config`):
    /// no edit, a request the editor sends on the user's word.
    RefreshApp {
        /// The app's registry key.
        id: String,
        /// Its display name in PortOS.
        app: String,
    },
    /// Replace the text at `range` (a misspelt member) with `text`.
    Replace {
        /// The file.
        path: PathBuf,
        /// What to replace.
        range: TextRange,
        /// The replacement.
        text: String,
    },
    /// Edits offered one by one in the editor and never applied by fix-all: each changes what PM2 does
    /// (`instances: 1`, an `increment_var`, a renamed option), so the user picks. Written in the file's own
    /// syntax.
    Choices {
        /// The file.
        path: PathBuf,
        /// The choices, in the order offered.
        choices: Vec<Choice>,
    },
}

/// One of several quick fixes of a finding: a title and its edits in one file.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Choice {
    /// What the editor shows.
    pub title: String,
    /// The replacements: a range and its new text (an empty range inserts).
    pub edits: Vec<(TextRange, String)>,
}

/// One diagnostic.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Finding {
    /// The rule's code.
    pub code: &'static str,
    /// Its severity after configuration.
    pub severity: Severity,
    /// Where, in the reported file.
    pub range: TextRange,
    /// What is wrong, naming the numbers.
    pub message: String,
    /// The other parties.
    pub related: Vec<Related>,
    /// Whether the flagged code is unnecessary (editors fade it).
    pub unnecessary: bool,
    /// Whether the finding is one of PortOS's convention (spec §9): a convention rule's, or `common-port`'s on
    /// a dev-server default. Dropped where the convention does not apply ([`apply_convention`]).
    #[serde(skip)]
    pub convention: bool,
    /// Data for the quick fix.
    pub fix: Option<FixData>,
}

/// What one file's check yields: its findings and the summary cross-file rules need.
#[derive(Clone, Debug)]
pub struct FileReport {
    /// The file.
    pub path: PathBuf,
    /// Findings, sorted by position.
    pub findings: Vec<Finding>,
    /// What cross-file rules need to know, without the text or tree.
    pub summary: AppSummary,
    /// The file's suppression comments, applied to cross-file findings too.
    pub suppressions: Suppressions,
    /// The zero-based line of each place a cross-file finding can point at (the summary's names and ports),
    /// sorted by offset: enough to apply suppressions later without keeping the text.
    summary_lines: Vec<(u32, u32)>,
    /// The per-app findings, for the next check of the same file (none for a one-off check: the workspace
    /// index holds thousands of reports).
    memo: Option<std::sync::Arc<RuleMemo>>,
}

impl FileReport {
    /// What the next check of the same file (an edited version) may reuse of this one.
    pub fn memo(&self) -> Option<&RuleMemo> {
        self.memo.as_deref()
    }

    /// The zero-based line of a place the summary points at (a process name or a served port), without
    /// the text: hover and the server name other files' lines from it.
    pub fn summary_line(&self, offset: u32) -> usize {
        match self
            .summary_lines
            .binary_search_by_key(&offset, |&(at, _)| at)
        {
            Ok(i) => self.summary_lines[i].1 as usize,
            Err(_) => 0,
        }
    }
}

/// Runs the per-file rules on one analysed file, PortOS's convention included when `convention` says so (the
/// workspace's decision, which the `ide` layer makes from the files on disk).
pub fn check_file_with(
    analysis: &crate::analysis::Analysis,
    config: &Config,
    convention: bool,
) -> FileReport {
    let mut report = check_file(analysis, config);
    apply_convention(&mut report.findings, convention);
    report
}

/// Runs every per-file rule on one analysed file, PortOS's convention included: a report the convention can
/// still be taken out of ([`apply_convention`]) once the workspace's decision is known, as the command line
/// does and the workspace index does when it publishes.
pub fn check_file(analysis: &crate::analysis::Analysis, config: &Config) -> FileReport {
    check_file_indexed(analysis, config, None, None)
}

/// [`check_file`] for a file that will be checked again (an open document): given its line index (see
/// [`FileCheck::indexed`]) and, with `memo`, keeping each app's per-app findings for the next check and
/// reusing those of `memo`'s previous check, if any (see [`RuleMemo`]). A one-off check keeps nothing, so
/// the workspace index holds no copy of any app.
pub fn check_file_indexed(
    analysis: &crate::analysis::Analysis,
    config: &Config,
    main_index: Option<std::sync::Arc<crate::syntax::LineIndex>>,
    memo: Option<Option<&RuleMemo>>,
) -> FileReport {
    let check = FileCheck::indexed(analysis, config, main_index);
    let model = &analysis.model;
    let text = &model.files[0].text;
    let mut recorder = memo.map(|previous| {
        let context = memo::Context {
            config: config.clone(),
            path: model.path().to_path_buf(),
            format: model.format(),
            role: check.role,
            environments: analysis.labels.environments.clone(),
            line_ending: crate::syntax::line_ending(text),
        };
        memo::Recorder::new(context, previous)
    });
    let mut findings = Vec::new();
    for (index, rule) in REGISTRY.iter().enumerate() {
        if let Some(run) = rule.check {
            run(&check, &mut findings);
        }
        if let Some(run) = rule.per_app {
            for labelled in &analysis.labels.processes {
                let process = &model.processes[labelled.index];
                let app = (process, &labelled.bindings, &labelled.listing);
                let run = || {
                    let mut found = Vec::new();
                    run(&check, labelled, &mut found);
                    found
                };
                match &mut recorder {
                    Some(recorder) => recorder.app_findings(index, app, text, run, &mut findings),
                    None => findings.extend(run()),
                }
            }
        }
    }
    apply_precedence(&mut findings, config);
    let text = analysis.model.text();
    let index = check.line_index(0);
    let summary = check.summary();
    let mut summary_lines: Vec<(u32, u32)> = summary
        .processes
        .iter()
        .map(|p| p.range.start)
        .chain(summary.served.iter().map(|s| s.range.start))
        .map(|at| (at, index.line_of(at as usize) as u32))
        .collect();
    summary_lines.sort_unstable();
    summary_lines.dedup();
    let mut report = FileReport {
        path: analysis.model.path().to_path_buf(),
        findings: Vec::new(),
        summary,
        suppressions: Suppressions::scan(text, analysis.model.format().line_comment()),
        summary_lines,
        memo: recorder.map(|recorder| std::sync::Arc::new(recorder.finish())),
    };
    for finding in findings {
        let line = index.line_of(finding.range.start as usize);
        push_finding(&mut report, finding, line, config);
    }
    sort(&mut report.findings);
    report
}

/// The cross-file findings of the first `reported` files of one workspace (the rest are context), against
/// every file: a pure function of the files' summaries, never appended into a file's own report, so an edit
/// to either side of a conflict can retract them. Returns one list per reported file, in the same order, with
/// severities and suppressions applied. `external` gives the ports
/// held outside the workspace as seen by one app (its own registry entry left out).
pub fn cross_file_findings(
    reports: &[&FileReport],
    reported: usize,
    config: &Config,
    external: &dyn Fn(&std::path::Path) -> ExternalPorts,
) -> Vec<Vec<Finding>> {
    // Both cross-file rules only relate files that share a process name or a served port, so a name or a
    // port is looked up in the files that have it (in workspace order) rather than compared with every file,
    // which made a workspace of n files cost n² comparisons. Summaries are borrowed, never copied.
    let mut cross = CrossFile {
        files: Vec::with_capacity(reports.len()),
        by_name: HashMap::new(),
        by_port: HashMap::new(),
    };
    for (index, report) in reports.iter().enumerate() {
        for name in report
            .summary
            .processes
            .iter()
            .filter_map(|p| p.name.as_deref())
        {
            push_once(cross.by_name.entry(name).or_default(), index);
        }
        for served in &report.summary.served {
            push_once(cross.by_port.entry(served.port).or_default(), index);
        }
        cross.files.push((
            report.path.as_path(),
            &report.summary,
            SummaryIndex::of(&report.summary),
        ));
    }
    // The files after the first `reported` are context: asked about, never reported on.
    reports
        .iter()
        .take(reported)
        .map(|report| cross_file_findings_of(report, &cross, config, external))
        .collect()
}

/// The cross-file findings of one file against the others of its workspace (the server asks this per open
/// file; `others` may include the file itself, which is skipped).
pub fn cross_file_findings_for(
    report: &FileReport,
    others: &[&FileReport],
    config: &Config,
    external: &ExternalPorts,
) -> Vec<Finding> {
    // Sized up front: each table would otherwise be rehashed at every doubling, every keystroke.
    let summary = &report.summary;
    let mut names =
        foldhash::HashSet::with_capacity_and_hasher(summary.processes.len(), Default::default());
    names.extend(summary.processes.iter().filter_map(|p| p.name.as_deref()));
    let mut ports =
        foldhash::HashSet::with_capacity_and_hasher(summary.served.len(), Default::default());
    ports.extend(summary.served.iter().map(|s| s.port));
    let mut cross = CrossFile {
        files: Vec::with_capacity(others.len()),
        by_name: HashMap::with_capacity(names.len()),
        by_port: HashMap::with_capacity(ports.len()),
    };
    for (index, other) in others.iter().enumerate() {
        let mut related = false;
        for name in other
            .summary
            .processes
            .iter()
            .filter_map(|p| p.name.as_deref())
            .filter(|n| names.contains(n))
        {
            push_once(cross.by_name.entry(name).or_default(), index);
            related = true;
        }
        for served in other
            .summary
            .served
            .iter()
            .filter(|s| ports.contains(&s.port))
        {
            push_once(cross.by_port.entry(served.port).or_default(), index);
            related = true;
        }
        // Only the files that share a name or a port are looked into: only they are indexed.
        let index = if related {
            SummaryIndex::of(&other.summary)
        } else {
            SummaryIndex::default()
        };
        cross
            .files
            .push((other.path.as_path(), &other.summary, index));
    }
    cross_file_findings_of(report, &cross, config, &|_| external.clone())
}

/// Adds a file's index to a list once, however many of its processes share the name or port: 8,000 apps on
/// one port must not make a list of 8,000 copies of one index (and the union over them 64 million).
fn push_once(list: &mut Vec<usize>, index: usize) {
    if list.last() != Some(&index) {
        list.push(index);
    }
}

fn cross_file_findings_of(
    report: &FileReport,
    cross: &CrossFile,
    config: &Config,
    external: &dyn Fn(&std::path::Path) -> ExternalPorts,
) -> Vec<Finding> {
    let external = external(&report.summary.app_dir);
    let mut findings = Vec::new();
    duplicate_process_name::check_workspace(&report.path, &report.summary, cross, &mut findings);
    port_conflict::check_workspace(
        &report.path,
        &report.summary,
        cross,
        config,
        &external,
        &mut findings,
    );
    registry_stale::check_workspace(&report.summary, &external, &mut findings);
    let mut kept = Vec::new();
    for finding in findings {
        let line = report.summary_line(finding.range.start);
        if let Some(finding) = configured(finding, line, &report.suppressions, config) {
            kept.push(finding);
        }
    }
    sort(&mut kept);
    kept
}

/// A file's own findings and its cross-file findings as one sorted list, as both shells report them.
pub fn merged(own: &[Finding], cross: Vec<Finding>, config: &Config) -> Vec<Finding> {
    // A file's own findings are already past precedence and sorted (see `check_file_indexed`): alone, they
    // are the list as they are.
    if cross.is_empty() {
        return own.to_vec();
    }
    let mut all = own.to_vec();
    all.extend(cross);
    apply_precedence(&mut all, config);
    sort(&mut all);
    all
}

/// Applies the configured severity and the file's suppressions, then keeps the finding.
fn push_finding(report: &mut FileReport, finding: Finding, line: usize, config: &Config) {
    if let Some(finding) = configured(finding, line, &report.suppressions, config) {
        report.findings.push(finding);
    }
}

/// The finding with its configured severity, or `None` when it is turned off or suppressed at `line`.
fn configured(
    mut finding: Finding,
    line: usize,
    suppressions: &Suppressions,
    config: &Config,
) -> Option<Finding> {
    match config.rule_level(finding.code) {
        Some(RuleLevel::Off) => return None,
        Some(RuleLevel::Error) => finding.severity = Severity::Error,
        Some(RuleLevel::Warning) => finding.severity = Severity::Warning,
        Some(RuleLevel::Information) => finding.severity = Severity::Information,
        Some(RuleLevel::Hint) => finding.severity = Severity::Hint,
        None => {}
    }
    if suppressions.silences(finding.code, line) {
        return None;
    }
    Some(finding)
}

/// Orders findings by position and drops exact repeats (one concern reached twice, e.g. through two
/// environments), in O(n log n) rather than a search per finding.
fn sort(findings: &mut Vec<Finding>) {
    findings.sort_by(|a, b| {
        (a.range.start, a.range.end, a.code, &a.message).cmp(&(
            b.range.start,
            b.range.end,
            b.code,
            &b.message,
        ))
    });
    findings.dedup();
}

/// What the rules' unit tests share.
#[cfg(test)]
pub(crate) mod test_support {
    use super::Finding;

    /// The findings `check` reports for `text` as `/w/ecosystem.config.cjs`, the only file of workspace `/w`,
    /// in memory, with the built-in defaults (through the host, as both shells get them).
    pub(crate) fn findings_in_memory(text: &str) -> Vec<Finding> {
        use crate::ide::Host;
        use crate::vfs::MemoryVfs;
        use std::sync::Arc;
        let vfs = Arc::new(MemoryVfs::default());
        vfs.insert("/w/ecosystem.config.cjs", text);
        let mut host = Host::new(vfs, crate::config::ConfigSource::None);
        let mut reports = host
            .check_workspace(
                std::path::Path::new("/w"),
                vec![("/w/ecosystem.config.cjs".into(), Arc::from(text))],
                &|_| Default::default(),
            )
            .expect("the defaults are a valid configuration");
        reports.remove(0).findings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_kebab_case() {
        let mut seen = std::collections::BTreeSet::new();
        for rule in ALL {
            assert!(seen.insert(rule.code), "{} twice", rule.code);
            assert!(
                rule.code
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                    && rule.code.starts_with(|c: char| c.is_ascii_lowercase()),
                "{}",
                rule.code
            );
            for section in [
                "## What it flags",
                "## Why it matters",
                "## Example",
                "## How to fix",
                "## Configuration",
            ] {
                assert!(
                    rule.docs.contains(section),
                    "{} docs lack {section}",
                    rule.code
                );
            }
        }
    }
}
