//! The `cimflow` command: parse the flags, read the input, run the epochs.

use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;

use cimflow::cli::{Cli, Command, RunArgs};
use cimflow::input::{
    Diagnostics, Event, EventKind, InputError, Op, read_adopters, read_events, read_graph,
};
use cimflow::job::{JobConfig, JobError, Loaded, Session, run_dataflow, run_epochs};
use cimflow::oracle::OracleEngine;
use cimflow::output::{Output, OutputError};
use cimflow::selection::Params;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // A reader that went away (`| head`) is not an error.
            if let Some(JobError::Output(OutputError::Closed)) = e.downcast_ref::<JobError>() {
                return ExitCode::SUCCESS;
            }
            eprintln!("cimflow: {e:#}");
            match e.downcast_ref::<InputError>() {
                Some(InputError::Bad(_)) => ExitCode::from(2),
                _ => ExitCode::FAILURE,
            }
        }
    }
}

fn run(args: RunArgs) -> anyhow::Result<()> {
    args.validate().map_err(anyhow::Error::msg)?;
    let loaded = load(&args)?;
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
    cimflow::progress::start("run", total);
    let open = move || Output::new(format, dir.as_deref());
    let stats = if args.oracle {
        let engine = OracleEngine {
            with_coverage: args.verify,
        };
        run_epochs(&mut Session::new(engine, cfg), &loaded, &mut open()?)?
    } else {
        run_dataflow(args.workers as usize, Arc::new(loaded), cfg, open)?
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
