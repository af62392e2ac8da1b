//! Event streams: the event-log grammar (docs/FORMATS.md) and SNAP temporal files (`SRC TGT T`, read as
//! one interaction each), told apart by the first data line.
//!
//! The grammar is strict: a missing, extra or out-of-range field rejects the whole line with a
//! short message naming the field, because a half-understood event is worse than a skipped one.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::diagnostics::{Diagnostics, InputError};
use super::lines::{decode_line, digits, fields, for_each_line, need, node};
use super::{Event, EventKind, Op};

/// How an event file is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventFormat {
    /// The event log: `[T] ± kind ...`.
    Log,
    /// SNAP temporal edges: `SRC TGT T [more]`.
    Temporal,
    /// SNAP's rated edges (Bitcoin OTC and Alpha): `SRC,TGT,RATING,TIME`, read as one
    /// interaction `SRC → TGT` at TIME; the rating is not used.
    Rated,
}

impl EventFormat {
    /// Parses one line in this format; `Ok(None)` for a blank or comment line.
    pub fn parse(self, line: &str) -> Result<Option<Event>, String> {
        match self {
            EventFormat::Log => parse_event(line),
            EventFormat::Temporal => parse_temporal(line),
            EventFormat::Rated => parse_rated(line),
        }
    }

    /// The format's name, for messages.
    fn name(self) -> &'static str {
        match self {
            EventFormat::Log => "the event-log format (`[T] ± KIND ...`)",
            EventFormat::Temporal => "the SNAP temporal format (`SRC TGT T`)",
            EventFormat::Rated => "the SNAP rated format (`SRC,TGT,RATING,TIME`)",
        }
    }
}

/// The format of a file whose first data line is `line`: an event log when its first or second
/// field is `+` or `-`; rated edges when it is four comma-separated numbers, the third a signed
/// integer (`SRC,TGT,RATING,TIME`: read as temporal, the rating would be the time); else temporal.
/// `None` for a blank or comment line, and for a CSV header (comma-separated names, as
/// `source,target,weight,time`), which is skipped so that the line after it decides.
pub fn detect_format(line: &str) -> Option<EventFormat> {
    let mut f = fields(line, false);
    let first = f.next()?;
    if op(first).is_some() || f.next().and_then(op).is_some() {
        return Some(EventFormat::Log);
    }
    let csv: Vec<&str> = line
        .split('#')
        .next()
        .unwrap_or_default()
        .split(',')
        .collect();
    let csv: Vec<&str> = csv.iter().map(|x| x.trim()).collect();
    if csv.len() >= 2 && csv.iter().all(|x| is_name(x)) {
        return None;
    }
    let rated = csv.len() == 4
        && node(csv[0]).is_ok()
        && node(csv[1]).is_ok()
        && rating(csv[2]).is_ok()
        && time(csv[3]).is_ok();
    Some(if rated {
        EventFormat::Rated
    } else {
        EventFormat::Temporal
    })
}

