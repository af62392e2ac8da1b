use super::*;
use crate::model::LtWeights;

fn add(kind: EventKind) -> Event {
    Event {
        time: None,
        op: Op::Add,
        kind,
    }
}

/// Under LT an `e` weight that would take a head's explicit weights above 1 is refused whole
/// (the arc keeps what it had, or stays absent), counted and reported; a lower weight, or
/// one after another has gone, is accepted; IC takes any probabilities.
#[test]
fn explicit_weights_above_one_into_a_head_are_refused() {
    use EventKind::*;
    let mut s = State::new(Model::Lt(LtWeights::Wc), 2);
    assert!(s.apply(&add(Arc(1, 9, Some(0.5)))));
    assert!(s.apply(&add(Arc(2, 9, Some(0.5)))));
    assert!(
        s.apply(&add(Friendship(3, 9))),
        "an arc without a weight takes none"
    );
    s.take_delta();
    assert!(!s.apply(&add(Arc(4, 9, Some(0.25)))));
    assert!(!s.apply(&add(Arc(1, 9, Some(0.75)))));
    assert_eq!(s.counters().refused, 2);
    assert_eq!(s.arcs.get(1, 9).explicit, Some(0.5));
    assert!(!s.arcs.get(4, 9).exists());
    assert!(s.take_delta().is_empty(), "a refused event changes nothing");
    let refusals = s.take_refusals();
    assert_eq!(
        refusals[0].to_string(),
        "event `+ e 4 9 0.25` refused: the LT weights into 9 would sum to 1.25, above 1"
    );
    assert_eq!(refusals[1].sum, 1.25);
    assert!(s.take_refusals().is_empty());
    // Lowering one, then adding beside it, fits; so does re-adding after a removal.
    assert!(s.apply(&add(Arc(1, 9, Some(0.25)))));
    assert!(s.apply(&add(Arc(4, 9, Some(0.25)))));
    s.apply(&Event {
        op: Op::Remove,
        ..add(Arc(2, 9, None))
    });
    assert!(s.apply(&add(Arc(5, 9, Some(0.5)))));
    assert_eq!(s.counters().refused, 2);
    // A stored LT state with too much weight into a head cannot be loaded.
    let bad = r#"{"model":{"Lt":"Wc"},"default_k":2,"arcs":[[1,2,false,true,0.75,0],[3,2,false,true,0.5,0]],"adopters":[],"counters":{"applied":2,"noops":0,"absent":0,"self_loops":0}}"#;
    let e = serde_json::from_str::<State>(bad).unwrap_err().to_string();
    assert!(e.contains("arc 3 -> 2: LT weights"), "{e}");
    let mut ic = State::new(Model::Wc, 2);
    assert!(ic.apply(&add(Arc(1, 9, Some(0.75)))));
    assert!(ic.apply(&add(Arc(2, 9, Some(0.75)))));
}
