//! The command line: argument parsing, reading files, exit codes. Each subcommand lives in its own module.

mod check;
mod completions;
mod diff;
mod explain;
mod migrate;
mod next;
mod output;
pub mod ports;
mod settings;

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Exit code for success with nothing to report.
pub const EXIT_OK: i32 = 0;
/// Exit code for findings at the failing level.
pub const EXIT_FINDINGS: i32 = 1;
/// Exit code for usage errors, bad configuration, or paths that could not be read or decoded.
pub const EXIT_TROUBLE: i32 = 2;

#[derive(Parser)]
#[command(
    name = "portos-lsp",
    version,
    about = "Checks PM2 ecosystem files against PortOS's port allocation convention"
)]
struct Cli {
    /// Run the language server on stdio (the same as `serve`).
    #[arg(long)]
    stdio: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Check ecosystem files and report findings (exit 1 on errors, 2 when the paths hold no ecosystem file).
    #[command(alias = "lint")]
    Check(check::CheckArgs),
    /// Print each process's ports: what PortOS's apps list shows under its convention, every port each
    /// process serves (per environment) in a plain PM2 project.
    Ports(ports::PortsArgs),
    /// Suggest the next free port(s) for an app, with the reason each is free (never inside another app's
    /// block).
    Next(next::NextArgs),
    /// Print a rule's documentation (or list every rule).
    Explain(explain::ExplainArgs),
    /// Move v1 `ports` maps and literal ports to a top-level PORTS table (prints the diff; --write applies it).
    Migrate(migrate::MigrateArgs),
    /// Run the language server on stdio (editors start it this way).
    Serve(ServeArgs),
    /// Print the shell completion script for bash, zsh, fish, PowerShell or Elvish.
    Completions(completions::CompletionsArgs),
    /// Print the man page (or write every command's page into a directory).
    Manpage(completions::ManpageArgs),
}

/// Arguments of `serve`.
#[derive(clap::Args)]
struct ServeArgs {
    /// Speak LSP over stdin/stdout (the only transport, accepted because editors pass it).
    #[arg(long)]
    stdio: bool,
}

/// Runs the command line and returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                EXIT_TROUBLE
            } else {
                EXIT_OK
            };
            let _ = e.print();
            return code;
        }
    };
    match cli.command {
        Some(Command::Check(args)) => check::run(args),
        Some(Command::Ports(args)) => ports::run(args),
        Some(Command::Next(args)) => next::run(args),
        Some(Command::Explain(args)) => explain::run(args),
        Some(Command::Migrate(args)) => migrate::run(args),
        Some(Command::Serve(_)) => super::lsp::run_stdio(),
        Some(Command::Completions(args)) => {
            completions::completions(args, <Cli as clap::CommandFactory>::command())
        }
        Some(Command::Manpage(args)) => {
            completions::manpage(args, <Cli as clap::CommandFactory>::command())
        }
        None if cli.stdio => super::lsp::run_stdio(),
        None => {
            use clap::CommandFactory;
            let _ = Cli::command().print_help();
            EXIT_TROUBLE
        }
    }
}

/// Writes `bytes` to stdout; a closed pipe (`| head`) ends the output quietly, as a Unix tool's does.
fn print_bytes(bytes: &[u8]) -> i32 {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => EXIT_OK,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => EXIT_OK,
        Err(e) => {
            eprintln!("error: cannot write to stdout: {e}");
            EXIT_TROUBLE
        }
    }
}

/// Stdin's bytes when a path is `-` (the host reads everything else through its file system).
fn read_stdin_if_named(paths: &[PathBuf]) -> Option<crate::ide::inputs::Stdin> {
    use std::io::Read;
    paths.iter().any(|p| p.as_os_str() == "-").then(|| {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map(|_| bytes)
            .map_err(|e| e.to_string())
    })
}

/// The paths to work on, defaulting to the current directory.
fn paths_or_cwd(paths: Vec<PathBuf>) -> Vec<PathBuf> {
    if paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        paths
    }
}
