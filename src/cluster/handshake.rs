//! Before timely connects the processes of a cluster, they check that they were started alike,
//! and while they compute, that every one of them is still there.
//!
//! timely trusts its peers: processes started with different `--seed` or `--model` compute
//! silently wrong results, different `-w` panics inside timely's networking, and a peer that
//! stops answering (SIGSTOP, a hung machine, a stray program on its port) keeps the others
//! waiting for ever, since a TCP connection to a stopped process stays open.
//!
//! So every process other than 0 first connects to process 0's address and sends the settings
//! every process must share (its *terms*, one `(flag, value)` each). Process 0 collects them all,
//! stops listening (timely binds the same address next), and answers each with the verdict: go
//! on, or the first flag on which some process differs, which every process then reports. All
//! of this within `--connect-timeout`.
//!
//! The connections stay open afterwards as heartbeats: each side writes a byte every second or
//! so from a thread of its own, so a busy worker never delays it. A side that hears nothing for
//! `--connect-timeout` takes the peer for lost and ends its own process with a message (timely
//! cannot recover a lost process anyway). A peer that ends closes its connection; that is no
//! alarm, since the computation ends that way too, and timely reports a peer that died early.

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// The settings of a job that every process of a cluster must share, for `command` (`run`,
/// `follow`): all that the dataflow's results depend on.
pub fn job_terms(command: &str, cfg: &crate::job::JobConfig) -> Vec<(String, String)> {
    let p = &cfg.params;
    [
        ("command", command.to_string()),
        ("--model", format!("{:?}", cfg.model)),
        ("-k", cfg.k.to_string()),
        ("--epsilon", p.epsilon.to_string()),
        ("--delta", format!("{:?}", p.delta)),
        ("--seed", p.seed.to_string()),
        ("--batch", cfg.batch.to_string()),
        ("--every", format!("{:?}", cfg.every)),
        ("--window", format!("{:?}", cfg.window)),
        ("--verify", cfg.verify.to_string()),
        ("version", env!("CARGO_PKG_VERSION").to_string()),
    ]
    .into_iter()
    .map(|(f, v)| (f.to_string(), v))
    .collect()
}

/// What one process sends process 0.
#[derive(Serialize, Deserialize)]
struct Hello {
    /// The protocol's version.
    cimflow: u32,
    /// The sender's index.
    process: usize,
    /// The settings every process must share, as `(flag, value)`.
    terms: Vec<(String, String)>,
}

/// Process 0's verdict.
#[derive(Serialize, Deserialize)]
struct Verdict {
    /// `None`: every process agrees; else what differs.
    differs: Option<Difference>,
}

/// One flag on which one process differs from process 0.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Difference {
    /// The process that differs.
    pub process: usize,
    /// The flag.
    pub flag: String,
    /// Its value in process 0.
    pub first: String,
    /// Its value in that process.
    pub other: String,
}

/// The protocol's version.
const VERSION: u32 = 1;

/// Why the processes did not agree to start.
#[derive(Debug, thiserror::Error)]
pub enum HandshakeError {
    /// A process was started with other settings.
    #[error(
        "process {} was started with {flag} {other} and process 0 with {flag} {first}: the \
         settings differ; start every process with the same flags except -p",
        .0.process, flag = .0.flag, other = .0.other, first = .0.first
    )]
    Differs(Difference),
    /// Not every process answered in time.
    #[error(
        "the processes did not all connect within {} s (--connect-timeout): {what}; check that \
         every process is running, with the same -n and hostfile, and that nothing else listens \
         on {address}",
        .timeout.as_secs()
    )]
    Timeout {
        /// What did not happen.
        what: String,
        /// The deadline that passed.
        timeout: Duration,
        /// Process 0's address.
        address: String,
    },
    /// Something that is not a cimflow process answered, or the network failed.
    #[error("{address}: {problem}")]
    Protocol {
        /// Process 0's address.
        address: String,
        /// What went wrong.
        problem: String,
    },
}

/// Checks that the `addresses.len()` processes share `terms`, as process `process`, then watches
/// the others for as long as this process lives. `timeout`: `None` waits for ever and watches
/// nothing.
pub fn agree(
    process: usize,
    addresses: &[String],
    terms: &[(String, String)],
    timeout: Option<Duration>,
) -> Result<(), HandshakeError> {
    let deadline = timeout.map(|t| Instant::now() + t);
    let address = addresses[0].clone();
    let peers = if process == 0 {
        lead(addresses.len(), terms, deadline, timeout, &address)?
    } else {
        vec![(0, follow(process, terms, deadline, timeout, &address)?)]
    };
    if let Some(timeout) = timeout {
        for (peer, stream) in peers {
            watch(peer, stream, timeout);
        }
    }
    Ok(())
}

