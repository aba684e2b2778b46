//! `port-conflict`: a port is also bound by another app of the workspace, by PortOS's core table, or by an
//! app PortOS's registry knows.

use super::context::CrossFile;
use super::{AppSummary, ExternalPorts, Finding, FixData, Related, Rule, Severity};
use crate::config::{Config, Role};
use foldhash::{HashMap, HashMapExt};
use std::path::Path;

/// The rule.
pub const RULE: Rule = Rule {
    code: "port-conflict",
    default_severity: Severity::Warning,
    summary: "A port another app, or PortOS itself, already uses",
    docs: r#"# port-conflict

## What it flags
A port an app serves that is also:
- served by another app (another directory) of the workspace;
- one of PortOS's own ports (the core table: 5554 portos-client, 5555 portos-server, … — the guide preset's,
  joined by PortOS's own ecosystem file when the workspace holds it or `[portos] root` points at it, its
  processes' ports and every entry of its exported `PORTS` table), unless the file is PortOS itself;
- held by an app that the running PortOS knows (only with `[portos] registry = true`).
Variants of one app (ecosystem files in the same directory) never conflict with each other, and ports a process
only connects to (`DB_PORT`) are not counted. For a port in the core table this finding replaces
`reserved-range`.

## Why it matters
Two apps on one port cannot run at the same time; whichever starts second fails with `EADDRINUSE`.

## Example
```js
// apps/shop/ecosystem.config.cjs and apps/blog/ecosystem.config.cjs
env: { PORT: 5570 }
```

## How to fix
Move one app to a free port; the quick fix picks the next free one, and `portos-lsp next` lists free ports.

## Configuration
`[ranges] guide` picks the preset (`v2`, `v1`, `portos-2026-08`), `[ranges] core_ports` replaces its table,
`[portos] root` names a PortOS checkout whose ecosystem file joins it; `[portos] registry = true` also checks
PortOS's registry.
"#,
};

/// Reports each served port that another party also holds. `cross` holds at least every file of the
/// workspace that serves one of this file's ports, in workspace order; other files do not matter.
pub fn check_workspace(
    path: &Path,
    summary: &AppSummary,
    cross: &CrossFile,
    config: &Config,
    external: &ExternalPorts,
    out: &mut Vec<Finding>,
) {
    // PortOS itself holds its ports by right: a user app on one of them is the app's finding, not PortOS's.
    if summary.role == Role::Core {
        return;
    }
    // For each file serving one of this file's ports, decided once: whether it is another app, and its
    // name. The ports each serves come from its index, so a port is compared with the same port alone: two
    // files of 16,000 apps on the same ports were 256 million comparisons.
    let mut apps: HashMap<usize, Option<String>> = HashMap::new();
    // What the other parties of a port are does not depend on which of this file's processes serves it:
    // found once per port, so a file of thousands of processes on one port costs what it holds.
    let mut by_port: HashMap<u16, Option<(String, Vec<Related>)>> = HashMap::new();
    for served in &summary.served {
        let port = served.port;
        let parties = by_port
            .entry(port)
            .or_insert_with(|| other_parties(port, summary, cross, config, external, &mut apps));
        let Some((parties, related)) = parties.clone() else {
            continue;
        };
        let message = format!(
            "port {port} ({} of `{}`) is also used by {parties}",
            served.label, served.process,
        );
        out.push(Finding {
            code: RULE.code,
            severity: RULE.default_severity,
            range: served.range,
            message,
            related,
            unnecessary: false,
            convention: false,
            fix: Some(FixData::MoveToFreePort {
                path: served
                    .def_path
                    .clone()
                    .unwrap_or_else(|| path.to_path_buf()),
                range: served.def_range,
                current: port,
                mirrors: served.mirrors.clone(),
            }),
        });
    }
}

/// The parties other than this app that use `port`, named (the first few in full, the rest counted) and
/// related; `None` when there is none.
fn other_parties(
    port: u16,
    summary: &AppSummary,
    cross: &CrossFile,
    config: &Config,
    external: &ExternalPorts,
    apps: &mut HashMap<usize, Option<String>>,
) -> Option<(String, Vec<Related>)> {
    let mut parties: Vec<String> = Vec::new();
    // Every party is counted; only the first few are named and related, as thousands would not help.
    // A party repeated right after itself (the same process of an app's two variant files) counts once.
    let mut others = 0;
    let mut named = 0;
    let mut previous: Option<(String, &str, &str)> = None;
    let mut related: Vec<Related> = Vec::new();
    if let Some(owner) = config.core_owner(port) {
        parties.push(owner.party());
    }
    for &f in cross.serving(port) {
        let (other_path, other, index) = &cross.files[f];
        let app = apps.entry(f).or_insert_with(|| {
            (other.app_dir != summary.app_dir).then(|| {
                other
                    .app_dir
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            })
        });
        let Some(app) = app.as_deref() else { continue };
        // PortOS's own file on a port of its core table: the table already names that owner.
        if other.role == Role::Core && config.core_owner(port).is_some() {
            continue;
        }
        for &j in index.by_port.get(&port).into_iter().flatten() {
            let other_served = &other.served[j];
            let party = (
                app.to_string(),
                other_served.process.as_str(),
                other_served.label.as_str(),
            );
            let repeated = previous.as_ref() == Some(&party);
            previous = Some(party);
            others += usize::from(!repeated);
            if related.len() == MAX_RELATED {
                continue;
            }
            if !repeated {
                named += 1;
                parties.push(format!(
                    "`{}` ({}) of app {app}",
                    other_served.process, other_served.label
                ));
            }
            related.push(Related {
                path: other_path.to_path_buf(),
                range: other_served.range,
                message: format!("port {port} is served here by `{}`", other_served.process),
            });
        }
    }
    if let Some(owner) = external.registry.get(&port) {
        parties.push(format!("{owner} according to PortOS's registry"));
    }
    if parties.is_empty() {
        return None;
    }
    parties.dedup();
    let unnamed = others - named;
    Some((join(&parties, unnamed), related))
}

