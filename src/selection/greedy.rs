//! RR-Greedy (round robin) on R1, and the RR-OPIM+ upper bound Λ^u on the optimum's coverage.
//!
//! Adopters take turns in ascending id order; on its turn adopter a takes the unassigned
//! candidate v ∈ C_a maximising the marginal coverage Δ(v | S) = Λ_R1(S ∪ {v}) − Λ_R1(S) (ties:
//! smallest id), and leaves the rotation at k_a picks or when no candidate of C_a is unassigned.
//! A zero-gain candidate is still taken: seeds count themselves in the spread.
//!
//! Λ^u = min{ 2·Λ_R1(S), min_t [ Λ_R1(S_t) + Σ_a top_{k_a}{ Δ(v | S_t) : v ∈ C_a } ] },
//! S_t being the selection after t complete rotations (t = 0 is the empty one). Both terms bound
//! the optimum's R1 coverage: the second by submodularity, the first because round-robin greedy
//! is 1/2-approximate on the coverage it maximises.
//!
//! `gain[v]` = Δ(v | S) is kept exact: when a sample becomes covered, every candidate in it loses
//! one. A turn is then one scan of C_a, and the whole run is O(Σ_a k_a·|C_a| + Σ memberships).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::iter::Sum;

use crate::model::Node;

use super::{Problem, RrIndex};

/// One recommendation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pick {
    /// Who invites.
    pub adopter: Node,
    /// Whom.
    pub friend: Node,
    /// The friend's marginal R1 coverage when it was picked.
    pub gain: u64,
}

/// RR-Greedy's selection and coverages.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Greedy {
    /// The picks, in pick order.
    pub picks: Vec<Pick>,
    /// Λ_R1(S).
    pub cov1: u64,
    /// Λ_R2(S).
    pub cov2: u64,
    /// Λ^u: an upper bound on the optimum's R1 coverage.
    pub upper_cov: f64,
}

/// Runs RR-Greedy on `index`'s R1 and measures the result on R2.
pub fn rr_greedy(problem: &Problem, index: &RrIndex) -> Greedy {
    debug_assert_eq!(problem.adopters.len(), problem.candidates.len());
    // Dense candidate ids in node order, so that "smallest id" is "smallest dense id".
    let mut cands: Vec<Node> = problem.candidates.iter().flatten().copied().collect();
    cands.sort_unstable();
    cands.dedup();
    let dense = |v: &Node| cands.binary_search(v).expect("a candidate") as u32;
    let lists: Vec<Vec<u32>> = problem
        .candidates
        .iter()
        .map(|c| c.iter().map(dense).collect())
        .collect();

    let r1: Vec<&[u32]> = cands.iter().map(|&c| index.of(c, 0)).collect();
    // Sample → the candidates it contains (CSR), to decrement gains when it gets covered.
    let (start, inverse) = super::index::inverse(&r1);
    let samples = start.len() - 1;

    let mut gain: Vec<u64> = r1.iter().map(|l| l.len() as u64).collect();
    let mut covered = vec![false; samples];
    let mut assigned = vec![false; cands.len()];
    let mut cov1 = 0u64;
    let mut picks = Vec::new();
    let mut taken = vec![0u32; lists.len()];
    let mut tops = RowTops::default();
    tops.start(lists.len());
    let mut upper = (cov1 + tops.sum(problem, &lists, |c| gain[c as usize])) as f64;

    let mut active: Vec<usize> = (0..lists.len())
        .filter(|&a| problem.adopters[a].1 > 0)
        .collect();
    while !active.is_empty() {
        let mut picked_any = false;
        active.retain(|&a| {
            // Strict `>` over an ascending list keeps the smallest id among equal gains.
            let best = lists[a].iter().filter(|&&c| !assigned[c as usize]).fold(
                None,
                |best: Option<u32>, &c| match best {
                    Some(b) if gain[b as usize] >= gain[c as usize] => Some(b),
                    _ => Some(c),
                },
            );
            let Some(c) = best else { return false };
            let c = c as usize;
            picks.push(Pick {
                adopter: problem.adopters[a].0,
                friend: cands[c],
                gain: gain[c],
            });
            assigned[c] = true;
            picked_any = true;
            for &s in r1[c] {
                let s = s as usize;
                if !covered[s] {
                    covered[s] = true;
                    cov1 += 1;
                    for &d in &inverse[start[s]..start[s + 1]] {
                        gain[d as usize] -= 1;
                    }
                }
            }
            taken[a] += 1;
            taken[a] < problem.adopters[a].1
        });
        if picked_any {
            let bound = cov1 + tops.sum(problem, &lists, |c| gain[c as usize]);
            upper = upper.min(bound as f64);
        }
    }
    let upper_cov = upper.min(2.0 * cov1 as f64);

    let r2 = picks.iter().map(|p| index.of(p.friend, 1));
    let mut hit2 = vec![
        false;
        r2.clone()
            .filter_map(|l| l.iter().max())
            .max()
            .map_or(0, |&s| s as usize + 1)
    ];
    let mut cov2 = 0u64;
    for l in r2 {
        for &s in l {
            if !std::mem::replace(&mut hit2[s as usize], true) {
                cov2 += 1;
            }
        }
    }
    Greedy {
        picks,
        cov1,
        cov2,
        upper_cov,
    }
}

