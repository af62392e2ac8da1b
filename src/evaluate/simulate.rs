//! Monte Carlo estimate of the spread σ_P(S), independent of the RR-set code: the check that the
//! RR estimates and bounds are about the right quantity.
//!
//! σ_P(S) = E[|{v ∈ P : v is reached from S \ A over live arcs}|] under the independent cascade
//! on P = G − A: adopters neither pass influence on nor count, seeds that are adopters are
//! ignored, and seeds count themselves. Each of `runs` cascades flips a fresh coin per arc
//! attempt (live when a uniform float in [0, 1) from 53 random bits is below p, so p = 0 never is
//! and p = 1 always is); the estimate is the sample mean X̄ with standard
//! error s/√runs.
//!
//! Under the linear threshold model ([`Diffusion::Threshold`]) the arcs carry weights b(u, v)
//! instead, and each cascade is simulated in the model's threshold form (Kempe, Kleinberg and
//! Tardos 2003), not in the live-edge form the RR walks sample: every node v draws a threshold
//! θ_v uniform in [0, 1) and becomes active once the weights from its active in-neighbours add
//! up to θ_v. The two forms give the same distribution of active sets, which is what makes this
//! an independent check of the walks.
//!
//! Under acceptance ([`monte_carlo_accepting`]) each invitation (f, w) first flips its own coin:
//! f is a seed of the cascade only when it accepts, with probability w; an invitation with w = 1
//! flips no coin, so the random stream of a run without acceptance is the one it always was.
//!
//! Runs are split over threads, each with its own `StdRng` seeded from (rng_seed, thread index),
//! so an estimate is reproducible for a given (rng_seed, threads).

use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};

use crate::model::Node;

/// A Monte Carlo estimate of a spread.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// The mean number of activated nodes.
    pub mean: f64,
    /// The standard error of `mean` (0 with fewer than two runs).
    pub std_err: f64,
    /// The number of cascades simulated.
    pub runs: usize,
}

/// How influence spreads in a simulation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Diffusion {
    /// Independent cascade: arc u → v (u, v, p) is live with probability p.
    Cascade,
    /// Linear threshold: arc u → v (u, v, b) adds b towards v's uniform threshold.
    Threshold,
}

/// Simulates `runs` independent cascades from `seeds` over `arcs` (u, v, p), where arc u → v is
/// live with probability p.
pub fn monte_carlo(
    arcs: &[(Node, Node, f64)],
    adopters: &[Node],
    seeds: &[Node],
    runs: usize,
    threads: usize,
    rng_seed: u64,
) -> Estimate {
    let invited: Vec<(Node, f64)> = seeds.iter().map(|&s| (s, 1.0)).collect();
    simulate(
        Diffusion::Cascade,
        arcs,
        adopters,
        &invited,
        runs,
        threads,
        rng_seed,
    )
}

/// [`monte_carlo`] from invitations (f, w): in each run, f is a seed with probability w,
/// independently of every other invitation and of the arcs.
pub fn monte_carlo_accepting(
    arcs: &[(Node, Node, f64)],
    adopters: &[Node],
    invited: &[(Node, f64)],
    runs: usize,
    threads: usize,
    rng_seed: u64,
) -> Estimate {
    simulate(
        Diffusion::Cascade,
        arcs,
        adopters,
        invited,
        runs,
        threads,
        rng_seed,
    )
}

