//! Output: what changed after each epoch, on stdout and optionally in an output directory
//! (SPEC §5).
//!
//! # On stdout
//!
//! Every epoch is written as one block, in one write followed by one flush, so that a reader
//! tailing the output only ever sees whole epochs. Progress and statistics never come here: they go
//! to stderr.
//!
//! **JSON Lines** (`--format jsonl`, the default): one record per change, in the order the caller
//! gives them, then one summary record:
//!
//! ```text
//! {"epoch":7,"op":"-","adopter":12,"friend":40,"gain":3.5}
//! {"epoch":7,"op":"+","adopter":12,"friend":41,"gain":4.25}
//! {"epoch":7,"summary":{"time":1700000123.0,"events":100,"skipped":0,...,"latency_ms":1.8}}
//! ```
//!
//! `op` is `-` for a withdrawn recommendation (its `gain` is the one it had when emitted) and `+`
//! for a new one. The summary carries every field of [`Summary`], in declaration order. Numbers are
//! serde_json's: integers exactly, floats in their shortest round-tripping form, and a float that is
//! not finite (a ratio with a zero upper bound, say) as `null`, since JSON has no NaN.
//!
//! **TSV** (`--format tsv`), for shell pipelines: no header; one line per change and one summary
//! line, tab separated (`\t` below stands for a tab):
//!
//! ```text
//! 7\t-\t12\t40\t3.5
//! 7\t+\t12\t41\t4.25
//! 7\tsummary\ttime=1700000123.0\tevents=100\tskipped=0\t...\tlatency_ms=1.8
//! ```
//!
//! A change line is `epoch op adopter friend gain`; the summary line is the epoch, the word
//! `summary`, then `key=value` for every field of [`Summary`] in the JSON order. Floats are written
//! as in the JSON form, except that a missing time is empty (`time=`) and non-finite values are
//! `nan`, `inf` and `-inf`. So `awk -F'\t' '$2 != "summary"'` keeps the changes and
//! `awk -F'\t' '$2 == "summary"'` the summaries.
//!
//! # In the output directory (`--out DIR`)
//!
//! - `DIR/changes.jsonl`: the change log, appended to, always JSON Lines whatever the stdout format
//!   (the records above). Each epoch is appended with one write. A torn last line left by a crash
//!   is cut off when the log is reopened, so that the file stays valid JSON Lines.
//! - `DIR/recommendations.tsv`: the complete current recommendation set, header
//!   `adopter<TAB>friend<TAB>gain`, then one line per recommendation. It is replaced atomically
//!   after every epoch (written to `recommendations.tsv.tmp`, synced, renamed over, and the
//!   directory synced), so a reader sees the previous set or the new one, never half a file.
//!
//! A closed stdout (the reader went away, as in `cimflow run ... | head`) is
//! [`OutputError::Closed`]: the caller stops quietly with exit status 0.
//!
//! # Resuming
//!
//! A follower that checkpoints calls [`Output::sync`] before recording each epoch, so the change
//! log on disk always reaches at least the checkpoint's epoch. It may reach further (the process
//! can die between the two), so on a restart [`cut_log_after`] drops the records of epochs after
//! the checkpoint's before the log is reopened: they are emitted again, identically, by the
//! resumed run, and the log holds every epoch exactly once. [`Output::restore_current`] puts the
//! checkpoint's recommendation set back into `recommendations.tsv` meanwhile.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, ErrorKind, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

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

/// Why an epoch could not be emitted.
#[derive(thiserror::Error, Debug)]
pub enum OutputError {
    /// The reader of stdout went away; stop quietly.
    #[error("output closed")]
    Closed,
    /// Writing `path` failed.
    #[error("{path}: {source}")]
    Io {
        /// The file (or `<stdout>`) being written.
        path: String,
        /// What went wrong.
        source: io::Error,
    },
}

