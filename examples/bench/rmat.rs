//! Graph500 R-MAT graphs for the `scale` section: a directed edge list, its adopters and a stream
//! of arc events, each a pure function of (scale, edge factor, seed), cached under the target
//! directory so that reruns read files instead of regenerating them.
//!
//! The graph is Graph500's Kronecker generator: each of `edge_factor · 2^scale` draws picks, at
//! each of `scale` levels, one quadrant of the adjacency matrix with probabilities a = 0.57,
//! b = 0.19, c = 0.19, d = 0.05, which fixes one bit of the tail and one of the head. Self-loops
//! and repeated arcs are dropped, and node ids are relabelled by a seeded random permutation so
//! that an id says nothing about a node's degree. The random streams are ChaCha8, whose output
//! is fixed for a seed, so the same parameters give the same files on every machine.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use rand::seq::SliceRandom;
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rustc_hash::FxHashSet;

/// The quadrant probabilities a, b, c (d = 1 − a − b − c) as thresholds on a uniform u32.
const THRESHOLDS: [u32; 3] = [
    (0.57 * 4_294_967_296.0) as u32,
    ((0.57 + 0.19) * 4_294_967_296.0) as u32,
    ((0.57 + 0.19 + 0.19) * 4_294_967_296.0) as u32,
];

/// The share of the nodes that are adopters.
pub const ADOPTER_SHARE: f64 = 0.005;

/// Bumped whenever the generator's output changes, so that stale cached files are not reused.
const FORMAT: u32 = 1;

/// One ChaCha stream per use, so that, say, asking for more events leaves the graph unchanged.
#[derive(Clone, Copy)]
enum Stream {
    Arcs = 0,
    Labels = 1,
    Adopters = 2,
    Events = 3,
}

/// The parameters that determine a graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rmat {
    /// log2 of the number of node ids.
    pub scale: u32,
    /// Draws per node id: `edge_factor · 2^scale` draws before dropping.
    pub edge_factor: u32,
    /// The seed of every random stream.
    pub seed: u64,
}

/// An arc event of the stream: an existing arc removed, or a new one added.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArcEvent {
    /// `- e U V`.
    Remove(u32, u32),
    /// `+ e U V`.
    Add(u32, u32),
}

/// A generated graph, in memory.
pub struct Graph {
    scale: u32,
    seed: u64,
    /// The arcs before relabelling, `tail << scale | head`, ascending and distinct.
    keys: Vec<u64>,
    /// New id of each original id.
    label: Vec<u32>,
    /// Draws dropped as self-loops or repeats.
    pub dropped: u64,
}

fn stream(seed: u64, stream: Stream) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream as u64);
    rng
}

impl Rmat {
    /// The file name stem of the cached files.
    pub fn name(&self) -> String {
        format!(
            "rmat-v{FORMAT}-s{}-e{}-seed{}",
            self.scale, self.edge_factor, self.seed
        )
    }

    /// Generates the graph.
    pub fn generate(&self) -> Graph {
        assert!(
            (1..=31).contains(&self.scale),
            "scale {} out of 1..=31",
            self.scale
        );
        let draws = (self.edge_factor as u64) << self.scale;
        let mut rng = stream(self.seed, Stream::Arcs);
        let mut keys = Vec::with_capacity(draws as usize);
        for _ in 0..draws {
            let (u, v) = draw(&mut rng, self.scale);
            if u != v {
                keys.push((u as u64) << self.scale | v as u64);
            }
        }
        keys.sort_unstable();
        keys.dedup();
        keys.shrink_to_fit();
        let mut label: Vec<u32> = (0..1u32 << self.scale).collect();
        label.shuffle(&mut stream(self.seed, Stream::Labels));
        Graph {
            scale: self.scale,
            seed: self.seed,
            dropped: draws - keys.len() as u64,
            keys,
            label,
        }
    }
}

/// One R-MAT draw: (tail, head) before relabelling, two levels per 64 random bits.
fn draw(rng: &mut impl RngCore, scale: u32) -> (u32, u32) {
    let (mut u, mut v) = (0u32, 0u32);
    let mut bits = 0u64;
    for level in 0..scale {
        if level % 2 == 0 {
            bits = rng.next_u64();
        }
        let r = bits as u32;
        bits >>= 32;
        let (du, dv) = match r {
            r if r < THRESHOLDS[0] => (0, 0),
            r if r < THRESHOLDS[1] => (0, 1),
            r if r < THRESHOLDS[2] => (1, 0),
            _ => (1, 1),
        };
        u = u << 1 | du;
        v = v << 1 | dv;
    }
    (u, v)
}

