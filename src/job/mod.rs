//! The epoch loop: events in, one engine epoch per batch, the changed recommendations out.
//!
//! Epoch 0 is the initial graph and adopters; every later epoch applies `batch` events. After each
//! epoch the recommendations that appeared or went away are emitted (a pair whose gain merely
//! moved is not re-emitted: readers want changes of who invites whom, and the complete current
//! set, gains included, is in `recommendations.tsv`), then the epoch's summary.

use std::time::Instant;

pub mod recommendations;
pub mod verify;
pub mod workers;

use crate::cluster::LaunchError;
use crate::engine::{Engine, Solution};
use crate::epochs::{Batcher, Window};
use crate::input::Event;
use crate::model::{Model, Node};
use crate::output::{Output, OutputError, Summary};
use crate::selection::Params;
use crate::state::State;

use recommendations::Recommendations;
use verify::verify;

/// What a run computes and how it groups events.
#[derive(Clone, Debug)]
pub struct JobConfig {
    /// The probability model.
    pub model: Model,
    /// The capacity of adopters that bring none of their own.
    pub k: u32,
    /// ε, δ and the seed.
    pub params: Params,
    /// Log events per epoch (at least 1).
    pub batch: usize,
    /// Also close an epoch when the event time enters a new period of this many seconds.
    pub every: Option<f64>,
    /// Take timed interactions back this many seconds of event time after they happened.
    pub window: Option<f64>,
    /// Check every epoch against the from-scratch oracle.
    pub verify: bool,
    /// Report latencies (off: 0, so that runs can be compared byte for byte).
    pub timings: bool,
}

/// The input of a run, already parsed.
#[derive(Clone, Debug, Default)]
pub struct Loaded {
    /// The initial graph and the adopters: epoch 0.
    pub initial: Vec<Event>,
    /// The event log, in order.
    pub events: Vec<Event>,
    /// Bad lines skipped while reading.
    pub skipped: u64,
}

