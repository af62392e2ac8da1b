//! The accepted arcs, compactly: nodes on dense `u32` ids, each pair's flags packed with its head
//! into 4 bytes of its tail's out-list (`OutList`), with the rare extras (an explicit
//! probability, interactions) in a side table.
//!
//! At tens of millions of arcs the state is among the largest things a process holds: a hash
//! map of `(u64, u64)` pairs to a 32-byte state costs about 100 bytes an arc once its buckets are
//! counted, and even 8-byte keys cost 10 to 21. Here an arc is 4 bytes (5 or so with a growing
//! list's room). Dense ids are never reused: a node that leaves keeps its slot (8 bytes in
//! `nodes`, 4 in `refs`, an empty out-list), so the tables grow with the distinct nodes ever
//! seen, at most 2^29 of them.

use dataflows::node_ids::NodeIds;
use rustc_hash::FxHashMap;

use super::out_list::{FLAG_BITS, MAX_ID, OutList};
use crate::model::Node;

/// A dense node id.
pub type Dense = u32;

/// What the events say of one directed pair `u → v`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ArcState {
    /// Part of a friendship (`f` events).
    pub friend: bool,
    /// Added as a directed arc (`e` events).
    pub directed: bool,
    /// The probability an `e` event gave; it wins over the model.
    pub explicit: Option<f64>,
    /// Interactions `u → v` not taken back.
    pub interactions: u64,
}

impl ArcState {
    /// Whether there is an arc.
    pub fn exists(&self) -> bool {
        self.friend || self.directed || self.interactions > 0
    }
}

const FRIEND: u32 = 1;
const DIRECTED: u32 = 2;
/// The pair has an entry in the side table.
const EXTRA: u32 = 4;

/// A pair for [`Arcs::load`]: `u → v` (dense), a friendship's half or a directed arc.
pub fn new_pair(u: Dense, v: Dense, friend: bool) -> u64 {
    let flag = if friend { FRIEND } else { DIRECTED };
    u64::from(u) << 32 | u64::from(v << FLAG_BITS | flag)
}

/// What [`Arcs::load`] added.
pub struct LoadedPairs {
    /// By dense id: the node's new arcs, in and out.
    pub degrees: Vec<u32>,
    /// Distinct pairs with the directed flag.
    pub directed: u64,
    /// Distinct pairs with the friendship flag (both halves of each friendship).
    pub friend: u64,
}

/// The rare part of an [`ArcState`].
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Extra {
    explicit: Option<f64>,
    interactions: u64,
}

/// The arcs and the nodes' dense ids.
#[derive(Clone, Debug, Default)]
pub struct Arcs {
    ids: NodeIds,
    nodes: Vec<Node>,
    /// Dense tail → its heads, each with its flags.
    out: Vec<OutList>,
    extra: FxHashMap<(Dense, Dense), Extra>,
    /// The number of arcs.
    len: usize,
}

impl Arcs {
    /// The dense id of `v`, if it was ever seen.
    pub fn id(&self, v: Node) -> Option<Dense> {
        self.ids.get(v)
    }

    /// The dense id of `v`, given out on first sight.
    pub fn intern(&mut self, v: Node) -> Dense {
        if let Some(d) = self.ids.get(v) {
            return d;
        }
        let d = self.nodes.len() as Dense;
        assert!(
            d <= MAX_ID,
            "more than {MAX_ID} distinct node ids: the state's out-lists cannot hold them"
        );
        self.ids.insert(v, d);
        self.nodes.push(v);
        self.out.push(OutList::default());
        d
    }

    /// Lets the id table give `slots` node ids a direct slot ([`NodeIds::allow`]).
    pub fn allow_ids(&mut self, slots: usize) {
        self.ids.allow(slots);
    }

    /// The node of a dense id.
    pub fn node(&self, d: Dense) -> Node {
        self.nodes[d as usize]
    }

    /// The node of every dense id, by id.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// The number of dense ids given out.
    pub fn ids_given(&self) -> usize {
        self.nodes.len()
    }

    /// The state of the pair `u → v` (the default when there is no arc).
    pub fn get(&self, u: Node, v: Node) -> ArcState {
        match (self.id(u), self.id(v)) {
            (Some(u), Some(v)) => self.get_dense(u, v),
            _ => ArcState::default(),
        }
    }

    /// [`Arcs::get`] on dense ids.
    pub fn get_dense(&self, u: Dense, v: Dense) -> ArcState {
        match self.out[u as usize].get(v) {
            Some(flags) => self.state(u, v, flags),
            None => ArcState::default(),
        }
    }

    /// The state of `u → v` (dense), which has `flags`.
    fn state(&self, u: Dense, v: Dense, flags: u32) -> ArcState {
        let extra = if flags & EXTRA != 0 {
            self.extra[&(u, v)]
        } else {
            Extra::default()
        };
        ArcState {
            friend: flags & FRIEND != 0,
            directed: flags & DIRECTED != 0,
            explicit: extra.explicit,
            interactions: extra.interactions,
        }
    }

