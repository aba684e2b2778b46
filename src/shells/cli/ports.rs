//! `portos-lsp ports`: each process's ports in PortOS's display format, or as `/api/apps`-shaped JSON.

use super::input;
use super::settings::ConfigChoice;
use crate::analysis::Analysis;
use crate::config::{Config, RangeKind};
use crate::ide::port_map::{self, PortMap};
use crate::ide::{AnalysisJob, BATCH};
use crate::labels::{self, Binding, ConnectsTo, Shadowed};
use crate::model::value::number_to_string;
use crate::model::{Loc, PortSource};
use crate::portos::detector::{self, DetectedProcess};
use crate::rules::FileReport;
use crate::syntax::LineIndex;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Arguments of `ports`.
#[derive(clap::Args)]
pub struct PortsArgs {
    /// Files or directories (every ecosystem file below a directory), or `-` for stdin. Defaults to `.`.
    paths: Vec<PathBuf>,
    /// One JSON object per file per line, shaped like PortOS's `/api/apps` processes.
    #[arg(long)]
    json: bool,
    /// Show what PortOS's own regex detector reads instead of what the file declares.
    #[arg(long)]
    as_portos: bool,
    /// The whole workspace's port map: each port of the ranges with its owner, free runs, conflicts (with
    /// `--json`: one object per workspace).
    #[arg(long, conflicts_with = "as_portos")]
    map: bool,
    /// The file name to report when reading stdin.
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
        input::collect_or_report(&paths, args.stdin_filename.as_deref(), &mut host.configs)
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
    let mut broken = None;
    let mut pending = pending.into_iter().peekable();
    while let Some(item) = pending.next() {
        if let Some(input) = item.read_or_note(&mut host.configs, &mut unreadable) {
            if args.as_portos {
                order.push(Job::AsPortos(input));
            } else {
                match host.configs.for_file(&input.path) {
                    Ok(config) => {
                        let root = host.configs.workspace_root(&input.path);
                        order.push(Job::Analysed);
                        jobs.push(AnalysisJob {
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
            let batch = write_batch(
                &host,
                &std::mem::take(&mut order),
                &std::mem::take(&mut jobs),
                args.json,
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

/// The output of a batch of files, in their order: the analysed ones analysed on every core.
fn write_batch(
    host: &crate::ide::Host,
    order: &[Job],
    jobs: &[AnalysisJob],
    json: bool,
) -> Vec<u8> {
    let mut printed = host
        .analyze_each(jobs, |_, analysis| {
            if json {
                let mut line = serde_json::to_vec(&FileJson::new(analysis)).unwrap_or_default();
                line.push(b'\n');
                line
            } else {
                human(analysis).into_bytes()
            }
        })
        .into_iter();
    let mut text = Vec::new();
    for job in order {
        match job {
            Job::AsPortos(input) => {
                let detected = detector::detect(&input.text);
                if json {
                    text.extend(
                        format!("{}\n", as_portos_json(&input.path, &detected)).into_bytes(),
                    );
                } else {
                    text.extend(as_portos_human(&input.path, &detected).into_bytes());
                }
            }
            Job::Analysed => text.extend(printed.next().unwrap_or_default()),
        }
    }
    text
}

/// One file of a `ports` run, in the order given.
enum Job {
    /// Read with PortOS's detector (`--as-portos`).
    AsPortos(input::Input),
    /// Analysed: the next of the answers of [`crate::ide::Host::analyze_each`].
    Analysed,
}

/// PortOS's reading as display lines under the file's path.
fn as_portos_human(path: &std::path::Path, detected: &[DetectedProcess]) -> String {
    let mut text = format!("{}\n", path.display());
    for process in detected {
        text.push_str(&format!(
            "  {}\n",
            detector::display_line(&process.name, &process.ports)
        ));
    }
    if detected.is_empty() {
        text.push_str("  (no processes)\n");
    }
    text
}

/// PortOS's reading as `/api/apps`-shaped JSON.
fn as_portos_json(path: &std::path::Path, detected: &[DetectedProcess]) -> Value {
    let processes: Vec<Value> = detected
        .iter()
        .map(|p| {
            let mut ports = Map::new();
            for port in &p.ports {
                ports.insert(port.label.clone(), json!(port.port));
            }
            json!({ "name": p.name, "port": p.port, "ports": ports })
        })
        .collect();
    json!({ "file": path.display().to_string(), "processes": processes })
}

/// The display lines under the file's path.
pub fn human(analysis: &Analysis) -> String {
    let mut text = format!("{}\n", analysis.model.path().display());
    for labelled in &analysis.labels.processes {
        let process = &analysis.model.processes[labelled.index];
        text.push_str(&format!(
            "  {}\n",
            labels::display_line(process.display_name(), &labelled.listing)
        ));
    }
    if !analysis.model.dynamic_apps.is_empty() {
        // A list built at run time is not an empty one.
        let and = if analysis.labels.processes.is_empty() {
            ""
        } else {
            "and "
        };
        text.push_str(&format!(
            "  ({and}apps computed at run time, not known statically)\n"
        ));
    } else if analysis.labels.processes.is_empty() {
        text.push_str("  (no processes)\n");
    }
    text
}

/// Resolves locations to 1-based line/column positions, per file.
struct Positions<'a> {
    analysis: &'a Analysis,
    indexes: Vec<LineIndex>,
}

impl<'a> Positions<'a> {
    fn new(analysis: &'a Analysis) -> Self {
        let indexes = analysis
            .model
            .files
            .iter()
            .map(|f| LineIndex::new(&f.text))
            .collect();
        Positions { analysis, indexes }
    }

    fn of(&self, loc: Loc) -> Position<'a> {
        let file = &self.analysis.model.files[loc.file.0 as usize];
        let (line, column) = input::line_col(
            &file.text,
            &self.indexes[loc.file.0 as usize],
            loc.range.start,
        );
        Position {
            line,
            column,
            file: (loc.file.0 != 0).then_some(&file.path),
        }
    }
}

/// A 1-based position; `file` only for a place in a required file.
#[derive(serde::Serialize)]
struct Position<'a> {
    line: u32,
    column: u32,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "display_path"
    )]
    file: Option<&'a PathBuf>,
}

fn display_path<S: Serializer>(path: &Option<&PathBuf>, serializer: S) -> Result<S::Ok, S::Error> {
    match path {
        Some(path) => serializer.collect_str(&path.display()),
        None => serializer.serialize_none(),
    }
}

/// A port number as JSON: an integer when it is one, else JavaScript's spelling of it (`null` for NaN and
/// the infinities, which JSON cannot hold).
struct Number(f64);

impl Serialize for Number {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let n = self.0;
        if n.fract() == 0.0 && n.abs() < 9e15 {
            serializer.serialize_i64(n as i64)
        } else {
            match serde_json::from_str::<serde_json::Number>(&number_to_string(n)) {
                Ok(number) => number.serialize(serializer),
                Err(_) => serializer.serialize_none(),
            }
        }
    }
}

/// One file as a JSON object: `{"file", "processes": [{name, port, ports, …}], …}`, as a value (tests
/// edit it before snapshotting; the command line streams [`FileJson`] instead).
pub fn file_json(analysis: &Analysis) -> Value {
    serde_json::to_value(FileJson::new(analysis)).unwrap_or(Value::Null)
}

/// One file of `ports --json`, serialised straight from the analysis: building a `serde_json::Value` tree
/// first cost as much as the evaluation itself on a workspace of small files (issue 9, item 13).
pub struct FileJson<'a> {
    analysis: &'a Analysis,
    positions: Positions<'a>,
}

impl<'a> FileJson<'a> {
    /// The view of one analysed file.
    pub fn new(analysis: &'a Analysis) -> Self {
        FileJson {
            analysis,
            positions: Positions::new(analysis),
        }
    }
}

impl Serialize for FileJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let model = &self.analysis.model;
        let positions = &self.positions;
        let mut map = serializer.serialize_map(Some(5))?;
        map.serialize_entry("file", &model.path().display().to_string())?;
        map.serialize_entry(
            "processes",
            &Each(
                self.analysis
                    .labels
                    .processes
                    .iter()
                    .map(|labelled| ProcessJson {
                        process: &model.processes[labelled.index],
                        labelled,
                        positions,
                    }),
            ),
        )?;
        map.serialize_entry(
            "environments",
            &Each(self.analysis.labels.environments.iter().map(env_name)),
        )?;
        map.serialize_entry(
            "dynamic_apps",
            &Each(
                model.dynamic_apps.iter().map(
                    |d| json!({ "location": positions.of(d.loc), "reason": d.why.describe() }),
                ),
            ),
        )?;
        map.serialize_entry(
            "syntax_errors",
            &Each(model.syntax_errors.iter().map(|e| {
                json!({
                    "location": positions.of(Loc::new(Default::default(), e.range)),
                    "missing": e.missing,
                    "unbounded": e.unbounded,
                })
            })),
        )?;
        map.end()
    }
}

