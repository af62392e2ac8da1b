//! The exit status of a command: one function maps an error to it, whatever wrappers (context,
//! the cluster's process name, the job's and the follower's errors) it came through.
//!
//! - 0: success, and a closed stdout (the reader went away, as in `cimflow run ... | head`);
//! - 2: a bad input line under `--strict`, or a corrupt gzip input file;
//! - 1: anything else.

use std::process::ExitCode;

use crate::evaluate::EvaluateError;
use crate::follow::FollowError;
use crate::input::InputError;
use crate::job::JobError;
use crate::output::OutputError;

/// What an error means for the exit status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Stop quietly with status 0: stdout was closed by its reader.
    Closed,
    /// Status 2: a bad input line under `--strict`.
    BadInput,
    /// Status 1.
    Failure,
}

impl Exit {
    /// The process exit code.
    pub fn code(self) -> ExitCode {
        match self {
            Exit::Closed => ExitCode::SUCCESS,
            Exit::BadInput => ExitCode::from(2),
            Exit::Failure => ExitCode::FAILURE,
        }
    }
}

/// The meaning of `e` for the exit status: the first of cimflow's errors found along its chain
/// decides, through the variants that wrap the others.
pub fn classify(e: &anyhow::Error) -> Exit {
    for cause in e.chain() {
        if let Some(x) = cause.downcast_ref::<FollowError>() {
            return follow(x);
        }
        if let Some(x) = cause.downcast_ref::<JobError>() {
            return job(x);
        }
        if let Some(x) = cause.downcast_ref::<EvaluateError>() {
            return match x {
                EvaluateError::Input(i) => input(i),
                _ => Exit::Failure,
            };
        }
        if let Some(x) = cause.downcast_ref::<InputError>() {
            return input(x);
        }
        if let Some(x) = cause.downcast_ref::<OutputError>() {
            return output(x);
        }
    }
    Exit::Failure
}

/// The one line that reports `e`: its message, then each cause's that it does not already say.
/// Most of cimflow's errors print their cause in their own message (`{path}: {source}`) and
/// return it as their `source()` too, so `{:#}` would say an OS error twice (issue 10).
pub fn message(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain() {
        let said = cause.to_string();
        if !text.contains(&said) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&said);
        }
    }
    text
}

fn follow(e: &FollowError) -> Exit {
    match e {
        FollowError::Job(j) => job(j),
        FollowError::Input(i) => input(i),
        _ => Exit::Failure,
    }
}

fn job(e: &JobError) -> Exit {
    match e {
        JobError::Output(o) => output(o),
        _ => Exit::Failure,
    }
}

fn input(e: &InputError) -> Exit {
    match e {
        InputError::Bad(_) | InputError::Corrupt { .. } => Exit::BadInput,
        _ => Exit::Failure,
    }
}

fn output(e: &OutputError) -> Exit {
    match e {
        OutputError::Closed => Exit::Closed,
        _ => Exit::Failure,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::LineError;

    fn bad() -> InputError {
        InputError::Bad(LineError {
            file: "f".into(),
            line: 3,
            problem: "x".into(),
        })
    }

    #[test]
    fn a_cause_already_said_is_not_said_again() {
        let os = || std::io::Error::from(std::io::ErrorKind::NotFound);
        let e = anyhow::Error::new(InputError::Io {
            file: "g.txt".into(),
            source: os(),
        })
        .context("process 0 of 2");
        let text = message(&e);
        assert_eq!(text.matches(&os().to_string()).count(), 1, "{text}");
        assert!(text.starts_with("process 0 of 2: g.txt: "), "{text}");
        // A cause that adds something is kept.
        let e = anyhow::anyhow!("disk").context("writing");
        assert_eq!(message(&e), "writing: disk");
    }

    #[test]
    fn the_status_does_not_depend_on_the_wrapping() {
        let closed = || JobError::Output(OutputError::Closed);
        for e in [
            anyhow::Error::new(closed()),
            anyhow::Error::new(FollowError::Job(closed())),
            anyhow::Error::new(closed()).context("process 0 of 2"),
            anyhow::Error::new(FollowError::Job(closed()))
                .context("a")
                .context("b"),
        ] {
            assert_eq!(classify(&e), Exit::Closed, "{e:#}");
        }
        for e in [
            anyhow::Error::new(bad()),
            anyhow::Error::new(FollowError::Input(bad())),
            anyhow::Error::new(EvaluateError::Input(bad())).context("evaluate"),
        ] {
            assert_eq!(classify(&e), Exit::BadInput, "{e:#}");
        }
        assert_eq!(classify(&anyhow::anyhow!("other")), Exit::Failure);
        assert_eq!(
            classify(&anyhow::Error::new(JobError::NoWorkerZero)),
            Exit::Failure
        );
    }
}
