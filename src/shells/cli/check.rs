//! `portos-lsp check`: every ecosystem file under the paths, checked per file and across each workspace.

use super::output::{self, OutputFormat, Rendered};
use super::settings::{self, ConfigChoice};
use crate::ide::Host;
use crate::ide::Severity;
use crate::ide::check::CheckRequest;
use crate::ide::convention;
use crate::ide::inputs::Unreadable;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

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
    /// it) and its place in the workspace, where it replaces that file's disk copy. Without it stdin is
    /// `<stdin>`, checked on its own: no directory is walked for it.
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
    /// Apply the safe fixes (the quick fixes the editor offers), each verified first: kept only when it
    /// resolves its finding, adds no finding at warning level or above, moves every literal stating the same
    /// port and gives no port twice; then report what is left. Files with a syntax error are never touched.
    #[arg(long, conflicts_with = "diff")]
    fix: bool,
    /// Print the verified safe fixes as a unified diff instead of applying them (files named relative to the
    /// working directory, for `git apply` or `patch -p1`); exit 1 when there is one.
    #[arg(long)]
    diff: bool,
    /// Exit 0 when the paths hold no ecosystem file (by default that is an error, exit 2: a CI gate that
    /// checked nothing has not passed).
    #[arg(long)]
    allow_no_files: bool,
    #[command(flatten)]
    config: ConfigChoice,
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
    let external = args.config.external(false);
    if args.fix || args.diff {
        let mut host = args.config.host();
        let (fixed, unreadable, checked) = match host.fix_paths(
            &paths,
            args.stdin_filename.as_deref(),
            external,
            &settings::env,
        ) {
            Ok(done) => done,
            Err(message) => {
                eprintln!("error: {message}");
                return super::EXIT_TROUBLE;
            }
        };
        if checked == 0 && unreadable.is_empty() && !args.allow_no_files {
            return nothing_checked(&host, &paths);
        }
        if args.diff {
            // With --fix the check below reports what could not be read; --diff stops here.
            for failure in &unreadable {
                eprintln!("{}", shown_failure(&host, failure));
            }
            let cwd = host.normalize(std::path::Path::new("."));
            let full: Vec<_> = fixed.iter().map(|f| host.normalize(&f.path)).collect();
            let names = super::diff::DiffNames::new(&cwd, full.iter().map(|p| p.as_path()));
            if let Some(note) = names.note() {
                eprintln!("{note}");
            }
            let mut stdout = std::io::stdout().lock();
            for (file, full) in fixed.iter().zip(&full) {
                let name = names.name(full, &host.shown(&file.path));
                let _ = write!(
                    stdout,
                    "{}",
                    super::diff::unified(&name, &file.old, &file.new)
                );
            }
            return if !unreadable.is_empty() {
                super::EXIT_TROUBLE
            } else if fixed.is_empty() {
                super::EXIT_OK
            } else {
                super::EXIT_FINDINGS
            };
        }
        for file in &fixed {
            if let Err(e) = std::fs::write(&file.path, &file.new) {
                eprintln!(
                    "error: {}: cannot write the fixes: {e}",
                    host.shown(&file.path).display()
                );
                return super::EXIT_TROUBLE;
            }
        }
        if !fixed.is_empty() {
            let noun = if fixed.len() == 1 { "file" } else { "files" };
            eprintln!("fixed {} {noun}", fixed.len());
        }
    }
    let mut host = args.config.host();
    let request = CheckRequest {
        paths: &paths,
        stdin_filename: args.stdin_filename.as_deref(),
        stdin: super::read_stdin_if_named(&paths),
        external,
        env: &settings::env,
    };
    let run = match host.check_paths(request) {
        Ok(run) => run,
        Err(message) => {
            eprintln!("error: {message}");
            return super::EXIT_TROUBLE;
        }
    };
    for warning in &run.warnings {
        eprintln!("warning: {warning}");
    }
    if run.results.is_empty() && run.unreadable.is_empty() && !args.allow_no_files {
        return nothing_checked(&host, &paths);
    }
    for path in &run.without_apps {
        eprintln!(
            "note: {}: defines no apps, so PM2 would start nothing from it",
            host.shown(path).display()
        );
    }
    // The errors first: the summary line below refers to them.
    for failure in &run.unreadable {
        eprintln!("{}", shown_failure(&host, failure));
    }
    // Said once, never as a finding: on the summary line, or on stderr for the machine formats.
    let note =
        (run.left_off_by_auto > 0).then(|| convention::note(run.left_off_by_auto, run.workspaces));
    if let Some(note) = &note
        && !output::has_summary_line(args.output_format)
    {
        eprintln!("note: {note}");
    }
    let results: Vec<_> = run
        .results
        .into_iter()
        .map(|(report, text)| (output::shown_report(&host, report), text))
        .collect();
    let rendered: Rendered = output::render(
        args.output_format,
        &results,
        color,
        run.unreadable.len(),
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
    if !run.unreadable.is_empty() {
        return super::EXIT_TROUBLE;
    }
    let fails = results
        .iter()
        .flat_map(|(r, _)| &r.findings)
        .any(|f| match args.deny {
            Some(Deny::Warnings) => f.severity <= Severity::Warning,
            None => f.severity == Severity::Error,
        });
    if fails && !args.exit_zero {
        super::EXIT_FINDINGS
    } else {
        super::EXIT_OK
    }
}

/// `error: PATH: reason`, the path as [`Host::shown`] names it.
pub(super) fn shown_failure(host: &Host, failure: &Unreadable) -> String {
    format!(
        "error: {}: {}",
        host.shown(&failure.path).display(),
        failure.reason
    )
}

/// The paths held no ecosystem file: said, with what was looked for, and exit 2 (a gate that checked nothing
/// has not passed; `--allow-no-files` passes it).
fn nothing_checked(host: &Host, paths: &[PathBuf]) -> i32 {
    let named: Vec<String> = paths
        .iter()
        .map(|p| host.shown(p).display().to_string())
        .collect();
    eprintln!(
        "error: no ecosystem file in {}: looked for {} (and the `files` globs of portos-lsp.toml), so nothing \
         was checked; `--allow-no-files` exits 0 instead",
        named.join(", "),
        crate::ide::ECOSYSTEM_NAMES
    );
    super::EXIT_TROUBLE
}
