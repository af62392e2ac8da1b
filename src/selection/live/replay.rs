//! Replaying the last run instead of running afresh: an epoch's changes usually leave every turn
//! of RR-Greedy with the same pick, only some gains and coverages moved. The last run's trail
//! (each turn's pick, its runner-up, the turn each sample was covered at, Λ^u's terms per
//! rotation) and the samples the epoch changed (their members before and now, from
//! [`Members::journal_take`]) tell whether that holds, and what moved, without a pass over the
//! table. Where it cannot be shown, the greedy runs afresh; the result is the same either way.
//!
//! Why it is exact. Let ct(s) be the turn that covers R1 sample s (its first picked member's
//! turn). A candidate's gain at turn t is |{s ∋ c : ct(s) ≥ t}|. If the picks of turns before t
//! stand, a sample the epoch left alone keeps its members and its ct, so only the members, old
//! and new, of changed samples have other gains: for each, δ(c, t) = Σ over its changed samples
//! of [c is a member now]·[t ≤ ct_new(s)] − [c was one]·[t ≤ ct_old(s)]. Turn t's pick p still
//! wins its row if it beats every other unassigned candidate d there (gain, then the smaller
//! node). The trail keeps, per turn, an upper bound (value, node) on every other candidate of the
//! row; so d with δ(d, t) ≤ δ(p, t) is still beaten, an untouched d is beaten if p beats the
//! bound, and a d with δ(d, t) > 0 is beaten if p beats (bound + δ(d, t), d). By induction over
//! the turns, every pick stands. The bound then grows by the δ it was checked with, so it stays
//! a bound; where it has grown too loose to show a turn stands, the exact gains are read from the
//! covering turns (one pass over a candidate's samples) and the bound becomes exact again.
//!
//! A row that changed (its adopter gained or lost an arc) is checked afresh: each of its turns
//! against its new candidates' exact gains, its terms of Λ^u computed as they were before the
//! change ([`Trail::rows_changing`]) and as they are now.
//!
//! Λ^u is the least of 2·Λ_R1(S) and, per rotation r ending at turn e_r, B_r = Λ_R1(S_r) + Σ_a
//! top_{k_a}(gains at e_r over row a). Λ_R1(S_r) moves by the changed samples alone. A top-k sum
//! moves by at most |δ| per changed entry, so the trail keeps each rotation's sum as an interval,
//! and computes it exactly (one pass over the rows, gains read from the covering turns) only
//! when the interval's low end could be the least.

use std::cmp::Ordering;

use super::Members;
use super::trail::{HIT, NONE, OPEN, Trail};
use crate::model::Node;
use crate::selection::greedy::{Greedy, largest_sum};
use crate::selection::members::Change;

/// δ(c, ·) of one candidate: its steps `sign·[t ≤ end]`.
struct Delta {
    mid: u32,
    steps: Vec<(i64, u32)>,
}

impl Delta {
    fn at(&self, t: u32) -> i64 {
        self.steps
            .iter()
            .filter(|&&(_, end)| t <= end)
            .map(|&(sign, _)| sign)
            .sum()
    }

    /// The last turn at which δ may be positive.
    fn last_rise(&self) -> Option<u32> {
        self.steps
            .iter()
            .filter(|&&(sign, _)| sign > 0)
            .map(|&(_, end)| end)
            .max()
    }
}

/// The gain of `mid` after `end` turns, read from the covering turns: its R1 samples not
/// covered before turn `end`. (For a candidate not assigned by then.)
fn exact_gain(mid: u32, end: u32, cover: &[u32], members: &Members) -> u64 {
    members
        .samples_of(mid, 0)
        .iter()
        .filter(|&&s| cover[s as usize] >= end)
        .count() as u64
}

/// top_k of `row`'s gains after each of `ends` turns, read from the covering turns: one pass
/// over each candidate's samples, each counted at the rotations that end before its covering.
pub(super) fn row_terms(
    row: &[u32],
    k: usize,
    ends: &[u32],
    cover: &[u32],
    members: &Members,
) -> Vec<u64> {
    if row.is_empty() {
        return vec![0; ends.len()];
    }
    let mut gains = vec![0u64; ends.len() * row.len()];
    for (i, &c) in row.iter().enumerate() {
        // Rotations r with ends[r] ≤ ct(s) count s. Past c's own turn none do: its pick covered
        // all its samples by then, so an assigned candidate's gain is 0 as the run's is.
        for &s in members.samples_of(c, 0) {
            let upto = ends.partition_point(|&end| end <= cover[s as usize]);
            for r in 0..upto {
                gains[r * row.len() + i] += 1;
            }
        }
    }
    let mut scratch = Vec::new();
    gains
        .chunks(row.len())
        .map(|g| largest_sum(g.iter().copied(), row.len(), k, &mut scratch))
        .collect()
}

