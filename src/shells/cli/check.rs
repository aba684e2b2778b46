//! `portos-lsp check`: every ecosystem file under the paths, checked per file and across each workspace.

use super::input;
use super::output::{self, OutputFormat, Rendered};
use super::settings::{self, ConfigChoice};
use crate::config::Config;
use crate::ide::convention::{self, ConventionDecision};
use crate::ide::{AnalysisJob, BATCH, Host};
use crate::rules::{self, AppSummary, FileReport};
use crate::vfs::{DiskVfs, Overlay, Vfs};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// When to colour the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// When stdout is a terminal and `NO_COLOR` is not set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Which findings fail the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Deny {
    /// Warnings fail the run too, not only errors.
    Warnings,
}

/// Arguments of `check`.
#[derive(clap::Args)]
pub struct CheckArgs {
    /// Files or directories (every ecosystem file below a directory), or `-` for stdin. Defaults to `.`.
    paths: Vec<PathBuf>,
    /// How to print findings.
    #[arg(long = "output-format", visible_alias = "format", value_enum, default_value_t = OutputFormat::Full)]
    output_format: OutputFormat,
    /// Judge stdin as the file at this path: its configuration, its directory (the app, the variants beside
    /// it) and its place in the workspace, where it replaces that file's disk copy.
    #[arg(long, value_name = "PATH")]
    stdin_filename: Option<PathBuf>,
    /// Colour the report.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    /// Fail on warnings as well as errors.
    #[arg(long, value_enum)]
    deny: Option<Deny>,
    /// Exit 0 even when there are findings (usage and read errors still exit 2).
    #[arg(long)]
    exit_zero: bool,
    /// Apply the safe fixes (the quick fixes the editor offers), re-checking after each pass, then report
    /// what is left. Files with a syntax error are never touched.
    #[arg(long, conflicts_with = "diff")]
    fix: bool,
    /// Print the safe fixes as a unified diff instead of applying them; exit 1 when there is one.
    #[arg(long)]
    diff: bool,
    #[command(flatten)]
    config: ConfigChoice,
}

/// A checked file and its text, kept only when it has findings (or came from stdin).
type Checked = (FileReport, Option<Arc<str>>);

/// Checks a batch of files on every core and files each report under its workspace, with its text when it
/// has findings or came from stdin (its frames are shown from it).
fn keep_checked(
    host: &Host,
    batch: Vec<(AnalysisJob, bool)>,
    workspaces: &mut BTreeMap<PathBuf, Vec<Checked>>,
    config_of: &mut BTreeMap<PathBuf, Arc<Config>>,
) {
    let (jobs, from_stdin): (Vec<AnalysisJob>, Vec<bool>) = batch.into_iter().unzip();
    let reports = host.check_each(&jobs);
    for ((job, report), from_stdin) in jobs.into_iter().zip(reports).zip(from_stdin) {
        let keep = from_stdin || !report.findings.is_empty();
        config_of.entry(job.root.clone()).or_insert(job.config);
        workspaces
            .entry(job.root)
            .or_default()
            .push((report, keep.then_some(job.text)));
    }
}

