//! `portos-lsp ports`: each process's ports in PortOS's display format, or as `/api/apps`-shaped JSON.

use super::settings::{self, ConfigChoice};
use crate::config::{Config, RangeKind};
use crate::ide::external::External;
use crate::ide::inputs::{self, Input};
use crate::ide::listing;
use crate::ide::port_map::{self, PortMap};
use crate::ide::{BATCH, CheckError, FileJob, FileReport, Host};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Arguments of `ports`.
#[derive(clap::Args)]
pub struct PortsArgs {
    /// Files or directories (every ecosystem file below a directory), or `-` for stdin. Defaults to `.`.
    paths: Vec<PathBuf>,
    /// One JSON object per file per line, shaped like PortOS's `/api/apps` processes, each process with the
    /// ports PM2 binds for it beside them (`served`).
    #[arg(long)]
    json: bool,
    /// Show what PortOS's own regex detector reads instead of what the file declares.
    #[arg(long)]
    as_portos: bool,
    /// The whole workspace's port map: each port of the ranges with its owner, free runs, conflicts (with
    /// `--json`: one object per workspace).
    #[arg(long, conflicts_with = "as_portos")]
    map: bool,
    /// Judge stdin as the file at this path (its name in the output, its directory, its configuration);
    /// without it stdin is `<stdin>`.
    #[arg(long)]
    stdin_filename: Option<PathBuf>,
    #[command(flatten)]
    config: ConfigChoice,
}

/// Runs `ports`.
pub fn run(args: PortsArgs) -> i32 {
    let paths = super::paths_or_cwd(args.paths.clone());
    if args.map {
        return run_map(&args, &paths);
    }
    let mut host = args.config.host();
    let Some((pending, mut unreadable)) =
        collect(&mut host, &paths, args.stdin_filename.as_deref())
    else {
        return super::EXIT_TROUBLE;
    };
    // One write per 64 KiB, not one per line (stdout is line-buffered).
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    // Files are read and their configurations found in order, analysed on every core a batch at a time, and
    // written in order; a broken configuration stops the run after the files before it, as it would one file
    // at a time.
    let mut order = Vec::new();
    let mut jobs = Vec::new();
    // `--registry`: each analysed file's registry, read once per set of settings, and what differs.
    let registry = args.config.registry && !args.as_portos;
    let mut externals: Vec<Option<Arc<External>>> = Vec::new();
    let mut differences: Vec<listing::RegistryDifference> = Vec::new();
    let mut registry_sources: BTreeSet<String> = BTreeSet::new();
    let mut broken = None;
    let mut conventions: BTreeMap<PathBuf, bool> = BTreeMap::new();
    let mut pending = pending.into_iter().peekable();
    while let Some(item) = pending.next() {
        if let Some(input) = item.read_or_note(&mut host.configs, &mut unreadable) {
            if args.as_portos {
                order.push(Job::AsPortos(input));
            } else {
                match host.config_for(&input.path) {
                    Ok(config) => {
                        let root = host.configs.workspace_root(&input.path);
                        if registry {
                            let request = args.config.external(false);
                            let external =
                                host.external_for(&config, request, &settings::env, &root);
                            for warning in &external.warnings {
                                eprintln!("warning: {warning}");
                            }
                            registry_sources.extend(external.registry_source.clone());
                            externals.push(Some(external));
                        } else {
                            externals.push(None);
                        }
                        order.push(Job::Analysed);
                        jobs.push(FileJob {
                            path: input.path,
                            text: input.text,
                            config,
                            root,
                        });
                    }
                    Err(error) => broken = Some(error),
                }
            }
        }
        let last = broken.is_some() || pending.peek().is_none();
        // `order` holds every file of the batch (`jobs` the analysed ones among them).
        if order.len() == BATCH || last {
            // The text listing is PortOS's under its convention and every served port in a plain project:
            // each workspace's decision, made from the disk once (the JSON carries both, and decides nothing).
            // Stdin with no `--stdin-filename` walks nothing: its settings and project file decide.
            if !args.json {
                for job in &jobs {
                    let key = decision_key(job);
                    if conventions.contains_key(key) {
                        continue;
                    }
                    let decision = if inputs::is_unplaced_stdin(&job.path) {
                        host.convention_of_unplaced(&job.path, args.config.registry)
                    } else {
                        host.convention_on_disk(&job.root, args.config.registry)
                    };
                    conventions.insert(key.to_path_buf(), decision.active);
                }
            }
            let form = if args.json {
                Form::Json
            } else {
                Form::Text(&conventions)
            };
            let batch = write_batch(
                &host,
                &std::mem::take(&mut order),
                &std::mem::take(&mut jobs),
                &std::mem::take(&mut externals),
                form,
                &mut unreadable,
                &mut differences,
            );
            if out.write_all(&batch).is_err() {
                return super::EXIT_TROUBLE;
            }
        }
        if broken.is_some() {
            break;
        }
    }
    if let Some(error) = broken {
        let _ = out.flush();
        eprintln!("error: {error}");
        return super::EXIT_TROUBLE;
    }
    if registry {
        let written = out.write_all(&registry_section(
            &differences,
            &registry_sources,
            args.json,
        ));
        if written.is_err() {
            return super::EXIT_TROUBLE;
        }
    }
    if out.flush().is_err() {
        return super::EXIT_TROUBLE;
    }
    drop(out);
    for failure in &unreadable {
        eprintln!("{failure}");
    }
    if unreadable.is_empty() {
        super::EXIT_OK
    } else {
        super::EXIT_TROUBLE
    }
}

