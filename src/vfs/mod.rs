//! The file system as the analysis sees it: one trait for every read, so the core does no IO of its own.
//!
//! The command line reads the disk ([`DiskVfs`]); the language server reads open buffers before the disk
//! ([`Overlay`]); tests read memory ([`MemoryVfs`]). The `require` loader, module resolution, configuration
//! discovery and every sibling-file question go through a [`Vfs`], so an unsaved `./ports.cjs` resolves in the
//! editor exactly as a saved one does on the command line.

mod disk;
mod memory;
mod overlay;

pub use disk::DiskVfs;
pub use memory::MemoryVfs;
pub use overlay::Overlay;

use std::io;
use std::path::{Component, Path, PathBuf};

/// What a file read from stdin is called when `--stdin-filename` does not name it: it is judged as an
/// ecosystem file PortOS reads, with no place in any workspace.
pub const STDIN_NAME: &str = "<stdin>";

/// One entry of a directory listing.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct DirEntry {
    /// The entry's full path.
    pub path: PathBuf,
    /// Whether it is a directory (symlinks to directories count as directories).
    pub is_dir: bool,
}

/// Everything the analysis may ask of the file system. Implementations must be cheap to share between
/// threads: the server analyses on worker threads.
pub trait Vfs: Send + Sync {
    /// The bytes of a file.
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;

    /// The size of a file in bytes, from its metadata (never by reading it): a file over the size limit is
    /// refused before a byte of it is read, however large it is. The default reads the file; every
    /// implementation here answers without reading.
    fn size(&self, path: &Path) -> io::Result<u64> {
        self.read(path).map(|bytes| bytes.len() as u64)
    }

    /// Whether `path` is a regular file (an open buffer counts as one).
    fn is_file(&self, path: &Path) -> bool;

    /// Whether `path` exists at all (a file, a directory, or a `.git` file of a worktree).
    fn exists(&self, path: &Path) -> bool {
        self.is_file(path)
    }

    /// Whether `path` is a directory.
    fn is_dir(&self, path: &Path) -> bool {
        !self.is_file(path) && self.list_dir(path).is_ok()
    }

    /// The entries of a directory, sorted by path.
    fn list_dir(&self, path: &Path) -> io::Result<Vec<DirEntry>>;

    /// `path` made absolute against the shell's working directory, which only the shell knows; a path that is
    /// already absolute is returned as it is.
    fn absolute(&self, path: &Path) -> PathBuf {
        path.to_path_buf()
    }

    /// Every file below `root`, sorted, skipping `node_modules` and `.git` (and, on disk, what `.gitignore`
    /// excludes). Errors met on the way are returned beside the files.
    fn walk(&self, root: &Path) -> (Vec<PathBuf>, Vec<(PathBuf, String)>) {
        let mut files = Vec::new();
        let mut errors = Vec::new();
        let mut stack = vec![root.to_path_buf()];
        while let Some(dir) = stack.pop() {
            match self.list_dir(&dir) {
                Err(e) => errors.push((dir, e.to_string())),
                Ok(entries) => {
                    for entry in entries {
                        let name = entry.path.file_name().unwrap_or_default();
                        if name == "node_modules" || name == ".git" {
                            continue;
                        }
                        if entry.is_dir {
                            stack.push(entry.path);
                        } else {
                            files.push(entry.path);
                        }
                    }
                }
            }
        }
        files.sort();
        (files, errors)
    }

    /// The file's identity: its canonical path (symlinks resolved) when it exists, so two spellings of one
    /// file through a symlinked directory compare equal.
    fn canonical(&self, path: &Path) -> Option<PathBuf> {
        self.exists(path).then(|| self.normalize(path))
    }

    /// The absolute path with `.` and `..` removed lexically: workspace containment is judged on the path as
    /// written, and two spellings of one directory (`a/../b`, `b`) compare equal.
    fn normalize(&self, path: &Path) -> PathBuf {
        clean(&self.absolute(path))
    }
}

