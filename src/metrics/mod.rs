//! Metrics for Prometheus: what `run` and `follow` expose with `--metrics ADDR` (see
//! [`server`]), in the OpenMetrics text format that Prometheus scrapes.
//!
//! The figures come from three places, each updated where it is known:
//!
//! - every emitted epoch ([`Metrics::epoch`]): the epoch counter, the latency histogram, the
//!   certificate's figures, the recommendations held and changed, and the cumulative counters of
//!   the epoch's [`Summary`] (malformed lines, no-ops, self-loops), which advance by the difference
//!   from the last summary seen, so that they equal the summary's figures (after a resume too);
//! - the reading loop: events read ([`Metrics::read`]), how far behind the log's end it is
//!   ([`Metrics::behind`]), checkpoints recorded ([`Metrics::checkpointed`]);
//! - the scrape itself ([`Metrics::encode`]): memory and the ages, which are read at that moment.
//!
//! Every metric is an atomic (or a short lock inside the registry's families): a scrape never
//! waits for an epoch, and an epoch never waits for a scrape.

pub mod server;

use std::sync::Mutex;
use std::sync::atomic::AtomicU64;
use std::time::Instant;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};

use crate::output::{Change, Summary};

/// One label, as the families below take it.
type Label = [(&'static str, &'static str); 1];

/// A gauge that holds a float.
type FloatGauge = Gauge<f64, AtomicU64>;

/// Every metric, registered under the `cimflow_` prefix.
pub struct Metrics {
    registry: Registry,
    events_read: Counter,
    events_applied: Counter,
    skipped: Family<Label, Counter>,
    noops: Family<Label, Counter>,
    epochs: Counter,
    latency: Histogram,
    theta: Gauge,
    theta2: Gauge,
    spread: FloatGauge,
    lower: FloatGauge,
    upper: FloatGauge,
    ratio: FloatGauge,
    certified: Gauge,
    recommendations: Gauge,
    changed: Family<Label, Counter>,
    behind_bytes: Gauge,
    behind_seconds: FloatGauge,
    memory_peak: Gauge,
    memory_resident: Gauge,
    checkpoint_age: FloatGauge,
    live: Mutex<Live>,
}

/// What the scrape-time figures are computed from, and the cumulative counters last seen.
#[derive(Default)]
struct Live {
    /// When the reader was last at the end of the log; `None` while it is there (or never
    /// reads one).
    behind_since: Option<Instant>,
    /// When the last checkpoint was recorded.
    checkpoint: Option<Instant>,
    /// `skipped`, `noops`, `absent`, `self_loops` of the last summary.
    seen: [u64; 4],
}

/// Which figures this process has: `run` reads no growing log and keeps no checkpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// `cimflow run`.
    Run,
    /// `cimflow follow`, with or without a state directory.
    Follow {
        /// Whether checkpoints are recorded (`--state`).
        checkpoints: bool,
    },
}

/// The latency buckets: 0.25 ms to about 8 s, doubling.
fn latency_buckets() -> impl Iterator<Item = f64> {
    exponential_buckets(0.000_25, 2.0, 16)
}

