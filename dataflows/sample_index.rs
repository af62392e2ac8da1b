//! One worker's samples and their RR sets, over its replica of the graph: what the `RrSets`
//! operator (rr_sets.rs, which says how the pieces fit) keeps and how a time's changes move it.

use differential_dataflow::consolidation::consolidate;
use rustc_hash::{FxHashMap, FxHashSet};

use inverted::Inverted;
use summary::Summary;

use super::reverse_graph::{Dense, GraphChange, ReverseGraph, Scale, Share};
use super::rr_sets::Membership;
use crate::model::{Coins, Model, Sample};

mod inverted;
mod moves;
mod repair;
mod summary;
mod walks;

/// An in-arc whose own fact or tail a time changed: (tail, its threshold before, after with how it
/// follows its head's scale), `None` where it passed nothing.
type Moved = (Dense, Option<u64>, Option<(u64, Share)>);

/// A change of `rr`: (dense node, sample id, ±1).
type RrChange = (Dense, u32, isize);

/// One member of a sample's RR set: the node, and the node through which the last search reached
/// it (the root: itself). Its summary of the node's in-arcs is in the node's inverted list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Member {
    node: Dense,
    parent: Dense,
}

impl Member {
    fn new(node: Dense, parent: Dense) -> Self {
        Member { node, parent }
    }
}

/// One held sample: its coins and its RR set as a spanning tree of live arcs towards the root,
/// sorted by member; under LT, where the tree is a chain (a reverse walk), in walk order from the
/// root instead (`tree[i + 1].parent == tree[i].node`), which is what a walk is changed by.
pub(crate) struct Held {
    sample: Sample,
    coins: Coins,
    tree: Vec<Member>,
}

impl Held {
    fn find(&self, u: Dense) -> Option<usize> {
        self.tree.binary_search_by_key(&u, |m| m.node).ok()
    }

    fn parent(&self, u: Dense) -> Option<Dense> {
        self.find(u).map(|i| self.tree[i].parent)
    }
}

/// How the in-arcs of one head moved in one time: the arcs that came, went, or changed otherwise
/// (`singles`: before, and after with how it follows the scale), and, when the head's scale
/// moved, from what to what (every other in-arc following it moved so).
struct HeadMove {
    v: Dense,
    singles: Vec<Moved>,
    shared: Option<(Scale, Scale)>,
}

/// One worker's samples with their RR sets, over a replica of the graph.
pub(crate) struct SampleIndex {
    seed: u64,
    /// The linear threshold model: samples are walks (walks.rs), not searches.
    lt: bool,
    with_rr: bool,
    graph: ReverseGraph,
    /// By sample id; `None` for a free id.
    pub(crate) held: Vec<Option<Held>>,
    ids: FxHashMap<Sample, u32>,
    free: Vec<u32>,
    /// Dense node → ids of this worker's samples whose RR set contains it.
    containing: Inverted,
    /// Dense root → ids of this worker's samples rooted there.
    rooted: FxHashMap<Dense, Vec<u32>>,
    /// Search marks: `seen[v] == stamp` while `v` is in the tree being searched.
    seen: Vec<u32>,
    stamp: u32,
    /// A search's summaries, by position in the tree it grows.
    sums: Vec<Summary>,
}

impl SampleIndex {
    pub(crate) fn new(model: Model, seed: u64, with_rr: bool) -> Self {
        SampleIndex {
            seed,
            lt: model.is_lt(),
            with_rr,
            graph: ReverseGraph::new(model),
            held: Vec::new(),
            ids: FxHashMap::default(),
            free: Vec::new(),
            containing: Inverted::default(),
            rooted: FxHashMap::default(),
            seen: Vec::new(),
            stamp: 0,
            sums: Vec::new(),
        }
    }

    /// Whether no graph change or sample came yet: the first arcs may be loaded in bulk.
    pub(crate) fn is_fresh(&self) -> bool {
        self.graph.is_empty() && self.held.is_empty()
    }

    /// Takes `graph` (loaded in bulk) as the graph, before any sample or change exists.
    pub(crate) fn load(&mut self, graph: ReverseGraph) {
        assert!(
            self.is_fresh(),
            "a bulk graph comes at a run's first time, before any graph change or sample"
        );
        self.graph = graph;
        self.containing.resize(self.graph.len());
    }

