//! The output's records, files and failure modes.

use std::fs;
use std::io::{self, Write};

use super::durable::open_whole_lines;
use super::*;
use serde_json::Value;
use std::sync::{Arc, Mutex};

/// A writer whose bytes, writes and flushes the test can still see after handing it over.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Log>>);

#[derive(Default)]
struct Log {
    bytes: Vec<u8>,
    writes: usize,
    flushes: usize,
}

impl Write for Shared {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        let mut log = self.0.lock().unwrap();
        log.bytes.extend_from_slice(b);
        log.writes += 1;
        Ok(b.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.lock().unwrap().flushes += 1;
        Ok(())
    }
}

impl Shared {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().bytes.clone()).unwrap()
    }
}

/// A writer that fails every write with `kind`.
struct Failing(ErrorKind);

impl Write for Failing {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        Err(io::Error::new(self.0, "nope"))
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn summary() -> Summary {
    Summary {
        time: Some(1_700_000_123.0),
        events: 100,
        skipped: 2,
        noops: 3,
        absent: 1,
        self_loops: 0,
        nodes: 400,
        adopters: 5,
        selected: 9,
        level: -3,
        theta: 50,
        theta2: 50,
        spread: 12.5,
        lower: 10.25,
        upper: 20.0,
        ratio: 0.5125,
        certified: true,
        latency_ms: 1.75,
    }
}

fn changes() -> Vec<Change> {
    vec![
        Change {
            op: "-",
            adopter: 12,
            friend: 40,
            gain: 3.5,
        },
        Change {
            op: "+",
            adopter: 12,
            friend: 41,
            gain: 4.25,
        },
    ]
}

#[test]
fn format_names() {
    assert_eq!("jsonl".parse::<Format>(), Ok(Format::Jsonl));
    assert_eq!("tsv".parse::<Format>(), Ok(Format::Tsv));
    assert!("csv".parse::<Format>().is_err());
    assert_eq!(Format::Tsv.to_string(), "tsv");
}

#[test]
fn jsonl_records_have_the_documented_shape() {
    let w = Shared::default();
    let mut out = Output::with_writer(Format::Jsonl, Box::new(w.clone()), None).unwrap();
    out.emit_epoch(7, &changes(), &summary(), &[]).unwrap();
    let text = w.text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3);
    // Exact text, key order included.
    assert_eq!(
        lines[0],
        r#"{"epoch":7,"op":"-","adopter":12,"friend":40,"gain":3.5}"#
    );
    assert_eq!(
        lines[1],
        r#"{"epoch":7,"op":"+","adopter":12,"friend":41,"gain":4.25}"#
    );
    let rec: Value = serde_json::from_str(lines[2]).unwrap();
    assert_eq!(rec["epoch"], 7);
    assert_eq!(rec.as_object().unwrap().len(), 2);
    assert_eq!(rec["summary"], serde_json::to_value(summary()).unwrap());
    assert_eq!(rec["summary"]["time"], 1_700_000_123.0);
    assert_eq!(rec["summary"]["level"], -3);
    assert_eq!(rec["summary"]["certified"], true);
    assert!(lines[2].starts_with(r#"{"epoch":7,"summary":{"time":"#));
}

#[test]
fn missing_time_and_non_finite_floats_are_null_in_json() {
    let w = Shared::default();
    let mut out = Output::with_writer(Format::Jsonl, Box::new(w.clone()), None).unwrap();
    let s = Summary {
        time: None,
        ratio: f64::NAN,
        ..summary()
    };
    out.emit_epoch(0, &[], &s, &[]).unwrap();
    let rec: Value = serde_json::from_str(w.text().trim_end()).unwrap();
    assert!(rec["summary"]["time"].is_null());
    assert!(rec["summary"]["ratio"].is_null());
}

#[test]
fn tsv_lines_have_the_documented_shape() {
    let w = Shared::default();
    let mut out = Output::with_writer(Format::Tsv, Box::new(w.clone()), None).unwrap();
    out.emit_epoch(7, &changes(), &summary(), &[]).unwrap();
    let text = w.text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines,
        vec![
            "7\t-\t12\t40\t3.5",
            "7\t+\t12\t41\t4.25",
            "7\tsummary\ttime=1700000123.0\tevents=100\tskipped=2\tnoops=3\tabsent=1\t\
             self_loops=0\tnodes=400\tadopters=5\tselected=9\tlevel=-3\ttheta=50\ttheta2=50\t\
             spread=12.5\tlower=10.25\tupper=20.0\tratio=0.5125\tcertified=true\t\
             latency_ms=1.75",
        ]
    );
}

#[test]
fn tsv_summary_keys_match_the_json_summary() {
    let w = Shared::default();
    let mut out = Output::with_writer(Format::Tsv, Box::new(w.clone()), None).unwrap();
    let s = Summary {
        time: None,
        upper: 0.0,
        ratio: f64::INFINITY,
        ..summary()
    };
    out.emit_epoch(1, &[], &s, &[]).unwrap();
    let text = w.text();
    let fields: Vec<&str> = text.trim_end().split('\t').skip(2).collect();
    let mut keys: Vec<&str> = fields
        .iter()
        .map(|f| f.split('=').next().unwrap())
        .collect();
    assert!(fields.contains(&"time="));
    assert!(fields.contains(&"ratio=inf"));
    let json = serde_json::to_value(&s).unwrap();
    // serde_json's map sorts its keys.
    let json_keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, json_keys);
}

