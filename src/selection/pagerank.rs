//! PageRank scores for the paper's PageRank baseline (`cimflow run --method pagerank`).
//!
//! Computed on P = G without the adopters, damping d = 0.85, by power iteration. Influence flows
//! along an arc u → v, so a node should earn rank from the nodes it can influence: the random
//! surfer walks arcs backwards, from v to one of its in-neighbours in P chosen uniformly (under
//! `wc` that is exactly the arc's probability 1/indeg(v), the reverse walk of an RR set), and
//! teleports uniformly with probability 1 − d or when v has no in-neighbour in P. On a graph of
//! friendships (both arcs) the direction makes no difference.
//!
//! Hand-written rather than taken from a graph crate: it is twenty lines over a CSR, and the
//! crates that offer it want their own graph type built first.

use rustc_hash::FxHashMap;

use crate::model::Node;

/// The damping factor: the chance of following an arc rather than teleporting.
pub const DAMPING: f64 = 0.85;

/// Iterations stop once the scores move by less than this in L1 norm (or after [`MAX_ROUNDS`]).
const TOLERANCE: f64 = 1e-10;
const MAX_ROUNDS: usize = 200;

/// PageRank of every node of P: `nodes` are P's nodes (adopters left out), `arcs` the arcs of G;
/// arcs with an endpoint outside `nodes` are dropped. The scores sum to 1.
pub fn pagerank(
    nodes: &[Node],
    arcs: impl IntoIterator<Item = (Node, Node)>,
) -> FxHashMap<Node, f64> {
    let mut nodes = nodes.to_vec();
    nodes.sort_unstable();
    nodes.dedup();
    let n = nodes.len();
    if n == 0 {
        return FxHashMap::default();
    }
    let dense = |v: Node| nodes.binary_search(&v).ok();
    // In-arcs of each head: the surfer at v moves to one of `tails[start[v]..start[v + 1]]`.
    let mut pairs: Vec<(usize, usize)> = arcs
        .into_iter()
        .filter(|(u, v)| u != v)
        .filter_map(|(u, v)| Some((dense(v)?, dense(u)?)))
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    let mut start = vec![0usize; n + 1];
    for &(v, _) in &pairs {
        start[v + 1] += 1;
    }
    for i in 0..n {
        start[i + 1] += start[i];
    }
    let tails: Vec<usize> = pairs.iter().map(|&(_, u)| u).collect();

    let mut rank = vec![1.0 / n as f64; n];
    let mut next = vec![0.0; n];
    for _ in 0..MAX_ROUNDS {
        let dangling: f64 = (0..n)
            .filter(|&v| start[v] == start[v + 1])
            .map(|v| rank[v])
            .sum();
        let base = ((1.0 - DAMPING) + DAMPING * dangling) / n as f64;
        next.fill(base);
        for v in 0..n {
            let from = &tails[start[v]..start[v + 1]];
            if !from.is_empty() {
                let share = DAMPING * rank[v] / from.len() as f64;
                for &u in from {
                    next[u] += share;
                }
            }
        }
        let moved: f64 = rank.iter().zip(&next).map(|(a, b)| (a - b).abs()).sum();
        std::mem::swap(&mut rank, &mut next);
        if moved < TOLERANCE {
            break;
        }
    }
    nodes.into_iter().zip(rank).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_nodes_by_hand() {
        // a → b: b's surfer walks back to a; a has no in-arc and teleports.
        // r_b = (1 − d)/2 + d·r_a/2 with r_a = 1 − r_b gives r_b = 1/(2 + d).
        let r = pagerank(&[1, 2], [(1, 2)]);
        let rb = 1.0 / (2.0 + DAMPING);
        assert!((r[&2] - rb).abs() < 1e-9, "{r:?}");
        assert!((r[&1] - (1.0 - rb)).abs() < 1e-9, "{r:?}");
    }

    #[test]
    fn the_influencer_ranks_first_and_adopters_are_left_out() {
        // 1 influences 2, 3 and 4; 4 influences 5; 9 is an adopter (not a node of P) that
        // influences 2 and 3: its arcs are dropped, so they change nothing.
        let arcs = [(1, 2), (1, 3), (1, 4), (4, 5), (9, 2), (9, 3)];
        let r = pagerank(&[1, 2, 3, 4, 5], arcs);
        assert!(!r.contains_key(&9));
        assert!((r.values().sum::<f64>() - 1.0).abs() < 1e-9);
        assert!(r[&1] > r[&4] && r[&4] > r[&2], "{r:?}");
        assert!((r[&2] - r[&3]).abs() < 1e-12);
        let without = pagerank(&[1, 2, 3, 4, 5], [(1, 2), (1, 3), (1, 4), (4, 5)]);
        for v in 1..=5 {
            assert!((r[&v] - without[&v]).abs() < 1e-12);
        }
    }

    #[test]
    fn no_nodes() {
        assert!(pagerank(&[], [(1, 2)]).is_empty());
    }
}
