//! One tail's out-arcs in the accepted state: its heads with their flags, found without a hash
//! table.
//!
//! A hash table of every pair costs 10 to 21 bytes an arc once its power-of-two buckets are
//! counted, and at tens of millions of arcs the state is among the largest things a process
//! holds. Here a tail keeps each head in 4 bytes (its dense id and [`FLAG_BITS`] flags): a sorted
//! run, binary-searched, then at most [`TAIL`] recent additions in arrival order, scanned. When the
//! additions outgrow that they are sorted into the run. A lookup costs `log d + TAIL` comparisons;
//! an addition, a merge of the run every [`TAIL`] additions (on a graph of 16 million arcs whose
//! largest out-degree is 40,000, about 10^8 entries moved in all).

use dataflows::lists::give_back_room;

/// The low bits of an entry that hold the flags.
pub const FLAG_BITS: u32 = 3;

/// The bits of an entry that are its flags.
const FLAGS: u32 = (1 << FLAG_BITS) - 1;

/// The largest dense id an entry holds.
pub const MAX_ID: u32 = u32::MAX >> FLAG_BITS;

/// At most this many heads wait unsorted after the run.
const TAIL: usize = 64;

/// A tail's heads and their flags.
#[derive(Clone, Debug, Default)]
pub struct OutList {
    /// `head << FLAG_BITS | flags`: `entries[..sorted]` ascending, the rest in arrival order.
    entries: Vec<u32>,
    sorted: u32,
}

impl OutList {
    fn position(&self, head: u32) -> Option<usize> {
        let sorted = self.sorted as usize;
        let (run, tail) = self.entries.split_at(sorted);
        run.binary_search_by(|e| (e >> FLAG_BITS).cmp(&head))
            .ok()
            .or_else(|| {
                let at = tail.iter().position(|e| e >> FLAG_BITS == head)?;
                Some(sorted + at)
            })
    }

    /// The flags of `head`, if it is one.
    pub fn get(&self, head: u32) -> Option<u32> {
        let at = self.position(head)?;
        Some(self.entries[at] & FLAGS)
    }

    /// Sets the flags of `head`, adding it if it is not one; returns whether it was.
    pub fn set(&mut self, head: u32, flags: u32) -> bool {
        debug_assert!(head <= MAX_ID && flags & !FLAGS == 0);
        let entry = head << FLAG_BITS | flags;
        if let Some(at) = self.position(head) {
            self.entries[at] = entry;
            return true;
        }
        self.entries.push(entry);
        if self.entries.len() - self.sorted as usize > TAIL {
            // Stable sort: the run is found as one and the additions merged into it, O(d).
            self.entries.sort();
            self.sorted = self.entries.len() as u32;
        }
        false
    }

    /// Removes `head`; returns whether it was one.
    pub fn remove(&mut self, head: u32) -> bool {
        let Some(at) = self.position(head) else {
            return false;
        };
        if at < self.sorted as usize {
            self.entries.remove(at);
            self.sorted -= 1;
        } else {
            self.entries.swap_remove(at);
        }
        give_back_room(&mut self.entries);
        true
    }

    /// The list of `entries` (`head << FLAG_BITS | flags`), ascending, no head twice: a bulk load's.
    pub fn from_sorted(entries: Vec<u32>) -> Self {
        debug_assert!(
            entries
                .windows(2)
                .all(|w| w[0] >> FLAG_BITS < w[1] >> FLAG_BITS)
        );
        OutList {
            sorted: entries.len() as u32,
            entries,
        }
    }

    /// Frees the room the list does not use.
    pub fn shrink(&mut self) {
        self.entries.shrink_to_fit();
    }

    /// The heads and their flags, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        self.entries.iter().map(|e| (e >> FLAG_BITS, e & FLAGS))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    proptest! {
        /// Whatever the order of additions, changes and removals, on either side of a merge, the
        /// list holds what a map would.
        #[test]
        fn a_list_is_a_map(ops in prop::collection::vec((0..300u32, 0..8u32, any::<bool>()), 0..2000)) {
            let mut list = OutList::default();
            let mut map = BTreeMap::new();
            for (head, flags, add) in ops {
                let head = if head == 299 { MAX_ID } else { head };
                if add {
                    prop_assert_eq!(list.set(head, flags), map.insert(head, flags).is_some());
                } else {
                    prop_assert_eq!(list.remove(head), map.remove(&head).is_some());
                }
                prop_assert_eq!(list.get(head), map.get(&head).copied());
                prop_assert!(list.entries.len() - list.sorted as usize <= TAIL);
            }
            let mut all: Vec<_> = list.iter().collect();
            all.sort();
            prop_assert_eq!(all, map.into_iter().collect::<Vec<_>>());
        }
    }
}
