//! Results are a function of the snapshot alone: one, two and four workers print the same bytes.

mod common;

use cimflow::model::{LtWeights, Model};
use common::{config, dataflow_output, loaded};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

#[test]
fn same_output_for_1_2_and_4_workers() {
    let mut runner = TestRunner::deterministic();
    for _ in 0..6 {
        let l = loaded(20).new_tree(&mut runner).unwrap().current();
        for model in [Model::Wc, Model::Lt(LtWeights::Wc)] {
            let cfg = config(model, 2, 3, false);
            let one = dataflow_output(1, &l, &cfg);
            assert!(one.contains("\"summary\""));
            assert_eq!(
                one,
                dataflow_output(2, &l, &cfg),
                "{model:?}: 1 vs 2 workers"
            );
            assert_eq!(
                one,
                dataflow_output(4, &l, &cfg),
                "{model:?}: 1 vs 4 workers"
            );
        }
    }
}

/// The same with acceptances: the expected-coverage greedy reads the same samples on any
/// number of workers, and its fixed-point arithmetic does not depend on how they are numbered.
#[test]
fn same_output_for_1_2_and_4_workers_with_acceptance() {
    let mut runner = TestRunner::deterministic();
    for _ in 0..6 {
        let l = common::loaded_accepting(20)
            .new_tree(&mut runner)
            .unwrap()
            .current();
        let cfg = config(Model::Wc, 2, 3, false);
        let one = dataflow_output(1, &l, &cfg);
        assert!(one.contains("\"summary\""));
        assert_eq!(one, dataflow_output(2, &l, &cfg), "1 vs 2 workers");
        assert_eq!(one, dataflow_output(4, &l, &cfg), "1 vs 4 workers");
    }
}
