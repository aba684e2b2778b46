//! An immutable view of the host, taken under the shell's lock and used outside it: every question an editor
//! asks — a file's findings, hover, completion, code actions, navigation, symbols, the port map — answered
//! from one consistent state, in byte offsets, with no LSP type in sight.

use super::actions::{self, Action, ActionKind, Edit};
use super::completion::{self, Completion};
use super::host::{DocAnalysis, DocKind};
use super::hover::{self, Hover};
use super::index::WorkspaceIndex;
use super::navigation::{self, KeyAt, Place};
use super::outside::Outside;
use super::port_map::{self, PortMap};
use super::symbols::{self, Hint, Symbol, WorkspaceSymbol};
use super::{fix, migrate, pm2_help};
use crate::config::Config;
use crate::model::SourceFile;
use crate::rules::{ExternalPorts, FileReport, Finding};
use crate::syntax::{LineIndex, TextRange};
use crate::vfs::Vfs;
use foldhash::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What a snapshot keeps of an open document.
#[derive(Clone)]
pub(super) struct OpenView {
    pub(super) version: i32,
    pub(super) text: Arc<str>,
    pub(super) index: Arc<LineIndex>,
    pub(super) kind: DocKind,
    pub(super) analysed: Option<Arc<DocAnalysis>>,
    pub(super) not_analysed: Option<String>,
    /// Whether the analysis of this version failed.
    pub(super) failed: bool,
    /// Why this version is not analysed (its parse ran over its budget), when it is not.
    pub(super) stalled: Option<String>,
}

/// What to publish for an open document's current version.
pub enum Published {
    /// An ecosystem file's findings.
    Findings(Vec<Finding>),
    /// An ecosystem file that is not analysed (too large, binary): why.
    NotAnalysed(String),
    /// An ecosystem file whose newest version's parse ran over its budget: its last good findings, and why.
    Stalled(Vec<Finding>, String),
    /// A project file: its own errors and warnings are the shell's to read off its text.
    ProjectFile,
}

/// The host's state at one moment; see the module's docs.
#[derive(Clone)]
pub struct Snapshot {
    docs: Arc<HashMap<PathBuf, OpenView>>,
    index: Arc<WorkspaceIndex>,
    outside: Arc<Outside>,
    vfs: Arc<dyn Vfs>,
}

/// The kinds of code action a client may ask for.
#[derive(Clone, Copy, Debug, Default)]
pub struct ActionKinds {
    /// Quick fixes of the findings under the cursor.
    pub quick_fix: bool,
    /// The v1 → v2 migration.
    pub rewrite: bool,
    /// Every safe fix of the file.
    pub fix_all: bool,
}

impl Snapshot {
    pub(super) fn new(
        docs: Arc<HashMap<PathBuf, OpenView>>,
        index: Arc<WorkspaceIndex>,
        outside: Arc<Outside>,
        vfs: Arc<dyn Vfs>,
    ) -> Self {
        Snapshot {
            docs,
            index,
            outside,
            vfs,
        }
    }

    /// An analysis's configuration with PortOS's own file joined to its core table (the workspace's, the
    /// checkout's under `[portos] root`): what every answer about ports uses.
    fn config_of(&self, analysed: &DocAnalysis) -> Arc<Config> {
        self.index
            .core_config(&analysed.config, &analysed.root, &self.outside)
    }

    /// The ports held outside the workspace as an analysed file's app sees them.
    fn external_of(&self, analysed: &DocAnalysis, config: &Config) -> ExternalPorts {
        self.outside
            .ports_for(config, &analysed.root, &analysed.analysis.dir.app_dir)
    }

    /// The version of an open document.
    pub fn version(&self, path: &Path) -> Option<i32> {
        Some(self.docs.get(path)?.version)
    }

    /// The kind of an open document.
    pub fn kind(&self, path: &Path) -> Option<DocKind> {
        Some(self.docs.get(path)?.kind)
    }

    /// A file's text and line index: an open document's buffer, else the file read through the overlay.
    pub fn text(&self, path: &Path) -> Option<(Arc<str>, Arc<LineIndex>)> {
        if let Some(open) = self.docs.get(path) {
            return Some((open.text.clone(), open.index.clone()));
        }
        // Sized before it is read, as every read of a file is: the limit of the file's own configuration
        // when it is indexed, else the default.
        let limit = self
            .index
            .get(path)
            .map(|f| usize::try_from(f.config.max_file_bytes).unwrap_or(usize::MAX))
            .unwrap_or(crate::syntax::source::DEFAULT_MAX_FILE_BYTES);
        let text = crate::vfs::read_text(&*self.vfs, path, limit).ok()?;
        let index = Arc::new(LineIndex::new(&text));
        Some((text, index))
    }

