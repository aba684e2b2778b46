//! Which files are ecosystem files, and finding them under the paths a user names.

use crate::vfs::Vfs;
use std::path::{Path, PathBuf};

/// What the ecosystem file names are, in words: what `check` says it looked for when it found none.
pub const ECOSYSTEM_NAMES: &str = "ecosystem.config.{js,cjs,mjs}, ecosystem.*.config.{js,cjs,mjs}, \
     pm2.config.{js,cjs,mjs}, ecosystem*/pm2*.{json,json5,yml,yaml} or process(es).json";

/// The extensions of PM2's JSON and YAML configuration files.
pub const DATA_EXTENSIONS: &[&str] = &["json", "json5", "yml", "yaml"];

/// Whether a base name is one of the ecosystem file names PM2 users write (spec §1, §11): JavaScript
/// `ecosystem.config.*`, `ecosystem.<name>.config.*` and `pm2.config.*`; JSON, JSON5 and YAML files whose
/// name starts with `ecosystem` or `pm2`; and `process.json` / `processes.json`.
pub fn is_ecosystem_name(name: &str) -> bool {
    let Some((stem, ext)) = name.rsplit_once('.') else {
        return false;
    };
    if DATA_EXTENSIONS.contains(&ext) {
        return stem.starts_with("ecosystem")
            || stem.starts_with("pm2")
            || matches!(name, "process.json" | "processes.json");
    }
    if !matches!(ext, "js" | "cjs" | "mjs") {
        return false;
    }
    stem == "ecosystem.config"
        || stem == "pm2.config"
        || stem
            .strip_prefix("ecosystem.")
            .and_then(|rest| rest.strip_suffix(".config"))
            .is_some_and(|middle| !middle.is_empty())
}

/// Whether a JavaScript file's name suggests the user meant it as an ecosystem file though it does not match:
/// such files are named in the log with the reason, never silently skipped.
pub fn looks_like_ecosystem(name: &str) -> bool {
    let lower = name.to_lowercase();
    (lower.contains("ecosystem") || lower.contains("pm2"))
        && [".js", ".cjs", ".mjs", ".json", ".json5", ".yml", ".yaml"]
            .iter()
            .any(|e| lower.ends_with(e))
        && !is_ecosystem_name(name)
}

/// Whether `path` is an ecosystem file by name, or by the configuration's extra globs (`extra`).
pub fn is_ecosystem_file(path: &Path, extra: &dyn Fn(&Path) -> bool) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    is_ecosystem_name(name) || extra(path)
}

/// One path the user named, or an ecosystem file found below a directory they named.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Found {
    /// A file to analyse: its path as given or as found.
    File(PathBuf),
    /// A path that does not exist or cannot be read (also a directory met while walking that cannot be
    /// listed).
    Missing(PathBuf, String),
}

impl Found {
    /// The path either way.
    pub fn path(&self) -> &Path {
        match self {
            Found::File(path) | Found::Missing(path, _) => path,
        }
    }
}

/// Expands paths: files are taken as they are (named explicitly, they are analysed whatever their name);
/// directories are walked for ecosystem files, `.gitignore` respected, `node_modules` skipped, in path order.
/// Nothing is skipped silently: a directory met on the way that cannot be listed is `Missing`, and an entry
/// with an ecosystem file's name that is no regular file (a FIFO, a device) is `File`, for reading to refuse
/// with its reason.
pub fn find_files(vfs: &dyn Vfs, paths: &[PathBuf], extra: &dyn Fn(&Path) -> bool) -> Vec<Found> {
    let mut found = Vec::new();
    for path in paths {
        if vfs.is_file(path) {
            found.push(Found::File(path.clone()));
        } else if vfs.is_dir(path) {
            let (files, errors) = vfs.walk(path);
            let mut here: Vec<Found> = files
                .into_iter()
                .filter(|p| is_ecosystem_file(p, extra))
                .map(Found::File)
                .collect();
            here.extend(errors.into_iter().map(|(p, why)| Found::Missing(p, why)));
            here.sort_by(|a, b| a.path().cmp(b.path()));
            found.extend(here);
        } else {
            let why = match vfs.read(path) {
                Err(e) => e.to_string(),
                Ok(_) => "not a file or directory".into(),
            };
            found.push(Found::Missing(path.clone(), why));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecosystem_names() {
        for name in [
            "ecosystem.config.js",
            "ecosystem.config.cjs",
            "ecosystem.config.mjs",
            "ecosystem.prod.config.js",
            "pm2.config.cjs",
            "ecosystem.json",
            "ecosystem.config.json5",
            "ecosystem.prod.yml",
            "ecosystem-staging.yaml",
            "pm2.json",
            "pm2.yaml",
            "process.json",
            "processes.json",
        ] {
            assert!(is_ecosystem_name(name), "{name}");
        }
        for name in [
            "ecosystem.js",
            "ecosystem..config.js",
            "ecosystem.config.ts",
            "app.js",
            "package.json",
            "docker-compose.yml",
            "my-process.json",
        ] {
            assert!(!is_ecosystem_name(name), "{name}");
        }
        assert!(looks_like_ecosystem("ecosystem.js"));
        assert!(looks_like_ecosystem("my-pm2-apps.cjs"));
        assert!(looks_like_ecosystem("my-ecosystem.yml"));
        assert!(!looks_like_ecosystem("server.js"));
    }
}
