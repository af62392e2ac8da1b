//! What one sample needs to know about one member's in-arcs that follow the head's scale (see
//! `ReverseGraph::shared_scale`) to tell, without testing them again, that none flips when the
//! scale moves.
//!
//! Under `wc` and `uniform` the arcs share one threshold t, and the summary keeps the largest coin
//! of a live one and the smallest coin of a dead one: when the head's in-degree moves t to t',
//! none flips unless `max_live ≥ t'` (t' < t) or `min_dead < t'` (t' > t). Under `weighted` an
//! arc of weight w with coin c is live exactly when (c + 1) · total ≤ w · ONE, i.e. when its
//! ratio r = (c + 1) / w is at most ONE / total: the ratios play the coins' part and ONE / total
//! the threshold's, so the summary keeps the largest ratio of a live arc and the smallest of a
//! dead one, and a head whose total moves (every interaction into it) costs a sample one
//! comparison instead of a coin per in-arc. Under either, most samples holding a hub need not
//! test its in-arcs again. A summary may be looser than exact (an arc that went away still
//! counts), never tighter.
//!
//! It is kept beside the sample's id in the head's inverted list (inverted.rs), not in the
//! sample's tree: a change at a hub then reads the summaries of every sample holding it in one
//! pass over one list, where finding the head in each sample's tree was a binary search of its
//! own, and cache misses, per sample (a sixth of a 100-event epoch on R-MAT scale 18). For the
//! same reason it keeps each bound to 32 bits (the top bits of a 63-bit coin or ratio), rounded
//! outwards.

use crate::model::{ONE, is_live};
use crate::reverse_graph::{Scale, Share};

/// Bits of a 63-bit coin below the 32 a summary keeps.
const DROPPED: u32 = 31;
/// The dropped bits, all set.
const LOW: u64 = (1 << DROPPED) - 1;

/// The bounds of one (sample, member) pair, in units of 2^31 of a coin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Summary {
    /// max_live ≤ live·2^31 + (2^31 − 1).
    live: u32,
    /// min_dead ≥ dead·2^31.
    dead: u32,
}

/// The top 32 bits of a 63-bit coin or a ratio. A ratio can reach 2^63 (w = 1, c = 2^63 − 1),
/// one past 32 bits once shifted. Clamped, its live bound reads 2^63 − 1, a hair low; harmless,
/// since such a bound times any risen total (≥ 2) exceeds ONE, so `may_flip` rules nothing out
/// with it.
fn top(x: u64) -> u32 {
    (x >> DROPPED).min(u32::MAX as u64) as u32
}

impl Summary {
    /// No in-arc counted yet.
    pub(crate) const EMPTY: Summary = Summary {
        live: 0,
        dead: u32::MAX,
    };

    /// Knows nothing: every move of the threshold may flip something. Valid for any member,
    /// so it is what a member gets where its in-arcs were never tested.
    pub(crate) const UNKNOWN: Summary = Summary {
        live: u32::MAX,
        dead: 0,
    };

    /// Counts an in-arc's 63-bit coin `c`, `live` or not at its bar, the arc following its head's
    /// scale as `share` says (an arc with a threshold of its own is not counted).
    pub(crate) fn note(&mut self, c: u64, live: bool, share: Share) {
        match share {
            Share::Own => {}
            Share::Threshold if live => self.live = self.live.max(top(c)),
            Share::Threshold => self.dead = self.dead.min(top(c)),
            // r = (c + 1) / w lies in [⌊r⌋, ⌈r⌉]; the bounds are rounded outwards from there.
            // Most arcs move neither bound, and whether one does is a multiplication against
            // the bound: the division (a search's costliest step per arc under `weighted`) is
            // made only for an arc that moves it. (A coin is below 2^63, so c + 1 fits.)
            Share::Weight(w) => {
                let (w, x) = (w.max(1), c + 1);
                let times = |bound: u64| bound as u128 * w as u128;
                if live {
                    // ⌈x / w⌉ > L exactly when x > L · w; a bound at u32::MAX cannot rise.
                    let bound = ((self.live as u64) << DROPPED) | LOW;
                    if self.live < u32::MAX && x as u128 > times(bound) {
                        self.live = top(x.div_ceil(w));
                    }
                } else {
                    // ⌊x / w⌋ < D exactly when x < D · w.
                    let bound = (self.dead as u64) << DROPPED;
                    if (x as u128) < times(bound) {
                        self.dead = top(x / w);
                    }
                }
            }
        }
    }

