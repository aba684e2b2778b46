//! The v1 → v2 migration (`ide::migrate`) over every fixture and example file: where it migrates, the result
//! lists the same ports (`ports --json`, save the ones the migration says PortOS will newly list), PortOS's own
//! detector reads it the same (`ports --as-portos`), it has no error-level finding, every comment survives, and
//! migrating again finds nothing to do. Where it does not, it says why. Snapshots show the migrated text of a
//! few representative files and, for every file, what the migration did.

use portos_lsp::analysis::Analysis;
use portos_lsp::config::{Config, ConfigSource};
use portos_lsp::ide::Host;
use portos_lsp::ide::actions;
use portos_lsp::ide::listing::file_json;
use portos_lsp::ide::migrate::{self, Migration, Refusal};
use portos_lsp::rules::{self, Severity};
use portos_lsp::vfs::DiskVfs;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

struct Subject {
    host: Host,
    path: PathBuf,
    config: Arc<Config>,
    root: PathBuf,
}

impl Subject {
    fn new(path: &Path) -> Option<Subject> {
        let mut host = Host::new(Arc::new(DiskVfs::new()), ConfigSource::Discover);
        let config = host.configs.for_file(path).ok()?;
        let root = host.configs.workspace_root(path);
        Some(Subject {
            host,
            path: path.to_path_buf(),
            config,
            root,
        })
    }

    fn analyse(&self, text: &str) -> Analysis {
        self.host
            .analyze(&self.path, Arc::from(text), &self.config, &self.root)
            .expect("a test text parses within its budget")
    }

    fn migrate(&self, analysis: &Analysis) -> Result<Migration, Refusal> {
        migrate::migrate(analysis, &self.config, &*self.host.vfs(), &self.root)
    }
}

/// Every ecosystem-like file under the fixtures and the example workspace.
fn files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, out);
            } else if path
                .extension()
                .is_some_and(|e| e == "cjs" || e == "js" || e == "mjs")
            {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(&manifest().join("tests/fixtures"), &mut out);
    walk(&manifest().join("examples/workspace"), &mut out);
    out
}

