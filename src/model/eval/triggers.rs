//! Where a mutation could be written: the byte offsets of the tokens without which no statement changes a
//! binding (`=` of an assignment, `++`/`--`, `delete`, a mutating method's or `Object` function's name),
//! found by one pass over the text. The mutation search skips every subtree that holds none: walking each node of a file with
//! tree-sitter's cursor was as costly as the rest of the evaluation (issue 9, item 13).
//!
//! The pass knows strings, template literals, comments and regular expressions, so `'--port=3000'` is not a
//! trigger. Where it sees the text is not what it expects (a string or regex left open at a line's end, a
//! template or comment left open at the end of the file) it gives up and the search walks everything, as it
//! did before. It tells a regex from a division by the token before the `/`, as JavaScript's grammar mostly
//! allows; a regex right after `)` or a division right after `}` is misread — code no ecosystem file is
//! likely to hold, and the misreading stays within its line unless the line holds a quote.

use super::mutation::{MUTATING_METHODS, MUTATING_OBJECT_FUNCTIONS};

/// Whether a name may make a call or `delete` change its target: a mutating method, an `Object` function
/// that changes its argument, or `delete`.
fn is_trigger_word(word: &str) -> bool {
    word == "delete"
        || MUTATING_METHODS.contains(&word)
        || MUTATING_OBJECT_FUNCTIONS.contains(&word)
}

/// Whether a `/` after this keyword starts a regular expression rather than a division (one `match`: most
/// words are told apart by their length alone).
fn before_regex(word: &str) -> bool {
    matches!(
        word,
        "return"
            | "typeof"
            | "case"
            | "do"
            | "else"
            | "in"
            | "of"
            | "new"
            | "delete"
            | "void"
            | "throw"
            | "instanceof"
            | "yield"
            | "await"
    )
}

/// The sorted byte offsets of the triggers in `text`, or `None` when the pass cannot be sure of them.
#[cfg(test)]
pub(super) fn triggers(text: &str) -> Option<Vec<u32>> {
    Triggers::of(text).map(|t| t.found)
}

/// One pass's triggers, with where it could resume: the next version of the text is passed over again only
/// from the last line start before its first changed byte until the pass is back in step with this one.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Triggers {
    /// The sorted byte offsets of the triggers.
    pub(super) found: Vec<u32>,
    /// The pass's state at each line start outside template literals, in order.
    resumes: Vec<Resume>,
}

/// Where the pass was at the start of a line (never inside a string, comment, regex or template text).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Resume {
    at: u32,
    braces: u32,
    regex_allowed: bool,
}

/// What a pass over a new version needs of the previous one: its text and triggers, and how the texts
/// differ (the first `prefix` bytes and the last `suffix` bytes are the same in both).
struct Previous<'p> {
    triggers: &'p Triggers,
    prefix: usize,
    suffix: usize,
    /// The new text's length less the old text's.
    delta: i64,
}

impl Triggers {
    /// The triggers of `text`, or `None` when the pass cannot be sure of them.
    pub(super) fn of(text: &str) -> Option<Triggers> {
        pass(text, None)
    }

    /// The triggers of `text`, an edited version of `before` whose triggers were `self`: what [`Triggers::of`]
    /// gives, found by passing over the changed lines only (the pass is deterministic: from the same state,
    /// the same text yields the same triggers).
    pub(super) fn after_edit(&self, before: &str, text: &str) -> Option<Triggers> {
        let (old, new) = (before.as_bytes(), text.as_bytes());
        let prefix = common_prefix(old, new);
        if prefix == old.len() && prefix == new.len() {
            return Some(self.clone());
        }
        let limit = old.len().min(new.len()) - prefix;
        let suffix = common_suffix(old, new, limit);
        pass(
            text,
            Some(Previous {
                triggers: self,
                prefix,
                suffix,
                delta: new.len() as i64 - old.len() as i64,
            }),
        )
    }
}

