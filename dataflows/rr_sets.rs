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
//! that hash to it, keeps a replica of the live reverse graph (the arcs are broadcast), and
//! holds its samples' RR sets in a plain index with an inverted list (node → samples containing
//! it). At each time, once both inputs are complete, it applies the arc and root changes,
//! re-searches exactly the samples that contain a head whose in-arcs changed (an arc `u → v`
//! matters to sample `s` only if `v` is in `rr(s)`) and the new samples, and emits the
//! membership changes as a differential collection that the rest of the dataflow counts.
//! A search is a depth-first walk over live in-arcs with the shared coins, so the result is
//! the rule's least fixed point, the same on any number of workers.

use std::collections::BTreeMap;

use differential_dataflow::consolidation::consolidate;
use differential_dataflow::{AsCollection, Hashable, VecCollection};
use rustc_hash::{FxHashMap, FxHashSet};
use timely::dataflow::channels::pact::{Exchange, Pipeline};
use timely::dataflow::operators::Capability;
use timely::dataflow::operators::generic::Operator;
use timely::dataflow::operators::vec::Broadcast;

use super::Time;
use crate::model::{Node, Sample};

/// A live reverse arc: head `v`, tail `u`, threshold.
type RevArc = (Node, (Node, u64));

/// An in-arc whose threshold moved: tail, threshold before and after (`None`: no arc).
type Moved = (Node, Option<u64>, Option<u64>);

