//! Runs over many files for the command line: analysing them on every core, checking a workspace, walking a
//! root for its ecosystem files and reading the rest of a workspace as context for cross-file questions.

use super::{Host, diagnostics};
use crate::analysis::{self, Analysis};
use crate::config::Config;
use crate::rules::FileReport;
use crate::syntax::Stopped;
use crate::workspace::{self, Found};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The most threads [`Host::analyze_each`] uses: past a few, reading files and the output dominate.
pub const MAX_THREADS: usize = 8;

/// The fewest files a thread of [`Host::analyze_each`] is started for: starting one costs about what
/// analysing a few small files does.
const MIN_JOBS_PER_THREAD: usize = 4;

/// How many files a run reads before analysing them together: enough to keep every core busy, few enough
/// that a workspace of 10,000 files never holds all its texts at once.
pub const BATCH: usize = 64;

/// One file to analyse: its path, text, configuration and workspace root.
pub struct FileJob {
    /// The file's path.
    pub path: PathBuf,
    /// Its text.
    pub text: Arc<str>,
    /// The configuration that governs it.
    pub config: Arc<Config>,
    /// Its workspace root (bounds `require`).
    pub root: PathBuf,
}

/// One file checked on its own: its report, and what it was checked under.
pub struct Checked {
    /// Findings and the summary cross-file rules need.
    pub report: FileReport,
    /// The configuration it was checked with.
    pub config: Arc<Config>,
    /// Its workspace root.
    pub root: PathBuf,
}

/// Why one file could not be checked.
#[derive(Debug)]
pub enum CheckError {
    /// The configuration governing it is broken: the run stops.
    Config(crate::config::ConfigError),
    /// Its parse ran over its budget: it is reported like a file that cannot be read, and the run goes on.
    Stopped(Stopped),
}

impl Host {
    /// Analyses `text` as the file at `path`, under `config` (its parse budget included), `require` bounded
    /// by `root`.
    pub fn analyze(
        &self,
        path: &Path,
        text: Arc<str>,
        config: &Config,
        root: &Path,
    ) -> Result<Analysis, Stopped> {
        Self::analyze_in(&*self.vfs(), path, text, config, root)
    }

    /// [`Host::analyze`] through `vfs`, for a job that holds no host (the PortOS checkout's file, read with no
    /// lock held).
    pub fn analyze_in(
        vfs: &dyn crate::vfs::Vfs,
        path: &Path,
        text: Arc<str>,
        config: &Config,
        root: &Path,
    ) -> Result<Analysis, Stopped> {
        analysis::analyze(path, text, vfs, Some(root.to_path_buf()), config)
    }

