//! The accepted state: the graph and adopters as the events so far define them, with set
//! semantics, and the changes each event makes to the dataflow's inputs.
//!
//! The dataflow's collections are sets, and a differential input must never remove what it does
//! not hold. Keeping the accepted state here, at the reader, turns "add what exists" into a no-op
//! and "remove what is absent" into a counted warning, so no input can drive a multiplicity
//! negative. The same state is the snapshot the oracle recomputes from.
//!
//! A state serializes (for `follow`'s checkpoints) as what the events established: each pair's
//! [`ArcState`], the adopters and the counters. The indexes derived from those (out-lists, node
//! references) are rebuilt on loading, through the same code that maintains them, so a loaded
//! state holds the same invariants as one built event by event, and its pending changes hold its
//! whole content, ready to load a fresh engine.

use std::collections::{BTreeMap, BTreeSet};

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

pub mod arcs;
mod bulk;
mod out_list;
mod record;
use record::StateRecord;

use arcs::{ArcState, Arcs};

use dataflows::ArcSource;

use crate::input::{Event, EventKind, Op};
use crate::model::{ArcFact, LtWeights, Model, Node, ONE, threshold_of, thresholds};

/// What the dataflow sees of an arc in `state` under `model`; `None` when there is no arc.
fn fact(state: &ArcState, model: Model) -> Option<ArcFact> {
    let counted = || u64::from(state.friend || state.directed) + state.interactions;
    state.exists().then(|| ArcFact {
        weight: match model {
            // Under LT an explicit weight takes its own share, none of the rest.
            Model::Lt(_) if state.explicit.is_some() => 0,
            Model::Weighted | Model::Lt(LtWeights::Weighted) => counted(),
            _ => 1,
        },
        explicit: state.explicit.map(threshold_of),
    })
}

/// Counters of events that changed nothing, reported in every summary.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// Events applied (that changed something).
    pub applied: u64,
    /// Additions of what already existed.
    pub noops: u64,
    /// Removals of what was absent (or interactions taken back beyond their count).
    pub absent: u64,
    /// Self-loops, which carry no influence and are dropped.
    pub self_loops: u64,
    /// Events refused because they would make the state invalid (under LT: explicit weights
    /// into a head that sum above 1); counted with the bad lines in `skipped`.
    #[serde(default)]
    pub refused: u64,
}

/// An event the state refused, and why: `+ e U V P` under LT, which would give V explicit
/// in-weights summing above 1.
#[derive(Clone, Copy, Debug, PartialEq, thiserror::Error)]
#[error(
    "event `+ e {tail} {head} {weight}` refused: the LT weights into {head} would sum to {sum}, \
     above 1"
)]
pub struct Refusal {
    /// U.
    pub tail: Node,
    /// V.
    pub head: Node,
    /// P.
    pub weight: f64,
    /// What the explicit weights into V would have summed to.
    pub sum: f64,
}

/// What the events established of one directed pair, as they said it: no model applied. For
/// yardsticks that derive probabilities on their own ([`crate::evaluate`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pair {
    /// The tail u.
    pub tail: Node,
    /// The head v.
    pub head: Node,
    /// Part of a friendship (`f` events).
    pub friend: bool,
    /// Added as a directed arc (`e` events).
    pub directed: bool,
    /// The probability an `e` event gave.
    pub explicit: Option<f64>,
    /// Interactions u → v not taken back.
    pub interactions: u64,
}

/// An arc `(u, v)` with what the dataflow sees of it.
pub type Arc = ((Node, Node), ArcFact);

/// The changes to the dataflow's inputs since they were last taken, each an update with a ±1
/// multiplicity that keeps every input a set.
#[derive(Clone, Debug, Default)]
pub struct Delta {
    /// Every arc of the state is new, and none is listed in `arcs`: the first delta of a state
    /// (which started empty, or was loaded), whose arcs the consumer reads from the state itself
    /// ([`State::arcs`], or as an [`ArcSource`]) rather than from a list as long as the graph.
    pub all_arcs: bool,
    /// `((u, v), fact)` arcs.
    pub arcs: Vec<(Arc, isize)>,
    /// `(adopter, capacity)`.
    pub adopters: Vec<((Node, u32), isize)>,
    /// Nodes that appeared (+1) or disappeared (−1).
    pub nodes: Vec<(Node, isize)>,
}

