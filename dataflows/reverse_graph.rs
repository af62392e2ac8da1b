//! The graph as the RR sets read it: in-arcs by head, kept per worker beside the RR sets.
//!
//! ```text
//! arc_p(v, u, thr) :- arc(u, v, fact), not adopter(u), thr = threshold(model, fact, stats(v)).
//! stats(v)         :- in-degree and weight total of all of v's in-arcs, adopters' included.
//! candidate(c)     :- adopter(a), arc(a, c), not adopter(c).
//! ```
//!
//! Under `wc` and `weighted` one arc's arrival moves the probability of every in-arc of its head.
//! Materialised as a collection of `(v, u, threshold)`, a single new in-arc of a head with in-degree
//! d would retract and reinsert d records, and every downstream arrangement would pay for them.
//! Here each worker keeps the facts with each head's [`HeadStats`] and derives a threshold when a
//! search reads the arc, through [`crate::model::threshold`], the definition the oracle uses too.
//! A new arc is then one record.
//!
//! # Memory
//!
//! Nodes get dense `u32` ids on arrival (never reused: a node that leaves keeps its slot, so the
//! tables grow with the distinct nodes ever seen, not with the events). An in-arc is 8 bytes: its
//! tail's dense id and its weight; the rare arc whose fact does not fit (an explicit probability,
//! a weight of 2^31 or more) keeps its fact in a side table. Each arc also costs 8 bytes in its
//! tail's out-list (head and weight: to find the arcs of a tail that becomes an adopter, and to
//! re-attach what a dead arc cut off from an RR set), and
//! each node about 80 bytes (its lists' headers, stats, flags and its id in the id table).

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

mod arc_list;
use arc_list::ArcList;

use crate::ArcSource;
use crate::model::{ArcFact, HeadStats, LtWeights, Model, Node, lt_pick, threshold};

/// A change to the graph as the RR sets see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum GraphChange {
    /// The arc `u → v` with its fact.
    Arc(Node, Node, ArcFact),
    /// An adopter: it passes no influence on and roots no sample.
    Adopter(Node),
    /// The arcs in the process's [`crate::BulkSlot`] for this time.
    Bulk,
}

/// A dense node id, this worker's own.
pub type Dense = u32;

/// One in-arc of a head: 8 bytes.
#[derive(Clone, Copy, Debug)]
struct InArc {
    tail: Dense,
    /// The weight, or [`SIDE`]: the fact is in the side table.
    weight: u32,
}

/// The weight of an in-arc whose fact is kept in the side table.
const SIDE: u32 = u32::MAX;

/// A replica of the graph: in-arcs by head with their facts, each head's stats, and the adopters.
/// A clone shares the arc lists of a graph that was [`ReverseGraph::share`]d (see `ArcList`).
#[derive(Clone, Default)]
pub struct ReverseGraph {
    model: Option<Model>,
    ids: FxHashMap<Node, Dense>,
    /// Dense id → node.
    nodes: Vec<Node>,
    in_arcs: Vec<ArcList<InArc>>,
    /// Dense tail → its out-arcs, in no order, each as its head and the weight of the in-arc.
    out: Vec<ArcList<InArc>>,
    stats: Vec<HeadStats>,
    adopter: Vec<bool>,
    /// In-arcs whose tail is an adopter: a non-adopter with some is a candidate.
    adopter_in: Vec<u32>,
    /// Facts that do not fit an [`InArc`], by (tail, head).
    side: FxHashMap<(Dense, Dense), ArcFact>,
}

impl ReverseGraph {
    /// An empty graph.
    pub fn new(model: Model) -> Self {
        ReverseGraph {
            model: Some(model),
            ..ReverseGraph::default()
        }
    }

    /// The graph of `arcs` under `model`, ready for searches (under LT, in-arcs in canonical
    /// order).
    pub fn loaded(model: Model, arcs: &impl ArcSource) -> Self {
        let mut graph = ReverseGraph::new(model);
        graph.load(arcs);
        if model.is_lt() {
            (0..graph.len() as Dense).for_each(|v| graph.sort_in_arcs(v));
        }
        graph
    }

    /// The dense id of `v`, if it was ever seen.
    pub fn id(&self, v: Node) -> Option<Dense> {
        self.ids.get(&v).copied()
    }

