//! Helpers shared by the integration tests: random event streams and an in-memory output.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use cimflow::cluster::Launch;
use cimflow::engine::EngineKind;
use cimflow::input::{Event, EventKind, Op};
use cimflow::job::workers::with_session;
use cimflow::job::{JobConfig, Loaded, run_epochs};
use cimflow::model::Model;
use cimflow::output::{Format, Output};
use cimflow::selection::Params;
use proptest::prelude::*;
use timely::CommunicationConfig;

/// A `Write` whose bytes the test reads back.
#[derive(Clone, Default)]
pub struct SharedBuf(pub Arc<Mutex<Vec<u8>>>);

impl Write for SharedBuf {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl SharedBuf {
    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

pub fn config(model: Model, k: u32, batch: usize, verify: bool) -> JobConfig {
    JobConfig {
        model,
        k,
        params: Params {
            epsilon: 0.2,
            delta: None,
            seed: 11,
            min_rate: 0.0,
        },
        batch,
        every: None,
        window: None,
        verify,
        timings: false,
    }
}

/// Runs `loaded` on the dataflow with `workers` threads; returns the JSON Lines output.
pub fn dataflow_output(workers: usize, loaded: &Loaded, cfg: &JobConfig) -> String {
    let communication = if workers > 1 {
        CommunicationConfig::Process(workers)
    } else {
        CommunicationConfig::Thread
    };
    engine_output(EngineKind::Dataflow, communication.into(), loaded, cfg)
}

/// Runs `loaded` on the engine `kind` over `launch`'s workers; returns the JSON Lines output.
pub fn engine_output(kind: EngineKind, launch: Launch, loaded: &Loaded, cfg: &JobConfig) -> String {
    let buf = SharedBuf::default();
    let sink = buf.clone();
    let loaded = Arc::new(loaded.clone());
    let ran = with_session(kind, launch, cfg.clone(), move |session| {
        let mut out = Output::with_writer(Format::Jsonl, Box::new(sink.clone()), None)?;
        run_epochs(session, &loaded, &mut out)
    });
    match ran {
        Ok(Some(_)) => buf.text(),
        Ok(None) => panic!("{kind:?}: no worker 0 in this process"),
        Err(e) => panic!("{kind:?} run failed: {e}"),
    }
}

/// Runs `loaded` on the oracle; returns the JSON Lines output.
pub fn oracle_output(loaded: &Loaded, cfg: &JobConfig) -> String {
    engine_output(
        EngineKind::Oracle,
        CommunicationConfig::Thread.into(),
        loaded,
        cfg,
    )
}

fn node(n: u64) -> impl Strategy<Value = u64> {
    0..n
}

/// One random event over nodes `0..n`: all kinds, both ops, so that duplicates, removals of
/// absent things and self-loops all occur.
pub fn event(n: u64) -> impl Strategy<Value = Event> {
    let kind = prop_oneof![
        4 => (node(n), node(n)).prop_map(|(u, v)| EventKind::Friendship(u, v)),
        2 => (node(n), node(n), prop::option::of(0.0..=1.0f64)).prop_map(|(u, v, p)| EventKind::Arc(u, v, p)),
        2 => (node(n), node(n), 1..4u64).prop_map(|(u, v, c)| EventKind::Interaction(u, v, c)),
        1 => (node(n), prop::option::of(1..4u32)).prop_map(|(a, k)| EventKind::Adopter(a, k)),
    ];
    (prop::bool::weighted(0.7), kind).prop_map(|(add, kind)| Event {
        time: None,
        op: if add { Op::Add } else { Op::Remove },
        kind,
    })
}

/// A random initial graph, adopters and event stream.
pub fn loaded(n: u64) -> impl Strategy<Value = Loaded> {
    // Friendships and one-way arcs, so that some nodes are only ever tails (as in a directed
    // edge list) and first appear through an arc's tail.
    let edge = (node(n), node(n), prop::bool::weighted(0.3));
    let initial = prop::collection::vec(edge, 5..40).prop_map(|edges| {
        edges
            .into_iter()
            .map(|(u, v, one_way)| Event {
                time: None,
                op: Op::Add,
                kind: if one_way {
                    EventKind::Arc(u, v, None)
                } else {
                    EventKind::Friendship(u, v)
                },
            })
            .collect::<Vec<_>>()
    });
    let adopters = prop::collection::vec(node(n), 1..4);
    let events = prop::collection::vec(event(n), 0..40);
    (initial, adopters, events).prop_map(|(mut initial, adopters, events)| {
        initial.extend(adopters.into_iter().map(|a| Event {
            time: None,
            op: Op::Add,
            kind: EventKind::Adopter(a, None),
        }));
        Loaded {
            initial,
            events,
            skipped: 0,
        }
    })
}

/// An acceptance weight: mostly below 1, sometimes 1 (the default, so `+ w` of 1 is a removal).
fn weight() -> impl Strategy<Value = f64> {
    prop::sample::select(vec![0.2, 0.5, 0.9, 1.0])
}

/// [`loaded`] with acceptances: `+ w` for random friends of every initial adopter in epoch 0,
/// and `+ w` / `- w` events mixed into the stream, for adopters and for other nodes alike (an
/// acceptance may wait for its pair to become a candidate one).
pub fn loaded_accepting(n: u64) -> impl Strategy<Value = Loaded> {
    let initial = prop::collection::vec((node(n), weight()), 0..n as usize);
    let extra = prop::collection::vec(
        (
            0..40usize,
            prop::bool::weighted(0.7),
            node(n),
            node(n),
            weight(),
        ),
        0..15,
    );
    (loaded(n), initial, extra).prop_map(|(mut l, initial, extra)| {
        let adopters: Vec<u64> = l
            .initial
            .iter()
            .filter_map(|e| match e.kind {
                EventKind::Adopter(a, _) => Some(a),
                _ => None,
            })
            .collect();
        let accept = |op, a, f, w| Event {
            time: None,
            op,
            kind: EventKind::Acceptance(a, f, if op == Op::Add { w } else { 1.0 }),
        };
        for (i, (f, w)) in initial.into_iter().enumerate() {
            let a = adopters[i % adopters.len()];
            l.initial.push(accept(Op::Add, a, f, w));
        }
        for (at, add, a, f, w) in extra {
            // Half of them about an initial adopter, so that many name candidate pairs.
            let a = if a % 2 == 0 {
                adopters[a as usize % adopters.len()]
            } else {
                a
            };
            let op = if add { Op::Add } else { Op::Remove };
            l.events.insert(at.min(l.events.len()), accept(op, a, f, w));
        }
        l
    })
}

/// A bundled example file's path (`examples/FILE`), as a command-line argument.
pub fn example(file: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(file);
    path.to_str().unwrap().to_string()
}

/// Where the real datasets are looked for: the folder `CIMFLOW_DATA` names, else `../shared/data`
/// beside the checkout. The tests that need them skip, with a note, when it is absent.
pub fn data_dir() -> PathBuf {
    std::env::var_os("CIMFLOW_DATA").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data"),
        PathBuf::from,
    )
}