    /// Applies one time's graph and root changes; returns the membership changes.
    ///
    /// Phases: (1) apply the graph changes, noting for every touched head that some sample here
    /// contains how its live in-arcs moved, and which nodes may have changed candidate status;
    /// (2) from those moves, the samples that lost tree edges (`cut`), the ones with arcs come
    /// alive from outside (`grow`; a sample may be in both), and the ones to search again
    /// (`dirty`: a root that became or stopped being an adopter); (3) add and drop roots; (4)
    /// repair the cut samples; (5) search the dirty samples from their roots; (6) grow the others
    /// from their new tails, after their repair; (7) report the changes of `rr`, restricted to
    /// candidates (and whole, when asked for).
    pub(crate) fn advance(
        &mut self,
        mut graph: Vec<(GraphChange, isize)>,
        mut roots: Vec<(Sample, isize)>,
    ) -> Vec<(Membership, isize)> {
        if self.lt {
            return self.advance_lt(graph, roots);
        }
        consolidate(&mut graph);
        consolidate(&mut roots);
        let mut dirty: FxHashSet<u32> = FxHashSet::default();
        let mut grow: FxHashMap<u32, Vec<(Dense, Dense)>> = FxHashMap::default();
        let mut cut: FxHashMap<u32, Vec<Dense>> = FxHashMap::default();
        let (moves, flips) = self.apply_graph(graph, &mut dirty);
        for head in moves {
            self.affected(&head, &mut dirty, &mut cut, &mut grow);
        }
        // A sample that both lost a tree edge and gained an arc is repaired, then grown from the
        // new arcs whose heads it kept (`extend`): the repair reads the graph as it is now, so a
        // cut member with a new live arc into the rest is kept, and what is reachable only over
        // a new arc from outside the sample, former members included, the growth finds.
        cut.retain(|id, _| !dirty.contains(id));
        let mut changes: Vec<RrChange> = Vec::new();
        let mut gone = Vec::new();
        self.apply_roots(roots, &mut dirty, &mut grow, &mut changes, &mut gone);
        let mut stack = Vec::new();
        let mut cut: Vec<(u32, Vec<Dense>)> = cut.into_iter().collect();
        cut.sort_unstable_by_key(|c| c.0);
        for (id, nodes) in cut {
            // Dropped samples (in `gone`) and fresh searches need no repair.
            if !dirty.contains(&id) && !gone.contains(&id) {
                self.repair(id, &nodes, &mut stack, &mut changes);
            }
        }
        let mut dirty: Vec<u32> = dirty.into_iter().collect();
        dirty.sort_unstable();
        for id in dirty {
            grow.remove(&id);
            self.research(id, &mut stack, &mut changes);
        }
        let mut grow: Vec<(u32, Vec<(Dense, Dense)>)> = grow.into_iter().collect();
        grow.sort_unstable_by_key(|g| g.0);
        for (id, seeds) in grow {
            self.extend(id, seeds, &mut stack, &mut changes);
        }
        let out = self.report(&changes, &flips);
        self.release(gone);
        out
    }

    /// Frees the ids of the samples dropped in this time, once their changes are reported.
    fn release(&mut self, gone: Vec<u32>) {
        for id in gone {
            let held = self.held[id as usize]
                .take()
                .expect("a dropped sample was held");
            self.ids.remove(&held.sample);
            self.free.push(id);
        }
    }