/// The best (gain, then smaller node) of `row`'s candidates other than `pick` still unassigned
/// at turn `t`, with exact gains: the runner-up of `pick`'s turn.
fn exact_runner(
    row: &[u32],
    pick: u32,
    t: u32,
    turn_of: &[u32],
    cover: &[u32],
    members: &Members,
) -> Option<(i64, u32)> {
    // Rows are in node order: strict `>` keeps the smallest node among equal gains.
    let mut best: Option<(i64, u32)> = None;
    for &c in row {
        if c == pick || turn_of[c as usize] <= t {
            continue;
        }
        let g = exact_gain(c, t, cover, members) as i64;
        if best.is_none_or(|(b, _)| g > b) {
            best = Some((g, c));
        }
    }
    best
}

/// Takes a fresh `stamp` for `mark`, clearing it when stamps wrap (0 is never one). A function of
/// the two fields, not a method: the replay holds other fields of the trail borrowed meanwhile.
fn next_stamp(stamp: &mut u32, mark: &mut [u32]) {
    *stamp = stamp.wrapping_add(1);
    if *stamp == 0 {
        mark.fill(0);
        *stamp = 1;
    }
}

/// Counts a replay refused and forgets the trail, which no longer describes a run.
fn refuse(refusals: &mut u64, valid: &mut bool) -> Option<Greedy> {
    *refusals += 1;
    *valid = false;
    None
}

/// Whether (gain, node) `a` wins a turn against `b`: more gain, then the smaller node.
fn beats(a: (i64, Node), b: (i64, Node)) -> bool {
    match a.0.cmp(&b.0) {
        Ordering::Greater => true,
        Ordering::Less => false,
        Ordering::Equal => a.1 < b.1,
    }
}

