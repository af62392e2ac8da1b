//! The linear threshold model against yardsticks that share no code with its pick: walks whose
//! every step is forced (weights 1 or 0), counted by hand, and `evaluate`'s threshold-form
//! Monte Carlo against a spread computed by hand.

use cimflow::engine::oracle::Oracle;
use cimflow::evaluate::{self, Inputs, snapshot};
use cimflow::input::{Event, EventKind, InputSpec, Op};
use cimflow::model::{LtWeights, Model, Node};

const LT: Model = Model::Lt(LtWeights::Wc);

fn add(kind: EventKind) -> Event {
    Event {
        time: None,
        op: Op::Add,
        kind,
    }
}

fn arc(u: Node, v: Node, p: Option<f64>) -> Event {
    add(EventKind::Arc(u, v, p))
}

/// Samples containing each node at level 0, where every node roots one sample in each half.
fn coverage(events: &[Event]) -> Vec<(Node, u64)> {
    let state = snapshot(LT, events);
    Oracle::new(&state, 3).coverage(0).into_iter().collect()
}

/// On 1 → 2 → 3 each node's one in-arc weighs 1, so the walk from 3 is 3, 2, 1, from 2 it is
/// 2, 1, and from 1 just 1: node 1 is in 3 walks of each half, 2 in 2, 3 in 1.
#[test]
fn forced_walks_follow_the_chain() {
    let chain = [arc(1, 2, None), arc(2, 3, None)];
    assert_eq!(coverage(&chain), [(1, 6), (2, 4), (3, 2)]);
    // An adopter stops the walk and roots none: 3's walk is 3 alone.
    let mut blocked = chain.to_vec();
    blocked.push(add(EventKind::Adopter(2, None)));
    assert_eq!(coverage(&blocked), [(1, 2), (3, 2)]);
    // A weight of 0 is never picked: 2 picks no one.
    let zero = [arc(1, 2, Some(0.0)), arc(2, 3, None)];
    assert_eq!(coverage(&zero), [(1, 2), (2, 4), (3, 2)]);
}

/// On a friendship 1 – 2 each node's one in-arc weighs 1: the walk from 1 is 1, 2 and stops at
/// 1, already on it; so both nodes are in both walks of each half.
#[test]
fn a_walk_stops_where_it_has_been() {
    assert_eq!(
        coverage(&[add(EventKind::Friendship(1, 2))]),
        [(1, 4), (2, 4)]
    );
}

/// `evaluate --model lt`: adopter 0 recommends 1 and 2. Weights (1/indeg): b(1→3) = b(2→3) = ½,
/// b(3→4) = 1, b(0→5) = b(1→5) = ½; 4 → 0 leads to the adopter. σ({1}) = 1 + ½ (3) + ½ (4) +
/// ½ (5) = 2.5, as under IC; σ({1, 2}) = 2 + 1 (3: the weights add up) + 1 (4) + ½ (5) = 4.5,
/// where IC gives 4.
#[test]
fn evaluate_matches_the_analytic_lt_spread() {
    let dir = tempfile::tempdir().unwrap();
    let graph = dir.path().join("g.txt");
    std::fs::write(&graph, "0 1\n0 2\n1 3\n2 3\n3 4\n4 0\n0 5\n1 5\n").unwrap();
    let adopters = dir.path().join("a.ap");
    std::fs::write(&adopters, "0\n").unwrap();
    for (recs, exact) in [
        ("adopter\tfriend\tgain\n0\t1\t1.5\n", 2.5),
        ("adopter\tfriend\tgain\n0\t1\t1.5\n0\t2\t1\n", 4.5),
    ] {
        let file = dir.path().join("recommendations.tsv");
        std::fs::write(&file, recs).unwrap();
        let inputs = Inputs {
            initial: InputSpec {
                graph: Some(graph.clone()),
                adopters: Some(adopters.clone()),
                ..InputSpec::default()
            },
            recommendations: &file,
            model: LT,
        };
        let e = evaluate::evaluate(&inputs, 40_000, 2, 9).unwrap().estimate;
        assert!(
            (e.mean - exact).abs() <= 4.0 * e.std_err,
            "{e:?} vs exact {exact}"
        );
    }
}
