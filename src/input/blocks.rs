//! An input file cut into blocks of whole lines, and the lines of a block: how every reader sees
//! lines, one after another ([`super::lines::for_each_line`]) or a graph's on two threads
//! ([`parse_lines`]).
//!
//! Reading line by line through a buffered reader costs a copy and a search call a line; a
//! block is read at once and its lines are slices of it. Blocks are independent, so two threads
//! can each take the next block and parse its lines while the other reads; line numbers and bad
//! lines are put back in file order once every block is done.

use std::convert::Infallible;
use std::io::{self, Read};
use std::path::Path;
use std::sync::Mutex;

use super::diagnostics::{Diagnostics, InputError, LineError};
use super::lines::{MAX_LINE, open};

/// The bytes a block holds at least, but at the end of the file.
const BLOCK: usize = 4 << 20;

/// A piece of a file.
pub(super) enum Block {
    /// Whole lines, each with its `\n` but maybe the file's last.
    Lines(Vec<u8>),
    /// One line longer than a block, whose bytes were thrown away as they streamed by.
    TooLong,
}

/// A reader cut into [`Block`]s.
pub(super) struct Blocks<R> {
    reader: R,
    /// What followed the last block's last `\n`.
    carry: Vec<u8>,
    end: bool,
}

impl<R: Read> Blocks<R> {
    pub(super) fn new(reader: R) -> Self {
        Blocks {
            reader,
            carry: Vec::new(),
            end: false,
        }
    }

    /// The next block, or `None` at the end of the file.
    pub(super) fn next_block(&mut self) -> io::Result<Option<Block>> {
        let mut buf = std::mem::take(&mut self.carry);
        buf.reserve(BLOCK);
        self.fill(&mut buf, BLOCK)?;
        if buf.is_empty() {
            return Ok(None);
        }
        if self.end {
            return Ok(Some(Block::Lines(buf)));
        }
        match memchr::memrchr(b'\n', &buf) {
            Some(last) => {
                self.carry = buf[last + 1..].to_vec();
                buf.truncate(last + 1);
                Ok(Some(Block::Lines(buf)))
            }
            None => {
                // A block without a line end holds more than `MAX_LINE` bytes of one line: throw
                // them away up to its end, and keep what follows.
                loop {
                    buf.clear();
                    self.fill(&mut buf, BLOCK)?;
                    if let Some(end) = memchr::memchr(b'\n', &buf) {
                        self.carry = buf[end + 1..].to_vec();
                        break;
                    }
                    if self.end {
                        break;
                    }
                }
                Ok(Some(Block::TooLong))
            }
        }
    }

