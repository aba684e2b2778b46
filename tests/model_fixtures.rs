//! Runs the analysis on every fixture under `tests/fixtures/model/`: checks the `// expect:` display lines each
//! fixture states (written from the spec) and snapshots the full labelled model.

use portos_lsp::analysis::{self, Analysis};
use portos_lsp::config::{BUILTIN_CONNECT_KEYS, Config};
use portos_lsp::ide::listing::file_json;
use portos_lsp::labels;
use portos_lsp::vfs::DiskVfs;
use std::path::Path;
use std::sync::Arc;

fn analyse(path: &Path) -> Analysis {
    let text = std::fs::read_to_string(path).expect("fixture is readable UTF-8");
    let config = Config::default();
    assert_eq!(config.connect_keys, BUILTIN_CONNECT_KEYS);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    analysis::analyze(path, Arc::from(text), &DiskVfs::new(), Some(root), &config)
        .expect("a fixture parses within its budget")
}

/// `// expect: line` comments at the top of a fixture, in order; `// expect: (none)` for no processes.
fn expectations(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| {
            let l = l.trim();
            l.strip_prefix("// expect:")
                .or_else(|| l.strip_prefix("# expect:"))
        })
        .map(|l| l.trim().to_string())
        .filter(|l| l != "(none)")
        .collect()
}

#[test]
fn fixtures_match_their_expectations_and_snapshots() {
    insta::glob!(
        "fixtures/model/*.{cjs,js,mjs,json,json5,yml,yaml}",
        |path| {
            let analysis = analyse(path);
            let text = analysis.model.text().to_string();
            let expected = expectations(&text);
            let actual: Vec<String> = analysis
                .labels
                .processes
                .iter()
                .map(|p| {
                    labels::display_line(
                        analysis.model.processes[p.index].display_name(),
                        &p.listing,
                    )
                })
                .collect();
            assert!(
                text.contains("// expect:") || text.contains("# expect:"),
                "{} states no `// expect:` lines",
                path.display()
            );
            assert_eq!(actual, expected, "display lines of {}", path.display());
            let mut json = file_json(&analysis);
            json["file"] = serde_json::json!(path.file_name().unwrap().to_string_lossy());
            // Required files appear with absolute paths: make them independent of the checkout's location.
            let root = env!("CARGO_MANIFEST_DIR");
            let portable = serde_json::to_string(&json)
                .unwrap()
                .replace(root, "<root>");
            let json: serde_json::Value = serde_json::from_str(&portable).unwrap();
            insta::assert_json_snapshot!(json);
        }
    );
}
