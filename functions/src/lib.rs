//! Latency-budgeted functions (patient lookup, benefits, prior authorization,
//! adverse events) on PostgreSQL, each held to its declared budget.
//!
//! The registry and its functions arrive with the dialog work.
