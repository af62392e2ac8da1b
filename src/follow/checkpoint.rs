//! Restarting without loss: how far the log was read, and what is needed to go on from there.
//!
//! # Checkpoint, not replay
//!
//! A deterministic replay (re-read the log up to the recorded offset and rebuild the state) would
//! need the whole log still to be there. A followed log is rotated and truncated under us: the
//! events of a file rotated away last week are gone, but the state they built is not. So the
//! accepted state itself is kept. The selection need not be: it is a pure function of the
//! snapshot (docs/ALGORITHM.md, "Determinism"), so a resumed [`crate::job::Session`] recomputes
//! it, and with it the recommendations last emitted, from the restored state alone.
//!
//! # Files in the state directory
//!
//! - `checkpoint.json`: a snapshot: the settings the state was built under, the [`Mark`] (epoch,
//!   log position, bad lines so far), the accepted [`State`] and the `--window`'s pending
//!   expiries. Replaced atomically: written to `checkpoint.json.tmp`, fsynced, renamed over, the
//!   directory fsynced.
//! - `journal.jsonl`: one line per epoch since the snapshot: its [`Mark`] and the log events it
//!   read. Appended and fsynced after each epoch. Replaying these through the window onto the
//!   snapshot's state rebuilds the state after the last of them, exactly: state and window are
//!   functions of the event sequence, and [`Window`] and [`State`] are the same code live and on
//!   replay.
//!
//! Writing the whole state after every epoch would cost as much as the graph every epoch; the
//! journal costs as much as the epoch. Once the journal would grow past twice the snapshot (and
//! past 1 MiB), the epoch writes a new snapshot instead and empties the journal: the bytes written
//! stay within 1.5 times the journal's, and a restart replays at most that much.
//!
//! - `lock`: held (an advisory lock, released when the process ends, however it ends) while a
//!   follower uses the directory, so that two followers cannot interleave their checkpoints.
//! - `start.json`: on a first start, before epoch 0 is emitted, the length of the output
//!   directory's change log. Without a snapshot it tells a restart where the crashed first start
//!   began writing, so that its epoch 0 is not in the log twice. Removed with the first snapshot.
//!
//! A crash can leave a torn last journal line: it was never acknowledged, its epoch counts as not
//! done and the line is cut off on opening. A crash between renaming a new snapshot and emptying
//! the journal leaves lines of epochs the snapshot already holds: they are skipped. Anything else
//! that does not fit (a torn line before the last, a gap in the epochs, other settings) is an
//! error: a checkpoint is never silently half used.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::tail::Position;
use super::{seal, validate};
use crate::epochs::Window;
use crate::input::{Event, EventFormat};
use crate::job::JobConfig;
use crate::model::Model;
use crate::output::durable::{FileError, on, try_lock, write_atomically};
use crate::state::State;

/// The version of the files' layout: 2 seals every record with its checksum ([`seal`]).
const VERSION: u32 = 2;

/// The journal may grow to this size before it is folded into a snapshot, however small that is.
const JOURNAL_MIN: u64 = 1 << 20;

/// What the state depends on besides the events: a checkpoint is only resumed under the same.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// `--model`.
    pub model: Model,
    /// `-k`.
    pub k: u32,
    /// `--epsilon`.
    pub epsilon: f64,
    /// `--delta`.
    pub delta: Option<f64>,
    /// `--seed`.
    pub seed: u64,
    /// `--min-samples-per-node`; checkpoints written before the floor existed had none.
    #[serde(default)]
    pub min_rate: f64,
    /// `--window`, in seconds.
    pub window: Option<f64>,
}

impl Settings {
    /// The settings of a job.
    pub fn of(cfg: &JobConfig) -> Settings {
        Settings {
            model: cfg.model,
            k: cfg.k,
            epsilon: cfg.params.epsilon,
            delta: cfg.params.delta,
            seed: cfg.params.seed,
            min_rate: cfg.params.min_rate,
            window: cfg.window,
        }
    }

    /// The first setting that differs from `other`, as (flag, this, other), each value as the
    /// flag would be written (`unset` for an optional flag not given).
    fn differs(&self, other: &Settings) -> Option<(&'static str, String, String)> {
        let or_unset =
            |v: Option<f64>, unit: &str| v.map_or("unset".to_string(), |v| format!("{v}{unit}"));
        let pairs = [
            ("--model", self.model.to_string(), other.model.to_string()),
            ("-k", self.k.to_string(), other.k.to_string()),
            (
                "--epsilon",
                self.epsilon.to_string(),
                other.epsilon.to_string(),
            ),
            (
                "--delta",
                or_unset(self.delta, ""),
                or_unset(other.delta, ""),
            ),
            ("--seed", self.seed.to_string(), other.seed.to_string()),
            (
                "--min-samples-per-node",
                self.min_rate.to_string(),
                other.min_rate.to_string(),
            ),
            (
                "--window",
                or_unset(self.window, "s"),
                or_unset(other.window, "s"),
            ),
        ];
        pairs.into_iter().find(|(_, a, b)| a != b)
    }
}