/// Runs `check`.
pub fn run(args: CheckArgs) -> i32 {
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    let paths = super::paths_or_cwd(args.paths.clone());
    if args.fix || args.diff {
        let Some(fixed) =
            super::fix::fix_files(&paths, &args.config, args.stdin_filename.as_deref())
        else {
            return super::EXIT_TROUBLE;
        };
        if args.diff {
            let mut stdout = std::io::stdout().lock();
            for file in &fixed {
                let name = file.path.display().to_string();
                let _ = write!(
                    stdout,
                    "{}",
                    super::diff::unified(&name, &file.old, &file.new)
                );
            }
            return if fixed.is_empty() {
                super::EXIT_OK
            } else {
                super::EXIT_FINDINGS
            };
        }
        for file in &fixed {
            if let Err(e) = std::fs::write(&file.path, &file.new) {
                eprintln!(
                    "error: {}: cannot write the fixes: {e}",
                    file.path.display()
                );
                return super::EXIT_TROUBLE;
            }
        }
        if !fixed.is_empty() {
            let noun = if fixed.len() == 1 { "file" } else { "files" };
            eprintln!("fixed {} {noun}", fixed.len());
        }
    }
    // A piped file is judged as the file at `--stdin-filename` (its directory, its variants) and replaces
    // that file's disk copy in the workspace: laid over the disk, it is what every read of that path sees.
    let overlay = Arc::new(Overlay::new(Arc::new(DiskVfs::new())));
    let mut host = args.config.host_over(overlay.clone());
    let Some((pending, mut unreadable)) =
        input::collect_or_report(&paths, args.stdin_filename.as_deref(), &mut host.configs)
    else {
        return super::EXIT_TROUBLE;
    };
    let mut stdin_copies: Vec<PathBuf> = Vec::new();
    for item in pending.iter().filter(|item| item.is_stdin()) {
        if let Some(text) = item.stdin_text() {
            let path = host.vfs.normalize(item.path());
            overlay.set(path.clone(), text.clone());
            stdin_copies.push(path);
        }
    }
    // Group by workspace: cross-file rules ask their questions within one workspace. Files are read in
    // batches, analysed and checked on every core; only their summaries (and the text of files with
    // findings) are kept.
    let mut workspaces: BTreeMap<PathBuf, Vec<Checked>> = BTreeMap::new();
    let mut config_of: BTreeMap<PathBuf, Arc<Config>> = BTreeMap::new();
    let mut batch: Vec<(AnalysisJob, bool)> = Vec::new();
    for item in pending {
        if let Err(error) = host.configs.for_file(item.path()) {
            eprintln!("error: {error}");
            return super::EXIT_TROUBLE;
        }
        let from_stdin = item.is_stdin();
        let Some(input) = item.read_or_note(&mut host.configs, &mut unreadable) else {
            continue;
        };
        let config = match host.configs.for_file(&input.path) {
            Ok(config) => config,
            Err(error) => {
                eprintln!("error: {error}");
                return super::EXIT_TROUBLE;
            }
        };
        let root = host.configs.workspace_root(&input.path);
        let job = AnalysisJob {
            path: input.path,
            text: input.text,
            config,
            root,
        };
        batch.push((job, from_stdin));
        if batch.len() == BATCH {
            keep_checked(
                &host,
                std::mem::take(&mut batch),
                &mut workspaces,
                &mut config_of,
            );
        }
    }
    keep_checked(&host, batch, &mut workspaces, &mut config_of);
    for warning in host.configs.warnings() {
        eprintln!("warning: {warning}");
    }
    let mut results: Vec<(FileReport, Arc<str>)> = Vec::new();
    // Where PortOS's convention applies is decided per workspace from the disk alone (spec §9).
    let disk: Arc<dyn Vfs> = Arc::new(DiskVfs::new());
    let workspace_count = workspaces.len();
    let mut left_off_by_auto = 0;
    for (root, entries) in workspaces {
        let config = config_of.remove(&root).unwrap_or_default();
        let external = settings::external_ports(&config, args.config.registry, false);
        let (mut reports, texts): (Vec<FileReport>, Vec<Option<Arc<str>>>) =
            entries.into_iter().unzip();
        // Cross-file questions are asked in the whole workspace (spec §1), not only among the paths named:
        // the workspace's other ecosystem files take part as context and are not reported on.
        let named = reports.len();
        // A named directory that holds the whole workspace was walked already: nothing is missing.
        let walked_whole = paths
            .iter()
            .any(|p| root.starts_with(host.vfs.normalize(p)));
        if !walked_whole {
            let mut seen: BTreeSet<PathBuf> = reports
                .iter()
                .map(|r| host.vfs.normalize(&r.path))
                .collect();
            // The piped file's disk copy, however the walk spells it, is replaced by the piped text.
            seen.extend(
                stdin_copies
                    .iter()
                    .filter_map(|p| input::disk_copy_in(&root, p)),
            );
            reports.extend(host.context_reports(&root, &seen));
        }
        let decision = convention_of(
            &mut host,
            &disk,
            &config,
            &root,
            &reports,
            &stdin_copies,
            args.config.registry,
        );
        left_off_by_auto += usize::from(decision.left_off_by_auto());
        let all: Vec<&FileReport> = reports.iter().collect();
        let cross = rules::cross_file_findings(&all, named, &config, &|app_dir: &Path| {
            external.for_app(app_dir)
        });
        for ((mut report, cross), text) in reports.into_iter().zip(cross).zip(texts).take(named) {
            report.findings = rules::merged(&report.findings, cross, &config);
            rules::apply_convention(&mut report.findings, decision.active);
            // A file that only has cross-file findings is read again for its source frames.
            let text = match text {
                Some(text) => text,
                None if report.findings.is_empty() => Arc::from(""),
                None => crate::vfs::read_text(&*host.vfs, &report.path, usize::MAX)
                    .unwrap_or_else(|_| Arc::from("")),
            };
            results.push((report, text));
        }
    }
    results.sort_by(|a, b| a.0.path.cmp(&b.0.path));

    // What the context walk left out was not asked about: logged, not fatal (spec §8).
    for (path, why) in host.take_context_problems() {
        eprintln!(
            "warning: {}: {why} (not a path named on the command line; left out of the cross-file checks)",
            path.display()
        );
    }
    // Said once, never as a finding: on the summary line, or on stderr for the machine formats.
    let note = (left_off_by_auto > 0).then(|| convention::note(left_off_by_auto, workspace_count));
    if let Some(note) = &note
        && !output::has_summary_line(args.output_format)
    {
        eprintln!("note: {note}");
    }
    let rendered: Rendered = output::render(
        args.output_format,
        &results,
        color,
        unreadable.len(),
        note.as_deref()
            .filter(|_| output::has_summary_line(args.output_format)),
    );
    let mut stdout = std::io::stdout().lock();
    if stdout
        .write_all(rendered.text.as_bytes())
        .and_then(|_| stdout.flush())
        .is_err()
    {
        return super::EXIT_TROUBLE;
    }
    for failure in &unreadable {
        eprintln!("{failure}");
    }
    if !unreadable.is_empty() {
        return super::EXIT_TROUBLE;
    }
    let fails = results
        .iter()
        .flat_map(|(r, _)| &r.findings)
        .any(|f| match args.deny {
            Some(Deny::Warnings) => f.severity <= rules::Severity::Warning,
            None => f.severity == rules::Severity::Error,
        });
    if fails && !args.exit_zero {
        super::EXIT_FINDINGS
    } else {
        super::EXIT_OK
    }
}

