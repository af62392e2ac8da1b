//! Arc probabilities under the chosen model, as fixed-point thresholds.
//!
//! ```text
//! arc_p(v, u, thr) :- arc(u, v, fact), thr = model(fact, v's in-arcs)
//! ```
//!
//! Under `wc` and `weighted` one arc's arrival changes the probability of every in-arc of its head,
//! so the rule is a `reduce` keyed by the head that re-derives all of the head's thresholds at once
//! through [`crate::model::thresholds`], the definition the oracle uses too.

use differential_dataflow::VecCollection;

use super::Time;
use crate::model::{ArcFact, Model, Node, thresholds};

/// `(v, (u, threshold))` for every arc `u → v`.
pub fn arc_thresholds<'s>(
    arcs: VecCollection<'s, Time, ((Node, Node), ArcFact)>,
    model: Model,
) -> VecCollection<'s, Time, (Node, (Node, u64))> {
    arcs.map(|((u, v), fact)| (v, (u, fact))).reduce_named(
        "ArcThresholds",
        move |_head, in_arcs, out| {
            // Inputs are sets: every multiplicity here is 1.
            let arcs = in_arcs.iter().map(|((u, fact), _)| (*u, fact));
            out.extend(thresholds(model, arcs).map(|arc| (arc, 1)));
        },
    )
}
