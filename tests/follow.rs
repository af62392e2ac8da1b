//! `cimflow follow` end to end: the real binary on a real file in a temporary directory, held to
//! `cimflow run` on the same events. Appends in chunks that split lines, truncation, rotation
//! (while running and while stopped), SIGKILL at random points and restarts, SIGTERM, garbage,
//! a missing log and a closed stdout.

use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

const NODES: u64 = 40;

/// How long a test waits for the follower before it gives up.
const PATIENCE: Duration = Duration::from_secs(15);

/// xorshift64*: a fixed stream, so that a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A timed log in cimflow's grammar: interactions mostly, friendships and arcs coming and going,
/// adopters joining and leaving; times a minute or so apart, now and then a step back.
fn grammar_log(rng: &mut Rng, n: usize, t0: u64) -> String {
    let mut t = t0;
    let mut text = String::new();
    for i in 0..n {
        t += rng.below(120);
        let time = if i % 37 == 36 { t - 500 } else { t };
        let (u, v) = (rng.below(NODES), rng.below(NODES));
        let line = match rng.below(20) {
            0..=9 => format!("+ i {u} {v} {}", 1 + rng.below(3)),
            10..=12 => format!("+ f {u} {v}"),
            13 => format!("- f {u} {v}"),
            14 => format!("+ e {u} {v} 0.{}", rng.below(10)),
            15 => format!("- e {u} {v}"),
            16 => format!("- i {u} {v}"),
            17 => format!("+ a {u} {}", 1 + rng.below(3)),
            18 => format!("- a {u}"),
            _ => format!("+ i {v} {u}"),
        };
        text += &format!("{time} {line}\n");
    }
    text
}

/// A SNAP temporal log, `SRC TGT T`.
fn temporal_log(rng: &mut Rng, n: usize, t0: u64) -> String {
    let mut t = t0;
    (0..n)
        .map(|_| {
            t += rng.below(90);
            format!("{} {} {t}\n", rng.below(NODES), rng.below(NODES))
        })
        .collect()
}

/// What `cimflow run` printed and wrote.
struct Reference {
    stdout: String,
    changes: String,
    recommendations: String,
}

impl Reference {
    /// The number of summaries, epoch 0 included.
    fn epochs(&self) -> usize {
        summaries(&self.changes).len()
    }

    /// Events applied after epoch 0.
    fn applied(&self) -> u64 {
        applied(&self.changes)
    }
}

/// The summaries in JSON Lines text.
fn summaries(text: &str) -> Vec<Value> {
    text.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v.get("summary").is_some())
        .collect()
}

/// The events applied in the epochs after epoch 0.
fn applied(text: &str) -> u64 {
    summaries(text)
        .iter()
        .filter(|s| s["epoch"].as_u64() != Some(0))
        .map(|s| s["summary"]["events"].as_u64().unwrap())
        .sum()
}

/// A test's files: a graph, adopters, the log, and room for outputs.
struct Case {
    dir: TempDir,
    log: PathBuf,
    graph: PathBuf,
    adopters: PathBuf,
}