/// `{name, port, ports}` of each process, as `ports --json` prints them.
fn listed(analysis: &Analysis) -> Vec<Value> {
    file_json(analysis)["processes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| serde_json::json!({ "name": p["name"], "port": p["port"], "ports": p["ports"] }))
        .collect()
}

/// The comments of a text, in order.
fn comments(text: &str) -> Vec<String> {
    let parsed = portos_lsp::syntax::parse(text, &portos_lsp::syntax::Budget::unlimited()).unwrap();
    let mut out: Vec<String> = parsed
        .comments()
        .iter()
        .map(|range| text[range.as_range()].to_string())
        .collect();
    out.sort();
    out
}

/// Asserts the migration's promises for one file.
fn assert_sound(subject: &Subject, before: &Analysis, migration: &Migration) {
    let name = subject.path.display();
    let text = &migration.text;
    assert_eq!(
        &actions::apply(before.model.text(), &subject.path, &migration.edits),
        text,
        "{name}: the edits give the text"
    );
    let after = subject.analyse(text);
    assert!(
        after.model.syntax_errors.is_empty(),
        "{name}: migrated text parses:\n{text}"
    );
    assert!(
        after.model.ports_table().is_some(),
        "{name}: has a PORTS table"
    );
    // The same listing, save what the migration says PortOS will newly list.
    let old = listed(before);
    let mut new = listed(&after);
    for process in &mut new {
        let name = process["name"].as_str().unwrap_or("<unnamed>").to_string();
        let ports = process["ports"].as_object_mut().unwrap();
        let mut removed = false;
        for newly in migration.newly_listed.iter().filter(|n| n.process == name) {
            assert!(
                ports.shift_remove(&newly.label).is_some(),
                "{name}: {} listed",
                newly.label
            );
            removed = true;
        }
        if removed {
            process["port"] = ports.values().next().cloned().unwrap_or(Value::Null);
        }
    }
    assert_eq!(new, old, "{name}: same listing\n{text}");
    // PortOS's own detector reads the migrated file as it is.
    let detected = portos_lsp::portos::detect(text);
    let mut from = 0;
    for process in listed(&after) {
        let Some(name) = process["name"].as_str() else {
            continue;
        };
        // In order, so two processes of one name are told apart.
        let found = detected
            .iter()
            .skip(from)
            .position(|d| d.name == name)
            .map(|i| i + from);
        if let Some(i) = found {
            from = i + 1;
        }
        let found = found.map(|i| &detected[i]);
        let read: serde_json::Map<String, Value> = found
            .map(|d| {
                d.ports
                    .iter()
                    .map(|p| (p.label.clone(), Value::from(p.port)))
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(
            Value::Object(read),
            process["ports"],
            "{name}: PortOS reads the migrated file the same\n{text}"
        );
    }
    // No error-level finding.
    let report = rules::check_file(&after, &subject.config);
    let errors: Vec<String> = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| format!("{}: {}", f.code, f.message))
        .collect();
    assert!(errors.is_empty(), "{name}: errors {errors:?}\n{text}");
    // Every comment survives.
    let mut now = comments(text);
    for comment in comments(before.model.text()) {
        let at = now
            .iter()
            .position(|c| *c == comment)
            .unwrap_or_else(|| panic!("{name}: lost comment {comment}\n{text}"));
        now.remove(at);
    }
    // Once migrated, there is nothing left to do.
    assert!(
        matches!(subject.migrate(&after), Err(Refusal::NothingToDo(_))),
        "{name}: migrating twice"
    );
}

fn relative(path: &Path) -> String {
    path.strip_prefix(manifest()).unwrap().display().to_string()
}

/// The files whose outcome the summary snapshot shows: every v1 fixture and example, and a few with literal
/// ports only. (Every other file is still checked, without a snapshot, so new fixtures need no update here.)
const SUMMARY: &[&str] = &[
    "examples/workspace/blog/ecosystem.config.js",
    "examples/workspace/broken/ecosystem.config.cjs",
    "examples/workspace/generated/ecosystem.config.cjs",
    "examples/workspace/legacy/ecosystem.config.cjs",
    "examples/workspace/portos/ecosystem.config.cjs",
    "examples/workspace/shop/ecosystem.config.cjs",
    "tests/fixtures/model/l12-ports-map-comments-ternary.cjs",
    "tests/fixtures/model/l13-quoted-labels.cjs",
    "tests/fixtures/model/rule-dev-ui-rename.cjs",
    "tests/fixtures/model/rule-ports-reference.cjs",
    "tests/fixtures/model/rule-source-order.cjs",
    "tests/fixtures/model/v1-ports-map.cjs",
    "tests/fixtures/portos/l12-ports-map-first-brace.cjs",
    "tests/fixtures/portos/rule-devui-postpass.cjs",
    "tests/fixtures/portos/rule-literal-ports-map.cjs",
    "tests/fixtures/portos/rule-primary-port.cjs",
    "tests/fixtures/portos/rule-source-order.cjs",
    "tests/fixtures/rules/hardcoded-port/good/ecosystem.config.cjs",
    "tests/fixtures/rules/ports-mismatch/bad/ecosystem.config.cjs",
    "tests/fixtures/rules/ports-mismatch/good/ecosystem.config.cjs",
    // Literal ports, no map.
    "tests/fixtures/model/l19-trailing-comment.cjs",
    "tests/fixtures/model/rule-env-precedence.cjs",
    "tests/fixtures/model/shape-esm-const-apps-in-cjs.cjs",
    "tests/fixtures/model/shape-exports-apps.cjs",
    "tests/fixtures/portos/l04-comment-in-env.cjs",
    "tests/fixtures/portos/rule-args-port.cjs",
    "tests/fixtures/rules/label-collision/bad/ecosystem.config.cjs",
];

#[test]
fn every_fixture_migrates_soundly_or_says_why() {
    let mut summary = String::new();
    let mut migrated = 0;
    for path in files() {
        let Some(subject) = Subject::new(&path) else {
            continue;
        };
        let text = std::fs::read_to_string(&path).unwrap();
        let before = subject.analyse(&text);
        // A v1 file: a literal `ports` map and no PORTS table (`ports: PORTS.group` is the later guide's).
        let has_map = before.model.ports_table().is_none()
            && before.model.processes.iter().any(|p| p.ports_map.is_some());
        let outcome = subject.migrate(&before);
        let line = match &outcome {
            Ok(migration) => {
                assert_sound(&subject, &before, migration);
                migrated += 1;
                let keys: Vec<&str> = migration.table.iter().map(|e| e.key.as_str()).collect();
                let mut line = format!("migrated: PORTS {{ {} }}", keys.join(", "));
                for note in &migration.notes {
                    line.push_str(&format!("\n    note: {note}"));
                }
                line
            }
            Err(Refusal::NothingToDo(reason)) => {
                assert!(!has_map, "{}: a v1 map is something to do", path.display());
                format!("nothing to do: {reason}")
            }
            Err(Refusal::Cannot(reason)) => format!("cannot: {reason}"),
        };
        if SUMMARY.contains(&relative(&path).as_str()) {
            summary.push_str(&format!("{}\n  {line}\n", relative(&path)));
        }
    }
    assert!(migrated >= 40, "only {migrated} files migrated");
    insta::assert_snapshot!(summary);
}

fn migrated_text(relative: &str) -> String {
    let path = manifest().join(relative);
    let subject = Subject::new(&path).unwrap();
    let before = subject.analyse(&std::fs::read_to_string(&path).unwrap());
    let migration = subject.migrate(&before).expect("migrates");
    let mut out = migration.text.clone();
    for note in &migration.notes {
        out.push_str(&format!("\n// note: {note}"));
    }
    out
}

#[test]
fn v1_guide_example() {
    insta::assert_snapshot!(migrated_text("tests/fixtures/model/v1-ports-map.cjs"));
}

#[test]
fn map_hiding_env_keys_says_what_portos_will_newly_list() {
    insta::assert_snapshot!(migrated_text(
        "tests/fixtures/portos/rule-literal-ports-map.cjs"
    ));
}

#[test]
fn every_source_order() {
    insta::assert_snapshot!(migrated_text("tests/fixtures/model/rule-source-order.cjs"));
}

#[test]
fn args_and_dev_ui() {
    insta::assert_snapshot!(migrated_text("tests/fixtures/model/rule-dev-ui-rename.cjs"));
}

#[test]
fn one_line_apps() {
    insta::assert_snapshot!(migrated_text(
        "tests/fixtures/rules/ports-mismatch/good/ecosystem.config.cjs"
    ));
}

#[test]
fn blog_example_cannot_be_migrated_and_says_why() {
    let path = manifest().join("examples/workspace/blog/ecosystem.config.js");
    let subject = Subject::new(&path).unwrap();
    let before = subject.analyse(&std::fs::read_to_string(&path).unwrap());
    let refusal = subject.migrate(&before).unwrap_err();
    assert!(!refusal.is_nothing_to_do());
    assert!(refusal.reason().contains("ports-mismatch"), "{refusal}");
}
