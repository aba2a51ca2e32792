//! Who the simulated network reaches: staff lines a `<Dial>` rings, and the
//! far ends of calls the server places through the REST API.

use std::time::Duration;

use crate::caller::Step;

/// A staff member's line, rung by `<Dial>`.
#[derive(Debug, Clone)]
pub struct StaffParty {
    /// E.164 number or `sip:` URI, as the server dials it.
    pub number: String,
    /// Who it is (for reports).
    pub name: String,
    /// Whether the person picks up (after [`SimConfig::ring_time`](crate::SimConfig::ring_time)).
    pub answers: bool,
    /// What the person says on answering, heard by the caller once bridged.
    pub greeting: String,
    /// flite voice of the greeting.
    pub voice: String,
}

impl StaffParty {
    /// A line at `number` that answers with `greeting` in the `awb` voice.
    pub fn new(number: &str, name: &str, greeting: &str) -> Self {
        Self {
            number: number.to_owned(),
            name: name.to_owned(),
            answers: true,
            greeting: greeting.to_owned(),
            voice: "awb".to_owned(),
        }
    }

    /// The same line, ringing out unanswered.
    pub fn unanswered(mut self) -> Self {
        self.answers = false;
        self
    }
}

/// Makes the responder of one call (a fresh state per call).
pub type ResponderFactory = std::sync::Arc<dyn Fn() -> crate::caller::SharedResponder + Send + Sync>;

/// The far end of a call placed with `POST …/Calls.json`.
#[derive(Clone)]
pub struct Party {
    /// Whether it picks up.
    pub answers: bool,
    /// Whether the line is busy (the call ends `busy` at once).
    pub busy: bool,
    /// Who answers on the streams instead of (after) `script`.
    pub responder: Option<ResponderFactory>,
    /// How long it rings before picking up.
    pub ring_time: Duration,
    /// What it does on the call's media streams, like an inbound caller.
    pub script: Vec<Step>,
}

impl Party {
    /// A party that picks up after `ring_time` and follows `script`.
    pub fn answering(ring_time: Duration, script: Vec<Step>) -> Self {
        Self {
            answers: true,
            busy: false,
            responder: None,
            ring_time,
            script,
        }
    }

    /// A party that picks up after `ring_time` and answers with a fresh
    /// responder from `make` on each call (a payer line).
    pub fn responding(ring_time: Duration, make: ResponderFactory) -> Self {
        Self {
            answers: true,
            busy: false,
            responder: Some(make),
            ring_time,
            script: Vec::new(),
        }
    }

    /// A line that is busy.
    pub fn busy() -> Self {
        Self {
            busy: true,
            ..Self::unanswered()
        }
    }

    /// A party that never picks up.
    pub fn unanswered() -> Self {
        Self {
            answers: false,
            busy: false,
            responder: None,
            ring_time: Duration::ZERO,
            script: Vec::new(),
        }
    }
}

impl std::fmt::Debug for Party {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Party")
            .field("answers", &self.answers)
            .field("busy", &self.busy)
            .field("ring_time", &self.ring_time)
            .field("responder", &self.responder.is_some())
            .finish_non_exhaustive()
    }
}
