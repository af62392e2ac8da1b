//! The RR memberships an incremental engine holds, on dense ids, kept current one change at a
//! time: the table [`super::live::LiveGreedy`] selects over, so that an epoch neither rebuilds an
//! index nor allocates one.
//!
//! - A sample some membership refers to has a dense sample id (sid), with its lowest level and
//!   the members it holds; the sid is freed with its last membership.
//! - A node that is a member of some sample, or that the greedy's rows pin as a candidate, has a
//!   dense member id (mid), with its samples of each half and its pin count; the mid is freed when
//!   it has neither.
//! - The samples are counted by lowest level, so that the greedy knows when a level holds them
//!   all (the usual case: the engine holds the level it selects at) and needs no filter.
//!
//! Lists are unordered: the greedy counts and marks, and its ties go by node id, so no result
//! depends on which ids the samples and nodes carry or on the order they arrived in.
//!
//! While the greedy asks for it ([`Members::journal_start`]), the table also notes each sample
//! as it was before its first change since then ([`Change`]): the greedy's replay
//! (`live::replay`) needs the old and the new members of the changed samples only.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;

use crate::model::{Node, Sample, lowest_level};

/// Membership (candidate, sample) on dense ids.
#[derive(Debug)]
pub struct Members {
    seed: u64,
    sids: FxHashMap<Sample, u32>,
    /// By sid; a freed sid's slot is empty until reused.
    samples: Vec<SampleSlot>,
    free_sids: Vec<u32>,
    /// Samples by lowest level (no zero counts).
    levels: BTreeMap<i32, usize>,
    mids: FxHashMap<Node, u32>,
    /// By mid; a freed mid's slot is empty until reused.
    nodes: Vec<NodeSlot>,
    /// By mid: how many samples of R1 hold it, the length of `nodes[mid].samples[0]`, kept apart
    /// in 4 bytes so that a greedy starting its gains reads one dense array, not a slot a line.
    r1_len: Vec<u32>,
    free_mids: Vec<u32>,
    /// How many memberships the table holds.
    held: usize,
    journal: Journal,
}

#[derive(Debug, Default)]
struct SampleSlot {
    lowest: i32,
    /// Which half it is in; meaningless while the slot is free.
    half: u8,
    /// The mids of its members.
    members: Vec<u32>,
}

/// A sid as it was before its first change since [`Members::journal_start`].
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    pub sid: u32,
    /// Its half then; `None` when the sid was free (the sample is new, or reuses a freed sid).
    pub half: Option<usize>,
    /// Its members then.
    pub members: Vec<u32>,
}

/// The changes noted since [`Members::journal_start`], while they stay few.
#[derive(Debug, Default)]
struct Journal {
    on: bool,
    changes: Vec<Change>,
    /// By sid: whether `changes` holds it.
    noted: Vec<bool>,
    /// Members copied into `changes`.
    copied: usize,
}

impl Journal {
    /// Turns the journal off and hands back what it noted.
    fn clear(&mut self) -> Vec<Change> {
        for c in &self.changes {
            self.noted[c.sid as usize] = false;
        }
        self.on = false;
        self.copied = 0;
        std::mem::take(&mut self.changes)
    }
}

#[derive(Debug, Default)]
struct NodeSlot {
    node: Node,
    /// The sids of the samples holding it, by half.
    samples: [Vec<u32>; 2],
    /// How many of the greedy's rows hold it.
    pins: u32,
}

impl Members {
    /// An empty table for samples keyed under `seed` (their lowest levels follow from it).
    pub fn new(seed: u64) -> Self {
        Members {
            seed,
            sids: FxHashMap::default(),
            samples: Vec::new(),
            free_sids: Vec::new(),
            levels: BTreeMap::new(),
            mids: FxHashMap::default(),
            nodes: Vec::new(),
            r1_len: Vec::new(),
            free_mids: Vec::new(),
            held: 0,
            journal: Journal::default(),
        }
    }

    /// Records `member(c, s)`; it must not be held already.
    pub fn insert(&mut self, c: Node, s: Sample) {
        let mid = self.intern(c);
        let sid = match self.sids.get(&s) {
            Some(&sid) => {
                self.note(sid, true);
                sid
            }
            None => {
                let slot = SampleSlot {
                    lowest: lowest_level(s.key(self.seed)),
                    half: s.half() as u8,
                    members: Vec::new(),
                };
                *self.levels.entry(slot.lowest).or_default() += 1;
                let sid = reuse(&mut self.samples, &mut self.free_sids, slot);
                self.note(sid, false);
                self.sids.insert(s, sid);
                sid
            }
        };
        debug_assert!(
            !self.samples[sid as usize].members.contains(&mid),
            "member is a set"
        );
        self.samples[sid as usize].members.push(mid);
        self.held += 1;
        self.nodes[mid as usize].samples[s.half()].push(sid);
        if s.half() == 0 {
            self.r1_len[mid as usize] += 1;
        }
    }

    /// Drops `member(c, s)`, which must be held.
    pub fn remove(&mut self, c: Node, s: Sample) {
        let mid = self.mids[&c];
        let sid = self.sids[&s];
        self.note(sid, true);
        let sample = &mut self.samples[sid as usize];
        swap_out(&mut sample.members, mid);
        self.held -= 1;
        if sample.members.is_empty() {
            let count = self
                .levels
                .get_mut(&sample.lowest)
                .expect("a counted level");
            *count -= 1;
            if *count == 0 {
                self.levels.remove(&sample.lowest);
            }
            self.sids.remove(&s);
            self.samples[sid as usize] = SampleSlot::default();
            self.free_sids.push(sid);
        }
        swap_out(&mut self.nodes[mid as usize].samples[s.half()], sid);
        if s.half() == 0 {
            self.r1_len[mid as usize] -= 1;
        }
        self.release_if_unused(mid);
    }

