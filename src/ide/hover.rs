//! Hover on a port: what it is, which of PortOS's rules gave its label, the app's block, the range it falls
//! in, its usual owner, every other user in the workspace, and PortOS's display line (spec §6). On a code in
//! a suppression comment: the rule's docs.

use crate::analysis::Analysis;
use crate::config::{Config, RangeKind};
use crate::labels::{self, Binding, LabelledProcess};
use crate::model::{Loc, Process, Traced, Value};
use crate::rules::block;
use crate::rules::{self, FileReport};
use crate::syntax::{LineIndex, TextRange};
use std::path::Path;

/// What hover shows, and over which range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hover {
    /// The span the hover is about (the editor highlights it).
    pub range: TextRange,
    /// The text in Markdown; [`Hover::plain`] strips it for clients that take plain text only.
    pub markdown: String,
}

impl Hover {
    /// The text without Markdown markup.
    pub fn plain(&self) -> String {
        self.markdown
            .replace("**", "")
            .replace('`', "")
            .lines()
            .map(|l| {
                l.strip_prefix("- ")
                    .map_or(l.to_string(), |r| format!("• {r}"))
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Another file of the workspace, as hover sees it.
pub struct OtherFile<'a> {
    /// Its path.
    pub path: &'a Path,
    /// Its report (summary and the lines of what it points at).
    pub report: &'a FileReport,
}

/// Everything hover reads besides the analysis.
pub struct HoverContext<'a> {
    /// The file's own report.
    pub report: &'a FileReport,
    /// Its configuration.
    pub config: &'a Config,
    /// The other ecosystem files of the workspace.
    pub others: &'a [OtherFile<'a>],
    /// The workspace root, for relative paths.
    pub root: &'a Path,
    /// Whether PortOS's convention applies in the workspace (spec §9: the decision's `active`); `None` when not
    /// decided, which shows everything. With `Some(false)` hover leaves out what only the convention cares
    /// about (PortOS's ranges and core table, whether the block is contiguous, what PortOS's dashboard shows)
    /// and says "PortOS convention: not detected".
    pub convention: Option<bool>,
}

/// The hover at byte `offset`, if there is a port or a suppressed code there.
pub fn hover(analysis: &Analysis, ctx: &HoverContext, offset: usize) -> Option<Hover> {
    if let Some(hover) = suppression_code(analysis.model.text(), offset) {
        return Some(hover);
    }
    let target = find_target(analysis, offset)?;
    Some(describe(analysis, ctx, &target))
}

/// A port under the cursor: a binding of a process, or a `PORTS` entry no process binds.
enum Target<'a> {
    Binding {
        process: &'a Process,
        labelled: &'a LabelledProcess,
        binding: &'a Binding,
        range: TextRange,
    },
    TableEntry {
        path: String,
        value: &'a Traced,
        range: TextRange,
    },
}

fn in_main(loc: Loc) -> Option<TextRange> {
    (loc.file.0 == 0).then_some(loc.range)
}

fn covers(range: TextRange, offset: usize) -> bool {
    (range.start as usize) <= offset && offset <= range.end as usize
}

fn span(a: TextRange, b: TextRange) -> TextRange {
    TextRange::new(a.start.min(b.start) as usize, a.end.max(b.end) as usize)
}

fn find_target(analysis: &Analysis, offset: usize) -> Option<Target<'_>> {
    let model = &analysis.model;
    // A `PORTS` entry first (key, colon or value): the definition every use points at.
    let mut table_hit = None;
    if let Some(table) = model.ports_table() {
        table_entry_at(&table.value, "PORTS", offset, &mut table_hit);
    }
    let mut best: Option<Target> = None;
    let mut best_len = u32::MAX;
    for labelled in &analysis.labels.processes {
        let process = &model.processes[labelled.index];
        for binding in labelled.bindings.iter() {
            let def = in_main(binding.port.def);
            for port_use in &binding.uses {
                let mut hit = None;
                if let Some(use_range) = in_main(port_use.use_loc) {
                    let whole = match port_use.key_loc.and_then(in_main) {
                        // The key and its value: `PORT: 5570`, `--port 5570`.
                        Some(key) if key.end <= use_range.start => span(key, use_range),
                        _ => use_range,
                    };
                    if covers(use_range, offset) {
                        hit = Some(use_range);
                    } else if covers(whole, offset) {
                        // On the key (or between key and value): the span the cursor is in.
                        hit = Some(whole);
                    }
                }
                if let (None, Some(key)) = (hit, port_use.key_loc.and_then(in_main))
                    && covers(key, offset)
                {
                    hit = Some(key);
                }
                if let Some(range) = hit {
                    let len = range.end - range.start;
                    if len < best_len {
                        best_len = len;
                        best = Some(Target::Binding {
                            process,
                            labelled,
                            binding,
                            range,
                        });
                    }
                }
            }
            if let (Some((entry_range, _, value)), Some(def)) = (&table_hit, def)
                && value.def.range == def
                && best.is_none()
            {
                best = Some(Target::Binding {
                    process,
                    labelled,
                    binding,
                    range: *entry_range,
                });
            }
        }
    }
    if best.is_some() {
        return best;
    }
    let (range, path, value) = table_hit?;
    Some(Target::TableEntry { path, value, range })
}

