//! The application: the whole stack wired together, the simulated caller
//! and its voice, and the demo call.

pub mod demo;
pub mod error;
pub mod loadgen;
pub mod recording;
pub mod redact;
pub mod stack;

pub use error::AppError;
pub use twilio_sim::{caller, voice};
