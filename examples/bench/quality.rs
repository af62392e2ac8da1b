//! Quality: the Monte Carlo spread of cimflow's selection against the baselines, every method on
//! the same snapshot, scored by the same evaluator (`cimflow::evaluate::spread`).
//!
//! In process rather than through `cimflow run` children: each graph is read once, and the
//! cimflow selection is the oracle's, which the dataflow equals bit for bit (tests/incremental.rs).

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use cimflow::engine::oracle::Oracle;
use cimflow::engine::{baseline, problem};
use cimflow::evaluate;
use cimflow::evaluate::simulate::Estimate;
use cimflow::model::{Model, Node};
use cimflow::selection::baselines::Method;
use cimflow::selection::{Params, RrSource, plan, select};

use crate::data::{self, Graph};

/// The methods, in table order.
pub const METHODS: [Method; 4] = [
    Method::Cimflow,
    Method::Local,
    Method::Degree,
    Method::Random,
];

/// One (graph, k) row.
pub struct Row {
    /// The graph.
    pub graph: &'static str,
    /// Its nodes.
    pub nodes: usize,
    /// Its adopters.
    pub adopters: usize,
    /// The capacity.
    pub k: u32,
    /// The spread and the distinct friends of each method, in [`METHODS`] order.
    pub spreads: Vec<(Estimate, usize)>,
    /// cimflow's certified ratio σ_l/σ_u.
    pub ratio: f64,
}

impl Row {
    /// How much more cimflow spreads than method `i`, in percent.
    pub fn gain_over(&self, i: usize) -> f64 {
        (self.spreads[0].0.mean / self.spreads[i].0.mean - 1.0) * 100.0
    }

    /// Whether cimflow's spread is at least method `i`'s: strictly, or within 4 standard errors.
    pub fn at_least(&self, i: usize) -> (bool, bool) {
        let (c, b) = (self.spreads[0].0, self.spreads[i].0);
        let noise = 4.0 * (c.std_err.powi(2) + b.std_err.powi(2)).sqrt();
        (c.mean >= b.mean, c.mean + noise >= b.mean)
    }
}

/// Measures every graph of `graphs` at every k of `ks` with `runs(graph)` cascades.
pub fn measure(
    data: &Path,
    work: &Path,
    graphs: &[Graph],
    ks: &[u32],
    runs: impl Fn(&Graph) -> usize,
    threads: usize,
) -> anyhow::Result<Vec<Row>> {
    let params = Params {
        epsilon: 0.1,
        delta: None,
        seed: 0,
    };
    let mut rows = Vec::new();
    for g in graphs {
        let loaded = g.load(data, work)?;
        for &k in ks {
            let started = Instant::now();
            let state = data::state(Model::Wc, &loaded.graph, &loaded.adopters, k);
            let problem = problem(&state);
            let mut oracle = Oracle::new(&state, params.seed);
            let cim = select(&problem, plan(&problem, &params), &params, &mut oracle);
            let index = oracle.index_at(&problem, cim.level);
            let mut spreads = Vec::new();
            for method in METHODS {
                let picks = match method {
                    Method::Cimflow => cim.greedy.picks.clone(),
                    m => baseline::choose(m, &problem, &state, &index, params.seed),
                };
                let seeds: Vec<Node> = picks.iter().map(|p| p.friend).collect();
                let est = evaluate::spread(&state, &seeds, runs(g), threads, 1);
                spreads.push((est, seeds.len()));
            }
            eprintln!(
                "bench: quality {} k={k}: {:.1}s",
                g.name,
                started.elapsed().as_secs_f64()
            );
            rows.push(Row {
                graph: g.name,
                nodes: state.node_count(),
                adopters: state.adopters().len(),
                k,
                spreads,
                ratio: cim.bounds.ratio,
            });
        }
    }
    Ok(rows)
}

/// The rows as a Markdown table.
pub fn table(rows: &[Row]) -> String {
    let mut t = String::new();
    t.push_str(
        "| graph | nodes | adopters | k | cimflow | local | degree | random | vs local | vs degree | friends c/l/d/r | cimflow ratio |\n",
    );
    t.push_str("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for r in rows {
        let cell = |i: usize| {
            let (e, _) = r.spreads[i];
            format!("{:.1} ± {:.1}", e.mean, e.std_err)
        };
        let friends: Vec<String> = r.spreads.iter().map(|(_, f)| f.to_string()).collect();
        writeln!(
            t,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {:+.1}% | {:+.1}% | {} | {:.3} |",
            r.graph,
            r.nodes,
            r.adopters,
            r.k,
            cell(0),
            cell(1),
            cell(2),
            cell(3),
            r.gain_over(1),
            r.gain_over(2),
            friends.join("/"),
            r.ratio
        )
        .expect("writing to a String");
    }
    t
}
