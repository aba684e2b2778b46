//! Where PortOS's port convention applies (spec §9): `convention = "portos"` or `"plain"` decides outright;
//! under `"auto"` (the default) a workspace gets the convention's rules when its files **on disk** show the
//! convention. The decision is a pure function of the files' summaries and the configuration ([`decide`]);
//! [`decide_on_disk`] reads the summaries from the disk for a shell that has none at hand, and the host's
//! [`crate::ide::ConventionJob`] takes them from the language server's index, reading from the disk only the
//! files whose buffers have unsaved edits (buffers must not count: the answer never flickers while someone
//! types, and editor and CI agree).

use crate::config::{Config, Convention};
use crate::ide::ConfigCache;
use crate::rules::{AppSummary, FileCheck};
use crate::vfs::Vfs;
use crate::workspace::{self, Found};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// PortOS's own ranges (core, extensions, user: 5554–5599) and its allocator's (6000–6099): a served port in
/// either is a sign of the convention, whatever ranges the configuration sets.
pub const PORTOS_PORTS: [(u16, u16); 2] = [(5554, 5599), (6000, 6099)];

/// The setting that turns the convention's rules on, for messages.
pub const TURN_ON: &str = "`[app] convention = \"portos\"` in portos-lsp.toml (or, for every project, in \
     ~/.config/portos-lsp/config.toml)";

/// A sign that a workspace follows PortOS's convention.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Signal {
    /// A project file (`portos-lsp.toml` or `.portos-lsp.toml`) governs files of the workspace.
    ProjectFile(PathBuf),
    /// PortOS's registry is enabled (`[portos] registry`, or `--registry`).
    Registry,
    /// An ecosystem file has a top-level `PORTS` table (the v2 guide's style).
    PortsTable(PathBuf),
    /// An ecosystem file has a v1 `ports` map.
    PortsMap(PathBuf),
    /// An ecosystem file serves a port in PortOS's ranges (5554–5599) or its allocator's (6000–6099).
    PortosPort {
        /// The file.
        file: PathBuf,
        /// The port.
        port: u16,
    },
    /// An ecosystem file runs a `portos-*` process: PortOS itself.
    PortosProcess {
        /// The file.
        file: PathBuf,
        /// The process name.
        name: String,
    },
}

/// Why the convention's rules are on or off.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Why {
    /// `convention = "portos"` or `"plain"` says so.
    Setting(Convention),
    /// `auto`, and the workspace shows this sign of the convention.
    Detected(Signal),
    /// `auto`, and nothing on disk shows the convention.
    NotDetected,
}

/// Whether the convention's rules run in a workspace, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConventionDecision {
    /// Whether they run: pass it to [`crate::rules::apply_convention`] / [`crate::rules::check_file_with`],
    /// [`crate::ide::WorkspaceIndex::set_convention`] and hover's `convention`.
    pub active: bool,
    /// Why.
    pub why: Why,
}

impl ConventionDecision {
    /// Whether `auto` left the rules off: the case worth a note (`check`'s summary line) or a question (the
    /// server's, once per workspace).
    pub fn left_off_by_auto(&self) -> bool {
        self.why == Why::NotDetected
    }

    /// One sentence for logs and notes, paths relative to `root`: "PortOS's convention: detected (a `PORTS`
    /// table in shop/ecosystem.config.cjs)".
    pub fn describe(&self, root: &Path) -> String {
        let rel = |p: &Path| p.strip_prefix(root).unwrap_or(p).display().to_string();
        match &self.why {
            Why::Setting(setting) => format!(
                "PortOS's convention: {} (`[app] convention = \"{}\"`)",
                if self.active { "on" } else { "off" },
                setting.as_str()
            ),
            Why::NotDetected => format!(
                "PortOS's convention: not detected, so its rules are off; {TURN_ON} turns them on"
            ),
            Why::Detected(signal) => {
                let sign = match signal {
                    Signal::ProjectFile(path) => format!("{} in the workspace", rel(path)),
                    Signal::Registry => "PortOS's registry is enabled".to_string(),
                    Signal::PortsTable(file) => format!("a `PORTS` table in {}", rel(file)),
                    Signal::PortsMap(file) => format!("a `ports` map in {}", rel(file)),
                    Signal::PortosPort { file, port } => {
                        format!("port {port}, in PortOS's ranges, in {}", rel(file))
                    }
                    Signal::PortosProcess { file, name } => {
                        format!("PortOS's own process `{name}` in {}", rel(file))
                    }
                };
                format!("PortOS's convention: detected ({sign})")
            }
        }
    }
}

