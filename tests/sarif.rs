//! What CI dashboards need from `check`'s machine formats: the SARIF fields GitHub code scanning requires
//! (the tool's driver name and rules, `ruleId`, physical locations with 1-based regions, `partialFingerprints`
//! that survive an edit above the finding) and GitLab Code Quality's fields (docs/ci.md shows both in use).

#[path = "common/files.rs"]
mod files;

use files::copy_dir;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn findings_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cli/findings")
}

/// `check . --output-format FORMAT` in `dir`: the exit code and the parsed output.
fn check(dir: &Path, format: &str) -> (i32, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_portos-lsp"))
        .args(["check", ".", "--output-format", format])
        .current_dir(dir)
        .env("XDG_CONFIG_HOME", dir.join("no-user-config"))
        .env_remove("PORTOS_TOKEN")
        .output()
        .expect("the binary runs");
    let text = String::from_utf8(out.stdout).unwrap();
    let value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{format} is JSON ({e}): {text}"));
    (out.status.code().unwrap_or(-1), value)
}

/// A copy of the findings fixture in a fresh directory, removed when dropped.
struct Copy(PathBuf);

impl Copy {
    fn new(tag: &str) -> Copy {
        let dir =
            std::env::temp_dir().join(format!("portos-lsp-sarif-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        copy_dir(&findings_dir(), &dir);
        Copy(dir)
    }
}

impl Drop for Copy {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// (uri, ruleId, fingerprint) of each result, and the start lines.
fn identities(sarif: &Value) -> (BTreeSet<(String, String, String)>, Vec<u64>) {
    let text = |v: &Value| v.as_str().unwrap().to_string();
    let mut ids = BTreeSet::new();
    let mut lines = Vec::new();
    for result in sarif["runs"][0]["results"].as_array().unwrap() {
        let location = &result["locations"][0]["physicalLocation"];
        ids.insert((
            text(&location["artifactLocation"]["uri"]),
            text(&result["ruleId"]),
            text(&result["partialFingerprints"]["primaryLocationLineHash"]),
        ));
        lines.push(location["region"]["startLine"].as_u64().unwrap());
    }
    (ids, lines)
}

#[test]
fn sarif_carries_what_github_code_scanning_requires() {
    let copy = Copy::new("fields");
    let (code, sarif) = check(&copy.0, "sarif");
    assert_eq!(code, 1);
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "portos-lsp");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    let rules = driver["rules"].as_array().unwrap();
    assert_eq!(rules.len(), portos_lsp::rules::ALL.len());
    for rule in rules {
        assert!(rule["id"].as_str().is_some_and(|id| !id.is_empty()));
        assert!(rule["shortDescription"]["text"].is_string());
        assert!(
            rule["helpUri"]
                .as_str()
                .unwrap()
                .starts_with(env!("CARGO_PKG_REPOSITORY"))
        );
    }
    let results = run["results"].as_array().unwrap();
    assert!(results.len() >= 3, "{results:?}");
    for result in results {
        let rule_id = result["ruleId"].as_str().unwrap();
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(
            rules[index]["id"], rule_id,
            "ruleIndex points at ruleId's rule"
        );
        assert!(
            result["message"]["text"]
                .as_str()
                .is_some_and(|t| !t.is_empty())
        );
        let location = &result["locations"][0]["physicalLocation"];
        let uri = location["artifactLocation"]["uri"].as_str().unwrap();
        // Relative to where `check` ran (the checkout's root in a workflow), as code scanning resolves it.
        assert!(!uri.starts_with('/') && !uri.starts_with("./"), "{uri}");
        assert!(uri.ends_with("ecosystem.config.cjs"), "{uri}");
        assert!(copy.0.join(uri).is_file(), "{uri} names the checked file");
        let region = &location["region"];
        let (start_line, start_column) = (
            region["startLine"].as_u64().unwrap(),
            region["startColumn"].as_u64().unwrap(),
        );
        assert!(start_line >= 1 && start_column >= 1, "1-based: {region}");
        let end_line = region["endLine"].as_u64().unwrap();
        assert!(end_line > start_line || region["endColumn"].as_u64().unwrap() >= start_column);
        let fingerprint = result["partialFingerprints"]["primaryLocationLineHash"]
            .as_str()
            .unwrap();
        let (hash, n) = fingerprint.split_once(':').expect("hash:occurrence");
        assert!(hash.len() == 16 && hash.chars().all(|c| c.is_ascii_hexdigit()));
        assert!(n.parse::<u32>().unwrap() >= 1);
    }
    let (ids, _) = identities(&sarif);
    assert_eq!(ids.len(), results.len(), "each result is its own alert");
}

#[test]
fn fingerprints_survive_an_edit_above_the_finding() {
    let copy = Copy::new("moved");
    let (_, before) = check(&copy.0, "sarif");
    for app in ["blog", "shop"] {
        let file = copy.0.join(app).join("ecosystem.config.cjs");
        let text = std::fs::read_to_string(&file).unwrap();
        std::fs::write(&file, format!("// a comment added above\n\n{text}")).unwrap();
    }
    let (_, after) = check(&copy.0, "sarif");
    let (ids_before, lines_before) = identities(&before);
    let (ids_after, lines_after) = identities(&after);
    assert_eq!(ids_before, ids_after);
    let moved: Vec<u64> = lines_before.iter().map(|l| l + 2).collect();
    assert_eq!(lines_after, moved, "the findings moved two lines down");
}

#[test]
fn gitlab_code_quality_has_its_required_fields() {
    let copy = Copy::new("gitlab");
    let (code, report) = check(&copy.0, "gitlab");
    assert_eq!(code, 1);
    let issues = report.as_array().unwrap();
    assert!(!issues.is_empty());
    let mut fingerprints = BTreeSet::new();
    for issue in issues {
        assert!(issue["description"].as_str().is_some_and(|t| !t.is_empty()));
        assert!(portos_lsp::rules::find(issue["check_name"].as_str().unwrap()).is_some());
        assert!(
            ["info", "minor", "major", "critical", "blocker"]
                .contains(&issue["severity"].as_str().unwrap())
        );
        let path = issue["location"]["path"].as_str().unwrap();
        assert!(
            copy.0.join(path).is_file() && !path.starts_with("./"),
            "{path}"
        );
        assert!(issue["location"]["lines"]["begin"].as_u64().unwrap() >= 1);
        fingerprints.insert(issue["fingerprint"].as_str().unwrap().to_string());
    }
    assert_eq!(
        fingerprints.len(),
        issues.len(),
        "fingerprints are unique in the report"
    );
}
