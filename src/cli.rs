//! The command line: raw flags (clap) turned into validated settings, so the rest of the
//! program never sees a half-parsed option.
//!
//! `run` and `follow` share every flag that says what to compute and how to emit it
//! ([`JobArgs`], flattened into both); each adds only what is its own.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

pub use crate::cluster::ClusterArgs;
use crate::input::InputSpec;
use crate::job::JobConfig;
use crate::model::Model;
use crate::output::Format;
use crate::selection::baselines::Method;
use crate::selection::{DEFAULT_MIN_RATE, Params};

/// Capacity-constrained influence maximization over a changing social graph.
#[derive(Debug, Parser)]
#[command(name = "cimflow", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Load a graph and adopters, emit the first certified selection as epoch 0, then apply the
    /// event log epoch by epoch and emit what changed after each.
    // The cluster flags take `-h`, so help is `--help` only.
    #[command(disable_help_flag = true)]
    Run(RunArgs),
    /// Like `run`, but on a log that grows: process the events already in LOG, then wait for
    /// appended lines (as `tail -F` does, through truncation and rotation) and keep emitting.
    /// With `--state DIR`, a restart resumes where the last one stopped.
    #[command(disable_help_flag = true)]
    Follow(FollowArgs),
    /// Estimate the spread of a `recommendations.tsv` by Monte Carlo simulation of the cascade
    /// (`--model`: independent cascade or linear threshold) on the graph without adopters,
    /// independently of the RR sets.
    Evaluate(EvaluateArgs),
    /// Write DIR/report.html from DIR/changes.jsonl: one self-contained page with charts of the
    /// spread and its bounds, the ratio, θ, latency and churn over the epochs, and the current
    /// recommendations by adopter. (`run` and `follow` with `--output DIR` keep it current.)
    Report(ReportArgs),
}

/// `cimflow run`.
#[derive(Debug, Args)]
// `run` needs its graph and adopters; `follow` reads them only on a fresh start.
#[command(mut_arg("graph", |a| a.required(true)), mut_arg("adopters", |a| a.required(true)))]
pub struct RunArgs {
    /// The initial graph and adopters.
    #[command(flatten)]
    pub input: InputArgs,
    /// An event log (cimflow's event lines, or SNAP temporal `SRC TGT T` lines).
    #[arg(long, value_name = "FILE")]
    pub events: Option<PathBuf>,
    /// What to compute and how to emit it.
    #[command(flatten)]
    pub job: JobArgs,
    /// The selection: `cimflow` (RR-Greedy, RR-OPIM+), or one of the paper's other methods for
    /// epoch 0 only, on the oracle's RR sets: `mg` (MG-OPIM), `local`, `pagerank`, `degree`,
    /// `random`, or `mc-greedy[:N]` (MG-Greedy on N Monte Carlo simulations, default 10000;
    /// small graphs only). See docs/METHODS.md.
    #[arg(long, default_value = "cimflow", value_parser = parse_method)]
    pub method: Method,
    /// Print the peak resident memory (VmHWM) to stderr at exit, for benchmarks.
    #[arg(long, hide = true)]
    pub report_memory: bool,
}

/// Where epoch 0 comes from: the flags `run`, `follow` and `evaluate` share.
#[derive(Clone, Debug, Args)]
pub struct InputArgs {
    /// The initial graph: a SNAP edge list (`u v [w]`, `#` comments, `.gz` read directly).
    #[arg(long, value_name = "FILE")]
    pub graph: Option<PathBuf>,
    /// Each line of the graph is a friendship (both arcs) rather than one arc.
    #[arg(long, requires = "graph")]
    pub undirected: bool,
    /// Read the graph's third column as an interaction count (the `weighted` model's weight).
    #[arg(long, requires = "graph")]
    pub weights: bool,
    /// The adopters: node ids, whitespace or comma separated (the paper's `.ap` files).
    #[arg(long, value_name = "FILE")]
    pub adopters: Option<PathBuf>,
    /// Use only line N (0-based) of the adopter file.
    #[arg(
        long,
        value_name = "N",
        requires = "adopters",
        allow_negative_numbers = true
    )]
    pub adopter_set: Option<usize>,
    /// Acceptance probabilities: `a f w` lines, friend f accepting adopter a's invitation with
    /// probability w in (0, 1] (default 1).
    #[arg(long, value_name = "FILE")]
    pub acceptance: Option<PathBuf>,
}

