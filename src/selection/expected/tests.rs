//! The expected-coverage greedy against hand-computed cases, RR-Greedy (all w = 1), a naive
//! greedy that recomputes every expected coverage from scratch in exact arithmetic (dyadic
//! weights), and the brute-force optimum.

use proptest::prelude::*;

use super::*;
use crate::selection::greedy::rr_greedy;
use crate::selection::testing::index;

fn problem(adopters: Vec<(Node, u32)>, cands: Vec<Vec<Node>>, w: Vec<Vec<f64>>) -> Problem {
    Problem {
        n: 100,
        adopters,
        candidates: cands,
        acceptance: Some(w),
    }
}

/// Two adopters share friend 2; 2 is in samples {0, 1}, 3 in {1}, 4 in {2}.
#[test]
fn hand_computed() {
    let p = problem(
        vec![(10, 1), (20, 2)],
        vec![vec![2, 3], vec![2, 4]],
        vec![vec![0.5, 1.0], vec![0.75, 0.25]],
    );
    let idx = index(&[&[2], &[2, 3], &[4]], &[&[2, 4], &[3]]);
    let (g, e) = expected_greedy(&p, &idx);
    // 10: 2 → ½·2 = 1, 3 → 1·1 = 1: tie, smallest id 2. q = (½, ½, 1).
    // 20: 2 is taken; 4 → ¼·1.
    // 20: nothing left unassigned.
    let pairs: Vec<(Node, Node)> = g.picks.iter().map(|p| (p.adopter, p.friend)).collect();
    assert_eq!(pairs, vec![(10, 2), (20, 4)]);
    assert_eq!(e.gains, vec![1.0, 0.25]);
    assert_eq!(e.cov1, 1.25);
    // R2: sample 0 holds 2 (½) and 4 (¼): 1 − ½·¾ = 5/8; sample 1 holds 3, not picked.
    assert_eq!(e.cov2, 0.625);
    // t = 0: 0 + max(1, 1) + (1.5 + 0.25) = 2.75; t = 1: 1.25 + [10: 3 → ½ (q_1 = ½)] +
    // [20: 2 → ¾·G_2 = ¾·1 = 0.75, 4 → 0] = 2.5.
    // 2Λ + X = 2.5 + (20's ¾·G_2 = 0.75) = 3.25. Λ^u = 2.5.
    assert_eq!(g.upper_cov, 2.5);
    assert_eq!((g.cov1, g.cov2), (1, 1));
}

/// Adopter 1 (first in turn) invites friend 5 whom it rarely convinces (w = 1/4); adopter 2, who
/// would surely convince 5, then has no one left. OPT = 4 (5 to adopter 2) is 4·Λ(S): the
/// greedy is not 1/2-approximate here, and 2·Λ(S) alone is no bound; X(S) restores one.
#[test]
fn a_friend_taken_by_a_reluctant_adopter() {
    let p = problem(
        vec![(1, 1), (2, 1)],
        vec![vec![5], vec![5]],
        vec![vec![0.25], vec![1.0]],
    );
    let idx = index(&[&[5], &[5], &[5], &[5]], &[]);
    let (g, e) = expected_greedy(&p, &idx);
    assert_eq!(g.picks.len(), 1);
    assert_eq!((g.picks[0].adopter, e.cov1), (1, 1.0));
    assert_eq!(brute_force(&p, &idx), 4.0);
    // t = 1: 1 + [adopter 2: 1·G_5 = 3] = 4; 2Λ + X = 2 + 3 = 5.
    assert_eq!(g.upper_cov, 4.0);
}

