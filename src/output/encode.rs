//! The encoders: an epoch's records as JSON Lines and as TSV, each prepared in memory so that an
//! epoch goes out in one write.

use std::io::Write;

use serde::Serialize;

use super::records::{Change, Summary};
use crate::model::Node;

#[derive(Serialize)]
struct ChangeRecord<'a> {
    epoch: u64,
    op: &'a str,
    adopter: Node,
    friend: Node,
    gain: f64,
}

#[derive(Serialize)]
struct SummaryRecord<'a> {
    epoch: u64,
    summary: &'a Summary,
}

// Serialising these plain structs into a `Vec` cannot fail (serde_json writes non-finite floats as
// `null` rather than erring), hence the `expect`s below.
const IN_MEMORY: &str = "serialising to memory cannot fail";

pub fn write_jsonl(buf: &mut Vec<u8>, epoch: u64, changes: &[Change], summary: &Summary) {
    for c in changes {
        let rec = ChangeRecord {
            epoch,
            op: c.op,
            adopter: c.adopter,
            friend: c.friend,
            gain: c.gain,
        };
        serde_json::to_writer(&mut *buf, &rec).expect(IN_MEMORY);
        buf.push(b'\n');
    }
    serde_json::to_writer(&mut *buf, &SummaryRecord { epoch, summary }).expect(IN_MEMORY);
    buf.push(b'\n');
}

pub fn write_tsv(buf: &mut Vec<u8>, epoch: u64, changes: &[Change], s: &Summary) {
    for c in changes {
        write!(buf, "{epoch}\t{}\t{}\t{}\t", c.op, c.adopter, c.friend).expect(IN_MEMORY);
        write_tsv_float(buf, c.gain);
        buf.push(b'\n');
    }
    write!(buf, "{epoch}\tsummary\ttime=").expect(IN_MEMORY);
    if let Some(t) = s.time {
        write_tsv_float(buf, t);
    }
    // Keep in step with the fields of `Summary` (a test checks the keys against the JSON form).
    let ints: [(&str, i128); 11] = [
        ("events", s.events.into()),
        ("skipped", s.skipped.into()),
        ("noops", s.noops.into()),
        ("absent", s.absent.into()),
        ("self_loops", s.self_loops.into()),
        ("nodes", s.nodes as i128),
        ("adopters", s.adopters as i128),
        ("selected", s.selected as i128),
        ("level", s.level.into()),
        ("theta", s.theta as i128),
        ("theta2", s.theta2 as i128),
    ];
    for (key, value) in ints {
        write!(buf, "\t{key}={value}").expect(IN_MEMORY);
    }
    for (key, value) in [
        ("spread", s.spread),
        ("lower", s.lower),
        ("upper", s.upper),
        ("ratio", s.ratio),
    ] {
        write!(buf, "\t{key}=").expect(IN_MEMORY);
        write_tsv_float(buf, value);
    }
    write!(buf, "\tcertified={}\tlatency_ms=", s.certified).expect(IN_MEMORY);
    write_tsv_float(buf, s.latency_ms);
    buf.push(b'\n');
}

/// A float as serde_json writes it (so the TSV and JSON forms agree), or `nan`, `inf`, `-inf`.
pub fn write_tsv_float(buf: &mut Vec<u8>, x: f64) {
    if x.is_finite() {
        serde_json::to_writer(buf, &x).expect(IN_MEMORY);
    } else if x.is_nan() {
        buf.extend_from_slice(b"nan");
    } else if x > 0.0 {
        buf.extend_from_slice(b"inf");
    } else {
        buf.extend_from_slice(b"-inf");
    }
}
