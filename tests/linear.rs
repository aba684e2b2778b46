//! Every step of the analysis whose cost could grow faster than its input is shown here to grow linearly on
//! the inputs that would make it quadratic: the evaluator, the labels, the per-file rules, PortOS's regex
//! detector, the cross-file rules and the whole `check`. Each input is built at n and at 8n; the time at 8n
//! must stay under 24 times the time at n (linear is 8, n log n about 10; quadratic would be 64). The parse
//! has its own bound (the budget: `tests/fuzz.rs`).
#![allow(clippy::print_stderr)] // the ratios are printed, for `--nocapture`

use portos_lsp::config::{Config, ConfigSource};
use portos_lsp::ide::Host;
use portos_lsp::vfs::MemoryVfs;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long `run` takes once.
fn timed(run: &dyn Fn()) -> Duration {
    let started = Instant::now();
    run();
    started.elapsed()
}

/// Asserts that `step` over `build(8n)` costs under 24 times what it costs over `build(n)`. The two are
/// timed in turns and the least of each kept, so a busy moment of the machine counts against neither.
fn assert_linear(what: &str, n: usize, build: &dyn Fn(usize) -> String, step: &dyn Fn(&str)) {
    let small = build(n);
    let large = build(8 * n);
    step(&small); // warm-up
    let (mut t_small, mut t_large) = (Duration::MAX, Duration::MAX);
    for _ in 0..3 {
        t_small = t_small.min(timed(&|| step(&small)));
        t_large = t_large.min(timed(&|| step(&large)));
    }
    let t_small = t_small.max(Duration::from_micros(200));
    let ratio = t_large.as_secs_f64() / t_small.as_secs_f64();
    eprintln!("{what}: {t_small:?} → {t_large:?} ({ratio:.1}×)");
    assert!(
        ratio < 24.0,
        "{what}: {} bytes took {t_small:?}, {} bytes {t_large:?} ({ratio:.1}×: not linear)",
        small.len(),
        large.len()
    );
}

/// `n` apps all on one port and one name: duplicate findings, cross-file candidates, label collisions.
fn same_port(n: usize) -> String {
    let mut text = String::from("module.exports = { apps: [\n");
    for _ in 0..n {
        text.push_str("  { name: 'a', script: 'a.js', env: { PORT: 5570, API_PORT: 5570 } },\n");
    }
    text.push_str("] };\n");
    text
}

/// `n` apps reading a chain of derived constants from a `PORTS` table (the evaluator's scope and member paths).
fn derived(n: usize) -> String {
    let mut text = String::from("const BASE = 5570;\nconst PORTS = {\n");
    for i in 0..n {
        text.push_str(&format!("  P{i}: BASE + {i},\n"));
    }
    text.push_str("};\nmodule.exports = { PORTS, apps: [\n");
    for i in 0..n {
        text.push_str(&format!(
            "  {{ name: 'app-{i}', script: 'x.js', env: {{ PORT: PORTS.P{i}, UI_PORT: PORTS.P{i} + 1 }} }},\n"
        ));
    }
    text.push_str("] };\n");
    text
}

/// One string holding `n` copies of `PORT: 5570` (PortOS's regex detector reads env keys in strings too).
fn port_keys_in_a_string(n: usize) -> String {
    format!(
        "const NOTE = '{}';\nmodule.exports = {{ apps: [{{ name: 'a', script: 'a.js', env: {{ PORT: 5570 }} }}] }};\n",
        "PORT: 5570, ".repeat(n)
    )
}

/// `n` levels of nested objects inside one app (brace matching in the detector, the evaluator's recursion
/// stops at its depth bound).
fn nested(n: usize) -> String {
    format!(
        "module.exports = {{ apps: [{{ name: 'a', script: 'a.js', env: {{ PORT: 5570 }}, x: {}1{} }}] }};\n",
        "{ y: ".repeat(n),
        " }".repeat(n)
    )
}

