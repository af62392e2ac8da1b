//! Watching a run, through the real binary: `follow --metrics` scraped over HTTP and held to the
//! summaries it printed; the report page's charts held to the change log (by reading the SVG);
//! a cut change log still giving a page; a port in use refused at start.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

const NODES: u64 = 30;

/// How long a test waits for the binary before it gives up.
const PATIENCE: Duration = Duration::from_secs(20);

fn cimflow() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cimflow"))
}

/// A test's files: a graph, adopters, a log with some bad lines, self-loops and no-ops.
struct Case {
    dir: TempDir,
}

impl Case {
    fn new() -> Case {
        let dir = TempDir::new().unwrap();
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let graph: String = (0..NODES)
            .map(|v| format!("{v} {}\n", (v + 1) % NODES))
            .collect();
        fs::write(dir.path().join("graph.txt"), graph).unwrap();
        fs::write(dir.path().join("adopters.ap"), "0,9,18\n").unwrap();
        let mut log = String::new();
        for i in 0..300u64 {
            let (u, v) = (next(NODES), next(NODES));
            let line = match i % 50 {
                7 => "this is not an event".to_string(),
                13 => format!("+ f {u} {u}"),
                21 => format!("- f {} {}", NODES + 5, NODES + 6),
                _ if next(4) == 0 => format!("- f {u} {v}"),
                _ => format!("+ f {u} {v}"),
            };
            log += &format!("{} {line}\n", 1000 + 60 * i);
        }
        fs::write(dir.path().join("events.log"), log).unwrap();
        Case { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn common(&self) -> Vec<String> {
        let p = |n: &str| self.path(n).to_str().unwrap().to_string();
        let mut args = vec!["--graph".into(), p("graph.txt"), "--undirected".into()];
        args.extend(["--adopters".into(), p("adopters.ap")]);
        args.extend(
            [
                "-k",
                "2",
                "--batch",
                "25",
                "--epsilon",
                "0.2",
                "--seed",
                "5",
                // The figures are checked against θ moving with the graph; the default sampling
                // floor (16 samples per node) holds θ flat on a graph this small.
                "--min-samples-per-node",
                "0",
            ]
            .map(String::from),
        );
        args
    }
}

/// A child process that is killed if the test ends (or fails) while it runs.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        // Already gone when the test stopped it: nothing to do.
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits until `done` holds, or fails showing `child`'s stderr (in `err`).
fn wait_for(child: &mut Child, err: &Path, what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!(
                "cimflow exited ({status}) while waiting for {what}:\n{}",
                fs::read_to_string(err).unwrap_or_default()
            );
        }
        if start.elapsed() > PATIENCE {
            let _ = child.kill();
            panic!(
                "no {what} after {PATIENCE:?}:\n{}",
                fs::read_to_string(err).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The summaries in JSON Lines text.
fn summaries(text: &str) -> Vec<Value> {
    text.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| v.get("summary").cloned())
        .collect()
}

/// `GET path` over a plain TCP connection: (status code, body).
fn get(addr: SocketAddr, path: &str) -> (u32, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(PATIENCE)).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").expect("a response head");
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, body.to_string())
}

/// The samples of an exposition: `name{labels}` → value.
fn samples(exposition: &str) -> BTreeMap<String, f64> {
    exposition
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let (key, value) = l.rsplit_once(' ').unwrap();
            (key.to_string(), value.parse().unwrap())
        })
        .collect()
}

/// The address a `--metrics` process announced on stderr.
fn announced(err: &Path) -> Option<SocketAddr> {
    let text = fs::read_to_string(err).ok()?;
    let line = text.lines().find(|l| l.contains("metrics on http://"))?;
    let rest = line.split("http://").nth(1)?;
    rest.split('/').next()?.parse().ok()
}

