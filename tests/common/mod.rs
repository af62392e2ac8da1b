//! Helpers shared by the integration tests: random event streams and an in-memory output.

#![allow(dead_code)]

use std::io::Write;
use std::sync::{Arc, Mutex};

use cimflow::input::{Event, EventKind, Op};
use cimflow::job::{JobConfig, Loaded, Session, run_dataflow, run_epochs};
use cimflow::model::Model;
use cimflow::oracle::OracleEngine;
use cimflow::output::{Format, Output};
use cimflow::selection::Params;
use proptest::prelude::*;

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
    let buf = SharedBuf::default();
    let sink = buf.clone();
    let open = move || Output::with_writer(Format::Jsonl, Box::new(sink.clone()), None);
    if let Err(e) = run_dataflow(workers, Arc::new(loaded.clone()), cfg.clone(), open) {
        panic!("dataflow run with {workers} workers failed: {e}");
    }
    buf.text()
}

/// Runs `loaded` on the oracle; returns the JSON Lines output.
pub fn oracle_output(loaded: &Loaded, cfg: &JobConfig) -> String {
    let buf = SharedBuf::default();
    let mut out = Output::with_writer(Format::Jsonl, Box::new(buf.clone()), None).unwrap();
    let engine = OracleEngine {
        with_coverage: false,
    };
    run_epochs(&mut Session::new(engine, cfg.clone()), loaded, &mut out).unwrap();
    buf.text()
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
    let initial = prop::collection::vec((node(n), node(n)), 5..40).prop_map(|edges| {
        edges
            .into_iter()
            .map(|(u, v)| Event {
                time: None,
                op: Op::Add,
                kind: EventKind::Friendship(u, v),
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
