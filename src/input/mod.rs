//! Input: the initial graph, the adopter sets and the event log, turned into [`Event`]s.
//!
//! Every reader reports a bad line as `file:line: problem` through [`Diagnostics`], which skips
//! and counts it or, under `--strict`, stops the run. Nothing already accepted is lost either way.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::model::Node;

pub mod adopters;
pub mod diagnostics;
pub mod events;
pub mod graph;
pub mod lines;

pub use adopters::read_adopters;
pub use diagnostics::{Diagnostics, InputError, LineError};
pub use events::{
    EventFormat, EventLines, detect_format, parse_event, parse_temporal, read_events,
};
pub use graph::read_graph;

/// Adding or taking back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    /// `+`
    Add,
    /// `-`
    Remove,
}

/// What an event is about (the grammar is in docs/FORMATS.md).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum EventKind {
    /// `f U V`: the friendship U–V, both arcs.
    Friendship(Node, Node),
    /// `e U V [P]`: one directed arc, optionally with its own probability (in `[0, 1]`).
    Arc(Node, Node, Option<f64>),
    /// `i U V [N]`: N interactions U → V (N ≥ 1, default 1).
    Interaction(Node, Node, u64),
    /// `a U [K]`: U as an adopter, with capacity K (default: the global k).
    Adopter(Node, Option<u32>),
}

/// One line of the event log.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// The event time in seconds, when the line carries one.
    pub time: Option<f64>,
    /// `+` or `-`.
    pub op: Op,
    /// What changes.
    pub kind: EventKind,
}

/// Where epoch 0 comes from: an initial graph and an adopter file, each optional, and how to read
/// them. The one input description of `run`, `follow` and `evaluate`.
#[derive(Clone, Debug, Default)]
pub struct InputSpec {
    /// The edge list.
    pub graph: Option<PathBuf>,
    /// Read each edge as a friendship.
    pub undirected: bool,
    /// Read the third column as an interaction count.
    pub weights: bool,
    /// The adopter file.
    pub adopters: Option<PathBuf>,
    /// The one set of the adopter file to use.
    pub adopter_set: Option<usize>,
}

/// Reads epoch 0: the graph's events, then one `+ a` (with the default capacity) per adopter.
pub fn read_initial(spec: &InputSpec, diag: &mut Diagnostics) -> Result<Vec<Event>, InputError> {
    let mut events = match &spec.graph {
        Some(path) => read_graph(path, spec.undirected, spec.weights, diag)?,
        None => Vec::new(),
    };
    if let Some(path) = &spec.adopters {
        let adopters = read_adopters(path, spec.adopter_set, diag)?;
        events.extend(adopters.into_iter().map(|a| Event {
            time: None,
            op: Op::Add,
            kind: EventKind::Adopter(a, None),
        }));
    }
    Ok(events)
}
