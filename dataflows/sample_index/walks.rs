//! Samples under the linear threshold model, where an RR set is a reverse random walk:
//!
//! ```text
//! walk(s, 0)     = root(s), unless it is an adopter (then the walk is empty);
//! walk(s, i + 1) = u   :- walk(s, i) = v, u = pick(s, v), not adopter(u), u ∉ walk(s, 0..=i).
//! rr(v, s)       :- walk(s, i) = v.
//! ```
//!
//! `pick(s, v)` is [`crate::model::lt_pick`] of the draw `Coins::pick(v)` over v's in-arcs in
//! ascending order of tail id, adopters' included (their weight is a pick that passes nothing
//! on). A walk is a chain, so it is held as the tree of an IC sample is, in walk order.
//!
//! A change can alter step i + 1 only through the pick at `walk(s, i)`: that head's in-arcs or
//! weights (any arc change at the head: under `lt` one arc moves every weight of its head), or
//! the adopter status of one of its tails. So for a sample holding touched heads the walk is
//! checked at those heads in walk order, and recomputed from the first step whose outcome
//! changed; the prefix before it stands as it was. A root that becomes or stops being an adopter
//! walks again from the root.

use differential_dataflow::consolidation::consolidate;
use rustc_hash::{FxHashMap, FxHashSet};

use super::{Member, RrChange, SampleIndex, Summary};
use crate::model::{Coins, Sample};
use crate::reverse_graph::{Dense, GraphChange};
use crate::rr_sets::Membership;

impl SampleIndex {
    /// [`SampleIndex::advance`] under LT: (1) apply the graph changes, noting the touched heads
    /// that samples here contain; (2) add and drop roots; (3) check and redo the walks holding a
    /// touched head; (4) walk the new samples and those whose root changed status; (5) report.
    pub(super) fn advance_lt(
        &mut self,
        mut graph: Vec<(GraphChange, isize)>,
        mut roots: Vec<(Sample, isize)>,
    ) -> Vec<(Membership, isize)> {
        consolidate(&mut graph);
        consolidate(&mut roots);
        let mut dirty: FxHashSet<u32> = FxHashSet::default();
        let (touched, flips) = self.apply_graph_lt(graph, &mut dirty);
        let mut redo: FxHashMap<u32, Vec<Dense>> = FxHashMap::default();
        for &v in &touched {
            for id in self.containing.ids(v) {
                redo.entry(id).or_default().push(v);
            }
        }
        let mut changes: Vec<RrChange> = Vec::new();
        let mut gone = Vec::new();
        let mut no_growth = FxHashMap::default();
        self.apply_roots(roots, &mut dirty, &mut no_growth, &mut changes, &mut gone);
        let mut redo: Vec<(u32, Vec<Dense>)> = redo
            .into_iter()
            .filter(|(id, _)| !dirty.contains(id) && !gone.contains(id))
            .collect();
        redo.sort_unstable_by_key(|r| r.0);
        for (id, heads) in redo {
            self.recheck(id, &heads, &mut changes);
        }
        let mut dirty: Vec<u32> = dirty.into_iter().collect();
        dirty.sort_unstable();
        let mut unused = Vec::new();
        for id in dirty {
            self.research(id, &mut unused, &mut changes);
        }
        let out = self.report(&changes, &flips);
        self.release(gone);
        out
    }

    /// (1) Applies the graph changes and puts the changed heads' in-arcs back in canonical order;
    /// returns the heads whose pick may have changed that some sample here contains, and the
    /// candidate flips. Samples rooted at a node that becomes or stops being an adopter go into
    /// `dirty`.
    #[allow(clippy::type_complexity)]
    fn apply_graph_lt(
        &mut self,
        mut graph: Vec<(GraphChange, isize)>,
        dirty: &mut FxHashSet<u32>,
    ) -> (Vec<Dense>, Vec<(Dense, bool, Vec<u32>)>) {
        let (mut touched, mut maybe, mut heads) = (Vec::new(), Vec::new(), Vec::new());
        for (change, _) in &graph {
            self.graph.touched(change, &mut touched);
            self.graph.maybe_candidates(change, &mut maybe);
            match *change {
                GraphChange::Arc(_, v, _) => heads.push(self.graph.intern(v)),
                GraphChange::Adopter(a) => {
                    let a = self.graph.intern(a);
                    dirty.extend(self.rooted.get(&a).into_iter().flatten().copied());
                }
                GraphChange::Bulk => unreachable!("bulk markers are taken out before"),
            }
        }
        self.containing.resize(self.graph.len());
        let was = self.candidate_status(&mut maybe);
        // Retractions first, so that a fact moving from old to new replaces the old.
        graph.sort_by_key(|&(_, r)| r);
        for (change, r) in graph {
            self.graph.apply(change, r);
        }
        self.containing.resize(self.graph.len());
        heads.sort_unstable();
        heads.dedup();
        for v in heads {
            self.graph.sort_in_arcs(v);
        }
        let flips = self.candidate_flips(maybe, was);
        touched.sort_unstable();
        touched.dedup();
        touched.retain(|&v| !self.containing[v].is_empty());
        (touched, flips)
    }

