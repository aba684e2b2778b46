//! Renderers for `check`: rustc-style frames, one line per finding, JSON, SARIF 2.1.0, GitHub annotations and
//! GitLab Code Quality.

use crate::ide::{self, FileReport, Finding, Host, LineIndex, Severity, TextRange};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The report formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// rustc-style findings with source frames and a summary.
    Full,
    /// One line per finding: `path:line:col: severity[code] message`.
    Concise,
    /// A JSON array of findings.
    Json,
    /// SARIF 2.1.0, for code-scanning dashboards.
    Sarif,
    /// GitHub Actions workflow commands (annotations on the pull request).
    Github,
    /// GitLab Code Quality JSON (findings in the merge request's widget and diff).
    Gitlab,
}

/// A rendered report.
pub struct Rendered {
    /// What to print on stdout.
    pub text: String,
}

/// 1-based start and end positions in Unicode characters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    /// Start line.
    pub start_line: u32,
    /// Start column.
    pub start_column: u32,
    /// End line.
    pub end_line: u32,
    /// End column (exclusive).
    pub end_column: u32,
}

/// A file read for related locations, or `None` when it could not be read.
type ExtraSource = Option<(Arc<str>, LineIndex)>;

/// Texts of the files findings point into, so related locations in other files can be placed.
struct Sources<'a> {
    loaded: BTreeMap<&'a Path, (&'a str, LineIndex)>,
    extra: std::cell::RefCell<BTreeMap<PathBuf, ExtraSource>>,
}

impl<'a> Sources<'a> {
    fn new(results: &'a [(FileReport, Arc<str>)]) -> Self {
        // Only files with findings carry their text here; others are read if a related location needs them.
        let loaded = results
            .iter()
            .filter(|(r, _)| !r.findings.is_empty())
            .map(|(r, t)| (r.path.as_path(), (&**t, LineIndex::new(t))))
            .collect();
        Sources {
            loaded,
            extra: Default::default(),
        }
    }

    fn span(&self, path: &Path, range: TextRange) -> Span {
        if let Some((text, index)) = self.loaded.get(path) {
            return span_in(text, index, range);
        }
        let mut extra = self.extra.borrow_mut();
        let entry = extra.entry(path.to_path_buf()).or_insert_with(|| {
            let text = std::fs::read_to_string(path).ok()?;
            let index = LineIndex::new(&text);
            Some((Arc::from(text), index))
        });
        match entry {
            Some((text, index)) => span_in(text, index, range),
            None => Span {
                start_line: 1,
                start_column: 1,
                end_line: 1,
                end_column: 1,
            },
        }
    }
}

fn span_in(text: &str, index: &LineIndex, range: TextRange) -> Span {
    let (start_line, start_column) = ide::inputs::line_col(text, index, range.start);
    let (end_line, end_column) = ide::inputs::line_col(text, index, range.end);
    Span {
        start_line,
        start_column,
        end_line,
        end_column,
    }
}

/// The report with every path (the file's, its findings' related places) as [`Host::shown`] names it:
/// relative to the working directory when below it, without `./`.
pub fn shown_report(host: &Host, mut report: FileReport) -> FileReport {
    report.path = host.shown(&report.path);
    for finding in &mut report.findings {
        for related in &mut finding.related {
            related.path = host.shown(&related.path);
        }
    }
    report
}

/// Renders every file's findings in `format`; `unreadable` paths could not be checked (the summary says so,
/// and never "All checks passed" then). `note` ends the summary line of the human formats (the machine
/// formats have none: the caller prints it on stderr).
pub fn render(
    format: OutputFormat,
    results: &[(FileReport, Arc<str>)],
    color: bool,
    unreadable: usize,
    note: Option<&str>,
) -> Rendered {
    let sources = Sources::new(results);
    let text = match format {
        OutputFormat::Full => with_note(full(results, &sources, color, unreadable), note),
        OutputFormat::Concise => with_note(concise(results, &sources, color, unreadable), note),
        OutputFormat::Json => {
            let items: Vec<Value> = each(results)
                .map(|(path, f)| json_finding(path, f, &sources))
                .collect();
            format!(
                "{}\n",
                serde_json::to_string_pretty(&items).unwrap_or_else(|_| "[]".into())
            )
        }
        OutputFormat::Sarif => {
            format!(
                "{}\n",
                serde_json::to_string_pretty(&sarif(results, &sources)).unwrap_or_default()
            )
        }
        OutputFormat::Github => github(results, &sources),
        OutputFormat::Gitlab => format!(
            "{}\n",
            serde_json::to_string_pretty(&gitlab(results, &sources)).unwrap_or_default()
        ),
    };
    Rendered { text }
}

