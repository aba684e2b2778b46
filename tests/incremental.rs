//! The incremental analysis's guard (issue 15): whatever the editor's path reuses from one version to the next
//! (the edited tree, and whatever else it comes to reuse), its answers are always those of a fresh analysis of
//! the same text. Every ecosystem file of every workspace-like fixture and of the example workspace is opened
//! in a host over its workspace in memory and edited the way a typing user edits it — a port literal's digit
//! replaced, inserted or deleted, snippets (`,`, `}`, `{`, quotes, `const x = `, `...spread`, `PORTS.`, CRLF,
//! emoji, CJK), a line copied from elsewhere, a character, a token or a line deleted, half-typed tokens left
//! in place for several steps and then completed, two changes in one notification, now and then the whole
//! text replaced — through `Host::change` with ranged changes in UTF-16 or UTF-8 positions. After every step
//! the document is analysed the way the server analyses it, and a second host that opens the step's text
//! once, as version 1, must answer the same: the published findings (codes, severities, messages, ranges,
//! related places, fix data), hover on every port literal and at random offsets, completion, code actions,
//! inlay hints, symbols, highlights and the port map; and, where the workspace has another ecosystem file, it
//! is open beside the edited one in both hosts and its published findings (the cross-file ones follow the
//! edits) and hover must agree too. A difference panics with the input, the seed, the step, every edit so far
//! and the text, so it can be replayed.
//!
//! `cargo test` runs [`DEFAULT_STEPS`] edits per input; `cargo test --test incremental -- --ignored` runs
//! `PORTOS_LSP_INCREMENTAL_STEPS` (200 by default; `.ci/run` runs 50) with seed `PORTOS_LSP_INCREMENTAL_SEED`
//! (7 by default). The hostile fixtures are left out: they measure time (tests/fuzz.rs), and an analysis
//! stopped by its budget on one side only would be a difference of timing, not of results.
#![allow(clippy::print_stderr)] // the inputs, steps and time are printed, for `--nocapture`

#[path = "../benches/generate/mod.rs"]
#[allow(dead_code)]
mod generate;

#[path = "common/corpus.rs"]
mod corpus;

