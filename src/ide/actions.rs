//! Code actions: the quick fixes each finding's fix data describes (spec §10), made concrete — "use free port
//! N" with N the allocator's first answer, the edit on the *definition* and on every literal mirroring it;
//! suppression comments for every code; and the safe fixes of one fix-all pass. Which of them may be offered
//! or written is `ide::fix`'s to verify. Byte offsets only; the shells convert.

use crate::config::Config;
use crate::features::allocator::Offer;
use crate::features::occupied::AppPorts;
use crate::rules::{Finding, FixData, Mirror};
use crate::syntax::{Format, LineIndex, TextRange};
use std::path::{Path, PathBuf};

/// One text replacement in one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    /// The file (the reported one, or a required file holding the definition).
    pub path: PathBuf,
    /// What to replace.
    pub range: TextRange,
    /// The replacement.
    pub text: String,
}

/// What an action is, in LSP's terms (`quickfix`, `refactor.rewrite`, `source.fixAll.portos`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActionKind {
    /// A fix for one finding.
    QuickFix,
    /// A rewrite of the file's shape (the v1 → v2 migration).
    Rewrite,
    /// Every safe fix of the file.
    FixAll,
}

/// A code action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Action {
    /// The title the editor shows.
    pub title: String,
    /// Its kind.
    pub kind: ActionKind,
    /// The edits, possibly in several files.
    pub edits: Vec<Edit>,
    /// The finding it fixes (its index in the list given), if any.
    pub finding: Option<usize>,
    /// Whether it is the one to apply by default.
    pub preferred: bool,
    /// A request the editor asks the server to make when the action is chosen, beside the edits.
    pub command: Option<ActionCommand>,
}

/// What an action asks the server to do, rather than edit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ActionCommand {
    /// Ask the running PortOS to read an app's ecosystem file again (`registry-stale`).
    RefreshApp {
        /// The app's registry key.
        id: String,
        /// The ecosystem file, whose configuration says how to reach PortOS.
        path: PathBuf,
    },
}

/// The title of `registry-stale`'s action.
pub const REFRESH_TITLE: &str = "Refresh this app in PortOS";

/// Reads the texts of files other than the reported one (required files holding definitions).
pub type ReadText<'a> = &'a dyn Fn(&Path) -> Option<String>;

/// The number a literal's text states, ignoring quotes and numeric separators: an edit is made only when the
/// text at the definition really is that number, never a comment or a string that merely contains it.
fn literal_number(text: &str) -> Option<f64> {
    let inner = text
        .trim()
        .trim_matches(|c| c == '\'' || c == '"' || c == '`')
        .replace('_', "");
    if let Some(hex) = inner
        .strip_prefix("0x")
        .or_else(|| inner.strip_prefix("0X"))
    {
        return u64::from_str_radix(hex, 16).ok().map(|n| n as f64);
    }
    inner.parse::<f64>().ok()
}

/// The replacement for a literal: the new number, quoted the same way when the literal was a string.
fn replacement(old: &str, port: u16) -> String {
    let quote = old.chars().next().filter(|c| matches!(c, '\'' | '"' | '`'));
    match quote {
        Some(q) => format!("{q}{port}{q}"),
        None => port.to_string(),
    }
}

/// An edit setting the literal at `range` of `path` from `current` to `port`, when the text there is that
/// literal.
fn set_literal(
    here: &Path,
    text: &str,
    read: ReadText,
    path: &Path,
    range: TextRange,
    current: Option<f64>,
    port: u16,
) -> Option<Edit> {
    let owned;
    let source = if path == here {
        text
    } else {
        owned = read(path)?;
        &owned
    };
    let old = source.get(range.as_range())?;
    let number = literal_number(old)?;
    if current.is_some_and(|c| c != number) {
        return None;
    }
    Some(Edit {
        path: path.to_path_buf(),
        range,
        text: replacement(old, port),
    })
}

/// A finding's fix made concrete: what the editor shows, the edits (the definition and every literal
/// mirroring it), and the ports it writes (old → new), which its verification checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    /// The title.
    pub title: String,
    /// The edits, possibly in several files.
    pub edits: Vec<Edit>,
    /// Each port number it replaces, with the number written instead.
    pub writes: Vec<(u16, u16)>,
}