impl Trail {
    /// The last run, replayed over `changes`: `None` when some turn could not be shown to stand
    /// (the trail is then stale, and the caller runs afresh).
    pub fn replay(
        &mut self,
        rows: &[Vec<u32>],
        members: &Members,
        changes: Vec<Change>,
    ) -> Option<Greedy> {
        let (mids, sids) = members.bounds();
        if self.turn_of.len() < mids {
            self.turn_of.resize(mids, NONE);
        }
        if self.cover.len() < sids {
            self.cover.resize(sids, OPEN);
        }
        self.index(rows, mids);
        let rows_of = self.rows_of.as_deref().expect("indexed");
        let (turn_start, turns_of) = self.turns.as_ref().expect("indexed");
        let turns_of = |a: usize| &turns_of[turn_start[a] as usize..turn_start[a + 1] as usize];
        let nrows = |mid: u32| rows_of.get(mid as usize).map_or(0, |l| l.len() as i64);

        // Each changed sample's covering turn (or hit) now, and the steps it gives its members.
        let mut updates: Vec<(u32, u32)> = Vec::with_capacity(changes.len());
        let mut steps: Vec<(u32, i64, u32)> = Vec::new();
        let (mut cov1, mut cov2) = (self.cov1 as i64, self.cov2 as i64);
        for change in &changes {
            let sid = change.sid;
            let old = self.cover[sid as usize];
            let now = members.members_of(sid);
            let half = (!now.is_empty()).then(|| members.half(sid));
            let new = match half {
                Some(0) => now
                    .iter()
                    .map(|&m| self.turn_of[m as usize])
                    .min()
                    .unwrap_or(OPEN),
                Some(_) if now.iter().any(|&m| self.turn_of[m as usize] != NONE) => HIT,
                _ => OPEN,
            };
            match change.half {
                Some(0) => {
                    cov1 -= (old < HIT) as i64;
                    steps.extend(change.members.iter().map(|&m| (m, -1, old)));
                }
                Some(_) => cov2 -= (old == HIT) as i64,
                None => debug_assert_eq!(old, OPEN, "a free sid is open"),
            }
            match half {
                Some(0) => {
                    cov1 += (new < HIT) as i64;
                    steps.extend(now.iter().map(|&m| (m, 1, new)));
                }
                Some(_) => cov2 += (new == HIT) as i64,
                None => {}
            }
            updates.push((sid, new));
        }

        // Grouped by candidate; members of no row are never read.
        steps.sort_unstable_by_key(|&(m, _, end)| (m, end));
        let mut deltas: Vec<Delta> = Vec::new();
        for &(m, sign, end) in &steps {
            if nrows(m) == 0 {
                continue;
            }
            match deltas.last_mut() {
                Some(d) if d.mid == m => d.steps.push((sign, end)),
                _ => deltas.push(Delta {
                    mid: m,
                    steps: vec![(sign, end)],
                }),
            }
        }
        // Steps that cancel (a member that stayed, its sample covered at the same turn) go.
        deltas.retain_mut(|d| {
            d.steps.sort_unstable_by_key(|&(sign, end)| (end, sign));
            let mut net: Vec<(i64, u32)> = Vec::with_capacity(d.steps.len());
            for &(sign, end) in &d.steps {
                match net.last_mut() {
                    Some(last) if last.1 == end => last.0 += sign,
                    _ => net.push((sign, end)),
                }
            }
            net.retain(|&(sign, _)| sign != 0);
            d.steps = net;
            !d.steps.is_empty()
        });
        next_stamp(&mut self.stamp, &mut self.mark);
        if self.mark.len() < mids {
            self.mark.resize(mids, 0);
            self.slot.resize(mids, 0);
        }
        for (i, d) in deltas.iter().enumerate() {
            self.mark[d.mid as usize] = self.stamp;
            self.slot[d.mid as usize] = i as u32;
        }
        let delta_of = |mid: u32, t: u32| -> i64 {
            if self.mark[mid as usize] == self.stamp {
                deltas[self.slot[mid as usize] as usize].at(t)
            } else {
                0
            }
        };

        // The changed samples' covering turns, now: the exact gains below read them.
        for &(sid, new) in &updates {
            let old = std::mem::replace(&mut self.cover[sid as usize], new);
            for (r, &end) in self.ends.iter().enumerate() {
                let moved = (new < end) as i64 - (old < end) as i64;
                self.cov_at[r] = (self.cov_at[r] as i64 + moved) as u64;
            }
        }

        // A changed row's turns are checked afresh, with exact gains, and its terms of Λ^u move
        // by exactly what they were and are. An adopter that stopped short of its capacity
        // might take a new candidate: no replay then, unless every candidate was taken before.
        let node = |mid: u32| members.node(mid);
        for (a, _, old) in std::mem::take(&mut self.changed_rows) {
            let row = &rows[a];
            let turns = turns_of(a);
            if turns.len() < self.adopters[a].1 as usize {
                // It stopped short because at its next turn every candidate was assigned: so
                // they still are if each was picked by its last turn.
                let stopped = turns
                    .last()
                    .is_some_and(|&last| row.iter().all(|&c| self.turn_of[c as usize] <= last));
                if !(stopped || row.is_empty()) {
                    return refuse(&mut self.refusals, &mut self.valid);
                }
            }
            for &t in turns {
                let p = self.turn_mid[t as usize];
                // A pick that left every row may have given its mid to a newcomer.
                let friend = self.picks[t as usize].friend;
                if node(p) != friend || row.binary_search_by_key(&friend, |&c| node(c)).is_err() {
                    return refuse(&mut self.refusals, &mut self.valid);
                }
                let pick = (self.picks[t as usize].gain as i64 + delta_of(p, t), node(p));
                match exact_runner(row, p, t, &self.turn_of, &self.cover, members) {
                    Some((g, m)) if !beats(pick, (g, node(m))) => {
                        return refuse(&mut self.refusals, &mut self.valid);
                    }
                    Some((g, m)) => {
                        self.runner_key[t as usize] = g as u64 + 1;
                        self.runner_mid[t as usize] = m;
                    }
                    None => self.runner_key[t as usize] = 0,
                }
            }
            let k = self.adopters[a].1 as usize;
            let terms = row_terms(row, k, &self.ends, &self.cover, members);
            for (r, term) in terms.into_iter().enumerate() {
                let moved = term as i64 - old[r] as i64;
                self.sum_lo[r] = (self.sum_lo[r] as i64 + moved).max(0) as u64;
                self.sum_hi[r] = (self.sum_hi[r] as i64 + moved) as u64;
            }
        }

        // Every turn stands: the picks whose gain fell still beat the bound on their row, and
        // every candidate whose gain rose is still beaten at each turn of each of its rows. A
        // bound too loose to show it is replaced by the exact gains, read from the covering turns.
        let mut raised: Vec<(u32, i64, u32)> = Vec::new();
        for d in &deltas {
            let own = self.turn_of[d.mid as usize];
            if own != NONE {
                let t = own as usize;
                let dp = d.at(own);
                let runner = self.runner_key[t];
                let gain = (self.picks[t].gain as i64 + dp, node(d.mid));
                if dp < 0
                    && runner > 0
                    && !beats(gain, (runner as i64 - 1, node(self.runner_mid[t])))
                {
                    let row = &rows[self.turn_row[t] as usize];
                    let exact = exact_runner(row, d.mid, own, &self.turn_of, &self.cover, members);
                    match exact {
                        Some((g, m)) if !beats(gain, (g, node(m))) => {
                            return refuse(&mut self.refusals, &mut self.valid);
                        }
                        Some((g, m)) => {
                            self.runner_key[t] = g as u64 + 1;
                            self.runner_mid[t] = m;
                        }
                        None => self.runner_key[t] = 0,
                    }
                }
            }
            let Some(last) = d.last_rise() else { continue };
            let m = d.mid as usize;
            for &a in &rows_of[m] {
                for &t in turns_of(a as usize) {
                    if t >= own || t > last {
                        break;
                    }
                    let dd = d.at(t);
                    if dd <= 0 {
                        continue;
                    }
                    let turn = t as usize;
                    let runner = self.runner_key[turn];
                    if runner == 0 {
                        // d is another unassigned candidate of the row: the bound cannot be empty.
                        return refuse(&mut self.refusals, &mut self.valid);
                    }
                    let mut bound = runner as i64 - 1 + dd;
                    let p = self.turn_mid[turn];
                    let dp = delta_of(p, t);
                    let pick = (self.picks[turn].gain as i64 + dp, node(p));
                    if dd > dp && !beats(pick, (bound, node(d.mid))) {
                        bound = exact_gain(d.mid, t, &self.cover, members) as i64;
                        if !beats(pick, (bound, node(d.mid))) {
                            return refuse(&mut self.refusals, &mut self.valid);
                        }
                    }
                    raised.push((t, bound, d.mid));
                }
            }
        }

        // They stand: move the gains, the bounds, the coverages and Λ^u's terms.
        for d in &deltas {
            let own = self.turn_of[d.mid as usize];
            if own != NONE {
                let p = &mut self.picks[own as usize];
                p.gain = (p.gain as i64 + d.at(own)) as u64;
            }
        }
        for (t, bound, mid) in raised {
            let t = t as usize;
            let old = (self.runner_key[t] as i64 - 1, node(self.runner_mid[t]));
            if beats((bound, node(mid)), old) {
                self.runner_key[t] = (bound + 1) as u64;
                self.runner_mid[t] = mid;
            }
        }
        for d in &deltas {
            let (own, n) = (self.turn_of[d.mid as usize], nrows(d.mid));
            for (r, &end) in self.ends.iter().enumerate() {
                if own < end {
                    continue;
                }
                let dd = d.at(end) * n;
                if dd < 0 {
                    self.sum_lo[r] = self.sum_lo[r].saturating_sub(dd.unsigned_abs());
                } else {
                    self.sum_hi[r] += dd as u64;
                }
            }
        }
        self.cov1 = cov1 as u64;
        self.cov2 = cov2 as u64;
        let mut least = 2 * self.cov1;
        for r in 0..self.ends.len() {
            if self.sum_lo[r] == self.sum_hi[r] {
                least = least.min(self.cov_at[r] + self.sum_lo[r]);
            }
        }
        for r in 0..self.ends.len() {
            if self.sum_lo[r] != self.sum_hi[r] && self.cov_at[r] + self.sum_lo[r] < least {
                let exact = self.exact_sum(rows, members, self.ends[r]);
                self.sum_lo[r] = exact;
                self.sum_hi[r] = exact;
                least = least.min(self.cov_at[r] + exact);
            }
        }
        self.replays += 1;
        Some(Greedy {
            picks: self.picks.clone(),
            cov1: self.cov1,
            cov2: self.cov2,
            upper_cov: least as f64,
        })
    }

    /// Σ_a top_{k_a} of row a's gains after `end` turns, read from the covering turns.
    fn exact_sum(&mut self, rows: &[Vec<u32>], members: &Members, end: u32) -> u64 {
        next_stamp(&mut self.stamp, &mut self.mark);
        let mut total = 0;
        let mut scratch = Vec::new();
        for (a, row) in rows.iter().enumerate() {
            for &c in row {
                let c = c as usize;
                if self.mark[c] != self.stamp {
                    self.mark[c] = self.stamp;
                    self.slot[c] = if self.turn_of[c] < end {
                        0
                    } else {
                        exact_gain(c as u32, end, &self.cover, members) as u32
                    };
                }
            }
            let k = self.adopters[a].1 as usize;
            let gains = row.iter().map(|&c| self.slot[c as usize] as u64);
            total += largest_sum(gains, row.len(), k, &mut scratch);
        }
        total
    }
}
