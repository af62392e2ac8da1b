//! What the binary says to a user who made a mistake: the wrong file, a typo in a log's first line,
//! contradictory flags, recommendations from another graph, and why a selection is not certified.

use std::process::{Command, Output};

mod common;
use common::example;

fn cimflow(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cimflow"))
        .args(args)
        .output()
        .expect("cimflow runs")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `run` on the bundled example, adopter set 1, k = 3, with `extra` flags.
fn run(extra: &[&str]) -> Output {
    let (graph, adopters) = (example("friends.txt"), example("adopters.ap"));
    let mut args = vec![
        "run",
        "--graph",
        &graph,
        "--undirected",
        "--adopters",
        &adopters,
    ];
    args.extend(["--adopter-set", "1", "-k", "3", "--no-timings"]);
    args.extend(extra);
    cimflow(&args)
}

/// A file of the wrong kind as the log: its first 100 bad lines are reported, then one note, then
/// a warning that nothing in it could be read.
#[test]
fn a_file_of_the_wrong_kind_is_named_once_not_line_by_line() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("graph-not-log.txt");
    // Edge-list lines: read as SNAP temporal lines, each lacks its time.
    let lines: String = (0..150).map(|i| format!("{i} {}\n", i + 1)).collect();
    std::fs::write(&log, lines).unwrap();
    let out = run(&["--events", log.to_str().unwrap()]);
    assert!(out.status.success());
    let err = stderr(&out);
    assert_eq!(err.matches("missing field: time").count(), 100, "{err}");
    assert!(err.contains("100 bad lines; any more are skipped without a message"));
    assert!(
        err.contains("none of its lines could be read as events (150 bad lines skipped)"),
        "{err}"
    );
    // The count still covers them all.
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().unwrap();
    assert!(last.contains("\"skipped\":150"), "{last}");
}

/// A typo in the first data line sets the format; the lines after it say which format they are in.
#[test]
fn a_typo_in_the_first_line_is_explained_on_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("typo.log");
    std::fs::write(&log, "* f 1 2\n+ f 2 3\n").unwrap();
    let err = stderr(&run(&["--events", log.to_str().unwrap()]));
    assert!(err.contains("typo.log:1: node id `*`"), "{err}");
    assert!(
        err.contains("typo.log:2: node id `+` is not an unsigned 64-bit integer (this line is in the event-log format"),
        "{err}"
    );
    assert!(err.contains("but the file is read in the SNAP temporal format"));
}

#[test]
fn contradictory_or_misplaced_flags_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("x.log");
    let log = log.to_str().unwrap();
    // Flags about a file that was not given.
    let err = stderr(&cimflow(&["follow", log, "-k", "2", "--adopter-set", "1"]));
    assert!(err.contains("--adopters <FILE>"), "{err}");
    let err = stderr(&cimflow(&["follow", log, "-k", "2", "--undirected"]));
    assert!(err.contains("--graph <FILE>"), "{err}");
    // Negative values get a range message, not "unexpected argument".
    let (graph, adopters) = (example("friends.txt"), example("adopters.ap"));
    let args = [
        "run",
        "--graph",
        &graph,
        "--adopters",
        &adopters,
        "-k",
        "-1",
    ];
    let err = stderr(&cimflow(&args));
    assert!(err.contains("invalid value '-1' for '-k <K>'"), "{err}");
    let err = stderr(&run(&["--window", "-1d"]));
    assert!(err.contains("`-1d` is negative"), "{err}");
    // An output "directory" that is a file is refused before any input is read.
    let out = run(&["--output", &example("friends.txt")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("friends.txt: exists and is not a directory"),
        "{}",
        stderr(&out)
    );
}

/// A baseline is measured at cimflow's level: when its ratio falls short there, the closing line
/// does not blame the sampling.
#[test]
fn a_baseline_short_of_the_ratio_is_not_blamed_on_theta_max() {
    let out = run(&["--method", "degree"]);
    assert!(out.status.success());
    let err = stderr(&out);
    let last = err.lines().last().unwrap();
    // On this example degree's ratio is about 0.39, below 1/2 − ε = 0.4.
    assert!(last.starts_with("cimflow: 1 epoch; "), "{last}");
    assert!(
        last.contains("not certified at the level cimflow's selection certified"),
        "{last}"
    );
    assert!(!last.contains("θ_max"), "{last}");
    let out = run(&[
        "--method",
        "degree",
        "--acceptance",
        &example("acceptance.txt"),
    ]);
    assert!(stderr(&out).contains("--method degree does not know acceptances"));
}

/// Recommendations that the graph and adopters could not have given are evaluated, with a warning.
#[test]
fn evaluate_warns_of_recommendations_from_another_graph() {
    let dir = tempfile::tempdir().unwrap();
    let recs = dir.path().join("r.tsv");
    std::fs::write(&recs, "adopter\tfriend\tgain\n58\t5000\t1\n").unwrap();
    let (graph, adopters) = (example("friends.txt"), example("adopters.ap"));
    let out = cimflow(&[
        "evaluate",
        "--graph",
        &graph,
        "--undirected",
        "--adopters",
        &adopters,
        "--adopter-set",
        "1",
        "--recommendations",
        recs.to_str().unwrap(),
        "--runs",
        "100",
    ]);
    assert!(out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("warning: ") && err.contains("1 of 1 recommendations"),
        "{err}"
    );
    assert!(err.contains("adopter 58, friend 5000"), "{err}");
}
