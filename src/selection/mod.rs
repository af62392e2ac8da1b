//! Selection: RR-Greedy over the RR samples of one level, certified by RR-OPIM+ (docs/ALGORITHM.md).
//!
//! For levels e = e_min, e_min + 1, …, e_max (θ ≈ n·2^e samples per half) it asks an
//! [`RrSource`] for the memberships of that level, runs [`rr_greedy`] on R1 and computes
//! [`bounds`]; it stops at the first level whose selection is certified, i.e. whose
//! σ_l / σ_u ≥ 1/2 − ε, or at e_max, where θ ≥ θ_max makes the selection (1/2 − ε)-approximate
//! with probability ≥ 1 − δ without a certificate.
//!
//! Everything here is a pure function of its inputs: no hash-map iteration order reaches the
//! result, so the incremental dataflow and the from-scratch oracle select bit-identically.

pub mod baselines;
pub mod certificate;
pub mod expected;
pub mod greedy;
pub mod index;
pub mod live;
pub mod mc_greedy;
pub mod members;
pub mod mg;
pub mod pagerank;
pub mod plan;
#[cfg(test)]
mod testing;

pub use certificate::{Bounds, bounds, certifies};
pub use greedy::{Greedy, Pick, rr_greedy};
pub use index::RrIndex;
pub use live::{LiveGreedy, Rows};
pub use members::Members;
pub use plan::{DEFAULT_MIN_RATE, Plan, plan};

use crate::model::Node;

/// One CIM instance, as the selection sees it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Problem {
    /// |V|, adopters included: the population the RR roots are drawn from.
    pub n: usize,
    /// The adopters and their capacities k_a, sorted by id.
    pub adopters: Vec<(Node, u32)>,
    /// C_a for each adopter, in the order of `adopters`: its non-adopter out-neighbours, sorted
    /// ascending and deduplicated.
    pub candidates: Vec<Vec<Node>>,
    /// w(a, c) in (0, 1], aligned with `candidates`: the probability that c accepts a's
    /// invitation. `None` when every w is 1, the paper's setting, where RR-Greedy selects.
    pub acceptance: Option<Vec<Vec<f64>>>,
}

/// The accuracy asked of the selection.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Params {
    /// ε: the selection is certified (1/2 − ε)-approximate.
    pub epsilon: f64,
    /// δ: the failure probability; `None` means 1/n.
    pub delta: Option<f64>,
    /// The seed of every root and coin (see [`crate::model`]).
    pub seed: u64,
    /// The sampling floor: every level tried holds at least this many samples per node and half
    /// (0: none); the certificate still decides when more are needed ([`plan()`]).
    pub min_rate: f64,
}

/// Where RR memberships come from: the dataflow's arrangements, or the oracle's own sampling.
pub trait RrSource {
    /// Memberships (candidate, sample) of every sample existing at `level`, restricted to
    /// candidates of `problem`, plus θ = [|R1|, |R2|] at that level (all samples, hit or not).
    fn index_at(&mut self, problem: &Problem, level: i32) -> RrIndex;

    /// RR-Greedy on the samples of `level`, and θ there: on [`RrSource::index_at`]'s index
    /// unless the source keeps memberships it can run the greedy on directly.
    fn greedy_at(&mut self, problem: &Problem, level: i32) -> (Greedy, [usize; 2]) {
        let index = self.index_at(problem, level);
        (rr_greedy(problem, &index), index.theta)
    }

    /// [`RrSource::greedy_at`] for the expected-coverage greedy, under acceptances below 1.
    fn expected_at(
        &mut self,
        problem: &Problem,
        level: i32,
    ) -> (Greedy, expected::Expected, [usize; 2]) {
        let index = self.index_at(problem, level);
        let (g, e) = expected::expected_greedy(problem, &index);
        (g, e, index.theta)
    }
}

/// The selection of one problem, with its certificate.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// The level the selection was made at.
    pub level: i32,
    /// The picks and their coverages.
    pub greedy: Greedy,
    /// θ, the spread estimate, σ_l, σ_u and their ratio.
    pub bounds: Bounds,
    /// Whether σ_l / σ_u ≥ 1/2 − ε.
    pub certified: bool,
    /// The level range and the constants behind it.
    pub plan: Plan,
    /// The expected coverages, when some acceptance is below 1 ([`expected`]).
    pub expected: Option<expected::Expected>,
}

/// Selects at the lowest level, from `plan.level_min` up to `plan.level_max`, whose selection is
/// certified (or at `level_max`). `plan` is [`plan()`] of `problem` and `params`, computed once
/// by the caller, which may need its levels before asking. With acceptances below 1 the greedy
/// is [`expected::expected_greedy`], on expected coverages; else RR-Greedy.
///
/// With χ = 0 (no adopter can invite anyone) there is nothing to select: the outcome is empty,
/// trivially certified, and the source is not asked.
pub fn select(
    problem: &Problem,
    plan: Plan,
    params: &Params,
    source: &mut impl RrSource,
) -> Outcome {
    if problem.acceptance.is_some() {
        return select_with(problem, plan, params, |level| {
            let (g, e, theta) = source.expected_at(problem, level);
            (g, Some(e), theta)
        });
    }
    select_with(problem, plan, params, |level| {
        let (g, theta) = source.greedy_at(problem, level);
        (g, None, theta)
    })
}

