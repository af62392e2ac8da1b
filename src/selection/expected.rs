//! The round-robin greedy on expected coverage, for invitations that may be declined
//! (docs/ACCEPTANCE.md).
//!
//! Friend f accepts adopter a's invitation with probability w(a, f), independently of the cascade
//! and of every other invitation. A sample s is then covered by a selection S with probability
//! 1 − q_s(S), q_s(S) = Π_{(a, f) ∈ S, f ∈ s} (1 − w(a, f)), and Λ(S) = Σ_s (1 − q_s(S)) is the
//! expected coverage: n·Λ_R(S)/|R| estimates the expected spread over acceptances. Λ is monotone
//! and submodular on sets of pairs, and the marginal gain of pair (a, c) is w(a, c)·G_c with
//! G_c = Σ_{s ∋ c} q_s(S).
//!
//! The rules are RR-Greedy's ([`super::greedy`]): adopters in ascending id order, the unassigned
//! candidate of largest gain (ties: smallest id), zero gains still taken, each friend for one
//! adopter. With every w = 1 this computes exactly RR-Greedy's selection; the selection uses it
//! only when some w < 1.
//!
//! Λ^u = min{ 2·Λ(S) + X(S), min_t [ Λ(S_t) + Σ_a top_{k_a}{ Δ((a, c) | S_t) : c ∈ C_a } ] },
//! where, unlike RR-Greedy, a friend assigned to another adopter keeps a positive gain (it may
//! decline that one), so it is counted in the top-k term, and X(S) = Σ over assigned friends c of
//! the largest w(a′, c)·G_c(S) among the other adopters a′ that have c as candidate, which is the
//! part of the optimum the 1/2 argument cannot charge to the greedy's picks.
//!
//! The arithmetic is in fixed point, so that it is exact and associative: the result must not
//! depend on the order in which an engine numbers its samples (the dataflow and the oracle
//! number them differently). q_s and w are integers in units of 2^−40; a pick lowers q_s by
//! ⌊q_s·w / 2^40⌋ and every G_c of s by the same amount, so G_c = Σ q_s stays exact; gains
//! w·G_c are compared as exact u128 products in units of 2^−80.

use super::greedy::{Greedy, Pick};
use super::{Outcome, Problem, RrIndex};
use crate::model::Node;

/// The fixed-point 1 of q_s and w.
pub(super) const ONE: u64 = 1 << 40;
/// Units of a product w·G (2^−80) per sample.
pub(super) const PRODUCT: f64 = (1u128 << 80) as f64;

/// w in fixed point: (0, 1] maps to [1, 2^40], so a positive weight stays positive.
pub(super) fn fixed(w: f64) -> u64 {
    ((w * ONE as f64).round() as u64).clamp(1, ONE)
}

/// The expected coverages of a selection under acceptance, where [`Greedy`]'s integer fields
/// (gains, Λ_R1, Λ_R2) hold them rounded to whole samples.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Expected {
    /// Each pick's expected marginal R1 coverage when it was picked, in samples, in pick order.
    pub gains: Vec<f64>,
    /// Λ_R1(S), the expected R1 coverage.
    pub cov1: f64,
    /// Λ_R2(S), the expected R2 coverage.
    pub cov2: f64,
}

impl Outcome {
    /// The picks' marginal R1 coverages, in samples: expected ones under acceptance.
    pub fn gains(&self) -> Vec<f64> {
        match &self.expected {
            Some(e) => e.gains.clone(),
            None => self.greedy.picks.iter().map(|p| p.gain as f64).collect(),
        }
    }

    /// Λ_R2(S), the (expected, under acceptance) R2 coverage of the selection.
    pub fn cov2(&self) -> f64 {
        self.expected
            .as_ref()
            .map_or(self.greedy.cov2 as f64, |e| e.cov2)
    }
}

