//! What the editor shows around the text: inlay hints (`: api` after a served port, `= 5570` after a
//! `PORTS.X` reference), the outline (app → process → ports) and workspace symbols (every process name).

use crate::analysis::Analysis;
use crate::config::InlayHints;
use crate::labels;
use crate::syntax::TextRange;
use std::path::{Path, PathBuf};

/// One inlay hint: text shown after a byte offset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hint {
    /// Where it is shown (after this offset).
    pub offset: u32,
    /// The text, e.g. `: api` or `= 5570`.
    pub text: String,
    /// Whether it is a label (else a value).
    pub is_label: bool,
}

/// The inlay hints of a file within `range`, as the settings allow.
pub fn inlay_hints(analysis: &Analysis, range: TextRange, settings: InlayHints) -> Vec<Hint> {
    let mut hints = Vec::new();
    let inside = |offset: u32| range.start <= offset && offset <= range.end;
    for labelled in &analysis.labels.processes {
        for binding in labelled.bindings.iter() {
            for port_use in &binding.uses {
                if port_use.use_loc.file.0 != 0 || port_use.instance.is_some() {
                    continue;
                }
                let end = port_use.use_loc.range.end;
                if !inside(end) {
                    continue;
                }
                let is_reference = binding.port.def != port_use.use_loc;
                if settings.values && is_reference {
                    hints.push(Hint {
                        offset: end,
                        text: format!(
                            "= {}",
                            crate::model::value::number_to_string(binding.port.number)
                        ),
                        is_label: false,
                    });
                }
                if settings.labels && binding.served() {
                    hints.push(Hint {
                        offset: end,
                        text: format!(": {}", binding.label),
                        is_label: true,
                    });
                }
            }
        }
    }
    hints.sort_by_key(|h| (h.offset, h.is_label));
    hints.dedup();
    hints
}

/// A node of the outline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbol {
    /// What it is called.
    pub name: String,
    /// A short description (`5570–5572`, `api`).
    pub detail: Option<String>,
    /// What kind of thing it is.
    pub kind: SymbolKind,
    /// Its whole extent.
    pub range: TextRange,
    /// The part to select (the name).
    pub selection: TextRange,
    /// What it holds.
    pub children: Vec<Symbol>,
}

/// The kinds of outline node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SymbolKind {
    /// The app (the file's directory).
    App,
    /// A PM2 process.
    Process,
    /// A port it binds.
    Port,
    /// The `PORTS` table.
    Table,
}

