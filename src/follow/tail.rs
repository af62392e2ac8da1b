//! Reading a log that other programs append to, as `tail -F` does: whole lines only, through
//! truncation and rotation, waiting for a file that is not there (yet, or any more).
//!
//! - A line is handed out only once its `\n` has arrived; a half-written last line waits in the
//!   buffer. A line longer than [`MAX_LINE`] is reported once and its bytes are thrown away as
//!   they arrive, so memory stays bounded whatever the file holds.
//! - Rotation: the path names a new file (another device or inode). The old file is read to its
//!   end first (a writer may still have appended), its last line even without a `\n` (it will
//!   never get one), then [`Notice::Rotated`] is returned, and the next call opens the new file
//!   and reads it from its start.
//! - Truncation: the file is shorter than what was read of it. [`Notice::Truncated`]; the next
//!   call reads it from its start. (A file truncated and regrown past the old length between two
//!   looks is not noticed: that is the limit of `tail -F` too.)
//! - A path that disappears is announced once; the open file is still read (a writer may hold
//!   it) until the path names a file again.
//! - [`Position`] says how far the log has been consumed, with the file's identity and the bytes
//!   just before the offset, so that a restart recognises the same file with the same content
//!   (inode numbers are reused; files are rewritten). If the path now names another file, the
//!   log was rotated while cimflow was stopped: the old file is looked for in the same directory
//!   (where `logrotate` and the like rename it) and, found with the same content, read on from
//!   the position before the new one is read from its start. Otherwise the new file is read from
//!   its start, and what the old one held past the position is lost (compressed or moved away).
//!
//! Notices are returned, not printed: the caller decides what to say and does its own
//! bookkeeping (closing an epoch) at a switch, while this still holds the old file.

use std::fmt;
use std::fs::{self, File};
use std::io::{self, ErrorKind, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use crate::input::lines::MAX_LINE;

/// Bytes asked of the file per read.
const CHUNK: usize = 64 * 1024;

/// How many bytes before a position identify the content that led to it.
const CONTEXT: usize = 64;

/// A file's identity: device and inode (on other systems than Unix, every file looks the same and
/// only truncation is noticed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileId {
    /// The device.
    pub dev: u64,
    /// The inode.
    pub ino: u64,
}

impl FileId {
    #[cfg(unix)]
    fn of(meta: &fs::Metadata) -> FileId {
        use std::os::unix::fs::MetadataExt;
        FileId {
            dev: meta.dev(),
            ino: meta.ino(),
        }
    }

    #[cfg(not(unix))]
    fn of(_meta: &fs::Metadata) -> FileId {
        FileId { dev: 0, ino: 0 }
    }
}

/// How far a log has been consumed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// The file.
    pub file: FileId,
    /// Every byte before this offset has been handed out (as whole lines) or thrown away.
    pub offset: u64,
    /// The number of lines before `offset`.
    pub line: u64,
    /// Whether `offset` lies inside an over-long line, already reported, being thrown away.
    pub discarding: bool,
    /// Up to 64 bytes just before `offset` (empty until [`Tail::with_context`] fills them).
    pub before: Vec<u8>,
}

/// Something about the file itself that the caller should hear of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notice {
    /// The log is not there; waiting for it.
    Waiting,
    /// The log has appeared (after [`Notice::Waiting`] or [`Notice::Vanished`]).
    Appeared,
    /// The path no longer names a file; the open one is still read.
    Vanished,
    /// The path names a new file. Everything of the old one has been handed out; the next call
    /// reads the new one from its start.
    Rotated,
    /// The file shrank below what was read of it; the next call reads it from its start.
    Truncated,
    /// On resuming, the path names another file than the checkpoint's, or other content: it is
    /// read from its start.
    Replaced,
    /// On resuming, the path names another file, and the checkpoint's was found under another
    /// name in the same directory: the rest of it is read first, then [`Notice::Rotated`].
    RotatedWhileStopped,
}

impl Notice {
    /// Whether lines after this notice come from another file, or other content, than before.
    pub fn switches(self) -> bool {
        matches!(self, Notice::Rotated | Notice::Truncated | Notice::Replaced)
    }
}

