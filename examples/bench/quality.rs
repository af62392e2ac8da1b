//! Quality: the Monte Carlo spread of every method of the paper on the same snapshots, scored by
//! the same evaluator (`cimflow::evaluate::spread`), and the spread of cimflow's selection
//! against the number of RR samples (the sampling floor, [`crate::floor`]).
//!
//! In process rather than through `cimflow run` children: each graph is read once, one oracle
//! serves every k (the RR sets do not depend on the capacities), and the cimflow selection is
//! the oracle's, which the dataflow equals bit for bit (tests/incremental.rs).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use cimflow::engine::oracle::Oracle;
use cimflow::engine::{baseline, problem};
use cimflow::evaluate;
use cimflow::evaluate::simulate::Estimate;
use cimflow::model::{Model, Node};
use cimflow::selection::baselines::Method;
use cimflow::selection::mg::mg_greedy;
use cimflow::selection::plan::floor_level;
use cimflow::selection::{DEFAULT_MIN_RATE, Params, RrSource, plan, select, select_by};
use cimflow::state::State;

use crate::data::{self, ADOPTER_SEED, Graph};

/// The columns of the table: cimflow, then the paper's RR-OPIM+ (cimflow without the floor),
/// then the other methods.
pub const COLUMNS: [&str; 9] = [
    "cimflow",
    "rr-opim+",
    "rr|mg",
    "mg",
    "local",
    "pagerank",
    "degree",
    "random",
    "mc-greedy",
];

/// The column of `mc-greedy`, which runs on small graphs only.
const MC: usize = 8;

/// The column of the experiment "RR-Greedy or MG-Greedy, whichever covers more of R1": not a
/// method of cimflow, but what cimflow's selection would be if it ran both on its samples.
const BEST_OF: usize = 2;

/// The relative standard error every spread is measured to: below 0.1%.
const TARGET_REL_ERR: f64 = 0.0009;

/// What the benchmark measures, and on what.
pub struct Setup {
    /// k values.
    pub ks: Vec<u32>,
    /// Adopter shares.
    pub shares: Vec<f64>,
    /// The floors swept, as levels (2^level samples per node and half), each against the
    /// selection at level + 4 (16× the samples); capped per graph by `max_samples`.
    pub floors: std::ops::RangeInclusive<i32>,
    /// No sweep point with more samples per half than this.
    pub max_samples: f64,
    /// mc-greedy's simulations, on graphs of at most `mc_nodes` nodes.
    pub mc_runs: u32,
    /// See `mc_runs`.
    pub mc_nodes: usize,
    /// Monte Carlo threads.
    pub threads: usize,
}

/// One (graph, adopters, k) instance.
#[derive(Clone, Debug)]
pub struct Combo {
    /// The graph.
    pub graph: &'static str,
    /// Its nodes.
    pub nodes: usize,
    /// Its adopters.
    pub adopters: usize,
    /// The share of the nodes they are.
    pub share: f64,
    /// The capacity.
    pub k: u32,
}

/// One row of the quality table.
pub struct Row {
    /// The instance.
    pub combo: Combo,
    /// Spread and distinct friends of each column of [`COLUMNS`]; `None` where it did not run.
    pub spreads: Vec<Option<(Estimate, usize)>>,
    /// Seconds each column's selection took (the RR sampling shared by them is cimflow's).
    pub secs: Vec<f64>,
    /// θ per half of cimflow and of the paper's RR-OPIM+.
    pub theta: [usize; 2],
}

/// One point of a sweep: the selection with the floor at `floor`.
pub struct Point {
    /// The floor's level.
    pub floor: i32,
    /// θ per half of the selection.
    pub theta: usize,
    /// Its Monte Carlo spread.
    pub spread: Estimate,
}

/// One instance's spread against the number of samples.
pub struct Sweep {
    /// The instance.
    pub combo: Combo,
    /// Ascending floors; the last four are only references.
    pub points: Vec<Point>,
    /// The highest floor judged (its reference is four levels up).
    pub judged: i32,
}

/// Measures every graph at every share and k.
pub fn measure(
    data: &Path,
    graphs: &[Graph],
    setup: &Setup,
) -> anyhow::Result<(Vec<Row>, Vec<Sweep>)> {
    let (mut rows, mut sweeps) = (Vec::new(), Vec::new());
    for g in graphs {
        let events = g.read(data)?;
        let nodes = data::nodes_of(&events);
        for &share in &setup.shares {
            let adopters = data::pick_adopters(&nodes, share, ADOPTER_SEED);
            let mut oracle = None;
            for &k in &setup.ks {
                let started = Instant::now();
                let state = data::state(Model::Wc, &events, &adopters, k);
                let oracle = oracle.get_or_insert_with(|| Oracle::new(&state, 0));
                let combo = Combo {
                    graph: g.name,
                    nodes: state.node_count(),
                    adopters: adopters.len(),
                    share,
                    k,
                };
                let (row, sweep) = instance(&state, oracle, combo, setup);
                eprintln!(
                    "bench: quality {} {:.1}% k={k}: {:.1}s",
                    g.name,
                    share * 100.0,
                    started.elapsed().as_secs_f64()
                );
                rows.push(row);
                sweeps.push(sweep);
            }
        }
    }
    Ok((rows, sweeps))
}

