//! What rules read: one file's analysis with its configuration and role, and the summary cross-file rules keep.

use super::{Finding, Related, Rule};
use crate::analysis::Analysis;
use crate::config::{Config, Role};
use crate::labels::Binding;
use crate::model::{FileModel, Loc, Process};
use crate::syntax::TextRange;
use foldhash::HashMap;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One file being checked.
pub struct FileCheck<'a> {
    /// The analysis.
    pub analysis: &'a Analysis,
    /// The effective configuration.
    pub config: &'a Config,
    /// What the app is to PortOS: configured, else core for a file of `portos-*` processes, else user.
    pub role: Role,
    /// Line indexes of the analysis's files, built on first use: messages that name another line must not
    /// index the whole text once per finding (8,000 duplicates of one port would be quadratic).
    line_indexes: Vec<std::sync::OnceLock<Arc<crate::syntax::LineIndex>>>,
}

impl<'a> FileCheck<'a> {
    /// Prepares a check, deciding the file's role.
    pub fn new(analysis: &'a Analysis, config: &'a Config) -> Self {
        Self::indexed(analysis, config, None)
    }

    /// [`FileCheck::new`] given the checked file's line index where the caller keeps one (the editor's
    /// document does, updated per edit): a check on every keystroke then does not index the whole text.
    pub fn indexed(
        analysis: &'a Analysis,
        config: &'a Config,
        main_index: Option<Arc<crate::syntax::LineIndex>>,
    ) -> Self {
        let role = config
            .app_role
            .unwrap_or_else(|| infer_role(&analysis.model));
        FileCheck {
            analysis,
            config,
            role,
            line_indexes: (0..analysis.model.files.len())
                .map(|file| match &main_index {
                    Some(index) if file == 0 => std::sync::OnceLock::from(index.clone()),
                    _ => std::sync::OnceLock::new(),
                })
                .collect(),
        }
    }

    /// What PortOS's regex detector reads in the file (`portos-detection.md` §3), computed once per check.
    pub fn detected(&self) -> &[crate::portos::DetectedProcess] {
        self.analysis
            .detection
            .of(&self.analysis.model.files[0].text)
    }

    /// What PortOS stores for this file when it is the one PortOS reads in its directory (`ecosystem.config.js`,
    /// else `.cjs`): each process its detector finds, with the ports it labels. `None` for any other file.
    fn portos_view(&self) -> Option<Vec<PortosProcess>> {
        let name = self.path().file_name()?.to_str()?;
        if self.analysis.dir.portos_reads != Some(name) {
            return None;
        }
        Some(
            self.detected()
                .iter()
                .map(|d| PortosProcess {
                    name: d.name.clone(),
                    range: d.name_range,
                    ports: d.ports.iter().map(|p| (p.label.clone(), p.port)).collect(),
                })
                .collect(),
        )
    }

