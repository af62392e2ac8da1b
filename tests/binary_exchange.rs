//! Records crossing a process boundary are serialized with bincode, which is not self-describing:
//! a serde attribute that skips or flattens fields can pass every in-process test and still fail
//! between processes. `ProcessBinary` serializes between the threads of one process, as a cluster
//! does between processes, so these tests exercise that path without a second process.

mod common;

use std::fmt::Debug;

use cimflow::engine::EngineKind;
use cimflow::job::{JobConfig, Loaded};
use cimflow::model::{ArcFact, Model, Node, Sample};
use common::{config, dataflow_output, engine_output, loaded};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use serde::Serialize;
use serde::de::DeserializeOwned;
use timely::CommunicationConfig;

/// Runs `loaded` on two threads that exchange bytes; returns the JSON Lines output.
fn binary_output(loaded: &Loaded, cfg: &JobConfig) -> String {
    engine_output(
        EngineKind::Dataflow,
        CommunicationConfig::ProcessBinary(2).into(),
        loaded,
        cfg,
    )
}

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + Debug>(value: T) {
    let bytes = bincode::serialize(&value).unwrap();
    let back: T = bincode::deserialize(&bytes).unwrap();
    assert_eq!(back, value);
}

/// Every record type of the dataflow, as the exchange sends it: `(data, time, diff)`.
#[test]
fn dataflow_records_round_trip_through_bincode() {
    let s = Sample {
        root: u64::MAX,
        slot: 7,
    };
    let no_p = ArcFact {
        weight: 3,
        explicit: None,
    };
    let p = ArcFact {
        weight: 1,
        explicit: Some(1 << 62),
    };
    round_trip(s);
    round_trip(no_p);
    round_trip(p);
    round_trip(vec![
        (((1 as Node, 2 as Node), no_p), 5u64, 1isize),
        (((2, 1), p), 5, -1),
    ]);
    round_trip(vec![((4 as Node, 3u32), 1u64, -1isize)]);
    round_trip(vec![((9 as Node, s), 2u64, 1isize)]);
    round_trip(vec![((9 as Node, -3isize), 2u64, 1isize)]);
    round_trip(vec![((9 as Node, (8 as Node, u64::MAX)), 2u64, 1isize)]);
}

/// Random streams (explicit probabilities included, so `Option` crosses as `Some` and `None`)
/// give the same output through the byte exchange, coverage counts checked against the oracle.
#[test]
fn byte_exchange_matches_typed_exchange() {
    let mut runner = TestRunner::deterministic();
    for _ in 0..4 {
        let l = loaded(20).new_tree(&mut runner).unwrap().current();
        for model in [Model::Wc, Model::Weighted, Model::Uniform(0.3)] {
            let cfg = config(model, 2, 3, true);
            let want = dataflow_output(1, &l, &cfg);
            assert_eq!(want, binary_output(&l, &cfg), "{model:?}");
        }
    }
}