fn params(min_rate: f64) -> Params {
    Params {
        epsilon: 0.1,
        delta: None,
        seed: 0,
        min_rate,
    }
}

/// The methods and the sweep of one instance.
fn instance(state: &State, oracle: &mut Oracle, combo: Combo, setup: &Setup) -> (Row, Sweep) {
    let problem = problem(state);
    let mut spreads = Spreads::new(state, setup.threads);

    // The sweep: floors from the lowest up to the highest judged one plus four levels.
    let n = combo.nodes as f64;
    let cap = ((setup.max_samples / n).log2().floor() as i32 - 4).min(*setup.floors.end());
    let judged = cap.max(*setup.floors.start());
    let mut points = Vec::new();
    for floor in *setup.floors.start()..=judged + 4 {
        let p = params((floor as f64).exp2());
        let out = select(&problem, plan(&problem, &p), &p, oracle);
        let seeds: Vec<Node> = out.greedy.picks.iter().map(|x| x.friend).collect();
        points.push(Point {
            floor,
            theta: out.bounds.theta[0],
            spread: spreads.of(&seeds),
        });
    }
    let sweep = Sweep {
        combo: combo.clone(),
        points,
        judged,
    };

    // The methods, cimflow at the default floor.
    let mut cols: Vec<Option<(Estimate, usize)>> = vec![None; COLUMNS.len()];
    let mut secs = vec![0.0; COLUMNS.len()];
    let mut theta = [0; 2];
    let at = Instant::now();
    let dp = params(DEFAULT_MIN_RATE);
    let cim = select(&problem, plan(&problem, &dp), &dp, oracle);
    secs[0] = at.elapsed().as_secs_f64();
    theta[0] = cim.bounds.theta[0];
    let index = oracle.index_at(&problem, cim.level);
    for (i, name) in COLUMNS.iter().enumerate() {
        let at = Instant::now();
        let picks = match *name {
            "cimflow" => cim.greedy.picks.clone(),
            "rr-opim+" => {
                let p = params(0.0);
                let paper = select(&problem, plan(&problem, &p), &p, oracle);
                theta[1] = paper.bounds.theta[0];
                paper.greedy.picks
            }
            "rr|mg" => {
                let mg = mg_greedy(&problem, &index);
                if mg.cov1 > cim.greedy.cov1 {
                    mg.picks
                } else {
                    cim.greedy.picks.clone()
                }
            }
            "mg" => {
                select_by(&problem, plan(&problem, &dp), &dp, oracle, mg_greedy)
                    .greedy
                    .picks
            }
            "mc-greedy" if combo.nodes > setup.mc_nodes || setup.mc_runs == 0 => continue,
            other => {
                let method = match other {
                    "mc-greedy" => Method::McGreedy {
                        runs: setup.mc_runs,
                    },
                    m => m.parse().expect("a method"),
                };
                baseline::choose(method, &problem, state, &index, 0)
            }
        };
        if i > 0 {
            secs[i] = at.elapsed().as_secs_f64();
        }
        let seeds: Vec<Node> = picks.iter().map(|x| x.friend).collect();
        cols[i] = Some((spreads.of(&seeds), seeds.len()));
    }
    let row = Row {
        combo,
        spreads: cols,
        secs,
        theta,
    };
    (row, sweep)
}

/// Monte Carlo spreads, each to [`TARGET_REL_ERR`], each seed set simulated once.
struct Spreads<'s> {
    state: &'s State,
    threads: usize,
    done: HashMap<Vec<Node>, Estimate>,
}

impl<'s> Spreads<'s> {
    fn new(state: &'s State, threads: usize) -> Self {
        Spreads {
            state,
            threads,
            done: HashMap::new(),
        }
    }

    fn of(&mut self, seeds: &[Node]) -> Estimate {
        let mut key = seeds.to_vec();
        key.sort_unstable();
        if let Some(e) = self.done.get(&key) {
            return *e;
        }
        // A pilot gives the standard deviation of one cascade; then enough runs for the target.
        const PILOT: usize = 1_000;
        let pilot = evaluate::spread(self.state, &key, PILOT, self.threads, 1);
        let sd = pilot.std_err * (PILOT as f64).sqrt();
        let need = (sd / (TARGET_REL_ERR * pilot.mean.max(1e-9)))
            .powi(2)
            .ceil() as usize;
        let e = if need <= PILOT {
            pilot
        } else {
            evaluate::spread(self.state, &key, need.min(400_000), self.threads, 2)
        };
        self.done.insert(key, e);
        e
    }
}

