//! The dataflow against the from-scratch oracle on random graphs and event streams: after every
//! epoch the coverage counts, the selection and the bounds must be equal, exactly (`verify`
//! stops the run at the first difference), and so must the emitted output.

mod common;

use cimflow::model::{LtWeights, Model};
use common::{config, dataflow_output, loaded, loaded_accepting, oracle_output};
use proptest::prelude::*;

/// `floor`: the sampling floor, samples per node; 8 lifts the lowest level above the
/// certificate's on these small graphs.
fn check(loaded: &cimflow::job::Loaded, model: Model, batch: usize, floor: f64) {
    let mut cfg = config(model, 2, batch, true);
    cfg.params.min_rate = floor;
    let dataflow = dataflow_output(1, loaded, &cfg);
    let oracle = oracle_output(loaded, &cfg);
    assert_eq!(dataflow, oracle, "dataflow and oracle output differ");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Incremental equals from-scratch under `wc`, whatever the events.
    #[test]
    fn wc_equals_oracle_every_epoch(l in loaded(14), batch in 1..6usize, floor in prop::sample::select(vec![0.0, 8.0])) {
        check(&l, Model::Wc, batch, floor);
    }

    /// The same under `weighted`, where interactions move probabilities.
    #[test]
    fn weighted_equals_oracle_every_epoch(l in loaded(14), batch in 1..6usize, floor in prop::sample::select(vec![0.0, 8.0])) {
        check(&l, Model::Weighted, batch, floor);
    }

    /// The same with acceptance probabilities, set in epoch 0 and changed by `w` events: the
    /// expected-coverage greedy on the dataflow's samples equals it on the oracle's.
    #[test]
    fn acceptance_equals_oracle_every_epoch(l in loaded_accepting(14), batch in 1..6usize, floor in prop::sample::select(vec![0.0, 8.0])) {
        check(&l, Model::Wc, batch, floor);
    }

    /// The same under a uniform probability.
    #[test]
    fn uniform_equals_oracle_every_epoch(l in loaded(14), batch in 1..6usize, floor in prop::sample::select(vec![0.0, 8.0])) {
        check(&l, Model::Uniform(0.3), batch, floor);
    }

    /// The same under the linear threshold model, where samples are reverse walks: equal
    /// weights, explicit weights (the stream's `+ e U V P`, refused where they would sum above
    /// 1) sharing a head with the others, adopters met on the way.
    #[test]
    fn lt_equals_oracle_every_epoch(l in loaded(14), batch in 1..6usize, floor in prop::sample::select(vec![0.0, 8.0])) {
        check(&l, Model::Lt(LtWeights::Wc), batch, floor);
    }

    /// The same with node ids past 32 bits, in the initial graph or first seen in the events,
    /// and pairs of ids with the same low 32 bits: an in-arc keeps its tail's low 32 bits, and
    /// a graph with a wider id reads the tail's id by its dense id instead.
    #[test]
    fn wide_ids_equal_oracle_every_epoch(l in loaded(14), batch in 1..6usize, in_initial in any::<bool>(), lt in any::<bool>()) {
        let model = if lt { Model::Lt(LtWeights::Wc) } else { Model::Wc };
        check(&widen(l, in_initial), model, batch, 0.0);
    }

    /// The same under LT with interaction weights, which move a head's picks as they come.
    #[test]
    fn lt_weighted_equals_oracle_every_epoch(l in loaded(14), batch in 1..6usize, floor in prop::sample::select(vec![0.0, 8.0])) {
        check(&l, Model::Lt(LtWeights::Weighted), batch, floor);
    }
}

/// `l` with a third of its node ids moved past 32 bits (in the events only, unless
/// `in_initial`), keeping their low 32 bits, and another third onto ids those low bits give.
fn widen(mut l: cimflow::job::Loaded, in_initial: bool) -> cimflow::job::Loaded {
    use cimflow::input::{Event, EventKind::*};
    let wide = |x: u64| match x % 3 {
        0 => x + (1 << 40),
        1 => x - 1,
        _ => x,
    };
    let map = |e: &mut Event| {
        e.kind = match e.kind {
            Friendship(u, v) => Friendship(wide(u), wide(v)),
            Arc(u, v, p) => Arc(wide(u), wide(v), p),
            Interaction(u, v, n) => Interaction(wide(u), wide(v), n),
            Adopter(a, k) => Adopter(wide(a), k),
            Acceptance(a, f, w) => Acceptance(wide(a), wide(f), w),
        }
    };
    if in_initial {
        l.initial.iter_mut().for_each(map);
    }
    l.events.iter_mut().for_each(map);
    l
}

