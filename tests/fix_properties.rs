//! The fix property test: `check --fix` (the host's `fix_paths`, what the command runs) over every fixture,
//! the example workspace and fuzzed variants of them — port literals swapped for their neighbours, for other
//! ports of the same file, for common and reserved ports — and, for each, the properties every fix must keep:
//! - a file with a syntax error is never touched, and no file gains one;
//! - no file gains a finding at warning level or above: per file and code, no more than before;
//! - every mirror stays in step: no process's v1 `ports` map disagrees with the rest of it in more ports;
//! - no port is given twice: no more ports are served by two apps than before, and no more processes share a
//!   port than before (a definition two processes share already may move, the two with it);
//! - fixing converges: a second `check --fix` changes nothing.

#[path = "../benches/generate/mod.rs"]
#[allow(dead_code)]
mod generate;

#[path = "common/corpus.rs"]
mod corpus;

use corpus::{ROOT, memory_disk, port_literals, workspaces};
use generate::Rng;
use portos_lsp::config::ConfigSource;
use portos_lsp::ide::check::CheckRequest;
use portos_lsp::ide::external::ExternalRequest;
use portos_lsp::ide::{Host, listing};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A number below `n` from the shared generator.
fn below(rng: &mut Rng, n: usize) -> usize {
    rng.below(n as u64) as usize
}

/// A variant of `text` with one to three port literals replaced: by a neighbour, by another port of the
/// text (a duplicate), or by a common or reserved port.
fn mutate(text: &str, rng: &mut Rng) -> String {
    let literals = port_literals(text);
    if literals.is_empty() {
        return text.to_string();
    }
    let mut text = text.to_string();
    let mut chosen: Vec<(usize, usize, u32)> = Vec::new();
    for _ in 0..1 + below(rng, 3) {
        let literal = literals[below(rng, literals.len())];
        if !chosen.contains(&literal) {
            chosen.push(literal);
        }
    }
    chosen.sort_by_key(|(start, ..)| std::cmp::Reverse(*start));
    for (start, end, n) in chosen {
        let replacement = match below(rng, 5) {
            0 => n + 1,
            1 => n.saturating_sub(1).max(1024),
            2 => n + 2,
            3 => literals[below(rng, literals.len())].2,
            _ => [3000, 5565, 5590, 8080, 5432][below(rng, 5)],
        };
        text.replace_range(start..end, &replacement.to_string());
    }
    text
}

/// What a workspace reads as, for the properties.
struct Outcome {
    /// Per file and code, the findings at warning level or above.
    warnings: BTreeMap<(String, String), usize>,
    /// Per file, the place (byte range) of each finding at warning level or above, with its code: a finding
    /// another supersedes at its place (`port-conflict` over `reserved-range`) shows when a fix resolves the
    /// stronger one, and is no new finding.
    places: BTreeMap<(String, u32, u32), Vec<String>>,
    /// Per file, whether it has a syntax error.
    syntax_errors: BTreeMap<String, bool>,
    /// Per port, the app directory of each process serving it.
    servers: BTreeMap<u64, Vec<String>>,
    /// Per (file, process), how many ports its v1 map and the rest of it disagree on.
    mirrors: BTreeMap<(String, String), usize>,
}

fn host_over(files: &[(String, String)]) -> Host {
    Host::new(memory_disk(files), ConfigSource::Discover)
}

fn outcome(files: &[(String, String)]) -> Outcome {
    let mut host = host_over(files);
    let paths = vec![PathBuf::from(ROOT)];
    let run = host
        .check_paths(CheckRequest {
            paths: &paths,
            stdin_filename: None,
            stdin: None,
            external: ExternalRequest::default(),
            env: &|_| None,
        })
        .expect("the fixtures' configurations are valid");
    let mut warnings = BTreeMap::new();
    let mut places: BTreeMap<(String, u32, u32), Vec<String>> = BTreeMap::new();
    let mut syntax_errors = BTreeMap::new();
    for (report, _) in &run.results {
        let file = report.path.display().to_string();
        let mut broken = false;
        for finding in &report.findings {
            broken |= finding.code == "syntax-error";
            if finding.severity <= portos_lsp::ide::Severity::Warning {
                *warnings
                    .entry((file.clone(), finding.code.to_string()))
                    .or_default() += 1;
                places
                    .entry((file.clone(), finding.range.start, finding.range.end))
                    .or_default()
                    .push(finding.code.to_string());
            }
        }
        syntax_errors.insert(file, broken);
    }
    let mut servers: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    let mut mirrors = BTreeMap::new();
    for (report, text) in &run.results {
        let path = &report.path;
        let config = host.configs.for_file(path).unwrap();
        let Ok(analysis) = host.analyze(path, text.clone(), &config, Path::new(ROOT)) else {
            continue;
        };
        let json = listing::file_json(&analysis);
        for process in json["processes"].as_array().unwrap() {
            let name = process["name"].as_str().unwrap().to_string();
            let mut own: Vec<u64> = process["served"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["port"].as_u64().unwrap())
                .collect();
            // One process serving a port in two environments is one process on it, not two.
            own.sort_unstable();
            own.dedup();
            let app = path.parent().unwrap().display().to_string();
            for port in own {
                servers.entry(port).or_default().push(app.clone());
            }
            let mut map = Vec::new();
            let mut rest = Vec::new();
            for binding in process["bindings"].as_array().unwrap() {
                let Some(port) = binding["port"].as_u64() else {
                    continue;
                };
                let uses = binding["uses"].as_array().unwrap();
                let in_map = uses.iter().any(|u| u["source"] == "ports");
                let outside = uses
                    .iter()
                    .any(|u| u["source"] != "ports" && u.get("instance").is_none());
                if in_map {
                    map.push(port);
                }
                if outside && binding["connects_to"] == Value::Null {
                    rest.push(port);
                }
            }
            if !map.is_empty() {
                let differ = map.iter().filter(|p| !rest.contains(p)).count()
                    + rest.iter().filter(|p| !map.contains(p)).count();
                mirrors.insert((path.display().to_string(), name), differ);
            }
        }
    }
    Outcome {
        warnings,
        places,
        syntax_errors,
        servers,
        mirrors,
    }
}

