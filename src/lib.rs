//! portos-lsp: checks PM2 ecosystem files against PortOS's port allocation convention.
//!
//! Layers, lowest first; a layer only uses the ones before it:
//! `syntax` → `model` → `labels` → `rules` → `features` → `shells`.
//! `config`, `portos` and `live` sit beside them: `config` and `portos` are data and pure functions that
//! any layer may read, `live` does the IO (PortOS's registry, listening sockets) that only shells call.

#![warn(missing_docs)]

pub mod analysis;
pub mod config;
pub mod features;
pub mod ide;
pub mod labels;
pub mod live;
pub mod model;
pub mod portos;
pub mod rules;
pub mod shells;
pub mod syntax;
pub mod vfs;
pub mod workspace;
