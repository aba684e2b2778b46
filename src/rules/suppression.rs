//! Suppression comments: `// portos-lsp-ignore[: CODE, …]` on a line or the line above, and
//! `// portos-lsp-ignore-file[: CODE, …]` anywhere in the file.

use std::collections::{BTreeMap, BTreeSet};

const DIRECTIVE: &str = "portos-lsp-ignore";

/// Which codes are silenced where. `None` in a code set means every code.
#[derive(Clone, Debug, Default)]
pub struct Suppressions {
    file: Option<BTreeSet<String>>,
    file_all: bool,
    lines: BTreeMap<usize, Option<BTreeSet<String>>>,
}

impl Suppressions {
    /// Finds the directives in a file's comments; `line_comment` is the format's (`//` in JavaScript and
    /// JSON, where `/* … */` works too; `#` in YAML).
    pub fn scan(text: &str, line_comment: &str) -> Self {
        let mut suppressions = Suppressions::default();
        if !text.contains(DIRECTIVE) {
            return suppressions;
        }
        let index = crate::syntax::LineIndex::new(text);
        for line in 0..index.line_count() {
            let Some(range) = index.line_range(line) else {
                continue;
            };
            let content = &text[range];
            let Some(at) = content.find(DIRECTIVE) else {
                continue;
            };
            let before = &content[..at];
            let comment_start = match line_comment {
                "#" => before.rfind('#').map(|at| (at, 1)),
                _ => before
                    .rfind("//")
                    .or_else(|| before.rfind("/*"))
                    .map(|at| (at, 2)),
            };
            let Some((comment_start, marker)) = comment_start else {
                continue;
            };
            if !before[comment_start + marker..].trim().is_empty() {
                continue;
            }
            let rest = &content[at + DIRECTIVE.len()..];
            let (file_wide, rest) = match rest.strip_prefix("-file") {
                Some(rest) => (true, rest),
                None => (false, rest),
            };
            if rest.starts_with(|c: char| c.is_alphanumeric() || c == '-') {
                continue;
            }
            let codes = parse_codes(rest);
            if file_wide {
                match codes {
                    None => suppressions.file_all = true,
                    Some(codes) => suppressions
                        .file
                        .get_or_insert_with(BTreeSet::new)
                        .extend(codes),
                }
                continue;
            }
            let alone = content[..comment_start].trim().is_empty();
            let targets = if alone {
                vec![line, line + 1]
            } else {
                vec![line]
            };
            for target in targets {
                let slot = suppressions
                    .lines
                    .entry(target)
                    .or_insert_with(|| Some(BTreeSet::new()));
                match (&codes, slot.as_mut()) {
                    (None, _) => *slot = None,
                    (Some(codes), Some(set)) => set.extend(codes.iter().cloned()),
                    (Some(_), None) => {}
                }
            }
        }
        suppressions
    }

    /// Whether a finding of `code` on zero-based `line` is silenced.
    pub fn silences(&self, code: &str, line: usize) -> bool {
        if self.file_all || self.file.as_ref().is_some_and(|f| f.contains(code)) {
            return true;
        }
        match self.lines.get(&line) {
            Some(None) => true,
            Some(Some(codes)) => codes.contains(code),
            None => false,
        }
    }
}

/// `: a, b */` → Some({a, b}); no colon, or a colon with nothing after it → None, meaning every code. A
/// misspelt code (`common_port`) is kept as written, so it silences nothing rather than everything.
fn parse_codes(rest: &str) -> Option<BTreeSet<String>> {
    let list = rest.trim_start().strip_prefix(':')?;
    let list = list.split("*/").next().unwrap_or("");
    let codes: BTreeSet<String> = list
        .split([',', ' ', '\t'])
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .collect();
    (!codes.is_empty()).then_some(codes)
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Suppressions {
        fn scan_js(text: &str) -> Self {
            Suppressions::scan(text, "//")
        }
    }

    #[test]
    fn yaml_comments_carry_directives() {
        let s = Suppressions::scan("a: 1\n# portos-lsp-ignore: common-port\nPORT: 3000\n", "#");
        assert!(s.silences("common-port", 2));
        let js = Suppressions::scan("# portos-lsp-ignore: common-port\nPORT: 3000\n", "//");
        assert!(!js.silences("common-port", 1));
    }

    #[test]
    fn line_above_and_same_line() {
        let text = "a\n// portos-lsp-ignore: common-port\nPORT: 3000,\nX: 8080, // portos-lsp-ignore\nY: 1\n";
        let s = Suppressions::scan(text, "//");
        assert!(s.silences("common-port", 2));
        assert!(s.silences("common-port", 1));
        assert!(!s.silences("port-gap", 2));
        assert!(s.silences("port-gap", 3));
        assert!(
            !s.silences("port-gap", 4),
            "a trailing directive covers only its own line"
        );
    }

    #[test]
    fn file_wide_and_block_comments() {
        let s = Suppressions::scan_js("/* portos-lsp-ignore-file: port-gap, common-port */\n");
        assert!(s.silences("port-gap", 40));
        assert!(s.silences("common-port", 0));
        assert!(!s.silences("reserved-range", 0));
        let all = Suppressions::scan_js("// portos-lsp-ignore-file\n");
        assert!(all.silences("anything", 9));
    }

    #[test]
    fn a_misspelt_code_silences_nothing() {
        let s = Suppressions::scan_js("// portos-lsp-ignore: common_port\nPORT: 3000\n");
        assert!(!s.silences("common-port", 1));
        assert!(!s.silences("duplicate-port", 1));
    }

    #[test]
    fn not_in_strings_or_other_words() {
        let s = Suppressions::scan_js("x = 'portos-lsp-ignore'\n// portos-lsp-ignored\n");
        assert!(!s.silences("port-gap", 0));
        assert!(!s.silences("port-gap", 2));
    }
}
