//! `cargo bench --bench analysis`: one file's bare tree-sitter parse against its full analysis and its
//! per-file check, at about 2 KB, 50 KB and 1 MB. Prints a table; see docs/performance.md.
#![allow(clippy::print_stdout, clippy::print_stderr)] // a benchmark reports on the terminal

#[allow(dead_code)] // The workspace generator is for the other bench.
mod generate;

use portos_lsp::analysis;
use portos_lsp::config::Config;
use portos_lsp::vfs::DiskVfs;
use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Median and minimum of a series of timings.
struct Stats {
    median: Duration,
    min: Duration,
}

impl Stats {
    fn of(mut times: Vec<Duration>) -> Stats {
        times.sort();
        Stats {
            median: times[times.len() / 2],
            min: times[0],
        }
    }
}

/// Times each of `steps` once per round, round after round, until `budget` has passed (at least
/// `min_rounds`, at most 10,000), after warm-up rounds for a fifth of the budget. Interleaving the steps
/// makes the load of other processes on this shared machine fall on all of them alike, so their ratios
/// hold even when absolute times move. Returns the rounds run and each step's statistics.
fn measure(
    budget: Duration,
    min_rounds: usize,
    steps: &mut [&mut dyn FnMut()],
) -> (usize, Vec<Stats>) {
    let warm_until = Instant::now() + budget / 5;
    let mut warm = 0;
    while warm < 2 || Instant::now() < warm_until {
        steps.iter_mut().for_each(|step| step());
        warm += 1;
    }
    let mut times: Vec<Vec<Duration>> = steps.iter().map(|_| Vec::new()).collect();
    let start = Instant::now();
    let mut rounds = 0;
    while rounds < min_rounds || (start.elapsed() < budget && rounds < 10_000) {
        for (step, times) in steps.iter_mut().zip(&mut times) {
            let t = Instant::now();
            step();
            times.push(t.elapsed());
        }
        rounds += 1;
    }
    (rounds, times.into_iter().map(Stats::of).collect())
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
    // No parse budget: the bench measures the parse itself.
    let config = Config {
        parse_ms: u64::MAX / 2,
        ..Config::default()
    };
    let path = Path::new("/nonexistent/portos-lsp-bench/ecosystem.config.cjs");
    let mut parser = tree_sitter::Parser::new();
    parser
        .set_language(&portos_lsp::syntax::language())
        .expect("grammar matches tree-sitter");

    println!("portos-lsp analysis benchmark: median (min) of interleaved runs, one thread");
    println!();
    println!(
        "| size | bytes | apps | ports | findings | parse | analysis | analysis + check | analysis/parse | check/parse |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut ratios_of_min = Vec::new();
    for (label, target) in sizes {
        if !filter.is_empty() && !filter.iter().any(|f| f == label) {
            continue;
        }
        let (text, groups) = generate::ecosystem_of_size(target, 5570);
        let text: Arc<str> = Arc::from(text);
        // PORTOS_LSP_BENCH_KEEP=1 also writes the file, to look at it or run `portos-lsp check` on it.
        if std::env::var_os("PORTOS_LSP_BENCH_KEEP").is_some() {
            let dir = std::env::temp_dir().join(format!("portos-lsp-bench-{label}"));
            let file = dir.join("ecosystem.config.cjs");
            std::fs::create_dir_all(&dir)
                .and_then(|_| std::fs::write(&file, text.as_bytes()))
                .expect("write the generated file");
            eprintln!("  (wrote {})", file.display());
        }
        let budget = Duration::from_secs(3);

        // Sanity: the generated file parses cleanly and every app is seen.
        let analysed =
            analysis::analyze(path, text.clone(), &DiskVfs::new(), None, &config).unwrap();
        let report = portos_lsp::rules::check_file(&analysed, &config);
        let findings = report.findings.len();
        assert!(
            !report.findings.iter().any(|f| f.code == "syntax-error"),
            "generated file has syntax errors"
        );
        drop(analysed);

        let mut parse = || {
            parser.reset();
            black_box(parser.parse(text.as_bytes(), None));
        };
        let mut analyze = || {
            black_box(
                analysis::analyze(path, text.clone(), &DiskVfs::new(), None, &config).unwrap(),
            );
        };
        let mut check = || {
            let a = analysis::analyze(path, text.clone(), &DiskVfs::new(), None, &config).unwrap();
            black_box(portos_lsp::rules::check_file(&a, &config));
        };
        let (rounds, stats) = measure(budget, 15, &mut [&mut parse, &mut analyze, &mut check]);
        let [parse, analyze, check] = &stats[..] else {
            unreachable!("three steps")
        };
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
        ratios_of_min.push(format!(
            "{label}: analysis/parse {:.2}×, check/parse {:.2}×",
            ratio(analyze.min, parse.min),
            ratio(check.min, parse.min)
        ));
        eprintln!(
            "  ({label}: {rounds} rounds; parse {:.1} MB/s)",
            text.len() as f64 / parse.median.as_secs_f64() / 1e6
        );
    }
    println!();
    println!("Ratios of the minimums (the least disturbed runs):");
    for line in ratios_of_min {
        println!("- {line}");
    }
    println!();
    println!("Target: analysis ≤ 1.5× the bare parse.");
    scale_cases(&filter, &config);
    cross_file_scale(&filter, &config);
}

/// Hostile inputs found by fuzzing (issue 9, item 13), each at two sizes a factor of 4 apart and timed
/// through the whole per-file check of a file PortOS reads: linear, the larger takes about 4× the
/// smaller; quadratic, 16×. `cargo bench --bench analysis -- scale` runs only these.
fn scale_cases(filter: &[String], config: &Config) {
    type Generate = fn(usize) -> String;
    let cases: [(&str, Generate, usize); 1] = [
        // PortOS's reading of env keys: `PORT:` again and again inside one string value. Each key used to
        // rescan the rest of the string for its value's end: 40,000 copies took 11.5 s, 50,000 took 42 s.
        ("port-keys-in-a-string", port_keys_in_a_string, 200_000),
    ];
    let wanted =
        |label: &str| filter.is_empty() || filter.iter().any(|f| f == "scale" || f == label);
    if !cases.iter().any(|(label, _, _)| wanted(label)) {
        return;
    }
    let path = Path::new("/portos-lsp-bench/scale/ecosystem.config.cjs");
    println!();
    println!(
        "Scale cases: median (min); the whole check of a file PortOS reads, and PortOS's reading alone"
    );
    println!();
    println!("| case | copies | bytes | PortOS's reading | analysis + check |");
    println!("|---|---:|---:|---:|---:|");
    for (label, generate, copies) in cases {
        if !wanted(label) {
            continue;
        }
        for copies in [copies / 4, copies] {
            let text: Arc<str> = Arc::from(generate(copies));
            let vfs = portos_lsp::vfs::MemoryVfs::default();
            vfs.insert(path, text.as_bytes());
            let mut portos = || {
                black_box(portos_lsp::portos::detect(&text));
            };
            let mut check = || {
                let a = analysis::analyze(path, text.clone(), &vfs, None, config).unwrap();
                black_box(portos_lsp::rules::check_file(&a, config));
            };
            let (_, stats) = measure(Duration::from_secs(2), 5, &mut [&mut portos, &mut check]);
            let [portos, check] = &stats[..] else {
                unreachable!("two steps")
            };
            println!(
                "| {label} | {copies} | {} | {} ({}) | {} ({}) |",
                text.len(),
                fmt_duration(portos.median),
                fmt_duration(portos.min),
                fmt_duration(check.median),
                fmt_duration(check.min),
            );
        }
    }
}

/// The cross-file rules over two files of `apps` apps each, one directory per app's file, every app of one
/// file on the same port and name as its twin in the other (found this session: a port was compared with
/// every port of the related file, and precedence applied by list — two files of 32,000 apps took 9.4 s).
/// At two sizes a factor of 4 apart: linear, about 4×. `cargo bench --bench analysis -- cross-file`.
fn cross_file_scale(filter: &[String], config: &Config) {
    if !filter.is_empty() && !filter.iter().any(|f| f == "scale" || f == "cross-file") {
        return;
    }
    println!();
    println!(
        "Cross-file scale: median (min) of `cross_file_findings` + the merge, reports prepared"
    );
    println!();
    println!("| apps per file | findings | cross-file findings and merge |");
    println!("|---:|---:|---:|");
    for apps in [4_000, 16_000] {
        let text: String = std::iter::once("module.exports = { apps: [\n".to_string())
            .chain((0..apps).map(|i| {
                format!(
                    "  {{ name: 'a{i}', script: 'a.js', env: {{ PORT: {} }} }},\n",
                    20_000 + i
                )
            }))
            .chain(std::iter::once("] };\n".to_string()))
            .collect();
        let text: Arc<str> = Arc::from(text);
        let reports: Vec<portos_lsp::rules::FileReport> = ["a", "b"]
            .iter()
            .map(|dir| {
                let path = std::path::PathBuf::from(format!(
                    "/portos-lsp-bench/cross/{dir}/ecosystem.config.cjs"
                ));
                let a =
                    analysis::analyze(&path, text.clone(), &DiskVfs::new(), None, config).unwrap();
                portos_lsp::rules::check_file(&a, config)
            })
            .collect();
        let all: Vec<&portos_lsp::rules::FileReport> = reports.iter().collect();
        let mut count = 0;
        let mut cross = || {
            let lists = portos_lsp::rules::cross_file_findings(&all, all.len(), config, &|_| {
                Default::default()
            });
            count = 0;
            for (report, list) in all.iter().zip(lists) {
                count += black_box(portos_lsp::rules::merged(&report.findings, list, config)).len();
            }
        };
        let (_, stats) = measure(Duration::from_secs(2), 5, &mut [&mut cross]);
        println!(
            "| {apps} | {count} | {} ({}) |",
            fmt_duration(stats[0].median),
            fmt_duration(stats[0].min)
        );
    }
}

/// One app whose env holds a string of `copies` × `PORT:` before its real `PORT`.
fn port_keys_in_a_string(copies: usize) -> String {
    format!(
        "module.exports = {{\n  apps: [{{ name: 'api', env: {{ X: '{}', PORT: 5570 }} }}],\n}};\n",
        "PORT:".repeat(copies)
    )
}
