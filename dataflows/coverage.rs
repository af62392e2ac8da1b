//! How many samples cover each node, for the checks that hold the dataflow to the oracle.
//!
//! ```text
//! coverage(v, n) :- n = |{s : rr(v, s)}|.
//! ```
//!
//! The selection itself reads only `member(c, s)`, which the RR-set operator reports directly
//! (it knows the candidates from its replica of the graph): no arrangement of the arcs or of the
//! RR sets is needed for it. This count is the one arrangement, kept only when checks ask.

use differential_dataflow::VecCollection;

use super::Time;
use crate::model::{Node, Sample};

/// `(v, n)`: `n` samples' RR sets contain `v`.
pub fn coverage<'s>(
    rr: VecCollection<'s, Time, (Node, Sample)>,
) -> VecCollection<'s, Time, (Node, isize)> {
    rr.map(|(v, _)| v).count()
}
