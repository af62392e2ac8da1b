//! A sliding window of event time over interactions, so that a temporal stream (SNAP `SRC TGT T`
//! lines, each read as `+ i SRC TGT 1`) has deletions as well as insertions.
//!
//! Rule: a timed `+ i U V N` at time t is taken back by `- i U V N` (stamped t + D) as soon as the
//! event time passes t + D. The event time is the largest time seen so far, so a log whose times
//! step back now and then (SNAP's temporal files do) never moves it backwards. Expiries are
//! released in order of t + D (ties in arrival order), just before the event that moves the time
//! past them, so the sequence of applied events is a function of the log alone: `run` and
//! `follow`, whatever their epochs, apply the same sequence.
//!
//! Only timed interaction additions expire: friendships, arcs and adopters stay until the log
//! removes them, and an interaction without a time never expires. Self-loops are not held: the
//! state drops (and counts) them once, on arrival. An interaction that arrives
//! already older than the window is applied and taken back before the next timed event.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use serde::{Deserialize, Serialize};

use crate::input::{Event, EventKind, Op};
use crate::model::Node;

/// The interactions in the window, waiting to expire.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Window {
    /// D, in seconds of event time: positive and finite.
    span: f64,
    /// The largest event time seen, once one has been.
    clock: Option<f64>,
    /// Arrival counter: breaks ties between equal expiry times in arrival order.
    arrivals: u64,
    /// Pending expiries, earliest first.
    queue: BinaryHeap<Reverse<Expiry>>,
}

/// One interaction to take back. Ordered by expiry time, then arrival.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
struct Expiry {
    /// `(t + D).to_bits()`: times are finite and non-negative, where the bit pattern of an `f64`
    /// orders as the number does.
    at: u64,
    arrival: u64,
    u: Node,
    v: Node,
    n: u64,
}

impl Window {
    /// An empty window of `span` seconds of event time (positive and finite).
    pub fn new(span: f64) -> Self {
        assert!(
            span > 0.0 && span.is_finite(),
            "a window spans a positive time"
        );
        Window {
            span,
            clock: None,
            arrivals: 0,
            queue: BinaryHeap::new(),
        }
    }

    /// Hands `emit` the expiries that `event`'s time releases, in order, then `event` itself,
    /// and holds `event` for expiry if it is a timed interaction addition.
    pub fn push(&mut self, event: Event, mut emit: impl FnMut(Event)) {
        if let Some(t) = event.time {
            let clock = self.clock.map_or(t, |c| c.max(t));
            self.clock = Some(clock);
            while let Some(Reverse(e)) = self.queue.peek().copied() {
                let at = f64::from_bits(e.at);
                // "Once the event time passes t + D": strictly.
                if at >= clock {
                    break;
                }
                self.queue.pop();
                emit(Event {
                    time: Some(at),
                    op: Op::Remove,
                    kind: EventKind::Interaction(e.u, e.v, e.n),
                });
            }
        }
        if let (Some(t), Op::Add, EventKind::Interaction(u, v, n)) =
            (event.time, event.op, event.kind)
            && u != v
        {
            self.queue.push(Reverse(Expiry {
                at: (t + self.span).to_bits(),
                arrival: self.arrivals,
                u,
                v,
                n,
            }));
            self.arrivals += 1;
        }
        emit(event);
    }

    /// Whether this window (loaded from a checkpoint) is one that pushing events into
    /// `Window::new(span)` could have made: the same span, a finite clock ≥ 0, and every pending
    /// expiry of an interaction between two nodes, stamped between the clock (earlier ones have
    /// been released) and clock + span, with its own arrival number below the counter.
    pub fn check(&self, span: f64) -> Result<(), String> {
        if self.span.to_bits() != span.to_bits() {
            return Err(format!("a window of {} s, not {span} s", self.span));
        }
        let clock = match self.clock {
            Some(c) if c.is_finite() && c >= 0.0 => Some(c),
            Some(c) => return Err(format!("window clock {c}: not a finite time ≥ 0")),
            None => None,
        };
        let mut arrivals = Vec::with_capacity(self.queue.len());
        for Reverse(e) in &self.queue {
            let at = f64::from_bits(e.at);
            let fits =
                clock.is_some_and(|c| at.is_finite() && at >= span && at >= c && at <= c + span);
            if !fits || e.u == e.v || e.n == 0 || e.arrival >= self.arrivals {
                return Err(format!(
                    "window: impossible expiry of {} -> {} (x{}) at {at}",
                    e.u, e.v, e.n
                ));
            }
            arrivals.push(e.arrival);
        }
        arrivals.sort_unstable();
        if arrivals.windows(2).any(|w| w[0] == w[1]) {
            return Err("window: two expiries with one arrival number".into());
        }
        Ok(())
    }

    /// The span D, in seconds.
    pub fn span(&self) -> f64 {
        self.span
    }

