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
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::str::FromStr;

use flate2::read::MultiGzDecoder;

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
    let file = path.display().to_string();
    let io_error = |source| InputError::Io {
        file: file.clone(),
        source,
    };
    let raw = File::open(path).map_err(io_error)?;
    let gz = path.extension().is_some_and(|e| e == "gz");
    if gz {
        check_gzip(path, &file)?;
    }
    let mut reader: Box<dyn BufRead> = if gz {
        Box::new(BufReader::new(MultiGzDecoder::new(raw)))
    } else {
        Box::new(BufReader::new(raw))
    };
    let mut buf = Vec::new();
    for number in 1.. {
        let bad = |problem| LineError {
            file: file.clone(),
            line: number,
            problem,
        };
        buf.clear();
        match read_line(&mut reader, &mut buf) {
            Ok(Chunk::End) => break,
            Ok(Chunk::TooLong) => {
                diag.bad_line(bad(format!("line longer than {MAX_LINE} bytes")))?
            }
            Ok(Chunk::Line { terminated }) => {
                if let Err(problem) = decode_line(&buf).and_then(|text| f(number, text)) {
                    let problem = if terminated {
                        problem
                    } else {
                        format!("{problem} (truncated last line: no newline at end of file)")
                    };
                    diag.bad_line(bad(problem))?;
                }
            }
            Err(e) => return Err(io_error(e)),
        }
    }
    Ok(())
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

enum Chunk {
    End,
    Line { terminated: bool },
    TooLong,
}

/// Reads one line into `buf`, without its `\n`. An over-long line is read only up to the limit and
/// the rest is thrown away as it streams by, so one bad line cannot exhaust memory.
fn read_line(r: &mut impl BufRead, buf: &mut Vec<u8>) -> io::Result<Chunk> {
    if r.by_ref()
        .take(MAX_LINE as u64 + 1)
        .read_until(b'\n', buf)?
        == 0
    {
        return Ok(Chunk::End);
    }
    if buf.last() == Some(&b'\n') {
        buf.pop();
        return Ok(Chunk::Line { terminated: true });
    }
    if buf.len() <= MAX_LINE {
        return Ok(Chunk::Line { terminated: false });
    }
    loop {
        let chunk = r.fill_buf()?;
        if chunk.is_empty() {
            break;
        }
        match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => {
                r.consume(i + 1);
                break;
            }
            None => {
                let n = chunk.len();
                r.consume(n);
            }
        }
    }
    Ok(Chunk::TooLong)
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
    fn over_long_line_is_skipped_and_the_next_one_read() {
        let mut text = vec![b'7'; MAX_LINE + 10];
        text.extend_from_slice(b"\nok\n");
        text.extend(vec![b'8'; MAX_LINE]);
        let mut r = &text[..];
        let mut buf = Vec::new();
        assert!(matches!(read_line(&mut r, &mut buf), Ok(Chunk::TooLong)));
        buf.clear();
        assert!(matches!(
            read_line(&mut r, &mut buf),
            Ok(Chunk::Line { terminated: true })
        ));
        assert_eq!(buf, b"ok");
        buf.clear();
        // Exactly at the limit is fine.
        assert!(matches!(
            read_line(&mut r, &mut buf),
            Ok(Chunk::Line { terminated: false })
        ));
        assert_eq!(buf.len(), MAX_LINE);
        assert!(matches!(read_line(&mut r, &mut vec![]), Ok(Chunk::End)));
    }

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
