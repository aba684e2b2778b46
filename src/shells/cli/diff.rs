//! A unified diff of two texts, for `check --diff` (and `migrate`): line-based, three lines of context; and
//! the names it gives files.

use std::path::{Path, PathBuf};

/// The unified diff of `old` → `new` under the name `path`; empty when they are equal.
pub fn unified(path: &str, old: &str, new: &str) -> String {
    if old == new {
        return String::new();
    }
    let a: Vec<&str> = old.split_inclusive('\n').collect();
    let b: Vec<&str> = new.split_inclusive('\n').collect();
    let ops = diff_lines(&a, &b);
    let mut out = if path.starts_with('/') {
        format!("--- {path}\n+++ {path}\n")
    } else {
        format!("--- a/{path}\n+++ b/{path}\n")
    };
    // Group changes into hunks with up to 3 lines of context around them.
    const CONTEXT: usize = 3;
    let changed: Vec<usize> = ops
        .iter()
        .enumerate()
        .filter(|(_, op)| !matches!(op, Op::Same(_)))
        .map(|(i, _)| i)
        .collect();
    let mut i = 0;
    while i < changed.len() {
        let start = changed[i].saturating_sub(CONTEXT);
        let mut end = changed[i];
        while i < changed.len() && changed[i] <= end + 2 * CONTEXT {
            end = changed[i];
            i += 1;
        }
        let end = (end + CONTEXT + 1).min(ops.len());
        let (mut a_start, mut b_start) = (0, 0);
        for op in &ops[..start] {
            match op {
                Op::Same(_) => {
                    a_start += 1;
                    b_start += 1;
                }
                Op::Del(_) => a_start += 1,
                Op::Add(_) => b_start += 1,
            }
        }
        let (mut a_len, mut b_len) = (0, 0);
        let mut body = String::new();
        for op in &ops[start..end] {
            let (sign, line) = match op {
                Op::Same(i) => {
                    a_len += 1;
                    b_len += 1;
                    (' ', a[*i])
                }
                Op::Del(i) => {
                    a_len += 1;
                    ('-', a[*i])
                }
                Op::Add(j) => {
                    b_len += 1;
                    ('+', b[*j])
                }
            };
            body.push(sign);
            body.push_str(line);
            if !line.ends_with('\n') {
                body.push_str("\n\\ No newline at end of file\n");
            }
        }
        out.push_str(&format!(
            "@@ -{},{a_len} +{},{b_len} @@\n{body}",
            a_start + usize::from(a_len > 0),
            b_start + usize::from(b_len > 0)
        ));
    }
    out
}

enum Op {
    /// A line both have (its index in the old text).
    Same(usize),
    Del(usize),
    Add(usize),
}

