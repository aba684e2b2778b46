//! ide → LSP: byte offsets to positions in the negotiated encoding, findings to diagnostics, hovers and
//! completions to their LSP shapes. The only module besides the server that knows LSP types.

use crate::ide::completion::PortCompletion;
use crate::rules::{Finding, Severity};
use crate::syntax::{Encoding, LineIndex, TextRange};
use crate::vfs::Vfs;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use tower_lsp_server::ls_types::{
    CodeDescription, CompletionItem, CompletionItemKind, CompletionTextEdit, Diagnostic,
    DiagnosticRelatedInformation, DiagnosticSeverity, DiagnosticTag, DocumentSymbol, Location,
    NumberOrString, Position, Range, SymbolKind, TextEdit, Uri, WorkspaceEdit,
};

/// A text with its line index, for converting offsets.
pub struct Text<'a> {
    /// The text.
    pub text: &'a str,
    /// Its line index.
    pub index: &'a LineIndex,
    /// The negotiated encoding.
    pub encoding: Encoding,
}

impl Text<'_> {
    /// The position of a byte offset.
    pub fn position(&self, offset: usize) -> Position {
        let pos = self.index.position(self.text, offset, self.encoding);
        Position::new(pos.line, pos.col)
    }

    /// The range of a byte range.
    pub fn range(&self, range: TextRange) -> Range {
        Range::new(
            self.position(range.start as usize),
            self.position(range.end as usize),
        )
    }
}

/// The `file:` URI of a path.
pub fn uri(path: &Path) -> Option<Uri> {
    Uri::from_file_path(path)
}

/// The LSP severity of a finding.
pub fn severity(severity: Severity) -> DiagnosticSeverity {
    match severity {
        Severity::Error => DiagnosticSeverity::ERROR,
        Severity::Warning => DiagnosticSeverity::WARNING,
        Severity::Information => DiagnosticSeverity::INFORMATION,
        Severity::Hint => DiagnosticSeverity::HINT,
    }
}

/// Converts findings of one file to diagnostics. Related information in other files is positioned by
/// reading them through `vfs` (once each).
pub fn diagnostics(
    findings: &[Finding],
    here: &Path,
    text: &Text,
    vfs: &dyn Vfs,
    related_support: bool,
) -> Vec<Diagnostic> {
    let mut others: HashMap<PathBuf, Option<(String, LineIndex)>> = HashMap::new();
    findings
        .iter()
        .map(|finding| {
            let rule = crate::rules::find(finding.code);
            let related: Vec<DiagnosticRelatedInformation> = finding
                .related
                .iter()
                .filter_map(|related| {
                    let path = vfs.normalize(&related.path);
                    let range = if path == here {
                        text.range(related.range)
                    } else {
                        let other = others.entry(path.clone()).or_insert_with(|| {
                            let bytes = vfs.read(&path).ok()?;
                            let other = String::from_utf8(bytes).ok()?;
                            let index = LineIndex::new(&other);
                            Some((other, index))
                        });
                        match other {
                            Some((other, index)) => Text {
                                text: other,
                                index,
                                encoding: text.encoding,
                            }
                            .range(related.range),
                            None => Range::default(),
                        }
                    };
                    Some(DiagnosticRelatedInformation {
                        location: Location::new(uri(&path)?, range),
                        message: related.message.clone(),
                    })
                })
                .collect();
            let mut message = finding.message.clone();
            if !related_support {
                for r in &related {
                    message.push_str(&format!(
                        "\n{} (line {})",
                        r.message,
                        r.location.range.start.line + 1
                    ));
                }
            }
            Diagnostic {
                range: text.range(finding.range),
                severity: Some(severity(finding.severity)),
                code: Some(NumberOrString::String(finding.code.to_string())),
                code_description: rule
                    .and_then(|r| Uri::from_str(&r.url()).ok())
                    .map(|href| CodeDescription { href }),
                source: Some("portos-lsp".into()),
                message,
                related_information: (related_support && !related.is_empty()).then_some(related),
                tags: finding
                    .unnecessary
                    .then(|| vec![DiagnosticTag::UNNECESSARY]),
                data: finding
                    .fix
                    .as_ref()
                    .and_then(|fix| serde_json::to_value(fix).ok()),
            }
        })
        .collect()
}

/// A port completion as an LSP item: the bare number as label, its reason as detail, the order kept by
/// `sortText`.
pub fn completion(item: &PortCompletion, text: &Text) -> CompletionItem {
    let label = item.port.to_string();
    CompletionItem {
        label: label.clone(),
        kind: Some(CompletionItemKind::VALUE),
        detail: Some(item.detail.clone()),
        sort_text: Some(item.sort_text.clone()),
        filter_text: Some(label.clone()),
        preselect: item.preselect.then_some(true),
        text_edit: Some(CompletionTextEdit::Edit(TextEdit::new(
            text.range(item.replace),
            label,
        ))),
        ..CompletionItem::default()
    }
}

/// Edits (possibly in several files) as a workspace edit; files other than `here` are positioned by reading
/// them through `vfs`.
pub fn workspace_edit(
    edits: &[crate::ide::actions::Edit],
    here: &Path,
    text: &Text,
    vfs: &dyn Vfs,
) -> Option<WorkspaceEdit> {
    let mut changes: HashMap<Uri, Vec<TextEdit>> = HashMap::new();
    for edit in edits {
        let range = if edit.path == here {
            text.range(edit.range)
        } else {
            let other = String::from_utf8(vfs.read(&edit.path).ok()?).ok()?;
            let index = LineIndex::new(&other);
            Text {
                text: &other,
                index: &index,
                encoding: text.encoding,
            }
            .range(edit.range)
        };
        changes
            .entry(uri(&vfs.normalize(&edit.path))?)
            .or_default()
            .push(TextEdit::new(range, edit.text.clone()));
    }
    Some(WorkspaceEdit {
        changes: Some(changes),
        ..WorkspaceEdit::default()
    })
}

/// An outline node as an LSP document symbol.
#[allow(deprecated)]
pub fn symbol(symbol: &crate::ide::symbols::Symbol, text: &Text) -> DocumentSymbol {
    use crate::ide::symbols::SymbolKind as Kind;
    DocumentSymbol {
        name: symbol.name.clone(),
        detail: symbol.detail.clone(),
        kind: match symbol.kind {
            Kind::App => SymbolKind::MODULE,
            Kind::Process => SymbolKind::FUNCTION,
            Kind::Port => SymbolKind::NUMBER,
            Kind::Table => SymbolKind::CONSTANT,
        },
        tags: None,
        deprecated: None,
        range: text.range(symbol.range),
        selection_range: text.range(symbol.selection),
        children: (!symbol.children.is_empty()).then(|| {
            symbol
                .children
                .iter()
                .map(|c| self::symbol(c, text))
                .collect()
        }),
    }
}
