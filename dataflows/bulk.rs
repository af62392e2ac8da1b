//! The initial graph handed to a process's workers in bulk.
//!
//! A run's first time can carry tens of millions of arcs. As records they would each take a trip
//! through the input, the exchange channels and the operator's buffers, a few copies per worker.
//! Instead, when every worker shares one process, the engine puts them once in a [`BulkSlot`] and
//! sends one marker through [`crate::Inputs::bulk`]; every worker's RR-set operator loads its
//! graph from the slot. The arcs are packed on the caller's dense node ids, 12 bytes an arc, so
//! that the slot adds little to the peak of the load, when the caller's graph and the workers'
//! graphs are both held. A cluster's other processes could not read the slot, so a cluster sends
//! every arc as a record.

use std::sync::{Arc, Mutex};

use crate::Time;
use crate::model::{ArcFact, Node};
use crate::reverse_graph::ReverseGraph;

/// One arc whose fact is a weight below `u32::MAX` and no explicit probability (all of them,
/// short of explicit `e` probabilities and huge interaction counts).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlainArc {
    /// The tail's index in [`BulkArcs::nodes`].
    pub tail: u32,
    /// The head's index in [`BulkArcs::nodes`].
    pub head: u32,
    /// [`ArcFact::weight`].
    pub weight: u32,
}

/// A set of arcs, each once, packed on dense node indexes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BulkArcs {
    /// The node of each index (indexes no arc uses may be listed).
    pub nodes: Vec<Node>,
    /// The arcs with a plain fact.
    pub plain: Vec<PlainArc>,
    /// The others, with their facts.
    pub other: Vec<(u32, u32, ArcFact)>,
}

impl BulkArcs {
    /// Arcs over `nodes`, with room for `arcs` of them.
    pub fn with_capacity(nodes: Vec<Node>, arcs: usize) -> Self {
        BulkArcs {
            nodes,
            plain: Vec::with_capacity(arcs),
            other: Vec::new(),
        }
    }

    /// Adds the arc `nodes[tail] → nodes[head]`.
    pub fn push(&mut self, tail: u32, head: u32, fact: ArcFact) {
        match fact {
            ArcFact {
                weight,
                explicit: None,
            } if weight < u64::from(u32::MAX) => self.plain.push(PlainArc {
                tail,
                head,
                weight: weight as u32,
            }),
            _ => self.other.push((tail, head, fact)),
        }
    }

    /// The number of arcs.
    pub fn len(&self) -> usize {
        self.plain.len() + self.other.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every arc as (tail, head, fact) on indexes: the plain ones, then the others.
    pub fn iter(&self) -> impl Iterator<Item = (u32, u32, ArcFact)> + '_ {
        let plain = self.plain.iter().map(|a| {
            let fact = ArcFact {
                weight: u64::from(a.weight),
                explicit: None,
            };
            (a.tail, a.head, fact)
        });
        plain.chain(self.other.iter().copied())
    }
}

/// Where the engine leaves the initial arcs of a time for the workers of its process.
#[derive(Clone, Default)]
pub struct BulkSlot(Arc<Mutex<Option<Held>>>);

/// What a slot holds: the arcs of a time, the graph the first taker built from them, and how many
/// workers have yet to take them.
struct Held {
    time: Time,
    arcs: Arc<BulkArcs>,
    graph: Option<ReverseGraph>,
    readers: usize,
}

impl BulkSlot {
    /// Puts `arcs` here for time `t`, for `readers` workers to take.
    pub fn put(&self, t: Time, arcs: BulkArcs, readers: usize) {
        *self.0.lock().expect("not poisoned") = Some(Held {
            time: t,
            arcs: Arc::new(arcs),
            graph: None,
            readers,
        });
    }

    /// The arcs put here for time `t`, if any, with the graph they make: built by the first taker
    /// with `build`, its lists shared by every taker's copy when there are several (see
    /// [`ReverseGraph::share`]), so that a process holds the initial graph once whatever its
    /// number of workers. The last taker empties the slot.
    pub fn take(
        &self,
        t: Time,
        build: impl FnOnce(&BulkArcs) -> ReverseGraph,
    ) -> Option<(Arc<BulkArcs>, ReverseGraph)> {
        let mut slot = self.0.lock().expect("not poisoned");
        let held = slot.as_mut().filter(|h| h.time == t)?;
        let arcs = held.arcs.clone();
        held.readers = held.readers.saturating_sub(1);
        if held.readers == 0 {
            let graph = held.graph.take().unwrap_or_else(|| build(&arcs));
            *slot = None;
            return Some((arcs, graph));
        }
        let graph = held.graph.get_or_insert_with(|| {
            let mut graph = build(&arcs);
            graph.share();
            graph
        });
        Some((arcs, graph.clone()))
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

    #[test]
    fn facts_that_do_not_pack_are_kept_whole() {
        let plain = ArcFact {
            weight: 3,
            explicit: None,
        };
        let explicit = ArcFact {
            weight: 1,
            explicit: Some(7),
        };
        let heavy = ArcFact {
            weight: u64::from(u32::MAX),
            explicit: None,
        };
        let mut bulk = BulkArcs::with_capacity(vec![10, 20, 30], 3);
        bulk.push(0, 1, plain);
        bulk.push(1, 2, explicit);
        bulk.push(2, 0, heavy);
        assert_eq!(bulk.plain.len(), 1);
        assert_eq!(bulk.len(), 3);
        let all: Vec<_> = bulk.iter().collect();
        assert_eq!(all, vec![(0, 1, plain), (1, 2, explicit), (2, 0, heavy)]);
    }

    #[test]
    fn one_graph_is_built_for_every_reader_and_the_last_empties_the_slot() {
        let slot = BulkSlot::default();
        let mut arcs = BulkArcs::with_capacity(vec![1, 2], 1);
        arcs.push(
            0,
            1,
            ArcFact {
                weight: 1,
                explicit: None,
            },
        );
        slot.put(3, arcs, 2);
        let mut builds = 0;
        let mut build = |arcs: &BulkArcs| {
            builds += 1;
            let mut graph = ReverseGraph::new(Model::Wc);
            graph.load(arcs);
            graph
        };
        assert!(
            slot.take(2, &mut build).is_none(),
            "another time's arcs are not these"
        );
        let (first, g1) = slot
            .take(3, &mut build)
            .expect("there for the first reader");
        let (_, g2) = slot.take(3, &mut build).expect("there for the second");
        assert!(slot.take(3, &mut build).is_none(), "gone after the last");
        assert_eq!(builds, 1);
        assert_eq!(
            std::sync::Arc::strong_count(&first),
            1,
            "the slot let go of the arcs"
        );
        for g in [g1, g2] {
            let (u, v) = (g.id(1).unwrap(), g.id(2).unwrap());
            assert!(g.arc_threshold(u, v).is_some());
        }
    }
}
