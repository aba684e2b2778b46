//! One file's analysis: the model and its labels, computed together so every shell sees the same thing.

use crate::labels::{self, LabelledFile};
use crate::model::{self, FileModel, SourceLoader};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The model of a file and PortOS's labels for it.
pub struct Analysis {
    /// What the file declares.
    pub model: FileModel,
    /// Labels, bindings and the PortOS-compatible listing.
    pub labels: LabelledFile,
}

/// Analyses one file's text. `workspace` bounds `require`; `connect_keys` is the effective connects-to list.
pub fn analyze(
    path: &Path,
    text: Arc<str>,
    loader: &dyn SourceLoader,
    workspace: Option<PathBuf>,
    connect_keys: &[String],
) -> Analysis {
    let model = model::build(path, text, loader, workspace);
    let labels = labels::label_file(&model, connect_keys);
    Analysis { model, labels }
}
