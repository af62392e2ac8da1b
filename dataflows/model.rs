//! The vocabulary shared by the dataflow, the oracle and the selection: node and sample ids, the
//! probability models, and the one keyed hash behind every root and every coin.
//!
//! Everything random in cimflow is a pure function of `(seed, ids)` computed here, so that the
//! incremental dataflow, the from-scratch oracle and any number of workers agree bit for bit.

use serde::{Deserialize, Serialize};

/// A user id, as it appears in the input files.
pub type Node = u64;

/// Probabilities are fixed-point thresholds: an arc is live in a sample when its 63-bit coin is
/// below the threshold, so `ONE` means "always live" and `0` "never".
pub const ONE: u64 = 1 << 63;

/// One reverse-reachable sample: rooted at `root`, in slot `slot`.
///
/// `slot = 2·j + half`: `half` (0 or 1) puts the sample in R1 (selection) or R2 (validation);
/// `j` counts the node's samples within its half. A sample exists at sampling rate ρ (expected
/// samples per node and half) when its [`Sample::key`] is below ρ, so raising ρ only adds samples
/// and a new node only adds its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Sample {
    /// The node whose reverse reachable set this sample is.
    pub root: Node,
    /// `2·j + half`.
    pub slot: u32,
}

impl Sample {
    /// 0 for R1 (selection), 1 for R2 (validation).
    pub fn half(&self) -> usize {
        (self.slot & 1) as usize
    }

    /// The inclusion key, in `[j, j + 1)`: the sample exists at rate ρ iff `key < ρ`.
    pub fn key(&self, seed: u64) -> f64 {
        let j = (self.slot >> 1) as f64;
        j + unit(hash3(seed ^ ROOT_TAG, self.root, self.slot as u64))
    }

    /// Whether the arc `u → v` is live in this sample, given its threshold.
    pub fn live(&self, seed: u64, u: Node, v: Node, threshold: u64) -> bool {
        self.coins(seed).live(u, v, threshold)
    }

    /// The sample's coins, keyed once: `coins.coin(u, v) == coin(seed, self, u, v)`.
    pub fn coins(&self, seed: u64) -> Coins {
        Coins(hash3(seed ^ COIN_TAG, self.root, self.slot as u64))
    }
}

/// One sample's coins, with the per-sample half of the hash done once (searches flip thousands).
#[derive(Clone, Copy, Debug)]
pub struct Coins(u64);

impl Coins {
    /// The coin of arc `u → v`: 63 uniform bits.
    pub fn coin(&self, u: Node, v: Node) -> u64 {
        hash3(self.0, u, v) >> 1
    }

    /// Whether arc `u → v` is live, given its threshold.
    pub fn live(&self, u: Node, v: Node, threshold: u64) -> bool {
        is_live(self.coin(u, v), threshold)
    }

    /// The linear threshold model's draw at node `v`: 63 uniform bits, one per (sample, node),
    /// from which [`lt_pick`] chooses v's in-neighbour. Tagged apart from the arc coins.
    pub fn pick(&self, v: Node) -> u64 {
        hash3(self.0 ^ PICK_TAG, v, 0) >> 1
    }
}

/// The linear threshold model's choice at a node whose draw is `x` (from [`Coins::pick`]): the
/// tail of the in-arc whose interval of the cumulative weights contains `x`, the in-arcs taken
/// in ascending order of tail id (`in_arcs` must come so), each weighing its threshold; `None`
/// when `x` lies beyond their total (the node picks no one, with probability 1 − Σ weights).
/// The single definition of the pick, used by the dataflow and the oracle alike: it depends only
/// on the draw and the head's weights in that canonical order, never on the order arcs arrived.
pub fn lt_pick(x: u64, in_arcs: impl Iterator<Item = (Node, u64)>) -> Option<Node> {
    let mut below: u128 = 0;
    for (u, w) in in_arcs {
        below += w as u128;
        if (x as u128) < below {
            return Some(u);
        }
    }
    None
}

/// Whether an arc whose coin is `coin` is live at `threshold`: the one comparison every search
/// (the dataflow's, the oracle's) makes, so that its unit tests cover them all. Strict, so that
/// threshold 0 is never live and [`ONE`] (above every 63-bit coin) always is.
#[inline]
pub fn is_live(coin: u64, threshold: u64) -> bool {
    coin < threshold
}

