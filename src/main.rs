//! The `cimflow` command: parse the flags, read the input, run the epochs.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::Parser;

use cimflow::baselines::{BaselineEngine, Method};
use cimflow::cli::{Cli, Command, EvaluateArgs, RunArgs};
use cimflow::cluster::{quiet_connection_panics, take_stdout};
use cimflow::evaluate::{self, EvaluateError};
use cimflow::input::{
    Diagnostics, Event, EventKind, InputError, Op, read_adopters, read_events, read_graph,
};
use cimflow::job::{JobConfig, JobError, Loaded, Session, on_cluster, run_epochs};
use cimflow::oracle::OracleEngine;
use cimflow::output::{Output, OutputError};
use cimflow::selection::Params;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let report_memory = matches!(&cli.command, Command::Run(a) if a.report_memory);
    let result = match cli.command {
        Command::Run(args) => run(args),
        Command::Evaluate(args) => evaluate(args),
    };
    if report_memory && let Some(kb) = cimflow::memory::peak_rss_kb() {
        eprintln!("cimflow: peak memory {kb} kB (VmHWM)");
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // A reader that went away (`| head`) is not an error.
            if let Some(JobError::Output(OutputError::Closed)) = e.downcast_ref::<JobError>() {
                return ExitCode::SUCCESS;
            }
            eprintln!("cimflow: {e:#}");
            let input = e.downcast_ref::<InputError>().or_else(|| {
                match e.downcast_ref::<EvaluateError>() {
                    Some(EvaluateError::Input(i)) => Some(i),
                    _ => None,
                }
            });
            match input {
                Some(InputError::Bad(_)) => ExitCode::from(2),
                _ => ExitCode::FAILURE,
            }
        }
    }
}

fn run(args: RunArgs) -> anyhow::Result<()> {
    args.validate().map_err(anyhow::Error::msg)?;
    let cluster = args.cluster.clone();
    let launch = cluster.launch().map_err(anyhow::Error::msg)?;
    // Process 0 alone reads the input and writes the results (see `cimflow::cluster`).
    let loaded = if cluster.is_first() {
        load(&args)?
    } else {
        eprintln!(
            "cimflow: {}: results are written by process 0",
            cluster.describe()
        );
        Loaded::default()
    };
    // Before timely starts: its connection messages go to stdout, so stdout is moved aside.
    let data = if cluster.is_cluster() {
        quiet_connection_panics();
        Some(take_stdout().context("moving stdout aside")?)
    } else {
        None
    };
    let cfg = JobConfig {
        model: args.model,
        k: args.k,
        params: Params {
            epsilon: args.epsilon,
            delta: args.delta,
            seed: args.seed,
        },
        batch: args.batch as usize,
        verify: args.verify,
        timings: !args.no_timings,
    };
    let (format, dir) = (args.format, args.output.clone());
    let total = (loaded.initial.len() + loaded.events.len()) as u64;
    if cluster.is_first() {
        cimflow::progress::start("run", total);
    }
    let open = move || match &data {
        Some(out) => Output::with_writer(format, Box::new(out.clone()), dir.as_deref()),
        None => Output::new(format, dir.as_deref()),
    };
    let stats = if args.method != Method::Cimflow {
        let engine = BaselineEngine {
            method: args.method,
        };
        run_epochs(&mut Session::new(engine, cfg), &loaded, &mut open()?)?
    } else if args.oracle {
        let engine = OracleEngine {
            with_coverage: args.verify,
        };
        run_epochs(&mut Session::new(engine, cfg), &loaded, &mut open()?)?
    } else {
        let loaded = Arc::new(loaded);
        let ran = on_cluster(launch, cfg, move |session| {
            run_epochs(session, &loaded, &mut open()?)
        });
        let ran = match ran {
            Err(e) if cluster.is_cluster() => Err(e).context(cluster.describe()),
            ran => Ok(ran?),
        };
        match ran? {
            Some(stats) => stats,
            // Not process 0: the results are there.
            None => return Ok(()),
        }
    };
    cimflow::progress::finish();
    if let Some(last) = stats.last {
        eprintln!(
            "cimflow: {} epochs; last: {} recommendations, spread {:.1}, ratio {:.3}{}",
            stats.epochs,
            last.selected,
            last.spread,
            last.ratio,
            if last.certified {
                " (certified)"
            } else {
                " (not certified: θ_max reached)"
            }
        );
    }
    Ok(())
}

/// Reads the graph, the adopters and the event log.
fn load(args: &RunArgs) -> anyhow::Result<Loaded> {
    let mut diag = Diagnostics::new(args.strict);
    let mut initial = read_graph(&args.graph, args.undirected, args.weights, &mut diag)?;
    let adopters = read_adopters(&args.adopters, args.adopter_set, &mut diag)?;
    initial.extend(adopters.into_iter().map(|a| Event {
        time: None,
        op: Op::Add,
        kind: EventKind::Adopter(a, None),
    }));
    let events = match &args.events {
        Some(path) if args.method != Method::Cimflow => {
            eprintln!(
                "cimflow: --method {} computes epoch 0 only; ignoring --events {}",
                args.method,
                path.display()
            );
            Vec::new()
        }
        Some(path) => read_events(path, &mut diag)?,
        None => Vec::new(),
    };
    eprintln!(
        "cimflow: read {} graph and adopter lines, {} events",
        initial.len(),
        events.len()
    );
    Ok(Loaded {
        initial,
        events,
        skipped: diag.skipped,
    })
}

fn evaluate(args: EvaluateArgs) -> anyhow::Result<()> {
    let inputs = evaluate::Inputs {
        graph: &args.graph,
        undirected: args.undirected,
        weights: args.weights,
        adopters: &args.adopters,
        adopter_set: args.adopter_set,
        recommendations: &args.recommendations,
        model: args.model,
    };
    let threads = args.threads.map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get()),
        |t| t as usize,
    );
    let ev = evaluate::evaluate(&inputs, args.runs as usize, threads, args.seed)?;
    let e = ev.estimate;
    println!(
        "{}",
        serde_json::json!({
            "spread": e.mean,
            "std_err": e.std_err,
            "runs": e.runs,
            "seeds": ev.seeds,
            "adopters": ev.adopters,
            "nodes": ev.nodes,
        })
    );
    eprintln!(
        "cimflow: spread {:.2} ± {:.2} (standard error; {} cascades, {} threads, {} seeds)",
        e.mean, e.std_err, e.runs, threads, ev.seeds
    );
    Ok(())
}
