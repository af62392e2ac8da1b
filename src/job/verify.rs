//! `--verify`: every epoch's solution held to the from-scratch oracle's on the same snapshot.

use std::collections::BTreeMap;

use super::JobError;
use crate::engine::{Solution, oracle};
use crate::model::Node;
use crate::selection::Params;
use crate::state::State;

/// Holds an engine's solution to the oracle's on the same snapshot, exactly.
pub fn verify(epoch: u64, state: &State, got: &Solution, params: &Params) -> Result<(), JobError> {
    let want = oracle::solve(state, params, got.coverage.is_some());
    let mismatch = |what: &str, got: String, want: String| JobError::Mismatch {
        epoch,
        what: format!("{what}: dataflow {got}, oracle {want}"),
    };
    if got.outcome.level != want.outcome.level {
        return Err(mismatch(
            "the sampling level",
            got.outcome.level.to_string(),
            want.outcome.level.to_string(),
        ));
    }
    if let (Some(g), Some(w)) = (&got.coverage, &want.coverage)
        && g != w
    {
        let differ: Vec<_> = w
            .keys()
            .chain(g.keys())
            .filter(|v| g.get(v) != w.get(v))
            .take(5)
            .collect();
        let show = |m: &BTreeMap<Node, u64>| {
            format!(
                "{:?}",
                differ.iter().map(|v| (**v, m.get(v))).collect::<Vec<_>>()
            )
        };
        return Err(mismatch("coverage counts", show(g), show(w)));
    }
    // Bit for bit: no field of an outcome can be NaN, so `==` on the floats is exact equality.
    if got.outcome != want.outcome {
        return Err(mismatch(
            "the selection",
            format!("{:?}", got.outcome),
            format!("{:?}", want.outcome),
        ));
    }
    Ok(())
}
