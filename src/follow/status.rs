//! The status line a follower prints on stderr every few seconds, so that someone watching knows
//! it is alive and keeping up: epochs, events per second, θ, and how far it lags behind the log.

use std::time::{Duration, Instant};

/// When the next status line is due, and the counts at the last one.
pub struct Status {
    every: Duration,
    last: Instant,
    events_then: u64,
}

/// The figures a status line shows.
pub struct Figures {
    /// Log events read so far.
    pub events: u64,
    /// The last epoch emitted.
    pub epoch: u64,
    /// θ of the last epoch.
    pub theta: usize,
    /// Bytes of the log not yet consumed.
    pub lag: u64,
}

impl Status {
    /// A line every `every`, the first one `every` from now.
    pub fn new(every: Duration) -> Self {
        Status {
            every,
            last: Instant::now(),
            events_then: 0,
        }
    }

    /// Whether a line is due.
    pub fn due(&self) -> bool {
        self.last.elapsed() >= self.every
    }

    /// The line for `figures`; restarts the interval.
    pub fn line(&mut self, figures: &Figures) -> String {
        let now = Instant::now();
        let seconds = now.duration_since(self.last).as_secs_f64().max(1e-9);
        let rate = figures.events.saturating_sub(self.events_then) as f64 / seconds;
        self.last = now;
        self.events_then = figures.events;
        format!(
            "epoch {}, {} events ({rate:.0} events/s), θ {}, {} bytes behind",
            figures.epoch, figures.events, figures.theta, figures.lag
        )
    }
}
