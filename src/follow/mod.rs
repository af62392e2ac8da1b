//! `cimflow follow`: keep the recommendations current while other programs append to an event log.
//!
//! The loop, on the worker that drives the engine:
//!
//! 1. Start: resume from the checkpoint in `--state DIR` if there is one (restore the state, cut
//!    the change log back to the checkpoint's epoch, recompute the recommendations), else read the
//!    initial graph and adopters and emit them as epoch 0.
//! 2. Read whole lines from the log ([`tail`]), parse them in the format of the file's first data
//!    line, and gather the events into an epoch ([`crate::epochs`]): it closes after `--batch`
//!    events, at an `--every` boundary, when the log has been quiet for `--idle`, and at a
//!    truncation or rotation (so that a checkpoint never spans two files).
//! 3. After each epoch's output has been flushed (and the change log fsynced), record the
//!    checkpoint ([`checkpoint`]): where the epoch left the log, with what it takes to go on.
//! 4. On SIGINT or SIGTERM (`stop`), stop between epochs. With `--state`, events read but not yet
//!    in an emitted epoch are left to the next start, which reads them again from the
//!    checkpoint's position: the epochs a restarted follower emits are the ones an uninterrupted
//!    one would have. Without `--state` nothing would resume them, so they are processed first.
//!
//! A SIGKILL at any moment loses nothing either: the log is only ever consumed up to the last
//! recorded epoch, and an epoch emitted but not recorded is emitted again, identically, after the
//! restart (its first copy is cut from the change log).

pub mod checkpoint;
pub mod seal;
pub mod status;
pub mod tail;
pub mod validate;

use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::engine::Engine;
use crate::epochs::{Batcher, Window};
use crate::input::{
    Diagnostics, Event, EventLines, InputError, InputSpec, LineError, read_initial,
};
use crate::job::{JobError, Session};
use crate::metrics::Metrics;
use crate::output::{Format, Output, Summary, cut_log_after, cut_log_to};
use checkpoint::{CheckpointError, Checkpoints, Mark, Settings};
use status::{Figures, Status};
use tail::{MAX_LINE, Next, Notice, Position, Tail};

/// What `follow` reads and writes, besides the job's settings.
#[derive(Clone, Debug)]
pub struct FollowConfig {
    /// The log to follow.
    pub log: PathBuf,
    /// The initial graph and adopters, read on a fresh start only.
    pub input: InputSpec,
    /// Close the epoch in progress after the log has been quiet this long.
    pub idle: Duration,
    /// The state directory (checkpoints), if any.
    pub state: Option<PathBuf>,
    /// The output directory, if any.
    pub output: Option<PathBuf>,
    /// The format on stdout.
    pub format: Format,
    /// Stop at the first bad line.
    pub strict: bool,
    /// How often to print the status line.
    pub status_every: Duration,
    /// Where stdout's data goes in a cluster (fd 1 then carries timely's messages); `None`:
    /// stdout.
    pub data: Option<crate::cluster::DataOut>,
    /// The metrics to keep (`--metrics`), if any.
    pub metrics: Option<Arc<Metrics>>,
}

/// Why following stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum FollowError {
    /// Emitting failed (including a closed stdout), or `--verify` found a difference.
    #[error(transparent)]
    Job(#[from] JobError),
    /// The initial files could not be read, or a bad line under `--strict`.
    #[error(transparent)]
    Input(#[from] InputError),
    /// The state directory could not be used.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    /// The log could not be read.
    #[error("{file}: {source}")]
    Log {
        /// The log.
        file: String,
        /// What the operating system said.
        source: io::Error,
    },
}

/// What a follower did, for the line it prints when it stops.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// The checkpoint's epoch, when it resumed from one.
    pub resumed_after: Option<u64>,
    /// Epochs emitted after the first (epoch 0, or the resumed one).
    pub epochs: u64,
    /// Log events in those epochs.
    pub events: u64,
    /// From the start of following to the end of the last epoch.
    pub busy: Duration,
    /// The latency of each of those epochs, in milliseconds.
    pub latencies_ms: Vec<f64>,
    /// The last summary emitted.
    pub last: Option<Summary>,
}