impl fmt::Display for Notice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Notice::Waiting => "no such file; waiting for it to appear",
            Notice::Appeared => "has appeared; following it",
            Notice::Vanished => "has disappeared; waiting for it to reappear",
            Notice::Rotated => "has been replaced (rotated); following the new file",
            Notice::Truncated => "file truncated; reading it from its start",
            Notice::Replaced => {
                "is not the file (or content) the checkpoint was reading; reading it from its start"
            }
            Notice::RotatedWhileStopped => {
                "was rotated while cimflow was stopped; reading the rest of the old file first"
            }
        })
    }
}

/// What [`Tail::poll`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Next<'a> {
    /// Line `number` (1-based), without its `\n`. `terminated` is false only for the last line of
    /// a file rotated away without a final newline.
    Line {
        /// The line's bytes.
        bytes: &'a [u8],
        /// Its 1-based number in its file.
        number: u64,
        /// Whether it ended with `\n`.
        terminated: bool,
    },
    /// Line `number` is longer than [`MAX_LINE`] bytes and is skipped.
    TooLong {
        /// Its 1-based number in its file.
        number: u64,
    },
    /// See [`Notice`].
    Notice(Notice),
    /// Nothing new for now.
    Idle,
}

/// An open log file and how far it has been read.
struct Open {
    file: File,
    id: FileId,
    /// Bytes consumed: handed out as lines or thrown away.
    offset: u64,
    /// Bytes read from the file: `offset` plus the unconsumed bytes in the buffer.
    read: u64,
    /// Lines consumed.
    line: u64,
    /// Inside an over-long line: throw bytes away up to the next `\n`.
    discarding: bool,
}

/// What the end of the file means, for [`Tail::poll`].
enum End {
    /// Read again.
    Again,
    /// Say this.
    Next(Next<'static>),
    /// Hand out the unterminated last line of a rotated file: from this buffer index, its number.
    TornLine(usize, u64),
}

/// A followed log.
pub struct Tail {
    path: PathBuf,
    file: Option<Open>,
    /// A checkpoint's position, until the file at `path` has been checked against it.
    resume: Option<Position>,
    /// Unconsumed bytes, from `buf[head]` on; `buf[head..scanned]` holds no `\n`.
    buf: Vec<u8>,
    head: usize,
    scanned: usize,
    /// The path was seen naming another file: the old one is being read to its end.
    rotated: bool,
    /// A switch was announced: open the path afresh on the next call.
    switch: bool,
    /// [`Notice::Waiting`] or [`Notice::Vanished`] was announced and the log has not come back.
    absent: bool,
}

impl Tail {
    /// Follows `path` from its start, or from `resume` (a checkpoint's position) when the file
    /// there is the same one with the same content.
    pub fn new(path: &Path, resume: Option<Position>) -> Self {
        Tail {
            path: path.to_path_buf(),
            file: None,
            resume,
            buf: Vec::new(),
            head: 0,
            scanned: 0,
            rotated: false,
            switch: false,
            absent: false,
        }
    }

    /// How far the log has been consumed: `None` before any file has been opened (or the
    /// checkpoint's position, while it waits to be checked). `before` is left empty.
    pub fn position(&self) -> Option<Position> {
        match &self.file {
            Some(open) => Some(Position {
                file: open.id,
                offset: open.offset,
                line: open.line,
                discarding: open.discarding,
                before: Vec::new(),
            }),
            None => self.resume.clone(),
        }
    }

    /// `position` with the bytes before its offset, read from the open file, which must be the
    /// one `position` is in (it is, until the call after a switching notice).
    pub fn with_context(&self, mut position: Position) -> io::Result<Position> {
        if let Some(open) = &self.file
            && open.id == position.file
        {
            position.before = context(&open.file, position.offset)?;
        }
        Ok(position)
    }

    /// Bytes in the file not yet consumed (0 when there is no file).
    pub fn lag(&self) -> u64 {
        self.file.as_ref().map_or(0, |open| {
            open.file
                .metadata()
                .map_or(0, |m| m.len().saturating_sub(open.offset))
        })
    }

