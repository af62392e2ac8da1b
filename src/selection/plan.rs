//! The sampling plan of RR-OPIM+: which levels (θ ≈ n·2^e samples per half) to try, and the
//! failure budget L of each try.
//!
//! - δ = `params.delta` or 1/n;
//! - A = Σ_a ln C(|C_a|, min(k_a, |C_a|));
//! - χ = the number of distinct friends of a greedy maximal assignment (adopters ascending, each
//!   taking up to k_a untaken candidates ascending); it is at most the optimum's spread (seeds
//!   count themselves), which is all θ_max needs of it;
//! - θ_max = 2n·(½√ln(6/δ) + √(½(A + ln(6/δ))))² / (ε²·χ), and θ_0 = θ_max·ε²·χ/n;
//! - level_min = max(min{e : n·2^e ≥ θ_0}, floor), level_max = max(level_min, min{e : n·2^e ≥ θ_max}),
//!   where the floor is the smallest level with at least `params.min_rate` samples per node and
//!   half: with few adopters θ_0 is small, and a certificate met on few samples leaves the greedy
//!   ranking friends on noise (docs/METHODS.md, *The sampling floor*);
//! - i_max = level_max − level_min + 1, p_f = δ/(3·i_max), L = ln(1/p_f).

use rustc_hash::FxHashSet;

use crate::model::smallest_level;

use super::{Params, Problem};

/// The levels to try and the constants behind them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Plan {
    /// The first level tried: θ ≈ θ_0.
    pub level_min: i32,
    /// The last: θ ≈ θ_max, where no certificate is needed any more.
    pub level_max: i32,
    /// θ_max (infinite when χ = 0).
    pub theta_max: f64,
    /// χ: a lower bound on the number of distinct friends a feasible selection can invite.
    pub chi: usize,
    /// L = ln(1/p_f), the failure budget of each bound.
    pub l: f64,
}

/// The plan of `problem` under `params`.
pub fn plan(problem: &Problem, params: &Params) -> Plan {
    // n = 0 has no samples anyway; 1 keeps the logarithms finite.
    let n = problem.n.max(1) as f64;
    // δ > 1 promises nothing and would make ln(6/δ) fall towards 0 and below.
    let delta = params
        .delta
        .unwrap_or(1.0 / n)
        .clamp(f64::MIN_POSITIVE, 1.0);
    let eps2 = params.epsilon * params.epsilon;
    let log_binom: f64 = problem
        .adopters
        .iter()
        .zip(&problem.candidates)
        .map(|(&(_, k), c)| ln_binomial(c.len(), k as usize))
        .sum();
    let chi = chi(problem);
    let log6 = (6.0 / delta).ln();
    let root = 0.5 * log6.sqrt() + (0.5 * (log_binom + log6)).sqrt();
    // θ_0 does not depend on χ, so it is finite even when χ = 0.
    let theta_0 = 2.0 * root * root;
    let theta_max = theta_0 * n / (eps2 * chi as f64);
    let level_min = level_for(n, theta_0).max(floor_level(params.min_rate));
    let level_max = if theta_max.is_finite() {
        level_for(n, theta_max).max(level_min)
    } else {
        level_min
    };
    let i_max = (level_max - level_min + 1) as f64;
    let p_f = delta / (3.0 * i_max);
    Plan {
        level_min,
        level_max,
        theta_max,
        chi,
        l: (1.0 / p_f).ln(),
    }
}

/// ln C(m, k) = Σ_{i<k} ln((m − i)/(i + 1)), over the shorter of k and m − k; 0 for k ≥ m.
pub fn ln_binomial(m: usize, k: usize) -> f64 {
    let k = k.min(m);
    let k = k.min(m - k);
    (0..k).map(|i| ((m - i) as f64 / (i + 1) as f64).ln()).sum()
}

/// The distinct friends of the greedy maximal assignment.
fn chi(problem: &Problem) -> usize {
    let mut taken = FxHashSet::default();
    for (&(_, k), cands) in problem.adopters.iter().zip(&problem.candidates) {
        let mut left = k;
        for &c in cands {
            if left == 0 {
                break;
            }
            if taken.insert(c) {
                left -= 1;
            }
        }
    }
    taken.len()
}

/// The default sampling floor, in samples per node and half: none. A floor counted per node
/// costs in proportion to the graph: 16 per node, which the quality measurements on graphs of up
/// to 82,000 nodes favour (docs/BENCHMARKS.md, *Sampling floor*), is 10 million samples per half
/// on a 650,000-node graph and 1.4 billion on the 88-million-user graph this is designed for. So
/// the floor is opt-in (`--min-samples-per-node 16` on graphs where its cost is affordable), and
/// the certificate alone decides by default.
pub const DEFAULT_MIN_RATE: f64 = 0.0;

/// The smallest level with at least `rate` samples per node and half; no floor for `rate` ≤ 0.
pub fn floor_level(rate: f64) -> i32 {
    if rate > 0.0 && rate.is_finite() {
        smallest_level(rate, |r| r >= rate)
    } else {
        i32::MIN
    }
}