/// `text` (ending with the summary line) with `note` at the end of that line.
fn with_note(mut text: String, note: Option<&str>) -> String {
    if let Some(note) = note {
        let line_end = text.strip_suffix('\n').map_or(text.len(), str::len);
        text.insert_str(line_end, &format!(" {note}"));
    }
    text
}

/// Whether `format` has a summary line ([`render`]'s `note` goes there; otherwise on stderr).
pub fn has_summary_line(format: OutputFormat) -> bool {
    matches!(format, OutputFormat::Full | OutputFormat::Concise)
}

fn each(results: &[(FileReport, Arc<str>)]) -> impl Iterator<Item = (&Path, &Finding)> {
    results
        .iter()
        .flat_map(|(r, _)| r.findings.iter().map(move |f| (r.path.as_path(), f)))
}

struct Paint(bool);

impl Paint {
    fn wrap(&self, code: &str, text: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    fn severity(&self, severity: Severity, text: &str) -> String {
        let code = match severity {
            Severity::Error => "1;31",
            Severity::Warning => "1;33",
            Severity::Information => "1;34",
            Severity::Hint => "1;36",
        };
        self.wrap(code, text)
    }
    fn bold(&self, text: &str) -> String {
        self.wrap("1", text)
    }
    fn dim(&self, text: &str) -> String {
        self.wrap("1;34", text)
    }
}

fn full(
    results: &[(FileReport, Arc<str>)],
    sources: &Sources,
    color: bool,
    unreadable: usize,
) -> String {
    let paint = Paint(color);
    let mut out = String::new();
    let mut counts: BTreeMap<Severity, usize> = BTreeMap::new();
    let mut files_with_findings = 0;
    for (report, text) in results {
        if !report.findings.is_empty() {
            files_with_findings += 1;
        }
        let index = LineIndex::new(text);
        for finding in &report.findings {
            *counts.entry(finding.severity).or_default() += 1;
            let span = span_in(text, &index, finding.range);
            let head = format!("{}[{}]", finding.severity.as_str(), finding.code);
            out.push_str(&format!(
                "{}{}\n",
                paint.severity(finding.severity, &head),
                paint.bold(&format!(": {}", finding.message))
            ));
            let gutter = span.start_line.to_string().len().max(2);
            let pad = " ".repeat(gutter);
            out.push_str(&format!(
                "{pad}{} {}:{}:{}\n",
                paint.dim("-->"),
                report.path.display(),
                span.start_line,
                span.start_column
            ));
            out.push_str(&format!("{pad} {}\n", paint.dim("|")));
            let line_range = index
                .line_range(span.start_line as usize - 1)
                .unwrap_or(0..0);
            let whole_line = text.get(line_range.clone()).unwrap_or("");
            // A window of at most ~120 characters around the span (as rustc does), so output stays
            // proportional to the findings, not to line length × findings.
            let at = (finding.range.start as usize).clamp(line_range.start, line_range.end)
                - line_range.start;
            let (window_start, window_end) = window(whole_line, at);
            let line_text = &whole_line[window_start..window_end];
            let (lead, trail) = (
                if window_start > 0 { "…" } else { "" },
                if window_end < whole_line.len() {
                    "…"
                } else {
                    ""
                },
            );
            let shown = format!("{lead}{}{trail}", line_text.replace('\t', "    "));
            out.push_str(&format!(
                "{} {} {}\n",
                paint.dim(&format!("{:>gutter$}", span.start_line)),
                paint.dim("|"),
                shown
            ));
            let skipped = whole_line[..window_start].chars().count();
            let column_in_window = (span.start_column as usize - 1).saturating_sub(skipped);
            let prefix: String = std::iter::once(if lead.is_empty() { "" } else { " " })
                .map(str::to_string)
                .chain(line_text.chars().take(column_in_window).map(|c| {
                    if c == '\t' {
                        "    ".to_string()
                    } else {
                        " ".repeat(display_width(c))
                    }
                }))
                .collect();
            let underlined_chars: Vec<char> = if span.end_line == span.start_line {
                line_text
                    .chars()
                    .skip(column_in_window)
                    .take((span.end_column.saturating_sub(span.start_column)) as usize)
                    .collect()
            } else {
                line_text.chars().skip(column_in_window).collect()
            };
            let width: usize = underlined_chars
                .iter()
                .map(|c| display_width(*c))
                .sum::<usize>()
                .max(1);
            out.push_str(&format!(
                "{pad} {} {prefix}{}\n",
                paint.dim("|"),
                paint.severity(finding.severity, &"^".repeat(width))
            ));
            for related in &finding.related {
                let r = sources.span(&related.path, related.range);
                out.push_str(&format!(
                    "{pad} {} note: {} ({}:{}:{})\n",
                    paint.dim("="),
                    related.message,
                    related.path.display(),
                    r.start_line,
                    r.start_column
                ));
            }
            if let Some(rule) = ide::rule(finding.code) {
                out.push_str(&format!("{pad} {} help: {}\n", paint.dim("="), rule.url()));
            }
            out.push('\n');
        }
    }
    out.push_str(&summary(
        &counts,
        files_with_findings,
        results.len(),
        unreadable,
    ));
    out
}

/// The byte range of `line` to show around byte `at`: the whole line when it is short, else about 40
/// characters before `at` and 80 after, on character boundaries.
fn window(line: &str, at: usize) -> (usize, usize) {
    const MAX: usize = 120;
    if line.len() <= MAX || line.chars().nth(MAX).is_none() {
        return (0, line.len());
    }
    let mut start = at.min(line.len());
    while !line.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = start;
    for _ in 0..40 {
        match line[..start].char_indices().next_back() {
            Some((i, _)) => start = i,
            None => break,
        }
    }
    for _ in 0..80 {
        match line[end..].chars().next() {
            Some(c) => end += c.len_utf8(),
            None => break,
        }
    }
    (start, end)
}

/// Terminal columns a character takes: wide East Asian characters and emoji take two.
fn display_width(c: char) -> usize {
    let cp = c as u32;
    let wide = matches!(cp,
        0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF |
        0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 |
        0xFFE0..=0xFFE6 | 0x1F300..=0x1F64F | 0x1F900..=0x1F9FF | 0x1F680..=0x1F6FF | 0x20000..=0x3FFFD);
    if wide { 2 } else { 1 }
}

fn summary(
    counts: &BTreeMap<Severity, usize>,
    with_findings: usize,
    files: usize,
    unreadable: usize,
) -> String {
    let noun = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let files_noun = noun(files, "file", "files");
    // Something named that was not checked means the run did not pass, whatever the files read say.
    let but = if unreadable > 0 {
        format!(
            ", but {} could not be checked (see the errors)",
            noun(unreadable, "path", "paths")
        )
    } else {
        String::new()
    };
    if counts.is_empty() {
        if unreadable > 0 {
            return format!("No findings ({files_noun} checked){but}.\n");
        }
        return format!("All checks passed ({files_noun} checked).\n");
    }
    format!(
        "Found {} in {} ({files_noun} checked){but}.\n",
        found_parts(counts, &noun).join(", "),
        noun(with_findings, "file", "files")
    )
}

/// `2 errors`, `1 warning`, … for the summary line.
fn found_parts(
    counts: &BTreeMap<Severity, usize>,
    noun: &dyn Fn(usize, &str, &str) -> String,
) -> Vec<String> {
    counts
        .iter()
        .map(|(severity, n)| match severity {
            Severity::Error => noun(*n, "error", "errors"),
            Severity::Warning => noun(*n, "warning", "warnings"),
            Severity::Information => noun(*n, "information", "information"),
            Severity::Hint => noun(*n, "hint", "hints"),
        })
        .collect()
}

fn concise(
    results: &[(FileReport, Arc<str>)],
    sources: &Sources,
    color: bool,
    unreadable: usize,
) -> String {
    let paint = Paint(color);
    let mut out = String::new();
    let mut counts: BTreeMap<Severity, usize> = BTreeMap::new();
    let mut with_findings = 0;
    for (report, _) in results {
        with_findings += usize::from(!report.findings.is_empty());
        for finding in &report.findings {
            *counts.entry(finding.severity).or_default() += 1;
            let span = sources.span(&report.path, finding.range);
            out.push_str(&format!(
                "{}:{}:{}: {} {}\n",
                report.path.display(),
                span.start_line,
                span.start_column,
                paint.severity(
                    finding.severity,
                    &format!("{}[{}]", finding.severity.as_str(), finding.code)
                ),
                finding.message
            ));
        }
    }
    out.push_str(&summary(&counts, with_findings, results.len(), unreadable));
    out
}

fn json_finding(path: &Path, finding: &Finding, sources: &Sources) -> Value {
    let span = sources.span(path, finding.range);
    let related: Vec<Value> = finding
        .related
        .iter()
        .map(|r| {
            let s = sources.span(&r.path, r.range);
            json!({
                "file": r.path.display().to_string(),
                "start_line": s.start_line, "start_column": s.start_column,
                "end_line": s.end_line, "end_column": s.end_column,
                "message": r.message,
            })
        })
        .collect();
    json!({
        "code": finding.code,
        "severity": finding.severity.as_str(),
        "message": finding.message,
        "file": path.display().to_string(),
        "start_line": span.start_line,
        "start_column": span.start_column,
        "end_line": span.end_line,
        "end_column": span.end_column,
        "url": ide::rule(finding.code).map(|r| r.url()),
        "related": related,
        "fix": finding.fix,
    })
}

fn sarif_level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Information | Severity::Hint => "note",
    }
}