    /// How many interactions wait to expire.
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// Whether none waits to expire.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A window loaded from a checkpoint is checked against what pushing events could make.
    #[test]
    fn impossible_windows_are_told_apart() {
        let mut w = Window::new(10.0);
        for t in [1.0, 4.0, 8.0] {
            w.push(at(t, Op::Add, EventKind::Interaction(1, 2, 1)), |_| {});
        }
        assert_eq!(w.check(10.0), Ok(()));
        assert!(w.check(20.0).is_err());
        let edited = |f: &dyn Fn(&mut Window)| {
            let mut x = w.clone();
            f(&mut x);
            x.check(10.0)
        };
        // A clock past the pending expiries (they would have been released).
        assert!(edited(&|x| x.clock = Some(1e300)).is_err());
        assert!(edited(&|x| x.clock = Some(-1.0)).is_err());
        assert!(edited(&|x| x.clock = None).is_err());
        assert!(edited(&|x| x.arrivals = 2).is_err());
        assert!(
            edited(&|x| {
                let mut q: Vec<_> = x.queue.drain().collect();
                q[0].0.n = 0;
                x.queue.extend(q);
            })
            .is_err()
        );
        assert!(
            edited(&|x| {
                let mut q: Vec<_> = x.queue.drain().collect();
                q[1].0.arrival = q[0].0.arrival;
                x.queue.extend(q);
            })
            .is_err()
        );
    }

    fn at(t: f64, op: Op, kind: EventKind) -> Event {
        Event {
            time: Some(t),
            op,
            kind,
        }
    }

    fn run(window: &mut Window, events: &[Event]) -> Vec<Event> {
        let mut out = Vec::new();
        for &e in events {
            window.push(e, |x| out.push(x));
        }
        out
    }

    #[test]
    fn interactions_expire_in_time_order_before_the_event_that_passes_them() {
        use EventKind::*;
        let mut w = Window::new(10.0);
        let i = |t, u, v| at(t, Op::Add, Interaction(u, v, 1));
        let out = run(
            &mut w,
            &[
                i(5.0, 1, 2),
                i(3.0, 3, 4), // out of order: expires first
                at(12.0, Op::Add, Friendship(7, 8)),
                i(14.0, 5, 6),
                i(15.0, 1, 2), // passes 3 + 10 only
                i(15.5, 9, 9),
            ],
        );
        let gone = |t, u, v| at(t, Op::Remove, Interaction(u, v, 1));
        assert_eq!(
            out,
            vec![
                i(5.0, 1, 2),
                i(3.0, 3, 4),
                at(12.0, Op::Add, Friendship(7, 8)),
                gone(13.0, 3, 4),
                i(14.0, 5, 6),
                // 15 does not pass 5 + 10: only 15.5 does.
                i(15.0, 1, 2),
                gone(15.0, 1, 2),
                i(15.5, 9, 9),
            ]
        );
        // The self-loop 9 -> 9 is not held.
        assert_eq!(w.len(), 2);
    }

    #[test]
    fn untimed_and_other_events_never_expire_and_do_not_move_the_clock() {
        use EventKind::*;
        let mut w = Window::new(1.0);
        let untimed = Event {
            time: None,
            op: Op::Add,
            kind: Interaction(1, 2, 3),
        };
        let out = run(
            &mut w,
            &[
                untimed,
                at(0.0, Op::Add, Adopter(5, None)),
                at(0.0, Op::Remove, Interaction(1, 2, 1)),
                at(100.0, Op::Add, Friendship(1, 2)),
            ],
        );
        assert_eq!(out.len(), 4);
        assert!(w.is_empty());
    }

    #[test]
    fn equal_expiry_times_leave_in_arrival_order_and_the_window_round_trips() {
        let mut w = Window::new(2.0);
        let i = |u| at(1.0, Op::Add, EventKind::Interaction(u, 0, 1));
        run(&mut w, &[i(3), i(1), i(2)]);
        let json = serde_json::to_string(&w).unwrap();
        let mut back: Window = serde_json::from_str(&json).unwrap();
        assert_eq!(serde_json::to_string(&back).unwrap(), json);
        let out = run(&mut back, &[at(9.0, Op::Add, EventKind::Friendship(1, 2))]);
        let us: Vec<_> = out[..3]
            .iter()
            .map(|e| match e.kind {
                EventKind::Interaction(u, _, _) => u,
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(us, vec![3, 1, 2]);
    }

    /// An event earlier than the clock (times may go backwards) leaves the clock where it was: the
    /// expiry its interaction brings, due before the clock, is released at once.
    #[test]
    fn a_step_back_in_time_does_not_rewind_the_clock() {
        use EventKind::*;
        let mut w = Window::new(10.0);
        let i = |t, u, v| at(t, Op::Add, Interaction(u, v, 1));
        let out = run(
            &mut w,
            &[
                i(20.0, 1, 2),
                i(5.0, 3, 4),
                at(6.0, Op::Add, Friendship(7, 8)),
            ],
        );
        assert_eq!(
            out,
            vec![
                i(20.0, 1, 2),
                i(5.0, 3, 4),
                at(15.0, Op::Remove, Interaction(3, 4, 1)),
                at(6.0, Op::Add, Friendship(7, 8))
            ]
        );
        assert_eq!(w.len(), 1);
        assert_eq!(w.check(10.0), Ok(()));
    }
    /// An expiry due exactly at the clock is still pending (release is strict), and a checkpoint
    /// holding it is valid.
    #[test]
    fn an_expiry_due_at_the_clock_passes_the_check() {
        let mut w = Window::new(10.0);
        run(
            &mut w,
            &[
                at(0.0, Op::Add, EventKind::Interaction(1, 2, 1)),
                at(10.0, Op::Add, EventKind::Friendship(3, 4)),
            ],
        );
        assert_eq!(w.len(), 1);
        assert_eq!(w.check(10.0), Ok(()));
    }
}