/// Follows `cfg.log` with `session` until `stop` is raised (then returns normally) or an error.
pub fn follow<E: Engine>(
    session: &mut Session<E>,
    cfg: &FollowConfig,
    stop: &AtomicBool,
) -> Result<Report, FollowError> {
    let job = session.config().clone();
    let (mut store, restored) = match &cfg.state {
        Some(dir) => {
            let (store, restored) =
                Checkpoints::open(dir, Settings::of(&job), cfg.output.as_deref())?;
            (Some(store), restored)
        }
        None => (None, None),
    };
    // Opened (and locked) before the change log is aligned: no other writer may be at it.
    let out = match &cfg.data {
        Some(data) => {
            Output::with_writer(cfg.format, Box::new(data.clone()), cfg.output.as_deref())
        }
        None => Output::new(cfg.format, cfg.output.as_deref()),
    }
    .map_err(JobError::from)?;
    if let Some(dir) = &cfg.output {
        align_change_log(
            dir,
            cfg.state.as_deref(),
            store.as_mut(),
            restored.as_ref().map(|r| r.mark.epoch),
        )?;
    }
    let mut out = out.with_metrics(cfg.metrics.clone());
    // After `align_change_log`: the page starts from the epochs the log keeps.
    out.keep_report(job.params.epsilon)
        .map_err(JobError::from)?;
    let mut f = Follower {
        cfg,
        session,
        out,
        store,
        diag: Diagnostics::new(cfg.strict),
        tail: Tail::new(&cfg.log, None),
        lines: EventLines::new(),
        batcher: Batcher::new(job.batch, job.every, job.window.map(Window::new)),
        logged: Vec::new(),
        close_at: None,
        report: Report::default(),
        started: Instant::now(),
        status: Status::new(cfg.status_every),
    };
    match restored {
        Some(r) => {
            eprintln!(
                "cimflow: resuming after epoch {} from {}",
                r.mark.epoch,
                cfg.state
                    .as_ref()
                    .map_or(String::new(), |d| d.display().to_string())
            );
            f.report.resumed_after = Some(r.mark.epoch);
            f.diag.skipped = r.mark.skipped;
            f.session.resume(r.state, r.mark.epoch + 1)?;
            f.out
                .restore_current(&f.session.recommendations())
                .map_err(JobError::from)?;
            f.tail = Tail::new(&cfg.log, r.mark.position);
            f.lines = EventLines::with_format(r.mark.format);
            f.batcher = Batcher::new(job.batch, job.every, r.window);
            f.close_at = r.close_at;
        }
        None => {
            let events = read_initial(&cfg.input, &mut f.diag)?;
            f.count(|m| m.read(events.len() as u64));
            let summary = f.session.epoch(events, f.diag.skipped, &mut f.out)?;
            f.report.last = Some(summary);
            f.record(None)?;
        }
    }
    f.started = Instant::now();
    f.run(stop)?;
    Ok(f.report)
}

/// Makes the change log in `dir` end where the checkpoint does, before it is reopened: on a
/// resume after `epoch`, drop the records of later epochs (the resumed run emits them again); on
/// a first start with a state directory, drop what a first start cut short before its first
/// checkpoint wrote (its epoch 0 comes again). A change log that does not reach the checkpoint's
/// epoch, or that holds epochs on a first start, belongs to another state directory: refused.
fn align_change_log(
    dir: &std::path::Path,
    state: Option<&std::path::Path>,
    store: Option<&mut Checkpoints>,
    epoch: Option<u64>,
) -> Result<(), FollowError> {
    let state = state.map_or(String::new(), |s| s.display().to_string());
    let log = dir.join("changes.jsonl");
    match (store, epoch) {
        (Some(_), Some(epoch)) => {
            let cut = cut_log_after(dir, epoch).map_err(JobError::from)?;
            if cut.dropped > 0 {
                eprintln!(
                    "cimflow: {}: dropped {} line{} of epochs after {epoch}, which come again",
                    log.display(),
                    cut.dropped,
                    if cut.dropped == 1 { "" } else { "s" },
                );
            }
            if cut.last_epoch < Some(epoch) {
                let ends = cut.last_epoch.map_or("holds no epoch".to_string(), |e| {
                    format!("ends at epoch {e}")
                });
                return Err(CheckpointError::Mismatch(format!(
                    "{}: {ends}, but the checkpoint in {state} is at epoch {epoch}: this is not \
                     the output directory that state directory wrote to (give that one, or \
                     remove the state directory to start afresh)",
                    log.display()
                ))
                .into());
            }
        }
        (Some(store), None) => {
            let len = cut_log_to(dir, None).map_err(JobError::from)?;
            if let Some(start) = store.interrupted_start()?
                && start < len
            {
                cut_log_to(dir, Some(start)).map_err(JobError::from)?;
                eprintln!(
                    "cimflow: {}: dropped what an interrupted first start wrote",
                    log.display()
                );
                store.begin(start)?;
            } else if len > 0 {
                return Err(CheckpointError::Mismatch(format!(
                    "{}: holds {len} bytes of epochs, but {state} holds no checkpoint: they \
                     belong to another run (give its state directory, or move changes.jsonl \
                     away to start afresh)",
                    log.display()
                ))
                .into());
            } else {
                store.begin(len)?;
            }
        }
        (None, _) => {}
    }
    Ok(())
}

