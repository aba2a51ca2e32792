//! Turn-taking, barge-in policy, intents and call flows as a sans-IO state
//! machine: events in (speech, transcripts, DTMF, function results, timers,
//! marks), actions out (say, stop speaking, call function, transfer, hang up).

pub mod tools;

/// What the dialog can recognise by name: the formulary and the payers.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// Formulary medication names.
    pub medications: Vec<String>,
    /// Payer names.
    pub payers: Vec<String>,
}
