//! The dialog's inputs and outputs: [`Event`]s from the call, [`Action`]s
//! for the server, and the [`CallOutcome`].

use crate::tier::Tier;
use crate::tools::{CallId, Outcome, Request};

/// Something that happened on the call.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The call connected; the dialog greets.
    Started {
        /// The caller's number (E.164), passed to the patient lookup.
        caller_phone: Option<String>,
    },
    /// VAD onset (after the VAD's own minimum speech).
    CallerSpeechStarted,
    /// The caller fell silent mid-turn (a pause the VAD has not yet
    /// declared the end of speech).
    CallerPaused,
    /// The caller speaks again after a [`Event::CallerPaused`].
    CallerResumed,
    /// VAD offset.
    CallerSpeechEnded,
    /// Streaming partial transcript (stable prefix).
    Partial(String),
    /// End-of-turn transcript; empty when nothing usable was heard.
    Final(String),
    /// The recogniser's prompt of names on file was overruled for the
    /// [`Event::Final`] that follows: this is what it heard with the prompt
    /// (a name on file that a plain decode did not bear out). Never spoken;
    /// the dialog may ask for the member ID to confirm it.
    HintOverruled(String),
    /// A key press.
    Dtmf(char),
    /// Utterance `id` (of an [`Action::Say`]) began playing.
    BotStarted(u64),
    /// Utterance `id` finished playing.
    BotFinished(u64),
    /// Playback of utterance `id` was cut after a barge-in.
    BotInterrupted {
        /// The utterance cut.
        id: u64,
        /// How much of it played.
        heard_ms: u64,
        /// Its full length.
        total_ms: u64,
    },
    /// Staff tiers with nobody on duty right now (business hours): a
    /// transfer to one of them becomes a callback task instead. Sent at the
    /// start of the call and whenever it changes; emergencies always connect.
    StaffHours {
        /// The tiers that cannot take a call now.
        closed: Vec<Tier>,
    },
    /// A function result.
    Result {
        /// The call it answers.
        id: CallId,
        /// What it produced.
        outcome: Outcome,
    },
    /// A supervisor watching the call guides, takes over or hands back.
    Supervisor(crate::supervision::Supervisor),
}

/// Something the server must do.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Speak `text`; `id` increases from 1 and names it in later events.
    Say {
        /// Utterance id.
        id: u64,
        /// What to say.
        text: String,
    },
    /// Barge-in: clear playback now.
    StopSpeaking,
    /// Run a budgeted function and report [`Event::Result`].
    Call {
        /// Names the call in its result.
        id: CallId,
        /// What to run.
        request: Request,
    },
    /// Hand the call to staff once the last `Say` has played.
    Transfer {
        /// Who takes it.
        tier: Tier,
        /// Why (stable snake_case label).
        reason: &'static str,
    },
    /// Create a task for staff; the call goes on.
    QueueForStaff {
        /// Who works it.
        tier: Tier,
        /// Why (stable snake_case label).
        reason: &'static str,
    },
    /// End the call once the last `Say` has played.
    Hangup,
    /// Key these digits into the call (a payer's phone menu): Twilio plays
    /// them outside the media stream, which then starts again
    /// ([`crate::payer_call::PayerCall`] only).
    SendDigits(String),
}

/// How the call ended (or that it has not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallOutcome {
    /// Still going.
    InProgress,
    /// The caller got what they asked for and said goodbye (or went quiet after).
    Resolved,
    /// Handed to staff.
    Transferred,
    /// The caller left or went silent before anything was answered.
    Abandoned,
    /// Identity could not be verified.
    VerificationFailed,
    /// An emergency was reported.
    Emergency,
    /// Staff were off duty: a callback task was queued and the call ended.
    CallbackQueued,
}

impl CallOutcome {
    /// Stable snake_case label (database, metrics).
    pub fn label(self) -> &'static str {
        match self {
            Self::InProgress => "in_progress",
            Self::Resolved => "resolved",
            Self::Transferred => "transferred",
            Self::Abandoned => "abandoned",
            Self::VerificationFailed => "verification_failed",
            Self::Emergency => "emergency",
            Self::CallbackQueued => "callback_queued",
        }
    }
}