    /// (3) New samples start empty and dirty; dropped ones retract their members (their ids are
    /// freed once the changes are reported, in `gone`).
    fn apply_roots(
        &mut self,
        roots: Vec<(Sample, isize)>,
        dirty: &mut FxHashSet<u32>,
        grow: &mut FxHashMap<u32, Vec<(Dense, Dense)>>,
        changes: &mut Vec<RrChange>,
        gone: &mut Vec<u32>,
    ) {
        for (s, r) in roots {
            if r > 0 {
                let id = match self.free.pop() {
                    Some(id) => id,
                    None => {
                        self.held.push(None);
                        self.held.len() as u32 - 1
                    }
                };
                self.held[id as usize] = Some(Held {
                    sample: s,
                    coins: s.coins(self.seed),
                    tree: Vec::new(),
                });
                self.ids.insert(s, id);
                let root = self.graph.intern(s.root);
                self.containing.resize(self.graph.len());
                self.rooted.entry(root).or_default().push(id);
                dirty.insert(id);
            } else if let Some(&id) = self.ids.get(&s) {
                dirty.remove(&id);
                grow.remove(&id);
                let old: Vec<Dense> = std::mem::take(
                    &mut self.held[id as usize].as_mut().expect("a held sample").tree,
                )
                .iter()
                .map(|m| m.node)
                .collect();
                self.diff(id, &old, &[], changes);
                let root = self
                    .graph
                    .id(s.root)
                    .expect("a held sample's root was interned");
                let rooted = self.rooted.get_mut(&root).expect("a held sample is rooted");
                rooted.retain(|&x| x != id);
                if rooted.is_empty() {
                    self.rooted.remove(&root);
                }
                gone.push(id);
            }
        }
    }

    /// (5) Searches sample `id` again from its root (nothing when the root is an adopter).
    fn research(&mut self, id: u32, stack: &mut Vec<usize>, changes: &mut Vec<RrChange>) {
        let held = self.held[id as usize]
            .as_ref()
            .expect("a dirty sample is held");
        let root = self.graph.id(held.sample.root).expect("interned");
        let coins = held.coins;
        if self.lt {
            return self.rewalk_from_root(id, root, changes);
        }
        let mut tree = Vec::new();
        if !self.graph.is_adopter(root) {
            self.next_stamp();
            self.mark(root);
            tree.push(Member::new(root, root));
            stack.push(0);
            self.search(coins, stack, &mut tree, 0);
        }
        // Members that stay keep their entries, whose summaries every time's moves keep valid.
        let mut new: Vec<(Dense, Summary)> = tree
            .iter()
            .zip(&self.sums)
            .map(|(m, &summary)| (m.node, summary))
            .collect();
        new.sort_unstable_by_key(|m| m.0);
        tree.sort_unstable_by_key(|m| m.node);
        let held = self.held[id as usize].as_mut().expect("held");
        let old = std::mem::replace(&mut held.tree, tree);
        let old: Vec<Dense> = old.iter().map(|m| m.node).collect();
        self.diff(id, &old, &new, changes);
    }

    /// (6) Grows sample `id` from the tails of its arcs that came alive, `seeds` (tail, head).
    fn extend(
        &mut self,
        id: u32,
        seeds: Vec<(Dense, Dense)>,
        stack: &mut Vec<usize>,
        changes: &mut Vec<RrChange>,
    ) {
        let held = self.held[id as usize]
            .as_mut()
            .expect("a growing sample is held");
        let mut tree = std::mem::take(&mut held.tree);
        let coins = held.coins;
        let before = tree.len();
        self.next_stamp();
        for m in &tree {
            self.seen[m.node as usize] = self.stamp;
        }
        for (u, v) in seeds {
            // A repair in this time may have cut the head off: then the arc leads nowhere.
            if self.seen[v as usize] == self.stamp && self.seen[u as usize] != self.stamp {
                self.mark(u);
                stack.push(tree.len());
                tree.push(Member::new(u, v));
            }
        }
        self.search(coins, stack, &mut tree, before);
        for (m, &summary) in tree[before..].iter().zip(&self.sums) {
            self.containing.push(m.node, id, summary);
            changes.push((m.node, id, 1));
        }
        tree.sort_unstable_by_key(|m| m.node);
        self.held[id as usize].as_mut().expect("held").tree = tree;
    }

