//! Live view of calls: what each call's agent says and does, as it happens,
//! for supervisors' consoles, the demo's printout and tests. Transcripts
//! are PHI: subscribers must treat them so (they never go to logs).

use std::time::Duration;

pub use crate::call::events::{AgentNote, EndReason, Speaker, Utterance};

/// One thing that happened on one call.
#[derive(Debug, Clone, PartialEq)]
pub struct MonitorEvent {
    /// Twilio call SID.
    pub call_sid: String,
    /// What happened.
    pub what: MonitorNote,
}

/// What happened.
#[derive(Debug, Clone, PartialEq)]
pub enum MonitorNote {
    /// The media stream started.
    Started,
    /// A finished line of the conversation.
    Transcript(Utterance),
    /// The agent's doing.
    Agent(AgentNote),
    /// A function answered.
    FunctionDone {
        /// Function name.
        name: &'static str,
        /// Time to the answer.
        latency: Duration,
        /// Its budget.
        budget: Duration,
        /// Short outcome label (ok, not_found, pending, failed).
        outcome: &'static str,
    },
    /// A supervisor acted on the call.
    Supervisor {
        /// Their username.
        by: String,
        /// `guide`, `take_over`, `hand_back` or `speak`.
        action: &'static str,
        /// The guidance typed (for `guide`; a `speak` shows in the transcript).
        text: Option<String>,
    },
    /// The call ended.
    Ended {
        /// Why.
        reason: EndReason,
        /// Conversation outcome, in agent mode.
        outcome: Option<&'static str>,
    },
}