fn sarif_location(path: &Path, range: TextRange, sources: &Sources) -> Value {
    let s = sources.span(path, range);
    json!({
        "physicalLocation": {
            "artifactLocation": { "uri": uri_of(path) },
            "region": {
                "startLine": s.start_line, "startColumn": s.start_column,
                "endLine": s.end_line, "endColumn": s.end_column,
            }
        }
    })
}

/// A relative path stays relative (SARIF viewers resolve it against the checkout); separators become `/`.
fn uri_of(path: &Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    let text = text.strip_prefix("./").unwrap_or(&text).to_string();
    text.chars()
        .map(|c| match c {
            ' ' => "%20".to_string(),
            '%' => "%25".to_string(),
            '#' => "%23".to_string(),
            '?' => "%3F".to_string(),
            c => c.to_string(),
        })
        .collect()
}

fn sarif(results: &[(FileReport, Arc<str>)], sources: &Sources) -> Value {
    let rules_json: Vec<Value> = ide::rules()
        .iter()
        .map(|r| {
            json!({
                "id": r.code,
                "name": r.code,
                "shortDescription": { "text": r.summary },
                "helpUri": r.url(),
                "defaultConfiguration": { "level": sarif_level(r.default_severity) },
            })
        })
        .collect();
    let fingerprints = fingerprints(results, sources);
    let results_json: Vec<Value> = each(results)
        .zip(fingerprints)
        .map(|((path, f), fingerprint)| {
            let index = ide::rules()
                .iter()
                .position(|r| r.code == f.code)
                .unwrap_or(0);
            let related: Vec<Value> = f
                .related
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let mut location = sarif_location(&r.path, r.range, sources);
                    location["id"] = json!(i);
                    location["message"] = json!({ "text": r.message });
                    location
                })
                .collect();
            json!({
                "ruleId": f.code,
                "ruleIndex": index,
                "level": sarif_level(f.severity),
                "message": { "text": f.message },
                "locations": [sarif_location(path, f.range, sources)],
                "relatedLocations": related,
                "partialFingerprints": { "primaryLocationLineHash": fingerprint },
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "portos-lsp",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": env!("CARGO_PKG_REPOSITORY"),
                "rules": rules_json,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results_json,
        }]
    })
}

