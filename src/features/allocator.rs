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

/// What the allocator needs to know about the app asking.
pub struct Request<'a> {
    /// The app's name, for the reasons.
    pub app: &'a str,
    /// The ports the app serves now inside `range`.
    pub own: &'a BTreeSet<u16>,
    /// The ports the app serves outside `range` (they are no block to grow, but the app is not new).
    pub outside: &'a BTreeSet<u16>,
    /// The range the app should live in (the user range for a user app).
    pub range: PortRange,
    /// What to call `range` in a reason: "PortOS's user range".
    pub range_name: &'a str,
    /// The setting that widens `range`, named when nothing is free.
    pub range_setting: &'a str,
    /// How many ports.
    pub count: usize,
}

/// Picks ports in the one order spec §6 gives (for `next`, completion and quick fixes alike): a gap inside the
/// app's block, then the ports right after the block, then the ports right before it; an app with no ports in
/// its range gets the first free run of the range; an app whose block cannot grow either way gets the first
/// free run big enough to move to, with a note that it would move.
pub fn allocate(request: &Request, occupied: &Occupied) -> Allocation {
    let Request {
        app,
        own,
        range,
        range_name,
        range_setting,
        count,
        ..
    } = *request;
    let count = count.max(1);
    let free = |port: u16| range.contains(port) && !occupied.contains(port) && !own.contains(&port);
    let (Some(&low), Some(&high)) = (own.first(), own.last()) else {
        return new_app(request, count, &free);
    };
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
                offers.push(Offer {
                    port,
                    reason: format!("right after {whose} block {block}; nothing else uses it"),
                });
                next = port.checked_add(1);
            }
            _ => break,
        }
    }
    // The block grows downwards when the ports before it are free: still one block, nothing moves.
    let mut previous = low.checked_sub(1);
    while offers.len() < count {
        match previous {
            Some(port) if free(port) => {
                offers.push(Offer {
                    port,
                    reason: format!("right before {whose} block {block}; nothing else uses it"),
                });
                previous = port.checked_sub(1);
            }
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
    let Request {
        app,
        outside,
        range,
        range_name,
        range_setting,
        ..
    } = *request;
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
                range: range(),
                range_name: "PortOS's user range",
                range_setting: "[ranges] user",
                count,
            },
            &taken,
        )
    }

    fn ports(a: &Allocation) -> Vec<u16> {
        a.offers.iter().map(|o| o.port).collect()
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
