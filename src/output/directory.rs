//! The output directory: the change log `changes.jsonl`, appended to, and the current set
//! `recommendations.tsv`, replaced atomically.
//!
//! One writer at a time: two processes appending epochs to one change log would interleave them,
//! and would both write `recommendations.tsv.tmp`. So an open directory holds the advisory lock
//! of its file `.lock` until the process ends.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::OutputError;
use super::durable::{on, open_whole_lines, try_lock, write_atomically};
use super::recommendations;
use crate::model::Node;

/// The lock file of an output directory.
pub const LOCK: &str = ".lock";

/// An open output directory.
pub struct Dir {
    /// Locked while this exists.
    _lock: File,
    path: PathBuf,
    log: File,
    log_path: PathBuf,
    recs: PathBuf,
}

impl Dir {
    /// Opens `path` (creating it), with the change log ready for appending.
    pub fn open(path: &Path) -> Result<Dir, OutputError> {
        fs::create_dir_all(path).map_err(on(path))?;
        let lock = try_lock(&path.join(LOCK))?.ok_or_else(|| OutputError::Busy {
            dir: path.display().to_string(),
        })?;
        let log_path = path.join("changes.jsonl");
        let log = open_whole_lines(&log_path).map_err(on(&log_path))?;
        Ok(Dir {
            _lock: lock,
            path: path.to_path_buf(),
            log,
            log_path,
            recs: path.join(recommendations::FILE),
        })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one epoch's records to the change log.
    pub fn append_log(&mut self, records: &[u8]) -> Result<(), OutputError> {
        // Not fsynced: the log is for readers following along, and an fsync per epoch would
        // dominate small epochs. A crash may lose its tail, which `open_whole_lines` then tidies.
        self.log
            .write_all(records)
            .and_then(|()| self.log.flush())
            .map_err(on(&self.log_path))?;
        Ok(())
    }

    /// Makes the change log durable up to the last epoch appended.
    pub fn sync_log(&self) -> Result<(), OutputError> {
        self.log.sync_data().map_err(on(&self.log_path))?;
        Ok(())
    }

    /// Replaces `recommendations.tsv` with `current` (adopter, friend, gain), atomically.
    pub fn replace_recommendations(
        &self,
        current: &[(Node, Node, f64)],
    ) -> Result<(), OutputError> {
        write_atomically(&self.recs, &recommendations::encode(current))?;
        Ok(())
    }
}
