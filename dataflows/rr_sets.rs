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
//! that hash to it, keeps a replica of the graph ([`ReverseGraph`]: the changes are broadcast),
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
use rustc_hash::{FxHashMap, FxHashSet};
use timely::dataflow::channels::pact::{Exchange, Pipeline};
use timely::dataflow::operators::Capability;
use timely::dataflow::operators::generic::Operator;
use timely::dataflow::operators::vec::Broadcast;

use super::Time;
use super::reverse_graph::{GraphChange, ReverseGraph};
use crate::model::{ArcFact, Model, Node, Sample, is_live};

/// `(v, s)`: node `v` is in the RR set of sample `s`.
pub fn reverse_reachable<'s>(
    arcs: VecCollection<'s, Time, ((Node, Node), ArcFact)>,
    adopters: VecCollection<'s, Time, Node>,
    roots: VecCollection<'s, Time, Sample>,
    model: Model,
    seed: u64,
) -> VecCollection<'s, Time, (Node, Sample)> {
    let changes = arcs
        .map(|((u, v), fact)| GraphChange::Arc(u, v, fact))
        .concat(adopters.map(GraphChange::Adopter));
    let by_sample = Exchange::new(|(s, _, _): &(Sample, Time, isize)| s.hashed());
    changes
        .inner
        .broadcast()
        .binary_frontier(roots.inner, Pipeline, by_sample, "RrSets", move |_, _| {
            let mut index = SampleIndex::new(model, seed);
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
                    let Pending { cap, graph, roots } = entry.remove();
                    let changes = index.advance(graph, roots);
                    output
                        .session(&cap)
                        .give_iterator(changes.into_iter().map(|(d, r)| (d, t, r)));
                }
            }
        })
        .as_collection()
}

/// The members of a sample's tree, ascending.
fn sorted(tree: &FxHashMap<Node, Node>) -> Vec<Node> {
    let mut members: Vec<Node> = tree.keys().copied().collect();
    members.sort_unstable();
    members
}

/// An in-arc whose threshold moved: (tail, before, after), `None` where it passed nothing.
type Moved = (Node, Option<u64>, Option<u64>);

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

/// One worker's samples with their RR sets, over a replica of the graph.
struct SampleIndex {
    seed: u64,
    graph: ReverseGraph,
    /// This worker's samples and their RR sets, each member with the node through which the last
    /// search reached it (the root with itself): a spanning tree of live arcs towards the root.
    rr: FxHashMap<Sample, FxHashMap<Node, Node>>,
    /// Node → this worker's samples whose RR set contains it.
    containing: FxHashMap<Node, FxHashSet<Sample>>,
    /// Root → this worker's samples rooted there.
    rooted: FxHashMap<Node, FxHashSet<Sample>>,
}

impl SampleIndex {
    fn new(model: Model, seed: u64) -> Self {
        SampleIndex {
            seed,
            graph: ReverseGraph::new(model),
            rr: FxHashMap::default(),
            containing: FxHashMap::default(),
            rooted: FxHashMap::default(),
        }
    }

    /// Applies one time's graph and root changes; returns the membership changes.
    ///
    /// Phases: (1) apply the graph changes, noting for every touched head that some sample here
    /// contains how its live in-arcs moved; (2) from those moves, the samples to search again
    /// (`dirty`) and the ones that only grow (`grow`); (3) add and drop roots; (4) search the dirty
    /// samples from their roots; (5) grow the others from their new tails.
    fn advance(
        &mut self,
        mut graph: Vec<(GraphChange, isize)>,
        mut roots: Vec<(Sample, isize)>,
    ) -> Vec<((Node, Sample), isize)> {
        consolidate(&mut graph);
        consolidate(&mut roots);
        let mut dirty: FxHashSet<Sample> = FxHashSet::default();
        let mut grow: FxHashMap<Sample, Vec<(Node, Node)>> = FxHashMap::default();
        let moves = self.apply_graph(graph, &mut dirty);
        for (v, moved) in moves {
            self.affected(v, &moved, &mut dirty, &mut grow);
        }
        let mut changes = Vec::new();
        self.apply_roots(roots, &mut dirty, &mut grow, &mut changes);
        let mut stack = Vec::new();
        for s in dirty {
            grow.remove(&s);
            self.research(s, &mut stack, &mut changes);
        }
        for (s, seeds) in grow {
            self.extend(s, seeds, &mut stack, &mut changes);
        }
        changes
    }

