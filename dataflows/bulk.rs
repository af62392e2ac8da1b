//! The initial graph handed to a process's workers in bulk.
//!
//! A run's first time can carry tens of millions of arcs. As records they would each take a trip
//! through the input, the exchange channels and the operator's buffers, a few copies per worker.
//! Instead, when every worker shares one process, the engine builds the reverse graph once, straight
//! from its own table of arcs (an [`ArcSource`], read in place: no list of the arcs is made), puts
//! it in a [`BulkSlot`] and sends one marker through [`crate::Inputs::bulk`]; every worker's RR-set
//! operator takes its copy from the slot, the copies sharing the loaded graph (arcs, ids, stats:
//! see [`ReverseGraph::loaded`]). A cluster's other processes could not read the slot, so a cluster
//! sends every arc as a record; a worker loads the records of its first arcs the same way
//! ([`ArcRecords`]), one graph per worker.

use std::sync::{Arc, Mutex};

use crate::Time;
use crate::model::{ArcFact, Node};
use crate::node_ids::NodeIds;
use crate::reverse_graph::{GraphChange, ReverseGraph};

/// A table of arcs a graph can be loaded from, read in place (by several threads at once).
pub trait ArcSource: Sync {
    /// The node of each index the arcs use (indexes no arc uses may be listed).
    fn nodes(&self) -> &[Node];

    /// Calls `f` with every arc once, as (tail index, head index, fact), in the same order every
    /// time.
    fn for_each_arc(&self, f: &mut dyn FnMut(u32, u32, ArcFact));

    /// How many arcs [`ArcSource::for_each_arc`] gives.
    fn arc_count(&self) -> usize;
}

/// The arc insertions among a time's graph changes, read in place as an [`ArcSource`]: a
/// cluster's first arcs, loaded like a bulk graph rather than one record at a time (exact-sized
/// rows instead of lists grown by pushes).
pub struct ArcRecords<'a> {
    changes: &'a [(GraphChange, isize)],
    nodes: Vec<Node>,
    index: NodeIds,
    count: usize,
}

impl<'a> ArcRecords<'a> {
    /// The arcs `changes` adds (each once, as inputs are sets).
    pub fn new(changes: &'a [(GraphChange, isize)]) -> Self {
        let mut records = ArcRecords {
            changes,
            nodes: Vec::new(),
            index: NodeIds::default(),
            count: 0,
        };
        for (u, v, _) in records.arcs() {
            records.count += 1;
            for w in [u, v] {
                if records.index.get(w).is_none() {
                    records.index.insert(w, records.nodes.len() as u32);
                    records.nodes.push(w);
                }
            }
        }
        records
    }

    fn arcs(&self) -> impl Iterator<Item = (Node, Node, ArcFact)> + 'a {
        self.changes.iter().filter_map(|&(c, r)| match c {
            GraphChange::Arc(u, v, fact) if r > 0 => Some((u, v, fact)),
            _ => None,
        })
    }
}

impl ArcSource for ArcRecords<'_> {
    fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    fn for_each_arc(&self, f: &mut dyn FnMut(u32, u32, ArcFact)) {
        for (u, v, fact) in self.arcs() {
            let index = |w| self.index.get(w).expect("indexed in `new`");
            f(index(u), index(v), fact);
        }
    }

    fn arc_count(&self) -> usize {
        self.count
    }
}

/// Where the engine leaves the initial graph of a time for the workers of its process.
#[derive(Clone, Default)]
pub struct BulkSlot(Arc<Mutex<Option<Held>>>);

/// What a slot holds: the graph of a time and how many workers have yet to take it.
struct Held {
    time: Time,
    graph: ReverseGraph,
    readers: usize,
}

impl BulkSlot {
    /// Puts `graph` here for time `t`, for `readers` workers to take; their copies share the
    /// loaded graph.
    pub fn put(&self, t: Time, graph: ReverseGraph, readers: usize) {
        *self.0.lock().expect("not poisoned") = Some(Held {
            time: t,
            graph,
            readers,
        });
    }

    /// A copy of the graph put here for time `t`, if any; the last taker gets the graph itself
    /// and empties the slot.
    pub fn take(&self, t: Time) -> Option<ReverseGraph> {
        let mut slot = self.0.lock().expect("not poisoned");
        let held = slot.as_mut().filter(|h| h.time == t)?;
        held.readers = held.readers.saturating_sub(1);
        if held.readers == 0 {
            return slot.take().map(|h| h.graph);
        }
        Some(held.graph.clone())
    }

    /// Empties the slot.
    pub fn clear(&self) {
        *self.0.lock().expect("not poisoned") = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Model;
    use crate::reverse_graph::Share;

    /// Two arcs, one of them with a fact of its own, over four listed nodes.
    struct Table;

    impl ArcSource for Table {
        fn nodes(&self) -> &[Node] {
            &[10, 20, 30, 40]
        }

        fn arc_count(&self) -> usize {
            2
        }

        fn for_each_arc(&self, f: &mut dyn FnMut(u32, u32, ArcFact)) {
            f(
                0,
                1,
                ArcFact {
                    weight: 1,
                    explicit: None,
                },
            );
            f(
                2,
                1,
                ArcFact {
                    weight: 1,
                    explicit: Some(7),
                },
            );
        }
    }

    #[test]
    fn a_loaded_graph_holds_the_arcs_and_only_their_nodes() {
        let g = ReverseGraph::loaded(Model::Wc, &Table);
        assert_eq!(g.len(), 3, "node 40 has no arc");
        let (a, b, c) = (g.id(10).unwrap(), g.id(20).unwrap(), g.id(30).unwrap());
        assert!(
            g.arc_threshold(a, b)
                .is_some_and(|(_, share)| share == Share::Threshold)
        );
        assert_eq!(g.arc_threshold(c, b), Some((7, Share::Own)));
        assert!(g.arc_threshold(b, a).is_none());
    }

    #[test]
    fn every_reader_gets_the_graph_and_the_last_empties_the_slot() {
        let slot = BulkSlot::default();
        slot.put(3, ReverseGraph::loaded(Model::Wc, &Table), 2);
        assert!(
            slot.take(2).is_none(),
            "another time's graph is not this one"
        );
        let g1 = slot.take(3).expect("there for the first reader");
        let g2 = slot.take(3).expect("there for the second");
        assert!(slot.take(3).is_none(), "gone after the last");
        for g in [g1, g2] {
            let (u, v) = (g.id(10).unwrap(), g.id(20).unwrap());
            assert!(g.arc_threshold(u, v).is_some());
        }
    }
}