/// The edits setting a definition and its mirrors to `port`: every literal must state `current` (the
/// definition's number), or there is no fix.
fn set_all(
    here: &Path,
    text: &str,
    read: ReadText,
    sites: &[(&Path, TextRange)],
    current: Option<f64>,
    port: u16,
) -> Option<(Vec<Edit>, Option<f64>)> {
    let mut edits = Vec::new();
    let mut stated = current;
    for (path, range) in sites {
        let owned;
        let source = if *path == here {
            text
        } else {
            owned = read(path)?;
            &owned
        };
        let number = literal_number(source.get(range.as_range())?)?;
        if stated.is_some_and(|n| n != number) {
            return None;
        }
        stated = Some(number);
        edits.push(set_literal(here, text, read, path, *range, stated, port)?);
    }
    Some((edits, stated))
}

/// The fix a finding carries, made concrete. `ports` is the allocator's view of the file's app.
pub fn fix_for(
    finding: &Finding,
    here: &Path,
    text: &str,
    read: ReadText,
    ports: &AppPorts,
    config: &Config,
) -> Option<Fix> {
    let offer = match finding.fix.as_ref()? {
        FixData::MoveToFreePort { .. } => ports.allocate(config, 1).offers.into_iter().next(),
        _ => None,
    };
    concrete(finding, here, text, read, offer)
}

/// The fix a finding carries with `offer` as the free port a move takes.
fn concrete(
    finding: &Finding,
    here: &Path,
    text: &str,
    read: ReadText,
    offer: Option<Offer>,
) -> Option<Fix> {
    match finding.fix.as_ref()? {
        FixData::MoveToFreePort {
            path,
            range,
            current,
            mirrors,
        } => {
            let offer = offer?;
            let sites = sites(path, *range, mirrors);
            let (edits, _) = set_all(
                here,
                text,
                read,
                &sites,
                Some(f64::from(*current)),
                offer.port,
            )?;
            let place = if path == here {
                String::new()
            } else {
                format!(
                    " in {}",
                    path.file_name()
                        .map(|n| n.to_string_lossy())
                        .unwrap_or_default()
                )
            };
            let also = if mirrors.is_empty() {
                String::new()
            } else {
                format!(" (with the {} stating it too)", mirrors_noun(mirrors.len()))
            };
            Some(Fix {
                title: format!(
                    "Use free port {} ({}){place}{also}",
                    offer.port, offer.reason
                ),
                edits,
                writes: vec![(*current, offer.port)],
            })
        }
        FixData::SetPort {
            path,
            range,
            port,
            reason,
            mirrors,
        } => {
            let sites = sites(path, *range, mirrors);
            let (edits, old) = set_all(here, text, read, &sites, None, *port)?;
            let old = old.filter(|n| n.fract() == 0.0 && (0.0..=65535.0).contains(n))?;
            Some(Fix {
                title: format!("Use port {port}: {reason}"),
                edits,
                writes: vec![(old as u16, *port)],
            })
        }
        // A request to PortOS, not an edit: offered by `quick_fixes` as a command.
        FixData::RefreshApp { .. } => None,
        FixData::Replace {
            path,
            range,
            text: new,
        } => {
            let owned;
            let source = if path == here {
                text
            } else {
                owned = read(path)?;
                &owned
            };
            source.get(range.as_range())?;
            Some(Fix {
                title: format!("Replace with `{new}`"),
                edits: vec![Edit {
                    path: path.clone(),
                    range: *range,
                    text: new.clone(),
                }],
                writes: Vec::new(),
            })
        }
        // Choices change what PM2 does: offered one by one ([`choices_for`]), never applied by fix-all.
        FixData::Choices { .. } => None,
    }
}

/// The definition first, then its mirrors.
fn sites<'a>(
    path: &'a Path,
    range: TextRange,
    mirrors: &'a [Mirror],
) -> Vec<(&'a Path, TextRange)> {
    std::iter::once((path, range))
        .chain(mirrors.iter().map(|m| (m.path.as_path(), m.range)))
        .collect()
}

/// "literal" / "2 literals".
fn mirrors_noun(count: usize) -> String {
    if count == 1 {
        "literal mirroring it".to_string()
    } else {
        format!("{count} literals mirroring it")
    }
}

/// Decides whether a fix may be offered: its verification (see `ide::fix`), given the finding it targets.
pub type Keep<'a> = &'a mut dyn FnMut(&Finding, &Fix) -> bool;

/// The quick fixes a finding offers to choose from, each with its edits, when the text at each range is still
/// there to edit.
fn choices_for(finding: &Finding, text: &str) -> Vec<Fix> {
    let Some(FixData::Choices { path, choices }) = &finding.fix else {
        return Vec::new();
    };
    choices
        .iter()
        .filter(|choice| {
            choice
                .edits
                .iter()
                .all(|(range, _)| text.get(range.as_range()).is_some())
        })
        .map(|choice| {
            let edits = choice
                .edits
                .iter()
                .map(|(range, new)| Edit {
                    path: path.clone(),
                    range: *range,
                    text: new.clone(),
                })
                .collect();
            Fix {
                title: choice.title.clone(),
                edits,
                writes: Vec::new(),
            }
        })
        .collect()
}

