//! Progress on stderr: a bar over the events of a run, shown only when stderr is a terminal, so
//! that logs and pipes get the plain summary lines and nothing else.
//!
//! One process-wide bar rather than a handle threaded through every call: the epoch loop runs
//! inside timely's worker closure, and progress is a concern of the command, not of the library.

use std::sync::OnceLock;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

static BAR: OnceLock<ProgressBar> = OnceLock::new();

/// Shows a bar over `total` events on stderr (drawn only on a terminal).
pub fn start(message: &'static str, total: u64) {
    let bar = BAR.get_or_init(|| ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()));
    bar.set_length(total);
    bar.set_position(0);
    bar.set_message(message);
    bar.set_style(
        ProgressStyle::with_template(
            "{msg:>10} [{bar:30}] {pos}/{len} events, {per_sec}, eta {eta}",
        )
        .expect("a valid template")
        .progress_chars("=> "),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
}

/// Counts `events` as processed.
pub fn advance(events: u64) {
    if let Some(bar) = BAR.get() {
        bar.inc(events);
    }
}

/// Removes the bar.
pub fn finish() {
    if let Some(bar) = BAR.get() {
        bar.finish_and_clear();
    }
}