impl Graph {
    fn split(&self, key: u64) -> (u32, u32) {
        let mask = (1u64 << self.scale) - 1;
        (
            self.label[(key >> self.scale) as usize],
            self.label[(key & mask) as usize],
        )
    }

    /// The number of arcs.
    pub fn arc_count(&self) -> usize {
        self.keys.len()
    }

    /// The arcs (tail, head), relabelled, in the order of the original ids.
    pub fn arcs(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        self.keys.iter().map(|&k| self.split(k))
    }

    /// Out-degree and in-degree of each (relabelled) id.
    pub fn degrees(&self) -> (Vec<u32>, Vec<u32>) {
        let n = 1usize << self.scale;
        let (mut out, mut inn) = (vec![0u32; n], vec![0u32; n]);
        for (u, v) in self.arcs() {
            out[u as usize] += 1;
            inn[v as usize] += 1;
        }
        (out, inn)
    }

    /// The nodes: ids with at least one arc.
    pub fn node_count(&self) -> usize {
        let (out, inn) = self.degrees();
        out.iter().zip(&inn).filter(|(o, i)| **o + **i > 0).count()
    }

    /// ⌈`share` · nodes⌉ adopters, drawn uniformly among the nodes with out-arcs (an adopter
    /// without out-arcs would have no friend to recommend), ascending.
    pub fn adopters(&self, share: f64) -> Vec<u32> {
        let (out, inn) = self.degrees();
        let nodes = out.iter().zip(&inn).filter(|(o, i)| **o + **i > 0).count();
        let tails: Vec<u32> = (0..out.len() as u32)
            .filter(|&v| out[v as usize] > 0)
            .collect();
        let want = ((nodes as f64 * share).ceil() as usize).min(tails.len());
        let mut rng = stream(self.seed, Stream::Adopters);
        let mut chosen: Vec<u32> = rand::seq::index::sample(&mut rng, tails.len(), want)
            .into_iter()
            .map(|i| tails[i])
            .collect();
        chosen.sort_unstable();
        chosen
    }

    /// `count` events that all change the graph: even ones remove an arc of the graph not removed
    /// before (uniformly, so hubs lose arcs in proportion to their degree), odd ones add an R-MAT
    /// draw that is no arc of the graph, no self-loop and not added before (so new arcs land on
    /// hubs as often as the graph's own do).
    pub fn events(&self, count: usize) -> Vec<ArcEvent> {
        let mut rng = stream(self.seed, Stream::Events);
        let removals = count.div_ceil(2);
        assert!(
            removals <= self.keys.len() / 2,
            "{count} events would remove more than half of the arcs"
        );
        let (mut removed, mut added) = (FxHashSet::default(), FxHashSet::default());
        let mut events = Vec::with_capacity(count);
        for i in 0..count {
            if i % 2 == 0 {
                let key = loop {
                    let key = self.keys[rng.random_range(0..self.keys.len())];
                    if removed.insert(key) {
                        break key;
                    }
                };
                let (u, v) = self.split(key);
                events.push(ArcEvent::Remove(u, v));
            } else {
                let key = loop {
                    let (u, v) = draw(&mut rng, self.scale);
                    let key = (u as u64) << self.scale | v as u64;
                    if u != v && self.keys.binary_search(&key).is_err() && added.insert(key) {
                        break key;
                    }
                };
                let (u, v) = self.split(key);
                events.push(ArcEvent::Add(u, v));
            }
        }
        events
    }
}

/// The cached files of one graph with its adopters and events.
pub struct Files {
    /// `u v` lines.
    pub graph: PathBuf,
    /// One id a line.
    pub adopters: PathBuf,
    /// `- e U V` / `+ e U V` lines, without times.
    pub events: PathBuf,
    /// Nodes of the graph (ids with at least one arc).
    pub nodes: usize,
    /// Arcs of the graph.
    pub arcs: usize,
}