impl Delta {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        !self.all_arcs && self.arcs.is_empty() && self.adopters.is_empty() && self.nodes.is_empty()
    }
}

/// The current graph and adopters.
#[derive(Clone, Debug, Deserialize)]
#[serde(try_from = "StateRecord")]
pub struct State {
    model: Model,
    default_k: u32,
    /// The arcs, with the out-lists the adopters' candidates come from.
    arcs: Arcs,
    adopters: BTreeMap<Node, u32>,
    /// w(a, f) of the pairs whose acceptance is below 1 (`w` events): a pair not listed accepts
    /// surely. Kept whether or not f is a's candidate, so that it applies once f becomes one.
    acceptance: BTreeMap<(Node, Node), f64>,
    /// By dense id: incident arcs (in and out) plus one for an adopter; a node exists while this
    /// is positive.
    refs: Vec<u32>,
    /// Nodes with positive `refs`.
    live: usize,
    counters: Counters,
    delta: Delta,
    /// Whether arc changes are listed in `delta`: not until the first delta is taken, which
    /// says instead that every arc is new.
    listing: bool,
    /// What of the selection problem may have changed since [`State::take_problem_changes`] was
    /// last called.
    problem_changes: ProblemChanges,
    /// Under LT: each head's explicit in-weights, summed as thresholds (at most [`ONE`]).
    explicit_into: FxHashMap<Node, u64>,
    /// Refusals not yet taken by [`State::take_refusals`].
    refusals: Vec<Refusal>,
}

/// What of the selection problem (adopters, capacities, candidates) may have changed: everything,
/// or the candidates of some adopters. An engine that keeps its problem patches those rows
/// instead of building the problem again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProblemChanges {
    /// The adopters or their capacities changed (and with them anyone's candidates): build again.
    pub all: bool,
    /// Adopters whose out-arcs came or went: their candidate rows.
    pub rows: BTreeSet<Node>,
}

impl Default for ProblemChanges {
    /// A fresh state has no problem yet, which is a change of everything.
    fn default() -> Self {
        ProblemChanges {
            all: true,
            rows: BTreeSet::new(),
        }
    }
}

impl ProblemChanges {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        !self.all && self.rows.is_empty()
    }
}

impl State {
    /// An empty graph; adopters without a capacity of their own get `default_k`.
    pub fn new(model: Model, default_k: u32) -> Self {
        State {
            model,
            default_k,
            arcs: Arcs::default(),
            adopters: BTreeMap::new(),
            acceptance: BTreeMap::new(),
            refs: Vec::new(),
            live: 0,
            counters: Counters::default(),
            delta: Delta::default(),
            listing: false,
            problem_changes: ProblemChanges::default(),
            explicit_into: FxHashMap::default(),
            refusals: Vec::new(),
        }
    }