/// The edit script between two line lists: the longest common subsequence after trimming the common head
/// and tail (files differ in a few lines, so what remains is small).
fn diff_lines(a: &[&str], b: &[&str]) -> Vec<Op> {
    let head = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let tail = a[head..]
        .iter()
        .rev()
        .zip(b[head..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (am, bm) = (&a[head..a.len() - tail], &b[head..b.len() - tail]);
    let mut ops: Vec<Op> = (0..head).map(Op::Same).collect();
    if am.len().saturating_mul(bm.len()) > 4_000_000 {
        ops.extend((0..am.len()).map(|i| Op::Del(head + i)));
        ops.extend((0..bm.len()).map(|j| Op::Add(head + j)));
    } else {
        let (n, m) = (am.len(), bm.len());
        let mut lcs = vec![0u32; (n + 1) * (m + 1)];
        for i in (0..n).rev() {
            for j in (0..m).rev() {
                lcs[i * (m + 1) + j] = if am[i] == bm[j] {
                    lcs[(i + 1) * (m + 1) + j + 1] + 1
                } else {
                    lcs[(i + 1) * (m + 1) + j].max(lcs[i * (m + 1) + j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < n || j < m {
            if i < n && j < m && am[i] == bm[j] {
                ops.push(Op::Same(head + i));
                i += 1;
                j += 1;
            } else if i < n && (j == m || lcs[(i + 1) * (m + 1) + j] >= lcs[i * (m + 1) + j + 1]) {
                ops.push(Op::Del(head + i));
                i += 1;
            } else {
                ops.push(Op::Add(head + j));
                j += 1;
            }
        }
    }
    let a_tail = a.len() - tail;
    ops.extend((0..tail).map(|k| Op::Same(a_tail + k)));
    ops
}

/// How a diff names its files. Relative to the working directory, so `git apply` and `patch -p1` run there
/// take it; but where a file lies outside it (`check --diff ..` from an app's directory) a `../` name is
/// refused by both, so then every file is named relative to the deepest directory holding the working
/// directory and all the files, and [`DiffNames::note`] says where to apply the diff.
pub struct DiffNames {
    cwd: PathBuf,
    /// Where names start from when some file is outside the working directory.
    base: Option<PathBuf>,
}

impl DiffNames {
    /// The names for a diff of `files` (absolute, cleaned paths) made in `cwd` (absolute, cleaned).
    pub fn new<'a>(cwd: &Path, files: impl IntoIterator<Item = &'a Path>) -> Self {
        let mut base: Option<PathBuf> = None;
        for file in files {
            if !file.is_absolute() || file.starts_with(cwd) {
                continue;
            }
            let shared = base.as_deref().unwrap_or(cwd);
            let common: PathBuf = shared
                .components()
                .zip(file.components())
                .take_while(|(a, b)| a == b)
                .map(|(a, _)| a.as_os_str())
                .collect();
            base = Some(common);
        }
        DiffNames {
            cwd: cwd.to_path_buf(),
            base,
        }
    }

    /// `file`'s name in the diff; `shown` is how the rest of the output names it (kept for a file that is not
    /// an absolute path, such as standard input).
    pub fn name(&self, file: &Path, shown: &Path) -> String {
        let from = self.base.as_deref().unwrap_or(&self.cwd);
        match file.strip_prefix(from) {
            Ok(relative)
                if file.is_absolute()
                    && !relative.as_os_str().is_empty()
                    && !crate::ide::inputs::is_unplaced_stdin(shown) =>
            {
                relative.display().to_string()
            }
            _ => shown.display().to_string(),
        }
    }

    /// What to tell the user (on stderr) when the names do not start from the working directory.
    pub fn note(&self) -> Option<String> {
        let base = self.base.as_deref()?;
        Some(format!(
            "note: some files are outside the working directory, so the diff names files relative to {}: apply it there (`cd {} && git apply`, or `patch -p1`)",
            base.display(),
            base.display()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::{DiffNames, unified};
    use std::path::Path;

    #[test]
    fn one_changed_line_with_context() {
        let old = "a\nb\nc\nd\ne\nf\ng\nh\n";
        let new = "a\nb\nc\nd\nE\nf\ng\nh\n";
        assert_eq!(
            unified("x.cjs", old, new),
            "--- a/x.cjs\n+++ b/x.cjs\n@@ -2,7 +2,7 @@\n b\n c\n d\n-e\n+E\n f\n g\n h\n"
        );
        assert_eq!(unified("x", old, old), "");
    }

    #[test]
    fn files_under_the_working_directory_are_named_from_it() {
        let cwd = Path::new("/w/apps");
        let files = [Path::new("/w/apps/shop/ecosystem.config.cjs")];
        let names = DiffNames::new(cwd, files);
        assert_eq!(
            names.name(files[0], Path::new("shown")),
            "shop/ecosystem.config.cjs"
        );
        assert!(names.note().is_none());
    }

    #[test]
    fn a_file_outside_it_names_every_file_from_the_deepest_shared_directory() {
        // `check --diff ..` run in /w/apps/shop: legacy is a sibling, so names start at /w/apps.
        let cwd = Path::new("/w/apps/shop");
        let files = [
            Path::new("/w/apps/legacy/ecosystem.config.cjs"),
            Path::new("/w/apps/shop/ecosystem.config.cjs"),
        ];
        let names = DiffNames::new(cwd, files);
        assert_eq!(
            names.name(files[0], Path::new("x")),
            "legacy/ecosystem.config.cjs"
        );
        assert_eq!(
            names.name(files[1], Path::new("x")),
            "shop/ecosystem.config.cjs"
        );
        let note = names.note().unwrap();
        assert!(note.contains("relative to /w/apps:"), "{note}");
    }

    #[test]
    fn a_file_that_is_not_a_path_keeps_its_shown_name() {
        let names = DiffNames::new(Path::new("/w"), [Path::new("-")]);
        assert_eq!(names.name(Path::new("-"), Path::new("-")), "-");
    }
}
