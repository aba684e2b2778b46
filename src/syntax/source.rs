//! Turning a file's bytes into text we agree to analyse: valid UTF-8, no NUL bytes, not too large.

use std::fmt;

/// Files above this size are refused unless configured otherwise: ecosystem files are a few KB.
pub const DEFAULT_MAX_FILE_BYTES: usize = 5 * 1024 * 1024;

/// Why a file's bytes are not analysed. Each is reported in one line naming the file; the run goes on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// Larger than the limit.
    TooLarge {
        /// The file's size in bytes.
        size: usize,
        /// The limit in force.
        limit: usize,
    },
    /// Holds a NUL byte: a binary file, not JavaScript.
    Binary {
        /// Offset of the first NUL byte.
        offset: usize,
    },
    /// Not UTF-8.
    InvalidUtf8 {
        /// Offset of the first byte that is not valid UTF-8.
        offset: usize,
    },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::TooLarge { size, limit } => write!(
                f,
                "file is too large to analyse ({size} bytes; the limit is {limit} bytes)"
            ),
            DecodeError::Binary { offset } => {
                write!(f, "file looks binary (NUL byte at offset {offset})")
            }
            DecodeError::InvalidUtf8 { offset } => {
                write!(
                    f,
                    "file is not valid UTF-8 (invalid byte at offset {offset})"
                )
            }
        }
    }
}

impl std::error::Error for DecodeError {}

/// Checks and converts bytes to text. A leading BOM is kept: positions stay byte-exact and the
/// line index makes it zero-width.
pub fn decode(bytes: Vec<u8>, limit: usize) -> Result<String, DecodeError> {
    if bytes.len() > limit {
        return Err(DecodeError::TooLarge {
            size: bytes.len(),
            limit,
        });
    }
    if let Some(offset) = bytes.iter().position(|&b| b == 0) {
        return Err(DecodeError::Binary { offset });
    }
    String::from_utf8(bytes).map_err(|e| DecodeError::InvalidUtf8 {
        offset: e.utf8_error().valid_up_to(),
    })
}

/// The line ending new lines written into `text` should use: its first line's (`\n` for a one-line text).
/// Reading the first line only keeps this constant-time on a large file, where a fix is built per finding.
pub fn line_ending(text: &str) -> &'static str {
    match text.find('\n') {
        Some(at) if text[..at].ends_with('\r') => "\r\n",
        _ => "\n",
    }
}

/// Whether `range` holds the same bytes in `before` and in `text` (a span in both): what each memo asks of a
/// span it would reuse, comparing texts rather than hashes, so no collision can decide a reuse.
pub fn same_span(before: &str, text: &str, range: std::ops::Range<usize>) -> bool {
    before
        .get(range.clone())
        .is_some_and(|then| text.get(range) == Some(then))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_binary_invalid_and_large() {
        assert_eq!(
            decode(b"ab\0".to_vec(), 10),
            Err(DecodeError::Binary { offset: 2 })
        );
        assert_eq!(
            decode(vec![b'a', 0xff], 10),
            Err(DecodeError::InvalidUtf8 { offset: 1 })
        );
        assert!(matches!(
            decode(vec![b'a'; 11], 10),
            Err(DecodeError::TooLarge { .. })
        ));
        assert_eq!(decode(b"ok".to_vec(), 10).unwrap(), "ok");
    }
}
