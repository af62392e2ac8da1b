//! Applying many events at once, with an edge list's additions loaded in bulk.
//!
//! A run's epoch 0 is an edge list: millions of additions of new arcs into a state that has
//! none. One by one, each would look its pair up in its tail's growing out-list, re-sort that list
//! every few additions and count two node references. Gathered, they are interned, counted into
//! place by tail and sorted once a tail ([`Arcs::load`]), and end as the same state: the same
//! arcs, references, counters, node arrivals and problem changes as [`State::apply`] one by one
//! would leave (the property test below holds the two to that).

use super::State;
use super::arcs::{Dense, new_pair};
use crate::input::{Event, EventKind, Op};
use crate::model::Node;

impl State {
    /// Applies `events` in order, as [`State::apply`] would one by one; returns how many there
    /// were and the time of the last that had one.
    ///
    /// Into a state with no arcs whose changes are not listed yet (a fresh one: a run's first
    /// epoch), plain additions (friendships, and arcs without a probability) are gathered and
    /// loaded in bulk at the first other event, or at the end.
    pub fn apply_all(&mut self, events: impl IntoIterator<Item = Event>) -> (u64, Option<f64>) {
        let mut pending = self.bulk_ready().then(Pending::default);
        let (mut count, mut time) = (0, None);
        // Iterated inside, so that a source that can (an edge list's) runs a plain loop.
        events.into_iter().for_each(|event| {
            count += 1;
            time = event.time.or(time);
            if let Some(p) = &mut pending {
                if p.gather(self, &event) {
                    return;
                }
                std::mem::take(p).load(self);
            }
            self.apply(&event);
            if pending.is_some() && !self.bulk_ready() {
                pending = None;
            }
        });
        if let Some(p) = pending {
            p.load(self);
        }
        (count, time)
    }

    /// Whether plain additions may be loaded in bulk: there is no arc for them to meet, and no
    /// change of arcs is listed one by one.
    fn bulk_ready(&self) -> bool {
        self.arcs.is_empty() && !self.listing
    }
}

/// Plain additions gathered for a bulk load.
#[derive(Default)]
struct Pending {
    /// From [`new_pair`]: both halves of each friendship.
    pairs: Vec<u64>,
    /// The events gathered.
    events: u64,
    /// Additions `(u, v, friendship)` not yet interned: up to [`CHUNK`] of them.
    chunk: Vec<(Node, Node, bool)>,
    /// Their endpoints' dense ids where they had one, looked up together.
    found: Vec<[Option<Dense>; 2]>,
}

/// Additions interned together: their look-ups in the id table, each a likely cache miss, are
/// made one after another with nothing between, so that they overlap. (A few in tests, so that
/// the property test below crosses chunks.)
const CHUNK: usize = if cfg!(test) { 3 } else { 256 };

impl Pending {
    /// Gathers `event` if it is a plain addition (a self-loop is counted as `apply` counts it);
    /// returns whether it was taken.
    fn gather(&mut self, state: &mut State, event: &Event) -> bool {
        let (u, v, friend) = match (event.op, event.kind) {
            (Op::Add, EventKind::Friendship(u, v)) => (u, v, true),
            (Op::Add, EventKind::Arc(u, v, None)) => (u, v, false),
            _ => return false,
        };
        if u == v {
            state.counters.self_loops += 1;
            return true;
        }
        self.chunk.push((u, v, friend));
        if self.chunk.len() == CHUNK {
            self.intern(state);
        }
        self.events += 1;
        true
    }

    /// Interns the chunk's endpoints, in the order `apply` would give the ids out, and adds its
    /// pairs.
    fn intern(&mut self, state: &mut State) {
        if self.pairs.len() + 2 * self.chunk.len() > self.pairs.capacity() {
            // The id table may grow with the pairs, at 4 bytes a slot against a pair's 8.
            self.pairs.reserve(2 * self.chunk.len());
            state.arcs.allow_ids(self.pairs.capacity().max(1 << 16));
        }
        let ids = &state.arcs;
        self.found.clear();
        (self.found).extend(self.chunk.iter().map(|&(u, v, _)| [ids.id(u), ids.id(v)]));
        for (&(u, v, friend), &[du, dv]) in self.chunk.iter().zip(&self.found) {
            // An id the look-up missed may have been given since, by an earlier addition.
            let du = du.unwrap_or_else(|| state.arcs.intern(u));
            let dv = dv.unwrap_or_else(|| state.arcs.intern(v));
            self.pairs.push(new_pair(du, dv, friend));
            if friend {
                self.pairs.push(new_pair(dv, du, true));
            }
        }
        self.chunk.clear();
    }