/// Two reluctant adopters side by side: X(S) sums what each assigned friend's other adopter
/// could still gain (3 + 3), and here the rotation bound is the least.
#[test]
fn x_of_s_sums_over_the_assigned_friends() {
    let p = problem(
        vec![(1, 1), (2, 1), (3, 1), (4, 1)],
        vec![vec![5], vec![5], vec![6], vec![6]],
        vec![vec![0.25], vec![1.0], vec![0.25], vec![1.0]],
    );
    let idx = index(&[&[5], &[5], &[5], &[5], &[6], &[6], &[6], &[6]], &[]);
    let (g, e) = expected_greedy(&p, &idx);
    assert_eq!(e.cov1, 2.0);
    assert_eq!(brute_force(&p, &idx), 8.0);
    // t = 1: 2 + [2: 1·G_5 = 3] + [4: 1·G_6 = 3] = 8; 2Λ + X = 4 + (3 + 3) = 10.
    assert_eq!(g.upper_cov, 8.0);
}

/// An instance: up to 3 adopters over friends 0..6, RR sets over them, and weights from
/// {1/4, 1/2, 3/4, 1} (dyadic, so that every product below is exact in f64 and fixed point).
fn instance(all_one: bool) -> impl Strategy<Value = (Problem, RrIndex)> {
    let adopters = prop::collection::vec(
        (
            0u32..3,
            prop::collection::vec(any::<bool>(), 6),
            prop::collection::vec(1u8..=4, 6),
        ),
        1..4,
    );
    let sets = prop::collection::vec(prop::collection::vec(any::<bool>(), 6), 0..12);
    (adopters, sets.clone(), sets).prop_map(move |(ads, r1, r2)| {
        let mut p = Problem {
            n: 100,
            adopters: vec![],
            candidates: vec![],
            acceptance: Some(vec![]),
        };
        for (i, (k, has, w)) in ads.iter().enumerate() {
            p.adopters.push((50 + i as Node, *k));
            let c: Vec<Node> = (0..6).filter(|&f| has[f as usize]).collect();
            let ws = c
                .iter()
                .map(|&f| {
                    if all_one {
                        1.0
                    } else {
                        w[f as usize] as f64 / 4.0
                    }
                })
                .collect();
            p.candidates.push(c);
            p.acceptance.as_mut().unwrap().push(ws);
        }
        let to_sets = |r: &[Vec<bool>]| -> Vec<Vec<Node>> {
            r.iter()
                .map(|m| (0..6).filter(|&f| m[f as usize]).collect())
                .collect()
        };
        let (r1, r2) = (to_sets(&r1), to_sets(&r2));
        let r1: Vec<&[Node]> = r1.iter().map(|v| &v[..]).collect();
        let r2: Vec<&[Node]> = r2.iter().map(|v| &v[..]).collect();
        (p, index(&r1, &r2))
    })
}

fn w_of(p: &Problem, a: usize, f: Node) -> f64 {
    let i = p.candidates[a].binary_search(&f).unwrap();
    p.acceptance.as_ref().unwrap()[a][i]
}

/// Λ(pairs) on `half`, from scratch: Σ_s 1 − Π (1 − w) over the pairs whose friend s holds.
fn coverage(p: &Problem, idx: &RrIndex, pairs: &[(usize, Node)], half: usize) -> f64 {
    let mut q: std::collections::BTreeMap<u32, f64> = Default::default();
    for &(a, f) in pairs {
        for &s in idx.of(f, half) {
            *q.entry(s).or_insert(1.0) *= 1.0 - w_of(p, a, f);
        }
    }
    q.values().map(|q| 1.0 - q).sum()
}

/// The specification: round robin on expected coverage recomputed from scratch at every turn.
fn naive(p: &Problem, idx: &RrIndex) -> Vec<(Node, Node, f64)> {
    let mut chosen: Vec<(usize, Node)> = Vec::new();
    let mut out = Vec::new();
    let mut active: Vec<usize> = (0..p.adopters.len())
        .filter(|&a| p.adopters[a].1 > 0)
        .collect();
    let mut taken = vec![0u32; p.adopters.len()];
    while !active.is_empty() {
        let mut next = Vec::new();
        for &a in &active {
            let base = coverage(p, idx, &chosen, 0);
            let mut best: Option<(f64, Node)> = None;
            for &c in &p.candidates[a] {
                if chosen.iter().any(|x| x.1 == c) {
                    continue;
                }
                let mut with = chosen.clone();
                with.push((a, c));
                let gain = coverage(p, idx, &with, 0) - base;
                if best.is_none_or(|b| gain > b.0) {
                    best = Some((gain, c));
                }
            }
            if let Some((gain, c)) = best {
                chosen.push((a, c));
                out.push((p.adopters[a].0, c, gain));
                taken[a] += 1;
                if taken[a] < p.adopters[a].1 {
                    next.push(a);
                }
            }
        }
        active = next;
    }
    out
}

