//! RR-Greedy over a [`Members`] table that an engine keeps current, with buffers kept from epoch
//! to epoch: the incremental engine's selection, computing exactly what [`super::rr_greedy`]
//! computes on the [`super::RrIndex`] of the same memberships (the oracle's path, and the
//! yardstick of the tests below).
//!
//! What it keeps between epochs:
//! - the problem's rows as mids in node order (pinned in the table), rebuilt only for the
//!   adopters whose candidates changed;
//! - gains, marks and the rotation's bookkeeping, sized to the table and reset by stamps rather
//!   than cleared, so a steady-state epoch allocates nothing but its picks.
//!
//! A run is then O(Σ_{c ∈ C} |R1(c)| + Σ_a k_a·|C_a|): the candidates' memberships to cover
//! (their counts are the list lengths when the table holds just the level), one scan of C_a per
//! turn, and a pass over the rows per rotation for the bound Λ^u; no index to build.

use super::Problem;
use super::greedy::{Greedy, Pick, RowTops};
use super::members::Members;
use trail::{HIT, OPEN, Trail};

/// Which rows of the problem changed since the last [`LiveGreedy::sync`].
#[derive(Clone, Copy, Debug)]
pub enum Rows<'a> {
    /// Every row (the adopters changed, or this is the first problem).
    All,
    /// The rows at these positions of `problem.adopters`; the adopters themselves did not change.
    Some(&'a [usize]),
}

/// RR-Greedy's state between epochs.
#[derive(Debug, Default)]
pub struct LiveGreedy {
    /// Per adopter (in `problem.adopters` order): its candidates' mids, in node order.
    rows: Vec<Vec<u32>>,
    /// By mid, for the problem's candidates during a run: 0 once assigned, else 1 + the marginal
    /// R1 coverage. One array answers both questions a turn's scan asks of a candidate, so the
    /// scan reads one random slot per row entry instead of two.
    key: Vec<u64>,
    /// By mid: the stamp of the run that counted its gain.
    counted: Vec<u32>,
    /// By sid: the stamp of the run that covered it (in R1 or, at the end, in R2).
    covered: Vec<u32>,
    /// The current run's stamp; 0 is never one.
    stamp: u32,
    taken: Vec<u32>,
    active: Vec<usize>,
    tops: RowTops,
    /// The mids of this run's picks, in pick order.
    picked: Vec<u32>,
    /// What the last run of RR-Greedy leaves for a replay.
    trail: Trail,
    /// Whether the last run kept its trail.
    kept: bool,
    /// Under acceptance ([`LiveGreedy::run_expected`]): by sid, q_s in fixed point; by mid, G_c
    /// (with a flag once assigned), the adopter it is assigned to and X(S)'s share; the picks'
    /// weights; a scratch of gains; per adopter, its row's weights.
    q: Vec<u64>,
    g: Vec<u128>,
    owner: Vec<u32>,
    other: Vec<u128>,
    weights: Vec<u64>,
    wide: Vec<u128>,
    /// Per adopter: its row's weights in fixed point, for the current run.
    row_weights: Vec<Vec<u64>>,
}

impl LiveGreedy {
    /// Brings the rows up to `problem`, pinning its candidates in `members` (and unpinning the
    /// ones that left).
    pub fn sync(&mut self, problem: &Problem, members: &mut Members, rows: Rows) {
        let row = |a: usize, old: &mut Vec<u32>, members: &mut Members| {
            // Pin the new row before unpinning the old, so a candidate that stays keeps its mid.
            let new: Vec<u32> = problem.candidates[a]
                .iter()
                .map(|&c| members.pin(c))
                .collect();
            for mid in std::mem::replace(old, new) {
                members.unpin(mid);
            }
        };
        match rows {
            // A few rows changed, and nothing else since the last run: the replay checks their
            // turns again, and needs their old terms of Λ^u.
            Rows::Some(changed) if members.journal_is_empty() => {
                self.trail.rows_changing(changed, &self.rows, members);
            }
            Rows::Some(&[]) => {}
            _ => {
                self.trail.forget();
                members.journal_stop();
            }
        }
        match rows {
            Rows::All => {
                let mut old = std::mem::take(&mut self.rows);
                // Rows past the new adopter count are gone: unpin them before they are dropped.
                let len = problem.adopters.len();
                for mid in old.drain(len.min(old.len())..).flatten() {
                    members.unpin(mid);
                }
                old.resize_with(len, Vec::new);
                for (a, row_a) in old.iter_mut().enumerate() {
                    row(a, row_a, members);
                }
                self.rows = old;
            }
            Rows::Some(changed) => {
                for &a in changed {
                    row(a, &mut self.rows[a], members);
                }
            }
        }
        debug_assert_eq!(self.rows.len(), problem.adopters.len());
    }

