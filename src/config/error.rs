//! What can be wrong with configuration: errors (the value is refused) and warnings (noted, nothing refused),
//! both pointing at the place a user has to edit.

use std::fmt;
use std::path::PathBuf;

use super::value::Pos;

/// A configuration value that was refused. From a project file it makes the whole file fail to load (the
/// shells then show it as a diagnostic and fall back to the defaults); from editor settings only the one
/// setting is dropped.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ConfigError {
    /// The project file; `None` when the value came from editor settings.
    pub path: Option<PathBuf>,
    /// 1-based line; 0 when there is no position (editor settings, or a file that could not be read).
    pub line: u32,
    /// 1-based column counted in Unicode characters; 0 when there is no position.
    pub column: u32,
    /// What is wrong and what to write instead, starting with the setting's name.
    pub message: String,
}

/// Something worth telling the user that changes nothing they asked for (an unknown key, a shadowed file).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ConfigWarning {
    /// The project file; `None` when it concerns editor settings.
    pub path: Option<PathBuf>,
    /// 1-based line; 0 when there is no position.
    pub line: u32,
    /// 1-based column counted in Unicode characters; 0 when there is no position.
    pub column: u32,
    /// What was noticed, starting with the setting's name.
    pub message: String,
}

impl ConfigError {
    /// An error at a position (or none) in a source, so builders do not repeat the `Option` unpacking.
    pub(crate) fn at(path: Option<&PathBuf>, pos: Option<Pos>, message: String) -> Self {
        let (line, column) = pos.map_or((0, 0), |p| (p.line, p.column));
        ConfigError {
            path: path.cloned(),
            line,
            column,
            message,
        }
    }

    /// Orders errors by where they are, so the first one reported is the first one in the file.
    pub(crate) fn sort_key(&self) -> (u32, u32) {
        (self.line, self.column)
    }
}

impl ConfigWarning {
    /// A warning at a position (or none) in a source.
    pub(crate) fn at(path: Option<&PathBuf>, pos: Option<Pos>, message: String) -> Self {
        let (line, column) = pos.map_or((0, 0), |p| (p.line, p.column));
        ConfigWarning {
            path: path.cloned(),
            line,
            column,
            message,
        }
    }
}

/// Writes `path:line:column: ` (or `editor settings: `), the prefix every tool's users know how to click.
fn write_location(
    f: &mut fmt::Formatter<'_>,
    path: Option<&PathBuf>,
    line: u32,
    column: u32,
) -> fmt::Result {
    match path {
        Some(path) if line > 0 => write!(f, "{}:{line}:{column}: ", path.display()),
        Some(path) => write!(f, "{}: ", path.display()),
        None => write!(f, "editor settings: "),
    }
}

/// The error or warning's text with its file as `shown` names it (the command line shows paths relative to
/// the working directory; the struct keeps the absolute path the editor needs).
fn located(
    (path, line, column, message): (Option<&PathBuf>, u32, u32, &str),
    shown: &dyn Fn(&std::path::Path) -> PathBuf,
) -> String {
    let path = path.map(|p| shown(p));
    struct Text<'a>(Option<&'a PathBuf>, u32, u32, &'a str);
    impl fmt::Display for Text<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write_location(f, self.0, self.1, self.2)?;
            f.write_str(self.3)
        }
    }
    Text(path.as_ref(), line, column, message).to_string()
}

impl ConfigError {
    /// The error's text with its file named by `shown`.
    pub fn shown_with(&self, shown: &dyn Fn(&std::path::Path) -> PathBuf) -> String {
        located(
            (self.path.as_ref(), self.line, self.column, &self.message),
            shown,
        )
    }
}

impl ConfigWarning {
    /// The warning's text with its file named by `shown`.
    pub fn shown_with(&self, shown: &dyn Fn(&std::path::Path) -> PathBuf) -> String {
        located(
            (self.path.as_ref(), self.line, self.column, &self.message),
            shown,
        )
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_location(f, self.path.as_ref(), self.line, self.column)?;
        f.write_str(&self.message)
    }
}

impl fmt::Display for ConfigWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_location(f, self.path.as_ref(), self.line, self.column)?;
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigError {}
