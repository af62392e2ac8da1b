//! Reverse-reachable sets, sharded by sample across workers.
//!
//! ```text
//! rr(v, s) :- root(s, v), not adopter(v).
//! rr(u, s) :- rr(v, s), arc_p(v, u, thr), not adopter(u), coin(seed, s, u, v) < thr.
//! ```
//!
//! Written plainly in differential (an `iterate` whose `join_core` checks the coin, keyed by
//! node), every change of a head's in-degree makes the join re-derive every sample that reaches
//! that head through every one of its in-arcs, at differential's per-record cost, and a hub's
//! work lands on the one worker that owns the hub. Here instead each worker owns the samples
//! that hash to it, keeps a replica of the graph ([`ReverseGraph`]: the changes are broadcast; the
//! initial graph is shared by the workers of a process, see `BulkSlot`),
//! and holds its samples' RR sets in a plain index with an inverted list (node → samples
//! containing it), each as a spanning tree of live arcs towards its root. At each time, once both
//! inputs are complete, it applies the graph and root changes and looks, in every sample that
//! contains the head of an in-arc whose liveness flipped (an arc `u → v` matters to sample `s`
//! only if `v` is in `rr(s)`; under `wc`, moving a head's thresholds from 1/d to 1/(d+1) flips an
//! arc with probability about 1/d²), at what the flip does: an arc that died re-searches the
//! sample only if it was the tree edge by which `u` was reached, an arc that came alive from a
//! non-member `u` extends the sample from `u`, and anything else changes nothing. New samples are
//! searched; the membership changes go out as a differential collection that the rest of the
//! dataflow counts. A search is a depth-first walk over live in-arcs with the
//! shared coins, so the result is the rule's least fixed point, the same on any number of workers.

use std::collections::BTreeMap;

use differential_dataflow::consolidation::consolidate;
use differential_dataflow::{AsCollection, Hashable, VecCollection};
use serde::{Deserialize, Serialize};
use timely::dataflow::channels::pact::{Exchange, Pipeline};
use timely::dataflow::operators::Capability;
use timely::dataflow::operators::generic::Operator;
use timely::dataflow::operators::vec::Broadcast;

use super::bulk::ArcRecords;
use super::reverse_graph::{GraphChange, ReverseGraph};
use super::sample_index::SampleIndex;
use super::{ArcSource, BulkSlot, Time};
use crate::model::{ArcFact, Model, Node, Sample};

/// A membership the operator reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Membership {
    /// `member(c, s)`: candidate `c` is in the RR set of `s`.
    Candidate(Node, Sample),
    /// `rr(v, s)`, for any node (reported only when asked for: checks count them).
    Any(Node, Sample),
}

/// Where the arcs come from: records, and bulk markers with the slot their graph is in.
pub struct ArcInputs<'s> {
    /// `((u, v), fact)` changes.
    pub arcs: VecCollection<'s, Time, ((Node, Node), ArcFact)>,
    /// One marker at each time whose graph is in `slot`.
    pub bulk: VecCollection<'s, Time, ()>,
    /// The initial graph, when the workers share a process.
    pub slot: Option<BulkSlot>,
}

/// `member(c, s)` for the candidates, and, with `with_rr`, `rr(v, s)` for every node.
pub fn reverse_reachable<'s>(
    ArcInputs { arcs, bulk, slot }: ArcInputs<'s>,
    adopters: VecCollection<'s, Time, Node>,
    roots: VecCollection<'s, Time, Sample>,
    model: Model,
    seed: u64,
    with_rr: bool,
) -> VecCollection<'s, Time, Membership> {
    let changes = arcs
        .map(|((u, v), fact)| GraphChange::Arc(u, v, fact))
        .concat(adopters.map(GraphChange::Adopter))
        .concat(bulk.map(|()| GraphChange::Bulk));
    let by_sample = Exchange::new(|(s, _, _): &(Sample, Time, isize)| s.hashed());
    changes
        .inner
        .broadcast()
        .binary_frontier(roots.inner, Pipeline, by_sample, "RrSets", move |_, _| {
            let mut index = SampleIndex::new(model, seed, with_rr);
            let mut pending: BTreeMap<Time, Pending> = BTreeMap::new();
            move |(graph, graph_frontier), (roots, roots_frontier), output| {
                let port = output.output_index();
                graph.for_each(|cap, data| {
                    for (change, t, r) in data.drain(..) {
                        let entry = pending
                            .entry(t)
                            .or_insert_with(|| Pending::new(cap.delayed(&t, port)));
                        entry.graph.push((change, r));
                    }
                });
                roots.for_each(|cap, data| {
                    for (sample, t, r) in data.drain(..) {
                        let entry = pending
                            .entry(t)
                            .or_insert_with(|| Pending::new(cap.delayed(&t, port)));
                        entry.roots.push((sample, r));
                    }
                });
                // Times are totally ordered: settle them in order, once neither input can add to them.
                while let Some(entry) = pending.first_entry() {
                    let t = *entry.key();
                    if graph_frontier.frontier().less_equal(&t)
                        || roots_frontier.frontier().less_equal(&t)
                    {
                        break;
                    }
                    let Pending {
                        cap,
                        mut graph,
                        roots,
                    } = entry.remove();
                    // The bulk graph is the graph of a run's first time, taken before any sample.
                    if let Some(at) = graph.iter().position(|c| c.0 == GraphChange::Bulk) {
                        graph.swap_remove(at);
                        let loaded = slot.as_ref().and_then(|s| s.take(t));
                        index.load(loaded.expect("a bulk marker comes with its graph"));
                    } else if index.is_fresh() {
                        graph = load_records(&mut index, model, graph);
                    }
                    let changes = index.advance(graph, roots);
                    output
                        .session(&cap)
                        .give_iterator(changes.into_iter().map(|(d, r)| (d, t, r)));
                }
            }
        })
        .as_collection()
}

/// Loads the arcs that `graph` adds to a fresh index as one graph ([`ArcRecords`]); returns the
/// other changes.
fn load_records(
    index: &mut SampleIndex,
    model: Model,
    mut graph: Vec<(GraphChange, isize)>,
) -> Vec<(GraphChange, isize)> {
    consolidate(&mut graph);
    let records = ArcRecords::new(&graph);
    if !records.nodes().is_empty() {
        index.load(ReverseGraph::loaded(model, &records));
    }
    graph.retain(|&(c, r)| !(matches!(c, GraphChange::Arc(..)) && r > 0));
    graph
}

/// The changes of one time, held under a capability for it.
struct Pending {
    cap: Capability<Time>,
    graph: Vec<(GraphChange, isize)>,
    roots: Vec<(Sample, isize)>,
}

impl Pending {
    fn new(cap: Capability<Time>) -> Self {
        Pending {
            cap,
            graph: Vec::new(),
            roots: Vec::new(),
        }
    }
}
