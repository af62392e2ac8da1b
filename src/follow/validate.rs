//! What a checkpoint may hold: every field of a snapshot and of a journal record is checked on
//! loading against what a run under the current settings could have written, so that a
//! checkpoint that passes its checksum but was edited, or written by a bug, is refused rather than
//! resumed from (issue 10: a window span of −1, a clock of 1e300, no window under a `--window`
//! setting, an epoch of u64::MAX were all accepted).
//!
//! The state's own invariants (no self-loop, no empty pair, probabilities in [0, 1], no repeated
//! pair or adopter) are checked where it is rebuilt, in [`crate::state`]; the window's in
//! [`crate::epochs::Window::check`].

use super::checkpoint::{Mark, Settings};
use crate::epochs::Window;
use crate::input::{Event, EventKind, Op};
use crate::state::State;

/// A snapshot's mark, window and state, against the settings it is resumed under.
pub fn snapshot(
    settings: &Settings,
    mark: &Mark,
    window: Option<&Window>,
    state: &State,
) -> Result<(), String> {
    self::mark(mark)?;
    match (settings.window, window) {
        (None, None) => {}
        (Some(span), Some(w)) => w.check(span)?,
        (Some(span), None) => return Err(format!("no window, under --window of {span} s")),
        (None, Some(_)) => return Err("a window, without --window".into()),
    }
    if state.model() != settings.model {
        return Err(format!(
            "a state for --model {:?}, not {:?}",
            state.model(),
            settings.model
        ));
    }
    if state.default_k() != settings.k {
        return Err(format!(
            "a state for -k {}, not {}",
            state.default_k(),
            settings.k
        ));
    }
    Ok(())
}

/// A mark: the epoch has a successor, and the position is one a reader could have reached.
pub fn mark(mark: &Mark) -> Result<(), String> {
    if mark.epoch == u64::MAX {
        return Err(format!("epoch {}: no epoch can follow it", mark.epoch));
    }
    if let Some(p) = &mark.position {
        if p.line > p.offset {
            return Err(format!(
                "log position: {} lines before byte {}",
                p.line, p.offset
            ));
        }
        if p.before.len() > 64 || p.before.len() as u64 > p.offset {
            return Err("log position: more context than bytes before it".into());
        }
    }
    Ok(())
}

/// A journaled epoch's log events: what the parsers accept.
pub fn events(events: &[Event]) -> Result<(), String> {
    for (i, e) in events.iter().enumerate() {
        let bad = |what: &str| Err(format!("event {i}: {what}"));
        if e.time.is_some_and(|t| !(t.is_finite() && t >= 0.0)) {
            return bad("a time that is not a finite number ≥ 0");
        }
        match (e.op, e.kind) {
            (_, EventKind::Arc(_, _, Some(p))) if !(0.0..=1.0).contains(&p) => {
                return bad("a probability outside [0, 1]");
            }
            (Op::Remove, EventKind::Arc(_, _, Some(_))) => {
                return bad("a probability on a removal");
            }
            (_, EventKind::Interaction(_, _, 0)) => return bad("zero interactions"),
            (Op::Remove, EventKind::Adopter(_, Some(_))) => {
                return bad("a capacity on a removal");
            }
            (Op::Add, EventKind::Acceptance(_, _, w)) if !(w > 0.0 && w <= 1.0) => {
                return bad("an acceptance outside (0, 1]");
            }
            (Op::Remove, EventKind::Acceptance(_, _, w)) if w != 1.0 => {
                return bad("an acceptance on a removal");
            }
            _ => {}
        }
    }
    Ok(())
}