/// `path` with `.` and `..` removed lexically, without touching the disk.
pub fn clean(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// The text of a file as the analysis takes it: UTF-8, no NUL bytes, at most `max_bytes`. The size is checked
/// from the file's metadata first, so a 3 GB file named like an ecosystem file is refused without reading it.
pub fn read_text(
    vfs: &dyn Vfs,
    path: &Path,
    max_bytes: usize,
) -> Result<std::sync::Arc<str>, String> {
    let size = vfs.size(path).map_err(|e| format!("cannot read: {e}"))?;
    if size > max_bytes as u64 {
        return Err(crate::syntax::DecodeError::TooLarge {
            size: usize::try_from(size).unwrap_or(usize::MAX),
            limit: max_bytes,
        }
        .to_string());
    }
    let bytes = vfs.read(path).map_err(|e| format!("cannot read: {e}"))?;
    crate::syntax::decode(bytes, max_bytes)
        .map(std::sync::Arc::from)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_removes_dots() {
        assert_eq!(clean(Path::new("/a/./b/../c")), PathBuf::from("/a/c"));
        assert_eq!(clean(Path::new("/a/b/..")), PathBuf::from("/a"));
    }

    #[test]
    fn memory_walk_skips_node_modules() {
        let vfs = MemoryVfs::default();
        vfs.insert("/w/a/ecosystem.config.cjs", "x");
        vfs.insert("/w/node_modules/p/ecosystem.config.cjs", "x");
        vfs.insert("/w/b/c/pm2.config.js", "x");
        let (files, errors) = vfs.walk(Path::new("/w"));
        assert!(errors.is_empty());
        assert_eq!(
            files,
            vec![
                PathBuf::from("/w/a/ecosystem.config.cjs"),
                PathBuf::from("/w/b/c/pm2.config.js")
            ]
        );
    }

    /// A file system whose files are all `size` bytes long and whose reads fail the test: what a read of a
    /// file over the limit must never do.
    struct Huge(u64);

    impl Vfs for Huge {
        fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
            panic!(
                "{} was read although its size is over the limit",
                path.display()
            )
        }
        fn size(&self, _: &Path) -> io::Result<u64> {
            Ok(self.0)
        }
        fn is_file(&self, _: &Path) -> bool {
            true
        }
        fn list_dir(&self, _: &Path) -> io::Result<Vec<DirEntry>> {
            Ok(Vec::new())
        }
    }

    #[test]
    fn a_file_over_the_limit_is_refused_before_it_is_read() {
        let huge = Huge(3 << 30);
        let error = read_text(&huge, Path::new("/w/ecosystem.config.js"), 5 << 20).unwrap_err();
        assert!(error.contains("too large"), "{error}");
        assert!(error.contains("3221225472 bytes"), "{error}");
        let overlay = Overlay::new(std::sync::Arc::new(Huge(3 << 30)));
        assert!(read_text(&overlay, Path::new("/w/ecosystem.config.js"), 5 << 20).is_err());
        overlay.set("/w/ecosystem.config.js".into(), "x".into());
        assert_eq!(
            overlay.size(Path::new("/w/ecosystem.config.js")).unwrap(),
            1
        );
    }

    #[test]
    fn overlay_serves_buffers_first() {
        let disk = std::sync::Arc::new(MemoryVfs::default());
        disk.insert("/w/ports.cjs", "old");
        let overlay = Overlay::new(disk);
        overlay.set("/w/ports.cjs".into(), "new".into());
        overlay.set("/w/unsaved.cjs".into(), "buffer".into());
        assert_eq!(overlay.read(Path::new("/w/ports.cjs")).unwrap(), b"new");
        assert!(overlay.is_file(Path::new("/w/unsaved.cjs")));
        let listed = overlay.list_dir(Path::new("/w")).unwrap();
        assert_eq!(listed.len(), 2);
        overlay.remove(Path::new("/w/ports.cjs"));
        assert_eq!(overlay.read(Path::new("/w/ports.cjs")).unwrap(), b"old");
    }

    #[test]
    fn overlay_is_dir_only_for_directories() {
        let disk = std::sync::Arc::new(MemoryVfs::default());
        disk.insert("/w/a/ecosystem.config.cjs", "x");
        let overlay = Overlay::new(disk);
        overlay.set("/v/new/ecosystem.config.cjs".into(), "y".into());
        assert!(overlay.is_dir(Path::new("/w/a")));
        assert!(overlay.is_dir(Path::new("/v/new")), "a buffer's directory");
        assert!(!overlay.is_dir(Path::new("/w/a/ecosystem.config.cjs")));
        assert!(!overlay.is_dir(Path::new("/v/new/ecosystem.config.cjs")));
        assert!(!overlay.is_dir(Path::new("/nowhere")), "nothing there");
    }
}
