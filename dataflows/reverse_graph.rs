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
//! tables grow with the distinct nodes ever seen, not with the events). An in-arc is 16 bytes: its
//! tail's dense id, its weight and its tail's node id (which the arc's coin hashes: a search reads
//! it in order with the arc, where a lookup by dense id was a random read per in-arc tested); the
//! rare arc whose fact does not fit (an explicit probability, a weight of 2^31 or more) keeps its
//! fact in a side table. Each arc also costs 8 bytes in its
//! tail's out-list (head and weight: to find the arcs of a tail that becomes an adopter, and to
//! re-attach what a dead arc cut off from an RR set).
//!
//! The graph loaded at a run's start is one `Base` per process, shared by its workers: arrays
//! of arcs with each node's range, the id table and the heads' stats, about 60 bytes a node. A
//! worker adds 13 bytes a node (where its changes to a node's lists are, if it made any, and the
//! adopter flags and counts), and for each node whose arcs its events changed, the change as a
//! delta over the shared list (`Own`: the arcs added, the loaded ones gone; a copy once many
//! are gone) and, for a head, its stats.

use std::sync::Arc;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

mod base;
mod own;
use base::Base;
use own::{Arcs, Own};

use crate::ArcSource;
use crate::model::{ArcFact, Bar, HeadStats, LtWeights, Model, Node, lt_pick, threshold};
use crate::node_ids::NodeIds;

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

/// One in-arc of a head: 12 bytes.
#[derive(Clone, Copy, Debug)]
struct InArc {
    tail: Dense,
    /// The weight, or [`SIDE`]: the fact is in the side table.
    weight: u32,
    /// The low 32 bits of the tail's node id, which the arc's coin hashes: the whole id while
    /// the graph is not [`ReverseGraph::wide`]. Beside the arc, a search that tests every in-arc
    /// of a hub reads it in order rather than from the id table at random (a cold start at
    /// R-MAT scale 20 took 12% less time for 20% more memory), and in 4 bytes rather than 8,
    /// since such a search waits on the in-arcs' reads.
    tail_low: u32,
}

impl InArc {
    fn new(tail: Dense, weight: u32, tail_node: Node) -> Self {
        InArc {
            tail,
            weight,
            tail_low: tail_node as u32,
        }
    }

    /// The node id of the arc's tail in a graph that is `wide` or not, `node` giving a dense
    /// id's node.
    #[inline]
    fn tail_node(&self, wide: bool, node: impl FnOnce(Dense) -> Node) -> Node {
        if wide {
            node(self.tail)
        } else {
            self.tail_low.into()
        }
    }
}

/// Whether node id `v` needs more than 32 bits.
fn is_wide(v: Node) -> bool {
    v > u32::MAX as Node
}

/// One out-arc of a tail: 8 bytes.
#[derive(Clone, Copy, Debug)]
struct OutArc {
    head: Dense,
    /// The weight of the in-arc, as there.
    weight: u32,
}

/// An arc of a node's list, by the key that tells it from the list's other arcs: the other end.
trait ListArc: Copy {
    fn key(&self) -> Dense;
}

impl ListArc for InArc {
    fn key(&self) -> Dense {
        self.tail
    }
}

impl ListArc for OutArc {
    fn key(&self) -> Dense {
        self.head
    }
}

/// An in-arc as a search tests it: its tail (dense, and the node its coin hashes), what its coin
/// is held against, and how that follows the head's [`Scale`].
#[derive(Clone, Copy, Debug)]
pub struct TestedArc {
    pub tail: Dense,
    pub tail_node: Node,
    pub bar: Bar,
    pub share: Share,
}

/// The weight of an in-arc whose fact is kept in the side table.
const SIDE: u32 = u32::MAX;

/// The weight an [`InArc`] holds for `fact`; `None` when the fact does not fit one (an explicit
/// probability, a weight of `SIDE` or more) and goes in the side table.
fn in_arc_weight(fact: &ArcFact) -> Option<u32> {
    match *fact {
        ArcFact {
            weight,
            explicit: None,
        } if weight < SIDE as u64 => Some(weight as u32),
        _ => None,
    }
}

/// The fact an in-arc of weight `weight` holds, [`in_arc_weight`]'s inverse; `side` reads it
/// from the side table.
fn arc_fact(weight: u32, side: impl FnOnce() -> ArcFact) -> ArcFact {
    match weight {
        SIDE => side(),
        w => ArcFact {
            weight: w.into(),
            explicit: None,
        },
    }
}

