//! The live greedies against RR-Greedy and the expected-coverage greedy on an index built from
//! scratch: after every step of a random
//! history of membership changes and row changes, on one [`LiveGreedy`] and one [`Members`]
//! carried through the whole history (stamps, freed and reused ids, patched rows), at a level that
//! leaves some samples out.

use std::collections::BTreeSet;

use proptest::prelude::*;

use super::*;
use crate::model::{Node, Sample, lowest_level};
use crate::selection::expected::expected_greedy;
use crate::selection::{RrIndex, rr_greedy};

const SEED: u64 = 7;

/// One step: memberships to toggle, rows to redraw (adopter position, candidate bit mask), a
/// capacity to change, and the level to select at (an offset from the lowest level seen).
#[derive(Clone, Debug)]
struct Step {
    toggles: Vec<(Node, Sample)>,
    rows: Vec<(usize, u8)>,
    capacity: Option<(usize, u32)>,
    level_cut: u8,
}

fn step() -> impl Strategy<Value = Step> {
    let membership =
        (0u64..7, 0u64..6, 0u32..6).prop_map(|(c, root, slot)| (c, Sample { root, slot }));
    (
        prop::collection::vec(membership, 0..12),
        prop::collection::vec((0usize..3, any::<u8>()), 0..3),
        prop::option::of((0usize..3, 0u32..4)),
        0u8..3,
    )
        .prop_map(|(toggles, rows, capacity, level_cut)| Step {
            toggles,
            rows,
            capacity,
            level_cut,
        })
}

fn row(mask: u8) -> Vec<Node> {
    (0..7).filter(|c| mask >> c & 1 == 1).collect()
}

/// The levels the samples of the universe start at, ascending.
fn levels() -> Vec<i32> {
    let mut l: Vec<i32> = (0u64..6)
        .flat_map(|root| (0u32..6).map(move |slot| Sample { root, slot }))
        .map(|s| lowest_level(s.key(SEED)))
        .collect();
    l.sort_unstable();
    l.dedup();
    l
}

proptest! {
    #[test]
    fn equals_rr_greedy_on_a_fresh_index(steps in prop::collection::vec(step(), 1..12)) {
        let levels = levels();
        let mut held: BTreeSet<(Node, Sample)> = BTreeSet::new();
        let mut members = Members::new(SEED);
        let mut live = LiveGreedy::default();
        let mut problem = Problem {
            n: 100,
            adopters: vec![(20, 2), (21, 1), (22, 3)],
            candidates: vec![row(0b0000111), row(0b0011100), row(0b1110001)],
            acceptance: None,
        };
        live.sync(&problem, &mut members, Rows::All);
        for (i, st) in steps.iter().enumerate() {
            for &m in &st.toggles {
                toggle(&mut held, &mut members, m);
            }
            let mut changed: Vec<usize> = Vec::new();
            for &(a, mask) in &st.rows {
                problem.candidates[a] = row(mask);
                if !changed.contains(&a) {
                    changed.push(a);
                }
            }
            if let Some((a, k)) = st.capacity {
                problem.adopters[a].1 = k;
            }
            // Every third step resyncs everything, as an adopter change does.
            let rows = if i % 3 == 2 { Rows::All } else { Rows::Some(&changed) };
            live.sync(&problem, &mut members, rows);
            let level = levels[levels.len() - 1 - st.level_cut as usize % levels.len()];
            let index = RrIndex::build(
                [100, 100],
                held.iter().copied().filter(|(_, s)| lowest_level(s.key(SEED)) <= level),
            );
            let want = rr_greedy(&problem, &index);
            let got = live.run(&problem, &mut members, level);
            prop_assert_eq!(got, want, "step {}", i);
            // Under acceptance: weights drawn from the step, on the same table and buffers.
            let weighted = Problem {
                acceptance: Some(
                    problem
                        .candidates
                        .iter()
                        .enumerate()
                        .map(|(a, row)| row.iter().map(|&c| weight(i, a, c)).collect())
                        .collect(),
                ),
                ..problem.clone()
            };
            let want = expected_greedy(&weighted, &index);
            let got = live.run_expected(&weighted, &mut members, level);
            prop_assert_eq!(got, want, "step {} under acceptance", i);
        }
    }
}

/// Adds membership `m` to `held` and `members` if it is not held, else takes it out of both.
fn toggle(held: &mut BTreeSet<(Node, Sample)>, members: &mut Members, m: (Node, Sample)) {
    if held.insert(m) {
        members.insert(m.0, m.1);
    } else {
        held.remove(&m);
        members.remove(m.0, m.1);
    }
}

/// A table holding `held`.
fn table(held: &BTreeSet<(Node, Sample)>) -> Members {
    let mut members = Members::new(SEED);
    for &(c, s) in held {
        members.insert(c, s);
    }
    members
}

/// An acceptance in (0, 1] that varies with the step, the adopter and the friend (1 now and then).
fn weight(step: usize, a: usize, c: Node) -> f64 {
    let h = (step as u64 * 31 + a as u64 * 7 + c * 13) % 11;
    if h == 0 { 1.0 } else { h as f64 / 11.0 }
}

/// Ids go back to the table once nothing holds them, and come back for new nodes and samples.
#[test]
fn ids_are_freed_and_reused() {
    let mut m = Members::new(SEED);
    let s = |root| Sample { root, slot: 0 };
    m.insert(5, s(1));
    m.insert(6, s(1));
    let (mids, sids) = m.bounds();
    assert_eq!((mids, sids), (2, 1));
    let pinned = m.pin(5);
    m.remove(5, s(1));
    m.remove(6, s(1));
    assert_eq!(m.mid(5), Some(pinned), "a pinned node keeps its mid");
    assert_eq!(m.mid(6), None);
    m.unpin(pinned);
    assert_eq!(m.mid(5), None);
    m.insert(9, s(2));
    m.insert(8, s(2));
    assert_eq!(m.bounds(), (2, 1), "freed ids are reused");
    assert_eq!(m.samples_of(m.mid(9).unwrap(), 0).len(), 1);
    assert_eq!(m.members_of(m.samples_of(m.mid(8).unwrap(), 0)[0]).len(), 2);
}

