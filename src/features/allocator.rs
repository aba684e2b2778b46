//! The allocator: which port(s) an app should take next, and why each one is free (spec §6).

use crate::config::PortRange;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Who holds each occupied port, so the answer can say why a port was skipped.
#[derive(Clone, Debug, Default)]
pub struct Occupied {
    holders: BTreeMap<u16, Vec<String>>,
}

impl Occupied {
    /// Marks `port` as held by `who`.
    pub fn add(&mut self, port: u16, who: impl Into<String>) {
        let who = who.into();
        let holders = self.holders.entry(port).or_default();
        if !holders.contains(&who) {
            holders.push(who);
        }
    }

    /// Whether anything holds `port`.
    pub fn contains(&self, port: u16) -> bool {
        self.holders.contains_key(&port)
    }

    /// Who holds `port`.
    pub fn holders(&self, port: u16) -> &[String] {
        self.holders.get(&port).map(Vec::as_slice).unwrap_or(&[])
    }
}

/// One port the allocator offers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Offer {
    /// The port.
    pub port: u16,
    /// Why this one: where it sits relative to the app's block, and that nothing holds it.
    pub reason: String,
}

/// The allocator's answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Allocation {
    /// The ports, in the order to use them.
    pub offers: Vec<Offer>,
    /// The app's current block, `[first, last]`, if it has ports.
    pub block: Option<(u16, u16)>,
    /// Set when the app would have to move to get contiguous room, or when nothing is free.
    pub note: Option<String>,
}

/// Where the allocator looks for ports.
#[derive(Clone, Copy, Debug)]
pub enum Room<'a> {
    /// Under PortOS's convention: the range the app belongs in.
    Range {
        /// The range (the user range for a user app).
        range: PortRange,
        /// What to call it in a reason: "PortOS's user range".
        name: &'a str,
        /// The setting that widens it, named when nothing is free.
        setting: &'a str,
    },
    /// In a plain PM2 project: next to the app's block wherever it is, never a privileged port; a new app
    /// after `highest`, the highest port any app of the workspace serves. PortOS's ranges are never spoken of.
    Anywhere {
        /// The highest port any app of the workspace serves.
        highest: Option<u16>,
    },
}

/// The ports a plain project's allocator may hand out: never a privileged one.
const UNPRIVILEGED: PortRange = PortRange::new(1024, u16::MAX);

/// Where a plain project's new app starts looking when no app serves a port yet: Node's usual first port (a
/// common one, skipped).
const PLAIN_START: u16 = 3000;

impl Room<'_> {
    fn range(&self) -> PortRange {
        match self {
            Room::Range { range, .. } => *range,
            Room::Anywhere { .. } => UNPRIVILEGED,
        }
    }
}

/// What the allocator needs to know about the app asking.
pub struct Request<'a> {
    /// The app's name, for the reasons.
    pub app: &'a str,
    /// The ports its block is made of: those it serves inside its range (every one it serves in a plain
    /// project).
    pub own: &'a BTreeSet<u16>,
    /// The ports the app serves outside its range (they are no block to grow, but the app is not new).
    pub outside: &'a BTreeSet<u16>,
    /// Where to look.
    pub room: Room<'a>,
    /// How many ports.
    pub count: usize,
}

