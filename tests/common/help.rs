//! What `portos-lsp --help` lists, for the tests that hold every command to the README, the completions and
//! the man pages (`#[path]`-included, apart from the LSP tests' `common` module).

/// The commands under `Commands:` in `--help` output, `help` aside.
pub fn commands(help: &str) -> Vec<&str> {
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .collect()
}