/// The length of the longest common prefix of `a` and `b` (compared a block at a time).
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    const BLOCK: usize = 64;
    let len = a.len().min(b.len());
    let mut i = 0;
    while i + BLOCK <= len && a[i..i + BLOCK] == b[i..i + BLOCK] {
        i += BLOCK;
    }
    while i < len && a[i] == b[i] {
        i += 1;
    }
    i
}

/// The length of the longest common suffix of `a` and `b`, at most `limit`.
fn common_suffix(a: &[u8], b: &[u8], limit: usize) -> usize {
    const BLOCK: usize = 64;
    let mut n = 0;
    while n + BLOCK <= limit
        && a[a.len() - n - BLOCK..a.len() - n] == b[b.len() - n - BLOCK..b.len() - n]
    {
        n += BLOCK;
    }
    while n < limit && a[a.len() - n - 1] == b[b.len() - n - 1] {
        n += 1;
    }
    n
}

/// The pass itself; with `previous`, it starts from the last line start within the unchanged prefix and
/// stops at the first line start within the unchanged suffix where its state is the previous pass's there,
/// taking the rest of the previous pass's findings, shifted.
fn pass(text: &str, previous: Option<Previous>) -> Option<Triggers> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut resumes = Vec::new();
    // Open `${` of template literals, innermost last: the brace depth of code inside each.
    let mut templates: Vec<u32> = Vec::new();
    let mut braces: u32 = 0;
    // Whether a `/` here would start a regular expression: after an operator or an opening bracket, not
    // after a name, a number or a closing bracket.
    let mut regex_allowed = true;
    let mut i = 0;
    if let Some(previous) = &previous {
        let old = previous.triggers;
        // The last line start whose line and everything before it are unchanged.
        let from = old
            .resumes
            .partition_point(|r| (r.at as usize) <= previous.prefix)
            .checked_sub(1)
            .map(|k| old.resumes[k]);
        if let Some(from) = from {
            i = from.at as usize;
            braces = from.braces;
            regex_allowed = from.regex_allowed;
            found.extend(old.found.iter().copied().take_while(|&t| (t as usize) < i));
            resumes.extend(old.resumes.iter().copied().take_while(|r| r.at < from.at));
        }
    }
    // Where the unchanged suffix starts in the new text.
    let suffix_from = previous
        .as_ref()
        .map_or(usize::MAX, |p| bytes.len() - p.suffix);
    while i < bytes.len() {
        if i > 0 && bytes[i - 1] == b'\n' && templates.is_empty() {
            let here = Resume {
                at: i as u32,
                braces,
                regex_allowed,
            };
            if i >= suffix_from
                && let Some(previous) = &previous
                && let Some(rest) = in_step(previous, here)
            {
                let (old, delta) = (previous.triggers, previous.delta);
                let shift = |at: u32| (at as i64 + delta) as u32;
                let old_at = (i as i64 - delta) as u32;
                found.extend(
                    old.found[old.found.partition_point(|&t| t < old_at)..]
                        .iter()
                        .map(|&t| shift(t)),
                );
                resumes.extend(old.resumes[rest..].iter().map(|r| Resume {
                    at: shift(r.at),
                    ..*r
                }));
                return Some(Triggers { found, resumes });
            }
            resumes.push(here);
        }
        let b = bytes[i];
        match b {
            b'\'' | b'"' => {
                i = skip_string(bytes, i)?;
                regex_allowed = false;
                continue;
            }
            b'`' => {
                i = skip_template_text(bytes, i + 1, &mut templates, braces)?;
                regex_allowed = false;
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                // A line comment ends where tree-sitter ends it: at `\n`, `\r`, U+2028 or U+2029.
                while i < bytes.len()
                    && bytes[i] != b'\n'
                    && bytes[i] != b'\r'
                    && !bytes[i..].starts_with(&[0xE2, 0x80, 0xA8])
                    && !bytes[i..].starts_with(&[0xE2, 0x80, 0xA9])
                {
                    i += 1;
                }
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let end = text[i + 2..].find("*/")?;
                i += 2 + end + 2;
                continue;
            }
            b'/' if regex_allowed => {
                i = skip_regex(bytes, i)?;
                regex_allowed = false;
                continue;
            }
            b'{' => {
                braces += 1;
                regex_allowed = true;
            }
            b'}' => {
                if templates.last() == Some(&braces) {
                    // The end of a `${…}`: back into the template's text.
                    templates.pop();
                    i = skip_template_text(bytes, i + 1, &mut templates, braces)?;
                    regex_allowed = false;
                    continue;
                }
                braces = braces.saturating_sub(1);
                regex_allowed = true;
            }
            b'=' => {
                let next = bytes.get(i + 1).copied();
                let previous = i.checked_sub(1).map(|p| bytes[p]);
                let comparison_or_arrow =
                    matches!(next, Some(b'=' | b'>')) || matches!(previous, Some(b'=' | b'!'));
                if !comparison_or_arrow {
                    found.push(i as u32);
                }
                regex_allowed = true;
            }
            b'+' | b'-' => {
                if bytes.get(i + 1) == Some(&b) {
                    found.push(i as u32);
                    i += 2;
                    // `x++ / 2` divides; a prefix `++` takes a name, never a regex: a `/` here divides.
                    regex_allowed = false;
                    continue;
                }
                regex_allowed = true;
            }
            b')' | b']' => regex_allowed = false,
            // A non-ASCII character ends a word (it may be a space such as U+00A0; as part of a name it only
            // splits it, which can add a trigger, never lose one) and, like a name, is no place for a regex.
            _ if b >= 0x80 => regex_allowed = false,
            _ if b.is_ascii_alphabetic() || b == b'_' || b == b'$' => {
                let start = i;
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'$')
                {
                    i += 1;
                }
                let word = &text[start..i];
                if is_trigger_word(word) {
                    found.push(start as u32);
                }
                regex_allowed = before_regex(word);
                continue;
            }
            _ if b.is_ascii_digit() => {
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'.') {
                    i += 1;
                }
                regex_allowed = false;
                continue;
            }
            _ if b.is_ascii_whitespace() => {}
            _ => regex_allowed = true,
        }
        i += 1;
    }
    templates.is_empty().then_some(Triggers { found, resumes })
}

