//! Baselines to hold cimflow's selection against (`cimflow run --method`): the other approaches
//! of the paper's evaluation (Zhang et al., KDD 2023), by the paper's names where it has one.
//!
//! The *local* ones, as in the paper's experiments: adopters, in ascending id order, each choose
//! up to k_a friends from their own candidates C_a by their own criterion, ignoring what the
//! others choose. A friend chosen by several adopters is recommended once, by the first of them;
//! the later adopter's slot is then wasted, not refilled. That waste, and the overlap of the
//! friends' audiences, is what the round-robin RR-Greedy avoids.
//!
//! - `random` (Random): k_a candidates drawn uniformly without replacement (seeded by `--seed`);
//! - `degree` (Degree): the k_a candidates of highest out-degree in G (adopters' arcs included),
//!   ties by smallest id;
//! - `pagerank` (PageRank): the k_a candidates of highest PageRank on P = G − A, damping 0.85
//!   ([`super::pagerank`]), ties by smallest id;
//! - `local` (the paper's local OPIM): the k_a candidates a greedy maximum coverage over a's own
//!   candidates picks on R1, i.e. RR-Greedy with a as the only adopter, on the RR sets at the
//!   level cimflow's selection settled on (so it sees exactly the samples cimflow saw).
//!
//! The *global* ones, which coordinate the adopters as cimflow does:
//!
//! - `mg` (MG-OPIM): the marginal-gain greedy over all (adopter, friend) pairs on RR sets, with
//!   its own certificate and sampling loop ([`super::mg`]);
//! - `mc-greedy` (MG-Greedy): the same greedy on Monte Carlo estimates with CELF
//!   ([`super::mc_greedy`]); `mc-greedy:N` sets the number of simulations.
//!
//! The engine that runs them epoch by epoch is [`crate::engine::baseline`].
//!
//! A baseline's outcome is measured on the same RR sets as cimflow's: each pick's gain is its
//! marginal R1 coverage in pick order, the spread estimate and σ_l are those of the baseline's own
//! set on R2, and σ_u is cimflow's upper bound on the optimum (valid whatever set is reported), so
//! the reported ratio is a certified approximation ratio of the baseline itself. `mg` reports its
//! own outcome instead: its level, its bounds.

use std::fmt;

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::model::Node;

use super::{Greedy, Outcome, Params, Pick, Problem, RrIndex, bounds, certifies, rr_greedy};

/// Which selection `run` makes (`--method`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Method {
    /// RR-Greedy with the RR-OPIM+ certificate: cimflow itself.
    #[default]
    Cimflow,
    /// k random candidates per adopter.
    Random,
    /// Each adopter's k highest out-degree candidates.
    Degree,
    /// Each adopter's k best candidates by its own RR coverage.
    Local,
    /// Each adopter's k candidates of highest PageRank.
    PageRank,
    /// MG-OPIM: the marginal-gain greedy on RR sets, with its own certificate.
    Mg,
    /// MG-Greedy: the marginal-gain greedy on Monte Carlo estimates, with CELF.
    McGreedy {
        /// Monte Carlo simulations per estimate.
        runs: u32,
    },
}

/// The simulations of `mc-greedy` when `mc-greedy:N` does not say: the standard error of a
/// friend's estimated gain is then about 1% of its standard deviation.
pub const DEFAULT_MC_RUNS: u32 = 10_000;

impl std::str::FromStr for Method {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "cimflow" => Ok(Method::Cimflow),
            "random" => Ok(Method::Random),
            "degree" => Ok(Method::Degree),
            "local" => Ok(Method::Local),
            "pagerank" => Ok(Method::PageRank),
            "mg" => Ok(Method::Mg),
            "mc-greedy" => Ok(Method::McGreedy {
                runs: DEFAULT_MC_RUNS,
            }),
            _ => match s.strip_prefix("mc-greedy:").map(str::parse::<u32>) {
                Some(Ok(runs)) if runs > 0 => Ok(Method::McGreedy { runs }),
                Some(_) => Err(format!(
                    "`{s}`: mc-greedy:N wants a positive number of simulations"
                )),
                None => Err(format!(
                    "unknown method `{s}` (expected cimflow, mg, local, pagerank, degree, \
                     random or mc-greedy[:N])"
                )),
            },
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Method::Cimflow => "cimflow",
            Method::Random => "random",
            Method::Degree => "degree",
            Method::Local => "local",
            Method::PageRank => "pagerank",
            Method::Mg => "mg",
            Method::McGreedy { .. } => "mc-greedy",
        })
    }
}

