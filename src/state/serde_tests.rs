use super::*;

fn add(kind: EventKind) -> Event {
    Event {
        time: None,
        op: Op::Add,
        kind,
    }
}

fn sorted(mut d: Delta) -> Delta {
    d.arcs.sort_by_key(|x| (x.0.0, x.1));
    d.adopters.sort();
    d.nodes.sort();
    d
}

/// A loaded state equals the one stored, and its pending changes load a fresh engine with
/// exactly what building it event by event would have.
#[test]
fn a_state_round_trips_with_its_whole_content_pending() {
    let mut s = State::new(Model::Weighted, 3);
    for kind in [
        EventKind::Friendship(1, 2),
        EventKind::Arc(2, 3, Some(0.1 + 0.2)),
        EventKind::Interaction(3, 1, 4),
        EventKind::Adopter(1, None),
        EventKind::Adopter(9, Some(5)),
        EventKind::Friendship(4, 4),
        EventKind::Acceptance(1, 2, 0.1 + 0.2),
        EventKind::Acceptance(7, 8, 0.5),
    ] {
        s.apply(&add(kind));
    }
    let built = sorted(s.take_delta());
    let json = serde_json::to_string(&s).unwrap();
    let mut back: State = serde_json::from_str(&json).unwrap();
    assert_eq!(serde_json::to_string(&back).unwrap(), json);
    assert_eq!(back.counters(), s.counters());
    assert_eq!(back.node_count(), s.node_count());
    assert_eq!(back.candidates(1), s.candidates(1));
    let loaded = sorted(back.take_delta());
    assert!(loaded.all_arcs && built.all_arcs);
    assert!(loaded.arcs.is_empty() && built.arcs.is_empty());
    let arcs = |s: &State| {
        let mut a: Vec<_> = s.arcs().collect();
        a.sort();
        a
    };
    assert_eq!(arcs(&back), arcs(&s));
    assert_eq!(arcs(&s).len(), 4);
    assert_eq!(loaded.adopters, built.adopters);
    assert_eq!(loaded.nodes, built.nodes);
    // The probability and the acceptances survive exactly.
    assert!(json.contains("0.30000000000000004"));
    assert_eq!(back.acceptance(1, 2), 0.1 + 0.2);
    assert_eq!(back.acceptance(7, 8), 0.5);
    // A state without acceptances stores no field for them.
    let plain = State::new(Model::Wc, 1);
    assert!(
        !serde_json::to_string(&plain)
            .unwrap()
            .contains("acceptance")
    );
}

#[test]
fn impossible_states_are_refused() {
    let good = r#"{"model":"Wc","default_k":2,"arcs":[[1,2,true,false,null,0]],"adopters":[],"counters":{"applied":1,"noops":0,"absent":0,"self_loops":0}}"#;
    assert!(serde_json::from_str::<State>(good).is_ok());
    for bad in [
        good.replace("[1,2,true", "[1,1,true"),
        good.replace("true,false,null,0", "false,false,null,0"),
        good.replace("true,false,null", "true,false,0.5"),
        good.replace(
            "[[1,2,true,false,null,0]]",
            "[[1,2,true,false,null,0],[1,2,true,false,null,0]]",
        ),
        good.replace(r#""adopters":[]"#, r#""adopters":[[1,2],[1,3]]"#),
        good.replace(
            r#""adopters":[]"#,
            r#""adopters":[],"acceptance":[[1,2,1.0]]"#,
        ),
        good.replace(
            r#""adopters":[]"#,
            r#""adopters":[],"acceptance":[[1,1,0.5]]"#,
        ),
        good.replace(
            r#""adopters":[]"#,
            r#""adopters":[],"acceptance":[[1,2,0.5],[1,2,0.5]]"#,
        ),
    ] {
        assert!(serde_json::from_str::<State>(&bad).is_err(), "{bad}");
    }
}
