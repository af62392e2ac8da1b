//! Cluster mode: one computation spread over the workers of several processes, possibly on
//! several machines, with timely's own networking. Nothing here moves data between
//! processes; timely does, and the dataflow is the same as in one process.
//!
//! Every process runs the same command with the same flags except `-p`, its index. Worker `i` of
//! process `p` is worker `p·w + i` of the computation, so process 0 hosts worker 0, the worker
//! that drives the epochs (see [`crate::job::workers::with_session`]).
//!
//! **Input is read once, by process 0.** The event files are small next to the RR sets that the
//! workers share, so spreading the reading would save little; and a single reader keeps the set
//! semantics of [`crate::state::State`] and the order of events trivially deterministic, since no
//! two processes have to agree on what was accepted, or in which order. The other processes never
//! open the input files: they build the dataflow and serve their share of it.
//!
//! **Results are written once, by process 0**, whose worker 0 gathers them. Since timely's
//! networking layer prints its connection messages on stdout, every process of a cluster first
//! moves stdout aside ([`take_stdout`]); the data goes to the moved descriptor and those messages
//! to stderr.
//!
//! **A process that dies takes the cluster down.** timely cannot recover a lost process; the
//! survivors notice the broken connection, stop with a message and a non-zero exit status
//! ([`execute`]). A run is recomputed from scratch by starting every process again (results are a
//! function of the input alone: docs/ALGORITHM.md, "Determinism"). `docs/CLUSTER.md` is the
//! user's guide.

pub mod args;
pub mod handshake;
pub mod launch;
pub mod stdout;

pub use args::{ClusterArgs, ClusterError};
pub use launch::{Launch, LaunchError, execute, quiet_connection_panics};
pub use stdout::{DataOut, take_stdout};