    /// The mid of `c`, pinned once more: it lives at least until [`Members::unpin`].
    pub fn pin(&mut self, c: Node) -> u32 {
        let mid = self.intern(c);
        self.nodes[mid as usize].pins += 1;
        mid
    }

    /// Takes back one [`Members::pin`] of `mid`.
    pub fn unpin(&mut self, mid: u32) {
        let pins = &mut self.nodes[mid as usize].pins;
        *pins = pins
            .checked_sub(1)
            .expect("unpinned more often than pinned");
        self.release_if_unused(mid);
    }

    /// The mid of `c`, if it has one.
    pub fn mid(&self, c: Node) -> Option<u32> {
        self.mids.get(&c).copied()
    }

    /// The node of `mid`.
    pub fn node(&self, mid: u32) -> Node {
        self.nodes[mid as usize].node
    }

    /// The sids of the samples of `half` holding `mid`.
    pub fn samples_of(&self, mid: u32, half: usize) -> &[u32] {
        &self.nodes[mid as usize].samples[half]
    }

    /// |R1(mid)|: how many samples of the first half hold `mid`, at every level.
    pub fn r1_len(&self, mid: u32) -> u32 {
        debug_assert_eq!(
            self.r1_len[mid as usize] as usize,
            self.nodes[mid as usize].samples[0].len()
        );
        self.r1_len[mid as usize]
    }

    /// The mids of the members of `sid`.
    pub fn members_of(&self, sid: u32) -> &[u32] {
        &self.samples[sid as usize].members
    }

    /// The half of `sid`, which must be held.
    pub fn half(&self, sid: u32) -> usize {
        self.samples[sid as usize].half as usize
    }

    /// Starts noting changes afresh, forgetting any noted so far.
    pub fn journal_start(&mut self) {
        self.journal.clear();
        self.journal.on = true;
    }

    /// Stops noting changes, forgetting any noted so far.
    pub fn journal_stop(&mut self) {
        self.journal.clear();
    }

    /// Whether the journal is on and has noted nothing yet.
    pub fn journal_is_empty(&self) -> bool {
        self.journal.on && self.journal.changes.is_empty()
    }

    /// The changes noted since [`Members::journal_start`], which stops the journal; `None` when
    /// it was not on or gave up on them (more than a few: past an eighth of the samples or half
    /// the memberships).
    pub fn journal_take(&mut self) -> Option<Vec<Change>> {
        let on = self.journal.on;
        let changes = self.journal.clear();
        on.then_some(changes)
    }

    /// Notes `sid` as it is now (`held`) or as free, unless it was noted already. Past an eighth
    /// of the table's samples or half its memberships the journal gives up: a replay would touch
    /// most candidates, and the greedy runs afresh anyway.
    fn note(&mut self, sid: u32, held: bool) {
        if !self.journal.on || self.journal.noted.get(sid as usize) == Some(&true) {
            return;
        }
        let slot = &self.samples[sid as usize];
        let change = Change {
            sid,
            half: held.then_some(slot.half as usize),
            members: if held {
                slot.members.clone()
            } else {
                Vec::new()
            },
        };
        self.push_change(change);
    }

    fn push_change(&mut self, change: Change) {
        let limit = self.samples.len() / 8 + 16;
        let j = &mut self.journal;
        j.copied += change.members.len();
        if j.changes.len() >= limit || j.copied > self.held / 2 + 256 {
            j.clear();
            return;
        }
        let sid = change.sid as usize;
        if j.noted.len() <= sid {
            j.noted.resize(sid + 1, false);
        }
        j.noted[sid] = true;
        j.changes.push(change);
    }

    /// Whether `sid` exists at `level` (its lowest level is at most `level`).
    pub fn at(&self, sid: u32, level: i32) -> bool {
        self.samples[sid as usize].lowest <= level
    }

    /// Whether every sample in the table exists at `level`.
    pub fn all_at(&self, level: i32) -> bool {
        self.levels
            .last_key_value()
            .is_none_or(|(&l, _)| l <= level)
    }

    /// One past the largest mid and sid given: the sizes of arrays indexed by them.
    pub fn bounds(&self) -> (usize, usize) {
        (self.nodes.len(), self.samples.len())
    }

    fn intern(&mut self, c: Node) -> u32 {
        if let Some(&mid) = self.mids.get(&c) {
            return mid;
        }
        let slot = NodeSlot {
            node: c,
            samples: Default::default(),
            pins: 0,
        };
        let mid = reuse(&mut self.nodes, &mut self.free_mids, slot);
        self.r1_len.resize(self.nodes.len(), 0);
        self.r1_len[mid as usize] = 0;
        self.mids.insert(c, mid);
        mid
    }

    fn release_if_unused(&mut self, mid: u32) {
        let slot = &mut self.nodes[mid as usize];
        if slot.pins == 0 && slot.samples.iter().all(Vec::is_empty) {
            self.mids.remove(&slot.node);
            *slot = NodeSlot::default();
            self.free_mids.push(mid);
        }
    }
}

/// Puts `value` in a freed slot of `slots`, or in a new one; returns its index.
fn reuse<T>(slots: &mut Vec<T>, free: &mut Vec<u32>, value: T) -> u32 {
    match free.pop() {
        Some(id) => {
            slots[id as usize] = value;
            id
        }
        None => {
            slots.push(value);
            (slots.len() - 1) as u32
        }
    }
}

/// Removes one `x` from an unordered list that holds it.
fn swap_out(list: &mut Vec<u32>, x: u32) {
    let at = list
        .iter()
        .position(|&y| y == x)
        .expect("a membership that goes was there");
    list.swap_remove(at);
}
