//! The engine: drives the dataflow from worker 0, one round of input changes at a time, and
//! serves the selection the RR memberships it asks for.
//!
//! An epoch is one or more rounds: the first carries the epoch's graph changes and the roots of
//! new nodes; if the selection needs a higher sampling level than the one held, a round adds the
//! missing samples; if it settles on a lower one, a round takes the surplus back. The held level
//! thus always ends an epoch at the level the selection chose, which is a function of the snapshot
//! alone, so the dataflow's state is the same whatever path led to it.

use std::collections::BTreeMap;
use std::collections::hash_map::Entry;

use differential_dataflow::consolidation::consolidate_updates;
use rustc_hash::{FxHashMap, FxHashSet};
use timely::worker::Worker;

use dataflows::reverse_graph::ReverseGraph;
use dataflows::{BulkSlot, Inputs, Outputs, Time};

use super::{Engine, Solution, acceptance_row, below_one, problem};
use crate::model::{Model, Node, Sample, level_rate, lowest_level, samples_of};
use crate::selection::expected::Expected;
use crate::selection::{
    Greedy, LiveGreedy, Members, Params, Plan, Problem, Rows, RrIndex, RrSource, plan, select,
};
use crate::state::{Delta, ProblemChanges, State};

/// The dataflow, driven from worker 0.
pub struct DataflowEngine<'w> {
    worker: &'w mut Worker,
    inputs: Inputs,
    outputs: Outputs,
    seed: u64,
    time: Time,
    /// The level whose samples the dataflow holds, once there are any.
    held: Option<i32>,
    /// The current nodes, whose samples are the roots.
    nodes: FxHashSet<Node>,
    /// Held samples counted by half and by the lowest level that includes them.
    level_counts: BTreeMap<i32, [usize; 2]>,
    /// `member(c, s)`, as the dataflow last reported it.
    members: Members,
    /// The selection's rows and buffers, kept from epoch to epoch.
    greedy: LiveGreedy,
    /// Where the initial graph goes in bulk, when every worker shares this process.
    bulk: Option<BulkSlot>,
    /// The last epoch's solution.
    last: Option<Solution>,
    /// The last epoch's problem and plan.
    last_problem: Option<(Problem, Plan)>,
    /// Whether the last round changed any candidate's membership.
    members_changed: bool,
    /// `coverage(v, n)`, when gathered.
    coverage: FxHashMap<Node, isize>,
}

impl<'w> DataflowEngine<'w> {
    /// Builds the dataflow on `worker`. Every worker must build it; only worker 0 drives it,
    /// the others drop their inputs and just step.
    pub fn build(
        worker: &'w mut Worker,
        model: Model,
        seed: u64,
        with_coverage: bool,
        bulk: Option<BulkSlot>,
    ) -> Self {
        let slot = bulk.clone();
        let (inputs, outputs) = worker.dataflow::<Time, _, _>(|scope| {
            dataflows::build(scope, model, seed, with_coverage, slot)
        });
        DataflowEngine {
            worker,
            inputs,
            outputs,
            seed,
            time: 0,
            held: None,
            bulk,
            nodes: FxHashSet::default(),
            level_counts: BTreeMap::new(),
            members: Members::new(seed),
            greedy: LiveGreedy::default(),
            last: None,
            last_problem: None,
            members_changed: false,
            coverage: FxHashMap::default(),
        }
    }

    /// Feeds a state delta; node arrivals and departures bring or take their samples.
    fn feed(&mut self, delta: Delta, state: &State) {
        if delta.all_arcs {
            match &self.bulk {
                // The initial graph is built here once, from the state's table, and goes over
                // in bulk, where the workers take it (see `BulkSlot`); updates fed now carry the
                // current time, and `round` closes it.
                Some(slot) if self.time == 0 => {
                    let graph = ReverseGraph::loaded(state.model(), state);
                    slot.put(self.time, graph, self.worker.peers());
                    self.inputs.bulk.update((), 1);
                }
                _ => {
                    for arc in state.arcs() {
                        self.inputs.arcs.update(arc, 1);
                    }
                }
            }
        }
        for (arc, diff) in delta.arcs {
            self.inputs.arcs.update(arc, diff);
        }
        for (adopter, diff) in delta.adopters {
            self.inputs.adopters.update(adopter, diff);
        }
        for (v, diff) in delta.nodes {
            if diff > 0 {
                self.nodes.insert(v);
            } else {
                self.nodes.remove(&v);
            }
            if let Some(level) = self.held {
                for s in samples_of(self.seed, v, level_rate(level)) {
                    self.root(s, diff);
                }
            }
        }
    }

