//! The `cimflow` command: parse the flags, read the input, run the epochs.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use clap::Parser;

use cimflow::cli::{Cli, Command, FollowArgs, RunArgs};
use cimflow::follow::{FollowConfig, FollowError, Report};
use cimflow::input::{Diagnostics, Initial, InputError, read_events, read_initial};
use cimflow::job::{JobError, Loaded, Session, on_dataflow, run_dataflow, run_epochs};
use cimflow::oracle::OracleEngine;
use cimflow::output::{Output, OutputError};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run(args),
        Command::Follow(args) => follow(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // A reader that went away (`| head`) is not an error.
        Err(e) if closed_output(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cimflow: {e:#}");
            if bad_input(&e) {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

fn closed_output(e: &anyhow::Error) -> bool {
    matches!(
        e.downcast_ref::<JobError>(),
        Some(JobError::Output(OutputError::Closed))
    ) || matches!(
        e.downcast_ref::<FollowError>(),
        Some(FollowError::Job(JobError::Output(OutputError::Closed)))
    )
}

fn bad_input(e: &anyhow::Error) -> bool {
    matches!(e.downcast_ref::<InputError>(), Some(InputError::Bad(_)))
        || matches!(
            e.downcast_ref::<FollowError>(),
            Some(FollowError::Input(InputError::Bad(_)))
        )
}

fn run(args: RunArgs) -> anyhow::Result<()> {
    args.job.validate().map_err(anyhow::Error::msg)?;
    let loaded = load(&args)?;
    let cfg = args.job.config();
    let (format, dir) = (args.job.format, args.job.output.clone());
    let total = (loaded.initial.len() + loaded.events.len()) as u64;
    cimflow::progress::start("run", total);
    let open = move || Output::new(format, dir.as_deref());
    let stats = if args.job.oracle {
        let engine = OracleEngine {
            with_coverage: args.job.verify,
        };
        run_epochs(&mut Session::new(engine, cfg), &loaded, &mut open()?)?
    } else {
        run_dataflow(args.job.workers as usize, Arc::new(loaded), cfg, open)?
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
    let mut diag = Diagnostics::new(args.job.strict);
    let initial = Initial {
        graph: Some(&args.graph),
        undirected: args.job.undirected,
        weights: args.job.weights,
        adopters: Some(&args.adopters),
        adopter_set: args.job.adopter_set,
    };
    let initial = read_initial(&initial, &mut diag)?;
    let events = match &args.events {
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

fn follow(args: FollowArgs) -> anyhow::Result<()> {
    args.validate().map_err(anyhow::Error::msg)?;
    // The first SIGINT or SIGTERM asks the loop to stop after the epoch in progress; a second
    // one, while it does, ends the process at once (exit status 1).
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register_conditional_shutdown(signal, 1, Arc::clone(&stop))?;
        signal_hook::flag::register(signal, Arc::clone(&stop))?;
    }
    let cfg = args.job.config();
    let fcfg = FollowConfig {
        log: args.log.clone(),
        graph: args.graph.clone(),
        undirected: args.job.undirected,
        weights: args.job.weights,
        adopters: args.adopters.clone(),
        adopter_set: args.job.adopter_set,
        idle: args.idle,
        state: args.state.clone(),
        output: args.job.output.clone(),
        format: args.job.format,
        strict: args.job.strict,
        status_every: Duration::from_secs(5),
    };
    let report = if args.job.oracle {
        let engine = OracleEngine {
            with_coverage: args.job.verify,
        };
        cimflow::follow::follow(&mut Session::new(engine, cfg), &fcfg, &stop)?
    } else {
        let communication = if args.job.workers > 1 {
            timely::CommunicationConfig::Process(args.job.workers as usize)
        } else {
            timely::CommunicationConfig::Thread
        };
        on_dataflow(communication, cfg, move |session| {
            Ok(cimflow::follow::follow(session, &fcfg, &stop))
        })??
    };
    eprintln!("cimflow: {}: {}", args.log.display(), describe(&report));
    Ok(())
}

/// The closing line: throughput while busy and the epoch latencies.
fn describe(r: &Report) -> String {
    let seconds = r.busy.as_secs_f64();
    let rate = if seconds > 0.0 {
        r.events as f64 / seconds
    } else {
        0.0
    };
    let mut lat = r.latencies_ms.clone();
    lat.sort_by(f64::total_cmp);
    let at = |q: f64| {
        lat.get(((lat.len() as f64 * q).ceil() as usize).saturating_sub(1))
            .copied()
            .unwrap_or(0.0)
    };
    format!(
        "stopped; {} events in {} epochs{} over {seconds:.2} s ({rate:.0} events/s); \
         epoch latency median {:.2} ms, p99 {:.2} ms",
        r.events,
        r.epochs,
        r.resumed_after
            .map_or(String::new(), |e| format!(" after epoch {e}")),
        at(0.5),
        at(0.99),
    )
}