impl Metrics {
    /// Every metric at zero, registered for `role`.
    pub fn new(role: Role) -> Self {
        let mut m = Metrics {
            registry: Registry::with_prefix("cimflow"),
            events_read: Counter::default(),
            events_applied: Counter::default(),
            skipped: Family::default(),
            noops: Family::default(),
            epochs: Counter::default(),
            latency: Histogram::new(latency_buckets()),
            theta: Gauge::default(),
            theta2: Gauge::default(),
            spread: FloatGauge::default(),
            lower: FloatGauge::default(),
            upper: FloatGauge::default(),
            ratio: FloatGauge::default(),
            certified: Gauge::default(),
            recommendations: Gauge::default(),
            changed: Family::default(),
            behind_bytes: Gauge::default(),
            behind_seconds: FloatGauge::default(),
            memory_peak: Gauge::default(),
            memory_resident: Gauge::default(),
            checkpoint_age: FloatGauge::default(),
            live: Mutex::new(Live::default()),
        };
        let r = &mut m.registry;
        r.register(
            "events_read",
            "Events read from the input files and the log",
            m.events_read.clone(),
        );
        r.register(
            "events_applied",
            "Events in emitted epochs (window expiries included)",
            m.events_applied.clone(),
        );
        r.register(
            "events_skipped",
            "Input skipped: malformed lines, self-loops",
            m.skipped.clone(),
        );
        r.register(
            "events_noop",
            "Events that changed nothing: additions of what existed, removals of what was absent",
            m.noops.clone(),
        );
        r.register("epochs", "Epochs emitted", m.epochs.clone());
        r.register_with_unit(
            "epoch_latency",
            "Time to compute an epoch",
            Unit::Seconds,
            m.latency.clone(),
        );
        r.register(
            "theta",
            "Selection RR samples of the last epoch (|R1|)",
            m.theta.clone(),
        );
        r.register(
            "theta2",
            "Validation RR samples of the last epoch (|R2|)",
            m.theta2.clone(),
        );
        r.register(
            "spread",
            "Estimated spread of the selection, in users",
            m.spread.clone(),
        );
        r.register(
            "spread_lower",
            "Lower bound on the selection's spread",
            m.lower.clone(),
        );
        r.register(
            "spread_upper",
            "Upper bound on the optimum's spread",
            m.upper.clone(),
        );
        r.register(
            "ratio",
            "Certified approximation ratio, lower / upper",
            m.ratio.clone(),
        );
        r.register(
            "certified",
            "1 when the ratio reaches 1/2 - epsilon",
            m.certified.clone(),
        );
        r.register(
            "recommendations",
            "Recommendations held after the last epoch",
            m.recommendations.clone(),
        );
        r.register(
            "recommendations_changed",
            "Recommendations added and removed",
            m.changed.clone(),
        );
        if let Role::Follow { checkpoints } = role {
            r.register_with_unit(
                "log_behind",
                "Bytes of the log not yet read",
                Unit::Bytes,
                m.behind_bytes.clone(),
            );
            r.register_with_unit(
                "log_behind",
                "Time since the follower was last at the log's end (0 while it is)",
                Unit::Seconds,
                m.behind_seconds.clone(),
            );
            if checkpoints {
                r.register_with_unit(
                    "checkpoint_age",
                    "Time since the last checkpoint was recorded",
                    Unit::Seconds,
                    m.checkpoint_age.clone(),
                );
            }
        }
        r.register_with_unit(
            "memory_peak",
            "Peak resident memory of the process (VmHWM)",
            Unit::Bytes,
            m.memory_peak.clone(),
        );
        r.register_with_unit(
            "memory_resident",
            "Resident memory of the process (VmRSS)",
            Unit::Bytes,
            m.memory_resident.clone(),
        );
        m
    }

    /// Counts `n` events read.
    pub fn read(&self, n: u64) {
        self.events_read.inc_by(n);
    }

    /// Records an emitted epoch: its changes and summary.
    pub fn epoch(&self, changes: &[Change], summary: &Summary) {
        self.epochs.inc();
        self.events_applied.inc_by(summary.events);
        self.latency.observe(summary.latency_ms / 1e3);
        self.theta.set(summary.theta as i64);
        self.theta2.set(summary.theta2 as i64);
        self.spread.set(summary.spread);
        self.lower.set(summary.lower);
        self.upper.set(summary.upper);
        self.ratio.set(summary.ratio);
        self.certified.set(i64::from(summary.certified));
        self.recommendations.set(summary.selected as i64);
        let added = changes.iter().filter(|c| c.op == "+").count() as u64;
        let removed = changes.len() as u64 - added;
        self.changed.get_or_create(&[("op", "added")]).inc_by(added);
        self.changed
            .get_or_create(&[("op", "removed")])
            .inc_by(removed);
        let now = [
            summary.skipped,
            summary.noops,
            summary.absent,
            summary.self_loops,
        ];
        let seen = std::mem::replace(&mut self.live().seen, now);
        let delta = |i: usize| now[i].saturating_sub(seen[i]);
        self.skipped
            .get_or_create(&[("reason", "malformed")])
            .inc_by(delta(0));
        self.skipped
            .get_or_create(&[("reason", "self_loop")])
            .inc_by(delta(3));
        self.noops
            .get_or_create(&[("reason", "present")])
            .inc_by(delta(1));
        self.noops
            .get_or_create(&[("reason", "absent")])
            .inc_by(delta(2));
    }