impl Row {
    /// The best column other than cimflow and mc-greedy, and cimflow over it in percent.
    pub fn runner_up(&self) -> (usize, f64) {
        let mean = |i: usize| self.spreads[i].map_or(f64::NAN, |s| s.0.mean);
        let best = (1..MC)
            .filter(|&i| i != BEST_OF && self.spreads[i].is_some())
            .max_by(|&a, &b| mean(a).total_cmp(&mean(b)))
            .expect("the RR columns always run");
        (best, (mean(0) / mean(best) - 1.0) * 100.0)
    }

    /// cimflow against mc-greedy in percent, where that ran.
    pub fn vs_mc(&self) -> Option<f64> {
        let mc = self.spreads[MC]?.0.mean;
        Some((self.spreads[0]?.0.mean / mc - 1.0) * 100.0)
    }

    /// Whether every RR or heuristic column invites the same number of friends as cimflow and
    /// all of them invite every candidate: a tie by construction.
    pub fn all_invite_everyone(&self) -> bool {
        let f = |i: usize| self.spreads[i].map(|s| s.1);
        (1..MC).filter(|&i| i != BEST_OF).all(|i| f(i) == f(0))
    }
}

/// The rows as a Markdown table.
pub fn table(rows: &[Row]) -> String {
    let mut t = String::from(
        "| graph | nodes | adopters | k | θ c/p | cimflow | rr-opim+ | rr\\|mg | mg | local | pagerank | degree | random | mc-greedy | best other | cimflow vs it | vs mc-greedy |\n",
    );
    t.push_str(
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|\n",
    );
    for r in rows {
        let c = &r.combo;
        let cells: Vec<String> = r
            .spreads
            .iter()
            .map(|s| s.map_or("–".into(), |(e, _)| format!("{:.1}", e.mean)))
            .collect();
        let (best, gain) = r.runner_up();
        writeln!(
            t,
            "| {} | {} | {} ({:.1}%) | {} | {}/{} | {} | {} | {:+.2}% | {} |",
            c.graph,
            c.nodes,
            c.adopters,
            c.share * 100.0,
            c.k,
            r.theta[0],
            r.theta[1],
            cells.join(" | "),
            COLUMNS[best],
            gain,
            r.vs_mc().map_or("–".into(), |x| format!("{x:+.2}%")),
        )
        .expect("writing to a String");
    }
    t
}

/// Distinct friends and selection seconds per column, one line per row.
pub fn friends_table(rows: &[Row]) -> String {
    let mut t = String::from("| graph | adopters | k |");
    for c in COLUMNS {
        write!(t, " {} |", c.replace('|', "\\|")).expect("writing to a String");
    }
    t.push('\n');
    t.push_str(&"|---".repeat(3 + COLUMNS.len()));
    t.push_str("|\n");
    for r in rows {
        write!(
            t,
            "| {} | {} | {} |",
            r.combo.graph, r.combo.adopters, r.combo.k
        )
        .expect("writing to a String");
        for (s, secs) in r.spreads.iter().zip(&r.secs) {
            match s {
                Some((_, f)) => write!(t, " {f} ({secs:.2} s) |"),
                None => write!(t, " – |"),
            }
            .expect("writing to a String");
        }
        t.push('\n');
    }
    t
}

/// Rows where cimflow is not first among the RR and heuristic columns, and where it is more than
/// 1% below mc-greedy, with the figures.
pub fn exceptions(rows: &[Row]) -> Vec<String> {
    let mut out = Vec::new();
    for r in rows {
        let c = &r.combo;
        let name = format!("{} {} adopters k={}", c.graph, c.adopters, c.k);
        let (best, gain) = r.runner_up();
        let se = |i: usize| r.spreads[i].map_or(0.0, |s| s.0.std_err);
        if gain < 0.0 {
            let noise = 100.0 * (se(0).powi(2) + se(best).powi(2)).sqrt()
                / r.spreads[best].expect("ran").0.mean;
            out.push(format!(
                "{name}: {} ahead by {:.2}% (standard error of the difference {noise:.2}%){}",
                COLUMNS[best],
                -gain,
                if r.all_invite_everyone() {
                    "; every method invites the same number of friends"
                } else {
                    ""
                }
            ));
        } else if gain == 0.0 {
            out.push(format!("{name}: tied with {}", COLUMNS[best]));
        }
        if let Some(x) = r.vs_mc().filter(|&x| x < -1.0) {
            out.push(format!("{name}: {:.2}% below mc-greedy", -x));
        }
    }
    out
}

/// The level of the default floor, for the sweep tables and plots.
pub fn default_floor() -> i32 {
    floor_level(DEFAULT_MIN_RATE)
}
