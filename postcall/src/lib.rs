//! Post-call work, run by workers over the PostgreSQL job queue: the
//! analysis of each finished call, and the signed webhook deliveries it and
//! the live functions emit.

pub mod analysis;
pub mod error;
pub mod signature;
pub mod webhook;
pub mod worker;

pub use error::JobError;
pub use worker::{Handler, WorkerConfig, Workers};

use std::sync::Arc;
use std::time::Duration;

/// Starts workers for every post-call job kind (analysis, webhook delivery).
pub fn start(pool: deadpool_postgres::Pool, cfg: WorkerConfig) -> Workers {
    let handlers: Vec<Arc<dyn Handler>> = vec![
        Arc::new(analysis::CallAnalysis),
        Arc::new(webhook::WebhookDelivery::new(pool.clone(), Duration::from_secs(10))),
    ];
    Workers::start(pool, handlers, cfg)
}
