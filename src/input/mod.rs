//! Input: the initial graph, the adopter sets and the event log, turned into [`Event`]s.
//!
//! Every reader reports a bad line as `file:line: problem` through [`Diagnostics`], which skips
//! and counts it or, under `--strict`, stops the run. Nothing already accepted is lost either way.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::model::Node;

pub mod adopters;
pub mod diagnostics;
pub mod events;
pub mod graph;
pub mod lines;
pub mod window;

pub use adopters::read_adopters;
pub use diagnostics::{Diagnostics, InputError, LineError};
pub use events::{
    EventFormat, detect_format, parse_event, parse_line_bytes, parse_temporal, read_events,
};
pub use graph::read_graph;
pub use window::Window;

/// Adding or taking back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    /// `+`
    Add,
    /// `-`
    Remove,
}

/// What an event is about (SPEC §4).
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

/// Where epoch 0 comes from: an initial graph and an adopter file, each optional.
#[derive(Clone, Copy, Debug, Default)]
pub struct Initial<'a> {
    /// The edge list.
    pub graph: Option<&'a Path>,
    /// Read each edge as a friendship.
    pub undirected: bool,
    /// Read the third column as an interaction count.
    pub weights: bool,
    /// The adopter file.
    pub adopters: Option<&'a Path>,
    /// The one set of the adopter file to use.
    pub adopter_set: Option<usize>,
}

/// Reads epoch 0: the graph's events, then one `+ a` (with the default capacity) per adopter.
pub fn read_initial(initial: &Initial, diag: &mut Diagnostics) -> Result<Vec<Event>, InputError> {
    let mut events = match initial.graph {
        Some(path) => read_graph(path, initial.undirected, initial.weights, diag)?,
        None => Vec::new(),
    };
    if let Some(path) = initial.adopters {
        let adopters = read_adopters(path, initial.adopter_set, diag)?;
        events.extend(adopters.into_iter().map(|a| Event {
            time: None,
            op: Op::Add,
            kind: EventKind::Adopter(a, None),
        }));
    }
    Ok(events)
}
