//! An in-memory file tree, for tests and for callers that already hold every text.

use super::{DirEntry, Vfs};
use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::RwLock;

/// Files held in memory; directories exist implicitly as the parents of files.
#[derive(Debug, Default)]
pub struct MemoryVfs {
    files: RwLock<BTreeMap<PathBuf, Vec<u8>>>,
}

impl MemoryVfs {
    /// Adds or replaces a file.
    pub fn insert(&self, path: impl Into<PathBuf>, text: impl Into<Vec<u8>>) {
        let mut files = self.files.write().unwrap_or_else(|p| p.into_inner());
        files.insert(path.into(), text.into());
    }
}

impl Vfs for MemoryVfs {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        let files = self.files.read().unwrap_or_else(|p| p.into_inner());
        files
            .get(path)
            .cloned()
            .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))
    }

    fn size(&self, path: &Path) -> io::Result<u64> {
        let files = self.files.read().unwrap_or_else(|p| p.into_inner());
        files
            .get(path)
            .map(|bytes| bytes.len() as u64)
            .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))
    }

    fn is_file(&self, path: &Path) -> bool {
        let files = self.files.read().unwrap_or_else(|p| p.into_inner());
        files.contains_key(path)
    }

    fn exists(&self, path: &Path) -> bool {
        let files = self.files.read().unwrap_or_else(|p| p.into_inner());
        files.keys().any(|f| f.starts_with(path))
    }

    fn list_dir(&self, path: &Path) -> io::Result<Vec<DirEntry>> {
        let files = self.files.read().unwrap_or_else(|p| p.into_inner());
        let mut entries: Vec<DirEntry> = Vec::new();
        for file in files.keys() {
            let Ok(rest) = file.strip_prefix(path) else {
                continue;
            };
            let mut parts = rest.components();
            let Some(first) = parts.next() else { continue };
            let entry = DirEntry {
                path: path.join(first),
                is_dir: parts.next().is_some(),
            };
            if !entries.contains(&entry) {
                entries.push(entry);
            }
        }
        if entries.is_empty() {
            return Err(io::Error::from(io::ErrorKind::NotFound));
        }
        entries.sort();
        Ok(entries)
    }
}
