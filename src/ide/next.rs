//! `next`: the next free port(s) for the app in a directory, each with the reason it is free, from every
//! file of its workspace (the allocator's view that completion and quick fixes share).

use super::Host;
use super::external::ExternalRequest;
use super::inputs::{self, Unreadable};
use crate::config::PortRange;
use crate::features::allocator::{self, Allocation};
use crate::features::occupied;
use crate::rules::FileCheck;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The answer to `next`.
pub struct NextAnswer {
    /// The app's name, or `None` when the directory is a workspace root holding apps but none itself.
    pub app: Option<String>,
    /// The names of the apps below a directory that is not an app itself.
    pub apps_below: Vec<String>,
    /// The range the app belongs in under PortOS's convention; `None` in a plain project, where PortOS's
    /// ranges are never spoken of.
    pub range: Option<PortRange>,
    /// The range's name (`PortOS's user range`, …).
    pub range_name: &'static str,
    /// The ports the app already has.
    pub own: BTreeSet<u16>,
    /// The allocator's answer: the block, the offers with their reasons, a note.
    pub allocation: Allocation,
    /// Files of the app itself that could not be read (errors), and elsewhere in the workspace (warnings).
    pub own_unreadable: Vec<Unreadable>,
    /// Files elsewhere in the workspace that could not be read: their ports are not counted as taken.
    pub context_unreadable: Vec<Unreadable>,
    /// Whether the app's own file (or directory) could not be read: its block is unknown, so no answer.
    pub own_unknown: bool,
    /// Warnings from the outside sources.
    pub warnings: Vec<String>,
}

impl NextAnswer {
    /// "5570–5579" for the answer's whole range (empty in a plain project).
    pub fn range_text(&self) -> String {
        self.range
            .map(|range| allocator::span(range.first, range.last))
            .unwrap_or_default()
    }
}

/// A span of ports as the allocator writes it (`5570–5573`, or one port).
pub fn span(first: u16, last: u16) -> String {
    allocator::span(first, last)
}

impl Host {
    /// The next `count` free ports for the app in `dir` (absolute or relative to the working directory).
    /// `Err` is a configuration or usage error.
    pub fn next_ports(
        &mut self,
        dir: &Path,
        count: usize,
        request: ExternalRequest,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<NextAnswer, String> {
        let app_dir = self.normalize(dir);
        let root = crate::config::workspace_root(&*self.vfs(), &app_dir);
        let config = self.config_for(&app_dir.join("ecosystem.config.cjs"))?;
        let (pending, mut unreadable) =
            inputs::collect(std::slice::from_ref(&root), None, None, &mut self.configs)?;
        let name = crate::analysis::app_name(&*self.vfs(), &app_dir);
        let mut summaries = Vec::new();
        for item in pending {
            let Some(input) = item.read_or_note(&mut self.configs, &mut unreadable) else {
                continue;
            };
            match self.analyze(&input.path, input.text.clone(), &config, &root) {
                Ok(analysis) => {
                    summaries.push((input.path, FileCheck::new(&analysis, &config).summary()))
                }
                Err(stopped) => unreadable.push(Unreadable {
                    path: input.path,
                    reason: stopped.to_string(),
                }),
            }
        }
        // Only the app asked about was named: a problem elsewhere in the workspace is logged, not fatal (spec
        // §8).
        let (named, context): (Vec<_>, Vec<_>) = unreadable
            .into_iter()
            .partition(|failure| self.normalize(&failure.path).starts_with(&app_dir));
        // Without the app's own file (or directory) its block is unknown: no answer is better than a wrong one.
        let own_unknown = named.iter().any(|failure| {
            let path = self.normalize(&failure.path);
            path == app_dir || path.parent() == Some(app_dir.as_path())
        });
        let all: Vec<&crate::rules::AppSummary> = summaries.iter().map(|(_, s)| s).collect();
        // PortOS's own file, in the workspace or under `[portos] root`, joins the core table (spec §12).
        let config = self.core_config(
            &config,
            &root,
            summaries.iter().map(|(path, s)| (path.as_path(), s)),
        );
        let external = self.external_for(&config, request, env, &root);
        let external_ports = external.for_app(&app_dir);
        // A directory with no ecosystem file of its own but apps below it (a workspace root) is no app: the
        // answer is for a new app, and says so.
        let is_own = |s: &&crate::rules::AppSummary| s.app_dir == app_dir;
        let mut dirs_below = BTreeSet::new();
        let apps_below: Vec<String> = all
            .iter()
            .filter(|s| !is_own(s) && s.app_dir.starts_with(&app_dir))
            .filter(|s| dirs_below.insert(&s.app_dir))
            .map(|s| s.app_name.clone())
            .collect();
        let not_an_app = !all.iter().any(is_own) && !apps_below.is_empty();
        let asking = if not_an_app { "a new app" } else { &name };
        // The workspace's decision on PortOS's convention, from the disk as `check` makes it: under it the
        // app's range, in a plain project room next to its block.
        let decision = self.convention_on_disk(&root, request.registry);
        let ports = occupied::app_ports(
            &app_dir,
            asking,
            &all,
            &config,
            &external_ports,
            decision.active,
        );
        let range = decision.active.then(|| ports.range(&config).0);
        let allocation = ports.allocate(&config, count);
        Ok(NextAnswer {
            app: (!not_an_app).then_some(name),
            apps_below: if not_an_app { apps_below } else { Vec::new() },
            range,
            range_name: ports.range_name(),
            own: ports.own.clone(),
            allocation,
            own_unreadable: named,
            context_unreadable: context,
            own_unknown,
            warnings: self
                .take_outside_warnings()
                .into_iter()
                .chain(external.warnings.iter().cloned())
                .collect(),
        })
    }
}

/// Where `path` is an app: the directory itself, or a file's directory (`.` for a bare file name).
pub fn app_dir_of(path: &Path, is_file: bool) -> PathBuf {
    if is_file {
        path.parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."))
    } else {
        path.to_path_buf()
    }
}
