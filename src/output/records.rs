//! What is emitted after each epoch: the changed recommendations and the summary, and the form
//! they take on stdout (docs/FORMATS.md describes every field).

use std::fmt;

use serde::Serialize;

use crate::model::Node;

/// The form of the data on stdout (`--format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// JSON Lines: one JSON object a line.
    Jsonl,
    /// Tab-separated values.
    Tsv,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "jsonl" => Ok(Format::Jsonl),
            "tsv" => Ok(Format::Tsv),
            _ => Err(format!("unknown format `{s}` (expected jsonl or tsv)")),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Jsonl => "jsonl",
            Format::Tsv => "tsv",
        })
    }
}

/// One recommendation withdrawn or added.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Change {
    /// `"+"` (added) or `"-"` (withdrawn).
    pub op: &'static str,
    /// The adopter who is to invite.
    pub adopter: Node,
    /// The friend to invite.
    pub friend: Node,
    /// The friend's marginal gain (estimated spread) when selected.
    pub gain: f64,
}

/// The state of the computation after one epoch.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    /// The time of the epoch's last timed event, if any event carried a time.
    pub time: Option<f64>,
    /// Events in this epoch's batch.
    pub events: u64,
    /// Malformed lines skipped so far.
    pub skipped: u64,
    /// Additions of what already existed, so far.
    pub noops: u64,
    /// Removals of what was absent (or interactions taken back beyond their count), so far.
    pub absent: u64,
    /// Self-loops dropped, so far.
    pub self_loops: u64,
    /// Nodes in the graph.
    pub nodes: usize,
    /// Current adopters.
    pub adopters: usize,
    /// Recommendations in the current selection.
    pub selected: usize,
    /// The sampling level (log2 of the samples per node and half).
    pub level: i32,
    /// |R1|, the selection samples.
    pub theta: usize,
    /// |R2|, the validation samples.
    pub theta2: usize,
    /// The spread estimate of the selection.
    pub spread: f64,
    /// σ_l, the lower bound on the selection's spread.
    pub lower: f64,
    /// σ_u, the upper bound on the optimum.
    pub upper: f64,
    /// σ_l / σ_u.
    pub ratio: f64,
    /// Whether the ratio reaches 1/2 − ε.
    pub certified: bool,
    /// Milliseconds spent computing the epoch (the caller may write 0 to keep output reproducible).
    pub latency_ms: f64,
}
