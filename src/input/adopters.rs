//! Adopter files, the paper's `.ap` format: one set a line, ids separated by commas or white space,
//! `#` comments and blank lines ignored.
//!
//! Sets are numbered by their line among the non-blank, non-comment lines, bad ones included, so
//! that a bad line never shifts which set `--adopter-set i` picks. Every line is checked, not only
//! the chosen one: a bad line anywhere in the file is reported.

use std::path::Path;

use rustc_hash::FxHashSet;

use super::diagnostics::{Diagnostics, InputError};
use super::lines::{fields, for_each_line, node};
use crate::model::Node;

/// The adopters: set `set` (0-based) of the file, or with `None` every id in it; deduplicated,
/// in order of first appearance.
pub fn read_adopters(
    path: &Path,
    set: Option<usize>,
    diag: &mut Diagnostics,
) -> Result<Vec<Node>, InputError> {
    let mut seen = FxHashSet::default();
    let mut adopters = Vec::new();
    let mut sets = 0;
    // The chosen set's line, and whether it was read.
    let mut chosen = None;
    for_each_line(path, diag, |number, line| {
        let mut ids = fields(line, true).peekable();
        if ids.peek().is_none() {
            return Ok(());
        }
        let index = sets;
        sets += 1;
        let wanted = set.is_none_or(|s| s == index);
        if wanted {
            chosen = Some((number, false));
        }
        let ids = ids.map(node).collect::<Result<Vec<_>, _>>()?;
        if wanted {
            chosen = Some((number, true));
            adopters.extend(ids.into_iter().filter(|&id| seen.insert(id)));
        }
        Ok(())
    })?;
    let Some(index) = set else {
        return Ok(adopters);
    };
    let problem = match chosen {
        Some((_, true)) => return Ok(adopters),
        Some((line, false)) => format!("its line {line} is bad and was skipped"),
        None => format!("the file has only {sets} adopter sets"),
    };
    Err(InputError::AdopterSet {
        file: path.display().to_string(),
        index,
        problem,
    })
}