use corpus::{ROOT, memory_disk, port_literals, today_workspaces, workspaces};
use generate::Rng;
use portos_lsp::config::{ConfigLayer, ConfigSource};
use portos_lsp::ide::document::Change;
use portos_lsp::ide::{
    ActionKinds, DocKind, Encoding, Host, LineIndex, Published, Snapshot, TextRange,
};
use portos_lsp::vfs::MemoryVfs;
use std::fmt::{Debug, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// Edits per input in the default run: about 2,000 analysed steps over the corpus.
const DEFAULT_STEPS: usize = 8;

/// The parse budget of both hosts: far above any fixture's parse, so no analysis stops on one side only.
const PARSE_MS: u64 = 60_000;

/// Single snippets a user types or pastes.
const SNIPPETS: &[&str] = &[
    "0",
    "5",
    "9",
    ",",
    "}",
    "{",
    "'",
    "\"",
    ":",
    "const x = ",
    "...spread",
    "...SHARED_ENV,",
    "PORTS.",
    "\r\n",
    "\n",
    "😀",
    "端口",
    "PORT: 5571,",
    "// ",
    "/*",
    "`${",
    " ",
];

/// Tokens typed over several steps: a prefix first, the rest a few characters at a time, other edits between.
const TOKENS: &[&str] = &[
    "PORTS.API",
    "5571",
    "const EXTRA_PORT = 5599;\n",
    "{ name: 'new-app', script: 'a.js', env: { PORT: 5581 } },\n",
    "process.env.PORT || 5570",
    "...SHARED_ENV,",
    "'quoted-name'",
    "端口: 5580,",
    "API_PORT: PORTS.UI,\r\n",
    "apps: [",
];

/// One input: an ecosystem file of a workspace.
struct Input {
    name: String,
    disk: Arc<MemoryVfs>,
    path: PathBuf,
    text: String,
    /// Another ecosystem file of the workspace, open beside it: its cross-file findings follow the edits.
    neighbour: Option<PathBuf>,
}

/// Every workspace the fix property test uses, the `today` fixtures' workspaces, and in each its ecosystem
/// files (as the host discovers them).
fn inputs() -> Vec<Input> {
    let mut all = workspaces();
    all.extend(today_workspaces());
    let mut out = Vec::new();
    for workspace in all {
        let disk = memory_disk(&workspace.files);
        let host = host_over(&disk);
        let (found, _) = host.discover_job(None).run();
        for (number, path) in found.iter().enumerate() {
            let relative = path.strip_prefix(ROOT).unwrap().display().to_string();
            let Some((_, text)) = workspace.files.iter().find(|(p, _)| *p == relative) else {
                continue;
            };
            let neighbour = found
                .get((number + 1) % found.len())
                .filter(|n| *n != path)
                .cloned();
            out.push(Input {
                name: format!("{}: {relative}", workspace.name),
                disk: disk.clone(),
                path: path.clone(),
                text: text.clone(),
                neighbour,
            });
        }
    }
    assert!(
        out.len() > 200,
        "expected the fixture corpus, found {} inputs",
        out.len()
    );
    out
}

/// A host over `disk` with one workspace folder, [`PARSE_MS`] for a budget and project files discovered, as
/// the server makes one.
fn host_over(disk: &Arc<MemoryVfs>) -> Host {
    let mut host = Host::new(disk.clone(), ConfigSource::Discover);
    host.set_editor_settings(
        ConfigLayer {
            parse_ms: Some(PARSE_MS),
            ..ConfigLayer::default()
        },
        ConfigSource::Discover,
    );
    host.add_folder(ROOT.into());
    host
}

/// `text` open at `path` as `version` in a new host, the way the server gets there: the document opened (and
/// its neighbour, as on disk), the workspace's other ecosystem files indexed from disk, the open documents
/// analysed, the workspace's convention decided.
fn opened(input: &Input, version: i32, text: &str) -> Host {
    let mut host = host_over(&input.disk);
    let path = &input.path;
    assert_eq!(
        host.open(path.to_path_buf(), version, text),
        DocKind::Ecosystem
    );
    if let Some(neighbour) = &input.neighbour {
        let on_disk =
            String::from_utf8(portos_lsp::vfs::Vfs::read(&*input.disk, neighbour).unwrap());
        host.open(neighbour.clone(), 1, &on_disk.unwrap());
    }
    let (found, _) = host.discover_job(None).run();
    for job in host.index_jobs(&found) {
        host.store_indexed(job.run());
    }
    analyse(&mut host, path);
    if let Some(neighbour) = &input.neighbour {
        analyse(&mut host, neighbour);
    }
    let decisions = host.convention_job().run();
    host.set_conventions(decisions);
    host
}

/// Analyses the document's newest version as the server's main loop does: the job made under the lock, run
/// outside it, stored.
fn analyse(host: &mut Host, path: &Path) {
    if host.needs_analysis(path)
        && let Some((job, _)) = host.analysis_job(path)
    {
        host.store(job.run());
    }
}

/// One edit in bytes of the text it applies to: the replaced range and the replacement.
type Edit = (usize, usize, String);

/// The nearest character boundary at or before `at`.
fn boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// The place an editor can put the cursor nearest before byte `at`: a character boundary, not inside a CRLF
/// or a BOM (a position there means the line's end, or its start).
fn cursor(text: &str, at: usize) -> usize {
    let index = LineIndex::new(text);
    let position = index.position(text, boundary(text, at), Encoding::Utf8);
    index
        .offset(text, position, Encoding::Utf8)
        .unwrap_or(text.len())
}

/// A cursor place anywhere in the text (its end included).
fn anywhere(rng: &mut Rng, text: &str) -> usize {
    cursor(text, rng.index(text.len() + 1))
}

/// The byte range of the line holding `at`, its line break included.
fn line_around(text: &str, at: usize) -> (usize, usize) {
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let end = text[at..].find('\n').map_or(text.len(), |i| at + i + 1);
    (start, end)
}

/// The token under `at`: a run of identifier characters or digits, else the one character there.
fn token_around(text: &str, at: usize) -> (usize, usize) {
    let word = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    let start = text[..at]
        .char_indices()
        .rev()
        .take_while(|(_, c)| word(*c))
        .last()
        .map_or(at, |(i, _)| i);
    let end = text[at..]
        .char_indices()
        .find(|(_, c)| !word(*c))
        .map_or(text.len(), |(i, _)| at + i);
    if start < end {
        (start, end)
    } else {
        let next = text[at..].chars().next().map_or(0, char::len_utf8);
        (at, at + next)
    }
}

/// A token being typed: where its typed part ends, and what is left to type.
struct HalfTyped {
    at: usize,
    rest: String,
}

/// The edit generator of one input: its random numbers and the token it is half-way through typing.
struct Typist {
    rng: Rng,
    pending: Option<HalfTyped>,
}

impl Typist {
    /// The next edit of `text` (byte offsets).
    fn edit(&mut self, text: &str) -> Edit {
        let rng = &mut self.rng;
        if let Some(pending) = &mut self.pending
            && rng.index(3) == 0
        {
            // Go on typing the half-typed token: one to three more characters.
            let take = pending
                .rest
                .char_indices()
                .nth(1 + rng.index(3))
                .map_or(pending.rest.len(), |(i, _)| i);
            let typed: String = pending.rest.drain(..take).collect();
            let at = pending.at.min(text.len());
            if pending.rest.is_empty() {
                self.pending = None;
            }
            return (at, at, typed);
        }
        let literals = port_literals(text);
        match rng.index(16) {
            // A port literal's digit replaced: the commonest keystroke.
            0..=3 if !literals.is_empty() => {
                let (start, end, _) = literals[rng.index(literals.len())];
                let at = start + rng.index(end - start);
                (at, at + 1, rng.index(10).to_string())
            }
            4 if !literals.is_empty() => {
                let (start, end, _) = literals[rng.index(literals.len())];
                let at = start + rng.index(end - start + 1);
                (at, at, rng.index(10).to_string())
            }
            5 if !literals.is_empty() => {
                let (start, end, _) = literals[rng.index(literals.len())];
                let at = start + rng.index(end - start);
                (at, at + 1, String::new())
            }
            6 => {
                // A whole line copied from elsewhere in the file, pasted at a line's start.
                let (from, to) = line_around(text, anywhere(rng, text));
                let mut line = text[from..to].to_string();
                if !line.ends_with('\n') {
                    line.push('\n');
                }
                let (at, _) = line_around(text, anywhere(rng, text));
                (at, at, line)
            }
            7 => {
                let at = anywhere(rng, text);
                let next = text[at..].chars().next().map_or(0, char::len_utf8);
                (at, at + next, String::new())
            }
            8 => {
                let (start, end) = token_around(text, anywhere(rng, text));
                (start, end, String::new())
            }
            9 => {
                let (start, end) = line_around(text, anywhere(rng, text));
                (start, end, String::new())
            }
            10 => {
                // A selection deleted: up to 40 bytes.
                let start = anywhere(rng, text);
                let end = cursor(text, start + rng.index(41)).max(start);
                (start, end, String::new())
            }
            11 => {
                // A token started, to be completed over the next steps.
                let token = TOKENS[rng.index(TOKENS.len())];
                let cut = token
                    .char_indices()
                    .nth(1 + rng.index(token.chars().count() - 1))
                    .map_or(token.len(), |(i, _)| i);
                let at = anywhere(rng, text);
                // Its place is where the typed part starts: the edit's shift moves it past that part.
                self.pending = Some(HalfTyped {
                    at,
                    rest: token[cut..].to_string(),
                });
                (at, at, token[..cut].to_string())
            }
            _ => {
                let at = anywhere(rng, text);
                (at, at, SNIPPETS[rng.index(SNIPPETS.len())].to_string())
            }
        }
    }

    /// Moves the half-typed token's place over an edit of `start..end` by `inserted` bytes (the typed part
    /// itself moves it on); an edit over the place drops the token.
    fn shift(&mut self, start: usize, end: usize, inserted: usize) {
        if let Some(pending) = &mut self.pending {
            if end <= pending.at {
                pending.at = pending.at - (end - start) + inserted;
            } else if start < pending.at {
                self.pending = None;
            }
        }
    }
}

/// Applies `edit` to `text` as an editor sends it: a ranged change in `encoding`'s positions. Returns the
/// change and `text` as the change means it (an offset inside a line break or a BOM is a position at the
/// nearest column, as the editor would see it), with the byte range the change took.
fn as_change(
    text: &mut String,
    (start, end, new): &Edit,
    encoding: Encoding,
) -> (Change, (usize, usize)) {
    let index = LineIndex::new(text);
    let from = index.position(text, *start, encoding);
    let to = index.position(text, *end, encoding);
    let meant = |p| index.offset(text, p, encoding).unwrap_or(text.len());
    let (start, end) = (meant(from), meant(to));
    text.replace_range(start..end, new);
    let change = Change {
        range: Some((from, to)),
        text: new.clone(),
    };
    (change, (start, end))
}

/// Where to ask for hover, completion and highlights: every port literal (its start and a digit inside) and
/// a few random character boundaries.
fn probes(rng: &mut Rng, text: &str) -> (Vec<usize>, Vec<usize>) {
    let literals = port_literals(text);
    let mut hover: Vec<usize> = literals.iter().flat_map(|&(s, _, _)| [s, s + 1]).collect();
    hover.extend((0..3).map(|_| anywhere(rng, text)));
    let mut completion = vec![anywhere(rng, text)];
    if !literals.is_empty() {
        completion.push(literals[rng.index(literals.len())].1);
    }
    (hover, completion)
}

/// What a publish carries, version aside (the fresh host's is 1): comparable.
fn published(snapshot: &Snapshot, path: &Path) -> Option<String> {
    let (_, content) = snapshot.published(path)?;
    Some(match content {
        Published::Findings(findings) => format!("findings {findings:#?}"),
        Published::NotAnalysed(why) => format!("not analysed: {why}"),
        Published::Stalled(findings, why) => format!("stalled ({why}) {findings:#?}"),
        Published::ProjectFile => "project file".into(),
    })
}

/// What was asked and both answers, when they differ.
fn differ<T: PartialEq + Debug>(what: String, a: T, b: T) -> Option<(String, String, String)> {
    (a != b).then(|| (what, format!("{a:#?}"), format!("{b:#?}")))
}

/// The first answer the incremental host (`left`) and the fresh one (`right`) give differently: what was
/// asked, and both answers.
fn difference(
    left: &Snapshot,
    right: &Snapshot,
    path: &Path,
    text: &str,
    (hover, completion): &(Vec<usize>, Vec<usize>),
) -> Option<(String, String, String)> {
    let whole = TextRange::new(0, text.len());
    let all = ActionKinds {
        quick_fix: true,
        rewrite: true,
        fix_all: false,
    };
    let root = Path::new(ROOT);
    differ(
        "the text".into(),
        left.text(path).map(|(t, _)| t),
        right.text(path).map(|(t, _)| t),
    )
    .or_else(|| {
        differ(
            "the published findings".into(),
            published(left, path),
            published(right, path),
        )
    })
    .or_else(|| {
        hover.iter().find_map(|&at| {
            differ(
                format!("hover at byte {at}"),
                left.hover(path, at),
                right.hover(path, at),
            )
        })
    })
    .or_else(|| {
        completion.iter().find_map(|&at| {
            differ(
                format!("completion at byte {at}"),
                left.completion(path, at),
                right.completion(path, at),
            )
        })
    })
    .or_else(|| {
        hover.iter().take(4).find_map(|&at| {
            differ(
                format!("highlights at byte {at}"),
                left.highlights(path, at),
                right.highlights(path, at),
            )
        })
    })
    .or_else(|| {
        differ(
            "the code actions over the whole file".into(),
            left.code_actions(path, whole, all),
            right.code_actions(path, whole, all),
        )
    })
    .or_else(|| {
        differ(
            "the inlay hints".into(),
            left.inlay_hints(path, whole),
            right.inlay_hints(path, whole),
        )
    })
    .or_else(|| {
        differ(
            "the document symbols".into(),
            left.document_symbols(path),
            right.document_symbols(path),
        )
    })
    .or_else(|| {
        differ(
            "the workspace's port map".into(),
            left.port_map(Some(root)),
            right.port_map(Some(root)),
        )
    })
}

/// The first answer on the open neighbour the two hosts give differently: its published findings (cross-file
/// ones follow the edited file), hover on its port literals.
fn neighbour_difference(
    left: &Snapshot,
    right: &Snapshot,
    neighbour: &Path,
) -> Option<(String, String, String)> {
    let (text, _) = left.text(neighbour)?;
    differ(
        format!("the published findings of {}", neighbour.display()),
        published(left, neighbour),
        published(right, neighbour),
    )
    .or_else(|| {
        port_literals(&text).iter().find_map(|&(at, _, _)| {
            differ(
                format!("hover at byte {at} of {}", neighbour.display()),
                left.hover(neighbour, at),
                right.hover(neighbour, at),
            )
        })
    })
}

/// Edits one input `steps` times, comparing the incremental host with a fresh one after every step.
fn run_input(input: &Input, number: usize, steps: usize, seed: u64) {
    let encoding = if (number as u64 ^ seed).is_multiple_of(2) {
        Encoding::Utf16
    } else {
        Encoding::Utf8
    };
    let mut typist = Typist {
        rng: Rng((seed ^ (number as u64 + 1)).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1),
        pending: None,
    };
    let path = &input.path;
    let mut editor = opened(input, 0, &input.text);
    let mut text = input.text.clone();
    let mut log = String::new();
    for step in 1..=steps {
        let version = step as i32;
        let changes: Vec<Change> = if typist.rng.index(40) == 0 {
            // Now and then the whole text replaced (a formatter, a client without ranged changes).
            let _ = writeln!(log, "step {step}: the whole text replaced");
            vec![Change {
                range: None,
                text: text.clone(),
            }]
        } else {
            let count = if typist.rng.index(10) == 0 { 2 } else { 1 };
            (0..count)
                .map(|_| {
                    let edit = typist.edit(&text);
                    let (change, (start, end)) = as_change(&mut text, &edit, encoding);
                    typist.shift(start, end, edit.2.len());
                    let _ = writeln!(
                        log,
                        "step {step}: bytes {start}..{end} := {:?} ({change:?})",
                        edit.2
                    );
                    change
                })
                .collect()
        };
        editor.change(path, version, &changes, encoding);
        analyse(&mut editor, path);
        let fresh = opened(input, 1, &text);
        let probes = probes(&mut typist.rng, &text);
        let (left, right) = (editor.snapshot(), fresh.snapshot());
        let found = difference(&left, &right, path, &text, &probes).or_else(|| {
            let neighbour = input.neighbour.as_deref()?;
            neighbour_difference(&left, &right, neighbour)
        });
        if let Some((what, left, right)) = found {
            panic!(
                "{} (seed {seed}, {encoding:?} positions): after step {step}, {what} differs from a fresh \
                 analysis of the same text\nincremental: {left}\nfresh: {right}\nthe edits:\n{log}the \
                 text now:\n{text}\n---\nthe text at first:\n{}",
                input.name, input.text
            );
        }
    }
}

/// Runs every input on the machine's cores; returns how many inputs there were, and how many of them had a
/// neighbour open beside them.
fn run(steps: usize, seed: u64) -> (usize, usize) {
    let inputs = inputs();
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(4);
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let number = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(input) = inputs.get(number) else {
                        break;
                    };
                    run_input(input, number, steps, seed);
                }
            });
        }
    });
    let neighbours = inputs.iter().filter(|i| i.neighbour.is_some()).count();
    (inputs.len(), neighbours)
}

#[test]
fn every_edit_answers_as_a_fresh_analysis() {
    let started = Instant::now();
    let (inputs, neighbours) = run(DEFAULT_STEPS, 15);
    eprintln!(
        "incremental guard: {inputs} inputs ({neighbours} with a neighbour open) × {DEFAULT_STEPS} steps in {:?}",
        started.elapsed()
    );
}

/// The long run: `cargo test --test incremental -- --ignored --nocapture` (`--release` for many steps).
#[test]
#[ignore]
fn every_edit_answers_as_a_fresh_analysis_long() {
    let steps = std::env::var("PORTOS_LSP_INCREMENTAL_STEPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    let seed = std::env::var("PORTOS_LSP_INCREMENTAL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(7);
    let started = Instant::now();
    let (inputs, neighbours) = run(steps, seed);
    eprintln!(
        "incremental guard (long, seed {seed}): {inputs} inputs ({neighbours} with a neighbour open) × {steps} \
         steps in {:?}",
        started.elapsed()
    );
}
