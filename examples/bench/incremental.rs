//! Incremental epochs: the dataflow's latency per epoch against the oracle's from-scratch
//! recomputation of the same snapshots, for batches of 1 to 10,000 events.
//!
//! The input is derived from CollegeMsg (SNAP; 59,835 messages, in time order): the distinct
//! sender → recipient arcs of the first [`INITIAL`] messages are the initial graph, 5% of its nodes
//! are the adopters ([`crate::data::pick_adopters`]), and the messages after those are the event
//! stream, one `+ i U V` interaction each. Epoch 0 (the cold start) is left out of the statistics.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use cimflow::input::Event;

use crate::child::Cimflow;
use crate::data::{self, ADOPTER_SEED, ADOPTER_SHARE};
use crate::stats::{median, percentile};

/// Messages that make up the initial graph.
pub const INITIAL: usize = 20_000;

/// The derived input.
pub struct Setup {
    /// The initial graph, `u v` arcs.
    pub graph: PathBuf,
    /// The adopters, one id a line.
    pub adopters: PathBuf,
    /// The messages after the initial ones.
    pub stream: Vec<Event>,
    /// Where event files go.
    pub work: PathBuf,
}

/// Derives the input from `CollegeMsg.txt.gz`.
pub fn prepare(data: &Path, work: &Path) -> anyhow::Result<Setup> {
    let mut messages = data::temporal(data, "CollegeMsg.txt.gz")?;
    let stream = messages.split_off(INITIAL.min(messages.len()));
    let graph = work.join("collegemsg.initial.txt");
    data::write_arcs(&graph, &messages)?;
    let adopters = work.join("collegemsg.adopters");
    let nodes = data::nodes_of(&messages);
    data::write_ids(
        &adopters,
        &data::pick_adopters(&nodes, ADOPTER_SHARE, ADOPTER_SEED),
    )?;
    Ok(Setup {
        graph,
        adopters,
        stream,
        work: work.to_path_buf(),
    })
}

/// One batch size's statistics.
pub struct Row {
    /// Events per epoch.
    pub batch: usize,
    /// Epochs measured per run.
    pub epochs: usize,
    /// Runs per engine.
    pub runs: usize,
    /// [dataflow, oracle] medians, ms.
    pub median_ms: [f64; 2],
    /// [dataflow, oracle] 99th percentiles, ms.
    pub p99_ms: [f64; 2],
}

/// Runs each (batch, epochs) of `plan` on both engines under `model` with capacity `k`, `reps`
/// times, alternating the engines; the statistics pool the epochs of all runs.
pub fn measure(
    cimflow: &Cimflow,
    setup: &Setup,
    model: &str,
    k: u32,
    plan: &[(usize, usize)],
    reps: usize,
) -> anyhow::Result<Vec<Row>> {
    let mut rows = Vec::new();
    for &(batch, epochs) in plan {
        let epochs = epochs.min(setup.stream.len() / batch);
        let events = setup.work.join(format!("collegemsg.{batch}x{epochs}.log"));
        data::write_interactions(&events, &setup.stream[..batch * epochs])?;
        let args: Vec<String> = [
            "--graph",
            &setup.graph.display().to_string(),
            "--adopters",
            &setup.adopters.display().to_string(),
            "-k",
            &k.to_string(),
            "--model",
            model,
            "--events",
            &events.display().to_string(),
            "--batch",
            &batch.to_string(),
        ]
        .map(String::from)
        .into();
        let mut oracle_args = args.clone();
        oracle_args.push("--oracle".into());
        let (mut dataflow, mut oracle) = (Vec::new(), Vec::new());
        for _ in 0..reps {
            let (d, o) = (
                cimflow.run(&args)?.incremental_ms(),
                cimflow.run(&oracle_args)?.incremental_ms(),
            );
            anyhow::ensure!(
                d.len() == epochs && o.len() == epochs,
                "expected {epochs} epochs after epoch 0, got {} and {}",
                d.len(),
                o.len()
            );
            dataflow.extend(d);
            oracle.extend(o);
        }
        let row = Row {
            batch,
            epochs,
            runs: reps,
            median_ms: [median(&dataflow), median(&oracle)],
            p99_ms: [percentile(&dataflow, 99.0), percentile(&oracle, 99.0)],
        };
        eprintln!(
            "bench: incremental {model} batch {batch}: {:.2} vs {:.2} ms",
            row.median_ms[0], row.median_ms[1]
        );
        rows.push(row);
    }
    Ok(rows)
}

/// The rows as a Markdown table; speed-up = oracle / dataflow.
pub fn table(rows: &[Row]) -> String {
    let mut t = String::new();
    t.push_str("| events per epoch | epochs × runs | dataflow median | dataflow p99 | oracle median | oracle p99 | speed-up (median) | speed-up (p99) |\n");
    t.push_str("|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for r in rows {
        writeln!(
            t,
            "| {} | {} × {} | {:.2} ms | {:.2} ms | {:.2} ms | {:.2} ms | {:.2}× | {:.2}× |",
            r.batch,
            r.epochs,
            r.runs,
            r.median_ms[0],
            r.p99_ms[0],
            r.median_ms[1],
            r.p99_ms[1],
            r.median_ms[1] / r.median_ms[0],
            r.p99_ms[1] / r.p99_ms[0],
        )
        .expect("writing to a String");
    }
    t
}
