//! Files that survive a crash: the one place for atomic replacement (write a `.tmp`, fsync,
//! rename, fsync the directory; or only write and rename, for a view that need not survive),
//! directory syncs, torn-tail repair of append-only line files, and the error that names the file
//! an operation failed on.
//!
//! The output directory (`recommendations.tsv`, `changes.jsonl`) and `follow`'s state directory
//! (`checkpoint.json`, `journal.jsonl`) both go through here.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// An I/O error with the file it happened on.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {source}")]
pub struct FileError {
    /// The file (or `<stdout>`, `<output>`).
    pub path: String,
    /// What the operating system said.
    pub source: io::Error,
}

/// Turns an I/O error on `path` into a [`FileError`] (for `map_err`).
pub fn on(path: impl AsRef<Path>) -> impl FnOnce(io::Error) -> FileError {
    let path = path.as_ref().display().to_string();
    move |source| FileError { path, source }
}

/// Replaces `path` so that a reader (or a restart after a crash) finds the old bytes or the new
/// ones, never a mixture: writes `path.tmp` (truncating a leftover of a crash), fsyncs it, renames
/// it over `path`, and fsyncs the directory so that the rename itself is durable.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), FileError> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    File::create(&tmp)
        .and_then(|mut f| {
            f.write_all(bytes)?;
            f.sync_all()
        })
        .map_err(on(&tmp))?;
    fs::rename(&tmp, path).map_err(on(path))?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    sync_dir(dir).map_err(on(dir))
}

/// Takes the advisory lock on `path` (creating the file), held while the returned file stays
/// open, so until the process ends, however it ends. `Ok(None)`: another process holds it.
pub fn try_lock(path: &Path) -> Result<Option<File>, FileError> {
    let file = File::create(path).map_err(on(path))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(fs::TryLockError::WouldBlock) => Ok(None),
        Err(fs::TryLockError::Error(e)) => Err(on(path)(e)),
    }
}

/// Replaces `path` so that a reader finds the old bytes or the new ones, as
/// [`write_atomically`] does, but without its fsyncs: for a file that is only a view of others
/// (the report page), which a crash may leave old or empty and the next writing puts right. On a
/// loaded disk the two fsyncs cost more than drawing the page.
pub fn replace_for_readers(path: &Path, bytes: &[u8]) -> Result<(), FileError> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    fs::write(&tmp, bytes).map_err(on(&tmp))?;
    fs::rename(&tmp, path).map_err(on(path))
}

/// Cuts `file` (at `path`) to `len` bytes and makes the cut durable.
pub fn truncate(file: &File, path: &Path, len: u64) -> Result<(), FileError> {
    file.set_len(len)
        .and_then(|()| file.sync_all())
        .map_err(on(path))
}

/// Makes a rename in `dir` durable; on other systems than Unix a directory cannot be opened this
/// way, and this does nothing.
#[cfg(unix)]
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// See the Unix version.
#[cfg(not(unix))]
pub fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

/// Opens a line-oriented file for appending (creating it), first cutting off a torn last line
/// (one without its newline) that a crash mid-write may have left, so that the next line starts a
/// line of its own.
pub fn open_whole_lines(path: &Path) -> io::Result<File> {
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .read(true)
        .open(path)?;
    let len = f.metadata()?.len();
    if len == 0 {
        return Ok(f);
    }
    // Scan back from the end for the last newline, a chunk at a time.
    let mut chunk = vec![0u8; 64 * 1024];
    let mut end = len;
    let keep = loop {
        let start = end.saturating_sub(chunk.len() as u64);
        let part = &mut chunk[..(end - start) as usize];
        f.seek(SeekFrom::Start(start))?;
        f.read_exact(part)?;
        if end == len && part.last() == Some(&b'\n') {
            return Ok(f);
        }
        if let Some(i) = part.iter().rposition(|&b| b == b'\n') {
            break start + i as u64 + 1;
        }
        if start == 0 {
            break 0;
        }
        end = start;
    };
    f.set_len(keep)?;
    Ok(f)
}

/// Calls `visit(start, line, terminated)` on the lines of `f` (of length `len`), last first,
/// without their `\n`, until it returns false; `terminated` is false only for a last line with no
/// newline. Reads back a chunk at a time.
pub fn lines_backward(
    f: &mut File,
    len: u64,
    mut visit: impl FnMut(u64, &[u8], bool) -> bool,
) -> io::Result<()> {
    const CHUNK: u64 = 64 * 1024;
    // `line` holds the bytes [pos, end) of the line being gathered, the part read so far.
    let mut pos = len;
    let mut line: Vec<u8> = Vec::new();
    let mut terminated = true;
    let mut first = true;
    while pos > 0 {
        let start = pos.saturating_sub(CHUNK);
        let mut chunk = vec![0u8; (pos - start) as usize];
        f.seek(SeekFrom::Start(start))?;
        f.read_exact(&mut chunk)?;
        if first {
            first = false;
            if chunk.last() == Some(&b'\n') {
                chunk.pop();
            } else {
                terminated = false;
            }
        }
        chunk.extend_from_slice(&line);
        line = chunk;
        pos = start;
        while let Some(i) = line.iter().rposition(|&b| b == b'\n') {
            if !visit(pos + i as u64 + 1, &line[i + 1..], terminated) {
                return Ok(());
            }
            terminated = true;
            line.truncate(i);
        }
    }
    if len > 0 {
        visit(0, &line, terminated);
    }
    Ok(())
}