/// How `ports` prints a file.
#[derive(Clone, Copy)]
enum Form<'a> {
    /// One JSON object per line.
    Json,
    /// Display lines, under each workspace's decision on PortOS's convention (by [`decision_key`]).
    Text(&'a BTreeMap<PathBuf, bool>),
}

/// The output of a batch of files, in their order: the analysed ones analysed on every core. A file whose
/// parse ran over its budget prints nothing and is noted in `unreadable`, as a file over the size limit is.
/// With `--registry`, what each file's registry says differently is gathered into `differences`.
fn write_batch(
    host: &Host,
    order: &[Job],
    jobs: &[FileJob],
    externals: &[Option<Arc<External>>],
    form: Form,
    unreadable: &mut Vec<inputs::Unreadable>,
    differences: &mut Vec<listing::RegistryDifference>,
) -> Vec<u8> {
    let registry = externals.iter().any(Option::is_some);
    let printed = host.analyze_each(jobs, |job, analysis| {
        analysis.map(|analysis| {
            let bytes = match form {
                Form::Json => listing::json_line(analysis),
                Form::Text(conventions) => {
                    let convention = conventions.get(decision_key(job)).copied().unwrap_or(true);
                    listing::human(analysis, convention).into_bytes()
                }
            };
            let mut differ = Vec::new();
            if registry {
                // The job's place in the batch finds its registry.
                let at = jobs.iter().position(|j| std::ptr::eq(j, job));
                if let Some(external) = at.and_then(|i| externals.get(i)).and_then(Option::as_ref) {
                    differ = listing::registry_differences(analysis, &job.config, external);
                }
            }
            (bytes, differ)
        })
    });
    let mut printed = jobs.iter().zip(printed);
    let mut text = Vec::new();
    for job in order {
        match job {
            Job::AsPortos(input) => {
                text.extend(
                    listing::as_portos(&input.path, &input.text, matches!(form, Form::Json))
                        .into_bytes(),
                );
            }
            Job::Analysed => match printed.next() {
                Some((_, Ok((bytes, differ)))) => {
                    text.extend(bytes);
                    differences.extend(differ);
                }
                Some((job, Err(stopped))) => unreadable.push(inputs::Unreadable {
                    path: job.path.clone(),
                    reason: stopped.to_string(),
                }),
                None => {}
            },
        }
    }
    text
}

