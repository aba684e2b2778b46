//! The layering invariants README.md's "Architecture" states, checked on the source so they cannot drift: the
//! core does no IO of its own (every read goes through a `Vfs`), prints nothing (stdout carries the
//! protocol), and only the LSP shell knows LSP types.

use std::path::{Path, PathBuf};

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

/// The file's code without its `#[cfg(test)]` module (tests may write temporary files).
fn code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    match text.find("#[cfg(test)]") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
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
    let mut files = Vec::new();
    sources(&src(), &mut files);
    let mut offenders = Vec::new();
    for path in &files {
        let relative = path.strip_prefix(src()).unwrap();
        if does_io(relative) || relative.file_name().is_some_and(|n| n == "tests.rs") {
            continue;
        }
        let code = code(path);
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
    assert!(files.len() > 40, "found only {} source files", files.len());
}

#[test]
fn only_the_lsp_shell_knows_lsp_types() {
    let mut files = Vec::new();
    sources(&src(), &mut files);
    for path in &files {
        let relative = path.strip_prefix(src()).unwrap();
        if relative.starts_with("shells/lsp") {
            continue;
        }
        let code = code(path);
        assert!(
            !code.contains("tower_lsp_server") && !code.contains("ls_types"),
            "{} uses LSP types",
            relative.display()
        );
    }
}

#[test]
fn lower_layers_never_use_higher_ones() {
    // Each layer, lowest first, with the modules it must not use.
    let layers: &[(&str, &[&str])] = &[
        (
            "syntax",
            &[
                "crate::model",
                "crate::labels",
                "crate::rules",
                "crate::features",
                "crate::ide",
                "crate::shells",
            ],
        ),
        (
            "vfs",
            &[
                "crate::model",
                "crate::labels",
                "crate::rules",
                "crate::features",
                "crate::ide",
                "crate::shells",
            ],
        ),
        (
            "model",
            &[
                "crate::labels",
                "crate::rules",
                "crate::features",
                "crate::ide",
                "crate::shells",
            ],
        ),
        (
            "labels",
            &[
                "crate::rules",
                "crate::features",
                "crate::ide",
                "crate::shells",
            ],
        ),
        ("rules", &["crate::features", "crate::ide", "crate::shells"]),
        ("features", &["crate::ide", "crate::shells"]),
        ("ide", &["crate::shells"]),
    ];
    let mut files = Vec::new();
    sources(&src(), &mut files);
    for path in &files {
        let relative = path.strip_prefix(src()).unwrap();
        let top = relative
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        let Some((_, forbidden)) = layers.iter().find(|(name, _)| *name == top) else {
            continue;
        };
        let code = code(path);
        for module in *forbidden {
            assert!(
                !code.contains(module),
                "{} (layer {top}) uses {module}",
                relative.display()
            );
        }
    }
}
