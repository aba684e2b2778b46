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
        let first = if text.starts_with(BOM) {
            BOM.len_utf8()
        } else {
            0
        };
        let mut index = LineIndex {
            line_starts: vec![first as u32],
            line_ends: Vec::new(),
            all_ascii: text.is_ascii(),
        };
        index.scan(text.as_bytes(), first, text.len());
        index.line_ends.push(text.len() as u32);
        index
    }

    /// The index of `text`, which is the indexed text with bytes `start..end` replaced by `inserted` bytes:
    /// the lines before the edit are kept, the lines it touched are read again and the lines after it are
    /// shifted, so a keystroke in a large file does not read the whole file. Equal to [`LineIndex::new`].
    pub fn edited(&self, text: &str, start: usize, end: usize, inserted: usize) -> Self {
        // An edit in the first bytes may add or remove a byte order mark, which moves line 0's start.
        if start < BOM.len_utf8() {
            return LineIndex::new(text);
        }
        // From the line before the edit's (a `\r` ending it may now pair with an inserted `\n`) to the first
        // line starting past the byte after the edit (whose break cannot have changed).
        let first_line = self.line_of(start).saturating_sub(1);
        let from = self.line_starts[first_line] as usize;
        let next = self.line_starts.partition_point(|&s| s as usize <= end + 1);
        let shift = |offset: u32| (offset as i64 + inserted as i64 - (end - start) as i64) as u32;
        let until = self
            .line_starts
            .get(next)
            .map_or(text.len(), |&s| shift(s) as usize);
        let mut index = LineIndex {
            line_starts: self.line_starts[..=first_line].to_vec(),
            line_ends: self.line_ends[..first_line].to_vec(),
            all_ascii: if self.all_ascii {
                text.get(start..start + inserted).is_some_and(str::is_ascii)
            } else {
                text.is_ascii()
            },
        };
        index.scan(text.as_bytes(), from, until);
        if next < self.line_starts.len() {
            index
                .line_starts
                .extend(self.line_starts[next + 1..].iter().map(|&s| shift(s)));
            index
                .line_ends
                .extend(self.line_ends[next..].iter().map(|&e| shift(e)));
        } else {
            index.line_ends.push(text.len() as u32);
        }
        index
    }

    /// Records the line breaks in `bytes[from..until]`, `from` being a line's start.
    fn scan(&mut self, bytes: &[u8], from: usize, until: usize) {
        let mut i = from;
        while i < until {
            // Eight bytes at a time while none of them can end a line (both `\n` and `\r` are below 14): the
            // index is rebuilt on every keystroke, and this loop was a few percent of one.
            while let Some(word) = bytes.get(i..i + 8).filter(|_| i + 8 <= until) {
                let word = u64::from_le_bytes(word.try_into().unwrap_or_default());
                let below_14 =
                    word.wrapping_sub(0x0e0e_0e0e_0e0e_0e0e) & !word & 0x8080_8080_8080_8080;
                if below_14 != 0 {
                    break;
                }
                i += 8;
            }
            let Some(&byte) = bytes.get(i).filter(|_| i < until) else {
                break;
            };
            match byte {
                b'\n' => {
                    self.line_ends.push(i as u32);
                    self.line_starts.push((i + 1) as u32);
                }
                b'\r' => {
                    self.line_ends.push(i as u32);
                    if bytes.get(i + 1) == Some(&b'\n') {
                        i += 1;
                    }
                    self.line_starts.push((i + 1) as u32);
                }
                _ => {}
            }
            i += 1;
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
    #[test]
    fn an_edited_index_equals_a_fresh_one() {
        let pieces = [
            "a", "\n", "\r", "\r\n", "é", "😀", "漢", "  ", "x\ny", "\u{feff}",
        ];
        let mut next = crate::syntax::random_below(0x9e37_79b9_7f4a_7c15);
        for round in 0..400 {
            let mut text: String = (0..next(12)).map(|_| pieces[next(pieces.len())]).collect();
            if round % 7 == 0 {
                text.insert(0, '\u{feff}');
            }
            let mut index = super::LineIndex::new(&text);
            for _ in 0..12 {
                let boundaries = crate::syntax::char_boundaries(&text);
                let a = boundaries[next(boundaries.len())];
                let b = boundaries[next(boundaries.len())];
                let (start, end) = (a.min(b), a.max(b));
                let inserted: String = (0..next(3)).map(|_| pieces[next(pieces.len())]).collect();
                text.replace_range(start..end, &inserted);
                index = index.edited(&text, start, end, inserted.len());
                let fresh = super::LineIndex::new(&text);
                assert_eq!(
                    (&index.line_starts, &index.line_ends, index.all_ascii),
                    (&fresh.line_starts, &fresh.line_ends, fresh.all_ascii),
                    "{text:?} after {start}..{end} := {inserted:?}"
                );
            }
        }
    }

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