/// A sequence serialised from an iterator, without collecting it first.
struct Each<I>(I);

impl<I> Serialize for Each<I>
where
    I: Iterator + Clone,
    I::Item: Serialize,
{
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.clone())
    }
}

/// An environment's name as `ports --json` writes it: the plain `env` block is `"env"`.
fn env_name(env: &Option<String>) -> &str {
    env.as_deref().unwrap_or("env")
}

/// One process of `ports --json`.
struct ProcessJson<'a> {
    process: &'a crate::model::Process,
    labelled: &'a labels::LabelledProcess,
    positions: &'a Positions<'a>,
}

impl Serialize for ProcessJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (process, labelled, positions) = (self.process, self.labelled, self.positions);
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("name", process.display_name())?;
        map.serialize_entry("port", &labelled.primary().map(Number))?;
        map.serialize_entry("ports", &Listing(&labelled.listing))?;
        map.serialize_entry(
            "display",
            &labels::display_line(process.display_name(), &labelled.listing),
        )?;
        map.serialize_entry("location", &positions.of(process.name_loc))?;
        map.serialize_entry("uses_vite", &process.uses_vite)?;
        map.serialize_entry(
            "bindings",
            &Each(
                labelled
                    .bindings
                    .iter()
                    .map(|binding| BindingJson { binding, positions }),
            ),
        )?;
        map.serialize_entry(
            "unresolved",
            &process.port_uses().filter_map(|u| {
                let reason = match &u.value {
                    crate::model::PortValue::Unknown { why } => why.describe(),
                    crate::model::PortValue::NotANumber { shown } => {
                        format!("{shown} is not a port number")
                    }
                    _ => return None,
                };
                Some(json!({ "key": u.key, "source": source_name(&u.source), "location": positions.of(u.use_loc), "reason": reason }))
            }).collect::<Vec<_>>(),
        )?;
        // Ports served through flags PortOS does not read (`next -p`, `--inspect`): not part of the
        // PortOS-compatible `ports`, kept beside it (spec §9).
        let unlisted = labelled
            .bindings
            .iter()
            .filter(|b| b.shadowed == Some(Shadowed::Unlisted));
        if unlisted.clone().next().is_some() {
            map.serialize_entry(
                "unlisted",
                &Each(unlisted.map(|b| {
                    json!({
                        "label": b.label,
                        "port": Number(b.port.number),
                        "flag": b.uses.first().map(|u| u.key.clone()),
                        "location": positions.of(b.use_loc()),
                        "defined_at": positions.of(b.port.def),
                    })
                })),
            )?;
        }
        map.end()
    }
}

