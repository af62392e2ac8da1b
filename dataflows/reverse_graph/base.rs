//! The graph loaded at a run's start, in compressed rows, read by every worker of a process.
//!
//! Every worker keeps its own graph (its samples read it while the others change theirs), but
//! the graph loaded at a run's start is the same for all of them. It is built once, as one array
//! of arcs per direction with each node's range in it (8 bytes a node a direction, no list
//! header), with the node ids and each head's stats beside it, and every worker's graph points at
//! it through an `Arc`. A worker that changes a node's arcs takes a copy of that node's list and
//! stats alone (see `ReverseGraph`), so a further worker costs a few bytes a node, not a graph.

use std::ops::Range;

use rustc_hash::FxHashMap;

use super::{Dense, InArc, OutArc, SIDE, arc_fact, in_arc_weight, is_wide};
use crate::ArcSource;
use crate::model::{ArcFact, HeadStats, Node};
use crate::node_ids::NodeIds;

/// The loaded graph: dense ids `0..len()`, in the order the arcs first use them.
#[derive(Default)]
pub(super) struct Base {
    pub(super) ids: NodeIds,
    /// Dense id → node.
    pub(super) nodes: Vec<Node>,
    /// `in_arcs[in_start[v]..in_start[v + 1]]`: the in-arcs of head `v`.
    in_start: Vec<usize>,
    in_arcs: Vec<InArc>,
    /// The same for out-arcs.
    out_start: Vec<usize>,
    out_arcs: Vec<OutArc>,
    stats: Vec<HeadStats>,
    /// Facts that do not fit an [`InArc`], by (tail, head).
    pub(super) side: FxHashMap<(Dense, Dense), ArcFact>,
    /// Some node id needs more than 32 bits (see [`super::ReverseGraph::tail_node`]).
    pub(super) wide: bool,
}

impl Base {
    /// The graph of `arcs`, each list in the order the source gives its arcs; nodes no arc uses
    /// take no id.
    pub(super) fn build(arcs: &impl ArcSource) -> Self {
        let source = arcs.nodes();
        let mut base = Base::default();
        // Source index → dense id, given out on first use.
        let mut dense = vec![Dense::MAX; source.len()];
        let mut degrees: Vec<[usize; 2]> = Vec::new();
        // The arc arrays are written over once before they are filled: another thread does that
        // while this one reads the arcs for their ids and degrees.
        let count = arcs.arc_count();
        let arrays = std::thread::spawn(move || {
            let in_arcs = vec![InArc::new(0, 0, 0); count];
            (in_arcs, vec![OutArc { head: 0, weight: 0 }; count])
        });
        arcs.for_each_arc(&mut |u, v, _| {
            let [u, v] = [u, v].map(|i| {
                let d = &mut dense[i as usize];
                if *d == Dense::MAX {
                    *d = base.nodes.len() as Dense;
                    base.nodes.push(source[i as usize]);
                    degrees.push([0, 0]);
                }
                *d as usize
            });
            degrees[v][0] += 1;
            degrees[u][1] += 1;
        });
        let n = base.nodes.len();
        base.nodes.shrink_to_fit();
        base.wide = base.nodes.iter().any(|&v| is_wide(v));
        // The table's bound once every id is in, from the first: no growth while they go in.
        base.ids.allow(2 * n);
        for (d, &v) in base.nodes.iter().enumerate() {
            base.ids.insert(v, d as Dense);
        }
        base.in_start = starts(degrees.iter().map(|d| d[0]));
        base.out_start = starts(degrees.iter().map(|d| d[1]));
        drop(degrees);
        (base.in_arcs, base.out_arcs) = arrays.join().expect("allocating does not panic");
        assert_eq!(
            base.in_start[n], count,
            "the source counts the arcs it gives"
        );
        // Two threads fill the rows of the nodes below and from `mid`, each reading every arc:
        // the in-arcs' writes land anywhere in their array, and two threads keep twice as many
        // of those misses in flight. `mid` halves the writes.
        let half = base.in_start[n] + base.out_start[n];
        let mid = (base.in_start.iter().zip(&base.out_start))
            .position(|(i, o)| 2 * (i + o) >= half)
            .unwrap_or(n);
        let (in_low, in_high) = base.in_arcs.split_at_mut(base.in_start[mid]);
        let (out_low, out_high) = base.out_arcs.split_at_mut(base.out_start[mid]);
        let known = Known {
            arcs,
            dense: &dense,
            nodes: &base.nodes,
            in_start: &base.in_start,
            out_start: &base.out_start,
        };
        let (side_low, side_high) = std::thread::scope(|scope| {
            let high = scope.spawn(|| {
                known.fill(Rows {
                    nodes: mid..n,
                    in_arcs: in_high,
                    out_arcs: out_high,
                })
            });
            let low = known.fill(Rows {
                nodes: 0..mid,
                in_arcs: in_low,
                out_arcs: out_low,
            });
            (low, high.join().expect("the graph's build does not panic"))
        });
        base.side = side_low;
        base.side.extend(side_high);
        // Each head's stats from its row, read in order, rather than a scattered update per arc.
        base.stats = (0..n as Dense)
            .map(|v| {
                let mut stats = HeadStats::default();
                for arc in base.in_arcs(v) {
                    stats.add(&base.fact(arc, v), 1);
                }
                stats
            })
            .collect();
        base
    }

