//! What ignoring acceptance costs: on a graph, with every candidate pair's acceptance drawn by a
//! fixed rule, the picks of the expected-coverage greedy against RR-Greedy's picks made as if
//! every w were 1, both scored by Monte Carlo with the true w (`evaluate`'s simulator).
//!
//! ```sh
//! cargo run --release --example acceptance -- DATA_DIR [GRAPH.txt.gz --undirected|--directed]...
//! ```
//!
//! Adopters: 5% of the nodes, the smallest by a keyed hash of their id; capacity k = 10 each;
//! `wc` model, ε = 0.1, seed 0. w(a, f) = 0.1 + 0.9·U(a, f), U uniform in [0, 1) from a hash of
//! the pair. With `--write DIR`, the adopters and the acceptance file of each graph are written
//! there, for `cimflow run --acceptance` (the epoch-cost runs of docs/BENCHMARKS.md).

use std::path::{Path, PathBuf};
use std::time::Instant;

use cimflow::engine::oracle;
use cimflow::evaluate;
use cimflow::input::{Diagnostics, Event, EventKind, Op, read_graph};
use cimflow::model::{Model, Node};
use cimflow::selection::Params;
use cimflow::state::State;

const K: u32 = 10;
const SHARE: f64 = 0.05;
const RUNS: usize = 20_000;

fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// The acceptance rule: uniform in [0.1, 1) by a hash of the pair.
fn weight(a: Node, f: Node) -> f64 {
    let u = (mix(mix(a ^ 0x00ac_ce97) ^ f) >> 11) as f64 / (1u64 << 53) as f64;
    0.1 + 0.9 * u
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let data = PathBuf::from(args.first().expect("DATA_DIR"));
    let write = args
        .iter()
        .position(|a| a == "--write")
        .map(|i| PathBuf::from(&args[i + 1]));
    let mut graphs: Vec<(String, bool)> = Vec::new();
    let mut i = 1;
    while i < args.len() {
        match args[i].as_str() {
            "--write" => i += 1,
            "--undirected" | "--directed" => {}
            g => graphs.push((
                g.into(),
                args.get(i + 1).is_some_and(|x| x == "--undirected"),
            )),
        }
        i += 1;
    }
    if graphs.is_empty() {
        graphs = vec![
            ("facebook_combined.txt.gz".into(), true),
            ("Wiki-Vote.txt.gz".into(), false),
        ];
    }
    println!(
        "| graph | adopters | pairs with w < 1 | picks ignoring w: spread (MC, true w) | picks using w: spread (MC, true w) | gain | select, ignoring / using w |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (file, undirected) in graphs {
        row(&data, &file, undirected, write.as_deref())?;
    }
    Ok(())
}

fn row(data: &Path, file: &str, undirected: bool, write: Option<&Path>) -> anyhow::Result<()> {
    let mut diag = Diagnostics::new(true);
    let events = read_graph(&data.join(file), undirected, false, &mut diag)?;
    let mut plain = State::new(Model::Wc, K);
    for e in &events {
        plain.apply(e);
    }
    let mut nodes: Vec<Node> = plain.nodes().collect();
    nodes.sort_unstable_by_key(|&v| (mix(v ^ 0x5eed), v));
    let adopters: Vec<Node> = nodes[..(nodes.len() as f64 * SHARE).ceil() as usize].to_vec();
    for &a in &adopters {
        plain.apply(&Event {
            time: None,
            op: Op::Add,
            kind: EventKind::Adopter(a, None),
        });
    }
    let mut accepting = plain.clone();
    let mut lines = String::new();
    let mut pairs = 0;
    for &a in &adopters {
        for f in plain.candidates(a) {
            let w = weight(a, f);
            accepting.apply(&Event {
                time: None,
                op: Op::Add,
                kind: EventKind::Acceptance(a, f, w),
            });
            lines.push_str(&format!("{a} {f} {w}\n"));
            pairs += 1;
        }
    }
    if let Some(dir) = write {
        std::fs::create_dir_all(dir)?;
        let stem = file.split('.').next().unwrap_or(file);
        let ids: Vec<String> = adopters.iter().map(|a| a.to_string()).collect();
        std::fs::write(dir.join(format!("{stem}.ap")), ids.join(" ") + "\n")?;
        std::fs::write(dir.join(format!("{stem}.acceptance")), &lines)?;
    }
    let params = Params {
        epsilon: 0.1,
        delta: None,
        seed: 0,
        min_rate: 0.0,
    };
    let at = Instant::now();
    let ignoring = oracle::solve(&plain, &params, false).outcome;
    let t_ignoring = at.elapsed().as_secs_f64();
    let at = Instant::now();
    let using = oracle::solve(&accepting, &params, false).outcome;
    let t_using = at.elapsed().as_secs_f64();
    let score = |o: &cimflow::selection::Outcome| {
        let pairs: Vec<(Node, Node)> = o
            .greedy
            .picks
            .iter()
            .map(|p| (p.adopter, p.friend))
            .collect();
        evaluate::expected_spread(&accepting, &pairs, RUNS, 2, 7)
    };
    let (si, su) = (score(&ignoring), score(&using));
    println!(
        "| {} | {} | {} | {:.1} ± {:.1} | {:.1} ± {:.1} | {:+.1}% | {:.2} s / {:.2} s |",
        file.split('.').next().unwrap_or(file),
        adopters.len(),
        pairs,
        si.mean,
        si.std_err,
        su.mean,
        su.std_err,
        100.0 * (su.mean / si.mean - 1.0),
        t_ignoring,
        t_using,
    );
    Ok(())
}
