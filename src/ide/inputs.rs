//! The files a command works on: expanding directories, decoding bytes, and reporting what failed — one line
//! per file, the run going on with the others. The shell reads stdin; everything else is read here, through
//! the host's file system.

use super::ConfigCache;
use crate::syntax::{self, LineIndex};
use crate::workspace::{self, Found};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A file that could not be analysed, with a one-line reason naming it.
pub struct Unreadable {
    /// The path as given or found.
    pub path: PathBuf,
    /// Why.
    pub reason: String,
}

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "error: {}: {}", self.path.display(), self.reason)
    }
}

/// One file to work on: where it is and its text.
pub struct Input {
    /// The path as given or found (for stdin, the `--stdin-filename`).
    pub path: PathBuf,
    /// The decoded text.
    pub text: Arc<str>,
}

/// A file found but not read yet: files are read one at a time, so a run over thousands of files never holds
/// them all in memory.
pub struct Pending {
    path: PathBuf,
    stdin: Option<Result<Arc<str>, String>>,
    /// Whether the user named this very file (on the command line, or through `--stdin-filename`), rather
    /// than it being found under a directory.
    named: bool,
}

impl Pending {
    /// The path as given or found.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the user named this very file rather than a directory holding it: such a file is checked
    /// whatever its name says to PM2 (the user chose it).
    pub fn is_named(&self) -> bool {
        self.named
    }

    /// Whether this is stdin, whose text cannot be read again later.
    pub fn is_stdin(&self) -> bool {
        self.stdin.is_some()
    }

    /// Stdin's text, when this is stdin and it decoded.
    pub fn stdin_text(&self) -> Option<&Arc<str>> {
        self.stdin.as_ref().and_then(|text| text.as_ref().ok())
    }

    /// Reads the file, or records why it could not be read and returns `None` (the run goes on).
    pub fn read_or_note(
        self,
        configs: &mut ConfigCache,
        unreadable: &mut Vec<Unreadable>,
    ) -> Option<Input> {
        self.read(configs)
            .map_err(|failure| unreadable.push(failure))
            .ok()
    }

    /// Reads and decodes the file (stdin was read when it was found).
    pub fn read(self, configs: &mut ConfigCache) -> Result<Input, Unreadable> {
        let text = match self.stdin {
            Some(text) => text,
            None => {
                let limit = configs.max_file_bytes(&self.path);
                crate::vfs::read_text(&**configs.vfs(), &self.path, limit)
            }
        };
        match text {
            Ok(text) => Ok(Input {
                path: self.path,
                text,
            }),
            Err(reason) => Err(Unreadable {
                path: self.path,
                reason,
            }),
        }
    }
}

/// What the shell read from stdin, when a path is `-`.
pub type Stdin = Result<Vec<u8>, String>;

/// What stdin is called when `--stdin-filename` does not place it: messages name it so, and it has no place
/// in any workspace (nothing is walked for it).
pub const STDIN_NAME: &str = crate::vfs::STDIN_NAME;

/// Whether `path` is stdin without a `--stdin-filename`.
pub fn is_unplaced_stdin(path: &Path) -> bool {
    path.as_os_str() == STDIN_NAME
}

/// How a path is shown to the user: relative to the working directory when the file is under it (without
/// `./`, so `git apply` and `patch -p1` accept a diff naming it), else as given.
pub fn shown(vfs: &dyn crate::vfs::Vfs, path: &Path) -> PathBuf {
    if is_unplaced_stdin(path) {
        return path.to_path_buf();
    }
    let cwd = vfs.normalize(Path::new("."));
    let full = vfs.normalize(path);
    match full.strip_prefix(&cwd) {
        Ok(relative) if cwd.is_absolute() && relative.as_os_str().is_empty() => PathBuf::from("."),
        Ok(relative) if cwd.is_absolute() => relative.to_path_buf(),
        _ => path.to_path_buf(),
    }
}

