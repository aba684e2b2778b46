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

/// The metadata of a regular file; what is not one (a FIFO or a device would block or never end, a
/// directory is no text) is refused.
fn regular_file(path: &Path) -> io::Result<std::fs::Metadata> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(io::Error::other(if meta.is_dir() {
            "is a directory"
        } else {
            "not a regular file"
        }));
    }
    Ok(meta)
}

impl Vfs for DiskVfs {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        let path = self.absolute(path);
        regular_file(&path)?;
        std::fs::read(path)
    }

    fn size(&self, path: &Path) -> io::Result<u64> {
        regular_file(&self.absolute(path)).map(|meta| meta.len())
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

    fn canonical(&self, path: &Path) -> Option<PathBuf> {
        std::fs::canonicalize(self.absolute(path)).ok()
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
                // Every entry that is not a directory is listed: a FIFO or a device with an ecosystem file's
                // name must be refused by name when read, not skipped (symlinks are not followed here; reading
                // one follows it).
                Ok(e) if e.file_type().is_some_and(|t| !t.is_dir()) => files.push(e.into_path()),
                Ok(_) => {}
                Err(e) => errors.push(walk_error(root, &e)),
            }
        }
        files.sort();
        (files, errors)
    }
}

/// The path a walk error is about (the directory that could not be listed, when the walker says) and why.
fn walk_error(root: &Path, error: &ignore::Error) -> (PathBuf, String) {
    let mut error = error;
    loop {
        match error {
            ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
                error = err
            }
            ignore::Error::WithPath { path, err } => {
                // The OS's own words ("Permission denied (os error 13)"), without the walker's repetition
                // of the path.
                let why = match err.io_error() {
                    Some(io) => os_words(io),
                    None => err.to_string(),
                };
                return (path.clone(), why);
            }
            other => return (root.to_path_buf(), other.to_string()),
        }
    }
}

/// The operating system's message for an error however deeply it is wrapped, else the error's own.
fn os_words(error: &io::Error) -> String {
    let mut current: Option<&(dyn std::error::Error + 'static)> = error.get_ref().map(|e| e as _);
    if let Some(code) = error.raw_os_error() {
        return io::Error::from_raw_os_error(code).to_string();
    }
    while let Some(inner) = current {
        if let Some(code) = inner
            .downcast_ref::<io::Error>()
            .and_then(io::Error::raw_os_error)
        {
            return io::Error::from_raw_os_error(code).to_string();
        }
        current = inner.source();
    }
    error.to_string()
}