#[test]
fn each_epoch_is_one_write_and_one_flush() {
    let w = Shared::default();
    let mut out = Output::with_writer(Format::Jsonl, Box::new(w.clone()), None).unwrap();
    for epoch in 0..3 {
        out.emit_epoch(epoch, &changes(), &summary(), &[]).unwrap();
    }
    let log = w.0.lock().unwrap();
    assert_eq!((log.writes, log.flushes), (3, 3));
}

#[test]
fn broken_pipe_is_closed_and_stays_closed() {
    let mut out = Output::with_writer(
        Format::Jsonl,
        Box::new(Failing(ErrorKind::BrokenPipe)),
        None,
    )
    .unwrap();
    let first = out.emit_epoch(0, &changes(), &summary(), &[]);
    assert!(matches!(first, Err(OutputError::Closed)), "{first:?}");
    let again = out.emit_epoch(1, &[], &summary(), &[]);
    assert!(matches!(again, Err(OutputError::Closed)), "{again:?}");
}

#[test]
fn other_write_errors_name_the_sink() {
    let mut out =
        Output::with_writer(Format::Tsv, Box::new(Failing(ErrorKind::Other)), None).unwrap();
    match out.emit_epoch(0, &[], &summary(), &[]) {
        Err(e @ OutputError::Io(_)) => assert!(e.to_string().starts_with("<output>: ")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn directory_gets_the_json_log_and_the_current_set() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("a/b");
    let w = Shared::default();
    // TSV on stdout; the change log is JSON regardless.
    let mut out = Output::with_writer(Format::Tsv, Box::new(w.clone()), Some(&dir)).unwrap();
    out.emit_epoch(1, &changes()[1..], &summary(), &[(12, 41, 4.25)])
        .unwrap();
    out.emit_epoch(2, &[], &summary(), &[(12, 41, 4.25), (3, 5, 0.5)])
        .unwrap();
    drop(out);

    let recs = fs::read_to_string(dir.join("recommendations.tsv")).unwrap();
    assert_eq!(recs, "adopter\tfriend\tgain\n12\t41\t4.25\n3\t5\t0.5\n");
    assert!(!dir.join("recommendations.tsv.tmp").exists());

    // Reopening appends rather than truncating.
    let mut out = Output::with_writer(Format::Jsonl, Box::new(w), Some(&dir)).unwrap();
    out.emit_epoch(3, &[], &summary(), &[]).unwrap();
    let log = fs::read_to_string(dir.join("changes.jsonl")).unwrap();
    let records: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let epochs: Vec<u64> = records
        .iter()
        .map(|r| r["epoch"].as_u64().unwrap())
        .collect();
    assert_eq!(epochs, vec![1, 1, 2, 3]);
    assert_eq!(records[0]["op"], "+");
    assert!(records[1]["summary"].is_object());
    let recs = fs::read_to_string(dir.join("recommendations.tsv")).unwrap();
    assert_eq!(recs, "adopter\tfriend\tgain\n");
}

#[test]
fn a_torn_log_tail_is_cut_off_on_reopening() {
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("changes.jsonl");
    fs::write(
        &log,
        "{\"epoch\":1,\"summary\":{}}\n{\"epoch\":2,\"op\":\"+\",\"adop",
    )
    .unwrap();
    let mut out =
        Output::with_writer(Format::Jsonl, Box::new(io::sink()), Some(tmp.path())).unwrap();
    out.emit_epoch(2, &[], &summary(), &[]).unwrap();
    let text = fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0], "{\"epoch\":1,\"summary\":{}}");
    assert!(serde_json::from_str::<Value>(lines[1]).is_ok());

    // A log that is one torn line and nothing else is emptied.
    fs::write(&log, vec![b'x'; 200_000]).unwrap();
    drop(open_whole_lines(&log).unwrap());
    assert_eq!(fs::metadata(&log).unwrap().len(), 0);
}

