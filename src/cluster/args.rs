//! The cluster flags, shared by every subcommand that runs the dataflow (`#[command(flatten)]`),
//! and their translation into timely's communication configuration.
//!
//! The flags are timely's own (`-w`, `-n`, `-p`, `-h`), parsed by clap rather than by timely's
//! getopts so that they sit beside cimflow's flags. `-h` is the hostfile, as in timely, so a
//! subcommand that flattens these flags must disable clap's `-h` help flag
//! (`#[command(disable_help_flag = true)]`) and offer `--help` alone.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use timely::CommunicationConfig;

use super::launch::Launch;

/// The port of process 0 when no hostfile is given; process `i` listens on `FIRST_PORT + i`.
pub const FIRST_PORT: u16 = 2101;

/// Where the workers run: threads per process, processes, this process's index, their addresses.
#[derive(Clone, Debug, Args)]
#[command(next_help_heading = "Workers and processes")]
pub struct ClusterArgs {
    /// Worker threads per process (every process must use the same number).
    #[arg(short = 'w', long = "workers", alias = "threads", value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub workers: u64,
    /// Processes in the computation (timely's cluster mode). Run the same command in each, with
    /// its own -p; process 0 reads the input and writes the results.
    #[arg(short = 'n', long = "processes", value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub processes: u64,
    /// This process's index, 0 to N-1.
    #[arg(short = 'p', long = "process", value_name = "I", default_value_t = 0)]
    pub process: u64,
    /// The processes' addresses, one `host:port` a line, line i for process i (blank lines and
    /// `#` comments are skipped; lines beyond the first N are ignored). Without it, every process
    /// is on this machine: 127.0.0.1 on ports 2101, 2102, ...
    #[arg(short = 'h', long = "hostfile", value_name = "FILE")]
    pub hostfile: Option<PathBuf>,
    /// Seconds to wait for all processes to connect before giving up (0: wait for ever).
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub connect_timeout: u64,
}

/// Why the cluster flags do not describe a cluster.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// `-p` is not below `-n`.
    #[error("-p {process} is not a process index (0 to {last} with -n {processes})", last = processes - 1)]
    ProcessIndex {
        /// The index given.
        process: u64,
        /// The number of processes.
        processes: u64,
    },
    /// The hostfile could not be read.
    #[error("hostfile {path}: {source}")]
    Hostfile {
        /// The hostfile.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The hostfile has fewer addresses than processes.
    #[error("hostfile {path}: {found} addresses for -n {processes} processes")]
    TooFewAddresses {
        /// The hostfile.
        path: PathBuf,
        /// The addresses found.
        found: usize,
        /// The number of processes.
        processes: u64,
    },
    /// A line of the hostfile is not `host:port`.
    #[error("hostfile {path}:{line}: `{text}` is not host:port")]
    BadAddress {
        /// The hostfile.
        path: PathBuf,
        /// The line number, from 1.
        line: usize,
        /// The line's text.
        text: String,
    },
}

impl ClusterArgs {
    /// Flags for `workers` threads in this one process.
    pub fn local(workers: u64) -> Self {
        ClusterArgs {
            workers,
            processes: 1,
            process: 0,
            hostfile: None,
            connect_timeout: 60,
        }
    }

    /// Whether this process is part of a cluster of several.
    pub fn is_cluster(&self) -> bool {
        self.processes > 1
    }

    /// Whether this process hosts worker 0, which reads the input and writes the results.
    pub fn is_first(&self) -> bool {
        self.process == 0
    }

    /// "process I of N", for messages.
    pub fn describe(&self) -> String {
        format!("process {} of {}", self.process, self.processes)
    }

    /// timely's communication configuration: `Thread` for one worker, `Process(w)` for one
    /// process, `Cluster` otherwise. Reads the hostfile.
    pub fn communication(&self) -> Result<CommunicationConfig, ClusterError> {
        if self.process >= self.processes {
            return Err(ClusterError::ProcessIndex {
                process: self.process,
                processes: self.processes,
            });
        }
        let threads = self.workers as usize;
        Ok(match (self.processes, threads) {
            (1, 1) => CommunicationConfig::Thread,
            (1, _) => CommunicationConfig::Process(threads),
            _ => CommunicationConfig::Cluster {
                threads,
                process: self.process as usize,
                addresses: self.addresses()?,
                report: false,
                zerocopy: false,
            },
        })
    }

