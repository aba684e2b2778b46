//! The command line: argument parsing, reading files, exit codes. Each subcommand lives in its own module.

mod check;
mod explain;
mod input;
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
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check ecosystem files and report findings (exit 1 on errors).
    #[command(alias = "lint")]
    Check(check::CheckArgs),
    /// Print each process's ports the way PortOS's apps list shows them.
    Ports(ports::PortsArgs),
    /// Suggest the next free port(s) for an app, with the reason each is free.
    Next(next::NextArgs),
    /// Print a rule's documentation (or list every rule).
    Explain(explain::ExplainArgs),
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
        Command::Check(args) => check::run(args),
        Command::Ports(args) => ports::run(args),
        Command::Next(args) => next::run(args),
        Command::Explain(args) => explain::run(args),
    }
}

/// The paths to work on, defaulting to the current directory.
fn paths_or_cwd(paths: Vec<PathBuf>) -> Vec<PathBuf> {
    if paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        paths
    }
}