/// The sink of every epoch's changes and summary: stdout (or any writer) and, optionally, an
/// output directory.
pub struct Output {
    format: Format,
    /// No `BufWriter` around it: each epoch is prepared in memory and handed over in one write.
    sink: Box<dyn Write + Send>,
    sink_name: &'static str,
    dir: Option<Dir>,
    closed: bool,
    /// An epoch's records, kept across epochs to save reallocating.
    json: Vec<u8>,
    tsv: Vec<u8>,
}

struct Dir {
    path: PathBuf,
    log: File,
    log_path: PathBuf,
    recs: PathBuf,
    tmp: PathBuf,
}

impl Output {
    /// Data to stdout and, with `dir`, to the output directory (created if missing).
    pub fn new(format: Format, dir: Option<&Path>) -> Result<Self, OutputError> {
        // `Stdout` rather than `StdoutLock`: the lock is not `Send`, and a whole epoch goes out in
        // one `write_all` anyway.
        Self::build(format, Box::new(io::stdout()), "<stdout>", dir)
    }

    /// Data to `w` instead of stdout (tests, other sinks); `dir` as in [`Output::new`].
    pub fn with_writer(
        format: Format,
        w: Box<dyn Write + Send>,
        dir: Option<&Path>,
    ) -> Result<Self, OutputError> {
        Self::build(format, w, "<output>", dir)
    }

    fn build(
        format: Format,
        sink: Box<dyn Write + Send>,
        sink_name: &'static str,
        dir: Option<&Path>,
    ) -> Result<Self, OutputError> {
        let dir = dir.map(Dir::open).transpose()?;
        Ok(Output {
            format,
            sink,
            sink_name,
            dir,
            closed: false,
            json: Vec::new(),
            tsv: Vec::new(),
        })
    }

    /// Emits one epoch: `changes` in the order given, then `summary`; with an output directory,
    /// also appends them to the change log and replaces the current set with `current`
    /// (adopter, friend, gain), written in the order given.
    ///
    /// The directory is written before stdout, so that a caller stopping on
    /// [`OutputError::Closed`] leaves it complete up to this epoch. Once closed, stays closed.
    pub fn emit_epoch(
        &mut self,
        epoch: u64,
        changes: &[Change],
        summary: &Summary,
        current: &[(Node, Node, f64)],
    ) -> Result<(), OutputError> {
        if self.closed {
            return Err(OutputError::Closed);
        }
        // The JSON records serve the change log and, in JSON mode, stdout too.
        self.json.clear();
        if self.dir.is_some() || self.format == Format::Jsonl {
            write_jsonl(&mut self.json, epoch, changes, summary);
        }
        if let Some(dir) = &mut self.dir {
            dir.append_log(&self.json)?;
            dir.replace_recommendations(current)?;
        }
        let data = match self.format {
            Format::Jsonl => &self.json,
            Format::Tsv => {
                self.tsv.clear();
                write_tsv(&mut self.tsv, epoch, changes, summary);
                &self.tsv
            }
        };
        let sent = self.sink.write_all(data).and_then(|()| self.sink.flush());
        match sent {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::BrokenPipe => {
                self.closed = true;
                Err(OutputError::Closed)
            }
            Err(e) => Err(io_err(self.sink_name, e)),
        }
    }
}

impl Output {
    /// Makes the change log durable (fsync) up to the last epoch emitted. A no-op without an
    /// output directory.
    pub fn sync(&mut self) -> Result<(), OutputError> {
        match &self.dir {
            Some(dir) => dir.log.sync_data().map_err(|e| io_err(&dir.log_path, e)),
            None => Ok(()),
        }
    }

    /// Replaces `recommendations.tsv` with `current` (adopter, friend, gain) without emitting an
    /// epoch: a resumed run puts back the set of its checkpoint. A no-op without a directory.
    pub fn restore_current(&mut self, current: &[(Node, Node, f64)]) -> Result<(), OutputError> {
        match &self.dir {
            Some(dir) => dir.replace_recommendations(current),
            None => Ok(()),
        }
    }
}

