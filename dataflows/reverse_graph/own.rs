//! A node's arc list as one worker changed it: a few changes over the shared base's list, not a
//! copy of it.
//!
//! A stream's events land on hubs (new arcs follow the degrees, removals hit a head in proportion
//! to its in-degree), so a worker that copied every list it changed would, over a long stream,
//! copy most of the arcs it holds, once per worker. Here a change costs its own size: an added
//! arc in `added`, a removed base arc's key in `gone`. A list with more than [`MAX_GONE`] base arcs
//! gone is copied whole, which bounds the filter a reader pays per arc.

use super::{Dense, ListArc};
use crate::lists::give_back_room;

/// The base arcs a list may have lost before it is copied whole.
const MAX_GONE: usize = 8;

#[derive(Clone)]
pub(super) struct Own<A> {
    /// Keys (tails of in-arcs, heads of out-arcs) of the base's arcs that are gone.
    gone: Vec<Dense>,
    /// Bit `key % 64` of every key in `gone`: most arcs are passed on one test.
    mask: u64,
    /// The arcs added since the load; once `whole`, every arc.
    added: Vec<A>,
    /// The base's list no longer counts.
    whole: bool,
}

impl<A> Own<A> {
    /// The list of a node no change touched.
    pub(super) const UNCHANGED: Own<A> = Own {
        gone: Vec::new(),
        mask: 0,
        added: Vec::new(),
        whole: false,
    };
}

impl<A> Default for Own<A> {
    fn default() -> Self {
        Own::UNCHANGED
    }
}

impl<A: ListArc> Own<A> {
    /// The arcs, over the base's `base`.
    pub(super) fn arcs<'a>(&'a self, base: &'a [A]) -> Arcs<'a, A> {
        Arcs {
            base: if self.whole { &[][..] } else { base }.iter(),
            gone: &self.gone,
            mask: self.mask,
            added: self.added.iter(),
        }
    }

    /// The arcs as one slice, where they are one: a list no change touched, or one copied whole.
    pub(super) fn slice<'a>(&'a self, base: &'a [A]) -> Option<&'a [A]> {
        match (self.whole, self.gone.is_empty() && self.added.is_empty()) {
            (true, _) => Some(&self.added),
            (false, true) => Some(base),
            (false, false) => None,
        }
    }

    /// Adds `arc`, which is not there.
    pub(super) fn push(&mut self, arc: A) {
        self.added.push(arc);
    }

    /// Removes the arc with `key`, which is there; returns it.
    pub(super) fn remove(&mut self, base: &[A], key: Dense) -> A {
        if let Some(at) = self.added.iter().position(|a| a.key() == key) {
            let arc = self.added.swap_remove(at);
            give_back_room(&mut self.added);
            return arc;
        }
        let arc = *self
            .arcs(base)
            .find(|a| a.key() == key)
            .expect("a removed arc is there");
        self.gone.push(key);
        self.mask |= bit(key);
        if self.gone.len() > MAX_GONE {
            self.make_whole(base);
        }
        arc
    }

    /// Copies the base's arcs that are left into `added`: from here on the list is this
    /// worker's alone.
    pub(super) fn make_whole(&mut self, base: &[A]) {
        if self.whole {
            return;
        }
        let mut all: Vec<A> = Vec::with_capacity(base.len() + self.added.len());
        all.extend(self.arcs(base));
        self.added = all;
        self.gone = Vec::new();
        self.mask = 0;
        self.whole = true;
    }

    /// The whole list to change in place (after [`Own::make_whole`]).
    pub(super) fn whole_mut(&mut self) -> &mut Vec<A> {
        assert!(
            self.whole,
            "a list is copied whole before it is changed in place"
        );
        &mut self.added
    }
}

/// The arcs of an [`Own`] list: the base's that are not gone, then the added ones. A plain
/// struct rather than a filter chained to a slice: searches read every in-arc of every node they
/// reach, and an unchanged list must cost about what a slice does.
pub(super) struct Arcs<'a, A> {
    base: std::slice::Iter<'a, A>,
    gone: &'a [Dense],
    mask: u64,
    added: std::slice::Iter<'a, A>,
}

impl<A> Arcs<'_, A> {
    /// At least as many as the arcs left: what choosing the shorter of two lists needs.
    pub(super) fn bound(&self) -> usize {
        self.base.len() + self.added.len()
    }
}

fn bit(key: Dense) -> u64 {
    1 << (key % 64)
}

impl<'a, A: ListArc> Iterator for Arcs<'a, A> {
    type Item = &'a A;

    #[inline]
    fn next(&mut self) -> Option<&'a A> {
        for arc in self.base.by_ref() {
            let key = arc.key();
            if self.mask & bit(key) == 0 || !self.gone.contains(&key) {
                return Some(arc);
            }
        }
        self.added.next()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reverse_graph::OutArc;

    fn arc(head: Dense) -> OutArc {
        OutArc { head, weight: 1 }
    }

    fn keys(own: &Own<OutArc>, base: &[OutArc]) -> Vec<Dense> {
        let mut t: Vec<Dense> = own.arcs(base).map(|a| a.head).collect();
        t.sort_unstable();
        t
    }

    #[test]
    fn changes_lie_over_the_base_and_many_removals_copy_it() {
        let base: Vec<OutArc> = (0..20).map(arc).collect();
        let mut own = Own::default();
        assert_eq!(own.slice(&base).map(<[_]>::len), Some(20));
        own.push(arc(30));
        assert_eq!(own.remove(&base, 3).head, 3);
        assert_eq!(own.remove(&base, 30).head, 30);
        own.push(arc(3));
        assert!(own.slice(&base).is_none(), "a base arc gone: no one slice");
        assert_eq!(keys(&own, &base), (0..20).collect::<Vec<_>>());
        for t in 4..4 + MAX_GONE as Dense {
            own.remove(&base, t);
            assert_eq!(own.whole, own.gone.is_empty());
        }
        assert!(own.whole, "one removal past the bound copies the list");
        let left: Vec<Dense> = (0..4).chain(4 + MAX_GONE as Dense..20).collect();
        assert_eq!(keys(&own, &base), left);
        assert_eq!(keys(&own, &[]), left, "a whole list reads no base");
        assert_eq!(own.slice(&base).map(<[_]>::len), Some(left.len()));
    }
}