impl InputArgs {
    /// The input these flags describe.
    pub fn spec(&self) -> InputSpec {
        InputSpec {
            graph: self.graph.clone(),
            undirected: self.undirected,
            weights: self.weights,
            adopters: self.adopters.clone(),
            adopter_set: self.adopter_set,
            acceptance: self.acceptance.clone(),
        }
    }
}

/// `cimflow follow`.
#[derive(Debug, Args)]
pub struct FollowArgs {
    /// The event log to follow (cimflow's event lines, or SNAP temporal `SRC TGT T` lines). It
    /// need not exist yet.
    #[arg(value_name = "LOG")]
    pub log: PathBuf,
    /// An initial graph and adopters (epoch 0), as for `run`; read only on a fresh start, not on
    /// a resume.
    #[command(flatten)]
    pub input: InputArgs,
    /// Close the epoch in progress once the log has been quiet this long (`200ms`, `1s`, ...).
    #[arg(long, default_value = "200ms", value_parser = parse_duration)]
    pub idle: Duration,
    /// Keep a checkpoint here, and resume from it when it exists.
    #[arg(long, value_name = "DIR")]
    pub state: Option<PathBuf>,
    /// What to compute and how to emit it.
    #[command(flatten)]
    pub job: JobArgs,
}

/// The flags `run` and `follow` share: the model, the selection, the epochs and the output.
#[derive(Debug, Args)]
pub struct JobArgs {
    /// The capacity of every adopter that brings none of its own.
    #[arg(short = 'k', value_name = "K", allow_negative_numbers = true)]
    pub k: u32,
    /// The model: independent cascade with `wc` (1/indeg), `uniform:P` or `weighted`
    /// probabilities, or linear threshold with `lt` (1/indeg) or `lt:weighted` weights.
    #[arg(long, default_value = "wc", value_parser = parse_model)]
    pub model: Model,
    /// Events per epoch.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    pub batch: u64,
    /// Also close an epoch when the event time enters a new period of this length (`30s`, `5m`,
    /// `1h`, `7d`, or plain seconds).
    #[arg(long, value_name = "D", value_parser = parse_span, allow_hyphen_values = true)]
    pub every: Option<f64>,
    /// Take each timed interaction back once the event time has passed it by this much (`7d`,
    /// `30d`, ...), so that a temporal stream has deletions as well as insertions.
    #[arg(long, value_name = "D", value_parser = parse_span, allow_hyphen_values = true)]
    pub window: Option<f64>,
    /// The approximation slack: selections are certified (1/2 − ε)-approximate.
    #[arg(long, default_value_t = 0.1, allow_negative_numbers = true)]
    pub epsilon: f64,
    /// The failure probability of the certificate (default 1/n).
    #[arg(long, allow_negative_numbers = true)]
    pub delta: Option<f64>,
    /// The seed of every root and coin.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// The sampling floor: select on at least this many RR samples per node (in each of R1 and
    /// R2), rounded up to a power of two; the certificate still asks for more when it needs
    /// them. 0 leaves the certificate alone to decide, as the paper's RR-OPIM+ does.
    #[arg(
        long,
        value_name = "X",
        default_value_t = DEFAULT_MIN_RATE,
        allow_negative_numbers = true
    )]
    pub min_samples_per_node: f64,
    /// Write `changes.jsonl` (appended), `recommendations.tsv` and `report.html` (replaced
    /// atomically) here.
    #[arg(long, value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Serve Prometheus metrics at `http://ADDR/metrics`: `PORT` (on the loopback interface) or
    /// `HOST:PORT`. Only process 0 of a cluster serves them.
    #[arg(long, value_name = "ADDR", value_parser = parse_metrics_addr)]
    pub metrics: Option<SocketAddr>,
    /// The format on stdout.
    #[arg(long, default_value = "jsonl", value_parser = parse_format)]
    pub format: Format,
    /// Stop at the first bad input line (exit status 2) instead of skipping and counting it.
    #[arg(long)]
    pub strict: bool,
    /// Check every epoch against the from-scratch oracle, and stop if they differ.
    #[arg(long)]
    pub verify: bool,
    /// Compute with the from-scratch oracle instead of the dataflow.
    #[arg(long)]
    pub oracle: bool,
    /// Report latencies as 0, so that runs can be compared byte for byte.
    #[arg(long)]
    pub no_timings: bool,
    /// Print help.
    #[arg(long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,
    /// Where the workers run: `-w`, and `-n`, `-p`, `-h` for a cluster of processes.
    #[command(flatten)]
    pub cluster: ClusterArgs,
}

