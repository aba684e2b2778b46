//! The model layer: what an ecosystem file declares — bindings, processes, port uses — with source spans.

pub mod command_line;
pub mod eval;
pub mod pm2;
pub mod process;
pub mod value;
mod yaml;

pub use eval::{EvalNote, SourceFile, TopBinding};
pub use process::{
    DynamicApps, EnvBlock, Port, PortSource, PortUse, PortValue, PortsMap, Process, ProcessOrigin,
};
pub use value::{FileId, Loc, Object, Prop, Str, Traced, Unknown, Value};

use crate::syntax::{self, SyntaxError};
use crate::vfs::Vfs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Everything the static evaluator learnt about one ecosystem file.
pub struct FileModel {
    /// The file (first) and every file `require` reached.
    pub files: Vec<SourceFile>,
    /// What tree-sitter (or the YAML loader) could not parse in the main file.
    pub syntax_errors: Vec<SyntaxError>,
    /// The module's exports.
    pub exports: Traced,
    /// Its top-level bindings.
    pub bindings: Vec<TopBinding>,
    /// Where the `apps` value is, when the file has one.
    pub apps_loc: Option<Loc>,
    /// The processes, in `apps` order.
    pub processes: Vec<std::sync::Arc<Process>>,
    /// Parts of `apps` computed at run time.
    pub dynamic_apps: Vec<DynamicApps>,
    /// What the evaluator noticed for the rules.
    pub notes: Vec<EvalNote>,
    /// Definitions read through a member access (see [`eval::Session::referenced`]).
    pub referenced: foldhash::HashSet<Loc>,
    /// How Node would load the file: CommonJS globals, ES module syntax, its default and `apps` exports.
    pub module: eval::ModuleFacts,
    /// What this model keeps for the next model of the same file (empty outside the editor).
    pub memo: Arc<ModelMemo>,
}

/// What one model of a file hands the next model of the same file (an edited version), so an edit costs
/// what it changes: the evaluated elements of top-level arrays and the processes read from unchanged apps.
#[derive(Default)]
pub struct ModelMemo {
    pub(crate) eval: eval::EvalMemo,
    processes: process::ProcessMemo,
}

impl ModelMemo {
    /// For each of the model's processes, in order: the place of its app (`None` for a process not read
    /// from `apps`, or outside the editor), and whether it was reused unchanged from the previous model.
    pub fn process_identity(&self, index: usize) -> Option<((Loc, Loc), bool)> {
        self.processes.order.get(index).copied()
    }
}

impl FileModel {
    /// The main file's text.
    pub fn text(&self) -> &str {
        &self.files[0].text
    }

    /// The main file's path.
    pub fn path(&self) -> &Path {
        &self.files[0].path
    }

    /// How the main file is read: JavaScript, JSON or YAML (by its name, as PM2 decides).
    pub fn format(&self) -> syntax::Format {
        self.syntax().format
    }

    /// The main file's one parse: its tree and the facts read off it.
    pub fn syntax(&self) -> &syntax::Parsed {
        self.files[0]
            .syntax
            .as_deref()
            .expect("the main file is always parsed")
    }

    /// The top-level `PORTS` table, the later guide's single source of truth, if the file has one.
    pub fn ports_table(&self) -> Option<&TopBinding> {
        self.bindings
            .iter()
            .find(|b| b.name == "PORTS" && matches!(b.value.value, Value::Object(_)))
    }
}

