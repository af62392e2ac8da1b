use super::*;

fn ev(op: Op, kind: EventKind) -> Event {
    Event {
        time: None,
        op,
        kind,
    }
}

#[test]
fn set_semantics_and_counters() {
    let mut s = State::new(Model::Wc, 2);
    assert!(s.apply(&ev(Op::Add, EventKind::Friendship(1, 2))));
    assert!(!s.apply(&ev(Op::Add, EventKind::Friendship(2, 1))));
    assert!(!s.apply(&ev(Op::Remove, EventKind::Arc(1, 3, None))));
    assert!(!s.apply(&ev(Op::Add, EventKind::Friendship(4, 4))));
    // A state's first delta lists no arcs: they are all new.
    let d = s.take_delta();
    assert!(d.all_arcs && d.arcs.is_empty());
    assert_eq!(s.arcs().count(), 2);
    assert_eq!(d.nodes.len(), 2);
    assert_eq!(
        s.counters(),
        Counters {
            applied: 1,
            noops: 1,
            absent: 1,
            self_loops: 1,
            refused: 0,
        }
    );
    // Interactions on a friendship change nothing the `wc` dataflow sees.
    assert!(s.apply(&ev(Op::Add, EventKind::Interaction(1, 2, 3))));
    assert!(s.take_delta().is_empty());
    // Taking back more than there is empties the count and is reported.
    assert!(s.apply(&ev(Op::Remove, EventKind::Interaction(1, 2, 5))));
    assert!(!s.apply(&ev(Op::Remove, EventKind::Interaction(1, 2, 1))));
    assert_eq!(s.counters().absent, 3);
    assert!(s.apply(&ev(Op::Remove, EventKind::Friendship(1, 2))));
    let mut d = s.take_delta();
    assert_eq!(d.arcs.iter().map(|x| x.1).sum::<isize>(), -2);
    d.nodes.sort();
    assert_eq!(d.nodes, vec![(1, -1), (2, -1)]);
    assert_eq!(s.node_count(), 0);
}

/// Every counter, for every kind of event: what changes something is `applied`, adding what
/// is there a `noop`, removing what is not there `absent`, a self-loop `self_loops`.
#[test]
fn every_counter_for_every_kind() {
    use EventKind::*;
    let mut s = State::new(Model::Wc, 2);
    let mut want = Counters::default();
    let mut step = |s: &mut State, op, kind, changed: bool, counter: fn(&mut Counters)| {
        assert_eq!(s.apply(&ev(op, kind)), changed, "{op:?} {kind:?}");
        counter(&mut want);
        assert_eq!(s.counters(), want, "{op:?} {kind:?}");
    };
    let applied: fn(&mut Counters) = |c| c.applied += 1;
    let noop: fn(&mut Counters) = |c| c.noops += 1;
    let absent: fn(&mut Counters) = |c| c.absent += 1;
    let looped: fn(&mut Counters) = |c| c.self_loops += 1;
    step(&mut s, Op::Add, Friendship(1, 2), true, applied);
    step(&mut s, Op::Add, Friendship(2, 1), false, noop);
    // `- e` on a pair that is only a friendship: no directed arc to remove.
    step(&mut s, Op::Remove, Arc(1, 2, None), false, absent);
    step(&mut s, Op::Add, Arc(1, 2, Some(0.5)), true, applied);
    step(&mut s, Op::Add, Arc(1, 2, None), false, noop);
    step(&mut s, Op::Add, Arc(1, 2, Some(0.25)), true, applied);
    step(&mut s, Op::Remove, Arc(1, 2, None), true, applied);
    step(&mut s, Op::Remove, Arc(1, 2, None), false, absent);
    step(&mut s, Op::Remove, Friendship(1, 3), false, absent);
    step(&mut s, Op::Add, Interaction(3, 1, 2), true, applied);
    step(&mut s, Op::Remove, Interaction(3, 1, 1), true, applied);
    // Taking back more than there is: applied (the count empties) and reported absent.
    step(&mut s, Op::Remove, Interaction(3, 1, 5), true, |c| {
        c.applied += 1;
        c.absent += 1;
    });
    step(&mut s, Op::Remove, Interaction(3, 1, 1), false, absent);
    step(&mut s, Op::Add, Adopter(1, None), true, applied);
    step(&mut s, Op::Add, Adopter(1, Some(2)), false, noop);
    step(&mut s, Op::Add, Adopter(1, Some(3)), true, applied);
    step(&mut s, Op::Remove, Adopter(1, None), true, applied);
    step(&mut s, Op::Remove, Adopter(1, None), false, absent);
    // Acceptance: set semantics on the weight, 1 being the default.
    step(&mut s, Op::Add, Acceptance(1, 2, 1.0), false, noop);
    step(&mut s, Op::Remove, Acceptance(1, 2, 1.0), false, absent);
    step(&mut s, Op::Add, Acceptance(1, 2, 0.5), true, applied);
    step(&mut s, Op::Add, Acceptance(1, 2, 0.5), false, noop);
    step(&mut s, Op::Add, Acceptance(1, 2, 0.25), true, applied);
    step(&mut s, Op::Remove, Acceptance(1, 2, 1.0), true, applied);
    step(&mut s, Op::Add, Acceptance(1, 2, 0.5), true, applied);
    step(&mut s, Op::Add, Acceptance(1, 2, 1.0), true, applied);
    assert_eq!(s.acceptance(1, 2), 1.0);
    assert_eq!(s.acceptances().count(), 0);
    for kind in [
        Friendship(5, 5),
        Arc(5, 5, None),
        Interaction(5, 5, 1),
        Acceptance(5, 5, 0.5),
    ] {
        step(&mut s, Op::Add, kind, false, looped);
        step(&mut s, Op::Remove, kind, false, looped);
    }
    step(&mut s, Op::Remove, Friendship(2, 1), true, applied);
    assert_eq!(s.node_count(), 0);
}

