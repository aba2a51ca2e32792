//! Telephony: the Twilio Media Streams protocol, the per-call session, the
//! live-call registry and the axum server that ties them together.

pub mod agent;
pub mod api;
pub mod call;
pub mod config;
pub mod console;
pub mod control;
pub mod intents;
pub mod metrics;
pub mod monitor;
pub mod outbound;
pub mod registry;
pub mod server;
pub mod speech;
pub mod supervision;
pub mod twilio;

pub use config::{CallMode, ServerConfig};
pub use server::{AppState, ReadinessCheck, router, serve};