/// After a restart the change log holds each epoch exactly once: records past the checkpoint
/// and a torn tail go, everything up to the checkpoint stays.
#[test]
fn the_log_is_cut_back_to_the_checkpoint() {
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("changes.jsonl");
    let record = |e: u64| format!("{{\"epoch\":{e},\"summary\":{{}}}}\n");
    let change = |e: u64| {
        format!("{{\"epoch\":{e},\"op\":\"+\",\"adopter\":1,\"friend\":2,\"gain\":1.0}}\n")
    };
    let text: String = (0..5).map(|e| change(e) + &record(e)).collect();
    fs::write(&log, format!("{text}{{\"epoch\":5,\"op")).unwrap();
    let cut = cut_log_after(tmp.path(), 3).unwrap();
    assert_eq!(
        cut,
        LogCut {
            last_epoch: Some(3),
            dropped: 3
        }
    );
    let want: String = (0..4).map(|e| change(e) + &record(e)).collect();
    assert_eq!(fs::read_to_string(&log).unwrap(), want);
    // Nothing past the checkpoint: nothing changes.
    assert_eq!(cut_log_after(tmp.path(), 3).unwrap().dropped, 0);
    // Everything past it, over more than one chunk.
    let big: String = (0..3000).map(|_| change(7)).collect();
    fs::write(&log, format!("{want}{big}")).unwrap();
    let cut = cut_log_after(tmp.path(), 3).unwrap();
    assert_eq!((cut.last_epoch, cut.dropped), (Some(3), 3000));
    assert_eq!(fs::read_to_string(&log).unwrap(), want);
    // A log of nothing but later epochs is emptied; a missing one stays missing.
    let cut = cut_log_after(tmp.path(), 0).unwrap();
    assert_eq!(
        cut,
        LogCut {
            last_epoch: Some(0),
            dropped: 6
        }
    );
    fs::write(&log, record(4)).unwrap();
    assert_eq!(cut_log_after(tmp.path(), 2).unwrap().last_epoch, None);
    assert_eq!(fs::metadata(&log).unwrap().len(), 0);
    fs::remove_file(&log).unwrap();
    assert_eq!(cut_log_after(tmp.path(), 2).unwrap(), LogCut::default());
    assert!(!log.exists());
}

#[test]
fn readers_only_ever_see_a_whole_recommendation_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let mut out = Output::with_writer(Format::Jsonl, Box::new(io::sink()), Some(&dir)).unwrap();
    // A leftover from a crashed run does not matter.
    fs::write(dir.join("recommendations.tsv.tmp"), "garbage").unwrap();
    // Big enough (≈ 100 KB) that a non-atomic rewrite would be caught half done.
    let current: Vec<(Node, Node, f64)> = (0..5_000).map(|i| (i, i + 1_000_000, 0.125)).collect();
    out.emit_epoch(0, &[], &summary(), &current).unwrap();

    let path = dir.join("recommendations.tsv");
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut reads = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let text = fs::read_to_string(&path).unwrap();
                let n = text.lines().count();
                assert!(text.starts_with("adopter\tfriend\tgain\n"));
                assert!(text.ends_with('\n'));
                // Either set, never a mixture or a prefix.
                assert!(n == 5_001 || n == 2_501, "{n} lines");
                reads += 1;
            }
            reads
        })
    };
    for epoch in 1..40 {
        let len = if epoch % 2 == 0 { 5_000 } else { 2_500 };
        out.emit_epoch(epoch, &[], &summary(), &current[..len])
            .unwrap();
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(reader.join().unwrap() > 0);
}
