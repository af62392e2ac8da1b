//! Scale: Graph500 R-MAT graphs ([`crate::rmat`]) of 2^16, 2^18 and 2^20 node ids (2^22 when
//! asked for), edge factor 16, [`rmat::ADOPTER_SHARE`] of the nodes as adopters, k = 10, `wc`,
//! ε = 0.1: the cold start's time and peak memory per arc, and the latency of epochs of 1, 100
//! and 10,000 random arc events against the oracle's from-scratch recompute of the same snapshots.
//!
//! ```text
//! cargo run --release --example bench -- --only scale [--scales 16,18,20] [--scale-reps N]
//!     [--oracle-rounds N]
//! cargo run --release --example bench -- --only scale --scales 22    # about 64 M arcs
//! cargo run --release --example bench -- --only scale --quick        # scale 16 only
//! ```
//!
//! The graphs, adopters and events are generated once and cached in `target/bench-rmat/` (the
//! scale-20 edge list is 223 MB); delete the directory to reclaim the space.
//!
//! Each scale is three `cimflow run` processes: the dataflow at `-w 1` and at `-w 2`, and the
//! oracle; with `--scale-reps N`, N rounds of the three in that order, medians reported and
//! epochs pooled. All three read one event log in which every epoch size of [`PLAN`] takes its
//! turn, round after round (round r holds one epoch of each size that has more than r epochs,
//! smallest first), the epochs cut by `--every 1` on the events' times; one log means one cold
//! start per process rather than one per epoch size. The oracle recomputes every epoch from
//! scratch, at about the cost of a cold start, so it reads only the first `--oracle-rounds`
//! rounds: the same snapshots as the dataflow's first epochs.
//!
//! - *epoch 0 emitted*: from spawn to epoch 0's summary on stdout (reading the graph, the
//!   adopters and the event log, loading, sampling, selecting, emitting): the cold start.
//! - *peak RSS at epoch 0*: the process's VmHWM when that summary arrived; *peak RSS*: at exit.
//!   Bytes per arc divide the peak at exit by the arcs. MB are 10^6 bytes, as in issue 9.
//! - *median / p99*: of the epochs of that size (nearest rank: with 5 epochs the p99 is the
//!   maximum). *oracle ÷ dataflow*: the oracle's median over its epochs over the dataflow's
//!   median over all of its epochs of that size at `-w 1`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::child::{Cimflow, Run};
use crate::rmat::{self, ArcEvent, Rmat};
use crate::stats::{median, percentile};

/// Draws per node id.
pub const EDGE_FACTOR: u32 = 16;

/// The seed of the graphs, adopters and events.
pub const SEED: u64 = 1;

/// The capacity of every adopter.
pub const K: u32 = 10;

/// (events per epoch, epochs) of the event log, smallest first.
pub const PLAN: [(usize, usize); 3] = [(1, 100), (100, 30), (10_000, 5)];

/// The three processes of a scale, in the order they run.
const ENGINES: [Engine; 3] = [Engine::Dataflow(1), Engine::Oracle, Engine::Dataflow(2)];

/// What a process computes with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Engine {
    /// The dataflow with this many worker threads.
    Dataflow(usize),
    /// The from-scratch oracle.
    Oracle,
}

impl Engine {
    fn label(self) -> String {
        match self {
            Engine::Dataflow(w) => format!("dataflow `-w {w}`"),
            Engine::Oracle => "oracle".into(),
        }
    }
}

/// One scale on one engine: medians over its runs, latencies pooled.
pub struct Row {
    scale: u32,
    engine: Engine,
    runs: usize,
    nodes: usize,
    arcs: usize,
    theta: usize,
    first_s: f64,
    wall_s: f64,
    first_peak_kb: f64,
    peak_kb: f64,
    /// Epoch latencies (ms) by events per epoch.
    latencies: BTreeMap<usize, Vec<f64>>,
    /// (θ, spread) of each epoch of the first run, epoch 0 first.
    selections: Vec<(usize, f64)>,
}

