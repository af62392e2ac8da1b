//! Arc probabilities under the chosen model, kept per worker beside the RR sets.
//!
//! ```text
//! arc_p(v, u, thr) :- arc(u, v, fact), not adopter(u), thr = threshold(model, fact, stats(v)).
//! stats(v)         :- in-degree and weight total of all of v's in-arcs, adopters' included.
//! ```
//!
//! Under `wc` and `weighted` one arc's arrival moves the probability of every in-arc of its head.
//! Materialised as a collection of `(v, u, threshold)`, a single new in-arc of a head with in-degree
//! d would retract and reinsert d records, and every downstream arrangement would pay for them.
//! Here each worker keeps a replica of the facts (broadcast to all workers) with each head's
//! [`HeadStats`], and derives a threshold when a search reads the arc, through
//! [`crate::model::threshold`], the definition the oracle uses too. A new arc is then one record.

use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

use crate::model::{ArcFact, HeadStats, Model, Node, threshold};

/// A change to the graph as the RR sets see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum GraphChange {
    /// The arc `u → v` with its fact.
    Arc(Node, Node, ArcFact),
    /// An adopter: it passes no influence on and roots no sample.
    Adopter(Node),
}

/// One in-arc of a head.
struct InArc {
    tail: Node,
    fact: ArcFact,
    /// The tail is an adopter, so the arc passes nothing (kept here so searches need no lookup).
    blocked: bool,
}

/// A replica of the graph: in-arcs by head with their facts, each head's stats, and the adopters.
pub struct ReverseGraph {
    model: Model,
    in_arcs: FxHashMap<Node, Vec<InArc>>,
    heads: FxHashMap<Node, HeadStats>,
    /// Tail → heads, to find the arcs whose tail becomes or stops being an adopter.
    out: FxHashMap<Node, FxHashSet<Node>>,
    adopters: FxHashSet<Node>,
}

impl ReverseGraph {
    /// An empty graph.
    pub fn new(model: Model) -> Self {
        ReverseGraph {
            model,
            in_arcs: FxHashMap::default(),
            heads: FxHashMap::default(),
            out: FxHashMap::default(),
            adopters: FxHashSet::default(),
        }
    }

    /// The heads whose live in-arcs `change` may alter.
    /// (An iterator, not a vector: at a cold start this runs once for every arc.)
    pub fn touched(&self, change: &GraphChange) -> impl Iterator<Item = Node> + '_ {
        let (head, tail) = match *change {
            GraphChange::Arc(_, v, _) => (Some(v), None),
            GraphChange::Adopter(a) => (None, Some(a)),
        };
        let heads = tail
            .and_then(|a| self.out.get(&a))
            .into_iter()
            .flatten()
            .copied();
        head.into_iter().chain(heads)
    }

    /// Applies one change; inputs are sets, so `diff` is ±1 and a removal removes what is there.
    pub fn apply(&mut self, change: GraphChange, diff: isize) {
        match change {
            GraphChange::Arc(u, v, fact) if diff > 0 => {
                let blocked = self.adopters.contains(&u);
                self.in_arcs.entry(v).or_default().push(InArc {
                    tail: u,
                    fact,
                    blocked,
                });
                self.heads.entry(v).or_default().add(&fact, 1);
                self.out.entry(u).or_default().insert(v);
            }
            GraphChange::Arc(u, v, fact) => {
                let tails = self
                    .in_arcs
                    .get_mut(&v)
                    .expect("a removed arc's head has in-arcs");
                let at = tails
                    .iter()
                    .position(|a| a.tail == u)
                    .expect("a removed arc is there");
                tails.swap_remove(at);
                if tails.is_empty() {
                    self.in_arcs.remove(&v);
                    self.heads.remove(&v);
                } else {
                    self.heads
                        .get_mut(&v)
                        .expect("a head with in-arcs has stats")
                        .add(&fact, -1);
                }
                let heads = self
                    .out
                    .get_mut(&u)
                    .expect("a removed arc's tail has out-arcs");
                heads.remove(&v);
                if heads.is_empty() {
                    self.out.remove(&u);
                }
            }
            GraphChange::Adopter(a) => {
                let blocked = diff > 0;
                if blocked {
                    self.adopters.insert(a);
                } else {
                    self.adopters.remove(&a);
                }
                for v in self.out.get(&a).into_iter().flatten() {
                    let tails = self
                        .in_arcs
                        .get_mut(v)
                        .expect("an out-arc's head has in-arcs");
                    tails
                        .iter_mut()
                        .filter(|arc| arc.tail == a)
                        .for_each(|arc| arc.blocked = blocked);
                }
            }
        }
    }

    /// Whether `v` is an adopter.
    pub fn is_adopter(&self, v: Node) -> bool {
        self.adopters.contains(&v)
    }

    /// The in-arcs of `v` that pass influence (tails that are not adopters), with thresholds.
    pub fn live_in_arcs(&self, v: Node) -> impl Iterator<Item = (Node, u64)> + '_ {
        let stats = self.heads.get(&v).copied().unwrap_or_default();
        self.in_arcs
            .get(&v)
            .into_iter()
            .flatten()
            .filter(|arc| !arc.blocked)
            .map(move |arc| (arc.tail, threshold(self.model, &arc.fact, stats)))
    }
}