/// The length of `DIR/changes.jsonl` (0 when missing), after cutting it back to `at_most` bytes
/// when it is longer: a follower's first start that crashed leaves what it wrote after that.
pub fn cut_log_to(dir: &Path, at_most: Option<u64>) -> Result<u64, OutputError> {
    let path = dir.join("changes.jsonl");
    let len = match fs::metadata(&path) {
        Ok(m) => m.len(),
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(io_err(&path, e)),
    };
    match at_most {
        Some(keep) if keep < len => {
            let f = OpenOptions::new()
                .write(true)
                .open(&path)
                .map_err(|e| io_err(&path, e))?;
            f.set_len(keep)
                .and_then(|()| f.sync_all())
                .map_err(|e| io_err(&path, e))?;
            Ok(keep)
        }
        _ => Ok(len),
    }
}

/// What [`cut_log_after`] found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LogCut {
    /// The epoch of the last record kept, if any record is left.
    pub last_epoch: Option<u64>,
    /// Records of later epochs dropped (a torn last line counts as one).
    pub dropped: u64,
}

/// Drops from `DIR/changes.jsonl` every record of an epoch after `epoch`, and a torn last line,
/// by scanning back from the end (records are in epoch order, and at most a few epochs lie past
/// a checkpoint, so this reads little of a long log). A line that is not a record of ours stops
/// the scan and is kept. A missing log is left missing.
pub fn cut_log_after(dir: &Path, epoch: u64) -> Result<LogCut, OutputError> {
    let path = dir.join("changes.jsonl");
    let mut f = match OpenOptions::new().read(true).write(true).open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(LogCut::default()),
        Err(e) => return Err(io_err(&path, e)),
    };
    #[derive(serde::Deserialize)]
    struct Record {
        epoch: u64,
    }
    let len = f.metadata().map_err(|e| io_err(&path, e))?.len();
    let mut cut = LogCut::default();
    let mut keep = len;
    lines_backward(
        &mut f,
        len,
        |start, line, terminated| match serde_json::from_slice::<Record>(line) {
            Ok(r) if terminated && r.epoch <= epoch => {
                cut.last_epoch = Some(r.epoch);
                false
            }
            Ok(_) => {
                keep = start;
                cut.dropped += 1;
                true
            }
            Err(_) if !terminated => {
                keep = start;
                cut.dropped += 1;
                true
            }
            Err(_) => false,
        },
    )
    .map_err(|e| io_err(&path, e))?;
    if keep < len {
        f.set_len(keep)
            .and_then(|()| f.sync_all())
            .map_err(|e| io_err(&path, e))?;
    }
    Ok(cut)
}

/// Calls `visit(start, line, terminated)` on the lines of `f` (of length `len`), last first,
/// without their `\n`, until it returns false; `terminated` is false only for a last line with no
/// newline. Reads back a chunk at a time.
fn lines_backward(
    f: &mut File,
    len: u64,
    mut visit: impl FnMut(u64, &[u8], bool) -> bool,
) -> io::Result<()> {
    const CHUNK: u64 = 64 * 1024;
    // `line` holds the bytes [pos, end) of the line being gathered, the part read so far.
    let mut pos = len;
    let mut line: Vec<u8> = Vec::new();
    let mut terminated = true;
    let mut first = true;
    while pos > 0 {
        let start = pos.saturating_sub(CHUNK);
        let mut chunk = vec![0u8; (pos - start) as usize];
        f.seek(SeekFrom::Start(start))?;
        f.read_exact(&mut chunk)?;
        if first {
            first = false;
            if chunk.last() == Some(&b'\n') {
                chunk.pop();
            } else {
                terminated = false;
            }
        }
        chunk.extend_from_slice(&line);
        line = chunk;
        pos = start;
        while let Some(i) = line.iter().rposition(|&b| b == b'\n') {
            if !visit(pos + i as u64 + 1, &line[i + 1..], terminated) {
                return Ok(());
            }
            terminated = true;
            line.truncate(i);
        }
    }
    if len > 0 {
        visit(0, &line, terminated);
    }
    Ok(())
}

