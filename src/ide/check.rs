//! `check` over paths: every ecosystem file found, analysed and checked on every core a batch at a time,
//! grouped by workspace, with the rest of each workspace as context for the cross-file rules and each
//! workspace's decision on PortOS's convention — each file's findings assembled by
//! [`super::diagnostics::assemble`], as the editor's are.

use super::convention::{self, ConventionDecision};
use super::external::ExternalRequest;
use super::inputs::{self, Stdin, Unreadable};
use super::{BATCH, FileJob, Host, diagnostics};
use crate::config::Config;
use crate::rules::{AppSummary, FileReport};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What to check.
pub struct CheckRequest<'a> {
    /// Files or directories; `-` is stdin.
    pub paths: &'a [PathBuf],
    /// The file stdin is judged as.
    pub stdin_filename: Option<&'a Path>,
    /// What the shell read from stdin, when a path is `-`.
    pub stdin: Option<Stdin>,
    /// The outside sources the flags turn on.
    pub external: ExternalRequest,
    /// Looks up an environment variable (PortOS's token): only the shell reads the environment.
    pub env: &'a dyn Fn(&str) -> Option<String>,
}

/// What a check found.
pub struct CheckRun {
    /// Each reported file's report (findings assembled) and its text, in path order.
    pub results: Vec<(FileReport, Arc<str>)>,
    /// Paths that could not be read or decoded.
    pub unreadable: Vec<Unreadable>,
    /// Warnings in the order met: configuration files, outside sources, files left out of the context.
    pub warnings: Vec<String>,
    /// How many workspaces `auto` left without PortOS's convention.
    pub left_off_by_auto: usize,
    /// How many workspaces were checked.
    pub workspaces: usize,
    /// The reported files that define no apps (no process, and none computed at run time).
    pub without_apps: Vec<PathBuf>,
}

/// A checked file and its text, kept only when it has findings (or came from stdin).
type Checked = (FileReport, Option<Arc<str>>);

/// Checks a batch of files on every core and files each report under its workspace, with its text when it
/// has findings or came from stdin (its frames are shown from it).
fn keep_checked(
    host: &Host,
    batch: Vec<(FileJob, bool, bool)>,
    workspaces: &mut BTreeMap<PathBuf, Vec<Checked>>,
    config_of: &mut BTreeMap<PathBuf, Arc<Config>>,
    unreadable: &mut Vec<Unreadable>,
) {
    let (jobs, flags): (Vec<FileJob>, Vec<(bool, bool)>) = batch
        .into_iter()
        .map(|(job, from_stdin, named)| (job, (from_stdin, named)))
        .unzip();
    let reports = host.check_each(&jobs);
    for ((job, report), (from_stdin, named)) in jobs.into_iter().zip(reports).zip(flags) {
        // A parse over its budget is reported as a file over the size limit is: one line, exit 2.
        let mut report = match report {
            Ok(report) => report,
            Err(stopped) => {
                unreadable.push(Unreadable {
                    path: job.path,
                    reason: stopped.to_string(),
                });
                continue;
            }
        };
        // A file the user named is theirs to run as they like: what PM2 makes of its name does not apply.
        if named {
            report
                .findings
                .retain(|f| !crate::rules::pm2_cannot_load::is_about_the_name(f));
        }
        let keep = from_stdin || !report.findings.is_empty();
        config_of.entry(job.root.clone()).or_insert(job.config);
        workspaces
            .entry(job.root)
            .or_default()
            .push((report, keep.then_some(job.text)));
    }
}

