//! Node id → dense id, for the state and the loaded graph: a direct table for node ids that are
//! small next to the number of nodes, a hash map for the rest.
//!
//! Real edge lists mostly number their nodes from 0 (SNAP's, a relabelled R-MAT's), and every
//! event looks up both its endpoints: in a hash map of millions of nodes each look-up is a cache
//! miss in a table of about 16 bytes a node. A node id below twice the number of nodes (plus a
//! margin) goes instead in a plain array indexed by it, 4 bytes a slot; ids far beyond it (hashes,
//! sparse numbering) still work, in the map.

use rustc_hash::FxHashMap;

use crate::model::Node;

/// In `NodeIds::direct`: no node with this id.
const NONE: u32 = u32::MAX;

/// Slots the direct table may hold beyond twice the number of ids.
const MARGIN: usize = 4096;

#[derive(Clone, Debug, Default)]
pub struct NodeIds {
    /// By node id, below its length.
    direct: Vec<u32>,
    /// The nodes at or above `direct.len()`.
    other: FxHashMap<Node, u32>,
    len: usize,
    /// Slots the direct table may hold whatever `len` is (see [`NodeIds::allow`]).
    floor: usize,
}

impl NodeIds {
    /// The dense id of `v`, if it has one.
    #[inline]
    pub fn get(&self, v: Node) -> Option<u32> {
        match slot(v).and_then(|i| self.direct.get(i)) {
            Some(&NONE) => None,
            Some(&d) => Some(d),
            None => self.other.get(&v).copied(),
        }
    }

    /// Gives `v`, which has none, dense id `d`.
    pub fn insert(&mut self, v: Node, d: u32) {
        debug_assert!(self.get(v).is_none() && d != NONE);
        self.len += 1;
        let limit = (2 * self.len + MARGIN).max(self.floor);
        if let Some(i) = slot(v).filter(|&i| i >= self.direct.len() && i < limit) {
            // By half at least: each growth moves the map's entries it covers, and as ids come in
            // random order the limit would otherwise let the table grow by a few slots at a time,
            // a pass over the map every thousand ids or so. Below that, `v` waits in the map.
            let len = (i + 1).max(2 * self.direct.len()).min(limit);
            if 2 * len >= 3 * self.direct.len() {
                self.grow(len);
            }
        }
        match slot(v).and_then(|i| self.direct.get_mut(i)) {
            Some(slot) => *slot = d,
            None => {
                self.other.insert(v, d);
            }
        }
    }

    /// Lets the direct table hold `slots` slots whatever the number of ids: for a caller that
    /// is about to give out many, and whose own memory grows with them (a bulk load's pairs),
    /// so that early ids, which come far beyond twice their count, do not go in the map.
    pub fn allow(&mut self, slots: usize) {
        self.floor = self.floor.max(slots);
    }

    /// The number of nodes with an id.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no node has an id.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Extends the direct table to `len` slots, moving the nodes it now covers out of the map.
    fn grow(&mut self, len: usize) {
        self.direct.resize(len, NONE);
        if self.other.keys().any(|&v| slot(v).is_some_and(|i| i < len)) {
            let direct = &mut self.direct;
            self.other
                .retain(|&v, &mut d| match slot(v).and_then(|i| direct.get_mut(i)) {
                    Some(slot) => {
                        *slot = d;
                        false
                    }
                    None => true,
                });
        }
    }
}

/// The direct table's slot of node `v`, where it can have one on this platform.
fn slot(v: Node) -> Option<usize> {
    usize::try_from(v).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_and_large_ids_in_any_order() {
        let mut ids = NodeIds::default();
        // Small ids arriving out of order, a huge one, and small ones that the table grows over.
        let nodes: Vec<Node> = [5u64, 1 << 40, 9000, 3, u64::MAX, 20_000, 8191]
            .into_iter()
            .chain((6_000..18_000).filter(|&v| v != 8191 && v != 9000))
            .collect();
        for (d, &v) in nodes.iter().enumerate() {
            assert_eq!(ids.get(v), None);
            ids.insert(v, d as u32);
        }
        assert_eq!(ids.len(), nodes.len());
        for (d, &v) in nodes.iter().enumerate() {
            assert_eq!(ids.get(v), Some(d as u32), "node {v}");
        }
        for v in [0u64, 4, 6, 18_000, 1 << 41] {
            assert_eq!(ids.get(v), None);
        }
        assert!(
            ids.direct.len() >= 18_000,
            "the dense ids went in the table"
        );
        assert_eq!(ids.other.len(), 2, "only the huge ids are hashed");
    }

    /// Ids numbered from 0, in scattered order (a relabelled graph's): every one found, and all
    /// in the table by the end, though the early ones came far beyond it.
    #[test]
    fn scattered_ids_end_in_the_table() {
        let n = 100_003u64;
        let id = |k: u64| k * 7919 % n;
        let mut ids = NodeIds::default();
        for k in 0..n {
            ids.insert(id(k), k as u32);
        }
        for k in 0..n {
            assert_eq!(ids.get(id(k)), Some(k as u32));
        }
        assert!(
            ids.other.is_empty(),
            "{} ids left in the map",
            ids.other.len()
        );
        // Allowed the slots first, none goes in the map even for a while.
        let mut allowed = NodeIds::default();
        allowed.allow(n as usize);
        for k in 0..n {
            allowed.insert(id(k), k as u32);
            assert!(allowed.other.is_empty(), "{} went in the map", id(k));
        }
        assert_eq!(allowed.get(id(5)), Some(5));
    }
}