/// Picks ports in the one order spec §6 gives (for `next`, completion and quick fixes alike): a gap inside the
/// app's block, then the ports right after the block, then the ports right before it; an app with no ports in
/// its range gets the first free run of the range; an app whose block cannot grow either way gets the first
/// free run big enough to move to, with a note that it would move. In a plain project the same order holds
/// around the block, skipping taken ports instead of stopping at them, and a new app gets the first free run
/// after the highest port the workspace serves.
pub fn allocate(request: &Request, occupied: &Occupied) -> Allocation {
    let Request {
        app, own, count, ..
    } = *request;
    let count = count.max(1);
    let range = request.room.range();
    let free = |port: u16| range.contains(port) && !occupied.contains(port) && !own.contains(&port);
    let (Some(&low), Some(&high)) = (own.first(), own.last()) else {
        return match request.room {
            Room::Range { .. } => new_app(request, count, &free),
            Room::Anywhere { highest } => new_plain_app(app, highest, count, &free),
        };
    };
    // In a plain project a taken port beside the block is stepped over; in PortOS's range the block must
    // stay one run, so the search stops there.
    let step_over = matches!(request.room, Room::Anywhere { .. });
    let block = span(low, high);
    let whose = possessive(app);
    let mut offers = Vec::new();
    for port in low..=high {
        if offers.len() < count && !own.contains(&port) && free(port) {
            offers.push(Offer {
                port,
                reason: format!("fills the gap in {whose} block {block}; nothing else uses it"),
            });
        }
    }
    let mut next = high.checked_add(1);
    while offers.len() < count {
        match next {
            Some(port) if free(port) => {
                let place = if port == high + 1 {
                    "right after"
                } else {
                    "after"
                };
                offers.push(Offer {
                    port,
                    reason: format!("{place} {whose} block {block}; nothing else uses it"),
                });
                next = port.checked_add(1);
            }
            Some(port) if step_over && range.contains(port) => next = port.checked_add(1),
            _ => break,
        }
    }
    // The block grows downwards when the ports before it are free: still one block, nothing moves.
    let mut previous = low.checked_sub(1);
    while offers.len() < count {
        match previous {
            Some(port) if free(port) => {
                let place = if port + 1 == low {
                    "right before"
                } else {
                    "before"
                };
                offers.push(Offer {
                    port,
                    reason: format!("{place} {whose} block {block}; nothing else uses it"),
                });
                previous = port.checked_sub(1);
            }
            Some(port) if step_over && range.contains(port) => previous = port.checked_sub(1),
            _ => break,
        }
    }
    if offers.len() == count {
        return Allocation {
            offers,
            block: Some((low, high)),
            note: None,
        };
    }
    let Room::Range {
        name: range_name,
        setting: range_setting,
        ..
    } = request.room
    else {
        return Allocation {
            note: Some(format!(
                "no {} free port{} next to {whose} block {block}",
                if count == 1 {
                    String::new()
                } else {
                    format!("{count} ")
                },
                if count == 1 { "" } else { "s" }
            )),
            offers,
            block: Some((low, high)),
        };
    };
    // No room on either side: the whole block plus the new ports must move to a free run.
    let size = usize::from(high - low) + 1 + count;
    let Some(start) = first_free_run(range, size, &|p| {
        free(p) || own.contains(&p) && range.contains(p)
    }) else {
        return exhausted(Some((low, high)), range, range_setting, count);
    };
    let end = (start as usize + size - 1) as u16;
    let run = span(start, end);
    let offers = (0..count)
        .map(|i| {
            let port = start + (size - count + i) as u16;
            Offer {
                port,
                reason: format!(
                    "{whose} block {block} has no free port beside it; {run} is the first free run of {size} \
                     ports in {range_name} {}",
                    span(range.first, range.last)
                ),
            }
        })
        .collect();
    Allocation {
        offers,
        block: Some((low, high)),
        note: Some(format!(
            "{app} would have to move its block to {run} to stay contiguous"
        )),
    }
}

/// A new app in a plain project: the first free run after the highest port the workspace serves (from
/// [`PLAIN_START`] when none does).
fn new_plain_app(
    app: &str,
    highest: Option<u16>,
    count: usize,
    free: &dyn Fn(u16) -> bool,
) -> Allocation {
    let start = match highest {
        Some(port) => port.saturating_add(1),
        None => PLAIN_START,
    };
    let after = PortRange::new(start.max(UNPRIVILEGED.first), UNPRIVILEGED.last);
    let Some(first) = first_free_run(after, count, free) else {
        return Allocation {
            offers: Vec::new(),
            block: None,
            note: Some(format!(
                "no {count} free contiguous port{} after {start}",
                if count == 1 { "" } else { "s" }
            )),
        };
    };
    let what = if count == 1 {
        format!("{first} is the first free port")
    } else {
        format!(
            "{} is the first free run of {count} ports",
            span(first, first + (count - 1) as u16)
        )
    };
    let why = match highest {
        Some(port) => format!(
            "{app} has no ports yet; the workspace's apps serve ports up to {port}, and {what} after them"
        ),
        None => format!(
            "{app} has no ports yet, nor does any app of the workspace; {what} from {PLAIN_START} that no \
             common tool takes"
        ),
    };
    Allocation {
        offers: (0..count)
            .map(|i| Offer {
                port: first + i as u16,
                reason: why.clone(),
            })
            .collect(),
        block: None,
        note: None,
    }
}

/// `5570–5572`, or `5570` for a single port.
pub fn span(first: u16, last: u16) -> String {
    if first == last {
        first.to_string()
    } else {
        format!("{first}–{last}")
    }
}

