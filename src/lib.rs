//! cimflow: capacity-constrained influence maximization over a changing social graph, kept current
//! by a differential dataflow. The data's path: [`input`] → [`state`] → [`dataflows`] (through
//! [`engine`]) → [`selection`] → [`output`]; [`oracle`] recomputes the same thing from scratch.

pub mod cli;
pub mod cluster;
#[path = "../dataflows/mod.rs"]
pub mod dataflows;
pub mod engine;
pub mod input;
pub mod job;
pub mod model;
pub mod oracle;
pub mod output;
pub mod progress;
pub mod selection;
pub mod simulate;
pub mod state;