/// `n` comments and strings with braces, quotes and `PORT` in them (what the detector must skip).
fn noisy(n: usize) -> String {
    let mut text = String::from("module.exports = { apps: [\n");
    for i in 0..n {
        text.push_str(&format!(
            "  // {{ name: 'ghost-{i}', env: {{ PORT: 5570 }} }}\n  {{ name: 'app-{i}', script: 'x.js', args: '--port {} \"}}\"', env: {{ PORT: {} }} }},\n",
            5570 + i % 30,
            5570 + i % 30
        ));
    }
    text.push_str("] };\n");
    text
}

fn analyse(text: &str) -> portos_lsp::analysis::Analysis {
    portos_lsp::analysis::analyze(
        Path::new("/w/ecosystem.config.cjs"),
        Arc::from(text),
        &MemoryVfs::default(),
        None,
        &Config::default(),
    )
    .expect("parses within the budget")
}

#[test]
fn the_evaluator_and_labels_are_linear() {
    for (what, n, build) in [
        ("derived ports", 120, derived as fn(usize) -> String),
        ("one port everywhere", 120, same_port),
        ("nested objects", 60, nested),
    ] {
        assert_linear(what, n, &build, &|text| {
            analyse(text);
        });
    }
}

#[test]
fn the_rules_are_linear() {
    let config = Config::default();
    for (what, n, build) in [
        ("one port everywhere", 120, same_port as fn(usize) -> String),
        ("derived ports", 120, derived),
        ("comments and strings", 120, noisy),
    ] {
        let analysis_of = |text: &str| analyse(text);
        assert_linear(what, n, &build, &|text| {
            let analysis = analysis_of(text);
            portos_lsp::rules::check_file(&analysis, &config);
        });
    }
}

#[test]
fn portos_detector_is_linear() {
    for (what, n, build) in [
        (
            "PORT keys in one string",
            10_000,
            port_keys_in_a_string as fn(usize) -> String,
        ),
        ("comments and strings", 250, noisy),
        ("nested objects", 250, nested),
        ("one port everywhere", 250, same_port),
    ] {
        assert_linear(what, n, &build, &|text| {
            portos_lsp::portos::detect(text);
        });
    }
}

#[test]
fn check_with_cross_file_rules_is_linear() {
    // Two files of the workspace, each with n apps on the same ports and names.
    assert_linear("two files, every app clashing", 80, &same_port, &|text| {
        let vfs = Arc::new(MemoryVfs::default());
        let mut host = Host::new(vfs, ConfigSource::None);
        host.check_workspace(
            Path::new("/w"),
            vec![
                ("/w/a/ecosystem.config.cjs".into(), Arc::from(text)),
                ("/w/b/ecosystem.config.cjs".into(), Arc::from(text)),
            ],
            &|_| Default::default(),
        )
        .expect("checks");
    });
}

/// `n` apps of a plain PM2 project on one port: `n − 1` duplicates, each with a fix to verify.
fn one_port_plain(n: usize) -> String {
    let mut text = String::from("module.exports = { apps: [\n");
    for i in 0..n {
        text.push_str(&format!(
            "  {{ name: 'p{i}', script: 'a.js', env: {{ PORT: 4000 }} }},\n"
        ));
    }
    text.push_str("] };\n");
    text
}

#[test]
fn check_fix_is_linear_in_the_findings_it_fixes() {
    // Every fix of a pass is verified together, not one analysis per fix: n − 1 moves cost a few analyses.
    assert_linear("n duplicates fixed", 100, &one_port_plain, &|text| {
        let vfs = Arc::new(MemoryVfs::default());
        vfs.insert("/w/.git/HEAD", "ref: refs/heads/main\n");
        vfs.insert("/w/ecosystem.config.js", text);
        let mut host = Host::new(vfs, ConfigSource::None);
        let (fixed, _, _) = host
            .fix_paths(
                &["/w".into()],
                None,
                portos_lsp::ide::external::ExternalRequest::default(),
                &|_| None,
            )
            .expect("fixes");
        assert_eq!(fixed.len(), 1, "the duplicates are fixed");
    });
}