/// Each finding's identity across commits, in [`each`]'s order, for code scanning and GitLab to tell a finding
/// that stayed from a new one: a hash of its rule and of its first line's text without whitespace, then `:n` for
/// the n-th finding of that rule on such a line in the file. No line numbers, so an edit above a finding (or
/// re-indenting it) keeps it the same finding.
fn fingerprints(results: &[(FileReport, Arc<str>)], sources: &Sources) -> Vec<String> {
    let mut seen: BTreeMap<(&Path, u64), usize> = BTreeMap::new();
    each(results)
        .map(|(path, f)| {
            let line = sources.loaded.get(path).map_or("", |(text, index)| {
                let line = index.line_of(f.range.start as usize);
                index
                    .line_range(line)
                    .and_then(|range| text.get(range))
                    .unwrap_or("")
            });
            let mut hash = Fnv::new();
            hash.write(f.code.as_bytes());
            hash.write(&[0]);
            line.split_whitespace()
                .for_each(|word| hash.write(word.as_bytes()));
            let n = seen.entry((path, hash.0)).or_default();
            *n += 1;
            format!("{:016x}:{n}", hash.0)
        })
        .collect()
}

/// FNV-1a, 64 bits: a hash that stays the same across Rust versions and platforms (std's may not), so a
/// fingerprint computed today matches next year's.
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0 ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// GitLab Code Quality: one issue per finding with a fingerprint unique in the report (the file's path and
/// the line fingerprint), a severity from GitLab's scale, and the path relative to where `check` ran (the
/// repository's root in a pipeline).
fn gitlab(results: &[(FileReport, Arc<str>)], sources: &Sources) -> Value {
    let issues: Vec<Value> = each(results)
        .zip(fingerprints(results, sources))
        .map(|((path, f), line_fingerprint)| {
            let s = sources.span(path, f.range);
            let path = path.to_string_lossy().replace('\\', "/");
            let path = path.strip_prefix("./").unwrap_or(&path);
            let mut hash = Fnv::new();
            hash.write(path.as_bytes());
            hash.write(&[0]);
            hash.write(line_fingerprint.as_bytes());
            json!({
                "description": f.message,
                "check_name": f.code,
                "fingerprint": format!("{:016x}", hash.0),
                "severity": match f.severity {
                    Severity::Error => "major",
                    Severity::Warning => "minor",
                    Severity::Information | Severity::Hint => "info",
                },
                "location": {
                    "path": path,
                    "lines": { "begin": s.start_line, "end": s.end_line },
                },
            })
        })
        .collect();
    Value::Array(issues)
}

/// GitHub workflow-command escaping: data escapes `%`, CR, LF; properties also `:` and `,`.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

fn github(results: &[(FileReport, Arc<str>)], sources: &Sources) -> String {
    let mut out = String::new();
    for (path, f) in each(results) {
        let s = sources.span(path, f.range);
        let command = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Information | Severity::Hint => "notice",
        };
        out.push_str(&format!(
            "::{command} title={},file={},line={},col={},endLine={},endColumn={}::{}\n",
            escape_property(&format!("portos-lsp ({})", f.code)),
            escape_property(&path.to_string_lossy()),
            s.start_line,
            s.start_column,
            s.end_line,
            s.end_column,
            escape_data(&f.message)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_escaping() {
        assert_eq!(escape_property("a:b,c%"), "a%3Ab%2Cc%25");
        assert_eq!(escape_data("x\ny: z"), "x%0Ay: z");
    }

    #[test]
    fn wide_characters() {
        assert_eq!(display_width('端'), 2);
        assert_eq!(display_width('🚀'), 2);
        assert_eq!(display_width('a'), 1);
    }
}
