//! `portos-lsp ports`: each process's ports in PortOS's display format, or as `/api/apps`-shaped JSON.

use super::input;
use super::settings::ConfigChoice;
use crate::analysis::Analysis;
use crate::labels::{self, Binding, ConnectsTo, Shadowed};
use crate::model::value::number_to_string;
use crate::model::{Loc, PortSource, Unknown};
use crate::portos::detector::{self, DetectedProcess};
use crate::syntax::LineIndex;
use serde_json::{Map, Value, json};
use std::io::Write;
use std::path::PathBuf;

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
    /// The file name to report when reading stdin.
    #[arg(long)]
    stdin_filename: Option<PathBuf>,
    #[command(flatten)]
    config: ConfigChoice,
}

/// Runs `ports`.
pub fn run(args: PortsArgs) -> i32 {
    let paths = super::paths_or_cwd(args.paths.clone());
    let mut host = args.config.host();
    let Some((pending, mut unreadable)) =
        input::collect_or_report(&paths, args.stdin_filename.as_deref(), &mut host.configs)
    else {
        return super::EXIT_TROUBLE;
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for item in pending {
        let Some(input) = item.read_or_note(&mut host.configs, &mut unreadable) else {
            continue;
        };
        let written = if args.as_portos {
            let detected = detector::detect(&input.text);
            if args.json {
                writeln!(out, "{}", as_portos_json(&input.path, &detected))
            } else {
                write!(out, "{}", as_portos_human(&input.path, &detected))
            }
        } else {
            let config = match host.configs.for_file(&input.path) {
                Ok(config) => config,
                Err(error) => {
                    eprintln!("error: {error}");
                    return super::EXIT_TROUBLE;
                }
            };
            let root = host.configs.workspace_root(&input.path);
            let analysis = host.analyze(&input.path, input.text, &config, &root);
            if args.json {
                writeln!(out, "{}", file_json(&analysis))
            } else {
                write!(out, "{}", human(&analysis))
            }
        };
        if written.is_err() {
            return super::EXIT_TROUBLE;
        }
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
    if analysis.labels.processes.is_empty() {
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

    fn of(&self, loc: Loc) -> Value {
        let file = &self.analysis.model.files[loc.file.0 as usize];
        let (line, column) = input::line_col(
            &file.text,
            &self.indexes[loc.file.0 as usize],
            loc.range.start,
        );
        let mut position = json!({ "line": line, "column": column });
        if loc.file.0 != 0 {
            position["file"] = json!(file.path.display().to_string());
        }
        position
    }
}

fn number(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 9e15 {
        json!(n as i64)
    } else {
        serde_json::from_str(&number_to_string(n)).unwrap_or(Value::Null)
    }
}

/// One file as a JSON object: `{"file", "processes": [{name, port, ports, …}], …}`.
pub fn file_json(analysis: &Analysis) -> Value {
    let positions = Positions::new(analysis);
    let model = &analysis.model;
    let processes: Vec<Value> = analysis
        .labels
        .processes
        .iter()
        .map(|labelled| {
            let process = &model.processes[labelled.index];
            let mut ports = Map::new();
            for listed in &labelled.listing {
                ports.insert(listed.label.clone(), number(listed.port));
            }
            json!({
                "name": process.name,
                "port": labelled.primary().map(number),
                "ports": ports,
                "display": labels::display_line(process.display_name(), &labelled.listing),
                "location": positions.of(process.name_loc),
                "uses_vite": process.uses_vite,
                "bindings": labelled.bindings.iter().map(|b| binding_json(b, &positions)).collect::<Vec<_>>(),
                "unresolved": unresolved_json(process, &positions),
            })
        })
        .collect();
    let dynamic: Vec<Value> = model
        .dynamic_apps
        .iter()
        .map(|d| json!({ "location": positions.of(d.loc), "reason": d.why.describe() }))
        .collect();
    let syntax_errors: Vec<Value> = model
        .syntax_errors
        .iter()
        .map(|e| {
            json!({
                "location": positions.of(Loc::new(Default::default(), e.range)),
                "missing": e.missing,
                "unbounded": e.unbounded,
            })
        })
        .collect();
    json!({
        "file": model.path().display().to_string(),
        "processes": processes,
        "environments": analysis.labels.environments.iter().map(|e| e.clone().unwrap_or_else(|| "env".into())).collect::<Vec<_>>(),
        "dynamic_apps": dynamic,
        "syntax_errors": syntax_errors,
    })
}

fn binding_json(binding: &Binding, positions: &Positions) -> Value {
    let connects_to = binding.connects_to.as_ref().map(|c| match c {
        ConnectsTo::ByName(segment) => json!({ "by_name": segment }),
        ConnectsTo::ServedBy(process) => json!({ "served_by": process }),
    });
    let shadowed = binding.shadowed.as_ref().map(|s| match s {
        Shadowed::Collision { label, kept, .. } => {
            json!({ "collision": { "label": label, "kept": number(*kept) } })
        }
        Shadowed::Mismatch {
            label, map_port, ..
        } => json!({ "mismatch": { "label": label, "ports_map": number(*map_port) } }),
        Shadowed::EarlierSource => json!("earlier-source"),
    });
    let uses: Vec<Value> = binding
        .uses
        .iter()
        .map(|u| {
            let mut use_json = json!({
                "key": u.key,
                "source": source_name(&u.source),
                "location": positions.of(u.use_loc),
            });
            if let Some(i) = u.instance {
                use_json["instance"] = json!(i);
            }
            use_json
        })
        .collect();
    json!({
        "label": binding.label,
        "port": number(binding.port.number),
        "rule": binding.rule,
        "renamed_to_dev_ui": binding.renamed_to_dev_ui,
        "alternative": binding.alternative,
        "environments": binding.environments.iter().map(|e| e.clone().unwrap_or_else(|| "env".into())).collect::<Vec<_>>(),
        "connects_to": connects_to,
        "shadowed": shadowed,
        "defined_at": positions.of(binding.port.def),
        "uses": uses,
    })
}

fn source_name(source: &PortSource) -> String {
    match source {
        PortSource::PortsMap => "ports".into(),
        PortSource::Env(block) => block.clone(),
        PortSource::Args => "args".into(),
        PortSource::BarePort => "port".into(),
    }
}

fn unresolved_json(process: &crate::model::Process, positions: &Positions) -> Vec<Value> {
    process
        .port_uses()
        .filter_map(|u| match &u.value {
            crate::model::PortValue::Unknown { why } => Some((u, describe(why))),
            crate::model::PortValue::NotANumber { shown } => Some((u, format!("{shown} is not a port number"))),
            _ => None,
        })
        .map(|(u, reason)| {
            json!({ "key": u.key, "source": source_name(&u.source), "location": positions.of(u.use_loc), "reason": reason })
        })
        .collect()
}

fn describe(why: &Unknown) -> String {
    why.describe()
}