/// The innermost entry of a (nested) table whose key-to-value span holds `offset`.
fn table_entry_at<'a>(
    value: &'a Traced,
    path: &str,
    offset: usize,
    hit: &mut Option<(TextRange, String, &'a Traced)>,
) {
    let Value::Object(object) = &value.value else {
        return;
    };
    for prop in object.props() {
        let entry_path = format!("{path}.{}", prop.key);
        let Some(key) = prop.key_loc.and_then(in_main) else {
            continue;
        };
        let value_range = in_main(prop.value.def).unwrap_or(key);
        let whole = if value_range.start >= key.end {
            span(key, value_range)
        } else {
            key
        };
        if !covers(whole, offset) {
            continue;
        }
        if matches!(prop.value.value, Value::Object(_)) {
            table_entry_at(&prop.value, &entry_path, offset, hit);
            if hit.is_some() {
                return;
            }
        }
        *hit = Some((whole, entry_path, &prop.value));
        return;
    }
}

fn describe(analysis: &Analysis, ctx: &HoverContext, target: &Target) -> Hover {
    let (port, range) = match target {
        Target::Binding { binding, range, .. } => (binding.number(), *range),
        Target::TableEntry { value, range, .. } => (
            match value.value {
                Value::Number(n) if n.fract() == 0.0 && (0.0..=65535.0).contains(&n) => {
                    Some(n as u16)
                }
                _ => None,
            },
            *range,
        ),
    };
    let mut lines = Vec::new();
    match target {
        Target::Binding {
            process,
            labelled,
            binding,
            ..
        } => {
            let number = port.map_or_else(
                || crate::model::value::number_to_string(binding.port.number),
                |p| p.to_string(),
            );
            let role = if binding.served() {
                format!("`{}`", binding.label)
            } else {
                format!("`{}` (connects to it, not served)", binding.label)
            };
            lines.push(format!("**{number}** · {role}"));
            let mut why = format!("Label: {}", binding.rule.explain());
            if binding.renamed_to_dev_ui {
                why.push_str(", renamed `devUi` because the file has an api process");
            }
            lines.push(why);
            if let Some(connects) = &binding.connects_to {
                lines.push(match connects {
                    labels::ConnectsTo::ByName(segment) => {
                        format!("Connects to: the key names `{segment}`")
                    }
                    labels::ConnectsTo::ServedBy(other) => {
                        format!("Connects to: the port `{other}` serves")
                    }
                });
            }
            if binding.alternative {
                lines.push("One of several run-time alternatives".into());
            }
            lines.push(format!("Process: `{}`", process.display_name()));
            lines.push(format!("App: {}", block_line(analysis, ctx)));
            if let Some(port) = port {
                lines.extend(port_facts(ctx, port));
                lines.extend(other_users(
                    analysis,
                    ctx,
                    port,
                    Some((process.display_name(), binding)),
                ));
            }
            if ctx.convention != Some(false) {
                if binding.shadowed.is_some() {
                    lines.push("PortOS will not show this port (see the diagnostic here)".into());
                }
                lines.push(format!(
                    "PortOS shows: `{}`",
                    labels::display_line(process.display_name(), &labelled.listing)
                ));
            }
        }
        Target::TableEntry { path, value, .. } => {
            let number = match &value.value {
                Value::Number(n) => crate::model::value::number_to_string(*n),
                _ => "(not a number)".into(),
            };
            lines.push(format!("**{number}** · `{path}`"));
            lines.push("No process of this file uses this entry".into());
            lines.push(format!("App: {}", block_line(analysis, ctx)));
            if let Some(port) = port {
                lines.extend(port_facts(ctx, port));
                lines.extend(other_users(analysis, ctx, port, None));
            }
        }
    }
    if ctx.convention == Some(false) {
        lines.push("PortOS convention: not detected".into());
    }
    let markdown = lines
        .iter()
        .enumerate()
        .map(|(i, l)| if i == 0 { l.clone() } else { format!("- {l}") })
        .collect::<Vec<_>>()
        .join("\n");
    Hover { range, markdown }
}