/// The files of `rmat` with `events` events under `dir`, generated only when one is missing.
pub fn cached(dir: &Path, rmat: Rmat, events: usize) -> anyhow::Result<Files> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let stem = dir.join(rmat.name());
    let with = |ext: &str| PathBuf::from(format!("{}.{ext}", stem.display()));
    let (graph, meta, adopters) = (with("txt"), with("meta"), with("adopters"));
    let event_file = with(&format!("events{events}"));
    if ![&graph, &meta, &adopters, &event_file]
        .iter()
        .all(|p| p.exists())
    {
        eprintln!("bench: generating {}", rmat.name());
        let g = rmat.generate();
        if !graph.exists() {
            write_atomically(&graph, |w| {
                for (u, v) in g.arcs() {
                    writeln!(w, "{u} {v}")?;
                }
                Ok(())
            })?;
        }
        write_atomically(&adopters, |w| {
            for a in g.adopters(ADOPTER_SHARE) {
                writeln!(w, "{a}")?;
            }
            Ok(())
        })?;
        write_atomically(&event_file, |w| {
            for e in g.events(events) {
                match e {
                    ArcEvent::Remove(u, v) => writeln!(w, "- e {u} {v}")?,
                    ArcEvent::Add(u, v) => writeln!(w, "+ e {u} {v}")?,
                }
            }
            Ok(())
        })?;
        let nodes = g.node_count();
        eprintln!(
            "bench: {} nodes, {} arcs ({} self-loops and repeats dropped)",
            nodes,
            g.arc_count(),
            g.dropped
        );
        write_atomically(&meta, |w| writeln!(w, "{nodes} {}", g.arc_count()))?;
    }
    let text = std::fs::read_to_string(&meta)?;
    let mut fields = text.split_whitespace().map(str::parse::<usize>);
    let (Some(Ok(nodes)), Some(Ok(arcs))) = (fields.next(), fields.next()) else {
        anyhow::bail!("{} is not `nodes arcs`", meta.display());
    };
    Ok(Files {
        graph,
        adopters,
        events: event_file,
        nodes,
        arcs,
    })
}

/// Reads back a file of [`ArcEvent`] lines.
pub fn read_events(path: &Path) -> anyhow::Result<Vec<ArcEvent>> {
    let reader = BufReader::new(File::open(path).with_context(|| format!("{}", path.display()))?);
    let mut events = Vec::new();
    for line in reader.lines() {
        let line = line?;
        let f: Vec<&str> = line.split_whitespace().collect();
        let (Some(&op), Some(Ok(u)), Some(Ok(v))) = (
            f.first(),
            f.get(2).map(|s| s.parse()),
            f.get(3).map(|s| s.parse()),
        ) else {
            anyhow::bail!("{}: bad line {line:?}", path.display());
        };
        events.push(match op {
            "-" => ArcEvent::Remove(u, v),
            _ => ArcEvent::Add(u, v),
        });
    }
    Ok(events)
}