#[test]
fn follow_metrics_equal_the_summaries_and_survive_bad_scrapes() {
    let case = Case::new();
    let (out, err) = (case.path("follow.out"), case.path("follow.err"));
    let lines = fs::read_to_string(case.path("events.log"))
        .unwrap()
        .lines()
        .count();
    let mut running = Running(
        cimflow()
            .arg("follow")
            .arg(case.path("events.log"))
            .args(case.common())
            .args(["--idle", "50ms", "--metrics", "127.0.0.1:0"])
            .args(["--state", case.path("state").to_str().unwrap()])
            .args(["--output", case.path("out").to_str().unwrap()])
            .stdout(File::create(&out).unwrap())
            .stderr(File::create(&err).unwrap())
            .spawn()
            .unwrap(),
    );
    let child = &mut running.0;
    let mut addr = None;
    wait_for(child, &err, "the metrics address", || {
        addr = announced(&err);
        addr.is_some()
    });
    let addr = addr.unwrap();
    // Every good line of the log in an epoch (6 of the 300 are not events).
    let applied = |text: &str| -> u64 {
        summaries(text)
            .iter()
            .skip(1)
            .map(|s| s["events"].as_u64().unwrap())
            .sum()
    };
    wait_for(child, &err, "every event in an epoch", || {
        applied(&fs::read_to_string(&out).unwrap()) == lines as u64 - 6
    });
    // Scrapers that go away mid-request, or send nonsense, change nothing.
    drop(TcpStream::connect(addr).unwrap());
    let mut rude = TcpStream::connect(addr).unwrap();
    rude.write_all(b"GET /metr").unwrap();
    drop(rude);
    let mut junk = TcpStream::connect(addr).unwrap();
    junk.write_all(b"\x00\x01\x02 nonsense\r\n\r\n").unwrap();
    drop(junk);
    assert_eq!(get(addr, "/").0, 404);

    let (status, body) = get(addr, "/metrics");
    assert_eq!(status, 200, "{body}");
    let m = samples(&body);
    let text = fs::read_to_string(&out).unwrap();
    let all = summaries(&text);
    let last = all.last().unwrap();
    let at = |k: &str| -> f64 {
        *m.get(k)
            .unwrap_or_else(|| panic!("no sample {k} in:\n{body}"))
    };
    let u = |k: &str| last[k].as_u64().unwrap() as f64;
    assert_eq!(at("cimflow_epochs_total"), all.len() as f64);
    assert_eq!(at("cimflow_epoch_latency_seconds_count"), all.len() as f64);
    let events: u64 = all.iter().map(|s| s["events"].as_u64().unwrap()).sum();
    assert_eq!(at("cimflow_events_applied_total"), events as f64);
    assert_eq!(at("cimflow_events_read_total"), events as f64);
    assert_eq!(
        at("cimflow_events_skipped_total{reason=\"malformed\"}"),
        u("skipped")
    );
    assert_eq!(
        at("cimflow_events_skipped_total{reason=\"self_loop\"}"),
        u("self_loops")
    );
    assert_eq!(
        at("cimflow_events_noop_total{reason=\"present\"}"),
        u("noops")
    );
    assert_eq!(
        at("cimflow_events_noop_total{reason=\"absent\"}"),
        u("absent")
    );
    assert!(u("skipped") > 0.0 && u("self_loops") > 0.0 && u("absent") > 0.0);
    assert_eq!(at("cimflow_theta"), u("theta"));
    assert_eq!(at("cimflow_theta2"), u("theta2"));
    assert_eq!(at("cimflow_recommendations"), u("selected"));
    assert_eq!(
        at("cimflow_certified"),
        if last["certified"] == true { 1.0 } else { 0.0 }
    );
    for (k, f) in [
        ("cimflow_spread", "spread"),
        ("cimflow_spread_lower", "lower"),
        ("cimflow_spread_upper", "upper"),
    ] {
        let want = last[f].as_f64().unwrap();
        assert!((at(k) - want).abs() <= 1e-9 * want.abs().max(1.0), "{k}");
    }
    let ops = |op: &str| text.matches(&format!("\"op\":\"{op}\"")).count() as f64;
    assert_eq!(
        at("cimflow_recommendations_changed_total{op=\"added\"}"),
        ops("+")
    );
    assert_eq!(
        at("cimflow_recommendations_changed_total{op=\"removed\"}"),
        ops("-")
    );
    assert_eq!(at("cimflow_log_behind_bytes"), 0.0);
    assert!(at("cimflow_memory_peak_bytes") >= at("cimflow_memory_resident_bytes"));
    assert!(at("cimflow_memory_resident_bytes") > 0.0);
    assert!(at("cimflow_checkpoint_age_seconds") >= 0.0);

    // The stream goes on after all that, and so do the metrics.
    let more: String = (0..30)
        .map(|i| format!("{} + f {} {}\n", 90_000 + i, i % NODES, (i * 7 + 3) % NODES))
        .collect();
    OpenOptions::new()
        .append(true)
        .open(case.path("events.log"))
        .unwrap()
        .write_all(more.as_bytes())
        .unwrap();
    wait_for(child, &err, "the appended events", || {
        applied(&fs::read_to_string(&out).unwrap()) == lines as u64 - 6 + 30
    });
    let epochs = summaries(&fs::read_to_string(&out).unwrap()).len() as f64;
    let m = samples(&get(addr, "/metrics").1);
    assert_eq!(m["cimflow_epochs_total"], epochs);

    // The page was kept current: after the stop it holds every epoch.
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = child.wait().unwrap();
    assert!(status.success(), "{}", fs::read_to_string(&err).unwrap());
    let html = fs::read_to_string(case.path("out/report.html")).unwrap();
    let changes = fs::read_to_string(case.path("out/changes.jsonl")).unwrap();
    assert_plots(&html, &changes);
}

