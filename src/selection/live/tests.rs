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
                if held.insert(m) {
                    members.insert(m.0, m.1);
                } else {
                    held.remove(&m);
                    members.remove(m.0, m.1);
                }
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
            let got = live.run(&problem, &members, level);
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
            let got = live.run_expected(&weighted, &members, level);
            prop_assert_eq!(got, want, "step {} under acceptance", i);
        }
    }
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
    assert_eq!(live.run(&problem, &members, 0).picks.len(), 1);
}