/// A workspace's decision on PortOS's convention from the disk alone: the project files governing its files,
/// the registry, and the summaries of its files as they are on disk (every report but a piped file's, whose
/// disk copy counts instead, when there is one), so `check` and the editor always agree.
fn convention_of(
    host: &mut Host,
    disk: &Arc<dyn Vfs>,
    config: &Config,
    root: &Path,
    reports: &[FileReport],
    piped: &[PathBuf],
    registry_flag: bool,
) -> ConventionDecision {
    let project_file = reports
        .iter()
        .find_map(|r| convention::project_file_on_disk(disk, &mut host.configs, &r.path));
    let disk_copies: Vec<(PathBuf, AppSummary)> = piped
        .iter()
        .filter(|path| path.starts_with(root) && disk.is_file(path))
        .filter_map(|path| {
            convention::summary_on_disk(disk, &mut host.configs, path, root)
                .map(|summary| (path.clone(), summary))
        })
        .collect();
    let on_disk = reports
        .iter()
        .filter(|r| !piped.contains(&host.vfs.normalize(&r.path)))
        .map(|r| (r.path.as_path(), &r.summary))
        .chain(
            disk_copies
                .iter()
                .map(|(path, summary)| (path.as_path(), summary)),
        );
    convention::decide(config, project_file.as_deref(), registry_flag, on_disk)
}
