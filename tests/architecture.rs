//! The layering README.md's "Architecture" states, checked on the source so it cannot drift: every
//! top-level module uses only the modules below it; both shells use the analysis host (`ide`) and the pure
//! `config` data only; nothing outside `syntax` and `model` sees a tree-sitter type; texts are parsed from
//! scratch only in `syntax`, `model` and the host's document store, and analysed (which parses) only where
//! the host reads a file from disk or checks a text it produced; the core does no IO of its own and prints
//! nothing; only the LSP shell knows LSP types; no file under `shells/lsp/` is longer than 700 lines.
//!
//! Every production line of every file is read: only `#[cfg(test)]` modules (inline, or files declared by
//! one) are skipped.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Where the source of a module `name` declared in `file` lives.
fn module_files(file: &Path, name: &str) -> [PathBuf; 2] {
    let dir = file.parent().unwrap();
    let stem = file.file_stem().unwrap().to_string_lossy();
    let base = if stem == "mod" || stem == "lib" || stem == "main" {
        dir.to_path_buf()
    } else {
        dir.join(&*stem)
    };
    [
        base.join(format!("{name}.rs")),
        base.join(name).join("mod.rs"),
    ]
}

/// Skips a Rust string, char or comment starting at `i` (which holds its first byte); returns the index after
/// it, or `None` when `i` starts none of them.
fn skip_literal(b: &[u8], i: usize) -> Option<usize> {
    let at = |k: usize| b.get(k).copied().unwrap_or(0);
    match at(i) {
        b'/' if at(i + 1) == b'/' => Some((i..b.len()).find(|&k| b[k] == b'\n').unwrap_or(b.len())),
        b'/' if at(i + 1) == b'*' => {
            let mut k = i + 2;
            while k + 1 < b.len() && !(b[k] == b'*' && b[k + 1] == b'/') {
                k += 1;
            }
            Some(k + 2)
        }
        b'r' if (at(i + 1) == b'"' || at(i + 1) == b'#')
            && !(i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')) =>
        {
            let mut k = i + 1;
            let mut hashes = 0;
            while at(k) == b'#' {
                hashes += 1;
                k += 1;
            }
            if at(k) != b'"' {
                return None;
            }
            k += 1;
            loop {
                if k >= b.len() {
                    return Some(b.len());
                }
                if b[k] == b'"' && (1..=hashes).all(|h| at(k + h) == b'#') {
                    return Some(k + 1 + hashes);
                }
                k += 1;
            }
        }
        b'"' => {
            let mut k = i + 1;
            while k < b.len() && b[k] != b'"' {
                k += if b[k] == b'\\' { 2 } else { 1 };
            }
            Some(k + 1)
        }
        // A char literal ('x', '\n', '{'), not a lifetime ('a).
        b'\'' if at(i + 1) == b'\\' => Some((i + 2..b.len()).find(|&k| b[k] == b'\'')? + 1),
        b'\'' if at(i + 2) == b'\'' => Some(i + 3),
        b'\'' => {
            // A multi-byte char ('😀').
            let end = (i + 1..(i + 6).min(b.len())).find(|&k| b[k] == b'\'')?;
            std::str::from_utf8(&b[i + 1..end])
                .ok()
                .filter(|s| s.chars().count() == 1)
                .map(|_| end + 1)
        }
        _ => None,
    }
}

/// The end of the item starting at `i`: after its `;` or its closing brace at depth 0.
fn item_end(b: &[u8], mut i: usize) -> usize {
    let mut depth = 0i32;
    while i < b.len() {
        if let Some(next) = skip_literal(b, i) {
            i = next;
            continue;
        }
        match b[i] {
            b'{' | b'(' | b'[' => depth += 1,
            b'}' | b')' | b']' => {
                depth -= 1;
                if depth == 0 && b[i] == b'}' {
                    return i + 1;
                }
            }
            b';' if depth == 0 => return i + 1,
            _ => {}
        }
        i += 1;
    }
    b.len()
}

/// A file's production code: its text without `#[cfg(test)]` modules; the files of modules declared as
/// `#[cfg(test)] mod name;` go to `test_files`.
fn production(path: &Path, test_files: &mut BTreeSet<PathBuf>) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let b = text.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    let mut kept = 0;
    while i < b.len() {
        if let Some(next) = skip_literal(b, i) {
            i = next;
            continue;
        }
        if text[i..].starts_with("#[cfg(test)]") {
            let after = i + "#[cfg(test)]".len();
            let rest = text[after..].trim_start();
            let item = rest
                .trim_start_matches("pub(crate) ")
                .trim_start_matches("pub ");
            if let Some(declared) = item.strip_prefix("mod ") {
                let name: String = declared
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                let end = item_end(b, after);
                if text[..end].ends_with(';') {
                    test_files.extend(module_files(path, &name));
                }
                out.push_str(&text[kept..i]);
                kept = end;
                i = end;
                continue;
            }
        }
        i += 1;
    }
    out.push_str(&text[kept..]);
    out
}

