//! `check --fix` / `check --diff`: the editor's safe fixes on the command line, applied until stable (each pass
//! re-analyses, so two fixes never take the same free port), with the rest of the workspace as context.

use super::input;
use super::settings::{self, ConfigChoice};
use crate::ide::{actions, convention};
use crate::rules::{self, AppSummary, FileReport};
use crate::vfs::{DiskVfs, Overlay, Vfs};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A file whose text the fixes change.
pub struct Fixed {
    /// The file.
    pub path: PathBuf,
    /// Its text before.
    pub old: String,
    /// Its text after.
    pub new: String,
}

/// Computes the fixed text of every ecosystem file under `paths` (nothing is written). Files fixed earlier in
/// the run are seen fixed by later ones. `None` after a usage or configuration error (already printed).
pub fn fix_files(
    paths: &[PathBuf],
    choice: &ConfigChoice,
    stdin_filename: Option<&Path>,
) -> Option<Vec<Fixed>> {
    if paths.iter().any(|p| p.as_os_str() == "-") {
        eprintln!("error: --fix and --diff work on files, not stdin");
        return None;
    }
    let disk: Arc<dyn Vfs> = Arc::new(DiskVfs::new());
    let overlay = Arc::new(Overlay::new(disk.clone()));
    let vfs: Arc<dyn Vfs> = overlay.clone();
    let mut host = choice.host_over(vfs.clone());
    // Each workspace's decision on PortOS's convention, made from the disk before anything is fixed: no fix
    // for a finding `check` would not report.
    let mut conventions: BTreeMap<PathBuf, bool> = BTreeMap::new();
    let (pending, unreadable) = input::collect_or_report(paths, stdin_filename, &mut host.configs)?;
    for failure in &unreadable {
        eprintln!("{failure}");
    }
    let mut fixed = Vec::new();
    for item in pending {
        let path = vfs.normalize(item.path());
        let display = item.path().to_path_buf();
        let Ok(input) = item.read(&mut host.configs) else {
            continue;
        };
        let config = match host.configs.for_file(&path) {
            Ok(config) => config,
            Err(error) => {
                eprintln!("error: {error}");
                return None;
            }
        };
        let root = host.configs.workspace_root(&path);
        let convention = *conventions.entry(root.clone()).or_insert_with(|| {
            let mut decision = convention::decide_on_disk(&disk, &mut host.configs, &root);
            if choice.registry && decision.left_off_by_auto() {
                decision = convention::decide(&config, None, true, []);
            }
            decision.active
        });
        let external = settings::external_ports(&config, choice.registry, false)
            .for_app(path.parent().unwrap_or(Path::new("/")));
        let seen: BTreeSet<PathBuf> = [path.clone()].into();
        let others: Vec<FileReport> = host.context_reports(&root, &seen);
        let read = |p: &Path| {
            vfs.read(p)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
        };
        let host_ref = &host;
        let mut analyse = |text: &str| {
            let analysis = host_ref.analyze(&path, Arc::from(text), &config, &root);
            let report = rules::check_file(&analysis, &config);
            let mut all: Vec<&FileReport> = others.iter().collect();
            all.push(&report);
            let cross = rules::cross_file_findings_for(&report, &all, &config, &external);
            let mut findings = rules::merged(&report.findings, cross, &config);
            rules::apply_convention(&mut findings, convention);
            let summaries: Vec<&AppSummary> = all.iter().map(|r| &r.summary).collect();
            let ports = crate::features::occupied::app_ports(
                &analysis.dir.app_dir,
                &analysis.dir.app_name,
                &summaries,
                &config,
                &external,
            );
            Some((findings, ports))
        };
        let old = input.text.to_string();
        let new = actions::fix_all(&path, &old, &read, &config, &mut analyse);
        if new != old {
            overlay.set(path.clone(), Arc::from(new.as_str()));
            fixed.push(Fixed {
                path: display,
                old,
                new,
            });
        }
    }
    Some(fixed)
}