/// Whether the pass, at `here` in the new text (within the unchanged suffix), is where the previous pass was
/// at the same place of the old text: then the index of that place among the previous pass's resumes.
fn in_step(previous: &Previous, here: Resume) -> Option<usize> {
    let old_at = here.at as i64 - previous.delta;
    let resumes = &previous.triggers.resumes;
    let k = resumes.partition_point(|r| (r.at as i64) < old_at);
    let old = resumes.get(k)?;
    (old.at as i64 == old_at
        && old.braces == here.braces
        && old.regex_allowed == here.regex_allowed)
        .then_some(k)
}

/// The offset after the string literal opening at `start`; `None` when it is left open at a line's end.
fn skip_string(bytes: &[u8], start: usize) -> Option<usize> {
    let quote = bytes[start];
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'\n' | b'\r' => return None,
            b if b == quote => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// Skips template text from `i` to its closing backtick (returns the offset after it) or to a `${` (pushes
/// the brace depth its code starts at and returns the offset after it). `None` when the template never ends.
fn skip_template_text(
    bytes: &[u8],
    mut i: usize,
    templates: &mut Vec<u32>,
    braces: u32,
) -> Option<usize> {
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'`' => return Some(i + 1),
            b'$' if bytes.get(i + 1) == Some(&b'{') => {
                templates.push(braces);
                return Some(i + 2);
            }
            _ => i += 1,
        }
    }
    None
}

