//! The `cimflow` command: parse the flags, read the input, run the epochs.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;

use cimflow::cli::{Cli, Command, EvaluateArgs, FollowArgs, JobArgs, ReportArgs, RunArgs};
use cimflow::cluster::{ClusterArgs, DataOut, Launch, quiet_connection_panics, take_stdout};
use cimflow::engine::EngineKind;
use cimflow::evaluate;
use cimflow::exit::{Exit, classify, message};
use cimflow::follow::{FollowConfig, Report};
use cimflow::input::{Diagnostics, InitialEvents, InitialStream, read_events, read_initial_lazily};
use cimflow::job::workers::{AnySession, with_session};
use cimflow::job::{JobConfig, JobError, Loaded, run_epochs_from};
use cimflow::metrics::server::MetricsServer;
use cimflow::metrics::{Metrics, Role};
use cimflow::output::{Output, OutputError};
use cimflow::selection::baselines::Method;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let report_memory = matches!(&cli.command, Command::Run(a) if a.report_memory);
    let result = match cli.command {
        Command::Run(args) => run(args),
        Command::Follow(args) => follow(args),
        Command::Evaluate(args) => evaluate(args),
        Command::Report(args) => report(args),
    };
    if report_memory && let Some(kb) = cimflow::memory::peak_rss_kb() {
        eprintln!("cimflow: peak memory {kb} kB (VmHWM)");
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let exit = classify(&e);
            // A reader that went away (`| head`) is not an error worth a message.
            if exit != Exit::Closed {
                eprintln!("cimflow: {}", message(&e));
            }
            exit.code()
        }
    }
}

fn run(args: RunArgs) -> anyhow::Result<()> {
    args.validate().map_err(anyhow::Error::msg)?;
    let served = serve_metrics(&args.job, Role::Run)?;
    let cluster = args.job.cluster.clone();
    let mut launch = cluster.launch()?;
    launch.terms.extend(cimflow::cluster::handshake::job_terms(
        "run",
        &args.job.config(),
    ));
    // Process 0 alone reads the input and writes the results (see `cimflow::cluster`).
    let (initial, loaded) = if cluster.is_first() {
        load(&args)?
    } else {
        eprintln!(
            "cimflow: {}: results are written by process 0",
            cluster.describe()
        );
        let none = InitialEvents {
            len: 0,
            events: InitialStream::empty(),
        };
        (none, Loaded::default())
    };
    let data = move_stdout_aside(&cluster)?;
    let cfg = args.job.config();
    let (format, dir) = (args.job.format, args.job.output.clone());
    let total = (initial.len + loaded.events.len()) as u64;
    if cluster.is_first() {
        cimflow::progress::start("run", total);
    }
    let metrics = served.as_ref().map(|(m, _)| Arc::clone(m));
    if let Some(m) = &metrics {
        m.read(total);
    }
    let epsilon = args.job.epsilon;
    let open = move || -> Result<Output, OutputError> {
        let out = match &data {
            Some(out) => Output::with_writer(format, Box::new(out.clone()), dir.as_deref()),
            None => Output::new(format, dir.as_deref()),
        };
        let mut out = out?.with_metrics(metrics.clone());
        out.keep_report(epsilon)?;
        Ok(out)
    };
    let kind = EngineKind::of(args.method, args.job.oracle);
    let method = args.method;
    // Epoch 0's events are handed over, not lent, so that they are freed once applied.
    let initial = Arc::new(std::sync::Mutex::new(Some(initial.events)));
    let loaded = Arc::new(loaded);
    let ran = drive(&cluster, kind, launch, cfg, move |session| {
        let initial = initial.lock().expect("not poisoned").take();
        let initial = initial.expect("the session runs once");
        run_epochs_from(session, initial, &loaded, &mut open()?)
    });
    let Some(stats) = ran? else {
        // Not process 0: the results are there.
        return Ok(());
    };
    cimflow::progress::finish();
    if let Some(last) = stats.last {
        let why = match method {
            _ if last.certified => " (certified)",
            // Only these two sample until their own certificate holds.
            Method::Cimflow | Method::Mg => " (not certified: θ_max reached)",
            _ => " (not certified at the level cimflow's selection certified)",
        };
        eprintln!(
            "cimflow: {}; last: {} recommendations, spread {:.1}, ratio {:.3}{why}",
            plural(stats.epochs, "epoch"),
            last.selected,
            last.spread,
            last.ratio,
        );
    }
    Ok(())
}

/// Reads the graph, the adopters and the event log: epoch 0's events apart, still compact.
fn load(args: &RunArgs) -> anyhow::Result<(InitialEvents, Loaded)> {
    let mut diag = Diagnostics::new(args.job.strict);
    let initial = read_initial_lazily(&args.input.spec(), &mut diag)?;
    if let Some(path) = &args.input.acceptance
        && args.method != Method::Cimflow
    {
        eprintln!(
            "cimflow: --method {} does not know acceptances: it picks, and is measured, as if \
             every invitation in {} were accepted",
            args.method,
            path.display()
        );
    }
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
    // Epoch 0's count is of events: a weighted line is two, an acceptance line one.
    eprintln!(
        "cimflow: read {} from the graph, adopter and acceptance files, {} from the log",
        plural(initial.len as u64, "event"),
        plural(events.len() as u64, "event"),
    );
    let loaded = Loaded {
        initial: Vec::new(),
        events,
        skipped: diag.skipped,
    };
    Ok((initial, loaded))
}