impl Host {
    /// Checks every ecosystem file under the paths. `Err` is a usage or configuration error that stops the
    /// run (one line).
    pub fn check_paths(&mut self, request: CheckRequest) -> Result<CheckRun, String> {
        let paths = request.paths;
        let (pending, mut unreadable) = inputs::collect(
            paths,
            request.stdin_filename,
            request.stdin,
            &mut self.configs,
        )?;
        // A piped file is judged as the file at `--stdin-filename` (its directory, its variants) and replaces
        // that file's disk copy in the workspace: laid over the disk, it is what every read of that path sees.
        let mut stdin_copies: Vec<PathBuf> = Vec::new();
        // Stdin with no `--stdin-filename` has no place: it replaces no file, and its workspace is not walked.
        let mut unplaced: Vec<PathBuf> = Vec::new();
        for item in pending.iter().filter(|item| item.is_stdin()) {
            if inputs::is_unplaced_stdin(item.path()) {
                unplaced.push(self.normalize(item.path()));
                continue;
            }
            if let Some(text) = item.stdin_text() {
                let path = self.normalize(item.path());
                self.set_buffer(&path, text.clone());
                stdin_copies.push(path);
            }
        }
        // Group by workspace: cross-file rules ask their questions within one workspace. Files are read in
        // batches, analysed and checked on every core; only their summaries (and the text of files with
        // findings) are kept.
        let mut workspaces: BTreeMap<PathBuf, Vec<Checked>> = BTreeMap::new();
        let mut config_of: BTreeMap<PathBuf, Arc<Config>> = BTreeMap::new();
        let mut batch: Vec<(FileJob, bool, bool)> = Vec::new();
        for item in pending {
            self.config_for(item.path())?;
            let from_stdin = item.is_stdin();
            let named = item.is_named();
            let Some(input) = item.read_or_note(&mut self.configs, &mut unreadable) else {
                continue;
            };
            let config = self.config_for(&input.path)?;
            let root = self.configs.workspace_root(&input.path);
            let job = FileJob {
                path: input.path,
                text: input.text,
                config,
                root,
            };
            batch.push((job, from_stdin, named));
            if batch.len() == BATCH {
                keep_checked(
                    self,
                    std::mem::take(&mut batch),
                    &mut workspaces,
                    &mut config_of,
                    &mut unreadable,
                );
            }
        }
        keep_checked(
            self,
            batch,
            &mut workspaces,
            &mut config_of,
            &mut unreadable,
        );
        let mut warnings: Vec<String> = self.configs.warnings().cloned().collect();
        let mut results: Vec<(FileReport, Arc<str>)> = Vec::new();
        let workspace_count = workspaces.len();
        let mut left_off_by_auto = 0;
        let vfs = self.vfs();
        for (root, entries) in workspaces {
            let config = config_of.remove(&root).unwrap_or_default();
            let (mut reports, texts): (Vec<FileReport>, Vec<Option<Arc<str>>>) =
                entries.into_iter().unzip();
            // Cross-file questions are asked in the whole workspace (spec §1), not only among the paths named:
            // the workspace's other ecosystem files take part as context and are not reported on.
            let named = reports.len();
            // A named directory that holds the whole workspace was walked already: nothing is missing. Stdin
            // alone, with no `--stdin-filename` placing it, asks nothing of the directory it was run in.
            let walked_whole = paths
                .iter()
                .any(|p| p.as_os_str() != "-" && root.starts_with(self.normalize(p)));
            let only_unplaced = reports
                .iter()
                .all(|r| unplaced.contains(&self.normalize(&r.path)));
            if !walked_whole && !only_unplaced {
                let mut seen: BTreeSet<PathBuf> =
                    reports.iter().map(|r| self.normalize(&r.path)).collect();
                // The piped file's disk copy, however the walk spells it, is replaced by the piped text.
                seen.extend(
                    stdin_copies
                        .iter()
                        .filter_map(|p| inputs::disk_copy_in(&**self.disk(), &root, p)),
                );
                reports.extend(self.context_reports(&root, &seen));
            }
            // PortOS's own file, in the workspace or under `[portos] root`, joins the core table (spec §12).
            let config = self.core_config(
                &config,
                &root,
                reports.iter().map(|r| (r.path.as_path(), &r.summary)),
            );
            let external = self.external_for(&config, request.external, request.env, &root);
            warnings.extend(self.take_outside_warnings());
            warnings.extend(external.warnings.iter().cloned());
            let not_on_disk: Vec<PathBuf> = stdin_copies.iter().chain(&unplaced).cloned().collect();
            let decision = self.convention_of(
                &config,
                &root,
                &reports,
                &not_on_disk,
                request.external.registry,
            );
            left_off_by_auto += usize::from(decision.left_off_by_auto());
            let all: Vec<&FileReport> = reports.iter().collect();
            let cross = diagnostics::cross_file_batch(&all, named, &config, &|app_dir: &Path| {
                external.for_app(app_dir)
            });
            for ((mut report, cross), text) in reports.into_iter().zip(cross).zip(texts).take(named)
            {
                let findings =
                    diagnostics::assemble(&report, cross, &config, Some(decision.active));
                // A file that only has cross-file findings is read again for its source frames.
                let text = match text {
                    Some(text) => text,
                    None if findings.is_empty() => Arc::from(""),
                    None => crate::vfs::read_text(&*vfs, &report.path, usize::MAX)
                        .unwrap_or_else(|_| Arc::from("")),
                };
                report.findings = findings;
                results.push((report, text));
            }
        }
        results.sort_by(|a, b| a.0.path.cmp(&b.0.path));
        let without_apps = results
            .iter()
            .filter(|(report, _)| report.summary.defines_no_apps())
            .map(|(report, _)| report.path.clone())
            .collect();
        // What the context walk left out was not asked about: logged, not fatal (spec §8).
        for (path, why) in self.take_context_problems() {
            warnings.push(format!(
                "{}: {why} (not a path named on the command line; left out of the cross-file checks)",
                path.display()
            ));
        }
        Ok(CheckRun {
            results,
            unreadable,
            warnings,
            left_off_by_auto,
            workspaces: workspace_count,
            without_apps,
        })
    }

    /// A workspace's decision on PortOS's convention from the disk alone: the project files governing its
    /// files, the registry, and the summaries of its files as they are on disk (every report but a piped
    /// file's, whose disk copy counts instead, when there is one), so `check` and the editor always agree.
    fn convention_of(
        &mut self,
        config: &Config,
        root: &Path,
        reports: &[FileReport],
        piped: &[PathBuf],
        registry_flag: bool,
    ) -> ConventionDecision {
        let disk = self.disk().clone();
        let project_file = reports
            .iter()
            .find_map(|r| convention::project_file_on_disk(&disk, &mut self.configs, &r.path));
        let disk_copies: Vec<(PathBuf, AppSummary)> = piped
            .iter()
            .filter(|path| path.starts_with(root) && disk.is_file(path))
            .filter_map(|path| {
                convention::summary_on_disk(&disk, &mut self.configs, path, root)
                    .map(|summary| (path.clone(), summary))
            })
            .collect();
        let on_disk = reports
            .iter()
            .filter(|r| !piped.contains(&self.normalize(&r.path)))
            .map(|r| (r.path.as_path(), &r.summary))
            .chain(
                disk_copies
                    .iter()
                    .map(|(path, summary)| (path.as_path(), summary)),
            );
        convention::decide(config, project_file.as_deref(), registry_flag, on_disk)
    }
}