/// What moves every in-arc of a head that has no fact of its own at once
/// ([`ReverseGraph::shared_scale`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    /// `wc`, `uniform`: the threshold they share.
    Threshold(u64),
    /// `weighted`: the head's total in-arc weight, of which each arc's threshold is its weight's
    /// share ([`crate::model::weighted_threshold`]).
    Total(u128),
}

/// How an in-arc's threshold follows its head's [`Scale`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Share {
    /// Not at all: an explicit probability, or LT.
    Own,
    /// It is the shared threshold.
    Threshold,
    /// It is this weight's share of the total.
    Weight(u64),
}

impl Scale {
    /// The bar of an arc that follows the scale as `share` says, `own` if it does not.
    pub fn bar(self, share: Share, own: Bar) -> Bar {
        match (self, share) {
            (Scale::Threshold(t), Share::Threshold) => Bar::Threshold(t),
            (Scale::Total(total), Share::Weight(weight)) if total > 0 => {
                Bar::Share { weight, total }
            }
            (Scale::Total(_), Share::Weight(_)) => Bar::Threshold(0),
            _ => own,
        }
    }
}

/// The lists of a node no change touched.
static UNCHANGED_IN: Own<InArc> = Own::UNCHANGED;
static UNCHANGED_OUT: Own<OutArc> = Own::UNCHANGED;

/// In [`ReverseGraph::in_at`] and `out_at`: the node's list is the base's.
const BASE: u32 = u32::MAX;

/// A head's in-arcs and stats, once this worker changed them.
#[derive(Clone, Default)]
struct OwnIn {
    arcs: Own<InArc>,
    stats: HeadStats,
}

/// A replica of the graph: in-arcs by head with their facts, each head's stats, and the adopters;
/// the loaded graph (`Base`) shared, what this worker's changes touched its own. A clone shares
/// the base.
#[derive(Clone, Default)]
pub struct ReverseGraph {
    model: Option<Model>,
    base: Arc<Base>,
    /// Nodes first seen after the load, with dense ids from `base.len()` on.
    ids: NodeIds,
    /// Their nodes, by dense id − `base.len()`.
    nodes: Vec<Node>,
    /// Dense head → its entry in `own_in`, or [`BASE`].
    in_at: Vec<u32>,
    own_in: Vec<OwnIn>,
    /// Dense tail → its entry in `own_out`, or [`BASE`].
    out_at: Vec<u32>,
    /// Out-arcs this worker changed, in no order.
    own_out: Vec<Own<OutArc>>,
    adopter: Vec<bool>,
    /// In-arcs whose tail is an adopter: a non-adopter with some is a candidate.
    adopter_in: Vec<u32>,
    /// Facts that do not fit an [`InArc`] of arcs added after the load, by (tail, head); the
    /// base's side table holds the loaded ones.
    side: FxHashMap<(Dense, Dense), ArcFact>,
    /// Some node id needs more than 32 bits: an in-arc's tail node is read by its dense id, not
    /// from the arc. Once set, it stays.
    wide: bool,
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
    /// order); its clones share it.
    pub fn loaded(model: Model, arcs: &impl ArcSource) -> Self {
        let mut base = Base::build(arcs);
        if model.is_lt() {
            base.sort_in_arcs_by_tail_node();
        }
        let n = base.len();
        ReverseGraph {
            wide: base.wide,
            model: Some(model),
            base: Arc::new(base),
            in_at: vec![BASE; n],
            out_at: vec![BASE; n],
            adopter: vec![false; n],
            adopter_in: vec![0; n],
            ..ReverseGraph::default()
        }
    }

    /// The node id of in-arc `arc`'s tail.
    #[inline]
    fn tail_node(&self, arc: &InArc) -> Node {
        arc.tail_node(self.wide, |d| self.node(d))
    }

    /// The dense id of `v`, if it was ever seen.
    pub fn id(&self, v: Node) -> Option<Dense> {
        self.base.ids.get(v).or_else(|| self.ids.get(v))
    }

    /// The node of a dense id.
    pub fn node(&self, d: Dense) -> Node {
        match self.base.nodes.get(d as usize) {
            Some(&v) => v,
            None => self.nodes[d as usize - self.base.len()],
        }
    }

    /// The number of dense ids given out.
    pub fn len(&self) -> usize {
        self.base.len() + self.nodes.len()
    }