/// The samples rooted at `root` at rate `rate`, in both halves, in `Ord` order of slot.
pub fn samples_of(seed: u64, root: Node, rate: f64) -> impl Iterator<Item = Sample> {
    let slots = rate.ceil().max(0.0) as u32;
    (0..2 * slots)
        .map(move |slot| Sample { root, slot })
        .filter(move |s| s.key(seed) < rate)
}

/// The sampling rate of a level: levels are powers of two of samples per node and half, so that a
/// node's arrival or departure changes only its own samples and a level's samples contain those of
/// every lower level.
pub fn level_rate(level: i32) -> f64 {
    (level as f64).exp2()
}

/// The smallest level whose rate `reaches`, for a predicate that is monotone in the rate, starting
/// the search from the level near `guess`. The single definition of "the level of": a sample's
/// lowest level (`rate > key`) and the plan's level of a θ (`n·rate ≥ θ`) both come from here.
/// The logarithm only gives the first guess: the comparison itself decides, so that rounding
/// cannot move a level.
pub fn smallest_level(guess: f64, reaches: impl Fn(f64) -> bool) -> i32 {
    let mut e = guess.log2().ceil().clamp(-1000.0, 1000.0) as i32;
    while e > -1100 && reaches(level_rate(e - 1)) {
        e -= 1;
    }
    while !reaches(level_rate(e)) {
        e += 1;
    }
    e
}

/// The lowest level at which a sample with inclusion `key` exists: the smallest e with
/// `level_rate(e) > key`.
pub fn lowest_level(key: f64) -> i32 {
    if key <= 0.0 {
        return i32::MIN;
    }
    smallest_level(key, |rate| rate > key)
}

const ROOT_TAG: u64 = 0x7263_6f6f_7473_2121;
const COIN_TAG: u64 = 0x636f_696e_7321_2121;
const PICK_TAG: u64 = 0x7069_636b_7321_2121;

/// The coin of arc `u → v` in `sample`: 63 uniform bits.
pub fn coin(seed: u64, sample: &Sample, u: Node, v: Node) -> u64 {
    sample.coins(seed).coin(u, v)
}

/// SplitMix64's finaliser: a fixed, well-mixed permutation of u64. Owned here rather than taken
/// from a hashing crate because the coins are part of cimflow's output contract: they must not
/// change when a dependency does.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn hash3(a: u64, b: u64, c: u64) -> u64 {
    mix(mix(mix(a) ^ b) ^ c)
}

/// A uniform float in `[0, 1)` from the top 53 bits of `h`.
fn unit(h: u64) -> f64 {
    (h >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// How arc probabilities are derived from the graph (`--model`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Model {
    /// Weighted cascade: p(u, v) = 1 / indeg(v).
    Wc,
    /// Every arc has the same probability.
    Uniform(f64),
    /// p(u, v) = w(u, v) / Σ_x w(x, v).
    Weighted,
    /// The linear threshold model (`lt`, `lt:weighted`): every node picks at most one
    /// in-neighbour, u with probability b(u, v), where an explicit weight (an `e` event's P) is
    /// b(u, v) itself and the other in-arcs share the rest, 1 − Σ explicit, as the weights say.
    Lt(LtWeights),
}

/// How the linear threshold model weighs the in-arcs without an explicit weight, within the share
/// the explicit ones leave.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LtWeights {
    /// Equally: b(u, v) = 1 / indeg(v) when no in-arc of v has an explicit weight.
    Wc,
    /// In proportion to w(u, v), as the IC `weighted` model does.
    Weighted,
}

impl Model {
    /// Whether this is the linear threshold model.
    pub fn is_lt(&self) -> bool {
        matches!(self, Model::Lt(_))
    }
}