/// Where an epoch left the log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Mark {
    /// The epoch just emitted.
    pub epoch: u64,
    /// Bad lines skipped so far.
    pub skipped: u64,
    /// How far the log was consumed; `None` before any of it was.
    pub position: Option<Position>,
    /// The format of the file being read, once known.
    pub format: Option<EventFormat>,
}

/// What a restart goes on from.
#[derive(Debug)]
pub struct Restored {
    /// Where the epoch after `mark`'s must close, when it was emitted (closed by `--idle` or at
    /// a file switch, which a restart cannot see again) but not recorded: it is emitted again
    /// with the same events.
    pub close_at: Option<Position>,
    /// Where the last recorded epoch left the log.
    pub mark: Mark,
    /// The accepted state after that epoch.
    pub state: State,
    /// The window after that epoch.
    pub window: Option<Window>,
}

/// Why the state directory could not be used.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// Reading or writing failed.
    #[error(transparent)]
    Io(#[from] FileError),
    /// A file holds something this version did not write.
    #[error("{path}: {problem} (remove the state directory to start afresh)")]
    Corrupt {
        /// The file.
        path: String,
        /// What is wrong.
        problem: String,
    },
    /// Another process holds the state directory.
    #[error("{dir}: another cimflow is using this state directory")]
    Busy {
        /// The state directory.
        dir: String,
    },
    /// The state directory lost its checkpoint, or the output directory is not the one the
    /// state directory wrote to.
    #[error("{0}")]
    Mismatch(String),
    /// The checkpoint was made under other settings.
    #[error(
        "{dir}: the checkpoint was made with {flag} {was}, not {now} (use the same, or remove \
         the state directory to start afresh)"
    )]
    Settings {
        /// The state directory.
        dir: String,
        /// The flag that differs.
        flag: &'static str,
        /// Its value in the checkpoint.
        was: String,
        /// Its value now.
        now: String,
    },
}

#[derive(Serialize)]
struct SnapshotOut<'a> {
    settings: &'a Settings,
    /// The output directory (absolute), whose change log holds this checkpoint's epochs.
    output: Option<&'a str>,
    mark: &'a Mark,
    window: Option<&'a Window>,
    state: &'a State,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SnapshotIn {
    settings: Settings,
    output: Option<String>,
    mark: Mark,
    window: Option<Window>,
    state: State,
}

/// One journal line.
#[derive(Serialize)]
enum LineOut<'a> {
    /// An epoch recorded: where it left the log and the log events it read.
    Epoch { mark: &'a Mark, events: &'a [Event] },
    /// Before emitting an epoch whose end a restart could not find again (closed by `--idle` or
    /// at a file switch): where it closes.
    Close { epoch: u64, position: &'a Position },
}

#[derive(Serialize, Deserialize)]
struct Start {
    changes_len: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
enum LineIn {
    Epoch { mark: Mark, events: Vec<Event> },
    Close { epoch: u64, position: Position },
}

/// The state directory, open for recording.
pub struct Checkpoints {
    /// Locked while this exists.
    _lock: File,
    dir: PathBuf,
    settings: Settings,
    /// The output directory, absolute, as the checkpoint records it.
    output: Option<String>,
    journal: File,
    journal_path: PathBuf,
    journal_len: u64,
    /// The size of the current snapshot; `None` while there is none.
    snapshot_len: Option<u64>,
}

impl Checkpoints {
    /// Opens `dir` (creating it), and loads what it holds: `None` on a first start.
    ///
    /// Phases: take the directory's lock; read the snapshot and the journal; without a snapshot,
    /// refuse a journal (its checkpoint is lost); else check the snapshot's checksum, settings,
    /// output directory and every field, and replay the journal's whole lines onto it.
    pub fn open(
        dir: &Path,
        settings: Settings,
        output: Option<&Path>,
    ) -> Result<(Checkpoints, Option<Restored>), CheckpointError> {
        fs::create_dir_all(dir).map_err(on(dir))?;
        let lock = lock(dir)?;
        let snapshot_path = dir.join("checkpoint.json");
        let journal_path = dir.join("journal.jsonl");
        let snapshot = match fs::read(&snapshot_path) {
            Ok(bytes) => Some(bytes),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(on(&snapshot_path)(e).into()),
        };
        let mut journal = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(&journal_path)
            .map_err(on(&journal_path))?;
        let mut text = Vec::new();
        journal.read_to_end(&mut text).map_err(on(&journal_path))?;
        let mut store = Checkpoints {
            _lock: lock,
            dir: dir.to_path_buf(),
            settings,
            output: output.map(|o| {
                std::path::absolute(o)
                    .unwrap_or_else(|_| o.to_path_buf())
                    .display()
                    .to_string()
            }),
            journal,
            journal_path,
            journal_len: text.len() as u64,
            snapshot_len: snapshot.as_ref().map(|s| s.len() as u64),
        };
        let Some(snapshot) = snapshot else {
            // The first epoch is always a snapshot: a journal without one lost its checkpoint.
            if text.iter().any(|b| !b.is_ascii_whitespace()) {
                return Err(CheckpointError::Mismatch(format!(
                    "{}: missing, but {} holds the epochs after it: put checkpoint.json back, or \
                     remove the state directory (and the output directory's changes.jsonl) to \
                     start afresh",
                    snapshot_path.display(),
                    store.journal_path.display()
                )));
            }
            store.truncate_journal(0)?;
            return Ok((store, None));
        };
        let mut restored = store.restore(&snapshot_path, &snapshot)?;
        let kept = store.replay_journal(&mut restored, &text)?;
        store.truncate_journal(kept)?;
        Ok((store, Some(restored)))
    }

