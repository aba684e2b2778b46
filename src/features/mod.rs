//! Features built on the analysis and the rules: the port allocator (hover, completion and code actions
//! come with the language server).

pub mod allocator;