    /// The model.
    pub fn model(&self) -> &'a FileModel {
        &self.analysis.model
    }

    /// The reported file's path.
    pub fn path(&self) -> &'a Path {
        self.analysis.model.path()
    }

    /// The range to report for `loc`: itself when it is in this file, else `fallback` (a use in this file).
    pub fn here(&self, loc: Loc, fallback: Loc) -> TextRange {
        if loc.file.0 == 0 {
            loc.range
        } else if fallback.file.0 == 0 {
            fallback.range
        } else {
            TextRange::default()
        }
    }

    /// The range to report for a binding: its first use in this file.
    pub fn binding_range(&self, process: &Process, binding: &Binding) -> TextRange {
        self.here(binding.use_loc(), process.use_loc)
    }

    /// A finding of `rule` at a served binding's use, with the quick fix that moves its definition to a free
    /// port.
    pub fn movable_finding(
        &self,
        rule: &Rule,
        process: &Process,
        binding: &Binding,
        port: u16,
        message: String,
    ) -> Finding {
        let mut finding = self.finding(rule, self.binding_range(process, binding), message);
        finding.fix = Some(super::FixData::MoveToFreePort {
            path: self.path_of(binding.port.def),
            range: binding.port.def.range,
            current: port,
            mirrors: self.mirrors(binding),
        });
        finding
    }

    /// The other literals stating a binding's port (a v1 `ports` map entry mirrored by an env key, a
    /// `--port` beside `PORT`): a fix of the binding moves them with its definition, or the process would
    /// listen on one number while PortOS shows another.
    pub fn mirrors(&self, binding: &Binding) -> Vec<super::Mirror> {
        let mut mirrors: Vec<super::Mirror> = Vec::new();
        for port_use in binding.uses.iter().filter(|u| u.instance.is_none()) {
            for port in port_use.value.ports() {
                if port.number != binding.port.number || port.def == binding.port.def {
                    continue;
                }
                let mirror = super::Mirror {
                    path: self.path_of(port.def),
                    range: port.def.range,
                };
                if !mirrors.contains(&mirror) {
                    mirrors.push(mirror);
                }
            }
        }
        mirrors
    }

    /// Every binding PortOS would not show, with its process.
    pub fn shadowed(&self) -> impl Iterator<Item = (&'a Process, &'a Binding)> {
        let model = &self.analysis.model;
        self.analysis.labels.processes.iter().flat_map(move |p| {
            let process = &model.processes[p.index];
            p.bindings
                .iter()
                .filter(|b| b.shadowed.is_some())
                .map(move |b| (process.as_ref(), b))
        })
    }

    /// A finding of `rule` at `range`.
    pub fn finding(&self, rule: &Rule, range: TextRange, message: String) -> Finding {
        Finding {
            code: rule.code,
            severity: rule.default_severity,
            range,
            message,
            related: Vec::new(),
            unnecessary: false,
            convention: super::is_convention_rule(rule.code),
            fix: None,
        }
    }

    /// A fix offering one edit of the checked file: the text at `range` becomes `new`, inside the quotes the
    /// text there has (a key or a value keeps its quoting: `"instance"` becomes `"instances"`).
    pub fn one_choice(&self, title: String, range: TextRange, new: &str) -> super::FixData {
        let written = self.model().text().get(range.as_range()).unwrap_or("");
        let quote = written.chars().next().filter(|c| matches!(c, '\'' | '"'));
        let text = match quote {
            Some(q) => format!("{q}{new}{q}"),
            None => new.to_string(),
        };
        super::FixData::Choices {
            path: self.path().to_path_buf(),
            choices: vec![super::Choice {
                title,
                edits: vec![(range, text)],
            }],
        }
    }

    /// Related information pointing at `loc`, in whichever file it is.
    pub fn related(&self, loc: Loc, message: String) -> Related {
        let file = &self.analysis.model.files[loc.file.0 as usize];
        Related {
            path: file.path.clone(),
            range: loc.range,
            message,
        }
    }

    /// The path of the file holding `loc`.
    pub fn path_of(&self, loc: Loc) -> PathBuf {
        self.analysis.model.files[loc.file.0 as usize].path.clone()
    }

    /// 1-based line of an offset in the file holding `loc`, for messages that name another definition.
    pub fn line_of(&self, loc: Loc) -> usize {
        self.line_index(loc.file.0 as usize)
            .line_of(loc.range.start as usize)
            + 1
    }

    /// The line index of one of the analysis's files (0 is the file checked), built once per check: the
    /// messages and the summary's line numbers share it, so CRLF and lone CR count as the editor counts them.
    pub fn line_index(&self, file: usize) -> &crate::syntax::LineIndex {
        let text = &self.analysis.model.files[file].text;
        self.line_indexes[file].get_or_init(|| Arc::new(crate::syntax::LineIndex::new(text)))
    }

    /// Every served binding with a valid port number, with its process.
    pub fn served(&self) -> impl Iterator<Item = (&'a Process, &'a Binding, u16)> {
        let model = &self.analysis.model;
        self.analysis.labels.processes.iter().flat_map(move |p| {
            let process = model.processes[p.index].as_ref();
            p.served().map(move |(b, n)| (process, b, n))
        })
    }

    /// " (in env_production)" when a binding does not hold in every environment of the file; "" otherwise.
    pub fn environments_note(&self, environments: &BTreeSet<Option<String>>) -> String {
        if environments.len() == self.analysis.labels.environments.len() {
            return String::new();
        }
        let names: Vec<String> = environments.iter().map(env_name).collect();
        format!(" (in {})", names.join(", "))
    }

    /// What cross-file rules need from this file.
    pub fn summary(&self) -> AppSummary {
        let model = self.model();
        let processes = model
            .processes
            .iter()
            .map(|p| SummaryProcess {
                name: p.name.clone(),
                range: self.here(p.name_loc, p.use_loc),
            })
            .collect();
        let mut served = Vec::new();
        for (process, binding, port) in self.served() {
            served.push(ServedPort {
                port,
                process: process.display_name().to_string(),
                label: binding.label.clone(),
                range: self.binding_range(process, binding),
                def_path: (binding.port.def.file.0 != 0).then(|| self.path_of(binding.port.def)),
                def_range: binding.port.def.range,
                mirrors: self.mirrors(binding),
                beside_block: process.origin == crate::model::ProcessOrigin::Static,
            });
        }
        let mut connects = Vec::new();
        for labelled in &self.analysis.labels.processes {
            let process = &model.processes[labelled.index];
            for binding in labelled.bindings.iter().filter(|b| !b.served()) {
                if let Some(port) = binding.number().filter(|p| *p != 0) {
                    connects.push(HeldPort {
                        port,
                        process: process.display_name().to_string(),
                        label: binding.label.clone(),
                    });
                }
            }
        }
        let mut table = Vec::new();
        if let Some(ports) = model.ports_table() {
            super::invalid_port::table_leaves(&ports.value, "PORTS", &mut |entry, value| {
                if let crate::model::Value::Number(n) = value.value
                    && n.fract() == 0.0
                    && (1.0..=65535.0).contains(&n)
                {
                    table.push((entry.to_string(), n as u16));
                }
            });
        }
        // The index keeps every file's summary: no growth slack.
        served.shrink_to_fit();
        connects.shrink_to_fit();
        table.shrink_to_fit();
        AppSummary {
            portos_view: self.portos_view(),
            table_exported: model.ports_table().is_some_and(|t| t.exported),
            app_dir: self.analysis.dir.app_dir.clone(),
            app_name: self.analysis.dir.app_name.clone(),
            role: self.role,
            processes,
            served,
            connects,
            table,
            has_ports_table: model.ports_table().is_some(),
            has_ports_map: model.processes.iter().any(|p| p.ports_map.is_some()),
            dynamic_apps: !model.dynamic_apps.is_empty(),
        }
    }
}

