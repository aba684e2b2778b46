//! Fix-all: the safe fixes of one file applied until nothing changes, each pass re-analysing the text with
//! the rest of its workspace as context (so two fixes never take one free port). One implementation for the
//! editor's `source.fixAll.portos` and the command line's `check --fix` / `--diff`.

use super::external::{External, ExternalRequest};
use super::inputs::{self, Unreadable};
use super::{Host, actions, diagnostics};
use crate::analysis;
use crate::config::Config;
use crate::features::occupied;
use crate::rules::{AppSummary, ExternalPorts, FileReport};
use crate::vfs::Vfs;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Everything a fix pass reads besides the text.
pub struct FixContext<'a> {
    /// The file being fixed.
    pub path: &'a Path,
    /// Its configuration.
    pub config: &'a Config,
    /// Its workspace root (bounds `require`).
    pub root: &'a Path,
    /// The other files of its workspace.
    pub others: &'a [&'a FileReport],
    /// Ports held outside the workspace, as this file's app sees them.
    pub external: &'a ExternalPorts,
    /// The workspace's decision on PortOS's convention (`None`: undecided, every rule).
    pub convention: Option<bool>,
    /// Where required files are read.
    pub vfs: &'a dyn Vfs,
}

/// The text of `ctx.path` with every safe fix applied (the text itself when there is none). A text with a
/// syntax error is never touched; edits in other files are left out (they are offered one by one).
pub fn fix_all(ctx: &FixContext, text: &str) -> String {
    let read = |p: &Path| {
        ctx.vfs
            .read(p)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
    };
    let mut analyse = |candidate: &str| {
        let analysis = analysis::analyze(
            ctx.path,
            Arc::from(candidate),
            ctx.vfs,
            Some(ctx.root.to_path_buf()),
            ctx.config,
        )
        .ok()?;
        let report = diagnostics::report(&analysis, ctx.config);
        let mut all: Vec<&FileReport> = ctx.others.to_vec();
        all.push(&report);
        let cross = diagnostics::cross_file(&report, &all, ctx.config, ctx.external);
        let findings = diagnostics::assemble(&report, cross, ctx.config, ctx.convention);
        let summaries: Vec<&AppSummary> = all.iter().map(|r| &r.summary).collect();
        let ports = occupied::app_ports(
            &analysis.dir.app_dir,
            &analysis.dir.app_name,
            &summaries,
            ctx.config,
            ctx.external,
            ctx.convention.unwrap_or(true),
        );
        Some((findings, ports))
    };
    actions::fix_all(ctx.path, text, &read, ctx.config, &mut analyse)
}

/// A file whose text the fixes change.
pub struct Fixed {
    /// The file, as given or found.
    pub path: PathBuf,
    /// Its text before.
    pub old: String,
    /// Its text after.
    pub new: String,
}

impl Host {
    /// The fixed text of every ecosystem file under `paths` (nothing is written; files fixed earlier in the
    /// run are seen fixed by later ones). Returns the fixed files, the paths that could not be read and how
    /// many files were read; `Err` is a usage or configuration error.
    pub fn fix_paths(
        &mut self,
        paths: &[PathBuf],
        stdin_filename: Option<&Path>,
        request: ExternalRequest,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<(Vec<Fixed>, Vec<Unreadable>, usize), String> {
        if paths.iter().any(|p| p.as_os_str() == "-") {
            return Err("--fix and --diff work on files, not stdin".into());
        }
        // Each workspace's decision on PortOS's convention, made from the disk before anything is fixed: no
        // fix for a finding `check` would not report.
        let mut conventions: BTreeMap<PathBuf, bool> = BTreeMap::new();
        let (pending, mut unreadable) =
            inputs::collect(paths, stdin_filename, None, &mut self.configs)?;
        let mut fixed = Vec::new();
        let mut read = 0;
        for item in pending {
            let path = self.normalize(item.path());
            let display = item.path().to_path_buf();
            let Some(input) = item.read_or_note(&mut self.configs, &mut unreadable) else {
                continue;
            };
            read += 1;
            let config = self.configs.for_file(&path).map_err(|e| e.to_string())?;
            let root = self.configs.workspace_root(&path);
            let convention = match conventions.get(&root) {
                Some(known) => *known,
                None => {
                    let active = self.convention_on_disk(&root, request.registry).active;
                    conventions.insert(root.clone(), active);
                    active
                }
            };
            let external = External::fetch(&config, request, env)
                .for_app(path.parent().unwrap_or(Path::new("/")));
            let seen: BTreeSet<PathBuf> = [path.clone()].into();
            let others: Vec<FileReport> = self.context_reports(&root, &seen);
            let others: Vec<&FileReport> = others.iter().collect();
            let vfs = self.vfs();
            let context = FixContext {
                path: &path,
                config: &config,
                root: &root,
                others: &others,
                external: &external,
                convention: Some(convention),
                vfs: &*vfs,
            };
            let old = input.text.to_string();
            let new = fix_all(&context, &old);
            if new != old {
                self.set_buffer(&path, Arc::from(new.as_str()));
                fixed.push(Fixed {
                    path: display,
                    old,
                    new,
                });
            }
        }
        Ok((fixed, unreadable, read))
    }
}
