//! Reverse-reachable sets, by iterative reverse reachability over live arcs.
//!
//! ```text
//! rr(v, s) :- root(s, v), not adopter(v).
//! rr(u, s) :- rr(v, s), arc_p(v, u, thr), not adopter(u), coin(seed, s, u, v) < thr.
//! ```
//!
//! The arcs are arranged once, by head, outside the loop; the coin is evaluated inside the join,
//! so no per-sample copy of the graph exists and memory follows the RR sets' size. When a
//! threshold changes only the samples whose coin lies between the old and the new value change
//! their result, although the join still re-checks every sample that reaches the arc's head.

use differential_dataflow::VecCollection;
use differential_dataflow::operators::Iterate;

use super::Time;
use crate::model::{Node, Sample};

/// `(v, s)`: node `v` is in the RR set of sample `s`.
pub fn reverse_reachable<'s>(
    arc_p: VecCollection<'s, Time, (Node, (Node, u64))>,
    roots: VecCollection<'s, Time, Sample>,
    adopters: VecCollection<'s, Time, Node>,
    seed: u64,
) -> VecCollection<'s, Time, (Node, Sample)> {
    // Adopters pass no influence on: drop their out-arcs, keyed by tail, then re-key by head.
    let live_rev = arc_p
        .map(|(v, (u, thr))| (u, (v, thr)))
        .antijoin(adopters.clone())
        .map(|(u, (v, thr))| (v, (u, thr)))
        .arrange_by_key_named("ReverseArcs");
    let seeds = roots.map(|s| (s.root, s)).antijoin(adopters);

    seeds.clone().iterate(|scope, reach| {
        let live_rev = live_rev.enter(scope);
        let seeds = seeds.enter(scope);
        reach
            .join_core(live_rev, move |v, s, &(u, thr)| {
                s.live(seed, u, *v, thr).then_some((u, *s))
            })
            .concat(seeds)
            .distinct()
    })
}
