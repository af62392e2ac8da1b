//! Starting timely's workers under supervision, so that a failure stops the process with a message
//! instead of hanging it.
//!
//! timely has no recovery. When a process of a cluster dies, each survivor's networking threads
//! panic ("timely communication error: reading data: socket closed"); that poisons the queues its
//! workers read from, and every worker panics at its next step ("MergeQueue poisoned."). Left to
//! timely, joining the workers would then panic in turn (dropping the networking threads' guard
//! `expect`s that they did not panic), and a worker that happened not to step again would keep the
//! process waiting. Hence:
//!
//! - each worker runs its closure *and* steps its dataflows to completion inside `catch_unwind`,
//!   then reports its outcome over a channel;
//! - the calling thread waits for those reports and, at the first panic, gives up on the workers:
//!   it forgets timely's guards (nothing left to join, nothing to wait for) and returns the panic as
//!   an error. The caller is expected to end the process, which ends the threads left behind;
//! - timely connects the processes inside `timely::execute`, which retries for ever until every
//!   process is there, so `execute` runs on a thread of its own, and the caller gives up after the
//!   connect timeout.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::time::Duration;

use timely::CommunicationConfig;
use timely::worker::Worker;

/// How to start timely: where the workers are, and how long to wait for the other processes.
#[derive(Clone)]
pub struct Launch {
    /// Threads, processes and addresses.
    pub communication: CommunicationConfig,
    /// How long the processes may take to connect, and how long one may go unheard while they
    /// compute; `None` waits for ever.
    pub connect_timeout: Option<Duration>,
    /// The settings every process of a cluster must share, as `(flag, value)`: checked before
    /// timely connects ([`super::handshake`]).
    pub terms: Vec<(String, String)>,
}

impl From<CommunicationConfig> for Launch {
    fn from(communication: CommunicationConfig) -> Self {
        Launch {
            communication,
            connect_timeout: None,
            terms: Vec::new(),
        }
    }
}

/// Why the workers did not all finish.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    /// timely refused the configuration or could not listen (a port in use, say).
    #[error("timely could not start: {0}")]
    Start(String),
    /// The processes were started with different settings, or one never answered.
    #[error(transparent)]
    Handshake(#[from] super::handshake::HandshakeError),
    /// Not every process connected in time.
    #[error(
        "the processes did not all connect within {} s ({addresses}); check that each is running, \
         with the same -n, -w and hostfile, or raise --connect-timeout",
        .timeout.as_secs()
    )]
    ConnectTimeout {
        /// The deadline that passed.
        timeout: Duration,
        /// The processes' addresses, for the message.
        addresses: String,
    },
    /// A connection to another process broke: that process stopped or died.
    #[error(
        "worker {worker} lost its connection to another process, which stopped or died; timely \
         cannot recover, so the whole computation stops (restart every process with the same flags)"
    )]
    PeerLost {
        /// The worker (index in the whole computation) that noticed.
        worker: usize,
        /// timely's panic message.
        message: String,
    },
    /// Every worker finished, but closing the connections failed: another process died meanwhile.
    #[error(
        "the workers finished, but closing the connections between the processes failed ({0}); \
         another process probably died"
    )]
    Shutdown(String),
    /// A worker panicked for some other reason (a bug).
    #[error("worker {worker} panicked: {message}")]
    Panicked {
        /// The worker (index in the whole computation).
        worker: usize,
        /// The panic message.
        message: String,
    },
}