/// The offset after the regular expression opening at `start`; `None` when it is left open at a line's end.
fn skip_regex(bytes: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    let mut in_class = false;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'\n' | b'\r' => return None,
            b'[' => {
                in_class = true;
                i += 1;
            }
            b']' => {
                in_class = false;
                i += 1;
            }
            b'/' if !in_class => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// Whether a trigger lies in `range` (byte offsets); `triggers` sorted.
pub(super) fn any_in(triggers: &[u32], range: std::ops::Range<usize>) -> bool {
    let first = triggers.partition_point(|&t| (t as usize) < range.start);
    triggers
        .get(first)
        .is_some_and(|&t| (t as usize) < range.end)
}

#[cfg(test)]
mod tests {
    use super::triggers;

    fn words(text: &str) -> Vec<&str> {
        triggers(text)
            .expect("sure of the text")
            .into_iter()
            .map(|t| {
                let rest = &text[t as usize..];
                let len = match rest.as_bytes()[0] {
                    b'=' => 1,
                    b'+' | b'-' => 2,
                    _ => rest
                        .find(|c: char| !c.is_alphanumeric())
                        .unwrap_or(rest.len()),
                };
                &rest[..len]
            })
            .collect()
    }

    #[test]
    fn assignments_updates_and_mutating_calls_are_triggers() {
        assert_eq!(
            words("a = 1; b += 2; c++; --d; e.push(1); delete f.g; Object.assign(h, {})"),
            ["=", "=", "++", "--", "push", "delete", "assign"]
        );
    }

    #[test]
    fn comparisons_arrows_strings_comments_and_regexes_are_not() {
        assert_eq!(
            words(
                "if (a == b && c !== d) f(x => x); g('--port=3000', \"a=b\") // x = 1\n/* y++ */ h(/=+/g)"
            ),
            Vec::<&str>::new()
        );
    }

    #[test]
    fn template_text_is_skipped_but_its_code_is_searched() {
        assert_eq!(
            words("f(`--port=${x = 1}` + `a=${`b=${y++}`}`)"),
            ["=", "++"]
        );
    }

    #[test]
    fn a_division_is_not_a_regex() {
        assert_eq!(words("const half = total / 2; n = m / 2"), ["=", "="]);
        assert_eq!(words("i++ / n; apps.push(x) / 2"), ["++", "push"]);
    }

    #[test]
    fn every_mutating_name_is_a_trigger() {
        let all = super::MUTATING_METHODS
            .iter()
            .chain(super::MUTATING_OBJECT_FUNCTIONS)
            .chain(&["delete"]);
        for word in all {
            assert_eq!(words(&format!("x.{word}(1)")), [*word], "{word}");
        }
    }

    #[test]
    fn line_comments_end_where_tree_sitter_ends_them() {
        assert_eq!(words("// x\ra = 1\u{2028}// y\u{2029}b = 2"), ["=", "="]);
    }

    #[test]
    fn unsure_texts_give_up() {
        assert_eq!(triggers("a = 'open\nb = 2"), None);
        assert_eq!(triggers("a = `never closed"), None);
        assert_eq!(triggers("/* never closed"), None);
    }

    #[test]
    fn a_pass_after_an_edit_equals_a_fresh_pass() {
        let pieces = [
            "a = 1",
            "\n",
            "\r\n",
            " ",
            "'x=1'",
            "\"",
            "'",
            "`",
            "${",
            "}",
            "{",
            "`t${y = 2}`",
            "/re=/g",
            " / 2",
            "// c = 3",
            "/*",
            "*/",
            "x++",
            "push(",
            ")",
            "é",
            "😀",
            "漢",
            "const",
            "delete ",
            "==",
        ];
        let mut next = crate::syntax::random_below(0x2545_f491_4f6c_dd1d);
        let mut compared = 0;
        for _ in 0..300 {
            let mut text: String = (0..next(40)).map(|_| pieces[next(pieces.len())]).collect();
            let mut kept = super::Triggers::of(&text);
            for _ in 0..10 {
                let boundaries = crate::syntax::char_boundaries(&text);
                let at = next(boundaries.len());
                let (start, end) = (
                    boundaries[at],
                    boundaries[(at + next(3)).min(boundaries.len() - 1)],
                );
                let inserted: String = (0..next(3)).map(|_| pieces[next(pieces.len())]).collect();
                let before = text.clone();
                text.replace_range(start..end, &inserted);
                let fresh = super::Triggers::of(&text);
                if let Some(old) = &kept {
                    assert_eq!(
                        old.after_edit(&before, &text),
                        fresh,
                        "{before:?} -> {text:?}"
                    );
                    compared += 1;
                }
                kept = fresh;
            }
        }
        assert!(compared > 500, "only {compared} passes compared");
    }
}
