//! The report page, `DIR/report.html`: how a run's spread, bounds, certificate, θ, latency and
//! churn moved over its epochs, and who is to invite whom now, in one self-contained HTML file
//! (see [`page`]).
//!
//! `cimflow report DIR` writes it from `DIR/changes.jsonl` ([`write_from_log`]); a run with an
//! output directory keeps it current as it goes ([`Refresher`], through
//! [`crate::output::Output::keep_report`]). Either way the file is replaced atomically
//! ([`crate::output::durable::replace_for_readers`]: written beside, then renamed over), so a
//! browser reloading it sees the previous page or the new one; it is not fsynced, being only a
//! view of the change log.

pub mod history;
pub mod page;
pub mod plots;

use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use history::History;
use page::Page;

use crate::model::Node;
use crate::output::durable::{FileError, on, replace_for_readers};
use crate::output::recommendations;
use crate::output::{Change, Summary};

/// The page's name in the output directory.
pub const FILE: &str = "report.html";

/// A run in progress refreshes its page at most this often, and less often when drawing takes
/// long: after a drawing that took t, the next waits at least [`SLACK`] × t. So the page costs a
/// run at most 1/[`SLACK`] of its time however short its epochs and however long its history
/// (508 epochs draw in under 1 ms, 100,000 in about 125 ms).
pub const REFRESH: Duration = Duration::from_secs(1);

/// See [`REFRESH`].
pub const SLACK: u32 = 50;

/// What [`write_from_log`] wrote.
#[derive(Clone, Copy, Debug)]
pub struct Written {
    /// Epochs on the page.
    pub epochs: usize,
    /// Lines of the change log that could not be read.
    pub unreadable: u64,
}

/// Writes `dir/report.html` from `dir/changes.jsonl` (and the current recommendations from
/// `dir/recommendations.tsv` when it is there, else from the change log).
pub fn write_from_log(dir: &Path, epsilon: f64) -> Result<Written, FileError> {
    let log = dir.join("changes.jsonl");
    if !log.exists() {
        let missing = io::Error::new(
            io::ErrorKind::NotFound,
            "no change log here (was it a run with --output?)",
        );
        return Err(on(&log)(missing));
    }
    let history = History::read(&log).map_err(on(&log))?;
    // The current set with its current gains, unless the file is missing or unreadable: the
    // change log alone still gives a page.
    let current = recommendations::read_with_gains(&dir.join(recommendations::FILE))
        .unwrap_or_else(|_| replayed(&history));
    let html = page::render(
        &history,
        &Page {
            title: &dir.display().to_string(),
            epsilon,
            current: &current,
            reload: None,
        },
    );
    replace(dir, &html)?;
    Ok(Written {
        epochs: history.points.len(),
        unreadable: history.unreadable,
    })
}

/// Keeps `DIR/report.html` current during a run: fed every emitted epoch, it redraws the page
/// when it is due (see [`REFRESH`]), and on [`Refresher::flush`].
pub struct Refresher {
    dir: PathBuf,
    epsilon: f64,
    history: History,
    current: Vec<(Node, Node, f64)>,
    /// When the page was last drawn, and how long that took.
    drawn: Option<(Instant, Duration)>,
    /// Epochs taken since the page was last drawn.
    dirty: bool,
}

impl Refresher {
    /// Starts from what `dir/changes.jsonl` holds already (a resumed follower's earlier epochs).
    pub fn open(dir: &Path, epsilon: f64) -> Result<Refresher, FileError> {
        let log = dir.join("changes.jsonl");
        let history = History::read(&log).map_err(on(&log))?;
        let current = replayed(&history);
        Ok(Refresher {
            dir: dir.to_path_buf(),
            epsilon,
            history,
            current,
            drawn: None,
            dirty: false,
        })
    }

    /// Takes an emitted epoch; `current` is the recommendation set after it.
    pub fn epoch(
        &mut self,
        epoch: u64,
        changes: &[Change],
        summary: &Summary,
        current: &[(Node, Node, f64)],
    ) -> Result<(), FileError> {
        self.history.push_epoch(epoch, changes, summary);
        self.current.clear();
        self.current.extend_from_slice(current);
        self.dirty = true;
        if self.due() {
            self.draw()?;
        }
        Ok(())
    }

    /// Whether enough time has passed since the last drawing to draw again.
    fn due(&self) -> bool {
        self.drawn
            .is_none_or(|(at, took)| at.elapsed() >= REFRESH.max(took * SLACK))
    }

    /// Draws the page if an epoch came since it was last drawn and it is due.
    pub fn idle(&mut self) -> Result<(), FileError> {
        if self.dirty && self.due() {
            self.draw()?;
        }
        Ok(())
    }

    /// Draws the page if an epoch came since it was last drawn.
    pub fn flush(&mut self) -> Result<(), FileError> {
        if self.dirty {
            self.draw()?;
        }
        Ok(())
    }

    fn draw(&mut self) -> Result<(), FileError> {
        let start = Instant::now();
        let html = page::render(
            &self.history,
            &Page {
                title: &self.dir.display().to_string(),
                epsilon: self.epsilon,
                current: &self.current,
                reload: Some(10),
            },
        );
        replace(&self.dir, &html)?;
        self.drawn = Some((Instant::now(), start.elapsed()));
        self.dirty = false;
        Ok(())
    }
}

/// The current set as the change log leaves it.
fn replayed(history: &History) -> Vec<(Node, Node, f64)> {
    history
        .current
        .iter()
        .map(|(&(a, f), &g)| (a, f, g))
        .collect()
}

/// Replaces `dir/report.html` with `html`, atomically.
fn replace(dir: &Path, html: &str) -> Result<(), FileError> {
    replace_for_readers(&dir.join(FILE), html.as_bytes())
}
