//! ide → LSP: byte offsets to positions in the negotiated encoding, findings to diagnostics, completions,
//! edits, symbols, locations and the port map to their LSP shapes. The one place LSP types are built from
//! the host's answers; files other than the one asked about are read through the snapshot.

use crate::ide::completion::{Completion, CompletionKind};
use crate::ide::port_map::PortMap;
use crate::ide::{Encoding, Finding, LineIndex, Severity, Snapshot, TextRange};
use foldhash::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use tower_lsp_server::ls_types::{
    CodeDescription, CompletionItem, CompletionItemKind, CompletionTextEdit, Diagnostic,
    DiagnosticRelatedInformation, DiagnosticSeverity, DiagnosticTag, DocumentSymbol, Documentation,
    Location, MarkupContent, MarkupKind, NumberOrString, Position, Range, SymbolKind, TextEdit,
    Uri, WorkspaceEdit,
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

/// One diagnostic as JSON, kept between publishes: a keystroke re-sends the file's every diagnostic, most of
/// them unchanged, and serialising them again was most of a publish's cost.
pub fn diagnostic_json(diagnostic: &Diagnostic) -> Arc<[u8]> {
    serde_json::to_vec(diagnostic)
        .unwrap_or_else(|_| b"null".to_vec())
        .into()
}

/// The body of a `textDocument/publishDiagnostics` notification from diagnostics already serialised (see
/// [`diagnostic_json`]); `version: None` for a document no longer open.
pub fn publish_body(uri: &Uri, version: Option<i32>, diagnostics: &[Arc<[u8]>]) -> Vec<u8> {
    let size: usize = diagnostics.iter().map(|d| d.len() + 1).sum();
    let mut body = Vec::with_capacity(size + uri.as_str().len() + 128);
    body.extend_from_slice(
        br#"{"jsonrpc":"2.0","method":"textDocument/publishDiagnostics","params":{"uri":"#,
    );
    // A URI is ASCII with its own escapes; serde_json quotes it as the client's decoder expects.
    let _ = serde_json::to_writer(&mut body, uri.as_str());
    body.extend_from_slice(br#","diagnostics":["#);
    for (i, diagnostic) in diagnostics.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(diagnostic);
    }
    body.push(b']');
    if let Some(version) = version {
        body.extend_from_slice(format!(r#","version":{version}"#).as_bytes());
    }
    body.extend_from_slice(b"}}");
    body
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

/// Another file's text and line index, read once through the snapshot.
type Other = Option<(Arc<str>, Arc<LineIndex>)>;

/// Converts findings of one file to diagnostics. Related information in other files is positioned by
/// reading them through the snapshot (once each).
pub fn diagnostics(
    findings: &[Finding],
    here: &Path,
    text: &Text,
    snapshot: &Snapshot,
    related_support: bool,
) -> Vec<Diagnostic> {
    let mut converter = Converter::new(here, text, snapshot, related_support);
    findings.iter().map(|f| converter.diagnostic(f)).collect()
}

/// Converts one file's findings one at a time, building each file's URI, each rule's page and each other
/// file's line index once: a file of many findings names the same few.
pub struct Converter<'a> {
    here: &'a Path,
    text: &'a Text<'a>,
    snapshot: &'a Snapshot,
    related_support: bool,
    others: HashMap<PathBuf, Other>,
    /// The last related place's file as given and normalised: most related places of a file are in the
    /// file itself, and normalising a path builds it anew.
    last_related: Option<(PathBuf, PathBuf)>,
    uris: HashMap<PathBuf, Option<Uri>>,
    pages: HashMap<&'static str, Option<CodeDescription>>,
}

impl<'a> Converter<'a> {
    /// A converter for the findings of `here`, whose text is `text`.
    pub fn new(
        here: &'a Path,
        text: &'a Text<'a>,
        snapshot: &'a Snapshot,
        related_support: bool,
    ) -> Self {
        Converter {
            here,
            text,
            snapshot,
            related_support,
            others: HashMap::default(),
            last_related: None,
            uris: HashMap::default(),
            pages: HashMap::default(),
        }
    }

    /// Where a finding's diagnostic points: its range, then each related place's file and range. Two
    /// equal findings with equal positions convert to the same diagnostic, so a publish can reuse one.
    pub fn positions(&mut self, finding: &Finding) -> Vec<(Option<PathBuf>, Range)> {
        let mut positions = vec![(None, self.text.range(finding.range))];
        for related in &finding.related {
            let (path, range) = self.related_range(related);
            positions.push((Some(path), range));
        }
        positions
    }

    fn related_range(&mut self, related: &crate::ide::Related) -> (PathBuf, Range) {
        let path = match &self.last_related {
            Some((given, normal)) if given.as_os_str() == related.path.as_os_str() => {
                normal.clone()
            }
            _ => {
                let normal = self.snapshot.normalize(&related.path);
                self.last_related = Some((related.path.clone(), normal.clone()));
                normal
            }
        };
        let range = if path == self.here {
            self.text.range(related.range)
        } else {
            let snapshot = self.snapshot;
            let other = self
                .others
                .entry(path.clone())
                .or_insert_with(|| snapshot.text(&path));
            match other {
                Some((other, index)) => Text {
                    text: other,
                    index,
                    encoding: self.text.encoding,
                }
                .range(related.range),
                None => Range::default(),
            }
        };
        (path, range)
    }

    /// The diagnostic of one finding.
    pub fn diagnostic(&mut self, finding: &Finding) -> Diagnostic {
        let code_description = self
            .pages
            .entry(finding.code)
            .or_insert_with(|| {
                crate::ide::rule(finding.code)
                    .and_then(|r| Uri::from_str(&r.url()).ok())
                    .map(|href| CodeDescription { href })
            })
            .clone();
        let mut related = Vec::new();
        for place in &finding.related {
            let (path, range) = self.related_range(place);
            let Some(uri) = self.uris.entry(path).or_insert_with_key(|p| uri(p)).clone() else {
                continue;
            };
            related.push(DiagnosticRelatedInformation {
                location: Location::new(uri, range),
                message: place.message.clone(),
            });
        }
        Diagnostic {
            range: self.text.range(finding.range),
            severity: Some(severity(finding.severity)),
            code: Some(NumberOrString::String(finding.code.to_string())),
            code_description,
            source: Some("portos-lsp".into()),
            // The message is `check`'s, whatever the client shows of the related places.
            message: finding.message.clone(),
            related_information: (self.related_support && !related.is_empty()).then_some(related),
            tags: finding
                .unnecessary
                .then(|| vec![DiagnosticTag::UNNECESSARY]),
            data: finding
                .fix
                .as_ref()
                .and_then(|fix| serde_json::to_value(fix).ok()),
        }
    }
}

/// A port completion as an LSP item: the bare number as label, its reason as detail, the order kept by
/// `sortText`.
pub fn completion(item: &Completion, text: &Text) -> CompletionItem {
    let kind = match item.kind {
        CompletionKind::Port => CompletionItemKind::VALUE,
        CompletionKind::Option => CompletionItemKind::PROPERTY,
        CompletionKind::Value => CompletionItemKind::ENUM_MEMBER,
    };
    CompletionItem {
        label: item.label.clone(),
        kind: Some(kind),
        detail: Some(item.detail.clone()),
        documentation: item.documentation.as_ref().map(|doc| {
            Documentation::MarkupContent(MarkupContent {
                kind: MarkupKind::Markdown,
                value: doc.clone(),
            })
        }),
        sort_text: Some(item.sort_text.clone()),
        filter_text: Some(item.label.clone()),
        preselect: item.preselect.then_some(true),
        text_edit: Some(CompletionTextEdit::Edit(TextEdit::new(
            text.range(item.replace),
            item.insert.clone(),
        ))),
        ..CompletionItem::default()
    }
}

/// Edits (possibly in several files) as a workspace edit; files other than `here` are positioned by reading
/// them through the snapshot.
pub fn workspace_edit(
    edits: &[crate::ide::actions::Edit],
    here: &Path,
    text: &Text,
    snapshot: &Snapshot,
) -> Option<WorkspaceEdit> {
    let mut changes: std::collections::HashMap<Uri, Vec<TextEdit>> = Default::default();
    for edit in edits {
        let range = if edit.path == here {
            text.range(edit.range)
        } else {
            let (other, index) = snapshot.text(&edit.path)?;
            Text {
                text: &other,
                index: &index,
                encoding: text.encoding,
            }
            .range(edit.range)
        };
        changes
            .entry(uri(&snapshot.normalize(&edit.path))?)
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

/// A place as an LSP location, positioned in its open buffer or its file on disk; named by the open
/// document's own URI when it is open.
pub fn location(
    snapshot: &Snapshot,
    uris: &HashMap<PathBuf, Uri>,
    path: &Path,
    range: TextRange,
    encoding: Encoding,
) -> Option<Location> {
    let uri = uris.get(path).cloned().or_else(|| uri(path))?;
    let (text, index) = snapshot.text(path)?;
    let range = Text {
        text: &text,
        index: &index,
        encoding,
    }
    .range(range);
    Some(Location::new(uri, range))
}

/// A project file's own diagnostics: its first error, or its warnings.
pub fn config_diagnostics(path: &Path, text: &Text) -> Vec<Diagnostic> {
    let at = |line: u32, column: u32| {
        let line = line.saturating_sub(1);
        let start = Position::new(line, column.saturating_sub(1));
        let offset = text
            .index
            .offset(
                text.text,
                crate::ide::LineCol {
                    line,
                    col: column.saturating_sub(1),
                },
                Encoding::Utf32,
            )
            .unwrap_or(0);
        let start = if line == 0 && column == 0 {
            start
        } else {
            text.position(offset)
        };
        Range::new(start, Position::new(start.line, start.character + 1))
    };
    let diagnostic = |severity, line, column, message: String| Diagnostic {
        range: at(line, column),
        severity: Some(severity),
        source: Some("portos-lsp".into()),
        message,
        ..Diagnostic::default()
    };
    match crate::config::parse_project_file(text.text, Some(path), &crate::ide::rule_codes()) {
        Err(e) => vec![diagnostic(
            DiagnosticSeverity::ERROR,
            e.line,
            e.column,
            format!(
                "{} (the last good settings stay in force until this is fixed)",
                e.message
            ),
        )],
        Ok(loaded) => loaded
            .warnings
            .into_iter()
            .map(|w| diagnostic(DiagnosticSeverity::WARNING, w.line, w.column, w.message))
            .collect(),
    }
}

/// The `not-analysed` diagnostic (spec §5): the buffer was not read, and why.
pub fn not_analysed(why: &str) -> Diagnostic {
    Diagnostic {
        range: Range::default(),
        severity: Some(DiagnosticSeverity::WARNING),
        code: Some(NumberOrString::String("not-analysed".into())),
        code_description: Uri::from_str(&format!("{}not-analysed.md", crate::ide::DOCS_BASE_URL))
            .ok()
            .map(|href| CodeDescription { href }),
        source: Some("portos-lsp".into()),
        message: why.to_string(),
        ..Diagnostic::default()
    }
}

/// The workspace port map (spec §10) as JSON, with URIs and LSP ranges (files read through the snapshot to
/// place ranges).
pub fn port_map_json(snapshot: &Snapshot, map: &PortMap, encoding: Encoding) -> serde_json::Value {
    use serde_json::json;
    let mut texts: HashMap<PathBuf, Other> = HashMap::default();
    let mut place = |path: &Path, range: TextRange| -> serde_json::Value {
        let entry = texts
            .entry(path.to_path_buf())
            .or_insert_with(|| snapshot.text(path));
        let range = match entry {
            Some((text, index)) => Text {
                text,
                index,
                encoding,
            }
            .range(range),
            None => Range::default(),
        };
        serde_json::to_value(range).unwrap_or(serde_json::Value::Null)
    };
    let uri = |path: &Path| {
        uri(path)
            .map(|u| u.as_str().to_string())
            .unwrap_or_default()
    };
    let apps: Vec<serde_json::Value> = map
        .apps
        .iter()
        .map(|app| {
            let processes: Vec<serde_json::Value> = app
                .processes
                .iter()
                .map(|process| {
                    let ports: Vec<serde_json::Value> = process
                        .ports
                        .iter()
                        .map(|port| {
                            json!({
                                "label": port.label,
                                "port": port.port,
                                "uri": uri(&port.path),
                                "range": place(&port.path, port.range),
                            })
                        })
                        .collect();
                    json!({"name": process.name, "ports": ports})
                })
                .collect();
            json!({
                "name": app.name,
                "dir": app.dir.display().to_string(),
                "uri": uri(&app.path),
                "role": app.role.as_str(),
                "block": app.block.map(|(a, b)| [a, b]),
                "contiguous": app.contiguous,
                "processes": processes,
            })
        })
        .collect();
    let conflicts: Vec<serde_json::Value> = map
        .conflicts
        .iter()
        .map(|conflict| {
            let uses: Vec<serde_json::Value> = conflict
                .uses
                .iter()
                .map(|u| {
                    json!({
                        "app": u.app,
                        "process": u.process,
                        "label": u.label,
                        "uri": uri(&u.path),
                        "range": place(&u.path, u.range),
                    })
                })
                .collect();
            json!({
                "port": conflict.port,
                "core": conflict.core.as_ref().map(|c| json!({
                    "process": c.process,
                    "label": c.label,
                    "from": c.source.describe(),
                })),
                "uses": uses,
            })
        })
        .collect();
    json!({
        "guide": map.guide,
        "ranges": {
            "core": [map.ranges.core.0, map.ranges.core.1],
            "reserved": [map.ranges.reserved.0, map.ranges.reserved.1],
            "user": [map.ranges.user.0, map.ranges.user.1],
        },
        "apps": apps,
        "free": map.free.iter().map(|(a, b)| [a, b]).collect::<Vec<_>>(),
        "conflicts": conflicts,
    })
}