    /// (1) Applies the graph changes; returns, for every touched head that some sample here
    /// contains, its in-arcs whose threshold moved: (tail, before, after), `None` for no live arc.
    /// Samples rooted at a node that becomes or stops being an adopter go into `dirty`.
    fn apply_graph(
        &mut self,
        mut graph: Vec<(GraphChange, isize)>,
        dirty: &mut FxHashSet<Sample>,
    ) -> Vec<(Node, Vec<Moved>)> {
        let mut touched: FxHashSet<Node> = FxHashSet::default();
        for (change, _) in &graph {
            touched.extend(self.graph.touched(change));
            if let GraphChange::Adopter(a) = change {
                // A sample rooted at an adopter is empty; one rooted at a former adopter is not.
                dirty.extend(self.rooted.get(a).into_iter().flatten().copied());
            }
        }
        // Only heads that some sample here contains can flip anything.
        touched.retain(|v| self.containing.contains_key(v));
        let before: Vec<(Node, FxHashMap<Node, u64>)> = touched
            .iter()
            .map(|&v| (v, self.graph.live_in_arcs(v).collect()))
            .collect();
        // Retractions first, so that a fact moving from old to new replaces the old.
        graph.sort_by_key(|&(_, r)| r);
        for (change, r) in graph {
            self.graph.apply(change, r);
        }
        let mut moves = Vec::new();
        for (v, old) in before {
            let new: FxHashMap<Node, u64> = self.graph.live_in_arcs(v).collect();
            let moved: Vec<Moved> = old
                .iter()
                .map(|(&u, &t)| (u, Some(t), new.get(&u).copied()))
                .chain(
                    new.iter()
                        .filter(|(u, _)| !old.contains_key(*u))
                        .map(|(&u, &t)| (u, None, Some(t))),
                )
                .filter(|&(_, a, b)| a != b)
                .collect();
            if !moved.is_empty() {
                moves.push((v, moved));
            }
        }
        moves
    }

    /// (2) For a sample containing `v`, an arc u → v that dies matters only if it is the tree edge
    /// by which u was reached (then the sample is searched again); one that comes alive matters
    /// only if u is not a member yet (then the sample grows from u). Every other member keeps a
    /// live tree path to the root.
    fn affected(
        &self,
        v: Node,
        moved: &[Moved],
        dirty: &mut FxHashSet<Sample>,
        grow: &mut FxHashMap<Sample, Vec<(Node, Node)>>,
    ) {
        for s in self.containing.get(&v).into_iter().flatten() {
            if dirty.contains(s) {
                continue;
            }
            let tree = &self.rr[s];
            let coins = s.coins(self.seed);
            for &(u, before, after) in moved {
                let c = coins.coin(u, v);
                match (
                    before.is_some_and(|t| is_live(c, t)),
                    after.is_some_and(|t| is_live(c, t)),
                ) {
                    (true, false) if tree.get(&u) == Some(&v) => {
                        dirty.insert(*s);
                        break;
                    }
                    (false, true) if !tree.contains_key(&u) => {
                        grow.entry(*s).or_default().push((u, v));
                    }
                    _ => {}
                }
            }
        }
    }

