//! `cargo bench --bench analysis`: one file's bare tree-sitter parse against its full analysis and its
//! per-file check, at about 2 KB, 50 KB and 1 MB. Prints a table; see docs/performance.md.

#[allow(dead_code)] // The workspace generator is for the other bench.
mod generate;

use portos_lsp::analysis::{self, Analysis};
use portos_lsp::config::Config;
use portos_lsp::model::DiskLoader;
use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Median and minimum of a series of timings.
struct Stats {
    median: Duration,
    min: Duration,
    runs: usize,
}

/// Runs `f` for warm-up, then repeatedly until `budget` has passed (at least `min_runs` times, at most
/// 10,000), and returns the median and minimum of the timed runs.
fn measure<T>(budget: Duration, min_runs: usize, mut f: impl FnMut() -> T) -> Stats {
    let warm_until = Instant::now() + budget / 5;
    let mut warm = 0;
    while warm < 2 || Instant::now() < warm_until {
        black_box(f());
        warm += 1;
    }
    let mut times = Vec::new();
    let start = Instant::now();
    while times.len() < min_runs || (start.elapsed() < budget && times.len() < 10_000) {
        let t = Instant::now();
        black_box(f());
        times.push(t.elapsed());
    }
    times.sort();
    Stats {
        median: times[times.len() / 2],
        min: times[0],
        runs: times.len(),
    }
}

fn fmt_duration(d: Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    if us < 1_000.0 {
        format!("{us:.1} µs")
    } else {
        format!("{:.2} ms", us / 1_000.0)
    }
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64()
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument picks sizes by label (e.g. `1MB`).
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let sizes: [(&str, usize); 3] = [("2KB", 2 * 1024), ("50KB", 50 * 1024), ("1MB", 1024 * 1024)];
    let config = Config::default();
    let connect_keys = config.connect_keys.clone();
    let path = Path::new("/nonexistent/portos-lsp-bench/ecosystem.config.cjs");
    let mut parser = tree_sitter::Parser::new();
    parser
        .set_language(&portos_lsp::syntax::language())
        .expect("grammar matches tree-sitter");

    println!("portos-lsp analysis benchmark: median (min) of repeated runs, one thread");
    println!();
    println!(
        "| size | bytes | apps | ports | findings | parse | analysis | analysis + check | analysis/parse | check/parse |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (label, target) in sizes {
        if !filter.is_empty() && !filter.iter().any(|f| f == label) {
            continue;
        }
        let (text, groups) = generate::ecosystem_of_size(target, 5570);
        let text: Arc<str> = Arc::from(text);
        let budget = Duration::from_secs(3);

        // Sanity: the generated file parses cleanly and every app is seen.
        let analysed = analysis::analyze(path, text.clone(), &DiskLoader, None, &connect_keys);
        let report = portos_lsp::rules::check_file(&analysed, &config);
        let findings = report.findings.len();
        assert!(
            !report.findings.iter().any(|f| f.code == "syntax-error"),
            "generated file has syntax errors"
        );
        drop(analysed);

        let parse = measure(budget, 5, || {
            parser.reset();
            parser.parse(text.as_bytes(), None)
        });
        let analyze = measure(budget, 5, || -> Analysis {
            analysis::analyze(path, text.clone(), &DiskLoader, None, &connect_keys)
        });
        let check = measure(budget, 5, || {
            let a = analysis::analyze(path, text.clone(), &DiskLoader, None, &connect_keys);
            portos_lsp::rules::check_file(&a, &config)
        });
        println!(
            "| {label} | {} | {} | {} | {findings} | {} ({}) | {} ({}) | {} ({}) | {:.2}× | {:.2}× |",
            text.len(),
            groups * 2,
            groups as u32 * generate::PORTS_PER_GROUP,
            fmt_duration(parse.median),
            fmt_duration(parse.min),
            fmt_duration(analyze.median),
            fmt_duration(analyze.min),
            fmt_duration(check.median),
            fmt_duration(check.min),
            ratio(analyze.median, parse.median),
            ratio(check.median, parse.median),
        );
        eprintln!(
            "  ({label}: {} / {} / {} timed runs; parse {:.1} MB/s)",
            parse.runs,
            analyze.runs,
            check.runs,
            text.len() as f64 / parse.median.as_secs_f64() / 1e6
        );
    }
    println!();
    println!("Target: analysis ≤ 1.5× the bare parse.");
}
