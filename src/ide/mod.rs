//! The analysis host, the only door to the analysis for both shells: it owns the file system and its overlay
//! of open buffers, the configuration cache, the open documents and the workspace index, and answers every
//! question the shells ask — a file's findings ([`diagnostics::assemble`] is the only place they are put
//! together), fix-all, the port map, hover, completion, navigation, code actions, migrate, `next` — in byte
//! offsets, with no LSP types. The command line drives a [`Host`] over the disk; the language server keeps one
//! for the session, edits it, and answers requests from its [`Snapshot`]s.
//!
//! The shells use this module and the pure `config` data only. The few value types they render (findings,
//! rules, ranges, line indexes) are named here, one by one.

pub mod actions;
mod batch;
pub mod check;
pub mod completion;
pub mod configs;
pub mod convention;
pub mod diagnostics;
pub mod document;
pub mod external;
pub mod fix;
mod host;
pub mod hover;
pub mod index;
pub mod inputs;
pub mod listing;
pub mod migrate;
pub mod navigation;
pub mod next;
pub mod outside;
pub mod pm2_help;
pub mod port_map;
pub mod portos_core;
mod snapshot;
pub mod symbols;

pub use batch::{BATCH, CheckError, Checked, FileJob, MAX_THREADS};
pub use configs::{ConfigCache, file_globs_for};
pub use document::Document;
pub use host::{
    AnalysisDone, AnalysisJob, ConventionJob, DiscoverJob, DocAnalysis, DocKind, Host, IndexDone,
    IndexJob, near_miss,
};
pub use index::WorkspaceIndex;
pub use snapshot::{ActionKinds, Published, Snapshot};

// The value types the shells render, named one by one (never a whole lower layer).
pub use crate::rules::{DOCS_BASE_URL, FileReport, Finding, FixData, Related, Rule, Severity};
pub use crate::syntax::{Encoding, LineCol, LineIndex, TextRange};
pub use crate::workspace::{ECOSYSTEM_NAMES, looks_like_ecosystem};

/// Every rule, in the spec's order: `explain`, SARIF's rule list, the docs.
pub fn rules() -> &'static [&'static Rule] {
    crate::rules::ALL
}

/// The rule with this code.
pub fn rule(code: &str) -> Option<&'static Rule> {
    crate::rules::find(code)
}

/// Every rule's code, for validating configuration files.
pub fn rule_codes() -> Vec<&'static str> {
    crate::rules::codes()
}

/// `path` with `.` and `..` removed lexically, without touching the disk (how the server keys documents).
pub fn clean_path(path: &std::path::Path) -> std::path::PathBuf {
    crate::vfs::clean(path)
}