/// A column name of a CSV header.
fn is_name(field: &str) -> bool {
    field.starts_with(|c: char| c.is_ascii_alphabetic())
        && field.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Parses one rated-edge line, `SRC,TGT,RATING,TIME`, as one interaction `SRC → TGT` at TIME.
/// `Ok(None)` for a blank or comment line.
pub fn parse_rated(line: &str) -> Result<Option<Event>, String> {
    let mut f = fields(line, true);
    let Some(u) = f.next() else { return Ok(None) };
    let u = node(u)?;
    let v = node(need(&mut f, "node V")?)?;
    rating(need(&mut f, "rating")?)?;
    let t = time(need(&mut f, "time")?)?;
    if let Some(x) = f.next() {
        return Err(format!("unexpected field `{x}`"));
    }
    Ok(Some(Event {
        time: Some(t),
        op: Op::Add,
        kind: EventKind::Interaction(u, v, 1),
    }))
}

/// A rating: a signed integer (Bitcoin's are −10 to +10); not used beyond checking it is one.
fn rating(field: &str) -> Result<i64, String> {
    field
        .parse()
        .map_err(|_| format!("rating `{field}` is not an integer"))
}

/// Parses one event-log line: `[T] + f U V`, `[T] - f U V`, `[T] + e U V [P]`, `[T] - e U V`,
/// `[T] ± i U V [N]`, `[T] + a U [K]`, `[T] - a U`, `[T] + w A F W`, `[T] - w A F`. `Ok(None)`
/// for a blank or comment line.
pub fn parse_event(line: &str) -> Result<Option<Event>, String> {
    let mut f = fields(line, false);
    let Some(first) = f.next() else {
        return Ok(None);
    };
    let (time, op) = match op(first) {
        Some(op) => (None, op),
        None => {
            let next = f.next();
            let Some(op) = next.and_then(op) else {
                // `first` is either an unknown operation or a time before one.
                return Err(match (first.parse::<f64>(), next) {
                    (Ok(_), Some(x)) => format!("unknown operation `{x}`"),
                    (Ok(_), None) => "missing field: operation".into(),
                    (Err(_), _) => format!("unknown operation `{first}`"),
                });
            };
            (Some(time(first)?), op)
        }
    };
    let add = op == Op::Add;
    let kind = match need(&mut f, "event kind")? {
        "a" => {
            let u = node(need(&mut f, "node U")?)?;
            let k = if add {
                f.next().map(capacity).transpose()?
            } else {
                None
            };
            EventKind::Adopter(u, k)
        }
        k @ ("f" | "e" | "i") => {
            let u = node(need(&mut f, "node U")?)?;
            let v = node(need(&mut f, "node V")?)?;
            match k {
                "f" => EventKind::Friendship(u, v),
                "e" if add => EventKind::Arc(u, v, f.next().map(probability).transpose()?),
                "e" => EventKind::Arc(u, v, None),
                _ => EventKind::Interaction(u, v, f.next().map(count).transpose()?.unwrap_or(1)),
            }
        }
        "w" => {
            let a = node(need(&mut f, "adopter A")?)?;
            let v = node(need(&mut f, "friend F")?)?;
            // A removal restores the default, 1.
            let w = if add {
                acceptance(need(&mut f, "acceptance W")?)?
            } else {
                1.0
            };
            EventKind::Acceptance(a, v, w)
        }
        k => {
            return Err(format!(
                "unknown event kind `{k}` (expected f, e, i, a or w)"
            ));
        }
    };
    if let Some(x) = f.next() {
        return Err(format!("unexpected field `{x}`"));
    }
    Ok(Some(Event { time, op, kind }))
}

/// Parses one SNAP temporal line, `SRC TGT T [more]` (white space or commas), as one interaction
/// `SRC → TGT` at time T. `Ok(None)` for a blank or comment line.
pub fn parse_temporal(line: &str) -> Result<Option<Event>, String> {
    let mut f = fields(line, true);
    let Some(u) = f.next() else { return Ok(None) };
    let u = node(u)?;
    let v = node(need(&mut f, "node V")?)?;
    let t = time(need(&mut f, "time")?)?;
    Ok(Some(Event {
        time: Some(t),
        op: Op::Add,
        kind: EventKind::Interaction(u, v, 1),
    }))
}

/// The one reader of event lines, for whole files and for a followed log alike: it detects the
/// format from the first data line (see [`detect_format`]) and parses every line in it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EventLines {
    format: Option<EventFormat>,
}

impl EventLines {
    /// A reader that takes the format of the first data line it sees.
    pub fn new() -> Self {
        EventLines::default()
    }

    /// A reader of lines in `format` (or detecting it, when `None`): a resumed follower goes on
    /// in the format its file was found to have.
    pub fn with_format(format: Option<EventFormat>) -> Self {
        EventLines { format }
    }

    /// The format, once known.
    pub fn format(&self) -> Option<EventFormat> {
        self.format
    }

    /// Forgets the format: the next file may be written in another one.
    pub fn reset(&mut self) {
        self.format = None;
    }

