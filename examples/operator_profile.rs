//! Where a dataflow run spends its time, by timely operator: the profiling aid behind the findings
//! in docs/BENCHMARKS.md. Runs `cimflow run`'s dataflow path on one worker with timely's event log
//! registered, sums each operator's scheduled time (Schedule start → stop), and reports the time
//! outside the dataflow (the selection, the engine's bookkeeping) as the rest of the epochs.
//!
//! ```text
//! cargo run --release --example operator_profile -- --graph G [--undirected] --adopters A \
//!     [--adopter-set N] -k K [--model M] [--events E --batch B]
//! ```

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::PathBuf;
use std::rc::Rc;
use std::time::{Duration, Instant};

use clap::Parser;
use timely::logging::{StartStop, TimelyEvent, TimelyEventBuilder};

use cimflow::engine::DataflowEngine;
use cimflow::input::{Diagnostics, Event, EventKind, Op, read_adopters, read_events, read_graph};
use cimflow::job::{JobConfig, Loaded, Session, run_epochs};
use cimflow::model::Model;
use cimflow::output::{Format, Output};
use cimflow::selection::Params;

/// Profiles the dataflow by operator.
#[derive(Parser, Debug)]
struct Args {
    /// The initial graph, as for `cimflow run`.
    #[arg(long)]
    graph: PathBuf,
    /// Each graph line is a friendship.
    #[arg(long)]
    undirected: bool,
    /// The adopters.
    #[arg(long)]
    adopters: PathBuf,
    /// Only this line of the adopter file.
    #[arg(long)]
    adopter_set: Option<usize>,
    /// The capacity.
    #[arg(short = 'k')]
    k: u32,
    /// `wc`, `uniform:P` or `weighted`.
    #[arg(long, default_value = "wc")]
    model: Model,
    /// An event log.
    #[arg(long)]
    events: Option<PathBuf>,
    /// Events per epoch.
    #[arg(long, default_value_t = 1000)]
    batch: usize,
    /// Operators to list.
    #[arg(long, default_value_t = 15)]
    top: usize,
}

/// Per operator: its address, name, scheduled time and schedule count, and the records sent to
/// it over exchange channels (timely logs messages only on those; with one worker every keyed
/// input of a join, reduce or arrangement is one).
#[derive(Default)]
struct Ledger {
    names: HashMap<usize, (Vec<usize>, String)>,
    started: HashMap<usize, Duration>,
    spent: HashMap<usize, (Duration, u64)>,
    /// Channel id → the address of the operator it feeds.
    channels: HashMap<usize, Vec<usize>>,
    records: HashMap<Vec<usize>, i64>,
}

impl Ledger {
    fn record(&mut self, at: Duration, event: &TimelyEvent) {
        match event {
            TimelyEvent::Operates(op) => {
                self.names.insert(op.id, (op.addr.clone(), op.name.clone()));
            }
            TimelyEvent::Channels(c) => {
                let mut target = c.scope_addr.clone();
                target.push(c.target.0);
                self.channels.insert(c.id, target);
            }
            TimelyEvent::Messages(m) if m.is_send => {
                if let Some(target) = self.channels.get(&m.channel) {
                    *self.records.entry(target.clone()).or_default() += m.record_count;
                }
            }
            TimelyEvent::Schedule(s) => match s.start_stop {
                StartStop::Start => {
                    self.started.insert(s.id, at);
                }
                StartStop::Stop => {
                    if let Some(from) = self.started.remove(&s.id) {
                        let e = self.spent.entry(s.id).or_default();
                        e.0 += at.saturating_sub(from);
                        e.1 += 1;
                    }
                }
            },
            _ => {}
        }
    }

