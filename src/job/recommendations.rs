//! The recommendations last emitted, and the changes from one epoch's solution to the next: a
//! pair appears or goes away; a pair whose gain merely moved is not a change.

use crate::engine::Solution;
use crate::model::Node;
use crate::output::Change;

/// The current recommendations, sorted by (adopter, friend), with their gains in users. Kept as a
/// sorted list, not a map: an epoch replaces the whole set, and two sorted lists diff in one merge
/// (a `BTreeMap` built and probed per epoch was 6% of a 100-event epoch on R-MAT scale 18).
#[derive(Default)]
pub struct Recommendations {
    now: Vec<((Node, Node), f64)>,
    /// The next epoch's list, built in place of the one before last.
    next: Vec<((Node, Node), f64)>,
}

impl Recommendations {
    /// Replaces the set with `solution`'s and returns the changes: removals, then additions, each
    /// by (adopter, friend).
    pub fn update(&mut self, solution: &Solution, n: usize) -> Vec<Change> {
        let theta1 = solution.outcome.bounds.theta[0].max(1) as f64;
        let outcome = &solution.outcome;
        let next = &mut self.next;
        next.clear();
        next.extend(
            outcome
                .greedy
                .picks
                .iter()
                .zip(outcome.gains())
                .map(|(p, g)| ((p.adopter, p.friend), g * n as f64 / theta1)),
        );
        next.sort_unstable_by_key(|e| e.0);
        // Every method names a pair at most once; a repeat would otherwise be added twice.
        debug_assert!(next.windows(2).all(|w| w[0].0 != w[1].0));
        next.dedup_by_key(|e| e.0);
        let change = |op, &((adopter, friend), gain): &((Node, Node), f64)| Change {
            op,
            adopter,
            friend,
            gain,
        };
        let (mut gone, mut came) = (Vec::new(), Vec::new());
        let (old, new) = (&self.now, &*next);
        let (mut i, mut j) = (0, 0);
        while i < old.len() || j < new.len() {
            match (old.get(i), new.get(j)) {
                (Some(a), Some(b)) if a.0 == b.0 => {
                    i += 1;
                    j += 1;
                }
                (Some(a), b) if b.is_none_or(|b| a.0 < b.0) => {
                    gone.push(change("-", a));
                    i += 1;
                }
                (_, Some(b)) => {
                    came.push(change("+", b));
                    j += 1;
                }
                (_, None) => unreachable!("an old pair with no new one is taken by the arm above"),
            }
        }
        std::mem::swap(&mut self.now, &mut self.next);
        gone.extend(came);
        gone
    }

    /// (adopter, friend, gain), by adopter and friend.
    pub fn current(&self) -> Vec<(Node, Node, f64)> {
        self.now.iter().map(|&((a, f), g)| (a, f, g)).collect()
    }
}
