//! `portos-lsp next`: the next free port(s) for the app in a directory, with the reason each is free.

use super::input;
use super::settings::{self, ConfigChoice};
use crate::features::occupied;
use crate::rules::FileCheck;
use serde_json::json;
use std::path::{Path, PathBuf};

/// Arguments of `next`.
#[derive(clap::Args)]
pub struct NextArgs {
    /// The app: its directory or one of its ecosystem files. Defaults to the current directory.
    path: Option<PathBuf>,
    /// How many ports (contiguous where possible).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=100))]
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
        // A bare file name's parent is "", which is the current directory.
        Ok(meta) if meta.is_file() => path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from(".")),
        Ok(_) => path.clone(),
    };
    let mut host = args.config.host();
    let app_dir = host.vfs.normalize(&dir);
    let root = crate::config::workspace_root(&*host.vfs, &app_dir);
    let config = match host.configs.for_file(&app_dir.join("ecosystem.config.cjs")) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("error: {error}");
            return super::EXIT_TROUBLE;
        }
    };
    let Some((pending, mut unreadable)) =
        input::collect_or_report(std::slice::from_ref(&root), None, &mut host.configs)
    else {
        return super::EXIT_TROUBLE;
    };
    let name = crate::analysis::app_name(&*host.vfs, &app_dir);
    let mut summaries = Vec::new();
    for item in pending {
        let Some(input) = item.read_or_note(&mut host.configs, &mut unreadable) else {
            continue;
        };
        let analysis = host.analyze(&input.path, input.text, &config, &root);
        summaries.push(FileCheck::new(&analysis, &config).summary());
    }
    for failure in &unreadable {
        eprintln!("{failure}");
    }
    let external =
        settings::external_ports(&config, args.config.registry, args.live_ports).for_app(&app_dir);
    let all: Vec<&crate::rules::AppSummary> = summaries.iter().collect();
    let ports = occupied::app_ports(&app_dir, &name, &all, &config, &external);
    let (range, _) = ports.range(&config);
    let allocation = ports.allocate(&config, usize::from(args.count));
    if args.json {
        let value = json!({
            "app": name,
            "directory": dir.display().to_string(),
            "range": [range.first, range.last],
            "block": allocation.block.map(|(a, b)| [a, b]),
            "ports": allocation.offers,
            "note": allocation.note,
        });
        println!("{value}");
    } else {
        let block = match allocation.block {
            Some((a, b)) => format!(" (block {a}–{b})"),
            None => " (no ports yet)".into(),
        };
        let noun = if args.count == 1 { "port" } else { "ports" };
        println!("Next free {noun} for {name}{block}:");
        for offer in &allocation.offers {
            println!("  {}  {}", offer.port, offer.reason);
        }
        if let Some(note) = &allocation.note {
            println!("note: {note}");
        }
    }
    if allocation.offers.is_empty() {
        return super::EXIT_FINDINGS;
    }
    if unreadable.is_empty() {
        super::EXIT_OK
    } else {
        super::EXIT_TROUBLE
    }
}
