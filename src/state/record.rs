//! How a [`State`] is stored (`follow --state` checkpoints): the facts the events established, in
//! ascending order, with the derived indexes left out and rebuilt on load.

use serde::{Deserialize, Serialize};

use super::*;

/// A state as stored: what the events established, the derived indexes left out.
#[derive(Serialize, Deserialize)]
pub(super) struct StateRecord {
    model: Model,
    default_k: u32,
    /// `(u, v, friend, directed, explicit, interactions)` for every pair with an arc, ascending.
    arcs: Vec<(Node, Node, bool, bool, Option<f64>, u64)>,
    /// Ascending by adopter.
    adopters: Vec<(Node, u32)>,
    /// `(a, f, w)` with w < 1, ascending by pair; absent from states without any, so that
    /// their bytes are those of a state before acceptances existed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    acceptance: Vec<(Node, Node, f64)>,
    counters: Counters,
}

impl Serialize for State {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut arcs: Vec<_> = self
            .arcs
            .iter()
            .map(|(u, v, s)| (u, v, s.friend, s.directed, s.explicit, s.interactions))
            .collect();
        // Sorted, so that equal states store equal bytes.
        arcs.sort_unstable_by_key(|a| (a.0, a.1));
        StateRecord {
            model: self.model,
            default_k: self.default_k,
            arcs,
            adopters: self.adopters.iter().map(|(&a, &k)| (a, k)).collect(),
            acceptance: self.acceptances().collect(),
            counters: self.counters,
        }
        .serialize(serializer)
    }
}

impl TryFrom<StateRecord> for State {
    type Error = String;

    /// Rebuilds a state, checking what no sequence of events could have produced.
    fn try_from(r: StateRecord) -> Result<State, String> {
        let mut state = State::new(r.model, r.default_k);
        for (u, v, friend, directed, explicit, interactions) in r.arcs {
            let arc = ArcState {
                friend,
                directed,
                explicit,
                interactions,
            };
            let at = state.lookup(u, v);
            let problem = if u == v {
                Some("a self-loop")
            } else if !arc.exists() {
                Some("no arc")
            } else if explicit.is_some_and(|p| !directed || !(0.0..=1.0).contains(&p)) {
                Some("a probability without a directed arc, or outside [0, 1]")
            } else if at.state.exists() {
                Some("a repeated pair")
            } else if state.lt_refusal(u, v, None, explicit).is_some() {
                Some("LT weights into the head that sum above 1")
            } else {
                None
            };
            if let Some(problem) = problem {
                return Err(format!("arc {u} -> {v}: {problem}"));
            }
            state.update(at, |s| *s = arc);
        }
        for (a, k) in r.adopters {
            if state.adopters.insert(a, k).is_some() {
                return Err(format!("adopter {a} is listed twice"));
            }
            state.delta.adopters.push(((a, k), 1));
            state.reference_node(a, 1);
        }
        for (a, f, w) in r.acceptance {
            if a == f || !(w > 0.0 && w < 1.0) {
                return Err(format!(
                    "acceptance {a} -> {f}: a self-loop, or {w} outside (0, 1)"
                ));
            }
            if state.acceptance.insert((a, f), w).is_some() {
                return Err(format!("acceptance {a} -> {f} is listed twice"));
            }
        }
        state.counters = r.counters;
        Ok(state)
    }
}