/// Runs `work` on every worker of this process, as `timely::execute` does, and returns each local
/// worker's index and result, in index order, once all have finished their dataflows.
///
/// On a worker's panic, returns at once with the error, leaving the other threads running; the
/// caller should end the process soon (see the module documentation).
pub fn execute<R, F>(launch: Launch, work: F) -> Result<Vec<(usize, R)>, LaunchError>
where
    R: Send + 'static,
    F: Fn(&mut Worker) -> R + Send + Sync + 'static,
{
    let addresses = match &launch.communication {
        CommunicationConfig::Cluster {
            addresses, process, ..
        } => {
            super::handshake::agree(*process, addresses, &launch.terms, launch.connect_timeout)?;
            addresses.join(", ")
        }
        _ => "one process".into(),
    };
    let config = timely::Config {
        communication: launch.communication,
        worker: timely::WorkerConfig::default(),
    };
    let (report, reports) = mpsc::channel();
    let supervised = move |worker: &mut Worker| {
        let index = worker.index();
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let result = work(worker);
            while worker.has_dataflows() {
                worker.step_or_park(None);
            }
            result
        }));
        // The receiver is gone only when the caller has already given up.
        let _ = report.send((index, outcome.map_err(|payload| panic_message(&*payload))));
    };

    let (started, start) = mpsc::channel();
    std::thread::Builder::new()
        .name("cimflow:connect".into())
        .spawn(move || {
            let _ = started.send(timely::execute(config, supervised));
        })
        .map_err(|e| LaunchError::Start(e.to_string()))?;
    let guards = match launch.connect_timeout {
        Some(timeout) => start.recv_timeout(timeout).map_err(|e| match e {
            mpsc::RecvTimeoutError::Timeout => LaunchError::ConnectTimeout { timeout, addresses },
            mpsc::RecvTimeoutError::Disconnected => connect_failed(),
        })?,
        None => start.recv().map_err(|_| connect_failed())?,
    }
    .map_err(LaunchError::Start)?;

    let mut results = Vec::new();
    for _ in 0..guards.guards().len() {
        match reports.recv() {
            Ok((index, Ok(result))) => results.push((index, result)),
            Ok((worker, Err(message))) => {
                // Joining could wait for ever, or panic: leave the threads to the process's end.
                std::mem::forget(guards);
                return Err(failure(worker, message));
            }
            // Every worker thread ended, and one of them without reporting: it panicked in timely
            // before it could run `work`.
            Err(mpsc::RecvError) => {
                return Err(LaunchError::Start("a worker thread failed to start".into()));
            }
        }
    }
    // Every worker is done. A thread can still panic as it ends (timely's queues panic when
    // dropped after a networking thread panicked), and joining joins the networking threads too,
    // panicking if one of them did: both mean a process died after our workers finished.
    let joined = catch_unwind(AssertUnwindSafe(|| guards.join()));
    let failed = match joined {
        Ok(joined) => joined.into_iter().find_map(Result::err),
        Err(payload) => Some(panic_message(&*payload)),
    };
    if let Some(message) = failed {
        return Err(LaunchError::Shutdown(message));
    }
    results.sort_by_key(|&(index, _)| index);
    Ok(results)
}

fn connect_failed() -> LaunchError {
    LaunchError::Start("connecting the processes failed (see the message above)".into())
}

/// Tells a broken connection from other panics.
fn failure(worker: usize, message: String) -> LaunchError {
    if is_connection_panic(&message) {
        LaunchError::PeerLost { worker, message }
    } else {
        LaunchError::Panicked { worker, message }
    }
}

/// Whether a panic is timely's reaction to a broken connection: the networking thread's own
/// ("timely communication error: ..."), or one of its consequences: a worker reading a poisoned
/// queue, or joining a networking thread that panicked.
fn is_connection_panic(message: &str) -> bool {
    message.starts_with("timely communication error")
        || message.starts_with("MergeQueue poisoned")
        || message.starts_with("Send thread panic")
        || message.starts_with("Recv thread panic")
}

/// Reports timely's broken-connection panics in one line each instead of a panic report with a
/// backtrace, and their consequences (every worker panics in turn) not at all: the error that
/// [`execute`] returns says what happened. Other panics are reported as before. For programs that
/// run in a cluster; it replaces the process's panic hook.
pub fn quiet_connection_panics() {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info.payload_as_str().unwrap_or_default();
        if message.starts_with("timely communication error") {
            let thread = std::thread::current();
            eprintln!("cimflow: {}: {message}", thread.name().unwrap_or("thread"));
        } else if !is_connection_panic(message) {
            report(info);
        }
    }));
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_back_in_worker_order() {
        let results = execute(CommunicationConfig::Process(3).into(), |w| w.index() * 10).unwrap();
        assert_eq!(results, vec![(0, 0), (1, 10), (2, 20)]);
    }

    #[test]
    fn a_worker_panic_is_an_error_with_its_message() {
        let got = execute(CommunicationConfig::Process(2).into(), |w| {
            if w.index() == 1 {
                panic!("boom at {}", w.index());
            }
        });
        match got {
            Err(LaunchError::Panicked { worker, message }) => {
                assert_eq!((worker, message.as_str()), (1, "boom at 1"))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn broken_connections_are_told_apart() {
        let lost = failure(3, "MergeQueue poisoned.".into());
        assert!(matches!(lost, LaunchError::PeerLost { worker: 3, .. }));
        assert!(lost.to_string().contains("restart every process"));
    }
}
