//! What a run of RR-Greedy keeps for the next epoch's replay ([`super::replay`]), and when it
//! keeps it: the trail's fields, how a run starts and keeps it, how rows that change are noted,
//! and the back-off after refused replays.

use super::Members;
use super::replay::row_terms;
use crate::model::Node;
use crate::selection::Problem;
use crate::selection::greedy::Pick;

/// A sample no pick covers (or one outside the level).
pub(super) const OPEN: u32 = u32::MAX;
/// An R2 sample some pick covers.
pub(super) const HIT: u32 = u32::MAX - 1;
/// A candidate no pick took.
pub(super) const NONE: u32 = u32::MAX;

/// What a run leaves for the next epoch's replay.
#[derive(Debug, Default)]
pub(super) struct Trail {
    /// Whether the rest describes the last run on the current rows.
    pub(super) valid: bool,
    pub(super) level: i32,
    /// The problem's adopters and capacities then.
    pub(super) adopters: Vec<(Node, u32)>,
    pub(super) picks: Vec<Pick>,
    pub(super) cov1: u64,
    pub(super) cov2: u64,
    /// By turn: the row, the pick's mid, and a bound on the row's other unassigned candidates:
    /// 1 + gain (0: there were none) and the node's mid.
    pub(super) turn_row: Vec<u32>,
    pub(super) turn_mid: Vec<u32>,
    pub(super) runner_key: Vec<u64>,
    pub(super) runner_mid: Vec<u32>,
    /// By mid: the turn that picked it, or [`NONE`].
    pub(super) turn_of: Vec<u32>,
    /// By sid: the turn that covered it (R1), [`HIT`] (R2), or [`OPEN`].
    pub(super) cover: Vec<u32>,
    /// Per rotation (the first before any turn): its end turn e_r, Λ_R1(S_r), and the bounds of
    /// Σ_a top_{k_a} at e_r.
    pub(super) ends: Vec<u32>,
    pub(super) cov_at: Vec<u64>,
    pub(super) sum_lo: Vec<u64>,
    pub(super) sum_hi: Vec<u64>,
    /// By mid: the rows holding it, once a replay needed them (patched as rows change).
    pub(super) rows_of: Option<Vec<Vec<u32>>>,
    /// The turns of each row (CSR), built when a replay first needs them after a run.
    pub(super) turns: Option<(Vec<u32>, Vec<u32>)>,
    /// The rows changed since the last run: their mids and terms of Λ^u (per rotation) then.
    pub(super) changed_rows: Vec<(usize, Vec<u32>, Vec<u64>)>,
    /// Scratch: by mid, a stamp and the position of its δ among `deltas`.
    pub(super) mark: Vec<u32>,
    pub(super) slot: Vec<u32>,
    pub(super) stamp: u32,
    /// How many replays stood, and how many ran afresh instead.
    pub(super) replays: u64,
    pub(super) refusals: u64,
    /// Replays refused in a row, and runs left before the next is tried.
    pub(super) streak: u32,
    pub(super) wait: u32,
}

impl Trail {
    /// Clears the last run's turns and covering marks for a run on a table of `mids` member ids
    /// and `sids` sample ids; the run writes them anew.
    pub(super) fn begin_run(&mut self, mids: usize, sids: usize) {
        self.restart();
        for &mid in &self.turn_mid {
            self.turn_of[mid as usize] = NONE;
        }
        self.turn_of.resize(mids.max(self.turn_of.len()), NONE);
        self.cover.clear();
        self.cover.resize(sids, OPEN);
        for v in [
            &mut self.turn_row,
            &mut self.turn_mid,
            &mut self.runner_mid,
            &mut self.ends,
        ] {
            v.clear();
        }
        for v in [
            &mut self.runner_key,
            &mut self.cov_at,
            &mut self.sum_lo,
            &mut self.sum_hi,
        ] {
            v.clear();
        }
    }