    /// The node of a dense id.
    pub fn node(&self, d: Dense) -> Node {
        self.nodes[d as usize]
    }

    /// The number of dense ids given out.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether no node was ever seen.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The dense id of `v`, given out on first sight.
    pub fn intern(&mut self, v: Node) -> Dense {
        if let Some(&d) = self.ids.get(&v) {
            return d;
        }
        let d = self.nodes.len() as Dense;
        self.ids.insert(v, d);
        self.nodes.push(v);
        self.in_arcs.push(ArcList::default());
        self.out.push(ArcList::default());
        self.stats.push(HeadStats::default());
        self.adopter.push(false);
        self.adopter_in.push(0);
        d
    }

    /// Room for `more` nodes in every per-node table.
    fn reserve(&mut self, more: usize) {
        self.ids.reserve(more);
        self.nodes.reserve_exact(more);
        self.in_arcs.reserve_exact(more);
        self.out.reserve_exact(more);
        self.stats.reserve_exact(more);
        self.adopter.reserve_exact(more);
        self.adopter_in.reserve_exact(more);
    }

    /// The heads whose live in-arcs `change` may alter (dense; interned).
    pub fn touched(&mut self, change: &GraphChange, into: &mut Vec<Dense>) {
        match *change {
            GraphChange::Arc(_, v, _) => into.push(self.intern(v)),
            GraphChange::Adopter(a) => {
                let a = self.intern(a);
                into.extend(self.out[a as usize].iter().map(|o| o.tail));
            }
            GraphChange::Bulk => {}
        }
    }

    /// The nodes whose candidate status `change` may alter (dense; interned).
    pub fn maybe_candidates(&mut self, change: &GraphChange, into: &mut Vec<Dense>) {
        match *change {
            GraphChange::Arc(_, v, _) => into.push(self.intern(v)),
            GraphChange::Adopter(a) => {
                let a = self.intern(a);
                into.push(a);
                into.extend(self.out[a as usize].iter().map(|o| o.tail));
            }
            GraphChange::Bulk => {}
        }
    }

    /// Applies one change; inputs are sets, so `diff` is ±1 and a removal removes what is there.
    pub fn apply(&mut self, change: GraphChange, diff: isize) {
        match change {
            GraphChange::Arc(u, v, fact) if diff > 0 => {
                let (u, v) = (self.intern(u), self.intern(v));
                self.insert(u, v, fact);
            }
            GraphChange::Arc(u, v, fact) => {
                let (u, v) = (self.intern(u), self.intern(v));
                let tails = self.in_arcs[v as usize].to_mut();
                let at = tails
                    .iter()
                    .position(|a| a.tail == u)
                    .expect("a removed arc is there");
                let side = tails.swap_remove(at).weight == SIDE;
                shrink(tails);
                if side {
                    self.side.remove(&(u, v));
                }
                self.stats[v as usize].add(&fact, -1);
                let heads = self.out[u as usize].to_mut();
                let at = heads
                    .iter()
                    .position(|h| h.tail == v)
                    .expect("a removed arc's tail has out-arcs");
                heads.swap_remove(at);
                shrink(heads);
                if self.adopter[u as usize] {
                    self.adopter_in[v as usize] -= 1;
                }
            }
            GraphChange::Bulk => {}
            GraphChange::Adopter(a) => {
                let a = self.intern(a);
                let blocked = diff > 0;
                self.adopter[a as usize] = blocked;
                for v in self.out[a as usize].iter().map(|o| o.tail) {
                    let count = &mut self.adopter_in[v as usize];
                    if blocked {
                        *count += 1;
                    } else {
                        *count -= 1;
                    }
                }
            }
        }
    }

    /// Adds the arc `u → v` (dense), which is not there.
    fn insert(&mut self, u: Dense, v: Dense, fact: ArcFact) {
        let weight = match fact {
            ArcFact {
                weight,
                explicit: None,
            } if weight < SIDE as u64 => weight as u32,
            _ => {
                self.side.insert((u, v), fact);
                SIDE
            }
        };
        self.in_arcs[v as usize]
            .to_mut()
            .push(InArc { tail: u, weight });
        self.stats[v as usize].add(&fact, 1);
        // In an out-list, `tail` holds the head.
        self.out[u as usize]
            .to_mut()
            .push(InArc { tail: v, weight });
        if self.adopter[u as usize] {
            self.adopter_in[v as usize] += 1;
        }
    }