/// What `ports --registry` prints under the usual table: each difference between PortOS's registry and the
/// files as PortOS would read them now (human: one line each; `--json`: one last object).
fn registry_section(
    differences: &[listing::RegistryDifference],
    sources: &BTreeSet<String>,
    json: bool,
) -> Vec<u8> {
    let source = if sources.is_empty() {
        "not read".to_string()
    } else {
        sources.iter().cloned().collect::<Vec<_>>().join(", ")
    };
    if json {
        let line = json!({ "registry": source, "registryDifferences": differences });
        return format!("{line}\n").into_bytes();
    }
    let mut text = format!("\nPortOS's registry ({source})\n");
    if sources.is_empty() {
        text.push_str("  not read: see the warning above\n");
    } else if differences.is_empty() {
        text.push_str("  no differences: PortOS shows what the files give\n");
    }
    for difference in differences {
        text.push_str(&format!(
            "  {}:{}:{}: {} (refresh app {} in PortOS)\n",
            difference.file.display(),
            difference.line,
            difference.column,
            difference.message,
            difference.id
        ));
    }
    text.into_bytes()
}

/// What a file's decision on PortOS's convention is remembered by: its workspace, or stdin itself when no
/// `--stdin-filename` places it in one.
fn decision_key(job: &FileJob) -> &Path {
    if inputs::is_unplaced_stdin(&job.path) {
        &job.path
    } else {
        &job.root
    }
}

/// One file of a `ports` run, in the order given.
enum Job {
    /// Read with PortOS's detector (`--as-portos`).
    AsPortos(Input),
    /// Analysed: the next of the answers of [`crate::ide::Host::analyze_each`].
    Analysed,
}

