//! The accepted arcs, compactly: nodes on dense `u32` ids, each pair's [`ArcState`] packed into 4
//! bytes, with the rare extras (an explicit probability, interactions) in a side table.
//!
//! At tens of millions of arcs the state is the largest thing a process holds: a hash map of
//! `(u64, u64)` pairs to a 32-byte state costs about 100 bytes an arc once its buckets are counted.
//! Here a pair is an 8-byte key and a 4-byte value (about 16 to 30 bytes with the table's slack),
//! plus 4 bytes in its tail's out-list. Dense ids are never reused: a node that leaves keeps its
//! slot (8 bytes in `nodes`, 4 in `refs`, an empty out-list), so the tables grow with the distinct
//! nodes ever seen.

use rustc_hash::FxHashMap;

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

/// The rare part of an [`ArcState`].
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Extra {
    explicit: Option<f64>,
    interactions: u64,
}

/// The arcs and the nodes' dense ids.
#[derive(Clone, Debug, Default)]
pub struct Arcs {
    ids: FxHashMap<Node, Dense>,
    nodes: Vec<Node>,
    bits: FxHashMap<(Dense, Dense), u32>,
    extra: FxHashMap<(Dense, Dense), Extra>,
    /// Dense tail → dense heads, in no order.
    out: Vec<Vec<Dense>>,
}

impl Arcs {
    /// The dense id of `v`, if it was ever seen.
    pub fn id(&self, v: Node) -> Option<Dense> {
        self.ids.get(&v).copied()
    }

    /// The dense id of `v`, given out on first sight.
    pub fn intern(&mut self, v: Node) -> Dense {
        if let Some(&d) = self.ids.get(&v) {
            return d;
        }
        let d = self.nodes.len() as Dense;
        self.ids.insert(v, d);
        self.nodes.push(v);
        self.out.push(Vec::new());
        d
    }

    /// The node of a dense id.
    pub fn node(&self, d: Dense) -> Node {
        self.nodes[d as usize]
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

    fn get_dense(&self, u: Dense, v: Dense) -> ArcState {
        let Some(&bits) = self.bits.get(&(u, v)) else {
            return ArcState::default();
        };
        let extra = if bits & EXTRA != 0 {
            self.extra[&(u, v)]
        } else {
            Extra::default()
        };
        ArcState {
            friend: bits & FRIEND != 0,
            directed: bits & DIRECTED != 0,
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
            let mut bits = u32::from(state.friend) * FRIEND + u32::from(state.directed) * DIRECTED;
            if extra != Extra::default() {
                bits |= EXTRA;
                self.extra.insert((u, v), extra);
            } else {
                self.extra.remove(&(u, v));
            }
            let had = self.bits.insert((u, v), bits).is_some();
            if !had {
                self.out[u as usize].push(v);
            }
            had
        } else {
            self.extra.remove(&(u, v));
            let had = self.bits.remove(&(u, v)).is_some();
            if had {
                let heads = &mut self.out[u as usize];
                let at = heads
                    .iter()
                    .position(|&h| h == v)
                    .expect("an arc is in its tail's out-list");
                heads.swap_remove(at);
                if heads.capacity() > 8 && heads.len() * 4 < heads.capacity() {
                    heads.shrink_to(heads.len() * 2);
                }
            }
            had
        }
    }

    /// Every pair with an arc and its state, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (Node, Node, ArcState)> + '_ {
        self.bits
            .keys()
            .map(|&(u, v)| (self.node(u), self.node(v), self.get_dense(u, v)))
    }

    /// The heads of `u`'s arcs, in no order.
    pub fn heads(&self, u: Node) -> impl Iterator<Item = Node> + '_ {
        self.id(u)
            .into_iter()
            .flat_map(|u| self.out[u as usize].iter().map(|&v| self.node(v)))
    }

    /// The number of arcs.
    pub fn len(&self) -> usize {
        self.bits.len()
    }

    /// Whether there is no arc.
    pub fn is_empty(&self) -> bool {
        self.bits.is_empty()
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