/// Why a run stopped early.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Writing the output failed.
    #[error(transparent)]
    Output(#[from] OutputError),
    /// `--verify` found the engine and the oracle apart.
    #[error("epoch {epoch}: the dataflow and the oracle disagree on {what}")]
    Mismatch {
        /// The epoch that differs.
        epoch: u64,
        /// What differs, with both values.
        what: String,
    },
    /// This process ran no worker 0 (only a cluster's process 0 has one).
    #[error("this process ran no worker 0")]
    NoWorkerZero,
    /// The workers could not start, or one failed (in a cluster: another process died).
    #[error(transparent)]
    Launch(#[from] LaunchError),
}

/// What a finished run did.
#[derive(Clone, Debug, Default)]
pub struct RunStats {
    /// Epochs emitted, epoch 0 included.
    pub epochs: u64,
    /// The wall time of each epoch, in milliseconds.
    pub latencies_ms: Vec<f64>,
    /// The final summary.
    pub last: Option<Summary>,
}

/// The epoch-by-epoch life of a job: the accepted state, the engine, and the recommendations
/// last emitted. Both `run` (a whole log at once) and `follow` (a growing log) drive one.
pub struct Session<E: Engine> {
    engine: E,
    cfg: JobConfig,
    state: State,
    recommendations: Recommendations,
    epoch: u64,
}

impl<E: Engine> Session<E> {
    /// A session over an empty graph.
    pub fn new(engine: E, cfg: JobConfig) -> Self {
        let state = State::new(cfg.model, cfg.k);
        Session {
            engine,
            cfg,
            state,
            recommendations: Recommendations::default(),
            epoch: 0,
        }
    }

    /// Applies `batch` as the next epoch, emits its changes and summary, and returns the summary.
    /// `skipped` is the number of bad input lines so far.
    pub fn epoch(
        &mut self,
        batch: impl IntoIterator<Item = Event>,
        skipped: u64,
        out: &mut Output,
    ) -> Result<Summary, JobError> {
        let started = Instant::now();
        // Applied as they come: an owned batch (the initial graph) is freed before the engine
        // builds its own structures, so the two never peak together.
        let (events, time) = self.state.apply_all(batch);
        // Refused events are reported as bad lines are (the reader has no line numbers left).
        for refusal in self.state.take_refusals() {
            eprintln!("cimflow: {refusal}");
        }
        let solution = self.engine.epoch(&mut self.state, &self.cfg.params);
        let latency_ms = started.elapsed().as_secs_f64() * 1e3;
        if self.cfg.verify {
            verify(self.epoch, &self.state, &solution, &self.cfg.params)?;
        }
        let changes = self
            .recommendations
            .update(&solution, self.state.node_count());
        let latency = if self.cfg.timings { latency_ms } else { 0.0 };
        let summary = summarize(&self.state, (events, time), &solution, skipped, latency);
        out.emit_epoch(
            self.epoch,
            &changes,
            &summary,
            &self.recommendations.current(),
        )?;
        self.epoch += 1;
        Ok(Summary {
            latency_ms,
            ..summary
        })
    }

    /// Resumes from a checkpoint: takes `state`, the snapshot after epoch `next_epoch - 1` (its
    /// pending changes must hold everything in it, as a restored [`State`]'s do), as the current
    /// one, and computes its solution without emitting anything. That loads the engine and
    /// restores the recommendations last emitted: the solution is a pure function of the snapshot
    /// (docs/ALGORITHM.md, "Determinism"), so they are exactly those the interrupted run had
    /// emitted after that epoch, and the next epoch emits the right changes. Only for a session
    /// that has run no epoch yet.
    pub fn resume(&mut self, state: State, next_epoch: u64) -> Result<(), JobError> {
        debug_assert_eq!(self.epoch, 0, "resuming a session that has already run");
        self.state = state;
        let solution = self.engine.epoch(&mut self.state, &self.cfg.params);
        if self.cfg.verify {
            verify(
                next_epoch.saturating_sub(1),
                &self.state,
                &solution,
                &self.cfg.params,
            )?;
        }
        self.recommendations
            .update(&solution, self.state.node_count());
        self.epoch = next_epoch;
        Ok(())
    }

    /// The recommendations last emitted: (adopter, friend, gain), by adopter and friend.
    pub fn recommendations(&self) -> Vec<(Node, Node, f64)> {
        self.recommendations.current()
    }

    /// The settings.
    pub fn config(&self) -> &JobConfig {
        &self.cfg
    }

    /// The accepted state.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The number of the next epoch.
    pub fn next_epoch(&self) -> u64 {
        self.epoch
    }
}

/// Runs every epoch of `loaded` through `session`, writing to `out`.
pub fn run_epochs<E: Engine>(
    session: &mut Session<E>,
    loaded: &Loaded,
    out: &mut Output,
) -> Result<RunStats, JobError> {
    run_epochs_from(session, loaded.initial.iter().copied(), loaded, out)
}

/// [`run_epochs`] with epoch 0's events given apart, `initial` (`loaded.initial` is not read),
/// so that an owned initial graph is freed as soon as it is applied.
pub fn run_epochs_from<E: Engine>(
    session: &mut Session<E>,
    initial: impl IntoIterator<Item = Event>,
    loaded: &Loaded,
    out: &mut Output,
) -> Result<RunStats, JobError> {
    let mut stats = RunStats::default();
    let cfg = &session.cfg;
    let epochs =
        Batcher::new(cfg.batch, cfg.every, cfg.window.map(Window::new)).split(&loaded.events);
    let mut record = |summary: Summary| {
        crate::progress::advance(summary.events);
        stats.epochs += 1;
        stats.latencies_ms.push(summary.latency_ms);
        stats.last = Some(summary);
    };
    record(session.epoch(initial, loaded.skipped, out)?);
    for events in epochs {
        record(session.epoch(events, loaded.skipped, out)?);
    }
    Ok(stats)
}

fn summarize(
    state: &State,
    (events, time): (u64, Option<f64>),
    solution: &Solution,
    skipped: u64,
    latency_ms: f64,
) -> Summary {
    let counters = state.counters();
    let outcome = &solution.outcome;
    let b = &outcome.bounds;
    Summary {
        time,
        events,
        skipped: skipped + counters.refused,
        noops: counters.noops,
        absent: counters.absent,
        self_loops: counters.self_loops,
        nodes: state.node_count(),
        adopters: state.adopters().len(),
        selected: outcome.greedy.picks.len(),
        level: outcome.level,
        theta: b.theta[0],
        theta2: b.theta[1],
        spread: b.spread,
        lower: b.lower,
        upper: b.upper,
        ratio: b.ratio,
        certified: outcome.certified,
        latency_ms,
    }
}
