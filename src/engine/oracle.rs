//! The oracle: the same computation as the dataflow, from scratch, single-threaded, on flat arrays.
//!
//! It reads a snapshot of the accepted state, builds the reverse graph in CSR form with the
//! thresholds of [`State::thresholds`], draws each sample's RR set by a depth-first search
//! over live arcs with the same coins and roots as the dataflow, and hands the memberships to the
//! same selection. Under the linear threshold model a sample's RR set is a reverse walk instead:
//! from the root, each node picks one in-neighbour by [`lt_pick`] (in-arcs by ascending tail, as
//! the snapshot's thresholds come), and the walk stops at no pick, at an adopter, or at a node
//! already on it. Tests hold the dataflow to it at every epoch; benchmarks use it as the
//! from-scratch yardstick.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;

use super::{Engine, Solution, problem};
use crate::model::{Node, Sample, level_rate, lt_pick, samples_of};
use crate::selection::{Params, Problem, RrIndex, RrSource, plan, select};
use crate::state::State;

/// The reverse graph of one snapshot and the RR sets drawn on it so far.
pub struct Oracle {
    seed: u64,
    /// All nodes, ascending; a node's position is its dense index.
    nodes: Vec<Node>,
    dense: FxHashMap<Node, u32>,
    adopter: Vec<bool>,
    /// The linear threshold model: samples are walks.
    lt: bool,
    /// In-arcs of each head from non-adopter tails (under LT from every tail, ascending: an
    /// adopter's weight is a pick that passes nothing): `tails[offsets[v]..offsets[v + 1]]`.
    offsets: Vec<usize>,
    tails: Vec<u32>,
    /// Beside each of `tails`, its node, which the arc's coin hashes: read in order with the
    /// arcs, not from `nodes` at random (a quarter of a cold start at R-MAT scale 20).
    tail_nodes: Vec<Node>,
    thresholds: Vec<u64>,
    /// Samples drawn so far, with their RR sets as ranges of `rr_nodes`.
    samples: Vec<(Sample, f64, std::ops::Range<usize>)>,
    rr_nodes: Vec<u32>,
    /// Samples with a key below this rate have been drawn.
    drawn_rate: f64,
}

impl Oracle {
    /// Builds the reverse graph of `state`'s snapshot.
    pub fn new(state: &State, seed: u64) -> Self {
        let mut nodes: Vec<Node> = state.nodes().collect();
        nodes.sort_unstable();
        let dense: FxHashMap<Node, u32> = nodes
            .iter()
            .enumerate()
            .map(|(i, &v)| (v, i as u32))
            .collect();
        let adopter: Vec<bool> = nodes
            .iter()
            .map(|v| state.adopters().contains_key(v))
            .collect();

        // Heads come in node order, as the dense ids do; tails too within a head.
        let lt = state.model().is_lt();
        let arcs = state.thresholds();
        let mut offsets = Vec::with_capacity(nodes.len() + 1);
        let (mut tails, mut thr, mut tail_nodes) = (Vec::new(), Vec::new(), Vec::new());
        offsets.push(0);
        let mut next = arcs.iter().peekable();
        for &v in &nodes {
            while let Some(&(u, _, t)) = next.next_if(|a| a.1 == v) {
                let u = dense[&u];
                if lt || !adopter[u as usize] {
                    tails.push(u);
                    tail_nodes.push(nodes[u as usize]);
                    thr.push(t);
                }
            }
            offsets.push(tails.len());
        }
        Oracle {
            seed,
            nodes,
            dense,
            adopter,
            lt,
            offsets,
            tails,
            tail_nodes,
            thresholds: thr,
            samples: Vec::new(),
            rr_nodes: Vec::new(),
            drawn_rate: 0.0,
        }
    }