/// Σ_a (sum of the k_a largest gains among C_a), Λ^u's term, taken once per rotation of a run.
/// Assigned candidates have gain 0, so they need no special case. Shared with the live greedy,
/// whose rows are lists of the same shape.
///
/// A row whose sum is 0 once stays 0 for the rest of the run (gains only fall), so it is passed
/// over from then on: on a stream of many adopters with few candidates each (higgs-activity_time:
/// 15,000 adopters), rows long exhausted were most of this pass, and this pass 39% of an epoch.
#[derive(Debug, Default)]
pub(super) struct RowTops {
    /// The rows whose sum may still be positive.
    left: Vec<u32>,
    scratch: Vec<Reverse<u64>>,
}

impl RowTops {
    /// Starts a run over `rows` rows.
    pub(super) fn start(&mut self, rows: usize) {
        self.left.clear();
        self.left.extend(0..rows as u32);
    }

    /// The sum now, the gain of candidate c being `gain(c)`.
    pub(super) fn sum(
        &mut self,
        problem: &Problem,
        lists: &[Vec<u32>],
        gain: impl Fn(u32) -> u64,
    ) -> u64 {
        let mut total = 0;
        let scratch = &mut self.scratch;
        self.left.retain(|&a| {
            let (k, list) = (problem.adopters[a as usize].1 as usize, &lists[a as usize]);
            let sum = largest_sum(list.iter().map(|&c| gain(c)), list.len(), k, scratch);
            total += sum;
            sum > 0
        });
        total
    }
}

