//! What the report shows, gathered from the change log: one [`Point`] per epoch summary and the
//! recommendation set the changes add up to.
//!
//! It is read from `changes.jsonl` (the records `crate::output` documents) and then, in a run that
//! keeps its report current, extended epoch by epoch from what is emitted, so the log is read once.
//! Reading is forgiving, since the page is most wanted when something went wrong: a line that is
//! not a record (a torn last line, a stray edit) is counted and skipped, changes with no summary
//! after them (a log cut mid-epoch) still move the set, and when the epochs start again from a
//! lower number (a second `run` appending to the same directory) the history starts again with
//! them, since the page is about one run.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, ErrorKind};
use std::path::Path;

use serde::Deserialize;

use crate::model::Node;
use crate::output::{Change, Summary};

/// At most this many epochs are kept (about 14 MB); past that the older half is dropped, so that
/// a follower running for months holds a bounded history. The charts are thinned to far fewer
/// points anyway; the change log keeps everything.
pub const MAX_EPOCHS: usize = 100_000;

/// One epoch, as its summary and changes describe it.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    /// The epoch's number.
    pub epoch: u64,
    /// The time of its last timed event.
    pub time: Option<f64>,
    /// Events in the epoch.
    pub events: u64,
    /// The spread estimate and its bounds; NaN where the log has `null`.
    pub spread: f64,
    /// σ_l.
    pub lower: f64,
    /// σ_u.
    pub upper: f64,
    /// σ_l / σ_u.
    pub ratio: f64,
    /// Whether the ratio reached 1/2 − ε.
    pub certified: bool,
    /// |R1|.
    pub theta: u64,
    /// |R2|.
    pub theta2: u64,
    /// The epoch's latency.
    pub latency_ms: f64,
    /// Recommendations held after it.
    pub selected: u64,
    /// Adopters after it.
    pub adopters: u64,
    /// Nodes after it.
    pub nodes: u64,
    /// Recommendations it added.
    pub added: u64,
    /// Recommendations it withdrew.
    pub removed: u64,
}

/// The epochs of one run and the recommendations they leave.
#[derive(Clone, Debug, Default)]
pub struct History {
    /// The summarized epochs, in order.
    pub points: Vec<Point>,
    /// The current recommendations by (adopter, friend), with the gain each had when made.
    pub current: BTreeMap<(Node, Node), f64>,
    /// Lines that were not records, skipped.
    pub unreadable: u64,
    /// Runs found in the log before the one shown.
    pub earlier_runs: u64,
    /// Epochs of this run dropped to keep within [`MAX_EPOCHS`].
    pub dropped: u64,
    /// Changes read since the last summary: (added, removed, epoch).
    pending: (u64, u64, Option<u64>),
}

/// A change-log line: a change or a summary. Fields the report does not use are ignored, and
/// a missing one takes its default, so that a log from a version with other fields still reads.
#[derive(Deserialize)]
struct Record {
    epoch: u64,
    #[serde(default)]
    op: Option<String>,
    #[serde(default)]
    adopter: Option<Node>,
    #[serde(default)]
    friend: Option<Node>,
    #[serde(default)]
    gain: Option<f64>,
    #[serde(default)]
    summary: Option<SummaryRecord>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SummaryRecord {
    time: Option<f64>,
    events: u64,
    nodes: u64,
    adopters: u64,
    selected: u64,
    theta: u64,
    theta2: u64,
    spread: Option<f64>,
    lower: Option<f64>,
    upper: Option<f64>,
    ratio: Option<f64>,
    certified: bool,
    latency_ms: Option<f64>,
}

impl History {
    /// The history in `path`; empty when there is no such file.
    pub fn read(path: &Path) -> io::Result<History> {
        let mut h = History::default();
        let f = match File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(h),
            Err(e) => return Err(e),
        };
        let mut reader = BufReader::with_capacity(1 << 16, f);
        let mut line = Vec::new();
        while reader.read_until(b'\n', &mut line)? > 0 {
            h.push_line(&line);
            line.clear();
        }
        Ok(h)
    }

