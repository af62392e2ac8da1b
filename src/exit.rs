//! The exit status of a command: one function maps an error to it, whatever wrappers (context,
//! the cluster's process name, the job's and the follower's errors) it came through.
//!
//! - 0: success, and a closed stdout (the reader went away, as in `cimflow run ... | head`);
//! - 2: a bad input line under `--strict`;
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
        InputError::Bad(_) => Exit::BadInput,
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