    /// Makes sure of `rows_of` (the rows by mid, patched for the changed rows, old mids first: a
    /// mid freed with its last row may serve a newcomer now; or built) and `turns` (the turns
    /// by row, a counting sort of the run's turns).
    pub(super) fn index(&mut self, rows: &[Vec<u32>], mids: usize) {
        let by_mid = match self.rows_of.take() {
            Some(mut by_mid) => {
                for (a, old, _) in &self.changed_rows {
                    for &m in old {
                        let list = &mut by_mid[m as usize];
                        if let Some(i) = list.iter().position(|&b| b as usize == *a) {
                            list.swap_remove(i);
                        }
                    }
                }
                if by_mid.len() < mids {
                    by_mid.resize_with(mids, Vec::new);
                }
                for (a, _, _) in &self.changed_rows {
                    for &m in &rows[*a] {
                        by_mid[m as usize].push(*a as u32);
                    }
                }
                by_mid
            }
            None => {
                let mut by_mid = vec![Vec::new(); mids];
                for (a, row) in rows.iter().enumerate() {
                    for &m in row {
                        by_mid[m as usize].push(a as u32);
                    }
                }
                by_mid
            }
        };
        self.rows_of = Some(by_mid);
        if self.turns.is_none() {
            let mut start = vec![0u32; rows.len() + 1];
            for &a in &self.turn_row {
                start[a as usize + 1] += 1;
            }
            for a in 0..rows.len() {
                start[a + 1] += start[a];
            }
            let mut fill = start.clone();
            let mut list = vec![0u32; self.turn_row.len()];
            for (t, &a) in self.turn_row.iter().enumerate() {
                list[fill[a as usize] as usize] = t as u32;
                fill[a as usize] += 1;
            }
            self.turns = Some((start, list));
        }
    }

    /// Keeps the run just made at `level` for `problem`, with its picks and coverages: its
    /// rotations' sums are exact.
    pub(super) fn keep_run(
        &mut self,
        level: i32,
        problem: &Problem,
        picks: &[Pick],
        cov: [u64; 2],
    ) {
        self.sum_hi.clone_from(&self.sum_lo);
        self.valid = true;
        self.level = level;
        self.adopters.clone_from(&problem.adopters);
        self.picks.clear();
        self.picks.extend_from_slice(picks);
        [self.cov1, self.cov2] = cov;
    }

    /// Forgets the trail (rows changed, or the last run was not RR-Greedy on a whole level).
    pub(super) fn forget(&mut self) {
        self.restart();
        self.rows_of = None;
    }

    /// Forgets the last run, keeping what depends on the rows alone (a run afresh follows).
    pub(super) fn restart(&mut self) {
        self.valid = false;
        self.turns = None;
        if !self.changed_rows.is_empty() {
            // Rows changed that no replay patched in.
            self.rows_of = None;
            self.changed_rows.clear();
        }
    }

    /// Notes the rows at positions `changed` of `rows` before they change, the table being as
    /// the last run left it: their terms of Λ^u at each rotation.
    pub(super) fn rows_changing(
        &mut self,
        changed: &[usize],
        rows: &[Vec<u32>],
        members: &Members,
    ) {
        // Past a few rows the replay would check most turns again: a run afresh is as cheap.
        if !self.valid || changed.len() > rows.len() / 8 + 1 {
            self.forget();
            return;
        }
        for &a in changed {
            if self.changed_rows.iter().any(|&(b, _, _)| b == a) {
                continue;
            }
            let k = self.adopters[a].1 as usize;
            let terms = row_terms(&rows[a], k, &self.ends, &self.cover, members);
            self.changed_rows.push((a, rows[a].clone(), terms));
        }
    }

    /// A replay stood: the next run tries again.
    pub(super) fn stood(&mut self) {
        self.streak = 0;
    }

    /// A replay was refused. After the second refusal in a row the next replay waits 1 run, then
    /// 3, 7, … up to 63: where the picks change with most rounds (a stream whose every round
    /// moves a hub, say) a refused replay is work thrown away, and so it stays a small part.
    pub(super) fn refused(&mut self) {
        self.streak += 1;
        self.wait = (1u32 << (self.streak - 1).min(6)) - 1;
    }

    /// Whether the next run may replay this one: the caller keeps the journal only then.
    pub(super) fn try_next(&mut self) -> bool {
        match self.wait {
            0 => true,
            _ => {
                self.wait -= 1;
                false
            }
        }
    }

    /// Whether a replay at `level` may be tried for `problem`.
    pub(super) fn fits(&self, problem: &Problem, level: i32) -> bool {
        self.valid && self.level == level && self.adopters == problem.adopters
    }
}