fn follow(args: FollowArgs) -> anyhow::Result<()> {
    args.validate().map_err(anyhow::Error::msg)?;
    let checkpoints = args.state.is_some();
    let served = serve_metrics(&args.job, Role::Follow { checkpoints })?;
    // The first SIGINT or SIGTERM asks the loop to stop after the epoch in progress; a second
    // one, while it does, ends the process at once (exit status 1).
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register_conditional_shutdown(signal, 1, Arc::clone(&stop))?;
        signal_hook::flag::register(signal, Arc::clone(&stop))?;
    }
    let cluster = &args.job.cluster;
    if !cluster.is_first() {
        eprintln!(
            "cimflow: {}: results are written by process 0",
            cluster.describe()
        );
    }
    let data = move_stdout_aside(cluster)?;
    let cfg = args.job.config();
    let fcfg = FollowConfig {
        data,
        log: args.log.clone(),
        input: args.input.spec(),
        idle: args.idle,
        state: args.state.clone(),
        output: args.job.output.clone(),
        format: args.job.format,
        strict: args.job.strict,
        status_every: Duration::from_secs(5),
        metrics: served.as_ref().map(|(m, _)| Arc::clone(m)),
    };
    let kind = EngineKind::of(Method::Cimflow, args.job.oracle);
    let mut launch = cluster.launch()?;
    launch
        .terms
        .extend(cimflow::cluster::handshake::job_terms("follow", &cfg));
    let ran = drive(cluster, kind, launch, cfg, move |session| {
        Ok(cimflow::follow::follow(session, &fcfg, &stop))
    });
    let report = match ran? {
        Some(report) => report?,
        // Not process 0: it reads the log and writes the results; this one has computed.
        None => return Ok(()),
    };
    eprintln!("cimflow: {}: {}", args.log.display(), describe(&report));
    Ok(())
}

/// Starts `--metrics` on process 0 before anything else, so that a port in use stops the
/// command at once; the server runs until the returned value is dropped.
fn serve_metrics(
    job: &JobArgs,
    role: Role,
) -> anyhow::Result<Option<(Arc<Metrics>, MetricsServer)>> {
    let Some(addr) = job.metrics else {
        return Ok(None);
    };
    if !job.cluster.is_first() {
        return Ok(None);
    }
    let metrics = Arc::new(Metrics::new(role));
    let server = MetricsServer::start(addr, Arc::clone(&metrics))?;
    eprintln!("cimflow: metrics on http://{}/metrics", server.addr());
    Ok(Some((metrics, server)))
}

fn report(args: ReportArgs) -> anyhow::Result<()> {
    args.validate().map_err(anyhow::Error::msg)?;
    let written = cimflow::report::write_from_log(&args.dir, args.epsilon)?;
    eprintln!(
        "cimflow: {}: {} epochs{}",
        args.dir.join(cimflow::report::FILE).display(),
        written.epochs,
        match written.unreadable {
            0 => String::new(),
            n => format!("; {n} unreadable line(s) of the change log skipped"),
        }
    );
    Ok(())
}

/// In a cluster, moves stdout aside before timely starts (its connection messages go to stdout)
/// and returns where the data go instead.
fn move_stdout_aside(cluster: &ClusterArgs) -> anyhow::Result<Option<DataOut>> {
    if !cluster.is_cluster() {
        return Ok(None);
    }
    quiet_connection_panics();
    Ok(Some(take_stdout().context("moving stdout aside")?))
}

/// Runs `body` with a session over the engine `kind` (see [`with_session`]); `None` in the
/// processes of a cluster other than 0. Errors name the process.
fn drive<R, F>(
    cluster: &ClusterArgs,
    kind: EngineKind,
    launch: Launch,
    cfg: JobConfig,
    body: F,
) -> anyhow::Result<Option<R>>
where
    R: Send + 'static,
    F: Fn(&mut AnySession<'_>) -> Result<R, JobError> + Send + Sync + 'static,
{
    match with_session(kind, launch, cfg, body) {
        Err(e) if cluster.is_cluster() => Err(e).context(cluster.describe()),
        ran => Ok(ran?),
    }
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
        "stopped; {} in {} after {} over {seconds:.2} s ({rate:.0} events/s); \
         epoch latency median {:.2} ms, p99 {:.2} ms",
        plural(r.events, "event"),
        plural(r.epochs, "epoch"),
        r.resumed_after
            .map_or("epoch 0".to_string(), |e| format!("the resumed epoch {e}")),
        at(0.5),
        at(0.99),
    )
}

/// `n` and the noun, in the plural unless n is 1.
fn plural(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn evaluate(args: EvaluateArgs) -> anyhow::Result<()> {
    let inputs = evaluate::Inputs {
        initial: args.input.spec(),
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
