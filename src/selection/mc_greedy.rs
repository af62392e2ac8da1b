//! The paper's MG-Greedy with Monte Carlo estimates (`cimflow run --method mc-greedy`): the
//! marginal-gain greedy of [`super::mg`], with every marginal spread Δσ(v | S) estimated by
//! forward simulation of the independent cascade on P = G − A instead of RR coverage, and CELF
//! lazy evaluation (Leskovec et al., KDD 2007): a candidate's last estimate bounds its current
//! gain (submodularity), so only the head of a max-heap is re-estimated, until the head is fresh.
//!
//! The estimates use common random numbers: `runs` live-arc snapshots of P are drawn once (arc
//! u → v live with its probability, from a seeded `StdRng`), and Δσ(v | S) is the mean over the
//! snapshots of the nodes v reaches that S does not. What S reaches is kept per snapshot, so an
//! estimate only walks the part of the cascade that is new, and comparisons between candidates
//! are not blurred by independent noise. Under the linear threshold model the snapshots are its
//! live-edge form instead: each node keeps at most one in-arc, u → v with probability b(u, v)
//! (an adopter's arc may be the one kept, and is then dropped with it). Memory is `runs` × (|arcs of P| + |nodes of P|) bits.
//!
//! It is the quality ceiling the RR methods are held to, and costs O(runs · cascade) per
//! estimate: practical on graphs of a few thousand nodes.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};

use crate::model::Node;

use super::mg::inviter;
use super::{Pick, Problem};

/// MG-Greedy over `problem` with `runs` Monte Carlo snapshots of `arcs` (u, v, threshold), the
/// adopters' arcs included (they are dropped here), under LT when `lt` (the thresholds are then
/// the weights). `gain` is Δσ summed over the snapshots.
pub fn mc_greedy(
    problem: &Problem,
    arcs: &[(Node, Node, u64)],
    lt: bool,
    runs: usize,
    seed: u64,
) -> Vec<Pick> {
    let sim = Snapshots::new(problem, arcs, lt, runs.max(1), seed);
    let mut cands: Vec<Node> = problem.candidates.iter().flatten().copied().collect();
    cands.sort_unstable();
    cands.dedup();
    let mut inviters: Vec<Vec<usize>> = vec![Vec::new(); cands.len()];
    for (a, list) in problem.candidates.iter().enumerate() {
        for c in list {
            inviters[cands.binary_search(c).expect("a candidate")].push(a);
        }
    }
    let mut left: Vec<u32> = problem.adopters.iter().map(|&(_, k)| k).collect();
    let mut covered = vec![0u64; sim.words * sim.runs];
    let mut scratch = Walk::new(sim.nodes.len());

    // (estimate, smallest id first, the number of picks it was estimated after).
    let mut heap: BinaryHeap<(u64, Reverse<usize>, usize)> = BinaryHeap::new();
    for (c, &v) in cands.iter().enumerate() {
        heap.push((sim.reach(v, &covered, &mut scratch), Reverse(c), 0));
    }
    let mut picks = Vec::new();
    while let Some((gain, Reverse(c), stamp)) = heap.pop() {
        if stamp != picks.len() {
            let fresh = sim.reach(cands[c], &covered, &mut scratch);
            heap.push((fresh, Reverse(c), picks.len()));
            continue;
        }
        let Some(a) = inviter(&inviters[c], &left) else {
            continue;
        };
        left[a] -= 1;
        sim.cover(cands[c], &mut covered, &mut scratch);
        picks.push(Pick {
            adopter: problem.adopters[a].0,
            friend: cands[c],
            gain,
        });
    }
    picks
}

/// `runs` live-arc snapshots of P, as bitsets over a forward CSR.
struct Snapshots {
    /// P's nodes, ascending; a node's position is its dense id.
    nodes: Vec<Node>,
    /// Out-arcs of u: `heads[start[u]..start[u + 1]]`.
    start: Vec<usize>,
    heads: Vec<u32>,
    runs: usize,
    /// Arc bitset of snapshot r: `live[r * arc_words..]`.
    live: Vec<u64>,
    arc_words: usize,
    /// Words per node bitset.
    words: usize,
}

