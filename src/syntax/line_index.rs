//! Byte offsets ⇄ (line, column) in UTF-8, UTF-16 or UTF-32 units, aware of CRLF, lone CR and a leading BOM.

/// The unit a column is counted in. LSP clients negotiate one; the CLI prints Unicode characters (UTF-32).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Encoding {
    /// Bytes of UTF-8.
    Utf8,
    /// UTF-16 code units, LSP's default.
    #[default]
    Utf16,
    /// Unicode scalar values (characters).
    Utf32,
}

/// A zero-based line and a column counted in some [`Encoding`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LineCol {
    /// Zero-based line number.
    pub line: u32,
    /// Zero-based column in the chosen encoding.
    pub col: u32,
}

/// Where each line starts, so conversions are a binary search plus a scan of one line, not of the file.
#[derive(Clone, Debug)]
pub struct LineIndex {
    /// Byte offset of the first character of each line (line 0 starts after a BOM, if any).
    line_starts: Vec<u32>,
    /// Byte offset where each line's content ends (before its terminator).
    line_ends: Vec<u32>,
    /// Whether every line is ASCII, which makes all encodings agree and lets us skip scanning.
    all_ascii: bool,
}

const BOM: char = '\u{feff}';

impl LineIndex {
    /// Indexes `text`. Lines end at `\n`, `\r\n` or a lone `\r`, as LSP defines them.
    pub fn new(text: &str) -> Self {
        let bytes = text.as_bytes();
        let first = if text.starts_with(BOM) {
            BOM.len_utf8()
        } else {
            0
        };
        let mut line_starts = vec![first as u32];
        let mut line_ends = Vec::new();
        let mut i = first;
        while i < bytes.len() {
            // Eight bytes at a time while none of them can end a line (both `\n` and `\r` are below 14): the
            // index is rebuilt on every keystroke, and this loop was a few percent of one.
            while let Some(word) = bytes.get(i..i + 8) {
                let word = u64::from_le_bytes(word.try_into().unwrap_or_default());
                let below_14 =
                    word.wrapping_sub(0x0e0e_0e0e_0e0e_0e0e) & !word & 0x8080_8080_8080_8080;
                if below_14 != 0 {
                    break;
                }
                i += 8;
            }
            let Some(&byte) = bytes.get(i) else {
                break;
            };
            match byte {
                b'\n' => {
                    line_ends.push(i as u32);
                    line_starts.push((i + 1) as u32);
                }
                b'\r' => {
                    line_ends.push(i as u32);
                    if bytes.get(i + 1) == Some(&b'\n') {
                        i += 1;
                    }
                    line_starts.push((i + 1) as u32);
                }
                _ => {}
            }
            i += 1;
        }
        line_ends.push(bytes.len() as u32);
        LineIndex {
            line_starts,
            line_ends,
            all_ascii: text.is_ascii(),
        }
    }

    /// Number of lines (a file always has at least one).
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// The zero-based line holding byte `offset` (offsets inside a terminator belong to its line).
    pub fn line_of(&self, offset: usize) -> usize {
        let offset = offset as u32;
        match self.line_starts.binary_search(&offset) {
            Ok(line) => line,
            Err(0) => 0,
            Err(next) => next - 1,
        }
    }

    /// Byte range of a line's content, without its terminator.
    pub fn line_range(&self, line: usize) -> Option<std::ops::Range<usize>> {
        let start = *self.line_starts.get(line)? as usize;
        let end = *self.line_ends.get(line)? as usize;
        Some(start..end)
    }

    /// Converts a byte offset (clamped to the text and to a character boundary) to a line and column.
    pub fn position(&self, text: &str, offset: usize, encoding: Encoding) -> LineCol {
        let mut offset = offset.min(text.len());
        while offset > 0 && !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.line_of(offset);
        let start = self.line_starts[line] as usize;
        // An offset inside the BOM or a line terminator sits at the nearest valid column.
        let end = (self.line_ends[line] as usize).max(start);
        let offset = offset.clamp(start, end);
        let col = if self.all_ascii || encoding == Encoding::Utf8 {
            offset - start
        } else {
            units(&text[start..offset], encoding)
        };
        LineCol {
            line: line as u32,
            col: col as u32,
        }
    }

    /// Converts a line and column back to a byte offset. Past the end of a line it clamps to the line's end,
    /// and a column inside a character (a UTF-16 surrogate half) rounds down; `None` for a line past the end.
    pub fn offset(&self, text: &str, pos: LineCol, encoding: Encoding) -> Option<usize> {
        let line = pos.line as usize;
        let start = *self.line_starts.get(line)? as usize;
        let end = (self.line_ends[line] as usize).max(start);
        let wanted = pos.col as usize;
        if self.all_ascii || encoding == Encoding::Utf8 {
            let mut offset = (start + wanted).min(end);
            while !text.is_char_boundary(offset) {
                offset -= 1;
            }
            return Some(offset);
        }
        let mut counted = 0;
        for (i, ch) in text[start..end].char_indices() {
            let width = char_units(ch, encoding);
            if counted + width > wanted {
                return Some(start + i);
            }
            counted += width;
        }
        Some(end)
    }
}

