//! The inverted list: node → ids of this worker's samples whose RR set contains it.

use std::ops::Index;

use crate::reverse_graph::Dense;

/// In `Inverted::at`: no sample of this worker ever held the node.
const NONE: u32 = u32::MAX;

/// A list per node that some sample held, behind 4 bytes a node: with several workers each holds
/// a share of the samples, and most nodes are in none of a worker's (a list header for every
/// node, 24 bytes, was most of a further worker's cost).
#[derive(Default)]
pub(super) struct Inverted {
    /// Dense node → its list in `lists`, or [`NONE`].
    at: Vec<u32>,
    lists: Vec<Vec<u32>>,
}

impl Inverted {
    /// Room for dense nodes `0..n`.
    pub(super) fn resize(&mut self, n: usize) {
        self.at.resize(n, NONE);
    }

    /// Notes that sample `id` contains `v`.
    pub(super) fn push(&mut self, v: Dense, id: u32) {
        self.list_mut(v).push(id);
    }

    /// Notes that sample `id` no longer contains `v`.
    pub(super) fn remove(&mut self, v: Dense, id: u32) {
        // A node no sample held has no list to make for a removal.
        let list = match self.at[v as usize] {
            NONE => return,
            at => &mut self.lists[at as usize],
        };
        if let Some(at) = list.iter().position(|&x| x == id) {
            list.swap_remove(at);
        }
    }

    fn list_mut(&mut self, v: Dense) -> &mut Vec<u32> {
        let at = &mut self.at[v as usize];
        if *at == NONE {
            *at = self.lists.len() as u32;
            self.lists.push(Vec::new());
        }
        &mut self.lists[*at as usize]
    }
}

impl Index<Dense> for Inverted {
    type Output = [u32];

    fn index(&self, v: Dense) -> &[u32] {
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
        inv.push(2, 7);
        inv.push(2, 9);
        inv.push(0, 7);
        inv.remove(2, 7);
        inv.remove(3, 7);
        assert_eq!(&inv[2], &[9]);
        assert_eq!(&inv[0], &[7]);
        assert!(inv[1].is_empty() && inv[3].is_empty());
    }
}
