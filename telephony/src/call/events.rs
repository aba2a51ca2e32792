//! What a call session reports and asks of its I/O loop.

use media::dtmf::DtmfDigit;
use media::playout::{Interrupted, UtteranceId};

use crate::registry::CallState;
use crate::twilio::codec::StreamStart;

/// Why a call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    /// Twilio sent `stop`.
    Stopped,
    /// The socket closed or failed without `stop`.
    Disconnected,
    /// No `start` in time.
    NoStart,
    /// Nothing received for too long.
    Idle,
    /// Too many invalid or excess messages.
    Abuse,
    /// The stream's format cannot be handled.
    Unsupported,
    /// The server is shutting down.
    Shutdown,
    /// The agent handed the call to staff (Twilio continues with the next
    /// TwiML verb after the stream closes).
    Transferred,
    /// The agent said goodbye and hung up.
    Completed,
    /// The stream could not show it was started by Twilio for this call
    /// (no valid one-time token): refused before any audio.
    Unauthorized,
}

impl EndReason {
    /// Metrics label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Stopped => "stopped",
            Self::Disconnected => "disconnected",
            Self::NoStart => "no_start",
            Self::Idle => "idle",
            Self::Abuse => "abuse",
            Self::Unsupported => "unsupported",
            Self::Shutdown => "shutdown",
            Self::Transferred => "transferred",
            Self::Completed => "completed",
            Self::Unauthorized => "unauthorized",
        }
    }
}

pub use functions::calls::Speaker;

/// One line of the conversation, for the call record.
#[derive(Debug, Clone, PartialEq)]
pub struct Utterance {
    /// Who said it.
    pub speaker: Speaker,
    /// The words (recognised for the caller, spoken for the bot).
    pub text: String,
    /// Start, ms of call audio.
    pub started_ms: u64,
    /// End, ms of call audio.
    pub ended_ms: u64,
    /// A bot line cut off by a barge-in.
    pub cut_off: bool,
}

/// What the agent did, for monitors and logs (no PHI in the labels).
#[derive(Debug, Clone, PartialEq)]
pub enum AgentNote {
    /// The bot starts saying this.
    BotSays(String),
    /// A function was asked for.
    FunctionStarted {
        /// Function name.
        name: &'static str,
    },
    /// Caller end of speech to first reply audio.
    TurnLatency(std::time::Duration),
    /// The call goes to staff.
    Transfer {
        /// Staff tier ("T1".."T3").
        tier: &'static str,
        /// Why.
        reason: &'static str,
    },
    /// Where the conversation stands, when it changed (for the console).
    Status {
        /// The caller's identity was verified.
        verified: bool,
        /// The last request understood (an intent label, no PHI).
        intent: Option<&'static str>,
        /// A supervisor has the call.
        taken_over: bool,
    },
    /// A task was queued for staff; the call goes on.
    StaffTask {
        /// Staff tier.
        tier: &'static str,
        /// Why.
        reason: &'static str,
    },
}

/// Something the call reports to its owner.
#[derive(Debug, Clone, PartialEq)]
pub enum CallEvent {
    /// The stream started.
    Started(StreamStart),
    /// The caller pressed a key.
    Dtmf(DtmfDigit),
    /// The caller spoke over the bot; playback was cleared.
    BargeIn(Vec<Interrupted>),
    /// The call's state changed.
    State(CallState),
    /// A finished line of the conversation.
    Transcript(Utterance),
    /// What the agent is doing.
    Agent(AgentNote),
    /// The call is over.
    Ended(EndReason),
}

/// What the I/O loop must do.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Send a text frame.
    Send(String),
    /// Close the socket with this code and reason, then stop.
    Close(u16, &'static str),
    /// Report an event.
    Event(CallEvent),
    /// Decode this audio and report with [`super::CallSession::handle_decoded`].
    Decode(models::streaming::Request),
    /// A decode asked for earlier is stale: withdraw it if it has not
    /// started (its result, `None` then, still comes back).
    CancelDecode(models::streaming::Stale),
    /// Speak this text as bot utterance `.0`: feed its µ-law audio back with
    /// [`super::CallSession::handle_bot_audio`].
    Say(UtteranceId, String),
    /// Run this function; report with [`super::CallSession::handle_function_result`].
    Call(dialog::tools::CallId, dialog::tools::Request),
    /// Put the call through to staff (redirect the live call) before the
    /// stream closes.
    Transfer(crate::control::TransferOrder),
    /// Create this staff task (a promised callback or follow-up).
    Task(crate::control::TaskOrder),
    /// Key these digits into the call (a payer's phone menu): a call update
    /// plays them and connects a new stream to the same conversation.
    SendDigits(String),
    /// Verification job `.0` moved on (its phase, answers or outcome).
    PayerProgress(i64, Box<dialog::payer_call::Progress>),
    /// Transcribe this utterance of a barging supervisor's into the call's
    /// transcript (as the supervisor's line).
    TranscribeSupervisor(super::session::supervisor_voice::SupervisorUtterance),
    /// 20 ms of the call as a listening supervisor hears it (caller and
    /// bot mixed), 160 bytes of µ-law.
    Listen(Vec<u8>),
    /// Append this block of the call's recording (interleaved stereo PCM16,
    /// caller left, bot right; about a second); `last` closes the recording.
    Record {
        /// The samples.
        interleaved: Vec<i16>,
        /// The end of the call: seal the recording.
        last: bool,
    },
}