/// [`select`] with another greedy in RR-Greedy's place (MG-OPIM's [`mg::mg_greedy`]): the same
/// levels, the same certificate, on the greedy's own selection and bound Λ^u.
pub fn select_by(
    problem: &Problem,
    plan: Plan,
    params: &Params,
    source: &mut impl RrSource,
    greedy: impl Fn(&Problem, &RrIndex) -> Greedy,
) -> Outcome {
    select_with(problem, plan, params, |level| {
        let index = source.index_at(problem, level);
        (greedy(problem, &index), None, index.theta)
    })
}

/// The level loop of [`select`] around `greedy_at(level)`: the selection, its expected
/// coverages when some acceptance is below 1, and θ.
fn select_with(
    problem: &Problem,
    plan: Plan,
    params: &Params,
    mut greedy_at: impl FnMut(i32) -> (Greedy, Option<expected::Expected>, [usize; 2]),
) -> Outcome {
    if plan.chi == 0 {
        return Outcome {
            level: plan.level_min,
            greedy: Greedy::default(),
            bounds: Bounds {
                theta: [0, 0],
                spread: 0.0,
                lower: 0.0,
                upper: 0.0,
                ratio: 1.0,
            },
            certified: true,
            plan,
            expected: None,
        };
    }
    let mut level = plan.level_min;
    loop {
        let (greedy, expected, theta) = greedy_at(level);
        let cov2 = expected.as_ref().map_or(greedy.cov2 as f64, |e| e.cov2);
        let bounds = bounds(problem.n, theta, cov2, greedy.upper_cov, plan.l);
        let certified = certifies(bounds.ratio, params.epsilon);
        if certified || level >= plan.level_max {
            return Outcome {
                level,
                greedy,
                bounds,
                certified,
                plan,
                expected,
            };
        }
        level += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Sample;

    /// A source whose R1 and R2 are `scale(level)` samples each, half of them hit by friend 2
    /// and a tenth by friend 3; it records the levels it was asked for.
    struct Fake {
        asked: Vec<i32>,
        scale: fn(i32) -> usize,
    }

    impl RrSource for Fake {
        fn index_at(&mut self, _: &Problem, level: i32) -> RrIndex {
            self.asked.push(level);
            let theta = (self.scale)(level);
            let mut mem = Vec::new();
            for j in 0..theta as u64 {
                for half in 0..2 {
                    let s = Sample {
                        root: j,
                        slot: half,
                    };
                    if j % 2 == 0 {
                        mem.push((2, s));
                    }
                    if j % 10 == 1 {
                        mem.push((3, s));
                    }
                }
            }
            RrIndex::build([theta, theta], mem)
        }
    }

    fn problem() -> Problem {
        Problem {
            n: 1000,
            adopters: vec![(1, 1)],
            candidates: vec![vec![2, 3]],
            acceptance: None,
        }
    }

    const PARAMS: Params = Params {
        epsilon: 0.1,
        delta: None,
        seed: 0,
        min_rate: 0.0,
    };

    #[test]
    fn stops_at_the_first_certified_level() {
        // Few samples at low levels: the bounds are too loose until θ reaches a few hundred.
        let mut src = Fake {
            asked: vec![],
            scale: |e| (1000.0 * (e as f64).exp2()) as usize,
        };
        let out = select(&problem(), plan(&problem(), &PARAMS), &PARAMS, &mut src);
        assert!(out.certified);
        assert!(src.asked.len() > 1, "{:?}", src.asked);
        assert_eq!(src.asked.first(), Some(&out.plan.level_min));
        assert_eq!(src.asked.last(), Some(&out.level));
        assert!(src.asked.windows(2).all(|w| w[1] == w[0] + 1));
        assert_eq!(out.greedy.picks.len(), 1);
        assert_eq!(out.greedy.picks[0].friend, 2);
        assert!(out.bounds.ratio >= 0.4);
        // The level below was not certified: the bounds there, computed again, fall short.
        let below = out.level - 1;
        let mut again = Fake {
            asked: vec![],
            scale: |e| (1000.0 * (e as f64).exp2()) as usize,
        };
        let index = again.index_at(&problem(), below);
        let g = rr_greedy(&problem(), &index);
        let b = bounds(1000, index.theta, g.cov2 as f64, g.upper_cov, out.plan.l);
        assert!(b.ratio < 0.4, "level {below} was certified already: {b:?}");
    }

    #[test]
    fn gives_up_at_level_max() {
        // A source that never produces a sample can never certify anything.
        let mut src = Fake {
            asked: vec![],
            scale: |_| 0,
        };
        let out = select(&problem(), plan(&problem(), &PARAMS), &PARAMS, &mut src);
        assert!(!out.certified);
        assert_eq!(out.level, out.plan.level_max);
        let all: Vec<i32> = (out.plan.level_min..=out.plan.level_max).collect();
        assert_eq!(src.asked, all);
        // Zero-gain candidates are still picked: seeds count themselves.
        assert_eq!(out.greedy.picks.len(), 1);
    }

    #[test]
    fn nothing_to_select_asks_no_one() {
        let mut src = Fake {
            asked: vec![],
            scale: |_| panic!("the source must not be asked"),
        };
        let p = Problem {
            n: 10,
            adopters: vec![(1, 3), (4, 0)],
            candidates: vec![vec![], vec![5]],
            acceptance: None,
        };
        let out = select(&p, plan(&p, &PARAMS), &PARAMS, &mut src);
        assert!(out.certified);
        assert_eq!(out.level, out.plan.level_min);
        assert!(out.greedy.picks.is_empty());
        assert_eq!(out.bounds.ratio, 1.0);
        assert!(src.asked.is_empty());
    }
}
