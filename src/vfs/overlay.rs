//! Open editor buffers laid over another file system: a buffer wins over the file on disk.

use super::{DirEntry, Vfs};
use foldhash::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

/// Buffers over a base file system. Shared between the server's handlers and its analysis threads.
pub struct Overlay {
    base: Arc<dyn Vfs>,
    buffers: RwLock<HashMap<PathBuf, Arc<str>>>,
}

impl Overlay {
    /// Buffers over `base`.
    pub fn new(base: Arc<dyn Vfs>) -> Self {
        Overlay {
            base,
            buffers: RwLock::new(HashMap::default()),
        }
    }

    /// Sets the buffer for `path` (absolute, normalised).
    pub fn set(&self, path: PathBuf, text: Arc<str>) {
        let mut buffers = self.buffers.write().unwrap_or_else(|p| p.into_inner());
        buffers.insert(path, text);
    }

    /// Drops the buffer for `path`: the disk copy shows again.
    pub fn remove(&self, path: &Path) {
        let mut buffers = self.buffers.write().unwrap_or_else(|p| p.into_inner());
        buffers.remove(path);
    }

    /// The buffer for `path`, if one is open.
    pub fn buffer(&self, path: &Path) -> Option<Arc<str>> {
        let buffers = self.buffers.read().unwrap_or_else(|p| p.into_inner());
        buffers.get(path).cloned()
    }

    /// The file system below the buffers.
    pub fn base(&self) -> &Arc<dyn Vfs> {
        &self.base
    }
}

impl Vfs for Overlay {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        match self.buffer(path) {
            Some(text) => Ok(text.as_bytes().to_vec()),
            None => self.base.read(path),
        }
    }

    fn size(&self, path: &Path) -> io::Result<u64> {
        match self.buffer(path) {
            Some(text) => Ok(text.len() as u64),
            None => self.base.size(path),
        }
    }

    fn is_file(&self, path: &Path) -> bool {
        self.buffer(path).is_some() || self.base.is_file(path)
    }

    fn exists(&self, path: &Path) -> bool {
        self.buffer(path).is_some() || self.base.exists(path)
    }

    fn is_dir(&self, path: &Path) -> bool {
        if self.buffer(path).is_some() {
            return false;
        }
        if self.base.is_dir(path) {
            return true;
        }
        // A directory that exists only because a buffer below it is open.
        let buffers = self.buffers.read().unwrap_or_else(|p| p.into_inner());
        buffers
            .keys()
            .any(|buffered| buffered != path && buffered.starts_with(path))
    }

    fn list_dir(&self, path: &Path) -> io::Result<Vec<DirEntry>> {
        let mut entries = self.base.list_dir(path).unwrap_or_default();
        let buffers = self.buffers.read().unwrap_or_else(|p| p.into_inner());
        for buffered in buffers.keys() {
            if buffered.parent() == Some(path) && !entries.iter().any(|e| &e.path == buffered) {
                entries.push(DirEntry {
                    path: buffered.clone(),
                    is_dir: false,
                });
            }
        }
        entries.sort();
        Ok(entries)
    }

    fn absolute(&self, path: &Path) -> PathBuf {
        self.base.absolute(path)
    }

    fn canonical(&self, path: &Path) -> Option<PathBuf> {
        self.base.canonical(path)
    }

    fn walk(&self, root: &Path) -> (Vec<PathBuf>, Vec<(PathBuf, String)>) {
        let (mut files, errors) = self.base.walk(root);
        let buffers = self.buffers.read().unwrap_or_else(|p| p.into_inner());
        for buffered in buffers.keys() {
            if buffered.starts_with(root) && !files.contains(buffered) {
                files.push(buffered.clone());
            }
        }
        files.sort();
        (files, errors)
    }
}
