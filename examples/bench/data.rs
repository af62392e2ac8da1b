//! The data sets the benchmark reads, and the inputs it derives from them: adopter sets, the
//! CollegeMsg initial graph and event stream. Everything derived is a pure function of the data
//! files, so two runs of the benchmark measure the same inputs.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;
use cimflow::input::{Diagnostics, Event, EventKind, Op, read_adopters, read_events, read_graph};
use cimflow::model::{Model, Node};
use cimflow::state::State;

/// The share of nodes made adopters where a data set brings no adopter sets of its own.
pub const ADOPTER_SHARE: f64 = 0.05;

/// The seed of [`pick_adopters`].
pub const ADOPTER_SEED: u64 = 2023;

/// Where a graph's adopters come from.
#[derive(Clone, Copy, Debug)]
pub enum Adopters {
    /// Line `set` (0-based) of the paper's `.ap` file.
    Ap(&'static str, usize),
    /// [`ADOPTER_SHARE`] of the nodes, by [`pick_adopters`].
    Share,
}

/// A static graph of the quality and cold-start tables.
#[derive(Clone, Copy, Debug)]
pub struct Graph {
    /// The name in the tables.
    pub name: &'static str,
    /// The file under the data directory.
    pub file: &'static str,
    /// Each line is one friendship (both arcs); otherwise each line is one arc. Graphs that list
    /// every undirected edge in both directions are read as arcs, which gives the same graph.
    pub undirected: bool,
    /// The adopters.
    pub adopters: Adopters,
}

/// The graphs of the quality table, in its order.
pub const GRAPHS: [Graph; 6] = [
    Graph {
        name: "dnc-corecipient",
        file: "dnc-corecipient.txt.gz",
        undirected: false,
        adopters: Adopters::Ap("dnc-corecipient.ap", 3),
    },
    Graph {
        name: "scinet",
        file: "scinet.txt.gz",
        undirected: true,
        adopters: Adopters::Ap("scinet.ap", 3),
    },
    Graph {
        name: "facebook_combined",
        file: "facebook_combined.txt.gz",
        undirected: true,
        adopters: Adopters::Share,
    },
    Graph {
        name: "Wiki-Vote",
        file: "Wiki-Vote.txt.gz",
        undirected: false,
        adopters: Adopters::Share,
    },
    Graph {
        name: "CA-HepPh",
        file: "CA-HepPh.txt.gz",
        undirected: false,
        adopters: Adopters::Share,
    },
    Graph {
        name: "email-Enron",
        file: "email-Enron.txt.gz",
        undirected: false,
        adopters: Adopters::Share,
    },
];

/// The graphs of the quality and sampling-floor tables (issue 11): the cold-start graphs and
/// soc-Slashdot0902, each with its own adopter draws ([`ADOPTER_SHARES`]).
pub fn quality_graphs() -> Vec<Graph> {
    let mut g = GRAPHS.to_vec();
    g.push(Graph {
        name: "soc-Slashdot0902",
        file: "soc-Slashdot0902.txt.gz",
        undirected: false,
        adopters: Adopters::Share,
    });
    g
}

/// The adopter shares of the quality tables: 5% and 0.5% of the nodes, by [`pick_adopters`].
pub const ADOPTER_SHARES: [f64; 2] = [0.05, 0.005];

/// A graph's adopters chosen and written for child processes.
pub struct Loaded {
    /// The file the adopters were written to, for child processes.
    pub adopter_file: PathBuf,
}

impl Graph {
    /// Reads the graph, chooses its adopters and writes them to `work/<name>.adopters`.
    pub fn load(&self, data: &Path, work: &Path) -> anyhow::Result<Loaded> {
        let mut diag = Diagnostics::new(true);
        let graph = self.read(data)?;
        let adopters = match self.adopters {
            Adopters::Ap(file, set) => read_adopters(&data.join(file), Some(set), &mut diag)?,
            Adopters::Share => pick_adopters(&nodes_of(&graph), ADOPTER_SHARE, ADOPTER_SEED),
        };
        let adopter_file = work.join(format!("{}.adopters", self.name));
        write_ids(&adopter_file, &adopters)?;
        Ok(Loaded { adopter_file })
    }