impl Case {
    fn new() -> Case {
        let dir = TempDir::new().unwrap();
        let mut rng = Rng(7);
        let mut text: String = (0..NODES)
            .map(|v| format!("{v} {}\n", (v + 1) % NODES))
            .collect();
        for _ in 0..NODES {
            text += &format!("{} {}\n", rng.below(NODES), rng.below(NODES));
        }
        let graph = dir.path().join("graph.txt");
        fs::write(&graph, text).unwrap();
        let adopters = dir.path().join("adopters.ap");
        fs::write(&adopters, "0,7,14,21\n").unwrap();
        let log = dir.path().join("events.log");
        Case {
            dir,
            log,
            graph,
            adopters,
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn common(&self) -> Vec<String> {
        let mut args: Vec<String> = ["--graph", self.graph.to_str().unwrap(), "--undirected"]
            .map(String::from)
            .into();
        args.extend(
            [
                "--adopters",
                self.adopters.to_str().unwrap(),
                "-k",
                "2",
                "--epsilon",
                "0.2",
                "--seed",
                "3",
                // The kill and SIGTERM tests count on many short epochs; the default sampling
                // floor (16 samples per node) makes each several times longer.
                "--min-samples-per-node",
                "0",
                "--no-timings",
            ]
            .map(String::from),
        );
        args
    }

    /// `cimflow run` on `events` with `extra` flags.
    fn run(&self, events: &Path, extra: &[&str]) -> Reference {
        let out_dir = TempDir::new_in(self.dir.path()).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_cimflow"))
            .arg("run")
            .args(self.common())
            .args(["--events", events.to_str().unwrap()])
            .args(["--output", out_dir.path().to_str().unwrap()])
            .args(extra)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "run failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Reference {
            stdout: String::from_utf8(out.stdout).unwrap(),
            changes: fs::read_to_string(out_dir.path().join("changes.jsonl")).unwrap(),
            recommendations: fs::read_to_string(out_dir.path().join("recommendations.tsv"))
                .unwrap(),
        }
    }

    /// Starts `cimflow follow` on the log with `extra` flags; its stdout and stderr go to files
    /// named after `name`.
    fn follow(&self, name: &str, extra: &[&str]) -> Follower {
        let (stdout, stderr) = (
            self.path(&format!("{name}.out")),
            self.path(&format!("{name}.err")),
        );
        let child = Command::new(env!("CARGO_BIN_EXE_cimflow"))
            .arg("follow")
            .arg(&self.log)
            .args(self.common())
            .args(["--idle", "50ms"])
            .args(extra)
            .stdout(File::create(&stdout).unwrap())
            .stderr(File::create(&stderr).unwrap())
            .spawn()
            .unwrap();
        Follower {
            child,
            stdout,
            stderr,
        }
    }

    fn append(&self, bytes: &[u8]) {
        append(&self.log, bytes);
    }
}

fn append(path: &Path, bytes: &[u8]) {
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    f.write_all(bytes).unwrap();
}

/// A running `cimflow follow`.
struct Follower {
    child: Child,
    stdout: PathBuf,
    stderr: PathBuf,
}

impl Follower {
    fn stdout(&self) -> String {
        fs::read_to_string(&self.stdout).unwrap_or_default()
    }

