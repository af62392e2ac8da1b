//! The `cimflow` command: parse the flags, read the input, run the epochs.

use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;

use cimflow::cli::{Cli, Command, RunArgs};
use cimflow::input::{Diagnostics, Initial, InputError, read_events, read_initial};
use cimflow::job::{JobError, Loaded, Session, run_dataflow, run_epochs};
use cimflow::oracle::OracleEngine;
use cimflow::output::{Output, OutputError};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run(args),
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
    )
}

fn bad_input(e: &anyhow::Error) -> bool {
    matches!(e.downcast_ref::<InputError>(), Some(InputError::Bad(_)))
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
