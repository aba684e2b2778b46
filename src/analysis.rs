//! One file's analysis: the model, its labels and the facts about its directory, computed together so every
//! shell sees the same thing.

use crate::config::Config;
use crate::labels::{self, LabelledFile};
use crate::model::{self, FileModel};
use crate::portos::{DetectedProcess, detector::DetectorMemo};
use crate::syntax::{Budget, Stopped};
use crate::vfs::Vfs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The model of a file and PortOS's labels for it.
pub struct Analysis {
    /// What the file declares.
    pub model: FileModel,
    /// Labels, bindings and the PortOS-compatible listing.
    pub labels: LabelledFile,
    /// What the file's directory says about it (read through the Vfs, so rules never touch the disk).
    pub dir: DirFacts,
    /// What PortOS's own detector reads in the text, computed once on first use.
    pub detection: Detection,
}

impl Analysis {
    /// What the next analysis of the same file (an edited version) may reuse of this one.
    pub fn reuse(&self) -> Reuse {
        Reuse {
            model: self.model.memo.clone(),
            labels: self.labels.memo.clone(),
            detection: self.detection.done.get().cloned(),
        }
    }
}

/// What an analysis hands the next analysis of the same file, where the editor analyses it again on every
/// edit: the evaluator's elements and PortOS's detection, each reused only where the edit left it alone.
#[derive(Default)]
pub struct Reuse {
    model: Arc<model::ModelMemo>,
    labels: Arc<labels::LabelMemo>,
    detection: Option<Arc<Detected>>,
}

/// PortOS's detector run over a file's text on first use (only the file PortOS reads needs it), reusing an
/// earlier version's reading where there is one.
pub struct Detection {
    /// `Some` where the file will be analysed again (the editor): the previous version's reading, if any.
    previous: Option<Option<Arc<Detected>>>,
    done: std::sync::OnceLock<Arc<Detected>>,
}

/// One run of PortOS's detector.
pub struct Detected {
    /// Each process the detector finds, in text order.
    pub processes: Vec<DetectedProcess>,
    memo: DetectorMemo,
}

impl Detection {
    /// The detector's reading of `text` (the analysed file's: always the same text for one analysis).
    pub fn of(&self, text: &Arc<str>) -> &[DetectedProcess] {
        &self
            .done
            .get_or_init(|| {
                let (processes, memo) = match &self.previous {
                    Some(previous) => {
                        crate::portos::detect_incremental(text, previous.as_ref().map(|p| &p.memo))
                    }
                    None => (crate::portos::detect(text), DetectorMemo::default()),
                };
                Arc::new(Detected { processes, memo })
            })
            .processes
    }
}

/// Facts about the directory of an ecosystem file: one directory is one PortOS app.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DirFacts {
    /// The directory, absolute and normalised.
    pub app_dir: PathBuf,
    /// The app's name: the directory's `package.json` name, else the directory name.
    pub app_name: String,
    /// The ecosystem file PortOS reads in this directory, if any: `ecosystem.config.js`, else `.cjs`.
    pub portos_reads: Option<&'static str>,
    /// For a `.js` file: the `"type"` of the nearest `package.json` above it (`module` makes Node load it as an
    /// ES module); `None` for other files, or when no `package.json` says.
    pub package_type: Option<String>,
}

impl DirFacts {
    /// Reads the facts of the directory holding `file`.
    pub fn of_file(vfs: &dyn Vfs, file: &Path) -> DirFacts {
        let app_dir = vfs
            .normalize(file)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let package_type = file
            .extension()
            .is_some_and(|e| e == "js")
            .then(|| package_type(vfs, &app_dir))
            .flatten();
        DirFacts {
            package_type,
            ..Self::of_dir(vfs, app_dir)
        }
    }

    /// Reads the facts of `app_dir` (absolute).
    pub fn of_dir(vfs: &dyn Vfs, app_dir: PathBuf) -> DirFacts {
        let portos_reads = ["ecosystem.config.js", "ecosystem.config.cjs"]
            .into_iter()
            .find(|name| vfs.is_file(&app_dir.join(name)));
        DirFacts {
            app_name: app_name(vfs, &app_dir),
            portos_reads,
            app_dir,
            package_type: None,
        }
    }
}

/// The `"type"` of the nearest `package.json` from `dir` upward, as Node looks it up for a `.js` file.
fn package_type(vfs: &dyn Vfs, dir: &Path) -> Option<String> {
    let mut dir = Some(dir);
    while let Some(here) = dir {
        let manifest = here.join("package.json");
        if vfs.is_file(&manifest) {
            return vfs
                .read(&manifest)
                .ok()
                .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
                .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_string));
        }
        dir = here.parent();
    }
    None
}

/// The app's name: its directory's `package.json` name, else the directory name.
pub fn app_name(vfs: &dyn Vfs, dir: &Path) -> String {
    let from_package = vfs
        .read(&dir.join("package.json"))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .and_then(|v| v.get("name").and_then(|n| n.as_str()).map(str::to_string));
    from_package.unwrap_or_else(|| {
        vfs.normalize(dir)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "app".into())
    })
}

/// Analyses one file's text: the one analysis entry point. `workspace` bounds `require`; `config` gives the
/// connects-to keys and the parse budget (`Err` when the file's parse ran over it).
pub fn analyze(
    path: &Path,
    text: Arc<str>,
    vfs: &dyn Vfs,
    workspace: Option<PathBuf>,
    config: &Config,
) -> Result<Analysis, Stopped> {
    let budget = config.parse_budget();
    let format = crate::syntax::Format::of_path(path);
    let parsed = crate::syntax::parse_as(&text, format, &budget)?;
    Ok(analyze_parsed(
        path, text, parsed, vfs, workspace, config, &budget, None,
    ))
}

/// [`analyze`] over a parse the caller already has (the editor's incremental one); required files are parsed
/// within `budget`. `reuse`: what the previous analysis of the same file kept, where it will be analysed
/// again (see [`Reuse`]).
#[allow(clippy::too_many_arguments)]
pub fn analyze_parsed(
    path: &Path,
    text: Arc<str>,
    parsed: crate::syntax::Parsed,
    vfs: &dyn Vfs,
    workspace: Option<PathBuf>,
    config: &Config,
    budget: &Budget,
    reuse: Option<Reuse>,
) -> Analysis {
    let (memo, previous, labels_before) = match reuse {
        Some(reuse) => (Some(reuse.model), Some(reuse.detection), Some(reuse.labels)),
        None => (None, None, None),
    };
    let model = model::build_parsed(
        path,
        text,
        parsed,
        vfs,
        workspace,
        budget,
        config.pm2.cpus,
        memo,
    );
    let labels = labels::label_file_reusing(&model, &config.connect_keys, labels_before.as_deref());
    let dir = DirFacts::of_file(vfs, path);
    Analysis {
        model,
        labels,
        dir,
        detection: Detection {
            previous,
            done: Default::default(),
        },
    }
}

/// The analysis of `text` as the file at `path` in the workspace `/w`, with the default settings, read
/// through `vfs`: how the analysis host's unit tests build their inputs.
#[cfg(test)]
pub(crate) fn analyze_in_w(path: &Path, text: &str, vfs: &dyn Vfs) -> Analysis {
    let config = Config::default();
    analyze(path, Arc::from(text), vfs, Some("/w".into()), &config)
        .expect("a test text parses in time")
}
