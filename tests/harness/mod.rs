//! The real `cimflow` binary in a temporary directory, for the tests that hold it to its promises
//! under stress: a small graph and adopters, generated event logs, `run` as the reference, and
//! followers started with or without a limit on the size of the files they may write
//! (RLIMIT_FSIZE), which cuts a write short where a SIGKILL never lands: inside it.

#![allow(dead_code)]

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

/// Nodes of the generated graphs and logs.
pub const NODES: u64 = 40;

/// How long a test waits for a process before it gives up.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// The binary under test.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_cimflow")
}

/// xorshift64*: a fixed stream, so that a failure reproduces.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A timed log in cimflow's grammar, every kind of event, times a minute or so apart.
pub fn grammar_log(rng: &mut Rng, n: usize, t0: u64) -> String {
    let mut t = t0;
    let mut text = String::new();
    for _ in 0..n {
        t += rng.below(120);
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
        text += &format!("{t} {line}\n");
    }
    text
}

/// The JSON records of JSON Lines text that parse.
pub fn records(text: &str) -> Vec<Value> {
    text.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .collect()
}

/// The summaries in JSON Lines text.
pub fn summaries(text: &str) -> Vec<Value> {
    records(text)
        .into_iter()
        .filter(|v| v.get("summary").is_some())
        .collect()
}

/// The lines of epoch `epoch` in JSON Lines text, in order.
pub fn epoch_lines(text: &str, epoch: u64) -> Vec<String> {
    text.lines()
        .filter(|l| {
            serde_json::from_str::<Value>(l).is_ok_and(|v| v["epoch"].as_u64() == Some(epoch))
        })
        .map(String::from)
        .collect()
}

/// A file's text, empty when it is missing.
pub fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_default()
}

/// Keeps the report page out of the way of a test that limits file sizes: `report.html` is the
/// largest file of an output directory, and a view that is not fsynced on purpose. A directory
/// where its `.tmp` goes makes writing it fail, and a page that cannot be written is dropped
/// (with a message) without stopping the run.
pub fn without_report(out: &Path) {
    fs::create_dir_all(out.join("report.html.tmp")).unwrap();
}

/// Appends `bytes` to `path`, creating it.
pub fn append(path: &Path, bytes: &[u8]) {
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    f.write_all(bytes).unwrap();
}

/// What `cimflow run` printed and wrote.
pub struct Reference {
    pub stdout: String,
    pub changes: String,
    pub recommendations: String,
}

impl Reference {
    /// The number of summaries, epoch 0 included.
    pub fn epochs(&self) -> usize {
        summaries(&self.changes).len()
    }
}

/// A test's files: a graph, adopters, the log, and room for outputs.
pub struct Case {
    pub dir: TempDir,
    pub log: PathBuf,
    pub graph: PathBuf,
    pub adopters: PathBuf,
}

impl Case {
    /// A ring of `NODES` users with as many random chords; four adopters.
    pub fn new() -> Case {
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

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The input and job flags every command of a test shares.
    pub fn common(&self) -> Vec<String> {
        [
            "--graph",
            self.graph.to_str().unwrap(),
            "--undirected",
            "--adopters",
            self.adopters.to_str().unwrap(),
            "-k",
            "2",
            "--epsilon",
            "0.2",
            "--seed",
            "3",
            "--no-timings",
        ]
        .map(String::from)
        .into()
    }

    /// `cimflow run` on `events` with `extra` flags, into a fresh output directory.
    pub fn run(&self, events: &Path, extra: &[&str]) -> Reference {
        let out_dir = TempDir::new_in(self.dir.path()).unwrap();
        let out = Command::new(bin())
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
            changes: read(&out_dir.path().join("changes.jsonl")),
            recommendations: read(&out_dir.path().join("recommendations.tsv")),
        }
    }

    /// Starts `cimflow follow` on the log with `extra` flags (`--idle 50ms` unless given); stdout
    /// and stderr go to files named after `name`. With `fsize`, no file it writes may grow past
    /// that many bytes: the write that would is cut there and the process killed (SIGXFSZ).
    pub fn follow(&self, name: &str, extra: &[&str], fsize: Option<u64>) -> Follower {
        let (stdout, stderr) = (
            self.path(&format!("{name}.out")),
            self.path(&format!("{name}.err")),
        );
        let mut args: Vec<String> = vec!["follow".into(), self.log.to_str().unwrap().into()];
        args.extend(self.common());
        if !extra.contains(&"--idle") {
            args.extend(["--idle".into(), "50ms".into()]);
        }
        args.extend(extra.iter().map(|s| s.to_string()));
        let child = spawn(
            &args,
            File::create(&stdout).unwrap(),
            File::create(&stderr).unwrap(),
            fsize,
        );
        Follower {
            child,
            stdout,
            stderr,
        }
    }
}

