//! What one sample needs to know about one member's in-arcs that share the head's threshold (see
//! `ReverseGraph::shared_threshold`) to tell, without testing them again, that none flips when
//! that threshold moves: the largest coin of a live one and the smallest coin of a dead one.
//!
//! When the head's in-degree moves the shared threshold from t to t' under `wc`, none of those
//! arcs flips unless `max_live ≥ t'` (t' < t) or `min_dead < t'` (t' > t), so most samples holding
//! a hub need not test its in-arcs again. A summary may be looser than exact (an arc that went
//! away still counts), never tighter.
//!
//! It is kept beside the sample's id in the head's inverted list (inverted.rs), not in the
//! sample's tree: a change at a hub then reads the summaries of every sample holding it in one
//! pass over one list, where finding the head in each sample's tree was a binary search of its
//! own, and cache misses, per sample (a sixth of a 100-event epoch on R-MAT scale 18). For the
//! same reason it keeps each bound to 32 bits (the coins' top bits), rounded outwards.

use crate::model::is_live;

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

    /// Counts an in-arc's 63-bit coin `c` under its threshold `t`.
    pub(crate) fn note(&mut self, c: u64, t: u64) {
        let top = (c >> DROPPED) as u32;
        if is_live(c, t) {
            self.live = self.live.max(top);
        } else {
            self.dead = self.dead.min(top);
        }
    }

    /// Whether some in-arc under the shared threshold may flip when it moves from `old` to `new`.
    pub(crate) fn may_flip(&self, old: u64, new: u64) -> bool {
        let max_live = ((self.live as u64) << DROPPED) | LOW;
        let min_dead = (self.dead as u64) << DROPPED;
        (new < old && !is_live(max_live, new)) || (new > old && is_live(min_dead, new))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The summary's promise, against the coins themselves: when it says no coin flips, none does.
    #[test]
    fn a_summary_never_misses_a_flip() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x >> 1
        };
        for round in 0..2000 {
            // Coins and thresholds close together, so that rounding matters.
            let base = next();
            let spread = 1u64 << (round % 40);
            let mut near = || base.saturating_sub(spread / 2) + next() % spread.max(1);
            let old = near();
            let coins: Vec<u64> = (0..1 + round % 7).map(|_| near()).collect();
            let mut summary = Summary::EMPTY;
            for &c in &coins {
                summary.note(c, old);
            }
            for _ in 0..8 {
                let new = near();
                let flips = coins.iter().any(|&c| is_live(c, old) != is_live(c, new));
                assert!(
                    !flips || summary.may_flip(old, new),
                    "coins {coins:?}, {old} → {new}"
                );
            }
        }
    }

    #[test]
    fn far_moves_are_ruled_out_and_unknown_rules_out_nothing() {
        let t = 1u64 << 40;
        let mut summary = Summary::EMPTY;
        summary.note(t / 2, t); // live
        summary.note(t * 4, t); // dead
        assert!(!summary.may_flip(t, t * 2));
        assert!(!summary.may_flip(t, t - t / 4));
        assert!(summary.may_flip(t, t / 4));
        assert!(summary.may_flip(t, t * 8));
        assert!(Summary::UNKNOWN.may_flip(t, t + 1) && Summary::UNKNOWN.may_flip(t, t - 1));
        assert!(!Summary::EMPTY.may_flip(t, t * 2) && !Summary::EMPTY.may_flip(t, t / 2));
    }
}