/// `check`'s note where `auto` left the convention's rules off in `off` of `workspaces` workspaces.
pub fn note(off: usize, workspaces: usize) -> String {
    let place = if workspaces > 1 {
        format!(" in {off} of {workspaces} workspaces")
    } else {
        String::new()
    };
    format!(
        "PortOS's convention was not detected{place}, so its rules are off; {TURN_ON} turns them on."
    )
}

/// The first sign of the convention in one ecosystem file's summary, if any.
pub fn signal_of(path: &Path, summary: &AppSummary) -> Option<Signal> {
    if summary.has_ports_table {
        return Some(Signal::PortsTable(path.to_path_buf()));
    }
    if summary.has_ports_map {
        return Some(Signal::PortsMap(path.to_path_buf()));
    }
    if let Some(name) = summary
        .processes
        .iter()
        .filter_map(|p| p.name.as_deref())
        .find(|n| n.starts_with("portos-"))
    {
        return Some(Signal::PortosProcess {
            file: path.to_path_buf(),
            name: name.to_string(),
        });
    }
    summary
        .served
        .iter()
        .map(|s| s.port)
        .find(|port| {
            PORTOS_PORTS
                .iter()
                .any(|(first, last)| (*first..=*last).contains(port))
        })
        .map(|port| Signal::PortosPort {
            file: path.to_path_buf(),
            port,
        })
}

/// The decision for one workspace: `config`'s `convention` (the workspace's configuration), else (`auto`) the
/// first sign of the convention among `project_file` (the project file governing the workspace, if any),
/// the registry (`config`'s, or `registry_flag` from the command line) and the `files` (each ecosystem file
/// **on disk** with its summary; never a buffer or stdin). A pure function.
pub fn decide<'a>(
    config: &Config,
    project_file: Option<&Path>,
    registry_flag: bool,
    files: impl IntoIterator<Item = (&'a Path, &'a AppSummary)>,
) -> ConventionDecision {
    let why = match config.convention {
        Convention::Portos | Convention::Plain => Why::Setting(config.convention),
        Convention::Auto => {
            let found = project_file
                .map(|p| Signal::ProjectFile(p.to_path_buf()))
                .or_else(|| (config.portos.registry || registry_flag).then_some(Signal::Registry))
                .or_else(|| {
                    files
                        .into_iter()
                        .find_map(|(path, summary)| signal_of(path, summary))
                });
            found.map_or(Why::NotDetected, Why::Detected)
        }
    };
    ConventionDecision {
        active: match &why {
            Why::Setting(setting) => *setting == Convention::Portos,
            Why::Detected(_) => true,
            Why::NotDetected => false,
        },
        why,
    }
}

/// The decision for the workspace `root`, read from `disk` alone (pass the disk, not the editor's overlay):
/// the configuration from `configs` (the one governing `root`), then, under `auto`, the project files, the
/// registry and every ecosystem file below `root` until the first sign. Files that cannot be read are
/// passed over.
pub fn decide_on_disk(
    disk: &Arc<dyn Vfs>,
    configs: &mut ConfigCache,
    root: &Path,
) -> ConventionDecision {
    let probe = root.join(workspace_probe_name());
    let (config, _) = configs.for_file_lenient(&probe);
    if config.convention != Convention::Auto {
        return decide(&config, None, false, []);
    }
    let project_file = project_file_on_disk(disk, configs, &probe);
    if project_file.is_some() || config.portos.registry {
        return decide(&config, project_file.as_deref(), false, []);
    }
    let globs = crate::ide::file_globs_for(disk, root);
    for found in workspace::find_files(&**disk, &[root.to_path_buf()], &globs) {
        let Found::File(path) = found else {
            continue;
        };
        if let Some(project_file) = project_file_on_disk(disk, configs, &path) {
            return decide(&config, Some(&project_file), false, []);
        }
        if let Some(summary) = summary_on_disk(disk, configs, &path, root)
            && signal_of(&path, &summary).is_some()
        {
            return decide(&config, None, false, [(path.as_path(), &summary)]);
        }
    }
    decide(&config, None, false, [])
}

