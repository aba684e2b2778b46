//! The shells: the command line and the language server, thin layers over the same analysis.

pub mod cli;
pub mod lsp;
