//! Line reading shared by every input file: plain or gzip (by the `.gz` extension), read as bytes
//! so that invalid UTF-8 and over-long lines each become a bad line naming its file and line
//! instead of an I/O error that loses the whole file.
//!
//! A gzip file is checked whole before any line of it is used: damaged deflate data can decode to
//! thousands of plausible lines before the stream's CRC-32, at its end, shows the damage (issue
//! 10 found 4,800 garbage edges accepted that way). A stream that fails (damaged or cut off) is
//! refused whole, since no line of it can be told good: [`InputError::Corrupt`].
//!
//! Also the small field helpers the line grammars share.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::str::FromStr;

use flate2::read::MultiGzDecoder;

use super::blocks::{Blocks, each_line};
use super::diagnostics::{Diagnostics, InputError, LineError};
use crate::model::Node;

/// The longest line accepted, in bytes, not counting its `\n`.
pub const MAX_LINE: usize = 1 << 20;

/// Calls `f(line_number, text)` on every line of `path`, in order, and reports to `diag` each line
/// that cannot be read or that `f` rejects (its `Err` is the problem).
///
/// A last line without a newline is still handed to `f`; when `f` rejects it the problem says the
/// line is truncated. A corrupt gzip stream is an error before any line is handed out.
pub fn for_each_line(
    path: &Path,
    diag: &mut Diagnostics,
    mut f: impl FnMut(u64, &str) -> Result<(), String>,
) -> Result<(), InputError> {
    let (file, reader) = open(path)?;
    let mut blocks = Blocks::new(reader);
    // Lines before the current block.
    let mut before = 0;
    while let Some(block) = blocks.next_block().map_err(|source| InputError::Io {
        file: file.clone(),
        source,
    })? {
        before += each_line(
            &block,
            |number, bytes| decode_line(bytes).and_then(|text| f(before + number, text)),
            |number, problem| {
                diag.bad_line(LineError {
                    file: file.clone(),
                    line: before + number,
                    problem,
                })
            },
        )?;
    }
    Ok(())
}

/// Opens `path` for reading its lines, decompressed where it is gzip (by the `.gz` extension)
/// and checked whole first; returns its name as messages give it, and the reader.
pub(super) fn open(path: &Path) -> Result<(String, Box<dyn Read + Send>), InputError> {
    let file = path.display().to_string();
    let raw = File::open(path).map_err(|source| InputError::Io {
        file: file.clone(),
        source,
    })?;
    if path.extension().is_some_and(|e| e == "gz") {
        check_gzip(path, &file)?;
        return Ok((file, Box::new(MultiGzDecoder::new(raw))));
    }
    Ok((file, Box::new(raw)))
}

/// Decodes the gzip file at `path` to the end, where its members' CRC-32s and lengths are
/// checked, counting lines: a damaged stream is [`InputError::Corrupt`] at the line where the
/// damage showed.
fn check_gzip(path: &Path, file: &str) -> Result<(), InputError> {
    let io_error = |source| InputError::Io {
        file: file.to_string(),
        source,
    };
    let mut decoder = MultiGzDecoder::new(File::open(path).map_err(io_error)?);
    let mut buf = vec![0u8; 64 * 1024];
    let mut lines = 1u64;
    loop {
        match decoder.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => lines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            // flate2 reports a damaged or cut-off stream with these kinds; anything else is the
            // file itself failing.
            Err(e) if is_decode_error(&e) => {
                return Err(InputError::Corrupt {
                    file: file.to_string(),
                    line: lines,
                    problem: e.to_string(),
                });
            }
            Err(e) => return Err(io_error(e)),
        }
    }
}

fn is_decode_error(e: &io::Error) -> bool {
    use io::ErrorKind::*;
    matches!(e.kind(), InvalidInput | InvalidData | UnexpectedEof)
}

/// The text of one line given as bytes, without its trailing `\n` or `\r\n`.
pub fn decode_line(bytes: &[u8]) -> Result<&str, String> {
    let bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| format!("invalid UTF-8 at byte {}", e.valid_up_to() + 1))
}

/// The fields of a line before any `#` comment, split at white space and, with `commas`, at commas.
pub(crate) fn fields(line: &str, commas: bool) -> impl Iterator<Item = &str> {
    let data = line.split('#').next().unwrap_or_default();
    data.split(move |c: char| c.is_whitespace() || (commas && c == ','))
        .filter(|f| !f.is_empty())
}

/// The next field, or an error naming the one that is missing.
pub(crate) fn need<'a>(
    fields: &mut impl Iterator<Item = &'a str>,
    what: &str,
) -> Result<&'a str, String> {
    fields
        .next()
        .ok_or_else(|| format!("missing field: {what}"))
}

/// A field of decimal digits only: `u64::from_str` would also take a leading `+`.
pub(crate) fn digits<T: FromStr>(field: &str) -> Option<T> {
    if field.bytes().all(|b| b.is_ascii_digit()) {
        field.parse().ok()
    } else {
        None
    }
}

/// A node id.
pub(crate) fn node(field: &str) -> Result<Node, String> {
    digits(field).ok_or_else(|| format!("node id `{field}` is not an unsigned 64-bit integer"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_strips_line_ends_and_rejects_bad_utf8() {
        assert_eq!(decode_line(b"1 2\r\n"), Ok("1 2"));
        assert_eq!(decode_line(b"1 2\r"), Ok("1 2"));
        assert_eq!(
            decode_line(b"1 \xff"),
            Err("invalid UTF-8 at byte 3".into())
        );
    }

    #[test]
    fn fields_split_and_drop_comments() {
        let f: Vec<_> = fields(" 1,\t2 ,3 # 4 5", true).collect();
        assert_eq!(f, ["1", "2", "3"]);
        assert_eq!(fields("1,2", false).collect::<Vec<_>>(), ["1,2"]);
        assert_eq!(digits::<u64>("+5"), None);
        assert_eq!(digits::<u64>(""), None);
        assert!(node("18446744073709551616").is_err());
        assert_eq!(node("18446744073709551615"), Ok(u64::MAX));
    }
}