    /// Applies one event; returns whether it changed the state.
    pub fn apply(&mut self, event: &Event) -> bool {
        let changed = match (event.op, event.kind) {
            (
                _,
                EventKind::Friendship(u, v)
                | EventKind::Arc(u, v, _)
                | EventKind::Interaction(u, v, _)
                | EventKind::Acceptance(u, v, _),
            ) if u == v => {
                self.counters.self_loops += 1;
                return false;
            }
            (op, EventKind::Friendship(u, v)) => {
                let add = op == Op::Add;
                let uv = self.lookup(u, v);
                let vu = self.lookup_reverse(&uv);
                let is = uv.state.friend && vu.state.friend;
                if is == add {
                    false
                } else {
                    self.update(uv, |s| s.friend = add);
                    self.update(vu, |s| s.friend = add);
                    true
                }
            }
            (Op::Add, EventKind::Arc(u, v, p)) => {
                let at = self.lookup(u, v);
                let old = at.state;
                // Re-adding without a probability keeps the one the arc has.
                let explicit = p.or(if old.directed { old.explicit } else { None });
                if old.directed && old.explicit == explicit {
                    false
                } else if let Some(refusal) = self.lt_refusal(u, v, old.explicit, explicit) {
                    self.counters.refused += 1;
                    self.refusals.push(refusal);
                    return false;
                } else {
                    self.update(at, |s| {
                        s.directed = true;
                        s.explicit = explicit;
                    });
                    true
                }
            }
            (Op::Remove, EventKind::Arc(u, v, _)) => {
                let at = self.lookup(u, v);
                if at.state.directed {
                    self.update(at, |s| {
                        s.directed = false;
                        s.explicit = None;
                    });
                    true
                } else {
                    false
                }
            }
            (op, EventKind::Interaction(u, v, n)) => {
                let at = self.lookup(u, v);
                let have = at.state.interactions;
                let new = match op {
                    Op::Add => have.saturating_add(n),
                    Op::Remove => have.saturating_sub(n),
                };
                if op == Op::Remove && n > have {
                    // Counts never go below zero; taking back more than there is is reported.
                    self.counters.absent += 1;
                }
                if new != have {
                    self.update(at, |s| s.interactions = new);
                    self.counters.applied += 1;
                }
                return new != have;
            }
            (Op::Add, EventKind::Adopter(a, k)) => {
                let k = k.unwrap_or(self.default_k);
                match self.adopters.insert(a, k) {
                    Some(old) if old == k => false,
                    Some(old) => {
                        self.delta.adopters.push(((a, old), -1));
                        self.delta.adopters.push(((a, k), 1));
                        true
                    }
                    None => {
                        self.delta.adopters.push(((a, k), 1));
                        self.reference_node(a, 1);
                        true
                    }
                }
            }
            (op, EventKind::Acceptance(a, f, w)) => {
                let w = if op == Op::Add { w } else { 1.0 };
                let old = self.acceptance.get(&(a, f)).copied();
                if old.unwrap_or(1.0) == w {
                    false
                } else {
                    if w < 1.0 {
                        self.acceptance.insert((a, f), w);
                    } else {
                        self.acceptance.remove(&(a, f));
                    }
                    // Only a candidate pair's weight is part of the problem: a's row.
                    if self.adopters.contains_key(&a)
                        && !self.adopters.contains_key(&f)
                        && self.arcs.get(a, f).exists()
                    {
                        self.problem_changes.rows.insert(a);
                    }
                    true
                }
            }
            (Op::Remove, EventKind::Adopter(a, _)) => match self.adopters.remove(&a) {
                Some(old) => {
                    self.delta.adopters.push(((a, old), -1));
                    self.reference_node(a, -1);
                    true
                }
                None => false,
            },
        };
        if changed && matches!(event.kind, EventKind::Adopter(..)) {
            self.problem_changes.all = true;
        }
        match (changed, event.op) {
            (true, _) => self.counters.applied += 1,
            (false, Op::Add) => self.counters.noops += 1,
            (false, Op::Remove) => self.counters.absent += 1,
        }
        changed
    }

    /// Under LT, why giving arc `u → v` the explicit weight `new` instead of `old` cannot be
    /// accepted: the explicit weights into `v` would sum above 1. Sums are taken on the
    /// thresholds the dataflow uses, so that what is accepted is what the weights can hold.
    fn lt_refusal(&self, u: Node, v: Node, old: Option<f64>, new: Option<f64>) -> Option<Refusal> {
        if !self.model.is_lt() {
            return None;
        }
        let held = self.explicit_into.get(&v).copied().unwrap_or(0) as u128;
        let sum = held - old.map_or(0, threshold_of) as u128 + new.map_or(0, threshold_of) as u128;
        (sum > ONE as u128).then(|| Refusal {
            tail: u,
            head: v,
            weight: new.unwrap_or(0.0),
            sum: sum as f64 / ONE as f64,
        })
    }

    /// Takes the events refused since the last call, for the caller to report.
    pub fn take_refusals(&mut self) -> Vec<Refusal> {
        std::mem::take(&mut self.refusals)
    }

    /// Changes arc `u → v` and records what the dataflow must see of the change.
    /// The pair `u → v` as the state holds it, for [`State::update`]: one look-up of each
    /// endpoint and of the arc per event, not one to test and another to change.
    fn lookup(&self, u: Node, v: Node) -> Lookup {
        let (du, dv) = (self.arcs.id(u), self.arcs.id(v));
        self.lookup_dense(u, v, du, dv)
    }