    fn root(&mut self, sample: Sample, diff: isize) {
        self.inputs.roots.update(sample, diff);
        let count = &mut self
            .level_counts
            .entry(lowest_level(sample.key(self.seed)))
            .or_default()[sample.half()];
        *count = count.checked_add_signed(diff).expect("roots are a set");
    }

    /// Moves the held samples to `level`, adding or taking back the difference.
    fn hold(&mut self, level: i32) {
        let old = self.held.map_or(0.0, level_rate);
        let new = level_rate(level);
        let (low, high, diff) = if new > old {
            (old, new, 1)
        } else {
            (new, old, -1)
        };
        let mut nodes: Vec<Node> = self.nodes.iter().copied().collect();
        nodes.sort_unstable();
        for v in nodes {
            for s in samples_of(self.seed, v, high) {
                if s.key(self.seed) >= low {
                    self.root(s, diff);
                }
            }
        }
        self.held = Some(level);
    }

    /// Closes the current round and steps until its results have all arrived.
    fn round(&mut self) {
        self.time += 1;
        let t = self.time;
        self.inputs.arcs.advance_to(t);
        self.inputs.adopters.advance_to(t);
        self.inputs.roots.advance_to(t);
        self.inputs.bulk.advance_to(t);
        self.inputs.arcs.flush();
        self.inputs.adopters.flush();
        self.inputs.roots.flush();
        self.inputs.bulk.flush();
        let probe = &self.outputs.probe;
        // Park rather than spin while other workers (or processes) finish the round.
        let patience = Some(std::time::Duration::from_millis(10));
        self.worker
            .step_or_park_while(patience, || probe.less_than(&t));
        if let Some(slot) = &self.bulk {
            // Every worker has taken its graph by now, and the last take emptied the slot.
            slot.clear();
        }

        let mut updates = std::mem::take(&mut *self.outputs.members.borrow_mut());
        consolidate_updates(&mut updates);
        self.members_changed = !updates.is_empty();
        // Removals first: a sample whose last membership goes frees its id for the ones that come.
        updates.sort_by_key(|&(_, _, diff)| diff);
        for ((c, s), _, diff) in updates {
            debug_assert_eq!(diff.abs(), 1, "member is a set");
            if diff > 0 {
                self.members.insert(c, s);
            } else {
                self.members.remove(c, s);
            }
        }
        if let Some(gathered) = &self.outputs.coverage {
            let mut updates = std::mem::take(&mut *gathered.borrow_mut());
            consolidate_updates(&mut updates);
            for ((v, n), _, diff) in updates {
                if diff > 0 {
                    self.coverage.insert(v, n);
                } else if self.coverage.get(&v) == Some(&n) {
                    self.coverage.remove(&v);
                }
            }
        }
    }
}

impl DataflowEngine<'_> {
    /// Holds at least `level`, adding the missing samples in a round of their own.
    fn reach(&mut self, level: i32) {
        if self.held.is_none_or(|held| held < level) {
            self.hold(level);
            self.round();
        }
    }

    /// θ = [|R1|, |R2|] at `level`: the held samples whose lowest level is at most `level`.
    fn theta_at(&self, level: i32) -> [usize; 2] {
        let mut theta = [0; 2];
        for counts in self.level_counts.range(..=level).map(|(_, c)| c) {
            theta[0] += counts[0];
            theta[1] += counts[1];
        }
        theta
    }
}

impl DataflowEngine<'_> {
    /// The epoch's problem and plan, and whether they are the last epoch's: the last problem
    /// with the changed rows patched, or a new one when the adopters changed. The greedy's rows
    /// follow.
    fn problem(
        &mut self,
        state: &State,
        params: &Params,
        changes: ProblemChanges,
    ) -> (Problem, Plan, bool) {
        let known = self.last_problem.take().filter(|_| !changes.all);
        let Some((mut problem, last_plan)) = known else {
            return self.new_problem(state, params);
        };
        // Under acceptance a row carries its weights, which may change alone.
        let accepting = state.acceptances().next().is_some();
        let mut changed = Vec::new();
        for a in changes.rows {
            if let Ok(i) = problem.adopters.binary_search_by_key(&a, |&(a, _)| a) {
                let row = state.candidates(a);
                let moved = match &mut problem.acceptance {
                    Some(w) => {
                        let old = std::mem::replace(&mut w[i], acceptance_row(state, a, &row));
                        old != w[i]
                    }
                    // Weights below 1 arrived where there were none: the problem changes kind.
                    None if accepting && below_one(&acceptance_row(state, a, &row)) => {
                        return self.new_problem(state, params);
                    }
                    None => false,
                };
                if moved || row != problem.candidates[i] {
                    problem.candidates[i] = row;
                    changed.push(i);
                }
            }
        }
        // The last weight below 1 went: the problem is the paper's again (as a new one builds it).
        if problem
            .acceptance
            .as_ref()
            .is_some_and(|w| !below_one(w.iter().flatten()))
        {
            problem.acceptance = None;
        }
        let n = state.node_count();
        if changed.is_empty() && problem.n == n {
            return (problem, last_plan, true);
        }
        problem.n = n;
        self.greedy
            .sync(&problem, &mut self.members, Rows::Some(&changed));
        let plan = plan(&problem, params);
        (problem, plan, false)
    }

    /// A problem built from the state, the greedy's rows with it.
    fn new_problem(&mut self, state: &State, params: &Params) -> (Problem, Plan, bool) {
        let problem = problem(state);
        let plan = plan(&problem, params);
        self.greedy.sync(&problem, &mut self.members, Rows::All);
        (problem, plan, false)
    }
}