impl crate::ide::Host {
    /// The decision for stdin with no `--stdin-filename` placing it: nothing is walked for it, so only its
    /// configuration, the project file governing the working directory and the registry decide.
    pub fn convention_of_unplaced(
        &mut self,
        path: &Path,
        registry_flag: bool,
    ) -> ConventionDecision {
        let path = self.normalize(path);
        let (config, _) = self.configs.for_file_lenient(&path);
        let disk = self.disk().clone();
        let project_file = project_file_on_disk(&disk, &mut self.configs, &path);
        decide(&config, project_file.as_deref(), registry_flag, [])
    }

    /// The decision for the workspace `root` from the disk alone, as `check` makes it: the configuration,
    /// the project files, `--registry` (`registry_flag`) and the ecosystem files below `root`.
    pub fn convention_on_disk(&mut self, root: &Path, registry_flag: bool) -> ConventionDecision {
        let disk = self.disk().clone();
        let decision = decide_on_disk(&disk, &mut self.configs, root);
        if registry_flag && decision.left_off_by_auto() {
            let (config, _) = self
                .configs
                .for_file_lenient(&root.join(workspace_probe_name()));
            return decide(&config, None, true, []);
        }
        decision
    }
}

/// The summary of the ecosystem file at `path` as it is on `disk` (its configuration from `configs`), for
/// [`decide`]: how `check` counts the disk copy of a file it reads from stdin. `None` when it cannot be read.
pub fn summary_on_disk(
    disk: &Arc<dyn Vfs>,
    configs: &mut ConfigCache,
    path: &Path,
    root: &Path,
) -> Option<AppSummary> {
    let (config, _) = configs.for_file_lenient(path);
    summary_with(disk, &config, path, root)
}

/// The summary of the ecosystem file at `path` as it is on `disk`, under `config`.
pub fn summary_with(
    disk: &Arc<dyn Vfs>,
    config: &Config,
    path: &Path,
    root: &Path,
) -> Option<AppSummary> {
    let limit = usize::try_from(config.max_file_bytes).unwrap_or(usize::MAX);
    let text = crate::vfs::read_text(&**disk, path, limit).ok()?;
    let analysis =
        crate::analysis::analyze(path, text, &**disk, Some(root.to_path_buf()), config).ok()?;
    Some(FileCheck::new(&analysis, config).summary())
}

/// The project file governing `file`, when it is on the disk (an unsaved new buffer does not count). With
/// `--config PATH` it is that file; with `--no-config`, none.
pub fn project_file_on_disk(
    disk: &Arc<dyn Vfs>,
    configs: &mut ConfigCache,
    file: &Path,
) -> Option<PathBuf> {
    configs
        .config_file_of(file)
        .filter(|path| disk.is_file(path))
}

/// A file name that stands for "a file directly in the workspace root" when asking which configuration
/// governs the root.
fn workspace_probe_name() -> &'static str {
    "ecosystem.config.js"
}

