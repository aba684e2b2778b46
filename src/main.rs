//! The `portos-lsp` binary: the command-line shell and the language server in one executable.

fn main() {
    std::process::exit(portos_lsp::shells::cli::main());
}