    /// RR-Greedy on the samples of R1 at `level`, measured on R2 at `level`, over the rows of the
    /// last [`LiveGreedy::sync`] (which must have been with `problem`): the last run replayed
    /// over the samples changed since, where every turn can be shown to stand (`live/replay.rs`), else
    /// a run afresh. `members`' journal of changed samples is taken, and started again.
    pub fn run(&mut self, problem: &Problem, members: &mut Members, level: i32) -> Greedy {
        let changes = members.journal_take();
        let whole = members.all_at(level);
        let kept = std::mem::take(&mut self.kept);
        match changes.filter(|_| whole && self.trail.fits(problem, level)) {
            Some(changes) => match self.trail.replay(&self.rows, members, changes) {
                Some(greedy) => {
                    self.trail.stood();
                    self.kept = true;
                    members.journal_start();
                    return greedy;
                }
                None => self.trail.refused(),
            },
            // A trail kept for nothing (the adopters, the level or too much changed) counts as
            // a refusal: on a stream whose adopters change with most rounds it stops being kept.
            None if kept => self.trail.refused(),
            None => {}
        }
        let keep = whole && self.trail.try_next();
        let greedy = self.run_afresh(problem, members, level, keep);
        if keep {
            self.kept = true;
            members.journal_start();
        }
        greedy
    }

    /// How many runs were replays of the last, and how many replays were refused.
    pub fn replays(&self) -> (u64, u64) {
        (self.trail.replays, self.trail.refusals)
    }

