//! The input readers against files on disk: every kind of bad line gets `file:line: problem` and
//! is skipped without losing the good lines around it, or stops the read under strict; SNAP's
//! real-world quirks (CRLF, tabs, comments, no final newline, gzip, csv headers) are handled.

use std::io::Write;
use std::path::{Path, PathBuf};

use cimflow::follow::tail::{Next, Tail};
use cimflow::input::{
    Diagnostics, Event, EventFormat, EventKind, EventLines, InputError, Op, read_adopters,
    read_events, read_graph,
};
use flate2::Compression;
use flate2::write::GzEncoder;
use proptest::prelude::*;
use tempfile::TempDir;

mod common;

use EventKind::*;

fn write(dir: &TempDir, name: &str, bytes: &[u8]) -> (PathBuf, String) {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    let shown = path.display().to_string();
    (path, shown)
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn add(kind: EventKind) -> Event {
    Event {
        time: None,
        op: Op::Add,
        kind,
    }
}

/// Reads `path` leniently, then strictly, and checks the strict read stops at the first message.
fn events_both_ways(path: &Path) -> (Vec<Event>, Vec<String>) {
    let mut diag = Diagnostics::collecting(false);
    let events = read_events(path, &mut diag).unwrap();
    assert_eq!(diag.skipped as usize, diag.messages.len());
    let mut strict = Diagnostics::collecting(true);
    match read_events(path, &mut strict) {
        Err(InputError::Bad(e)) => assert_eq!(Some(&e.to_string()), diag.messages.first()),
        other => assert!(diag.messages.is_empty(), "strict read gave {other:?}"),
    }
    assert!(strict.messages.is_empty() && strict.skipped == 0);
    (events, diag.messages)
}

#[test]
fn every_bad_event_line_is_named_and_the_good_ones_kept() {
    let dir = TempDir::new().unwrap();
    let mut log = b"# an event log\n+ f 1 2\n* f 1 2\n10 + q 1 2\n+ e 3 4 0.5\n".to_vec();
    log.extend_from_slice(b"+ f 1 abc\n+ f 1 18446744073709551616\n+ a\n12.5 - i 5 6 2\n");
    log.extend_from_slice(b"+ e 1 2 1.5\n- a 7 3\n+ f 1 \xff\n");
    log.extend(vec![b'1'; (1 << 20) + 1]);
    log.extend_from_slice(b"\n\n- a 8 # gone\n+ f 9");
    let (path, f) = write(&dir, "log.txt", &log);
    let (events, messages) = events_both_ways(&path);
    assert_eq!(
        events,
        [
            add(Friendship(1, 2)),
            add(Arc(3, 4, Some(0.5))),
            Event {
                time: Some(12.5),
                op: Op::Remove,
                kind: Interaction(5, 6, 2)
            },
            Event {
                time: None,
                op: Op::Remove,
                kind: Adopter(8, None)
            },
        ]
    );
    let expected = [
        "3: unknown operation `*`",
        "4: unknown event kind `q` (expected f, e, i, a or w)",
        "6: node id `abc` is not an unsigned 64-bit integer",
        "7: node id `18446744073709551616` is not an unsigned 64-bit integer",
        "8: missing field: node U",
        "10: probability 1.5 is outside [0, 1]",
        "11: unexpected field `3`",
        "12: invalid UTF-8 at byte 7",
        "13: line longer than 1048576 bytes",
        "16: missing field: node V (truncated last line: no newline at end of file)",
    ];
    let expected: Vec<_> = expected.iter().map(|m| format!("{f}:{m}")).collect();
    assert_eq!(messages, expected);
}

#[test]
fn temporal_files_are_detected_and_read_as_interactions() {
    let dir = TempDir::new().unwrap();
    let (path, f) = write(&dir, "t.csv", b"# c\n1,2,5\nsource,target\n3 4 7");
    let (events, messages) = events_both_ways(&path);
    let at = |t, u, v| Event {
        time: Some(t),
        op: Op::Add,
        kind: Interaction(u, v, 1),
    };
    assert_eq!(events, [at(5.0, 1, 2), at(7.0, 3, 4)]);
    assert_eq!(
        messages,
        [format!(
            "{f}:3: node id `source` is not an unsigned 64-bit integer"
        )]
    );
}

/// Bitcoin's rated edges (`SRC,TGT,RATING,TIME`, after a header line): the time is the fourth
/// column, not the rating (issue 10, failure 8).
#[test]
fn rated_files_take_the_fourth_column_as_the_time() {
    let dir = TempDir::new().unwrap();
    let (path, _) = write(
        &dir,
        "r.csv",
        b"source,target,weight,time\n6,2,4,1289241911.72836\n6,5,-2,1289241941\n",
    );
    let (events, messages) = events_both_ways(&path);
    let at = |t, u, v| Event {
        time: Some(t),
        op: Op::Add,
        kind: Interaction(u, v, 1),
    };
    assert_eq!(events, [at(1289241911.72836, 6, 2), at(1289241941.0, 6, 5)]);
    assert!(messages.is_empty(), "{messages:?}");
}

#[test]
fn snap_quirks_parse() {
    let dir = TempDir::new().unwrap();
    let text =
        b"# Directed graph\r\n# FromNodeId\tToNodeId\r\n30\t1412\r\n\r\n7 7\r\n3  4 99 x\r\n5\t6";
    let (path, _) = write(&dir, "snap.txt", text);
    let mut diag = Diagnostics::collecting(true);
    let arcs = read_graph(&path, false, false, &mut diag).unwrap();
    let expected = [(30, 1412), (7, 7), (3, 4), (5, 6)];
    assert_eq!(arcs, expected.map(|(u, v)| add(Arc(u, v, None))));
    let friends = read_graph(&path, true, false, &mut diag).unwrap();
    assert_eq!(friends, expected.map(|(u, v)| add(Friendship(u, v))));

    let (gz, _) = write(&dir, "snap.txt.gz", &gzip(text));
    assert_eq!(read_graph(&gz, false, false, &mut diag).unwrap(), arcs);
}

#[test]
fn weights_add_interactions_and_must_be_counts() {
    let dir = TempDir::new().unwrap();
    let (path, f) = write(
        &dir,
        "w.csv",
        b"source,target,weight,time\n1,2,3,99\n3,4,0\n5,6,-1\n7,8\n",
    );
    let mut diag = Diagnostics::collecting(false);
    let events = read_graph(&path, true, true, &mut diag).unwrap();
    let expected = [
        Friendship(1, 2),
        Interaction(1, 2, 3),
        Interaction(2, 1, 3),
        Friendship(3, 4),
        Friendship(7, 8),
    ];
    assert_eq!(events, expected.map(add));
    assert_eq!(
        diag.messages,
        [
            format!("{f}:1: node id `source` is not an unsigned 64-bit integer"),
            format!("{f}:4: weight `-1` is not a non-negative 64-bit integer"),
        ]
    );
    // Without weights the extra columns are ignored.
    let events = read_graph(&path, false, false, &mut diag).unwrap();
    assert_eq!(events.len(), 4);
}

/// A gzip file of `n` numbered arc lines.
fn numbered_gzip(n: u64) -> (Vec<u8>, Vec<Event>) {
    let text: String = (0..n)
        .map(|i| format!("{i} {}\n", i.wrapping_mul(2654435761) % 1_000_003))
        .collect();
    let events = (0..n)
        .map(|i| add(Arc(i, i.wrapping_mul(2654435761) % 1_000_003, None)))
        .collect();
    (gzip(text.as_bytes()), events)
}

/// A gzip stream cut off or damaged is refused whole, strict or not, before any line is used:
/// damaged deflate data decodes to plausible lines before the CRC at the end shows the damage.
#[test]
fn a_cut_off_or_corrupt_gzip_stream_is_refused_whole() {
    let dir = TempDir::new().unwrap();
    let (bytes, _) = numbered_gzip(50_000);
    let mut damaged = bytes.clone();
    let middle = bytes.len() / 2;
    damaged[middle..middle + 64].fill(0xff);
    for (name, bytes) in [
        ("cut.txt.gz", &bytes[..bytes.len() / 2]),
        ("bad.txt.gz", &damaged[..]),
        ("plain.txt.gz", &b"1 2\n"[..]),
    ] {
        let (path, f) = write(&dir, name, bytes);
        for strict in [false, true] {
            let mut diag = Diagnostics::collecting(strict);
            let err = read_graph(&path, false, false, &mut diag).unwrap_err();
            assert!(matches!(err, InputError::Corrupt { .. }), "{err}");
            let text = err.to_string();
            assert!(
                text.starts_with(&f) && text.contains("corrupt gzip stream"),
                "{text}"
            );
            assert!(diag.messages.is_empty(), "{:?}", diag.messages);
        }
    }
    // The intact stream reads whole.
    let (path, _) = write(&dir, "good.txt.gz", &bytes);
    let mut diag = Diagnostics::collecting(true);
    assert_eq!(
        read_graph(&path, false, false, &mut diag).unwrap().len(),
        50_000
    );
}

#[test]
fn a_missing_file_is_an_io_error_naming_it() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("nope.txt");
    let err = read_graph(&path, false, false, &mut Diagnostics::new(false)).unwrap_err();
    assert!(matches!(err, InputError::Io { .. }));
    assert!(err.to_string().starts_with(&path.display().to_string()));
}

