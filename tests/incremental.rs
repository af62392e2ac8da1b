//! The dataflow against the from-scratch oracle on random graphs and event streams: after every
//! epoch the coverage counts, the selection and the bounds must be equal, exactly (`verify`
//! stops the run at the first difference), and so must the emitted output.

mod common;

use cimflow::model::Model;
use common::{config, dataflow_output, loaded, oracle_output};
use proptest::prelude::*;

fn check(loaded: &cimflow::job::Loaded, model: Model, batch: usize) {
    let cfg = config(model, 2, batch, true);
    let dataflow = dataflow_output(1, loaded, &cfg);
    let oracle = oracle_output(loaded, &cfg);
    assert_eq!(dataflow, oracle, "dataflow and oracle output differ");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Incremental equals from-scratch under `wc`, whatever the events.
    #[test]
    fn wc_equals_oracle_every_epoch(l in loaded(14), batch in 1..6usize) {
        check(&l, Model::Wc, batch);
    }

    /// The same under `weighted`, where interactions move probabilities.
    #[test]
    fn weighted_equals_oracle_every_epoch(l in loaded(14), batch in 1..6usize) {
        check(&l, Model::Weighted, batch);
    }

    /// The same under a uniform probability.
    #[test]
    fn uniform_equals_oracle_every_epoch(l in loaded(14), batch in 1..6usize) {
        check(&l, Model::Uniform(0.3), batch);
    }
}