/// Process 0: collect every hello, then answer all.
fn lead(
    processes: usize,
    terms: &[(String, String)],
    deadline: Option<Instant>,
    timeout: Option<Duration>,
    address: &str,
) -> Result<Vec<(usize, TcpStream)>, HandshakeError> {
    let protocol = |problem: String| HandshakeError::Protocol {
        address: address.to_string(),
        problem,
    };
    let listener = TcpListener::bind(address).map_err(|e| protocol(e.to_string()))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| protocol(e.to_string()))?;
    let mut peers: Vec<Option<TcpStream>> = (0..processes).map(|_| None).collect();
    let mut differs: Option<Difference> = None;
    let mut heard = 1;
    while heard < processes {
        let (stream, _) = match listener.accept() {
            Ok(s) => s,
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    return Err(HandshakeError::Timeout {
                        what: format!("only {heard} of {processes} processes connected"),
                        timeout: timeout.unwrap_or_default(),
                        address: address.to_string(),
                    });
                }
                std::thread::sleep(Duration::from_millis(20));
                continue;
            }
            Err(e) => return Err(protocol(e.to_string())),
        };
        // A stray connection that says nothing, or nothing we understand, is dropped.
        let Some(hello) = read_hello(&stream, deadline) else {
            continue;
        };
        if hello.cimflow != VERSION || hello.process == 0 || hello.process >= processes {
            continue;
        }
        if peers[hello.process].is_some() {
            return Err(protocol(format!(
                "two processes were started with -p {}",
                hello.process
            )));
        }
        if differs.is_none() {
            differs =
                first_difference(terms, &hello.terms).map(|(flag, first, other)| Difference {
                    process: hello.process,
                    flag,
                    first,
                    other,
                });
        }
        peers[hello.process] = Some(stream);
        heard += 1;
    }
    // timely binds this address next; the connections accepted stay open.
    drop(listener);
    let verdict = Verdict {
        differs: differs.clone(),
    };
    let mut line = serde_json::to_vec(&verdict).expect("serialising to memory");
    line.push(b'\n');
    let peers: Vec<(usize, TcpStream)> = peers
        .into_iter()
        .enumerate()
        .filter_map(|(p, s)| s.map(|s| (p, s)))
        .collect();
    for (_, mut stream) in peers.iter().map(|(p, s)| (p, s)) {
        // A peer that went away meanwhile is timely's to find.
        let _ = stream.write_all(&line);
    }
    match differs {
        Some(d) => Err(HandshakeError::Differs(d)),
        None => Ok(peers),
    }
}

/// The first `(flag, mine, theirs)` that differs between two sets of terms.
fn first_difference(
    mine: &[(String, String)],
    theirs: &[(String, String)],
) -> Option<(String, String, String)> {
    for (flag, value) in mine {
        let other = theirs
            .iter()
            .find(|(f, _)| f == flag)
            .map_or_else(|| "(not given)".to_string(), |(_, v)| v.clone());
        if &other != value {
            return Some((flag.clone(), value.clone(), other));
        }
    }
    theirs
        .iter()
        .find(|(f, _)| !mine.iter().any(|(m, _)| m == f))
        .map(|(f, v)| (f.clone(), "(not given)".to_string(), v.clone()))
}

fn read_hello(stream: &TcpStream, deadline: Option<Instant>) -> Option<Hello> {
    stream.set_nonblocking(false).ok()?;
    // A silent stray connection may hold the leader up to a second, never past the deadline.
    let wait = deadline.map_or(Duration::from_secs(1), |d| {
        d.saturating_duration_since(Instant::now())
            .min(Duration::from_secs(1))
    });
    stream
        .set_read_timeout(Some(wait.max(Duration::from_millis(1))))
        .ok()?;
    let mut line = Vec::new();
    BufReader::new(stream.take(1 << 16))
        .read_until(b'\n', &mut line)
        .ok()?;
    serde_json::from_slice(&line).ok()
}