    /// Parses one line; `Ok(None)` for a blank or comment line.
    pub fn parse(&mut self, line: &str) -> Result<Option<Event>, String> {
        let format = match self.format {
            Some(f) => f,
            None => match detect_format(line) {
                Some(f) => *self.format.insert(f),
                None => return Ok(None),
            },
        };
        format.parse(line).map_err(|e| match detect_format(line) {
            // A typo in the first data line decides the format for the whole file.
            Some(other) if other != format && other.parse(line).is_ok() => format!(
                "{e} (this line is in {}, but the file is read in {}, the format of its first \
                 data line)",
                other.name(),
                format.name()
            ),
            _ => e,
        })
    }

    /// Parses one line given as bytes (with or without its `\n` or `\r\n`), as a follower reads
    /// them. Never panics, whatever the bytes.
    pub fn parse_bytes(&mut self, bytes: &[u8]) -> Result<Option<Event>, String> {
        self.parse(decode_line(bytes)?)
    }
}

/// Reads a whole event file, in the format of its first data line.
pub fn read_events(path: &Path, diag: &mut Diagnostics) -> Result<Vec<Event>, InputError> {
    let mut lines = EventLines::new();
    let mut events = Vec::new();
    for_each_line(path, diag, |_, line| {
        events.extend(lines.parse(line)?);
        Ok(())
    })?;
    diag.warn_if_unread(path, events.len(), "events");
    Ok(events)
}

fn op(field: &str) -> Option<Op> {
    match field {
        "+" => Some(Op::Add),
        "-" => Some(Op::Remove),
        _ => None,
    }
}

fn time(field: &str) -> Result<f64, String> {
    match field.parse::<f64>() {
        Ok(t) if t.is_finite() && t >= 0.0 => Ok(t),
        Ok(_) => Err(format!("time `{field}` is not a finite number ≥ 0")),
        Err(_) => Err(format!("time `{field}` is not a number")),
    }
}

fn probability(field: &str) -> Result<f64, String> {
    let p: f64 = field
        .parse()
        .map_err(|_| format!("probability `{field}` is not a number"))?;
    if (0.0..=1.0).contains(&p) {
        Ok(p)
    } else {
        Err(format!("probability {field} is outside [0, 1]"))
    }
}

/// An acceptance probability: a number in (0, 1] (a friend who never accepts is no candidate).
pub(crate) fn acceptance(field: &str) -> Result<f64, String> {
    let w: f64 = field
        .parse()
        .map_err(|_| format!("acceptance `{field}` is not a number"))?;
    if w > 0.0 && w <= 1.0 {
        Ok(w)
    } else {
        Err(format!("acceptance {field} is outside (0, 1]"))
    }
}

fn count(field: &str) -> Result<u64, String> {
    match digits(field) {
        Some(0) => Err("interaction count 0 is not at least 1".into()),
        Some(n) => Ok(n),
        None => Err(format!(
            "interaction count `{field}` is not an unsigned 64-bit integer"
        )),
    }
}