    /// Sets the state of `u → v` (dense); returns whether an arc existed before.
    pub fn set(&mut self, u: Dense, v: Dense, state: ArcState) -> bool {
        let extra = Extra {
            explicit: state.explicit,
            interactions: state.interactions,
        };
        if state.exists() {
            let mut flags = u32::from(state.friend) * FRIEND + u32::from(state.directed) * DIRECTED;
            if extra != Extra::default() {
                flags |= EXTRA;
                self.extra.insert((u, v), extra);
            } else {
                self.extra.remove(&(u, v));
            }
            let had = self.out[u as usize].set(v, flags);
            self.len += usize::from(!had);
            had
        } else {
            self.extra.remove(&(u, v));
            let had = self.out[u as usize].remove(v);
            self.len -= usize::from(had);
            had
        }
    }

    /// Every pair with an arc and its state, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (Node, Node, ArcState)> + '_ {
        self.iter_dense()
            .map(|(u, v, s)| (self.node(u), self.node(v), s))
    }

    /// [`Arcs::iter`] on dense ids.
    pub fn iter_dense(&self) -> impl Iterator<Item = (Dense, Dense, ArcState)> + '_ {
        self.out.iter().enumerate().flat_map(move |(u, list)| {
            let u = u as Dense;
            list.iter()
                .map(move |(v, flags)| (u, v, self.state(u, v, flags)))
        })
    }

    /// Adds `pairs` (from [`new_pair`], repeats allowed) to arcs that hold none, and says what
    /// they came to. The pairs are counted into place by tail, then each tail's sorted: a
    /// sequential pass and a small sort a tail, where adding them one by one searches and
    /// re-sorts a growing list per pair.
    pub fn load(&mut self, pairs: Vec<u64>) -> LoadedPairs {
        assert!(self.is_empty(), "a bulk load goes into empty arcs");
        let n = self.nodes.len();
        let mut start = vec![0usize; n + 1];
        for &p in &pairs {
            start[(p >> 32) as usize + 1] += 1;
        }
        for u in 0..n {
            start[u + 1] += start[u];
        }
        let mut next = start.clone();
        let mut heads = vec![0u32; pairs.len()];
        for p in pairs {
            let u = (p >> 32) as usize;
            heads[next[u]] = p as u32;
            next[u] += 1;
        }
        drop(next);
        let mut loaded = LoadedPairs {
            degrees: vec![0; n],
            directed: 0,
            friend: 0,
        };
        for u in 0..n {
            let list = &mut heads[start[u]..start[u + 1]];
            if list.is_empty() {
                continue;
            }
            list.sort_unstable();
            // One entry a head, its flags the union of its repeats'.
            let mut kept = 0;
            for i in 0..list.len() {
                let e = list[i];
                if kept > 0 && list[kept - 1] >> FLAG_BITS == e >> FLAG_BITS {
                    list[kept - 1] |= e;
                } else {
                    list[kept] = e;
                    kept += 1;
                }
            }
            let list = &list[..kept];
            for &e in list {
                loaded.degrees[(e >> FLAG_BITS) as usize] += 1;
                loaded.directed += u64::from(e & DIRECTED != 0);
                loaded.friend += u64::from(e & FRIEND != 0);
            }
            loaded.degrees[u] += kept as u32;
            self.len += kept;
            self.out[u] = OutList::from_sorted(list.to_vec());
        }
        loaded
    }

    /// Frees the room the out-lists do not use (after a large load).
    pub fn shrink(&mut self) {
        self.out.iter_mut().for_each(OutList::shrink);
    }

    /// The heads of `u`'s arcs, in no order.
    pub fn heads(&self, u: Node) -> impl Iterator<Item = Node> + '_ {
        self.id(u)
            .into_iter()
            .flat_map(|u| self.out[u as usize].iter().map(|(v, _)| self.node(v)))
    }

    /// The number of arcs.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there is no arc.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip_and_lists_follow() {
        let mut a = Arcs::default();
        let (u, v, w) = (a.intern(10), a.intern(20), a.intern(30));
        let plain = ArcState {
            directed: true,
            ..ArcState::default()
        };
        let rich = ArcState {
            friend: true,
            directed: false,
            explicit: Some(0.25),
            interactions: 7,
        };
        assert!(!a.set(u, v, plain));
        assert!(!a.set(u, w, rich));
        assert_eq!(a.get(10, 20), plain);
        assert_eq!(a.get(10, 30), rich);
        assert_eq!(a.get(20, 10), ArcState::default());
        let mut heads: Vec<Node> = a.heads(10).collect();
        heads.sort();
        assert_eq!(heads, vec![20, 30]);
        // Dropping the extras keeps the arc; dropping everything removes it.
        assert!(a.set(
            u,
            w,
            ArcState {
                friend: true,
                ..ArcState::default()
            }
        ));
        assert_eq!(a.get(10, 30).interactions, 0);
        assert!(a.set(u, v, ArcState::default()));
        assert_eq!(a.heads(10).collect::<Vec<_>>(), vec![30]);
        assert_eq!(a.len(), 1);
        assert_eq!(a.extra.len(), 0);
    }
}