/// The smallest e with n·2^e ≥ θ.
fn level_for(n: f64, theta: f64) -> i32 {
    smallest_level(theta / n, |rate| n * rate >= theta)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(delta: Option<f64>) -> Params {
        Params {
            epsilon: 0.1,
            delta,
            seed: 0,
            min_rate: 0.0,
        }
    }

    #[test]
    fn hand_computed() {
        // A = ln C(4, 2) = ln 6, χ = 2, δ = 1/100:
        // θ_max = 200·(½√ln 600 + √(½(ln 6 + ln 600)))² / (0.01·2) ≈ 108113.14;
        // θ_0 ≈ 21.62 → 100·2^−2 = 25; θ_max → 100·2^11 = 204800; i_max = 14;
        // L = ln(3·14·100) = ln 4200.
        let p = Problem {
            n: 100,
            adopters: vec![(1, 2)],
            candidates: vec![vec![2, 3, 4, 5]],
            acceptance: None,
        };
        let plan = plan(&p, &params(None));
        assert_eq!(plan.chi, 2);
        assert!(
            (plan.theta_max - 108_113.141_858_437).abs() < 1e-6,
            "{plan:?}"
        );
        assert_eq!((plan.level_min, plan.level_max), (-2, 11));
        assert!((plan.l - 4200f64.ln()).abs() < 1e-12);
    }

    #[test]
    fn chi_counts_a_shared_friend_once() {
        let p = Problem {
            n: 1000,
            adopters: vec![(1, 2), (2, 2), (3, 5)],
            candidates: vec![vec![10, 11, 12], vec![10, 11], vec![]],
            acceptance: None,
        };
        let plan = plan(&p, &params(Some(0.01)));
        assert_eq!(plan.chi, 2);
        assert!(plan.level_min <= plan.level_max);
        // More room for error, fewer samples.
        let loose = super::plan(&p, &params(Some(0.5)));
        assert!(loose.theta_max < plan.theta_max);
        assert!(loose.level_max <= plan.level_max);
    }

    #[test]
    fn chi_zero_is_a_single_level() {
        let p = Problem {
            n: 10,
            adopters: vec![(1, 0), (2, 3)],
            candidates: vec![vec![5], vec![]],
            acceptance: None,
        };
        let plan = plan(&p, &params(None));
        assert_eq!(plan.chi, 0);
        assert_eq!(plan.level_min, plan.level_max);
        assert!(plan.l.is_finite());
    }

    #[test]
    fn the_floor_raises_level_min_and_tightens_l() {
        // The hand-computed plan above, with a floor of 3 samples per node: 2^2 = 4 ≥ 3 > 2^1.
        let p = Problem {
            n: 100,
            adopters: vec![(1, 2)],
            candidates: vec![vec![2, 3, 4, 5]],
            acceptance: None,
        };
        let mut with = params(None);
        with.min_rate = 3.0;
        let plan = plan(&p, &with);
        assert_eq!((plan.level_min, plan.level_max), (2, 11));
        // Fewer levels tried, a smaller union bound: i_max = 10.
        assert!((plan.l - 3000f64.ln()).abs() < 1e-12);
        // A floor below θ_0's level changes nothing; one above θ_max's is a single level.
        with.min_rate = 0.1;
        assert_eq!(super::plan(&p, &with), super::plan(&p, &params(None)));
        with.min_rate = 4096.0;
        let high = super::plan(&p, &with);
        assert_eq!((high.level_min, high.level_max), (12, 12));
        assert!((high.l - 300f64.ln()).abs() < 1e-12);
    }

    #[test]
    fn floor_levels() {
        assert_eq!(floor_level(0.0), i32::MIN);
        assert_eq!(floor_level(-1.0), i32::MIN);
        assert_eq!(floor_level(f64::NAN), i32::MIN);
        assert_eq!(floor_level(1.0), 0);
        assert_eq!(floor_level(1.5), 1);
        assert_eq!(floor_level(4.0), 2);
        assert_eq!(floor_level(0.25), -2);
        assert_eq!(floor_level(0.3), -1);
    }

    #[test]
    fn binomials() {
        assert_eq!(ln_binomial(5, 0), 0.0);
        assert_eq!(ln_binomial(3, 7), 0.0);
        assert!((ln_binomial(10, 3) - 120f64.ln()).abs() < 1e-12);
        assert!((ln_binomial(10, 7) - 120f64.ln()).abs() < 1e-12);
    }

    #[test]
    fn levels_are_exact_at_powers_of_two() {
        assert_eq!(level_for(100.0, 100.0), 0);
        assert_eq!(level_for(100.0, 100.000_001), 1);
        assert_eq!(level_for(100.0, 25.0), -2);
        assert_eq!(level_for(100.0, 25.1), -1);
        assert_eq!(level_for(100.0, 12.5), -3);
    }

    /// χ counts distinct friends: adopter 2 skips 10 and 11, taken by adopter 1, and its capacity
    /// goes to 12 and 13.
    #[test]
    fn chi_skips_a_taken_friend_without_spending_capacity() {
        let p = Problem {
            n: 100,
            adopters: vec![(1, 2), (2, 2)],
            candidates: vec![vec![10, 11], vec![10, 11, 12, 13]],
            acceptance: None,
        };
        assert_eq!(plan(&p, &params(None)).chi, 4);
    }
    /// n = 0 (no node yet, as at a follower's start): δ = 1/max(n, 1), one level, nothing to sample.
    #[test]
    fn an_empty_graph_plans_one_level() {
        let p = Problem {
            n: 0,
            adopters: vec![],
            candidates: vec![],
            acceptance: None,
        };
        let pl = plan(&p, &params(None));
        assert_eq!((pl.level_min, pl.level_max, pl.chi), (3, 3, 0), "{pl:?}");
        assert!((pl.l - 3f64.ln()).abs() < 1e-12, "{pl:?}");
    }
}