/// The quick fixes for the findings whose range touches `range` (the editor's selection or cursor): each
/// finding's own fix first (preferred) when `keep` accepts it, then "ignore CODE on this line" and "… in
/// this file".
#[allow(clippy::too_many_arguments)]
pub fn quick_fixes(
    findings: &[Finding],
    range: TextRange,
    here: &Path,
    text: &str,
    read: ReadText,
    ports: &AppPorts,
    config: &Config,
    keep: Keep,
) -> Vec<Action> {
    let index = LineIndex::new(text);
    let mut fixes = Vec::new();
    let mut ignores = Vec::new();
    for (i, finding) in findings.iter().enumerate() {
        let touches = finding.range.start <= range.end && range.start <= finding.range.end;
        if !touches {
            continue;
        }
        // The finding's own fix, or the choices it offers (a finding has one kind of fix data), each verified.
        let offered = fix_for(finding, here, text, read, ports, config)
            .into_iter()
            .chain(choices_for(finding, text));
        for fix in offered {
            if keep(finding, &fix) {
                fixes.push(Action {
                    title: fix.title,
                    kind: ActionKind::QuickFix,
                    edits: fix.edits,
                    finding: Some(i),
                    preferred: false,
                    command: None,
                });
            }
        }
        if let Some(FixData::RefreshApp { id, .. }) = &finding.fix {
            let command = ActionCommand::RefreshApp {
                id: id.clone(),
                path: here.to_path_buf(),
            };
            // One request per app, however many of its processes differ.
            if !fixes.iter().any(|a| a.command.as_ref() == Some(&command)) {
                fixes.push(Action {
                    title: REFRESH_TITLE.into(),
                    kind: ActionKind::QuickFix,
                    edits: Vec::new(),
                    finding: Some(i),
                    preferred: false,
                    command: Some(command),
                });
            }
        }
        let line = index.line_of(finding.range.start as usize);
        let comment = Format::of_path(here).line_comment();
        ignores.push(Action {
            title: format!("Ignore {} on this line", finding.code),
            kind: ActionKind::QuickFix,
            edits: vec![ignore_line(here, text, &index, line, finding.code, comment)],
            finding: Some(i),
            preferred: false,
            command: None,
        });
        ignores.push(Action {
            title: format!("Ignore {} in this file", finding.code),
            kind: ActionKind::QuickFix,
            edits: vec![ignore_file(here, text, finding.code, comment)],
            finding: Some(i),
            preferred: false,
            command: None,
        });
    }
    ignores.dedup_by(|a, b| a.title == b.title && a.edits == b.edits);
    if let Some(first) = fixes.first_mut() {
        first.preferred = true;
    }
    fixes.extend(ignores);
    fixes
}

/// `// portos-lsp-ignore: CODE` (`#` in YAML: `comment` is the format's line comment) on its own line above
/// `line` (with its indentation), or `CODE` added to such a comment already there.
fn ignore_line(
    here: &Path,
    text: &str,
    index: &LineIndex,
    line: usize,
    code: &str,
    comment: &str,
) -> Edit {
    let directive = format!("{comment} portos-lsp-ignore:");
    let file_directive = format!("{comment} portos-lsp-ignore-file");
    if line > 0
        && let Some(above) = index.line_range(line - 1)
    {
        let content = &text[above.clone()];
        let trimmed = content.trim_start();
        if let Some(rest) = trimmed.strip_prefix(directive.as_str())
            && !trimmed.starts_with(file_directive.as_str())
        {
            let codes = rest.trim();
            let at = above.end;
            let insert = if codes.is_empty() {
                format!(" {code}")
            } else {
                format!(", {code}")
            };
            return Edit {
                path: here.to_path_buf(),
                range: TextRange::new(at, at),
                text: insert,
            };
        }
    }
    let range = index.line_range(line).unwrap_or(0..0);
    let content = &text[range.clone()];
    let indent: String = content
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect();
    let newline = crate::syntax::line_ending(text);
    Edit {
        path: here.to_path_buf(),
        range: TextRange::new(range.start, range.start),
        text: format!("{indent}{directive} {code}{newline}"),
    }
}