    /// Analyses every job and hands each analysis to `each`, on as many threads as the machine has cores
    /// (up to [`MAX_THREADS`]); the answers come back in the jobs' order. Files are independent until the
    /// cross-file rules, so a run over many small files need not keep a core idle (issue 9, item 13).
    pub fn analyze_each<R: Send>(
        &self,
        jobs: &[FileJob],
        each: impl Fn(&FileJob, Result<&Analysis, Stopped>) -> R + Sync,
    ) -> Vec<R> {
        let run = |job: &FileJob| {
            let analysis = self.analyze(&job.path, job.text.clone(), &job.config, &job.root);
            each(job, analysis.as_ref().map_err(Stopped::clone))
        };
        let threads = std::thread::available_parallelism()
            .map_or(1, usize::from)
            .min(MAX_THREADS)
            .min(jobs.len() / MIN_JOBS_PER_THREAD)
            .max(1);
        if threads == 1 {
            return jobs.iter().map(run).collect();
        }
        let next = std::sync::atomic::AtomicUsize::new(0);
        let mut answers: Vec<(usize, R)> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|_| {
                    scope.spawn(|| {
                        let mut mine = Vec::new();
                        loop {
                            let at = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            let Some(job) = jobs.get(at) else {
                                return mine;
                            };
                            mine.push((at, run(job)));
                        }
                    })
                })
                .collect();
            workers
                .into_iter()
                // A worker's panic is the analysis's panic: passed on as if it had run on this thread.
                .flat_map(|worker| {
                    worker
                        .join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
                .collect()
        });
        answers.sort_by_key(|(at, _)| *at);
        answers.into_iter().map(|(_, answer)| answer).collect()
    }

    /// Checks `text` as the file at `path`: its configuration, workspace, analysis and per-file findings.
    pub fn check(&mut self, path: &Path, text: Arc<str>) -> Result<Checked, CheckError> {
        let config = self.configs.for_file(path).map_err(CheckError::Config)?;
        let root = self.configs.workspace_root(path);
        let analysis = self
            .analyze(path, text, &config, &root)
            .map_err(CheckError::Stopped)?;
        let report = diagnostics::report(&analysis, &config);
        Ok(Checked {
            report,
            config,
            root,
        })
    }

    /// Checks texts as the files of one workspace `root` (explicit, not discovered): each report's findings are
    /// its own merged with its cross-file ones, exactly as `check` reports them. The first file's
    /// configuration governs the cross-file rules, as in `check`.
    pub fn check_workspace(
        &mut self,
        root: &Path,
        files: Vec<(PathBuf, Arc<str>)>,
        external: &dyn Fn(&Path) -> crate::rules::ExternalPorts,
    ) -> Result<Vec<FileReport>, String> {
        let mut reports = Vec::new();
        let mut first_config = None;
        for (path, text) in files {
            let config = self.config_for(&path)?;
            let analysis = self
                .analyze(&path, text, &config, root)
                .map_err(|stopped| format!("{}: {stopped}", path.display()))?;
            reports.push(diagnostics::report(&analysis, &config));
            first_config.get_or_insert(config);
        }
        let config = first_config.unwrap_or_default();
        let config = self.core_config(
            &config,
            root,
            reports.iter().map(|r| (r.path.as_path(), &r.summary)),
        );
        let all: Vec<&FileReport> = reports.iter().collect();
        let cross = diagnostics::cross_file_batch(&all, all.len(), &config, external);
        Ok(reports
            .into_iter()
            .zip(cross)
            .map(|(mut report, cross)| {
                report.findings = diagnostics::assemble(&report, cross, &config, None);
                report
            })
            .collect())
    }

    /// Every ecosystem file below `root` (its `.gitignore` respected, `node_modules` skipped, the
    /// configuration's extra globs applied), in path order.
    pub fn ecosystem_files(&mut self, root: &Path) -> Vec<PathBuf> {
        self.ecosystem_files_and_problems(root).0
    }

    /// [`Host::ecosystem_files`], with what could not be walked (a directory that cannot be listed) beside it.
    pub fn ecosystem_files_and_problems(
        &mut self,
        root: &Path,
    ) -> (Vec<PathBuf>, Vec<(PathBuf, String)>) {
        let globs = self.configs.file_globs(root);
        let mut files = Vec::new();
        let mut problems = Vec::new();
        for found in workspace::find_files(&*self.vfs(), &[root.to_path_buf()], &globs) {
            match found {
                Found::File(path) => files.push(path),
                Found::Missing(path, why) => problems.push((path, why)),
            }
        }
        (files, problems)
    }

    /// Reports for the workspace's ecosystem files other than `seen` (normalised paths), so cross-file rules
    /// see every app. Files that cannot be walked, read or configured are left out, since they were not asked
    /// about; each is recorded for [`Host::take_context_problems`], for the shell to log.
    pub fn context_reports(&mut self, root: &Path, seen: &BTreeSet<PathBuf>) -> Vec<FileReport> {
        let mut reports = Vec::new();
        let (files, problems) = self.ecosystem_files_and_problems(root);
        self.context_problems.extend(
            problems
                .into_iter()
                .map(|(path, why)| (path, format!("cannot read: {why}"))),
        );
        let mut jobs = Vec::new();
        for path in files {
            if seen.contains(&self.normalize(&path)) {
                continue;
            }
            let config = match self.configs.for_file(&path) {
                Ok(config) => config,
                Err(error) => {
                    self.context_problems.insert((path, error.to_string()));
                    continue;
                }
            };
            let limit = self.configs.max_file_bytes(&path);
            let text = match crate::vfs::read_text(&*self.vfs(), &path, limit) {
                Ok(text) => text,
                Err(why) => {
                    self.context_problems.insert((path, why));
                    continue;
                }
            };
            jobs.push(FileJob {
                path,
                text,
                config,
                root: root.to_path_buf(),
            });
            // Texts are dropped after each batch: only the summaries are kept.
            if jobs.len() == BATCH {
                let batch = std::mem::take(&mut jobs);
                reports.extend(self.context_batch(&batch));
            }
        }
        reports.extend(self.context_batch(&jobs));
        reports
    }

    /// The reports of a batch of context files; a file whose parse ran over its budget is recorded as left
    /// out.
    fn context_batch(&mut self, jobs: &[FileJob]) -> Vec<FileReport> {
        let mut reports = Vec::new();
        for (job, report) in jobs.iter().zip(self.check_each(jobs)) {
            match report {
                Ok(report) => reports.push(report),
                Err(stopped) => {
                    self.context_problems
                        .insert((job.path.clone(), stopped.to_string()));
                }
            }
        }
        reports
    }

    /// Each job's per-file report, analysed and checked on every core ([`Host::analyze_each`]); `Err` for a
    /// file whose parse ran over its budget.
    pub fn check_each(&self, jobs: &[FileJob]) -> Vec<Result<FileReport, Stopped>> {
        self.analyze_each(jobs, |job, analysis| {
            analysis.map(|analysis| diagnostics::report(analysis, &job.config))
        })
    }

    /// What [`Host::context_reports`] had to leave out since last asked, each once: a path and why.
    pub fn take_context_problems(&mut self) -> Vec<(PathBuf, String)> {
        std::mem::take(&mut self.context_problems)
            .into_iter()
            .collect()
    }
}
