//! The `cimflow` binary end to end: the bundled example, bad input, output files and pipes.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn example(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(file)
}

fn cimflow(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cimflow"))
        .args(args)
        .output()
        .expect("cimflow runs")
}

fn run_example(extra: &[&str]) -> Output {
    let (graph, adopters, events) = (
        example("friends.txt"),
        example("adopters.ap"),
        example("events.log"),
    );
    let mut args = vec![
        "run",
        "--graph",
        graph.to_str().unwrap(),
        "--undirected",
        "--adopters",
        adopters.to_str().unwrap(),
    ];
    args.extend([
        "--adopter-set",
        "1",
        "-k",
        "3",
        "--events",
        events.to_str().unwrap(),
        "--batch",
        "100",
        "--no-timings",
    ]);
    args.extend(extra);
    cimflow(&args)
}

/// `run` on the bundled graph and adopters (all of them, k = 2) with the event log `events`.
fn run_on_events(events: &Path, extra: &[&str]) -> Output {
    let (graph, adopters) = (example("friends.txt"), example("adopters.ap"));
    let mut args = vec!["run", "--graph", graph.to_str().unwrap(), "--undirected"];
    args.extend(["--adopters", adopters.to_str().unwrap(), "-k", "2"]);
    args.extend(["--events", events.to_str().unwrap()]);
    args.extend(extra);
    cimflow(&args)
}

fn summaries(stdout: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("every stdout line is JSON"))
        .filter_map(|v| v.get("summary").cloned())
        .collect()
}

/// The bundled example runs, every epoch is certified, and its two malformed lines are reported
/// with file and line, skipped and counted, without losing the events around them.
#[test]
fn example_runs_and_skips_bad_lines() {
    let out = run_example(&[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("events.log:283: unknown event kind `x`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("events.log:577: node id `bob` is not an unsigned 64-bit integer"),
        "{stderr}"
    );
    let s = summaries(&out.stdout);
    assert_eq!(s.len(), 7, "epoch 0 and six batches of the 600 good events");
    assert_eq!(
        s.iter().map(|x| x["events"].as_u64().unwrap()).sum::<u64>()
            - s[0]["events"].as_u64().unwrap(),
        600
    );
    let last = s.last().unwrap();
    assert_eq!(last["skipped"], 2);
    assert!(
        s.iter()
            .all(|x| x["certified"] == true && x["ratio"].as_f64().unwrap() >= 0.4)
    );
}

/// `--strict` stops at the first bad line with its message and exit status 2.
#[test]
fn strict_stops_with_status_2() {
    let out = run_example(&["--strict"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("events.log:283: unknown event kind `x`"),
        "{stderr}"
    );
}

/// Each kind of bad event line gets its own message naming file and line.
#[test]
fn each_bad_line_gets_its_message() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("bad.log");
    let mut bytes = b"+ f 1 2\n* f 1 2\n+ q 1 2\n+ f 1\n+ f x 2\n+ e 1 2 1.5\n+ f 1 99999999999999999999\n+ f 1 3 9\n".to_vec();
    bytes.extend_from_slice(b"+ f \xff 2\n+ a 7\n+ f 3");
    std::fs::write(&log, bytes).unwrap();
    let out = run_on_events(&log, &[]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    for (line, problem) in [
        (2, "unknown operation `*`"),
        (3, "unknown event kind `q`"),
        (4, "missing field"),
        (5, "node id `x` is not an unsigned 64-bit integer"),
        (6, "probability 1.5 is outside [0, 1]"),
        (7, "is not an unsigned 64-bit integer"),
        (8, "unexpected field `9`"),
        (9, "invalid UTF-8"),
        (11, "truncated last line"),
    ] {
        let want = format!("bad.log:{line}: ");
        let found = stderr
            .lines()
            .any(|l| l.contains(&want) && l.contains(problem));
        assert!(found, "no `{problem}` for line {line} in:\n{stderr}");
    }
    let s = summaries(&out.stdout);
    assert_eq!(s.last().unwrap()["skipped"], 9);
    assert_eq!(
        s.iter()
            .skip(1)
            .map(|x| x["events"].as_u64().unwrap())
            .sum::<u64>(),
        2,
        "the good lines 1 and 10"
    );
}

/// A missing file is named in the message and fails the run.
#[test]
fn missing_file_is_named() {
    let out = cimflow(&[
        "run",
        "--graph",
        "/nonexistent/g.txt",
        "--adopters",
        "/nonexistent/a.ap",
        "-k",
        "2",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/g.txt"));
}

/// With `--output`, `recommendations.tsv` holds the final set and `changes.jsonl` every change;
/// replaying the changes gives the final set.
#[test]
fn output_dir_holds_changes_and_current_set() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_example(&["--output", dir.path().to_str().unwrap(), "--format", "tsv"]);
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.lines().all(|l| l.split('\t').count() >= 3),
        "TSV on stdout"
    );
    let mut set = std::collections::BTreeSet::new();
    for line in std::fs::read_to_string(dir.path().join("changes.jsonl"))
        .unwrap()
        .lines()
    {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        if let Some(op) = v.get("op") {
            let pair = (
                v["adopter"].as_u64().unwrap(),
                v["friend"].as_u64().unwrap(),
            );
            if op == "+" {
                assert!(set.insert(pair))
            } else {
                assert!(set.remove(&pair))
            }
        }
    }
    let current = std::fs::read_to_string(dir.path().join("recommendations.tsv")).unwrap();
    let rows: std::collections::BTreeSet<(u64, u64)> = current
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[0].parse().unwrap(), f[1].parse().unwrap())
        })
        .collect();
    assert_eq!(rows, set);
    assert!(!rows.is_empty());
}