/// The epoch sizes of the log, in log order: [`PLAN`]'s sizes taken in rounds.
fn epoch_sizes() -> Vec<usize> {
    let rounds = PLAN.iter().map(|p| p.1).max().unwrap_or(0);
    (0..rounds)
        .flat_map(|r| PLAN.iter().filter(move |p| r < p.1).map(|p| p.0))
        .collect()
}

/// Writes the first `epochs` epochs of `sizes` over `events` as an event log, epoch j's events at
/// time j, so that `--every 1` cuts exactly these epochs.
fn write_log(path: &Path, sizes: &[usize], events: &[ArcEvent]) -> anyhow::Result<()> {
    let mut w = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut next = events.iter();
    for (j, &size) in sizes.iter().enumerate() {
        for e in next.by_ref().take(size) {
            match e {
                ArcEvent::Remove(u, v) => writeln!(w, "{} - e {u} {v}", j + 1)?,
                ArcEvent::Add(u, v) => writeln!(w, "{} + e {u} {v}", j + 1)?,
            }
        }
    }
    w.flush()
        .with_context(|| format!("writing {}", path.display()))
}

/// Where the generated graphs are kept between runs: `target/bench-rmat` beside the bench binary
/// (target/<profile>/examples/bench), else under the system's temporary directory.
pub fn cache_dir() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.parent()?.join("bench-rmat")))
        .unwrap_or_else(|| std::env::temp_dir().join("cimflow-bench-rmat"))
}

/// Measures each of `scales`, `reps` runs per engine, the oracle over `oracle_rounds` rounds.
pub fn measure(
    cimflow: &Cimflow,
    cache: &Path,
    work: &Path,
    scales: &[u32],
    reps: usize,
    oracle_rounds: usize,
) -> anyhow::Result<Vec<Row>> {
    let sizes = epoch_sizes();
    let oracle_epochs = sizes.len().min(
        (0..oracle_rounds)
            .map(|r| PLAN.iter().filter(|p| r < p.1).count())
            .sum(),
    );
    let total: usize = sizes.iter().sum();
    let mut rows = Vec::new();
    for &scale in scales {
        let files = rmat::cached(
            cache,
            Rmat {
                scale,
                edge_factor: EDGE_FACTOR,
                seed: SEED,
            },
            total,
        )?;
        let events = rmat::read_events(&files.events)?;
        let (full, prefix) = (
            work.join(format!("rmat{scale}.log")),
            work.join(format!("rmat{scale}.oracle.log")),
        );
        write_log(&full, &sizes, &events)?;
        write_log(&prefix, &sizes[..oracle_epochs], &events)?;
        let mut runs: BTreeMap<Engine, Vec<Run>> = BTreeMap::new();
        for rep in 0..reps {
            for engine in ENGINES {
                let (log, expect) = match engine {
                    Engine::Oracle => (&prefix, &sizes[..oracle_epochs]),
                    Engine::Dataflow(_) => (&full, &sizes[..]),
                };
                let mut args: Vec<String> = [
                    "--graph",
                    &files.graph.display().to_string(),
                    "--adopters",
                    &files.adopters.display().to_string(),
                    "-k",
                    &K.to_string(),
                    "--model",
                    "wc",
                    "--epsilon",
                    "0.1",
                    "--events",
                    &log.display().to_string(),
                    "--every",
                    "1",
                    "--batch",
                    &expect.iter().max().copied().unwrap_or(1).to_string(),
                ]
                .map(String::from)
                .into();
                match engine {
                    Engine::Dataflow(w) => args.extend(["-w".into(), w.to_string()]),
                    Engine::Oracle => args.push("--oracle".into()),
                }
                eprintln!(
                    "bench: scale {scale}, {}, run {} of {reps}",
                    engine.label(),
                    rep + 1
                );
                let run = cimflow.run(&args)?;
                check(&run, expect, files.nodes)?;
                eprintln!(
                    "bench: epoch 0 after {:.1} s, exit after {:.1} s, peak {:.0} MB",
                    run.first_s,
                    run.wall_s,
                    run.peak_kb as f64 * 1.024e-3
                );
                runs.entry(engine).or_default().push(run);
            }
        }
        for (engine, runs) in runs {
            let med = |f: &dyn Fn(&Run) -> f64| median(&runs.iter().map(f).collect::<Vec<_>>());
            let mut latencies: BTreeMap<usize, Vec<f64>> = BTreeMap::new();
            for run in &runs {
                for s in &run.summaries[1..] {
                    latencies
                        .entry(s.events as usize)
                        .or_default()
                        .push(s.latency_ms);
                }
            }
            rows.push(Row {
                scale,
                engine,
                runs: runs.len(),
                nodes: files.nodes,
                arcs: files.arcs,
                theta: runs[0].summaries[0].theta,
                first_s: med(&|r| r.first_s),
                wall_s: med(&|r| r.wall_s),
                first_peak_kb: med(&|r| r.first_peak_kb.map_or(f64::NAN, |kb| kb as f64)),
                peak_kb: med(&|r| r.peak_kb as f64),
                latencies,
                selections: runs[0]
                    .summaries
                    .iter()
                    .map(|s| (s.theta, s.spread))
                    .collect(),
            });
        }
    }
    Ok(rows)
}

