//! The standing fuzz: every fixture, the example workspace and generated files are edited the way a typing
//! user edits them — half-typed tokens, quotes, backticks, slashes, comment markers, brackets, line breaks,
//! deletions — and after every edit the editor's path (the host's document store: incremental parse, analysis,
//! rules, findings) and, every few edits, `check`'s path (a fresh parse, cross-file rules) run with a time
//! limit. No analysis may take longer than [`LIMIT`]: the parse budget stops tree-sitter's runaway error
//! recovery, and every other step is bounded or linear.
//!
//! `cargo test` runs a short fuzz; `cargo test --release --test fuzz -- --ignored` runs the long one
//! (`PORTOS_LSP_FUZZ_STEPS` edits per file, 2,000 by default). An input over the limit is written to
//! `target/fuzz-found/`; it then belongs in `tests/fixtures/hostile/`, which `hostile_inputs_finish_in_time`
//! checks on every run.
#![allow(clippy::print_stderr)] // the slowest analysis is printed, for `--nocapture`

#[path = "../benches/generate/mod.rs"]
#[allow(dead_code)]
mod generate;

use generate::Rng;
use portos_lsp::config::{Config, ConfigLayer, ConfigSource};
use portos_lsp::ide::document::Change;
use portos_lsp::ide::{Encoding, Host, LineCol, Snapshot};
use portos_lsp::vfs::MemoryVfs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The parse budget the fuzz runs under: small, so an input that runs away is stopped quickly.
const PARSE_MS: u64 = 300;

/// The longest one analysis may take, the parse budget included: a parse stopped at its budget plus the
/// bounded rest, with room for a loaded machine.
const LIMIT: Duration = Duration::from_secs(3);

/// What a typing user inserts: half-typed tokens, and the characters that open and close things.
const TYPED: &[&str] = &[
    "'",
    "\"",
    "`",
    "/",
    "//",
    "/*",
    "*/",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ",",
    ":",
    ";",
    "\n",
    "\r\n",
    "${",
    "=>",
    "\\",
    "/[^a-z",
    "/g",
    "`\n",
    "PORT",
    "PORTS.",
    "_PORT: ",
    "5570",
    "0x15",
    "apps: [",
    "env: {",
    "name: 'a",
    "function f(s) {\n",
    "return s.replace(/",
    "const ",
    "require('./",
    "...",
    "process.env.",
    " || ",
    "?",
    "😀",
    "端口",
    "\t",
    " ",
];

/// The inputs: every fixture, the example workspace's files and generated files (an 8 KB and a 15 KB one).
fn inputs() -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["tests/fixtures", "examples/workspace"] {
        collect(&root.join(dir), &mut files);
    }
    files.sort();
    let mut out: Vec<(PathBuf, String)> = files
        .into_iter()
        .filter_map(|path| Some((path.clone(), std::fs::read_to_string(&path).ok()?)))
        .collect();
    for size in [8 * 1024, 15 * 1024] {
        let (text, _) = generate::ecosystem_of_size(size, 5570);
        out.push((PathBuf::from(format!("generated-{size}.cjs")), text));
    }
    out
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if path
            .extension()
            .is_some_and(|e| e == "js" || e == "cjs" || e == "mjs")
        {
            out.push(path);
        }
    }
}

/// A host over an empty disk with the fuzz's parse budget, and `text` open as `/w/app/ecosystem.config.cjs`.
fn editor(text: &str) -> (Host, PathBuf) {
    let mut host = Host::new(Arc::new(MemoryVfs::default()), ConfigSource::None);
    host.set_editor_settings(
        ConfigLayer {
            parse_ms: Some(PARSE_MS),
            ..ConfigLayer::default()
        },
        ConfigSource::None,
    );
    host.add_folder("/w".into());
    let path = PathBuf::from("/w/app/ecosystem.config.cjs");
    host.open(path.clone(), 0, text);
    (host, path)
}

/// One random typing edit of `text`: an insertion or a deletion at a character boundary, as a change the
/// editor sends (UTF-8 positions).
fn typing_edit(rng: &mut Rng, text: &str) -> Change {
    let boundary = |mut at: usize| {
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        at
    };
    let start = boundary(rng.index(text.len() + 1));
    let (end, insert) = if rng.index(4) == 0 {
        (boundary((start + 1 + rng.index(24)).min(text.len())), "")
    } else {
        (start, TYPED[rng.index(TYPED.len())])
    };
    let position = |at: usize| {
        let line = text[..at].matches('\n').count() as u32;
        let col = (at - text[..at].rfind('\n').map_or(0, |i| i + 1)) as u32;
        LineCol { line, col }
    };
    Change {
        range: Some((position(start), position(end))),
        text: insert.to_string(),
    }
}

/// Analyses the document's newest version the way the server does, returning the time it took.
fn analyse(host: &mut Host, path: &Path) -> (Duration, Snapshot) {
    let started = Instant::now();
    if let Some((job, _)) = host.analysis_job(path) {
        host.store(job.run());
    }
    let snapshot = host.snapshot();
    let _ = snapshot.published(path);
    (started.elapsed(), snapshot)
}

