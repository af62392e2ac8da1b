//! The initial graph: SNAP edge lists (`u v [third]`, `#` comments, tabs, spaces or commas, so that
//! the bitcoin `.csv` files read too), as untimed `+` events.
//!
//! With weights, the third column is an interaction count: it adds `Interaction` events next to the
//! edge rather than replacing it, so that the edge exists even when its count is 0.

use std::path::Path;

use super::diagnostics::{Diagnostics, InputError};
use super::lines::{digits, fields, for_each_line, need, node};
use super::{Event, EventKind, Op};
use crate::model::Node;

/// Reads an edge list: each line `u v` is a `Friendship` when `undirected`, else an `Arc`. With
/// `weights`, a positive third column N also gives `Interaction(u, v, N)` (and `(v, u, N)` when
/// undirected). Self-loops are kept: the caller drops and counts them.
pub fn read_graph(
    path: &Path,
    undirected: bool,
    weights: bool,
    diag: &mut Diagnostics,
) -> Result<Vec<Event>, InputError> {
    let mut events = Vec::new();
    for_each_line(path, diag, |_, line| {
        if let Some((u, v, count)) = graph_line(line, weights)? {
            events.extend(edge_events(u, v, count, undirected));
        }
        Ok(())
    })?;
    Ok(events)
}

/// Reads an edge list without weights as its pairs `(u, v)`, 16 bytes a line instead of an
/// event's 64: what [`read_graph`] would give is [`edge_events`] of each. For the initial graph
/// of a run, where the list is the largest thing read.
pub fn read_edges(path: &Path, diag: &mut Diagnostics) -> Result<Vec<(Node, Node)>, InputError> {
    let mut edges = Vec::new();
    for_each_line(path, diag, |_, line| {
        if let Some((u, v, _)) = graph_line(line, false)? {
            edges.push((u, v));
        }
        Ok(())
    })?;
    Ok(edges)
}

/// The events of one edge `u v` with interaction count `count` (0: none).
pub fn edge_events(u: Node, v: Node, count: u64, undirected: bool) -> impl Iterator<Item = Event> {
    let add = |kind| Event {
        time: None,
        op: Op::Add,
        kind,
    };
    let edge = add(if undirected {
        EventKind::Friendship(u, v)
    } else {
        EventKind::Arc(u, v, None)
    });
    let forward = (count > 0).then(|| add(EventKind::Interaction(u, v, count)));
    let backward = (count > 0 && undirected).then(|| add(EventKind::Interaction(v, u, count)));
    std::iter::once(edge).chain(forward).chain(backward)
}

/// One line: `(u, v, count)`, or `None` for a blank or comment line; only a whole line parses.
fn graph_line(line: &str, weights: bool) -> Result<Option<(Node, Node, u64)>, String> {
    let mut f = fields(line, true);
    let Some(u) = f.next() else { return Ok(None) };
    let u = node(u)?;
    let v = node(need(&mut f, "node V")?)?;
    let count = match f.next() {
        Some(w) if weights => {
            digits(w).ok_or_else(|| format!("weight `{w}` is not a non-negative 64-bit integer"))?
        }
        _ => 0,
    };
    Ok(Some((u, v, count)))
}