    /// (3) New samples start empty and dirty; dropped ones retract their members.
    fn apply_roots(
        &mut self,
        roots: Vec<(Sample, isize)>,
        dirty: &mut FxHashSet<Sample>,
        grow: &mut FxHashMap<Sample, Vec<(Node, Node)>>,
        changes: &mut Vec<((Node, Sample), isize)>,
    ) {
        for (s, r) in roots {
            if r > 0 {
                self.rr.insert(s, FxHashMap::default());
                self.rooted.entry(s.root).or_default().insert(s);
                dirty.insert(s);
            } else if let Some(old) = self.rr.remove(&s) {
                dirty.remove(&s);
                grow.remove(&s);
                self.diff(s, &sorted(&old), &[], changes);
                let rooted = self
                    .rooted
                    .get_mut(&s.root)
                    .expect("a held sample is rooted");
                rooted.remove(&s);
                if rooted.is_empty() {
                    self.rooted.remove(&s.root);
                }
            }
        }
    }

    /// (4) Searches `s` again from its root (nothing when the root is an adopter).
    fn research(
        &mut self,
        s: Sample,
        stack: &mut Vec<Node>,
        changes: &mut Vec<((Node, Sample), isize)>,
    ) {
        let mut tree = FxHashMap::default();
        if !self.graph.is_adopter(s.root) {
            tree.insert(s.root, s.root);
            stack.push(s.root);
            self.search(s, stack, &mut tree, &mut Vec::new());
        }
        let old = self.rr.insert(s, tree).expect("dirty samples are held");
        let new = sorted(&self.rr[&s]);
        self.diff(s, &sorted(&old), &new, changes);
    }

    /// (5) Grows `s` from the tails of its arcs that came alive, `seeds` (tail, head).
    fn extend(
        &mut self,
        s: Sample,
        seeds: Vec<(Node, Node)>,
        stack: &mut Vec<Node>,
        changes: &mut Vec<((Node, Sample), isize)>,
    ) {
        let mut tree = self.rr.remove(&s).expect("growing samples are held");
        for (u, v) in seeds {
            if let std::collections::hash_map::Entry::Vacant(entry) = tree.entry(u) {
                entry.insert(v);
                stack.push(u);
            }
        }
        let mut added = stack.clone();
        self.search(s, stack, &mut tree, &mut added);
        for x in added {
            self.containing.entry(x).or_default().insert(s);
            changes.push(((x, s), 1));
        }
        self.rr.insert(s, tree);
    }

    /// Extends `tree` with every node that reaches one of it over arcs live in `s`, starting from
    /// the members on `stack` (which it empties); appends the nodes it adds to `added`.
    fn search(
        &self,
        s: Sample,
        stack: &mut Vec<Node>,
        tree: &mut FxHashMap<Node, Node>,
        added: &mut Vec<Node>,
    ) {
        let coins = s.coins(self.seed);
        while let Some(v) = stack.pop() {
            for (u, thr) in self.graph.live_in_arcs(v) {
                if !tree.contains_key(&u) && coins.live(u, v, thr) {
                    tree.insert(u, v);
                    stack.push(u);
                    added.push(u);
                }
            }
        }
    }

    /// Records the change of `s`'s RR set from `old` to `new` (both ascending).
    fn diff(
        &mut self,
        s: Sample,
        old: &[Node],
        new: &[Node],
        changes: &mut Vec<((Node, Sample), isize)>,
    ) {
        let (mut i, mut j) = (0, 0);
        while i < old.len() || j < new.len() {
            match (old.get(i), new.get(j)) {
                (Some(a), Some(b)) if a == b => {
                    i += 1;
                    j += 1;
                }
                (Some(&a), b) if b.is_none_or(|&b| a < b) => {
                    if let Some(samples) = self.containing.get_mut(&a) {
                        samples.remove(&s);
                        if samples.is_empty() {
                            self.containing.remove(&a);
                        }
                    }
                    changes.push(((a, s), -1));
                    i += 1;
                }
                (_, Some(&b)) => {
                    self.containing.entry(b).or_default().insert(s);
                    changes.push(((b, s), 1));
                    j += 1;
                }
                (_, None) => unreachable!("an old item with no new one is taken by the arm above"),
            }
        }
    }
}