/// A reader that goes away (`| head -1`) ends cimflow quietly with status 0.
#[test]
fn closed_stdout_is_not_an_error() {
    let (graph, adopters) = (example("friends.txt"), example("adopters.ap"));
    let events = example("events.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_cimflow"))
        .args([
            "run",
            "--graph",
            graph.to_str().unwrap(),
            "--undirected",
            "--adopters",
            adopters.to_str().unwrap(),
        ])
        .args([
            "-k",
            "3",
            "--events",
            events.to_str().unwrap(),
            "--batch",
            "1",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 64];
    child
        .stdout
        .as_mut()
        .unwrap()
        .read_exact(&mut first)
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "status {:?}: {stderr}", out.status);
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// The dataflow and the oracle print the same bytes, and `--verify` holds them to each other at
/// every epoch.
#[test]
fn dataflow_oracle_and_verify_agree() {
    let dataflow = run_example(&["-w", "2", "--verify"]);
    assert!(
        dataflow.status.success(),
        "{}",
        String::from_utf8_lossy(&dataflow.stderr)
    );
    let oracle = run_example(&["--oracle"]);
    assert_eq!(
        String::from_utf8_lossy(&dataflow.stdout),
        String::from_utf8_lossy(&oracle.stdout)
    );
}

/// `--window` takes timed interactions back once the event time has passed them by the window,
/// so a temporal stream has deletions too; `--every` closes epochs at aligned periods of event
/// time.
#[test]
fn window_and_every_on_a_temporal_log() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("t.txt");
    // 40 interactions a minute apart, t = 1000 .. 3340.
    let text: String = (0..40u64)
        .map(|i| format!("{} {} {}\n", i % 5, 5 + i % 7, 1000 + 60 * i))
        .collect();
    std::fs::write(&log, text).unwrap();
    let out = run_on_events(&log, &["--window", "5m", "--every", "10m", "--no-timings"]);
    assert!(out.status.success());
    let s = summaries(&out.stdout);
    // Periods ⌊t / 600⌋ = 1 ..= 5: five epochs after epoch 0.
    assert_eq!(s.len(), 6);
    // Every interaction with t + 300 < 3340 has expired: the 34 with t < 3040.
    let applied: u64 = s[1..].iter().map(|x| x["events"].as_u64().unwrap()).sum();
    assert_eq!(applied, 40 + 34);
}

/// `--acceptance`: bad lines are named and skipped (exit 2 under `--strict`), the good ones
/// change the selection, and the run still verifies against the oracle at every epoch.
#[test]
fn acceptance_files_are_read_and_their_bad_lines_named() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("acceptance.txt");
    std::fs::write(
        &file,
        "# a f w\n58 18 0.1\n58 18 0\n63 6 1.5\n63 x 0.5\n63 6\n63 6 0.7 1\n",
    )
    .unwrap();
    let f = file.to_str().unwrap();
    let plain = run_example(&[]);
    let out = run_example(&["--acceptance", f, "--verify"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    for m in [
        "3: acceptance 0 is outside (0, 1]",
        "4: acceptance 1.5 is outside (0, 1]",
        "5: node id `x` is not an unsigned 64-bit integer",
        "6: missing field: acceptance W",
        "7: unexpected field `1`",
    ] {
        assert!(err.contains(&format!("{f}:{m}")), "{m}: {err}");
    }
    assert_ne!(
        out.stdout, plain.stdout,
        "an acceptance of 0.1 should change something"
    );
    let strict = run_example(&["--acceptance", f, "--strict"]);
    assert_eq!(strict.status.code(), Some(2));
    // The bundled file applies too, identically on two workers.
    let bundled = example("acceptance.txt");
    let one = run_example(&["--acceptance", bundled.to_str().unwrap(), "--verify"]);
    assert!(one.status.success());
    let two = run_example(&["--acceptance", bundled.to_str().unwrap(), "-w", "2"]);
    assert_eq!(one.stdout, two.stdout);
}

/// `+ w` and `- w` events in a log: the selection follows them, and `--verify` holds.
#[test]
fn acceptance_events_in_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("events.log");
    let mut text = String::new();
    for f in [18, 141, 6] {
        text.push_str(&format!("+ w 58 {f} 0.1\n+ w 63 {f} 0.1\n"));
    }
    text.push_str("+ w 58 18\n- w 58 141\n- w 58 141\n+ w 58 18 2\n");
    std::fs::write(&log, text).unwrap();
    let out = run_on_events(&log, &["--verify", "--batch", "3"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("7: missing field: acceptance W"), "{err}");
    assert!(err.contains("10: acceptance 2 is outside (0, 1]"), "{err}");
}
