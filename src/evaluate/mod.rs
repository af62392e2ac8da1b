//! `cimflow evaluate`: what a set of recommendations is worth, measured independently of the RR
//! sets that chose it.
//!
//! The RR estimate reported by `run` comes from the same samples the selection was made on (R2 is
//! held out from the greedy, but not from the code). This module re-measures σ_P(S) by forward
//! Monte Carlo simulation of the independent cascade ([`simulate::monte_carlo`]), with arc
//! probabilities derived on their own ([`probabilities`]): it shares no code with the RR path
//! beyond the accepted state, so that a bug in the RR code or in the model's thresholds cannot
//! hide itself, and so that baselines and cimflow are scored by the same yardstick. With
//! `--acceptance`, each recommended friend accepts by a coin of its own before the cascade.

pub mod probabilities;
pub mod simulate;

use std::path::Path;

use crate::input::{Diagnostics, Event, InputError, InputSpec, read_initial};
use crate::model::{Model, Node};
use crate::output::recommendations;
use crate::state::State;
use simulate::{Diffusion, Estimate, simulate};

/// Why an evaluation could not be made.
#[derive(Debug, thiserror::Error)]
pub enum EvaluateError {
    /// The graph, adopter or recommendation file could not be read.
    #[error(transparent)]
    Input(#[from] InputError),
    /// The recommendation file has no recommendation in it.
    #[error("{0}: no recommendations (expected `adopter<TAB>friend<TAB>gain` lines)")]
    Empty(String),
}

/// What `evaluate` measured.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Evaluation {
    /// The Monte Carlo estimate of σ_P(S).
    pub estimate: Estimate,
    /// Distinct friends in the recommendations (the seeds S).
    pub seeds: usize,
    /// Adopters, who neither pass influence on nor count.
    pub adopters: usize,
    /// Nodes of the graph, adopters included.
    pub nodes: usize,
}

/// The snapshot `events` define, applied in order to an empty graph under `model` (capacities
/// play no part in a spread, so adopters without one get 0).
pub fn snapshot(model: Model, events: &[Event]) -> State {
    let mut state = State::new(model, 0);
    for e in events {
        state.apply(e);
    }
    state.take_delta();
    state
}

/// σ_P(`seeds`) on `state`'s snapshot by `runs` Monte Carlo cascades (in the threshold form
/// under LT) over `threads` threads, reproducible for a given (`rng_seed`, `threads`).
pub fn spread(
    state: &State,
    seeds: &[Node],
    runs: usize,
    threads: usize,
    rng_seed: u64,
) -> Estimate {
    let adopters: Vec<Node> = state.adopters().keys().copied().collect();
    let invited: Vec<(Node, f64)> = seeds.iter().map(|&s| (s, 1.0)).collect();
    simulate(
        diffusion(state),
        &probabilities::arc_probabilities(state),
        &adopters,
        &invited,
        runs,
        threads,
        rng_seed,
    )
}

/// How `state`'s model spreads influence: in the threshold form under LT, else as a cascade.
fn diffusion(state: &State) -> Diffusion {
    match state.model() {
        Model::Lt(_) => Diffusion::Threshold,
        _ => Diffusion::Cascade,
    }
}

/// The expected spread of the invitations `pairs` (adopter, friend) over their acceptances: each
/// friend f invited by a is a seed with probability w(a, f) from `state`, by a coin of its own in
/// every Monte Carlo run (in the threshold form under LT). Otherwise as [`spread`].
pub fn expected_spread(
    state: &State,
    pairs: &[(Node, Node)],
    runs: usize,
    threads: usize,
    rng_seed: u64,
) -> Estimate {
    let adopters: Vec<Node> = state.adopters().keys().copied().collect();
    let invited: Vec<(Node, f64)> = pairs
        .iter()
        .map(|&(a, f)| (f, state.acceptance(a, f)))
        .collect();
    simulate(
        diffusion(state),
        &probabilities::arc_probabilities(state),
        &adopters,
        &invited,
        runs,
        threads,
        rng_seed,
    )
}

/// The (adopter, friend) pairs of a `recommendations.tsv` (see [`recommendations::read`]); a file
/// with none is an error, not an empty seed set.
pub fn read_recommendations(path: &Path) -> Result<Vec<(Node, Node)>, EvaluateError> {
    let pairs = recommendations::read(path)?;
    if pairs.is_empty() {
        return Err(EvaluateError::Empty(path.display().to_string()));
    }
    Ok(pairs)
}

/// What `cimflow evaluate` reads.
#[derive(Clone, Debug)]
pub struct Inputs<'a> {
    /// The graph and the adopters.
    pub initial: InputSpec,
    /// The `recommendations.tsv` whose friends are the seeds.
    pub recommendations: &'a Path,
    /// The probability model.
    pub model: Model,
}