    /// Takes one line of the change log into account.
    pub fn push_line(&mut self, line: &[u8]) {
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            return;
        }
        let Ok(r) = serde_json::from_slice::<Record>(line) else {
            self.unreadable += 1;
            return;
        };
        self.start_again_before(r.epoch);
        match (r.summary, r.op.as_deref(), r.adopter, r.friend) {
            (Some(s), ..) => self.push_summary(r.epoch, &s),
            (None, Some(op @ ("+" | "-")), Some(a), Some(f)) => {
                self.push_change(r.epoch, op == "+", a, f, r.gain.unwrap_or(f64::NAN))
            }
            _ => self.unreadable += 1,
        }
    }

    /// Takes an epoch as it is emitted.
    pub fn push_epoch(&mut self, epoch: u64, changes: &[Change], summary: &Summary) {
        self.start_again_before(epoch);
        for c in changes {
            self.push_change(epoch, c.op == "+", c.adopter, c.friend, c.gain);
        }
        let s = SummaryRecord {
            time: summary.time,
            events: summary.events,
            nodes: summary.nodes as u64,
            adopters: summary.adopters as u64,
            selected: summary.selected as u64,
            theta: summary.theta as u64,
            theta2: summary.theta2 as u64,
            spread: Some(summary.spread),
            lower: Some(summary.lower),
            upper: Some(summary.upper),
            ratio: Some(summary.ratio),
            certified: summary.certified,
            latency_ms: Some(summary.latency_ms),
        };
        self.push_summary(epoch, &s);
    }

    /// A record of an epoch at or before the last summarized one belongs to a later run.
    fn start_again_before(&mut self, epoch: u64) {
        let last = self.points.last().map(|p| p.epoch);
        if last.is_some_and(|last| epoch <= last) || self.pending.2.is_some_and(|e| epoch < e) {
            self.points.clear();
            self.current.clear();
            self.pending = (0, 0, None);
            self.earlier_runs += 1;
            self.dropped = 0;
        }
    }

    fn push_change(&mut self, epoch: u64, added: bool, adopter: Node, friend: Node, gain: f64) {
        self.pending.2 = Some(epoch);
        if added {
            self.pending.0 += 1;
            self.current.insert((adopter, friend), gain);
        } else {
            self.pending.1 += 1;
            self.current.remove(&(adopter, friend));
        }
    }

    fn push_summary(&mut self, epoch: u64, s: &SummaryRecord) {
        if self.points.len() >= MAX_EPOCHS {
            let half = self.points.len() / 2;
            self.points.drain(..half);
            self.dropped += half as u64;
        }
        let (added, removed, _) = std::mem::take(&mut self.pending);
        let nan = |x: Option<f64>| x.unwrap_or(f64::NAN);
        self.points.push(Point {
            epoch,
            time: s.time,
            events: s.events,
            spread: nan(s.spread),
            lower: nan(s.lower),
            upper: nan(s.upper),
            ratio: nan(s.ratio),
            certified: s.certified,
            theta: s.theta,
            theta2: s.theta2,
            latency_ms: nan(s.latency_ms),
            selected: s.selected,
            adopters: s.adopters,
            nodes: s.nodes,
            added,
            removed,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = r#"{"epoch":0,"op":"+","adopter":1,"friend":2,"gain":3.5}
{"epoch":0,"op":"+","adopter":1,"friend":4,"gain":1.0}
{"epoch":0,"summary":{"time":null,"events":5,"skipped":0,"noops":0,"absent":0,"self_loops":0,"nodes":6,"adopters":1,"selected":2,"level":3,"theta":40,"theta2":40,"spread":4.5,"lower":3.0,"upper":6.0,"ratio":0.5,"certified":true,"latency_ms":1.5}}
{"epoch":1,"op":"-","adopter":1,"friend":4,"gain":1.0}
{"epoch":1,"op":"+","adopter":1,"friend":5,"gain":2.0}
{"epoch":1,"summary":{"time":17.0,"events":2,"skipped":0,"noops":0,"absent":0,"self_loops":0,"nodes":6,"adopters":1,"selected":2,"level":3,"theta":80,"theta2":80,"spread":5.5,"lower":null,"upper":0.0,"ratio":null,"certified":false,"latency_ms":0.5}}
"#;

    fn history(text: &str) -> History {
        let mut h = History::default();
        for line in text.split_inclusive('\n') {
            h.push_line(line.as_bytes());
        }
        h
    }

    #[test]
    fn replays_the_epochs_and_the_set() {
        let h = history(LOG);
        assert_eq!(h.points.len(), 2);
        let p = &h.points[1];
        assert_eq!(
            (p.epoch, p.time, p.theta, p.added, p.removed),
            (1, Some(17.0), 80, 1, 1)
        );
        assert!(p.ratio.is_nan() && p.lower.is_nan());
        assert_eq!(h.points[0].added, 2);
        let set: Vec<_> = h.current.keys().copied().collect();
        assert_eq!(set, vec![(1, 2), (1, 5)]);
        assert_eq!(h.unreadable, 0);
    }

    #[test]
    fn a_torn_log_still_reads() {
        // Cut in the middle of epoch 1's second change.
        let cut = LOG.find(r#""friend":5"#).unwrap();
        let h = history(&LOG[..cut]);
        assert_eq!(h.points.len(), 1);
        assert_eq!(h.unreadable, 1);
        // The withdrawal before the cut counts.
        assert!(!h.current.contains_key(&(1, 4)));
    }

    #[test]
    fn a_long_history_keeps_its_latest_epochs() {
        let mut h = History::default();
        let summary = Summary {
            time: None,
            events: 1,
            skipped: 0,
            noops: 0,
            absent: 0,
            self_loops: 0,
            nodes: 2,
            adopters: 1,
            selected: 0,
            level: 0,
            theta: 1,
            theta2: 1,
            spread: 1.0,
            lower: 1.0,
            upper: 1.0,
            ratio: 1.0,
            certified: true,
            latency_ms: 0.0,
        };
        for epoch in 0..=MAX_EPOCHS as u64 {
            h.push_epoch(epoch, &[], &summary);
        }
        assert!(h.points.len() <= MAX_EPOCHS);
        assert_eq!(h.points.len() as u64 + h.dropped, MAX_EPOCHS as u64 + 1);
        assert_eq!(h.points.last().unwrap().epoch, MAX_EPOCHS as u64);
        assert_eq!(h.points[0].epoch, h.dropped);
        assert_eq!(h.earlier_runs, 0);
    }

    #[test]
    fn a_second_run_starts_again() {
        let h = history(&format!("{LOG}{LOG}"));
        assert_eq!(h.points.len(), 2);
        assert_eq!(h.earlier_runs, 1);
        assert_eq!(h.current.len(), 2);
    }
}