/// `// portos-lsp-ignore-file: CODE` (`#` in YAML) at the top of the file (after a shebang), or `CODE` added to
/// one there.
fn ignore_file(here: &Path, text: &str, code: &str, comment: &str) -> Edit {
    let directive = format!("{comment} portos-lsp-ignore-file:");
    let index = LineIndex::new(text);
    for line in 0..index.line_count() {
        let Some(range) = index.line_range(line) else {
            break;
        };
        let content = &text[range.clone()];
        if let Some(rest) = content.trim_start().strip_prefix(directive.as_str()) {
            let insert = if rest.trim().is_empty() {
                format!(" {code}")
            } else {
                format!(", {code}")
            };
            return Edit {
                path: here.to_path_buf(),
                range: TextRange::new(range.end, range.end),
                text: insert,
            };
        }
    }
    let newline = crate::syntax::line_ending(text);
    let first = index.line_range(0).unwrap_or(0..0);
    let at = if text[first.clone()].starts_with("#!") {
        index.line_range(1).map(|r| r.start).unwrap_or(text.len())
    } else {
        first.start
    };
    Edit {
        path: here.to_path_buf(),
        range: TextRange::new(at, at),
        text: format!("{directive} {code}{newline}"),
    }
}

/// Applies edits of one file to its text (edits of other files are ignored), last first so offsets hold.
/// Overlapping edits after the first are dropped.
pub fn apply(text: &str, path: &Path, edits: &[Edit]) -> String {
    let mut mine: Vec<&Edit> = edits.iter().filter(|e| e.path == path).collect();
    mine.sort_by_key(|e| std::cmp::Reverse((e.range.start, e.range.end)));
    let mut out = text.to_string();
    let mut floor = usize::MAX;
    for edit in mine {
        let range = edit.range.as_range();
        if range.end > floor || range.end > out.len() || !out.is_char_boundary(range.start) {
            continue;
        }
        out.replace_range(range.clone(), &edit.text);
        floor = range.start;
    }
    out
}

/// The safe fixes of one pass (no suppressions), each with the finding it targets (its index): one per
/// literal, only in `here`, and each port handed out once — the moves take the allocator's answer for all of
/// them at once (as many as fit beside the block: an answer that would move the whole block is no safe fix),
/// and a fix that would write a port an earlier one writes waits for the next pass. Verified together by
/// `ide::fix`, which falls back to smaller sets only where that fails.
pub fn plan_pass(
    findings: &[Finding],
    here: &Path,
    text: &str,
    read: ReadText,
    ports: &AppPorts,
    config: &Config,
) -> Vec<(usize, Fix)> {
    let moves = findings
        .iter()
        .filter(|f| matches!(f.fix, Some(FixData::MoveToFreePort { .. })))
        .count();
    let others = findings.iter().filter(|f| f.fix.is_some()).count() - moves;
    let mut offers = room_beside_the_block(ports, config, moves + others).into_iter();
    let mut planned: Vec<(usize, Fix)> = Vec::new();
    let mut written: Vec<u16> = Vec::new();
    for (i, finding) in findings.iter().enumerate() {
        let offer = match finding.fix {
            Some(FixData::MoveToFreePort { .. }) => {
                let Some(offer) = offers.by_ref().find(|o| !written.contains(&o.port)) else {
                    continue;
                };
                Some(offer)
            }
            Some(_) => None,
            None => continue,
        };
        let Some(fix) = concrete(finding, here, text, read, offer) else {
            continue;
        };
        let overlaps = |edit: &Edit| {
            planned.iter().flat_map(|(_, f)| &f.edits).any(|e| {
                e.path == edit.path
                    && e.range.start < edit.range.end
                    && edit.range.start < e.range.end
            })
        };
        if fix.edits.iter().any(|e| e.path != here || overlaps(e))
            || fix.writes.iter().any(|(_, new)| written.contains(new))
        {
            continue;
        }
        written.extend(fix.writes.iter().map(|(_, new)| *new));
        planned.push((i, fix));
    }
    planned
}

/// The allocator's answer for as many of `wanted` ports as fit beside the app's block without moving it:
/// the largest count whose answer needs no move, found by halving.
fn room_beside_the_block(ports: &AppPorts, config: &Config, wanted: usize) -> Vec<Offer> {
    let fits = |count: usize| {
        let answer = ports.allocate(config, count);
        (answer.note.is_none() && answer.offers.len() == count).then_some(answer.offers)
    };
    if wanted == 0 {
        return Vec::new();
    }
    if let Some(all) = fits(wanted) {
        return all;
    }
    let (mut fitting, mut too_many) = (0, wanted);
    let mut best = Vec::new();
    while fitting + 1 < too_many {
        let middle = (fitting + too_many) / 2;
        match fits(middle) {
            Some(offers) => {
                fitting = middle;
                best = offers;
            }
            None => too_many = middle,
        }
    }
    best
}
