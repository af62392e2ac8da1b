//! Repairs of the change log (`DIR/changes.jsonl`) when `follow` restarts: the log must end where
//! the checkpoint does, so that it holds every epoch exactly once.

use std::fs::{self, OpenOptions};
use std::io::ErrorKind;
use std::path::Path;

use super::OutputError;
use super::durable::{lines_backward, on, truncate};

/// The length of `DIR/changes.jsonl` (0 when missing), after cutting it back to `at_most` bytes
/// when it is longer: a follower's first start that crashed leaves what it wrote after that.
pub fn cut_log_to(dir: &Path, at_most: Option<u64>) -> Result<u64, OutputError> {
    let path = dir.join("changes.jsonl");
    let len = match fs::metadata(&path) {
        Ok(m) => m.len(),
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(on(&path)(e).into()),
    };
    match at_most {
        Some(keep) if keep < len => {
            let f = OpenOptions::new()
                .write(true)
                .open(&path)
                .map_err(on(&path))?;
            truncate(&f, &path, keep)?;
            Ok(keep)
        }
        _ => Ok(len),
    }
}

/// What [`cut_log_after`] found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LogCut {
    /// The epoch of the last record kept, if any record is left.
    pub last_epoch: Option<u64>,
    /// Records of later epochs dropped (a torn last line counts as one).
    pub dropped: u64,
}

/// Drops from `DIR/changes.jsonl` every record of an epoch after `epoch`, and a torn last line,
/// by scanning back from the end (records are in epoch order, and at most a few epochs lie past
/// a checkpoint, so this reads little of a long log). A line that is not a record of ours stops
/// the scan and is kept. A missing log is left missing.
pub fn cut_log_after(dir: &Path, epoch: u64) -> Result<LogCut, OutputError> {
    let path = dir.join("changes.jsonl");
    let mut f = match OpenOptions::new().read(true).write(true).open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(LogCut::default()),
        Err(e) => return Err(on(&path)(e).into()),
    };
    #[derive(serde::Deserialize)]
    struct Record {
        epoch: u64,
    }
    let len = f.metadata().map_err(on(&path))?.len();
    let mut cut = LogCut::default();
    let mut keep = len;
    lines_backward(
        &mut f,
        len,
        |start, line, terminated| match serde_json::from_slice::<Record>(line) {
            Ok(r) if terminated && r.epoch <= epoch => {
                cut.last_epoch = Some(r.epoch);
                false
            }
            Ok(_) => {
                keep = start;
                cut.dropped += 1;
                true
            }
            Err(_) if !terminated => {
                keep = start;
                cut.dropped += 1;
                true
            }
            Err(_) => false,
        },
    )
    .map_err(on(&path))?;
    if keep < len {
        truncate(&f, &path, keep)?;
    }
    Ok(cut)
}
