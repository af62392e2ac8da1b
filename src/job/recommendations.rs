//! The recommendations last emitted, and the changes from one epoch's solution to the next: a
//! pair appears or goes away; a pair whose gain merely moved is not a change.

use std::collections::BTreeMap;

use crate::engine::Solution;
use crate::model::Node;
use crate::output::Change;

/// The current recommendations, by (adopter, friend), with their gains in users.
#[derive(Default)]
pub struct Recommendations(BTreeMap<(Node, Node), f64>);

impl Recommendations {
    /// Replaces the set with `solution`'s and returns the changes: removals, then additions.
    pub fn update(&mut self, solution: &Solution, n: usize) -> Vec<Change> {
        let theta1 = solution.outcome.bounds.theta[0].max(1) as f64;
        let outcome = &solution.outcome;
        let new: BTreeMap<(Node, Node), f64> = outcome
            .greedy
            .picks
            .iter()
            .zip(outcome.gains())
            .map(|(p, g)| ((p.adopter, p.friend), g * n as f64 / theta1))
            .collect();
        let gone = self
            .0
            .iter()
            .filter(|(k, _)| !new.contains_key(k))
            .map(|(&(a, f), &g)| Change {
                op: "-",
                adopter: a,
                friend: f,
                gain: g,
            });
        let came = new
            .iter()
            .filter(|(k, _)| !self.0.contains_key(k))
            .map(|(&(a, f), &g)| Change {
                op: "+",
                adopter: a,
                friend: f,
                gain: g,
            });
        let changes = gone.chain(came).collect();
        self.0 = new;
        changes
    }

    /// (adopter, friend, gain), by adopter and friend.
    pub fn current(&self) -> Vec<(Node, Node, f64)> {
        self.0.iter().map(|(&(a, f), &g)| (a, f, g)).collect()
    }
}
