//! Every rule has a fixture that triggers it (`tests/fixtures/rules/<code>/bad/`) and one that does not
//! (`…/good/`). Each case directory is one workspace; each subdirectory with an ecosystem file is one app. The
//! rendered findings of every `bad` case are snapshot-tested.

use portos_lsp::config::ConfigSource;
use portos_lsp::ide::Host;
use portos_lsp::ide::external::External;
use portos_lsp::live::parse_apps;
use portos_lsp::rules::{self, ExternalPorts, FileReport};
use portos_lsp::syntax::{Encoding, LineIndex};
use portos_lsp::vfs::DiskVfs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules")
}

/// Checks one case directory as a workspace and renders its findings with paths relative to it.
fn check_case(dir: &Path) -> (Vec<FileReport>, String) {
    let mut host = Host::new(Arc::new(DiskVfs::new()), ConfigSource::None);
    let files: Vec<(PathBuf, Arc<str>)> = host
        .ecosystem_files(dir)
        .into_iter()
        .map(|path| {
            let text: Arc<str> = Arc::from(std::fs::read_to_string(&path).unwrap());
            (path, text)
        })
        .collect();
    assert!(!files.is_empty(), "{} has no ecosystem file", dir.display());
    let texts: Vec<Arc<str>> = files.iter().map(|(_, t)| t.clone()).collect();
    // A case may carry PortOS's registry as a recorded `/api/apps` body, `<case>` standing for its directory.
    let recorded = dir.join("registry.json");
    let registry = recorded.is_file().then(|| {
        let body = std::fs::read_to_string(&recorded)
            .unwrap()
            .replace("<case>", dir.to_str().unwrap());
        External::from_apps(parse_apps(&body).unwrap(), "registry.json".into())
    });
    let reports = host
        .check_workspace(dir, files, &|app_dir: &Path| match &registry {
            Some(registry) => registry.for_app(app_dir),
            None => ExternalPorts::default(),
        })
        .unwrap();
    let mut out = String::new();
    for (report, text) in reports.iter().zip(&texts) {
        let index = LineIndex::new(text);
        let relative = report.path.strip_prefix(dir).unwrap().display().to_string();
        for f in &report.findings {
            let pos = index.position(text, f.range.start as usize, Encoding::Utf32);
            out.push_str(&format!(
                "{relative}:{}:{}: {}[{}] {}\n",
                pos.line + 1,
                pos.col + 1,
                f.severity.as_str(),
                f.code,
                f.message
            ));
            for related in &f.related {
                let other = related
                    .path
                    .strip_prefix(dir)
                    .unwrap_or(&related.path)
                    .display()
                    .to_string();
                out.push_str(&format!(
                    "    related: {other} @{} — {}\n",
                    related.range.start, related.message
                ));
            }
            if let Some(fix) = &f.fix {
                out.push_str(&format!(
                    "    fix: {}\n",
                    serde_json::to_string(fix)
                        .unwrap()
                        .replace(dir.to_str().unwrap(), "<case>")
                ));
            }
        }
    }
    (reports, out)
}

#[test]
fn every_rule_has_a_triggering_and_a_clean_fixture() {
    for rule in rules::ALL {
        let case = fixtures().join(rule.code);
        let (bad, rendered) = check_case(&case.join("bad"));
        assert!(
            bad.iter()
                .flat_map(|r| &r.findings)
                .any(|f| f.code == rule.code),
            "{}/bad does not trigger {}:\n{rendered}",
            rule.code,
            rule.code
        );
        insta::assert_snapshot!(format!("rule_{}", rule.code.replace('-', "_")), rendered);
        let (good, rendered) = check_case(&case.join("good"));
        assert!(
            !good
                .iter()
                .flat_map(|r| &r.findings)
                .any(|f| f.code == rule.code),
            "{}/good triggers {}:\n{rendered}",
            rule.code,
            rule.code
        );
    }
}

#[test]
fn no_fixture_directory_lacks_a_rule() {
    for entry in std::fs::read_dir(fixtures()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            rules::find(&name).is_some(),
            "tests/fixtures/rules/{name} names no rule"
        );
    }
}
