//! The report page, `DIR/report.html`: how a run's spread, bounds, certificate, θ, latency and
//! churn moved over its epochs, and who is to invite whom now, in one self-contained HTML file
//! (see [`page`]).
//!
//! `cimflow report DIR` writes it from `DIR/changes.jsonl` ([`write_from_log`]); a run with an
//! output directory keeps it current as it goes ([`Refresher`]). Either way the file is replaced
//! atomically (written to `report.html.tmp`, then renamed over), so a browser reloading it sees
//! the previous page or the new one. It is not fsynced: a crash that loses the latest page loses
//! nothing that the next refresh (or `cimflow report`) does not write again.

pub mod history;
pub mod page;
pub mod plots;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use history::History;
use page::Page;

use crate::model::Node;
use crate::output::{Change, Summary};

/// A run in progress refreshes its page at most this often; a page that takes a few
/// milliseconds to draw then costs a run well under 1% of its time, however short its epochs.
pub const REFRESH: Duration = Duration::from_secs(1);

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
pub fn write_from_log(dir: &Path, epsilon: f64) -> io::Result<Written> {
    let log = dir.join("changes.jsonl");
    if !log.exists() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!(
                "{}: no change log (was it a run with --output?)",
                log.display()
            ),
        ));
    }
    let history = History::read(&log)?;
    let current = match read_recommendations(&dir.join("recommendations.tsv")) {
        Some(current) => current,
        None => replayed(&history),
    };
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
/// when [`REFRESH`] has passed since the last time, and on [`Refresher::flush`].
pub struct Refresher {
    dir: PathBuf,
    epsilon: f64,
    history: History,
    current: Vec<(Node, Node, f64)>,
    drawn: Option<Instant>,
    /// Epochs taken since the page was last drawn.
    dirty: bool,
}

impl Refresher {
    /// Starts from what `dir/changes.jsonl` holds already (a resumed follower's earlier epochs).
    pub fn open(dir: &Path, epsilon: f64) -> io::Result<Refresher> {
        let history = History::read(&dir.join("changes.jsonl"))?;
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
    ) -> io::Result<()> {
        self.history.push_epoch(epoch, changes, summary);
        self.current.clear();
        self.current.extend_from_slice(current);
        self.dirty = true;
        if self.drawn.is_none_or(|t| t.elapsed() >= REFRESH) {
            self.draw()?;
        }
        Ok(())
    }

    /// Draws the page if an epoch came since it was last drawn.
    pub fn flush(&mut self) -> io::Result<()> {
        if self.dirty {
            self.draw()?;
        }
        Ok(())
    }

    fn draw(&mut self) -> io::Result<()> {
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
        self.drawn = Some(Instant::now());
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

/// `recommendations.tsv` as `crate::output` writes it; `None` when it is missing or is not one.
fn read_recommendations(path: &Path) -> Option<Vec<(Node, Node, f64)>> {
    let text = fs::read_to_string(path).ok()?;
    let mut lines = text.lines();
    if lines.next()? != "adopter\tfriend\tgain" {
        return None;
    }
    lines
        .map(|l| {
            let mut cols = l.split('\t');
            let a = cols.next()?.parse().ok()?;
            let f = cols.next()?.parse().ok()?;
            let g = cols.next()?.parse().ok()?;
            Some((a, f, g))
        })
        .collect()
}

/// Replaces `dir/report.html` with `html`, atomically.
fn replace(dir: &Path, html: &str) -> io::Result<()> {
    let tmp = dir.join("report.html.tmp");
    fs::write(&tmp, html)?;
    fs::rename(&tmp, dir.join("report.html"))
}
