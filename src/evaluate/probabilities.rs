//! Arc probabilities for the Monte Carlo yardstick, derived here from the events' own facts and
//! the models' definitions (README, `--model`), with none of the fixed-point threshold code the RR
//! path uses (`model::threshold`, `HeadStats`, `State::thresholds`): a bug planted there, in the
//! dataflow and the oracle alike, moves the RR estimates and not this yardstick, so the tests
//! that hold one to the other catch it.
//!
//! - an `e U V P` arc has probability P, whatever the model;
//! - `wc`: p(u, v) = 1 / indeg(v), counting every arc into v (adopters' included);
//! - `uniform:P`: p = P;
//! - `weighted`: p(u, v) = w(u, v) / Σ_x w(x, v), with w = 1 for a friendship or directed arc,
//!   plus the interactions u → v;
//! - `lt`, `lt:weighted`: the linear threshold weight b(u, v): P for an arc with one, otherwise
//!   (1 − Σ explicit P into v) · w(u, v) / Σ w over v's arcs without one, with w = 1 under `lt`
//!   and the `weighted` w under `lt:weighted`.

use rustc_hash::FxHashMap;

use crate::model::{LtWeights, Model, Node};
use crate::state::{Pair, State};

/// Every arc of `state` with its probability in [0, 1], sorted by (tail, head), so that an
/// estimate does not depend on hash-map order.
pub fn arc_probabilities(state: &State) -> Vec<(Node, Node, f64)> {
    let pairs: Vec<Pair> = state
        .pairs()
        .filter(|p| p.friend || p.directed || p.interactions > 0)
        .collect();
    let weight = |p: &Pair| u64::from(p.friend || p.directed) as f64 + p.interactions as f64;
    let lt_weight = |p: &Pair| match state.model() {
        Model::Lt(LtWeights::Weighted) => weight(p),
        _ => 1.0,
    };
    // Per head: the number of arcs into it, the sum of their weights, and under LT the sum of
    // the explicit weights and of the LT weights of the arcs without one.
    let mut into: FxHashMap<Node, [f64; 4]> = FxHashMap::default();
    for p in &pairs {
        let e = into.entry(p.head).or_default();
        e[0] += 1.0;
        e[1] += weight(p);
        match p.explicit {
            Some(x) => e[2] += x,
            None => e[3] += lt_weight(p),
        }
    }
    let mut arcs: Vec<(Node, Node, f64)> = pairs
        .iter()
        .map(|p| {
            let [indeg, total, explicit, rest] = into[&p.head];
            let prob = match (p.explicit, state.model()) {
                (Some(x), _) => x,
                (None, Model::Wc) => 1.0 / indeg,
                (None, Model::Uniform(x)) => x,
                (None, Model::Weighted) if total == 0.0 => 0.0,
                (None, Model::Weighted) => weight(p) / total,
                (None, Model::Lt(_)) => (1.0 - explicit).max(0.0) * lt_weight(p) / rest,
            };
            (p.tail, p.head, prob)
        })
        .collect();
    arcs.sort_unstable_by_key(|a| (a.0, a.1));
    arcs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluate::snapshot;
    use crate::input::{Event, EventKind, Op};

    fn add(kind: EventKind) -> Event {
        Event {
            time: None,
            op: Op::Add,
            kind,
        }
    }

    #[test]
    fn each_model_by_hand() {
        use EventKind::*;
        let events = [
            add(Arc(1, 3, None)),
            add(Arc(2, 3, None)),
            add(Arc(4, 3, Some(0.25))),
            add(Friendship(1, 2)),
            add(Interaction(2, 1, 3)),
            add(Interaction(5, 1, 1)),
            add(Adopter(4, None)),
        ];
        // Into 3: 1, 2 and 4 (an adopter's arc counts); into 1: 2 (friend + 3) and 5 (1);
        // into 2: 1 (friend).
        let wc = arc_probabilities(&snapshot(Model::Wc, &events));
        assert_eq!(
            wc,
            [
                (1, 2, 1.0),
                (1, 3, 1.0 / 3.0),
                (2, 1, 0.5),
                (2, 3, 1.0 / 3.0),
                (4, 3, 0.25),
                (5, 1, 0.5)
            ]
        );
        let weighted = arc_probabilities(&snapshot(Model::Weighted, &events));
        assert_eq!(
            weighted,
            [
                (1, 2, 1.0),
                (1, 3, 1.0 / 3.0),
                (2, 1, 0.8),
                (2, 3, 1.0 / 3.0),
                (4, 3, 0.25),
                (5, 1, 0.2)
            ]
        );
        // LT: into 3 the explicit 0.25 leaves 0.75 to 1 and 2; into 1, equal or 4 : 1 weights.
        let lt = arc_probabilities(&snapshot(Model::Lt(LtWeights::Wc), &events));
        assert_eq!(
            lt,
            [
                (1, 2, 1.0),
                (1, 3, 0.375),
                (2, 1, 0.5),
                (2, 3, 0.375),
                (4, 3, 0.25),
                (5, 1, 0.5)
            ]
        );
        let lt_weighted = arc_probabilities(&snapshot(Model::Lt(LtWeights::Weighted), &events));
        assert_eq!(
            lt_weighted,
            [
                (1, 2, 1.0),
                (1, 3, 0.375),
                (2, 1, 0.8),
                (2, 3, 0.375),
                (4, 3, 0.25),
                (5, 1, 0.2)
            ]
        );
        let uniform = arc_probabilities(&snapshot(Model::Uniform(0.1), &events));
        assert!(
            uniform
                .iter()
                .all(|&(u, _, p)| p == if u == 4 { 0.25 } else { 0.1 })
        );
    }
}
