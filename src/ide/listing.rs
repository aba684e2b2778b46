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
        map.serialize_entry("served", &served(labelled))?;
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

/// One port PM2 binds for a process, from one source, in the environments where it does.
#[derive(serde::Serialize)]
struct Served<'a> {
    port: u16,
    environments: Vec<&'a str>,
    key: &'a str,
}

/// Every port PM2 binds for a process after PM2's precedence (spec §8, §11) — env layers with `port` applied,
/// `increment_var`'s instances, command-line flags, `static`, `serve` — one entry per (port, key), whatever
/// PortOS lists. A v1 `ports` map is PortOS's alone (PM2 drops it), and ports the process connects to are
/// not bound by it.
fn served(labelled: &labels::LabelledProcess) -> Vec<Served<'_>> {
    let mut out: Vec<Served> = Vec::new();
    for binding in labelled.bindings.iter().filter(|b| b.served()) {
        let Some(port) = binding.number().filter(|p| *p != 0) else {
            continue;
        };
        for use_ in binding
            .uses
            .iter()
            .filter(|u| u.source != PortSource::PortsMap)
        {
            // An instance's port is the `increment_var` key's, also where `port` set it.
            let key = match use_.source {
                PortSource::BarePort if use_.instance.is_some() => "PORT",
                PortSource::BarePort => "port",
                _ => use_.key.as_str(),
            };
            let environments = binding.environments.iter().map(env_name);
            match out.iter_mut().find(|s| s.port == port && s.key == key) {
                Some(entry) => {
                    for env in environments {
                        if !entry.environments.contains(&env) {
                            entry.environments.push(env);
                        }
                    }
                }
                None => out.push(Served {
                    port,
                    environments: environments.collect(),
                    key,
                }),
            }
        }
    }
    for entry in &mut out {
        // `env` first, then the named environments in order, as the file's `environments` list them.
        entry
            .environments
            .sort_by_key(|e| (*e != "env", e.to_string()));
    }
    out
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