    /// The graph's events (arcs or friendships).
    pub fn read(&self, data: &Path) -> anyhow::Result<Vec<Event>> {
        let mut diag = Diagnostics::new(true);
        read_graph(&data.join(self.file), self.undirected, false, &mut diag)
            .with_context(|| format!("reading {}", self.file))
    }

    /// The flags that make `cimflow run` read this graph.
    pub fn flags(&self, data: &Path) -> Vec<String> {
        let mut f = vec!["--graph".into(), data.join(self.file).display().to_string()];
        if self.undirected {
            f.push("--undirected".into());
        }
        f
    }
}

/// The snapshot of `graph` with `adopters` at capacity `k`, under `model`.
pub fn state(model: Model, graph: &[Event], adopters: &[Node], k: u32) -> State {
    let mut s = State::new(model, k);
    for e in graph {
        s.apply(e);
    }
    for &a in adopters {
        s.apply(&Event {
            time: None,
            op: Op::Add,
            kind: EventKind::Adopter(a, Some(k)),
        });
    }
    s.take_delta();
    s
}

/// The nodes the events bring into the graph: endpoints of anything but a self-loop, ascending.
pub fn nodes_of(events: &[Event]) -> Vec<Node> {
    let mut nodes: Vec<Node> = events
        .iter()
        .flat_map(|e| match e.kind {
            EventKind::Friendship(u, v)
            | EventKind::Arc(u, v, _)
            | EventKind::Interaction(u, v, _)
                if u != v =>
            {
                vec![u, v]
            }
            _ => vec![],
        })
        .collect();
    nodes.sort_unstable();
    nodes.dedup();
    nodes
}

/// ⌈share·|nodes|⌉ of `nodes` (at least one of a non-empty list): those with the smallest
/// SplitMix64 hash of `seed ^ id`, returned ascending. A fixed function of the ids, so the same
/// graph always gets the same adopters, whatever the order it was read in.
pub fn pick_adopters(nodes: &[Node], share: f64, seed: u64) -> Vec<Node> {
    let want = ((nodes.len() as f64 * share).ceil() as usize).min(nodes.len());
    let mut keyed: Vec<(u64, Node)> = nodes.iter().map(|&v| (splitmix(seed ^ v), v)).collect();
    keyed.sort_unstable();
    let mut chosen: Vec<Node> = keyed.into_iter().take(want).map(|(_, v)| v).collect();
    chosen.sort_unstable();
    chosen
}

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Writes node ids, one a line.
pub fn write_ids(path: &Path, ids: &[Node]) -> anyhow::Result<()> {
    let mut text = String::new();
    for id in ids {
        writeln!(text, "{id}").expect("writing to a String");
    }
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

/// A SNAP temporal file read as interaction events, in file order.
pub fn temporal(data: &Path, file: &str) -> anyhow::Result<Vec<Event>> {
    let mut diag = Diagnostics::new(true);
    read_events(&data.join(file), &mut diag).with_context(|| format!("reading {file}"))
}

/// Writes `events` (interactions) as an event log, `T + i U V` a line.
pub fn write_interactions(path: &Path, events: &[Event]) -> anyhow::Result<()> {
    let mut text = String::with_capacity(events.len() * 32);
    for e in events {
        if let EventKind::Interaction(u, v, n) = e.kind {
            if let Some(t) = e.time {
                write!(text, "{t} ").expect("writing to a String");
            }
            writeln!(text, "+ i {u} {v} {n}").expect("writing to a String");
        }
    }
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

/// Writes the distinct arcs `u → v` of `events` (interactions) as an edge list, ascending.
pub fn write_arcs(path: &Path, events: &[Event]) -> anyhow::Result<()> {
    let mut arcs: Vec<(Node, Node)> = events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Interaction(u, v, _) => Some((u, v)),
            _ => None,
        })
        .collect();
    arcs.sort_unstable();
    arcs.dedup();
    let mut text = String::with_capacity(arcs.len() * 16);
    for (u, v) in arcs {
        writeln!(text, "{u} {v}").expect("writing to a String");
    }
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}
