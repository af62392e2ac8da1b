//! Tests of the tail module.

use super::*;
use std::io::Write;

/// Everything the tail hands out until it goes idle, as text.
fn drain(t: &mut Tail) -> Vec<String> {
    let mut got = Vec::new();
    loop {
        match t.poll().unwrap() {
            Next::Idle => return got,
            Next::Line {
                bytes,
                number,
                terminated,
            } => got.push(format!(
                "{number}:{}{}",
                String::from_utf8_lossy(bytes),
                if terminated { "" } else { "$" }
            )),
            Next::TooLong { number } => got.push(format!("{number}:too long")),
            Next::Notice(n) => got.push(format!("{n:?}")),
        }
    }
}

fn append(path: &Path, bytes: &[u8]) {
    let mut f = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    f.write_all(bytes).unwrap();
}

#[test]
fn whole_lines_only_and_a_half_line_waits_for_its_end() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log");
    let mut t = Tail::new(&path, None);
    assert_eq!(drain(&mut t), ["Waiting"]);
    append(&path, b"a b\nc");
    assert_eq!(drain(&mut t), ["Appeared", "1:a b"]);
    assert_eq!(t.position().unwrap().offset, 4);
    append(&path, b" d\r\n\ne");
    assert_eq!(drain(&mut t), ["2:c d\r", "3:"]);
    append(&path, b"\n");
    assert_eq!(drain(&mut t), ["4:e"]);
    let pos = t.position().unwrap();
    assert_eq!((pos.offset, pos.line), (12, 4));
    assert_eq!(t.lag(), 0);
}

#[test]
fn truncation_and_rotation_start_over_after_draining() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log");
    append(&path, b"1\n2\n");
    let mut t = Tail::new(&path, None);
    assert_eq!(drain(&mut t), ["1:1", "2:2"]);
    // Truncated: shorter than what was read.
    fs::write(&path, b"x").unwrap();
    assert_eq!(drain(&mut t), ["Truncated"]);
    append(&path, b"\n");
    assert_eq!(drain(&mut t), ["1:x"]);
    // Rotated: the old file gets one more line and a half one; the new file is read next.
    fs::rename(&path, dir.path().join("log.1")).unwrap();
    append(&dir.path().join("log.1"), b"y\nhalf");
    append(&path, b"new\n");
    assert_eq!(drain(&mut t), ["2:y", "3:half$", "Rotated", "1:new"]);
    // Gone, then back.
    fs::remove_file(&path).unwrap();
    assert_eq!(drain(&mut t), ["Vanished"]);
    assert_eq!(drain(&mut t), Vec::<String>::new());
    append(&path, b"again\n");
    assert_eq!(drain(&mut t), ["Rotated", "1:again"]);
}

#[test]
fn an_over_long_line_is_reported_once_and_thrown_away_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log");
    append(&path, b"ok\n");
    let mut t = Tail::new(&path, None);
    assert_eq!(drain(&mut t), ["1:ok"]);
    for _ in 0..40 {
        append(&path, &vec![b'z'; MAX_LINE / 10]);
        let got = drain(&mut t);
        assert!(got.is_empty() || got == ["2:too long"], "{got:?}");
        assert!(t.buf.capacity() <= 2 * (MAX_LINE + CHUNK));
    }
    append(&path, b"zzz\nnext\n");
    assert_eq!(drain(&mut t), ["3:next"]);
    assert_eq!(
        t.position().unwrap().offset,
        fs::metadata(&path).unwrap().len()
    );
}

#[test]
fn a_resume_goes_on_from_the_same_content_and_starts_over_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log");
    append(&path, b"1\n2\n3");
    let mut t = Tail::new(&path, None);
    assert_eq!(drain(&mut t), ["1:1", "2:2"]);
    let pos = t.with_context(t.position().unwrap()).unwrap();
    assert_eq!(pos.before, b"1\n2\n");
    append(&path, b"\n");
    let mut again = Tail::new(&path, Some(pos.clone()));
    assert_eq!(drain(&mut again), ["3:3"]);
    // The same inode with other content before the offset is not the same log.
    fs::write(&path, b"a\nb\nc\n").unwrap();
    let mut other = Tail::new(&path, Some(pos.clone()));
    assert_eq!(drain(&mut other), ["Replaced", "1:a", "2:b", "3:c"]);
    // Nor is a shorter file, or another file.
    fs::write(&path, b"1\n").unwrap();
    assert_eq!(
        drain(&mut Tail::new(&path, Some(pos.clone())))[0],
        "Replaced"
    );
    fs::remove_file(&path).unwrap();
    append(&path, b"1\n2\n3\n");
    let got = drain(&mut Tail::new(&path, Some(pos)));
    // A new inode; on some file systems the number is reused, and the content decides.
    assert!(
        got == ["Replaced", "1:1", "2:2", "3:3"] || got == ["3:3"],
        "{got:?}"
    );
}

#[test]
fn a_log_rotated_while_stopped_is_finished_from_its_new_name_first() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log");
    append(&path, b"1\n2\n");
    let mut t = Tail::new(&path, None);
    assert_eq!(drain(&mut t), ["1:1", "2:2"]);
    let pos = t.with_context(t.position().unwrap()).unwrap();
    drop(t);
    // While stopped: more lines, then rotation, then a new file.
    append(&path, b"3\n");
    fs::rename(&path, dir.path().join("log.1")).unwrap();
    append(&path, b"new\n");
    let mut t = Tail::new(&path, Some(pos));
    assert_eq!(
        drain(&mut t),
        ["RotatedWhileStopped", "3:3", "Rotated", "1:new"]
    );
}
