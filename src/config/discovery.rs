//! Finding the project file upward from a file, and the workspace root that cross-file questions use
//! when no editor workspace folder says otherwise (spec §1, §7).

use crate::vfs::Vfs;
use std::path::{Path, PathBuf};

/// The project file's names, in order of preference: where both exist in one directory the first wins.
pub const CONFIG_FILE_NAMES: [&str; 2] = ["portos-lsp.toml", ".portos-lsp.toml"];

/// A project file found by discovery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FoundConfig {
    /// The file that is used.
    pub path: PathBuf,
    /// The `.portos-lsp.toml` beside it that is ignored because `portos-lsp.toml` wins; worth a warning,
    /// since a user editing the ignored one would otherwise see nothing change.
    pub shadowed: Option<PathBuf>,
}

/// The directory a search starts from: the path itself when it is a directory, else its parent. Made
/// absolute (without resolving symlinks) so that a relative `ecosystem.config.cjs` still has ancestors.
fn start_dir(vfs: &dyn Vfs, file_or_dir: &Path) -> PathBuf {
    let absolute = vfs.normalize(file_or_dir);
    if vfs.is_dir(&absolute) {
        absolute
    } else {
        match absolute.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        }
    }
}

/// The nearest project file at or above the directory of `file_or_dir`.
pub fn find_config_file(vfs: &dyn Vfs, file_or_dir: &Path) -> Option<FoundConfig> {
    let start = start_dir(vfs, file_or_dir);
    start.ancestors().find_map(|dir| config_in_dir(vfs, dir))
}

/// The project file of one directory, if it has one: `portos-lsp.toml` wins over `.portos-lsp.toml`.
pub fn config_in_dir(vfs: &dyn Vfs, dir: &Path) -> Option<FoundConfig> {
    let [preferred, hidden] = CONFIG_FILE_NAMES.map(|name| dir.join(name));
    match (vfs.is_file(&preferred), vfs.is_file(&hidden)) {
        (true, true) => Some(FoundConfig {
            path: preferred,
            shadowed: Some(hidden),
        }),
        (true, false) => Some(FoundConfig {
            path: preferred,
            shadowed: None,
        }),
        (false, true) => Some(FoundConfig {
            path: hidden,
            shadowed: None,
        }),
        (false, false) => None,
    }
}

/// The workspace of a file when no editor workspace folder holds it: the nearest ancestor holding a
/// project file, else the nearest holding `.git` (a directory, or a file in worktrees and submodules),
/// else the file's own directory.
pub fn workspace_root(vfs: &dyn Vfs, file_or_dir: &Path) -> PathBuf {
    let start = start_dir(vfs, file_or_dir);
    if let Some(dir) = start
        .ancestors()
        .find(|dir| config_in_dir(vfs, dir).is_some())
    {
        return dir.to_path_buf();
    }
    if let Some(dir) = start.ancestors().find(|dir| vfs.exists(&dir.join(".git"))) {
        return dir.to_path_buf();
    }
    start
}
