//! One node's arc list in a worker's graph, shared with the other workers of its process until
//! this worker changes it.
//!
//! Every worker keeps its own graph (its samples read it while the others change theirs), but
//! the graph loaded at a run's start is the same for all of them: it is built once, its lists
//! turned [`ArcList::Shared`], and each worker's copy points at them. A list a worker changes
//! becomes its own ([`ArcList::to_mut`], one copy of that list), so the lists of the nodes that
//! events never touch, most of a large graph, stay in memory once per process.

use std::ops::Deref;
use std::sync::Arc;

/// A list of arcs, read through `Deref`.
#[derive(Clone, Debug)]
pub enum ArcList<T> {
    /// Loaded once, read by every worker of the process.
    Shared(Arc<[T]>),
    /// This worker's own.
    Own(Vec<T>),
}

impl<T> Default for ArcList<T> {
    fn default() -> Self {
        ArcList::Own(Vec::new())
    }
}

impl<T> Deref for ArcList<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        match self {
            ArcList::Shared(list) => list,
            ArcList::Own(list) => list,
        }
    }
}

impl<T: Clone> ArcList<T> {
    /// The list to change, made this worker's own first if it was shared.
    pub fn to_mut(&mut self) -> &mut Vec<T> {
        if let ArcList::Shared(list) = self {
            *self = ArcList::Own(list.to_vec());
        }
        match self {
            ArcList::Own(list) => list,
            ArcList::Shared(_) => unreachable!("made own just above"),
        }
    }

    /// Turns the list into one that copies of the graph share.
    pub fn share(&mut self) {
        if let ArcList::Own(list) = self {
            *self = ArcList::Shared(Arc::from(std::mem::take(list)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_to_a_shared_list_is_the_changers_alone() {
        let mut a: ArcList<u32> = ArcList::default();
        a.to_mut().extend([1, 2, 3]);
        a.share();
        let b = a.clone();
        a.to_mut().push(4);
        assert_eq!(&*a, &[1, 2, 3, 4]);
        assert_eq!(&*b, &[1, 2, 3]);
        assert!(matches!(b, ArcList::Shared(_)));
        assert!(matches!(a, ArcList::Own(_)));
    }
}