/// How many units of `encoding` the string takes.
pub fn units(s: &str, encoding: Encoding) -> usize {
    match encoding {
        Encoding::Utf8 => s.len(),
        Encoding::Utf16 => s.encode_utf16().count(),
        Encoding::Utf32 => s.chars().count(),
    }
}

fn char_units(ch: char, encoding: Encoding) -> usize {
    match encoding {
        Encoding::Utf8 => ch.len_utf8(),
        Encoding::Utf16 => ch.len_utf16(),
        Encoding::Utf32 => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_breaks_are_found_at_every_offset_of_a_word() {
        // A break at each position of an 8-byte word, `\r\n` split across words, and bytes just above `\r`.
        for at in 0..17 {
            for brk in ["\n", "\r", "\r\n"] {
                let text = format!(
                    "{}{brk}{}",
                    "a\u{e}b".repeat(at).get(..at).unwrap_or(""),
                    "c".repeat(9)
                );
                let index = LineIndex::new(&text);
                assert_eq!(index.line_count(), 2, "{text:?}");
                let second = text.len() - 9;
                assert_eq!(
                    index.position(&text, second, Encoding::Utf8),
                    LineCol { line: 1, col: 0 }
                );
            }
        }
    }

    fn roundtrip(text: &str, offset: usize, enc: Encoding) -> (u32, u32) {
        let index = LineIndex::new(text);
        let pos = index.position(text, offset, enc);
        assert_eq!(
            index.offset(text, pos, enc),
            Some(offset),
            "round trip of {offset} in {enc:?}"
        );
        (pos.line, pos.col)
    }

    #[test]
    fn ascii_lines_with_lf_and_crlf() {
        let text = "ab\r\ncd\nef";
        assert_eq!(roundtrip(text, 0, Encoding::Utf16), (0, 0));
        assert_eq!(roundtrip(text, 2, Encoding::Utf16), (0, 2));
        assert_eq!(roundtrip(text, 4, Encoding::Utf16), (1, 0));
        assert_eq!(roundtrip(text, 7, Encoding::Utf16), (2, 0));
        assert_eq!(roundtrip(text, 9, Encoding::Utf16), (2, 2));
        assert_eq!(LineIndex::new(text).line_count(), 3);
    }

    #[test]
    fn offset_inside_crlf_clamps_to_line_end() {
        let text = "ab\r\ncd";
        let index = LineIndex::new(text);
        assert_eq!(
            index.position(text, 3, Encoding::Utf16),
            LineCol { line: 0, col: 2 }
        );
    }

    #[test]
    fn lone_cr_ends_a_line() {
        let text = "a\rb";
        assert_eq!(roundtrip(text, 2, Encoding::Utf32), (1, 0));
    }

    #[test]
    fn emoji_counts_two_utf16_units_one_char_four_bytes() {
        let text = "// 🚀 x\nPORT: 5570";
        let x = text.find('x').unwrap();
        assert_eq!(roundtrip(text, x, Encoding::Utf16), (0, 6));
        assert_eq!(roundtrip(text, x, Encoding::Utf32), (0, 5));
        assert_eq!(roundtrip(text, x, Encoding::Utf8), (0, 8));
    }

    #[test]
    fn cjk_counts_one_utf16_unit_three_bytes() {
        let text = "name: '端口服务', PORT: 1\r\nx";
        let p = text.find("PORT").unwrap();
        assert_eq!(roundtrip(text, p, Encoding::Utf16), (0, 14));
        assert_eq!(roundtrip(text, p, Encoding::Utf32), (0, 14));
        assert_eq!(roundtrip(text, p, Encoding::Utf8), (0, 22));
        let x = text.find('x').unwrap();
        assert_eq!(roundtrip(text, x, Encoding::Utf16), (1, 0));
    }

    #[test]
    fn bom_is_not_a_column() {
        let text = "\u{feff}const A = 1;";
        let a = text.find('A').unwrap();
        assert_eq!(roundtrip(text, a, Encoding::Utf16), (0, 6));
        let index = LineIndex::new(text);
        assert_eq!(
            index.position(text, 0, Encoding::Utf16),
            LineCol { line: 0, col: 0 }
        );
    }

    #[test]
    fn column_in_the_middle_of_a_surrogate_pair_rounds_down() {
        let text = "🚀x";
        let index = LineIndex::new(text);
        assert_eq!(
            index.offset(text, LineCol { line: 0, col: 1 }, Encoding::Utf16),
            Some(0)
        );
        assert_eq!(
            index.offset(text, LineCol { line: 0, col: 99 }, Encoding::Utf16),
            Some(5)
        );
        assert_eq!(
            index.offset(text, LineCol { line: 1, col: 0 }, Encoding::Utf16),
            None
        );
    }

    #[test]
    fn offsets_past_the_end_or_inside_a_char_are_clamped() {
        let text = "é\n";
        let index = LineIndex::new(text);
        assert_eq!(
            index.position(text, 1, Encoding::Utf16),
            LineCol { line: 0, col: 0 }
        );
        assert_eq!(
            index.position(text, 99, Encoding::Utf16),
            LineCol { line: 1, col: 0 }
        );
    }
}
