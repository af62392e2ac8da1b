//! cimflow: capacity-constrained influence maximization over a changing social graph, kept current
//! by a differential dataflow. The data's path: [`input`] → [`state`] → [`dataflows`] (through
//! [`engine`]) → [`selection`] → [`output`]; [`oracle`] recomputes the same thing from scratch.

pub mod model;
pub mod input;