/// `shop's`, `notes'`.
pub fn possessive(name: &str) -> String {
    if name.ends_with('s') || name.ends_with('S') {
        format!("{name}'")
    } else {
        format!("{name}'s")
    }
}

/// The first free run of the range, for an app with no port in it.
fn new_app(request: &Request, count: usize, free: &dyn Fn(u16) -> bool) -> Allocation {
    let Request { app, outside, .. } = *request;
    let Room::Range {
        range,
        name: range_name,
        setting: range_setting,
    } = request.room
    else {
        return exhausted(None, request.room.range(), "", count);
    };
    let Some(start) = first_free_run(range, count, free) else {
        return exhausted(None, range, range_setting, count);
    };
    let whole = span(range.first, range.last);
    // Name the range once: after "outside the range", "in it" says the rest.
    let within = if outside.is_empty() {
        format!("in {range_name} {whole}")
    } else {
        "in it".to_string()
    };
    let first = if count == 1 {
        format!("{start} is the first free port {within}")
    } else {
        format!(
            "{} is the first free run of {count} ports {within}",
            span(start, start + (count - 1) as u16)
        )
    };
    let why = if outside.is_empty() {
        format!("{app} has no ports yet")
    } else {
        let list: Vec<String> = outside.iter().map(u16::to_string).collect();
        let (noun, verb) = if outside.len() == 1 {
            ("port", "is")
        } else {
            ("ports", "are")
        };
        format!(
            "{} {noun} ({}) {verb} outside {range_name} {whole}",
            possessive(app),
            list.join(", ")
        )
    };
    let offers = (0..count)
        .map(|i| Offer {
            port: start + i as u16,
            reason: format!("{why}; {first}"),
        })
        .collect();
    Allocation {
        offers,
        block: None,
        note: None,
    }
}

fn exhausted(
    block: Option<(u16, u16)>,
    range: PortRange,
    setting: &str,
    count: usize,
) -> Allocation {
    let what = if count == 1 {
        "no free port".to_string()
    } else {
        format!("no {count} free contiguous ports")
    };
    Allocation {
        offers: Vec::new(),
        block,
        note: Some(format!(
            "{what} in {}; widen the range with `{setting}` in portos-lsp.toml",
            span(range.first, range.last)
        )),
    }
}

