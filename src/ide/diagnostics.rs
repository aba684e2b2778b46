//! A file's final findings: its own (the per-file rules), its cross-file ones (a pure function of the
//! workspace's summaries), the precedence between them, and the workspace's decision on PortOS's convention.
//! [`assemble`] is the only place they are put together, so `check`, `--fix`, the editor's diagnostics, its
//! quick fixes and fix-all can never disagree on what a file's findings are.

use crate::analysis::Analysis;
use crate::config::Config;
use crate::rules::{self, ExternalPorts, FileReport, Finding};
use std::path::Path;

/// The findings to report for a file: its own merged with its cross-file ones, with PortOS's convention
/// rules left out where the workspace's decision (`convention`, `None` while undecided: all of them) says.
pub fn assemble(
    report: &FileReport,
    cross: Vec<Finding>,
    config: &Config,
    convention: Option<bool>,
) -> Vec<Finding> {
    let mut findings = rules::merged(&report.findings, cross, config);
    if let Some(active) = convention {
        rules::apply_convention(&mut findings, active);
    }
    findings
}

/// One file's per-file report: what the rules say of its analysis alone.
pub fn report(analysis: &Analysis, config: &Config) -> FileReport {
    rules::check_file(analysis, config)
}

/// [`report`] for an open document, given its line index (kept per edit, so not built again here).
pub fn report_indexed(
    analysis: &Analysis,
    config: &Config,
    index: std::sync::Arc<crate::syntax::LineIndex>,
    previous: Option<&FileReport>,
) -> FileReport {
    rules::check_file_indexed(
        analysis,
        config,
        Some(index),
        Some(previous.and_then(FileReport::memo)),
    )
}

/// The cross-file findings of `report` against `others` (the rest of its workspace; `report` itself may be
/// among them), as the server asks them per file.
pub fn cross_file(
    report: &FileReport,
    others: &[&FileReport],
    config: &Config,
    external: &ExternalPorts,
) -> Vec<Finding> {
    rules::cross_file_findings_for(report, others, config, external)
}

/// The cross-file findings of the first `reported` of a workspace's reports against all of them, as a batch
/// run asks them (the rest are context); `external` gives what one app sees held outside the workspace.
pub fn cross_file_batch(
    reports: &[&FileReport],
    reported: usize,
    config: &Config,
    external: &dyn Fn(&Path) -> ExternalPorts,
) -> Vec<Vec<Finding>> {
    rules::cross_file_findings(reports, reported, config, external)
}
