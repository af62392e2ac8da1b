//! The RR index of one level: for every candidate c, the samples of R1 and of R2 whose RR set
//! contains c, as dense sample ids, so that Λ_R(S) = |∪_{c ∈ S} members(c)| is a set union of
//! small integers.
//!
//! Dense ids number the distinct samples of each half that hit some candidate in `Sample` order,
//! so they depend only on the set of memberships, never on the order they arrived in.

use rustc_hash::FxHashMap;

use crate::model::{Node, Sample};

/// Candidate → the samples containing it, per half, at one level.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RrIndex {
    /// [|R1|, |R2|]: every sample of the level, hit or not (the denominators of the estimates).
    pub theta: [usize; 2],
    /// Candidate → sorted, deduplicated dense ids of its samples in R1 and in R2.
    pub members: FxHashMap<Node, [Vec<u32>; 2]>,
}

impl RrIndex {
    /// Builds the index from memberships (candidate, sample) already filtered to the level.
    /// Duplicate memberships are harmless.
    pub fn build(theta: [usize; 2], memberships: impl IntoIterator<Item = (Node, Sample)>) -> Self {
        let memberships: Vec<(Node, Sample)> = memberships.into_iter().collect();
        // Dense ids follow the order of the distinct samples of each half, found through a hash
        // map rather than a search per membership.
        let mut ids: [FxHashMap<Sample, u32>; 2] = Default::default();
        for &(_, s) in &memberships {
            ids[s.half()].entry(s).or_insert(0);
        }
        for half in &mut ids {
            let mut samples: Vec<Sample> = half.keys().copied().collect();
            samples.sort_unstable();
            for (id, s) in samples.into_iter().enumerate() {
                half.insert(s, id as u32);
            }
        }
        debug_assert!(
            ids[0].len() <= theta[0] && ids[1].len() <= theta[1],
            "more samples hit than θ counts"
        );
        let mut members: FxHashMap<Node, [Vec<u32>; 2]> = FxHashMap::default();
        for (c, s) in memberships {
            let h = s.half();
            members.entry(c).or_default()[h].push(ids[h][&s]);
        }
        Self::from_dense(theta, members)
    }

    /// Builds the index from lists of dense sample ids already assigned (by an engine that keeps
    /// its own), in any order and with repeats: they are sorted and deduplicated here, so that
    /// every index holds the invariant. The greedy's result does not depend on which ids the
    /// samples carry, only on which samples they tell apart.
    pub fn from_dense(theta: [usize; 2], mut members: FxHashMap<Node, [Vec<u32>; 2]>) -> Self {
        for lists in members.values_mut() {
            for list in lists {
                list.sort_unstable();
                list.dedup();
            }
        }
        RrIndex { theta, members }
    }

    /// The samples of `half` containing `c` (empty when c is in none).
    pub fn of(&self, c: Node, half: usize) -> &[u32] {
        self.members.get(&c).map_or(&[], |m| &m[half])
    }
}

/// Sample → the positions in `lists` of the lists holding it, as a CSR: the positions of sample s
/// are `members[start[s]..start[s + 1]]`, and `start.len() - 1` samples are counted (one past the
/// largest id). For the greedies, which lower the gains of every candidate of a sample once it is
/// covered.
pub fn inverse(lists: &[&[u32]]) -> (Vec<usize>, Vec<u32>) {
    let samples = lists
        .iter()
        .filter_map(|l| l.iter().max())
        .max()
        .map_or(0, |&s| s as usize + 1);
    let mut start = vec![0usize; samples + 1];
    for l in lists {
        for &s in *l {
            start[s as usize + 1] += 1;
        }
    }
    for i in 0..samples {
        start[i + 1] += start[i];
    }
    let mut fill = start.clone();
    let mut members = vec![0u32; start[samples]];
    for (c, l) in lists.iter().enumerate() {
        for &s in *l {
            members[fill[s as usize]] = c as u32;
            fill[s as usize] += 1;
        }
    }
    (start, members)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn memberships() -> Vec<(Node, Sample)> {
        let mut v = Vec::new();
        for root in 0..30u64 {
            for slot in 0..4u32 {
                for c in [3u64, 7, 11] {
                    if (root * 31 + slot as u64 * 17 + c * 5) % 7 < 3 {
                        v.push((c, Sample { root, slot }));
                    }
                }
            }
        }
        v
    }

    #[test]
    fn independent_of_input_order() {
        let fwd = memberships();
        let mut rev = fwd.clone();
        rev.reverse();
        // Interleave and duplicate as well.
        let mut shuffled: Vec<_> = rev
            .iter()
            .step_by(2)
            .chain(fwd.iter().step_by(3))
            .copied()
            .collect();
        shuffled.extend(rev.iter().skip(1).step_by(2));
        let a = RrIndex::build([60, 60], fwd);
        let b = RrIndex::build([60, 60], rev);
        let c = RrIndex::build([60, 60], shuffled);
        assert_eq!(a, b);
        assert_eq!(a, c);
    }

    #[test]
    fn dense_ids_follow_sample_order_per_half() {
        let m = vec![
            (5, Sample { root: 9, slot: 0 }),
            (5, Sample { root: 2, slot: 1 }),
            (6, Sample { root: 2, slot: 0 }),
            (6, Sample { root: 9, slot: 1 }),
            (6, Sample { root: 9, slot: 0 }),
        ];
        let idx = RrIndex::build([4, 4], m);
        // R1: (2,0) → 0, (9,0) → 1. R2: (2,1) → 0, (9,1) → 1.
        assert_eq!(idx.of(5, 0), &[1]);
        assert_eq!(idx.of(5, 1), &[0]);
        assert_eq!(idx.of(6, 0), &[0, 1]);
        assert_eq!(idx.of(6, 1), &[1]);
        assert!(idx.of(8, 0).is_empty());
    }
}
