//! Keeping stdout for the data in cluster mode.
//!
//! timely's networking layer reports on stdout with `println!` ("awaiting connections (at 0/1)",
//! "error connecting to worker 0: ...; retrying"), from its own threads, at times we do not
//! control. Filtering those lines out of our stream afterwards would be fragile, so before timely
//! starts we move stdout aside: the descriptor that was stdout is duplicated for cimflow's data,
//! and descriptor 1 is pointed at stderr. From then on anything printed to stdout, by timely or by
//! any other library, goes to stderr, and the data stream holds our records alone.

use std::io::{self, Write};

/// What was stdout before [`take_stdout`]: where the data go. Clones share the one descriptor.
#[derive(Clone, Debug)]
pub struct DataOut {
    #[cfg(unix)]
    file: std::sync::Arc<std::fs::File>,
}

/// Moves stdout aside: returns a writer to what was stdout, for the data, and sends everything
/// else printed to stdout from now on to stderr. Call it once, before timely starts.
///
/// Not on Unix: stdout is left as it is (the data then share it with timely's messages).
pub fn take_stdout() -> io::Result<DataOut> {
    #[cfg(unix)]
    {
        // Held across the switch so that no `println!` is half written to either side.
        let mut stdout = io::stdout().lock();
        stdout.flush()?;
        // Above the standard descriptors, and closed in any child process.
        let data = rustix::io::fcntl_dupfd_cloexec(&stdout, 3)?;
        rustix::stdio::dup2_stdout(io::stderr())?;
        Ok(DataOut {
            file: std::sync::Arc::new(std::fs::File::from(data)),
        })
    }
    #[cfg(not(unix))]
    Ok(DataOut {})
}

impl Write for DataOut {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        #[cfg(unix)]
        return (&*self.file).write(buf);
        #[cfg(not(unix))]
        io::stdout().write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        #[cfg(unix)]
        return (&*self.file).flush();
        #[cfg(not(unix))]
        io::stdout().flush()
    }
}