/// The round-robin greedy on expected R1 coverage, with the weights of `problem.acceptance`
/// (all 1 when `None`), measured on R2.
pub fn expected_greedy(problem: &Problem, index: &RrIndex) -> (Greedy, Expected) {
    debug_assert_eq!(problem.adopters.len(), problem.candidates.len());
    let mut cands: Vec<Node> = problem.candidates.iter().flatten().copied().collect();
    cands.sort_unstable();
    cands.dedup();
    let dense = |v: &Node| cands.binary_search(v).expect("a candidate") as u32;
    // Per adopter: (dense candidate, fixed w), ascending by candidate.
    let lists: Vec<Vec<(u32, u64)>> = problem
        .candidates
        .iter()
        .enumerate()
        .map(|(a, c)| {
            let w = problem.acceptance.as_ref().map(|w| &w[a]);
            c.iter()
                .enumerate()
                .map(|(i, v)| (dense(v), w.map_or(ONE, |w| fixed(w[i]))))
                .collect()
        })
        .collect();

    let r1: Vec<&[u32]> = cands.iter().map(|&c| index.of(c, 0)).collect();
    let (start, inverse) = super::index::inverse(&r1);
    let mut q = vec![ONE; start.len() - 1];
    // G_c = Σ_{s ∋ c} q_s.
    let mut g: Vec<u128> = r1.iter().map(|l| l.len() as u128 * ONE as u128).collect();
    // The adopter (position) each candidate is assigned to.
    let mut owner: Vec<Option<usize>> = vec![None; cands.len()];
    let mut cov1: u128 = 0; // units of 2^−40
    let mut picks = Vec::new();
    let mut gains = Vec::new();
    let mut weights = Vec::new();
    let mut taken = vec![0u32; lists.len()];
    let mut scratch = Vec::new();
    let mut upper = cov1 * ONE as u128 + top_gains(problem, &lists, &g, &owner, &mut scratch);

    let mut active: Vec<usize> = (0..lists.len())
        .filter(|&a| problem.adopters[a].1 > 0)
        .collect();
    while !active.is_empty() {
        let mut picked_any = false;
        active.retain(|&a| {
            // Strict `>` over an ascending list keeps the smallest id among equal gains.
            let mut best: Option<(u32, u64, u128)> = None;
            for &(c, w) in &lists[a] {
                if owner[c as usize].is_some() {
                    continue;
                }
                let gain = w as u128 * g[c as usize];
                if best.is_none_or(|b| gain > b.2) {
                    best = Some((c, w, gain));
                }
            }
            let Some((c, w, gain)) = best else {
                return false;
            };
            let c = c as usize;
            picks.push(Pick {
                adopter: problem.adopters[a].0,
                friend: cands[c],
                gain: (gain as f64 / PRODUCT).round() as u64,
            });
            gains.push(gain as f64 / PRODUCT);
            weights.push(w);
            owner[c] = Some(a);
            picked_any = true;
            for &s in r1[c] {
                let s = s as usize;
                let d = ((q[s] as u128 * w as u128) >> 40) as u64;
                if d == 0 {
                    continue;
                }
                q[s] -= d;
                cov1 += d as u128;
                for &e in &inverse[start[s]..start[s + 1]] {
                    g[e as usize] -= d as u128;
                }
            }
            taken[a] += 1;
            taken[a] < problem.adopters[a].1
        });
        if picked_any {
            let bound = cov1 * ONE as u128 + top_gains(problem, &lists, &g, &owner, &mut scratch);
            upper = upper.min(bound);
        }
    }
    // X(S): what the other adopters of an assigned friend could still gain from it.
    let mut other = vec![0u128; cands.len()];
    for (a, list) in lists.iter().enumerate() {
        for &(c, w) in list {
            if owner[c as usize].is_some_and(|b| b != a) {
                let x = &mut other[c as usize];
                *x = (*x).max(w as u128 * g[c as usize]);
            }
        }
    }
    let twice = (2 * cov1 * ONE as u128).saturating_add(other.iter().sum::<u128>());
    let upper_cov = upper.min(twice) as f64 / PRODUCT;

    let cov2 = r2_coverage(&picks, &weights, index);
    let cov1 = cov1 as f64 / ONE as f64;
    let greedy = Greedy {
        picks,
        cov1: cov1.round() as u64,
        cov2: cov2.round() as u64,
        upper_cov,
    };
    (greedy, Expected { gains, cov1, cov2 })
}

/// Λ_R2(S) = Σ_s (1 − q_s(S)) over R2, the factors of each sample applied in pick order;
/// `weights[i]` is pick i's fixed-point w.
fn r2_coverage(picks: &[Pick], weights: &[u64], index: &RrIndex) -> f64 {
    let size = picks
        .iter()
        .filter_map(|p| index.of(p.friend, 1).iter().max())
        .max()
        .map_or(0, |&s| s as usize + 1);
    let mut q2 = vec![ONE; size];
    for (p, &w) in picks.iter().zip(weights) {
        for &s in index.of(p.friend, 1) {
            let q = &mut q2[s as usize];
            *q -= ((*q as u128 * w as u128) >> 40) as u64;
        }
    }
    let covered: u128 = q2.iter().map(|&q| (ONE - q) as u128).sum();
    covered as f64 / ONE as f64
}

/// Σ_a (sum of the k_a largest gains Δ((a, c) | S) over C_a), in units of 2^−80: a pair already
/// in S gains nothing, a friend assigned to another adopter still gains w·G_c.
fn top_gains(
    problem: &Problem,
    lists: &[Vec<(u32, u64)>],
    g: &[u128],
    owner: &[Option<usize>],
    scratch: &mut Vec<u128>,
) -> u128 {
    let mut total: u128 = 0;
    for (a, list) in lists.iter().enumerate() {
        let k = (problem.adopters[a].1 as usize).min(list.len());
        if k == 0 {
            continue;
        }
        scratch.clear();
        scratch.extend(list.iter().map(|&(c, w)| {
            if owner[c as usize] == Some(a) {
                0
            } else {
                w as u128 * g[c as usize]
            }
        }));
        if k < scratch.len() {
            scratch.select_nth_unstable_by(k - 1, |x, y| y.cmp(x));
        }
        total = total.saturating_add(scratch[..k].iter().sum::<u128>());
    }
    total
}

#[cfg(test)]
mod tests;