/// A directed graph far larger than its samples (a fractional sampling rate: most nodes root no
/// sample), hubs included, under arc insertions and deletions in epochs of 1, 10 and 100: the
/// regime of real graphs, where nodes first seen as an arc's tail root no sample of their own.
#[test]
fn sparse_samples_on_a_large_directed_graph() {
    use cimflow::input::{Event, EventKind, Op};
    use cimflow::job::Loaded;
    // A small deterministic generator: heavy-tailed endpoints (a power of a uniform draw).
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move |n: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let u = (x >> 11) as f64 / (1u64 << 53) as f64;
        (u.powi(3) * n as f64) as u64
    };
    let (nodes, arcs) = (3_000u64, 12_000);
    let arc = |op, u, v| Event {
        time: None,
        op,
        kind: EventKind::Arc(u, v, None),
    };
    let mut initial: Vec<Event> = (0..arcs)
        .map(|_| arc(Op::Add, next(nodes), next(nodes)))
        .collect();
    initial.extend((0..12).map(|i| Event {
        time: None,
        op: Op::Add,
        kind: EventKind::Adopter(i * 7 + 1, None),
    }));
    let mut events = Vec::new();
    for i in 0..340 {
        // New tails beyond the initial ids appear too.
        let op = if i % 2 == 0 { Op::Add } else { Op::Remove };
        let (u, v) = match op {
            Op::Add => (next(nodes + 500), next(nodes)),
            Op::Remove => match initial[(next(arcs as u64)) as usize].kind {
                EventKind::Arc(u, v, _) => (u, v),
                _ => unreachable!("the initial events are arcs first"),
            },
        };
        events.push(arc(op, u, v));
    }
    let loaded = Loaded {
        initial,
        events,
        skipped: 0,
    };
    for (batch, model) in [
        (1, Model::Wc),
        (10, Model::Weighted),
        (100, Model::Wc),
        (1, Model::Lt(LtWeights::Wc)),
        (10, Model::Lt(LtWeights::Wc)),
    ] {
        let mut cfg = config(model, 3, batch, true);
        cfg.params.epsilon = 0.3;
        let take = if batch == 1 { 40 } else { 340 };
        let l = Loaded {
            events: loaded.events[..take].to_vec(),
            ..loaded.clone()
        };
        let dataflow = dataflow_output(1, &l, &cfg);
        assert_eq!(dataflow, oracle_output(&l, &cfg), "batch {batch}");
        assert!(
            dataflow.contains("\"level\":-"),
            "the samples should be sparser than the nodes"
        );
    }
}

/// A hub that loses most of its loaded in-arcs one epoch at a time, gets some back, and whose
/// tails become adopters: a worker keeps a changed list as a few changes over the loaded one
/// until too many loaded arcs are gone, then copies it; every step must read the same arcs.
#[test]
fn a_hub_losing_its_loaded_arcs() {
    use cimflow::input::{Event, EventKind, Op};
    use cimflow::job::Loaded;
    let ev = |op, kind| Event {
        time: None,
        op,
        kind,
    };
    // Hub 0 with in-arcs from 1..=40, read by the samples rooted at its out-neighbours 201..=240;
    // adopter 100 invites 1..=40.
    let mut initial: Vec<Event> = (1..=40u64)
        .flat_map(|i| {
            [
                ev(Op::Add, EventKind::Arc(i, 0, None)),
                ev(Op::Add, EventKind::Arc(100, i, None)),
                ev(Op::Add, EventKind::Arc(0, 200 + i, None)),
            ]
        })
        .collect();
    initial.push(ev(Op::Add, EventKind::Adopter(100, None)));
    // New tails first, so that the list is copied with arcs of both kinds.
    let mut events: Vec<Event> = (41..=45u64)
        .map(|i| ev(Op::Add, EventKind::Arc(i, 0, None)))
        .collect();
    events.extend((1..=30u64).map(|i| ev(Op::Remove, EventKind::Arc(i, 0, None))));
    events.extend((5..=12u64).map(|i| ev(Op::Add, EventKind::Arc(i, 0, None))));
    events.extend((31..=34u64).map(|a| ev(Op::Add, EventKind::Adopter(a, None))));
    events.extend((6..=9u64).map(|i| ev(Op::Remove, EventKind::Arc(i, 0, None))));
    let loaded = Loaded {
        initial,
        events,
        skipped: 0,
    };
    for model in [Model::Wc, Model::Weighted, Model::Lt(LtWeights::Wc)] {
        for batch in [1, 4] {
            let cfg = config(model, 3, batch, true);
            let one = dataflow_output(1, &loaded, &cfg);
            assert_eq!(
                one,
                oracle_output(&loaded, &cfg),
                "{model:?}, batch {batch}"
            );
            assert_eq!(
                one,
                dataflow_output(2, &loaded, &cfg),
                "{model:?}: 1 vs 2 workers"
            );
        }
    }
}

/// Under `weighted` an interaction can change an arc's weight and leave its threshold as it was:
/// here all of the head's weight is on the arc 1 → 0 (threshold ONE, live in every sample), and
/// it falls from 3 to 2. Its coin's ratio (c + 1) / w grows by half, and the samples' summaries
/// must count the new ratio, or the next arc into 0 (taking 1 → 0's threshold to 2/3 of ONE)
/// would be ruled out as flipping nothing in the samples where 1 → 0 dies. (From 2 to 1 would
/// not show it: at a total of 1 every summary is tested again.)
#[test]
fn a_weight_that_falls_with_its_total() {
    use cimflow::input::{Event, EventKind, Op};
    use cimflow::job::Loaded;
    let at = |op, kind| Event {
        time: None,
        op,
        kind,
    };
    let loaded = Loaded {
        initial: vec![
            at(Op::Add, EventKind::Interaction(1, 0, 3)),
            // 1 is a candidate of adopter 9, so its coverage is in the output.
            at(Op::Add, EventKind::Arc(9, 1, None)),
            at(Op::Add, EventKind::Adopter(9, None)),
        ],
        events: vec![
            at(Op::Remove, EventKind::Interaction(1, 0, 1)),
            at(Op::Add, EventKind::Interaction(2, 0, 1)),
        ],
        skipped: 0,
    };
    check(&loaded, Model::Weighted, 1, 8.0);
}