/// A resync with fewer adopters unpins the rows of the ones that left: their candidates keep no
/// mid once nothing else holds them (a regression: truncating the rows dropped them pinned).
#[test]
fn rows_of_adopters_that_left_are_unpinned() {
    let mut members = Members::new(SEED);
    let mut live = LiveGreedy::default();
    let mut problem = Problem {
        n: 100,
        adopters: vec![(20, 1), (21, 1)],
        candidates: vec![vec![1, 2], vec![2, 3]],
        acceptance: None,
    };
    live.sync(&problem, &mut members, Rows::All);
    assert!(members.mid(3).is_some());
    problem.adopters.pop();
    problem.candidates.pop();
    live.sync(&problem, &mut members, Rows::All);
    assert_eq!(members.mid(3), None, "3 was only adopter 21's candidate");
    assert!(members.mid(1).is_some() && members.mid(2).is_some());
    live.sync(&problem, &mut members, Rows::Some(&[]));
    assert_eq!(live.run(&problem, &mut members, 0).picks.len(), 1);
}

/// A random table for the replay: `samples` samples over `nodes` nodes, each holding each node
/// with probability `density` (a hash of seed, sample, node), in both halves.
fn draw(seed: u64, samples: u64, nodes: u64, density: u64) -> BTreeSet<(Node, Sample)> {
    let mut held = BTreeSet::new();
    for root in 0..samples {
        for slot in 0..2 {
            for c in 0..nodes {
                let h = splitmix(seed ^ (root << 20) ^ ((slot as u64) << 40) ^ c);
                if h % 100 < density {
                    held.insert((c, Sample { root, slot }));
                }
            }
        }
    }
    held
}

proptest! {
    /// Epochs of a few toggled memberships on a table of one level: the live greedy (replaying
    /// where it can) equals RR-Greedy on a fresh index after every epoch, and it did replay.
    #[test]
    fn replays_equal_rr_greedy(
        seed in any::<u64>(),
        density in 8u64..40,
        epochs in prop::collection::vec((
            prop::collection::vec((0u64..12, 0u64..40, 0u32..2), 1..4),
            prop::option::of((0usize..4, any::<u16>())),
        ), 1..25),
        caps in prop::collection::vec(0u32..4, 4),
    ) {
        let mut held = draw(seed, 40, 12, density);
        let mut members = table(&held);
        let mut live = LiveGreedy::default();
        let mut problem = Problem {
            n: 100,
            adopters: (0..4).map(|a| (20 + a as Node, caps[a])).collect(),
            candidates: vec![row(0b0101_0111), row(0b0011_1100), row(0b1110_0001), row(0b0111_1110)]
                .into_iter()
                .enumerate()
                .map(|(a, mut r)| {
                    r.extend([8 + a as Node, 11]);
                    r.sort_unstable();
                    r.dedup();
                    r
                })
                .collect(),
            acceptance: None,
        };
        live.sync(&problem, &mut members, Rows::All);
        // One level holding every sample: the replay's case.
        let level = 64;
        for (i, (toggles, redraw)) in epochs.iter().enumerate() {
            // A row changes first, as in an epoch: before the table's changes come in.
            if let Some((a, mask)) = *redraw {
                problem.candidates[a] = (0..12).filter(|c| mask >> c & 1 == 1).collect();
                live.sync(&problem, &mut members, Rows::Some(&[a]));
            }
            for &(c, root, slot) in toggles {
                toggle(&mut held, &mut members, (c, Sample { root, slot }));
            }
            let index = RrIndex::build([100, 100], held.iter().copied());
            let want = rr_greedy(&problem, &index);
            let got = live.run(&problem, &mut members, level);
            prop_assert_eq!(got, want, "epoch {}", i);
        }
    }
}

/// A 64-bit mixer (SplitMix64's finalizer), for the tests' own draws.
fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Across many such histories the replay stands often and is refused sometimes: the property
/// above tests both paths.
#[test]
fn replays_and_refusals_both_happen() {
    let (mut stood, mut refused) = (0, 0);
    for seed in 0..30u64 {
        let mut held = draw(seed, 40, 12, 25);
        let mut members = table(&held);
        let mut live = LiveGreedy::default();
        let mut problem = Problem {
            n: 100,
            adopters: vec![(20, 2), (21, 3), (22, 1)],
            candidates: vec![row(0b0101_0111), row(0b0011_1100), row(0b1110_0001)],
            acceptance: None,
        };
        live.sync(&problem, &mut members, Rows::All);
        for e in 0..20u64 {
            let h = splitmix(seed * 1000 + e);
            if h.is_multiple_of(5) {
                let a = (h >> 24) as usize % 3;
                problem.candidates[a] = row((h >> 32) as u8);
                live.sync(&problem, &mut members, Rows::Some(&[a]));
            }
            let sample = Sample {
                root: (h >> 8) % 40,
                slot: (h >> 16) as u32 % 2,
            };
            toggle(&mut held, &mut members, (h % 12, sample));
            let index = RrIndex::build([100, 100], held.iter().copied());
            assert_eq!(
                live.run(&problem, &mut members, 64),
                rr_greedy(&problem, &index)
            );
        }
        let (s, r) = live.replays();
        stood += s;
        refused += r;
    }
    assert!(
        stood > 100 && refused > 10,
        "stood {stood}, refused {refused}"
    );
}
