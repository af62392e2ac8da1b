//! Where a job's session runs: the one place that turns an [`EngineKind`] into an engine.
//!
//! The dataflow runs on the workers `launch` describes, and the session drives it from worker 0:
//! in a cluster only process 0 has that worker, the others serve their share of the dataflow
//! until worker 0 closes the inputs. The from-scratch engines (oracle, baselines) need no workers
//! and run in the calling thread.

use super::{JobConfig, JobError, Session};
use crate::cluster::Launch;
use crate::engine::baseline::BaselineEngine;
use crate::engine::dataflow::{DataflowEngine, serve};
use crate::engine::oracle::OracleEngine;
use crate::engine::{Engine, EngineKind};
use dataflows::BulkSlot;

/// A session over whichever engine the job runs on.
pub type AnySession<'e> = Session<Box<dyn Engine + 'e>>;

/// Runs `body` with a session over the engine `kind` names, and returns what it returned: `Some`
/// where `body` ran (the process of worker 0), `None` in a cluster's other processes.
pub fn with_session<R, F>(
    kind: EngineKind,
    launch: Launch,
    cfg: JobConfig,
    body: F,
) -> Result<Option<R>, JobError>
where
    R: Send + 'static,
    F: Fn(&mut AnySession<'_>) -> Result<R, JobError> + Send + Sync + 'static,
{
    let with_coverage = cfg.verify;
    let engine: Box<dyn Engine> = match kind {
        EngineKind::Dataflow => return on_dataflow(launch, cfg, body),
        EngineKind::Oracle => Box::new(OracleEngine { with_coverage }),
        EngineKind::Baseline(method) => Box::new(BaselineEngine { method }),
    };
    body(&mut Session::new(engine, cfg)).map(Some)
}

fn on_dataflow<R, F>(launch: Launch, cfg: JobConfig, body: F) -> Result<Option<R>, JobError>
where
    R: Send + 'static,
    F: Fn(&mut AnySession<'_>) -> Result<R, JobError> + Send + Sync + 'static,
{
    let with_coverage = cfg.verify;
    // One process: its workers can share the initial arcs in bulk.
    let bulk = match launch.communication {
        timely::CommunicationConfig::Cluster { .. } => None,
        _ => Some(BulkSlot::default()),
    };
    let workers = crate::cluster::execute(launch, move |worker| {
        let bulk = bulk.clone();
        if worker.index() == 0 {
            let engine =
                DataflowEngine::build(worker, cfg.model, cfg.params.seed, with_coverage, bulk);
            let engine: Box<dyn Engine + '_> = Box::new(engine);
            body(&mut Session::new(engine, cfg.clone())).map(Some)
        } else {
            serve(worker, cfg.model, cfg.params.seed, with_coverage, bulk);
            Ok(None)
        }
    })?;
    let mut result = None;
    for (_, outcome) in workers {
        if let Some(r) = outcome? {
            result = Some(r);
        }
    }
    Ok(result)
}