/// `check --fix` over the workspace: its files after the fixes, and whether any changed.
fn fix(files: &[(String, String)]) -> (Vec<(String, String)>, bool) {
    let mut host = host_over(files);
    let (fixed, _, _) = host
        .fix_paths(
            &[PathBuf::from(ROOT)],
            None,
            ExternalRequest::default(),
            &|_| None,
        )
        .expect("the fixtures' configurations are valid");
    let changed = !fixed.is_empty();
    let mut out = files.to_vec();
    for file in fixed {
        let relative = file
            .path
            .strip_prefix(ROOT)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let slot = out.iter_mut().find(|(p, _)| *p == relative).unwrap();
        assert_eq!(slot.1, file.old);
        slot.1 = file.new;
    }
    (out, changed)
}

/// Checks every property of one `check --fix` run; returns whether anything was fixed.
fn check_properties(name: &str, files: &[(String, String)]) -> bool {
    let before = outcome(files);
    let (fixed, changed) = fix(files);
    if !changed {
        return false;
    }
    let after = outcome(&fixed);
    for ((relative, old), (_, new)) in files.iter().zip(&fixed) {
        let file = format!("{ROOT}/{relative}");
        if before.syntax_errors.get(&file) == Some(&true) {
            assert_eq!(
                old, new,
                "{name}: {relative} has a syntax error and was touched"
            );
        }
        assert!(
            after.syntax_errors.get(&file) != Some(&true)
                || before.syntax_errors.get(&file) == Some(&true),
            "{name}: {relative} gained a syntax error:\n{new}"
        );
    }
    // A finding at a place where, before, a stronger finding of another code stood was there all along.
    let unmasked = |(file, code): &(String, String)| {
        after
            .places
            .iter()
            .filter(|((f, start, end), codes)| {
                f == file
                    && codes.contains(code)
                    && before
                        .places
                        .get(&(file.clone(), *start, *end))
                        .is_some_and(|was| !was.contains(code))
            })
            .count()
    };
    for (key, count) in &after.warnings {
        let count = &(count - unmasked(key));
        let was = before.warnings.get(key).copied().unwrap_or(0);
        assert!(
            *count <= was,
            "{name}: {key:?} has {count} findings at warning level or above after the fixes, {was} before\n{}",
            texts(&fixed)
        );
    }
    for (key, count) in &after.mirrors {
        let was = before.mirrors.get(key).copied().unwrap_or(0);
        assert!(
            *count <= was,
            "{name}: {key:?}'s ports map disagrees with the process on {count} ports after the fixes, {was} before\n{}",
            texts(&fixed)
        );
    }
    let (shared_before, apps_before) = sharing(&before.servers);
    let (shared_after, apps_after) = sharing(&after.servers);
    assert!(
        shared_after <= shared_before,
        "{name}: {shared_after} processes share a port after the fixes, {shared_before} before\n{}",
        texts(&fixed)
    );
    assert!(
        apps_after.is_subset(&apps_before),
        "{name}: ports {apps_after:?} are served by two apps after the fixes, {apps_before:?} before\n{}",
        texts(&fixed)
    );
    let (_, again) = fix(&fixed);
    assert!(!again, "{name}: a second --fix changed the files again");
    true
}

/// How many processes serve a port another process serves too (beyond the first), and which ports two or
/// more apps serve.
fn sharing(servers: &BTreeMap<u64, Vec<String>>) -> (usize, std::collections::BTreeSet<u64>) {
    let mut shared = 0;
    let mut across_apps = std::collections::BTreeSet::new();
    for (port, apps) in servers {
        shared += apps.len().saturating_sub(1);
        let mut distinct = apps.clone();
        distinct.sort();
        distinct.dedup();
        if distinct.len() > 1 {
            across_apps.insert(*port);
        }
    }
    (shared, across_apps)
}

fn texts(files: &[(String, String)]) -> String {
    files
        .iter()
        .filter(|(p, _)| p.ends_with("js"))
        .map(|(p, t)| format!("--- {p}\n{t}"))
        .collect()
}

#[test]
fn check_fix_keeps_every_property_over_every_fixture_and_fuzzed_variants() {
    let mut rng = Rng(0x5EED_0016);
    let (mut runs, mut fixed) = (0, 0);
    for workspace in workspaces() {
        fixed += usize::from(check_properties(&workspace.name, &workspace.files));
        runs += 1;
        // Fuzzed variants: the rule cases and the example carry the most to fix, so they get more.
        let variants = if workspace.name.starts_with("tests/") {
            1
        } else {
            4
        };
        for variant in 0..variants {
            let files: Vec<(String, String)> = workspace
                .files
                .iter()
                .map(|(p, t)| {
                    let text = if p.ends_with("js") {
                        mutate(t, &mut rng)
                    } else {
                        t.clone()
                    };
                    (p.clone(), text)
                })
                .collect();
            let name = format!("{} (variant {variant})", workspace.name);
            fixed += usize::from(check_properties(&name, &files));
            runs += 1;
        }
    }
    assert!(runs > 300, "only {runs} runs");
    assert!(
        fixed > 30,
        "only {fixed} of {runs} runs had something to fix"
    );
}