    /// Draws every sample with a key below `rate` not drawn yet.
    fn draw(&mut self, rate: f64) {
        if rate <= self.drawn_rate {
            return;
        }
        let mut seen = vec![false; self.nodes.len()];
        let mut stack = Vec::new();
        for r in 0..self.nodes.len() {
            for sample in samples_of(self.seed, self.nodes[r], rate) {
                let key = sample.key(self.seed);
                if key < self.drawn_rate {
                    continue;
                }
                let start = self.rr_nodes.len();
                let coins = sample.coins(self.seed);
                if self.lt {
                    self.walk(r as u32, coins, &mut seen);
                    self.samples.push((sample, key, start..self.rr_nodes.len()));
                    continue;
                }
                if !self.adopter[r] {
                    seen[r] = true;
                    stack.push(r as u32);
                }
                while let Some(v) = stack.pop() {
                    self.rr_nodes.push(v);
                    let head = self.nodes[v as usize];
                    for a in self.offsets[v as usize]..self.offsets[v as usize + 1] {
                        let u = self.tails[a];
                        // The coin first: most arcs are dead, and then the tail's mark, a
                        // random read, is not needed.
                        if coins.live(self.tail_nodes[a], head, self.thresholds[a])
                            && !seen[u as usize]
                        {
                            seen[u as usize] = true;
                            stack.push(u);
                        }
                    }
                }
                for &v in &self.rr_nodes[start..] {
                    seen[v as usize] = false;
                }
                self.samples.push((sample, key, start..self.rr_nodes.len()));
            }
        }
        self.drawn_rate = rate;
    }

    /// Appends the LT walk from `root` to `rr_nodes` (nothing when the root is an adopter);
    /// leaves `seen` as it found it.
    fn walk(&mut self, root: u32, coins: crate::model::Coins, seen: &mut [bool]) {
        let start = self.rr_nodes.len();
        let mut v = root;
        while !self.adopter[v as usize] && !seen[v as usize] {
            seen[v as usize] = true;
            self.rr_nodes.push(v);
            let arcs = self.offsets[v as usize]..self.offsets[v as usize + 1];
            let weights = arcs.map(|a| (self.tails[a] as Node, self.thresholds[a]));
            match lt_pick(coins.pick(self.nodes[v as usize]), weights) {
                Some(u) => v = u as u32,
                None => break,
            }
        }
        for &v in &self.rr_nodes[start..] {
            seen[v as usize] = false;
        }
    }

    /// How many samples at `level` contain each node (nodes in no sample are left out).
    pub fn coverage(&mut self, level: i32) -> BTreeMap<Node, u64> {
        let rate = level_rate(level);
        self.draw(rate);
        let mut count = vec![0u64; self.nodes.len()];
        for (_, key, range) in &self.samples {
            if *key < rate {
                for &v in &self.rr_nodes[range.clone()] {
                    count[v as usize] += 1;
                }
            }
        }
        (0..self.nodes.len())
            .filter(|&v| count[v] > 0)
            .map(|v| (self.nodes[v], count[v]))
            .collect()
    }
}

impl RrSource for Oracle {
    fn index_at(&mut self, problem: &Problem, level: i32) -> RrIndex {
        let rate = level_rate(level);
        self.draw(rate);
        let mut candidate = vec![false; self.nodes.len()];
        for c in problem.candidates.iter().flatten() {
            candidate[self.dense[c] as usize] = true;
        }
        let mut theta = [0; 2];
        let mut memberships = Vec::new();
        for (sample, key, range) in &self.samples {
            if *key < rate {
                theta[sample.half()] += 1;
                let hits = self.rr_nodes[range.clone()]
                    .iter()
                    .filter(|&&v| candidate[v as usize]);
                memberships.extend(hits.map(|&v| (self.nodes[v as usize], *sample)));
            }
        }
        RrIndex::build(theta, memberships)
    }
}

/// The oracle as an engine: every epoch is recomputed from scratch.
pub struct OracleEngine {
    /// Whether solutions carry coverage counts.
    pub with_coverage: bool,
}

impl Engine for OracleEngine {
    fn epoch(&mut self, state: &mut State, params: &Params) -> Solution {
        state.take_delta();
        solve(state, params, self.with_coverage)
    }
}

/// The selection and (optionally) the coverage counts of `state`'s snapshot, from scratch.
pub fn solve(state: &State, params: &Params, with_coverage: bool) -> Solution {
    let problem = problem(state);
    let mut oracle = Oracle::new(state, params.seed);
    let outcome = select(&problem, plan(&problem, params), params, &mut oracle);
    let coverage = with_coverage.then(|| oracle.coverage(outcome.level));
    Solution { outcome, coverage }
}
