//! The epoch loop: events in, one engine epoch per batch, the changed recommendations out.
//!
//! Epoch 0 is the initial graph and adopters; every later epoch applies `batch` events. After each
//! epoch the recommendations that appeared or went away are emitted (a pair whose gain merely
//! moved is not re-emitted: readers want changes of who invites whom, and the complete current
//! set, gains included, is in `recommendations.tsv`), then the epoch's summary.

use std::collections::BTreeMap;
use std::time::Instant;

use crate::engine::{Engine, Solution};
use crate::input::Event;
use crate::model::{Model, Node};
use crate::oracle;
use crate::output::{Change, Output, OutputError, Summary};
use crate::selection::Params;
use crate::state::State;

/// What a run computes and how it groups events.
#[derive(Clone, Debug)]
pub struct JobConfig {
    /// The probability model.
    pub model: Model,
    /// The capacity of adopters that bring none of their own.
    pub k: u32,
    /// ε, δ and the seed.
    pub params: Params,
    /// Events per epoch (at least 1).
    pub batch: usize,
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
    /// timely could not start, or a worker failed.
    #[error("{0}")]
    Worker(String),
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

/// The current recommendations, by (adopter, friend), with their gains in users.
#[derive(Default)]
struct Recommendations(BTreeMap<(Node, Node), f64>);

impl Recommendations {
    /// Replaces the set with `solution`'s and returns the changes: removals, then additions.
    fn update(&mut self, solution: &Solution, n: usize) -> Vec<Change> {
        let theta1 = solution.outcome.bounds.theta[0].max(1) as f64;
        let new: BTreeMap<(Node, Node), f64> = solution
            .outcome
            .greedy
            .picks
            .iter()
            .map(|p| ((p.adopter, p.friend), p.gain as f64 * n as f64 / theta1))
            .collect();
        let gone = self
            .0
            .iter()
            .filter(|(k, _)| !new.contains_key(k))
            .map(|(&(a, f), &g)| Change {
                op: "-",
                adopter: a,
                friend: f,
                gain: g,
            });
        let came = new
            .iter()
            .filter(|(k, _)| !self.0.contains_key(k))
            .map(|(&(a, f), &g)| Change {
                op: "+",
                adopter: a,
                friend: f,
                gain: g,
            });
        let changes = gone.chain(came).collect();
        self.0 = new;
        changes
    }

    fn current(&self) -> Vec<(Node, Node, f64)> {
        self.0.iter().map(|(&(a, f), &g)| (a, f, g)).collect()
    }
}

/// Runs every epoch of `loaded` through `engine`, writing to `out`.
pub fn run_epochs(
    engine: &mut impl Engine,
    loaded: &Loaded,
    cfg: &JobConfig,
    out: &mut Output,
) -> Result<RunStats, JobError> {
    let mut state = State::new(cfg.model, cfg.k);
    let mut recommendations = Recommendations::default();
    let mut stats = RunStats::default();
    let batches =
        std::iter::once(&loaded.initial[..]).chain(loaded.events.chunks(cfg.batch.max(1)));
    for (epoch, batch) in batches.enumerate() {
        let epoch = epoch as u64;
        let started = Instant::now();
        for event in batch {
            state.apply(event);
        }
        let solution = engine.epoch(&mut state, &cfg.params);
        let latency_ms = started.elapsed().as_secs_f64() * 1e3;
        if cfg.verify {
            verify(epoch, &state, &solution, &cfg.params)?;
        }
        let n = state.node_count();
        let changes = recommendations.update(&solution, n);
        let summary = summarize(
            &state,
            batch,
            &solution,
            loaded.skipped,
            if cfg.timings { latency_ms } else { 0.0 },
        );
        out.emit_epoch(epoch, &changes, &summary, &recommendations.current())?;
        stats.epochs += 1;
        stats.latencies_ms.push(latency_ms);
        stats.last = Some(summary);
    }
    Ok(stats)
}

fn summarize(
    state: &State,
    batch: &[Event],
    solution: &Solution,
    skipped: u64,
    latency_ms: f64,
) -> Summary {
    let counters = state.counters();
    let outcome = &solution.outcome;
    let b = &outcome.bounds;
    Summary {
        time: batch.iter().rev().find_map(|e| e.time),
        events: batch.len() as u64,
        skipped,
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

/// Holds an engine's solution to the oracle's on the same snapshot, exactly.
fn verify(epoch: u64, state: &State, got: &Solution, params: &Params) -> Result<(), JobError> {
    let want = oracle::solve(state, params, got.coverage.is_some());
    let mismatch = |what: &str, got: String, want: String| JobError::Mismatch {
        epoch,
        what: format!("{what}: dataflow {got}, oracle {want}"),
    };
    if got.outcome.level != want.outcome.level {
        return Err(mismatch(
            "the sampling level",
            got.outcome.level.to_string(),
            want.outcome.level.to_string(),
        ));
    }
    if let (Some(g), Some(w)) = (&got.coverage, &want.coverage)
        && g != w
    {
        let differ: Vec<_> = w
            .keys()
            .chain(g.keys())
            .filter(|v| g.get(v) != w.get(v))
            .take(5)
            .collect();
        let show = |m: &BTreeMap<Node, u64>| {
            format!(
                "{:?}",
                differ.iter().map(|v| (**v, m.get(v))).collect::<Vec<_>>()
            )
        };
        return Err(mismatch("coverage counts", show(g), show(w)));
    }
    let (g, w) = (format!("{:?}", got.outcome), format!("{:?}", want.outcome));
    if g != w {
        return Err(mismatch("the selection", g, w));
    }
    Ok(())
}

/// Runs the job on the dataflow with `workers` threads in this process. Worker 0 reads nothing
/// itself (`loaded` is shared), drives every epoch and writes through the output `open` makes;
/// the other workers take part in the computation.
pub fn run_dataflow<F>(
    workers: usize,
    loaded: std::sync::Arc<Loaded>,
    cfg: JobConfig,
    open: F,
) -> Result<RunStats, JobError>
where
    F: Fn() -> Result<Output, OutputError> + Send + Sync + 'static,
{
    use timely::communication::Config as Communication;
    let communication = if workers > 1 {
        Communication::Process(workers)
    } else {
        Communication::Thread
    };
    let config = timely::Config {
        communication,
        worker: timely::WorkerConfig::default(),
    };
    let with_coverage = cfg.verify;
    let guards = timely::execute(config, move |worker| {
        if worker.index() == 0 {
            let mut engine = crate::engine::DataflowEngine::build(
                worker,
                cfg.model,
                cfg.params.seed,
                with_coverage,
            );
            let mut out = open()?;
            run_epochs(&mut engine, &loaded, &cfg, &mut out).map(Some)
        } else {
            crate::engine::serve(worker, cfg.model, cfg.params.seed, with_coverage);
            Ok(None)
        }
    })
    .map_err(|e| JobError::Worker(format!("timely could not start: {e}")))?;
    let mut stats = None;
    for result in guards.join() {
        match result {
            Ok(Ok(Some(s))) => stats = Some(s),
            Ok(Ok(None)) => {}
            Ok(Err(e)) => return Err(e),
            Err(panic) => return Err(JobError::Worker(format!("a worker failed: {panic}"))),
        }
    }
    Ok(stats.unwrap_or_default())
}