    /// The pair `v → u` of the pair `u → v` that `at` looked up.
    fn lookup_reverse(&self, at: &Lookup) -> Lookup {
        self.lookup_dense(at.v, at.u, at.dv, at.du)
    }

    fn lookup_dense(
        &self,
        u: Node,
        v: Node,
        du: Option<arcs::Dense>,
        dv: Option<arcs::Dense>,
    ) -> Lookup {
        let state = match (du, dv) {
            (Some(du), Some(dv)) => self.arcs.get_dense(du, dv),
            _ => ArcState::default(),
        };
        Lookup {
            u,
            v,
            du,
            dv,
            state,
        }
    }

    /// Changes the pair `at` looked up (and nothing changed since) by `change`, interning its
    /// endpoints if new.
    fn update(&mut self, at: Lookup, change: impl FnOnce(&mut ArcState)) {
        let Lookup { u, v, du, dv, .. } = at;
        let du = du.unwrap_or_else(|| self.arcs.intern(u));
        let dv = dv.unwrap_or_else(|| self.arcs.intern(v));
        let before = at.state;
        let mut after = before;
        change(&mut after);
        if self.model.is_lt() && before.explicit != after.explicit {
            let sum = self.explicit_into.entry(v).or_default();
            *sum = *sum - before.explicit.map_or(0, threshold_of)
                + after.explicit.map_or(0, threshold_of);
            if *sum == 0 {
                self.explicit_into.remove(&v);
            }
        }
        self.refs.resize(self.arcs.ids_given(), 0);
        self.arcs.set(du, dv, after);
        let (old, new) = (fact(&before, self.model), fact(&after, self.model));
        if self.listing && old != new {
            if let Some(f) = old {
                self.delta.arcs.push((((u, v), f), -1));
            }
            if let Some(f) = new {
                self.delta.arcs.push((((u, v), f), 1));
            }
        }
        if before.exists() != after.exists() && self.adopters.contains_key(&u) {
            // An adopter's out-arc came or went: its candidates did.
            self.problem_changes.rows.insert(u);
        }
        match (before.exists(), after.exists()) {
            (false, true) => {
                self.reference(du, 1);
                self.reference(dv, 1);
            }
            (true, false) => {
                self.reference(du, -1);
                self.reference(dv, -1);
            }
            _ => {}
        }
    }

    fn reference(&mut self, v: arcs::Dense, by: i32) {
        let refs = &mut self.refs[v as usize];
        let before = *refs;
        *refs = refs
            .checked_add_signed(by)
            .expect("node references never go negative");
        match (before, *refs) {
            (0, _) => {
                self.live += 1;
                self.delta.nodes.push((self.arcs.node(v), 1));
            }
            (_, 0) => {
                self.live -= 1;
                self.delta.nodes.push((self.arcs.node(v), -1));
            }
            _ => {}
        }
    }

    /// A reference to node `v` from an adopter.
    fn reference_node(&mut self, v: Node, by: i32) {
        let d = self.arcs.intern(v);
        self.refs.resize(self.arcs.ids_given(), 0);
        self.reference(d, by);
    }

    /// What of the selection problem may have changed since the last call; resets it.
    pub fn take_problem_changes(&mut self) -> ProblemChanges {
        std::mem::replace(
            &mut self.problem_changes,
            ProblemChanges {
                all: false,
                rows: BTreeSet::new(),
            },
        )
    }

    /// Whether the selection problem may have changed since [`State::take_problem_changes`] was
    /// last called, without taking the changes: an acceptance change leaves the dataflow's
    /// inputs as they were, yet asks for a new selection.
    pub fn problem_pending(&self) -> bool {
        !self.problem_changes.is_empty()
    }

    /// The probability that `f` accepts `a`'s invitation: 1 unless a `w` event said otherwise.
    pub fn acceptance(&self, a: Node, f: Node) -> f64 {
        self.acceptance.get(&(a, f)).copied().unwrap_or(1.0)
    }

