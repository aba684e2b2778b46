//! `duplicate-process-name`: two processes of one workspace share a PM2 name.

use super::context::CrossFile;
use super::{AppSummary, Finding, Related, Rule, Severity};
use foldhash::{HashMap, HashMapExt};
use std::path::Path;

/// The rule.
pub const RULE: Rule = Rule {
    code: "duplicate-process-name",
    default_severity: Severity::Error,
    summary: "Two processes share a PM2 name",
    docs: r#"# duplicate-process-name

## What it flags
Two processes with the same `name`, in one ecosystem file or in two apps (directories) of the workspace.
Variants of one app — several ecosystem files in the same directory, such as `ecosystem.config.js` beside
`ecosystem.prod.config.js` — are exempt: only one of them runs at a time.

## Why it matters
PM2 names are global to a PM2 daemon: starting the second app restarts or replaces the first one's process, and
`pm2 logs api` mixes the two. PortOS reports both without complaint.

## Example
```js
// apps/shop/ecosystem.config.cjs and apps/blog/ecosystem.config.cjs both have
{ name: 'api', script: 'server.js' }
```

## How to fix
Prefix process names with the app's name (`shop-api`, `blog-api`).

## Configuration
`[rules] duplicate-process-name = "off"` silences it.
"#,
};

/// Reports each process whose name another process of the workspace also has. `cross` holds at least every
/// file of the workspace with one of this file's process names, in workspace order (this file too).
pub fn check_workspace(
    path: &Path,
    summary: &AppSummary,
    cross: &CrossFile,
    out: &mut Vec<Finding>,
) {
    /// Related entries kept per finding: the first namesakes tell the story; thousands would not.
    const MAX_RELATED: usize = 10;
    // For each related file, decided once: whether it is this file, and whether it is a variant of this app
    // (skipped). Comparing paths per process was most of the time on 16,000 apps.
    let mut relation: HashMap<usize, (bool, bool)> = HashMap::new();
    for (i, process) in summary.processes.iter().enumerate() {
        let Some(name) = &process.name else { continue };
        let mut related = Vec::new();
        // Each namesake file's processes of that name come from its index (100,000 apps in one file were
        // 10¹⁰ comparisons).
        'files: for &f in cross.with_name(name) {
            let (other_path, other, index) = &cross.files[f];
            let (same_file, variant) = *relation.entry(f).or_insert_with(|| {
                let same = *other_path == path;
                (same, !same && other.app_dir == summary.app_dir)
            });
            if variant {
                continue;
            }
            for &j in index.by_name.get(name.as_str()).into_iter().flatten() {
                if same_file && i == j {
                    continue;
                }
                if related.len() == MAX_RELATED {
                    break 'files;
                }
                related.push(Related {
                    path: other_path.to_path_buf(),
                    range: other.processes[j].range,
                    message: format!("another process named `{name}`"),
                });
            }
        }
        let Some(first) = related.first() else {
            continue;
        };
        let place = if first.path == path {
            "in this file".to_string()
        } else {
            let file = first
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let app = first
                .path
                .parent()
                .and_then(|d| d.file_name())
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            format!("by app `{app}` ({app}/{file})")
        };
        let message = format!(
            "process name `{name}` is also used {place}: PM2 names are global to a daemon, so one replaces the other"
        );
        out.push(Finding {
            code: RULE.code,
            severity: RULE.default_severity,
            range: process.range,
            message,
            related,
            unnecessary: false,
            convention: false,
            fix: None,
        });
    }
}