/// Holds a run to what its log says: one epoch per planned epoch, of the planned size, on the
/// generated graph's nodes, and no event that changed nothing (which would make the epochs
/// cheaper than they claim).
fn check(run: &Run, sizes: &[usize], nodes: usize) -> anyhow::Result<()> {
    let got: Vec<usize> = run.summaries[1..]
        .iter()
        .map(|s| s.events as usize)
        .collect();
    anyhow::ensure!(got == sizes, "epoch sizes {got:?}, expected {sizes:?}");
    anyhow::ensure!(
        run.summaries[0].nodes == nodes,
        "cimflow read {} nodes, the generator made {nodes}",
        run.summaries[0].nodes
    );
    let last = run.summaries.last().expect("epoch 0 at least");
    anyhow::ensure!(
        last.noops == 0 && last.absent == 0,
        "{} events added what existed and {} removed what was absent",
        last.noops,
        last.absent
    );
    Ok(())
}

/// The epochs where an engine's θ or spread differs from the oracle's on the same snapshot:
/// none, since both compute the same function of the snapshot (docs/ALGORITHM.md,
/// "Determinism"). Reported rather than fatal, so that a long run still prints its figures.
pub fn mismatches(rows: &[Row]) -> Vec<String> {
    let mut found = Vec::new();
    for o in rows.iter().filter(|r| r.engine == Engine::Oracle) {
        for d in rows
            .iter()
            .filter(|d| d.scale == o.scale && d.engine != Engine::Oracle)
        {
            let differs = o
                .selections
                .iter()
                .zip(&d.selections)
                .position(|(a, b)| a != b);
            if let Some(epoch) = differs {
                found.push(format!(
                    "scale {}, epoch {epoch}: {} has (θ, spread) {:?}, the oracle {:?}",
                    o.scale,
                    d.engine.label(),
                    d.selections[epoch],
                    o.selections[epoch]
                ));
            }
        }
    }
    found
}

