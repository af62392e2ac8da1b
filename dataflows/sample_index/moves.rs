//! Phases (1) and (2) of a time: how the graph changes move the in-arcs of the heads this worker's
//! samples hold, and which samples that cuts, grows or sends to a fresh search.

use rustc_hash::{FxHashMap, FxHashSet};

use super::{HeadMove, SampleIndex, Summary};
use crate::model::{ArcFact, Node, is_live};
use crate::reverse_graph::{Dense, GraphChange, ReverseGraph, Scale, Share};

impl SampleIndex {
    /// (1) Applies the graph changes; returns, for every touched head that some sample here
    /// contains, how its in-arcs moved, and the nodes whose candidate status flipped with the
    /// samples that held them before (their `rr` is unchanged so far). Samples rooted at a node
    /// that becomes or stops being an adopter go into `dirty`.
    #[allow(clippy::type_complexity)]
    pub(super) fn apply_graph(
        &mut self,
        mut graph: Vec<(GraphChange, isize)>,
        dirty: &mut FxHashSet<u32>,
    ) -> (Vec<HeadMove>, Vec<(Dense, bool, Vec<u32>)>) {
        let mut touched = Vec::new();
        let mut maybe = Vec::new();
        // (head, tail) of every arc whose own fact or tail changes.
        let mut singles: Vec<(Dense, Dense)> = Vec::new();
        // What an arc change says the arc held before and holds after (a retraction, an
        // insertion; an arc is inserted only where there is none), so that neither is looked
        // up in the arc's lists (4% of sx-mathoverflow's stream did). An adopter's other arcs
        // are looked up.
        let mut facts: FxHashMap<(Dense, Dense), [Option<ArcFact>; 2]> = FxHashMap::default();
        for &(change, r) in &graph {
            self.graph.touched(&change, &mut touched);
            self.graph.maybe_candidates(&change, &mut maybe);
            match change {
                GraphChange::Arc(u, v, fact) => {
                    let (u, v) = (self.graph.intern(u), self.graph.intern(v));
                    singles.push((v, u));
                    facts.entry((v, u)).or_default()[usize::from(r > 0)] = Some(fact);
                }
                GraphChange::Adopter(a) => {
                    // A sample rooted at an adopter is empty; one rooted at a former adopter is not.
                    let a = self.graph.intern(a);
                    dirty.extend(self.rooted.get(&a).into_iter().flatten().copied());
                    singles.extend(self.graph.out_heads(a).map(|h| (h, a)));
                }
                GraphChange::Bulk => unreachable!("bulk markers are taken out before"),
            }
        }
        self.containing.resize(self.graph.len());
        // Only heads that some sample here contains can flip anything.
        touched.sort_unstable();
        touched.dedup();
        touched.retain(|&v| !self.containing[v].is_empty());
        singles.sort_unstable();
        singles.dedup();
        singles.retain(|&(v, _)| !self.containing[v].is_empty());
        let heads: Vec<(Dense, Scale)> = touched
            .iter()
            .map(|&v| {
                let scale = self.graph.shared_scale(v);
                (
                    v,
                    scale.expect("LT samples are walks, advanced in walks.rs"),
                )
            })
            .collect();
        // The threshold of single `(v, u)` before (`side` 0) or after (1) the changes (the
        // graph's adopters at that side: a tail may become one in the time its arc changes).
        let threshold =
            |graph: &ReverseGraph, (v, u): (Dense, Dense), side: usize| match facts.get(&(v, u)) {
                Some(held) => held[side].and_then(|fact| graph.threshold_with(u, v, &fact)),
                None => graph.arc_threshold(u, v),
            };
        let single_before: Vec<Option<u64>> = singles
            .iter()
            .map(|&single| threshold(&self.graph, single, 0).map(|t| t.0))
            .collect();
        let was = self.candidate_status(&mut maybe);
        // Retractions first, so that a fact moving from old to new replaces the old.
        graph.sort_by_key(|&(_, r)| r);
        for (change, r) in graph {
            self.graph.apply(change, r);
        }
        // Tails seen for the first time got their ids just now.
        self.containing.resize(self.graph.len());
        let flips = self.candidate_flips(maybe, was);
        let mut moves = Vec::new();
        let mut at = 0;
        for (v, before) in heads {
            let after = self
                .graph
                .shared_scale(v)
                .expect("the model did not change");
            let mut moved = Vec::new();
            while at < singles.len() && singles[at].0 == v {
                let u = singles[at].1;
                let now = threshold(&self.graph, singles[at], 1);
                // Under `weighted` an arc's weight can change and leave its threshold as it was
                // (all of a head's weight on it): it is still a single, so that the summaries
                // count its new ratio.
                if single_before[at].is_some() || now.is_some() {
                    moved.push((u, single_before[at], now));
                }
                at += 1;
            }
            let shared = (before != after).then_some((before, after));
            if !moved.is_empty() || shared.is_some() {
                moves.push(HeadMove {
                    v,
                    singles: moved,
                    shared,
                });
            }
        }
        debug_assert_eq!(at, singles.len(), "every single's head is a touched head");
        (moves, flips)
    }

