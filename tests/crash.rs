//! Crashes where SIGKILL does not reach: inside a write, and between a write and its fsync.
//!
//! - RLIMIT_FSIZE cuts the write that would grow a file past the limit at exactly the limit, then
//!   kills the process (SIGXFSZ) or, with the signal ignored, fails the write (EFBIG, as a full
//!   disk does). Raising the limit run after run walks the cut through every file a follower
//!   writes: checkpoint, journal, change log; restarts must still end in `run`'s bytes.
//! - `recommendations.tsv` is never the largest file, so a cut reaches it only with the change log
//!   sent to /dev/null (which no limit applies to).
//! - What a power loss keeps is what was fsynced. Where `strace` can trace the binary, the test
//!   reads the order of its writes, fsyncs and renames and checks the protocol that makes every
//!   prefix of that order safe.

mod harness;

use std::fs;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::Command;

use harness::{Case, Rng, assert_same_lines, grammar_log, read, summaries};

const SIGXFSZ: i32 = 25;

/// The files of `dirs` whose size is exactly `limit`: the one a cut write left.
fn cut_files(dirs: &[&Path], limit: u64) -> Vec<String> {
    let mut cut = Vec::new();
    for dir in dirs {
        for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
            if entry.metadata().is_ok_and(|m| m.len() == limit) {
                cut.push(entry.file_name().to_string_lossy().into_owned());
            }
        }
    }
    cut
}

/// Followers cut short inside their writes, again and again, with a limit raised a little each
/// time, then one left to finish: the change log is `run`'s, byte for byte, and so is the final
/// set; and the cuts landed in the checkpoint, the journal and the change log.
#[test]
fn writes_cut_short_neither_lose_nor_repeat() {
    let mut all_cut = std::collections::BTreeSet::new();
    for (batch, seed) in [("1", 21), ("40", 22)] {
        let case = Case::new();
        fs::write(&case.log, grammar_log(&mut Rng(seed), 400, 1_000_000)).unwrap();
        let flags = ["--batch", batch, "--window", "30m"];
        let want = case.run(&case.log, &flags);
        let (out, state) = (case.path("out"), case.path("state"));
        let extra = [
            &flags[..],
            &["--output", out.to_str().unwrap()],
            &["--state", state.to_str().unwrap()],
        ]
        .concat();
        let changes = out.join("changes.jsonl");
        harness::without_report(&out);
        let mut limit = 1_000u64;
        let mut cut = std::collections::BTreeSet::new();
        let mut runs = 0;
        while summaries(&read(&changes)).len() < want.epochs() || runs == 0 {
            runs += 1;
            assert!(runs < 200, "no end in sight");
            let mut f = case.follow(&format!("cut{runs}"), &extra, Some(limit));
            let started = std::time::Instant::now();
            let status = loop {
                if let Some(status) = f.child.try_wait().unwrap() {
                    break Some(status);
                }
                assert!(started.elapsed() < harness::PATIENCE, "{}", f.stderr());
                std::thread::sleep(std::time::Duration::from_millis(10));
                if summaries(&read(&changes)).len() >= want.epochs() {
                    // Everything emitted under this limit: a SIGKILL ends the cuts.
                    let _ = f.child.kill();
                    f.child.wait().unwrap();
                    break None;
                }
            };
            let Some(status) = status else { break };
            let stderr = f.stderr();
            assert_eq!(
                status.signal(),
                Some(SIGXFSZ),
                "run {runs} (limit {limit}) ended by {status}: {stderr}"
            );
            for name in cut_files(&[&out, &state], limit) {
                cut.insert(name.trim_end_matches(".tmp").to_string());
            }
            limit += limit / 8;
        }
        // The last cut run may have emitted everything without recording it: finish normally.
        let mut f = case.follow("last", &extra, None);
        f.wait_for("a start", |f| !f.stderr().is_empty());
        f.wait_for_epochs(&changes, want.epochs());
        let (status, _, stderr) = f.term();
        assert!(status.success(), "{status}: {stderr}");
        assert_same_lines(&read(&changes), &want.changes, "change logs");
        assert_eq!(read(&out.join("recommendations.tsv")), want.recommendations);
        eprintln!("batch {batch}: {runs} cut runs; files cut: {cut:?}");
        all_cut.extend(cut);
    }
    for file in ["checkpoint.json", "journal.jsonl", "changes.jsonl"] {
        assert!(all_cut.contains(file), "no cut in {file}: {all_cut:?}");
    }
}