fn capacity(field: &str) -> Result<u32, String> {
    digits(field).ok_or_else(|| format!("capacity `{field}` is not an unsigned 32-bit integer"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use EventKind::*;

    fn ev(time: Option<f64>, op: Op, kind: EventKind) -> Result<Option<Event>, String> {
        Ok(Some(Event { time, op, kind }))
    }

    #[test]
    fn every_form_of_the_grammar_parses() {
        use Op::*;
        assert_eq!(parse_event("+ f 1 2"), ev(None, Add, Friendship(1, 2)));
        assert_eq!(
            parse_event("3.5\t- f 1 2 # bye"),
            ev(Some(3.5), Remove, Friendship(1, 2))
        );
        assert_eq!(parse_event("+ e 1 2"), ev(None, Add, Arc(1, 2, None)));
        assert_eq!(
            parse_event("7 + e 1 2 0.25"),
            ev(Some(7.0), Add, Arc(1, 2, Some(0.25)))
        );
        assert_eq!(parse_event("- e 1 2"), ev(None, Remove, Arc(1, 2, None)));
        assert_eq!(parse_event("+ i 1 2"), ev(None, Add, Interaction(1, 2, 1)));
        assert_eq!(
            parse_event("- i 1 2 4"),
            ev(None, Remove, Interaction(1, 2, 4))
        );
        assert_eq!(parse_event("+ a 9 3"), ev(None, Add, Adopter(9, Some(3))));
        assert_eq!(parse_event("0 + a 9"), ev(Some(0.0), Add, Adopter(9, None)));
        assert_eq!(parse_event("- a 9"), ev(None, Remove, Adopter(9, None)));
        assert_eq!(
            parse_event("+ w 9 2 0.5"),
            ev(None, Add, Acceptance(9, 2, 0.5))
        );
        assert_eq!(
            parse_event("4 - w 9 2"),
            ev(Some(4.0), Remove, Acceptance(9, 2, 1.0))
        );
        assert_eq!(parse_event("  # only a comment"), Ok(None));
        assert_eq!(parse_event(""), Ok(None));
    }

    #[test]
    fn each_mistake_has_its_message() {
        let cases = [
            ("* f 1 2", "unknown operation `*`"),
            ("5 * f 1 2", "unknown operation `*`"),
            ("5", "missing field: operation"),
            ("x + f 1 2", "time `x` is not a number"),
            ("-1 + f 1 2", "time `-1` is not a finite number ≥ 0"),
            ("inf + f 1 2", "time `inf` is not a finite number ≥ 0"),
            (
                "+ q 1 2",
                "unknown event kind `q` (expected f, e, i, a or w)",
            ),
            ("+", "missing field: event kind"),
            ("+ f 1", "missing field: node V"),
            ("+ a", "missing field: node U"),
            ("+ f 1 x", "node id `x` is not an unsigned 64-bit integer"),
            ("+ e 1 2 1.5", "probability 1.5 is outside [0, 1]"),
            ("+ w 1 2", "missing field: acceptance W"),
            ("+ w 1", "missing field: friend F"),
            ("+ w 1 2 0", "acceptance 0 is outside (0, 1]"),
            ("+ w 1 2 yes", "acceptance `yes` is not a number"),
            ("- w 1 2 0.5", "unexpected field `0.5`"),
            ("+ e 1 2 NaN", "probability NaN is outside [0, 1]"),
            ("+ e 1 2 p", "probability `p` is not a number"),
            ("- e 1 2 0.5", "unexpected field `0.5`"),
            ("+ i 1 2 0", "interaction count 0 is not at least 1"),
            (
                "+ a 1 -1",
                "capacity `-1` is not an unsigned 32-bit integer",
            ),
            (
                "+ a 1 4294967296",
                "capacity `4294967296` is not an unsigned 32-bit integer",
            ),
            ("- a 1 2", "unexpected field `2`"),
            ("+ f 1 2 3", "unexpected field `3`"),
        ];
        for (line, message) in cases {
            assert_eq!(parse_event(line), Err(message.to_string()), "{line}");
        }
    }

    #[test]
    fn temporal_lines_and_format_detection() {
        let interaction = |t| ev(Some(t), Op::Add, Interaction(1, 2, 1));
        assert_eq!(parse_temporal("1 2 1082040961"), interaction(1082040961.0));
        // Rated edges: the time is the fourth column, not the rating.
        assert_eq!(
            detect_format("1,2,-10,1289241911.5"),
            Some(EventFormat::Rated)
        );
        assert_eq!(
            EventFormat::Rated.parse("1,2,-10,1289241911.5"),
            interaction(1289241911.5)
        );
        assert_eq!(detect_format("source,target,weight,time"), None);
        assert_eq!(detect_format("1,2,1289241911"), Some(EventFormat::Temporal));
        assert_eq!(parse_temporal("1 2 5 RT"), interaction(5.0));
        assert_eq!(parse_temporal("1 2"), Err("missing field: time".into()));
        assert_eq!(detect_format("+ f 1 2"), Some(EventFormat::Log));
        assert_eq!(detect_format("12 - a 1"), Some(EventFormat::Log));
        assert_eq!(detect_format("1 2 3"), Some(EventFormat::Temporal));
        assert_eq!(detect_format("# header"), None);
    }
}
