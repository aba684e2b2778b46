//! PortOS's own ecosystem file as the core table (spec §12): when the workspace holds it (a file whose named
//! processes are all `portos-*`), or `[portos] root` points at a PortOS checkout, its processes' ports and every
//! entry of its exported `PORTS` table join the guide preset's core table, the file's owner winning where both
//! name a port. The file is read through the host's analysis like any other; this module turns its summary
//! into table entries and joins them to a configuration.

use crate::config::{Config, CorePort, CoreSource};
use crate::rules::AppSummary;
use crate::vfs::Vfs;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Core-table entries read from PortOS's own file: port → owner, with the file and `PORTS` entry as source.
pub type PortosEntries = Vec<(u16, CorePort)>;

/// Whether a file's summary is PortOS's own file: it names processes, and every name is `portos-*`.
pub fn is_portos_file(summary: &AppSummary) -> bool {
    let mut names = summary
        .processes
        .iter()
        .filter_map(|p| p.name.as_deref())
        .peekable();
    names.peek().is_some() && names.all(|name| name.starts_with("portos-"))
}

/// The core-table entries PortOS's own file at `path` gives: each port a process serves (named after the
/// `PORTS` entry holding the same number, when one does), then each entry of its exported `PORTS` table that
/// no process serves (both values of an alternative such as `POSTGRES: native ? 5432 : 5561`).
pub fn entries_of(path: &Path, summary: &AppSummary) -> PortosEntries {
    let table: Vec<&(String, u16)> = if summary.table_exported {
        summary.table.iter().collect()
    } else {
        Vec::new()
    };
    let entry_of = |port: u16| {
        table
            .iter()
            .find(|(_, number)| *number == port)
            .map(|(entry, _)| entry.clone())
    };
    let mut by_port: BTreeMap<u16, CorePort> = BTreeMap::new();
    for served in &summary.served {
        by_port.entry(served.port).or_insert_with(|| CorePort {
            process: served.process.clone(),
            label: served.label.clone(),
            note: None,
            source: CoreSource::PortosFile {
                file: path.to_path_buf(),
                entry: entry_of(served.port),
            },
        });
    }
    for (entry, port) in table {
        by_port.entry(*port).or_insert_with(|| CorePort {
            process: entry.clone(),
            label: String::new(),
            note: None,
            source: CoreSource::PortosFile {
                file: path.to_path_buf(),
                entry: Some(entry.clone()),
            },
        });
    }
    by_port.into_iter().collect()
}

/// The entries of every PortOS file among a workspace's files, in path order (an earlier file's owner kept
/// where two name a port).
pub fn workspace_entries<'a>(
    files: impl IntoIterator<Item = (&'a Path, &'a AppSummary)>,
) -> PortosEntries {
    let mut portos: Vec<(&Path, &AppSummary)> = files
        .into_iter()
        .filter(|(_, summary)| is_portos_file(summary))
        .collect();
    portos.sort_by_key(|(path, _)| *path);
    let mut by_port: BTreeMap<u16, CorePort> = BTreeMap::new();
    for (path, summary) in portos {
        for (port, owner) in entries_of(path, summary) {
            by_port.entry(port).or_insert(owner);
        }
    }
    by_port.into_iter().collect()
}

/// The PortOS checkout `[portos] root` names for a file of `workspace`: a relative root (the editor's) is
/// taken from the workspace root.
pub fn root_dir(config: &Config, workspace: &Path) -> Option<PathBuf> {
    let root = config.portos.root.as_ref()?;
    let dir = if root.is_relative() {
        workspace.join(root)
    } else {
        root.clone()
    };
    // Without `.` and `..`, as the editor names files (the checkout's files are watched by these paths).
    Some(crate::vfs::clean(&dir))
}

/// The ecosystem file PortOS reads in its checkout: `ecosystem.config.js`, else `ecosystem.config.cjs` (its
/// own lookup order).
pub fn root_file(vfs: &dyn Vfs, dir: &Path) -> Option<PathBuf> {
    ["ecosystem.config.js", "ecosystem.config.cjs"]
        .into_iter()
        .map(|name| vfs.normalize(&dir.join(name)))
        .find(|path| vfs.is_file(path))
}

/// `config` with PortOS's own file joined to its core table: the checkout's file under `[portos] root` first,
/// then the workspace's own (the file at hand wins). The same `Arc` when neither adds anything.
pub fn joined(
    config: &Arc<Config>,
    root_entries: Option<&PortosEntries>,
    workspace: &PortosEntries,
) -> Arc<Config> {
    let root_entries = root_entries.map(Vec::as_slice).unwrap_or_default();
    if root_entries.is_empty() && workspace.is_empty() {
        return config.clone();
    }
    let mut entries: Vec<(u16, CorePort)> = root_entries.to_vec();
    entries.extend(workspace.iter().cloned());
    Arc::new(config.with_portos_file(&entries))
}