    /// `path` absolute and without `.` or `..`.
    pub fn normalize(&self, path: &Path) -> PathBuf {
        self.vfs.normalize(path)
    }

    /// The analysis of an open ecosystem document's current version, when it is there.
    pub fn current(&self, path: &Path) -> Option<&Arc<DocAnalysis>> {
        let open = self.docs.get(path)?;
        open.analysed.as_ref().filter(|a| a.version == open.version)
    }

    /// Whether the workspace of an analysed document has its decision on PortOS's convention (until then its
    /// findings are under the provisional one); `None` when the document's current version is not analysed.
    pub fn convention_decided(&self, path: &Path) -> Option<bool> {
        let analysed = self.current(path)?;
        Some(self.index.convention(&analysed.root).is_some())
    }

    /// Whether a request on `path` should wait for its current version's analysis: an analysable ecosystem
    /// document that has none yet and whose analysis did not fail.
    pub fn pending(&self, path: &Path) -> bool {
        self.docs.get(path).is_some_and(|open| {
            open.kind == DocKind::Ecosystem
                && open.not_analysed.is_none()
                && !open.failed
                && open.stalled.is_none()
                && self.current(path).is_none()
        })
    }

    /// The analysis requests answer from: the current version's, else (its analysis failed) the last good
    /// one, else none.
    pub fn answering(&self, path: &Path) -> Option<&Arc<DocAnalysis>> {
        let open = self.docs.get(path)?;
        if open.not_analysed.is_some() {
            return None;
        }
        self.current(path)
            .or(open.analysed.as_ref().filter(|_| open.failed))
    }

    /// What to publish for an open document's current version; `None` while its analysis is behind its text,
    /// and for files that are not ours to diagnose.
    pub fn published(&self, path: &Path) -> Option<(i32, Published)> {
        let open = self.docs.get(path)?;
        let content = match open.kind {
            DocKind::Other => return None,
            DocKind::Config => Published::ProjectFile,
            DocKind::Ecosystem => match (&open.not_analysed, &open.stalled) {
                (Some(why), _) => Published::NotAnalysed(why.clone()),
                (None, Some(why)) => {
                    let last_good = match &open.analysed {
                        Some(analysed) => self.findings_of(analysed, path),
                        None => Vec::new(),
                    };
                    Published::Stalled(last_good, why.clone())
                }
                (None, None) => Published::Findings(self.findings(path)?),
            },
        };
        Some((open.version, content))
    }

    /// The findings of an open ecosystem document's current version: its own and its cross-file ones, under
    /// its workspace's decision on PortOS's convention (the provisional one until it is decided).
    pub fn findings(&self, path: &Path) -> Option<Vec<Finding>> {
        Some(self.findings_of(self.current(path)?, path))
    }

    /// The findings of an analysis of `path` held by the index.
    fn findings_of(&self, analysed: &DocAnalysis, path: &Path) -> Vec<Finding> {
        let decided = self.index.convention(&analysed.root).map(|d| d.active);
        let convention = decided.unwrap_or(analysed.provisional_convention);
        self.index.findings(path, &self.outside, convention)
    }

