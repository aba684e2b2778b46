//! The allocator's view of a workspace: which ports are taken and by whom, and which the asking app owns.
//! One function for `next`, completion and quick fixes alike, so the three never disagree.

use super::allocator::{self, Allocation, Occupied, Request, Room};
use crate::config::{Config, Role};
use crate::rules::block::{self, Scope};
use crate::rules::{AppSummary, ExternalPorts};
use std::collections::BTreeSet;
use std::path::Path;

/// What the workspace holds, as seen by one app.
#[derive(Clone, Debug)]
pub struct AppPorts {
    /// Ports held by everything but the app's own served ports (other apps, the gaps of their blocks under
    /// PortOS's convention, every connects-to port, the app's own unused `PORTS` entries, PortOS's core
    /// table, common ports, the registry, listening sockets), each with its holder.
    pub occupied: Occupied,
    /// The ports the app serves: its block is made of them.
    pub own: BTreeSet<u16>,
    /// The app's role: configured, else inferred from its file, else user.
    pub role: Role,
    /// The app's name.
    pub name: String,
    /// Whether PortOS's convention applies: its ranges, or a plain project's room anywhere.
    pub convention: bool,
    /// The highest port any app of the workspace serves: where a plain project's new app goes after.
    pub highest: Option<u16>,
}

/// Builds the occupied set for the app in `app_dir` from every file summary of its workspace, under the
/// workspace's decision on PortOS's convention.
pub fn app_ports(
    app_dir: &Path,
    app_name: &str,
    summaries: &[&AppSummary],
    config: &Config,
    external: &ExternalPorts,
    convention: bool,
) -> AppPorts {
    let mut occupied = Occupied::default();
    let mut own = BTreeSet::new();
    let mut role = config.app_role;
    let mut highest: Option<u16> = None;
    for summary in summaries {
        let is_own = summary.app_dir == app_dir;
        if is_own && role.is_none() {
            role = Some(summary.role);
        }
        for served in &summary.served {
            highest = highest.max(Some(served.port));
            if is_own && !served.beside_block {
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
            // A `PORTS` entry is reserved for its app even before a process uses it; it is no part of the
            // block until one does.
            occupied.add(*port, format!("{entry} of app {}", summary.app_name));
        }
    }
    if convention {
        // No app is handed a port inside another app's block: that would interleave the two.
        for (dir, block) in block::blocks(summaries, config, true) {
            if dir == app_dir {
                continue;
            }
            let (first, last) = block.bounds;
            for port in (first..=last).filter(|p| !block.held.contains(p)) {
                occupied.add(
                    port,
                    format!(
                        "inside {} block {}",
                        allocator::possessive(&block.name),
                        allocator::span(first, last)
                    ),
                );
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
        convention,
        highest,
    }
}

impl AppPorts {
    /// Where the app's block may lie: its range under the convention, anywhere in a plain project.
    pub fn scope(&self, config: &Config) -> Scope {
        Scope::of(config, self.role, self.convention)
    }

    /// The range the app should live in and the setting that widens it.
    pub fn range(&self, config: &Config) -> (crate::config::PortRange, &'static str) {
        let setting = match self.role {
            Role::Core => "[ranges] core",
            Role::Extension => "[ranges] reserved",
            Role::User => "[ranges] user",
        };
        (config.range(block::range_kind(self.role)), setting)
    }

    /// What to call the app's range in a reason: "PortOS's user range".
    pub fn range_name(&self) -> &'static str {
        match self.role {
            Role::Core => "PortOS's core range",
            Role::Extension => "PortOS's range reserved for extensions",
            Role::User => "PortOS's user range",
        }
    }

    /// The app's block: first to last of its served ports in its scope.
    pub fn block(&self, config: &Config) -> Option<(u16, u16)> {
        block::block(self.own.iter().copied(), self.scope(config))
    }

    /// The allocator's answer for `count` ports.
    pub fn allocate(&self, config: &Config, count: usize) -> Allocation {
        let scope = self.scope(config);
        let (own_in_scope, outside): (BTreeSet<u16>, BTreeSet<u16>) =
            self.own.iter().partition(|p| scope.contains(**p));
        let (range, setting) = self.range(config);
        let room = if self.convention {
            Room::Range {
                range,
                name: self.range_name(),
                setting,
            }
        } else {
            Room::Anywhere {
                highest: self.highest,
            }
        };
        let request = Request {
            app: &self.name,
            own: &own_in_scope,
            outside: &outside,
            room,
            count,
        };
        allocator::allocate(&request, &self.occupied)
    }
}

impl AppPorts {
    /// The allocator's first answer followed by further free ports, `limit` in all, each with why it is free:
    /// what completion offers, in that order. Under the convention the further ports are those of the app's
    /// range; in a plain project the free ports after the first answer.
    pub fn offers(&self, config: &Config, limit: usize) -> Vec<allocator::Offer> {
        let mut offers = self.allocate(config, 1).offers;
        let taken = |p: u16| self.occupied.contains(p) || self.own.contains(&p);
        if !self.convention {
            let mut port = offers
                .first()
                .map(|o| o.port)
                .or(self.highest)
                .unwrap_or(3000);
            while offers.len() < limit && port < u16::MAX {
                port += 1;
                if port >= 1024 && !taken(port) {
                    offers.push(allocator::Offer {
                        port,
                        reason: "free; nothing else uses it".to_string(),
                    });
                }
            }
            return offers;
        }
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
