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
    /// The ports the app serves now.
    pub own: &'a BTreeSet<u16>,
    /// The range the app should live in (the user range for a user app).
    pub range: PortRange,
    /// The setting that widens `range`, named when nothing is free.
    pub range_setting: &'a str,
    /// How many ports.
    pub count: usize,
}

/// Picks ports: gaps in the app's block first, then right after the block, then (for a new app) the first
/// free run of the range; an app with no room after its block gets the first free run big enough to move to.
pub fn allocate(request: &Request, occupied: &Occupied) -> Allocation {
    let Request {
        app,
        own,
        range,
        range_setting,
        count,
    } = *request;
    let count = count.max(1);
    let free = |port: u16| range.contains(port) && !occupied.contains(port) && !own.contains(&port);
    let (Some(&low), Some(&high)) = (own.first(), own.last()) else {
        return new_app(app, range, range_setting, count, &free);
    };
    let mut offers = Vec::new();
    for port in low..=high {
        if offers.len() < count && !own.contains(&port) && free(port) {
            offers.push(Offer {
                port,
                reason: format!(
                    "fills the gap in {app}'s block {low}–{high}; nothing else uses it"
                ),
            });
        }
    }
    let mut next = high.checked_add(1);
    while offers.len() < count {
        match next {
            Some(port) if free(port) => {
                offers.push(Offer {
                    port,
                    reason: format!("right after {app}'s block {low}–{high}; nothing else uses it"),
                });
                next = port.checked_add(1);
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
    // No room after the block: the whole block plus the new ports must move to a free run.
    let size = usize::from(high - low) + 1 + count;
    let Some(start) = first_free_run(range, size, &|p| {
        free(p) || own.contains(&p) && range.contains(p)
    }) else {
        return exhausted(Some((low, high)), range, range_setting, count);
    };
    let offers = (0..count)
        .map(|i| {
            let port = start + (size - count + i) as u16;
            Offer {
                port,
                reason: format!(
                    "{app}'s block {low}–{high} has no free port after it; {start}–{} is the first free run of {size} ports",
                    start as usize + size - 1
                ),
            }
        })
        .collect();
    Allocation {
        offers,
        block: Some((low, high)),
        note: Some(format!(
            "{app} would have to move its block to {start}–{} to stay contiguous",
            start as usize + size - 1
        )),
    }
}

fn new_app(
    app: &str,
    range: PortRange,
    setting: &str,
    count: usize,
    free: &dyn Fn(u16) -> bool,
) -> Allocation {
    if let Some(start) = first_free_run(range, count, free) {
        let offers = (0..count)
            .map(|i| Offer {
                port: start + i as u16,
                reason: format!(
                    "{app} has no ports yet; {start}–{} is the first free run in {}–{}",
                    start as usize + count - 1,
                    range.first,
                    range.last
                ),
            })
            .collect();
        return Allocation {
            offers,
            block: None,
            note: None,
        };
    }
    exhausted(None, range, setting, count)
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
            "{what} in {}–{}; widen the range with `{setting}` in portos-lsp.toml",
            range.first, range.last
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
        let own: BTreeSet<u16> = own.iter().copied().collect();
        let mut taken = Occupied::default();
        for &p in occupied {
            taken.add(p, "other");
        }
        allocate(
            &Request {
                app: "shop",
                own: &own,
                range: range(),
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
}
