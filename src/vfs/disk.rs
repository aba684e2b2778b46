//! The real disk: the only place outside the shells and `live` that touches `std::fs`.

use super::{DirEntry, Vfs};
use std::io;
use std::path::{Path, PathBuf};

/// Reads the disk. Relative paths are taken against the working directory captured when it was made.
#[derive(Clone, Debug)]
pub struct DiskVfs {
    cwd: PathBuf,
}

impl DiskVfs {
    /// A view of the disk from the process's current directory.
    pub fn new() -> Self {
        DiskVfs {
            cwd: std::env::current_dir().unwrap_or_default(),
        }
    }
}

impl Default for DiskVfs {
    fn default() -> Self {
        Self::new()
    }
}

impl Vfs for DiskVfs {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        let path = self.absolute(path);
        // Refuse what is not a regular file (a FIFO or a device would block or never end).
        let meta = std::fs::metadata(&path)?;
        if !meta.is_file() {
            return Err(io::Error::other(if meta.is_dir() {
                "is a directory"
            } else {
                "not a regular file"
            }));
        }
        std::fs::read(path)
    }

    fn is_file(&self, path: &Path) -> bool {
        self.absolute(path).is_file()
    }

    fn is_dir(&self, path: &Path) -> bool {
        self.absolute(path).is_dir()
    }

    fn exists(&self, path: &Path) -> bool {
        self.absolute(path).exists()
    }

    fn list_dir(&self, path: &Path) -> io::Result<Vec<DirEntry>> {
        let mut entries = Vec::new();
        for entry in std::fs::read_dir(self.absolute(path))? {
            let entry = entry?;
            let is_dir = std::fs::metadata(entry.path())
                .map(|m| m.is_dir())
                .unwrap_or(false);
            entries.push(DirEntry {
                path: entry.path(),
                is_dir,
            });
        }
        entries.sort();
        Ok(entries)
    }

    fn absolute(&self, path: &Path) -> PathBuf {
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.cwd.join(path)
        }
    }

    fn walk(&self, root: &Path) -> (Vec<PathBuf>, Vec<(PathBuf, String)>) {
        let mut files = Vec::new();
        let mut errors = Vec::new();
        let walker = ignore::WalkBuilder::new(root)
            .hidden(false)
            .parents(true)
            .git_ignore(true)
            .require_git(false)
            .filter_entry(|e| {
                let name = e.file_name();
                name != "node_modules" && name != ".git"
            })
            .build();
        for entry in walker {
            match entry {
                Ok(e) if e.file_type().is_some_and(|t| t.is_file()) => files.push(e.into_path()),
                Ok(_) => {}
                Err(e) => errors.push((root.to_path_buf(), e.to_string())),
            }
        }
        files.sort();
        (files, errors)
    }
}