    /// The next line, or what happened instead. Never blocks: [`Next::Idle`] when there is
    /// nothing new, for the caller to wait a little.
    ///
    /// Each round: (1) open the path if no file is open (after a switch, afresh); (2) hand out a
    /// whole line from the buffer; (3) throw away the bytes of an over-long line; (4) read more;
    /// (5) at the end of the file, look at what the path names now.
    pub fn poll(&mut self) -> io::Result<Next<'_>> {
        loop {
            if self.switch {
                self.switch = false;
                self.file = None;
                self.clear_buffer();
            }
            if self.file.is_none() {
                match self.open_path()? {
                    Some(next) => return Ok(next),
                    None => continue,
                }
            }
            match self.next_line() {
                Some(Some((range, number))) => {
                    return Ok(Next::Line {
                        bytes: &self.buf[range],
                        number,
                        terminated: true,
                    });
                }
                // A line that ended an over-long one: nothing to hand out.
                Some(None) => continue,
                None => {}
            }
            if let Some(number) = self.discard_overlong() {
                return Ok(Next::TooLong { number });
            }
            if self.fill()? > 0 {
                continue;
            }
            match self.at_end()? {
                End::Again => continue,
                End::Next(next) => return Ok(next),
                End::TornLine(start, number) => {
                    return Ok(Next::Line {
                        bytes: &self.buf[start..],
                        number,
                        terminated: false,
                    });
                }
            }
        }
    }

    /// (2) The next whole line in the buffer, consumed: its range and number, or `Some(None)` for
    /// the end of an over-long line (consumed, not handed out); `None` when no `\n` is buffered.
    fn next_line(&mut self) -> Option<Option<(std::ops::Range<usize>, u64)>> {
        let open = self.file.as_mut().expect("a file is open");
        let Some(i) = self.buf[self.scanned..].iter().position(|&b| b == b'\n') else {
            self.scanned = self.buf.len();
            return None;
        };
        let end = self.scanned + i;
        let (start, number) = (self.head, open.line + 1);
        open.offset += (end + 1 - start) as u64;
        open.line += 1;
        self.head = end + 1;
        self.scanned = self.head;
        if std::mem::take(&mut open.discarding) {
            return Some(None);
        }
        Some(Some((start..end, number)))
    }

    /// (3) Throws the buffered bytes of an over-long line away as they come; returns the line's
    /// number the first time, when it becomes over-long.
    fn discard_overlong(&mut self) -> Option<u64> {
        let open = self.file.as_mut().expect("a file is open");
        let pending = self.buf.len() - self.head;
        if !(open.discarding || pending > MAX_LINE) {
            return None;
        }
        open.offset += pending as u64;
        self.buf.clear();
        self.head = 0;
        self.scanned = 0;
        if open.discarding {
            return None;
        }
        open.discarding = true;
        Some(open.line + 1)
    }

    /// (4) Reads the next chunk of the file into the buffer; the number of bytes read.
    fn fill(&mut self) -> io::Result<usize> {
        let open = self.file.as_mut().expect("a file is open");
        if self.head > 0 {
            self.buf.drain(..self.head);
            self.scanned -= self.head;
            self.head = 0;
        }
        let old = self.buf.len();
        self.buf.resize(old + CHUNK, 0);
        let got = loop {
            match open.file.read(&mut self.buf[old..]) {
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                other => break other,
            }
        };
        self.buf.truncate(old + *got.as_ref().unwrap_or(&0));
        let n = got?;
        open.read += n as u64;
        Ok(n)
    }

