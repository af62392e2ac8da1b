//! The sampling floor: how cimflow's spread grows with the number of RR samples, which floor
//! comes within 0.5% of the spread with 16× its samples on every instance, and what the default
//! floor costs a cold start in time and memory (child processes, as in [`crate::cold_start`]).

use std::fmt::Write as _;
use std::path::Path;

use crate::child::{Cimflow, Run};
use crate::data::{self, ADOPTER_SEED, Graph};
use crate::quality::{Sweep, default_floor};
use crate::stats::median;

/// How far below the spread with 16× the samples a floor may fall, in percent.
pub const TOLERANCE_PCT: f64 = 0.5;

/// s(floor) / s(floor + 4) − 1 in percent, where both were measured.
pub fn shortfall(s: &Sweep, floor: i32) -> Option<f64> {
    let at = |f: i32| s.points.iter().find(|p| p.floor == f);
    if floor > s.judged {
        return None;
    }
    Some((at(floor)?.spread.mean / at(floor + 4)?.spread.mean - 1.0) * 100.0)
}

/// Per instance: θ at each floor and the shortfall against 16× the samples.
pub fn table(sweeps: &[Sweep]) -> String {
    let floors: Vec<i32> = sweeps
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.floor))
        .filter(|&f| sweeps.iter().any(|s| f <= s.judged))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut t = String::from("| graph | adopters | k |");
    for f in &floors {
        write!(t, " {} |", rate(*f)).expect("writing to a String");
    }
    t.push('\n');
    t.push_str(&"|---".repeat(3));
    t.push_str(&"|---:".repeat(floors.len()));
    t.push_str("|\n");
    for s in sweeps {
        write!(
            t,
            "| {} | {} | {} |",
            s.combo.graph, s.combo.adopters, s.combo.k
        )
        .expect("writing to a String");
        for &f in &floors {
            let theta = s.points.iter().find(|p| p.floor == f).map(|p| p.theta);
            match (shortfall(s, f), theta) {
                (Some(x), Some(th)) => write!(t, " {x:+.2}% ({th}) |"),
                _ => write!(t, " – |"),
            }
            .expect("writing to a String");
        }
        t.push('\n');
    }
    t
}

/// Per floor: the worst shortfall over the instances where it was judged, and how many fall
/// short by more than the tolerance; then the smallest floor that none does.
pub fn summary(sweeps: &[Sweep]) -> (String, Option<i32>) {
    let floors: std::collections::BTreeSet<i32> = sweeps
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.floor))
        .collect();
    let mut t = String::from(
        "| floor (samples per node) | instances judged | worst vs 16× | beyond −0.5% |\n|---:|---:|---:|---:|\n",
    );
    let mut chosen = None;
    for f in floors {
        let xs: Vec<f64> = sweeps.iter().filter_map(|s| shortfall(s, f)).collect();
        if xs.is_empty() {
            continue;
        }
        let worst = xs.iter().copied().fold(f64::INFINITY, f64::min);
        let bad = xs.iter().filter(|&&x| x < -TOLERANCE_PCT).count();
        writeln!(
            t,
            "| {}{} | {} | {worst:+.2}% | {bad} |",
            rate(f),
            if f == default_floor() {
                " (default)"
            } else {
                ""
            },
            xs.len()
        )
        .expect("writing to a String");
        if bad == 0 && chosen.is_none() {
            chosen = Some(f);
        }
    }
    (t, chosen)
}

/// 2^level samples per node, written plainly.
pub fn rate(level: i32) -> String {
    let r = (level as f64).exp2();
    if r >= 1.0 {
        format!("{r:.0}")
    } else {
        format!("1/{:.0}", 1.0 / r)
    }
}

/// One cold start with and without the default floor.
pub struct Cost {
    /// The graph.
    pub graph: &'static str,
    /// Its adopters.
    pub adopters: usize,
    /// Medians without and with the floor: θ, epoch-0 ms, peak RSS kB.
    pub theta: [usize; 2],
    /// See `theta`.
    pub latency_ms: [f64; 2],
    /// See `theta`.
    pub peak_kb: [f64; 2],
}

/// Cold starts of the dataflow (one worker) at k with `--min-samples-per-node 0` and with the
/// default, alternating, `reps` each.
pub fn cost(
    cimflow: &Cimflow,
    data: &Path,
    work: &Path,
    graphs: &[Graph],
    shares: &[f64],
    k: u32,
    reps: usize,
) -> anyhow::Result<Vec<Cost>> {
    let mut out = Vec::new();
    for g in graphs {
        let nodes = data::nodes_of(&g.read(data)?);
        for &share in shares {
            let adopters = data::pick_adopters(&nodes, share, ADOPTER_SEED);
            let file = work.join(format!("{}-{share}.adopters", g.name));
            data::write_ids(&file, &adopters)?;
            let mut args = g.flags(data);
            args.extend([
                "--adopters".into(),
                file.display().to_string(),
                "-k".into(),
                k.to_string(),
            ]);
            let mut runs: [Vec<Run>; 2] = [Vec::new(), Vec::new()];
            // The largest graphs take minutes per run at the floor: one run each there.
            let reps = if nodes.len() > 30_000 { 1 } else { reps };
            for _ in 0..reps {
                let mut none = args.clone();
                none.extend(["--min-samples-per-node".into(), "0".into()]);
                runs[0].push(cimflow.run(&none)?);
                runs[1].push(cimflow.run(&args)?);
            }
            let med = |f: &dyn Fn(&Run) -> f64| {
                runs.each_ref()
                    .map(|rs| median(&rs.iter().map(f).collect::<Vec<_>>()))
            };
            let c = Cost {
                graph: g.name,
                adopters: adopters.len(),
                theta: runs.each_ref().map(|rs| rs[0].summaries[0].theta),
                latency_ms: med(&|r| r.summaries[0].latency_ms),
                peak_kb: med(&|r| r.peak_kb as f64),
            };
            eprintln!(
                "bench: floor cost {} {}: {:.0} vs {:.0} ms",
                g.name, c.adopters, c.latency_ms[0], c.latency_ms[1]
            );
            out.push(c);
        }
    }
    Ok(out)
}

/// The costs as a Markdown table.
pub fn cost_table(rows: &[Cost], reps: usize) -> String {
    // (Graphs of more than 30,000 nodes: one run each.)
    let mut t = String::from(
        "| graph | adopters | θ, no floor | θ, default | epoch 0, no floor | epoch 0, default | ratio | peak RSS, no floor | peak RSS, default | ratio |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in rows {
        writeln!(
            t,
            "| {} | {} | {} | {} | {:.0} ms | {:.0} ms | {:.2}× | {:.1} MiB | {:.1} MiB | {:.2}× |",
            r.graph,
            r.adopters,
            r.theta[0],
            r.theta[1],
            r.latency_ms[0],
            r.latency_ms[1],
            r.latency_ms[1] / r.latency_ms[0],
            r.peak_kb[0] / 1024.0,
            r.peak_kb[1] / 1024.0,
            r.peak_kb[1] / r.peak_kb[0],
        )
        .expect("writing to a String");
    }
    writeln!(
        t,
        "\nDataflow, one worker; medians of {reps} runs each (one on graphs of more than 30,000 nodes), alternating; ratio = default / no floor."
    )
    .expect("writing to a String");
    t
}
