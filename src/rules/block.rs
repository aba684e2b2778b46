//! An app's block (spec §6): first to last of the ports the app serves inside the range it belongs to —
//! PortOS's range for its role under the convention, every served port in a plain project — its own gaps
//! included. One notion for `port-gap`, the allocator (`next`, completion, quick fixes), the port map and
//! hover, so none of them can call one app's block by two names.

use super::AppSummary;
use crate::config::{Config, PortRange, RangeKind, Role};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// Where an app's block may lie.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Under PortOS's convention: the range of the app's role (the user range for a user app).
    Range(PortRange),
    /// In a plain PM2 project: every port the app serves, wherever it is.
    Everywhere,
}

impl Scope {
    /// The scope of an app with `role`, with PortOS's convention on or off.
    pub fn of(config: &Config, role: Role, convention: bool) -> Scope {
        if convention {
            Scope::Range(config.range(range_kind(role)))
        } else {
            Scope::Everywhere
        }
    }

    /// Whether `port` can be part of a block in this scope.
    pub fn contains(self, port: u16) -> bool {
        match self {
            Scope::Range(range) => range.contains(port),
            Scope::Everywhere => true,
        }
    }

    /// The range, under the convention.
    pub fn range(self) -> Option<PortRange> {
        match self {
            Scope::Range(range) => Some(range),
            Scope::Everywhere => None,
        }
    }
}

/// The range an app of `role` belongs in under PortOS's convention.
pub fn range_kind(role: Role) -> RangeKind {
    match role {
        Role::Core => RangeKind::Core,
        Role::Extension => RangeKind::Reserved,
        Role::User => RangeKind::User,
    }
}

/// The block of an app serving `served`: first to last of those inside `scope`, `None` when none is.
pub fn block(served: impl IntoIterator<Item = u16>, scope: Scope) -> Option<(u16, u16)> {
    let mut bounds: Option<(u16, u16)> = None;
    for port in served.into_iter().filter(|p| scope.contains(*p)) {
        bounds = Some(match bounds {
            None => (port, port),
            Some((low, high)) => (low.min(port), high.max(port)),
        });
    }
    bounds
}

/// One app's block, as the workspace sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppBlock {
    /// The app's name.
    pub name: String,
    /// Its first and last port.
    pub bounds: (u16, u16),
    /// The ports of the block it serves or connects to: the rest are its gaps.
    pub held: BTreeSet<u16>,
}

/// Every app's block in a workspace, by app directory: the served ports of every file of the directory (its
/// variants are one app), under each app's own role.
pub fn blocks(
    summaries: &[&AppSummary],
    config: &Config,
    convention: bool,
) -> BTreeMap<PathBuf, AppBlock> {
    let mut served: BTreeMap<&PathBuf, (&AppSummary, BTreeSet<u16>, BTreeSet<u16>)> =
        BTreeMap::new();
    for summary in summaries {
        let entry = served
            .entry(&summary.app_dir)
            .or_insert_with(|| (summary, BTreeSet::new(), BTreeSet::new()));
        // A static server's port is taken inside the block, not part of it.
        for served in &summary.served {
            let set = if served.beside_block {
                &mut entry.2
            } else {
                &mut entry.1
            };
            set.insert(served.port);
        }
        entry.2.extend(summary.connects.iter().map(|c| c.port));
    }
    served
        .into_iter()
        .filter_map(|(dir, (summary, ports, connects))| {
            let scope = Scope::of(config, summary.role, convention);
            let bounds = block(ports.iter().copied(), scope)?;
            let held = ports
                .union(&connects)
                .copied()
                .filter(|p| (bounds.0..=bounds.1).contains(p))
                .collect();
            Some((
                dir.clone(),
                AppBlock {
                    name: summary.app_name.clone(),
                    bounds,
                    held,
                },
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_is_first_to_last_inside_its_scope() {
        let user = Scope::Range(PortRange::new(5570, 5599));
        assert_eq!(block([5574, 5565, 5578, 5573], user), Some((5573, 5578)));
        assert_eq!(block([80, 6100], user), None);
        assert_eq!(block([4001, 4000], Scope::Everywhere), Some((4000, 4001)));
        assert_eq!(block([], Scope::Everywhere), None);
    }
}