    /// The fact of in-arc `arc` of head `v`, as the source gave it.
    fn fact(&self, arc: &InArc, v: Dense) -> ArcFact {
        arc_fact(arc.weight, || self.side[&(arc.tail, v)])
    }

    /// The number of dense ids.
    pub(super) fn len(&self) -> usize {
        self.nodes.len()
    }

    /// The in-arcs of head `v` (none past the loaded nodes).
    pub(super) fn in_arcs(&self, v: Dense) -> &[InArc] {
        range(&self.in_start, &self.in_arcs, v)
    }

    /// The out-arcs of tail `u` (none past the loaded nodes).
    pub(super) fn out_arcs(&self, u: Dense) -> &[OutArc] {
        range(&self.out_start, &self.out_arcs, u)
    }

    /// Sorts every head's in-arcs by their tails' node ids, before the graph is shared.
    pub(super) fn sort_in_arcs_by_tail_node(&mut self) {
        let Base {
            in_arcs,
            in_start,
            nodes,
            wide,
            ..
        } = self;
        let mut rest: &mut [InArc] = in_arcs;
        for w in in_start.windows(2) {
            let (head, tail) = std::mem::take(&mut rest).split_at_mut(w[1] - w[0]);
            head.sort_by_key(|a| a.tail_node(*wide, |d| nodes[d as usize]));
            rest = tail;
        }
    }

    /// The stats of head `v` (empty past the loaded nodes).
    pub(super) fn stats(&self, v: Dense) -> HeadStats {
        self.stats.get(v as usize).copied().unwrap_or_default()
    }
}

/// What filling a range of rows reads: the arcs, their dense ids and the rows' starts.
struct Known<'a, S> {
    arcs: &'a S,
    /// Source index → dense id.
    dense: &'a [Dense],
    nodes: &'a [Node],
    in_start: &'a [usize],
    out_start: &'a [usize],
}

/// The rows of the dense ids `nodes`: their part of the arrays, to fill.
struct Rows<'a> {
    nodes: Range<usize>,
    in_arcs: &'a mut [InArc],
    out_arcs: &'a mut [OutArc],
}

impl<S: ArcSource> Known<'_, S> {
    /// Fills `rows` (each row in the order the source gives its arcs); returns the facts of
    /// their in-arcs that go in the side table.
    fn fill(&self, rows: Rows) -> FxHashMap<(Dense, Dense), ArcFact> {
        let first = rows.nodes.start;
        let offsets = |start: &[usize]| -> Vec<usize> {
            start[rows.nodes.clone()]
                .iter()
                .map(|s| s - start[first])
                .collect()
        };
        let (mut next_in, mut next_out) = (offsets(self.in_start), offsets(self.out_start));
        let mut side = FxHashMap::default();
        self.arcs.for_each_arc(&mut |u, v, fact| {
            let (u, v) = (self.dense[u as usize], self.dense[v as usize]);
            let weight = in_arc_weight(&fact).unwrap_or(SIDE);
            if rows.nodes.contains(&(v as usize)) {
                if weight == SIDE {
                    side.insert((u, v), fact);
                }
                let at = &mut next_in[v as usize - first];
                rows.in_arcs[*at] = InArc::new(u, weight, self.nodes[u as usize]);
                *at += 1;
            }
            if rows.nodes.contains(&(u as usize)) {
                let at = &mut next_out[u as usize - first];
                rows.out_arcs[*at] = OutArc { head: v, weight };
                *at += 1;
            }
        });
        side
    }
}

/// Prefix sums of `counts`, with a leading 0: the start of every range and the end of the last.
fn starts(counts: impl Iterator<Item = usize>) -> Vec<usize> {
    let mut at = 0;
    std::iter::once(0)
        .chain(counts.map(|c| {
            at += c;
            at
        }))
        .collect()
}

fn range<'a, A>(start: &[usize], arcs: &'a [A], d: Dense) -> &'a [A] {
    match start.get(d as usize + 1) {
        Some(&end) => &arcs[start[d as usize]..end],
        None => &[],
    }
}