/// Writes `path` through a temporary file renamed into place, so that an interrupted run never
/// leaves a truncated file in the cache.
fn write_atomically(
    path: &Path,
    body: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    let tmp = PathBuf::from(format!("{}.tmp", path.display()));
    let mut w = BufWriter::with_capacity(1 << 20, File::create(&tmp)?);
    body(&mut w).and_then(|()| w.flush())?;
    drop(w);
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: Rmat = Rmat {
        scale: 14,
        edge_factor: 16,
        seed: 7,
    };

    #[test]
    fn the_same_parameters_give_the_same_graph_and_another_seed_another() {
        let (a, b) = (SMALL.generate(), SMALL.generate());
        assert!(a.arcs().eq(b.arcs()));
        assert_eq!(a.adopters(ADOPTER_SHARE), b.adopters(ADOPTER_SHARE));
        assert_eq!(a.events(1000), b.events(1000));
        let c = Rmat { seed: 8, ..SMALL }.generate();
        assert!(!a.arcs().eq(c.arcs()));
    }

    #[test]
    fn no_self_loops_no_repeats_and_every_draw_accounted_for() {
        let g = SMALL.generate();
        let mut arcs: Vec<(u32, u32)> = g.arcs().collect();
        assert!(arcs.iter().all(|(u, v)| u != v), "a self-loop");
        arcs.sort_unstable();
        arcs.dedup();
        assert_eq!(arcs.len(), g.arc_count(), "a repeated arc");
        let draws = (SMALL.edge_factor as u64) << SMALL.scale;
        assert_eq!(g.arc_count() as u64 + g.dropped, draws);
        // Graph500 at this size drops about a tenth of the draws (6% at scale 18).
        let kept = g.arc_count() as f64 / draws as f64;
        assert!((0.80..0.97).contains(&kept), "kept {kept:.3} of the draws");
    }

    #[test]
    fn degrees_are_heavy_tailed() {
        let g = SMALL.generate();
        let (out, inn) = g.degrees();
        let mean = g.arc_count() as f64 / g.node_count() as f64;
        for (name, mut d) in [("out", out), ("in", inn)] {
            d.sort_unstable_by(|a, b| b.cmp(a));
            // A uniform random graph of this mean degree has a maximum near 2×; R-MAT's hubs are
            // tens of times the mean, and its top 1% of ids hold a large share of the arcs.
            let max = d[0] as f64;
            let top: u64 = d[..d.len() / 100].iter().map(|&x| x as u64).sum();
            let share = top as f64 / g.arc_count() as f64;
            assert!(
                max > 20.0 * mean,
                "{name}-degree max {max} vs mean {mean:.1}"
            );
            assert!(share > 0.15, "top 1% of {name}-degrees hold {share:.3}");
            // Yet most nodes have a small degree.
            let median = d[d.len() / 2] as f64;
            assert!(
                median < mean,
                "{name}-degree median {median} vs mean {mean:.1}"
            );
        }
    }

    #[test]
    fn relabelling_hides_the_hubs() {
        // Before relabelling, a hub's id has few one bits (a + b = 0.76 of the draws put a 0 in
        // the tail's bit at each level); after a random permutation the 100 biggest hubs' ids
        // have scale/2 one bits on average, within a few standard errors (0.19 here).
        let g = SMALL.generate();
        let (out, _) = g.degrees();
        let mut ids: Vec<u32> = (0..out.len() as u32).collect();
        ids.sort_unstable_by_key(|&v| std::cmp::Reverse(out[v as usize]));
        let ones: u32 = ids[..100].iter().map(|v| v.count_ones()).sum();
        let mean = ones as f64 / 100.0;
        let half = SMALL.scale as f64 / 2.0;
        assert!(
            (mean - half).abs() < 1.0,
            "hub ids have {mean} one bits on average"
        );
    }

    #[test]
    fn adopters_are_the_share_of_the_nodes_among_tails() {
        let g = SMALL.generate();
        let (out, _) = g.degrees();
        let a = g.adopters(ADOPTER_SHARE);
        let want = (g.node_count() as f64 * ADOPTER_SHARE).ceil() as usize;
        assert_eq!(a.len(), want);
        assert!(
            a.windows(2).all(|w| w[0] < w[1]),
            "not ascending and distinct"
        );
        assert!(
            a.iter().all(|&v| out[v as usize] > 0),
            "an adopter without out-arcs"
        );
    }

    #[test]
    fn events_alternate_and_each_changes_the_graph() {
        let g = SMALL.generate();
        let mut arcs: FxHashSet<(u32, u32)> = g.arcs().collect();
        let events = g.events(2001);
        assert_eq!(events.len(), 2001);
        for (i, e) in events.iter().enumerate() {
            match (i % 2, *e) {
                (0, ArcEvent::Remove(u, v)) => assert!(arcs.remove(&(u, v)), "{e:?} absent"),
                (1, ArcEvent::Add(u, v)) => {
                    assert_ne!(u, v, "{e:?} a self-loop");
                    assert!(arcs.insert((u, v)), "{e:?} already there");
                }
                _ => panic!("event {i} is {e:?}"),
            }
        }
    }

    #[test]
    fn the_files_round_trip_and_are_reused() {
        let dir = tempfile::tempdir().unwrap();
        let small = Rmat { scale: 10, ..SMALL };
        let f = cached(dir.path(), small, 100).unwrap();
        let g = small.generate();
        assert_eq!((f.nodes, f.arcs), (g.node_count(), g.arc_count()));
        assert_eq!(read_events(&f.events).unwrap(), g.events(100));
        let text = std::fs::read_to_string(&f.graph).unwrap();
        let read: Vec<(u32, u32)> = text
            .lines()
            .map(|l| {
                let (u, v) = l.split_once(' ').unwrap();
                (u.parse().unwrap(), v.parse().unwrap())
            })
            .collect();
        assert!(read.into_iter().eq(g.arcs()));
        // A second call reads the cache: a file marked here survives it.
        std::fs::write(&f.graph, "marked").unwrap();
        let again = cached(dir.path(), small, 100).unwrap();
        assert_eq!(std::fs::read_to_string(&again.graph).unwrap(), "marked");
    }
}
