//! The initial graph: SNAP edge lists (`u v [third]`, `#` comments, tabs, spaces or commas, so that
//! the bitcoin `.csv` files read too), as untimed `+` events.
//!
//! With weights, the third column is an interaction count: it adds `Interaction` events next to the
//! edge rather than replacing it, so that the edge exists even when its count is 0.

use std::path::Path;

use super::diagnostics::{Diagnostics, InputError};
use super::lines::{digits, fields, for_each_line, need, node};
use super::{Event, EventKind, Op};

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
        graph_line(line, undirected, weights, &mut events)
    })?;
    Ok(events)
}

/// Appends the events of one line, only once the whole line has parsed.
fn graph_line(
    line: &str,
    undirected: bool,
    weights: bool,
    out: &mut Vec<Event>,
) -> Result<(), String> {
    let mut f = fields(line, true);
    let Some(u) = f.next() else { return Ok(()) };
    let u = node(u)?;
    let v = node(need(&mut f, "node V")?)?;
    let count = match f.next() {
        Some(w) if weights => {
            digits(w).ok_or_else(|| format!("weight `{w}` is not a non-negative 64-bit integer"))?
        }
        _ => 0,
    };
    let add = |kind| Event {
        time: None,
        op: Op::Add,
        kind,
    };
    out.push(add(if undirected {
        EventKind::Friendship(u, v)
    } else {
        EventKind::Arc(u, v, None)
    }));
    if count > 0 {
        out.push(add(EventKind::Interaction(u, v, count)));
        if undirected {
            out.push(add(EventKind::Interaction(v, u, count)));
        }
    }
    Ok(())
}
