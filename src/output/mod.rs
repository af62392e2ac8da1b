//! Output: what changed after each epoch, on stdout and optionally in an output directory. Every
//! record and file is described field by field in docs/FORMATS.md (sections 7 and 8); this is the
//! summary a reader of the code needs.
//!
//! - **stdout**: per epoch, the changes (withdrawn, then added) and one summary, as JSON Lines
//!   ([`Format::Jsonl`]) or TSV ([`Format::Tsv`]), prepared in memory and handed over in one write
//!   and one flush, so that a reader tailing it only ever sees whole epochs ([`encode`]).
//!   Progress and statistics never come here: they go to stderr.
//! - **`--output DIR`** ([`directory`]): `changes.jsonl`, the same records appended, always JSON
//!   Lines; and `recommendations.tsv`, the complete current set ([`recommendations`]), replaced
//!   atomically through [`durable`]. The directory is written before stdout, so a run that stops
//!   on a closed stdout leaves it complete up to the last epoch.
//! - `DIR/report.html` ([`crate::report`]), when the caller asks for it with
//!   [`Output::keep_report`]: the report page, redrawn after an epoch at most once a second (less
//!   often when drawing takes long, see [`crate::report::REFRESH`]), when the follower is idle,
//!   and when the output is dropped; replaced atomically too, but not fsynced.
//! - Every emitted epoch is also counted in the metrics given to [`Output::with_metrics`].
//! - A closed stdout (`cimflow run ... | head`) is [`OutputError::Closed`]: the caller stops
//!   quietly with exit status 0.
//!
//! # Resuming
//!
//! A follower that checkpoints calls [`Output::sync`] before recording each epoch, so the change
//! log on disk always reaches at least the checkpoint's epoch. It may reach further (the process
//! can die between the two), so on a restart [`cut_log_after`] drops the records of epochs after
//! the checkpoint's before the log is reopened: they are emitted again, identically, by the
//! resumed run, and the log holds every epoch exactly once. [`Output::restore_current`] puts the
//! checkpoint's recommendation set back into `recommendations.tsv` meanwhile.

pub mod change_log;
pub mod directory;
pub mod durable;
pub mod encode;
pub mod recommendations;
pub mod records;

use std::io::{self, ErrorKind, Write};
use std::path::Path;
use std::sync::Arc;

use crate::metrics::Metrics;
use crate::model::Node;
use crate::report::Refresher;

pub use change_log::{LogCut, cut_log_after, cut_log_to};
pub use durable::FileError;
pub use records::{Change, Format, Summary};

use directory::Dir;
use encode::{write_jsonl, write_tsv};

/// Why an epoch could not be emitted.
#[derive(thiserror::Error, Debug)]
pub enum OutputError {
    /// The reader of stdout went away; stop quietly.
    #[error("output closed")]
    Closed,
    /// Writing a file (or the sink) failed.
    #[error(transparent)]
    Io(#[from] FileError),
    /// Another process writes to the output directory.
    #[error(
        "{dir}: another cimflow is writing to this output directory (give each run its own \
         --output)"
    )]
    Busy {
        /// The output directory.
        dir: String,
    },
}

/// The sink of every epoch's changes and summary: stdout (or any writer) and, optionally, an
/// output directory.
pub struct Output {
    format: Format,
    /// No `BufWriter` around it: each epoch is prepared in memory and handed over in one write.
    sink: Box<dyn Write + Send>,
    sink_name: &'static str,
    dir: Option<Dir>,
    closed: bool,
    /// An epoch's records, kept across epochs to save reallocating.
    json: Vec<u8>,
    tsv: Vec<u8>,
    /// Counts every epoch emitted.
    metrics: Option<Arc<Metrics>>,
    /// Keeps `DIR/report.html` current.
    report: Option<Refresher>,
}

impl Output {
    /// Data to stdout and, with `dir`, to the output directory (created if missing).
    pub fn new(format: Format, dir: Option<&Path>) -> Result<Self, OutputError> {
        // `Stdout` rather than `StdoutLock`: the lock is not `Send`, and a whole epoch goes out in
        // one `write_all` anyway.
        Self::build(format, Box::new(io::stdout()), "<stdout>", dir)
    }

    /// Data to `w` instead of stdout (tests, other sinks); `dir` as in [`Output::new`].
    pub fn with_writer(
        format: Format,
        w: Box<dyn Write + Send>,
        dir: Option<&Path>,
    ) -> Result<Self, OutputError> {
        Self::build(format, w, "<output>", dir)
    }