    /// (3) Checks sample `id`'s walk at the touched `heads` it holds, in walk order, and walks
    /// again from the first whose next step changed.
    fn recheck(&mut self, id: u32, heads: &[Dense], changes: &mut Vec<RrChange>) {
        let held = self.held[id as usize].as_mut().expect("a walk is held");
        let mut walk = std::mem::take(&mut held.tree);
        let coins = held.coins;
        self.next_stamp();
        let mut marked = 0;
        for i in 0..walk.len() {
            if !heads.contains(&walk[i].node) {
                continue;
            }
            // The steps up to i stand: their nodes are what step i + 1 may not revisit.
            for m in &walk[marked..=i] {
                self.seen[m.node as usize] = self.stamp;
            }
            marked = i + 1;
            let next = self.step(coins, walk[i].node);
            if next == walk.get(i + 1).map(|m| m.node) {
                continue;
            }
            let mut old: Vec<Dense> = walk.drain(i + 1..).map(|m| m.node).collect();
            self.walk_on(coins, &mut walk);
            let mut new: Vec<(Dense, Summary)> = walk[i + 1..].iter().map(unsummarised).collect();
            old.sort_unstable();
            new.sort_unstable_by_key(|m| m.0);
            self.diff(id, &old, &new, changes);
            break;
        }
        self.held[id as usize].as_mut().expect("held").tree = walk;
    }

    /// (4) Walks sample `id` again from its (dense) root.
    pub(super) fn rewalk_from_root(&mut self, id: u32, root: Dense, changes: &mut Vec<RrChange>) {
        let coins = self.held[id as usize].as_ref().expect("held").coins;
        let mut walk = Vec::new();
        if !self.graph.is_adopter(root) {
            self.next_stamp();
            self.mark(root);
            walk.push(Member::new(root, root));
            self.walk_on(coins, &mut walk);
        }
        let mut new: Vec<(Dense, Summary)> = walk.iter().map(unsummarised).collect();
        let held = self.held[id as usize].as_mut().expect("held");
        let mut old: Vec<Dense> = std::mem::replace(&mut held.tree, walk)
            .iter()
            .map(|m| m.node)
            .collect();
        old.sort_unstable();
        new.sort_unstable_by_key(|m| m.0);
        self.diff(id, &old, &new, changes);
    }

    /// Extends `walk` from its last node until it stops; every node of `walk` must be marked.
    fn walk_on(&mut self, coins: Coins, walk: &mut Vec<Member>) {
        while let Some(v) = walk.last().map(|m| m.node) {
            let Some(u) = self.step(coins, v) else { break };
            self.mark(u);
            walk.push(Member::new(u, v));
        }
    }

    /// The walk's next node after `v`: v's pick, unless the walk stops there (no pick, an
    /// adopter, or a node already on the walk, as marked).
    fn step(&self, coins: Coins, v: Dense) -> Option<Dense> {
        let u = self.graph.lt_pick(v, coins.pick(self.graph.node(v)))?;
        (!self.graph.is_adopter(u) && self.seen[u as usize] != self.stamp).then_some(u)
    }
}

/// A walk member's entry: a walk reads no summaries (a pick changes only with its head's draw
/// interval, which the walk tests itself), so it records none.
fn unsummarised(m: &Member) -> (Dense, Summary) {
    (m.node, Summary::UNKNOWN)
}