/// The `ports` object of a process: label → port in listing order, a repeated label keeping its first place
/// and its last port (as a JSON object built by insertion would).
struct Listing<'a>(&'a [labels::ListedPort]);

impl Serialize for Listing<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut entries: Vec<(&str, f64)> = Vec::with_capacity(self.0.len());
        for listed in self.0 {
            match entries.iter_mut().find(|(label, _)| *label == listed.label) {
                Some(entry) => entry.1 = listed.port,
                None => entries.push((&listed.label, listed.port)),
            }
        }
        let mut map = serializer.serialize_map(Some(entries.len()))?;
        for (label, port) in entries {
            map.serialize_entry(label, &Number(port))?;
        }
        map.end()
    }
}

/// One binding of a process in `ports --json`.
struct BindingJson<'a> {
    binding: &'a Binding,
    positions: &'a Positions<'a>,
}

impl Serialize for BindingJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (binding, positions) = (self.binding, self.positions);
        let connects_to = binding.connects_to.as_ref().map(|c| match c {
            ConnectsTo::ByName(segment) => json!({ "by_name": segment }),
            ConnectsTo::ServedBy(process) => json!({ "served_by": process }),
        });
        let shadowed = binding.shadowed.as_ref().map(|s| match s {
            Shadowed::Collision { label, kept, .. } => {
                json!({ "collision": { "label": label, "kept": Number(*kept) } })
            }
            Shadowed::Mismatch {
                label, map_port, ..
            } => json!({ "mismatch": { "label": label, "ports_map": Number(*map_port) } }),
            Shadowed::EarlierSource => json!("earlier-source"),
            Shadowed::Unlisted => json!("unlisted"),
        });
        let mut map = serializer.serialize_map(Some(10))?;
        map.serialize_entry("label", &binding.label)?;
        map.serialize_entry("port", &Number(binding.port.number))?;
        map.serialize_entry("rule", &binding.rule)?;
        map.serialize_entry("renamed_to_dev_ui", &binding.renamed_to_dev_ui)?;
        map.serialize_entry("alternative", &binding.alternative)?;
        map.serialize_entry(
            "environments",
            &Each(binding.environments.iter().map(env_name)),
        )?;
        map.serialize_entry("connects_to", &connects_to)?;
        map.serialize_entry("shadowed", &shadowed)?;
        map.serialize_entry("defined_at", &positions.of(binding.port.def))?;
        map.serialize_entry(
            "uses",
            &Each(binding.uses.iter().map(|u| UseJson {
                port_use: u,
                positions,
            })),
        )?;
        map.end()
    }
}