    /// RR-Greedy from its first turn, leaving its trail for the next replay if `keep` (the table
    /// must then hold just `level`).
    fn run_afresh(
        &mut self,
        problem: &Problem,
        members: &Members,
        level: i32,
        keep: bool,
    ) -> Greedy {
        self.next_stamp(members);
        let stamp = self.stamp;
        // Usually the table holds exactly the samples of `level`: no filter then.
        let whole = members.all_at(level);
        let at = |s: u32| whole || members.at(s, level);
        let (mids, sids) = members.bounds();
        let LiveGreedy {
            rows,
            key,
            counted,
            taken,
            active,
            tops,
            picked,
            trail,
            ..
        } = self;
        trail.begin_run(mids, sids);
        let Trail {
            turn_row,
            turn_mid,
            runner_key,
            runner_mid,
            turn_of,
            cover,
            ends,
            cov_at,
            sum_lo,
            ..
        } = trail;
        if whole {
            // A friend of several adopters is set once per row, to the same value: no marks.
            for &mid in rows.iter().flatten() {
                key[mid as usize] = members.r1_len(mid) as u64 + 1;
            }
        } else {
            for_each_candidate(rows, counted, stamp, |mid| {
                key[mid as usize] = r1_count(members, mid, level, whole) as u64 + 1;
            });
        }

        let mut cov1 = 0u64;
        let mut picks = Vec::new();
        picked.clear();
        taken.clear();
        taken.resize(rows.len(), 0);
        tops.start(rows.len());
        let first = tops.sum(problem, rows, gain_of(key));
        let mut upper = first as f64;
        ends.push(0);
        cov_at.push(0);
        sum_lo.push(first);
        active.clear();
        active.extend((0..rows.len()).filter(|&a| problem.adopters[a].1 > 0));
        while !active.is_empty() {
            let mut picked_any = false;
            active.retain(|&a| {
                // Rows are in node order: strict `>` keeps the smallest node among equal gains, and
                // an assigned candidate (key 0) never wins. (A lazy max-heap per row was measured
                // slower than this scan: a pick lowers the gains of much of a row, so its entries
                // are re-keyed about as often as scanned.) The runner-up, the best of the others
                // by the same rule, is the replay's bound on them.
                let (mut best, mut best_key) = (0, 0);
                let (mut second, mut second_key) = (0, 0);
                for &c in &rows[a] {
                    let k = key[c as usize];
                    if k > best_key {
                        (second, second_key) = (best, best_key);
                        (best, best_key) = (c, k);
                    } else if k > second_key {
                        (second, second_key) = (c, k);
                    }
                }
                if best_key == 0 {
                    return false;
                }
                let c = best;
                let turn = picks.len() as u32;
                picks.push(Pick {
                    adopter: problem.adopters[a].0,
                    friend: members.node(c),
                    gain: best_key - 1,
                });
                picked.push(c);
                if keep {
                    turn_row.push(a as u32);
                    turn_mid.push(c);
                    runner_key.push(second_key);
                    runner_mid.push(second);
                    turn_of[c as usize] = turn;
                }
                picked_any = true;
                for &s in members.samples_of(c, 0) {
                    if at(s) && cover[s as usize] == OPEN {
                        cover[s as usize] = turn;
                        cov1 += 1;
                        for &d in members.members_of(s) {
                            // Only the problem's candidates' keys are read; others may wrap.
                            key[d as usize] = key[d as usize].wrapping_sub(1);
                        }
                    }
                }
                // Its samples are all covered now, so no later pick lowers its key again.
                debug_assert_eq!(key[c as usize], 1);
                key[c as usize] = 0;
                taken[a] += 1;
                taken[a] < problem.adopters[a].1
            });
            if picked_any {
                let sum = tops.sum(problem, rows, gain_of(key));
                upper = upper.min((cov1 + sum) as f64);
                ends.push(picks.len() as u32);
                cov_at.push(cov1);
                sum_lo.push(sum);
            }
        }
        let upper_cov = upper.min(2.0 * cov1 as f64);

        // R2 samples are never covered above: a pick's mark them afresh.
        let mut cov2 = 0u64;
        for &mid in picked.iter() {
            for &s in members.samples_of(mid, 1) {
                if at(s) && cover[s as usize] == OPEN {
                    cover[s as usize] = HIT;
                    cov2 += 1;
                }
            }
        }
        if keep {
            trail.keep_run(level, problem, &picks, [cov1, cov2]);
        }
        Greedy {
            picks,
            cov1,
            cov2,
            upper_cov,
        }
    }

    /// Sizes the arrays to the table and takes a fresh stamp, clearing them when stamps wrap.
    fn next_stamp(&mut self, members: &Members) {
        let (mids, sids) = members.bounds();
        grow(&mut self.counted, mids);
        grow(&mut self.key, mids);
        grow(&mut self.covered, sids);
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            for v in [&mut self.counted, &mut self.covered] {
                v.fill(0);
            }
            self.stamp = 1;
        }
    }
}

/// Calls `f` once per distinct mid of `rows` (a friend of several adopters is in several rows),
/// marking each in `seen` with this run's `stamp`.
fn for_each_candidate(rows: &[Vec<u32>], seen: &mut [u32], stamp: u32, mut f: impl FnMut(u32)) {
    for &mid in rows.iter().flatten() {
        if seen[mid as usize] != stamp {
            seen[mid as usize] = stamp;
            f(mid);
        }
    }
}

/// A candidate's gain from its key: 0 once assigned, as [`RowTops`] wants.
fn gain_of(key: &[u64]) -> impl Fn(u32) -> u64 + '_ {
    |c| key[c as usize].saturating_sub(1)
}

/// |R1(mid)| at `level`: its list's length when the table holds only samples of `level` (`whole`).
fn r1_count(members: &Members, mid: u32, level: i32, whole: bool) -> usize {
    if whole {
        members.r1_len(mid) as usize
    } else {
        let r1 = members.samples_of(mid, 0);
        r1.iter().filter(|&&s| members.at(s, level)).count()
    }
}

/// Lengthens `v` with zeros (defaults) to at least `len`; never shortens it.
fn grow<T: Clone + Default>(v: &mut Vec<T>, len: usize) {
    if v.len() < len {
        v.resize(len, T::default());
    }
}

mod expected;
mod replay;
#[cfg(test)]
mod tests;
mod trail;
