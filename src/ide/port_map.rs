//! The workspace's port map: every app with its block and its processes' ports, the free runs of the user
//! range, and the ports two parties claim — what `ports --map` prints and `portos/workspacePorts` answers. A
//! pure function of the files' summaries and the configuration; paths are whatever the caller passes.
//!
//! One directory is one app: the ecosystem files of a directory (its variants) are merged into one entry, led
//! by the file PortOS reads (`ecosystem.config.js`, else `ecosystem.config.cjs`, else the first in path order);
//! a port another variant states again under the same process and label is listed once, where the leading file
//! states it. Variants never conflict with each other, as in `port-conflict`.

use crate::config::{Config, CorePort, PortRange, Role};
use crate::rules::{FileReport, block};
use crate::syntax::TextRange;
use serde::{Serialize, Serializer};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The whole workspace's ports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PortMap {
    /// The guide preset whose ranges and core table are in force (`v2`, `v1`, `portos-2026-08`).
    pub guide: String,
    /// PortOS's three ranges, as `[first, last]` pairs.
    pub ranges: MapRanges,
    /// One entry per app directory, in directory order.
    pub apps: Vec<MapApp>,
    /// The runs of the user range that no app serves and PortOS's core table does not hold, `[first, last]`.
    pub free: Vec<(u16, u16)>,
    /// Ports two or more parties serve (different apps, or an app and PortOS's core table), in port order.
    pub conflicts: Vec<Conflict>,
}

/// The ranges, each `[first, last]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct MapRanges {
    /// PortOS's own processes.
    pub core: (u16, u16),
    /// Reserved for PortOS extensions.
    pub reserved: (u16, u16),
    /// User applications.
    pub user: (u16, u16),
}

/// One app: a directory's ecosystem files merged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MapApp {
    /// Its name (the `package.json` name, else the directory's).
    pub name: String,
    /// Its directory.
    #[serde(serialize_with = "lossy")]
    pub dir: PathBuf,
    /// The ecosystem file that leads it: the one PortOS reads where there is one.
    #[serde(serialize_with = "lossy")]
    pub path: PathBuf,
    /// Its role (core for PortOS itself), which decides its range.
    pub role: Role,
    /// Its block (spec §6): the lowest and highest port it serves inside its own range (every port it serves
    /// in a plain project), `None` when it serves none there.
    pub block: Option<(u16, u16)>,
    /// Whether every port of the block is served (or connected to) by the app: no hole another app could take.
    /// True when there is no block.
    pub contiguous: bool,
    /// Its processes, in file order (the leading file's first), with their served ports.
    pub processes: Vec<MapProcess>,
}

/// A process and the ports it serves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MapProcess {
    /// Its PM2 name (`<unnamed>` when it has none).
    pub name: String,
    /// Its served ports, in file order.
    pub ports: Vec<MapPort>,
}

/// A served port and where it is used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MapPort {
    /// Its label (`api`, `ui`, `cdp`, …).
    pub label: String,
    /// The number.
    pub port: u16,
    /// The ecosystem file stating it.
    #[serde(serialize_with = "lossy")]
    pub path: PathBuf,
    /// Where it is used in that file (bytes).
    pub range: TextRange,
    /// The zero-based line of `range.start`.
    pub line: usize,
}

/// A port claimed by more than one party.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Conflict {
    /// The number.
    pub port: u16,
    /// PortOS's core-table owner, when the port is in the table.
    pub core: Option<CorePort>,
    /// Every use of the port by an app of the workspace, in app order.
    pub uses: Vec<ConflictUse>,
}

/// One app's use of a conflicting port.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ConflictUse {
    /// The app's name.
    pub app: String,
    /// The process serving it.
    pub process: String,
    /// Its label.
    pub label: String,
    /// The ecosystem file stating it.
    #[serde(serialize_with = "lossy")]
    pub path: PathBuf,
    /// Where it is used in that file (bytes).
    pub range: TextRange,
    /// The zero-based line of `range.start`.
    pub line: usize,
}

fn lossy<S: Serializer>(path: &Path, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&path.to_string_lossy())
}

fn pair(range: PortRange) -> (u16, u16) {
    (range.first, range.last)
}

/// How strongly a file leads its directory's app: the file PortOS reads first.
fn lead_rank(path: &Path) -> u8 {
    match path.file_name().and_then(|n| n.to_str()) {
        Some("ecosystem.config.js") => 0,
        Some("ecosystem.config.cjs") => 1,
        _ => 2,
    }
}

