//! Cold start: loading a graph and emitting the first certified selection (epoch 0), the dataflow
//! (one worker) against the from-scratch oracle, each in a child process of its own so that peak
//! memories are the processes' own. Runs alternate between the two engines, and medians are
//! reported, so that a slow moment of the machine does not land on one engine only.

use std::fmt::Write as _;
use std::path::Path;

use crate::child::{Cimflow, Run};
use crate::data::Graph;
use crate::stats::median;

/// One graph's medians.
pub struct Row {
    /// The graph.
    pub graph: &'static str,
    /// Nodes and |R1| of the selection.
    pub nodes: usize,
    /// |R1|.
    pub theta: usize,
    /// Medians for [dataflow, oracle]: epoch-0 latency (ms), process wall time (s), peak RSS (kB).
    pub latency_ms: [f64; 2],
    /// See `latency_ms`.
    pub wall_s: [f64; 2],
    /// See `latency_ms`.
    pub peak_kb: [f64; 2],
}

/// Runs each graph `reps` times on each engine with capacity `k`.
pub fn measure(
    cimflow: &Cimflow,
    data: &Path,
    work: &Path,
    graphs: &[Graph],
    k: u32,
    reps: usize,
) -> anyhow::Result<Vec<Row>> {
    let mut rows = Vec::new();
    for g in graphs {
        let loaded = g.load(data, work)?;
        let mut args = g.flags(data);
        args.extend([
            "--adopters".into(),
            loaded.adopter_file.display().to_string(),
            "-k".into(),
            k.to_string(),
        ]);
        let mut runs: [Vec<Run>; 2] = [Vec::new(), Vec::new()];
        for _ in 0..reps {
            runs[0].push(cimflow.run(&args)?);
            let mut oracle = args.clone();
            oracle.push("--oracle".into());
            runs[1].push(cimflow.run(&oracle)?);
        }
        let med = |f: &dyn Fn(&Run) -> f64| {
            runs.each_ref()
                .map(|rs| median(&rs.iter().map(f).collect::<Vec<_>>()))
        };
        let first = &runs[0][0].summaries[0];
        let row = Row {
            graph: g.name,
            nodes: first.nodes,
            theta: first.theta,
            latency_ms: med(&|r| r.summaries[0].latency_ms),
            wall_s: med(&|r| r.wall_s),
            peak_kb: med(&|r| r.peak_kb as f64),
        };
        eprintln!(
            "bench: cold start {}: {:.0} vs {:.0} ms",
            g.name, row.latency_ms[0], row.latency_ms[1]
        );
        rows.push(row);
    }
    Ok(rows)
}

/// The rows as a Markdown table: dataflow / oracle ratios next to the medians.
pub fn table(rows: &[Row], reps: usize) -> String {
    let mut t = String::new();
    writeln!(
        t,
        "| graph | nodes | θ | epoch 0, dataflow | epoch 0, oracle | ratio | process, dataflow | process, oracle | ratio | peak RSS, dataflow | peak RSS, oracle | ratio |"
    )
    .expect("writing to a String");
    t.push_str("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for r in rows {
        writeln!(
            t,
            "| {} | {} | {} | {:.0} ms | {:.0} ms | {:.2}× | {:.2} s | {:.2} s | {:.2}× | {:.1} MiB | {:.1} MiB | {:.2}× |",
            r.graph,
            r.nodes,
            r.theta,
            r.latency_ms[0],
            r.latency_ms[1],
            r.latency_ms[0] / r.latency_ms[1],
            r.wall_s[0],
            r.wall_s[1],
            r.wall_s[0] / r.wall_s[1],
            r.peak_kb[0] / 1024.0,
            r.peak_kb[1] / 1024.0,
            r.peak_kb[0] / r.peak_kb[1],
        )
        .expect("writing to a String");
    }
    writeln!(
        t,
        "\nMedians of {reps} runs per engine; ratio = dataflow / oracle."
    )
    .expect("writing to a String");
    t
}