    fn build(
        format: Format,
        sink: Box<dyn Write + Send>,
        sink_name: &'static str,
        dir: Option<&Path>,
    ) -> Result<Self, OutputError> {
        let dir = dir.map(Dir::open).transpose()?;
        Ok(Output {
            format,
            sink,
            sink_name,
            dir,
            closed: false,
            json: Vec::new(),
            tsv: Vec::new(),
            metrics: None,
            report: None,
        })
    }

    /// Counts every epoch emitted from now on in `metrics`.
    pub fn with_metrics(mut self, metrics: Option<Arc<Metrics>>) -> Self {
        self.metrics = metrics;
        self
    }

    /// With an output directory, keeps `report.html` there current from now on, starting from
    /// what its change log already holds; `epsilon` places the ratio chart's 1/2 − ε line.
    /// A no-op without a directory.
    pub fn keep_report(&mut self, epsilon: f64) -> Result<(), OutputError> {
        if let Some(dir) = &self.dir {
            self.report = Some(Refresher::open(dir.path(), epsilon)?);
        }
        Ok(())
    }

    /// Between epochs, when there is time: redraws the report page if it is behind.
    pub fn idle(&mut self) {
        if let Some(r) = &mut self.report {
            let drawn = r.idle();
            self.report_drawn(drawn);
        }
    }

    /// A report page that cannot be written does not stop the run (the change log and
    /// `recommendations.tsv` carry the data): it is reported once and no longer kept.
    fn report_drawn(&mut self, drawn: Result<(), FileError>) {
        if let Err(e) = drawn {
            eprintln!("cimflow: {e}; the report page is no longer kept current");
            self.report = None;
        }
    }
    /// Emits one epoch: `changes` in the order given, then `summary`; with an output directory,
    /// also appends them to the change log and replaces the current set with `current`
    /// (adopter, friend, gain), written in the order given.
    ///
    /// The directory is written before stdout, so that a caller stopping on
    /// [`OutputError::Closed`] leaves it complete up to this epoch. Once closed, stays closed.
    pub fn emit_epoch(
        &mut self,
        epoch: u64,
        changes: &[Change],
        summary: &Summary,
        current: &[(Node, Node, f64)],
    ) -> Result<(), OutputError> {
        if self.closed {
            return Err(OutputError::Closed);
        }
        // The JSON records serve the change log and, in JSON mode, stdout too.
        self.json.clear();
        if self.dir.is_some() || self.format == Format::Jsonl {
            write_jsonl(&mut self.json, epoch, changes, summary);
        }
        if let Some(dir) = &mut self.dir {
            dir.append_log(&self.json)?;
            dir.replace_recommendations(current)?;
        }
        if let Some(r) = &mut self.report {
            let drawn = r.epoch(epoch, changes, summary, current);
            self.report_drawn(drawn);
        }
        let data = match self.format {
            Format::Jsonl => &self.json,
            Format::Tsv => {
                self.tsv.clear();
                write_tsv(&mut self.tsv, epoch, changes, summary);
                &self.tsv
            }
        };
        let sent = self.sink.write_all(data).and_then(|()| self.sink.flush());
        match sent {
            Ok(()) => {
                if let Some(m) = &self.metrics {
                    m.epoch(changes, summary);
                }
                Ok(())
            }
            Err(e) if e.kind() == ErrorKind::BrokenPipe => {
                self.closed = true;
                Err(OutputError::Closed)
            }
            Err(e) => Err(durable::on(self.sink_name)(e).into()),
        }
    }
}

impl Output {
    /// Makes the change log durable (fsync) up to the last epoch emitted. A no-op without an
    /// output directory.
    pub fn sync(&mut self) -> Result<(), OutputError> {
        match &self.dir {
            Some(dir) => dir.sync_log(),
            None => Ok(()),
        }
    }

    /// Replaces `recommendations.tsv` with `current` (adopter, friend, gain) without emitting an
    /// epoch: a resumed run puts back the set of its checkpoint. A no-op without a directory.
    pub fn restore_current(&mut self, current: &[(Node, Node, f64)]) -> Result<(), OutputError> {
        match &self.dir {
            Some(dir) => dir.replace_recommendations(current),
            None => Ok(()),
        }
    }
}

impl Drop for Output {
    /// The report page shows the last epoch.
    fn drop(&mut self) {
        if let Some(r) = &mut self.report {
            let drawn = r.flush();
            self.report_drawn(drawn);
        }
    }
}

#[cfg(test)]
mod tests;