    /// [`ClusterArgs::communication`] with the connection deadline, as [`super::execute`] takes it.
    pub fn launch(&self) -> Result<Launch, ClusterError> {
        let timeout = (self.connect_timeout > 0).then(|| Duration::from_secs(self.connect_timeout));
        Ok(Launch {
            communication: self.communication()?,
            connect_timeout: timeout,
            terms: vec![
                ("-n".into(), self.processes.to_string()),
                ("-w".into(), self.workers.to_string()),
            ],
        })
    }

    /// The first `-n` addresses of the hostfile, or the loopback defaults.
    pub fn addresses(&self) -> Result<Vec<String>, ClusterError> {
        let n = self.processes as usize;
        let Some(path) = &self.hostfile else {
            return Ok((0..n)
                .map(|i| format!("127.0.0.1:{}", FIRST_PORT as usize + i))
                .collect());
        };
        let text = std::fs::read_to_string(path).map_err(|source| ClusterError::Hostfile {
            path: path.clone(),
            source,
        })?;
        let addresses = parse_hostfile(&text).map_err(|(line, text)| ClusterError::BadAddress {
            path: path.clone(),
            line,
            text,
        })?;
        if addresses.len() < n {
            return Err(ClusterError::TooFewAddresses {
                path: path.clone(),
                found: addresses.len(),
                processes: self.processes,
            });
        }
        Ok(addresses.into_iter().take(n).collect())
    }
}

/// The addresses of a hostfile, in order, or the first bad line (number from 1, text).
fn parse_hostfile(text: &str) -> Result<Vec<String>, (usize, String)> {
    let mut addresses = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        // timely connects to the line as written, so it must be exactly one `host:port`.
        let valid = !line.contains(char::is_whitespace)
            && line
                .rsplit_once(':')
                .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
        if !valid {
            return Err((i + 1, line.to_string()));
        }
        addresses.push(line.to_string());
    }
    Ok(addresses)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(workers: u64, processes: u64, process: u64) -> ClusterArgs {
        ClusterArgs {
            workers,
            processes,
            process,
            ..ClusterArgs::local(1)
        }
    }

    #[test]
    fn one_process_needs_no_network() {
        assert!(matches!(
            args(1, 1, 0).communication(),
            Ok(CommunicationConfig::Thread)
        ));
        assert!(matches!(
            args(4, 1, 0).communication(),
            Ok(CommunicationConfig::Process(4))
        ));
    }

    #[test]
    fn without_a_hostfile_processes_are_on_loopback() {
        match args(2, 3, 1).communication() {
            Ok(CommunicationConfig::Cluster {
                threads,
                process,
                addresses,
                report,
                zerocopy,
            }) => {
                assert_eq!((threads, process, report, zerocopy), (2, 1, false, false));
                assert_eq!(
                    addresses,
                    ["127.0.0.1:2101", "127.0.0.1:2102", "127.0.0.1:2103"]
                );
            }
            _ => panic!("not a cluster"),
        }
    }

    #[test]
    fn process_index_must_be_below_the_count() {
        let err = args(1, 2, 2).communication().unwrap_err().to_string();
        assert_eq!(err, "-p 2 is not a process index (0 to 1 with -n 2)");
    }

    #[test]
    fn hostfile_lines_are_read_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hosts");
        std::fs::write(
            &path,
            "# the cluster\n10.0.0.1:2101\n\n  [::1]:4000  \r\nhost-c:9\n",
        )
        .unwrap();
        let a = ClusterArgs {
            hostfile: Some(path.clone()),
            ..args(1, 2, 0)
        };
        assert_eq!(a.addresses().unwrap(), ["10.0.0.1:2101", "[::1]:4000"]);
        let too_many = ClusterArgs {
            processes: 4,
            ..a.clone()
        };
        assert!(matches!(
            too_many.addresses(),
            Err(ClusterError::TooFewAddresses { found: 3, .. })
        ));
    }

    #[test]
    fn bad_hostfile_lines_are_named() {
        assert_eq!(parse_hostfile("a:1\nb 2:3\n"), Err((2, "b 2:3".into())));
        assert_eq!(parse_hostfile("a:1\nb\n"), Err((2, "b".into())));
        assert_eq!(parse_hostfile(":80"), Err((1, ":80".into())));
        assert_eq!(parse_hostfile("a:70000"), Err((1, "a:70000".into())));
    }
}
