//! The fixture corpus the property tests run over: every workspace-like fixture and the example workspace, as
//! files in memory, and a host's disk made of one (`#[path]`-included by tests/fix_properties.rs and
//! tests/incremental.rs, apart from the LSP tests' `common` module).

use portos_lsp::vfs::MemoryVfs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where a workspace's files are put in memory.
pub const ROOT: &str = "/w";

/// One workspace: files by path relative to its root.
pub struct Workspace {
    /// What failures call it.
    pub name: String,
    /// Its files: path relative to the root, and text.
    pub files: Vec<(String, String)>,
}

/// The crate's directory, where the fixtures are.
pub fn root_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// The entries of `dir`, sorted: the corpus in the same order on every machine.
pub fn sorted_entries(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    entries
}

/// Every file below `dir`, relative to it, with its text (files that are not UTF-8 are left out).
pub fn files_below(dir: &Path, base: &Path, out: &mut Vec<(String, String)>) {
    for path in sorted_entries(dir) {
        if path.is_dir() {
            files_below(&path, base, out);
        } else if let Ok(text) = std::fs::read_to_string(&path) {
            let relative = path
                .strip_prefix(base)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            out.push((relative, text));
        }
    }
}

/// The example workspace, the command line's fixtures, every rule's cases, and each model and detector
/// fixture as the ecosystem file of a workspace of its own (model fixtures beside the files they require).
pub fn workspaces() -> Vec<Workspace> {
    let root = root_dir();
    let mut out = Vec::new();
    let mut whole = |name: String, dir: PathBuf, extra: &[(String, String)]| {
        let mut files = extra.to_vec();
        files_below(&dir, &dir, &mut files);
        out.push(Workspace { name, files });
    };
    whole("example".into(), root.join("examples/workspace"), &[]);
    let cli = root.join("tests/fixtures/cli");
    let cli_config = vec![(
        "portos-lsp.toml".to_string(),
        std::fs::read_to_string(cli.join("portos-lsp.toml")).unwrap(),
    )];
    for case in ["clean", "findings", "warnings"] {
        whole(format!("cli/{case}"), cli.join(case), &cli_config);
    }
    let rules = root.join("tests/fixtures/rules");
    for code in sorted_entries(&rules) {
        for case in ["bad", "good"] {
            let name = format!(
                "rules/{}/{case}",
                code.file_name().unwrap().to_string_lossy()
            );
            whole(name, code.join(case), &[]);
        }
    }
    let mut lib = Vec::new();
    let model = root.join("tests/fixtures/model");
    files_below(&model.join("lib"), &model, &mut lib);
    for dir in ["tests/fixtures/model", "tests/fixtures/portos"] {
        for fixture in sorted_entries(&root.join(dir))
            .into_iter()
            .filter(|p| p.is_file())
        {
            let Some(ext) = fixture.extension().and_then(|e| e.to_str()) else {
                continue;
            };
            if !matches!(ext, "js" | "cjs" | "mjs") {
                continue;
            }
            let mut files = lib.clone();
            files.push((
                format!("ecosystem.config.{ext}"),
                std::fs::read_to_string(&fixture).unwrap(),
            ));
            out.push(Workspace {
                name: fixture.strip_prefix(&root).unwrap().display().to_string(),
                files,
            });
        }
    }
    out
}

/// The byte ranges of the port-like number literals of a text (4 or 5 digits, 1024–65535).
pub fn port_literals(text: &str) -> Vec<(usize, usize, u32)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric()) {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            let boundary = i == bytes.len() || !bytes[i].is_ascii_alphanumeric();
            if boundary && (4..=5).contains(&(i - start)) {
                let n: u32 = text[start..i].parse().unwrap();
                if (1024..=65535).contains(&n) {
                    out.push((start, i, n));
                }
            }
        } else {
            i += 1;
        }
    }
    out
}

/// The `today` fixtures (tests/portos_today.rs), each case a workspace of its own.
#[allow(dead_code)] // the incremental guard's (tests/incremental.rs), not the fix property test's
pub fn today_workspaces() -> Vec<Workspace> {
    let root = root_dir();
    let today = root.join("tests/fixtures/today");
    sorted_entries(&today)
        .into_iter()
        .filter(|case| case.is_dir())
        .map(|case| {
            let mut files = Vec::new();
            files_below(&case, &case, &mut files);
            Workspace {
                name: case.strip_prefix(&root).unwrap().display().to_string(),
                files,
            }
        })
        .collect()
}

/// A disk in memory holding `files` below [`ROOT`], with `.git/HEAD` marking the root as a checkout.
pub fn memory_disk(files: &[(String, String)]) -> Arc<MemoryVfs> {
    let vfs = Arc::new(MemoryVfs::default());
    vfs.insert(format!("{ROOT}/.git/HEAD"), "ref: refs/heads/main\n");
    for (relative, text) in files {
        vfs.insert(format!("{ROOT}/{relative}"), text.as_str());
    }
    vfs
}
