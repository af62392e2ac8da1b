//! The benchmark behind docs/BENCHMARKS.md: spread quality against the baselines, cold start,
//! incremental epoch latency, streaming throughput, and scale on generated R-MAT graphs, printed
//! as Markdown tables on stdout (progress on stderr). Under `cargo test` only the unit tests of
//! its helpers run.
//!
//! ```text
//! cargo run --release --example bench -- [--quick] [--data DIR] [--bin PATH] [--only SECTIONS]
//!     [--scales LIST] [--scale-reps N] [--oracle-rounds N]
//! ```
//!
//! The data sets are read from `--data` (default: `../shared/data` next to the repository), never
//! copied; the `scale` section needs none, and its module gives its usage. Timed runs are
//! `cimflow run` child processes (built first when run by cargo), so their peak memories are
//! their own; the quality table is computed in process.

mod child;
mod cold_start;
mod data;
mod incremental;
mod quality;
mod rmat;
mod scale;
mod stats;
mod streaming;

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Parser;

use crate::data::{GRAPHS, Graph};

/// Benchmarks cimflow.
#[derive(Parser, Debug)]
struct Args {
    /// A subset that runs in a minute or two.
    #[arg(long)]
    quick: bool,
    /// The data directory.
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// The cimflow binary to measure (default: built by cargo, next to this example).
    #[arg(long, value_name = "PATH")]
    bin: Option<PathBuf>,
    /// Only these sections: quality, cold, incremental, streaming, scale (comma separated).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// The R-MAT scales of the scale section (default 16,18,20; 16 with --quick). 22 (about
    /// 64 M arcs) is measured only when listed.
    #[arg(long, value_delimiter = ',', value_parser = clap::value_parser!(u32).range(1..=26))]
    scales: Vec<u32>,
    /// Runs per engine and scale in the scale section.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
    scale_reps: u64,
    /// Rounds of epochs the oracle recomputes in the scale section (each round: one epoch of
    /// each size, each epoch about a cold start).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..))]
    oracle_rounds: u64,
}

impl Args {
    fn wants(&self, section: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|s| s == section)
    }
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let data = args
        .data
        .clone()
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data"));
    let reads_data = ["quality", "cold", "incremental", "streaming"]
        .iter()
        .any(|s| args.wants(s));
    anyhow::ensure!(
        !reads_data || data.join("dnc-corecipient.txt.gz").exists(),
        "no data sets in {} (pass --data DIR, or --only scale, which needs none)",
        data.display()
    );
    let cimflow = child::Cimflow {
        bin: child::locate(args.bin.clone())?,
    };
    let work = tempfile::tempdir()?;
    let work = work.path();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let started = Instant::now();

    println!(
        "# cimflow benchmark{}\n",
        if args.quick { " (--quick)" } else { "" }
    );
    println!("{}", machine(threads));
    let mut targets = Targets::default();

    if args.wants("quality") {
        let (graphs, ks): (Vec<Graph>, &[u32]) = if args.quick {
            (GRAPHS[..3].to_vec(), &[2, 10])
        } else {
            (GRAPHS.to_vec(), &[2, 5, 10, 20])
        };
        let quick = args.quick;
        let runs = |g: &Graph| match (quick, g.name) {
            (true, _) => 1_000,
            (false, "dnc-corecipient" | "scinet") => 10_000,
            (false, _) => 2_000,
        };
        let rows = quality::measure(&data, work, &graphs, ks, runs, threads)?;
        println!("## Quality: Monte Carlo spread (wc model, ε = 0.1, δ = 1/n)\n");
        println!("{}", quality::table(&rows));
        targets.quality(&rows);
    }
    if args.wants("cold") {
        let (graphs, reps) = if args.quick {
            (vec![GRAPHS[0], GRAPHS[2]], 3)
        } else {
            (GRAPHS.to_vec(), 3)
        };
        let rows = cold_start::measure(&cimflow, &data, work, &graphs, 10, reps)?;
        println!("## Cold start: dataflow (1 worker) vs oracle, k = 10\n");
        println!("{}", cold_start::table(&rows, reps));
        targets.cold = rows
            .iter()
            .map(|r| {
                (
                    r.graph,
                    r.latency_ms[0] / r.latency_ms[1],
                    r.peak_kb[0] / r.peak_kb[1],
                )
            })
            .collect();
    }
    if args.wants("incremental") {
        let setup = incremental::prepare(&data, work)?;
        let (models, plan, reps): (&[&str], Vec<(usize, usize)>, usize) = if args.quick {
            (
                &["weighted"],
                vec![(1, 100), (10, 100), (100, 50), (1000, 10)],
                1,
            )
        } else {
            (
                &["weighted", "wc"],
                vec![(1, 500), (10, 500), (100, 300), (1000, 39), (10_000, 3)],
                3,
            )
        };
        for model in models {
            let rows = incremental::measure(&cimflow, &setup, model, 10, &plan, reps)?;
            println!("## Incremental: CollegeMsg, `--model {model}`, k = 10, epoch latency\n");
            println!("{}", incremental::table(&rows));
            targets.incremental.extend(
                rows.iter()
                    .filter(|r| r.batch <= 100)
                    .map(|r| (*model, r.batch, r.median_ms[1] / r.median_ms[0])),
            );
        }
    }
    if args.wants("streaming") {
        // (workers, runs): the median of the runs is reported.
        let (cap, workers): (Option<usize>, &[(usize, usize)]) = if args.quick {
            (Some(20_000), &[(1, 1)])
        } else {
            (None, &[(1, 3), (2, 1)])
        };
        let rows = streaming::measure(&cimflow, &data, work, "weighted", 10, cap, workers)?;
        println!(
            "## Streaming: `--model weighted`, k = 10, {} events per epoch{}\n",
            streaming::BATCH,
            cap.map_or(String::new(), |c| format!(
                ", first {c} events of each file"
            ))
        );
        println!("{}", streaming::table(&rows));
    }
    if args.wants("scale") {
        let scales = match (&args.scales[..], args.quick) {
            ([], true) => vec![16],
            ([], false) => vec![16, 18, 20],
            (given, _) => given.to_vec(),
        };
        println!(
            "## Scale: R-MAT, edge factor {}, {}% adopters, k = {}, `--model wc`, ε = 0.1\n",
            scale::EDGE_FACTOR,
            rmat::ADOPTER_SHARE * 100.0,
            scale::K
        );
        println!("{}\n", load());
        let rows = scale::measure(
            &cimflow,
            &scale::cache_dir(),
            work,
            &scales,
            args.scale_reps as usize,
            args.oracle_rounds as usize,
        )?;
        println!("{}", scale::table(&rows));
        println!(
            "Epoch cells: median / p99 (epochs); the oracle recomputes the first {} rounds; the \
             paper's code draws about a tenth of cimflow's θ (issue 9). {}\n",
            args.oracle_rounds,
            load()
        );
        for m in scale::mismatches(&rows) {
            println!("**MISMATCH**: {m}\n");
        }
    }
    println!("{}", targets.report());
    println!(
        "Benchmark wall time: {:.0} s. {}",
        started.elapsed().as_secs_f64(),
        load()
    );
    Ok(())
}

