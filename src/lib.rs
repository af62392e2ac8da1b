//! cimflow: capacity-constrained influence maximization over a changing social graph, kept current
//! by a differential dataflow.
//!
//! The data's path, top to bottom: [`input`] (files and event lines) → [`epochs`] (batches and the
//! time window) → [`state`] (the accepted graph) → [`engine`], which drives the `dataflows` crate
//! (the top-level folder `dataflows/`: probabilities, RR sets, coverage) or recomputes from scratch
//! ([`engine::oracle`]) → [`selection`] (greedy, certificate, sampling plan) → [`job`] (the epoch
//! loop and the changes) → [`output`]. Beside it: [`follow`] tails a growing log and checkpoints,
//! [`cluster`] runs the workers across processes, and [`evaluate`] measures a selection by Monte
//! Carlo, independently of the RR sets. To watch a run: [`metrics`] for Prometheus, [`report`]
//! for a page of charts. [`cli`] and [`exit`] are the command's edges.

/// The vocabulary shared by the dataflow, the oracle and the selection (nodes, samples, coins,
/// probability models): it lives with the dataflow definitions.
pub use dataflows::model;

pub mod cli;
pub mod cluster;
pub mod engine;
pub mod epochs;
pub mod evaluate;
pub mod exit;
pub mod follow;
pub mod input;
pub mod job;
pub mod memory;
pub mod metrics;
pub mod output;
pub mod progress;
pub mod report;
pub mod selection;
pub mod state;
