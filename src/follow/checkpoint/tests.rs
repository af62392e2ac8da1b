//! Tests of the checkpoint module.

use super::*;
use crate::input::{EventKind, Op};
use crate::model::Model;

fn settings() -> Settings {
    Settings {
        model: Model::Wc,
        k: 2,
        epsilon: 0.1,
        delta: None,
        seed: 7,
        min_rate: 0.0,
        window: Some(10.0),
    }
}

fn mark(epoch: u64) -> Mark {
    Mark {
        epoch,
        skipped: epoch,
        position: None,
        format: Some(EventFormat::Temporal),
    }
}

fn i(t: f64, u: u64, v: u64) -> Event {
    Event {
        time: Some(t),
        op: Op::Add,
        kind: EventKind::Interaction(u, v, 1),
    }
}

/// Runs `epochs` live (window, then state) and records each; returns the final state's JSON.
fn live(store: &mut Checkpoints, epochs: &[Vec<Event>]) -> String {
    let mut state = State::new(Model::Wc, 2);
    let mut window = Window::new(10.0);
    store.record(&mark(0), &[], &state, Some(&window)).unwrap();
    for (e, events) in epochs.iter().enumerate() {
        for &event in events {
            window.push(event, |x| {
                state.apply(&x);
            });
        }
        state.take_delta();
        store
            .record(&mark(e as u64 + 1), events, &state, Some(&window))
            .unwrap();
    }
    serde_json::to_string(&state).unwrap()
}

fn epochs(n: usize) -> Vec<Vec<Event>> {
    (0..n)
        .map(|e| {
            (0..5)
                .map(|j| i((e * 5 + j) as f64, j as u64, e as u64 % 3 + 10))
                .collect()
        })
        .collect()
}

#[test]
fn a_restart_gets_the_state_after_the_last_recorded_epoch() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, none) = Checkpoints::open(dir.path(), settings(), None).unwrap();
    assert!(none.is_none());
    let want = live(&mut store, &epochs(6));
    drop(store);
    let (_, restored) = Checkpoints::open(dir.path(), settings(), None).unwrap();
    let r = restored.unwrap();
    assert_eq!(r.mark, mark(6));
    assert_eq!(serde_json::to_string(&r.state).unwrap(), want);
    // Times 0..=29: those with t + 10 < 29 have expired, on replay as live; 19..=29 wait.
    assert_eq!(r.window.unwrap().len(), 11);
}

#[test]
fn one_follower_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = Checkpoints::open(dir.path(), settings(), None).unwrap();
    let err = Checkpoints::open(dir.path(), settings(), None)
        .err()
        .unwrap();
    assert!(matches!(err, CheckpointError::Busy { .. }), "{err}");
    drop(store);
    assert!(Checkpoints::open(dir.path(), settings(), None).is_ok());
}

#[test]
fn a_torn_journal_line_is_an_epoch_not_done() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, _) = Checkpoints::open(dir.path(), settings(), None).unwrap();
    let at5 = live(&mut store, &epochs(5));
    drop(store);
    let journal = dir.path().join("journal.jsonl");
    let text = fs::read(&journal).unwrap();
    // Half of epoch 6's line, as a crash mid-append leaves it.
    let mut torn = text.clone();
    torn.extend_from_slice(&text[..text.len() / 8]);
    fs::write(&journal, &torn).unwrap();
    let (mut store, r) = Checkpoints::open(dir.path(), settings(), None).unwrap();
    let r = r.unwrap();
    assert_eq!(r.mark.epoch, 5);
    assert_eq!(serde_json::to_string(&r.state).unwrap(), at5);
    // The torn bytes are gone, so the next record starts a line of its own.
    assert_eq!(fs::read(&journal).unwrap(), text);
    store
        .record(&mark(6), &[], &r.state, r.window.as_ref())
        .unwrap();
    drop(store);
    let (_, r) = Checkpoints::open(dir.path(), settings(), None).unwrap();
    assert_eq!(r.unwrap().mark.epoch, 6);
}

#[test]
fn the_journal_is_folded_into_a_snapshot_once_it_outgrows_it() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, _) = Checkpoints::open(dir.path(), settings(), None).unwrap();
    let many: Vec<Vec<Event>> = (0..40)
        .map(|e| {
            (0..200)
                .map(|j| i((e * 200 + j) as f64, j, 1_000 + j))
                .collect()
        })
        .collect();
    let want = live(&mut store, &many);
    let journal = fs::metadata(dir.path().join("journal.jsonl"))
        .unwrap()
        .len();
    assert!(journal <= JOURNAL_MIN, "{journal}");
    drop(store);
    let (_, r) = Checkpoints::open(dir.path(), settings(), None).unwrap();
    assert_eq!(serde_json::to_string(&r.unwrap().state).unwrap(), want);
}

#[test]
fn leftover_lines_are_skipped_but_gaps_and_other_settings_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, _) = Checkpoints::open(dir.path(), settings(), None).unwrap();
    live(&mut store, &epochs(3));
    drop(store);
    let journal = dir.path().join("journal.jsonl");
    let text = fs::read_to_string(&journal).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // A snapshot renamed in but the journal not emptied: epochs 1..3 again, then 4 is fine.
    fs::write(&journal, format!("{}\n{text}", lines[0])).unwrap();
    let (_, r) = Checkpoints::open(dir.path(), settings(), None).unwrap();
    assert_eq!(r.unwrap().mark.epoch, 3);
    // A missing epoch is not.
    fs::write(&journal, format!("{}\n{}\n", lines[0], lines[2])).unwrap();
    let err = Checkpoints::open(dir.path(), settings(), None)
        .err()
        .unwrap();
    assert!(err.to_string().contains("epoch 3 follows epoch 1"), "{err}");
    fs::write(&journal, &text).unwrap();
    let other = Settings {
        seed: 8,
        ..settings()
    };
    let err = Checkpoints::open(dir.path(), other, None).err().unwrap();
    assert!(err.to_string().contains("--seed 7, not 8"), "{err}");
    let floor = Settings {
        min_rate: 16.0,
        ..settings()
    };
    let err = Checkpoints::open(dir.path(), floor, None).err().unwrap();
    assert!(
        err.to_string().contains("--min-samples-per-node 0, not 16"),
        "{err}"
    );
    // Values as the flags are written, not as Rust prints them.
    for (now, want) in [
        (
            Settings {
                model: Model::Uniform(0.1),
                ..settings()
            },
            "--model wc, not uniform:0.1",
        ),
        (
            Settings {
                delta: Some(0.01),
                ..settings()
            },
            "--delta unset, not 0.01",
        ),
        (
            Settings {
                window: None,
                ..settings()
            },
            "--window 10s, not unset",
        ),
    ] {
        let err = Checkpoints::open(dir.path(), now, None).err().unwrap();
        assert!(err.to_string().contains(want), "{err}");
    }
}
