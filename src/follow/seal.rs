//! A checksum around every record of the state directory, so that damage done after a record
//! was written (a flipped bit, an edit, a disk that returns other bytes) is refused instead of
//! resumed from.
//!
//! A sealed record is one JSON object, `{"version":V,"crc32":C,"body":BODY}` for the checkpoint
//! and `{"crc32":C,"body":BODY}` for each journal line, where C is the CRC-32 (IEEE, as zlib and
//! gzip compute it) of BODY's bytes exactly as they stand in the file. So the file stays JSON a
//! person can read, and the check needs no re-serialisation: any byte of BODY changed changes C.
//!
//! CRC-32 catches every burst error of up to 32 bits and all but one in 2³² of the others; it
//! guards against accidents, not against someone who recomputes it, which is what the field
//! validation on loading is for.

/// Wraps `body` (JSON) with its checksum, after `"version":V` when given.
pub fn seal(version: Option<u32>, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 48);
    out.push(b'{');
    if let Some(v) = version {
        out.extend_from_slice(format!("\"version\":{v},").as_bytes());
    }
    out.extend_from_slice(format!("\"crc32\":{},\"body\":", crc32fast::hash(body)).as_bytes());
    out.extend_from_slice(body);
    out.push(b'}');
    out
}

/// The body of a sealed record whose checksum holds, or what is wrong with it. `version`: the
/// version the record must carry (`None`: a journal line, which carries none).
pub fn unseal(version: Option<u32>, record: &[u8]) -> Result<&[u8], String> {
    let record = record.strip_suffix(b"\n").unwrap_or(record);
    let mut rest = record
        .strip_prefix(b"{")
        .ok_or("not a sealed record: no `{`")?;
    if let Some(want) = version {
        rest = rest
            .strip_prefix(b"\"version\":")
            .ok_or("no layout version: written by a cimflow older than this one")?;
        let (v, after) = number(rest)?;
        if v != u64::from(want) {
            return Err(format!("layout version {v}, not {want}"));
        }
        rest = after
            .strip_prefix(b",")
            .ok_or("malformed after the version")?;
    }
    rest = rest
        .strip_prefix(b"\"crc32\":")
        .ok_or("no checksum: not a record this version of cimflow wrote")?;
    let (crc, after) = number(rest)?;
    let body = after
        .strip_prefix(b",\"body\":")
        .and_then(|b| b.strip_suffix(b"}"))
        .ok_or("malformed record around its body")?;
    let found = crc32fast::hash(body);
    if u64::from(found) != crc {
        return Err(format!(
            "checksum mismatch (stored {crc}, computed {found}): the bytes changed after they \
             were written"
        ));
    }
    Ok(body)
}

/// The decimal number at the start of `bytes`, and what follows it.
fn number(bytes: &[u8]) -> Result<(u64, &[u8]), String> {
    let digits = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
    let text = std::str::from_utf8(&bytes[..digits]).expect("ASCII digits");
    let n = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number"))?;
    Ok((n, &bytes[digits..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_body_comes_back_and_any_change_is_caught() {
        let body = br#"{"epoch":3,"events":[1,2,3]}"#;
        for version in [None, Some(2)] {
            let sealed = seal(version, body);
            assert_eq!(unseal(version, &sealed), Ok(&body[..]));
            let mut line = sealed.clone();
            line.push(b'\n');
            assert_eq!(unseal(version, &line), Ok(&body[..]));
            // Every single-bit flip anywhere is refused.
            for i in 0..sealed.len() {
                for bit in 0..8 {
                    let mut bad = sealed.clone();
                    bad[i] ^= 1 << bit;
                    assert!(unseal(version, &bad).is_err(), "byte {i} bit {bit}");
                }
            }
        }
        assert!(
            unseal(Some(3), &seal(Some(2), body))
                .unwrap_err()
                .contains("version 2")
        );
        assert!(unseal(None, body).is_err());
    }

    #[test]
    fn the_checksum_is_crc32_ieee() {
        // The check value of the CRC-32 catalogue: CRC of "123456789".
        let sealed = seal(None, b"123456789");
        assert_eq!(sealed, br#"{"crc32":3421780262,"body":123456789}"#);
    }
}
