//! Bad-line reporting: every reader hands a bad line to [`Diagnostics`], which either skips and
//! counts it or, under `--strict`, turns it into the error that stops the run.
//!
//! A strict stop neither prints nor counts the line: the caller reports the returned error once.

/// One bad input line, named by file and line number.
#[derive(thiserror::Error, Clone, Debug, PartialEq, Eq)]
#[error("{file}:{line}: {problem}")]
pub struct LineError {
    /// The file, as given on the command line.
    pub file: String,
    /// 1-based line number.
    pub line: u64,
    /// What is wrong with it.
    pub problem: String,
}

/// Why reading an input file failed.
#[derive(thiserror::Error, Debug)]
pub enum InputError {
    /// The file could not be opened or read.
    #[error("{file}: {source}")]
    Io {
        /// The file.
        file: String,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A gzip file whose stream is damaged or cut off: none of it is used, strict or not, since
    /// damaged data can decode to plausible lines before the damage shows.
    #[error(
        "{file}: corrupt gzip stream (the damage shows at line {line}: {problem}); none of the \
         file is used"
    )]
    Corrupt {
        /// The file.
        file: String,
        /// The line of the decoded text where decoding failed.
        line: u64,
        /// What the decoder said.
        problem: String,
    },
    /// A bad line under `--strict`.
    #[error("{0}")]
    Bad(LineError),
    /// The adopter set asked for (`--adopter-set`) is not in the file.
    #[error("{file}: adopter set {index}: {problem}")]
    AdopterSet {
        /// The adopter file.
        file: String,
        /// The 0-based set asked for.
        index: usize,
        /// Why it is not there.
        problem: String,
    },
}

/// The messages printed per file: past them, a file's bad lines are only counted.
const PRINTED: u64 = 100;

/// Where bad lines go: stderr, or a list for tests.
#[derive(Debug, Default)]
pub struct Diagnostics {
    strict: bool,
    collect: bool,
    /// Bad lines skipped so far, per file.
    per_file: std::collections::HashMap<String, u64>,
    /// Bad lines skipped so far.
    pub skipped: u64,
    /// The skipped lines' messages, when made by [`Diagnostics::collecting`].
    pub messages: Vec<String>,
}

impl Diagnostics {
    /// Reports bad lines on stderr; `strict` makes the first one an error.
    pub fn new(strict: bool) -> Self {
        Diagnostics {
            strict,
            ..Self::default()
        }
    }

    /// Like [`Diagnostics::new`], but records the messages in `messages` instead of printing them.
    pub fn collecting(strict: bool) -> Self {
        Diagnostics {
            strict,
            collect: true,
            ..Self::default()
        }
    }

    /// Skips and counts a bad line, or, when strict, returns it as the error that stops the run.
    pub fn bad_line(&mut self, e: LineError) -> Result<(), InputError> {
        if self.strict {
            return Err(InputError::Bad(e));
        }
        self.skipped += 1;
        let seen = self.per_file.entry(e.file.clone()).or_default();
        *seen += 1;
        if self.collect {
            self.messages.push(e.to_string());
        } else if *seen <= PRINTED {
            eprintln!("cimflow: {e}");
            if *seen == PRINTED {
                eprintln!(
                    "cimflow: {}: {PRINTED} bad lines; any more are skipped without a message (the \
                     summaries' `skipped` counts them)",
                    e.file
                );
            }
        }
        Ok(())
    }

    /// Warns when `file` gave no `what` at all but some bad lines: likely the wrong file, or one
    /// whose first data line set the wrong format.
    pub fn warn_if_unread(&self, file: &std::path::Path, read: usize, what: &str) {
        let file = file.display().to_string();
        let bad = self.per_file.get(&file).copied().unwrap_or(0);
        if read == 0 && bad > 0 && !self.collect {
            eprintln!(
                "cimflow: warning: {file}: none of its lines could be read as {what} ({bad} bad \
                 lines skipped); is it the right file?"
            );
        }
    }
}
