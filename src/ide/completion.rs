//! Completion of port values: wherever a port is typed (a `PORTS` entry, an env `*_PORT`, a `ports` entry,
//! after `--port `), the allocator's answer first, then the next few free ports, each saying why it is free.
//! PM2's option keys and values are completed by [`super::pm2_help`] into the same items.

use crate::analysis::Analysis;
use crate::features::allocator::Offer;
use crate::syntax::{LineIndex, TextRange};

/// What an item completes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompletionKind {
    /// A free port.
    Port,
    /// A PM2 option key.
    Option,
    /// An enumerated value of a PM2 option.
    Value,
}

/// One item to offer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Completion {
    /// What the list shows (the port, the option's name, the value as written).
    pub label: String,
    /// What it completes.
    pub kind: CompletionKind,
    /// One line beside it: why a port is free, what an option does.
    pub detail: String,
    /// More, in Markdown, when there is more to say.
    pub documentation: Option<String>,
    /// Keeps our order (`00`, `01`, …) whatever the client sorts by.
    pub sort_text: String,
    /// The text already typed, which the item replaces.
    pub replace: TextRange,
    /// What replaces it.
    pub insert: String,
    /// The first answer.
    pub preselect: bool,
}

/// Where a port value is being typed, if at `offset` one is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortSlot {
    /// The digits typed so far (possibly empty), to be replaced.
    pub typed: TextRange,
    /// What the slot is: `PORTS` entry, env key, `ports` entry or `--port`.
    pub kind: SlotKind,
}

/// The kinds of place a port is typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SlotKind {
    /// An entry of the top-level `PORTS` table.
    Table,
    /// A `PORT` / `*_PORT` env key.
    EnvKey(String),
    /// An entry of a process's `ports` map.
    PortsMap,
    /// After `--port` in args.
    PortFlag,
}

/// Finds the port slot at `offset`: the text before it on its line, and whether it sits in the `PORTS`
/// table or a `ports` map of the analysis.
pub fn slot_at(analysis: &Analysis, offset: usize) -> Option<PortSlot> {
    let text = analysis.model.text();
    let offset = offset.min(text.len());
    if !text.is_char_boundary(offset) {
        return None;
    }
    let index = LineIndex::new(text);
    let line = index.line_range(index.line_of(offset))?;
    let before = &text[line.start.min(offset)..offset];
    let after = &text[offset..line.end.max(offset)];
    // The digits right before and after the cursor are the value being typed.
    let digits_before = before.len() - before.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let digits_after = after.len() - after.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let typed = TextRange::new(offset - digits_before, offset + digits_after);
    let head = &before[..before.len() - digits_before];
    // `--port 55`, `--port=55`, `'--port', 55`, `['--port', '55`.
    let flag_head = head.trim_end_matches(['\'', '"', '`']).trim_end();
    let flag_head = flag_head.strip_suffix(',').unwrap_or(flag_head).trim_end();
    let flag_head = flag_head.trim_end_matches(['\'', '"', '`']);
    if head.ends_with("--port ") || head.ends_with("--port=") || flag_head.ends_with("--port") {
        return Some(PortSlot {
            typed,
            kind: SlotKind::PortFlag,
        });
    }
    // `KEY: 55` (the key possibly quoted).
    let head = head.trim_end();
    let head = head.strip_suffix(':')?.trim_end();
    let key = head
        .trim_end_matches(['\'', '"'])
        .rsplit(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
        .next()?;
    if key.is_empty() {
        return None;
    }
    let model = &analysis.model;
    let inside = |loc: crate::model::Loc| {
        loc.file.0 == 0 && (loc.range.start as usize) < offset && offset <= loc.range.end as usize
    };
    if model.ports_table().is_some_and(|t| inside(t.value.def)) {
        return Some(PortSlot {
            typed,
            kind: SlotKind::Table,
        });
    }
    if model
        .processes
        .iter()
        .filter_map(|p| p.ports_map.as_ref())
        .any(|m| !m.via_reference && inside(m.loc))
    {
        return Some(PortSlot {
            typed,
            kind: SlotKind::PortsMap,
        });
    }
    if key == "PORT" || key.ends_with("_PORT") || key == "port" {
        return Some(PortSlot {
            typed,
            kind: SlotKind::EnvKey(key.to_string()),
        });
    }
    None
}

/// The completion items for a slot from the allocator's offers, in their order.
pub fn items(slot: &PortSlot, offers: &[Offer]) -> Vec<Completion> {
    offers
        .iter()
        .enumerate()
        .map(|(i, offer)| Completion {
            label: offer.port.to_string(),
            kind: CompletionKind::Port,
            detail: offer.reason.clone(),
            documentation: None,
            sort_text: format!("{i:02}"),
            replace: slot.typed,
            insert: offer.port.to_string(),
            preselect: i == 0,
        })
        .collect()
}
