//! The inverted list: node → ids of this worker's samples whose RR set contains it, each with
//! the sample's summary of the node's in-arcs (summary.rs).

use std::ops::Index;

use super::summary::Summary;
use crate::reverse_graph::Dense;

/// One sample holding the node, and what it knows of the node's in-arcs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Entry {
    pub(super) id: u32,
    pub(super) summary: Summary,
}

/// In `Inverted::at`: no sample of this worker ever held the node.
const NONE: u32 = u32::MAX;

/// A list per node that some sample held, behind 4 bytes a node: with several workers each holds
/// a share of the samples, and most nodes are in none of a worker's (a list header for every
/// node, 24 bytes, was most of a further worker's cost).
#[derive(Default)]
pub(super) struct Inverted {
    /// Dense node → its list in `lists`, or [`NONE`].
    at: Vec<u32>,
    lists: Vec<Vec<Entry>>,
}

impl Inverted {
    /// Room for dense nodes `0..n`.
    pub(super) fn resize(&mut self, n: usize) {
        self.at.resize(n, NONE);
    }

    /// Notes that sample `id` contains `v`, with its summary of `v`'s in-arcs.
    pub(super) fn push(&mut self, v: Dense, id: u32, summary: Summary) {
        self.list_mut(v).push(Entry { id, summary });
    }

    /// The samples holding `v`, with their summaries to update.
    pub(super) fn entries_mut(&mut self, v: Dense) -> &mut [Entry] {
        match self.at[v as usize] {
            NONE => &mut [],
            at => &mut self.lists[at as usize],
        }
    }

    /// The ids of the samples holding `v`.
    pub(super) fn ids(&self, v: Dense) -> impl ExactSizeIterator<Item = u32> + '_ {
        self[v].iter().map(|e| e.id)
    }

    /// Notes that sample `id` no longer contains `v`.
    pub(super) fn remove(&mut self, v: Dense, id: u32) {
        // A node no sample held has no list to make for a removal.
        let list = match self.at[v as usize] {
            NONE => return,
            at => &mut self.lists[at as usize],
        };
        if let Some(at) = list.iter().position(|e| e.id == id) {
            list.swap_remove(at);
        }
    }

    fn list_mut(&mut self, v: Dense) -> &mut Vec<Entry> {
        let at = &mut self.at[v as usize];
        if *at == NONE {
            *at = self.lists.len() as u32;
            self.lists.push(Vec::new());
        }
        &mut self.lists[*at as usize]
    }
}

impl Index<Dense> for Inverted {
    type Output = [Entry];

    fn index(&self, v: Dense) -> &[Entry] {
        match self.at[v as usize] {
            NONE => &[],
            at => &self.lists[at as usize],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_come_and_go_per_node() {
        let mut inv = Inverted::default();
        inv.resize(4);
        assert!(inv[2].is_empty());
        inv.push(2, 7, Summary::EMPTY);
        inv.push(2, 9, Summary::UNKNOWN);
        inv.push(0, 7, Summary::EMPTY);
        inv.remove(2, 7);
        inv.remove(3, 7);
        assert_eq!(inv.ids(2).collect::<Vec<_>>(), [9]);
        assert_eq!(inv[2][0].summary, Summary::UNKNOWN);
        assert_eq!(inv.ids(0).collect::<Vec<_>>(), [7]);
        assert!(inv[1].is_empty() && inv[3].is_empty());
    }
}