/// `env` for the base block, `env_<name>` for the others.
pub fn env_name(env: &Option<String>) -> String {
    match env {
        None => "env".into(),
        Some(name) => format!("env_{name}"),
    }
}

/// A file whose named processes are all `portos-*` is PortOS itself.
fn infer_role(model: &FileModel) -> Role {
    let names: Vec<&str> = model
        .processes
        .iter()
        .filter_map(|p| p.name.as_deref())
        .collect();
    if !names.is_empty() && names.iter().all(|n| n.starts_with("portos-")) {
        Role::Core
    } else {
        Role::User
    }
}

/// A process as cross-file rules see it.
#[derive(Clone, Debug)]
pub struct SummaryProcess {
    /// Its name.
    pub name: Option<String>,
    /// Where the name is, in its file.
    pub range: TextRange,
}

/// A served port as cross-file rules see it.
#[derive(Clone, Debug)]
pub struct ServedPort {
    /// The number.
    pub port: u16,
    /// The process serving it.
    pub process: String,
    /// Its label.
    pub label: String,
    /// Where it is used, in its file.
    pub range: TextRange,
    /// The file defining it, when that is not the reported file (a `require`d table).
    pub def_path: Option<PathBuf>,
    /// The definition's range.
    pub def_range: TextRange,
    /// The other literals stating the same port (a v1 map entry's env key): a fix moves them too.
    pub mirrors: Vec<super::Mirror>,
    /// Served by a `static` entry: PM2's static file server, a process of the file beside its apps, takes the
    /// port but is no part of the app's contiguous block (it neither stretches the block nor fills a gap).
    pub beside_block: bool,
}

/// A port a process holds without serving it (one it connects to), as the allocator sees it.
#[derive(Clone, Debug)]
pub struct HeldPort {
    /// The number.
    pub port: u16,
    /// The process.
    pub process: String,
    /// Its label.
    pub label: String,
}