#[test]
fn adopter_sets() {
    let dir = TempDir::new().unwrap();
    let (path, f) = write(&dir, "x.ap", b"# sets\n5,3\n\n5,3,9, 1\n2 9 2\nx,1\n");
    let mut diag = Diagnostics::collecting(false);
    assert_eq!(read_adopters(&path, Some(0), &mut diag).unwrap(), [5, 3]);
    assert_eq!(read_adopters(&path, Some(2), &mut diag).unwrap(), [2, 9]);
    assert_eq!(
        read_adopters(&path, None, &mut diag).unwrap(),
        [5, 3, 9, 1, 2]
    );
    assert_eq!(
        diag.messages[0],
        format!("{f}:6: node id `x` is not an unsigned 64-bit integer")
    );

    let err = read_adopters(&path, Some(4), &mut diag).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("{f}: adopter set 4: the file has only 4 adopter sets")
    );
    let err = read_adopters(&path, Some(3), &mut diag).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("{f}: adopter set 3: its line 6 is bad and was skipped")
    );
    let err = read_adopters(&path, Some(0), &mut Diagnostics::collecting(true)).unwrap_err();
    assert!(matches!(err, InputError::Bad(e) if e.line == 6));
}

/// Lines built from the grammar's own tokens, right and wrong.
fn token_lines() -> impl Strategy<Value = String> {
    let token = prop::sample::select(vec![
        "+",
        "-",
        "*",
        "f",
        "e",
        "i",
        "a",
        "q",
        "0",
        "1",
        "7",
        "0.5",
        "1.5",
        "-1",
        "nan",
        "inf",
        "1e400",
        "18446744073709551616",
        "4294967296",
        "#",
        ",",
        "\t",
        "\r",
        "é",
        "",
    ]);
    prop::collection::vec(token, 0..8).prop_map(|t| t.join(" "))
}