/// The outline of a file: the app, its processes, their ports; and the `PORTS` table with its entries.
pub fn document_symbols(analysis: &Analysis) -> Vec<Symbol> {
    let model = &analysis.model;
    let text_len = model.text().len();
    let mut processes = Vec::new();
    let mut all_ports = Vec::new();
    for labelled in &analysis.labels.processes {
        let process = &model.processes[labelled.index];
        if process.def.file.0 != 0 {
            continue;
        }
        let mut ports = Vec::new();
        for binding in labelled.bindings.iter() {
            let Some(port_use) = binding.uses.iter().find(|u| u.use_loc.file.0 == 0) else {
                continue;
            };
            if let Some(n) = binding.number() {
                all_ports.push(n);
            }
            let number = crate::model::value::number_to_string(binding.port.number);
            let range = match port_use.key_loc.filter(|k| k.file.0 == 0) {
                Some(key) if key.range.end <= port_use.use_loc.range.start => TextRange::new(
                    key.range.start as usize,
                    port_use.use_loc.range.end as usize,
                ),
                _ => port_use.use_loc.range,
            };
            ports.push(Symbol {
                name: format!("{}:{number}", binding.label),
                detail: Some(if binding.served() {
                    port_use.key.clone()
                } else {
                    format!("{} (connects to)", port_use.key)
                }),
                kind: SymbolKind::Port,
                range,
                selection: port_use.use_loc.range,
                children: Vec::new(),
            });
        }
        let selection = if process.name_loc.file.0 == 0 {
            process.name_loc.range
        } else {
            process.def.range
        };
        processes.push(Symbol {
            name: process.display_name().to_string(),
            detail: Some(labels::display_line(
                process.display_name(),
                &labelled.listing,
            )),
            kind: SymbolKind::Process,
            range: enclose(process.def.range, selection),
            selection,
            children: ports,
        });
    }
    let mut symbols = Vec::new();
    if let Some(table) = model.ports_table()
        && table.name_loc.file.0 == 0
    {
        let mut entries = Vec::new();
        if let crate::model::Value::Object(object) = &table.value.value {
            for prop in object.props() {
                let Some(key) = prop.key_loc.filter(|k| k.file.0 == 0) else {
                    continue;
                };
                let value = if prop.value.def.file.0 == 0 {
                    prop.value.def.range
                } else {
                    key.range
                };
                entries.push(Symbol {
                    name: prop.key.clone(),
                    detail: match &prop.value.value {
                        crate::model::Value::Number(n) => {
                            Some(crate::model::value::number_to_string(*n))
                        }
                        _ => None,
                    },
                    kind: SymbolKind::Port,
                    range: enclose(key.range, value),
                    selection: key.range,
                    children: Vec::new(),
                });
            }
        }
        let table_range = if table.value.def.file.0 == 0 {
            enclose(table.value.def.range, table.name_loc.range)
        } else {
            table.name_loc.range
        };
        symbols.push(Symbol {
            name: "PORTS".into(),
            detail: None,
            kind: SymbolKind::Table,
            range: table_range,
            selection: table.name_loc.range,
            children: entries,
        });
    }
    all_ports.sort_unstable();
    all_ports.dedup();
    let block = match (all_ports.first(), all_ports.last()) {
        (Some(a), Some(b)) if a == b => Some(a.to_string()),
        (Some(a), Some(b)) => Some(format!("{a}–{b}")),
        _ => None,
    };
    let apps = model.apps_loc.filter(|l| l.file.0 == 0);
    let app_range = apps.map(|l| l.range).unwrap_or(TextRange::new(0, text_len));
    let app_range = processes.iter().fold(app_range, |r, p| enclose(r, p.range));
    symbols.push(Symbol {
        name: analysis.dir.app_name.clone(),
        detail: block,
        kind: SymbolKind::App,
        range: app_range,
        selection: apps.map(|l| l.range).unwrap_or(app_range),
        children: processes,
    });
    symbols
}

fn enclose(a: TextRange, b: TextRange) -> TextRange {
    TextRange::new(a.start.min(b.start) as usize, a.end.max(b.end) as usize)
}

/// A process name anywhere in the workspace, for "go to symbol in workspace".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkspaceSymbol {
    /// The process name.
    pub name: String,
    /// The app it belongs to.
    pub app: String,
    /// Its file.
    pub path: PathBuf,
    /// Where the name is.
    pub range: TextRange,
}

/// The process names of every file summary matching `query` (case-insensitive subsequence, as editors
/// filter), in file order.
pub fn workspace_symbols(
    files: &[(&Path, &crate::rules::FileReport)],
    query: &str,
) -> Vec<WorkspaceSymbol> {
    let query: Vec<char> = query.to_lowercase().chars().collect();
    let matches = |name: &str| {
        let mut wanted = query.iter().peekable();
        for c in name.to_lowercase().chars() {
            if wanted.peek() == Some(&&c) {
                wanted.next();
            }
        }
        wanted.peek().is_none()
    };
    let mut out = Vec::new();
    for (path, report) in files {
        for process in &report.summary.processes {
            let Some(name) = &process.name else { continue };
            if matches(name) {
                out.push(WorkspaceSymbol {
                    name: name.clone(),
                    app: report.summary.app_name.clone(),
                    path: path.to_path_buf(),
                    range: process.range,
                });
            }
        }
    }
    out
}