    fn next_stamp(&mut self) {
        self.seen.resize(self.graph.len(), 0);
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            self.seen.fill(0);
            self.stamp = 1;
        }
    }

    fn mark(&mut self, v: Dense) {
        self.seen[v as usize] = self.stamp;
    }

    /// Extends `tree` with every node that reaches one of it over arcs live under `coins`,
    /// starting from the members whose positions in `tree` are on `stack` (which it empties).
    /// Members are marked in `seen`; each member expanded, all those from position `from` on,
    /// gets its summary of coins in `sums[position − from]`.
    fn search(
        &mut self,
        coins: Coins,
        stack: &mut Vec<usize>,
        tree: &mut Vec<Member>,
        from: usize,
    ) {
        self.sums.clear();
        while let Some(at) = stack.pop() {
            let v = tree[at].node;
            let head = self.graph.node(v);
            let mut summary = Summary::EMPTY;
            for arc in self.graph.tested_in_arcs(v) {
                let u = arc.tail;
                // Most arcs are dead and move no bound of the summary: for those, whether the
                // tail is an adopter or already in the tree does not matter, and the two random
                // reads that would tell are skipped (a sixth of a cold start at R-MAT scale 20);
                // the coin's tail node comes with the arc.
                let noted = match arc.share {
                    // Not in the summary: only a fresh tail's coin is wanted.
                    Share::Own => None,
                    share => {
                        let c = coins.coin(arc.tail_node, head);
                        let live = arc.bar.live(c);
                        let mut noted = summary;
                        noted.note(c, live, share);
                        if !live && noted == summary {
                            continue;
                        }
                        Some((c, noted))
                    }
                };
                if self.graph.is_adopter(u) {
                    continue;
                }
                let fresh = self.seen[u as usize] != self.stamp;
                let c = match noted {
                    Some((c, noted)) => {
                        summary = noted;
                        c
                    }
                    None if !fresh => continue,
                    None => coins.coin(arc.tail_node, head),
                };
                if fresh && arc.bar.live(c) {
                    self.seen[u as usize] = self.stamp;
                    stack.push(tree.len());
                    tree.push(Member::new(u, v));
                }
            }
            let i = at - from;
            if self.sums.len() <= i {
                self.sums.resize(i + 1, Summary::UNKNOWN);
            }
            self.sums[i] = summary;
        }
        debug_assert_eq!(self.sums.len(), tree.len() - from);
    }

    /// Records the change of sample `id`'s RR set from `old` to `new` (both ascending; a new
    /// member comes with its summary).
    fn diff(
        &mut self,
        id: u32,
        old: &[Dense],
        new: &[(Dense, Summary)],
        changes: &mut Vec<RrChange>,
    ) {
        let (mut i, mut j) = (0, 0);
        while i < old.len() || j < new.len() {
            match (old.get(i).copied(), new.get(j).copied()) {
                (Some(a), Some((b, _))) if a == b => {
                    i += 1;
                    j += 1;
                }
                (Some(a), b) if b.is_none_or(|(b, _)| a < b) => {
                    self.containing.remove(a, id);
                    changes.push((a, id, -1));
                    i += 1;
                }
                (_, Some((b, summary))) => {
                    self.containing.push(b, id, summary);
                    changes.push((b, id, 1));
                    j += 1;
                }
                (_, None) => unreachable!("an old item with no new one is taken by the arm above"),
            }
        }
    }

    /// (7) The membership changes to report: `rr`'s changes of candidates, as candidates are
    /// after this time (the nodes whose status flipped: all their memberships before, retracted,
    /// and after, asserted); and all of `rr`'s changes when asked for.
    fn report(
        &self,
        changes: &[RrChange],
        flips: &[(Dense, bool, Vec<u32>)],
    ) -> Vec<(Membership, isize)> {
        let sample = |id: u32| {
            self.held[id as usize]
                .as_ref()
                .expect("a changed sample is still held")
                .sample
        };
        let flipped: FxHashSet<Dense> = flips.iter().map(|f| f.0).collect();
        let mut out = Vec::new();
        for &(x, id, r) in changes {
            let node = self.graph.node(x);
            if self.with_rr {
                out.push((Membership::Any(node, sample(id)), r));
            }
            if !flipped.contains(&x) && self.graph.is_candidate(x) {
                out.push((Membership::Candidate(node, sample(id)), r));
            }
        }
        for (x, was, before) in flips {
            let node = self.graph.node(*x);
            let candidate = |id: u32| Membership::Candidate(node, sample(id));
            if *was {
                out.extend(before.iter().map(|&id| (candidate(id), -1)));
            } else {
                out.extend(self.containing.ids(*x).map(|id| (candidate(id), 1)));
            }
        }
        out
    }
}
