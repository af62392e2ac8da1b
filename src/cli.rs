//! The command line: raw flags (clap) turned into validated settings, so the rest of the
//! program never sees a half-parsed option.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::baselines::Method;
pub use crate::cluster::ClusterArgs;
use crate::model::Model;
use crate::output::Format;

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
    /// Estimate the spread of a `recommendations.tsv` by Monte Carlo simulation of the
    /// independent cascade on the graph without adopters, independently of the RR sets.
    Evaluate(EvaluateArgs),
}

/// `cimflow run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The initial graph: a SNAP edge list (`u v [w]`, `#` comments, `.gz` read directly).
    #[arg(long, value_name = "FILE")]
    pub graph: PathBuf,
    /// Each line of the graph is a friendship (both arcs) rather than one arc.
    #[arg(long)]
    pub undirected: bool,
    /// Read the graph's third column as an interaction count (the `weighted` model's weight).
    #[arg(long)]
    pub weights: bool,
    /// The adopters: node ids, whitespace or comma separated (the paper's `.ap` files).
    #[arg(long, value_name = "FILE")]
    pub adopters: PathBuf,
    /// Use only line N (0-based) of the adopter file.
    #[arg(long, value_name = "N")]
    pub adopter_set: Option<usize>,
    /// The capacity of every adopter that brings none of its own.
    #[arg(short = 'k', value_name = "K")]
    pub k: u32,
    /// Arc probabilities: `wc` (1/indeg), `uniform:P` or `weighted`.
    #[arg(long, default_value = "wc", value_parser = parse_model)]
    pub model: Model,
    /// An event log (cimflow's event lines, or SNAP temporal `SRC TGT T` lines).
    #[arg(long, value_name = "FILE")]
    pub events: Option<PathBuf>,
    /// Events per epoch.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    pub batch: u64,
    /// The approximation slack: selections are certified (1/2 − ε)-approximate.
    #[arg(long, default_value_t = 0.1)]
    pub epsilon: f64,
    /// The failure probability of the certificate (default 1/n).
    #[arg(long)]
    pub delta: Option<f64>,
    /// The seed of every root and coin.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Write `changes.jsonl` (appended) and `recommendations.tsv` (replaced atomically) here.
    #[arg(long, value_name = "DIR")]
    pub output: Option<PathBuf>,
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
    /// The selection: `cimflow`, or a baseline (`random`, `degree`, `local`) computed for epoch 0
    /// only, on the oracle's RR sets.
    #[arg(long, default_value = "cimflow", value_parser = parse_method)]
    pub method: Method,
    /// Print the peak resident memory (VmHWM) to stderr at exit, for benchmarks.
    #[arg(long, hide = true)]
    pub report_memory: bool,
}

/// `cimflow evaluate`.
#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// The graph, as for `run`.
    #[arg(long, value_name = "FILE")]
    pub graph: PathBuf,
    /// Each line of the graph is a friendship (both arcs).
    #[arg(long)]
    pub undirected: bool,
    /// Read the graph's third column as an interaction count.
    #[arg(long)]
    pub weights: bool,
    /// The adopters, as for `run`.
    #[arg(long, value_name = "FILE")]
    pub adopters: PathBuf,
    /// Use only line N (0-based) of the adopter file.
    #[arg(long, value_name = "N")]
    pub adopter_set: Option<usize>,
    /// A `recommendations.tsv` (as `run --output` writes it): its friends are the seeds.
    #[arg(long, value_name = "FILE")]
    pub recommendations: PathBuf,
    /// Arc probabilities: `wc` (1/indeg), `uniform:P` or `weighted`.
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

fn parse_format(s: &str) -> Result<Format, String> {
    s.parse()
}

fn parse_method(s: &str) -> Result<Method, String> {
    s.parse()
}

impl RunArgs {
    /// Checks what clap cannot.
    pub fn validate(&self) -> Result<(), String> {
        if !(self.epsilon > 0.0 && self.epsilon < 0.5) {
            return Err(format!("--epsilon {} must be in (0, 0.5)", self.epsilon));
        }
        if let Some(d) = self.delta
            && !(d > 0.0 && d < 1.0)
        {
            return Err(format!("--delta {d} must be in (0, 1)"));
        }
        if self.oracle && self.cluster.is_cluster() {
            return Err("--oracle runs in one process: drop -n".into());
        }
        if self.method != Method::Cimflow && self.verify {
            return Err(format!(
                "--verify checks the cimflow selection; --method {} has nothing to verify",
                self.method
            ));
        }
        Ok(())
    }
}