impl Snapshots {
    fn new(
        problem: &Problem,
        arcs: &[(Node, Node, u64)],
        lt: bool,
        runs: usize,
        seed: u64,
    ) -> Self {
        let mut adopters: Vec<Node> = problem.adopters.iter().map(|a| a.0).collect();
        adopters.sort_unstable();
        let outside = |v: &Node| adopters.binary_search(v).is_ok();
        let mut kept: Vec<(Node, Node, u64)> = arcs
            .iter()
            .filter(|(u, v, t)| *t > 0 && u != v && !outside(u) && !outside(v))
            .copied()
            .collect();
        kept.sort_unstable();
        kept.dedup_by_key(|a| (a.0, a.1));
        let mut nodes: Vec<Node> = kept.iter().flat_map(|a| [a.0, a.1]).collect();
        nodes.extend(problem.candidates.iter().flatten().filter(|v| !outside(v)));
        nodes.sort_unstable();
        nodes.dedup();
        let dense = |v: Node| nodes.binary_search(&v).expect("collected above");
        let mut start = vec![0usize; nodes.len() + 1];
        for a in &kept {
            start[dense(a.0) + 1] += 1;
        }
        for i in 0..nodes.len() {
            start[i + 1] += start[i];
        }
        // `kept` is sorted by tail, so its order is the CSR's.
        let heads: Vec<u32> = kept.iter().map(|a| dense(a.1) as u32).collect();
        let arc_words = kept.len().div_ceil(64);
        let mut live = vec![0u64; arc_words * runs];
        let mut rng = StdRng::seed_from_u64(seed);
        // Under LT: every head's in-arcs (adopters' too), each with its weight and its place in
        // `kept` if it has one.
        let mut into: Vec<(Node, Node, u64)> = if lt { arcs.to_vec() } else { Vec::new() };
        into.sort_unstable_by_key(|a| (a.1, a.0));
        let place =
            |a: &(Node, Node, u64)| kept.binary_search_by_key(&(a.0, a.1), |k| (k.0, k.1)).ok();
        let places: Vec<Option<usize>> = into.iter().map(place).collect();
        for r in 0..runs {
            let bits = &mut live[r * arc_words..(r + 1) * arc_words];
            if lt {
                let mut at = 0;
                for head in into.chunk_by(|a, b| a.1 == b.1) {
                    let x = (rng.next_u64() >> 1) as u128;
                    let mut below = 0u128;
                    for (a, i) in head.iter().zip(&places[at..]) {
                        below += a.2 as u128;
                        if x < below {
                            if let Some(i) = i {
                                bits[i / 64] |= 1 << (i % 64);
                            }
                            break;
                        }
                    }
                    at += head.len();
                }
                continue;
            }
            for (i, a) in kept.iter().enumerate() {
                if rng.next_u64() >> 1 < a.2 {
                    bits[i / 64] |= 1 << (i % 64);
                }
            }
        }
        Snapshots {
            words: nodes.len().div_ceil(64),
            nodes,
            start,
            heads,
            runs,
            live,
            arc_words,
        }
    }

    /// The nodes `v` reaches outside `covered`, summed over the snapshots.
    fn reach(&self, v: Node, covered: &[u64], walk: &mut Walk) -> u64 {
        let Ok(x) = self.nodes.binary_search(&v) else {
            return 0;
        };
        let mut total = 0;
        for r in 0..self.runs {
            total += self.walk(r, x, covered, walk).len() as u64;
        }
        total
    }

    /// Adds what `v` reaches to `covered`, in every snapshot.
    fn cover(&self, v: Node, covered: &mut [u64], walk: &mut Walk) {
        let Ok(x) = self.nodes.binary_search(&v) else {
            return;
        };
        for r in 0..self.runs {
            let reached = self.walk(r, x, covered, walk).to_vec();
            let bits = &mut covered[r * self.words..(r + 1) * self.words];
            for u in reached {
                bits[u as usize / 64] |= 1 << (u % 64);
            }
        }
    }

    /// The nodes reachable from `x` in snapshot `r` over live arcs without entering a covered
    /// node. What S reaches is closed under reachability, so the walk loses nothing by stopping
    /// there.
    fn walk<'w>(&self, r: usize, x: usize, covered: &[u64], walk: &'w mut Walk) -> &'w [u32] {
        let cov = &covered[r * self.words..(r + 1) * self.words];
        let is_covered = |u: usize| cov[u / 64] >> (u % 64) & 1 == 1;
        let live = &self.live[r * self.arc_words..(r + 1) * self.arc_words];
        walk.next_round();
        if is_covered(x) {
            return &walk.order;
        }
        walk.visit(x);
        let mut i = 0;
        while i < walk.order.len() {
            let u = walk.order[i] as usize;
            i += 1;
            for a in self.start[u]..self.start[u + 1] {
                let h = self.heads[a] as usize;
                if live[a / 64] >> (a % 64) & 1 == 1 && !walk.seen(h) && !is_covered(h) {
                    walk.visit(h);
                }
            }
        }
        &walk.order
    }
}

/// A breadth-first walk's scratch space, cleared in O(1) by a round stamp.
struct Walk {
    stamp: Vec<u32>,
    round: u32,
    order: Vec<u32>,
}

impl Walk {
    fn new(n: usize) -> Self {
        Walk {
            stamp: vec![0; n],
            round: 0,
            order: Vec::new(),
        }
    }

    fn next_round(&mut self) {
        self.round += 1;
        self.order.clear();
        if self.round == u32::MAX {
            self.stamp.fill(0);
            self.round = 1;
        }
    }

    fn seen(&self, u: usize) -> bool {
        self.stamp[u] == self.round
    }

