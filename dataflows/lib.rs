//! The differential dataflow that keeps the RR sets and their coverage current.
//!
//! ```text
//! arc_p(v, u, thr)  :- arc(u, v, fact), not adopter(u), threshold(fact, stats(v))  (reverse_graph.rs)
//! rr(v, s)          :- root(s, v), not adopter(v).                           (rr_sets.rs)
//! rr(u, s)          :- rr(v, s), arc_p(v, u, thr), coin(s, u, v) < thr.
//! candidate(c)      :- adopter(a), arc(a, c), not adopter(c).               (reverse_graph.rs)
//! member(c, s)      :- rr(c, s), candidate(c).                               (rr_sets.rs)
//! coverage(v, n)    :- n = |{s : rr(v, s)}|.                                 (coverage.rs)
//! ```
//!
//! Inputs are sets kept by the caller (cimflow's accepted state: arcs, adopters) and by its engine
//! (roots at the held sampling level). The RR sets are sharded by sample: every worker holds a replica of
//! the graph and the samples that hash to it (rr_sets.rs says why). `member` and, when asked for,
//! `coverage` are sent to worker 0, which runs the selection.

pub mod bulk;
pub mod coverage;
pub mod lists;
pub mod model;
pub mod node_ids;
pub mod reverse_graph;
pub mod rr_sets;
mod sample_index;

use std::cell::RefCell;
use std::rc::Rc;

use differential_dataflow::input::Input;
use differential_dataflow::input::InputSession;
use differential_dataflow::{AsCollection, VecCollection};
use timely::dataflow::Scope;
use timely::dataflow::operators::Exchange;
use timely::dataflow::operators::probe::Handle as ProbeHandle;

use crate::model::{ArcFact, Model, Node, Sample};
use rr_sets::Membership;

pub use bulk::{ArcSource, BulkSlot};

/// Logical time: one tick per round of input changes.
pub type Time = u64;

/// Updates gathered on worker 0, drained by the engine after each round.
pub type Gathered<D> = Rc<RefCell<Vec<(D, Time, isize)>>>;

/// The dataflow's inputs, owned by the worker that reads the events.
pub struct Inputs {
    /// `((u, v), fact)`: the current arcs.
    pub arcs: InputSession<Time, ((Node, Node), ArcFact), isize>,
    /// `(adopter, capacity)`.
    pub adopters: InputSession<Time, (Node, u32), isize>,
    /// The samples at the held level.
    pub roots: InputSession<Time, Sample, isize>,
    /// One marker at a time whose graph is in the [`BulkSlot`].
    pub bulk: InputSession<Time, (), isize>,
}

/// What the dataflow hands back.
pub struct Outputs {
    /// Changes of `member(c, s)`, on worker 0.
    pub members: Gathered<(Node, Sample)>,
    /// Changes of `coverage(v, n)`, on worker 0, when asked for.
    pub coverage: Option<Gathered<(Node, isize)>>,
    /// Passed once a round's updates have all been gathered.
    pub probe: ProbeHandle<Time>,
}

/// Builds the dataflow in `scope`.
pub fn build(
    scope: Scope<'_, Time>,
    model: Model,
    seed: u64,
    with_coverage: bool,
    slot: Option<BulkSlot>,
) -> (Inputs, Outputs) {
    let (arc_input, arcs) = scope.new_collection::<((Node, Node), ArcFact), isize>();
    let (bulk_input, bulk) = scope.new_collection::<(), isize>();
    let (adopter_input, adopters) = scope.new_collection::<(Node, u32), isize>();
    let (root_input, roots) = scope.new_collection::<Sample, isize>();

    let adopter_ids = adopters.map(|(a, _)| a);
    let rr = rr_sets::reverse_reachable(
        rr_sets::ArcInputs { arcs, bulk, slot },
        adopter_ids,
        roots,
        model,
        seed,
        with_coverage,
    );
    let members = rr.clone().flat_map(|m| match m {
        Membership::Candidate(c, s) => Some((c, s)),
        Membership::Any(..) => None,
    });
    let all = rr.flat_map(|m| match m {
        Membership::Any(v, s) => Some((v, s)),
        Membership::Candidate(..) => None,
    });

    let probe = ProbeHandle::new();
    let members_out = gather(members, &probe);
    let coverage_out = with_coverage.then(|| gather(coverage::coverage(all), &probe));
    let inputs = Inputs {
        arcs: arc_input,
        adopters: adopter_input,
        roots: root_input,
        bulk: bulk_input,
    };
    (
        inputs,
        Outputs {
            members: members_out,
            coverage: coverage_out,
            probe,
        },
    )
}

/// Sends a collection's updates to worker 0 and keeps them there for the engine.
fn gather<D>(collection: VecCollection<'_, Time, D>, probe: &ProbeHandle<Time>) -> Gathered<D>
where
    D: differential_dataflow::ExchangeData,
{
    let sink: Gathered<D> = Rc::new(RefCell::new(Vec::new()));
    let into = sink.clone();
    collection
        .inner
        .exchange(|_| 0)
        .as_collection()
        .inspect_batch(move |_, updates| into.borrow_mut().extend_from_slice(updates))
        .probe_with(probe);
    sink
}
