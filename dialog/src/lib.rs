//! Turn-taking, barge-in policy, intents and call flows as a sans-IO state
//! machine: events in (speech, transcripts, DTMF, function results, timers,
//! marks), actions out (say, stop speaking, call function, transfer, hang up).
//!
//! The crate does no I/O and no logging: the caller's words are PHI, so they
//! never leave the [`Dialog`] except as the requests it makes of the budgeted
//! functions ([`tools::Request`]) and the sentences it speaks.
//!
//! Layout: [`nlu`] understands one utterance (intent, medication, payer, name,
//! date of birth, symptoms); [`machine`] runs the call ([`Dialog`]); the
//! phrases the bot says come from [`prompts`] (fixed, cacheable) or from the
//! crate-private `answers` module, whose PHI-bearing sentences can only be
//! built from a verified caller.

pub mod barge_in;
pub mod catalog;
pub mod hint;
pub mod machine;
pub mod nlu;
pub mod payer_call;
pub mod prompts;
pub mod supervision;
pub mod tier;
pub mod tools;
pub mod turn_end;

mod answers;
mod calls;
mod speech;
mod verify;

pub use catalog::Catalog;
pub use machine::{Action, CallOutcome, Dialog, DialogConfig, Event, Handoff, IntentFallback, Interruption};
pub use nlu::{Intent, Understanding, understand};
pub use supervision::{Guidance, Supervisor};
pub use tier::Tier;
pub use turn_end::Completeness;