/// The best expected R1 coverage over every feasible assignment.
fn brute_force(p: &Problem, idx: &RrIndex) -> f64 {
    let mut friends: Vec<Node> = p.candidates.iter().flatten().copied().collect();
    friends.sort_unstable();
    friends.dedup();
    fn go(
        p: &Problem,
        idx: &RrIndex,
        friends: &[Node],
        left: &mut [u32],
        chosen: &mut Vec<(usize, Node)>,
    ) -> f64 {
        let Some((&f, rest)) = friends.split_first() else {
            return coverage(p, idx, chosen, 0);
        };
        let mut best = go(p, idx, rest, left, chosen);
        for a in 0..p.adopters.len() {
            if left[a] > 0 && p.candidates[a].contains(&f) {
                left[a] -= 1;
                chosen.push((a, f));
                best = best.max(go(p, idx, rest, left, chosen));
                chosen.pop();
                left[a] += 1;
            }
        }
        best
    }
    let mut left: Vec<u32> = p.adopters.iter().map(|a| a.1).collect();
    go(p, idx, &friends, &mut left, &mut Vec::new())
}

proptest! {
    /// With every w = 1 the selection, the coverages and Λ^u are RR-Greedy's, bit for bit.
    #[test]
    fn all_ones_is_rr_greedy((p, idx) in instance(true)) {
        let (g, e) = expected_greedy(&p, &idx);
        let plain = rr_greedy(&Problem { acceptance: None, ..p.clone() }, &idx);
        prop_assert_eq!(&g, &plain);
        prop_assert_eq!(e.cov1, plain.cov1 as f64);
        prop_assert_eq!(e.cov2, plain.cov2 as f64);
        let gains: Vec<f64> = plain.picks.iter().map(|p| p.gain as f64).collect();
        prop_assert_eq!(e.gains, gains);
    }

    /// The incremental gains are the from-scratch ones, and so are the picks and Λ_R2.
    #[test]
    fn incremental_gains_match_the_naive_greedy((p, idx) in instance(false)) {
        let (g, e) = expected_greedy(&p, &idx);
        let got: Vec<(Node, Node, f64)> = g
            .picks
            .iter()
            .zip(&e.gains)
            .map(|(p, &x)| (p.adopter, p.friend, x))
            .collect();
        prop_assert_eq!(&got, &naive(&p, &idx));
        let pairs: Vec<(usize, Node)> = g
            .picks
            .iter()
            .map(|x| (p.adopters.iter().position(|a| a.0 == x.adopter).unwrap(), x.friend))
            .collect();
        prop_assert_eq!(e.cov1, coverage(&p, &idx, &pairs, 0));
        prop_assert_eq!(e.cov2, coverage(&p, &idx, &pairs, 1));
        prop_assert_eq!(e.gains.iter().sum::<f64>(), e.cov1);
    }

    /// Λ^u bounds the optimum's expected coverage, and is no looser than the greedy's own
    /// coverage allows.
    #[test]
    fn upper_bound_holds((p, idx) in instance(false)) {
        let (g, e) = expected_greedy(&p, &idx);
        let opt = brute_force(&p, &idx);
        prop_assert!(e.cov1 <= opt);
        prop_assert!(g.upper_cov >= opt, "Λ^u {} < OPT {}", g.upper_cov, opt);
        prop_assert!(g.upper_cov >= e.cov1);
    }
}