    fn stderr(&self) -> String {
        fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// Waits until `done` holds, or fails the test showing the follower's stderr.
    fn wait_for(&mut self, what: &str, mut done: impl FnMut(&Follower) -> bool) {
        let start = Instant::now();
        while !done(self) {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!(
                    "follow exited ({status}) while waiting for {what}:\n{}",
                    self.stderr()
                );
            }
            if start.elapsed() > PATIENCE {
                let _ = self.child.kill();
                panic!("no {what} after {PATIENCE:?}:\n{}", self.stderr());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits until `file` (a change log or this follower's stdout) shows `n` summaries.
    fn wait_for_epochs(&mut self, file: &Path, n: usize) {
        self.wait_for(&format!("{n} epochs"), |_| {
            summaries(&fs::read_to_string(file).unwrap_or_default()).len() >= n
        });
    }

    /// Waits until `file` shows `n` events applied after epoch 0.
    fn wait_for_applied(&mut self, file: &Path, n: u64) {
        self.wait_for(&format!("{n} events applied"), |_| {
            applied(&fs::read_to_string(file).unwrap_or_default()) >= n
        });
    }

    /// Waits until stderr says `text`.
    fn wait_for_stderr(&mut self, text: &str) {
        self.wait_for(&format!("`{text}` on stderr"), |f| {
            f.stderr().contains(text)
        });
    }

    /// SIGTERM; returns the exit status once it has stopped.
    fn term(mut self) -> (ExitStatus, String, String) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(sent.success());
        let status = self.wait_exit();
        (status, self.stdout(), self.stderr())
    }

    /// SIGKILL.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    fn wait_exit(&mut self) -> ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if start.elapsed() > PATIENCE {
                let _ = self.child.kill();
                panic!("follow did not stop:\n{}", self.stderr());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// Fails showing the first line where `got` and `want` differ, with its neighbours.
#[track_caller]
fn assert_same_lines(got: &str, want: &str, what: &str) {
    if got == want {
        return;
    }
    let (g, w): (Vec<&str>, Vec<&str>) = (got.lines().collect(), want.lines().collect());
    let at = g
        .iter()
        .zip(&w)
        .position(|(a, b)| a != b)
        .unwrap_or(g.len().min(w.len()));
    let show = |lines: &[&str]| lines[at.saturating_sub(3)..(at + 3).min(lines.len())].join("\n");
    panic!(
        "{what} differ at line {} ({} lines, want {}):\n--- got\n{}\n--- want\n{}",
        at + 1,
        g.len(),
        w.len(),
        show(&g),
        show(&w)
    );
}

/// Replays a change log; checks that every epoch appears once, in order, and every change is
/// consistent (a `+` adds what is absent, a `-` removes what is there). Returns the final set.
fn replay(changes: &str) -> Vec<(u64, u64)> {
    let mut set = std::collections::BTreeSet::new();
    let mut next = 0;
    for line in changes.lines() {
        let v: Value = serde_json::from_str(line).expect("a whole JSON line");
        let epoch = v["epoch"].as_u64().unwrap();
        if v.get("summary").is_some() {
            assert_eq!(epoch, next, "epochs out of order or repeated");
            next += 1;
            continue;
        }
        let pair = (
            v["adopter"].as_u64().unwrap(),
            v["friend"].as_u64().unwrap(),
        );
        let fits = if v["op"] == "+" {
            set.insert(pair)
        } else {
            set.remove(&pair)
        };
        assert!(fits, "change {line} does not fit the set");
    }
    set.into_iter().collect()
}

fn pairs(recommendations: &str) -> Vec<(u64, u64)> {
    recommendations
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[0].parse().unwrap(), f[1].parse().unwrap())
        })
        .collect()
}

/// On a log written before it starts, a follower makes the epochs `run` makes and prints the
/// same bytes, with one or two workers and with the oracle, windowed and cut by event time.
#[test]
fn a_complete_log_gives_the_bytes_of_run() {
    let case = Case::new();
    fs::write(&case.log, grammar_log(&mut Rng(1), 600, 1_000_000)).unwrap();
    let flags = ["--batch", "25", "--window", "1h", "--every", "2h"];
    let want = case.run(&case.log, &flags);
    assert!(want.applied() > 600, "the window takes interactions back");
    for extra in [&[][..], &["-w", "2"], &["--oracle"]] {
        let name = format!("follow{}", extra.join(""));
        let mut f = case.follow(&name, &[&flags[..], extra].concat());
        let stdout = f.stdout.clone();
        f.wait_for_epochs(&stdout, want.epochs());
        let (status, got, stderr) = f.term();
        assert!(status.success(), "{extra:?}: {status}: {stderr}");
        assert_eq!(got, want.stdout, "{extra:?}");
    }
}

/// Lines written in chunks that split them, while the follower reads: the final
/// recommendations are `run`'s, the change log replays to them, and nothing is applied twice.
#[test]
fn a_log_appended_in_chunks_ends_where_run_ends() {
    let case = Case::new();
    let text = temporal_log(&mut Rng(2), 1_500, 1_200_000_000);
    fs::write(case.path("whole.log"), &text).unwrap();
    let flags = ["--batch", "40", "--window", "2h"];
    let want = case.run(&case.path("whole.log"), &flags);
    let out = case.path("out");
    let out_flag = ["--output", out.to_str().unwrap()];
    fs::write(&case.log, b"").unwrap();
    let mut f = case.follow("follow", &[&flags[..], &out_flag].concat());
    let mut rng = Rng(3);
    let bytes = text.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        let n = (1 + rng.below(400) as usize).min(bytes.len() - at);
        case.append(&bytes[at..at + n]);
        at += n;
        std::thread::sleep(Duration::from_millis(rng.below(4)));
    }
    let changes = out.join("changes.jsonl");
    f.wait_for_applied(&changes, want.applied());
    let (status, stdout, stderr) = f.term();
    assert!(status.success(), "{stderr}");
    let log = fs::read_to_string(&changes).unwrap();
    assert_eq!(applied(&log), want.applied());
    let recommendations = fs::read_to_string(out.join("recommendations.tsv")).unwrap();
    assert_eq!(recommendations, want.recommendations);
    assert_eq!(replay(&log), pairs(&recommendations));
    assert_eq!(
        stdout, log,
        "stdout and the change log hold the same records"
    );
}

/// SIGKILL at random moments and restarts: the change log, across all the runs, is `run`'s,
/// byte for byte (no epoch lost, none repeated, the same epochs), and so is the final set.
#[test]
fn sigkill_at_random_points_neither_loses_nor_repeats() {
    let case = Case::new();
    fs::write(&case.log, grammar_log(&mut Rng(4), 1_500, 1_000_000)).unwrap();
    let flags = ["--batch", "7", "--window", "30m"];
    let want = case.run(&case.log, &flags);
    let (out, state) = (case.path("out"), case.path("state"));
    let extra = [
        &flags[..],
        &["--output", out.to_str().unwrap()],
        &["--state", state.to_str().unwrap()],
    ]
    .concat();
    let changes = out.join("changes.jsonl");
    let mut rng = Rng(5);
    let mut kills = 0;
    for run in 0..8 {
        let f = case.follow(&format!("killed{run}"), &extra);
        std::thread::sleep(Duration::from_millis(rng.below(150)));
        f.kill();
        let done = summaries(&fs::read_to_string(&changes).unwrap_or_default()).len();
        if done < want.epochs() {
            kills += 1;
        }
    }
    eprintln!("{kills} kills before the end");
    let mut f = case.follow("last", &extra);
    // The change log may hold an epoch a killed run emitted but did not record: count epochs
    // only once this run has started (and cut it back).
    f.wait_for("a start", |f| {
        f.stderr().contains("resuming") || f.stdout().contains("\"epoch\":0")
    });
    f.wait_for_epochs(&changes, want.epochs());
    let (status, _, stderr) = f.term();
    assert!(status.success(), "{status}: {stderr}");
    let repaired = (1..8)
        .map(|run| fs::read_to_string(case.path(&format!("killed{run}.err"))).unwrap())
        .chain([stderr])
        .filter(|e| e.contains("dropped"))
        .count();
    eprintln!("{repaired} restarts cut the change log back");
    assert!(kills >= 3, "only {kills} kills landed before the end");
    let got = fs::read_to_string(&changes).unwrap();
    if got != want.changes {
        let kept = case.dir.keep();
        eprintln!("files kept in {}", kept.display());
    }
    assert_same_lines(&got, &want.changes, "change logs");
    assert_eq!(
        fs::read_to_string(out.join("recommendations.tsv")).unwrap(),
        want.recommendations
    );
}

/// SIGTERM ends the epoch in progress, records the state and exits 0; the events read but not
/// yet emitted wait in the log, so a stopped and restarted follower prints exactly what an
/// uninterrupted one does.
#[test]
fn sigterm_stops_cleanly_and_the_restart_goes_on() {
    let case = Case::new();
    fs::write(&case.log, grammar_log(&mut Rng(6), 2_400, 1_000_000)).unwrap();
    let flags = ["--batch", "3"];
    let want = case.run(&case.log, &flags);
    let state = case.path("state");
    let extra = [&flags[..], &["--state", state.to_str().unwrap()]].concat();
    let mut rng = Rng(7);
    let mut printed = String::new();
    let mut stops = 0;
    while summaries(&printed).len() < want.epochs() {
        let mut f = case.follow(&format!("stopped{stops}"), &extra);
        let stdout = f.stdout.clone();
        f.wait_for_epochs(&stdout, 1);
        std::thread::sleep(Duration::from_millis(rng.below(100)));
        let (status, stdout, stderr) = f.term();
        assert!(status.success(), "{status}: {stderr}");
        printed += &stdout;
        stops += 1;
        assert!(stops < 60, "no end in sight");
    }
    eprintln!("stopped {stops} times");
    assert!(stops >= 3, "stopped {stops} times only");
    assert_eq!(printed, want.stdout);
}

/// Like `tail -F`: a rotated log is read to its end (lines a writer adds after the rename
/// included) before the new file; a truncated log is read again from its start; a log rotated
/// while cimflow was stopped is finished from its new name first.
#[test]
fn truncation_and_rotation_as_tail_f() {
    let case = Case::new();
    let mut rng = Rng(8);
    let parts: Vec<String> = [200, 20, 150, 100, 10, 50]
        .iter()
        .enumerate()
        .map(|(i, &n)| grammar_log(&mut rng, n, 1_000_000 + 100_000 * i as u64))
        .collect();
    let lines = |k: usize| -> u64 { parts[..k].iter().map(|p| p.lines().count() as u64).sum() };
    let (out, state) = (case.path("out"), case.path("state"));
    let extra = [
        "--batch",
        "30",
        "--output",
        out.to_str().unwrap(),
        "--state",
        state.to_str().unwrap(),
    ];
    let changes = out.join("changes.jsonl");
    case.append(parts[0].as_bytes());
    let mut f = case.follow("first", &extra);
    f.wait_for_applied(&changes, lines(1));
    // Rotate; the writer finishes a line and adds more to the old file, then starts the new one.
    fs::rename(&case.log, case.path("events.log.1")).unwrap();
    append(&case.path("events.log.1"), parts[1].as_bytes());
    case.append(parts[2].as_bytes());
    f.wait_for_applied(&changes, lines(3));
    f.wait_for_stderr("rotated");
    // Truncate, wait until it is noticed, then write again.
    File::create(&case.log).unwrap();
    f.wait_for_stderr("file truncated");
    case.append(parts[3].as_bytes());
    f.wait_for_applied(&changes, lines(4));
    let (status, _, stderr) = f.term();
    assert!(status.success(), "{stderr}");
    // While stopped: more lines, rotation, a new file.
    case.append(parts[4].as_bytes());
    fs::rename(&case.log, case.path("events.log.2")).unwrap();
    case.append(parts[5].as_bytes());
    let mut f = case.follow("second", &extra);
    f.wait_for_applied(&changes, lines(6));
    let (status, _, stderr) = f.term();
    assert!(status.success(), "{stderr}");
    assert!(
        stderr.contains("rotated while cimflow was stopped"),
        "{stderr}"
    );

    fs::write(case.path("all.log"), parts.concat()).unwrap();
    let want = case.run(&case.path("all.log"), &["--batch", "30"]);
    let log = fs::read_to_string(&changes).unwrap();
    assert_eq!(applied(&log), want.applied());
    let recommendations = fs::read_to_string(out.join("recommendations.tsv")).unwrap();
    assert_eq!(recommendations, want.recommendations);
    assert_eq!(replay(&log), pairs(&recommendations));
}

/// Garbage of every kind (binary, invalid UTF-8, ids past u64, a line of several megabytes
/// written piece by piece) is reported once each with file and line, counted and skipped, and
/// the good lines around it make the same state as `run` makes of the same file.
#[test]
fn garbage_is_reported_once_and_skipped() {
    let case = Case::new();
    let good = grammar_log(&mut Rng(9), 300, 1_000_000);
    let mut rng = Rng(10);
    let mut bad_lines = Vec::new();
    let mut lines: Vec<Vec<u8>> = Vec::new();
    for (i, line) in good.lines().enumerate() {
        lines.push(line.as_bytes().to_vec());
        if i % 25 == 12 {
            let garbage: Vec<u8> = match (i / 25) % 5 {
                // Binary, starting with a byte that is never UTF-8.
                0 => std::iter::once(0xff)
                    .chain((0..200).map(|_| rng.below(256) as u8))
                    .filter(|&b| b != b'\n')
                    .collect(),
                1 => b"+ f 1 18446744073709551616".to_vec(),
                2 => b"+ f 1 2 \xe2\x28\xa1".to_vec(),
                3 => b"\0\0\0 + e 1 2".to_vec(),
                _ => b"12 + e 1 2 1.5".to_vec(),
            };
            lines.push(garbage);
            bad_lines.push(lines.len());
        }
    }
    let huge_at = lines.len() / 2;
    bad_lines.push(huge_at + 1);
    bad_lines.sort_unstable();
    // Line numbers after the huge line move down by one.
    let bad_lines: Vec<usize> = bad_lines
        .into_iter()
        .map(|l| if l > huge_at + 1 { l + 1 } else { l })
        .collect();
    let mut head = Vec::new();
    for l in &lines[..huge_at] {
        head.extend_from_slice(l);
        head.push(b'\n');
    }
    let mut tail = Vec::new();
    for l in &lines[huge_at..] {
        tail.extend_from_slice(l);
        tail.push(b'\n');
    }
    let huge = vec![b'7'; 3 << 20];
    let mut whole = head.clone();
    whole.extend_from_slice(&huge);
    whole.push(b'\n');
    whole.extend_from_slice(&tail);
    fs::write(case.path("whole.log"), &whole).unwrap();
    let want = case.run(&case.path("whole.log"), &["--batch", "10"]);

    case.append(&head);
    let out = case.path("out");
    let mut f = case.follow(
        "follow",
        &["--batch", "10", "--output", out.to_str().unwrap()],
    );
    for piece in huge.chunks(100_000) {
        case.append(piece);
        std::thread::sleep(Duration::from_millis(2));
    }
    case.append(b"\n");
    case.append(&tail);
    let changes = out.join("changes.jsonl");
    f.wait_for_applied(&changes, want.applied());
    let (status, _, stderr) = f.term();
    assert!(status.success(), "{stderr}");
    let name = case.log.display().to_string();
    for line in &bad_lines {
        let tag = format!("{name}:{line}: ");
        assert_eq!(
            stderr.matches(&tag).count(),
            1,
            "line {line} reported {} times:\n{stderr}",
            stderr.matches(&tag).count()
        );
    }
    assert!(stderr.contains(&format!("{name}:{}: line longer than", huge_at + 1)));
    let log = fs::read_to_string(&changes).unwrap();
    let last = summaries(&log).pop().unwrap();
    assert_eq!(last["summary"]["skipped"], bad_lines.len());
    assert_eq!(
        summaries(&want.changes).pop().unwrap()["summary"]["skipped"],
        bad_lines.len()
    );
    assert_eq!(
        fs::read_to_string(out.join("recommendations.tsv")).unwrap(),
        want.recommendations
    );
}

/// `--strict` stops at the first bad line, exit status 2, after emitting the events before it.
#[test]
fn strict_stops_at_the_first_bad_line() {
    let case = Case::new();
    let good = grammar_log(&mut Rng(11), 40, 1_000_000);
    let (before, after): (Vec<&str>, Vec<&str>) = (
        good.lines().take(30).collect(),
        good.lines().skip(30).collect(),
    );
    case.append(format!("{}\n+ q 1 2\n{}\n", before.join("\n"), after.join("\n")).as_bytes());
    let mut f = case.follow("strict", &["--strict", "--batch", "100"]);
    let status = f.wait_exit();
    let (stdout, stderr) = (f.stdout(), f.stderr());
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{}:31: unknown event kind `q`",
            case.log.display()
        )),
        "{stderr}"
    );
    assert_eq!(applied(&stdout), 30);
}