/// `cimflow report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The output directory of a run (its `--output DIR`).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// The run's ε, for the ratio chart's 1/2 − ε line.
    #[arg(long, default_value_t = 0.1)]
    pub epsilon: f64,
}

impl ReportArgs {
    /// Checks what clap cannot.
    pub fn validate(&self) -> Result<(), String> {
        check_epsilon(self.epsilon)
    }
}

/// `cimflow evaluate`.
#[derive(Debug, Args)]
#[command(mut_arg("graph", |a| a.required(true)), mut_arg("adopters", |a| a.required(true)))]
pub struct EvaluateArgs {
    /// The graph and adopters, as for `run`.
    #[command(flatten)]
    pub input: InputArgs,
    /// A `recommendations.tsv` (as `run --output` writes it): its friends are the seeds.
    #[arg(long, value_name = "FILE")]
    pub recommendations: PathBuf,
    /// The model: independent cascade with `wc` (1/indeg), `uniform:P` or `weighted`
    /// probabilities, or linear threshold with `lt` (1/indeg) or `lt:weighted` weights.
    #[arg(long, default_value = "wc", value_parser = parse_model)]
    pub model: Model,
    /// Cascades to simulate.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub runs: u64,
    /// Simulation threads (default: the available cores).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub threads: Option<u64>,
    /// The seed of the simulation's random numbers.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

fn parse_model(s: &str) -> Result<Model, String> {
    s.parse()
}

fn check_epsilon(epsilon: f64) -> Result<(), String> {
    if epsilon > 0.0 && epsilon < 0.5 {
        Ok(())
    } else {
        Err(format!("--epsilon {epsilon} must be in (0, 0.5)"))
    }
}

fn parse_metrics_addr(s: &str) -> Result<SocketAddr, String> {
    use crate::metrics::server::{ServeError, parse_addr};
    parse_addr(s).map_err(|e| match e {
        // clap names the flag and the value already.
        ServeError::Address { problem, .. } => problem,
        e => e.to_string(),
    })
}

fn parse_format(s: &str) -> Result<Format, String> {
    s.parse()
}

fn parse_method(s: &str) -> Result<Method, String> {
    s.parse()
}

/// A length of time: a number followed by `ms`, `s`, `m`, `h`, `d` or `w`, or plain seconds.
pub fn parse_seconds(s: &str) -> Result<f64, String> {
    if s.strip_prefix('-')
        .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()))
    {
        return Err(format!("`{s}` is negative: a length of time is positive"));
    }
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let scale = match unit {
        "" | "s" => 1.0,
        "ms" => 1e-3,
        "m" => 60.0,
        "h" => 3600.0,
        "d" => 86_400.0,
        "w" => 604_800.0,
        _ => {
            return Err(format!(
                "unknown unit `{unit}` in `{s}` (expected ms, s, m, h, d or w)"
            ));
        }
    };
    let x: f64 = number
        .parse()
        .map_err(|_| format!("`{s}` is not a length of time like 30s, 5m, 1h or 7d"))?;
    Ok(x * scale)
}

/// A span of event time (`--every`, `--window`): positive and finite.
fn parse_span(s: &str) -> Result<f64, String> {
    let x = parse_seconds(s)?;
    if x > 0.0 && x.is_finite() {
        Ok(x)
    } else {
        Err(format!("`{s}` is not a positive length of time"))
    }
}

/// A wall-clock duration (`--idle`): at least one millisecond.
fn parse_duration(s: &str) -> Result<Duration, String> {
    let x = parse_seconds(s)?;
    if (1e-3..=86_400.0).contains(&x) {
        Ok(Duration::from_secs_f64(x))
    } else {
        Err(format!("`{s}` is not between 1ms and 1d"))
    }
}

