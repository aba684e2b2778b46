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
pub(super) fn triggers(text: &str) -> Option<Vec<u32>> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    // Open `${` of template literals, innermost last: the brace depth of code inside each.
    let mut templates: Vec<u32> = Vec::new();
    let mut braces: u32 = 0;
    // Whether a `/` here would start a regular expression: after an operator or an opening bracket, not
    // after a name, a number or a closing bracket.
    let mut regex_allowed = true;
    let mut i = 0;
    while i < bytes.len() {
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
    templates.is_empty().then_some(found)
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
}
