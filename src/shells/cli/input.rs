//! Reading the files a command works on: expanding directories, decoding bytes, reporting what failed.

use crate::analysis::{self, Analysis};
use crate::model::DiskLoader;
use crate::syntax::{self, LineIndex};
use crate::workspace::{self, Found};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A file that could not be analysed, with a one-line reason naming it.
pub struct Unreadable {
    /// The path as given or found.
    pub path: PathBuf,
    /// Why.
    pub reason: String,
}

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "error: {}: {}", self.path.display(), self.reason)
    }
}

/// Every file named or found, analysed or refused, in path order.
pub enum Loaded {
    /// An analysed file.
    Analysed(Box<Analysis>),
    /// A file we could not read or decode.
    Failed(Unreadable),
}

/// Expands `paths` and analyses each ecosystem file.
pub fn load(paths: &[PathBuf], connect_keys: &[String], max_bytes: usize) -> Vec<Loaded> {
    workspace::find_files(paths, &|_: &Path| false)
        .into_iter()
        .map(|found| match found {
            Found::Missing(path, why) => Loaded::Failed(Unreadable {
                path,
                reason: format!("cannot read: {why}"),
            }),
            Found::File(path) => match read_text(&path, max_bytes) {
                Ok(text) => Loaded::Analysed(Box::new(analyze_text(&path, text, connect_keys))),
                Err(reason) => Loaded::Failed(Unreadable { path, reason }),
            },
        })
        .collect()
}

/// Reads and decodes one file.
pub fn read_text(path: &Path, max_bytes: usize) -> Result<Arc<str>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read: {e}"))?;
    syntax::decode(bytes, max_bytes)
        .map(Arc::from)
        .map_err(|e| e.to_string())
}

/// Analyses text that belongs to `path`, with `require` bounded by the file's workspace.
pub fn analyze_text(path: &Path, text: Arc<str>, connect_keys: &[String]) -> Analysis {
    let root = workspace::workspace_root(path);
    analysis::analyze(path, text, &DiskLoader, Some(root), connect_keys)
}

/// Analyses text under a configuration (its connects-to keys).
pub fn analyze_with(path: &Path, text: Arc<str>, config: &crate::config::Config) -> Analysis {
    analyze_text(path, text, &config.connect_keys)
}

/// 1-based line and column in Unicode characters, as machine output reports positions.
pub fn line_col(text: &str, index: &LineIndex, offset: u32) -> (u32, u32) {
    let pos = index.position(text, offset as usize, syntax::Encoding::Utf32);
    (pos.line + 1, pos.col + 1)
}