/// One place a binding's port is used.
struct UseJson<'a> {
    port_use: &'a crate::model::PortUse,
    positions: &'a Positions<'a>,
}

impl Serialize for UseJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let u = self.port_use;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("key", &u.key)?;
        map.serialize_entry("source", source_name(&u.source))?;
        map.serialize_entry("location", &self.positions.of(u.use_loc))?;
        if let Some(i) = u.instance {
            map.serialize_entry("instance", &i)?;
        }
        map.end()
    }
}

fn source_name(source: &PortSource) -> &str {
    match source {
        PortSource::PortsMap => "ports",
        PortSource::Env(block) => block,
        PortSource::Args => "args",
        PortSource::BarePort => "port",
        PortSource::ProgramFlag => "args",
        PortSource::Inspector(field) => field,
    }
}

/// `ports --map`: the map of each workspace the paths are in, every ecosystem file of it taking part.
fn run_map(args: &PortsArgs, paths: &[PathBuf]) -> i32 {
    let mut host = args.config.host();
    let Some((pending, mut unreadable)) =
        input::collect_or_report(paths, args.stdin_filename.as_deref(), &mut host.configs)
    else {
        return super::EXIT_TROUBLE;
    };
    // Every workspace a named path is in, even one without ecosystem files (all of it is free).
    let mut workspaces: BTreeMap<PathBuf, Vec<FileReport>> = BTreeMap::new();
    for path in paths.iter().filter(|p| p.as_os_str() != "-") {
        let path = host.vfs.normalize(path);
        if host.vfs.is_dir(&path) {
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
        match host.check(&input.path, input.text) {
            Ok(checked) => workspaces
                .entry(checked.root)
                .or_default()
                .push(checked.report),
            Err(error) => {
                eprintln!("error: {error}");
                return super::EXIT_TROUBLE;
            }
        }
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for (i, (root, mut reports)) in workspaces.into_iter().enumerate() {
        let config = match host.configs.for_file(&root.join("ecosystem.config.cjs")) {
            Ok(config) => config,
            Err(error) => {
                eprintln!("error: {error}");
                return super::EXIT_TROUBLE;
            }
        };
        let seen = reports
            .iter()
            .map(|r| host.vfs.normalize(&r.path))
            .collect();
        reports.extend(host.context_reports(&root, &seen));
        let located: Vec<(PathBuf, &FileReport)> = reports
            .iter()
            .map(|r| (host.vfs.normalize(&r.path), r))
            .collect();
        let files: Vec<(&Path, &FileReport)> =
            located.iter().map(|(p, r)| (p.as_path(), *r)).collect();
        let mut map = port_map::port_map(&files, &config);
        map.map_paths(&|p| match p.strip_prefix(&root) {
            Ok(relative) if relative.as_os_str().is_empty() => PathBuf::from("."),
            Ok(relative) => relative.to_path_buf(),
            Err(_) => p.to_path_buf(),
        });
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
                shown_root(&root).display(),
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

/// The root relative to the working directory when it is below it (`.` for the directory itself).
fn shown_root(root: &Path) -> PathBuf {
    let relative = std::env::current_dir()
        .ok()
        .and_then(|cwd| root.strip_prefix(cwd).ok().map(Path::to_path_buf));
    match relative {
        Some(r) if r.as_os_str().is_empty() => PathBuf::from("."),
        Some(r) => r,
        None => root.to_path_buf(),
    }
}

/// The map as a table of the ranges: each port with its owners, runs of unused ports collapsed, conflicts
/// marked `!`; then the ports served outside every range, and each app's block.
pub fn map_table(map: &PortMap, config: &Config) -> String {
    let mut text = String::new();
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
    let outside: BTreeSet<u16> = map
        .apps
        .iter()
        .flat_map(|a| &a.processes)
        .flat_map(|p| &p.ports)
        .map(|p| p.port)
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
            "{mark} {port}  {} ({})  PortOS core table\n",
            owner.process, owner.label
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
            parties.push(format!("PortOS's {} ({})", owner.process, owner.label));
        }
        match apps.split_last() {
            Some((last, [])) => parties.push(format!("app {last}")),
            Some((last, init)) => parties.push(format!("apps {} and {last}", init.join(", "))),
            None => {}
        }
        let joined = parties.join(" and ");
        text.push_str(&format!(
            "         conflict: {port} is claimed by {joined}\n"
        ));
    }
    text
}