/// `my-app 5570–5572, contiguous` for the app holding the file.
fn block_line(analysis: &Analysis, ctx: &HoverContext) -> String {
    // The file's own served ports inside the app's range, as port-gap counts them (a stray 80 or 6100 is
    // not part of the block; variants of one app are checked on their own).
    let kind = block::range_kind(ctx.report.summary.role);
    let range = ctx.config.range(kind);
    let mut all: Vec<u16> = ctx.report.summary.served.iter().map(|s| s.port).collect();
    all.sort_unstable();
    all.dedup();
    let name = &analysis.dir.app_name;
    let scope = block::Scope::of(
        ctx.config,
        ctx.report.summary.role,
        ctx.convention != Some(false),
    );
    let ports: Vec<u16> = all.iter().copied().filter(|p| scope.contains(*p)).collect();
    if ctx.convention != Some(false) && ports.is_empty() && !all.is_empty() {
        let list: Vec<String> = all.iter().take(8).map(u16::to_string).collect();
        return format!(
            "`{name}` has no port in PortOS's {} range {}–{} (it serves {})",
            kind.as_str(),
            range.first,
            range.last,
            list.join(", ")
        );
    }
    if ctx.convention == Some(false) {
        // Without the convention a block need not be contiguous: just the ports.
        return match ports.as_slice() {
            [] => format!("`{name}` has no served ports"),
            ports => {
                let list: Vec<String> = ports.iter().map(u16::to_string).collect();
                format!("`{name}` serves {}", list.join(", "))
            }
        };
    }
    match block::block(ports.iter().copied(), scope) {
        Some((low, high)) => {
            let contiguous = usize::from(high - low) + 1 == ports.len();
            let block = if low == high {
                low.to_string()
            } else {
                format!("{low}–{high}")
            };
            format!(
                "`{name}` {block}, {}",
                if contiguous {
                    "contiguous".to_string()
                } else {
                    let missing: Vec<u16> = (low..=high).filter(|p| !ports.contains(p)).collect();
                    let shown: Vec<String> = missing.iter().take(8).map(u16::to_string).collect();
                    let more = if missing.len() > 8 {
                        format!(" and {} more", missing.len() - 8)
                    } else {
                        String::new()
                    };
                    format!("not contiguous (missing {}{more})", shown.join(", "))
                }
            )
        }
        _ => format!("`{name}` has no served ports"),
    }
}

/// The range a port falls in and its usual owner (PortOS's ranges and table only where its convention applies).
fn port_facts(ctx: &HoverContext, port: u16) -> Vec<String> {
    let config = ctx.config;
    let mut lines = Vec::new();
    let convention = ctx.convention != Some(false);
    let range = match config.range_of(port) {
        Some(kind) => {
            let r = config.range(kind);
            let name = match kind {
                RangeKind::Core => "core range",
                RangeKind::Reserved => "range reserved for extensions",
                RangeKind::User => "user range",
            };
            format!("PortOS's {name} {}–{}", r.first, r.last)
        }
        None => {
            let user = config.range(RangeKind::User);
            format!(
                "outside PortOS's ranges (user range {}–{})",
                user.first, user.last
            )
        }
    };
    if convention {
        lines.push(format!("Range: {range} (guide preset {})", config.guide));
    }
    if let Some(owner) = config.core_owner(port).filter(|_| convention) {
        lines.push(format!(
            "PortOS's own table: `{}`, from {}",
            owner.who(),
            owner.source.describe()
        ));
    }
    if let Some(owner) = config.common_port_owner(port) {
        lines.push(format!("Well-known: usually {owner}"));
    }
    if port < 1024 && port != 0 {
        lines.push("Privileged: below 1024, needs root to listen on".into());
    }
    lines
}