    /// (5) At the end of the file: has the path moved on? A vanished path is announced once; a
    /// path naming another file is a rotation (read once more first, since a writer may have
    /// appended after the read that found the end, and hand out the old file's unterminated last
    /// line before the notice); the same file shorter than what was read is a truncation.
    fn at_end(&mut self) -> io::Result<End> {
        let meta = match fs::metadata(&self.path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                if self.absent {
                    return Ok(End::Next(Next::Idle));
                }
                self.absent = true;
                return Ok(End::Next(Next::Notice(Notice::Vanished)));
            }
            Err(e) => return Err(e),
        };
        let open = self.file.as_mut().expect("a file is open");
        if FileId::of(&meta) != open.id {
            if !self.rotated {
                self.rotated = true;
                return Ok(End::Again);
            }
            self.rotated = false;
            self.absent = false;
            self.switch = true;
            let rest = self.buf.len() - self.head;
            if rest > 0 && !open.discarding {
                // The old file's last line will never get its newline.
                let (start, number) = (self.head, open.line + 1);
                open.offset += rest as u64;
                open.line += 1;
                self.head = self.buf.len();
                self.scanned = self.head;
                // The switch waits for the notice, which the next call returns.
                self.switch = false;
                self.rotated = true;
                return Ok(End::TornLine(start, number));
            }
            return Ok(End::Next(Next::Notice(Notice::Rotated)));
        }
        if self.absent {
            // Renamed back: the same file again.
            self.absent = false;
            return Ok(End::Next(Next::Notice(Notice::Appeared)));
        }
        if meta.len() < open.read {
            // The half-written line in the buffer went with the truncation.
            self.switch = true;
            return Ok(End::Next(Next::Notice(Notice::Truncated)));
        }
        Ok(End::Next(Next::Idle))
    }

    /// Opens the path (from the checkpoint's position when it still applies). `None` when it
    /// opened without anything to say.
    fn open_path(&mut self) -> io::Result<Option<Next<'static>>> {
        let file = match File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                if self.absent {
                    return Ok(Some(Next::Idle));
                }
                self.absent = true;
                return Ok(Some(Next::Notice(Notice::Waiting)));
            }
            Err(e) => return Err(e),
        };
        let meta = file.metadata()?;
        let id = FileId::of(&meta);
        let mut open = Open {
            file,
            id,
            offset: 0,
            read: 0,
            line: 0,
            discarding: false,
        };
        let mut notice = std::mem::take(&mut self.absent).then_some(Notice::Appeared);
        if let Some(pos) = self.resume.take() {
            if pos.file != id
                && let Some(old) = self.find_rotated(&pos)?
            {
                open = old;
                notice = Some(Notice::RotatedWhileStopped);
            } else if pos.file == id && matches(&open.file, meta.len(), &pos)? {
                open.go_to(&pos)?;
            } else {
                notice = Some(Notice::Replaced);
            }
        }
        self.file = Some(open);
        self.clear_buffer();
        Ok(notice.map(Next::Notice))
    }

    /// The checkpoint's file under another name in the log's directory, positioned at `pos`, if
    /// it is there with the same content.
    fn find_rotated(&self, pos: &Position) -> io::Result<Option<Open>> {
        let dir = match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        for entry in fs::read_dir(dir)? {
            let Ok(entry) = entry else { continue };
            let Ok(meta) = entry.metadata() else { continue };
            if !meta.is_file() || FileId::of(&meta) != pos.file {
                continue;
            }
            let Ok(file) = File::open(entry.path()) else {
                continue;
            };
            if !matches(&file, meta.len(), pos)? {
                return Ok(None);
            }
            let mut open = Open {
                file,
                id: pos.file,
                offset: 0,
                read: 0,
                line: 0,
                discarding: false,
            };
            open.go_to(pos)?;
            return Ok(Some(open));
        }
        Ok(None)
    }

    fn clear_buffer(&mut self) {
        self.buf.clear();
        self.head = 0;
        self.scanned = 0;
    }
}

impl Open {
    /// Moves to a checkpoint's position.
    fn go_to(&mut self, pos: &Position) -> io::Result<()> {
        self.file.seek(SeekFrom::Start(pos.offset))?;
        self.offset = pos.offset;
        self.read = pos.offset;
        self.line = pos.line;
        self.discarding = pos.discarding;
        Ok(())
    }
}

/// Whether `file`, of length `len`, holds `pos.before` just before `pos.offset`.
fn matches(file: &File, len: u64, pos: &Position) -> io::Result<bool> {
    Ok(pos.offset <= len && context(file, pos.offset)? == pos.before)
}

/// Up to [`CONTEXT`] bytes of `file` just before `offset` (fewer if the file is shorter now).
fn context(file: &File, offset: u64) -> io::Result<Vec<u8>> {
    let start = offset.saturating_sub(CONTEXT as u64);
    let mut bytes = vec![0u8; (offset - start) as usize];
    let n = read_at(file, &mut bytes, start)?;
    bytes.truncate(n);
    Ok(bytes)
}

/// Reads at `offset` without moving the file's own position (which the tail reads from).
#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    use std::os::unix::fs::FileExt;
    let mut done = 0;
    while done < buf.len() {
        match file.read_at(&mut buf[done..], offset + done as u64) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

#[cfg(not(unix))]
fn read_at(_file: &File, _buf: &mut [u8], _offset: u64) -> io::Result<usize> {
    Ok(0)
}

#[cfg(test)]
mod tests;
