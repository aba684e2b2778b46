//! `portos-lsp next`: the next free port(s) for the app in a directory, with the reason each is free.

use super::settings::{self, ConfigChoice};
use crate::ide::next::{self, NextAnswer};
use serde_json::json;
use std::path::PathBuf;

/// Arguments of `next`.
#[derive(clap::Args)]
pub struct NextArgs {
    /// The app: its directory or one of its ecosystem files. Defaults to the current directory.
    path: Option<PathBuf>,
    /// How many ports, from 1 to 100 (contiguous where possible).
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=100))]
    count: u16,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// Also treat ports listening on this machine as taken (`[portos] live_ports`).
    #[arg(long)]
    live_ports: bool,
    #[command(flatten)]
    config: ConfigChoice,
}

/// Runs `next`.
pub fn run(args: NextArgs) -> i32 {
    let path = args.path.clone().unwrap_or_else(|| PathBuf::from("."));
    let dir = match std::fs::metadata(&path) {
        Err(e) => {
            eprintln!("error: {}: cannot read: {e}", path.display());
            return super::EXIT_TROUBLE;
        }
        Ok(meta) => next::app_dir_of(&path, meta.is_file()),
    };
    let mut host = args.config.host();
    let answer = match host.next_ports(
        &dir,
        usize::from(args.count),
        args.config.external(args.live_ports),
        &settings::env,
    ) {
        Ok(answer) => answer,
        Err(message) => {
            eprintln!("error: {message}");
            return super::EXIT_TROUBLE;
        }
    };
    for failure in &answer.own_unreadable {
        eprintln!("{}", super::check::shown_failure(&host, failure));
    }
    for failure in &answer.context_unreadable {
        eprintln!(
            "warning: {}: {} (elsewhere in the workspace; its ports are not counted as taken)",
            host.shown(&failure.path).display(),
            failure.reason
        );
    }
    if answer.own_unknown {
        return super::EXIT_TROUBLE;
    }
    for warning in &answer.warnings {
        eprintln!("warning: {warning}");
    }
    let printed = super::print_bytes(print_answer(&args, &host.shown(&dir), &answer).as_bytes());
    if printed != super::EXIT_OK {
        return printed;
    }
    if answer.allocation.offers.is_empty() {
        return super::EXIT_FINDINGS;
    }
    if answer.own_unreadable.is_empty() {
        super::EXIT_OK
    } else {
        super::EXIT_TROUBLE
    }
}

/// The answer as `next` prints it.
fn print_answer(args: &NextArgs, dir: &std::path::Path, answer: &NextAnswer) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let allocation = &answer.allocation;
    let noun = if args.count == 1 { "port" } else { "ports" };
    let not_an_app_note = answer.app.is_none().then(|| {
        let count = answer.apps_below.len();
        format!(
            "{} holds no ecosystem file of its own, so it is not an app: it holds {count} {} ({}); name an \
             app's directory for the next port of its block",
            if dir.as_os_str() == "." {
                "This directory".to_string()
            } else {
                dir.display().to_string()
            },
            if count == 1 { "app" } else { "apps" },
            answer.apps_below.join(", ")
        )
    });
    if args.json {
        let value = json!({
            "app": answer.app,
            "directory": dir.display().to_string(),
            "range": answer.range.map(|r| [r.first, r.last]),
            "block": allocation.block.map(|(a, b)| [a, b]),
            "ports": allocation.offers,
            "note": allocation.note.as_ref().or(not_an_app_note.as_ref()),
        });
        let _ = writeln!(out, "{value}");
        return out;
    }
    match &answer.app {
        None => {
            if let Some(note) = &not_an_app_note {
                let _ = writeln!(out, "{note}.");
            }
            let _ = writeln!(out, "Next free {noun} for a new app in this workspace:");
        }
        Some(name) => {
            let whole = answer.range_text();
            let block = match allocation.block {
                Some((a, b)) => format!(" (block {})", next::span(a, b)),
                None if answer.own.is_empty() => " (no ports yet)".into(),
                None => {
                    let list: Vec<String> = answer.own.iter().map(u16::to_string).collect();
                    format!(
                        " (no ports in {} {whole}; it uses {})",
                        answer.range_name,
                        list.join(", ")
                    )
                }
            };
            let _ = writeln!(out, "Next free {noun} for {name}{block}:");
        }
    }
    for offer in &allocation.offers {
        let _ = writeln!(out, "  {}  {}", offer.port, offer.reason);
    }
    if let Some(note) = &allocation.note {
        let _ = writeln!(out, "note: {note}");
    }
    out
}
