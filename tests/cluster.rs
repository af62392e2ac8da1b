//! The `cimflow` binary as a cluster of processes on 127.0.0.1: the same bytes on stdout as one
//! process, whatever the split into processes and threads; the input read and the results written
//! by process 0 alone; and a process that dies takes the others down rather than leaving them
//! hanging.

use std::fs::{self, File};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{data_dir, example};

/// How long any one run may take before the test gives up on it.
const DEADLINE: Duration = Duration::from_secs(120);

/// The shared datasets, when this checkout sits beside them (or where `CIMFLOW_DATA` says, for a
/// checkout elsewhere).
fn shared_data() -> Option<PathBuf> {
    let dir = data_dir();
    if dir.join("dnc-corecipient.txt.gz").exists() {
        Some(dir)
    } else {
        eprintln!(
            "note: {} is absent; skipping the test on the real dataset",
            dir.display()
        );
        None
    }
}

/// What one process left behind.
struct Ran {
    status: std::process::ExitStatus,
    stdout: Vec<u8>,
    stderr: String,
}

/// Processes started by a test, killed if the test ends before they do.
struct Processes {
    /// Process `p` is `children[p]`, when started.
    children: Vec<Option<Child>>,
    dir: PathBuf,
}

impl Processes {
    /// Starts `-n processes -w workers` with `args`, every process on its own free port of
    /// 127.0.0.1, each with its stdout and stderr in `dir`.
    fn start(args: &[String], processes: usize, workers: usize, dir: &Path) -> Processes {
        let all: Vec<usize> = (0..processes).collect();
        Self::start_in_order(
            |_| args.to_vec(),
            processes,
            workers,
            dir,
            &all,
            Duration::ZERO,
        )
    }

    /// [`Processes::start`], with process `p`'s own `args(p)`, for the processes in `order` only,
    /// in that order, `gap` apart.
    fn start_in_order(
        args: impl Fn(usize) -> Vec<String>,
        processes: usize,
        workers: usize,
        dir: &Path,
        order: &[usize],
        gap: Duration,
    ) -> Processes {
        let hostfile = dir.join("hosts.txt");
        let mut hosts = File::create(&hostfile).unwrap();
        for port in free_ports(processes) {
            writeln!(hosts, "127.0.0.1:{port}").unwrap();
        }
        let mut started = Processes {
            children: (0..processes).map(|_| None).collect(),
            dir: dir.to_path_buf(),
        };
        for (i, &p) in order.iter().enumerate() {
            if i > 0 {
                std::thread::sleep(gap);
            }
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_cimflow"));
            cmd.args(args(p)).args(["-w", &workers.to_string()]);
            if processes > 1 {
                cmd.args(["-n", &processes.to_string(), "-p", &p.to_string()])
                    .arg("-h")
                    .arg(&hostfile);
            }
            let child = cmd
                .stdin(Stdio::null())
                .stdout(File::create(dir.join(format!("{p}.out"))).unwrap())
                .stderr(File::create(dir.join(format!("{p}.err"))).unwrap())
                .env("RUST_BACKTRACE", "0")
                .spawn()
                .expect("cimflow starts");
            started.children[p] = Some(child);
        }
        started
    }

    fn child(&mut self, p: usize) -> &mut Child {
        self.children[p]
            .as_mut()
            .expect("a process that was started")
    }

