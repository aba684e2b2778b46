//! The `portos-lsp` binary: the command-line shell and the language server in one executable.

/// mimalloc instead of the system allocator: the analysis allocates and frees many small values per keystroke
/// (a third of a keystroke's time went to glibc's malloc and free), and the Linux release binaries are static
/// musl builds, whose allocator is slower still.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(portos_lsp::shells::cli::main());
}