/// One file's contribution to the workspace: no text, no tree, so memory stays flat over many files.
#[derive(Clone, Debug)]
pub struct AppSummary {
    /// The app's directory: one directory is one PortOS app.
    pub app_dir: PathBuf,
    /// The app's name (its `package.json` name, else the directory's), for messages and the allocator.
    pub app_name: String,
    /// Its role.
    pub role: Role,
    /// Its processes.
    pub processes: Vec<SummaryProcess>,
    /// Its served ports.
    pub served: Vec<ServedPort>,
    /// Ports it connects to (a database it runs beside): taken, though not served.
    pub connects: Vec<HeldPort>,
    /// The valid numbers of its top-level `PORTS` table, with their paths (`PORTS.API`): reserved for the app
    /// even before a process uses them.
    pub table: Vec<(String, u16)>,
    /// Whether the file has a top-level `PORTS` table (whatever its values): the v2 guide's style, one of the
    /// signs of PortOS's convention (spec §9).
    pub has_ports_table: bool,
    /// Whether a process has a v1 `ports` map: the v1 guide's style, another sign of the convention.
    pub has_ports_map: bool,
    /// Whether the file exports its `PORTS` table (`module.exports = { PORTS, apps }`): PortOS's own file's
    /// exported entries join the core table (spec §12).
    pub table_exported: bool,
    /// What PortOS's detector reads when this is the file PortOS reads in its directory, for comparing with
    /// what PortOS's registry stored (`registry-stale`); `None` for any other file.
    pub portos_view: Option<Vec<PortosProcess>>,
    /// Whether the apps list is computed at run time (so an empty `processes` is not "no apps").
    pub dynamic_apps: bool,
}

impl AppSummary {
    /// Whether the file defines no apps at all: no process, and none computed at run time (an empty file,
    /// `module.exports = {}`): PM2 would start nothing from it, which `check` says.
    pub fn defines_no_apps(&self) -> bool {
        self.processes.is_empty() && !self.dynamic_apps
    }
}

/// A process as PortOS's detector reads it: what PortOS stores when it refreshes the app.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortosProcess {
    /// The PM2 name PortOS captures.
    pub name: String,
    /// Where that name is in the file.
    pub range: TextRange,
    /// Label → port, in PortOS's order.
    pub ports: Vec<(String, i64)>,
}

/// A summary's processes by name and served ports by number, built once per workspace run: the cross-file
/// rules look a name or a port up in each related file instead of walking its lists, and no file's lists are
/// indexed more than once however many files relate to it (900 files sharing names once took minutes).
#[derive(Default)]
pub struct SummaryIndex<'a> {
    /// Process name → indexes into the summary's `processes`.
    pub by_name: HashMap<&'a str, Vec<usize>>,
    /// Port → indexes into the summary's `served`.
    pub by_port: HashMap<u16, Vec<usize>>,
}

impl<'a> SummaryIndex<'a> {
    /// Indexes one summary.
    pub fn of(summary: &'a AppSummary) -> Self {
        let mut index = SummaryIndex::default();
        for (i, process) in summary.processes.iter().enumerate() {
            if let Some(name) = process.name.as_deref() {
                index.by_name.entry(name).or_default().push(i);
            }
        }
        for (i, served) in summary.served.iter().enumerate() {
            index.by_port.entry(served.port).or_default().push(i);
        }
        index
    }
}

/// The files of a workspace as the cross-file rules see them: each file's path, summary and index, and which
/// files hold each process name and serve each port (indexes into `files`, each once, in workspace order).
/// A name or a port is looked up in the files that have it, never compared with every file.
pub struct CrossFile<'a> {
    /// Path, summary and index of each file.
    pub files: Vec<(&'a Path, &'a AppSummary, SummaryIndex<'a>)>,
    /// Process name → the files with a process of that name.
    pub by_name: HashMap<&'a str, Vec<usize>>,
    /// Port → the files that serve it.
    pub by_port: HashMap<u16, Vec<usize>>,
}

impl CrossFile<'_> {
    /// The files with a process named `name`.
    pub fn with_name(&self, name: &str) -> &[usize] {
        self.by_name.get(name).map_or(&[], Vec::as_slice)
    }

    /// The files that serve `port`.
    pub fn serving(&self, port: u16) -> &[usize] {
        self.by_port.get(&port).map_or(&[], Vec::as_slice)
    }
}

/// Ports taken outside the workspace's files: PortOS's registry and listening sockets (both opt-in).
#[derive(Clone, Debug, Default)]
pub struct ExternalPorts {
    /// Port → owner, from PortOS's `/api/apps` (the app's own entry already left out).
    pub registry: BTreeMap<u16, String>,
    /// Ports listening on this machine.
    pub listening: BTreeSet<u16>,
    /// The app's own entry in PortOS's registry, when the registry was read and knows the app's directory:
    /// what `registry-stale` compares the file with.
    pub registered: Option<RegisteredApp>,
}

/// An app as PortOS's registry stores it, reduced to what `registry-stale` compares.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RegisteredApp {
    /// The registry key (what `POST /api/apps/:id/refresh-config` takes).
    pub id: String,
    /// The app's display name in PortOS.
    pub name: String,
    /// The stored processes with their labelled ports.
    pub processes: Vec<(String, Vec<(String, i64)>)>,
}