/// Expands `paths` (`-` is stdin, read by the shell into `stdin`, named `stdin_filename`, else
/// [`STDIN_NAME`]) into the files to read, in path order, each named as [`shown`] names it. Paths that do not exist or cannot be read (and directories met while walking that
/// cannot be listed) go to the second list; a usage problem is an `Err`. Each named directory is recorded in
/// `configs` as a floor of its files' workspace. A file is listed once however many named paths reach it,
/// and stdin's file name stands for that file: its disk copy is not listed beside it.
pub fn collect(
    paths: &[PathBuf],
    stdin_filename: Option<&Path>,
    stdin: Option<Stdin>,
    configs: &mut ConfigCache,
) -> Result<(Vec<Pending>, Vec<Unreadable>), String> {
    let mut pending = Vec::new();
    let mut unreadable = Vec::new();
    if paths.iter().filter(|p| p.as_os_str() == "-").count() > 1 {
        return Err("`-` (stdin) may be given only once".into());
    }
    let vfs = configs.vfs().clone();
    let stdin_name = paths.iter().any(|p| p.as_os_str() == "-").then(|| {
        stdin_filename
            .map(|name| shown(&*vfs, name))
            .unwrap_or_else(|| PathBuf::from(STDIN_NAME))
    });
    let placed = stdin_name.as_deref().filter(|n| !is_unplaced_stdin(n));
    let mut listed: HashSet<PathBuf> = placed.iter().map(|n| vfs.normalize(n)).collect();
    let stdin_disk_copy = placed.and_then(|n| vfs.canonical(n));
    let mut stdin = stdin;
    for path in paths {
        if path.as_os_str() != "-" && vfs.is_dir(path) {
            configs.add_named_dir(vfs.normalize(path));
        }
    }
    for path in paths {
        if path.as_os_str() == "-" {
            let name = stdin_name.clone().unwrap_or_default();
            let bytes = match stdin.take() {
                Some(Ok(bytes)) => bytes,
                Some(Err(e)) => return Err(format!("cannot read stdin: {e}")),
                None => return Err("stdin was not read".into()),
            };
            let limit = configs.max_file_bytes(&name);
            let text = syntax::decode(bytes, limit)
                .map(Arc::from)
                .map_err(|e| e.to_string());
            pending.push(Pending {
                path: name,
                stdin: Some(text),
                named: true,
            });
            continue;
        }
        let globs = configs.file_globs(path);
        let path_given = path;
        for found in workspace::find_files(&*vfs, std::slice::from_ref(path), &globs) {
            match found {
                Found::Missing(path, why) => unreadable.push(Unreadable {
                    path: shown(&*vfs, &path),
                    reason: format!("cannot read: {why}"),
                }),
                Found::File(path) => {
                    let path = shown(&*vfs, &path);
                    if !listed.insert(vfs.normalize(&path)) {
                        continue;
                    }
                    // The same file through another spelling (a symlinked directory): stdin replaces it too.
                    if let Some(key) = &stdin_disk_copy
                        && path.file_name() == key.file_name()
                        && vfs.canonical(&path).as_ref() == Some(key)
                    {
                        continue;
                    }
                    let named = vfs.normalize(&path) == vfs.normalize(path_given);
                    pending.push(Pending {
                        path,
                        stdin: None,
                        named,
                    });
                }
            }
        }
    }
    Ok((pending, unreadable))
}

/// Where the walk of `root` meets the disk copy of `file` (the file named by `--stdin-filename`): the file's
/// canonical path re-rooted at `root` as written, so a file named through a symlinked directory is still
/// recognised in the walk. `None` when the file is not on disk below `root`.
pub fn disk_copy_in(vfs: &dyn crate::vfs::Vfs, root: &Path, file: &Path) -> Option<PathBuf> {
    let file = vfs.canonical(file)?;
    let canonical_root = vfs.canonical(root)?;
    Some(root.join(file.strip_prefix(&canonical_root).ok()?))
}

/// 1-based line and column in Unicode characters, as machine output reports positions.
pub fn line_col(text: &str, index: &LineIndex, offset: u32) -> (u32, u32) {
    let pos = index.position(text, offset as usize, syntax::Encoding::Utf32);
    (pos.line + 1, pos.col + 1)
}