/// Every source file (relative to `src/`) with its production code; files of test modules left out.
fn production_sources() -> BTreeMap<PathBuf, String> {
    let mut files = Vec::new();
    sources(&src(), &mut files);
    files.sort();
    let mut test_files = BTreeSet::new();
    let mut code: BTreeMap<PathBuf, String> = files
        .iter()
        .map(|path| (path.clone(), production(path, &mut test_files)))
        .collect();
    code.retain(|path, _| !test_files.contains(path));
    code.into_iter()
        .map(|(path, code)| (path.strip_prefix(src()).unwrap().to_path_buf(), code))
        .collect()
}

/// The top-level module a file belongs to (`lib` and `main` for the crate roots).
fn top(relative: &Path) -> String {
    relative
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy()
        .trim_end_matches(".rs")
        .to_string()
}

/// The crate's modules a text's code names (`crate::x`, `crate::{x, y}`); comments, where docs may link to
/// any module, are left out.
fn used_modules(code: &str) -> BTreeSet<String> {
    let code: String = code
        .lines()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let code = code.as_str();
    let mut used = BTreeSet::new();
    let word = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            for name in group.split(',') {
                let name = word(name.trim());
                if !name.is_empty() {
                    used.insert(name);
                }
            }
        } else {
            used.insert(word(rest));
        }
    }
    used
}

/// Each top-level module, lowest first, with the modules of the crate it may use. A module missing here
/// fails the test: a new one must say where it sits.
const LAYERS: &[(&str, &[&str])] = &[
    ("syntax", &[]),
    ("vfs", &["syntax"]),
    ("config", &["syntax", "vfs"]),
    ("portos", &["syntax"]),
    ("workspace", &["vfs"]),
    ("live", &["config"]),
    ("model", &["syntax", "vfs", "config"]),
    ("labels", &["syntax", "model", "config", "portos"]),
    (
        "analysis",
        &["syntax", "vfs", "model", "labels", "config", "portos"],
    ),
    (
        "rules",
        &[
            "syntax", "vfs", "model", "labels", "analysis", "config", "portos",
        ],
    ),
    ("features", &["syntax", "rules", "config"]),
    (
        "ide",
        &[
            "syntax",
            "vfs",
            "config",
            "portos",
            "workspace",
            "live",
            "model",
            "labels",
            "analysis",
            "rules",
            "features",
        ],
    ),
    ("shells", &["ide", "config"]),
    ("lib", &[]),
    ("main", &[]),
];

#[test]
fn every_module_uses_only_the_layers_below_it() {
    let files = production_sources();
    assert!(files.len() > 80, "found only {} source files", files.len());
    let mut offenders = Vec::new();
    for (relative, code) in &files {
        let module = top(relative);
        let Some((_, allowed)) = LAYERS.iter().find(|(name, _)| *name == module) else {
            panic!(
                "{} belongs to `{module}`, which tests/architecture.rs does not place",
                relative.display()
            );
        };
        for used in used_modules(code) {
            if used != module && !allowed.contains(&used.as_str()) {
                offenders.push(format!(
                    "{} (layer {module}) uses crate::{used}",
                    relative.display()
                ));
            }
        }
    }
    assert!(offenders.is_empty(), "layering broken: {offenders:#?}");
}

#[test]
fn test_modules_are_skipped_and_nothing_else() {
    let files = production_sources();
    // `config/tests.rs` is a test module's file; the code after `config/mod.rs`'s test module is read.
    assert!(!files.contains_key(Path::new("config/tests.rs")));
    assert!(!files.contains_key(Path::new("live/registry/tests.rs")));
    let config = &files[Path::new("config/mod.rs")];
    assert!(
        config.contains("pub fn load_for"),
        "config/mod.rs was cut short"
    );
    let mutation = &files[Path::new("model/eval/mutation.rs")];
    assert!(!mutation.contains("mod tests {"));
    let rules = &files[Path::new("rules/mod.rs")];
    assert!(
        !rules.contains("findings_in_memory"),
        "a test module was read"
    );
    assert!(rules.contains("pub fn merged"));
}

