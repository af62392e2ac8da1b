//! The expected-coverage greedy ([`crate::selection::expected`]) on the live table: the same rules,
//! fixed-point arithmetic and bound, over [`Members`] instead of a fresh [`RrIndex`], with the
//! buffers of [`LiveGreedy`] (reset by the run's stamp), so that an epoch with acceptances builds
//! no index either. The oracle keeps `expected_greedy` on its index: the tests hold the two to
//! each other.
//!
//! [`RrIndex`]: crate::selection::RrIndex

use super::{LiveGreedy, Members, Problem, for_each_candidate, grow, r1_count};
use crate::selection::expected::{Expected, ONE, PRODUCT, fixed};
use crate::selection::greedy::{Greedy, Pick};

/// G_c's top bit: c is assigned in this run. G_c itself stays far below it (at most 2^40 per
/// sample), and a pick's decrements leave it alone, so one read tells a turn's scan both.
const TAKEN: u128 = 1 << 127;

impl LiveGreedy {
    /// The expected-coverage greedy on the samples of R1 at `level`, measured on R2 at `level`,
    /// with the weights of `problem.acceptance` (all 1 when `None`).
    pub fn run_expected(
        &mut self,
        problem: &Problem,
        members: &mut Members,
        level: i32,
    ) -> (Greedy, Expected) {
        // RR-Greedy's trail does not describe this run: the next one runs afresh.
        self.trail.forget();
        members.journal_stop();
        let members = &*members;
        self.next_stamp(members);
        let stamp = self.stamp;
        let whole = members.all_at(level);
        let at = |s: u32| whole || members.at(s, level);
        let (mids, sids) = members.bounds();
        let LiveGreedy {
            rows,
            counted,
            covered,
            taken,
            active,
            picked,
            wide,
            q,
            owner,
            weights,
            g,
            other,
            row_weights,
            ..
        } = self;
        grow(q, sids);
        grow(g, mids);
        grow(other, mids);
        grow(owner, mids);
        // Per adopter, its row's fixed-point weights, converted once per run.
        row_weights.resize_with(rows.len(), Vec::new);
        for (a, (fixed_row, row)) in row_weights.iter_mut().zip(rows.iter()).enumerate() {
            fixed_row.clear();
            match &problem.acceptance {
                Some(w) => fixed_row.extend(w[a].iter().map(|&w| fixed(w))),
                None => fixed_row.resize(row.len(), ONE),
            }
        }
        let row_weights = &*row_weights;
        let w = |a: usize, i: usize| row_weights[a][i];
        // G_c = Σ_{s ∋ c} q_s, every q_s = 1 at the start.
        for_each_candidate(rows, counted, stamp, |mid| {
            g[mid as usize] = r1_count(members, mid, level, whole) as u128 * ONE as u128;
        });
        // The adopter `c` is assigned to in this run, if any.
        let owned = |c: u32, g: &[u128], owner: &[u32]| {
            (g[c as usize] & TAKEN != 0).then(|| owner[c as usize] as usize)
        };

        let mut cov1: u128 = 0;
        let mut picks = Vec::new();
        let mut gains = Vec::new();
        picked.clear();
        weights.clear();
        taken.clear();
        taken.resize(rows.len(), 0);
        let top = |g: &[u128], owner: &[u32], wide: &mut Vec<u128>| {
            let mut total: u128 = 0;
            for (a, row) in rows.iter().enumerate() {
                let k = (problem.adopters[a].1 as usize).min(row.len());
                if k == 0 {
                    continue;
                }
                wide.clear();
                wide.extend(row.iter().enumerate().map(|(i, &c)| {
                    if owned(c, g, owner) == Some(a) {
                        0
                    } else {
                        w(a, i) as u128 * (g[c as usize] & !TAKEN)
                    }
                }));
                // A selection, not RR-Greedy's k-entry heap (`largest_sum`), which was measured
                // slower here: 2.7 against 2.3 ms a facebook_combined epoch of 10 events.
                if k < wide.len() {
                    wide.select_nth_unstable_by(k - 1, |x, y| y.cmp(x));
                }
                total = total.saturating_add(wide[..k].iter().sum::<u128>());
            }
            total
        };
        let mut upper = top(g, owner, wide);
        active.clear();
        active.extend((0..rows.len()).filter(|&a| problem.adopters[a].1 > 0));
        while !active.is_empty() {
            let mut picked_any = false;
            active.retain(|&a| {
                // Rows are in node order: strict `>` keeps the smallest node among equal gains.
                // (A lazy heap per row was measured slower here too: 2.9 against 2.6 ms.)
                let mut best: Option<(u32, u64, u128)> = None;
                for (i, &c) in rows[a].iter().enumerate() {
                    let gc = g[c as usize];
                    if gc & TAKEN != 0 {
                        continue;
                    }
                    let wc = w(a, i);
                    let gain = wc as u128 * gc;
                    if best.is_none_or(|b| gain > b.2) {
                        best = Some((c, wc, gain));
                    }
                }
                let Some((c, wc, gain)) = best else {
                    return false;
                };
                picks.push(Pick {
                    adopter: problem.adopters[a].0,
                    friend: members.node(c),
                    gain: (gain as f64 / PRODUCT).round() as u64,
                });
                gains.push(gain as f64 / PRODUCT);
                weights.push(wc);
                picked.push(c);
                g[c as usize] |= TAKEN;
                owner[c as usize] = a as u32;
                picked_any = true;
                for &s in members.samples_of(c, 0) {
                    let d = if at(s) {
                        lower(q, covered, stamp, s, wc)
                    } else {
                        0
                    };
                    if d == 0 {
                        continue;
                    }
                    cov1 += d as u128;
                    for &e in members.members_of(s) {
                        // Only the problem's candidates' G are read; others may wrap.
                        g[e as usize] = g[e as usize].wrapping_sub(d as u128);
                    }
                }
                taken[a] += 1;
                taken[a] < problem.adopters[a].1
            });
            if picked_any {
                let bound = cov1 * ONE as u128 + top(g, owner, wide);
                upper = upper.min(bound);
            }
        }
        // X(S): what the other adopters of an assigned friend could still gain from it.
        for &c in picked.iter() {
            other[c as usize] = 0;
        }
        for (a, row) in rows.iter().enumerate() {
            for (i, &c) in row.iter().enumerate() {
                if owned(c, g, owner).is_some_and(|b| b != a) {
                    let x = &mut other[c as usize];
                    *x = (*x).max(w(a, i) as u128 * (g[c as usize] & !TAKEN));
                }
            }
        }
        let other = picked
            .iter()
            .fold(0u128, |sum, &c| sum.saturating_add(other[c as usize]));
        let twice = (2 * cov1 * ONE as u128).saturating_add(other);
        let upper_cov = upper.min(twice) as f64 / PRODUCT;

        // R2: each sample's factors in pick order; its q starts at 1 the first time a pick hits it.
        let mut covered2: u128 = 0;
        for (&c, &wc) in picked.iter().zip(weights.iter()) {
            for &s in members.samples_of(c, 1) {
                if at(s) {
                    covered2 += lower(q, covered, stamp, s, wc) as u128;
                }
            }
        }
        let cov2 = covered2 as f64 / ONE as f64;
        let cov1 = cov1 as f64 / ONE as f64;
        let greedy = Greedy {
            picks,
            cov1: cov1.round() as u64,
            cov2: cov2.round() as u64,
            upper_cov,
        };
        (greedy, Expected { gains, cov1, cov2 })
    }
}

/// Multiplies q_s by 1 − w (in fixed point: lowers it by ⌊q_s·w⌋), q_s starting at 1 the first time
/// this run (`stamp`) touches s; returns the decrease, which is s's gain in coverage.
fn lower(q: &mut [u64], touched: &mut [u32], stamp: u32, s: u32, w: u64) -> u64 {
    let s = s as usize;
    if touched[s] != stamp {
        touched[s] = stamp;
        q[s] = ONE;
    }
    let d = ((q[s] as u128 * w as u128) >> 40) as u64;
    q[s] -= d;
    d
}
