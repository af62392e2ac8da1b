//! Streaming: events per second sustained over whole SNAP temporal files, and peak memory.
//!
//! Each file starts from an empty graph; 5% of the nodes that appear anywhere in the (possibly
//! capped) stream are adopters from the start ([`crate::data::pick_adopters`]); the stream is fed
//! as `+ i U V` interactions in file order, [`BATCH`] per epoch. There is no time window in this
//! branch, so the stream only inserts. Throughput is events over the summed epoch latencies
//! (computation), and over the process's wall time (reading and parsing included).

use std::fmt::Write as _;
use std::path::Path;

use crate::child::{Cimflow, Run};
use crate::data::{self, ADOPTER_SEED, ADOPTER_SHARE};
use crate::stats::median;

/// Events per epoch.
pub const BATCH: usize = 1000;

/// The temporal files, in table order.
pub const STREAMS: [&str; 4] = [
    "CollegeMsg.txt.gz",
    "email-Eu-core-temporal.txt.gz",
    "sx-mathoverflow.txt.gz",
    "higgs-activity_time.txt.gz",
];

/// One stream on one worker count: the run of median throughput.
pub struct Row {
    /// The file.
    pub stream: &'static str,
    /// Worker threads.
    pub workers: usize,
    /// Runs made.
    pub runs: usize,
    /// Events fed (after epoch 0, which only holds the adopters).
    pub events: u64,
    /// Nodes and |R1| at the end.
    pub nodes: usize,
    /// |R1| at the end.
    pub theta: usize,
    /// Σ epoch latencies, s.
    pub compute_s: f64,
    /// Process wall time, s.
    pub wall_s: f64,
    /// Peak RSS, kB.
    pub peak_kb: u64,
}

/// Feeds each stream (its first `cap` events when given) with each (worker count, runs) of
/// `workers`, and keeps the run of median throughput.
pub fn measure(
    cimflow: &Cimflow,
    data: &Path,
    work: &Path,
    model: &str,
    k: u32,
    cap: Option<usize>,
    workers: &[(usize, usize)],
) -> anyhow::Result<Vec<Row>> {
    let empty = work.join("empty.txt");
    std::fs::write(&empty, "")?;
    let mut rows = Vec::new();
    for stream in STREAMS {
        let mut events = data::temporal(data, stream)?;
        if let Some(cap) = cap {
            events.truncate(cap);
        }
        let log = work.join(format!("{stream}.log"));
        data::write_interactions(&log, &events)?;
        let adopters = work.join(format!("{stream}.adopters"));
        let chosen = data::pick_adopters(&data::nodes_of(&events), ADOPTER_SHARE, ADOPTER_SEED);
        data::write_ids(&adopters, &chosen)?;
        for &(w, reps) in workers {
            let args: Vec<String> = [
                "--graph",
                &empty.display().to_string(),
                "--adopters",
                &adopters.display().to_string(),
                "-k",
                &k.to_string(),
                "--model",
                model,
                "--events",
                &log.display().to_string(),
                "--batch",
                &BATCH.to_string(),
                "-w",
                &w.to_string(),
            ]
            .map(String::from)
            .into();
            let mut runs: Vec<Run> = (0..reps)
                .map(|_| cimflow.run(&args))
                .collect::<Result<_, _>>()?;
            let compute_s = |r: &Run| r.incremental_ms().iter().sum::<f64>() / 1e3;
            let mid = median(&runs.iter().map(compute_s).collect::<Vec<_>>());
            runs.sort_by(|a, b| {
                (compute_s(a) - mid)
                    .abs()
                    .total_cmp(&(compute_s(b) - mid).abs())
            });
            let run = &runs[0];
            let last = run.summaries.last().expect("epoch 0 at least");
            let row = Row {
                stream,
                workers: w,
                runs: reps,
                events: run.summaries.iter().skip(1).map(|s| s.events).sum(),
                nodes: last.nodes,
                theta: last.theta,
                compute_s: compute_s(run),
                wall_s: run.wall_s,
                peak_kb: run.peak_kb,
            };
            eprintln!(
                "bench: streaming {stream} -w {w}: {:.0} events/s",
                row.events as f64 / row.compute_s
            );
            rows.push(row);
        }
    }
    Ok(rows)
}

/// The rows as a Markdown table.
pub fn table(rows: &[Row]) -> String {
    let mut t = String::new();
    t.push_str("| stream | workers | runs | events | nodes at end | θ at end | events/s (epochs) | events/s (process) | peak RSS |\n");
    t.push_str("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for r in rows {
        writeln!(
            t,
            "| {} | {} | {} | {} | {} | {} | {:.0} | {:.0} | {:.1} MiB |",
            r.stream.trim_end_matches(".gz").trim_end_matches(".txt"),
            r.workers,
            r.runs,
            r.events,
            r.nodes,
            r.theta,
            r.events as f64 / r.compute_s,
            r.events as f64 / r.wall_s,
            r.peak_kb as f64 / 1024.0,
        )
        .expect("writing to a String");
    }
    t
}