/// Every other user of `port` in the workspace, as `file:line (process label)`.
fn other_users(
    analysis: &Analysis,
    ctx: &HoverContext,
    port: u16,
    this: Option<(&str, &Binding)>,
) -> Vec<String> {
    let mut users = Vec::new();
    let index = LineIndex::new(analysis.model.text());
    let here = relative(ctx.root, &ctx.report.path);
    for served in ctx.report.summary.served.iter().filter(|s| s.port == port) {
        if let Some((process, binding)) = this
            && served.process == process
            && served.label == binding.label
        {
            continue;
        }
        let line = index.line_of(served.range.start as usize) + 1;
        users.push(format!(
            "`{here}:{line}` ({} {})",
            served.process, served.label
        ));
    }
    for other in ctx.others {
        if other.path == ctx.report.path {
            continue;
        }
        let path = relative(ctx.root, other.path);
        for served in other
            .report
            .summary
            .served
            .iter()
            .filter(|s| s.port == port)
        {
            let line = other.report.summary_line(served.range.start) + 1;
            users.push(format!(
                "`{path}:{line}` ({} {})",
                served.process, served.label
            ));
        }
        for held in other
            .report
            .summary
            .connects
            .iter()
            .filter(|h| h.port == port)
        {
            users.push(format!(
                "`{path}` ({} connects to it as {})",
                held.process, held.label
            ));
        }
    }
    if users.is_empty() {
        vec!["Other users: none in the workspace".into()]
    } else {
        let mut lines = vec![format!("Also used by ({}):", users.len())];
        lines.extend(users.into_iter().map(|u| format!("  {u}")));
        lines
    }
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// On a rule code inside a `// portos-lsp-ignore: …` comment: that rule's docs.
fn suppression_code(text: &str, offset: usize) -> Option<Hover> {
    let index = LineIndex::new(text);
    let line = index.line_of(offset.min(text.len()));
    let range = index.line_range(line)?;
    let content = &text[range.clone()];
    let at = content.find("portos-lsp-ignore")?;
    let before = &content[..at];
    if !before.contains("//") && !before.contains("/*") {
        return None;
    }
    let rel = offset.checked_sub(range.start)?;
    if rel < at {
        return None;
    }
    // The word under the cursor, kebab-case.
    let is_word = |c: char| c.is_ascii_lowercase() || c == '-';
    let bytes = content.as_bytes();
    let mut start = rel.min(content.len());
    while start > 0 && is_word(bytes[start - 1] as char) {
        start -= 1;
    }
    let mut end = rel.min(content.len());
    while end < content.len() && is_word(bytes[end] as char) {
        end += 1;
    }
    let word = &content[start..end];
    let rule = rules::find(word)?;
    Some(Hover {
        range: TextRange::new(range.start + start, range.start + end),
        markdown: format!(
            "**{}** ({})\n\n{}\n\n{}",
            rule.code,
            rule.default_severity.as_str(),
            rule.docs.trim(),
            rule.url()
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vfs::MemoryVfs;

    fn hover_with(text: &str, at: &str, convention: Option<bool>) -> String {
        let vfs = MemoryVfs::default();
        let path = Path::new("/w/web/ecosystem.config.js");
        vfs.insert(path, text);
        let config = Config::default();
        let analysis = crate::analysis::analyze_in_w(path, text, &vfs);
        let report = rules::check_file(&analysis, &config);
        let ctx = HoverContext {
            report: &report,
            config: &config,
            others: &[],
            root: Path::new("/w"),
            convention,
        };
        let offset = text.find(at).unwrap();
        hover(&analysis, &ctx, offset).unwrap().markdown
    }

    const PLAIN: &str = "module.exports = { apps: [{ name: 'web', script: 'w.js', env: { PORT: 3000, ADMIN_PORT: 3002 } }] };\n";

    #[test]
    fn without_the_convention_hover_leaves_portos_out() {
        let off = hover_with(PLAIN, "3000", Some(false));
        assert!(off.ends_with("- PortOS convention: not detected"), "{off}");
        assert!(off.contains("App: `web` serves 3000, 3002"), "{off}");
        assert!(
            off.contains("Well-known: usually Node/React dev servers"),
            "{off}"
        );
        for portos in ["Range:", "PortOS shows", "contiguous"] {
            assert!(!off.contains(portos), "{portos} in {off}");
        }
        for decided in [None, Some(true)] {
            let on = hover_with(PLAIN, "3000", decided);
            assert!(!on.contains("PortOS convention"), "{on}");
            assert!(on.contains("Range: outside PortOS's ranges"), "{on}");
            assert!(
                on.contains("PortOS shows: `web (api:3000,admin:3002)`"),
                "{on}"
            );
            // Ports outside the app's range are no block: a stray 80 beside 6100 must not read "80–6100".
            assert!(
                on.contains("has no port in PortOS's user range 5570–5599 (it serves 3000, 3002)"),
                "{on}"
            );
        }
    }
}
