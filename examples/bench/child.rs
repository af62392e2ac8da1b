//! `cimflow run` as a child process: its per-epoch summaries from stdout, its wall time, and its
//! peak memory from `--report-memory` (VmHWM, printed on stderr at exit). Running each measured
//! configuration in a process of its own is what makes peak memories comparable.
//!
//! Stdout is read as it comes, so that the moment epoch 0's summary arrives (each epoch is one
//! flushed write) times the cold start (read, load, sample, select, emit) within a run that goes
//! on with events, and the child's VmHWM read from /proc at that moment is the cold start's peak.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, bail};
use serde::Deserialize;

/// The summary fields the benchmark reads.
#[derive(Clone, Debug, Deserialize)]
pub struct Summary {
    /// Events in the epoch's batch.
    pub events: u64,
    /// Nodes in the graph.
    pub nodes: usize,
    /// |R1|.
    pub theta: usize,
    /// The spread estimate of the selection.
    #[serde(default)]
    pub spread: f64,
    /// Milliseconds the epoch took.
    pub latency_ms: f64,
    /// Additions of what already existed, so far.
    #[serde(default)]
    pub noops: u64,
    /// Removals of what was absent, so far.
    #[serde(default)]
    pub absent: u64,
}

#[derive(Deserialize)]
struct Record {
    summary: Option<Summary>,
}

/// One finished run.
#[derive(Clone, Debug)]
pub struct Run {
    /// The summaries, epoch 0 first.
    pub summaries: Vec<Summary>,
    /// Seconds from spawn to exit: reading the input included.
    pub wall_s: f64,
    /// The child's peak resident memory, kB.
    pub peak_kb: u64,
    /// Seconds from spawn to epoch 0's summary on stdout.
    pub first_s: f64,
    /// The child's peak resident memory when epoch 0's summary arrived, kB (None without /proc).
    pub first_peak_kb: Option<u64>,
}

impl Run {
    /// The latencies of epochs 1.. (epoch 0 is the cold start).
    pub fn incremental_ms(&self) -> Vec<f64> {
        self.summaries
            .iter()
            .skip(1)
            .map(|s| s.latency_ms)
            .collect()
    }
}

/// The cimflow binary the benchmark measures.
pub struct Cimflow {
    /// Its path.
    pub bin: PathBuf,
}

impl Cimflow {
    /// Runs `cimflow run <args> --report-memory` to completion and gathers what it reported.
    pub fn run(&self, args: &[String]) -> anyhow::Result<Run> {
        let started = Instant::now();
        let mut child = Command::new(&self.bin)
            .arg("run")
            .args(args)
            .arg("--report-memory")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting {}", self.bin.display()))?;
        // Drained on a thread of its own so that a chatty stderr cannot block the child.
        let mut stderr = child.stderr.take().context("no stderr pipe")?;
        let errors = std::thread::spawn(move || {
            let mut text = String::new();
            stderr.read_to_string(&mut text).map(|_| text)
        });
        let stdout = BufReader::new(child.stdout.take().context("no stdout pipe")?);
        let (mut summaries, mut first) = (Vec::new(), None);
        for line in stdout.lines() {
            let line = line.context("reading the child's stdout")?;
            // Recommendation lines far outnumber summaries; only summaries are parsed.
            if !line.contains("\"summary\"") {
                continue;
            }
            let rec: Record = serde_json::from_str(&line).context("a stdout line is not JSON")?;
            if let Some(summary) = rec.summary {
                if first.is_none() {
                    first = Some((started.elapsed().as_secs_f64(), vm_hwm_kb(child.id())));
                }
                summaries.push(summary);
            }
        }
        let status = child.wait()?;
        let wall_s = started.elapsed().as_secs_f64();
        let stderr = errors
            .join()
            .map_err(|_| anyhow::anyhow!("the stderr reader panicked"))??;
        if !status.success() {
            bail!("cimflow run {} failed: {status}\n{stderr}", args.join(" "));
        }
        let peak_kb = stderr
            .lines()
            .find_map(|l| l.strip_prefix("cimflow: peak memory "))
            .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
            .context("no peak memory on stderr (is /proc mounted?)")?;
        let (first_s, first_peak_kb) = first.context("no summary on stdout")?;
        Ok(Run {
            summaries,
            wall_s,
            peak_kb,
            first_s,
            first_peak_kb,
        })
    }
}

/// The high-water mark of process `pid`'s resident set, kB, from /proc.
fn vm_hwm_kb(pid: u32) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The `cimflow` binary: `explicit` if given; else, when run by cargo, built now (so that the
/// benchmark always measures the current source) next to this example; else the one next to it.
pub fn locate(explicit: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    if let Some(bin) = explicit {
        return Ok(bin);
    }
    let exe = std::env::current_exe()?;
    // target/<profile>/examples/bench → target/<profile>/cimflow
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .context("cannot find the target directory")?;
    if let Ok(cargo) = std::env::var("CARGO") {
        let release = profile_dir.file_name().is_some_and(|n| n == "release");
        let mut build = Command::new(cargo);
        build.args(["build", "--quiet", "--bin", "cimflow"]);
        if release {
            build.arg("--release");
        }
        let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
        let status = build.args(["--manifest-path", manifest]).status()?;
        if !status.success() {
            bail!("building the cimflow binary failed");
        }
    }
    let bin = profile_dir.join("cimflow");
    if !bin.exists() {
        bail!(
            "{} not found: build it (cargo build --release) or pass --bin",
            bin.display()
        );
    }
    Ok(bin)
}