/// An acceptance is kept for any pair, and changes the problem only when its pair is a
/// candidate pair (or becomes one, through the arc or the adopter).
#[test]
fn acceptance_changes_the_problem_of_candidate_pairs_only() {
    let mut s = State::new(Model::Wc, 2);
    s.apply(&ev(Op::Add, EventKind::Acceptance(1, 2, 0.5)));
    s.apply(&ev(Op::Add, EventKind::Friendship(1, 2)));
    s.take_problem_changes();
    s.take_delta();
    // 1 is no adopter yet: the weight waits.
    assert!(s.apply(&ev(Op::Add, EventKind::Acceptance(1, 2, 0.25))));
    assert!(!s.problem_pending());
    s.apply(&ev(Op::Add, EventKind::Adopter(1, None)));
    assert!(!s.take_problem_changes().is_empty());
    assert_eq!(s.acceptance(1, 2), 0.25);
    assert!(s.apply(&ev(Op::Add, EventKind::Acceptance(1, 2, 0.75))));
    assert!(s.problem_pending());
    assert!(!s.take_problem_changes().is_empty());
    // Not a candidate pair (no arc 1 -> 3): kept, no new problem; nothing for the dataflow.
    s.take_delta();
    assert!(s.apply(&ev(Op::Add, EventKind::Acceptance(1, 3, 0.75))));
    assert!(s.take_problem_changes().is_empty());
    assert!(s.take_delta().is_empty());
    assert_eq!(
        s.acceptances().collect::<Vec<_>>(),
        vec![(1, 2, 0.75), (1, 3, 0.75)]
    );
}

#[test]
fn candidates_exclude_adopters() {
    let mut s = State::new(Model::Weighted, 2);
    for (u, v) in [(1, 2), (1, 3), (3, 4)] {
        s.apply(&ev(Op::Add, EventKind::Friendship(u, v)));
    }
    s.apply(&ev(Op::Add, EventKind::Adopter(1, None)));
    s.apply(&ev(Op::Add, EventKind::Adopter(3, Some(5))));
    assert_eq!(s.candidates(1), vec![2]);
    assert_eq!(s.candidates(3), vec![4]);
    assert_eq!(s.adopters().get(&3), Some(&5));
    // Under `weighted`, interactions change the arc's weight.
    s.take_delta();
    s.apply(&ev(Op::Add, EventKind::Interaction(2, 1, 4)));
    let d = s.take_delta();
    assert_eq!(d.arcs.len(), 2);
    assert_eq!(d.arcs[1].0.1.weight, 5);
}

/// Read as an [`ArcSource`], a state yields its arcs with their facts, each once.
#[test]
fn the_arc_source_is_the_arcs() {
    let mut s = State::new(Model::Weighted, 2);
    s.apply(&ev(Op::Add, EventKind::Friendship(1, 2)));
    s.apply(&ev(Op::Add, EventKind::Arc(2, 3, Some(0.5))));
    s.apply(&ev(Op::Add, EventKind::Interaction(3, 1, 4)));
    s.apply(&ev(Op::Add, EventKind::Interaction(1, 2, 2)));
    s.apply(&ev(Op::Add, EventKind::Friendship(3, 4)));
    s.apply(&ev(Op::Remove, EventKind::Friendship(3, 4)));
    let nodes = ArcSource::nodes(&s).to_vec();
    let mut read = Vec::new();
    s.for_each_arc(&mut |u, v, f| read.push(((nodes[u as usize], nodes[v as usize]), f)));
    read.sort();
    let mut arcs: Vec<_> = s.arcs().collect();
    arcs.sort();
    assert_eq!(read, arcs);
    assert_eq!(arcs.len(), 4);
}