/// `ports --map`: the map of each workspace the paths are in, every ecosystem file of it taking part.
fn run_map(args: &PortsArgs, paths: &[PathBuf]) -> i32 {
    let mut host = args.config.host();
    let Some((pending, mut unreadable)) = collect(&mut host, paths, args.stdin_filename.as_deref())
    else {
        return super::EXIT_TROUBLE;
    };
    // Every workspace a named path is in, even one without ecosystem files (all of it is free).
    let mut workspaces: BTreeMap<PathBuf, Vec<FileReport>> = BTreeMap::new();
    for path in paths.iter().filter(|p| p.as_os_str() != "-") {
        let path = host.normalize(path);
        if host.is_dir(&path) {
            let root = host
                .configs
                .workspace_root(&path.join("ecosystem.config.cjs"));
            workspaces.entry(root).or_default();
        }
    }
    for item in pending {
        let Some(input) = item.read_or_note(&mut host.configs, &mut unreadable) else {
            continue;
        };
        let path = input.path.clone();
        match host.check(&input.path, input.text) {
            Ok(checked) => workspaces
                .entry(checked.root)
                .or_default()
                .push(checked.report),
            Err(CheckError::Stopped(stopped)) => unreadable.push(inputs::Unreadable {
                path,
                reason: stopped.to_string(),
            }),
            Err(CheckError::Config(error)) => {
                eprintln!("error: {}", error.shown_with(&|p| host.shown(p)));
                return super::EXIT_TROUBLE;
            }
        }
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for (i, (root, mut reports)) in workspaces.into_iter().enumerate() {
        let config = match host.config_for(&root.join("ecosystem.config.cjs")) {
            Ok(config) => config,
            Err(error) => {
                eprintln!("error: {error}");
                return super::EXIT_TROUBLE;
            }
        };
        let seen = reports.iter().map(|r| host.normalize(&r.path)).collect();
        reports.extend(host.context_reports(&root, &seen));
        // PortOS's own file, in the workspace or under `[portos] root`, joins the core table (spec §12).
        let config = host.core_config(
            &config,
            &root,
            reports.iter().map(|r| (r.path.as_path(), &r.summary)),
        );
        for warning in host.take_outside_warnings() {
            eprintln!("warning: {warning}");
        }
        let located: Vec<(PathBuf, &FileReport)> = reports
            .iter()
            .map(|r| (host.normalize(&r.path), r))
            .collect();
        let files: Vec<(&Path, &FileReport)> =
            located.iter().map(|(p, r)| (p.as_path(), *r)).collect();
        let convention = host.convention_on_disk(&root, args.config.registry).active;
        let mut map = port_map::port_map(&files, &config, convention);
        // Machine output names files relative to the workspace root, as documented. The table names them as
        // every other text output does, relative to the working directory, when the whole workspace is below
        // it; run from inside the workspace, relative to the root its header names.
        let shown_root = host.shown(&root);
        if args.json || shown_root.is_absolute() {
            map.map_paths(&|p| match p.strip_prefix(&root) {
                Ok(relative) if relative.as_os_str().is_empty() => PathBuf::from("."),
                Ok(relative) => relative.to_path_buf(),
                Err(_) => p.to_path_buf(),
            });
        } else {
            map.map_paths(&|p| host.shown(p));
        }
        let written = if args.json {
            one_based_lines(&mut map);
            let mut object = Map::new();
            object.insert("root".into(), json!(root.to_string_lossy()));
            if let Ok(Value::Object(fields)) = serde_json::to_value(&map) {
                object.extend(fields);
            }
            writeln!(out, "{}", Value::Object(object))
        } else {
            let gap = if i == 0 { "" } else { "\n" };
            write!(
                out,
                "{gap}workspace {}\n{}",
                shown_root.display(),
                map_table(&map, &config)
            )
        };
        if written.is_err() {
            return super::EXIT_TROUBLE;
        }
    }
    for warning in host.configs.warnings() {
        eprintln!("warning: {warning}");
    }
    for failure in &unreadable {
        eprintln!("{failure}");
    }
    if unreadable.is_empty() {
        super::EXIT_OK
    } else {
        super::EXIT_TROUBLE
    }
}

/// The files under `paths` (stdin read when one is `-`), or `None` after a usage error (printed).
fn collect(
    host: &mut Host,
    paths: &[PathBuf],
    stdin_filename: Option<&Path>,
) -> Option<(Vec<inputs::Pending>, Vec<inputs::Unreadable>)> {
    let stdin = super::read_stdin_if_named(paths);
    match inputs::collect(paths, stdin_filename, stdin, &mut host.configs) {
        Ok(collected) => Some(collected),
        Err(message) => {
            eprintln!("error: {message}");
            None
        }
    }
}

/// Machine output counts lines from 1, as `check`'s JSON does.
fn one_based_lines(map: &mut PortMap) {
    for app in &mut map.apps {
        for process in &mut app.processes {
            for port in &mut process.ports {
                port.line += 1;
            }
        }
    }
    for conflict in &mut map.conflicts {
        for used in &mut conflict.uses {
            used.line += 1;
        }
    }
}

/// The map as a table of the ranges: each port with its owners, runs of unused ports collapsed, conflicts
/// marked `!`; then the ports served outside every range, and each app's block.
pub fn map_table(map: &PortMap, config: &Config) -> String {
    let mut text = format!("guide {}: {}\n", config.guide, config.guide.describe());
    let sections = [
        (RangeKind::Core, "PortOS", "unused"),
        (RangeKind::Reserved, "PortOS extensions", "unused"),
        (RangeKind::User, "apps", "free"),
    ];
    for (kind, whose, idle) in sections {
        let range = config.range(kind);
        text.push_str(&format!("{} {range} ({whose})\n", kind.as_str()));
        let mut run: Option<(u16, u16)> = None;
        for port in range.iter().filter(|p| config.range_of(*p) == Some(kind)) {
            let lines = port_lines(map, config, port);
            if lines.is_empty() {
                run = match run {
                    Some((first, _)) => Some((first, port)),
                    None => Some((port, port)),
                };
                continue;
            }
            if let Some(idle_run) = run.take() {
                text.push_str(&run_line(idle_run, idle));
            }
            text.push_str(&lines);
        }
        if let Some(idle_run) = run {
            text.push_str(&run_line(idle_run, idle));
        }
    }
    // Ports served outside every range, and PortOS's own ports there (MTPLX's 8000, vLLM's 18020, …).
    let outside: BTreeSet<u16> = map
        .apps
        .iter()
        .flat_map(|a| &a.processes)
        .flat_map(|p| &p.ports)
        .map(|p| p.port)
        .chain(config.core_ports.keys().copied())
        .filter(|p| config.range_of(*p).is_none())
        .collect();
    if !outside.is_empty() {
        text.push_str("outside the ranges\n");
        for port in outside {
            text.push_str(&port_lines(map, config, port));
        }
    }
    if !map.apps.is_empty() {
        text.push_str("apps\n");
    }
    for app in &map.apps {
        let block = match app.block {
            Some((first, last)) => {
                let shape = if app.contiguous {
                    "contiguous"
                } else {
                    "with gaps"
                };
                format!("block {first}–{last}, {shape}")
            }
            None if app.processes.iter().all(|p| p.ports.is_empty()) => "no ports".to_string(),
            None => format!("no port in its range ({})", app.role.as_str()),
        };
        text.push_str(&format!(
            "  {}  {}  {block}\n",
            app.name,
            app.path.display()
        ));
    }
    text
}

fn run_line((first, last): (u16, u16), idle: &str) -> String {
    if first == last {
        format!("  {first} {idle}\n")
    } else {
        format!("  {first}–{last} {idle}\n")
    }
}

/// One line per holder of `port` (PortOS's core table, then each app's use), and the conflict if there is one.
fn port_lines(map: &PortMap, config: &Config, port: u16) -> String {
    let conflict = map.conflict(port);
    let mark = if conflict.is_some() { "!" } else { " " };
    let mut text = String::new();
    if let Some(owner) = config.core_owner(port) {
        text.push_str(&format!(
            "{mark} {port}  {}  PortOS core table, from {}\n",
            owner.who(),
            owner.source.describe()
        ));
    }
    for (_, process, used) in map.owners(port) {
        text.push_str(&format!(
            "{mark} {port}  {} ({})  {}:{}\n",
            process.name,
            used.label,
            used.path.display(),
            used.line + 1
        ));
    }
    if let Some(conflict) = conflict {
        let mut apps: Vec<&str> = Vec::new();
        for used in &conflict.uses {
            // PortOS's own file on a port of its table is the table's owner, named once already.
            let is_portos = map
                .apps
                .iter()
                .any(|a| a.name == used.app && a.role == crate::config::Role::Core);
            if !(conflict.core.is_some() && is_portos || apps.contains(&used.app.as_str())) {
                apps.push(&used.app);
            }
        }
        let mut parties: Vec<String> = Vec::new();
        if let Some(owner) = &conflict.core {
            parties.push(owner.party());
        }
        match apps.split_last() {
            Some((last, [])) => parties.push(format!("app {last}")),
            Some((last, init)) => parties.push(format!("apps {} and {last}", init.join(", "))),
            None => {}
        }
        if conflict.core.is_none() && apps.len() == 1 {
            // Twice inside one app: name who, as `duplicate-port` does.
            let mut who: Vec<String> = Vec::new();
            for used in &conflict.uses {
                let one = format!("{} ({})", used.process, used.label);
                if !who.contains(&one) {
                    who.push(one);
                }
            }
            text.push_str(&format!(
                "         conflict: {port} is served twice in app {}: {}\n",
                apps[0],
                who.join(", ")
            ));
        } else {
            let joined = parties.join(" and ");
            text.push_str(&format!(
                "         conflict: {port} is claimed by {joined}\n"
            ));
        }
    }
    text
}