/// `(v, s)`: node `v` is in the RR set of sample `s`.
pub fn reverse_reachable<'s>(
    arc_p: VecCollection<'s, Time, RevArc>,
    roots: VecCollection<'s, Time, Sample>,
    adopters: VecCollection<'s, Time, Node>,
    seed: u64,
) -> VecCollection<'s, Time, (Node, Sample)> {
    // Adopters pass no influence on: drop their out-arcs (keyed by tail) and their samples.
    let live_rev = arc_p
        .map(|(v, (u, thr))| (u, (v, thr)))
        .antijoin(adopters.clone())
        .map(|(u, (v, thr))| (v, (u, thr)));
    let seeds = roots
        .map(|s| (s.root, s))
        .antijoin(adopters)
        .map(|(_, s)| s);

    let by_sample = Exchange::new(|(s, _, _): &(Sample, Time, isize)| s.hashed());
    live_rev
        .inner
        .broadcast()
        .binary_frontier(seeds.inner, Pipeline, by_sample, "RrSets", move |_, _| {
            let mut index = SampleIndex::new(seed);
            let mut pending: BTreeMap<Time, Pending> = BTreeMap::new();
            move |(arcs, arcs_frontier), (roots, roots_frontier), output| {
                let port = output.output_index();
                arcs.for_each(|cap, data| {
                    for (arc, t, r) in data.drain(..) {
                        let entry = pending
                            .entry(t)
                            .or_insert_with(|| Pending::new(cap.delayed(&t, port)));
                        entry.arcs.push((arc, r));
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
                    if arcs_frontier.frontier().less_equal(&t)
                        || roots_frontier.frontier().less_equal(&t)
                    {
                        break;
                    }
                    let Pending { cap, arcs, roots } = entry.remove();
                    let changes = index.advance(arcs, roots);
                    output
                        .session(&cap)
                        .give_iterator(changes.into_iter().map(|(d, r)| (d, t, r)));
                }
            }
        })
        .as_collection()
}

/// The changes of one time, held under a capability for it.
struct Pending {
    cap: Capability<Time>,
    arcs: Vec<(RevArc, isize)>,
    roots: Vec<(Sample, isize)>,
}

impl Pending {
    fn new(cap: Capability<Time>) -> Self {
        Pending {
            cap,
            arcs: Vec::new(),
            roots: Vec::new(),
        }
    }
}

/// One worker's samples with their RR sets, over a replica of the live reverse graph.
struct SampleIndex {
    seed: u64,
    /// Head → tail → threshold.
    in_arcs: FxHashMap<Node, FxHashMap<Node, u64>>,
    /// This worker's samples and their RR sets, ascending.
    rr: FxHashMap<Sample, Vec<Node>>,
    /// Node → this worker's samples whose RR set contains it.
    containing: FxHashMap<Node, FxHashSet<Sample>>,
}

impl SampleIndex {
    fn new(seed: u64) -> Self {
        SampleIndex {
            seed,
            in_arcs: FxHashMap::default(),
            rr: FxHashMap::default(),
            containing: FxHashMap::default(),
        }
    }

    /// Applies one time's arc and root changes; returns the membership changes.
    fn advance(
        &mut self,
        mut arcs: Vec<(RevArc, isize)>,
        mut roots: Vec<(Sample, isize)>,
    ) -> Vec<((Node, Sample), isize)> {
        consolidate(&mut arcs);
        consolidate(&mut roots);
        let mut changes = Vec::new();
        let mut dirty: FxHashSet<Sample> = FxHashSet::default();

        // Per changed arc, its threshold before and after (`None`: no arc). Retractions come
        // first, so that a threshold moving from old to new pairs up.
        arcs.sort_by_key(|&(_, r)| r);
        let mut moved: FxHashMap<(Node, Node), (Option<u64>, Option<u64>)> = FxHashMap::default();
        for ((v, (u, thr)), r) in arcs {
            let tails = self.in_arcs.entry(v).or_default();
            if r > 0 {
                tails.insert(u, thr);
                moved.entry((v, u)).or_default().1 = Some(thr);
            } else if tails.get(&u) == Some(&thr) {
                tails.remove(&u);
                if tails.is_empty() {
                    self.in_arcs.remove(&v);
                }
                moved.entry((v, u)).or_default().0 = Some(thr);
            }
        }
        // A sample changes only if it contains the head of an arc whose liveness in it changed:
        // under `wc` a new in-arc moves every threshold of its head, but flips few coins.
        let mut by_head: FxHashMap<Node, Vec<Moved>> = FxHashMap::default();
        for ((v, u), (before, after)) in moved {
            by_head.entry(v).or_default().push((u, before, after));
        }
        for (v, arcs) in by_head {
            for s in self.containing.get(&v).into_iter().flatten() {
                let coins = s.coins(self.seed);
                let flips = |&(u, before, after): &Moved| {
                    let c = coins.coin(u, v);
                    before.is_some_and(|t| c < t) != after.is_some_and(|t| c < t)
                };
                if !dirty.contains(s) && arcs.iter().any(flips) {
                    dirty.insert(*s);
                }
            }
        }
        for (s, r) in roots {
            if r > 0 {
                self.rr.insert(s, Vec::new());
                dirty.insert(s);
            } else if let Some(old) = self.rr.remove(&s) {
                dirty.remove(&s);
                self.retract(s, &old, &mut changes);
            }
        }

        let mut stack = Vec::new();
        let mut seen = FxHashSet::default();
        for s in dirty {
            let new = self.search(s, &mut stack, &mut seen);
            let old = self
                .rr
                .insert(s, new.clone())
                .expect("dirty samples are held");
            self.diff(s, &old, &new, &mut changes);
        }
        changes
    }

    /// Every node that reaches `s.root` over arcs live in `s`, ascending.
    fn search(&self, s: Sample, stack: &mut Vec<Node>, seen: &mut FxHashSet<Node>) -> Vec<Node> {
        let coins = s.coins(self.seed);
        seen.clear();
        seen.insert(s.root);
        stack.push(s.root);
        while let Some(v) = stack.pop() {
            for (&u, &thr) in self.in_arcs.get(&v).into_iter().flatten() {
                if !seen.contains(&u) && coins.coin(u, v) < thr {
                    seen.insert(u);
                    stack.push(u);
                }
            }
        }
        let mut members: Vec<Node> = seen.iter().copied().collect();
        members.sort_unstable();
        members
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
                    self.leave(a, s);
                    changes.push(((a, s), -1));
                    i += 1;
                }
                (_, Some(&b)) => {
                    self.containing.entry(b).or_default().insert(s);
                    changes.push(((b, s), 1));
                    j += 1;
                }
                (None, None) => unreachable!("the loop runs while either list has items"),
                (Some(_), None) => unreachable!("covered by the arm above"),
            }
        }
    }

    fn retract(&mut self, s: Sample, old: &[Node], changes: &mut Vec<((Node, Sample), isize)>) {
        for &v in old {
            self.leave(v, s);
            changes.push(((v, s), -1));
        }
    }

    fn leave(&mut self, v: Node, s: Sample) {
        if let Some(samples) = self.containing.get_mut(&v) {
            samples.remove(&s);
            if samples.is_empty() {
                self.containing.remove(&v);
            }
        }
    }
}