impl std::str::FromStr for Model {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "wc" => Ok(Model::Wc),
            "weighted" => Ok(Model::Weighted),
            "lt" | "lt:wc" => Ok(Model::Lt(LtWeights::Wc)),
            "lt:weighted" => Ok(Model::Lt(LtWeights::Weighted)),
            _ => {
                let p = s.strip_prefix("uniform:").ok_or_else(|| {
                    format!(
                        "unknown model `{s}` (expected wc, weighted, uniform:P, lt or lt:weighted)"
                    )
                })?;
                let p: f64 = p
                    .parse()
                    .map_err(|_| format!("`{p}` is not a probability"))?;
                if (0.0..=1.0).contains(&p) {
                    Ok(Model::Uniform(p))
                } else {
                    Err(format!("probability {p} is outside [0, 1]"))
                }
            }
        }
    }
}

/// The model as `--model` spells it (what its `FromStr` reads back).
impl std::fmt::Display for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Model::Wc => f.write_str("wc"),
            Model::Weighted => f.write_str("weighted"),
            Model::Uniform(p) => write!(f, "uniform:{p}"),
            Model::Lt(LtWeights::Wc) => f.write_str("lt"),
            Model::Lt(LtWeights::Weighted) => f.write_str("lt:weighted"),
        }
    }
}

/// A probability in `[0, 1]` as a threshold.
pub fn threshold_of(p: f64) -> u64 {
    (p.clamp(0.0, 1.0) * ONE as f64) as u64
}

/// What the dataflow needs to know of one arc `u → v`: its weight (the `weighted` model's w(u, v);
/// 1 under the other models, so that interactions do not churn the dataflow for nothing; under
/// LT, 0 for an arc with an explicit weight, which takes no part of the share the others split)
/// and the explicit probability of an `e` event, which wins over the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ArcFact {
    /// w(u, v) under `weighted`; 1 otherwise.
    pub weight: u64,
    /// An explicit probability's threshold.
    pub explicit: Option<u64>,
}

/// What the probability of an in-arc depends on beyond its own fact: its head's in-degree (all
/// arcs, adopters' included) and the sum of its in-arcs' weights.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HeadStats {
    /// Arcs into the head.
    pub indeg: u64,
    /// Σ of their weights.
    pub total: u128,
    /// Σ of their explicit thresholds, modulo 2^64: exact under LT, where the state keeps the
    /// sum at most ONE (the share the explicit weights take); unused, and free to wrap, under IC.
    /// A u64 so that the stats stay 32 bytes a node.
    pub explicit: u64,
}

impl HeadStats {
    /// Counts an in-arc in (`sign` = 1) or out (`sign` = −1).
    pub fn add(&mut self, fact: &ArcFact, sign: i64) {
        let explicit = fact.explicit.unwrap_or(0);
        if sign > 0 {
            self.indeg += 1;
            self.total += fact.weight as u128;
            self.explicit = self.explicit.wrapping_add(explicit);
        } else {
            self.indeg -= 1;
            self.total -= fact.weight as u128;
            self.explicit = self.explicit.wrapping_sub(explicit);
        }
    }
}

/// The threshold of one in-arc with `fact` into a head with `head` stats: the single definition of
/// the probability models, used by the dataflow and the oracle alike. Under LT it is the arc's
/// weight b(u, v): explicit, or its part of what the explicit weights leave,
/// (ONE − Σ explicit) · w / Σ w over the in-arcs without one (whose weights are the only ones in
/// `total`: an explicit arc weighs 0 there). The state refuses explicit weights above ONE in sum,
/// so the weights of a head never add up to more than ONE.
pub fn threshold(model: Model, fact: &ArcFact, head: HeadStats) -> u64 {
    match (fact.explicit, model) {
        (Some(t), _) => t,
        (None, Model::Wc) => ONE / head.indeg.max(1),
        (None, Model::Uniform(p)) => threshold_of(p),
        (None, Model::Weighted) => weighted_threshold(fact.weight, head.total),
        (None, Model::Lt(_)) if head.total == 0 => 0,
        (None, Model::Lt(_)) => {
            let rest = ONE.saturating_sub(head.explicit) as u128;
            (fact.weight as u128 * rest / head.total) as u64
        }
    }
}