    /// The other indexed ecosystem files of `root`.
    fn others_in<'s>(&'s self, root: &Path, path: &Path) -> Vec<(&'s Path, &'s FileReport)> {
        self.index
            .iter()
            .filter(|(p, f)| f.root == root && *p != path)
            .map(|(p, f)| (p.as_path(), &*f.report))
            .collect()
    }

    /// The allocator's view of an analysed file's app, from every summary of its workspace: what completion
    /// and quick fixes offer.
    fn app_ports(
        &self,
        analysed: &DocAnalysis,
        config: &Config,
    ) -> crate::features::occupied::AppPorts {
        let summaries = self.index.summaries_in(&analysed.root);
        crate::features::occupied::app_ports(
            &analysed.analysis.dir.app_dir,
            &analysed.analysis.dir.app_name,
            &summaries,
            config,
            &self.external_of(analysed, config),
            self.convention_of(analysed),
        )
    }

    /// Whether PortOS's convention applies to an analysed file: its workspace's decision, else (undecided)
    /// the provisional one the analysis made.
    fn convention_of(&self, analysed: &DocAnalysis) -> bool {
        self.index
            .convention(&analysed.root)
            .map(|d| d.active)
            .unwrap_or(analysed.provisional_convention)
    }

    /// The hover at byte `offset` of an open document.
    pub fn hover(&self, path: &Path, offset: usize) -> Option<Hover> {
        let analysed = self.answering(path)?;
        let others: Vec<hover::OtherFile> = self
            .others_in(&analysed.root, path)
            .into_iter()
            .map(|(path, report)| hover::OtherFile { path, report })
            .collect();
        let config = self.config_of(analysed);
        let ctx = hover::HoverContext {
            report: &analysed.report,
            config: &config,
            others: &others,
            root: &analysed.root,
            convention: self.index.convention(&analysed.root).map(|d| d.active),
        };
        let port = hover::hover(&analysed.analysis, &ctx, offset);
        let key = pm2_help::key_hover(&analysed.analysis, &analysed.config, offset);
        match (port, key) {
            // On a PM2 key that states a port (`port`): the port, then what PM2 does with the key.
            (Some(mut port), Some(key)) => {
                port.markdown.push_str("\n\n---\n\n");
                port.markdown.push_str(&key.markdown);
                Some(port)
            }
            (port, key) => port.or(key),
        }
    }

    /// The port completions at byte `offset` of an open document, when a port value is being typed there.
    pub fn completion(&self, path: &Path, offset: usize) -> Option<Vec<Completion>> {
        let analysed = self.answering(path)?;
        let analysis = &analysed.analysis;
        if let Some(slot) = completion::slot_at(analysis, offset) {
            let config = self.config_of(analysed);
            let offers = self.app_ports(analysed, &config).offers(&config, 6);
            return Some(completion::items(&slot, &offers));
        }
        pm2_help::option_values(analysis, offset)
            .or_else(|| pm2_help::option_keys(analysis, offset))
    }

    /// The code actions of `kinds` for `range` of an open document, with the findings their `finding` indexes
    /// point into.
    pub fn code_actions(
        &self,
        path: &Path,
        range: TextRange,
        kinds: ActionKinds,
    ) -> Option<(Vec<Finding>, Vec<Action>)> {
        let analysed = self.current(path)?;
        let findings = self.findings(path)?;
        let text = analysed.analysis.model.text();
        let read = |p: &Path| {
            self.vfs
                .read(p)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
        };
        // Every fix offered is verified first (`fix`): here, when asked for, never while typing.
        let others: Vec<&FileReport> = self
            .others_in(&analysed.root, path)
            .into_iter()
            .map(|(_, r)| r)
            .collect();
        let config = self.config_of(analysed);
        let external = self.external_of(analysed, &config);
        let context = fix::FixContext {
            path,
            config: &config,
            root: &analysed.root,
            others: &others,
            external: &external,
            convention: Some(self.convention_of(analysed)),
            vfs: &*self.vfs,
        };
        let ports = self.app_ports(analysed, &config);
        let before = fix::Reading::of(&analysed.analysis, findings.clone(), ports.clone(), &config);
        let mut out = Vec::new();
        if kinds.quick_fix {
            let mut keep = |finding: &Finding, candidate: &actions::Fix| {
                fix::verify(&context, &before, text, &[(Some(finding), candidate)]).is_ok()
            };
            out.extend(actions::quick_fixes(
                &findings, range, path, text, &read, &ports, &config, &mut keep,
            ));
        }
        if kinds.rewrite
            && let Ok(migration) = migrate::migrate(
                &analysed.analysis,
                &analysed.config,
                &*self.vfs,
                &analysed.root,
            )
            && fix::verify_migration(&context, &before, text, &migration).is_ok()
        {
            out.push(Action {
                title: migration.title(),
                kind: ActionKind::Rewrite,
                edits: migration.edits,
                finding: None,
                preferred: false,
                command: None,
            });
        }
        if kinds.fix_all {
            let fixed = fix::fix_all(&context, text);
            if fixed != text {
                out.push(Action {
                    title: "Fix all safe portos-lsp findings".into(),
                    kind: ActionKind::FixAll,
                    edits: vec![Edit {
                        path: path.to_path_buf(),
                        range: TextRange::new(0, text.len()),
                        text: fixed,
                    }],
                    finding: None,
                    preferred: false,
                    command: None,
                });
            }
        }
        Some((findings, out))
    }

    /// The `PORTS` key at `offset` of an open document, with its table's file and definition.
    pub fn key_at(&self, path: &Path, offset: usize) -> Option<KeyAt> {
        let analysed = self.answering(path)?;
        let mut key = navigation::key_at(&analysed.analysis, offset)?;
        key.table = self.vfs.normalize(&key.table);
        if let Some(definition) = &mut key.definition {
            definition.path = self.vfs.normalize(&definition.path);
        }
        Some(key)
    }

    /// Every place `target`'s key is defined or read (the definition first), the reasons a rename is not
    /// safe, and whether the table is exported. Closed files that may read the table are analysed from
    /// disk here, each from its one parse.
    pub fn references(&self, target: &KeyAt) -> (Vec<Place>, Vec<String>, bool) {
        let mut paths = vec![target.table.clone()];
        paths.extend(self.index.importers_of(&target.table));
        paths.dedup();
        let mut files: Vec<SourceFile> = Vec::new();
        for path in paths {
            let read = match self.current(&path) {
                Some(analysed) => analysed.analysis.model.files.clone(),
                None => {
                    let Some(indexed) = self.index.get(&path) else {
                        continue;
                    };
                    let limit =
                        usize::try_from(indexed.config.max_file_bytes).unwrap_or(usize::MAX);
                    let Ok(text) = crate::vfs::read_text(&*self.vfs, &path, limit) else {
                        continue;
                    };
                    let Ok(analysis) = crate::analysis::analyze(
                        &path,
                        text,
                        &*self.vfs,
                        Some(indexed.root.clone()),
                        &indexed.config,
                    ) else {
                        continue;
                    };
                    analysis.model.files
                }
            };
            for (i, file) in read.into_iter().enumerate() {
                let normalized = self.vfs.normalize(&file.path);
                let wanted = i == 0 || normalized == target.table;
                if wanted
                    && !files
                        .iter()
                        .any(|f| self.vfs.normalize(&f.path) == normalized)
                {
                    files.push(SourceFile {
                        path: normalized,
                        ..file
                    });
                }
            }
        }
        let refs: Vec<&SourceFile> = files.iter().collect();
        navigation::key_references(target, &refs)
    }

    /// The uses of the port or `PORTS` key at `offset` of an open document.
    pub fn highlights(&self, path: &Path, offset: usize) -> Vec<TextRange> {
        match self.answering(path) {
            Some(analysed) => navigation::highlights(&analysed.analysis, offset),
            None => Vec::new(),
        }
    }

    /// The inlay hints of an open document within `range`.
    pub fn inlay_hints(&self, path: &Path, range: TextRange) -> Option<Vec<Hint>> {
        let analysed = self.answering(path)?;
        Some(symbols::inlay_hints(
            &analysed.analysis,
            range,
            analysed.config.inlay_hints,
        ))
    }

    /// The outline of an open document.
    pub fn document_symbols(&self, path: &Path) -> Option<Vec<Symbol>> {
        Some(symbols::document_symbols(&self.answering(path)?.analysis))
    }

    /// Every process of every indexed file whose name matches `query`.
    pub fn workspace_symbols(&self, query: &str) -> Vec<WorkspaceSymbol> {
        let files: Vec<(&Path, &FileReport)> = self
            .index
            .iter()
            .map(|(p, f)| (p.as_path(), &*f.report))
            .collect();
        symbols::workspace_symbols(&files, query)
    }

    /// The port map of workspace `root` (every indexed file when `None`), under the configuration of its
    /// first file.
    pub fn port_map(&self, root: Option<&Path>) -> PortMap {
        let files: Vec<(&Path, &FileReport)> = self
            .index
            .iter()
            .filter(|(_, f)| root.is_none_or(|r| f.root == r))
            .map(|(p, f)| (p.as_path(), &*f.report))
            .collect();
        let config = self
            .index
            .iter()
            .find(|(_, f)| root.is_none_or(|r| f.root == r))
            .map(|(_, f)| self.index.core_config(&f.config, &f.root, &self.outside))
            .unwrap_or_default();
        let decided_root = root
            .map(Path::to_path_buf)
            .or_else(|| self.index.iter().next().map(|(_, f)| f.root.clone()));
        let convention = decided_root
            .and_then(|r| self.index.convention(&r).map(|d| d.active))
            .unwrap_or(true);
        port_map::port_map(&files, &config, convention)
    }
}
