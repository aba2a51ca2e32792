//! The application: the whole stack wired together, the simulated caller
//! and its voice, and the demo call.

pub mod caller;
pub mod demo;
pub mod error;
pub mod loadgen;
pub mod recording;
pub mod redact;
pub mod stack;
pub mod voice;

pub use error::AppError;