    /// Waits for process `p` to end (or panics after `within`).
    fn wait(&mut self, p: usize, within: Duration) -> Ran {
        let started = Instant::now();
        let status = loop {
            if let Some(status) = self.child(p).try_wait().unwrap() {
                break status;
            }
            assert!(
                started.elapsed() < within,
                "process {p} still running after {within:?}; stderr:\n{}",
                fs::read_to_string(self.dir.join(format!("{p}.err"))).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        Ran {
            status,
            stdout: fs::read(self.dir.join(format!("{p}.out"))).unwrap(),
            stderr: fs::read_to_string(self.dir.join(format!("{p}.err"))).unwrap(),
        }
    }

    /// Waits for every process; all must succeed.
    fn wait_all(mut self) -> Vec<Ran> {
        let ran: Vec<Ran> = (0..self.children.len())
            .map(|p| self.wait(p, DEADLINE))
            .collect();
        for (p, r) in ran.iter().enumerate() {
            assert!(
                r.status.success(),
                "process {p}: {}\n{}",
                r.status,
                r.stderr
            );
        }
        ran
    }

    /// Waits until process `p` has written at least `bytes` bytes on stdout.
    fn await_output(&mut self, p: usize, bytes: u64) {
        let path = self.dir.join(format!("{p}.out"));
        let started = Instant::now();
        while fs::metadata(&path).map_or(0, |m| m.len()) < bytes {
            assert!(
                self.child(p).try_wait().unwrap().is_none(),
                "process {p} ended early"
            );
            assert!(started.elapsed() < DEADLINE, "process {p} wrote nothing");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Processes {
    fn drop(&mut self) {
        for child in self.children.iter_mut().flatten() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// `n` ports that were free a moment ago (held together, so that they differ).
fn free_ports(n: usize) -> Vec<u16> {
    let listeners: Vec<TcpListener> = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    listeners
        .iter()
        .map(|l| l.local_addr().unwrap().port())
        .collect()
}

/// Runs `args` as `processes` processes of `workers` threads each; returns process 0's stdout,
/// having checked that the others wrote nothing there and said where the results go.
fn stdout_of(args: &[String], processes: usize, workers: usize) -> Vec<u8> {
    let tmp = tempfile::tempdir().unwrap();
    let mut ran = Processes::start(args, processes, workers, tmp.path()).wait_all();
    for (p, r) in ran.iter().enumerate().skip(1) {
        assert!(r.stdout.is_empty(), "process {p} wrote to stdout");
        assert!(
            r.stderr.contains(&format!(
                "process {p} of {processes}: results are written by process 0"
            )),
            "{}",
            r.stderr
        );
    }
    ran.swap_remove(0).stdout
}

/// Asserts that two outputs are the same bytes, showing the first line that differs.
fn assert_same(want: &[u8], got: &[u8], what: &str) {
    if want != got {
        let (want, got) = (String::from_utf8_lossy(want), String::from_utf8_lossy(got));
        let line = want.lines().zip(got.lines()).position(|(a, b)| a != b);
        panic!(
            "{what}: outputs differ ({} and {} bytes), first at line {line:?}:\n  want {:?}\n  got  {:?}",
            want.len(),
            got.len(),
            line.and_then(|l| want.lines().nth(l)),
            line.and_then(|l| got.lines().nth(l)),
        );
    }
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

fn example_args() -> Vec<String> {
    strings(&[
        "run",
        "--graph",
        &example("friends.txt"),
        "--undirected",
        "--adopters",
        &example("adopters.ap"),
        "--adopter-set",
        "1",
        "-k",
        "3",
        "--events",
        &example("events.log"),
        "--batch",
        "100",
        "--no-timings",
    ])
}

/// Events derived from the arcs of `graph` (one `u v` a line), line `i` (from 1) giving:
/// `- f u v` when i % 4 = 0, `+ i u v` when 1, `+ f u (7u + 13v + i) % 906` when 2, and when 3
/// the friendship removed at line i − 39 back again (`+ i v u` for the first few).
/// docs/SCALING.md writes the same rule in awk.
fn derived_events(graph: &Path, lines: usize) -> String {
    let reader = BufReader::new(flate2::read::GzDecoder::new(File::open(graph).unwrap()));
    let arcs: Vec<(u64, u64)> = reader
        .lines()
        .take(lines)
        .map(|l| {
            let l = l.unwrap();
            let mut ids = l.split_whitespace().map(|x| x.parse::<u64>().unwrap());
            (ids.next().unwrap(), ids.next().unwrap())
        })
        .collect();
    let mut out = String::new();
    for (k, &(u, v)) in arcs.iter().enumerate() {
        let i = k as u64 + 1;
        let line = match i % 4 {
            0 => format!("- f {u} {v}"),
            1 => format!("+ i {u} {v}"),
            2 => format!("+ f {u} {}", (u * 7 + v * 13 + i) % 906),
            _ if i > 39 => {
                let (a, b) = arcs[k - 39];
                format!("+ f {a} {b}")
            }
            _ => format!("+ i {v} {u}"),
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}

fn dnc_args(data: &Path, events: &Path) -> Vec<String> {
    strings(&[
        "run",
        "--graph",
        data.join("dnc-corecipient.txt.gz").to_str().unwrap(),
        "--adopters",
        data.join("dnc-corecipient.ap").to_str().unwrap(),
        "--adopter-set",
        "2",
        "-k",
        "3",
        "--events",
        events.to_str().unwrap(),
        "--batch",
        "50",
        "--no-timings",
    ])
}

/// The bundled example: two processes print what one prints, byte for byte, and nothing of
/// timely's connection messages.
#[test]
fn example_on_two_processes_prints_what_one_prints() {
    let args = example_args();
    let one = stdout_of(&args, 1, 1);
    assert!(String::from_utf8_lossy(&one).contains("\"summary\""));
    assert_same(&one, &stdout_of(&args, 2, 1), "1×1 vs 2×1");
}

/// Only process 0 reads the input: the others run with input paths that do not exist.
#[test]
fn only_process_0_needs_the_input_files() {
    let args = example_args();
    let one = stdout_of(&args, 1, 1);
    let elsewhere: Vec<String> = args
        .iter()
        .map(|a| a.replace("/examples/", "/no-such-dir/"))
        .collect();
    assert_ne!(args, elsewhere);
    let tmp = tempfile::tempdir().unwrap();
    let all = [0, 1, 2];
    let ran = Processes::start_in_order(
        |p| {
            if p == 0 {
                args.clone()
            } else {
                elsewhere.clone()
            }
        },
        3,
        1,
        tmp.path(),
        &all,
        Duration::ZERO,
    )
    .wait_all();
    assert_same(&one, &ran[0].stdout, "1×1 vs 3×1");
}

/// timely prints its connection messages with `println!`; they go to stderr, never into the data.
/// Process 1 starts first, so that it must wait for process 0 (in cimflow's settings check, which
/// comes before timely connects), and process 0 after, so that timely must wait ("awaiting
/// connections").
#[test]
fn timely_messages_go_to_stderr() {
    let args = example_args();
    let one = stdout_of(&args, 1, 1);
    let tmp = tempfile::tempdir().unwrap();
    let cluster = Processes::start_in_order(
        |_| args.clone(),
        2,
        1,
        tmp.path(),
        &[1, 0],
        Duration::from_millis(300),
    );
    let ran = cluster.wait_all();
    assert_same(&one, &ran[0].stdout, "1×1 vs 2×1, staggered");
    assert!(ran[1].stdout.is_empty());
    assert!(
        ran[0].stderr.contains("awaiting connections"),
        "{}",
        ran[0].stderr
    );
    assert!(
        ran[1].stderr.contains("waiting for process 0"),
        "{}",
        ran[1].stderr
    );
}

/// With an output directory and TSV on stdout: process 0 writes the directory as one process
/// would, and its stdout is the same.
#[test]
fn example_output_directory_is_written_by_process_0() {
    let tmp = tempfile::tempdir().unwrap();
    let outputs = |name: &str| {
        let dir = tmp.path().join(name);
        let mut args = example_args();
        args.extend(strings(&["--format", "tsv", "--output"]));
        args.push(dir.to_str().unwrap().to_string());
        (args, dir)
    };
    let (args1, dir1) = outputs("one");
    let (args2, dir2) = outputs("two");
    assert_same(
        &stdout_of(&args1, 1, 2),
        &stdout_of(&args2, 2, 1),
        "tsv stdout",
    );
    for file in ["changes.jsonl", "recommendations.tsv"] {
        assert_same(
            &fs::read(dir1.join(file)).unwrap(),
            &fs::read(dir2.join(file)).unwrap(),
            file,
        );
    }
}

/// `--metrics` given to every process: only process 0 serves (the others would find the port
/// taken, and fail), and the cluster's output is unchanged.
#[test]
fn only_process_0_serves_metrics() {
    let tmp = tempfile::tempdir().unwrap();
    let port = free_ports(1)[0];
    let mut args = example_args();
    args.extend(strings(&["--metrics", &format!("127.0.0.1:{port}")]));
    let ran = Processes::start(&args, 2, 1, tmp.path()).wait_all();
    let announced = format!("metrics on http://127.0.0.1:{port}/metrics");
    assert!(ran[0].stderr.contains(&announced), "{}", ran[0].stderr);
    assert!(!ran[1].stderr.contains("metrics on"), "{}", ran[1].stderr);
    assert_same(&stdout_of(&example_args(), 1, 1), &ran[0].stdout, "stdout");
}

/// The arguments of a run on dnc-corecipient with 400 derived events, written into `dir`.
fn dnc_workload(data: &Path, dir: &Path) -> Vec<String> {
    let events = dir.join("events.log");
    let text = derived_events(&data.join("dnc-corecipient.txt.gz"), 400);
    fs::write(&events, text).unwrap();
    dnc_args(data, &events)
}

/// The real dataset with a derived event stream: 2 processes print what 1 prints.
#[test]
fn dnc_on_two_processes_prints_what_one_prints() {
    let Some(data) = shared_data() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let args = dnc_workload(&data, tmp.path());
    let one = stdout_of(&args, 1, 1);
    let text = String::from_utf8_lossy(&one);
    assert_eq!(
        text.matches("\"summary\"").count(),
        9,
        "epoch 0 and 8 batches"
    );
    assert!(text.contains("\"op\":\"-\""), "the events withdraw picks");
    assert_same(&one, &stdout_of(&args, 2, 1), "1×1 vs 2×1");
}

/// The same 4 workers laid out as 1 × 4, 2 × 2 and 4 × 1 print the same bytes.
#[test]
fn dnc_on_four_workers_in_any_layout_prints_the_same() {
    let Some(data) = shared_data() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let args = dnc_workload(&data, tmp.path());
    let one = stdout_of(&args, 1, 1);
    assert_same(&one, &stdout_of(&args, 1, 4), "1×1 vs 1×4");
    assert_same(&one, &stdout_of(&args, 2, 2), "1×1 vs 2×2");
    assert_same(&one, &stdout_of(&args, 4, 1), "1×1 vs 4×1");
}

/// A long run on the example graph: one epoch per event, friendships coming and going.
fn long_run_args(dir: &Path) -> Vec<String> {
    let events = dir.join("long.log");
    let mut log = String::new();
    let mut x: u64 = 1;
    for i in 0..20_000 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let (u, v) = (1 + (x >> 33) % 400, 1 + (x >> 13) % 400);
        log.push_str(&format!(
            "{} f {u} {v}\n",
            if i % 3 == 2 { '-' } else { '+' }
        ));
    }
    fs::write(&events, log).unwrap();
    strings(&[
        "run",
        "--graph",
        &example("friends.txt"),
        "--undirected",
        "--adopters",
        &example("adopters.ap"),
        "-k",
        "3",
        "--events",
        events.to_str().unwrap(),
        "--batch",
        "1",
    ])
}

/// Kills process `victim` of 2 mid-run: the other stops at once, non-zero, saying why.
fn survivor_stops_when(victim: usize) {
    let tmp = tempfile::tempdir().unwrap();
    let args = long_run_args(tmp.path());
    let mut cluster = Processes::start(&args, 2, 2, tmp.path());
    // A few epochs in, the processes are connected and busy.
    cluster.await_output(0, 5_000);
    cluster.child(victim).kill().unwrap();
    let survivor = 1 - victim;
    let ran = cluster.wait(survivor, Duration::from_secs(20));
    assert!(!ran.status.success(), "{}", ran.stderr);
    let said = format!("cimflow: process {survivor} of 2: worker ");
    assert!(
        ran.stderr
            .lines()
            .any(|l| l.starts_with(&said) && l.contains("lost its connection to another process")),
        "{}",
        ran.stderr
    );
    // One line from timely's networking thread, no panic reports.
    assert!(!ran.stderr.contains("panicked"), "{}", ran.stderr);
}

/// Regression: a peer's death must not leave process 0 hanging.
#[test]
fn process_0_stops_when_process_1_dies() {
    survivor_stops_when(1);
}

/// Regression: process 0's death must not leave the serving processes hanging.
#[test]
fn process_1_stops_when_process_0_dies() {
    survivor_stops_when(0);
}

/// A process whose peers never come gives up after --connect-timeout.
#[test]
fn absent_peers_time_out() {
    let tmp = tempfile::tempdir().unwrap();
    let mut args = example_args();
    args.extend(strings(&["--connect-timeout", "1"]));
    // Process 1 of 2 alone.
    let mut alone =
        Processes::start_in_order(|_| args.clone(), 2, 1, tmp.path(), &[1], Duration::ZERO);
    let ran = alone.wait(1, Duration::from_secs(20));
    assert!(!ran.status.success());
    assert!(
        ran.stderr
            .contains("process 1 of 2: the processes did not all connect within 1 s"),
        "{}",
        ran.stderr
    );
}

/// Follows the bundled example's complete log with `processes × workers` until its last epoch
/// is out, then stops it with SIGTERM; returns process 0's stdout.
fn follow_stdout(processes: usize, workers: usize) -> Vec<u8> {
    let tmp = tempfile::tempdir().unwrap();
    let mut args = example_args();
    args[0] = "follow".into();
    let at = args.iter().position(|a| a == "--events").unwrap();
    let log = args.remove(at + 1);
    args.remove(at);
    args.insert(1, log);
    args.extend(strings(&["--idle", "50ms"]));
    let mut ps = Processes::start(&args, processes, workers, tmp.path());
    let out = tmp.path().join("0.out");
    let started = Instant::now();
    while !fs::read_to_string(&out)
        .unwrap_or_default()
        .contains("{\"epoch\":6,\"summary\"")
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the last epoch never came"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let pid = ps.child(0).id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let mut ran = ps.wait_all();
    ran.swap_remove(0).stdout
}

/// `follow` on two processes prints what it prints on one, and stops cleanly on SIGTERM.
#[test]
fn follow_on_two_processes_prints_what_one_prints() {
    let one = follow_stdout(1, 1);
    assert!(!one.is_empty());
    assert_same(&one, &follow_stdout(2, 1), "follow 1x1 vs 2x1");
}
