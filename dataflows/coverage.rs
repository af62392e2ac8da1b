//! What the selection reads: which samples each candidate covers, and (for checks) how many
//! samples cover each node.
//!
//! ```text
//! candidate(c)   :- adopter(a), arc(a, c), not adopter(c).
//! member(c, s)   :- rr(c, s), candidate(c).
//! coverage(v, n) :- n = |{s : rr(v, s)}|.
//! ```
//!
//! Only candidates matter to the selection, so only their memberships leave the dataflow.

use differential_dataflow::VecCollection;

use super::Time;
use crate::model::{ArcFact, Node, Sample};

/// The nodes that some adopter may invite.
pub fn candidates<'s>(
    arcs: VecCollection<'s, Time, ((Node, Node), ArcFact)>,
    adopters: VecCollection<'s, Time, Node>,
) -> VecCollection<'s, Time, Node> {
    arcs.map(|((u, v), _)| (u, v))
        .semijoin(adopters.clone())
        .map(|(_, c)| (c, ()))
        .antijoin(adopters)
        .map(|(c, ())| c)
        .distinct()
}

/// `(c, s)`: candidate `c` is in the RR set of sample `s`.
pub fn members<'s>(
    rr: VecCollection<'s, Time, (Node, Sample)>,
    candidates: VecCollection<'s, Time, Node>,
) -> VecCollection<'s, Time, (Node, Sample)> {
    rr.semijoin(candidates)
}

/// `(v, n)`: `n` samples' RR sets contain `v`.
pub fn coverage<'s>(
    rr: VecCollection<'s, Time, (Node, Sample)>,
) -> VecCollection<'s, Time, (Node, isize)> {
    rr.map(|(v, _)| v).count()
}