    /// The snapshot's content, once it is known to be of this version and these settings.
    fn restore(&self, path: &Path, snapshot: &[u8]) -> Result<Restored, CheckpointError> {
        let body = seal::unseal(Some(VERSION), snapshot).map_err(|e| corrupt(path, e))?;
        let s: SnapshotIn =
            serde_json::from_slice(body).map_err(|e| corrupt(path, e.to_string()))?;
        let setting = |flag, was: String, now: String| CheckpointError::Settings {
            dir: self.dir.display().to_string(),
            flag,
            was,
            now,
        };
        if let Some((flag, was, now)) = s.settings.differs(&self.settings) {
            return Err(setting(flag, was, now));
        }
        if s.output != self.output {
            let show = |o: &Option<String>| o.clone().unwrap_or_else(|| "(none)".into());
            return Err(setting("--output", show(&s.output), show(&self.output)));
        }
        validate::snapshot(&self.settings, &s.mark, s.window.as_ref(), &s.state)
            .map_err(|e| corrupt(path, e))?;
        Ok(Restored {
            close_at: None,
            mark: s.mark,
            state: s.state,
            window: s.window,
        })
    }

    /// Replays the journal `text` onto `restored`: whole lines only, each the next epoch (lines of
    /// epochs the snapshot already holds are skipped; a torn last line was never acknowledged and
    /// counts as not done). Returns the length of the part kept.
    fn replay_journal(&self, restored: &mut Restored, text: &[u8]) -> Result<u64, CheckpointError> {
        let mut start = 0;
        while start < text.len() {
            let Some(len) = text[start..].iter().position(|&b| b == b'\n') else {
                break; // torn: never acknowledged
            };
            let line = &text[start..start + len];
            let at = |e: String| corrupt(&self.journal_path, format!("at byte {start}: {e}"));
            let body = match seal::unseal(None, line) {
                Ok(body) => body,
                // Torn, newline and all: never acknowledged.
                Err(_) if start + len + 1 == text.len() => break,
                Err(e) => return Err(at(e)),
            };
            let record: LineIn = serde_json::from_slice(body).map_err(|e| at(e.to_string()))?;
            let next = restored.mark.epoch + 1;
            match record {
                LineIn::Close { epoch, position } if epoch == next => {
                    restored.close_at = Some(position);
                }
                LineIn::Close { .. } => {}
                LineIn::Epoch { mark, events } if mark.epoch >= next => {
                    if mark.epoch != next {
                        return Err(at(format!(
                            "epoch {} follows epoch {}",
                            mark.epoch,
                            next - 1
                        )));
                    }
                    validate::mark(&mark)
                        .and_then(|()| validate::events(&events))
                        .map_err(at)?;
                    replay(restored, &events);
                    restored.mark = mark;
                    restored.close_at = None;
                }
                LineIn::Epoch { .. } => {}
            }
            start += len + 1;
        }
        Ok(start as u64)
    }