impl Dir {
    fn open(path: &Path) -> Result<Dir, OutputError> {
        fs::create_dir_all(path).map_err(|e| io_err(path, e))?;
        let log_path = path.join("changes.jsonl");
        let log = open_log(&log_path).map_err(|e| io_err(&log_path, e))?;
        Ok(Dir {
            path: path.to_path_buf(),
            log,
            log_path,
            recs: path.join("recommendations.tsv"),
            tmp: path.join("recommendations.tsv.tmp"),
        })
    }

    fn append_log(&mut self, records: &[u8]) -> Result<(), OutputError> {
        // Not fsynced: the log is for readers following along, and an fsync per epoch would
        // dominate small epochs. A crash may lose its tail, which `open_log` then tidies.
        self.log
            .write_all(records)
            .and_then(|()| self.log.flush())
            .map_err(|e| io_err(&self.log_path, e))
    }

    fn replace_recommendations(&self, current: &[(Node, Node, f64)]) -> Result<(), OutputError> {
        let mut text = Vec::with_capacity(16 + 32 * current.len());
        text.extend_from_slice(b"adopter\tfriend\tgain\n");
        for &(adopter, friend, gain) in current {
            write!(text, "{adopter}\t{friend}\t").expect("writing to memory");
            write_tsv_float(&mut text, gain);
            text.push(b'\n');
        }
        // `File::create` truncates a `.tmp` left over by a crash; a reader never looks at it.
        let written = File::create(&self.tmp).and_then(|mut f| {
            f.write_all(&text)?;
            f.sync_all()
        });
        written.map_err(|e| io_err(&self.tmp, e))?;
        fs::rename(&self.tmp, &self.recs).map_err(|e| io_err(&self.recs, e))?;
        sync_dir(&self.path).map_err(|e| io_err(&self.path, e))
    }
}

/// Opens the change log for appending, first cutting off a torn last line (one without its
/// newline) that a crash mid-write may have left, so that the next record starts a line of its own.
fn open_log(path: &Path) -> io::Result<File> {
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .read(true)
        .open(path)?;
    let len = f.metadata()?.len();
    if len == 0 {
        return Ok(f);
    }
    // Scan back from the end for the last newline, a chunk at a time.
    let mut chunk = vec![0u8; 64 * 1024];
    let mut end = len;
    let keep = loop {
        let start = end.saturating_sub(chunk.len() as u64);
        let part = &mut chunk[..(end - start) as usize];
        f.seek(SeekFrom::Start(start))?;
        f.read_exact(part)?;
        if end == len && part.last() == Some(&b'\n') {
            return Ok(f);
        }
        if let Some(i) = part.iter().rposition(|&b| b == b'\n') {
            break start + i as u64 + 1;
        }
        if start == 0 {
            break 0;
        }
        end = start;
    };
    f.set_len(keep)?;
    Ok(f)
}

/// Makes a rename in `dir` durable; on other systems than Unix a directory cannot be opened this
/// way, and this does nothing.
#[cfg(unix)]
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// See the Unix version.
#[cfg(not(unix))]
pub(crate) fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

fn io_err(path: impl AsRef<Path>, source: io::Error) -> OutputError {
    OutputError::Io {
        path: path.as_ref().display().to_string(),
        source,
    }
}

#[derive(Serialize)]
struct ChangeRecord<'a> {
    epoch: u64,
    op: &'a str,
    adopter: Node,
    friend: Node,
    gain: f64,
}

#[derive(Serialize)]
struct SummaryRecord<'a> {
    epoch: u64,
    summary: &'a Summary,
}

// Serialising these plain structs into a `Vec` cannot fail (serde_json writes non-finite floats as
// `null` rather than erring), hence the `expect`s below.
const IN_MEMORY: &str = "serialising to memory cannot fail";