    fn visit(&mut self, u: usize) {
        self.stamp[u] = self.round;
        self.order.push(u as u32);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ONE;

    #[test]
    fn certain_arcs_give_exact_gains() {
        // Arcs of probability 1: 1 → 2 → 3, 4 → 3, 5 alone. Adopter 9 (k = 2) can invite 1, 4
        // and 5; adopter 8 (k = 1) only 5. σ({1}) = 3; then 4 adds 1 (3 is reached), and 5
        // adds 1; the arc 9 → 5 from the adopter is dropped.
        let arcs = [(1, 2, ONE), (2, 3, ONE), (4, 3, ONE), (9, 5, ONE)];
        let p = Problem {
            n: 10,
            adopters: vec![(8, 1), (9, 2)],
            candidates: vec![vec![5], vec![1, 4, 5]],
            acceptance: None,
        };
        let picks = mc_greedy(&p, &arcs, false, 5, 1);
        let got: Vec<(Node, Node, u64)> = picks
            .iter()
            .map(|p| (p.adopter, p.friend, p.gain))
            .collect();
        // 1 (15 over 5 runs) goes to 9; then 4 and 5 tie at 5: 4 first (smaller id), to 9; 5 to
        // 8, the only one with room.
        assert_eq!(got, vec![(9, 1, 15), (9, 4, 5), (8, 5, 5)]);
    }

    #[test]
    fn estimates_follow_the_probabilities() {
        // 1 → 2 with probability 1/4, 3 → 4 and 3 → 5 with probability 1/2: σ({1}) = 1.25,
        // σ({3}) = 2. With one slot, 3 must win; its estimate is near 2 over 4000 runs.
        let arcs = [(1, 2, ONE / 4), (3, 4, ONE / 2), (3, 5, ONE / 2)];
        let p = Problem {
            n: 6,
            adopters: vec![(0, 1)],
            candidates: vec![vec![1, 3]],
            acceptance: None,
        };
        let picks = mc_greedy(&p, &arcs, false, 4000, 7);
        assert_eq!(picks.len(), 1);
        assert_eq!(picks[0].friend, 3);
        let mean = picks[0].gain as f64 / 4000.0;
        // Standard error √(0.5/4000) ≈ 0.011.
        assert!((mean - 2.0).abs() < 0.05, "{mean}");
    }

    /// Under LT the weights into a node add up: 1 → 3 and 2 → 3 weigh ½ each, 3 → 4 weighs 1.
    /// σ({1}) = 1 + ½ + ½ = 2; after 1, 2 adds 1 + ½ + ½ = 2 (under IC it would add 1.5), and
    /// 5 (alone) adds 1, so 2 goes before 5.
    #[test]
    fn lt_snapshots_keep_one_in_arc() {
        let arcs = [(1, 3, ONE / 2), (2, 3, ONE / 2), (3, 4, ONE)];
        let p = Problem {
            n: 6,
            adopters: vec![(0, 2)],
            candidates: vec![vec![1, 2, 5]],
            acceptance: None,
        };
        let picks = mc_greedy(&p, &arcs, true, 4000, 7);
        let got: Vec<Node> = picks.iter().map(|p| p.friend).collect();
        assert_eq!(got, [1, 2]);
        // Standard error of each about √(1/4000) ≈ 0.016.
        for pick in &picks {
            let mean = pick.gain as f64 / 4000.0;
            assert!((mean - 2.0).abs() < 0.08, "{picks:?}");
        }
    }

    #[test]
    fn lazy_evaluation_matches_eager_greedy() {
        // A denser random instance: CELF must pick exactly what re-estimating everything picks.
        let mut arcs = Vec::new();
        let mut rng = StdRng::seed_from_u64(3);
        for u in 0..40u64 {
            for _ in 0..3 {
                let v = rng.next_u64() % 40;
                arcs.push((u, v, ONE / (1 + rng.next_u64() % 3)));
            }
        }
        let p = Problem {
            n: 42,
            adopters: vec![(40, 3), (41, 4)],
            candidates: vec![(0..20).collect(), (10..40).collect()],
            acceptance: None,
        };
        let lazy = mc_greedy(&p, &arcs, false, 50, 5);
        // Eager: re-estimate every candidate before each pick, from the same snapshots.
        let sim = Snapshots::new(&p, &arcs, false, 50, 5);
        let mut covered = vec![0u64; sim.words * sim.runs];
        let mut walk = Walk::new(sim.nodes.len());
        let mut eager = Vec::new();
        let mut left = [3u32, 4];
        while left.iter().any(|&l| l > 0) {
            let best = (0..40u64)
                .filter(|v| !eager.contains(v))
                .filter(|&v| (v < 20 && left[0] > 0) || (v >= 10 && left[1] > 0))
                .map(|v| (sim.reach(v, &covered, &mut walk), Reverse(v)))
                .max();
            let Some((_, Reverse(v))) = best else { break };
            let a = inviter(
                &[0usize, 1]
                    .into_iter()
                    .filter(|&a| p.candidates[a].contains(&v))
                    .collect::<Vec<_>>(),
                &left,
            )
            .unwrap();
            left[a] -= 1;
            sim.cover(v, &mut covered, &mut walk);
            eager.push(v);
        }
        assert_eq!(lazy.iter().map(|p| p.friend).collect::<Vec<_>>(), eager);
    }
}