    /// Leaf operators (no other operator's address extends theirs), slowest first, with the
    /// names of the scopes they are in.
    fn leaves(&self) -> Vec<(String, Duration, u64, i64)> {
        let by_addr: HashMap<&[usize], &str> = self
            .names
            .values()
            .map(|(a, n)| (a.as_slice(), n.as_str()))
            .collect();
        let mut rows: Vec<(String, Duration, u64, i64)> = self
            .names
            .iter()
            .filter(|(_, (addr, _))| {
                !self
                    .names
                    .values()
                    .any(|(b, _)| b.len() > addr.len() && b.starts_with(addr))
            })
            .map(|(id, (addr, name))| {
                let scopes: Vec<&str> = (1..addr.len())
                    .filter_map(|i| by_addr.get(&addr[..i]).copied())
                    .collect();
                let path = scopes
                    .into_iter()
                    .chain([name.as_str()])
                    .collect::<Vec<_>>();
                let (t, n) = self.spent.get(id).copied().unwrap_or_default();
                let records = self.records.get(addr).copied().unwrap_or(0);
                (format!("{} {:?}", path.join(" / "), addr), t, n, records)
            })
            .collect();
        rows.sort_by_key(|r| std::cmp::Reverse(r.1));
        rows
    }
}

fn load(args: &Args) -> anyhow::Result<Loaded> {
    let mut diag = Diagnostics::new(false);
    let mut initial = read_graph(&args.graph, args.undirected, false, &mut diag)?;
    let adopters = read_adopters(&args.adopters, args.adopter_set, &mut diag)?;
    initial.extend(adopters.into_iter().map(|a| Event {
        time: None,
        op: Op::Add,
        kind: EventKind::Adopter(a, None),
    }));
    let events = match &args.events {
        Some(p) => read_events(p, &mut diag)?,
        None => Vec::new(),
    };
    Ok(Loaded {
        initial,
        events,
        skipped: diag.skipped,
    })
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let loaded = load(&args)?;
    let cfg = JobConfig {
        model: args.model,
        k: args.k,
        params: Params {
            epsilon: 0.1,
            delta: None,
            seed: 0,
            min_rate: 0.0,
        },
        batch: args.batch,
        every: None,
        window: None,
        verify: false,
        timings: true,
    };
    let top = args.top;
    let guards = timely::execute(timely::Config::thread(), move |worker| {
        let ledger = Rc::new(RefCell::new(Ledger::default()));
        let sink = ledger.clone();
        worker
            .log_register()
            .expect("logging is available")
            .insert::<TimelyEventBuilder, _>("timely", move |_, data| {
                if let Some(data) = data {
                    let mut l = sink.borrow_mut();
                    for (at, event) in data.iter() {
                        l.record(*at, event);
                    }
                }
            });
        let engine = DataflowEngine::build(worker, cfg.model, cfg.params.seed, false, None);
        let mut session = Session::new(engine, cfg.clone());
        let mut out = Output::with_writer(Format::Jsonl, Box::new(std::io::sink()), None)
            .expect("no directory to open");
        let started = Instant::now();
        let stats = run_epochs(&mut session, &loaded, &mut out).expect("the run");
        let wall = started.elapsed();
        drop(session);
        worker.log_register().expect("logging").remove("timely");
        let epochs_ms: f64 = stats.latencies_ms.iter().sum();
        let rows = ledger.borrow().leaves();
        let in_ops: Duration = rows.iter().map(|r| r.1).sum();
        println!(
            "{} epochs, {:.1} ms in epochs ({:.1} ms after epoch 0), {:.1} ms wall; {:.1} ms in leaf operators",
            stats.epochs,
            epochs_ms,
            epochs_ms - stats.latencies_ms[0],
            wall.as_secs_f64() * 1e3,
            in_ops.as_secs_f64() * 1e3
        );
        println!("| operator [address] | time | share of epochs | schedules | records in |");
        println!("|---|---:|---:|---:|---:|");
        for (name, t, n, records) in rows.into_iter().take(top) {
            let ms = t.as_secs_f64() * 1e3;
            let records = if records > 0 {
                records.to_string()
            } else {
                "–".into()
            };
            println!(
                "| {name} | {ms:.1} ms | {:.1}% | {n} | {records} |",
                100.0 * ms / epochs_ms
            );
        }
    })
    .map_err(|e| anyhow::anyhow!("timely: {e}"))?;
    guards.join();
    Ok(())
}