impl RunArgs {
    /// Checks what clap cannot.
    pub fn validate(&self) -> Result<(), String> {
        if self.method != Method::Cimflow && self.job.verify {
            return Err(format!(
                "--verify checks the cimflow selection; --method {} has nothing to verify",
                self.method
            ));
        }
        self.job.validate()
    }
}

impl FollowArgs {
    /// Checks what clap cannot.
    pub fn validate(&self) -> Result<(), String> {
        if self.log.extension().is_some_and(|e| e == "gz") {
            return Err(format!(
                "{}: a gzip stream cannot be followed line by line; decompress it first",
                self.log.display()
            ));
        }
        self.job.validate()
    }
}

impl JobArgs {
    /// Checks what clap cannot.
    pub fn validate(&self) -> Result<(), String> {
        check_epsilon(self.epsilon)?;
        if let Some(d) = self.delta
            && !(d > 0.0 && d < 1.0)
        {
            return Err(format!("--delta {d} must be in (0, 1)"));
        }
        if !(self.min_samples_per_node >= 0.0 && self.min_samples_per_node <= 1e6) {
            return Err(format!(
                "--min-samples-per-node {} must be in [0, 1e6]",
                self.min_samples_per_node
            ));
        }
        if self.oracle && self.cluster.is_cluster() {
            return Err("--oracle runs in one process: drop -n".into());
        }
        // Said now rather than when the first epoch is written, after all input was read.
        if let Some(dir) = &self.output
            && dir.exists()
            && !dir.is_dir()
        {
            return Err(format!(
                "--output {}: exists and is not a directory",
                dir.display()
            ));
        }
        Ok(())
    }

    /// The settings of the job these flags describe.
    pub fn config(&self) -> JobConfig {
        JobConfig {
            model: self.model,
            k: self.k,
            params: Params {
                epsilon: self.epsilon,
                delta: self.delta,
                seed: self.seed,
                min_rate: self.min_samples_per_node,
            },
            batch: self.batch as usize,
            every: self.every,
            window: self.window,
            verify: self.verify,
            timings: !self.no_timings,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_of_time() {
        assert_eq!(parse_seconds("30s"), Ok(30.0));
        assert_eq!(parse_seconds("45"), Ok(45.0));
        assert_eq!(parse_seconds("5m"), Ok(300.0));
        assert_eq!(parse_seconds("1h"), Ok(3600.0));
        assert_eq!(parse_seconds("7d"), Ok(604_800.0));
        assert_eq!(parse_seconds("1.5d"), Ok(129_600.0));
        assert_eq!(parse_seconds("200ms"), Ok(0.2));
        assert!(parse_seconds("7y").is_err());
        assert!(parse_seconds("d").is_err());
        assert!(parse_seconds("-5s").is_err());
        assert!(parse_span("0s").is_err());
        assert_eq!(parse_duration("50ms"), Ok(Duration::from_millis(50)));
        assert!(parse_duration("0.1ms").is_err());
    }

    #[test]
    fn run_and_follow_share_their_flags() {
        let cli = Cli::try_parse_from([
            "cimflow", "follow", "log.txt", "-k", "3", "--window", "30d", "--idle", "50ms", "-w",
            "2",
        ])
        .unwrap();
        let Command::Follow(f) = cli.command else {
            panic!("not follow")
        };
        assert_eq!(f.log, PathBuf::from("log.txt"));
        assert_eq!(f.job.window, Some(30.0 * 86_400.0));
        assert_eq!(f.idle, Duration::from_millis(50));
        assert_eq!(f.job.cluster.workers, 2);
        assert!(f.input.graph.is_none() && f.state.is_none());
        // `run` still needs its graph and adopters.
        assert!(Cli::try_parse_from(["cimflow", "run", "-k", "3"]).is_err());
        // `follow` runs as a cluster too, but not on a gzip stream.
        let cli = Cli::try_parse_from(["cimflow", "follow", "log", "-k", "3", "-n", "2"]).unwrap();
        let Command::Follow(f) = cli.command else {
            panic!("not follow")
        };
        assert!(f.validate().is_ok());
        let cli = Cli::try_parse_from(["cimflow", "follow", "log.gz", "-k", "3"]).unwrap();
        let Command::Follow(f) = cli.command else {
            panic!("not follow")
        };
        assert!(f.validate().is_err());
    }
}
