//! cimflow: capacity-constrained influence maximization over a changing social graph, kept current
//! by a differential dataflow. The data's path: [`input`] → [`state`] → [`dataflows`] (through
//! [`engine`]) → [`selection`] → [`output`]; [`oracle`] recomputes the same thing from scratch.
//! [`evaluate`] measures a selection by Monte Carlo ([`simulate`]), independently of the RR sets,
//! and [`baselines`] are the selections it is held against.

pub mod baselines;
pub mod cli;
pub mod cluster;
#[path = "../dataflows/mod.rs"]
pub mod dataflows;
pub mod engine;
pub mod epochs;
pub mod evaluate;
pub mod follow;
pub mod input;
pub mod job;
pub mod memory;
pub mod model;
pub mod oracle;
pub mod output;
pub mod progress;
pub mod selection;
pub mod simulate;
pub mod state;