    /// Whether some in-arc following the head's scale may flip when it moves from `old` to `new`.
    pub(crate) fn may_flip(&self, old: Scale, new: Scale) -> bool {
        let max_live = ((self.live as u64) << DROPPED) | LOW;
        let min_dead = (self.dead as u64) << DROPPED;
        match (old, new) {
            (Scale::Threshold(old), Scale::Threshold(new)) => {
                (new < old && !is_live(max_live, new)) || (new > old && is_live(min_dead, new))
            }
            // A larger total lowers every threshold: a live arc dies if its ratio exceeds
            // ONE / new. A smaller one raises them: a dead arc lives if its ratio is within it.
            (Scale::Total(old), Scale::Total(new)) if old > 0 && new > 0 => {
                let within = |r: u64| {
                    (r as u128)
                        .checked_mul(new)
                        .is_some_and(|x| x <= ONE as u128)
                };
                (new > old && !within(max_live)) || (new < old && within(min_dead))
            }
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::weighted_threshold;

    /// Marsaglia's xorshift64: a fixed stream of test values from a nonzero seed.
    fn xorshift(mut x: u64) -> impl FnMut() -> u64 {
        move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        }
    }

    /// The summary's promise, against the coins themselves: when it says no coin flips, none does.
    #[test]
    fn a_summary_never_misses_a_flip() {
        let mut bits = xorshift(0x9e37_79b9_7f4a_7c15);
        let mut next = || bits() >> 1;
        for round in 0..2000 {
            // Coins and thresholds close together, so that rounding matters.
            let base = next();
            let spread = 1u64 << (round % 40);
            let mut near = || base.saturating_sub(spread / 2) + next() % spread.max(1);
            let old = near();
            let coins: Vec<u64> = (0..1 + round % 7).map(|_| near()).collect();
            let mut summary = Summary::EMPTY;
            for &c in &coins {
                summary.note(c, is_live(c, old), Share::Threshold);
            }
            for _ in 0..8 {
                let new = near();
                let flips = coins.iter().any(|&c| is_live(c, old) != is_live(c, new));
                assert!(
                    !flips || summary.may_flip(Scale::Threshold(old), Scale::Threshold(new)),
                    "coins {coins:?}, {old} → {new}"
                );
            }
        }
    }

    /// The same promise under `weighted`: arcs of random weights whose thresholds are their
    /// shares of a head total that moves, judged by the model's own threshold, not the ratios.
    #[test]
    fn a_weighted_summary_never_misses_a_flip() {
        let mut next = xorshift(0x2545_f491_4f6c_dd1d);
        let mut ruled_out = 0;
        for round in 0..4000 {
            let arcs = 1 + round % 9;
            // Small weights and totals, and large ones, so that both rounding and 32-bit bounds
            // are exercised; a weight of 1 and a total of 1 included.
            let scale = 1u64 << (round % 40);
            let weights: Vec<u64> = (0..arcs).map(|_| 1 + next() % scale).collect();
            let sum: u128 = weights.iter().map(|&w| w as u128).sum();
            let coins: Vec<u64> = (0..arcs).map(|_| next() >> 1).collect();
            let old = sum + (next() % (scale + 1)) as u128;
            let mut summary = Summary::EMPTY;
            for (&c, &w) in coins.iter().zip(&weights) {
                summary.note(c, is_live(c, weighted_threshold(w, old)), Share::Weight(w));
            }
            for _ in 0..8 {
                let new = (sum + (next() % (2 * scale + 1)) as u128).max(1);
                let flips = coins.iter().zip(&weights).any(|(&c, &w)| {
                    is_live(c, weighted_threshold(w, old)) != is_live(c, weighted_threshold(w, new))
                });
                let says = summary.may_flip(Scale::Total(old), Scale::Total(new));
                assert!(
                    !flips || says,
                    "coins {coins:?}, weights {weights:?}, {old} → {new}"
                );
                ruled_out += usize::from(!says && new != old);
            }
        }
        // It must also be of use: most small moves of a large total flip nothing.
        assert!(ruled_out > 10_000, "only {ruled_out} moves ruled out");
    }

    /// `note` divides only where an arc moves a bound: its summaries are those of the plain rule
    /// (both roundings of every ratio, kept where they move the bound), on ratios near the bounds.
    #[test]
    fn noting_without_dividing_keeps_the_plain_bounds() {
        let plain = |s: &mut Summary, c: u64, t: u64, w: u64| {
            let (w, x) = (w.max(1), c + 1);
            if is_live(c, t) {
                s.live = s.live.max(top(x.div_ceil(w)));
            } else {
                s.dead = s.dead.min(top(x / w));
            }
        };
        let mut next = xorshift(0x6a09_e667_f3bc_c908);
        for round in 0..20_000 {
            let scale = 1u64 << (round % 63);
            let (mut fast, mut slow) = (Summary::EMPTY, Summary::EMPTY);
            let t = next() >> 1;
            for _ in 0..1 + round % 12 {
                // Weights of every size, 0 and 1 included; coins near t and at the ends.
                let w = match next() % 8 {
                    0 => 0,
                    1 => 1,
                    _ => next() % scale,
                };
                let c = match next() % 10 {
                    0 => 0,
                    1 => (1 << 63) - 1,
                    // A ratio a step either side of a multiple of 2^31, where the roundings part.
                    2 => {
                        let at = (next() % (1 << 32)) << DROPPED;
                        let x = (at as u128 * w.max(1) as u128 + (next() % 3) as u128).max(2) - 1;
                        x.min(1 << 63) as u64 - 1
                    }
                    _ => (t.saturating_sub(scale) + next() % scale.max(1)).min((1 << 63) - 1),
                };
                fast.note(c, is_live(c, t), Share::Weight(w));
                plain(&mut slow, c, t, w);
                assert_eq!(fast, slow, "coin {c}, threshold {t}, weight {w}");
            }
        }
    }

    #[test]
    fn far_moves_are_ruled_out_and_unknown_rules_out_nothing() {
        let t = 1u64 << 40;
        let (old, th) = (Scale::Threshold(t), Share::Threshold);
        let mut summary = Summary::EMPTY;
        summary.note(t / 2, true, th);
        summary.note(t * 4, false, th);
        summary.note(0, true, Share::Own); // not counted
        assert!(!summary.may_flip(old, Scale::Threshold(t * 2)));
        assert!(!summary.may_flip(old, Scale::Threshold(t - t / 4)));
        assert!(summary.may_flip(old, Scale::Threshold(t / 4)));
        assert!(summary.may_flip(old, Scale::Threshold(t * 8)));
        let unknown = Summary::UNKNOWN;
        assert!(unknown.may_flip(old, Scale::Threshold(t + 1)));
        assert!(unknown.may_flip(old, Scale::Threshold(t - 1)));
        assert!(!Summary::EMPTY.may_flip(old, Scale::Threshold(t * 2)));
        assert!(!Summary::EMPTY.may_flip(old, Scale::Threshold(t / 2)));
    }

    /// Worked by hand: ONE = 2^63, two arcs of weight 1 into a head of total 4 (threshold 2^61),
    /// coins 2^60 (live: 2^60 < 2^61) and 2^62 (dead).
    #[test]
    fn weighted_moves_by_hand() {
        let (live, dead) = (1u64 << 60, 1u64 << 62);
        let mut summary = Summary::EMPTY;
        for c in [live, dead] {
            summary.note(c, is_live(c, weighted_threshold(1, 4)), Share::Weight(1));
        }
        let from = |total: u128| summary.may_flip(Scale::Total(4), Scale::Total(total));
        // Total 5: threshold ⌊2^63 / 5⌋ > 2^60 keeps the live arc live; 9: ⌊2^63 / 9⌋ < 2^60 kills it.
        assert!(!from(5) && !from(7));
        assert!(from(9));
        // Total 3: ⌊2^63 / 3⌋ < 2^62 keeps the dead arc dead; total 1 (threshold ONE) revives it.
        assert!(!from(3));
        assert!(from(1));
        // A total of 0 (no arcs) or a move between kinds of scale is never ruled out.
        assert!(summary.may_flip(Scale::Total(0), Scale::Total(4)));
        assert!(summary.may_flip(Scale::Total(4), Scale::Threshold(1)));
        assert!(Summary::UNKNOWN.may_flip(Scale::Total(4), Scale::Total(5)));
    }
}