/// The first port of the first run of `size` ports in `range` that all satisfy `ok`.
fn first_free_run(range: PortRange, size: usize, ok: &dyn Fn(u16) -> bool) -> Option<u16> {
    let mut run_start: Option<u16> = None;
    let mut run_len = 0usize;
    for port in range.first..=range.last {
        if ok(port) {
            let start = *run_start.get_or_insert(port);
            run_len += 1;
            if run_len >= size {
                return Some(start);
            }
        } else {
            run_start = None;
            run_len = 0;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range() -> PortRange {
        PortRange {
            first: 5570,
            last: 5599,
        }
    }

    fn ask(own: &[u16], occupied: &[u16], count: usize) -> Allocation {
        ask_as("shop", own, &[], occupied, count)
    }

    fn ask_as(
        app: &str,
        own: &[u16],
        outside: &[u16],
        occupied: &[u16],
        count: usize,
    ) -> Allocation {
        let own: BTreeSet<u16> = own.iter().copied().collect();
        let outside: BTreeSet<u16> = outside.iter().copied().collect();
        let mut taken = Occupied::default();
        for &p in occupied {
            taken.add(p, "other");
        }
        allocate(
            &Request {
                app,
                own: &own,
                outside: &outside,
                room: Room::Range {
                    range: range(),
                    name: "PortOS's user range",
                    setting: "[ranges] user",
                },
                count,
            },
            &taken,
        )
    }

    fn ports(a: &Allocation) -> Vec<u16> {
        a.offers.iter().map(|o| o.port).collect()
    }

    fn ask_plain(own: &[u16], occupied: &[u16], highest: Option<u16>, count: usize) -> Allocation {
        let own: BTreeSet<u16> = own.iter().copied().collect();
        let mut taken = Occupied::default();
        for &p in occupied {
            taken.add(p, "other");
        }
        allocate(
            &Request {
                app: "api",
                own: &own,
                outside: &BTreeSet::new(),
                room: Room::Anywhere { highest },
                count,
            },
            &taken,
        )
    }

    #[test]
    fn a_plain_project_answers_next_to_the_block_and_never_speaks_of_ranges() {
        let a = ask_plain(&[4000, 4001], &[], Some(4001), 1);
        assert_eq!(ports(&a), vec![4002]);
        assert_eq!(
            a.offers[0].reason,
            "right after api's block 4000–4001; nothing else uses it"
        );
        // Taken ports after the block are stepped over, not a reason to move.
        let a = ask_plain(&[4000, 4001], &[4002, 4003], Some(4001), 1);
        assert_eq!(ports(&a), vec![4004]);
        assert!(a.note.is_none());
        // A gap inside the block first.
        let a = ask_plain(&[4000, 4002], &[], Some(4002), 1);
        assert_eq!(ports(&a), vec![4001]);
        // A new app: after the highest port the workspace serves.
        let a = ask_plain(&[], &[8080, 8081], Some(8080), 1);
        assert_eq!(ports(&a), vec![8082]);
        let a = ask_plain(&[], &[3000, 3001], None, 2);
        assert_eq!(ports(&a), vec![3002, 3003]);
        for a in [
            ask_plain(&[4000, 4001], &[], Some(4001), 3),
            ask_plain(&[], &[], Some(4001), 1),
            ask_plain(&[], &[], None, 1),
        ] {
            for offer in &a.offers {
                assert!(!offer.reason.contains("PortOS"), "{offer:?}");
                assert!(!offer.reason.contains("range"), "{offer:?}");
            }
        }
    }

    #[test]
    fn a_gap_in_the_block_comes_first() {
        let a = ask(&[5570, 5572], &[], 1);
        assert_eq!(ports(&a), vec![5571]);
        assert!(a.offers[0].reason.contains("gap"));
    }

    #[test]
    fn then_right_after_the_block() {
        let a = ask(&[5570, 5571], &[], 2);
        assert_eq!(ports(&a), vec![5572, 5573]);
        assert!(a.note.is_none());
    }

    #[test]
    fn a_new_app_gets_the_first_free_run() {
        let a = ask(&[], &[5570, 5571, 5573], 2);
        assert_eq!(ports(&a), vec![5574, 5575]);
    }

    #[test]
    fn no_room_after_the_block_means_moving() {
        let a = ask(&[5570, 5571], &[5572, 5576], 1);
        assert_eq!(ports(&a), vec![5575]);
        assert!(a.note.as_deref().unwrap().contains("5573–5575"), "{a:?}");
    }

    #[test]
    fn nothing_free_names_the_setting() {
        let all: Vec<u16> = (5570..=5599).collect();
        let a = ask(&[], &all, 1);
        assert!(a.offers.is_empty());
        assert!(a.note.unwrap().contains("[ranges] user"));
    }

    #[test]
    fn a_block_grows_downwards_before_it_moves() {
        // 5577 is taken after the block, 5574 before it is free: the block grows down, nothing moves.
        let a = ask(&[5575, 5576], &[5577], 1);
        assert_eq!(ports(&a), vec![5574]);
        assert!(a.offers[0].reason.contains("right before"), "{a:?}");
        assert!(a.note.is_none(), "{a:?}");
        // After first, then before: still one block.
        let a = ask(&[5575, 5576], &[5578], 2);
        assert_eq!(ports(&a), vec![5577, 5574]);
        assert!(a.note.is_none(), "{a:?}");
        // Neither side has room for two: the block moves.
        let a = ask(&[5571, 5572], &[5570, 5573], 1);
        assert_eq!(ports(&a), vec![5576]);
        assert!(a.note.unwrap().contains("5574–5576"));
    }

    #[test]
    fn reasons_read_well() {
        let a = ask(&[], &[], 1);
        let reason = &a.offers[0].reason;
        assert_eq!(
            reason,
            "shop has no ports yet; 5570 is the first free port in PortOS's user range 5570–5599"
        );
        let a = ask_as("notes", &[5580], &[], &[], 1);
        assert_eq!(
            a.offers[0].reason,
            "right after notes' block 5580; nothing else uses it"
        );
        // An app whose ports all lie outside the range is not new.
        let a = ask_as("web", &[], &[3000, 8080], &[], 1);
        let reason = &a.offers[0].reason;
        assert!(!reason.contains("no ports yet"), "{reason}");
        assert!(
            reason
                .starts_with("web's ports (3000, 8080) are outside PortOS's user range 5570–5599"),
            "{reason}"
        );
        for a in [
            ask(&[], &[], 1),
            ask(&[5570], &[], 1),
            ask(&[5571], &[5572], 1),
        ] {
            for offer in &a.offers {
                assert!(!offer.reason.contains("5570–5570"), "{offer:?}");
                assert!(!offer.reason.contains("5571–5571"), "{offer:?}");
            }
        }
    }
}
