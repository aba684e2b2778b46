//! Code actions: the quick fixes each finding's fix data describes (spec §10), made concrete — "use free port
//! N" with N the allocator's first answer, the edit on the *definition*; suppression comments for every code;
//! and "fix all" that applies the safe fixes until nothing changes. Byte offsets only; the shells convert.

use crate::config::Config;
use crate::features::occupied::AppPorts;
use crate::rules::{Finding, FixData};
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
}

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

/// The fix a finding carries, made concrete. `ports` is the allocator's view of the file's app.
pub fn fix_for(
    finding: &Finding,
    here: &Path,
    text: &str,
    read: ReadText,
    ports: &AppPorts,
    config: &Config,
) -> Option<(String, Edit)> {
    match finding.fix.as_ref()? {
        FixData::MoveToFreePort {
            path,
            range,
            current,
        } => {
            let offer = ports.allocate(config, 1).offers.into_iter().next()?;
            let edit = set_literal(
                here,
                text,
                read,
                path,
                *range,
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
            Some((
                format!("Use free port {} ({}){place}", offer.port, offer.reason),
                edit,
            ))
        }
        FixData::SetPort {
            path,
            range,
            port,
            reason,
        } => {
            let edit = set_literal(here, text, read, path, *range, None, *port)?;
            Some((format!("Use port {port}: {reason}"), edit))
        }
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
            Some((
                format!("Replace with `{new}`"),
                Edit {
                    path: path.clone(),
                    range: *range,
                    text: new.clone(),
                },
            ))
        }
        // Choices change what PM2 does: offered one by one ([`choices_for`]), never applied by fix-all.
        FixData::Choices { .. } => None,
    }
}

/// The quick fixes a finding offers to choose from, each with its edits, when the text at each range is still
/// there to edit.
fn choices_for(finding: &Finding, text: &str) -> Vec<(String, Vec<Edit>)> {
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
            (choice.title.clone(), edits)
        })
        .collect()
}

/// The quick fixes for the findings whose range touches `range` (the editor's selection or cursor): each
/// finding's own fix first (preferred), then "ignore CODE on this line" and "… in this file".
pub fn quick_fixes(
    findings: &[Finding],
    range: TextRange,
    here: &Path,
    text: &str,
    read: ReadText,
    ports: &AppPorts,
    config: &Config,
) -> Vec<Action> {
    let index = LineIndex::new(text);
    let mut fixes = Vec::new();
    let mut ignores = Vec::new();
    for (i, finding) in findings.iter().enumerate() {
        let touches = finding.range.start <= range.end && range.start <= finding.range.end;
        if !touches {
            continue;
        }
        if let Some((title, edit)) = fix_for(finding, here, text, read, ports, config) {
            fixes.push(Action {
                title,
                kind: ActionKind::QuickFix,
                edits: vec![edit],
                finding: Some(i),
                preferred: false,
            });
        }
        for (title, edits) in choices_for(finding, text) {
            fixes.push(Action {
                title,
                kind: ActionKind::QuickFix,
                edits,
                finding: Some(i),
                preferred: false,
            });
        }
        let line = index.line_of(finding.range.start as usize);
        let comment = Format::of_path(here).line_comment();
        ignores.push(Action {
            title: format!("Ignore {} on this line", finding.code),
            kind: ActionKind::QuickFix,
            edits: vec![ignore_line(here, text, &index, line, finding.code, comment)],
            finding: Some(i),
            preferred: false,
        });
        ignores.push(Action {
            title: format!("Ignore {} in this file", finding.code),
            kind: ActionKind::QuickFix,
            edits: vec![ignore_file(here, text, finding.code, comment)],
            finding: Some(i),
            preferred: false,
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
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
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
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
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

/// The safe fixes of one pass (no suppressions): one per definition, so two findings never edit one literal
/// twice. The caller re-analyses and asks again until nothing is left (then two moves never take one port).
pub fn safe_fixes(
    findings: &[Finding],
    here: &Path,
    text: &str,
    read: ReadText,
    ports: &AppPorts,
    config: &Config,
) -> Vec<Edit> {
    let mut edits: Vec<Edit> = Vec::new();
    let mut moved = false;
    for finding in findings {
        // A port change takes a free port (or fills the gap): one per pass, so the next pass sees it taken.
        let is_move = matches!(
            finding.fix,
            Some(FixData::MoveToFreePort { .. } | FixData::SetPort { .. })
        );
        if is_move && moved {
            continue;
        }
        if let Some((_, edit)) = fix_for(finding, here, text, read, ports, config)
            && !edits.iter().any(|e| {
                e.path == edit.path
                    && e.range.start < edit.range.end
                    && edit.range.start < e.range.end
            })
        {
            moved |= is_move;
            edits.push(edit);
        }
    }
    edits
}

/// Re-analyses a candidate text: its findings and the allocator's view of its app (`None` stops fixing).
pub type Analyse<'a> = &'a mut dyn FnMut(&str) -> Option<(Vec<Finding>, AppPorts)>;

/// Applies the safe fixes of `here` until nothing changes (at most 32 passes), re-analysing after each pass
/// through `analyse` (the findings of a text and the allocator's view of its app; `None` stops). Never touches
/// a text with a syntax error. Edits in other files are left out: they are offered one by one instead.
pub fn fix_all(
    here: &Path,
    text: &str,
    read: ReadText,
    config: &Config,
    analyse: Analyse,
) -> String {
    let mut text = text.to_string();
    for _ in 0..32 {
        let Some((findings, ports)) = analyse(&text) else {
            break;
        };
        if findings.iter().any(|f| f.code == "syntax-error") {
            break;
        }
        let edits: Vec<Edit> = safe_fixes(&findings, here, &text, read, &ports, config)
            .into_iter()
            .filter(|e| e.path == here)
            .collect();
        if edits.is_empty() {
            break;
        }
        let next = apply(&text, here, &edits);
        if next == text {
            break;
        }
        text = next;
    }
    text
}
