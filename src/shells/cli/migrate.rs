//! `portos-lsp migrate`: the v1 → v2 migration (`ide::migrate`) on the command line — a unified diff per file by
//! default, the files rewritten with `--write`; notes and the reasons a file is not migrated on stderr.

use super::settings::{self, ConfigChoice};
use crate::ide::inputs;
use crate::ide::migrate::Refusal;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Arguments of `migrate`.
#[derive(clap::Args)]
pub struct MigrateArgs {
    /// Files or directories (every ecosystem file below a directory). Defaults to `.`.
    paths: Vec<PathBuf>,
    /// Write the migrated files instead of printing the diff (which names files relative to the working
    /// directory, for `git apply` or `patch -p1`; where a file is outside it, relative to the directory stderr
    /// names).
    #[arg(long)]
    write: bool,
    #[command(flatten)]
    config: ConfigChoice,
}

/// Runs `migrate`: exit 0 when every file migrated or had nothing to migrate, 1 when some file could not be
/// migrated, 2 on a usage, configuration, read or write error.
pub fn run(args: MigrateArgs) -> i32 {
    let paths = super::paths_or_cwd(args.paths.clone());
    if paths.iter().any(|p| p.as_os_str() == "-") {
        eprintln!("error: migrate works on files, not stdin");
        return super::EXIT_TROUBLE;
    }
    let mut host = args.config.host();
    let (pending, mut unreadable) = match inputs::collect(&paths, None, None, &mut host.configs) {
        Ok(collected) => collected,
        Err(message) => {
            eprintln!("error: {message}");
            return super::EXIT_TROUBLE;
        }
    };
    let cwd = host.normalize(std::path::Path::new("."));
    let full: Vec<_> = pending.iter().map(|p| host.normalize(p.path())).collect();
    let names = super::diff::DiffNames::new(&cwd, full.iter().map(|p| p.as_path()));
    let mut noted = false;
    let mut stdout = std::io::stdout().lock();
    let (mut migrated, mut failed, mut trouble) = (0, 0, false);
    for (item, full) in pending.into_iter().zip(&full) {
        let Some(input) = item.read_or_note(&mut host.configs, &mut unreadable) else {
            continue;
        };
        let name = host.shown(&input.path).display().to_string();
        let migrated_file = host.migrate_file(
            &input.path,
            input.text.clone(),
            args.config.external(false),
            &settings::env,
        );
        match migrated_file {
            Err(Err(error)) => {
                eprintln!("error: {error}");
                return super::EXIT_TROUBLE;
            }
            Ok(migration) => {
                migrated += 1;
                for note in &migration.notes {
                    eprintln!("{name}: note: {note}");
                }
                if args.write {
                    if let Err(e) = std::fs::write(&input.path, &migration.text) {
                        eprintln!("error: {name}: cannot write the migrated file: {e}");
                        trouble = true;
                        continue;
                    }
                    eprintln!("{name}: migrated");
                } else {
                    let shown = names.name(full, Path::new(&name));
                    let diff = super::diff::unified(&shown, &input.text, &migration.text);
                    if !diff.is_empty()
                        && !std::mem::replace(&mut noted, true)
                        && let Some(note) = names.note()
                    {
                        eprintln!("{note}");
                    }
                    if write!(stdout, "{diff}").is_err() {
                        return super::EXIT_TROUBLE;
                    }
                }
            }
            Err(Ok(Refusal::NothingToDo(reason))) => {
                eprintln!("{name}: nothing to migrate: {reason}")
            }
            Err(Ok(Refusal::Cannot(reason))) => {
                failed += 1;
                eprintln!("{name}: cannot migrate: {reason}");
            }
        }
    }
    let _ = stdout.flush();
    for warning in host.configs.warnings() {
        eprintln!("warning: {warning}");
    }
    for failure in &unreadable {
        eprintln!("{}", super::check::shown_failure(&host, failure));
    }
    if migrated > 0 && !args.write {
        let noun = if migrated == 1 { "file" } else { "files" };
        eprintln!("{migrated} {noun} to migrate; run again with --write to apply");
    }
    if trouble || !unreadable.is_empty() {
        super::EXIT_TROUBLE
    } else if failed > 0 {
        super::EXIT_FINDINGS
    } else {
        super::EXIT_OK
    }
}
