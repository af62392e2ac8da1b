//! Engines: what turns the accepted state into a solution each epoch.
//!
//! - [`dataflow`]: the differential dataflow of the `dataflows` crate, kept current incrementally;
//! - [`oracle`]: the same computation from scratch on flat arrays, the tests' reference and the
//!   benchmarks' yardstick;
//! - [`baseline`]: the baselines (`--method`), from scratch on the oracle's samples.
//!
//! [`EngineKind::of`] is the one place that chooses among them.

pub mod baseline;
pub mod dataflow;
pub mod oracle;

use std::collections::BTreeMap;

use crate::model::Node;
use crate::selection::baselines::Method;
use crate::selection::{Outcome, Params, Problem};
use crate::state::State;

pub use dataflow::DataflowEngine;

/// One epoch's result.
#[derive(Clone, Debug)]
pub struct Solution {
    /// The selection with its certificate.
    pub outcome: Outcome,
    /// How many samples of the held level contain each node, when asked for.
    pub coverage: Option<BTreeMap<Node, u64>>,
}

/// Something that turns the accepted state into a solution each epoch.
pub trait Engine {
    /// Takes the state's pending changes and returns the solution for its snapshot.
    fn epoch(&mut self, state: &mut State, params: &Params) -> Solution;
}

/// The selection instance of a snapshot.
pub fn problem(state: &State) -> Problem {
    let adopters: Vec<(Node, u32)> = state.adopters().iter().map(|(&a, &k)| (a, k)).collect();
    let candidates: Vec<Vec<Node>> = adopters.iter().map(|&(a, _)| state.candidates(a)).collect();
    let weights: Vec<Vec<f64>> = adopters
        .iter()
        .zip(&candidates)
        .map(|(&(a, _), row)| acceptance_row(state, a, row))
        .collect();
    let below_one = state.acceptances().next().is_some() && below_one(weights.iter().flatten());
    Problem {
        n: state.node_count(),
        adopters,
        candidates,
        acceptance: below_one.then_some(weights),
    }
}

/// The acceptances of adopter `a`'s candidates `row`, aligned with it.
pub fn acceptance_row(state: &State, a: Node, row: &[Node]) -> Vec<f64> {
    row.iter().map(|&f| state.acceptance(a, f)).collect()
}

/// Whether some weight is below 1: the one rule for when a problem carries its acceptances.
/// Without one, every path is the paper's (`Problem::acceptance` is `None`).
pub fn below_one<'a>(weights: impl IntoIterator<Item = &'a f64>) -> bool {
    weights.into_iter().any(|&w| w < 1.0)
}

impl<E: Engine + ?Sized> Engine for Box<E> {
    fn epoch(&mut self, state: &mut State, params: &Params) -> Solution {
        (**self).epoch(state, params)
    }
}

/// Which engine a job runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EngineKind {
    /// The incremental dataflow (the default).
    Dataflow,
    /// The from-scratch oracle (`--oracle`).
    Oracle,
    /// A baseline (`--method` other than `cimflow`).
    Baseline(Method),
}

impl EngineKind {
    /// The engine the flags ask for: a baseline method wins, then `--oracle`.
    pub fn of(method: Method, oracle: bool) -> Self {
        match (method, oracle) {
            (Method::Cimflow, false) => EngineKind::Dataflow,
            (Method::Cimflow, true) => EngineKind::Oracle,
            (m, _) => EngineKind::Baseline(m),
        }
    }
}
