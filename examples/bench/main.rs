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
mod floor;
mod incremental;
mod plot;
mod quality;
mod rmat;
mod scale;
mod stats;
mod streaming;

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Parser;

use crate::data::GRAPHS;

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
    /// Only these sections: quality, floor-cost, cold, incremental, streaming, scale (comma
    /// separated).
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
    /// Only these graphs in the quality and floor-cost sections (comma separated names).
    #[arg(long, value_delimiter = ',')]
    graphs: Vec<String>,
    /// The highest floor the quality section judges, as a level (2^L samples per node).
    #[arg(long, value_name = "L", allow_negative_numbers = true)]
    max_floor: Option<i32>,
    /// mc-greedy's simulations in the quality section (0: skip it).
    #[arg(long, value_name = "N")]
    mc_runs: Option<u32>,
    /// Where the quality section writes its plots (default: docs/plots, or target/bench-plots
    /// with --quick).
    #[arg(long, value_name = "DIR")]
    plots: Option<PathBuf>,
}

impl Args {
    /// `graphs`, narrowed to `--graphs` when given.
    fn pick(&self, graphs: Vec<data::Graph>) -> Vec<data::Graph> {
        if self.graphs.is_empty() {
            return graphs;
        }
        graphs
            .into_iter()
            .filter(|g| self.graphs.iter().any(|n| n == g.name))
            .collect()
    }

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
        let all = data::quality_graphs();
        let setup = quality::Setup {
            ks: if args.quick {
                vec![2, 10]
            } else {
                vec![2, 5, 10, 20]
            },
            shares: data::ADOPTER_SHARES.to_vec(),
            floors: -3..=args.max_floor.unwrap_or(if args.quick { 1 } else { 3 }),
            max_samples: if args.quick { 2e5 } else { 3e6 },
            mc_runs: args
                .mc_runs
                .unwrap_or(if args.quick { 1_000 } else { 10_000 }),
            mc_nodes: 1_500,
            threads,
        };
        let graphs = args.pick(if args.quick { all[..3].to_vec() } else { all });
        let (rows, sweeps) = quality::measure(&data, &graphs, &setup)?;
        println!("## Quality: Monte Carlo spread of every method (wc model, ε = 0.1, δ = 1/n)\n");
        println!("{}", quality::table(&rows));
        println!("### Distinct friends invited, and seconds to select\n");
        println!("{}", quality::friends_table(&rows));
        let exceptions = quality::exceptions(&rows);
        println!("### Rows where cimflow is not first, or more than 1% below mc-greedy\n");
        if exceptions.is_empty() {
            println!("None.\n");
        } else {
            for e in &exceptions {
                println!("- {e}");
            }
            println!();
        }
        println!("## Sampling floor: spread against 16× the samples\n");
        println!("{}", floor::table(&sweeps));
        let (summary, chosen) = floor::summary(&sweeps);
        println!("{summary}");
        println!(
            "Smallest floor within {}% of 16× its samples on every instance judged: {}.\n",
            floor::TOLERANCE_PCT,
            chosen.map_or("none".into(), |f| format!("{} per node", floor::rate(f)))
        );
        let dir = args.plots.clone().unwrap_or_else(|| {
            let root = Path::new(env!("CARGO_MANIFEST_DIR"));
            if args.quick {
                root.join("target/bench-plots")
            } else {
                root.join("docs/plots")
            }
        });
        for p in plot::write_all(&dir, &sweeps)? {
            println!("Plot: {}", p.display());
        }
        println!();
        targets.quality(&rows, exceptions.len());
    }
    if args.wants("floor-cost") {
        let all = data::quality_graphs();
        let graphs = args.pick(if args.quick { all[..3].to_vec() } else { all });
        let reps = 3;
        let rows = floor::cost(
            &cimflow,
            &data,
            work,
            &graphs,
            &data::ADOPTER_SHARES,
            10,
            reps,
        )?;
        println!("## Sampling floor: what the default costs a cold start, k = 10\n");
        println!("{}", floor::cost_table(&rows, reps));
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
    /// Rows where cimflow is not first or more than 1% below mc-greedy.
    exceptions: usize,
    /// Rows compared.
    rows: usize,
    /// cimflow over degree on dnc-corecipient at k = 10, 5% adopters, percent.
    dnc_k10: Option<f64>,
}

impl Targets {
    fn quality(&mut self, rows: &[quality::Row], exceptions: usize) {
        self.rows = rows.len();
        self.exceptions = exceptions;
        for r in rows {
            if r.combo.graph == "dnc-corecipient" && r.combo.k == 10 && r.combo.share > 0.01 {
                let degree = r.spreads[6].expect("degree runs").0.mean;
                self.dnc_k10 =
                    Some((r.spreads[0].expect("cimflow runs").0.mean / degree - 1.0) * 100.0);
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
                "- cimflow first among the RR and heuristic methods, within 1% of mc-greedy: **{}** ({} exceptions in {} rows, listed above).\n",
                verdict(self.exceptions == 0),
                self.exceptions,
                self.rows
            );
        }
        if let Some(g) = self.dnc_k10 {
            s += &format!(
                "- ≥ 20% above degree on dnc-corecipient, k = 10, 5% adopters: **{}** ({g:+.1}%).\n",
                verdict(g >= 20.0)
            );
        }
        s
    }
}