    /// Keeps, of the nodes in `maybe` (which may change candidate status), the distinct ones that
    /// some sample here contains; returns their status before the changes.
    pub(super) fn candidate_status(&mut self, maybe: &mut Vec<Dense>) -> Vec<bool> {
        maybe.sort_unstable();
        maybe.dedup();
        maybe.retain(|&v| !self.containing[v].is_empty());
        maybe.iter().map(|&v| self.graph.is_candidate(v)).collect()
    }

    /// After the changes: the nodes whose candidate status flipped, with their status before and
    /// the samples that hold them (their `rr` is unchanged so far).
    pub(super) fn candidate_flips(
        &self,
        maybe: Vec<Dense>,
        was: Vec<bool>,
    ) -> Vec<(Dense, bool, Vec<u32>)> {
        maybe
            .into_iter()
            .zip(was)
            .filter(|&(v, was)| self.graph.is_candidate(v) != was)
            .map(|(v, was)| (v, was, self.containing.ids(v).collect()))
            .collect()
    }

    /// (2) For a sample containing `v`, an arc u → v that dies matters only if it is the tree edge
    /// by which u was reached (then what hung from u is cut off, and re-attached where it can); one
    /// that comes alive matters only if u is not a member yet (then the sample grows from u). Every
    /// other member keeps a live tree path to the root. The arcs under a moved shared threshold
    /// are tested only in the samples whose summary of `v` says one of them may flip. Every
    /// sample's summary is brought up to date, a dirty one's too, so that no entry goes stale
    /// whatever a later search keeps (today a dirty sample's root changed adopter status, so it
    /// keeps no member through its search).
    pub(super) fn affected(
        &mut self,
        head: &HeadMove,
        dirty: &mut FxHashSet<u32>,
        cut: &mut FxHashMap<u32, Vec<Dense>>,
        grow: &mut FxHashMap<u32, Vec<(Dense, Dense)>>,
    ) {
        let v = head.v;
        let node_v = self.graph.node(v);
        let is_single = |u: Dense| head.singles.iter().any(|m| m.0 == u);
        let tails: Vec<Node> = head.singles.iter().map(|m| self.graph.node(m.0)).collect();
        let mut flips: Vec<(Dense, bool, bool)> = Vec::new();
        let SampleIndex {
            graph,
            held,
            containing,
            ..
        } = self;
        for entry in containing.entries_mut(v) {
            let id = entry.id;
            let held = held[id as usize]
                .as_ref()
                .expect("a containing sample is held");
            let coins = held.coins;
            flips.clear();
            for (&(u, before, after), &node_u) in head.singles.iter().zip(&tails) {
                let c = coins.coin(node_u, node_v);
                let (was, is) = (
                    before.is_some_and(|t| is_live(c, t)),
                    after.is_some_and(|(t, _)| is_live(c, t)),
                );
                if let Some((t, share)) = after {
                    entry.summary.note(c, is_live(c, t), share);
                }
                if was != is {
                    flips.push((u, was, is));
                }
            }
            if let Some((old, new)) = head.shared
                && entry.summary.may_flip(old, new)
            {
                // Test them all, and summarise them afresh on the way.
                let mut summary = Summary::EMPTY;
                for arc in graph.live_in_arcs(v) {
                    let (u, share) = (arc.tail, arc.share);
                    let c = coins.coin(arc.tail_node, node_v);
                    let is = arc.bar.live(c);
                    summary.note(c, is, share);
                    let was = old.bar(share, arc.bar).live(c);
                    if share != Share::Own && !is_single(u) && was != is {
                        flips.push((u, was, is));
                    }
                }
                entry.summary = summary;
            }
            if dirty.contains(&id) {
                continue;
            }
            for &(u, was, is) in &flips {
                match (was, is) {
                    (true, false) if held.parent(u) == Some(v) => {
                        cut.entry(id).or_default().push(u);
                    }
                    (false, true) if held.parent(u).is_none() => {
                        grow.entry(id).or_default().push((u, v));
                    }
                    _ => {}
                }
            }
        }
    }
}