/// The sum of the `k` largest of the `len` `values` (all of them when k ≥ len). Λ^u's bounds
/// take this once per rotation over every row, so it keeps a min-heap of the k largest so far:
/// past the first k, a value is mostly turned away by one comparison with the heap's least
/// (copying each row out for a selection was a tenth of a 100-event epoch at R-MAT scale 18).
pub(super) fn largest_sum<T: Ord + Copy + Default + Sum>(
    mut values: impl Iterator<Item = T>,
    len: usize,
    k: usize,
    scratch: &mut Vec<Reverse<T>>,
) -> T {
    if k >= len {
        return values.sum();
    }
    if k == 0 {
        return T::default();
    }
    scratch.clear();
    scratch.extend(values.by_ref().take(k).map(Reverse));
    let mut heap = BinaryHeap::from(std::mem::take(scratch));
    let mut least = heap.peek().expect("k ≥ 1").0;
    for v in values {
        if v > least {
            *heap.peek_mut().expect("k ≥ 1") = Reverse(v);
            least = heap.peek().expect("k ≥ 1").0;
        }
    }
    let sum = heap.iter().map(|r| r.0).sum();
    *scratch = heap.into_vec();
    sum
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    use crate::selection::testing::index;

    fn pick(adopter: Node, friend: Node, gain: u64) -> Pick {
        Pick {
            adopter,
            friend,
            gain,
        }
    }

    #[test]
    fn round_robin_shares_and_exhausts() {
        let p = Problem {
            n: 50,
            adopters: vec![(10, 2), (20, 2)],
            candidates: vec![vec![1, 2, 3], vec![1, 2, 3]],
            acceptance: None,
        };
        let idx = index(&[&[1, 2], &[1, 2], &[1], &[3]], &[&[2], &[3], &[]]);
        let g = rr_greedy(&p, &idx);
        // 10 takes 1 (3); 20 takes 3 (1, while 2 is worth 0 now); 10 takes 2 (0); 20 finds
        // nothing unassigned and leaves.
        assert_eq!(
            g.picks,
            vec![pick(10, 1, 3), pick(20, 3, 1), pick(10, 2, 0)]
        );
        assert_eq!(g.cov1, 4);
        assert_eq!(g.cov2, 2);
        // t = 0: 0 + (3 + 2) + (3 + 2); t = 1: 4 + 0; 2·Λ = 8.
        assert_eq!(g.upper_cov, 4.0);
    }

    #[test]
    fn ties_go_to_the_smallest_id_and_capacity_binds() {
        let p = Problem {
            n: 50,
            adopters: vec![(3, 1), (9, 5)],
            candidates: vec![vec![4, 5, 6], vec![5, 6, 7]],
            acceptance: None,
        };
        let idx = index(&[&[6], &[5], &[4], &[7]], &[]);
        let g = rr_greedy(&p, &idx);
        assert_eq!(
            g.picks,
            vec![pick(3, 4, 1), pick(9, 5, 1), pick(9, 6, 1), pick(9, 7, 1)]
        );
        assert_eq!(g.cov1, 4);
        assert_eq!(g.cov2, 0);
    }

    #[test]
    fn zero_gain_candidates_are_still_taken() {
        let p = Problem {
            n: 50,
            adopters: vec![(1, 2), (2, 0)],
            candidates: vec![vec![7, 8, 9], vec![7]],
            acceptance: None,
        };
        let g = rr_greedy(&p, &index(&[&[], &[]], &[&[]]));
        assert_eq!(g.picks, vec![pick(1, 7, 0), pick(1, 8, 0)]);
        assert_eq!((g.cov1, g.cov2, g.upper_cov), (0, 0, 0.0));
    }

    #[test]
    fn empty_problem() {
        let g = rr_greedy(&Problem::default(), &RrIndex::default());
        assert_eq!(g, Greedy::default());
    }

    /// RR-Greedy recomputing every marginal gain from scratch: the specification.
    fn naive(p: &Problem, idx: &RrIndex) -> Vec<Pick> {
        let mut picks: Vec<Pick> = Vec::new();
        let mut taken = vec![0u32; p.adopters.len()];
        let mut active: Vec<usize> = (0..p.adopters.len()).collect();
        while !active.is_empty() {
            let mut next = Vec::new();
            for &a in &active {
                if taken[a] >= p.adopters[a].1 {
                    continue;
                }
                let cov = |extra: Option<Node>| {
                    let mut hit: Vec<u32> = picks
                        .iter()
                        .map(|p| p.friend)
                        .chain(extra)
                        .flat_map(|c| idx.of(c, 0))
                        .copied()
                        .collect();
                    hit.sort_unstable();
                    hit.dedup();
                    hit.len() as u64
                };
                let base = cov(None);
                let best = p.candidates[a]
                    .iter()
                    .filter(|c| !picks.iter().any(|p| p.friend == **c))
                    .map(|&c| (cov(Some(c)) - base, std::cmp::Reverse(c)))
                    .max();
                if let Some((gain, std::cmp::Reverse(friend))) = best {
                    picks.push(Pick {
                        adopter: p.adopters[a].0,
                        friend,
                        gain,
                    });
                    taken[a] += 1;
                    next.push(a);
                }
            }
            active = next;
        }
        picks
    }

    fn instance() -> impl Strategy<Value = (Problem, RrIndex)> {
        let adopters =
            prop::collection::vec((0u32..3, prop::collection::vec(any::<bool>(), 6)), 1..4);
        let sets = prop::collection::vec(prop::collection::vec(any::<bool>(), 6), 0..12);
        (adopters, sets.clone(), sets).prop_map(|(ads, r1, r2)| {
            let problem = Problem {
                n: 100,
                adopters: ads
                    .iter()
                    .enumerate()
                    .map(|(i, a)| (50 + i as Node, a.0))
                    .collect(),
                candidates: ads
                    .iter()
                    .map(|a| (0..6).filter(|&f| a.1[f as usize]).collect())
                    .collect(),
                acceptance: None,
            };
            let to_sets = |r: &[Vec<bool>]| -> Vec<Vec<Node>> {
                r.iter()
                    .map(|m| (0..6).filter(|&f| m[f as usize]).collect())
                    .collect()
            };
            let (r1, r2) = (to_sets(&r1), to_sets(&r2));
            let r1: Vec<&[Node]> = r1.iter().map(|v| &v[..]).collect();
            let r2: Vec<&[Node]> = r2.iter().map(|v| &v[..]).collect();
            let idx = index(&r1, &r2);
            (problem, idx)
        })
    }

    proptest! {
        #[test]
        fn greedy_is_half_optimal_and_upper_bounds_hold((p, idx) in instance()) {
            let g = rr_greedy(&p, &idx);
            let opt = crate::selection::testing::brute_force(&p, &idx);
            prop_assert!(g.cov1 <= opt);
            prop_assert!(2 * g.cov1 >= opt);
            prop_assert!(g.upper_cov >= opt as f64);
            prop_assert!(g.upper_cov <= 2.0 * g.cov1 as f64);
            prop_assert_eq!(g.picks.iter().map(|p| p.gain).sum::<u64>(), g.cov1);
        }

        #[test]
        fn incremental_gains_match_the_naive_greedy((p, idx) in instance()) {
            prop_assert_eq!(rr_greedy(&p, &idx).picks, naive(&p, &idx));
        }

        #[test]
        fn largest_sum_is_the_sum_of_the_k_largest(
            values in proptest::collection::vec(0u64..20, 0..60),
            k in 0usize..70,
        ) {
            let mut sorted = values.clone();
            sorted.sort_unstable_by(|a, b| b.cmp(a));
            let want: u64 = sorted.iter().take(k).sum();
            let mut scratch = vec![Reverse(7)];
            let len = values.len();
            prop_assert_eq!(largest_sum(values.into_iter(), len, k, &mut scratch), want);
        }
    }
}