/// Evaluates one parsed file. `workspace` bounds where `require` may reach; the files it requires are parsed
/// within `budget` each; `cpus` is what PM2's per-CPU instance counts are read with (`[pm2] cpus`). `memo` is
/// `Some` where the file will be analysed again (the editor): it holds what the previous model of the same
/// file kept (see [`ModelMemo`]), and the model keeps this one's.
#[allow(clippy::too_many_arguments)]
pub fn build_parsed(
    path: &Path,
    text: Arc<str>,
    parsed: syntax::Parsed,
    vfs: &dyn Vfs,
    workspace: Option<PathBuf>,
    budget: &syntax::Budget,
    cpus: u32,
    memo: Option<Arc<ModelMemo>>,
) -> FileModel {
    let parsed = Arc::new(parsed);
    let main = SourceFile {
        path: path.to_path_buf(),
        text: text.clone(),
        syntax: Some(parsed.clone()),
    };
    let mut session = eval::Session::new(main, vfs, workspace, budget.clone());
    let previous = memo.filter(|_| parsed.format == syntax::Format::JavaScript);
    if let Some(previous) = &previous {
        session = session
            .with_memo(&previous.eval)
            .with_kept_shape(parsed.shape_kept);
    }
    let module = match (parsed.format, parsed.tree.yaml()) {
        (syntax::Format::Yaml, Some(doc)) => eval::ModuleResult {
            exports: yaml::value_of(doc, &text),
            bindings: Vec::new(),
            facts: Default::default(),
        },
        (syntax::Format::Json, _) => eval::evaluate_json_main(&mut session, &parsed.tree),
        _ => eval::evaluate_main(&mut session, &parsed.tree),
    };
    let apps = apps_value(&module.exports);
    let apps_loc = apps.map(|a| a.use_);
    let context = process::AppContext {
        deploy: process::deploy_blocks(&module.exports),
        cpus,
        values_in_place: parsed.format == syntax::Format::Yaml,
    };
    let mut next = ModelMemo::default();
    let (mut processes, dynamic_apps) = match apps {
        Some(apps) => process::processes_reusing(
            apps,
            &context,
            previous.as_ref().map(|p| &p.processes),
            previous.is_some().then_some(&mut next.processes),
        ),
        None => (Vec::new(), Vec::new()),
    };
    processes.extend(
        process::static_processes(&module.exports, &context)
            .into_iter()
            .map(Arc::new),
    );
    next.eval = session.take_memo();
    let memo = Arc::new(next);
    FileModel {
        memo,
        files: session.files,
        syntax_errors: parsed.errors.clone(),
        apps_loc,
        exports: module.exports,
        bindings: module.bindings,
        processes,
        dynamic_apps,
        notes: session.notes,
        referenced: session.referenced,
        module: module.facts,
    }
}

/// The apps PM2 starts from the module's exports, read as PM2 reads them: `apps` (or its alias `pm2`) of the
/// exported object, else the export itself when it is an array of apps or one app (an object with a
/// `script`, or the `exec`, `cmd` or `command` standing for one); of `export default …` the same, and
/// `export const apps`. Exports not known statically are apps not known statically.
fn apps_value(exports: &Traced) -> Option<&Traced> {
    match &exports.value {
        // `module.exports = build()`: the apps are whatever it returns, not none.
        Value::Array(_) | Value::Unknown(_) => Some(exports),
        Value::Object(object) => {
            if let Some(apps) = object.get("apps").or_else(|| object.get("pm2")) {
                return Some(&apps.value);
            }
            if ["script", "exec", "cmd", "command"]
                .iter()
                .any(|key| object.get(key).is_some())
            {
                return Some(exports);
            }
            let default = object.get("default")?;
            match &default.value.value {
                Value::Object(_) | Value::Array(_) => apps_value(&default.value),
                Value::Unknown(_) => Some(&default.value),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The model of `text` as the file `/w/ecosystem.config.cjs` on an empty disk: the evaluator's unit tests
/// build their inputs this way.
#[cfg(test)]
pub(crate) fn model_of(text: &str) -> FileModel {
    model_after(text, None)
}

/// [`model_of`] for an edited version, reusing what `previous` kept (`Some(default)`: keep, reuse nothing).
#[cfg(test)]
pub(crate) fn model_after(text: &str, previous: Option<Arc<ModelMemo>>) -> FileModel {
    let parsed = syntax::parse(text, &syntax::Budget::unlimited()).expect("no budget");
    model_after_parse(text, parsed, previous)
}

/// [`model_after`] over a given parse of `text` (a kept tree, say).
#[cfg(test)]
pub(crate) fn model_after_parse(
    text: &str,
    parsed: syntax::Parsed,
    previous: Option<Arc<ModelMemo>>,
) -> FileModel {
    build_parsed(
        Path::new("/w/ecosystem.config.cjs"),
        Arc::from(text),
        parsed,
        &crate::vfs::MemoryVfs::default(),
        None,
        &syntax::Budget::unlimited(),
        crate::config::DEFAULT_PM2_CPUS,
        previous,
    )
}