/// A log that is not there is waited for, and one that disappears is waited for again.
#[test]
fn a_missing_log_is_waited_for() {
    let case = Case::new();
    let mut rng = Rng(12);
    let (first, second) = (
        temporal_log(&mut rng, 100, 1_300_000_000),
        temporal_log(&mut rng, 60, 1_400_000_000),
    );
    let out = case.path("out");
    let mut f = case.follow(
        "follow",
        &["--batch", "16", "--output", out.to_str().unwrap()],
    );
    f.wait_for_stderr("waiting for it to appear");
    case.append(first.as_bytes());
    let changes = out.join("changes.jsonl");
    f.wait_for_applied(&changes, 100);
    fs::remove_file(&case.log).unwrap();
    f.wait_for_stderr("has disappeared");
    case.append(second.as_bytes());
    f.wait_for_applied(&changes, 160);
    let (status, _, stderr) = f.term();
    assert!(status.success(), "{stderr}");
    fs::write(case.path("all.log"), first + &second).unwrap();
    let want = case.run(&case.path("all.log"), &["--batch", "16"]);
    assert_eq!(
        fs::read_to_string(out.join("recommendations.tsv")).unwrap(),
        want.recommendations
    );
}

/// A reader that goes away (`| head -1`) ends the follower quietly, with status 0, at its next
/// epoch.
#[test]
fn a_closed_stdout_ends_quietly() {
    let case = Case::new();
    let mut rng = Rng(13);
    case.append(grammar_log(&mut rng, 20, 1_000_000).as_bytes());
    let mut child = Command::new(env!("CARGO_BIN_EXE_cimflow"))
        .arg("follow")
        .arg(&case.log)
        .args(case.common())
        .args(["--idle", "50ms"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with("{\"epoch\":0"));
    // The reader is gone; the next epoch's write finds the pipe closed.
    case.append(grammar_log(&mut rng, 20, 2_000_000).as_bytes());
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(start.elapsed() < PATIENCE, "follow did not stop");
        std::thread::sleep(Duration::from_millis(10));
    };
    let stderr = std::io::read_to_string(child.stderr.take().unwrap()).unwrap();
    assert!(status.success(), "{status}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