    /// Adds a set of arcs none of which is there, each list sized once to what it will hold:
    /// lists grown by pushes would keep a third of their room empty on average, 5 bytes an arc.
    fn load(&mut self, arcs: &impl ArcSource) {
        let nodes = arcs.nodes();
        // Source index → dense id, interned on first use, so nodes no arc uses take no slot.
        let mut dense = vec![Dense::MAX; nodes.len()];
        self.reserve(nodes.len());
        let mut id = |graph: &mut Self, i: u32| {
            let d = &mut dense[i as usize];
            if *d == Dense::MAX {
                *d = graph.intern(nodes[i as usize]);
            }
            *d
        };
        let mut degrees: Vec<[u32; 2]> = Vec::new();
        arcs.for_each_arc(&mut |u, v, _| {
            let (u, v) = (id(self, u), id(self, v));
            degrees.resize(self.len(), [0, 0]);
            degrees[v as usize][0] += 1;
            degrees[u as usize][1] += 1;
        });
        for (d, [into, from]) in degrees.into_iter().enumerate() {
            self.in_arcs[d].to_mut().reserve_exact(into as usize);
            self.out[d].to_mut().reserve_exact(from as usize);
        }
        arcs.for_each_arc(&mut |u, v, fact| {
            let (u, v) = (id(self, u), id(self, v));
            self.insert(u, v, fact);
        });
    }

    /// Makes every arc list one that clones of this graph share, until a clone changes it: for
    /// the workers of a process, which load the same initial graph.
    pub fn share(&mut self) {
        for list in self.in_arcs.iter_mut().chain(self.out.iter_mut()) {
            list.share();
        }
    }

    /// Whether dense node `d` is an adopter.
    pub fn is_adopter(&self, d: Dense) -> bool {
        self.adopter[d as usize]
    }

    /// Whether dense node `d` is some adopter's candidate: not an adopter, and an adopter's
    /// out-neighbour.
    pub fn is_candidate(&self, d: Dense) -> bool {
        !self.adopter[d as usize] && self.adopter_in[d as usize] > 0
    }

    /// The threshold the model gives every in-arc of dense head `v` without a fact of its own
    /// (no explicit probability), when it gives them all the same one: under `wc` (1/indeg) and
    /// `uniform`; `None` under `weighted`, where each arc's weight counts.
    pub fn shared_threshold(&self, v: Dense) -> Option<u64> {
        let model = self.model.expect("a graph has a model");
        let common = ArcFact {
            weight: 1,
            explicit: None,
        };
        match model {
            Model::Wc | Model::Uniform(_) => {
                Some(threshold(model, &common, self.stats[v as usize]))
            }
            Model::Weighted | Model::Lt(_) => None,
        }
    }

    /// The threshold of the arc `u → v` (dense) if it exists and passes influence, and whether it
    /// is the head's shared one (see [`ReverseGraph::shared_threshold`]).
    pub fn arc_threshold(&self, u: Dense, v: Dense) -> Option<(u64, bool)> {
        if self.adopter[u as usize] {
            return None;
        }
        let arc = self.in_arcs[v as usize].iter().find(|a| a.tail == u)?;
        Some(self.threshold_of(v, arc))
    }

    fn threshold_of(&self, v: Dense, arc: &InArc) -> (u64, bool) {
        let model = self.model.expect("a graph has a model");
        let stats = self.stats[v as usize];
        let fact = match arc.weight {
            SIDE => self.side[&(arc.tail, v)],
            w => ArcFact {
                weight: w as u64,
                explicit: None,
            },
        };
        let shared = fact.explicit.is_none() && matches!(model, Model::Wc | Model::Uniform(_));
        (threshold(model, &fact, stats), shared)
    }

