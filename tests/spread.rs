//! The RR estimates and the certificate against an independent yardstick: forward Monte Carlo
//! simulation of the cascade (`simulate::monte_carlo`, through `evaluate`), which shares no code
//! with the RR sampling. Statistical checks at 4 standard errors, with fixed seeds, so they are
//! reproducible and fail by chance with probability ~1e-4 per check when the code is right.

use std::path::Path;

use cimflow::engine::oracle::{self, Oracle};
use cimflow::evaluate::{self, Inputs};
use cimflow::input::InputSpec;
use cimflow::input::{Diagnostics, Event, EventKind, Op, read_adopters, read_graph};
use cimflow::model::{LtWeights, Model, Node};
use cimflow::selection::baselines::measure;
use cimflow::selection::{Params, RrSource};
use cimflow::state::State;

/// The bundled example graph with adopter set `set` at capacity `k`.
fn example(model: Model, set: usize, k: u32) -> State {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut diag = Diagnostics::new(true);
    let mut events = read_graph(&root.join("friends.txt"), true, false, &mut diag).unwrap();
    let adopters = read_adopters(&root.join("adopters.ap"), Some(set), &mut diag).unwrap();
    events.extend(adopters.into_iter().map(|a| Event {
        time: None,
        op: Op::Add,
        kind: EventKind::Adopter(a, Some(k)),
    }));
    let mut state = State::new(model, k);
    for e in &events {
        state.apply(e);
    }
    state
}

fn check_selection(model: Model, set: usize, k: u32, seed: u64) {
    check_state(example(model, set, k), set, k, seed);
}

fn check_state(state: State, set: usize, k: u32, seed: u64) {
    let model = state.model();
    let params = Params {
        epsilon: 0.1,
        delta: None,
        seed,
        min_rate: 0.0,
    };
    let outcome = oracle::solve(&state, &params, false).outcome;
    let b = outcome.bounds;
    let seeds: Vec<Node> = outcome.greedy.picks.iter().map(|p| p.friend).collect();
    assert!(!seeds.is_empty());

    let mc = evaluate::spread(&state, &seeds, 20_000, 2, seed ^ 0x5eed);
    let n = state.node_count() as f64;
    let theta2 = b.theta[1] as f64;
    let p = outcome.greedy.cov2 as f64 / theta2;
    let se_rr = n * (p * (1.0 - p) / theta2).sqrt();
    let tolerance = 4.0 * (se_rr * se_rr + mc.std_err * mc.std_err).sqrt();
    let what = format!("{model:?} set {set} k {k} seed {seed}: {b:?}, mc {mc:?}");
    assert!(
        (b.spread - mc.mean).abs() <= tolerance,
        "RR estimate off by more than {tolerance:.2}: {what}"
    );
    // σ_l bounds σ(S) from below; σ_u bounds the optimum, hence σ(S), from above.
    assert!(
        b.lower <= mc.mean + 4.0 * mc.std_err,
        "lower bound too high: {what}"
    );
    assert!(mc.mean <= b.upper, "upper bound too low: {what}");

    // The certificate stops at a few hundred samples, where the check above is loose; the same
    // estimator with 64 times the samples must close in on the Monte Carlo value.
    let problem = cimflow::engine::problem(&state);
    let mut source = Oracle::new(&state, seed);
    let index = source.index_at(&problem, outcome.level + 6);
    let cov2 = measure(outcome.greedy.picks.clone(), &index, 0.0).cov2 as f64;
    let theta2 = index.theta[1] as f64;
    let (est, p) = (n * cov2 / theta2, cov2 / theta2);
    let se_rr = n * (p * (1.0 - p) / theta2).sqrt();
    let tolerance = 4.0 * (se_rr * se_rr + mc.std_err * mc.std_err).sqrt();
    assert!(
        (est - mc.mean).abs() <= tolerance,
        "RR estimate {est:.2} at θ2 = {theta2} off by more than {tolerance:.2}: {what}"
    );
}

#[test]
fn rr_estimate_and_certificate_agree_with_monte_carlo() {
    check_selection(Model::Wc, 1, 3, 1);
    check_selection(Model::Wc, 2, 5, 2);
    check_selection(Model::Uniform(0.1), 0, 4, 3);
    check_selection(Model::Uniform(0.05), 2, 2, 4);
}

/// The same under the linear threshold model: the RR walks against the threshold-form
/// simulation, with equal weights, and with explicit weights sharing heads with the others.
#[test]
fn lt_rr_estimate_and_certificate_agree_with_monte_carlo() {
    check_selection(Model::Lt(LtWeights::Wc), 1, 3, 5);
    check_selection(Model::Lt(LtWeights::Weighted), 2, 4, 6);
    let mut state = example(Model::Lt(LtWeights::Wc), 0, 4);
    // An explicit weight into every fifth node, from a friend or from a new tail.
    for v in (0..400u64).step_by(5) {
        for (u, p) in [(v + 1, 0.6), (1000 + v, 0.3)] {
            state.apply(&Event {
                time: None,
                op: Op::Add,
                kind: EventKind::Arc(u, v, Some(p)),
            });
        }
    }
    assert_eq!(state.counters().refused, 0);
    check_state(state, 0, 4, 7);
}

/// A fixed acceptance rule: w(a, f) in [0.1, 1] from a hash of the pair.
fn weight(a: Node, f: Node) -> f64 {
    let h = (a.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ f.wrapping_mul(0xc2b2_ae3d_27d4_eb4f))
        .wrapping_mul(0xff51_afd7_ed55_8ccd);
    0.1 + 0.9 * ((h >> 11) as f64 / (1u64 << 53) as f64)
}

