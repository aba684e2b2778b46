//! `registry-stale`: PortOS's registry stores other processes or ports for this app than the file gives now.

use super::context::{PortosProcess, RegisteredApp};
use super::{AppSummary, ExternalPorts, Finding, FixData, Rule, Severity};
use crate::syntax::TextRange;

/// The rule.
pub const RULE: Rule = Rule {
    code: "registry-stale",
    default_severity: Severity::Information,
    summary: "PortOS's registry still shows the app's old processes or ports",
    docs: r#"# registry-stale

## What it flags
The ecosystem file PortOS reads for an app (`ecosystem.config.js`, else `ecosystem.config.cjs`) gives other
processes or ports than the ones PortOS's registry stored for that app — the registry app whose `repoPath` is
the file's directory. PortOS reads an app's ecosystem file when the app is added and again only when asked, so
after an edit its dashboard keeps showing (and reserving) the old ports. The file is compared as PortOS's own
detector reads it, so a refresh makes the finding go away. Reported only while the registry is on
(`[portos] registry = true`, `--registry`, or the editor's `portos.registry`), by `check` and in the editor.
PortOS's own entry, which PortOS builds from a table of its own, and apps whose stored process list is empty
(PortOS reads their file on every request) are never stale.

## Why it matters
PortOS hands out ports and shows who holds them from its registry. While it still believes the app holds its
old ports, it may offer your new port to another app, and the dashboard's links and status point at the wrong
ports.

## Example
```js
// shop/ecosystem.config.cjs — the api moved from 5570 to 5571 since PortOS last read the file
module.exports = { apps: [{ name: 'shop-api', env: { PORT: 5571 } }] };
// PortOS's registry still says shop-api:5570
```

## How to fix
Refresh the app in PortOS: the editor's code action "Refresh this app in PortOS" asks the running PortOS
(`POST /api/apps/:id/refresh-config`, on loopback only) to read the file again; PortOS's dashboard does the
same from the app's page. `portos-lsp ports --registry` lists every difference.

## Configuration
Runs only with the registry on (`[portos] registry`, `api_url`, `token_env` or `password_env`; `[portos] root`
reads `data/apps.json` directly). Turn it off with `[rules] registry-stale = "off"`.
"#,
};

/// One difference between the registry's entry and the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Difference {
    /// Where to report it: the process's name in the file, or the first process's name for one the file no
    /// longer has.
    pub range: TextRange,
    /// What differs, standing alone.
    pub message: String,
}

/// The registry's processes for the app beside the file's as PortOS's detector reads it: each process whose
/// ports differ, that only one side has, in the file's order (then the registry's).
pub fn differences(view: &[PortosProcess], app: &RegisteredApp) -> Vec<Difference> {
    let mut out = Vec::new();
    let first = view.first().map(|p| p.range).unwrap_or_default();
    let shown = |name: &str, ports: &[(String, i64)]| {
        let ports: Vec<(String, String)> = ports
            .iter()
            .map(|(label, port)| (label.clone(), port.to_string()))
            .collect();
        crate::portos::format_display_line(name, &ports)
    };
    let sorted = |ports: &[(String, i64)]| {
        let mut ports = ports.to_vec();
        ports.sort();
        ports
    };
    let app_name = &app.name;
    for (i, process) in view.iter().enumerate() {
        // A name the detector finds twice is compared once, as PortOS stores it once per name in its map.
        if view[..i].iter().any(|p| p.name == process.name) {
            continue;
        }
        match app.processes.iter().find(|(name, _)| *name == process.name) {
            Some((_, stored)) if sorted(stored) == sorted(&process.ports) => {}
            Some((_, stored)) => out.push(Difference {
                range: process.range,
                message: format!(
                    "PortOS's registry still shows `{}` for app {app_name}; the file now gives `{}` (PortOS reads \
                     the file again only when the app is refreshed)",
                    shown(&process.name, stored),
                    shown(&process.name, &process.ports),
                ),
            }),
            None => out.push(Difference {
                range: process.range,
                message: format!(
                    "PortOS's registry has no process `{}` for app {app_name}; the file now gives `{}` (PortOS \
                     reads the file again only when the app is refreshed)",
                    process.name,
                    shown(&process.name, &process.ports),
                ),
            }),
        }
    }
    for (name, stored) in &app.processes {
        if !view.iter().any(|p| p.name == *name) {
            out.push(Difference {
                range: first,
                message: format!(
                    "PortOS's registry still lists `{}` for app {app_name}, which the file no longer gives (PortOS \
                     reads the file again only when the app is refreshed)",
                    shown(name, stored),
                ),
            });
        }
    }
    out
}

/// Reports each difference between the file PortOS reads and the registry's entry for its app.
pub fn check_workspace(summary: &AppSummary, external: &ExternalPorts, out: &mut Vec<Finding>) {
    let (Some(view), Some(app)) = (&summary.portos_view, &external.registered) else {
        return;
    };
    if is_exempt(app) {
        return;
    }
    for difference in differences(view, app) {
        out.push(Finding {
            code: RULE.code,
            severity: RULE.default_severity,
            range: difference.range,
            message: difference.message,
            related: Vec::new(),
            unnecessary: false,
            convention: false,
            fix: Some(FixData::RefreshApp {
                id: app.id.clone(),
                app: app.name.clone(),
            }),
        });
    }
}

/// PortOS's own entry (built from its own table, never read from a file) and apps with no stored processes
/// (read from the file on every request) cannot be stale.
pub fn is_exempt(app: &RegisteredApp) -> bool {
    app.id == "portos-default" || app.processes.is_empty()
}
