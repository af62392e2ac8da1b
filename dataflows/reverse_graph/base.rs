//! The graph loaded at a run's start, in compressed rows, read by every worker of a process.
//!
//! Every worker keeps its own graph (its samples read it while the others change theirs), but
//! the graph loaded at a run's start is the same for all of them. It is built once, as one array
//! of arcs per direction with each node's range in it (8 bytes a node a direction, no list
//! header), with the node ids and each head's stats beside it, and every worker's graph points at
//! it through an `Arc`. A worker that changes a node's arcs takes a copy of that node's list and
//! stats alone (see `ReverseGraph`), so a further worker costs a few bytes a node, not a graph.

use rustc_hash::FxHashMap;

use super::{Dense, InArc, OutArc, SIDE, in_arc_weight};
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
        for (d, &v) in base.nodes.iter().enumerate() {
            base.ids.insert(v, d as Dense);
        }
        base.in_start = starts(degrees.iter().map(|d| d[0]));
        base.out_start = starts(degrees.iter().map(|d| d[1]));
        drop(degrees);
        let empty = InArc {
            tail: 0,
            weight: 0,
            tail_node: 0,
        };
        base.in_arcs = vec![empty; base.in_start[n]];
        base.out_arcs = vec![OutArc { head: 0, weight: 0 }; base.out_start[n]];
        base.stats = vec![HeadStats::default(); n];
        // The next free slot of each node's range, per direction.
        let mut next_in = base.in_start.clone();
        let mut next_out = base.out_start.clone();
        arcs.for_each_arc(&mut |u, v, fact| {
            let (u, v) = (dense[u as usize], dense[v as usize]);
            let weight = in_arc_weight(&fact).unwrap_or_else(|| {
                base.side.insert((u, v), fact);
                SIDE
            });
            base.in_arcs[next_in[v as usize]] = InArc {
                tail: u,
                weight,
                tail_node: base.nodes[u as usize],
            };
            next_in[v as usize] += 1;
            base.out_arcs[next_out[u as usize]] = OutArc { head: v, weight };
            next_out[u as usize] += 1;
            base.stats[v as usize].add(&fact, 1);
        });
        base
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

    /// The in-arcs of every head, to sort in place before the graph is shared.
    pub(super) fn in_arcs_mut(&mut self) -> impl Iterator<Item = &mut [InArc]> {
        let mut rest: &mut [InArc] = &mut self.in_arcs;
        self.in_start.windows(2).map(move |w| {
            let (head, tail) = std::mem::take(&mut rest).split_at_mut(w[1] - w[0]);
            rest = tail;
            head
        })
    }

    /// The stats of head `v` (empty past the loaded nodes).
    pub(super) fn stats(&self, v: Dense) -> HeadStats {
        self.stats.get(v as usize).copied().unwrap_or_default()
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