    /// Whether no node was ever seen.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The dense id of `v`, given out on first sight.
    pub fn intern(&mut self, v: Node) -> Dense {
        if let Some(d) = self.id(v) {
            return d;
        }
        let d = self.len() as Dense;
        self.wide |= is_wide(v);
        self.ids.insert(v, d);
        self.nodes.push(v);
        self.in_at.push(BASE);
        self.out_at.push(BASE);
        self.adopter.push(false);
        self.adopter_in.push(0);
        d
    }

    /// The in-arcs of dense head `v`.
    /// At least as many as dense head `v`'s in-arcs (exact unless some went since the load):
    /// what choosing the cheaper of two scans needs.
    pub fn in_bound(&self, v: Dense) -> usize {
        self.in_arcs(v).bound()
    }

    /// At least as many as dense tail `u`'s out-arcs, as [`ReverseGraph::in_bound`].
    pub fn out_bound(&self, u: Dense) -> usize {
        self.out_arcs(u).bound()
    }

    fn in_arcs(&self, v: Dense) -> Arcs<'_, InArc> {
        self.in_own(v).arcs(self.base.in_arcs(v))
    }

    fn in_own(&self, v: Dense) -> &Own<InArc> {
        match self.in_at[v as usize] {
            BASE => &UNCHANGED_IN,
            at => &self.own_in[at as usize].arcs,
        }
    }

    /// The stats of dense head `v`.
    fn stats(&self, v: Dense) -> HeadStats {
        match self.in_at[v as usize] {
            BASE => self.base.stats(v),
            at => self.own_in[at as usize].stats,
        }
    }

    /// The out-arcs of dense tail `u`.
    fn out_arcs(&self, u: Dense) -> Arcs<'_, OutArc> {
        let own = match self.out_at[u as usize] {
            BASE => &UNCHANGED_OUT,
            at => &self.own_out[at as usize],
        };
        own.arcs(self.base.out_arcs(u))
    }

    /// Head `v`'s in-arcs and stats to change, this worker's own, and the base's list under them.
    fn in_mut(&mut self, v: Dense) -> (&mut OwnIn, &[InArc]) {
        if self.in_at[v as usize] == BASE {
            self.in_at[v as usize] = self.own_in.len() as u32;
            self.own_in.push(OwnIn {
                arcs: Own::default(),
                stats: self.base.stats(v),
            });
        }
        (
            &mut self.own_in[self.in_at[v as usize] as usize],
            self.base.in_arcs(v),
        )
    }

    /// Tail `u`'s out-arcs to change, this worker's own, and the base's list under them.
    fn out_mut(&mut self, u: Dense) -> (&mut Own<OutArc>, &[OutArc]) {
        if self.out_at[u as usize] == BASE {
            self.out_at[u as usize] = self.own_out.len() as u32;
            self.own_out.push(Own::default());
        }
        (
            &mut self.own_out[self.out_at[u as usize] as usize],
            self.base.out_arcs(u),
        )
    }

    /// The fact of an in-arc kept in a side table.
    fn side_fact(&self, u: Dense, v: Dense) -> ArcFact {
        // This worker's first: an arc removed and added again with another fact is there.
        match self.side.get(&(u, v)) {
            Some(&fact) => fact,
            None => self.base.side[&(u, v)],
        }
    }

    /// The heads whose live in-arcs `change` may alter (dense; interned).
    pub fn touched(&mut self, change: &GraphChange, into: &mut Vec<Dense>) {
        match *change {
            GraphChange::Arc(_, v, _) => into.push(self.intern(v)),
            GraphChange::Adopter(a) => {
                let a = self.intern(a);
                into.extend(self.out_heads(a));
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
                into.extend(self.out_heads(a));
            }
            GraphChange::Bulk => {}
        }
    }

    /// Applies one change; inputs are sets, so `diff` is ±1 and a removal removes what is there.
    pub fn apply(&mut self, change: GraphChange, diff: isize) {
        match change {
            GraphChange::Arc(u, v, fact) if diff > 0 => {
                let (tail_node, u, v) = (u, self.intern(u), self.intern(v));
                self.insert(u, v, tail_node, fact);
            }
            GraphChange::Arc(u, v, fact) => {
                let (u, v) = (self.intern(u), self.intern(v));
                let (head, base) = self.in_mut(v);
                // A loaded fact stays in the base's side table, unread: the arc is gone.
                let side = head.arcs.remove(base, u).weight == SIDE;
                head.stats.add(&fact, -1);
                if side {
                    self.side.remove(&(u, v));
                }
                let (heads, base) = self.out_mut(u);
                heads.remove(base, v);
                if self.adopter[u as usize] {
                    self.adopter_in[v as usize] -= 1;
                }
            }
            GraphChange::Bulk => {}
            GraphChange::Adopter(a) => {
                let a = self.intern(a);
                let blocked = diff > 0;
                self.adopter[a as usize] = blocked;
                let heads: Vec<Dense> = self.out_heads(a).collect();
                for v in heads {
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

    /// Adds the arc `u → v` (dense; `u` is node `tail_node`), which is not there.
    fn insert(&mut self, u: Dense, v: Dense, tail_node: Node, fact: ArcFact) {
        let weight = in_arc_weight(&fact).unwrap_or_else(|| {
            self.side.insert((u, v), fact);
            SIDE
        });
        let (head, _) = self.in_mut(v);
        head.arcs.push(InArc::new(u, weight, tail_node));
        head.stats.add(&fact, 1);
        self.out_mut(u).0.push(OutArc { head: v, weight });
        if self.adopter[u as usize] {
            self.adopter_in[v as usize] += 1;
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

    /// What moves the thresholds of all in-arcs of dense head `v` without a fact of their own at
    /// once: the shared threshold under `wc` and `uniform`, the head's total weight under
    /// `weighted` (each such arc's threshold is its weight's share of it); `None` under LT.
    pub fn shared_scale(&self, v: Dense) -> Option<Scale> {
        self.scale_under(self.stats(v))
    }

    /// [`ReverseGraph::shared_scale`] with the head's stats already read.
    fn scale_under(&self, stats: HeadStats) -> Option<Scale> {
        let model = self.model.expect("a graph has a model");
        let common = ArcFact {
            weight: 1,
            explicit: None,
        };
        match model {
            Model::Wc | Model::Uniform(_) => {
                Some(Scale::Threshold(threshold(model, &common, stats)))
            }
            Model::Weighted => Some(Scale::Total(stats.total)),
            Model::Lt(_) => None,
        }
    }

    /// The threshold of the arc `u → v` (dense) if it exists and passes influence, and how it
    /// moves with its head's [`Scale`].
    pub fn arc_threshold(&self, u: Dense, v: Dense) -> Option<(u64, Share)> {
        if self.adopter[u as usize] {
            return None;
        }
        // Looked up from the arc's shorter end: events land on hubs, whose in-lists are long.
        let (mut ins, mut outs) = (self.in_arcs(v), self.out_arcs(u));
        let weight = if outs.bound() < ins.bound() {
            outs.find(|o| o.head == v)?.weight
        } else {
            ins.find(|a| a.tail == u)?.weight
        };
        Some(self.threshold_of(u, v, weight))
    }

    /// The threshold of the arc `u → v` (dense) of `weight`, as its in-arc holds it.
    fn threshold_of(&self, u: Dense, v: Dense, weight: u32) -> (u64, Share) {
        let (bar, share) = self.bar_under(u, v, weight, self.stats(v));
        (bar.threshold(), share)
    }

    /// The bar of the arc `u → v` (dense) of `weight`, the head's stats already read.
    fn bar_under(&self, u: Dense, v: Dense, weight: u32, stats: HeadStats) -> (Bar, Share) {
        self.bar_of(&arc_fact(weight, || self.side_fact(u, v)), stats)
    }

    /// The bar of an arc with `fact` into a head with `stats`, and how it follows the head's
    /// [`Scale`].
    fn bar_of(&self, fact: &ArcFact, stats: HeadStats) -> (Bar, Share) {
        let model = self.model.expect("a graph has a model");
        let share = match (fact.explicit, model) {
            (Some(_), _) | (None, Model::Lt(_)) => Share::Own,
            (None, Model::Wc | Model::Uniform(_)) => Share::Threshold,
            (None, Model::Weighted) => Share::Weight(fact.weight),
        };
        (Bar::of(model, fact, stats), share)
    }

    /// [`ReverseGraph::arc_threshold`] for an arc `u → v` (dense) known to hold `fact`, without
    /// finding it in a list: what a change of the arc says it held or holds.
    pub fn threshold_with(&self, u: Dense, v: Dense, fact: &ArcFact) -> Option<(u64, Share)> {
        if self.adopter[u as usize] {
            return None;
        }
        let (bar, share) = self.bar_of(fact, self.stats(v));
        Some((bar.threshold(), share))
    }

    /// The in-arcs of dense head `v` that pass influence (tails that are not adopters), with
    /// their bars and how those move with the head's [`Scale`].
    pub fn live_in_arcs(&self, v: Dense) -> impl Iterator<Item = TestedArc> + '_ {
        self.tested_in_arcs(v)
            .filter(|arc| !self.adopter[arc.tail as usize])
    }

    /// [`ReverseGraph::live_in_arcs`] with adopters' arcs left in, for a search to rule
    /// out with [`ReverseGraph::is_adopter`] only where an arc would matter.
    pub fn tested_in_arcs(&self, v: Dense) -> impl Iterator<Item = TestedArc> + '_ {
        // The head's stats and shared threshold once, not a read and a division per arc: a
        // search tests every in-arc of every node it reaches, hubs' included (under `weighted`
        // each arc's bar is its weight and the head's total, tested without a division).
        let stats = self.stats(v);
        let scale = self.scale_under(stats);
        self.in_arcs(v).map(move |arc| {
            let (bar, share) = match scale {
                // An arc without a fact of its own follows the scale.
                Some(scale) if arc.weight != SIDE => {
                    let share = match scale {
                        Scale::Threshold(_) => Share::Threshold,
                        Scale::Total(_) => Share::Weight(arc.weight.into()),
                    };
                    (scale.bar(share, Bar::Threshold(0)), share)
                }
                _ => self.bar_under(arc.tail, v, arc.weight, stats),
            };
            TestedArc {
                tail: arc.tail,
                tail_node: self.tail_node(arc),
                bar,
                share,
            }
        })
    }

    /// Puts the in-arcs of dense head `v` in ascending order of tail node, the canonical order of
    /// the linear threshold model's pick (under LT, after every change of the head's in-arcs:
    /// arrivals append and removals swap, as under IC).
    pub fn sort_in_arcs(&mut self, v: Dense) {
        // A list read as one slice (unchanged or whole) and in order is canonical already; a
        // changed list is made whole, which `lt_pick` needs.
        let base = self.base.in_arcs(v);
        if let Some(arcs) = self.in_own(v).slice(base)
            && arcs.is_sorted_by_key(|a| self.tail_node(a))
        {
            return;
        }
        let (head, base) = self.in_mut(v);
        head.arcs.make_whole(base);
        let mut arcs = std::mem::take(head.arcs.whole_mut());
        // Stable: nearly sorted lists (a few arcs appended) sort in about linear time.
        arcs.sort_by_key(|a| self.tail_node(a));
        *self.in_mut(v).0.arcs.whole_mut() = arcs;
    }

    /// The in-neighbour that dense head `v` picks under LT with draw `x` ([`lt_pick`] over the
    /// head's in-arcs, adopters' included: their weight is a choice that passes nothing on).
    /// The in-arcs must be in canonical order ([`ReverseGraph::sort_in_arcs`]).
    pub fn lt_pick(&self, v: Dense, x: u64) -> Option<Dense> {
        let arcs = self
            .in_own(v)
            .slice(self.base.in_arcs(v))
            .expect("under LT a changed list is sorted, hence whole");
        let stats = self.stats(v);
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
        let weights = arcs.iter().map(|arc| {
            (
                arc.tail as Node,
                self.threshold_of(arc.tail, v, arc.weight).0,
            )
        });
        lt_pick(x, weights).map(|u| u as Dense)
    }

    /// The dense heads of `u`'s out-arcs.
    pub fn out_heads(&self, u: Dense) -> impl Iterator<Item = Dense> + '_ {
        self.out_arcs(u).map(|o| o.head)
    }

    /// The out-arcs of dense tail `u` into the heads `into` accepts, with their bars (nothing
    /// when `u` is an adopter: its arcs pass nothing). The heads are filtered first: a bar costs
    /// a read of the head's stats (and under `wc` a division), and a hub's out-arcs are many.
    pub fn live_out_arcs_into<'a>(
        &'a self,
        u: Dense,
        into: impl Fn(Dense) -> bool + 'a,
    ) -> impl Iterator<Item = (Dense, Bar)> + 'a {
        let blocked = self.adopter[u as usize];
        self.out_arcs(u)
            .filter(move |o| !blocked && into(o.head))
            .map(move |o| {
                (
                    o.head,
                    self.bar_under(u, o.head, o.weight, self.stats(o.head)).0,
                )
            })
    }
}