/// Checks the page's charts against the change log: the spread, θ and added lines have one
/// vertex per summarized epoch, placed by an affine map of (epoch, value) to pixels.
fn assert_plots(html: &str, changes: &str) {
    let all = summaries(changes);
    assert!(all.len() > 3, "too few epochs to test: {}", all.len());
    let epoch: Vec<f64> = changes
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v.get("summary").is_some())
        .map(|v| v["epoch"].as_f64().unwrap())
        .collect();
    let field = |k: &str| -> Vec<f64> { all.iter().map(|s| s[k].as_f64().unwrap()).collect() };
    let mut added = vec![0.0; all.len()];
    let mut i = 0;
    for line in changes.lines() {
        if line.contains("\"summary\"") {
            i += 1;
        } else if line.contains("\"op\":\"+\"") && i < added.len() {
            added[i] += 1.0;
        }
    }
    assert_line(html, "spread", "#1F77B4", &epoch, &field("spread"));
    assert_line(html, "theta", "#1F77B4", &epoch, &field("theta"));
    assert_line(html, "changes", "#2CA02C", &epoch, &added);
}

/// Some `<polyline>` of colour `color` in `<figure id="figure">` has exactly the vertices
/// (x[i], y[i]) under one affine map per axis, to the pixel.
fn assert_line(html: &str, figure: &str, color: &str, x: &[f64], y: &[f64]) {
    let start = html
        .find(&format!("<figure id=\"{figure}\">"))
        .unwrap_or_else(|| panic!("no figure {figure}"));
    let end = start + html[start..].find("</figure>").unwrap();
    let svg = &html[start..end];
    assert!(svg.contains("<svg"), "figure {figure} holds no SVG");
    let lines: Vec<Vec<(f64, f64)>> = svg
        .split("<polyline")
        .skip(1)
        .filter(|p| p.contains(&format!("stroke=\"{color}\"")))
        .map(|p| {
            let points = p
                .split("points=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap();
            points
                .split_whitespace()
                .map(|xy| {
                    let (a, b) = xy.split_once(',').unwrap();
                    (a.parse().unwrap(), b.parse().unwrap())
                })
                .collect()
        })
        .collect();
    let fits = |px: &[(f64, f64)]| {
        px.len() == x.len()
            && affine(x, &px.iter().map(|p| p.0).collect::<Vec<_>>())
            && affine(y, &px.iter().map(|p| p.1).collect::<Vec<_>>())
    };
    assert!(
        lines.iter().any(|l| fits(l)),
        "no line of {color} in figure {figure} draws {} points {y:?}; lines: {lines:?}",
        x.len()
    );
}

/// Whether `px` is `values` under an affine map rounded to whole pixels, with the values
/// spread over at least 10 pixels (so that the check means something).
fn affine(values: &[f64], px: &[f64]) -> bool {
    let (lo, hi) = (0..values.len()).fold((0, 0), |(lo, hi), i| {
        (
            if values[i] < values[lo] { i } else { lo },
            if values[i] > values[hi] { i } else { hi },
        )
    });
    if (px[hi] - px[lo]).abs() < 10.0 {
        return false;
    }
    let scale = (px[hi] - px[lo]) / (values[hi] - values[lo]);
    values
        .iter()
        .zip(px)
        .all(|(v, p)| (px[lo] + scale * (v - values[lo]) - p).abs() <= 1.0)
}

#[test]
fn report_draws_the_run_and_a_cut_log_still_gives_a_page() {
    let case = Case::new();
    let dir = case.path("out");
    let run = cimflow()
        .arg("run")
        .args(case.common())
        .args(["--events", case.path("events.log").to_str().unwrap()])
        .args(["--output", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let changes = fs::read_to_string(dir.join("changes.jsonl")).unwrap();
    // The run kept the page; `cimflow report` draws the same charts from the log.
    let live = fs::read_to_string(dir.join("report.html")).unwrap();
    assert_plots(&live, &changes);
    fs::remove_file(dir.join("report.html")).unwrap();
    let made = report(&dir);
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let html = fs::read_to_string(dir.join("report.html")).unwrap();
    assert_plots(&html, &changes);
    let figures = |h: &str| {
        h.split("<svg")
            .skip(1)
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(figures(&live), figures(&html));
    // Every adopter with a recommendation has its row.
    let recs = fs::read_to_string(dir.join("recommendations.tsv")).unwrap();
    for line in recs.lines().skip(1) {
        let adopter = line.split('\t').next().unwrap();
        assert!(
            html.contains(&format!("<td class=\"n\">{adopter}</td>")),
            "{adopter}"
        );
    }

    // Cut in the middle of a line, two thirds in, without the current set beside it.
    let cut_dir = case.path("cut");
    fs::create_dir(&cut_dir).unwrap();
    let at = changes.len() * 2 / 3;
    let at = at + changes[at..].find('\n').unwrap() + 7;
    fs::write(cut_dir.join("changes.jsonl"), &changes[..at]).unwrap();
    let made = report(&cut_dir);
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let html = fs::read_to_string(cut_dir.join("report.html")).unwrap();
    assert!(
        html.contains("could not be read"),
        "the torn line is not reported"
    );
    assert_plots(&html, &changes[..at]);
    assert!(html.trim_end().ends_with("</html>"));

    // No change log at all is an error, not an empty page.
    let empty = case.path("empty");
    fs::create_dir(&empty).unwrap();
    assert!(!report(&empty).status.success());
    assert!(!empty.join("report.html").exists());
}

fn report(dir: &Path) -> Output {
    cimflow()
        .args(["report", dir.to_str().unwrap(), "--epsilon", "0.2"])
        .output()
        .unwrap()
}

#[test]
fn a_port_in_use_is_an_error_at_start() {
    let case = Case::new();
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    for command in ["run", "follow"] {
        let mut cmd = cimflow();
        cmd.arg(command);
        if command == "follow" {
            cmd.arg(case.path("events.log"));
        }
        let mut child = cmd
            .args(case.common())
            .args(["--metrics", &port])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let start = Instant::now();
        while child.try_wait().unwrap().is_none() {
            if start.elapsed() > PATIENCE {
                let _ = child.kill();
                panic!("{command} --metrics on a port in use did not stop");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{command}: {stderr}");
        assert!(
            stderr.contains(&format!("--metrics 127.0.0.1:{port}")) && stderr.contains("listen"),
            "{command}: {stderr}"
        );
        assert!(out.stdout.is_empty(), "{command} emitted before failing");
    }
    drop(taken);
}
