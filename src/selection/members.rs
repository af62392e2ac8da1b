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
}

#[derive(Debug, Default)]
struct SampleSlot {
    lowest: i32,
    /// The mids of its members.
    members: Vec<u32>,
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
        }
    }

    /// Records `member(c, s)`; it must not be held already.
    pub fn insert(&mut self, c: Node, s: Sample) {
        let mid = self.intern(c);
        let sid = match self.sids.get(&s) {
            Some(&sid) => sid,
            None => {
                let slot = SampleSlot {
                    lowest: lowest_level(s.key(self.seed)),
                    members: Vec::new(),
                };
                *self.levels.entry(slot.lowest).or_default() += 1;
                let sid = reuse(&mut self.samples, &mut self.free_sids, slot);
                self.sids.insert(s, sid);
                sid
            }
        };
        debug_assert!(
            !self.samples[sid as usize].members.contains(&mid),
            "member is a set"
        );
        self.samples[sid as usize].members.push(mid);
        self.nodes[mid as usize].samples[s.half()].push(sid);
        if s.half() == 0 {
            self.r1_len[mid as usize] += 1;
        }
    }

    /// Drops `member(c, s)`, which must be held.
    pub fn remove(&mut self, c: Node, s: Sample) {
        let mid = self.mids[&c];
        let sid = self.sids[&s];
        let sample = &mut self.samples[sid as usize];
        swap_out(&mut sample.members, mid);
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