proptest! {
    #[test]
    fn parsing_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        let _ = EventLines::with_format(Some(EventFormat::Log)).parse_bytes(&bytes);
        let _ = EventLines::with_format(Some(EventFormat::Temporal)).parse_bytes(&bytes);
    }

    #[test]
    fn parsing_grammar_soup_never_panics(line in token_lines()) {
        for format in [EventFormat::Log, EventFormat::Temporal] {
            if let Ok(Some(e)) = EventLines::with_format(Some(format)).parse_bytes(line.as_bytes()) {
                prop_assert!(e.time.is_none_or(|t| t.is_finite() && t >= 0.0));
                if let Arc(_, _, Some(p)) = e.kind {
                    prop_assert!((0.0..=1.0).contains(&p));
                }
            }
        }
    }
}

/// Everything `tail` hands out until it goes idle, line by line.
fn drain_tail(tail: &mut Tail, lines: &mut Vec<Vec<u8>>) {
    loop {
        match tail.poll().unwrap() {
            Next::Idle => return,
            Next::Line { bytes, .. } => lines.push(bytes.to_vec()),
            other => panic!("unexpected {other:?}"),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// However a log's bytes are split across writes, the follower hands out exactly its whole
    /// lines, in order, never the unfinished last one; and no line it hands out panics a parser.
    #[test]
    fn the_tail_hands_out_whole_lines_however_they_are_written(
        bytes in prop::collection::vec(prop_oneof![6 => any::<u8>(), 1 => Just(b'\n')], 0..3000),
        mut cuts in prop::collection::vec(0usize..3000, 0..30),
    ) {
        let dir = TempDir::new().unwrap();
        let path = dir.path().join("log");
        std::fs::write(&path, b"").unwrap();
        let mut tail = Tail::new(&path, None);
        let mut got = Vec::new();
        cuts.push(bytes.len());
        cuts.sort_unstable();
        let mut at = 0;
        for cut in cuts {
            let cut = cut.min(bytes.len());
            let mut f = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
            f.write_all(&bytes[at..cut]).unwrap();
            at = cut;
            drain_tail(&mut tail, &mut got);
        }
        let mut want: Vec<Vec<u8>> = bytes.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
        // The part after the last newline is unfinished.
        want.pop();
        prop_assert_eq!(&got, &want);
        for line in &got {
            let _ = EventLines::with_format(Some(EventFormat::Log)).parse_bytes(line);
            let _ = EventLines::with_format(Some(EventFormat::Temporal)).parse_bytes(line);
        }
    }
}

#[test]
fn shared_datasets() {
    let data = common::data_dir();
    if !data.is_dir() {
        eprintln!(
            "note: {} is absent; skipping the test on the real datasets",
            data.display()
        );
        return;
    }
    let mut diag = Diagnostics::collecting(true);
    let dnc = read_graph(
        &data.join("dnc-corecipient.txt.gz"),
        false,
        false,
        &mut diag,
    )
    .unwrap();
    assert_eq!(dnc.len(), 24_170);
    let wiki = read_graph(&data.join("Wiki-Vote.txt.gz"), false, false, &mut diag).unwrap();
    assert_eq!(wiki.len(), 103_689);
    assert_eq!(wiki.last(), Some(&add(Arc(8274, 8275, None))));
    let adopters = read_adopters(&data.join("dnc-corecipient.ap"), Some(3), &mut diag).unwrap();
    assert_eq!(adopters.len(), 50);
    assert_eq!(adopters[..3], [683, 15, 709]);
}

/// Epoch 0's order: the graph, then the adopters, then the acceptance lines in file order, so that
/// a later line for the same pair wins.
#[test]
fn acceptance_lines_follow_the_adopters_and_the_last_wins() {
    let dir = TempDir::new().unwrap();
    let (graph, _) = write(&dir, "g.txt", b"3 7\n3 8\n");
    let (adopters, _) = write(&dir, "a.ap", b"3\n");
    let (acceptance, _) = write(&dir, "w.txt", b"3 7 0.25\n3 8 0.5\n3 7 0.75\n");
    let spec = cimflow::input::InputSpec {
        graph: Some(graph),
        undirected: false,
        weights: false,
        adopters: Some(adopters),
        adopter_set: None,
        acceptance: Some(acceptance),
    };
    let mut diag = Diagnostics::collecting(true);
    let events = cimflow::input::read_initial(&spec, &mut diag).unwrap();
    let kinds: Vec<EventKind> = events.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            Arc(3, 7, None),
            Arc(3, 8, None),
            Adopter(3, None),
            Acceptance(3, 7, 0.25),
            Acceptance(3, 8, 0.5),
            Acceptance(3, 7, 0.75),
        ]
    );
    let state = cimflow::evaluate::snapshot(cimflow::model::Model::Wc, &events);
    assert_eq!(state.acceptance(3, 7), 0.75);
    assert_eq!(state.acceptance(3, 8), 0.5);
}