/// A write that fails (EFBIG, as on a full disk) stops the follower with a message naming the
/// file, and a restart with room goes on as if nothing had happened.
#[test]
fn a_failed_write_stops_with_a_message_and_the_restart_recovers() {
    let case = Case::new();
    fs::write(&case.log, grammar_log(&mut Rng(23), 300, 1_000_000)).unwrap();
    let flags = ["--batch", "5"];
    let want = case.run(&case.log, &flags);
    let (out, state) = (case.path("out"), case.path("state"));
    let extra = [
        &flags[..],
        &["--output", out.to_str().unwrap()],
        &["--state", state.to_str().unwrap()],
    ]
    .concat();
    let changes = out.join("changes.jsonl");
    for (run, limit) in [6_000u64, 12_000, 20_000].into_iter().enumerate() {
        let mut f = harness::Follower {
            child: harness::spawn_ignoring_xfsz(&case, &format!("efbig{run}"), &extra, limit),
            stdout: case.path(&format!("efbig{run}.out")),
            stderr: case.path(&format!("efbig{run}.err")),
        };
        let status = f.wait_exit();
        let stderr = f.stderr();
        assert_eq!(status.code(), Some(1), "{status}: {stderr}");
        assert!(stderr.contains("File too large"), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    let mut f = case.follow("last", &extra, None);
    f.wait_for("a start", |f| !f.stderr().is_empty());
    f.wait_for_epochs(&changes, want.epochs());
    let (status, _, stderr) = f.term();
    assert!(status.success(), "{status}: {stderr}");
    assert_same_lines(&read(&changes), &want.changes, "change logs");
}

/// `recommendations.tsv` cut at every length: a reader finds the previous whole set or the new
/// one, never part of one.
#[test]
fn the_recommendation_set_is_never_half_written() {
    let case = Case::new();
    fs::write(&case.log, grammar_log(&mut Rng(24), 200, 1_000_000)).unwrap();
    let mut cuts = 0;
    let mut whole_before_cut = 0;
    for limit in (20..400).step_by(9) {
        let out = case.path(&format!("out{limit}"));
        fs::create_dir(&out).unwrap();
        std::os::unix::fs::symlink("/dev/null", out.join("changes.jsonl")).unwrap();
        let mut args: Vec<String> = vec!["run".into()];
        args.extend(case.common());
        args.extend(
            [
                "--events",
                case.log.to_str().unwrap(),
                "--batch",
                "10",
                "--output",
                out.to_str().unwrap(),
            ]
            .map(String::from),
        );
        let mut child = harness::spawn(
            &args,
            fs::File::create(case.path("run.out")).unwrap(),
            fs::File::create(case.path("run.err")).unwrap(),
            Some(limit),
        );
        let status = child.wait().unwrap();
        if status.success() {
            continue;
        }
        assert_eq!(status.signal(), Some(SIGXFSZ), "{status}");
        cuts += 1;
        let Ok(text) = fs::read_to_string(out.join("recommendations.tsv")) else {
            continue;
        };
        whole_before_cut += 1;
        assert!(
            text.starts_with("adopter\tfriend\tgain\n") && text.ends_with('\n'),
            "limit {limit}: {text:?}"
        );
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split('\t').collect();
            assert!(
                f.len() == 3 && f.iter().all(|x| !x.is_empty()),
                "limit {limit}: {text:?}"
            );
        }
    }
    assert!(
        cuts >= 10 && whole_before_cut >= 3,
        "{cuts} {whole_before_cut}"
    );
}

/// Whether a file replaced by rename must survive a power loss: the state and the current set.
/// (`report.html` is a view of the change log, rewritten without fsyncs on purpose.)
fn durable(path: &str) -> bool {
    ["checkpoint.json", "recommendations.tsv", "start.json"]
        .iter()
        .any(|f| path.ends_with(f))
}

/// What must come after a call, before any other write.
type Need<'a> = Box<dyn Fn(&Call) -> bool + 'a>;

/// One system call of an `strace -f -y` trace that touches a file.
#[derive(Debug)]
struct Call {
    name: String,
    /// The file (the first argument's path, for calls on a descriptor).
    path: String,
    /// For a rename, the new name.
    to: String,
}

/// The calls on files under `root` in an `strace -f -y` trace, in the order they started.
fn calls(trace: &str, root: &str) -> Vec<Call> {
    let mut calls = Vec::new();
    for line in trace.lines() {
        let Some((_, rest)) = line.split_once(' ') else {
            continue;
        };
        let rest = rest.trim_start();
        if rest.starts_with("<...") {
            continue;
        }
        let Some((name, args)) = rest.split_once('(') else {
            continue;
        };
        let (path, to) = if name.starts_with("rename") {
            let quoted: Vec<&str> = args.split('"').collect();
            // renameat2(AT_FDCWD</x>, "a", AT_FDCWD</x>, "b", ...): the quoted names are 1 and 3.
            (
                quoted.get(1).unwrap_or(&"").to_string(),
                quoted.get(3).unwrap_or(&"").to_string(),
            )
        } else {
            let Some(p) = args.split_once('<').and_then(|(_, p)| p.split_once('>')) else {
                continue;
            };
            (p.0.to_string(), String::new())
        };
        if !(path.contains(root) || (name.starts_with("rename") && path.contains("/"))) {
            continue;
        }
        calls.push(Call {
            name: name.to_string(),
            path,
            to,
        });
    }
    calls
}

/// The durability protocol, read from the system calls of a follower with `--state` and
/// `--output`: a power loss after any prefix of them leaves a state a restart accepts.
///
/// - the journal is fsynced after each append, before any other file is written;
/// - a checkpoint or recommendation set is written to `.tmp`, fsynced, renamed over, and the
///   directory fsynced before any other file is written; never written in place (the report
///   page, a view, is exempt);
/// - the change log is fsynced before the journal or a checkpoint records its epoch.
#[test]
fn the_fsync_protocol_holds_at_every_step() {
    let probe = Command::new("strace")
        .args(["-o", "/dev/null", "true"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        eprintln!("note: strace is absent or cannot trace here; skipping the fsync protocol check");
        return;
    }
    let case = Case::new();
    fs::write(&case.log, grammar_log(&mut Rng(25), 200, 1_000_000)).unwrap();
    let (out, state) = (case.path("out"), case.path("state"));
    let trace = case.path("trace");
    let want = case.run(&case.log, &["--batch", "9"]);
    let mut args: Vec<String> = ["-f", "-y", "-qq", "-o", trace.to_str().unwrap()]
        .map(String::from)
        .into();
    args.extend(
        [
            "-e",
            "trace=write,pwrite64,writev,fsync,fdatasync,rename,renameat,renameat2",
        ]
        .map(String::from),
    );
    args.push(harness::bin().into());
    args.push("follow".into());
    args.push(case.log.to_str().unwrap().into());
    args.extend(case.common());
    args.extend(
        [
            "--idle",
            "50ms",
            "--batch",
            "9",
            "--output",
            out.to_str().unwrap(),
            "--state",
            state.to_str().unwrap(),
        ]
        .map(String::from),
    );
    let mut child = Command::new("strace")
        .args(&args)
        .stdout(fs::File::create(case.path("f.out")).unwrap())
        .stderr(fs::File::create(case.path("f.err")).unwrap())
        .spawn()
        .unwrap();
    let changes = out.join("changes.jsonl");
    let start = std::time::Instant::now();
    while summaries(&read(&changes)).len() < summaries(&want.changes).len() {
        assert!(
            start.elapsed() < harness::PATIENCE,
            "{}",
            read(&case.path("f.err"))
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // The traced follower's pid starts the trace.
    let pid = read(&trace).split_whitespace().next().unwrap().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    child.wait().unwrap();
    let root = case.dir.path().to_str().unwrap();
    let calls = calls(&read(&trace), root);
    let is_write = |c: &Call| c.name.contains("write");
    let file = |c: &Call| {
        Path::new(&c.path)
            .file_name()
            .map_or(String::new(), |n| n.to_string_lossy().into_owned())
    };
    let mut journal_appends = 0;
    let mut renames = 0;
    let mut dirty_changes = false;
    for (i, c) in calls.iter().enumerate() {
        let name = file(c);
        if is_write(c) {
            assert!(
                name != "checkpoint.json" && name != "recommendations.tsv",
                "{name} written in place at call {i}"
            );
        }
        if is_write(c) && name == "changes.jsonl" {
            dirty_changes = true;
        }
        if c.name.contains("sync") && name == "changes.jsonl" {
            dirty_changes = false;
        }
        let records = is_write(c) && (name == "journal.jsonl" || name == "checkpoint.json.tmp");
        if records {
            assert!(
                !dirty_changes,
                "call {i}: {name} written before changes.jsonl was fsynced"
            );
        }
        // What must follow before the next write of any file.
        let need: Option<Need> = if is_write(c) && name == "journal.jsonl" {
            journal_appends += 1;
            Some(Box::new(|n: &Call| {
                n.name.contains("sync") && file(n) == "journal.jsonl"
            }))
        } else if c.name.starts_with("rename") && durable(&c.to) {
            renames += 1;
            let dir = Path::new(&c.to).parent().unwrap().to_path_buf();
            let dir = fs::canonicalize(&dir).unwrap_or(dir);
            Some(Box::new(move |n: &Call| {
                n.name.contains("sync") && Path::new(&n.path) == dir
            }))
        } else {
            None
        };
        if let Some(need) = need {
            let next = calls[i + 1..]
                .iter()
                .find(|n| is_write(n) || need(n))
                .unwrap_or_else(|| panic!("call {i} {c:?}: nothing follows"));
            assert!(need(next), "after {c:?} (call {i}) came {next:?}");
        }
        if c.name.starts_with("rename") && durable(&c.to) {
            // The renamed file was fsynced after its last write.
            let from = file(&Call {
                name: String::new(),
                path: c.path.clone(),
                to: String::new(),
            });
            let last = calls[..i]
                .iter()
                .rev()
                .find(|p| file(p) == from && (is_write(p) || p.name.contains("sync")))
                .unwrap_or_else(|| panic!("{from} renamed unwritten"));
            assert!(
                last.name.contains("sync"),
                "{from} renamed before its fsync"
            );
        }
    }
    assert!(
        journal_appends >= 5 && renames >= 10,
        "{journal_appends} journal appends, {renames} renames: the trace saw too little"
    );
}