/// The machine, from /proc.
fn machine(threads: usize) -> String {
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    let cpu = read("/proc/cpuinfo")
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .map(|r| r.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let mem_kb: f64 = read("/proc/meminfo")
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|r| r.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0);
    format!(
        "Machine: {threads} cores available ({cpu}), {:.1} GiB memory, Linux {}. {}\n",
        mem_kb / 1024.0 / 1024.0,
        read("/proc/sys/kernel/osrelease").trim(),
        load()
    )
}

/// The load averages, which say whether other work shared the machine.
fn load() -> String {
    let avg = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let fields: Vec<&str> = avg.split_whitespace().take(3).collect();
    format!("Load average (1, 5, 15 min): {}.", fields.join(", "))
}

/// Where the measurements stand against the project's targets.
#[derive(Default)]
struct Targets {
    /// (model, batch, oracle / dataflow median).
    incremental: Vec<(&'static str, usize, f64)>,
    /// (graph, epoch-0 time ratio, peak memory ratio), dataflow / oracle.
    cold: Vec<(&'static str, f64, f64)>,
    /// Rows where cimflow is below local or degree: (graph, k, baseline, strictly, beyond noise).
    below: Vec<String>,
    /// Rows compared.
    rows: usize,
    /// cimflow over degree on dnc-corecipient at k = 10, percent.
    dnc_k10: Option<f64>,
}

impl Targets {
    fn quality(&mut self, rows: &[quality::Row]) {
        self.rows = rows.len();
        for r in rows {
            for (i, name) in [(1, "local"), (2, "degree")] {
                let (strict, within_noise) = r.at_least(i);
                if !strict {
                    self.below.push(format!(
                        "{} k={} below {name} by {:.2}%{}",
                        r.graph,
                        r.k,
                        -r.gain_over(i),
                        if within_noise { " (within 4 s.e.)" } else { "" }
                    ));
                }
            }
            if r.graph == "dnc-corecipient" && r.k == 10 {
                self.dnc_k10 = Some(r.gain_over(2));
            }
        }
    }

    fn report(&self) -> String {
        let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
        if self.incremental.is_empty() && self.cold.is_empty() && self.rows == 0 {
            return String::new();
        }
        let mut s = String::from("## Targets\n\n");
        if !self.incremental.is_empty() {
            let worst = self
                .incremental
                .iter()
                .map(|x| x.2)
                .fold(f64::INFINITY, f64::min);
            let list: Vec<String> = self
                .incremental
                .iter()
                .map(|(m, b, x)| format!("{m}/{b}: {x:.2}×"))
                .collect();
            s += &format!(
                "- Incremental epochs of ≤ 100 events ≥ 100× cheaper than from scratch: **{}** (oracle/dataflow median: {}).\n",
                verdict(worst >= 100.0),
                list.join(", ")
            );
        }
        if !self.cold.is_empty() {
            let ok = self.cold.iter().all(|&(_, t, m)| t <= 3.0 && m <= 3.0);
            let list: Vec<String> = self
                .cold
                .iter()
                .map(|(g, t, m)| format!("{g}: time {t:.2}×, memory {m:.2}×"))
                .collect();
            s += &format!(
                "- Dataflow cold start within 3× of the oracle's time and peak memory: **{}** ({}).\n",
                verdict(ok),
                list.join("; ")
            );
        }
        if self.rows > 0 {
            s += &format!(
                "- Spread ≥ local and degree everywhere: **{}** ({} of {} comparisons below{}).\n",
                verdict(self.below.is_empty()),
                self.below.len(),
                2 * self.rows,
                if self.below.is_empty() {
                    String::new()
                } else {
                    format!(": {}", self.below.join("; "))
                }
            );
        }
        if let Some(g) = self.dnc_k10 {
            s += &format!(
                "- ≥ 20% above degree on dnc-corecipient, k = 10, 50 adopters: **{}** ({g:+.1}%).\n",
                verdict(g >= 20.0)
            );
        }
        s
    }
}