#[test]
fn the_shells_are_thin_over_the_host() {
    for (relative, code) in production_sources() {
        if top(&relative) != "shells" {
            continue;
        }
        for used in used_modules(&code) {
            assert!(
                ["ide", "config", "shells"].contains(&used.as_str()),
                "{} uses crate::{used}: the shells use the host (`ide`) and `config` only",
                relative.display()
            );
        }
    }
}

#[test]
fn the_host_names_what_it_hands_on_one_by_one() {
    for (relative, code) in production_sources() {
        if top(&relative) != "ide" {
            continue;
        }
        for line in code.lines().map(str::trim) {
            let Some(path) = line.strip_prefix("pub use crate::") else {
                continue;
            };
            let path = path.trim_end_matches(';');
            assert!(
                path.contains("::") && !path.ends_with("::*") && !path.contains(" as "),
                "{}: `{line}` hands on a whole layer: name the items the shells need",
                relative.display()
            );
        }
    }
}

#[test]
fn nothing_outside_syntax_and_model_sees_a_tree() {
    for (relative, code) in production_sources() {
        if ["syntax", "model"].contains(&top(&relative).as_str()) {
            continue;
        }
        for needle in ["tree_sitter", "raw_root"] {
            assert!(
                !code.contains(needle),
                "{} uses `{needle}`: only syntax and model see tree-sitter's types",
                relative.display()
            );
        }
    }
}

#[test]
fn texts_are_parsed_once_and_only_where_the_host_reads_them() {
    // From-scratch parses: the syntax layer, the evaluator (the file and what it requires), the one analysis
    // entry point, and the host's document store (its one tree per version).
    let parse_allowed = |relative: &Path, top: &str| {
        top == "syntax"
            || top == "model"
            || relative == Path::new("analysis.rs")
            || relative == Path::new("ide/document.rs")
    };
    // Analyses (each parses its text): the analysis entry point itself, the host's jobs and batch runs (files
    // read from disk), a snapshot's reading of closed files, fix-all and migrate checking the texts they
    // produce, and the convention's disk copies. Never a rule, a feature or a shell.
    let analyse_allowed = [
        "analysis.rs",
        "ide/host.rs",
        "ide/batch.rs",
        "ide/snapshot.rs",
        "ide/fix.rs",
        "ide/migrate.rs",
        "ide/convention.rs",
    ];
    for (relative, code) in production_sources() {
        let top = top(&relative);
        for needle in [
            "syntax::parse(",
            "syntax::parse_as(",
            "parse_for_editing(",
            "parse_incremental(",
            "parse_incremental_as(",
            "model::build(",
        ] {
            assert!(
                parse_allowed(&relative, &top) || !code.contains(needle),
                "{} parses a text from scratch (`{needle}`): read the document's one tree",
                relative.display()
            );
        }
        for needle in ["analysis::analyze(", "analyze_parsed("] {
            let allowed =
                analyse_allowed.iter().any(|a| relative == Path::new(a)) || top == "model";
            assert!(
                allowed || !code.contains(needle),
                "{} analyses a text (`{needle}`): ask the host",
                relative.display()
            );
        }
    }
}

/// Files allowed to do IO: the shells, `live` (PortOS's registry, sockets) and the disk Vfs.
fn does_io(relative: &Path) -> bool {
    let s = relative.to_string_lossy();
    s.starts_with("shells/")
        || s.starts_with("live/")
        || s == "live.rs"
        || s == "vfs/disk.rs"
        || s == "main.rs"
}

#[test]
fn the_core_does_no_io_and_prints_nothing() {
    let mut offenders = Vec::new();
    for (relative, code) in production_sources() {
        if does_io(&relative) {
            continue;
        }
        for needle in [
            "std::fs",
            "std::env",
            "println!",
            "eprintln!",
            "print!(",
            "std::process",
        ] {
            if code.contains(needle) {
                offenders.push(format!("{}: {needle}", relative.display()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "IO outside the shells: {offenders:#?}"
    );
}

#[test]
fn only_the_lsp_shell_knows_lsp_types() {
    for (relative, code) in production_sources() {
        if relative.starts_with("shells/lsp") {
            continue;
        }
        assert!(
            !code.contains("tower_lsp_server") && !code.contains("ls_types"),
            "{} uses LSP types",
            relative.display()
        );
    }
}

#[test]
fn the_language_server_is_small_files() {
    let mut files = Vec::new();
    sources(&src().join("shells/lsp"), &mut files);
    for path in files {
        let lines = std::fs::read_to_string(&path).unwrap().lines().count();
        assert!(
            lines <= 700,
            "{} has {lines} lines: the server's files stay under 700",
            path.display()
        );
    }
}
