//! What the greedies' tests hold them to.

use crate::model::Node;

use super::{Problem, RrIndex};
use crate::model::Sample;

/// The best R1 coverage over every feasible assignment.
pub fn brute_force(p: &Problem, idx: &RrIndex) -> u64 {
    let mut friends: Vec<Node> = p.candidates.iter().flatten().copied().collect();
    friends.sort_unstable();
    friends.dedup();
    fn go(
        p: &Problem,
        idx: &RrIndex,
        friends: &[Node],
        left: &mut [u32],
        chosen: &mut Vec<Node>,
    ) -> u64 {
        let Some((&f, rest)) = friends.split_first() else {
            let mut hit: Vec<u32> = chosen.iter().flat_map(|&c| idx.of(c, 0)).copied().collect();
            hit.sort_unstable();
            hit.dedup();
            return hit.len() as u64;
        };
        let mut best = go(p, idx, rest, left, chosen);
        for a in 0..p.adopters.len() {
            if left[a] > 0 && p.candidates[a].contains(&f) {
                left[a] -= 1;
                chosen.push(f);
                best = best.max(go(p, idx, rest, left, chosen));
                chosen.pop();
                left[a] += 1;
            }
        }
        best
    }
    let mut left: Vec<u32> = p.adopters.iter().map(|a| a.1).collect();
    go(p, idx, &friends, &mut left, &mut Vec::new())
}

/// An index from per-half lists of RR sets, each the candidates it holds (sample j of half h is
/// rooted at j, in slot h).
pub fn index(r1: &[&[Node]], r2: &[&[Node]]) -> RrIndex {
    let mut mem = Vec::new();
    for (half, rr) in [r1, r2].into_iter().enumerate() {
        for (root, set) in rr.iter().enumerate() {
            for &c in *set {
                let slot = half as u32;
                mem.push((
                    c,
                    Sample {
                        root: root as u64,
                        slot,
                    },
                ));
            }
        }
    }
    RrIndex::build([r1.len(), r2.len()], mem)
}