/// `check`'s path on one text: a fresh parse and every rule, the cross-file ones included.
fn check(text: &str) -> Duration {
    let vfs = Arc::new(MemoryVfs::default());
    vfs.insert(
        "/w/portos-lsp.toml",
        format!("[limits]\nparse_ms = {PARSE_MS}\n"),
    );
    let mut host = Host::new(vfs, ConfigSource::Discover);
    let started = Instant::now();
    let _ = host.check_workspace(
        Path::new("/w"),
        vec![("/w/app/ecosystem.config.cjs".into(), Arc::from(text))],
        &|_| Default::default(),
    );
    started.elapsed()
}

/// Where inputs over the limit are kept for a fixture to be made of them.
fn found_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-found")
}

/// Runs `steps` typing edits on every input; returns the slowest analysis and the inputs over the limit.
fn fuzz(steps: usize, seed: u64) -> (Duration, Vec<String>) {
    let mut slowest = Duration::ZERO;
    let mut over = Vec::new();
    for (index, (name, text)) in inputs().into_iter().enumerate() {
        let mut rng = Rng((seed ^ (index as u64 + 1)).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let (mut host, path) = editor(&text);
        let mut current = text;
        for step in 0..steps {
            let change = typing_edit(&mut rng, &current);
            host.change(&path, step as i32 + 1, &[change], Encoding::Utf8);
            let (took, snapshot) = analyse(&mut host, &path);
            current = snapshot
                .text(&path)
                .map(|(t, _)| t.to_string())
                .unwrap_or_default();
            let took = if step % 5 == 4 {
                took.max(check(&current))
            } else {
                took
            };
            if took > slowest {
                slowest = took;
                // The slowest input of the run is kept too, to look at (and to make a fixture of).
                if took > Duration::from_millis(100) {
                    let _ = std::fs::create_dir_all(found_dir());
                    let _ = std::fs::write(
                        found_dir().join(format!("slowest-seed{seed}.cjs")),
                        &current,
                    );
                }
            }
            if took > LIMIT {
                let _ = std::fs::create_dir_all(found_dir());
                let file = found_dir().join(format!("seed{seed}-{index}-{step}.cjs"));
                let _ = std::fs::write(&file, &current);
                over.push(format!(
                    "{} after {step} edits: {took:?} (kept in {})",
                    name.display(),
                    file.display()
                ));
            }
        }
    }
    (slowest, over)
}

#[test]
fn typing_never_stalls_the_analysis() {
    let (slowest, over) = fuzz(12, 1);
    assert!(over.is_empty(), "analyses over {LIMIT:?}: {over:#?}");
    eprintln!("standing fuzz (short): slowest analysis {slowest:?}");
}

/// The long fuzz: `cargo test --release --test fuzz -- --ignored --nocapture`.
#[test]
#[ignore]
fn typing_never_stalls_the_analysis_long() {
    let steps = std::env::var("PORTOS_LSP_FUZZ_STEPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2_000);
    let seed = std::env::var("PORTOS_LSP_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(7);
    let started = Instant::now();
    let (slowest, over) = fuzz(steps, seed);
    eprintln!(
        "standing fuzz (long, {steps} edits per input, seed {seed}): slowest analysis {slowest:?}, {:?} in all",
        started.elapsed()
    );
    assert!(over.is_empty(), "analyses over {LIMIT:?}: {over:#?}");
}

/// Every input a fuzz (ours or a user's) found too slow: each finishes within the limit, analysed or
/// stopped by its budget with the message naming the setting.
#[test]
fn hostile_inputs_finish_in_time() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hostile");
    let mut files = Vec::new();
    collect(&dir, &mut files);
    assert!(
        !files.is_empty(),
        "no hostile fixtures in {}",
        dir.display()
    );
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let took = check(&text);
        assert!(took < LIMIT, "{}: check took {took:?}", path.display());
        let (mut host, doc) = editor(&text);
        let (took, _) = analyse(&mut host, &doc);
        assert!(took < LIMIT, "{}: the editor took {took:?}", path.display());
    }
}

/// A parse that runs over its budget is a finding, not a hang: on a tiny budget a large file is stopped, and
/// the message names the budget and the setting.
#[test]
fn a_parse_over_its_budget_is_reported_not_waited_for() {
    let (text, _) = generate::ecosystem_of_size(2 * 1024 * 1024, 5570);
    let config = Config {
        parse_ms: 1,
        ..Config::default()
    };
    let started = Instant::now();
    let stopped = portos_lsp::analysis::analyze(
        Path::new("/w/ecosystem.config.cjs"),
        Arc::from(text.as_str()),
        &MemoryVfs::default(),
        None,
        &config,
    )
    .err()
    .expect("a 2 MB file does not parse in 1 ms");
    assert!(started.elapsed() < Duration::from_secs(1));
    let message = stopped.to_string();
    assert!(
        message.contains("budget of 1 ms") && message.contains("parse_ms"),
        "{message}"
    );
}