fn write_jsonl(buf: &mut Vec<u8>, epoch: u64, changes: &[Change], summary: &Summary) {
    for c in changes {
        let rec = ChangeRecord {
            epoch,
            op: c.op,
            adopter: c.adopter,
            friend: c.friend,
            gain: c.gain,
        };
        serde_json::to_writer(&mut *buf, &rec).expect(IN_MEMORY);
        buf.push(b'\n');
    }
    serde_json::to_writer(&mut *buf, &SummaryRecord { epoch, summary }).expect(IN_MEMORY);
    buf.push(b'\n');
}

fn write_tsv(buf: &mut Vec<u8>, epoch: u64, changes: &[Change], s: &Summary) {
    for c in changes {
        write!(buf, "{epoch}\t{}\t{}\t{}\t", c.op, c.adopter, c.friend).expect(IN_MEMORY);
        write_tsv_float(buf, c.gain);
        buf.push(b'\n');
    }
    write!(buf, "{epoch}\tsummary\ttime=").expect(IN_MEMORY);
    if let Some(t) = s.time {
        write_tsv_float(buf, t);
    }
    // Keep in step with the fields of `Summary` (a test checks the keys against the JSON form).
    let ints: [(&str, i128); 11] = [
        ("events", s.events.into()),
        ("skipped", s.skipped.into()),
        ("noops", s.noops.into()),
        ("absent", s.absent.into()),
        ("self_loops", s.self_loops.into()),
        ("nodes", s.nodes as i128),
        ("adopters", s.adopters as i128),
        ("selected", s.selected as i128),
        ("level", s.level.into()),
        ("theta", s.theta as i128),
        ("theta2", s.theta2 as i128),
    ];
    for (key, value) in ints {
        write!(buf, "\t{key}={value}").expect(IN_MEMORY);
    }
    for (key, value) in [
        ("spread", s.spread),
        ("lower", s.lower),
        ("upper", s.upper),
        ("ratio", s.ratio),
    ] {
        write!(buf, "\t{key}=").expect(IN_MEMORY);
        write_tsv_float(buf, value);
    }
    write!(buf, "\tcertified={}\tlatency_ms=", s.certified).expect(IN_MEMORY);
    write_tsv_float(buf, s.latency_ms);
    buf.push(b'\n');
}