/// A process other than 0: connect (retrying until process 0 listens), say hello, hear the
/// verdict.
fn follow(
    process: usize,
    terms: &[(String, String)],
    deadline: Option<Instant>,
    timeout: Option<Duration>,
    address: &str,
) -> Result<TcpStream, HandshakeError> {
    let timed_out = |what: &str| HandshakeError::Timeout {
        what: what.to_string(),
        timeout: timeout.unwrap_or_default(),
        address: address.to_string(),
    };
    let protocol = |problem: String| HandshakeError::Protocol {
        address: address.to_string(),
        problem,
    };
    let target = address
        .to_socket_addrs()
        .map_err(|e| protocol(e.to_string()))?
        .next()
        .ok_or_else(|| protocol("no address".into()))?;
    let mut said = false;
    let mut stream = loop {
        let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        if left.is_some_and(|l| l.is_zero()) {
            return Err(timed_out("process 0 did not accept a connection"));
        }
        let attempt = TcpStream::connect_timeout(
            &target,
            left.unwrap_or(Duration::from_secs(5))
                .min(Duration::from_secs(5)),
        );
        match attempt {
            Ok(s) => break s,
            Err(e) => {
                if !said {
                    eprintln!("cimflow: waiting for process 0 at {address} ({e})");
                    said = true;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    };
    let hello = Hello {
        cimflow: VERSION,
        process,
        terms: terms.to_vec(),
    };
    let mut line = serde_json::to_vec(&hello).expect("serialising to memory");
    line.push(b'\n');
    stream
        .write_all(&line)
        .map_err(|e| protocol(e.to_string()))?;
    let left = deadline.map(|d| {
        d.saturating_duration_since(Instant::now())
            .max(Duration::from_millis(1))
    });
    stream
        .set_read_timeout(left)
        .map_err(|e| protocol(e.to_string()))?;
    let mut reply = Vec::new();
    let read = BufReader::new((&stream).take(1 << 16)).read_until(b'\n', &mut reply);
    match read {
        Ok(_) if reply.ends_with(b"\n") => {}
        Ok(_) => return Err(protocol("process 0 closed the connection without an answer (is it the same version of cimflow?)".into())),
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
            return Err(timed_out("process 0 did not answer"));
        }
        Err(e) => return Err(protocol(e.to_string())),
    }
    let verdict: Verdict = serde_json::from_slice(&reply)
        .map_err(|_| protocol("the answer is not cimflow's".into()))?;
    match verdict.differs {
        Some(d) => Err(HandshakeError::Differs(d)),
        None => Ok(stream),
    }
}

/// Heartbeats both ways on `stream` until either side ends; ends this process when `peer` has
/// been silent for `timeout`.
fn watch(peer: usize, stream: TcpStream, timeout: Duration) {
    let interval = (timeout / 3).clamp(Duration::from_millis(50), Duration::from_secs(1));
    let Ok(mut beat) = stream.try_clone() else {
        return;
    };
    let _ = std::thread::Builder::new()
        .name("cimflow:heartbeat".into())
        .spawn(move || {
            while beat.write_all(b".").is_ok() {
                std::thread::sleep(interval);
            }
        });
    let _ = std::thread::Builder::new()
        .name("cimflow:watch".into())
        .spawn(move || {
            let mut stream = stream;
            if stream.set_read_timeout(Some(timeout)).is_err() {
                return;
            }
            let mut buf = [0u8; 64];
            loop {
                match stream.read(&mut buf) {
                    Ok(0) => return,
                    Ok(_) => {}
                    Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                        eprintln!(
                            "cimflow: process {peer} has not been heard from for {} s \
                             (--connect-timeout): it is stopped or hung; giving up (restart \
                             every process with the same flags)",
                            timeout.as_secs()
                        );
                        std::process::exit(1);
                    }
                    Err(e) if e.kind() == ErrorKind::Interrupted => {}
                    Err(_) => return,
                }
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(seed: &str) -> Vec<(String, String)> {
        vec![("-w".into(), "2".into()), ("--seed".into(), seed.into())]
    }

    fn free_address() -> String {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().to_string()
    }

    #[test]
    fn processes_that_agree_go_on_and_those_that_differ_hear_why() {
        for (mine, theirs, ok) in [("1", "1", true), ("1", "2", false)] {
            let addresses = vec![free_address(), free_address(), free_address()];
            let timeout = Some(Duration::from_secs(10));
            let others: Vec<_> = (1..3)
                .map(|p| {
                    let (a, t) = (addresses.clone(), terms(if p == 2 { theirs } else { mine }));
                    std::thread::spawn(move || agree(p, &a, &t, timeout))
                })
                .collect();
            let lead = agree(0, &addresses, &terms(mine), timeout);
            let results: Vec<_> = others.into_iter().map(|h| h.join().unwrap()).collect();
            assert_eq!(lead.is_ok(), ok, "{lead:?}");
            for r in &results {
                assert_eq!(r.is_ok(), ok, "{r:?}");
            }
            if !ok {
                let message = results[0].as_ref().unwrap_err().to_string();
                assert!(
                    message.contains(
                        "process 2 was started with --seed 2 and process 0 with --seed 1"
                    ),
                    "{message}"
                );
            }
        }
    }

    #[test]
    fn differences_name_the_first_flag() {
        assert_eq!(first_difference(&terms("1"), &terms("1")), None);
        assert_eq!(
            first_difference(&terms("1"), &terms("2")),
            Some(("--seed".into(), "1".into(), "2".into()))
        );
        let fewer = vec![("-w".to_string(), "2".to_string())];
        assert_eq!(
            first_difference(&terms("1"), &fewer),
            Some(("--seed".into(), "1".into(), "(not given)".into()))
        );
    }

    #[test]
    fn nobody_listening_times_out() {
        let addresses = vec![free_address(), free_address()];
        let start = Instant::now();
        let err = agree(1, &addresses, &terms("1"), Some(Duration::from_millis(300))).unwrap_err();
        assert!(matches!(err, HandshakeError::Timeout { .. }), "{err}");
        assert!(start.elapsed() < Duration::from_secs(3));
    }
}