    /// Records how many bytes of the log are left to read; 0 means the reader is at its end.
    pub fn behind(&self, bytes: u64) {
        self.behind_bytes.set(bytes as i64);
        let mut live = self.live();
        if bytes == 0 {
            live.behind_since = None;
        } else if live.behind_since.is_none() {
            live.behind_since = Some(Instant::now());
        }
    }

    /// Records that a checkpoint was just written.
    pub fn checkpointed(&self) {
        self.live().checkpoint = Some(Instant::now());
    }

    /// The exposition, with memory and ages read now.
    pub fn encode(&self) -> String {
        {
            let live = self.live();
            let age = |at: Option<Instant>| at.map_or(0.0, |t| t.elapsed().as_secs_f64());
            self.behind_seconds.set(age(live.behind_since));
            self.checkpoint_age.set(age(live.checkpoint));
        }
        if let Some((peak, resident)) = crate::memory::peak_and_resident_kb() {
            self.memory_peak.set((peak * 1024) as i64);
            self.memory_resident.set((resident * 1024) as i64);
        }
        let mut text = String::new();
        encode(&mut text, &self.registry).expect("writing to a String does not fail");
        text
    }

    /// The live figures; a panic elsewhere while holding them leaves them usable.
    fn live(&self) -> std::sync::MutexGuard<'_, Live> {
        self.live.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(skipped: u64, noops: u64) -> Summary {
        Summary {
            time: Some(5.0),
            events: 10,
            skipped,
            noops,
            absent: 1,
            self_loops: 2,
            nodes: 7,
            adopters: 2,
            selected: 3,
            level: 1,
            theta: 64,
            theta2: 64,
            spread: 4.5,
            lower: 3.0,
            upper: 6.0,
            ratio: 0.5,
            certified: true,
            latency_ms: 3.0,
        }
    }

    fn value(text: &str, name: &str) -> f64 {
        let line = text
            .lines()
            .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
            .unwrap_or_else(|| panic!("no {name} in\n{text}"));
        line.rsplit(' ').next().unwrap().parse().unwrap()
    }

    #[test]
    fn cumulative_summary_counters_advance_by_their_difference() {
        let m = Metrics::new(Role::Follow { checkpoints: true });
        let change = |op| Change {
            op,
            adopter: 1,
            friend: 2,
            gain: 1.0,
        };
        m.epoch(&[change("+"), change("+")], &summary(4, 1));
        m.epoch(&[change("-")], &summary(6, 1));
        m.read(25);
        m.behind(100);
        let text = m.encode();
        assert_eq!(value(&text, "cimflow_epochs_total"), 2.0);
        assert_eq!(value(&text, "cimflow_events_applied_total"), 20.0);
        assert_eq!(value(&text, "cimflow_events_read_total"), 25.0);
        assert_eq!(
            value(&text, "cimflow_events_skipped_total{reason=\"malformed\"}"),
            6.0
        );
        assert_eq!(
            value(&text, "cimflow_events_noop_total{reason=\"present\"}"),
            1.0
        );
        assert_eq!(
            value(&text, "cimflow_events_skipped_total{reason=\"self_loop\"}"),
            2.0
        );
        assert_eq!(
            value(&text, "cimflow_recommendations_changed_total{op=\"added\"}"),
            2.0
        );
        assert_eq!(
            value(
                &text,
                "cimflow_recommendations_changed_total{op=\"removed\"}"
            ),
            1.0
        );
        assert_eq!(value(&text, "cimflow_epoch_latency_seconds_count"), 2.0);
        assert_eq!(value(&text, "cimflow_epoch_latency_seconds_sum"), 0.006);
        assert_eq!(value(&text, "cimflow_log_behind_bytes"), 100.0);
        assert_eq!(value(&text, "cimflow_spread_upper"), 6.0);
        assert!(text.contains("# TYPE cimflow_checkpoint_age_seconds gauge"));
        assert!(text.ends_with("# EOF\n"));
    }

    #[test]
    fn a_run_has_no_log_or_checkpoint_figures() {
        let text = Metrics::new(Role::Run).encode();
        assert!(!text.contains("cimflow_log_behind"));
        assert!(!text.contains("cimflow_checkpoint_age"));
        assert!(text.contains("cimflow_memory_peak_bytes"));
        assert!(text.contains("# TYPE cimflow_epoch_latency_seconds histogram"));
    }
}
