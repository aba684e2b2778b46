//! What `ports` prints for one file: each process's ports in PortOS's display format, or the file as
//! `/api/apps`-shaped JSON serialised straight from its analysis, and PortOS's own reading (`--as-portos`).

use super::inputs;
use crate::analysis::Analysis;
use crate::labels::{self, Binding, ConnectsTo, Shadowed};
use crate::model::value::number_to_string;
use crate::model::{Loc, PortSource};
use crate::portos::detector::{self, DetectedProcess};
use crate::syntax::LineIndex;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// PortOS's own reading of a text, as display lines under `path` (`json`: one `/api/apps`-shaped object).
pub fn as_portos(path: &Path, text: &str, json: bool) -> String {
    let detected = detector::detect(text);
    if json {
        format!("{}\n", as_portos_json(path, &detected))
    } else {
        as_portos_human(path, &detected)
    }
}

/// PortOS's reading as display lines under the file's path.
fn as_portos_human(path: &Path, detected: &[DetectedProcess]) -> String {
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
fn as_portos_json(path: &Path, detected: &[DetectedProcess]) -> Value {
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

/// One port PM2 binds for a process (spec §8's `served`): the number, the key or flag stating it, and the
/// environments it holds in (`None` is `env`, the default).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServedPort {
    /// The port.
    pub port: u16,
    /// What states it: the env key (`PORT`, the `increment_var` key for every instance), `port`, or the
    /// flag (`--port`, `-p`, `-l`, `--inspect`).
    pub key: String,
    /// The label PortOS's rules give it, for the display line.
    pub label: String,
    /// The environments it holds in.
    pub environments: BTreeSet<Option<String>>,
}

/// Every port PM2 binds for a process after PM2's precedence (spec §8, §11) — env layers with `port` applied,
/// `increment_var`'s instances, command-line flags, `static`, `serve` — each definite served binding stated
/// outside the v1 `ports` map (PortOS's key, which PM2 drops), one entry per (port, key), in the environments where that key states it (an `env` key overridden by an `env_<name>`
/// block holds only in the others). Whatever PortOS lists: a port it drops on a collision or never reads
/// (`next -p`) is bound all the same.
pub fn served_by_pm2(
    process: &crate::model::Process,
    labelled: &labels::LabelledProcess,
    environments: &[Option<String>],
) -> Vec<ServedPort> {
    let mut out: Vec<ServedPort> = Vec::new();
    for binding in labelled
        .bindings
        .iter()
        .filter(|b| b.served() && !b.alternative)
    {
        let Some(port) = binding.number().filter(|p| *p != 0) else {
            continue;
        };
        for port_use in binding
            .uses
            .iter()
            .filter(|u| u.source != PortSource::PortsMap)
        {
            let held: BTreeSet<Option<String>> = match &port_use.source {
                PortSource::Env(_) | PortSource::BarePort => environments
                    .iter()
                    .filter(|env| labels::pm2_env_holds(process, port_use, env))
                    .cloned()
                    .collect::<BTreeSet<_>>(),
                _ => environments.iter().cloned().collect(),
            }
            .intersection(&binding.environments)
            .cloned()
            .collect();
            if held.is_empty() {
                continue;
            }
            // An instance's port is the `increment_var` key's, also where `port` set it.
            let key = match port_use.source {
                PortSource::BarePort if port_use.instance.is_some() => "PORT",
                PortSource::BarePort => "port",
                _ => port_use.key.as_str(),
            };
            match out.iter_mut().find(|s| s.port == port && s.key == key) {
                Some(known) => known.environments.extend(held),
                None => out.push(ServedPort {
                    port,
                    key: key.to_string(),
                    label: binding.label.clone(),
                    environments: held,
                }),
            }
        }
    }
    out
}

/// The display lines under the file's path: under PortOS's `convention`, what PortOS lists; in a plain PM2
/// project, every port each process serves, per environment (`env`, then each `env_<name>`; one line when
/// they all agree).
pub fn human(analysis: &Analysis, convention: bool) -> String {
    let mut text = format!("{}\n", analysis.model.path().display());
    for labelled in &analysis.labels.processes {
        let process = &analysis.model.processes[labelled.index];
        if convention {
            text.push_str(&format!(
                "  {}\n",
                labels::display_line(process.display_name(), &labelled.listing)
            ));
            continue;
        }
        let environments = &analysis.labels.environments;
        let served = served_by_pm2(process, labelled, environments);
        let lines: Vec<(String, String)> = environments
            .iter()
            .map(|env| {
                let mut listing: Vec<labels::ListedPort> = Vec::new();
                for port in served.iter().filter(|s| s.environments.contains(env)) {
                    if !listing.iter().any(|l| l.port == f64::from(port.port)) {
                        listing.push(labels::ListedPort {
                            label: port.label.clone(),
                            port: f64::from(port.port),
                        });
                    }
                }
                (
                    env_block_name(env),
                    labels::display_line(process.display_name(), &listing),
                )
            })
            .collect();
        if lines.iter().all(|(_, line)| *line == lines[0].1) {
            text.push_str(&format!("  {}\n", lines[0].1));
        } else {
            for (env, line) in lines {
                text.push_str(&format!("  {line}  ({env})\n"));
            }
        }
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

/// One difference between PortOS's registry and a file, for `ports --registry` (what `registry-stale` reports).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RegistryDifference {
    /// The file.
    #[serde(serialize_with = "plain_path")]
    pub file: PathBuf,
    /// 1-based line of the process it is about.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
    /// The app's registry key, which `POST /api/apps/:id/refresh-config` takes.
    pub id: String,
    /// What differs.
    pub message: String,
}

fn plain_path<S: Serializer>(path: &Path, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(&path.display())
}

/// Where the registry `external` holds for the file's app differs from the file as PortOS would read it now.
pub fn registry_differences(
    analysis: &Analysis,
    config: &crate::config::Config,
    external: &super::external::External,
) -> Vec<RegistryDifference> {
    let summary = crate::rules::FileCheck::new(analysis, config).summary();
    let registered = external.for_app(&summary.app_dir).registered;
    let (Some(view), Some(app)) = (&summary.portos_view, registered) else {
        return Vec::new();
    };
    if crate::rules::registry_stale::is_exempt(&app) {
        return Vec::new();
    }
    let text = analysis.model.text();
    let index = LineIndex::new(text);
    crate::rules::registry_stale::differences(view, &app)
        .into_iter()
        .map(|difference| {
            let (line, column) = inputs::line_col(text, &index, difference.range.start);
            RegistryDifference {
                file: analysis.model.path().to_path_buf(),
                line,
                column,
                id: app.id.clone(),
                message: difference.message,
            }
        })
        .collect()
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
        let (line, column) = inputs::line_col(
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

/// One file of `ports --json` as a line of JSON.
pub fn json_line(analysis: &Analysis) -> Vec<u8> {
    let mut line = serde_json::to_vec(&FileJson::new(analysis)).unwrap_or_default();
    line.push(b'\n');
    line
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
                        environments: &self.analysis.labels.environments,
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

/// The block an environment is written in: `env`, `env_production` (also where only `deploy.production.env`
/// states it: the name `--env production` reads).
fn env_block_name(env: &Option<String>) -> String {
    match env {
        None => "env".to_string(),
        Some(name) => format!("env_{name}"),
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
    environments: &'a [Option<String>],
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
        let served: Vec<Value> = served_by_pm2(process, labelled, self.environments)
            .into_iter()
            .map(|s| {
                json!({
                    "port": s.port,
                    "environments": s.environments.iter().map(env_name).collect::<Vec<_>>(),
                    "key": s.key,
                })
            })
            .collect();
        map.serialize_entry("served", &served)?;
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
        PortSource::Static => "static",
        PortSource::Serve => "serve",
    }
}