/// Starts the binary with `args`. With `fsize`, it starts under a shell that waits until the
/// limit is set on it (`prlimit` on another process needs no `unsafe`, unlike a `pre_exec`
/// hook), then execs the binary, which inherits the limit.
pub fn spawn(args: &[String], stdout: File, stderr: File, fsize: Option<u64>) -> Child {
    let Some(limit) = fsize else {
        return Command::new(bin())
            .args(args)
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .unwrap();
    };
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(r#"read go && exec "$0" "$@""#)
        .arg(bin())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(stdout)
        .stderr(stderr)
        .spawn()
        .unwrap();
    let pid = rustix::process::Pid::from_child(&child);
    let rlimit = rustix::process::Rlimit {
        current: Some(limit),
        maximum: Some(limit),
    };
    rustix::process::prlimit(Some(pid), rustix::process::Resource::Fsize, rlimit).unwrap();
    let mut go = child.stdin.take().unwrap();
    go.write_all(b"go\n").unwrap();
    child
}

/// A running `cimflow follow`.
pub struct Follower {
    pub child: Child,
    pub stdout: PathBuf,
    pub stderr: PathBuf,
}

impl Follower {
    pub fn stdout(&self) -> String {
        read(&self.stdout)
    }

    pub fn stderr(&self) -> String {
        read(&self.stderr)
    }

    /// Waits until `done` holds, or fails the test showing the follower's stderr.
    pub fn wait_for(&mut self, what: &str, mut done: impl FnMut(&Follower) -> bool) {
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

    /// Waits until the process ends; fails the test if `wrong` holds first.
    pub fn wait_for_exit_or(&mut self, what: &str, mut wrong: impl FnMut(&Follower) -> bool) {
        let start = Instant::now();
        while self.child.try_wait().unwrap().is_none() {
            if wrong(self) || start.elapsed() > PATIENCE {
                let _ = self.child.kill();
                panic!("no {what}:\n{}", self.stderr());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits until `file` shows `n` summaries.
    pub fn wait_for_epochs(&mut self, file: &Path, n: usize) {
        self.wait_for(&format!("{n} epochs"), |_| {
            summaries(&read(file)).len() >= n
        });
    }

    /// SIGTERM; returns the exit status once it has stopped.
    pub fn term(mut self) -> (ExitStatus, String, String) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(sent.success());
        let status = self.wait_exit();
        (status, self.stdout(), self.stderr())
    }

    /// SIGKILL.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        self.child.wait().unwrap();
    }

    /// Waits for the process to end by itself.
    pub fn wait_exit(&mut self) -> ExitStatus {
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
pub fn assert_same_lines(got: &str, want: &str, what: &str) {
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

/// Starts `cimflow follow` as [`Case::follow`] does, under a limit of `fsize` bytes with SIGXFSZ
/// ignored, so that the write that would pass the limit fails (EFBIG) as on a full disk.
pub fn spawn_ignoring_xfsz(case: &Case, name: &str, extra: &[&str], fsize: u64) -> Child {
    let mut args: Vec<String> = vec!["follow".into(), case.log.to_str().unwrap().into()];
    args.extend(case.common());
    args.extend(["--idle".into(), "50ms".into()]);
    args.extend(extra.iter().map(|s| s.to_string()));
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(r#"trap '' XFSZ; read go && exec "$0" "$@""#)
        .arg(bin())
        .args(&args)
        .stdin(Stdio::piped())
        .stdout(File::create(case.path(&format!("{name}.out"))).unwrap())
        .stderr(File::create(case.path(&format!("{name}.err"))).unwrap())
        .spawn()
        .unwrap();
    let pid = rustix::process::Pid::from_child(&child);
    let rlimit = rustix::process::Rlimit {
        current: Some(fsize),
        maximum: Some(fsize),
    };
    rustix::process::prlimit(Some(pid), rustix::process::Resource::Fsize, rlimit).unwrap();
    child.stdin.take().unwrap().write_all(b"go\n").unwrap();
    child
}
