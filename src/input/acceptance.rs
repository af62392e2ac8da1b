//! Acceptance files (`--acceptance`): one `a f w` line per invitation whose acceptance is not
//! certain, read as the events `+ w a f w` of epoch 0.
//!
//! w is the probability that friend f accepts adopter a's invitation, in (0, 1]; pairs not listed
//! accept surely. A line may name a pair that is not (yet) a candidate: the state keeps it, and
//! it applies once f becomes a's candidate. White space or commas separate the fields; `#`
//! comments and blank lines are ignored.

use std::path::Path;

use super::diagnostics::{Diagnostics, InputError};
use super::events::acceptance;
use super::lines::{fields, for_each_line, need, node};
use super::{Event, EventKind, Op};

/// The file's lines as `+ w` events, in file order (a later line for the same pair wins).
pub fn read_acceptance(path: &Path, diag: &mut Diagnostics) -> Result<Vec<Event>, InputError> {
    let mut events = Vec::new();
    for_each_line(path, diag, |_, line| {
        if let Some(e) = parse_acceptance(line)? {
            events.push(e);
        }
        Ok(())
    })?;
    Ok(events)
}

/// One line, `a f w`; `Ok(None)` for a blank or comment line.
pub fn parse_acceptance(line: &str) -> Result<Option<Event>, String> {
    let mut f = fields(line, true);
    let Some(a) = f.next() else { return Ok(None) };
    let a = node(a)?;
    let v = node(need(&mut f, "friend F")?)?;
    let w = acceptance(need(&mut f, "acceptance W")?)?;
    if let Some(x) = f.next() {
        return Err(format!("unexpected field `{x}`"));
    }
    Ok(Some(Event {
        time: None,
        op: Op::Add,
        kind: EventKind::Acceptance(a, v, w),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_their_mistakes() {
        assert_eq!(parse_acceptance("  # nothing"), Ok(None));
        let e = parse_acceptance("3, 7 0.25").unwrap().unwrap();
        assert_eq!(e.kind, EventKind::Acceptance(3, 7, 0.25));
        assert_eq!(e.op, Op::Add);
        // Both ends of (0, 1]: 1 is allowed, anything above 0 too.
        for (line, w) in [("3 7 1", 1.0), ("3 7 1e-300", 1e-300)] {
            let e = parse_acceptance(line).unwrap().unwrap();
            assert_eq!(e.kind, EventKind::Acceptance(3, 7, w), "{line}");
        }
        for (line, problem) in [
            ("3", "missing field: friend F"),
            ("3 7", "missing field: acceptance W"),
            ("3 7 0", "acceptance 0 is outside (0, 1]"),
            ("3 7 1.5", "acceptance 1.5 is outside (0, 1]"),
            ("3 7 NaN", "acceptance NaN is outside (0, 1]"),
            ("3 7 -0.5", "acceptance -0.5 is outside (0, 1]"),
            ("3 7 half", "acceptance `half` is not a number"),
            ("3 x 0.5", "node id `x` is not an unsigned 64-bit integer"),
            ("3 7 0.5 9", "unexpected field `9`"),
        ] {
            assert_eq!(parse_acceptance(line), Err(problem.into()), "{line}");
        }
    }
}