/// [`monte_carlo_accepting`] under `diffusion`: `arcs` carry probabilities for
/// [`Diffusion::Cascade`] and weights for [`Diffusion::Threshold`].
pub fn simulate(
    diffusion: Diffusion,
    arcs: &[(Node, Node, f64)],
    adopters: &[Node],
    invited: &[(Node, f64)],
    runs: usize,
    threads: usize,
    rng_seed: u64,
) -> Estimate {
    let seeds: Vec<Node> = invited.iter().map(|&(s, _)| s).collect();
    let mut blocked = adopters.to_vec();
    blocked.sort_unstable();
    let is_adopter = |v: &Node| blocked.binary_search(v).is_ok();

    let kept: Vec<(Node, Node, f64)> = arcs
        .iter()
        .filter(|(u, v, t)| *t > 0.0 && !is_adopter(u) && !is_adopter(v))
        .copied()
        .collect();
    let mut nodes: Vec<Node> = kept.iter().flat_map(|&(u, v, _)| [u, v]).collect();
    nodes.extend(seeds.iter().filter(|s| !is_adopter(s)));
    nodes.sort_unstable();
    nodes.dedup();
    let dense = |v: &Node| nodes.binary_search(v).expect("collected above") as u32;

    // Forward CSR.
    let mut start = vec![0usize; nodes.len() + 1];
    for (u, _, _) in &kept {
        start[dense(u) as usize + 1] += 1;
    }
    for i in 0..nodes.len() {
        start[i + 1] += start[i];
    }
    let mut fill = start.clone();
    let mut out = vec![(0u32, 0f64); kept.len()];
    for (u, v, t) in &kept {
        let u = dense(u) as usize;
        out[fill[u]] = (dense(v), *t);
        fill[u] += 1;
    }
    let mut roots: Vec<(u32, f64)> = invited
        .iter()
        .filter(|(s, _)| !is_adopter(s))
        .map(|(s, w)| (dense(s), *w))
        .collect();
    // Sure invitations first for each friend, so that a sure one makes the others moot.
    roots.sort_unstable_by(|x, y| x.0.cmp(&y.0).then(y.1.total_cmp(&x.1)));
    roots.dedup_by(|later, first| later.0 == first.0 && first.1 >= 1.0);

    let graph = Csr { start, out };
    let threads = threads.clamp(1, runs.max(1));
    // Integer sums: exact, so the merge order of the threads cannot matter.
    let (sum, sum_sq) = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|i| {
                let share = runs / threads + usize::from(i < runs % threads);
                let (graph, roots) = (&graph, &roots);
                scope.spawn(move || {
                    let mut seed = [0u8; 32];
                    seed[..8].copy_from_slice(&rng_seed.to_le_bytes());
                    seed[8..16].copy_from_slice(&(i as u64).to_le_bytes());
                    let mut rng = StdRng::from_seed(seed);
                    let mut sim = Cascade::new(graph.start.len() - 1);
                    let (mut sum, mut sum_sq) = (0u128, 0u128);
                    for _ in 0..share {
                        let x = match diffusion {
                            Diffusion::Cascade => sim.run(graph, roots, &mut rng),
                            Diffusion::Threshold => sim.run_threshold(graph, roots, &mut rng),
                        } as u128;
                        sum += x;
                        sum_sq += x * x;
                    }
                    (sum, sum_sq)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a simulation thread panicked"))
            .fold((0u128, 0u128), |a, b| (a.0 + b.0, a.1 + b.1))
    });

    if runs == 0 {
        return Estimate {
            mean: 0.0,
            std_err: 0.0,
            runs,
        };
    }
    let r = runs as f64;
    let mean = sum as f64 / r;
    let std_err = if runs < 2 {
        0.0
    } else {
        // s² = (Σx² − (Σx)²/r) / (r − 1), computed exactly in integers where it can cancel.
        let centred = (sum_sq * runs as u128 - sum * sum) as f64 / r;
        (centred / (r - 1.0) / r).sqrt()
    };
    Estimate {
        mean,
        std_err,
        runs,
    }
}

/// A uniform float in [0, 1) from the top 53 bits of `r`.
fn unit(r: u64) -> f64 {
    (r >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

struct Csr {
    start: Vec<usize>,
    out: Vec<(u32, f64)>,
}

/// One thread's scratch space: a visit stamp per node saves clearing between runs.
struct Cascade {
    stamp: Vec<u32>,
    now: u32,
    queue: Vec<u32>,
    /// Under LT: `drawn[v] == now` once v has its threshold `theta[v]` and its incoming weight
    /// so far, `sum[v]`, in this run.
    drawn: Vec<u32>,
    theta: Vec<f64>,
    sum: Vec<f64>,
}

impl Cascade {
    fn new(n: usize) -> Self {
        Cascade {
            stamp: vec![0; n],
            now: 0,
            queue: Vec::new(),
            drawn: Vec::new(),
            theta: Vec::new(),
            sum: Vec::new(),
        }
    }

    fn next_run(&mut self) {
        self.now += 1;
        if self.now == u32::MAX {
            self.stamp.fill(0);
            self.drawn.fill(0);
            self.now = 1;
        }
    }

    /// Starts a run from the invitations that are accepted.
    fn seed(&mut self, roots: &[(u32, f64)], rng: &mut StdRng) {
        self.queue.clear();
        for &(r, w) in roots {
            // A declined invitation seeds nothing; a sure one costs no coin.
            let accepted = w >= 1.0 || unit(rng.next_u64()) < w;
            if accepted && self.stamp[r as usize] != self.now {
                self.stamp[r as usize] = self.now;
                self.queue.push(r);
            }
        }
    }

    /// One run of the threshold model; returns the number of nodes activated, seeds included.
    /// A node's threshold is drawn when weight first reaches it; activation order does not
    /// matter to the final set (it is the least fixed point of monotone rules).
    fn run_threshold(&mut self, g: &Csr, roots: &[(u32, f64)], rng: &mut StdRng) -> usize {
        let n = self.stamp.len();
        if self.drawn.len() != n {
            (self.drawn, self.theta, self.sum) = (vec![0; n], vec![0.0; n], vec![0.0; n]);
        }
        self.next_run();
        self.seed(roots, rng);
        let mut head = 0;
        while let Some(&u) = self.queue.get(head) {
            head += 1;
            for &(v, w) in &g.out[g.start[u as usize]..g.start[u as usize + 1]] {
                let v = v as usize;
                if self.stamp[v] == self.now {
                    continue;
                }
                if self.drawn[v] != self.now {
                    self.drawn[v] = self.now;
                    self.theta[v] = unit(rng.next_u64());
                    self.sum[v] = 0.0;
                }
                self.sum[v] += w;
                if self.sum[v] >= self.theta[v] {
                    self.stamp[v] = self.now;
                    self.queue.push(v as u32);
                }
            }
        }
        self.queue.len()
    }

    /// One cascade; returns the number of nodes activated, seeds included.
    fn run(&mut self, g: &Csr, roots: &[(u32, f64)], rng: &mut StdRng) -> usize {
        self.next_run();
        self.seed(roots, rng);
        let mut head = 0;
        while let Some(&u) = self.queue.get(head) {
            head += 1;
            for &(v, t) in &g.out[g.start[u as usize]..g.start[u as usize + 1]] {
                // An arc into an active node cannot change anything, so it costs no coin.
                if self.stamp[v as usize] != self.now && unit(rng.next_u64()) < t {
                    self.stamp[v as usize] = self.now;
                    self.queue.push(v);
                }
            }
        }
        self.queue.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    const HALF: f64 = 0.5;
    const ONE: f64 = 1.0;

    #[test]
    fn path_with_half_arcs() {
        // E = 1 + 1/2 + 1/4.
        let arcs = [(1, 2, HALF), (2, 3, HALF)];
        let e = monte_carlo(&arcs, &[], &[1], 40_000, 4, 7);
        assert_eq!(e.runs, 40_000);
        assert!((e.mean - 1.75).abs() < 4.0 * e.std_err, "{e:?}");
        // The true standard deviation is √(11/16); the estimate should be close to it.
        let sd = e.std_err * (e.runs as f64).sqrt();
        assert!((sd - (11f64 / 16.0).sqrt()).abs() < 0.05, "{e:?}");
    }

    #[test]
    fn reproducible() {
        let arcs = [(1, 2, HALF), (2, 3, HALF), (1, 3, ONE / 3.0)];
        let a = monte_carlo(&arcs, &[], &[1], 5_000, 3, 11);
        let b = monte_carlo(&arcs, &[], &[1], 5_000, 3, 11);
        assert_eq!(a, b);
        let c = monte_carlo(&arcs, &[], &[1], 5_000, 3, 12);
        assert_ne!(a, c);
    }

    /// Runs that do not divide among the threads are all simulated, and the mean is theirs.
    #[test]
    fn every_run_counts_whatever_the_threads() {
        let arcs = [(1, 2, ONE), (2, 3, ONE)];
        for (runs, threads) in [(10, 4), (7, 3), (5, 1), (2, 5)] {
            let e = monte_carlo(&arcs, &[], &[1], runs, threads, 0);
            assert_eq!(
                (e.mean, e.std_err, e.runs),
                (3.0, 0.0, runs),
                "{runs} on {threads}"
            );
        }
    }

    #[test]
    fn adopters_block_and_do_not_count() {
        let arcs = [(1, 2, ONE), (2, 3, ONE), (1, 4, ONE)];
        let e = monte_carlo(&arcs, &[2], &[1], 100, 2, 0);
        assert_eq!((e.mean, e.std_err), (2.0, 0.0));
        // An adopter seed is ignored; a duplicate seed counts once.
        let e = monte_carlo(&arcs, &[2], &[2, 3, 3], 100, 2, 0);
        assert_eq!(e.mean, 1.0);
        let e = monte_carlo(&arcs, &[], &[1], 10, 1, 0);
        assert_eq!(e.mean, 4.0);
    }

    /// LT by hand: 1 → 3 (b = ½), 2 → 3 (b = ¼), 3 → 4 (b = 1), 2 → 4 unused. From {1}:
    /// 3 with ½, then 4 surely: E = 1 + ½ + ½ = 2. From {1, 2}: 3 with ¾: E = 2 + ¾ + ¾.
    /// Weights add up (an independent cascade would give 3 with 1 − ½·¾ = ⅝).
    #[test]
    fn threshold_weights_add_up() {
        let arcs = [(1, 3, HALF), (2, 3, 0.25), (3, 4, ONE)];
        let e = simulate(Diffusion::Threshold, &arcs, &[], &[(1, ONE)], 40_000, 2, 3);
        assert!((e.mean - 2.0).abs() < 4.0 * e.std_err, "{e:?}");
        let e = simulate(
            Diffusion::Threshold,
            &arcs,
            &[],
            &[(1, ONE), (2, ONE)],
            40_000,
            2,
            3,
        );
        assert!((e.mean - 3.5).abs() < 4.0 * e.std_err, "{e:?}");
        // An adopter's weight reaches no one.
        let e = simulate(Diffusion::Threshold, &arcs, &[2], &[(1, ONE)], 10_000, 2, 3);
        assert!((e.mean - 2.0).abs() < 4.0 * e.std_err, "{e:?}");
    }

    #[test]
    fn invitations_accept_with_their_probability() {
        // 1 → 2 surely. Invite 1 at w = 1/2 and 3 (isolated) at 1/4 and at 1/2 (two
        // invitations, independent): E = ½·2 + (1 − ¾·½)·1 = 1.625.
        let arcs = [(1, 2, ONE)];
        let e = monte_carlo_accepting(&arcs, &[], &[(1, HALF), (3, 0.25), (3, HALF)], 40_000, 4, 3);
        assert!((e.mean - 1.625).abs() < 4.0 * e.std_err, "{e:?}");
        // Sure invitations: exactly the cascade without acceptance, coin for coin.
        let arcs = [(1, 2, HALF), (2, 3, HALF)];
        let a = monte_carlo(&arcs, &[], &[1, 3], 5_000, 2, 5);
        let b = monte_carlo_accepting(&arcs, &[], &[(3, ONE), (1, ONE), (3, ONE)], 5_000, 2, 5);
        assert_eq!(a, b);
    }

    #[test]
    fn degenerate() {
        let e = monte_carlo(&[], &[], &[], 0, 4, 0);
        assert_eq!((e.mean, e.std_err, e.runs), (0.0, 0.0, 0));
        let e = monte_carlo(&[(1, 2, 0.0)], &[], &[5], 3, 8, 0);
        assert_eq!((e.mean, e.std_err), (1.0, 0.0));
    }
}