    /// [`ReverseGraph::live_in_arcs`] with, for each arc, whether its threshold is the head's
    /// shared one.
    pub fn live_in_arcs_shared(&self, v: Dense) -> impl Iterator<Item = (Dense, u64, bool)> + '_ {
        // The head's shared threshold once, not a division per arc: a search tests every in-arc
        // of every node it reaches, hubs' included.
        let common = self.shared_threshold(v);
        self.in_arcs[v as usize]
            .iter()
            .filter(|arc| !self.adopter[arc.tail as usize])
            .map(move |arc| match common {
                Some(t) if arc.weight != SIDE => (arc.tail, t, true),
                _ => {
                    let (t, shared) = self.threshold_of(v, arc);
                    (arc.tail, t, shared)
                }
            })
    }

    /// Puts the in-arcs of dense head `v` in ascending order of tail id, the canonical order of
    /// the linear threshold model's pick (under LT, after every change of the head's in-arcs:
    /// arrivals append and removals swap, as under IC).
    pub fn sort_in_arcs(&mut self, v: Dense) {
        let nodes = &self.nodes;
        // Stable: nearly sorted lists (a few arcs appended) sort in about linear time.
        self.in_arcs[v as usize]
            .to_mut()
            .sort_by_key(|a| nodes[a.tail as usize]);
    }

    /// The in-neighbour that dense head `v` picks under LT with draw `x` ([`lt_pick`] over the
    /// head's in-arcs, adopters' included: their weight is a choice that passes nothing on).
    /// The in-arcs must be in canonical order ([`ReverseGraph::sort_in_arcs`]).
    pub fn lt_pick(&self, v: Dense, x: u64) -> Option<Dense> {
        let arcs = &self.in_arcs[v as usize];
        let stats = self.stats[v as usize];
        // Under `lt` with no explicit weight into v (every arc then weighs 1 in `total`) the
        // intervals all have v's one weight w: the pick is the arc at x / w, no scan needed.
        if self.model == Some(Model::Lt(LtWeights::Wc)) && stats.total == stats.indeg as u128 {
            let one = ArcFact {
                weight: 1,
                explicit: None,
            };
            let w = threshold(Model::Lt(LtWeights::Wc), &one, stats);
            let at = x.checked_div(w)?;
            return arcs.get(usize::try_from(at).ok()?).map(|a| a.tail);
        }
        let weights = arcs
            .iter()
            .map(|arc| (arc.tail as Node, self.threshold_of(v, arc).0));
        lt_pick(x, weights).map(|u| u as Dense)
    }

    /// The dense heads of `u`'s out-arcs.
    pub fn out_heads(&self, u: Dense) -> impl Iterator<Item = Dense> + '_ {
        self.out[u as usize].iter().map(|o| o.tail)
    }

    /// The out-arcs of dense tail `u` with their thresholds (nothing when `u` is an adopter: its
    /// arcs pass nothing).
    pub fn live_out_arcs(&self, u: Dense) -> impl Iterator<Item = (Dense, u64)> + '_ {
        let blocked = self.adopter[u as usize];
        self.out[u as usize]
            .iter()
            .filter(move |_| !blocked)
            .map(move |o| {
                let arc = InArc {
                    tail: u,
                    weight: o.weight,
                };
                (o.tail, self.threshold_of(o.tail, &arc).0)
            })
    }

    /// The in-arcs of dense head `v` that pass influence (tails that are not adopters), with
    /// their thresholds.
    pub fn live_in_arcs(&self, v: Dense) -> impl Iterator<Item = (Dense, u64)> + '_ {
        let stats = self.stats[v as usize];
        let model = self.model.expect("a graph has a model");
        self.in_arcs[v as usize]
            .iter()
            .filter(|arc| !self.adopter[arc.tail as usize])
            .map(move |arc| {
                let fact = match arc.weight {
                    SIDE => self.side[&(arc.tail, v)],
                    w => ArcFact {
                        weight: w as u64,
                        explicit: None,
                    },
                };
                (arc.tail, threshold(model, &fact, stats))
            })
    }
}

/// Gives back the memory of a list that emptied or shrank to a quarter of its capacity, so that
/// churn does not leave every node at its peak degree.
fn shrink<T>(list: &mut Vec<T>) {
    if list.capacity() > 8 && list.len() * 4 < list.capacity() {
        list.shrink_to(list.len() * 2);
    }
}