/// A float as serde_json writes it (so the TSV and JSON forms agree), or `nan`, `inf`, `-inf`.
fn write_tsv_float(buf: &mut Vec<u8>, x: f64) {
    if x.is_finite() {
        serde_json::to_writer(buf, &x).expect(IN_MEMORY);
    } else if x.is_nan() {
        buf.extend_from_slice(b"nan");
    } else if x > 0.0 {
        buf.extend_from_slice(b"inf");
    } else {
        buf.extend_from_slice(b"-inf");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use std::sync::{Arc, Mutex};

    /// A writer whose bytes, writes and flushes the test can still see after handing it over.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Log>>);

    #[derive(Default)]
    struct Log {
        bytes: Vec<u8>,
        writes: usize,
        flushes: usize,
    }

    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            let mut log = self.0.lock().unwrap();
            log.bytes.extend_from_slice(b);
            log.writes += 1;
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            self.0.lock().unwrap().flushes += 1;
            Ok(())
        }
    }

    impl Shared {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().bytes.clone()).unwrap()
        }
    }

    /// A writer that fails every write with `kind`.
    struct Failing(ErrorKind);

    impl Write for Failing {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::new(self.0, "nope"))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn summary() -> Summary {
        Summary {
            time: Some(1_700_000_123.0),
            events: 100,
            skipped: 2,
            noops: 3,
            absent: 1,
            self_loops: 0,
            nodes: 400,
            adopters: 5,
            selected: 9,
            level: -3,
            theta: 50,
            theta2: 50,
            spread: 12.5,
            lower: 10.25,
            upper: 20.0,
            ratio: 0.5125,
            certified: true,
            latency_ms: 1.75,
        }
    }

    fn changes() -> Vec<Change> {
        vec![
            Change {
                op: "-",
                adopter: 12,
                friend: 40,
                gain: 3.5,
            },
            Change {
                op: "+",
                adopter: 12,
                friend: 41,
                gain: 4.25,
            },
        ]
    }

    #[test]
    fn format_names() {
        assert_eq!("jsonl".parse::<Format>(), Ok(Format::Jsonl));
        assert_eq!("tsv".parse::<Format>(), Ok(Format::Tsv));
        assert!("csv".parse::<Format>().is_err());
        assert_eq!(Format::Tsv.to_string(), "tsv");
    }

    #[test]
    fn jsonl_records_have_the_documented_shape() {
        let w = Shared::default();
        let mut out = Output::with_writer(Format::Jsonl, Box::new(w.clone()), None).unwrap();
        out.emit_epoch(7, &changes(), &summary(), &[]).unwrap();
        let text = w.text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        // Exact text, key order included.
        assert_eq!(
            lines[0],
            r#"{"epoch":7,"op":"-","adopter":12,"friend":40,"gain":3.5}"#
        );
        assert_eq!(
            lines[1],
            r#"{"epoch":7,"op":"+","adopter":12,"friend":41,"gain":4.25}"#
        );
        let rec: Value = serde_json::from_str(lines[2]).unwrap();
        assert_eq!(rec["epoch"], 7);
        assert_eq!(rec.as_object().unwrap().len(), 2);
        assert_eq!(rec["summary"], serde_json::to_value(summary()).unwrap());
        assert_eq!(rec["summary"]["time"], 1_700_000_123.0);
        assert_eq!(rec["summary"]["level"], -3);
        assert_eq!(rec["summary"]["certified"], true);
        assert!(lines[2].starts_with(r#"{"epoch":7,"summary":{"time":"#));
    }

    #[test]
    fn missing_time_and_non_finite_floats_are_null_in_json() {
        let w = Shared::default();
        let mut out = Output::with_writer(Format::Jsonl, Box::new(w.clone()), None).unwrap();
        let s = Summary {
            time: None,
            ratio: f64::NAN,
            ..summary()
        };
        out.emit_epoch(0, &[], &s, &[]).unwrap();
        let rec: Value = serde_json::from_str(w.text().trim_end()).unwrap();
        assert!(rec["summary"]["time"].is_null());
        assert!(rec["summary"]["ratio"].is_null());
    }

    #[test]
    fn tsv_lines_have_the_documented_shape() {
        let w = Shared::default();
        let mut out = Output::with_writer(Format::Tsv, Box::new(w.clone()), None).unwrap();
        out.emit_epoch(7, &changes(), &summary(), &[]).unwrap();
        let text = w.text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            vec![
                "7\t-\t12\t40\t3.5",
                "7\t+\t12\t41\t4.25",
                "7\tsummary\ttime=1700000123.0\tevents=100\tskipped=2\tnoops=3\tabsent=1\t\
                 self_loops=0\tnodes=400\tadopters=5\tselected=9\tlevel=-3\ttheta=50\ttheta2=50\t\
                 spread=12.5\tlower=10.25\tupper=20.0\tratio=0.5125\tcertified=true\t\
                 latency_ms=1.75",
            ]
        );
    }

    #[test]
    fn tsv_summary_keys_match_the_json_summary() {
        let w = Shared::default();
        let mut out = Output::with_writer(Format::Tsv, Box::new(w.clone()), None).unwrap();
        let s = Summary {
            time: None,
            upper: 0.0,
            ratio: f64::INFINITY,
            ..summary()
        };
        out.emit_epoch(1, &[], &s, &[]).unwrap();
        let text = w.text();
        let fields: Vec<&str> = text.trim_end().split('\t').skip(2).collect();
        let mut keys: Vec<&str> = fields
            .iter()
            .map(|f| f.split('=').next().unwrap())
            .collect();
        assert!(fields.contains(&"time="));
        assert!(fields.contains(&"ratio=inf"));
        let json = serde_json::to_value(&s).unwrap();
        // serde_json's map sorts its keys.
        let json_keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        keys.sort_unstable();
        assert_eq!(keys, json_keys);
    }

    #[test]
    fn each_epoch_is_one_write_and_one_flush() {
        let w = Shared::default();
        let mut out = Output::with_writer(Format::Jsonl, Box::new(w.clone()), None).unwrap();
        for epoch in 0..3 {
            out.emit_epoch(epoch, &changes(), &summary(), &[]).unwrap();
        }
        let log = w.0.lock().unwrap();
        assert_eq!((log.writes, log.flushes), (3, 3));
    }

    #[test]
    fn broken_pipe_is_closed_and_stays_closed() {
        let mut out = Output::with_writer(
            Format::Jsonl,
            Box::new(Failing(ErrorKind::BrokenPipe)),
            None,
        )
        .unwrap();
        let first = out.emit_epoch(0, &changes(), &summary(), &[]);
        assert!(matches!(first, Err(OutputError::Closed)), "{first:?}");
        let again = out.emit_epoch(1, &[], &summary(), &[]);
        assert!(matches!(again, Err(OutputError::Closed)), "{again:?}");
    }

    #[test]
    fn other_write_errors_name_the_sink() {
        let mut out =
            Output::with_writer(Format::Tsv, Box::new(Failing(ErrorKind::Other)), None).unwrap();
        match out.emit_epoch(0, &[], &summary(), &[]) {
            Err(e @ OutputError::Io { .. }) => assert!(e.to_string().starts_with("<output>: ")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn directory_gets_the_json_log_and_the_current_set() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a/b");
        let w = Shared::default();
        // TSV on stdout; the change log is JSON regardless.
        let mut out = Output::with_writer(Format::Tsv, Box::new(w.clone()), Some(&dir)).unwrap();
        out.emit_epoch(1, &changes()[1..], &summary(), &[(12, 41, 4.25)])
            .unwrap();
        out.emit_epoch(2, &[], &summary(), &[(12, 41, 4.25), (3, 5, 0.5)])
            .unwrap();
        drop(out);

        let recs = fs::read_to_string(dir.join("recommendations.tsv")).unwrap();
        assert_eq!(recs, "adopter\tfriend\tgain\n12\t41\t4.25\n3\t5\t0.5\n");
        assert!(!dir.join("recommendations.tsv.tmp").exists());

        // Reopening appends rather than truncating.
        let mut out = Output::with_writer(Format::Jsonl, Box::new(w), Some(&dir)).unwrap();
        out.emit_epoch(3, &[], &summary(), &[]).unwrap();
        let log = fs::read_to_string(dir.join("changes.jsonl")).unwrap();
        let records: Vec<Value> = log
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let epochs: Vec<u64> = records
            .iter()
            .map(|r| r["epoch"].as_u64().unwrap())
            .collect();
        assert_eq!(epochs, vec![1, 1, 2, 3]);
        assert_eq!(records[0]["op"], "+");
        assert!(records[1]["summary"].is_object());
        let recs = fs::read_to_string(dir.join("recommendations.tsv")).unwrap();
        assert_eq!(recs, "adopter\tfriend\tgain\n");
    }

    #[test]
    fn a_torn_log_tail_is_cut_off_on_reopening() {
        let tmp = tempfile::tempdir().unwrap();
        let log = tmp.path().join("changes.jsonl");
        fs::write(
            &log,
            "{\"epoch\":1,\"summary\":{}}\n{\"epoch\":2,\"op\":\"+\",\"adop",
        )
        .unwrap();
        let mut out =
            Output::with_writer(Format::Jsonl, Box::new(io::sink()), Some(tmp.path())).unwrap();
        out.emit_epoch(2, &[], &summary(), &[]).unwrap();
        let text = fs::read_to_string(&log).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0], "{\"epoch\":1,\"summary\":{}}");
        assert!(serde_json::from_str::<Value>(lines[1]).is_ok());

        // A log that is one torn line and nothing else is emptied.
        fs::write(&log, vec![b'x'; 200_000]).unwrap();
        drop(open_log(&log).unwrap());
        assert_eq!(fs::metadata(&log).unwrap().len(), 0);
    }

    /// After a restart the change log holds each epoch exactly once: records past the checkpoint
    /// and a torn tail go, everything up to the checkpoint stays.
    #[test]
    fn the_log_is_cut_back_to_the_checkpoint() {
        let tmp = tempfile::tempdir().unwrap();
        let log = tmp.path().join("changes.jsonl");
        let record = |e: u64| format!("{{\"epoch\":{e},\"summary\":{{}}}}\n");
        let change = |e: u64| {
            format!("{{\"epoch\":{e},\"op\":\"+\",\"adopter\":1,\"friend\":2,\"gain\":1.0}}\n")
        };
        let text: String = (0..5).map(|e| change(e) + &record(e)).collect();
        fs::write(&log, format!("{text}{{\"epoch\":5,\"op")).unwrap();
        let cut = cut_log_after(tmp.path(), 3).unwrap();
        assert_eq!(
            cut,
            LogCut {
                last_epoch: Some(3),
                dropped: 3
            }
        );
        let want: String = (0..4).map(|e| change(e) + &record(e)).collect();
        assert_eq!(fs::read_to_string(&log).unwrap(), want);
        // Nothing past the checkpoint: nothing changes.
        assert_eq!(cut_log_after(tmp.path(), 3).unwrap().dropped, 0);
        // Everything past it, over more than one chunk.
        let big: String = (0..3000).map(|_| change(7)).collect();
        fs::write(&log, format!("{want}{big}")).unwrap();
        let cut = cut_log_after(tmp.path(), 3).unwrap();
        assert_eq!((cut.last_epoch, cut.dropped), (Some(3), 3000));
        assert_eq!(fs::read_to_string(&log).unwrap(), want);
        // A log of nothing but later epochs is emptied; a missing one stays missing.
        let cut = cut_log_after(tmp.path(), 0).unwrap();
        assert_eq!(
            cut,
            LogCut {
                last_epoch: Some(0),
                dropped: 6
            }
        );
        fs::write(&log, record(4)).unwrap();
        assert_eq!(cut_log_after(tmp.path(), 2).unwrap().last_epoch, None);
        assert_eq!(fs::metadata(&log).unwrap().len(), 0);
        fs::remove_file(&log).unwrap();
        assert_eq!(cut_log_after(tmp.path(), 2).unwrap(), LogCut::default());
        assert!(!log.exists());
    }

    #[test]
    fn readers_only_ever_see_a_whole_recommendation_file() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        let mut out = Output::with_writer(Format::Jsonl, Box::new(io::sink()), Some(&dir)).unwrap();
        // A leftover from a crashed run does not matter.
        fs::write(dir.join("recommendations.tsv.tmp"), "garbage").unwrap();
        // Big enough (≈ 100 KB) that a non-atomic rewrite would be caught half done.
        let current: Vec<(Node, Node, f64)> =
            (0..5_000).map(|i| (i, i + 1_000_000, 0.125)).collect();
        out.emit_epoch(0, &[], &summary(), &current).unwrap();

        let path = dir.join("recommendations.tsv");
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let reader = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut reads = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let text = fs::read_to_string(&path).unwrap();
                    let n = text.lines().count();
                    assert!(text.starts_with("adopter\tfriend\tgain\n"));
                    assert!(text.ends_with('\n'));
                    // Either set, never a mixture or a prefix.
                    assert!(n == 5_001 || n == 2_501, "{n} lines");
                    reads += 1;
                }
                reads
            })
        };
        for epoch in 1..40 {
            let len = if epoch % 2 == 0 { 5_000 } else { 2_500 };
            out.emit_epoch(epoch, &[], &summary(), &current[..len])
                .unwrap();
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        assert!(reader.join().unwrap() > 0);
    }
}
