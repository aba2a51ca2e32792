//! Latency-budgeted functions (patient lookup, benefits, prior authorization,
//! adverse events) on PostgreSQL, each held to its declared budget; the data
//! they run on (migrations, synthetic seed, policy ingestion); the call
//! record; and the payer eligibility simulator the benefits check talks to.

pub mod audit;
pub mod benefits_verification;
pub mod calls;
pub mod catalog;
pub mod db;
pub mod error;
pub mod events;
pub mod ingest;
pub mod metrics;
pub mod pa;
pub mod patient;
pub mod payer_sim;
pub mod queue;
pub mod seed;
pub mod service;
pub mod spool;
pub mod tasks;
pub mod users;
pub mod verification;

pub use db::Database;
pub use error::DbError;
pub use service::{Functions, FunctionsConfig};