/// Related entries kept per finding: the first parties tell the story.
const MAX_RELATED: usize = 10;

/// Names the parties, the first three in full (related information lists up to [`MAX_RELATED`]); `unnamed`
/// more were counted but not listed.
fn join(parties: &[String], unnamed: usize) -> String {
    let total = parties.len() + unnamed;
    if total > 3 {
        return format!(
            "{} and {} more",
            parties[..3.min(parties.len())].join(", "),
            total - 3
        );
    }
    match parties {
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
        [] => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use crate::ide::Host;
    use crate::vfs::MemoryVfs;
    use std::path::{Path, PathBuf};
    use std::sync::Arc;

    /// One app per path, all serving 5570 (`app{i}` named after its directory); the first `reported` files
    /// are reported on.
    fn on_one_port(paths: &[String], reported: usize) -> Vec<crate::rules::FileReport> {
        let vfs = Arc::new(MemoryVfs::default());
        let files: Vec<(PathBuf, Arc<str>)> = paths
            .iter()
            .map(|path| {
                let dir = Path::new(path).parent().and_then(|d| d.file_name());
                let name = dir.map(|d| d.to_string_lossy().into_owned()).unwrap_or_default();
                let text = format!(
                    "module.exports = {{ apps: [{{ name: '{name}', script: 'a.js', env: {{ PORT: 5570 }} }}] }};\n"
                );
                vfs.insert(path, text.as_str());
                (PathBuf::from(path), Arc::from(text))
            })
            .collect();
        let mut host = Host::new(vfs, crate::config::ConfigSource::None);
        let mut reports: Vec<crate::rules::FileReport> = Vec::new();
        for (path, text) in files {
            let config = host.configs.for_file(&path).expect("defaults");
            let analysis = host.analyze(&path, text, &config, Path::new("/w")).unwrap();
            reports.push(crate::rules::check_file(&analysis, &config));
        }
        let all: Vec<&crate::rules::FileReport> = reports.iter().collect();
        let cross = crate::rules::cross_file_findings(&all, reported, &Default::default(), &|_| {
            Default::default()
        });
        assert_eq!(cross.len(), reported, "context files get no findings");
        reports
            .into_iter()
            .zip(cross)
            .map(|(mut report, cross)| {
                report.findings = cross;
                report
            })
            .collect()
    }

    fn conflict(report: &crate::rules::FileReport) -> &crate::rules::Finding {
        report
            .findings
            .iter()
            .find(|f| f.code == "port-conflict")
            .expect("a conflict")
    }

    /// Twelve apps, each in its own directory; only the first file is reported on.
    fn twelve_on_one_port(reported: usize) -> Vec<crate::rules::FileReport> {
        let paths: Vec<String> = (0..12)
            .map(|i| format!("/w/app{i:02}/ecosystem.config.cjs"))
            .collect();
        on_one_port(&paths, reported)
    }

    #[test]
    fn an_apps_two_variant_files_are_one_party() {
        // This app, then six apps with two variant files each, all on 5570.
        let mut paths = vec!["/w/app00/ecosystem.config.cjs".to_string()];
        for i in 1..=6 {
            paths.push(format!("/w/app{i:02}/ecosystem.config.cjs"));
            paths.push(format!("/w/app{i:02}/ecosystem.prod.config.cjs"));
        }
        let reports = on_one_port(&paths, 1);
        let conflict = conflict(&reports[0]);
        assert!(
            conflict.message.ends_with("and 3 more"),
            "{}",
            conflict.message
        );
        assert_eq!(conflict.related.len(), 10);
    }

    #[test]
    fn many_parties_are_counted_and_the_first_ten_related() {
        let reports = twelve_on_one_port(1);
        let conflict = conflict(&reports[0]);
        assert_eq!(conflict.related.len(), 10);
        assert!(
            conflict.message.ends_with("and 8 more"),
            "{}",
            conflict.message
        );
    }
}