/// Under acceptance: the expected-coverage estimate and its certificate against Monte Carlo
/// simulation of acceptance and cascade (evaluate's coins, none of the selection's code).
fn check_accepting(model: Model, set: usize, k: u32, seed: u64) {
    let mut state = example(model, set, k);
    let adopters: Vec<Node> = state.adopters().keys().copied().collect();
    for &a in &adopters {
        for f in state.candidates(a) {
            state.apply(&Event {
                time: None,
                op: Op::Add,
                kind: EventKind::Acceptance(a, f, weight(a, f)),
            });
        }
    }
    let params = Params {
        epsilon: 0.1,
        delta: None,
        seed,
        min_rate: 0.0,
    };
    let outcome = oracle::solve(&state, &params, false).outcome;
    assert!(
        outcome.expected.is_some(),
        "the expected-coverage greedy selects"
    );
    let b = outcome.bounds;
    let pairs: Vec<(Node, Node)> = outcome
        .greedy
        .picks
        .iter()
        .map(|p| (p.adopter, p.friend))
        .collect();
    let mc = evaluate::expected_spread(&state, &pairs, 40_000, 2, seed ^ 0x5eed);
    let plain = evaluate::spread(
        &state,
        &pairs.iter().map(|p| p.1).collect::<Vec<_>>(),
        20_000,
        2,
        1,
    );
    assert!(
        mc.mean < plain.mean - 4.0 * plain.std_err,
        "acceptance costs spread"
    );
    let n = state.node_count() as f64;
    let what = format!("{model:?} set {set} k {k} seed {seed}: {b:?}, mc {mc:?}");
    assert!(
        b.lower <= mc.mean + 4.0 * mc.std_err,
        "lower bound too high: {what}"
    );
    assert!(mc.mean <= b.upper, "upper bound too low: {what}");

    // At 64 times the samples, the expected R2 coverage of the same picks, computed here from
    // the memberships, must close in on the Monte Carlo value. Each sample's value is in [0, 1],
    // so its variance is at most p(1 − p).
    let problem = cimflow::engine::problem(&state);
    let mut source = Oracle::new(&state, seed);
    let index = source.index_at(&problem, outcome.level + 6);
    let mut q: std::collections::HashMap<u32, f64> = Default::default();
    for &(a, f) in &pairs {
        for &s in index.of(f, 1) {
            *q.entry(s).or_insert(1.0) *= 1.0 - state.acceptance(a, f);
        }
    }
    let cov2: f64 = q.values().map(|q| 1.0 - q).sum();
    let theta2 = index.theta[1] as f64;
    let (est, p) = (n * cov2 / theta2, cov2 / theta2);
    let se_rr = n * (p * (1.0 - p) / theta2).sqrt();
    let tolerance = 4.0 * (se_rr * se_rr + mc.std_err * mc.std_err).sqrt();
    assert!(
        (est - mc.mean).abs() <= tolerance,
        "expected RR estimate {est:.2} at θ2 = {theta2} off by more than {tolerance:.2}: {what}"
    );
    // And the selection's own estimate, at its level, within its (wider) interval.
    let theta2 = b.theta[1] as f64;
    let p = outcome.cov2() / theta2;
    let se_rr = n * (p * (1.0 - p) / theta2).sqrt();
    let tolerance = 4.0 * (se_rr * se_rr + mc.std_err * mc.std_err).sqrt();
    assert!(
        (b.spread - mc.mean).abs() <= tolerance,
        "RR estimate off by more than {tolerance:.2}: {what}"
    );
}

#[test]
fn expected_estimate_and_certificate_agree_with_monte_carlo() {
    check_accepting(Model::Wc, 1, 3, 1);
    check_accepting(Model::Wc, 2, 5, 2);
    check_accepting(Model::Uniform(0.1), 0, 4, 3);
}

#[test]
fn evaluate_matches_the_analytic_spread() {
    // Adopter 0 recommends 1 and 2. Under `wc`: p(1→3) = p(2→3) = 1/2 (indeg 2),
    // p(3→4) = 1, p(1→5) = 1/2 (indeg 2, the adopter's arc 0→5 included); 4→0 leads to the
    // adopter, who does not count. σ({1}) = 1 + ½ + ½ + ½ = 2.5;
    // σ({1, 2}) = 2 + ¾ (3) + ¾ (4) + ½ (5) = 4.
    let dir = tempfile::tempdir().unwrap();
    let graph = dir.path().join("g.txt");
    std::fs::write(&graph, "0 1\n0 2\n1 3\n2 3\n3 4\n4 0\n0 5\n1 5\n").unwrap();
    let adopters = dir.path().join("a.ap");
    std::fs::write(&adopters, "0\n").unwrap();
    for (recs, exact) in [
        ("adopter\tfriend\tgain\n0\t1\t1.5\n", 2.5),
        ("adopter\tfriend\tgain\n0\t1\t1.5\n0\t2\t1\n", 4.0),
    ] {
        let file = dir.path().join("recommendations.tsv");
        std::fs::write(&file, recs).unwrap();
        let inputs = Inputs {
            initial: InputSpec {
                graph: Some(graph.clone()),
                adopters: Some(adopters.clone()),
                ..InputSpec::default()
            },
            recommendations: &file,
            model: Model::Wc,
        };
        let ev = evaluate::evaluate(&inputs, 40_000, 2, 9).unwrap();
        let e = ev.estimate;
        assert_eq!((ev.adopters, ev.nodes), (1, 6));
        assert!(e.std_err > 0.0, "{e:?}");
        assert!(
            (e.mean - exact).abs() <= 4.0 * e.std_err,
            "{e:?} vs exact {exact}"
        );
    }
}
