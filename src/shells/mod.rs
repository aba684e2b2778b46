//! The shells: the command line and the language server, thin layers over the same analysis.
// The shells are the only code that prints (the crate denies it everywhere else, since `serve`'s stdout
// carries the protocol).
#![allow(clippy::print_stdout, clippy::print_stderr)]

pub mod cli;
pub mod lsp;

/// Where the user-level configuration file is (spec §9): `$XDG_CONFIG_HOME/portos-lsp/config.toml`, else
/// `~/.config/portos-lsp/config.toml`; `None` when neither variable gives an absolute directory. Only the
/// shells read the environment: the core gets the path ([`crate::ide::ConfigCache::set_user_file`]) and reads
/// the file through its Vfs.
pub fn user_config_file() -> Option<std::path::PathBuf> {
    let absolute = |name: &str| {
        std::env::var_os(name)
            .map(std::path::PathBuf::from)
            .filter(|dir| dir.is_absolute())
    };
    let dir = absolute("XDG_CONFIG_HOME")
        .or_else(|| absolute("HOME").map(|home| home.join(".config")))?;
    Some(dir.join("portos-lsp").join("config.toml"))
}