/// The threshold of an arc of `weight` into a head whose in-arcs weigh `total` under `weighted`:
/// ⌊weight · ONE / total⌋, so that an arc with coin c is live exactly when
/// (c + 1) · total ≤ weight · ONE (what the samples' summaries rely on).
pub fn weighted_threshold(weight: u64, total: u128) -> u64 {
    if total == 0 {
        return 0;
    }
    (weight as u128 * ONE as u128 / total) as u64
}

/// What an arc's coin is held against: [`threshold`] without its division where that can wait.
/// A search tests most arcs once and keeps few; under `weighted` each test was a 128-bit division.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bar {
    /// The arc's threshold.
    Threshold(u64),
    /// Under `weighted`, an arc of no explicit probability: its weight and its head's total
    /// (above 0: a head of total 0 has threshold 0), whose threshold is [`weighted_threshold`].
    Share { weight: u64, total: u128 },
}

impl Bar {
    /// The bar of an in-arc with `fact` into a head with `head` stats: [`threshold`]'s.
    pub fn of(model: Model, fact: &ArcFact, head: HeadStats) -> Bar {
        match (fact.explicit, model) {
            (None, Model::Weighted) if head.total > 0 => Bar::Share {
                weight: fact.weight,
                total: head.total,
            },
            _ => Bar::Threshold(threshold(model, fact, head)),
        }
    }

    /// Whether the arc with coin `c` is live: [`is_live`] at [`Bar::threshold`]. For a share,
    /// c < ⌊w · ONE / total⌋ exactly when c + 1 ≤ w · ONE / total, i.e. (c + 1) · total ≤ w · ONE:
    /// two multiplications in place of the division (w · ONE < 2^127; a product (c + 1) · total
    /// past 128 bits saturates, and is above w · ONE as the true one is).
    #[inline]
    pub fn live(self, c: u64) -> bool {
        match self {
            Bar::Threshold(t) => is_live(c, t),
            Bar::Share { weight, total } => {
                (c as u128 + 1).saturating_mul(total) <= weight as u128 * ONE as u128
            }
        }
    }

    /// The threshold itself.
    pub fn threshold(self) -> u64 {
        match self {
            Bar::Threshold(t) => t,
            Bar::Share { weight, total } => weighted_threshold(weight, total),
        }
    }
}

