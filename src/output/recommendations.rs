//! `recommendations.tsv`: the complete current recommendation set, written by every run with an
//! output directory and read back by `cimflow evaluate`. The one definition of its format: a
//! header `adopter<TAB>friend<TAB>gain`, then one `adopter<TAB>friend<TAB>gain` line each.

use std::io::Write;
use std::path::Path;

use super::encode::write_tsv_float;
use crate::input::lines::{fields, for_each_line, need, node};
use crate::input::{Diagnostics, InputError};
use crate::model::Node;

/// The file's name in the output directory.
pub const FILE: &str = "recommendations.tsv";

const HEADER: &[u8] = b"adopter\tfriend\tgain\n";

/// The file's bytes for `current` (adopter, friend, gain), in the order given.
pub fn encode(current: &[(Node, Node, f64)]) -> Vec<u8> {
    let mut text = Vec::with_capacity(16 + 32 * current.len());
    text.extend_from_slice(HEADER);
    for &(adopter, friend, gain) in current {
        write!(text, "{adopter}\t{friend}\t").expect("writing to memory");
        write_tsv_float(&mut text, gain);
        text.push(b'\n');
    }
    text
}

/// The (adopter, friend) pairs of a file in this format (the header optional, the gain too). A
/// bad line stops the reading: a silently shorter seed set would be a wrong answer.
pub fn read(path: &Path) -> Result<Vec<(Node, Node)>, InputError> {
    Ok(read_with_gains(path)?
        .into_iter()
        .map(|(adopter, friend, _)| (adopter, friend))
        .collect())
}

/// The (adopter, friend, gain) lines of a file in this format, as [`read`] reads them; a
/// missing gain is NaN.
pub fn read_with_gains(path: &Path) -> Result<Vec<(Node, Node, f64)>, InputError> {
    let mut lines = Vec::new();
    let mut diag = Diagnostics::new(true);
    for_each_line(path, &mut diag, |number, line| {
        let mut f = fields(line, false);
        let Some(first) = f.next() else {
            return Ok(());
        };
        if number == 1 && first == "adopter" {
            return Ok(());
        }
        let adopter = node(first)?;
        let friend = node(need(&mut f, "friend")?)?;
        let gain = match f.next() {
            Some(gain) => gain
                .parse::<f64>()
                .map_err(|_| format!("gain `{gain}` is not a number"))?,
            None => f64::NAN,
        };
        if let Some(x) = f.next() {
            return Err(format!("unexpected field `{x}`"));
        }
        lines.push((adopter, friend, gain));
        Ok(())
    })?;
    Ok(lines)
}