/// Builds the map of a workspace from its files' reports, each with the path to show for it (the caller's
/// choice: absolute, relative to the root, …), under the workspace's decision on PortOS's `convention`
/// (which decides where each app's block lies). Files whose summaries name the same app directory are one
/// app.
pub fn port_map(files: &[(&Path, &FileReport)], config: &Config, convention: bool) -> PortMap {
    // Group by app directory, the leading file first.
    let mut by_dir: BTreeMap<&Path, Vec<(&Path, &FileReport)>> = BTreeMap::new();
    for &(path, report) in files {
        by_dir
            .entry(report.summary.app_dir.as_path())
            .or_default()
            .push((path, report));
    }
    let mut apps = Vec::new();
    for (dir, mut variants) in by_dir {
        variants.sort_by(|a, b| (lead_rank(a.0), a.0).cmp(&(lead_rank(b.0), b.0)));
        apps.push(merge_app(dir, &variants, config, convention));
    }

    let mut served: BTreeMap<u16, Vec<(usize, &MapProcess, &MapPort)>> = BTreeMap::new();
    for (index, app) in apps.iter().enumerate() {
        for process in &app.processes {
            for port in &process.ports {
                served
                    .entry(port.port)
                    .or_default()
                    .push((index, process, port));
            }
        }
    }

    let user = config.ranges.user;
    let mut free: Vec<(u16, u16)> = Vec::new();
    for port in user.iter() {
        if served.contains_key(&port) || config.core_owner(port).is_some() {
            continue;
        }
        match free.last_mut() {
            Some((_, last)) if u32::from(*last) + 1 == u32::from(port) => *last = port,
            _ => free.push((port, port)),
        }
    }

    let mut conflicts = Vec::new();
    for (&port, uses) in &served {
        let core = config.core_owner(port).cloned();
        // PortOS's own file on a port of its core table is the table's owner, not another party.
        let parties: BTreeSet<usize> = uses
            .iter()
            .map(|(app, ..)| *app)
            .filter(|app| core.is_none() || apps[*app].role != Role::Core)
            .collect();
        // A port one file of an app serves twice (two processes, or one under two labels) is a clash
        // inside the app; the same port in two variants of an app is not.
        let mut per_file: BTreeMap<(usize, &Path), usize> = BTreeMap::new();
        for (app, _, used) in uses {
            *per_file.entry((*app, used.path.as_path())).or_default() += 1;
        }
        let twice_in_one_app = per_file.values().any(|&n| n > 1);
        if parties.len() + usize::from(core.is_some()) < 2 && !twice_in_one_app {
            continue;
        }
        conflicts.push(Conflict {
            port,
            core,
            uses: uses
                .iter()
                .map(|(app, process, used)| ConflictUse {
                    app: apps[*app].name.clone(),
                    process: process.name.clone(),
                    label: used.label.clone(),
                    path: used.path.clone(),
                    range: used.range,
                    line: used.line,
                })
                .collect(),
        });
    }

    PortMap {
        guide: config.guide.to_string(),
        ranges: MapRanges {
            core: pair(config.ranges.core),
            reserved: pair(config.ranges.reserved),
            user: pair(user),
        },
        apps,
        free,
        conflicts,
    }
}

/// One directory's files (the leading one first) as one app.
fn merge_app(
    dir: &Path,
    variants: &[(&Path, &FileReport)],
    config: &Config,
    convention: bool,
) -> MapApp {
    let (lead_path, lead) = variants[0];
    let role = lead.summary.role;
    let mut processes: Vec<MapProcess> = Vec::new();
    let mut held: BTreeSet<u16> = BTreeSet::new();
    // The ports the app's processes serve, a static server's left out: the block is made of them.
    let mut own: BTreeSet<u16> = BTreeSet::new();
    for &(path, report) in variants {
        let summary = &report.summary;
        held.extend(summary.connects.iter().map(|c| c.port));
        // A static server's port is held, not part of the block (see `ServedPort::beside_block`).
        for served in &summary.served {
            if served.beside_block {
                held.insert(served.port);
            } else {
                own.insert(served.port);
            }
        }
        let names = summary
            .processes
            .iter()
            .map(|p| p.name.clone().unwrap_or_else(|| "<unnamed>".into()))
            .chain(summary.served.iter().map(|s| s.process.clone()));
        for name in names {
            if !processes.iter().any(|p| p.name == name) {
                processes.push(MapProcess {
                    name,
                    ports: Vec::new(),
                });
            }
        }
        for served in &summary.served {
            let Some(process) = processes.iter_mut().find(|p| p.name == served.process) else {
                continue;
            };
            if process
                .ports
                .iter()
                .any(|p| p.port == served.port && p.label == served.label)
            {
                continue;
            }
            process.ports.push(MapPort {
                label: served.label.clone(),
                port: served.port,
                path: path.to_path_buf(),
                range: served.range,
                line: report.summary_line(served.range.start),
            });
        }
    }
    let scope = block::Scope::of(config, role, convention);
    own.retain(|p| scope.contains(*p));
    let block = block::block(own.iter().copied(), scope);
    let contiguous = block
        .is_none_or(|(first, last)| (first..=last).all(|p| own.contains(&p) || held.contains(&p)));
    MapApp {
        name: lead.summary.app_name.clone(),
        dir: dir.to_path_buf(),
        path: lead_path.to_path_buf(),
        role,
        block,
        contiguous,
        processes,
    }
}