/// Each adopter's `k_a` candidates drawn at random, with an RNG seeded by `seed`.
pub fn random(problem: &Problem, seed: u64) -> Vec<Pick> {
    let mut rng = StdRng::seed_from_u64(seed);
    assign_once(problem, |a| {
        let mut c = problem.candidates[a].clone();
        let k = (problem.adopters[a].1 as usize).min(c.len());
        c.partial_shuffle(&mut rng, k);
        // `partial_shuffle` leaves its picks at the end of the slice.
        c.split_off(c.len() - k)
    })
}

/// Each adopter's `k_a` candidates of highest out-degree in `degrees`, ties by smallest id.
pub fn degree(problem: &Problem, degrees: &FxHashMap<Node, usize>) -> Vec<Pick> {
    assign_once(problem, |a| {
        let mut c = problem.candidates[a].clone();
        c.sort_by_key(|v| (std::cmp::Reverse(degrees.get(v).copied().unwrap_or(0)), *v));
        c.truncate(problem.adopters[a].1 as usize);
        c
    })
}

/// Each adopter's `k_a` candidates of highest `rank`, ties by smallest id (unranked: 0).
pub fn by_rank(problem: &Problem, rank: &FxHashMap<Node, f64>) -> Vec<Pick> {
    assign_once(problem, |a| {
        let mut c = problem.candidates[a].clone();
        let score = |v: &Node| rank.get(v).copied().unwrap_or(0.0);
        c.sort_by(|x, y| score(y).total_cmp(&score(x)).then(x.cmp(y)));
        c.truncate(problem.adopters[a].1 as usize);
        c
    })
}

/// Each adopter's `k_a` candidates by greedy maximum R1 coverage over its own candidates alone.
pub fn local(problem: &Problem, index: &RrIndex) -> Vec<Pick> {
    assign_once(problem, |a| {
        let alone = Problem {
            n: problem.n,
            adopters: vec![problem.adopters[a]],
            candidates: vec![problem.candidates[a].clone()],
            acceptance: None,
        };
        rr_greedy(&alone, index)
            .picks
            .into_iter()
            .map(|p| p.friend)
            .collect()
    })
}

/// Asks each adopter in turn for its friends and keeps those no earlier adopter has taken; gains
/// are filled in later by [`measure`].
fn assign_once(problem: &Problem, mut wants: impl FnMut(usize) -> Vec<Node>) -> Vec<Pick> {
    let mut taken = FxHashSet::default();
    let mut picks = Vec::new();
    for (a, &(adopter, _)) in problem.adopters.iter().enumerate() {
        for friend in wants(a) {
            if taken.insert(friend) {
                picks.push(Pick {
                    adopter,
                    friend,
                    gain: 0,
                });
            }
        }
    }
    picks
}

/// Fills in each pick's marginal R1 coverage (in pick order) and measures the set on R1 and R2;
/// `upper_cov` is carried over from cimflow's selection.
pub fn measure(mut picks: Vec<Pick>, index: &RrIndex, upper_cov: f64) -> Greedy {
    let mut hit = [FxHashSet::default(), FxHashSet::default()];
    for p in &mut picks {
        let mut gain = 0;
        for (half, seen) in hit.iter_mut().enumerate() {
            let new = index.of(p.friend, half).iter().filter(|&&s| seen.insert(s));
            let count = new.count() as u64;
            if half == 0 {
                gain = count;
            }
        }
        p.gain = gain;
    }
    Greedy {
        picks,
        cov1: hit[0].len() as u64,
        cov2: hit[1].len() as u64,
        upper_cov,
    }
}