/// The rows as one Markdown table, a ratio row per scale, and issue 9's reference rows.
pub fn table(rows: &[Row]) -> String {
    let mut t = String::new();
    t.push_str("| scale | nodes | arcs | θ | run | epoch 0 emitted | whole run | peak RSS at epoch 0 | peak RSS | bytes/arc |");
    for (size, _) in PLAN {
        write!(t, " {} ev.: median / p99 |", thousands(size)).expect("writing to a String");
    }
    t.push_str("\n|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|");
    t.push_str(&"---:|".repeat(PLAN.len()));
    t.push('\n');
    let mb = |kb: f64| kb * 1.024e-3;
    for r in rows {
        write!(
            t,
            "| {} | {} | {} | {} | {}{} | {:.2} s | {:.2} s | {:.0} MB | {:.0} MB | {:.0} |",
            r.scale,
            thousands(r.nodes),
            thousands(r.arcs),
            thousands(r.theta),
            r.engine.label(),
            if r.runs > 1 {
                format!(", {} runs", r.runs)
            } else {
                String::new()
            },
            r.first_s,
            r.wall_s,
            mb(r.first_peak_kb),
            mb(r.peak_kb),
            r.peak_kb * 1024.0 / r.arcs as f64,
        )
        .expect("writing to a String");
        for (size, _) in PLAN {
            let cell = r.latencies.get(&size).map_or("—".into(), |l| {
                format!(
                    "{} / {} ({})",
                    ms(median(l)),
                    ms(percentile(l, 99.0)),
                    l.len()
                )
            });
            write!(t, " {cell} |").expect("writing to a String");
        }
        t.push('\n');
        if r.engine == Engine::Oracle {
            let dataflow = rows
                .iter()
                .find(|d| d.scale == r.scale && d.engine == Engine::Dataflow(1));
            if let Some(d) = dataflow {
                write!(
                    t,
                    "| {} | | | | oracle ÷ dataflow `-w 1` | {:.2}× | | {:.2}× | {:.2}× | |",
                    r.scale,
                    r.first_s / d.first_s,
                    r.first_peak_kb / d.first_peak_kb,
                    r.peak_kb / d.peak_kb
                )
                .expect("writing to a String");
                for (size, _) in PLAN {
                    let ratio = match (r.latencies.get(&size), d.latencies.get(&size)) {
                        (Some(o), Some(f)) => format!("**{:.1}×**", median(o) / median(f)),
                        _ => "—".into(),
                    };
                    write!(t, " {ratio} |").expect("writing to a String");
                }
                t.push('\n');
            }
        }
    }
    // Issue 9's figures for the paper's code on this machine, for comparison.
    for (scale, nodes, arcs, process, peak, per_arc, scratch) in [
        (18, "174,055", "3.94 M", "2.45 s", "217 MB", 55, "0.25 s"),
        (
            20,
            "646,136",
            "16.1 M",
            "24.3 s (21.7 s reading)",
            "820 MB",
            51,
            "2.2 s",
        ),
    ] {
        write!(
            t,
            "| {scale} | {nodes} | {arcs} | — | the paper's RR-OPIM+ (C++, -O3), issue 9 | {process} | | | {peak} | {per_arc} |"
        )
        .expect("writing to a String");
        for _ in PLAN {
            write!(t, " from scratch: {scratch} |").expect("writing to a String");
        }
        t.push('\n');
    }
    t
}

/// Milliseconds with three significant digits or so.
fn ms(x: f64) -> String {
    match x {
        x if x >= 1000.0 => format!("{:.2} s", x / 1000.0),
        x if x >= 10.0 => format!("{x:.0} ms"),
        x => format!("{x:.2} ms"),
    }
}

/// An integer with thousands separators.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_takes_the_sizes_in_rounds_and_the_oracle_a_prefix_of_whole_rounds() {
        let sizes = epoch_sizes();
        assert_eq!(sizes[..4], [1, 100, 10_000, 1]);
        for (size, epochs) in PLAN {
            assert_eq!(sizes.iter().filter(|&&s| s == size).count(), epochs);
        }
        // Three rounds hold three epochs of each size.
        assert_eq!(sizes[..9].iter().filter(|&&s| s == 10_000).count(), 3);
    }

    #[test]
    fn the_log_stamps_each_epoch_with_its_own_time() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        let events: Vec<ArcEvent> = (0..6).map(|i| ArcEvent::Add(i, i + 1)).collect();
        write_log(&path, &[1, 2, 3], &events).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let times: Vec<&str> = text.lines().map(|l| l.split(' ').next().unwrap()).collect();
        assert_eq!(times, ["1", "2", "2", "3", "3", "3"]);
        assert!(text.starts_with("1 + e 0 1\n"));
    }

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(16_086_456), "16,086,456");
    }
}