    /// Reads into `buf` until it holds `want` bytes or the file ends.
    fn fill(&mut self, buf: &mut Vec<u8>, want: usize) -> io::Result<()> {
        while !self.end && buf.len() < want {
            let have = buf.len();
            buf.resize(want, 0);
            match self.reader.read(&mut buf[have..]) {
                Ok(0) => {
                    buf.truncate(have);
                    self.end = true;
                }
                Ok(n) => buf.truncate(have + n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => buf.truncate(have),
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

/// One line of a block: its bytes without the `\n`, or why it is not one.
enum Line<'a> {
    /// `terminated`: it had its `\n` (only the file's last line may not).
    Text { bytes: &'a [u8], terminated: bool },
    /// Longer than [`MAX_LINE`] bytes.
    TooLong,
}

/// Calls `parse` on the bytes of each line of `block`, in order, and `bad` with the number (from
/// 1 within the block) and problem of each line that is too long or that `parse` rejects;
/// returns how many lines the block has. Every reader's loop over a block's lines.
pub(super) fn each_line<E>(
    block: &Block,
    mut parse: impl FnMut(u64, &[u8]) -> Result<(), String>,
    mut bad: impl FnMut(u64, String) -> Result<(), E>,
) -> Result<u64, E> {
    let mut number = 0;
    for line in lines(block) {
        number += 1;
        let result = match &line {
            Line::Text { bytes, .. } => parse(number, bytes),
            Line::TooLong => Ok(()),
        };
        if let Some(problem) = problem_of(&line, result) {
            bad(number, problem)?;
        }
    }
    Ok(number)
}

/// The lines of `block`, in order.
fn lines(block: &Block) -> impl Iterator<Item = Line<'_>> {
    let (bytes, mut too_long) = match block {
        Block::Lines(bytes) => (&bytes[..], false),
        Block::TooLong => (&[][..], true),
    };
    let mut at = 0;
    std::iter::from_fn(move || {
        if std::mem::take(&mut too_long) {
            return Some(Line::TooLong);
        }
        let rest = bytes.get(at..).filter(|rest| !rest.is_empty())?;
        let (line, terminated) = match memchr::memchr(b'\n', rest) {
            Some(end) => {
                at += end + 1;
                (&rest[..end], true)
            }
            None => {
                at = bytes.len();
                (rest, false)
            }
        };
        Some(if line.len() > MAX_LINE {
            Line::TooLong
        } else {
            Line::Text {
                bytes: line,
                terminated,
            }
        })
    })
}

/// The problem with a line that `parse` rejected, as the reader reports it.
fn problem_of(line: &Line, parsed: Result<(), String>) -> Option<String> {
    match (line, parsed) {
        (Line::TooLong, _) => Some(format!("line longer than {MAX_LINE} bytes")),
        (_, Ok(())) => None,
        (Line::Text { terminated, .. }, Err(problem)) => Some(if *terminated {
            problem
        } else {
            format!("{problem} (truncated last line: no newline at end of file)")
        }),
    }
}

/// What parsing one block gave.
struct Parsed<T> {
    values: Vec<T>,
    /// Lines in the block.
    lines: u64,
    /// (line within the block, from 1; problem).
    bad: Vec<(u64, String)>,
}

/// Parses every line of `path` with `parse` (its bytes, without the `\n`), on two threads, a
/// block at a time; returns the values of each block, in file order, and reports the bad lines
/// to `diag` in file order, as [`super::lines::for_each_line`] would.
pub fn parse_lines<T: Send>(
    path: &Path,
    diag: &mut Diagnostics,
    parse: impl Fn(&[u8]) -> Result<Option<T>, String> + Sync,
) -> Result<Vec<Vec<T>>, InputError> {
    let (file, reader) = open(path)?;
    let blocks = Mutex::new((Blocks::new(reader), 0usize));
    let work = || -> io::Result<Vec<(usize, Parsed<T>)>> {
        let mut done = Vec::new();
        loop {
            let (block, index) = {
                let mut next = blocks.lock().expect("a reader does not panic");
                let Some(block) = next.0.next_block()? else {
                    return Ok(done);
                };
                next.1 += 1;
                (block, next.1 - 1)
            };
            let (mut values, mut bad) = (Vec::new(), Vec::new());
            let Ok(lines) = each_line(
                &block,
                |_, bytes| parse(bytes).map(|v| values.extend(v)),
                |number, problem| {
                    bad.push((number, problem));
                    Ok::<_, Infallible>(())
                },
            );
            done.push((index, Parsed { values, lines, bad }));
        }
    };
    let (mine, other) = std::thread::scope(|scope| {
        let other = scope.spawn(work);
        (work(), other.join().expect("a parser does not panic"))
    });
    let io_error = |source| InputError::Io {
        file: file.clone(),
        source,
    };
    let mut all = mine.map_err(io_error)?;
    all.extend(other.map_err(io_error)?);
    all.sort_unstable_by_key(|&(index, _)| index);
    let mut before = 0;
    let mut values = Vec::with_capacity(all.len());
    for (_, parsed) in all {
        for (line, problem) in parsed.bad {
            diag.bad_line(LineError {
                file: file.clone(),
                line: before + line,
                problem,
            })?;
        }
        before += parsed.lines;
        values.push(parsed.values);
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every line of `text` as the blocks cut it: (bytes, terminated), `None` for too long.
    fn all_lines(text: &[u8]) -> Vec<Option<(Vec<u8>, bool)>> {
        let mut blocks = Blocks::new(text);
        let mut out = Vec::new();
        while let Some(block) = blocks.next_block().expect("reads") {
            out.extend(lines(&block).map(|l| match l {
                Line::Text { bytes, terminated } => Some((bytes.to_vec(), terminated)),
                Line::TooLong => None,
            }));
        }
        out
    }

    #[test]
    fn lines_across_blocks_and_the_last_without_newline() {
        let mut text = Vec::new();
        let mut want = Vec::new();
        for i in 0..(3 * BLOCK / 8) {
            let line = format!("{i} {}", i * 7);
            text.extend_from_slice(line.as_bytes());
            text.push(b'\n');
            want.push(Some((line.into_bytes(), true)));
        }
        text.extend_from_slice(b"1 2");
        want.push(Some((b"1 2".to_vec(), false)));
        assert_eq!(all_lines(&text), want);
        assert_eq!(all_lines(b""), []);
        assert_eq!(
            all_lines(b"\n\n"),
            [Some((vec![], true)), Some((vec![], true))]
        );
    }

    #[test]
    fn over_long_lines_are_one_bad_line_each_and_the_next_is_read() {
        for long in [MAX_LINE + 1, BLOCK + 10, 3 * BLOCK] {
            let mut text = b"a\n".to_vec();
            text.extend(vec![b'7'; long]);
            text.extend_from_slice(b"\nok\n");
            text.extend(vec![b'8'; MAX_LINE]);
            let got = all_lines(&text);
            assert_eq!(got.len(), 4, "a line of {long} bytes");
            assert_eq!(got[0], Some((b"a".to_vec(), true)));
            assert_eq!(got[1], None);
            assert_eq!(got[2], Some((b"ok".to_vec(), true)));
            // Exactly at the limit is fine.
            assert_eq!(got[3], Some((vec![b'8'; MAX_LINE], false)));
        }
        // An over-long last line without a newline.
        let got = all_lines(&vec![b'9'; BLOCK + 1]);
        assert_eq!(got, [None]);
    }
}
