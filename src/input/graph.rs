//! The initial graph: SNAP edge lists (`u v [third]`, `#` comments, tabs, spaces or commas, so that
//! the bitcoin `.csv` files read too), as untimed `+` events.
//!
//! With weights, the third column is an interaction count: it adds `Interaction` events next to the
//! edge rather than replacing it, so that the edge exists even when its count is 0.

use std::path::Path;

use super::blocks::parse_lines;
use super::diagnostics::{Diagnostics, InputError};
use super::lines::{decode_line, digits, fields, for_each_line, need, node};
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
/// event's 64, in blocks in file order: what [`read_graph`] would give is [`edge_event`] of each.
/// For the initial graph of a run, where the list is the largest thing read: two threads parse
/// it, a block at a time, and a block is freed as soon as its pairs are used.
pub fn read_edges(
    path: &Path,
    diag: &mut Diagnostics,
) -> Result<Vec<Vec<(Node, Node)>>, InputError> {
    parse_lines(path, diag, |bytes| {
        if let Some(pair) = plain_pair(bytes.strip_suffix(b"\r").unwrap_or(bytes)) {
            return Ok(Some(pair));
        }
        Ok(graph_line(decode_line(bytes)?, false)?.map(|(u, v, _)| (u, v)))
    })
}

/// The event of an edge `u v`: a friendship when `undirected`, else an arc.
pub fn edge_event(u: Node, v: Node, undirected: bool) -> Event {
    Event {
        time: None,
        op: Op::Add,
        kind: if undirected {
            EventKind::Friendship(u, v)
        } else {
            EventKind::Arc(u, v, None)
        },
    }
}

/// The events of one edge `u v` with interaction count `count` (0: none).
pub fn edge_events(u: Node, v: Node, count: u64, undirected: bool) -> impl Iterator<Item = Event> {
    let add = |kind| Event {
        time: None,
        op: Op::Add,
        kind,
    };
    let edge = edge_event(u, v, undirected);
    let forward = (count > 0).then(|| add(EventKind::Interaction(u, v, count)));
    let backward = (count > 0 && undirected).then(|| add(EventKind::Interaction(v, u, count)));
    std::iter::once(edge).chain(forward).chain(backward)
}

/// One line: `(u, v, count)`, or `None` for a blank or comment line; only a whole line parses.
fn graph_line(line: &str, weights: bool) -> Result<Option<(Node, Node, u64)>, String> {
    if let Some((u, v)) = plain_pair(line.as_bytes()) {
        return Ok(Some((u, v, 0)));
    }
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

/// The usual line, two ids between separators that [`fields`] splits at (ASCII space, tab,
/// comma), read in one pass over its bytes. `None` leaves every other line to the general parser
/// (comments, a third field, other white space, anything to reject), which gives the same pair
/// for every line this takes: a fast path for the graph's file, the largest thing a run reads
/// (splitting into fields and checking each id twice was a twentieth of a cold start).
fn plain_pair(line: &[u8]) -> Option<(Node, Node)> {
    let sep = |b: u8| b == b' ' || b == b'\t' || b == b',';
    let mut at = 0;
    let mut id = || {
        while line.get(at).is_some_and(|&b| sep(b)) {
            at += 1;
        }
        let start = at;
        let mut x: Node = 0;
        while let Some(&b) = line.get(at).filter(|b| b.is_ascii_digit()) {
            x = x.wrapping_mul(10).wrapping_add((b - b'0') as Node);
            at += 1;
        }
        // 19 digits always fit in 64 bits; longer ids go the general way, which checks.
        (1..=19).contains(&(at - start)).then_some(x)
    };
    let (u, v) = (id()?, id()?);
    line[at..].iter().all(|&b| sep(b)).then_some((u, v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The general parser alone, as `graph_line` was before its fast path.
    fn general(line: &str) -> Option<(Node, Node)> {
        let mut f = fields(line, true);
        let u = node(f.next()?).ok()?;
        let v = node(f.next()?).ok()?;
        Some((u, v))
    }

    #[test]
    fn plain_pairs_by_hand() {
        assert_eq!(plain_pair(b"1 2"), Some((1, 2)));
        assert_eq!(plain_pair(b" 10\t20, "), Some((10, 20)));
        assert_eq!(plain_pair(b",7,8"), Some((7, 8)));
        assert_eq!(
            plain_pair(b"1234567890123456789 0"),
            Some((1_234_567_890_123_456_789, 0))
        );
        for other in [
            &b""[..],
            b"1",
            b"1 2 3",
            b"1 2 # c",
            b"# 1 2",
            b"1 -2",
            b"+1 2",
            b"1a 2",
            b"12345678901234567890 1",
        ] {
            assert_eq!(
                plain_pair(other),
                None,
                "{:?}",
                String::from_utf8_lossy(other)
            );
        }
    }

    proptest! {
        /// Every line the fast path takes, the general parser reads the same, as a whole line.
        #[test]
        fn the_fast_path_agrees_with_the_general_parser(
            line in "[0-9 ,\t#a+\u{a0}-]{0,24}|[ ,]{0,2}[0-9]{1,21}[ ,\t#]{1,3}[0-9]{1,21}[ ,#]{0,2}"
        ) {
            if let Some(pair) = plain_pair(line.as_bytes()) {
                prop_assert_eq!(Some(pair), general(&line));
                prop_assert_eq!(graph_line(&line, true), Ok(Some((pair.0, pair.1, 0))));
                prop_assert_eq!(fields(&line, true).count(), 2);
            }
        }
    }

    /// The two-thread reader gives what the line-by-line one does, across blocks: the same
    /// pairs in the same order, the same bad lines with the same numbers, in order.
    #[test]
    fn edges_read_in_blocks_are_the_graph_read_by_line() {
        let mut text = String::new();
        for i in 0..1_200_000u64 {
            match i % 150_001 {
                7 => text.push_str("# a comment\n"),
                11 => text.push_str("1 x\n"),
                13 => text.push_str("5\t6 # note\r\n"),
                17 => text.push_str(&format!("{} 2\n", "9".repeat(25))),
                _ => text.push_str(&format!("{} {}\n", i * 31 % 1_000_003, i % 977)),
            }
        }
        text.push_str("3 4 extra\n\n1 ");
        let file = tempfile::NamedTempFile::new().expect("temp file");
        std::fs::write(file.path(), &text).expect("writes");
        let mut by_line = Diagnostics::collecting(false);
        let events = read_graph(file.path(), false, false, &mut by_line).expect("reads");
        let mut in_blocks = Diagnostics::collecting(false);
        let edges = read_edges(file.path(), &mut in_blocks).expect("reads");
        assert!(edges.len() > 2, "several blocks: {}", edges.len());
        let pairs: Vec<(Node, Node)> = edges.into_iter().flatten().collect();
        let want: Vec<(Node, Node)> = (events.iter())
            .map(|e| match e.kind {
                EventKind::Arc(u, v, None) => (u, v),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(pairs, want);
        assert_eq!(in_blocks.messages, by_line.messages);
        assert_eq!(in_blocks.skipped, 17);
    }
}