/// A baseline's picks as an outcome at `cim`'s level, with `cim`'s bound on the optimum.
pub fn baseline_outcome(
    picks: Vec<Pick>,
    problem: &Problem,
    index: &RrIndex,
    cim: &Outcome,
    params: &Params,
) -> Outcome {
    let greedy = measure(picks, index, cim.greedy.upper_cov);
    let bounds = bounds(
        problem.n,
        index.theta,
        greedy.cov2 as f64,
        greedy.upper_cov,
        cim.plan.l,
    );
    Outcome {
        level: cim.level,
        certified: certifies(bounds.ratio, params.epsilon),
        greedy,
        bounds,
        plan: cim.plan,
        expected: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Sample;

    fn problem() -> Problem {
        Problem {
            n: 100,
            adopters: vec![(1, 2), (2, 2)],
            candidates: vec![vec![10, 11, 12], vec![10, 11, 13, 14]],
            acceptance: None,
        }
    }

    fn friends(picks: &[Pick]) -> Vec<(Node, Node)> {
        picks.iter().map(|p| (p.adopter, p.friend)).collect()
    }

    #[test]
    fn degree_takes_the_top_k_and_wastes_a_shared_friend() {
        let degrees: FxHashMap<Node, usize> = [(10, 5), (11, 5), (12, 1), (13, 4), (14, 9)]
            .into_iter()
            .collect();
        let p = degree(&problem(), &degrees);
        // Adopter 1: 10 and 11 (tie by id). Adopter 2 wants 14 and 10; 10 is taken and not refilled.
        assert_eq!(friends(&p), vec![(1, 10), (1, 11), (2, 14)]);
    }

    #[test]
    fn rank_orders_like_degree() {
        let rank: FxHashMap<Node, f64> = [(10, 0.5), (11, 0.5), (12, 0.1), (13, 0.4), (14, 0.9)]
            .into_iter()
            .collect();
        let p = by_rank(&problem(), &rank);
        assert_eq!(friends(&p), vec![(1, 10), (1, 11), (2, 14)]);
    }

    #[test]
    fn methods_parse_and_print() {
        for name in [
            "cimflow",
            "random",
            "degree",
            "local",
            "pagerank",
            "mg",
            "mc-greedy",
        ] {
            let m: Method = name.parse().unwrap();
            assert_eq!(m.to_string(), name);
        }
        assert_eq!(
            "mc-greedy:500".parse::<Method>(),
            Ok(Method::McGreedy { runs: 500 })
        );
        assert!("mc-greedy:0".parse::<Method>().is_err());
        assert!("mc-greedy:x".parse::<Method>().is_err());
        assert!("celf".parse::<Method>().is_err());
    }

    #[test]
    fn random_is_seeded_and_feasible() {
        let a = random(&problem(), 3);
        assert_eq!(friends(&a), friends(&random(&problem(), 3)));
        let pr = problem();
        let mut seen = FxHashSet::default();
        for pick in &a {
            let i = pr
                .adopters
                .iter()
                .position(|x| x.0 == pick.adopter)
                .unwrap();
            assert!(pr.candidates[i].contains(&pick.friend));
            assert!(seen.insert(pick.friend), "a friend assigned twice");
        }
        assert!(a.iter().filter(|p| p.adopter == 1).count() == 2);
    }

    #[test]
    fn local_ignores_the_others_and_measure_counts_marginals() {
        // R1: samples 0..3 hit by 10; sample 3 by 11 and 13; sample 4 by 12.
        let mut mem = Vec::new();
        for root in 0..3 {
            mem.push((10, Sample { root, slot: 0 }));
        }
        mem.push((11, Sample { root: 3, slot: 0 }));
        mem.push((13, Sample { root: 3, slot: 0 }));
        mem.push((12, Sample { root: 4, slot: 0 }));
        mem.push((10, Sample { root: 0, slot: 1 }));
        let index = RrIndex::build([5, 5], mem);
        let p = local(&problem(), &index);
        // Adopter 1: 10 (3), then 11 (1, tie with 12, smaller id). Adopter 2 alone would take 10
        // then 11: both taken, so it recommends nothing.
        assert_eq!(friends(&p), vec![(1, 10), (1, 11)]);
        let g = measure(p, &index, 7.0);
        assert_eq!(
            g.picks.iter().map(|p| p.gain).collect::<Vec<_>>(),
            vec![3, 1]
        );
        assert_eq!((g.cov1, g.cov2, g.upper_cov), (4, 1, 7.0));
    }
}
