//! The baselines as an engine (`cimflow run --method mg|local|pagerank|degree|random|mc-greedy`):
//! every epoch solved from scratch on the oracle's RR sets, at the level cimflow's own selection
//! settles on (`mg` at the level its own certificate settles on). What each baseline picks is
//! [`crate::selection::baselines`].

use rustc_hash::FxHashMap;

use super::oracle::Oracle;
use super::{Engine, Solution, problem};
use crate::model::Node;
use crate::selection::baselines::{Method, baseline_outcome, by_rank, degree, local, random};
use crate::selection::mc_greedy::mc_greedy;
use crate::selection::mg::mg_greedy;
use crate::selection::pagerank::pagerank;
use crate::selection::{
    Outcome, Params, Pick, Problem, RrIndex, RrSource, plan, select, select_by,
};
use crate::state::State;

/// A baseline as an engine: every epoch solved from scratch by [`solve`].
pub struct BaselineEngine {
    /// The baseline.
    pub method: Method,
}

impl Engine for BaselineEngine {
    fn epoch(&mut self, state: &mut State, params: &Params) -> Solution {
        state.take_delta();
        Solution {
            outcome: solve(self.method, state, params),
            coverage: None,
        }
    }
}

/// The outcome of `method` on `state`'s snapshot, from scratch on the oracle's RR sets: cimflow's
/// own selection for [`Method::Cimflow`], else the baseline measured as the module header says.
pub fn solve(method: Method, state: &State, params: &Params) -> Outcome {
    let problem = problem(state);
    let mut oracle = Oracle::new(state, params.seed);
    let plan = plan(&problem, params);
    if method == Method::Mg {
        return select_by(&problem, plan, params, &mut oracle, mg_greedy);
    }
    let cim = select(&problem, plan, params, &mut oracle);
    if method == Method::Cimflow || cim.plan.chi == 0 {
        return cim;
    }
    // The level is already drawn: this only re-reads the oracle's samples.
    let index = oracle.index_at(&problem, cim.level);
    let picks = choose(method, &problem, state, &index, params.seed);
    baseline_outcome(picks, &problem, &index, &cim, params)
}

/// The picks of a baseline on `index` (`Cimflow` is not one: it gives none; `Mg` gives its
/// greedy's picks at `index`'s level, whether or not that level certifies them).
pub fn choose(
    method: Method,
    problem: &Problem,
    state: &State,
    index: &RrIndex,
    seed: u64,
) -> Vec<Pick> {
    match method {
        Method::Cimflow => Vec::new(),
        Method::Random => random(problem, seed),
        Method::Degree => degree(problem, &out_degrees(state)),
        Method::Local => local(problem, index),
        Method::PageRank => by_rank(problem, &page_ranks(state)),
        Method::Mg => mg_greedy(problem, index).picks,
        Method::McGreedy { runs } => {
            let lt = state.model().is_lt();
            mc_greedy(problem, &state.thresholds(), lt, runs as usize, seed)
        }
    }
}

/// The PageRank of every node of P = G − A.
pub fn page_ranks(state: &State) -> FxHashMap<Node, f64> {
    let adopters = state.adopters();
    let nodes: Vec<Node> = state
        .nodes()
        .filter(|v| !adopters.contains_key(v))
        .collect();
    pagerank(&nodes, state.arcs().map(|(arc, _)| arc))
}

/// The out-degree in G of every node with an out-arc.
pub fn out_degrees(state: &State) -> FxHashMap<Node, usize> {
    let mut d: FxHashMap<Node, usize> = FxHashMap::default();
    for ((u, _), _) in state.arcs() {
        *d.entry(u).or_default() += 1;
    }
    d
}
