//! `portos-lsp next`: the next free port(s) for the app in a directory, with the reason each is free.

use super::input;
use super::settings::{self, ConfigCache, ConfigChoice};
use crate::config::{RangeKind, Role};
use crate::features::allocator::{self, Occupied, Request};
use crate::rules::{self, FileCheck};
use serde_json::json;
use std::collections::BTreeSet;
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

/// The app's name: its directory's `package.json` name, else the directory name.
pub fn app_name(dir: &Path) -> String {
    let from_package = std::fs::read_to_string(dir.join("package.json"))
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .and_then(|v| v.get("name").and_then(|n| n.as_str()).map(str::to_string));
    from_package.unwrap_or_else(|| {
        std::path::absolute(dir)
            .ok()
            .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "app".into())
    })
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
    let app_dir = crate::model::normalize(&dir);
    let root = crate::config::workspace_root(&app_dir);
    let mut configs = ConfigCache::new(args.config.source());
    let config = match configs.for_file(&app_dir.join("ecosystem.config.cjs")) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("error: {error}");
            return super::EXIT_TROUBLE;
        }
    };
    let Some((pending, mut unreadable)) =
        input::collect_or_report(std::slice::from_ref(&root), None, &mut configs)
    else {
        return super::EXIT_TROUBLE;
    };
    let name = app_name(&app_dir);
    let mut occupied = Occupied::default();
    let mut own: BTreeSet<u16> = BTreeSet::new();
    let mut role = config.app_role;
    for item in pending {
        let Some(input) = item.read_or_note(&mut configs, &mut unreadable) else {
            continue;
        };
        let file_dir = crate::model::normalize(&input.path)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let analysis = input::analyze_with(&input.path, input.text, &config, root.clone());
        let check = FileCheck::new(&analysis, &config);
        let is_own = file_dir == app_dir;
        if is_own && role.is_none() {
            role = Some(check.role);
        }
        let other_app = app_name(&file_dir);
        for labelled in &analysis.labels.processes {
            let process = &analysis.model.processes[labelled.index];
            for binding in &labelled.bindings {
                let Some(port) = binding.number().filter(|p| *p != 0) else {
                    continue;
                };
                if is_own && binding.served() {
                    own.insert(port);
                } else if is_own {
                    // The app's own connects-to ports (a database it runs beside) are not free either.
                    occupied.add(
                        port,
                        format!(
                            "{} connects to it ({})",
                            process.display_name(),
                            binding.label
                        ),
                    );
                } else {
                    occupied.add(
                        port,
                        format!(
                            "{} ({}) of app {other_app}",
                            process.display_name(),
                            binding.label
                        ),
                    );
                }
            }
        }
        if let Some(table) = analysis.model.ports_table() {
            rules::invalid_port::table_leaves(&table.value, "PORTS", &mut |entry, value| {
                if let crate::model::Value::Number(n) = value.value
                    && n.fract() == 0.0
                    && (1.0..=65535.0).contains(&n)
                {
                    let port = n as u16;
                    if is_own {
                        own.insert(port);
                    } else {
                        occupied.add(port, format!("{entry} of app {other_app}"));
                    }
                }
            });
        }
    }
    for failure in &unreadable {
        eprintln!("{failure}");
    }
    for (port, owner) in &config.core_ports {
        occupied.add(
            *port,
            format!("PortOS's {} ({})", owner.process, owner.label),
        );
    }
    for (port, owner) in &config.common_ports {
        occupied.add(*port, format!("commonly used by {owner}"));
    }
    let external =
        settings::external_ports(&config, args.config.registry, args.live_ports).for_app(&app_dir);
    for (port, owner) in &external.registry {
        occupied.add(*port, format!("{owner} (PortOS registry)"));
    }
    for port in &external.listening {
        occupied.add(*port, "listening on this machine");
    }
    let (kind, setting) = match role.unwrap_or(Role::User) {
        Role::Core => (RangeKind::Core, "[ranges] core"),
        Role::Extension => (RangeKind::Reserved, "[ranges] reserved"),
        Role::User => (RangeKind::User, "[ranges] user"),
    };
    let range = config.range(kind);
    let own_in_range: BTreeSet<u16> = own.iter().copied().filter(|p| range.contains(*p)).collect();
    let request = Request {
        app: &name,
        own: &own_in_range,
        range,
        range_setting: setting,
        count: usize::from(args.count),
    };
    let allocation = allocator::allocate(&request, &occupied);
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