/// Reads the inputs and estimates the spread of the recommended friends. Bad graph or adopter
/// lines are skipped and reported on stderr, as `run` does by default.
pub fn evaluate(
    inputs: &Inputs<'_>,
    runs: usize,
    threads: usize,
    rng_seed: u64,
) -> Result<Evaluation, EvaluateError> {
    let mut diag = Diagnostics::new(false);
    let events = read_initial(&inputs.initial, &mut diag)?;
    let state = snapshot(inputs.model, &events);
    let pairs = read_recommendations(inputs.recommendations)?;
    // A file from another graph still gives a plausible number: say so.
    for misfit in misfits(&state, &pairs) {
        eprintln!(
            "cimflow: warning: {}: {misfit}",
            inputs.recommendations.display()
        );
    }
    let mut seeds: Vec<Node> = pairs.iter().map(|&(_, f)| f).collect();
    seeds.sort_unstable();
    seeds.dedup();
    // Without acceptances every invitation is accepted: the seeds are the friends.
    let estimate = if state.acceptances().next().is_none() {
        spread(&state, &seeds, runs, threads, rng_seed)
    } else {
        expected_spread(&state, &pairs, runs, threads, rng_seed)
    };
    Ok(Evaluation {
        estimate,
        seeds: seeds.len(),
        adopters: state.adopters().len(),
        nodes: state.node_count(),
    })
}

/// What in `pairs` the graph and adopters could not have recommended, one line per kind (with
/// how many and a first example): an adopter that is not one, a friend that is an adopter, a
/// friend that is not the adopter's out-neighbour. Each is still evaluated as given.
pub fn misfits(state: &State, pairs: &[(Node, Node)]) -> Vec<String> {
    let mut candidates: std::collections::HashMap<Node, Vec<Node>> = Default::default();
    let mut kinds: [(usize, Option<(Node, Node)>); 3] = [(0, None); 3];
    for &(a, f) in pairs {
        let kind = if !state.adopters().contains_key(&a) {
            0
        } else if state.adopters().contains_key(&f) {
            1
        } else if candidates
            .entry(a)
            .or_insert_with(|| state.candidates(a))
            .binary_search(&f)
            .is_err()
        {
            2
        } else {
            continue;
        };
        let (count, first) = &mut kinds[kind];
        *count += 1;
        first.get_or_insert((a, f));
    }
    let what = [
        "whose adopter is not among the adopters",
        "whose friend is an adopter",
        "whose friend is not the adopter's out-neighbour in the graph",
    ];
    kinds
        .iter()
        .zip(what)
        .filter_map(|(&(count, first), what)| {
            let (a, f) = first?;
            Some(format!(
                "{count} of {} recommendations {what} (the first: adopter {a}, friend {f})",
                pairs.len()
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::{EventKind, Op};

    fn arc(u: Node, v: Node) -> Event {
        Event {
            time: None,
            op: Op::Add,
            kind: EventKind::Arc(u, v, None),
        }
    }

    #[test]
    fn probabilities_follow_the_model() {
        // indeg(3) = 2, indeg(2) = 1.
        let s = snapshot(Model::Wc, &[arc(1, 3), arc(2, 3), arc(1, 2)]);
        assert_eq!(
            probabilities::arc_probabilities(&s),
            vec![(1, 2, 1.0), (1, 3, 0.5), (2, 3, 0.5)]
        );
    }

    #[test]
    fn misfits_are_counted_by_kind() {
        let mut events = vec![arc(1, 2), arc(1, 3), arc(4, 5)];
        for a in [1, 4] {
            events.push(Event {
                time: None,
                op: Op::Add,
                kind: EventKind::Adopter(a, None),
            });
        }
        let s = snapshot(Model::Wc, &events);
        assert!(misfits(&s, &[(1, 2), (1, 3), (4, 5)]).is_empty());
        let m = misfits(&s, &[(1, 2), (9, 2), (1, 4), (1, 5), (4, 6)]);
        assert_eq!(m.len(), 3, "{m:?}");
        assert!(m[0].starts_with("1 of 5 ") && m[0].contains("adopter 9, friend 2"));
        assert!(m[1].contains("adopter 1, friend 4"));
        assert!(m[2].starts_with("2 of 5 ") && m[2].contains("adopter 1, friend 5"));
    }

    #[test]
    fn recommendations_parse_and_reject() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("good.tsv");
        std::fs::write(&good, "adopter\tfriend\tgain\n1\t5\t2.5\n2\t6\t0\n").unwrap();
        assert_eq!(read_recommendations(&good).unwrap(), vec![(1, 5), (2, 6)]);
        let bad = dir.path().join("bad.tsv");
        std::fs::write(&bad, "adopter\tfriend\tgain\n1\tx\t2.5\n").unwrap();
        let e = read_recommendations(&bad).unwrap_err().to_string();
        assert!(e.contains("bad.tsv:2"), "{e}");
        let empty = dir.path().join("empty.tsv");
        std::fs::write(&empty, "adopter\tfriend\tgain\n").unwrap();
        assert!(matches!(
            read_recommendations(&empty),
            Err(EvaluateError::Empty(_))
        ));
    }
}