    /// On a first start: the change log's length when the last first start began, if that one
    /// stopped before its first snapshot.
    pub fn interrupted_start(&self) -> Result<Option<u64>, CheckpointError> {
        let path = self.dir.join("start.json");
        match fs::read(&path) {
            Ok(bytes) => serde_json::from_slice::<Start>(&bytes)
                .map(|s| Some(s.changes_len))
                .map_err(|e| CheckpointError::Corrupt {
                    path: path.display().to_string(),
                    problem: e.to_string(),
                }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(on(&path)(e).into()),
        }
    }

    /// On a first start, before epoch 0 is emitted: records the change log's length.
    pub fn begin(&mut self, changes_len: u64) -> Result<(), CheckpointError> {
        let bytes = serde_json::to_vec(&Start { changes_len }).expect("serialising to memory");
        Ok(write_atomically(&self.dir.join("start.json"), &bytes)?)
    }

    /// Records the state after an epoch, whose output must already be flushed: `mark` says where
    /// the epoch left the log, `log_events` are the log events it read (expiries not included),
    /// `state` and `window` are the state after it. Appends to the journal, or writes a snapshot
    /// and empties the journal when there is no snapshot yet or the journal has outgrown it.
    pub fn record(
        &mut self,
        mark: &Mark,
        log_events: &[Event],
        state: &State,
        window: Option<&Window>,
    ) -> Result<(), CheckpointError> {
        let line = journal_line(&LineOut::Epoch {
            mark,
            events: log_events,
        });
        let grown = self.journal_len + line.len() as u64;
        match self.snapshot_len {
            Some(snapshot) if grown <= (2 * snapshot).max(JOURNAL_MIN) => self.append(&line),
            _ => self.snapshot(mark, state, window),
        }
    }

    /// Before emitting epoch `epoch`, which closes at `position` for a reason a restart cannot
    /// see again (`--idle`, a file switch): records where, so that if it is emitted but not
    /// recorded, the restart closes it at the same place and emits it identically.
    pub fn intend_close(&mut self, epoch: u64, position: &Position) -> Result<(), CheckpointError> {
        if self.snapshot_len.is_none() {
            return Ok(());
        }
        self.append(&journal_line(&LineOut::Close { epoch, position }))
    }

    /// Appends a line to the journal and makes it durable before anything else is written.
    fn append(&mut self, line: &[u8]) -> Result<(), CheckpointError> {
        self.journal
            .write_all(line)
            .and_then(|()| self.journal.sync_data())
            .map_err(on(&self.journal_path))?;
        self.journal_len += line.len() as u64;
        Ok(())
    }

    fn snapshot(
        &mut self,
        mark: &Mark,
        state: &State,
        window: Option<&Window>,
    ) -> Result<(), CheckpointError> {
        let body = serde_json::to_vec(&SnapshotOut {
            settings: &self.settings,
            output: self.output.as_deref(),
            mark,
            window,
            state,
        })
        .expect("serialising to memory cannot fail");
        let bytes = seal::seal(Some(VERSION), &body);
        write_atomically(&self.dir.join("checkpoint.json"), &bytes)?;
        if self.snapshot_len.is_none() {
            let start = self.dir.join("start.json");
            match fs::remove_file(&start) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(on(&start)(e).into()),
                _ => {}
            }
        }
        self.snapshot_len = Some(bytes.len() as u64);
        // Lines left here if this stops now hold epochs the snapshot has: they are skipped.
        self.truncate_journal(0)
    }

    fn truncate_journal(&mut self, len: u64) -> Result<(), CheckpointError> {
        if len == self.journal_len {
            return Ok(());
        }
        self.journal
            .set_len(len)
            .and_then(|()| self.journal.seek(SeekFrom::End(0)).map(drop))
            .and_then(|()| self.journal.sync_all())
            .map_err(on(&self.journal_path))?;
        self.journal_len = len;
        Ok(())
    }
}

/// Takes the advisory lock of the state directory `dir`, held as long as the file stays open.
fn lock(dir: &Path) -> Result<File, CheckpointError> {
    try_lock(&dir.join("lock"))?.ok_or_else(|| CheckpointError::Busy {
        dir: dir.display().to_string(),
    })
}

/// A journal line: the record sealed with its checksum, and a newline.
fn journal_line(record: &LineOut<'_>) -> Vec<u8> {
    let body = serde_json::to_vec(record).expect("serialising to memory cannot fail");
    let mut line = seal::seal(None, &body);
    line.push(b'\n');
    line
}

fn corrupt(path: &Path, problem: String) -> CheckpointError {
    CheckpointError::Corrupt {
        path: path.display().to_string(),
        problem,
    }
}

/// Applies one journaled epoch's log events, through the window, as the live run did.
fn replay(restored: &mut Restored, events: &[Event]) {
    let state = &mut restored.state;
    for &event in events {
        match &mut restored.window {
            Some(w) => w.push(event, |e| {
                state.apply(&e);
            }),
            None => {
                state.apply(&event);
            }
        }
    }
    // The pending changes keep accumulating on top of the snapshot's (its whole content): the
    // resumed engine starts empty and must be fed all of it, net.
    // Refusals were reported when the live run met them; the counter keeps them.
    state.take_refusals();
}

#[cfg(test)]
mod tests;