impl RrSource for DataflowEngine<'_> {
    fn index_at(&mut self, problem: &Problem, level: i32) -> RrIndex {
        self.reach(level);
        // The table's sample ids serve directly, filtered to the level.
        let mut lists: FxHashMap<Node, [Vec<u32>; 2]> = FxHashMap::default();
        for &c in problem.candidates.iter().flatten() {
            // A friend of several adopters is listed once.
            let (Some(mid), Entry::Vacant(entry)) = (self.members.mid(c), lists.entry(c)) else {
                continue;
            };
            let halves = entry.insert(Default::default());
            for (half, list) in halves.iter_mut().enumerate() {
                let held = self.members.samples_of(mid, half);
                list.extend(held.iter().filter(|&&s| self.members.at(s, level)));
            }
        }
        RrIndex::from_dense(self.theta_at(level), lists)
    }

    fn greedy_at(&mut self, problem: &Problem, level: i32) -> (Greedy, [usize; 2]) {
        self.reach(level);
        let greedy = self.greedy.run(problem, &mut self.members, level);
        (greedy, self.theta_at(level))
    }

    fn expected_at(&mut self, problem: &Problem, level: i32) -> (Greedy, Expected, [usize; 2]) {
        self.reach(level);
        let (greedy, expected) = self.greedy.run_expected(problem, &mut self.members, level);
        (greedy, expected, self.theta_at(level))
    }
}

impl Engine for DataflowEngine<'_> {
    fn epoch(&mut self, state: &mut State, params: &Params) -> Solution {
        let delta = state.take_delta();
        // The solution is a function of the snapshot: an epoch that changed nothing the dataflow
        // sees (say, interactions under `wc`) has the last epoch's, unless the problem changed
        // without it (an acceptance).
        let unchanged = delta.is_empty() && !state.problem_pending();
        if let Some(last) = self.last.as_ref().filter(|_| unchanged) {
            return last.clone();
        }
        // Nodes that came or went change n, the plan and θ; a changed problem changes the plan.
        let nodes_changed = !delta.nodes.is_empty();
        let changes = state.take_problem_changes();
        self.feed(delta, state);
        let (problem, plan, same_problem) = self.problem(state, params, changes);
        let same_problem = same_problem && !nodes_changed;
        // Start at the plan's lowest level in the same round as the epoch's changes.
        if self.held.is_none_or(|held| held < plan.level_min) {
            self.hold(plan.level_min);
        }
        self.round();
        // With the same problem and no candidate's membership changed at the held level (which
        // is the last outcome's), every level the selection would try gives the same index: the
        // outcome is the last one.
        let reuse = self.last.as_ref().filter(|last| {
            same_problem && !self.members_changed && self.held == Some(last.outcome.level)
        });
        let outcome = match reuse {
            Some(last) => last.outcome.clone(),
            None => select(&problem, plan, params, self),
        };
        if self.held.is_some_and(|held| held > outcome.level) {
            self.hold(outcome.level);
            self.round();
        }
        self.last_problem = Some((problem, plan));
        let coverage = self
            .outputs
            .coverage
            .as_ref()
            .map(|_| self.coverage.iter().map(|(&v, &n)| (v, n as u64)).collect());
        let solution = Solution { outcome, coverage };
        self.last = Some(solution.clone());
        solution
    }
}

/// Builds the dataflow on a worker other than 0: it takes part in every round but feeds nothing.
pub fn serve(
    worker: &mut Worker,
    model: Model,
    seed: u64,
    with_coverage: bool,
    bulk: Option<BulkSlot>,
) {
    let (inputs, _outputs) = worker
        .dataflow::<Time, _, _>(|scope| dataflows::build(scope, model, seed, with_coverage, bulk));
    // Dropping the inputs closes them; timely keeps stepping this worker until the dataflow ends.
    drop(inputs);
}
