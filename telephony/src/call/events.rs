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
        }
    }
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
    /// Decode this audio and report with [`CallSession::handle_decoded`].
    Decode(models::streaming::Request),
    /// Speak this text as bot utterance `.0`: feed its µ-law audio back with
    /// [`CallSession::handle_bot_audio`].
    Say(UtteranceId, String),
}
