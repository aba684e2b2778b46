//! The `portos-lsp` binary: the command-line shell and the language server in one executable.

fn main() {}