    /// Loads the gathered pairs into `state`, which has no arc.
    fn load(mut self, state: &mut State) {
        if self.events == 0 {
            return;
        }
        self.intern(state);
        let loaded = state.arcs.load(self.pairs);
        state.refs.resize(state.arcs.ids_given(), 0);
        for (d, &by) in loaded.degrees.iter().enumerate() {
            if by > 0 {
                let by = i32::try_from(by).expect("a node has fewer than 2^31 arcs");
                state.reference(d as u32, by);
            }
        }
        // Every out-arc is new: each adopter that has one has new candidates.
        let rows: Vec<_> = (state.adopters.keys())
            .filter(|&&a| state.arcs.heads(a).next().is_some())
            .copied()
            .collect();
        state.problem_changes.rows.extend(rows);
        // The first of a pair's events changed it, the rest were additions of what was there.
        let applied = loaded.directed + loaded.friend / 2;
        state.counters.applied += applied;
        state.counters.noops += self.events - applied;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{LtWeights, Model};

    use proptest::prelude::*;

    /// An event on few nodes, so that pairs repeat, of every kind that can come before or
    /// between plain additions.
    fn event() -> impl Strategy<Value = Event> {
        let node = 0..12u64;
        let kind = prop_oneof![
            6 => (node.clone(), node.clone()).prop_map(|(u, v)| EventKind::Friendship(u, v)),
            6 => (node.clone(), node.clone()).prop_map(|(u, v)| EventKind::Arc(u, v, None)),
            1 => (node.clone(), node.clone()).prop_map(|(u, v)| EventKind::Arc(u, v, Some(0.25))),
            1 => (node.clone(), node.clone(), 1..3u64)
                .prop_map(|(u, v, n)| EventKind::Interaction(u, v, n)),
            1 => (node.clone(), prop::option::of(1..4u32)).prop_map(|(a, k)| EventKind::Adopter(a, k)),
            1 => (node.clone(), node).prop_map(|(a, f)| EventKind::Acceptance(a, f, 0.5)),
        ];
        (prop::bool::weighted(0.9), kind).prop_map(|(add, kind)| Event {
            time: None,
            op: if add { Op::Add } else { Op::Remove },
            kind,
        })
    }

    /// Everything a state shows of itself, in a comparable form.
    fn seen(s: &mut State) -> String {
        let record = serde_json::to_string(&*s).expect("serializes");
        let mut delta = s.take_delta();
        delta.nodes.sort_unstable();
        delta
            .arcs
            .sort_unstable_by_key(|&(((u, v), _), d)| (u, v, d));
        let problem = s.take_problem_changes();
        let mut nodes: Vec<_> = s.nodes().collect();
        nodes.sort_unstable();
        format!(
            "{record}\n{:?} {:?} {:?} {:?}\n{problem:?}\nnodes {nodes:?} live {} refs {:?}\n{:?}",
            delta.all_arcs,
            delta.arcs,
            delta.adopters,
            delta.nodes,
            s.node_count(),
            // By dense id: the bulk load gives ids in the order `apply` would.
            s.refs.clone(),
            s.take_refusals(),
        )
    }

    proptest! {
        /// `apply_all` leaves what `apply` one by one leaves, in a fresh state and in one whose
        /// changes are already listed, whatever the mix and order of events.
        #[test]
        fn bulk_is_one_by_one(
            before in prop::collection::vec(event(), 0..4),
            events in prop::collection::vec(event(), 0..80),
            listed in any::<bool>(),
            lt in any::<bool>(),
        ) {
            let model = if lt { Model::Lt(LtWeights::Weighted) } else { Model::Wc };
            let (mut bulk, mut one) = (State::new(model, 2), State::new(model, 2));
            for s in [&mut bulk, &mut one] {
                for e in &before {
                    s.apply(e);
                }
                if listed {
                    s.take_delta();
                }
            }
            let (count, time) = bulk.apply_all(events.iter().copied());
            for e in &events {
                one.apply(e);
            }
            prop_assert_eq!(count, events.len() as u64);
            prop_assert_eq!(time, None);
            prop_assert_eq!(seen(&mut bulk), seen(&mut one));
            // Both go on alike.
            for e in &events {
                bulk.apply(e);
                one.apply(e);
            }
            prop_assert_eq!(seen(&mut bulk), seen(&mut one));
        }
    }

    /// A hand-counted edge list: repeats, a friendship both ways, a self-loop.
    #[test]
    fn an_edge_list_counted_by_hand() {
        let add = |kind| Event {
            time: Some(1.0),
            op: Op::Add,
            kind,
        };
        let events = [
            add(EventKind::Arc(1, 2, None)),
            add(EventKind::Arc(1, 2, None)),
            add(EventKind::Friendship(2, 1)),
            add(EventKind::Friendship(1, 2)),
            add(EventKind::Arc(3, 3, None)),
            add(EventKind::Arc(2, 3, None)),
            add(EventKind::Adopter(1, None)),
        ];
        let mut s = State::new(Model::Wc, 2);
        assert_eq!(s.apply_all(events), (7, Some(1.0)));
        let c = s.counters();
        assert_eq!((c.applied, c.noops, c.self_loops), (4, 2, 1));
        let mut arcs: Vec<_> = s
            .pairs()
            .map(|p| (p.tail, p.head, p.friend, p.directed))
            .collect();
        arcs.sort_unstable_by_key(|a| (a.0, a.1));
        assert_eq!(
            arcs,
            [(1, 2, true, true), (2, 1, true, false), (2, 3, false, true)]
        );
        assert_eq!(s.node_count(), 3);
        assert_eq!(s.candidates(1), [2]);
    }
}
