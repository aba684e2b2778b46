//! The allocator's view of a workspace: which ports are taken and by whom, and which the asking app owns.
//! One function for `next`, completion and quick fixes alike, so the three never disagree.

use super::allocator::{self, Allocation, Occupied, Request};
use crate::config::{Config, RangeKind, Role};
use crate::rules::{AppSummary, ExternalPorts};
use std::collections::BTreeSet;
use std::path::Path;

/// What the workspace holds, as seen by one app.
#[derive(Clone, Debug)]
pub struct AppPorts {
    /// Ports held by everything but the app (other apps, its own connects-to ports, PortOS's core table,
    /// common ports, the registry, listening sockets), each with its holder.
    pub occupied: Occupied,
    /// The ports the app serves or reserves in its `PORTS` table.
    pub own: BTreeSet<u16>,
    /// The app's role: configured, else inferred from its file, else user.
    pub role: Role,
    /// The app's name.
    pub name: String,
}

/// Builds the occupied set for the app in `app_dir` from every file summary of its workspace.
pub fn app_ports(
    app_dir: &Path,
    app_name: &str,
    summaries: &[&AppSummary],
    config: &Config,
    external: &ExternalPorts,
) -> AppPorts {
    let mut occupied = Occupied::default();
    let mut own = BTreeSet::new();
    let mut role = config.app_role;
    for summary in summaries {
        let is_own = summary.app_dir == app_dir;
        if is_own && role.is_none() {
            role = Some(summary.role);
        }
        for served in &summary.served {
            if is_own {
                own.insert(served.port);
            } else {
                occupied.add(
                    served.port,
                    format!(
                        "{} ({}) of app {}",
                        served.process, served.label, summary.app_name
                    ),
                );
            }
        }
        for held in &summary.connects {
            let who = if is_own {
                // The app's own connects-to ports (a database it runs beside) are not free either.
                format!("{} connects to it ({})", held.process, held.label)
            } else {
                format!(
                    "{} ({}) of app {}",
                    held.process, held.label, summary.app_name
                )
            };
            occupied.add(held.port, who);
        }
        for (entry, port) in &summary.table {
            if is_own {
                own.insert(*port);
            } else {
                occupied.add(*port, format!("{entry} of app {}", summary.app_name));
            }
        }
    }
    for (port, owner) in &config.core_ports {
        occupied.add(*port, owner.party());
    }
    for (port, owner) in &config.common_ports {
        occupied.add(*port, format!("commonly used by {owner}"));
    }
    for (port, owner) in &external.registry {
        occupied.add(*port, format!("{owner} (PortOS registry)"));
    }
    for port in &external.listening {
        occupied.add(*port, "listening on this machine");
    }
    AppPorts {
        occupied,
        own,
        role: role.unwrap_or(Role::User),
        name: app_name.to_string(),
    }
}

impl AppPorts {
    /// The range the app should live in and the setting that widens it.
    pub fn range(&self, config: &Config) -> (crate::config::PortRange, &'static str) {
        let (kind, setting) = match self.role {
            Role::Core => (RangeKind::Core, "[ranges] core"),
            Role::Extension => (RangeKind::Reserved, "[ranges] reserved"),
            Role::User => (RangeKind::User, "[ranges] user"),
        };
        (config.range(kind), setting)
    }

    /// What to call the app's range in a reason: "PortOS's user range".
    pub fn range_name(&self) -> &'static str {
        match self.role {
            Role::Core => "PortOS's core range",
            Role::Extension => "PortOS's range reserved for extensions",
            Role::User => "PortOS's user range",
        }
    }

    /// The allocator's answer for `count` ports.
    pub fn allocate(&self, config: &Config, count: usize) -> Allocation {
        let (range, setting) = self.range(config);
        let (own_in_range, outside): (BTreeSet<u16>, BTreeSet<u16>) =
            self.own.iter().partition(|p| range.contains(**p));
        let request = Request {
            app: &self.name,
            own: &own_in_range,
            outside: &outside,
            range,
            range_name: self.range_name(),
            range_setting: setting,
            count,
        };
        allocator::allocate(&request, &self.occupied)
    }
}

impl AppPorts {
    /// The allocator's first answer followed by further free ports of the app's range, `limit` in all, each
    /// with why it is free: what completion offers, in that order.
    pub fn offers(&self, config: &Config, limit: usize) -> Vec<allocator::Offer> {
        let mut offers = self.allocate(config, 1).offers;
        let (range, _) = self.range(config);
        let kind = match self.role {
            Role::Core => "core range",
            Role::Extension => "range reserved for extensions",
            Role::User => "user range",
        };
        let start = offers
            .first()
            .map(|o| o.port)
            .or_else(|| {
                self.own
                    .iter()
                    .copied()
                    .filter(|p| range.contains(*p))
                    .max()
            })
            .unwrap_or(range.first);
        let taken = |p: u16| self.occupied.contains(p) || self.own.contains(&p);
        let mut candidates: Vec<u16> = (start..=range.last).chain(range.first..start).collect();
        candidates.retain(|p| range.contains(*p) && !taken(*p));
        for port in candidates {
            if offers.len() >= limit {
                break;
            }
            if offers.iter().any(|o| o.port == port) {
                continue;
            }
            offers.push(allocator::Offer {
                port,
                reason: format!(
                    "free in PortOS's {kind} {}–{}; nothing else uses it",
                    range.first, range.last
                ),
            });
        }
        offers
    }
}