    /// The pairs whose acceptance is below 1, with it, by (adopter, friend).
    pub fn acceptances(&self) -> impl Iterator<Item = (Node, Node, f64)> + '_ {
        self.acceptance.iter().map(|(&(a, f), &w)| (a, f, w))
    }

    /// Takes the input changes accumulated since the last call.
    pub fn take_delta(&mut self) -> Delta {
        let all_arcs = !std::mem::replace(&mut self.listing, true);
        if all_arcs {
            // The end of a load, the state's largest growth: give back what the lists grew into.
            self.arcs.shrink();
        }
        Delta {
            all_arcs,
            ..std::mem::take(&mut self.delta)
        }
    }

    /// The counters so far.
    pub fn counters(&self) -> Counters {
        self.counters
    }

    /// The number of nodes: endpoints of current arcs, and adopters.
    pub fn node_count(&self) -> usize {
        self.live
    }

    /// The current nodes, in no particular order.
    pub fn nodes(&self) -> impl Iterator<Item = Node> + '_ {
        self.refs
            .iter()
            .enumerate()
            .filter(|(_, r)| **r > 0)
            .map(|(d, _)| self.arcs.node(d as arcs::Dense))
    }

    /// The current arcs with what the dataflow sees of them, in no particular order.
    pub fn arcs(&self) -> impl Iterator<Item = ((Node, Node), ArcFact)> + '_ {
        let model = self.model;
        self.arcs
            .iter()
            .filter_map(move |(u, v, s)| fact(&s, model).map(|f| ((u, v), f)))
    }

    /// Every pair with an arc, as the events established it, in no particular order.
    pub fn pairs(&self) -> impl Iterator<Item = Pair> + '_ {
        self.arcs.iter().map(|(tail, head, s)| Pair {
            tail,
            head,
            friend: s.friend,
            directed: s.directed,
            explicit: s.explicit,
            interactions: s.interactions,
        })
    }

    /// Every arc `(u, v)` with its threshold under the model, sorted by head, then tail: the one
    /// place where the per-head thresholds of a snapshot are derived from its arcs.
    pub fn thresholds(&self) -> Vec<(Node, Node, u64)> {
        let mut arcs: Vec<((Node, Node), ArcFact)> =
            self.arcs().map(|((u, v), f)| ((v, u), f)).collect();
        arcs.sort_unstable_by_key(|&(head_tail, _)| head_tail);
        let mut out = Vec::with_capacity(arcs.len());
        for head in arcs.chunk_by(|a, b| a.0.0 == b.0.0) {
            let in_arcs = head.iter().map(|((_, u), f)| (*u, f));
            out.extend(thresholds(self.model, in_arcs).map(|(u, t)| (u, head[0].0.0, t)));
        }
        out
    }

    /// The adopters and their capacities, by id.
    pub fn adopters(&self) -> &BTreeMap<Node, u32> {
        &self.adopters
    }

    /// The candidates of adopter `a`: its out-neighbours that are not adopters, ascending.
    pub fn candidates(&self, a: Node) -> Vec<Node> {
        let mut c: Vec<Node> = self
            .arcs
            .heads(a)
            .filter(|c| !self.adopters.contains_key(c))
            .collect();
        c.sort_unstable();
        c
    }

    /// The capacity of adopters that were given none.
    pub fn default_k(&self) -> u32 {
        self.default_k
    }

    /// The probability model the facts are projected for.
    pub fn model(&self) -> Model {
        self.model
    }
}

/// The state's arcs as the dataflow sees them, on the state's dense ids, read in place for a
/// bulk load ([`dataflows::BulkSlot`]).
impl ArcSource for State {
    fn nodes(&self) -> &[Node] {
        self.arcs.nodes()
    }

    fn for_each_arc(&self, f: &mut dyn FnMut(u32, u32, ArcFact)) {
        for (u, v, s) in self.arcs.iter_dense() {
            if let Some(fact) = fact(&s, self.model) {
                f(u, v, fact);
            }
        }
    }

    fn arc_count(&self) -> usize {
        // Every pair the arcs hold exists, so each has a fact.
        self.arcs.len()
    }
}

/// A pair `u → v` looked up in the state: the endpoints' dense ids where they have one, and the
/// arc's state (the default when there is none).
#[derive(Clone, Copy)]
struct Lookup {
    u: Node,
    v: Node,
    du: Option<arcs::Dense>,
    dv: Option<arcs::Dense>,
    state: ArcState,
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod lt_tests;

#[cfg(test)]
mod serde_tests;