/// The thresholds of every in-arc of one head, from its in-arcs `(tail, fact)`.
pub fn thresholds<'a>(
    model: Model,
    in_arcs: impl Iterator<Item = (Node, &'a ArcFact)> + Clone,
) -> impl Iterator<Item = (Node, u64)> {
    let mut head = HeadStats::default();
    in_arcs.clone().for_each(|(_, f)| head.add(f, 1));
    in_arcs.map(move |(u, f)| (u, threshold(model, f, head)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn models_print_as_their_flag() {
        for flag in [
            "wc",
            "weighted",
            "uniform:0.1",
            "uniform:1",
            "lt",
            "lt:weighted",
        ] {
            let model: Model = flag.parse().unwrap();
            assert_eq!(model.to_string(), flag);
        }
    }

    #[test]
    fn samples_nest_as_the_rate_grows() {
        for root in 0..200 {
            let low: Vec<_> = samples_of(7, root, 0.75).collect();
            let high: Vec<_> = samples_of(7, root, 3.0).collect();
            assert!(low.iter().all(|s| high.contains(s)));
            // At an integral rate every node has exactly that many samples in each half.
            assert_eq!(high.len(), 6);
        }
    }

    #[test]
    fn fractional_rate_samples_at_that_rate() {
        let count: usize = (0..20_000).map(|v| samples_of(1, v, 0.25).count()).sum();
        // 40,000 Bernoulli(1/4) trials: mean 10,000, sd ≈ 87.
        assert!((count as i64 - 10_000).abs() < 500, "{count}");
    }

    #[test]
    fn wc_thresholds_split_one() {
        let f = ArcFact {
            weight: 1,
            explicit: None,
        };
        let arcs = [(1, f), (2, f), (3, f)];
        let t: Vec<_> = thresholds(Model::Wc, arcs.iter().map(|(u, f)| (*u, f))).collect();
        assert_eq!(t, vec![(1, ONE / 3), (2, ONE / 3), (3, ONE / 3)]);
    }

    /// The comparison at the coin itself: a threshold equal to the coin is not live, one above
    /// it is; 0 is never live and ONE always is (every coin has 63 bits).
    #[test]
    fn the_comparison_is_strict_and_the_ends_are_exact() {
        for root in 0..200 {
            for slot in 0..4 {
                let coins = Sample { root, slot }.coins(9);
                for (u, v) in [(1, 2), (2, 1), (root, 7), (u64::MAX, 0)] {
                    let c = coins.coin(u, v);
                    assert!(c < ONE, "a coin of 64 bits");
                    assert!(!coins.live(u, v, c) && coins.live(u, v, c + 1), "{c}");
                    assert!(!coins.live(u, v, 0) && coins.live(u, v, ONE));
                    assert!(!is_live(c, c) && is_live(c, c + 1));
                }
            }
        }
        assert!(!is_live(0, 0) && is_live(0, 1) && is_live(ONE - 1, ONE));
    }

    /// R1 (slot 2j) and R2 (slot 2j + 1) flip independent coins, as do two samples of one half:
    /// with equal coins the R2 estimate would be measured on the samples the greedy chose from.
    #[test]
    fn the_halves_flip_independent_coins() {
        let (mut both, mut next_both, mut trials) = (0u64, 0u64, 0u64);
        for root in 0..500u64 {
            let r1 = Sample { root, slot: 2 }.coins(4);
            let r2 = Sample { root, slot: 3 }.coins(4);
            let r1_next = Sample { root, slot: 4 }.coins(4);
            for u in 0..40u64 {
                let a = r1.live(u, root, ONE / 2);
                both += u64::from(a && r2.live(u, root, ONE / 2));
                next_both += u64::from(a && r1_next.live(u, root, ONE / 2));
                trials += 1;
            }
        }
        // 20,000 trials of probability 1/4: sd ≈ 61. Equal coins would give 1/2.
        for n in [both, next_both] {
            assert!(
                (n as i64 - trials as i64 / 4).abs() < 400,
                "{n} of {trials}"
            );
        }
    }

    /// The pick by hand: intervals [0, 100) for tail 1 and [100, 150) for tail 2, in tail order
    /// whatever order they are given in.
    #[test]
    fn lt_pick_takes_the_interval_holding_the_draw() {
        let arcs = [(1, 100), (2, 50)];
        let pick = |x| lt_pick(x, arcs.iter().copied());
        assert_eq!(
            [pick(0), pick(99), pick(100), pick(149), pick(150)],
            [Some(1), Some(1), Some(2), Some(2), None]
        );
        assert_eq!(lt_pick(5, std::iter::empty()), None);
        // Zero weights take no interval.
        assert_eq!(lt_pick(0, [(1, 0), (2, 1)].into_iter()), Some(2));
    }

    /// LT weights by hand: explicit weights take their share, the others split the rest, equally
    /// (`lt`) or by weight (`lt:weighted`); without explicit ones, 1/indeg and w/Σw.
    #[test]
    fn lt_weights_split_what_the_explicit_ones_leave() {
        let plain = |weight| ArcFact {
            weight,
            explicit: None,
        };
        // The state gives an explicit arc weight 0 under LT.
        let half = ArcFact {
            weight: 0,
            explicit: Some(ONE / 2),
        };
        let arcs = [(1, plain(1)), (2, half), (3, plain(3))];
        let lt =
            |w| thresholds(Model::Lt(w), arcs.iter().map(|(u, f)| (*u, f))).collect::<Vec<_>>();
        assert_eq!(
            lt(LtWeights::Weighted),
            vec![(1, ONE / 8), (2, ONE / 2), (3, 3 * (ONE / 8))]
        );
        let ones = [(1, plain(1)), (2, half), (3, plain(1))];
        let t: Vec<_> =
            thresholds(Model::Lt(LtWeights::Wc), ones.iter().map(|(u, f)| (*u, f))).collect();
        assert_eq!(t, vec![(1, ONE / 4), (2, ONE / 2), (3, ONE / 4)]);
        let t: Vec<_> = thresholds(
            Model::Lt(LtWeights::Wc),
            [(1, plain(1)), (3, plain(1))].iter().map(|(u, f)| (*u, f)),
        )
        .collect();
        assert_eq!(t, vec![(1, ONE / 2), (3, ONE / 2)]);
    }

    /// The draw behind the pick is uniform and independent of the arc coins: over many samples
    /// a head with weights ½ and ¼ picks them about that often, and no one a quarter of the time.
    #[test]
    fn lt_picks_follow_the_weights() {
        let arcs = [(4, ONE / 2), (9, ONE / 4)];
        let mut counts = [0i64; 3];
        for root in 0..40_000 {
            let x = Sample { root, slot: 1 }.coins(5).pick(77);
            match lt_pick(x, arcs.iter().copied()) {
                Some(4) => counts[0] += 1,
                Some(9) => counts[1] += 1,
                _ => counts[2] += 1,
            }
        }
        // sd of the ½ count ≈ 100, of the ¼ counts ≈ 87.
        for (got, want) in counts.iter().zip([20_000, 10_000, 10_000]) {
            assert!((got - want).abs() < 500, "{counts:?}");
        }
    }

    #[test]
    fn lt_models_parse() {
        assert_eq!("lt".parse(), Ok(Model::Lt(LtWeights::Wc)));
        assert_eq!("lt:wc".parse(), Ok(Model::Lt(LtWeights::Wc)));
        assert_eq!("lt:weighted".parse(), Ok(Model::Lt(LtWeights::Weighted)));
        let e = "lt:uniform:0.1".parse::<Model>().unwrap_err();
        assert!(e.contains("lt or lt:weighted"), "{e}");
    }

    #[test]
    fn coins_are_uniform_enough() {
        let s = Sample { root: 5, slot: 0 };
        let live = (0..100_000).filter(|&u| s.live(3, u, 9, ONE / 4)).count();
        assert!((live as i64 - 25_000).abs() < 600, "{live}");
    }

    /// A share's bar tests a coin as its threshold does, at the coins where they could part:
    /// a step either side of the threshold, at 0 and at the top, for weights and totals of every
    /// size (totals above 2^64 included); and `Bar::of` keeps `threshold`'s value for every model.
    #[test]
    fn a_share_tests_coins_as_its_threshold_does() {
        let mut x = 0x243f_6a88_85a3_08d3u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for round in 0..50_000u32 {
            let weight = match round % 5 {
                0 => 1,
                1 => next() >> (next() % 64),
                _ => next() % (1 << (round % 40)).max(2),
            };
            let total = match round % 7 {
                0 => weight as u128,
                1 => (next() as u128) << (next() % 40),
                _ => weight as u128 + (next() % (1 << (round % 50)).max(2)) as u128,
            }
            .max(1);
            let bar = Bar::Share { weight, total };
            let t = weighted_threshold(weight, total);
            assert_eq!(bar.threshold(), t);
            for c in [0, 1, t.saturating_sub(1), t, t + 1, ONE - 1, next() >> 1] {
                let c = c.min(ONE - 1);
                assert_eq!(
                    bar.live(c),
                    is_live(c, t),
                    "coin {c}, weight {weight}, total {total}"
                );
            }
        }
        // By hand: weight 1 of total 4 is ONE / 4 = 2^61; weight 3 of 3 is ONE, live for all.
        let quarter = Bar::Share {
            weight: 1,
            total: 4,
        };
        assert!(quarter.live((1 << 61) - 1) && !quarter.live(1 << 61));
        assert!(
            Bar::Share {
                weight: 3,
                total: 3
            }
            .live(ONE - 1)
        );
        let fact = |weight, explicit| ArcFact { weight, explicit };
        let head = HeadStats {
            indeg: 3,
            total: 7,
            explicit: 0,
        };
        for model in [
            Model::Wc,
            Model::Weighted,
            Model::Uniform(0.3),
            Model::Lt(LtWeights::Wc),
        ] {
            for f in [fact(2, None), fact(5, Some(ONE / 9))] {
                assert_eq!(
                    Bar::of(model, &f, head).threshold(),
                    threshold(model, &f, head)
                );
            }
            let empty = HeadStats::default();
            assert_eq!(
                Bar::of(model, &fact(2, None), empty).threshold(),
                threshold(model, &fact(2, None), empty)
            );
        }
    }
}
