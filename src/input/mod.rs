//! Input: the initial graph, the adopter sets and the event log, turned into [`Event`]s.
//!
//! Every reader reports a bad line as `file:line: problem` through [`Diagnostics`], which skips
//! and counts it or, under `--strict`, stops the run. Nothing already accepted is lost either way.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::model::Node;

pub mod acceptance;
pub mod adopters;
mod blocks;
pub mod diagnostics;
pub mod events;
pub mod graph;
pub mod lines;

pub use adopters::read_adopters;
pub use diagnostics::{Diagnostics, InputError, LineError};
pub use events::{
    EventFormat, EventLines, detect_format, parse_event, parse_temporal, read_events,
};
pub use graph::{read_edges, read_graph};

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
    /// `w A F W`: friend F accepts adopter A's invitation with probability W in (0, 1]; a
    /// removal restores the default 1 and carries W = 1.
    Acceptance(Node, Node, f64),
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
    /// The acceptance file (`a f w` lines), read after the adopters.
    pub acceptance: Option<PathBuf>,
}

/// Epoch 0's events, read but not yet expanded: an edge list without weights is kept as its pairs
/// (16 bytes a line rather than an event's 64), and turned into events as they are applied.
pub struct InitialEvents {
    /// How many events `events` yields.
    pub len: usize,
    /// The graph's events, then one `+ a` (with the default capacity) per adopter.
    pub events: InitialStream,
}

/// Epoch 0's events as they are taken: an edge list's pairs made events one by one, then the
/// other events. A type of its own rather than a boxed iterator, so that a consumer iterating
/// inside (`for_each`, `fold`) runs a plain loop over each block of pairs: for an edge list of
/// millions of lines, a call through a box and a chain of adapters per event was a tenth of the
/// state's build.
pub struct InitialStream {
    edges: std::iter::Flatten<std::vec::IntoIter<Vec<(Node, Node)>>>,
    undirected: bool,
    rest: std::vec::IntoIter<Event>,
}

impl InitialStream {
    /// No events.
    pub fn empty() -> Self {
        InitialStream {
            edges: Vec::new().into_iter().flatten(),
            undirected: false,
            rest: Vec::new().into_iter(),
        }
    }
}

impl Iterator for InitialStream {
    type Item = Event;

    fn next(&mut self) -> Option<Event> {
        match self.edges.next() {
            Some((u, v)) => Some(graph::edge_event(u, v, self.undirected)),
            None => self.rest.next(),
        }
    }

    fn fold<B, F: FnMut(B, Event) -> B>(self, init: B, mut f: F) -> B {
        let undirected = self.undirected;
        let acc = (self.edges).fold(init, |acc, (u, v)| {
            f(acc, graph::edge_event(u, v, undirected))
        });
        self.rest.fold(acc, f)
    }
}

/// Reads epoch 0: the graph's events, then one `+ a` (with the default capacity) per adopter,
/// then one `+ w` per acceptance line.
pub fn read_initial(spec: &InputSpec, diag: &mut Diagnostics) -> Result<Vec<Event>, InputError> {
    Ok(read_initial_lazily(spec, diag)?.events.collect())
}

/// [`read_initial`], with the events made as they are taken.
pub fn read_initial_lazily(
    spec: &InputSpec,
    diag: &mut Diagnostics,
) -> Result<InitialEvents, InputError> {
    // Without a count, an edge is one event, kept as its pair until it is taken.
    let (edges, mut rest) = match &spec.graph {
        Some(path) if !spec.weights => (read_edges(path, diag)?, Vec::new()),
        Some(path) => (
            Vec::new(),
            read_graph(path, spec.undirected, spec.weights, diag)?,
        ),
        None => (Vec::new(), Vec::new()),
    };
    if let Some(path) = &spec.graph {
        let arcs = edges.iter().map(Vec::len).sum::<usize>() + rest.len();
        diag.warn_if_unread(path, arcs, "edges");
    }
    let adopters = match &spec.adopters {
        Some(path) => read_adopters(path, spec.adopter_set, diag)?,
        None => Vec::new(),
    };
    if let Some(path) = &spec.adopters {
        diag.warn_if_unread(path, adopters.len(), "adopters");
    }
    let accept = match &spec.acceptance {
        Some(path) => acceptance::read_acceptance(path, diag)?,
        None => Vec::new(),
    };
    if let Some(path) = &spec.acceptance {
        diag.warn_if_unread(path, accept.len(), "acceptances");
    }
    rest.extend(adopters.into_iter().map(|a| Event {
        time: None,
        op: Op::Add,
        kind: EventKind::Adopter(a, None),
    }));
    rest.extend(accept);
    Ok(InitialEvents {
        len: edges.iter().map(Vec::len).sum::<usize>() + rest.len(),
        events: InitialStream {
            edges: edges.into_iter().flatten(),
            undirected: spec.undirected,
            rest: rest.into_iter(),
        },
    })
}
