//! `portos-lsp next`: the next free port(s) for the app in a directory, with the reason each is free.

use super::input;
use super::settings::{self, ConfigChoice};
use crate::features::{allocator, occupied};
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
    // Only the app asked about was named: a problem elsewhere in the workspace is logged, not fatal (spec §8).
    let (named, context): (Vec<_>, Vec<_>) = unreadable
        .into_iter()
        .partition(|failure| host.vfs.normalize(&failure.path).starts_with(&app_dir));
    for failure in &named {
        eprintln!("{failure}");
    }
    for failure in &context {
        eprintln!(
            "warning: {}: {} (elsewhere in the workspace; its ports are not counted as taken)",
            failure.path.display(),
            failure.reason
        );
    }
    // Without the app's own file (or directory) its block is unknown: no answer is better than a wrong one.
    let own_unknown = named.iter().any(|failure| {
        let path = host.vfs.normalize(&failure.path);
        path == app_dir || path.parent() == Some(app_dir.as_path())
    });
    if own_unknown {
        return super::EXIT_TROUBLE;
    }
    let external =
        settings::external_ports(&config, args.config.registry, args.live_ports).for_app(&app_dir);
    let all: Vec<&crate::rules::AppSummary> = summaries.iter().collect();
    // A directory with no ecosystem file of its own but apps below it (a workspace root) is no app: the answer
    // is for a new app, and says so.
    let is_own = |s: &&crate::rules::AppSummary| s.app_dir == app_dir;
    let mut dirs_below = std::collections::BTreeSet::new();
    let apps_below: Vec<&str> = all
        .iter()
        .filter(|s| !is_own(s) && s.app_dir.starts_with(&app_dir))
        .filter(|s| dirs_below.insert(&s.app_dir))
        .map(|s| s.app_name.as_str())
        .collect();
    let not_an_app = !all.iter().any(is_own) && !apps_below.is_empty();
    let asking = if not_an_app { "a new app" } else { &name };
    let ports = occupied::app_ports(&app_dir, asking, &all, &config, &external);
    let (range, _) = ports.range(&config);
    let allocation = ports.allocate(&config, usize::from(args.count));
    let noun = if args.count == 1 { "port" } else { "ports" };
    let not_an_app_note = not_an_app.then(|| {
        let count = apps_below.len();
        format!(
            "{} holds no ecosystem file of its own, so it is not an app: it holds {count} {} ({}); name an \
             app's directory for the next port of its block",
            if dir.as_os_str() == "." {
                "This directory".to_string()
            } else {
                dir.display().to_string()
            },
            if count == 1 { "app" } else { "apps" },
            apps_below.join(", ")
        )
    });
    if args.json {
        let value = json!({
            "app": (!not_an_app).then_some(&name),
            "directory": dir.display().to_string(),
            "range": [range.first, range.last],
            "block": allocation.block.map(|(a, b)| [a, b]),
            "ports": allocation.offers,
            "note": allocation.note.as_ref().or(not_an_app_note.as_ref()),
        });
        println!("{value}");
    } else {
        if let Some(note) = &not_an_app_note {
            println!("{note}.");
            println!("Next free {noun} for a new app in this workspace:");
        } else {
            let whole = allocator::span(range.first, range.last);
            let block = match allocation.block {
                Some((a, b)) => format!(" (block {})", allocator::span(a, b)),
                None if ports.own.is_empty() => " (no ports yet)".into(),
                None => {
                    let list: Vec<String> = ports.own.iter().map(u16::to_string).collect();
                    format!(
                        " (no ports in {} {whole}; it uses {})",
                        ports.range_name(),
                        list.join(", ")
                    )
                }
            };
            println!("Next free {noun} for {name}{block}:");
        }
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
    if named.is_empty() {
        super::EXIT_OK
    } else {
        super::EXIT_TROUBLE
    }
}