/// A line, parsed, or what came instead.
enum Item {
    Event(Event),
    Bad(u64, String),
    Nothing,
    Notice(Notice),
    Idle,
}

/// The follow loop's state.
struct Follower<'a, E: Engine> {
    cfg: &'a FollowConfig,
    session: &'a mut Session<E>,
    out: Output,
    store: Option<Checkpoints>,
    diag: Diagnostics,
    tail: Tail,
    /// The event-line reader of the file being read, in the format of its first data line.
    lines: EventLines,
    batcher: Batcher,
    /// The log events of the epoch being gathered, for the journal.
    logged: Vec<Event>,
    /// Where the epoch being gathered must close: a resumed run emits an epoch that was emitted
    /// but not recorded again with the same events.
    close_at: Option<Position>,
    report: Report,
    started: Instant,
    status: Status,
}

impl<E: Engine> Follower<'_, E> {
    fn run(&mut self, stop: &AtomicBool) -> Result<(), FollowError> {
        let poll = (self.cfg.idle / 4).clamp(Duration::from_millis(1), Duration::from_millis(25));
        let mut last_data = Instant::now();
        while !stop.load(Ordering::Relaxed) {
            let before = self.tail.position();
            let item = self.next_item()?;
            if matches!(item, Item::Event(_) | Item::Bad(..) | Item::Nothing) {
                last_data = Instant::now();
            }
            match item {
                Item::Event(event) => {
                    self.count(|m| m.read(1));
                    if self.batcher.closes_before(&event) {
                        self.close(before)?;
                    }
                    self.batcher.push(event);
                    self.logged.push(event);
                    if self.batcher.is_full() || self.reached_close_at() {
                        self.close(self.tail.position())?;
                    }
                }
                Item::Bad(line, problem) => {
                    let e = LineError {
                        file: self.cfg.log.display().to_string(),
                        line,
                        problem,
                    };
                    if let Err(e) = self.diag.bad_line(e) {
                        self.finish(before)?;
                        return Err(e.into());
                    }
                }
                Item::Nothing => {}
                Item::Notice(notice) => {
                    eprintln!("cimflow: {}: {notice}", self.cfg.log.display());
                    if notice.switches() {
                        if !self.batcher.is_empty() {
                            self.close_unforeseen(self.tail.position())?;
                        }
                        self.lines.reset();
                    }
                }
                Item::Idle => {
                    if !self.batcher.is_empty()
                        && self.close_at.is_none()
                        && last_data.elapsed() >= self.cfg.idle
                    {
                        self.close_unforeseen(self.tail.position())?;
                    } else {
                        self.out.idle();
                        std::thread::sleep(poll);
                    }
                    self.count(|m| m.behind(self.tail.lag()));
                    self.status_line();
                }
            }
        }
        self.finish(self.tail.position())
    }

    /// Reads the next line and parses it.
    fn next_item(&mut self) -> Result<Item, FollowError> {
        let next = self.tail.poll().map_err(|source| FollowError::Log {
            file: self.cfg.log.display().to_string(),
            source,
        })?;
        Ok(match next {
            Next::Line {
                bytes,
                number,
                terminated,
            } => match self.lines.parse_bytes(bytes) {
                Ok(Some(event)) => Item::Event(event),
                Ok(None) => Item::Nothing,
                Err(problem) if terminated => Item::Bad(number, problem),
                Err(problem) => Item::Bad(
                    number,
                    format!(
                        "{problem} (truncated last line: no newline before the file was replaced)"
                    ),
                ),
            },
            Next::TooLong { number } => {
                Item::Bad(number, format!("line longer than {MAX_LINE} bytes"))
            }
            Next::Notice(n) => Item::Notice(n),
            Next::Idle => Item::Idle,
        })
    }

    /// On stopping: without a checkpoint to resume them from, the events gathered so far are
    /// processed now; with one, they stay in the log for the next start.
    fn finish(&mut self, position: Option<Position>) -> Result<(), FollowError> {
        if self.store.is_none() && !self.batcher.is_empty() {
            self.close(position)?;
        }
        Ok(())
    }

    /// Whether the reader has reached the end of an epoch emitted before a restart.
    fn reached_close_at(&self) -> bool {
        match (&self.close_at, self.tail.position()) {
            (Some(end), Some(now)) => now.file == end.file && now.offset >= end.offset,
            _ => false,
        }
    }

    /// [`Follower::close`] for an epoch that ends where a restart reading the same log would
    /// not end it (the log went quiet, or switched files): the journal first says where.
    fn close_unforeseen(&mut self, position: Option<Position>) -> Result<(), FollowError> {
        if let (Some(store), Some(p)) = (&mut self.store, &position) {
            let p = self
                .tail
                .with_context(p.clone())
                .map_err(|source| FollowError::Log {
                    file: self.cfg.log.display().to_string(),
                    source,
                })?;
            store.intend_close(self.session.next_epoch(), &p)?;
        }
        self.close(position)
    }

    /// Emits the epoch gathered so far and records that the log is consumed up to `position`.
    fn close(&mut self, position: Option<Position>) -> Result<(), FollowError> {
        self.close_at = None;
        let events = self.batcher.take();
        let summary = self
            .session
            .epoch(events, self.diag.skipped, &mut self.out)?;
        self.report.epochs += 1;
        self.report.events += self.logged.len() as u64;
        self.report.latencies_ms.push(summary.latency_ms);
        self.report.last = Some(summary);
        self.record(position)?;
        self.logged.clear();
        self.report.busy = self.started.elapsed();
        self.count(|m| m.behind(self.tail.lag()));
        self.status_line();
        Ok(())
    }

    /// Records the checkpoint after the epoch just emitted, when there is a state directory.
    fn record(&mut self, position: Option<Position>) -> Result<(), FollowError> {
        let Some(store) = &mut self.store else {
            return Ok(());
        };
        // The change log must reach this epoch on disk before the checkpoint says it does.
        self.out.sync().map_err(JobError::from)?;
        let position = position
            .map(|p| self.tail.with_context(p))
            .transpose()
            .map_err(|source| FollowError::Log {
                file: self.cfg.log.display().to_string(),
                source,
            })?;
        let mark = Mark {
            epoch: self.session.next_epoch() - 1,
            skipped: self.diag.skipped,
            position,
            format: self.lines.format(),
        };
        store.record(
            &mark,
            &self.logged,
            self.session.state(),
            self.batcher.window(),
        )?;
        self.count(Metrics::checkpointed);
        Ok(())
    }

    /// Updates the metrics, when they are kept.
    fn count(&self, update: impl FnOnce(&Metrics)) {
        if let Some(m) = &self.cfg.metrics {
            update(m);
        }
    }

    fn status_line(&mut self) {
        if !self.status.due() {
            return;
        }
        let figures = Figures {
            events: self.report.events,
            epoch: self.session.next_epoch().saturating_sub(1),
            theta: self.report.last.as_ref().map_or(0, |s| s.theta),
            lag: self.tail.lag(),
        };
        eprintln!(
            "cimflow: {}: {}",
            self.cfg.log.display(),
            self.status.line(&figures)
        );
    }
}
