//! Grouping the event stream into epochs, the same way for `run` and `follow`: the [`Batcher`],
//! and the [`Window`] whose expiries it inserts.
//!
//! An epoch closes after `batch` events of the log, and, with `--every D`, before the first event
//! whose time falls in a later period `[k·D, (k + 1)·D)` than the epoch's first timed event; a
//! follower also closes one when the log goes quiet. Counting log events (not the expiries a
//! `--window` adds) and aligning periods to multiples of D keep the boundaries a function of the
//! log alone, so a run and a follower reading the same complete log make the same epochs.

pub mod window;

pub use window::Window;

use crate::input::Event;

/// The epoch being gathered.
#[derive(Clone, Debug)]
pub struct Batcher {
    /// Log events per epoch, at least 1.
    batch: usize,
    /// The period D of `--every`, in seconds.
    every: Option<f64>,
    /// The `--window`, which adds expiries before the events that release them.
    window: Option<Window>,
    /// The events to apply: the log's events with the window's expiries before them.
    events: Vec<Event>,
    /// The log events gathered so far (not counting expiries).
    logged: usize,
    /// The period of the epoch's first timed event.
    period: Option<u64>,
}

impl Batcher {
    /// Epochs of `batch` log events (at least 1), and of one period of `every` if given, with
    /// `window`'s expiries (a window restored from a checkpoint, or a fresh one).
    pub fn new(batch: usize, every: Option<f64>, window: Option<Window>) -> Self {
        Batcher {
            batch: batch.max(1),
            every,
            window,
            events: Vec::new(),
            logged: 0,
            period: None,
        }
    }

    /// Whether `event` belongs to a later period than the epoch gathered so far, which must then
    /// be closed before `event` is pushed.
    pub fn closes_before(&self, event: &Event) -> bool {
        match (self.period, self.period_of(event)) {
            (Some(open), Some(p)) => p > open,
            _ => false,
        }
    }

    /// Adds a log event, after the expiries it releases.
    pub fn push(&mut self, event: Event) {
        if self.period.is_none() {
            self.period = self.period_of(&event);
        }
        self.logged += 1;
        match &mut self.window {
            Some(w) => w.push(event, |e| self.events.push(e)),
            None => self.events.push(event),
        }
    }

    /// Whether the epoch holds `batch` log events.
    pub fn is_full(&self) -> bool {
        self.logged >= self.batch
    }

    /// Whether no log event has been pushed since the last [`Batcher::take`].
    pub fn is_empty(&self) -> bool {
        self.logged == 0
    }

    /// Closes the epoch: its events to apply, in order.
    pub fn take(&mut self) -> Vec<Event> {
        self.logged = 0;
        self.period = None;
        std::mem::take(&mut self.events)
    }

    /// The window, when there is one.
    pub fn window(&self) -> Option<&Window> {
        self.window.as_ref()
    }

    fn period_of(&self, event: &Event) -> Option<u64> {
        // Times are finite and ≥ 0; a saturating cast keeps absurd ones in the last period.
        Some((event.time? / self.every?).floor() as u64)
    }

    /// Splits a whole log into epochs, in order (what `run` does).
    pub fn split(mut self, log: &[Event]) -> Vec<Vec<Event>> {
        let mut epochs = Vec::new();
        for &event in log {
            if self.closes_before(&event) {
                epochs.push(self.take());
            }
            self.push(event);
            if self.is_full() {
                epochs.push(self.take());
            }
        }
        if !self.is_empty() {
            epochs.push(self.take());
        }
        epochs
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::{EventKind, Op};

    fn i(t: Option<f64>) -> Event {
        Event {
            time: t,
            op: Op::Add,
            kind: EventKind::Interaction(1, 2, 1),
        }
    }

    fn sizes(epochs: &[Vec<Event>]) -> Vec<usize> {
        epochs.iter().map(Vec::len).collect()
    }

    #[test]
    fn batches_count_log_events() {
        let log: Vec<Event> = (0..7).map(|_| i(None)).collect();
        assert_eq!(sizes(&Batcher::new(3, None, None).split(&log)), [3, 3, 1]);
        assert_eq!(sizes(&Batcher::new(0, None, None).split(&log)), [1; 7]);
    }

    #[test]
    fn periods_are_aligned_and_close_before_the_event_that_leaves_them() {
        let times = [
            Some(1.0),
            Some(9.5),
            None,
            Some(10.0),
            Some(31.0),
            Some(3.0),
        ];
        let log: Vec<Event> = times.iter().map(|&t| i(t)).collect();
        let epochs = Batcher::new(100, Some(10.0), None).split(&log);
        // [1, 9.5, untimed] | [10] | [31, 3 (earlier: stays)]
        assert_eq!(sizes(&epochs), [3, 1, 2]);
        // A batch boundary inside a period starts the next epoch's period afresh.
        let epochs = Batcher::new(2, Some(10.0), None).split(&log);
        assert_eq!(sizes(&epochs), [2, 2, 2]);
    }

    #[test]
    fn expiries_ride_with_the_event_that_releases_them_but_do_not_count() {
        let log = [i(Some(0.0)), i(Some(1.0)), i(Some(5.0)), i(Some(6.0))];
        let epochs = Batcher::new(2, None, Some(Window::new(2.0))).split(&log);
        // The event at 5 releases both earlier ones.
        assert_eq!(sizes(&epochs), [2, 4]);
        assert_eq!(epochs[1][0].op, Op::Remove);
    }
}