impl PortMap {
    /// Every app port on `port`: the app, the process and the port, in app order.
    pub fn owners(&self, port: u16) -> Vec<(&MapApp, &MapProcess, &MapPort)> {
        let mut owners = Vec::new();
        for app in &self.apps {
            for process in &app.processes {
                for used in process.ports.iter().filter(|p| p.port == port) {
                    owners.push((app, process, used));
                }
            }
        }
        owners
    }

    /// The conflict on `port`, if there is one.
    pub fn conflict(&self, port: u16) -> Option<&Conflict> {
        self.conflicts.iter().find(|c| c.port == port)
    }

    /// Rewrites every path and directory (to make them relative to the root, say).
    pub fn map_paths(&mut self, f: &dyn Fn(&Path) -> PathBuf) {
        for app in &mut self.apps {
            app.dir = f(&app.dir);
            app.path = f(&app.path);
            for process in &mut app.processes {
                for port in &mut process.ports {
                    port.path = f(&port.path);
                }
            }
        }
        for conflict in &mut self.conflicts {
            for used in &mut conflict.uses {
                used.path = f(&used.path);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ConfigSource;
    use crate::ide::Host;
    use crate::rules::ExternalPorts;
    use crate::vfs::MemoryVfs;
    use std::sync::Arc;

    /// Checks `files` (path, text) as the workspace `/w` and builds its map under `config`.
    fn map_of(files: &[(&str, &str)], config: &Config) -> PortMap {
        let vfs = Arc::new(MemoryVfs::default());
        for (path, text) in files {
            vfs.insert(*path, *text);
        }
        let mut host = Host::new(vfs, ConfigSource::None);
        let inputs = files
            .iter()
            .map(|(path, text)| (PathBuf::from(path), Arc::<str>::from(*text)))
            .collect();
        let reports = host
            .check_workspace(Path::new("/w"), inputs, &|_: &Path| {
                ExternalPorts::default()
            })
            .unwrap();
        let pairs: Vec<(&Path, &FileReport)> =
            reports.iter().map(|r| (r.path.as_path(), r)).collect();
        port_map(&pairs, config, true)
    }

    const SHOP: &str = "const PORTS = { API: 5570, UI: 5571 };\nmodule.exports = {\n  apps: [\n    { name: 'shop-api', env: { PORT: PORTS.API } },\n    { name: 'shop-ui', script: 'node_modules/.bin/vite', env: { VITE_PORT: PORTS.UI } },\n  ],\n};\n";
    const BLOG: &str = "module.exports = {\n  apps: [\n    { name: 'blog-api', env: { PORT: 5571 } },\n    { name: 'blog-web', env: { PORT: 5574 } },\n  ],\n};\n";

    #[test]
    fn apps_blocks_free_runs_and_conflicts() {
        let map = map_of(
            &[
                ("/w/shop/ecosystem.config.cjs", SHOP),
                ("/w/blog/ecosystem.config.cjs", BLOG),
            ],
            &Config::default(),
        );
        assert_eq!(map.ranges.user, (5570, 5599));
        assert_eq!(map.ranges.core, (5554, 5560));
        let names: Vec<&str> = map.apps.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["blog", "shop"], "directory order");
        let blog = &map.apps[0];
        assert_eq!(blog.block, Some((5571, 5574)));
        assert!(!blog.contiguous, "5572–5573 are holes");
        let shop = &map.apps[1];
        assert_eq!(shop.block, Some((5570, 5571)));
        assert!(shop.contiguous);
        assert_eq!(shop.path, Path::new("/w/shop/ecosystem.config.cjs"));
        assert_eq!(shop.processes[0].name, "shop-api");
        let api = &shop.processes[0].ports[0];
        assert_eq!((api.label.as_str(), api.port, api.line), ("api", 5570, 3));
        assert_eq!(&SHOP[api.range.as_range()], "PORTS.API");
        assert_eq!(map.free, [(5572, 5573), (5575, 5599)]);
        assert_eq!(map.conflicts.len(), 1);
        let conflict = &map.conflicts[0];
        assert_eq!(conflict.port, 5571);
        assert_eq!(conflict.core, None);
        let uses: Vec<(&str, &str, &str)> = conflict
            .uses
            .iter()
            .map(|u| (u.app.as_str(), u.process.as_str(), u.label.as_str()))
            .collect();
        assert_eq!(
            uses,
            [("blog", "blog-api", "api"), ("shop", "shop-ui", "devUi")]
        );
        assert_eq!(conflict.uses[0].line, 2);
    }

    #[test]
    fn variants_of_one_directory_are_one_app_led_by_the_file_portos_reads() {
        let dev = "module.exports = { apps: [{ name: 'shop-api', env: { PORT: 5570 } }, { name: 'shop-dev', env: { PORT: 5572 } }] };";
        let map = map_of(
            &[
                ("/w/shop/ecosystem.config.cjs", dev),
                ("/w/shop/ecosystem.config.js", SHOP),
            ],
            &Config::default(),
        );
        assert_eq!(map.apps.len(), 1);
        let app = &map.apps[0];
        assert_eq!(app.path, Path::new("/w/shop/ecosystem.config.js"));
        let processes: Vec<(&str, Vec<u16>)> = app
            .processes
            .iter()
            .map(|p| (p.name.as_str(), p.ports.iter().map(|p| p.port).collect()))
            .collect();
        assert_eq!(
            processes,
            [
                ("shop-api", vec![5570]),
                ("shop-ui", vec![5571]),
                ("shop-dev", vec![5572])
            ]
        );
        assert_eq!(
            app.processes[0].ports[0].path,
            Path::new("/w/shop/ecosystem.config.js"),
            "the leading file's use"
        );
        assert_eq!(
            app.processes[2].ports[0].path,
            Path::new("/w/shop/ecosystem.config.cjs")
        );
        assert_eq!(app.block, Some((5570, 5572)));
        assert!(app.contiguous);
        assert!(map.conflicts.is_empty(), "variants never conflict");
    }

    #[test]
    fn the_core_table_is_a_party_but_portos_itself_is_not() {
        let portos = "module.exports = { apps: [{ name: 'portos-server', env: { PORT: 5555 } }, { name: 'portos-cos', env: { PORT: 5558 } }] };";
        let intruder = "module.exports = { apps: [{ name: 'x-api', env: { PORT: 5558 } }] };";
        let map = map_of(
            &[
                ("/w/portos/ecosystem.config.cjs", portos),
                ("/w/x/ecosystem.config.cjs", intruder),
            ],
            &Config::default(),
        );
        let portos_app = &map.apps[0];
        assert_eq!(portos_app.role, Role::Core);
        assert_eq!(portos_app.block, Some((5555, 5558)));
        assert!(!portos_app.contiguous);
        assert_eq!(
            map.apps[1].block, None,
            "5558 is outside the user app's range"
        );
        assert!(map.apps[1].contiguous);
        let ports: Vec<u16> = map.conflicts.iter().map(|c| c.port).collect();
        assert_eq!(ports, [5558], "5555 is PortOS's own: no conflict");
        let conflict = &map.conflicts[0];
        assert_eq!(
            conflict.core.as_ref().map(|c| c.process.as_str()),
            Some("portos-cos")
        );
        assert_eq!(conflict.uses.len(), 2);
        assert_eq!(map.free, [(5570, 5599)]);
    }

    #[test]
    fn a_user_app_alone_on_a_core_port_conflicts_with_the_table() {
        let app = "module.exports = { apps: [{ name: 'a', env: { PORT: 5555 } }] };";
        let map = map_of(&[("/w/a/ecosystem.config.cjs", app)], &Config::default());
        assert_eq!(map.conflicts.len(), 1);
        assert_eq!(map.conflicts[0].uses.len(), 1);
        assert!(map.conflicts[0].core.is_some());
    }

    #[test]
    fn free_runs_skip_the_core_table_and_a_connected_port_is_no_hole() {
        let mut config = Config::default();
        config
            .core_ports
            .insert(5598, CorePort::new("portos-extra", "api"));
        let app = "module.exports = { apps: [{ name: 'c-api', env: { PORT: 5570, DB_PORT: 5571 } }, { name: 'c-ui', env: { PORT: 5572 } }] };";
        let map = map_of(&[("/w/c/ecosystem.config.cjs", app)], &config);
        assert_eq!(map.apps[0].block, Some((5570, 5572)));
        assert!(map.apps[0].contiguous, "DB_PORT 5571 is held, not a hole");
        assert_eq!(
            map.free,
            [(5571, 5571), (5573, 5597), (5599, 5599)],
            "a connected port is free to the map: only served ports and the core table count"
        );
    }

    #[test]
    fn an_empty_workspace_is_all_free_and_serialises_in_the_spec_shape() {
        let app = "module.exports = { apps: [{ name: 'idle', script: 'a.js' }] };";
        let map = map_of(&[("/w/idle/ecosystem.config.cjs", app)], &Config::default());
        let json = serde_json::to_value(&map).unwrap();
        assert_eq!(json["ranges"]["core"], serde_json::json!([5554, 5560]));
        assert_eq!(json["free"], serde_json::json!([[5570, 5599]]));
        assert_eq!(json["apps"][0]["block"], serde_json::Value::Null);
        assert_eq!(json["apps"][0]["contiguous"], true);
        assert_eq!(json["apps"][0]["path"], "/w/idle/ecosystem.config.cjs");
        assert_eq!(json["apps"][0]["processes"][0]["name"], "idle");
        assert_eq!(
            json["apps"][0]["processes"][0]["ports"],
            serde_json::json!([])
        );
        assert_eq!(json["conflicts"], serde_json::json!([]));
    }

    #[test]
    fn a_port_served_twice_inside_one_app_is_marked_and_a_plain_block_spans_every_port() {
        let twice = "module.exports = { apps: [{ name: 'l-api', env: { PORT: 5574 } }, { name: 'l-worker', env: { PORT: 5574 } }, { name: 'l-x', env: { PORT: 5576 } }] };";
        let map = map_of(&[("/w/l/ecosystem.config.cjs", twice)], &Config::default());
        assert_eq!(map.conflicts.len(), 1, "{:?}", map.conflicts);
        assert_eq!(map.conflicts[0].port, 5574);
        let processes: Vec<&str> = map.conflicts[0]
            .uses
            .iter()
            .map(|u| u.process.as_str())
            .collect();
        assert_eq!(processes, ["l-api", "l-worker"]);
        let plain = "module.exports = { apps: [{ name: 'web', env: { PORT: 3000 } }, { name: 'api', env: { PORT: 4001 } }] };";
        let vfs = Arc::new(MemoryVfs::default());
        vfs.insert("/w/p/ecosystem.config.cjs", plain);
        let mut host = Host::new(vfs, ConfigSource::None);
        let reports = host
            .check_workspace(
                Path::new("/w"),
                vec![("/w/p/ecosystem.config.cjs".into(), Arc::from(plain))],
                &|_: &Path| ExternalPorts::default(),
            )
            .unwrap();
        let pairs: Vec<(&Path, &FileReport)> =
            reports.iter().map(|r| (r.path.as_path(), r)).collect();
        let map = port_map(&pairs, &Config::default(), false);
        assert_eq!(map.apps[0].block, Some((3000, 4001)), "every served port");
        assert_eq!(
            port_map(&pairs, &Config::default(), true).apps[0].block,
            None,
            "none in PortOS's user range"
        );
    }

    #[test]
    fn map_paths_rewrites_every_path() {
        let mut map = map_of(
            &[
                ("/w/shop/ecosystem.config.cjs", SHOP),
                ("/w/blog/ecosystem.config.cjs", BLOG),
            ],
            &Config::default(),
        );
        map.map_paths(&|p| p.strip_prefix("/w").unwrap_or(p).to_path_buf());
        assert_eq!(map.apps[0].dir, Path::new("blog"));
        assert_eq!(map.apps[0].path, Path::new("blog/ecosystem.config.cjs"));
        assert_eq!(
            map.conflicts[0].uses[1].path,
            Path::new("shop/ecosystem.config.cjs")
        );
        assert_eq!(map.owners(5571).len(), 2);
        assert!(map.conflict(5571).is_some());
    }
}