/// The project file the server writes `[app] convention = "portos"` into when the user answers "Use
/// PortOS's convention here": the one governing the workspace, else a new `portos-lsp.toml` in its root.
pub fn project_file_for(configs: &mut ConfigCache, root: &Path) -> PathBuf {
    match configs.config_file_of(&root.join(workspace_probe_name())) {
        Some(path) => path,
        None => root.join(crate::config::CONFIG_FILE_NAMES[0]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ConfigSource;
    use crate::rules::{ServedPort, SummaryProcess};
    use crate::syntax::TextRange;
    use crate::vfs::MemoryVfs;

    fn summary() -> AppSummary {
        AppSummary {
            app_dir: PathBuf::from("/w/app"),
            app_name: "app".into(),
            role: crate::config::Role::User,
            processes: vec![SummaryProcess {
                name: Some("app-api".into()),
                range: TextRange::default(),
            }],
            served: vec![served(3000), served(8080)],
            connects: Vec::new(),
            table: Vec::new(),
            has_ports_table: false,
            has_ports_map: false,
            table_exported: false,
            portos_view: None,
            dynamic_apps: false,
        }
    }

    fn served(port: u16) -> ServedPort {
        ServedPort {
            port,
            process: "app-api".into(),
            label: "api".into(),
            range: TextRange::default(),
            def_path: None,
            def_range: TextRange::default(),
            mirrors: Vec::new(),
            beside_block: false,
        }
    }

    fn auto(files: &[&AppSummary]) -> ConventionDecision {
        decide(
            &Config::default(),
            None,
            false,
            files
                .iter()
                .map(|s| (Path::new("/w/app/ecosystem.config.js"), *s)),
        )
    }

    #[test]
    fn a_plain_pm2_project_shows_no_sign() {
        let plain = summary();
        let decision = auto(&[&plain]);
        assert!(!decision.active);
        assert!(decision.left_off_by_auto());
        assert!(
            decision
                .describe(Path::new("/w"))
                .contains("convention = \"portos\""),
            "the note names the setting"
        );
        assert!(!auto(&[]).active, "an empty workspace shows nothing either");
    }

    #[test]
    fn each_signal_alone_turns_the_rules_on() {
        let file = Path::new("/w/app/ecosystem.config.js");
        let mut table = summary();
        table.has_ports_table = true;
        assert_eq!(
            auto(&[&table]).why,
            Why::Detected(Signal::PortsTable(file.into()))
        );
        let mut map = summary();
        map.has_ports_map = true;
        assert_eq!(
            auto(&[&map]).why,
            Why::Detected(Signal::PortsMap(file.into()))
        );
        for port in [5554, 5570, 5599, 6000, 6099] {
            let mut ranged = summary();
            ranged.served.push(served(port));
            assert_eq!(
                auto(&[&ranged]).why,
                Why::Detected(Signal::PortosPort {
                    file: file.into(),
                    port
                }),
                "{port}"
            );
        }
        for port in [5553, 5600, 5999, 6100] {
            let mut outside = summary();
            outside.served.push(served(port));
            assert!(!auto(&[&outside]).active, "{port}");
        }
        let mut portos = summary();
        portos.processes[0].name = Some("portos-server".into());
        assert_eq!(
            auto(&[&portos]).why,
            Why::Detected(Signal::PortosProcess {
                file: file.into(),
                name: "portos-server".into()
            })
        );
        let plain = summary();
        let project = decide(
            &Config::default(),
            Some(Path::new("/w/portos-lsp.toml")),
            false,
            [(file, &plain)],
        );
        assert_eq!(
            project.why,
            Why::Detected(Signal::ProjectFile("/w/portos-lsp.toml".into()))
        );
        let mut registry = Config::default();
        registry.portos.registry = true;
        assert!(decide(&registry, None, false, [(file, &plain)]).active);
        let flag = decide(&Config::default(), None, true, [(file, &plain)]);
        assert_eq!(flag.why, Why::Detected(Signal::Registry));
        // Any file of the workspace is enough.
        assert!(auto(&[&plain, &table]).active);
    }

    #[test]
    fn the_setting_decides_outright() {
        let mut table = summary();
        table.has_ports_table = true;
        let file = Path::new("/w/app/ecosystem.config.js");
        let plain = Config {
            convention: Convention::Plain,
            ..Config::default()
        };
        let decision = decide(
            &plain,
            Some(Path::new("/w/portos-lsp.toml")),
            true,
            [(file, &table)],
        );
        assert!(!decision.active && !decision.left_off_by_auto());
        let portos = Config {
            convention: Convention::Portos,
            ..Config::default()
        };
        let bare = summary();
        let decision = decide(&portos, None, false, [(file, &bare)]);
        assert_eq!(decision.why, Why::Setting(Convention::Portos));
        assert!(decision.active);
    }

    fn disk(files: &[(&str, &str)]) -> (Arc<dyn Vfs>, ConfigCache) {
        let vfs = Arc::new(MemoryVfs::default());
        for (path, text) in files {
            vfs.insert(*path, *text);
        }
        let vfs: Arc<dyn Vfs> = vfs;
        let configs = ConfigCache::new(vfs.clone(), ConfigSource::Discover);
        (vfs, configs)
    }

    #[test]
    fn on_disk_the_files_of_the_workspace_are_read() {
        let plain =
            "module.exports = { apps: [{ name: 'web', script: 'w.js', env: { PORT: 3000 } }] };\n";
        let (vfs, mut configs) = disk(&[("/w/web/ecosystem.config.js", plain)]);
        let decision = decide_on_disk(&vfs, &mut configs, Path::new("/w"));
        assert!(decision.left_off_by_auto(), "{decision:?}");

        let table = "const PORTS = { API: 3000 };\nmodule.exports = { apps: [{ name: 'api', script: 'a.js', env: { PORT: PORTS.API } }] };\n";
        let (vfs, mut configs) = disk(&[
            ("/w/web/ecosystem.config.js", plain),
            ("/w/api/ecosystem.config.cjs", table),
        ]);
        let decision = decide_on_disk(&vfs, &mut configs, Path::new("/w"));
        assert_eq!(
            decision.why,
            Why::Detected(Signal::PortsTable("/w/api/ecosystem.config.cjs".into()))
        );

        let (vfs, mut configs) = disk(&[
            ("/w/web/ecosystem.config.js", plain),
            ("/w/portos-lsp.toml", ""),
        ]);
        let decision = decide_on_disk(&vfs, &mut configs, Path::new("/w"));
        assert_eq!(
            decision.why,
            Why::Detected(Signal::ProjectFile("/w/portos-lsp.toml".into()))
        );

        let (vfs, mut configs) = disk(&[
            ("/w/web/ecosystem.config.js", plain),
            ("/w/portos-lsp.toml", "[app]\nconvention = \"plain\"\n"),
        ]);
        let decision = decide_on_disk(&vfs, &mut configs, Path::new("/w"));
        assert_eq!(decision.why, Why::Setting(Convention::Plain));
    }

    #[test]
    fn from_the_index_an_unsaved_buffer_is_read_from_disk() {
        let plain =
            "module.exports = { apps: [{ name: 'web', script: 'w.js', env: { PORT: 3000 } }] };\n";
        let table = "const PORTS = { WEB: 3000 };\nmodule.exports = { apps: [{ name: 'web', script: 'w.js', env: { PORT: PORTS.WEB } }] };\n";
        let path = Path::new("/w/web/ecosystem.config.js");
        // The host's decision with `buffer` open over a disk holding `files`.
        let decided = |files: &[(&str, &str)], buffer: &str| {
            let disk = Arc::new(MemoryVfs::default());
            for (path, text) in files {
                disk.insert(*path, *text);
            }
            let mut host = crate::ide::Host::new(disk, ConfigSource::Discover);
            host.add_folder("/w".into());
            host.open(path.into(), 1, buffer);
            let (job, _) = host.analysis_job(path).expect("an ecosystem file");
            host.store(job.run()).expect("the current version");
            let mut decisions = host.convention_job().run();
            assert_eq!(decisions.len(), 1);
            decisions.remove(0).1
        };
        // On disk: plain. In the buffer, unsaved: a PORTS table — which does not count.
        let decision = decided(&[("/w/web/ecosystem.config.js", plain)], table);
        assert!(decision.left_off_by_auto(), "{decision:?}");
        // Saved: the index's summary is the disk's.
        let decision = decided(&[("/w/web/ecosystem.config.js", table)], table);
        assert_eq!(decision.why, Why::Detected(Signal::PortsTable(path.into())));
        // A project file on disk counts without any file saying so.
        let decision = decided(
            &[
                ("/w/web/ecosystem.config.js", plain),
                ("/w/portos-lsp.toml", ""),
            ],
            plain,
        );
        assert!(decision.active);
    }

    #[test]
    fn the_user_file_can_set_it_for_every_project() {
        let plain =
            "module.exports = { apps: [{ name: 'web', script: 'w.js', env: { PORT: 3000 } }] };\n";
        let (vfs, mut configs) = disk(&[
            ("/w/web/ecosystem.config.js", plain),
            (
                "/home/me/.config/portos-lsp/config.toml",
                "[app]\nconvention = \"portos\"\n",
            ),
        ]);
        configs.set_user_file(Some("/home/me/.config/portos-lsp/config.toml".into()));
        let decision = decide_on_disk(&vfs, &mut configs, Path::new("/w"));
        assert_eq!(decision.why, Why::Setting(Convention::Portos));
        assert_eq!(
            project_file_for(&mut configs, Path::new("/w")),
            PathBuf::from("/w/portos-lsp.toml")
        );
    }
}
