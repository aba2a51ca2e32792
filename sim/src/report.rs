//! What happened on one simulated call, as its caller lived it.

use std::time::Duration;

use crate::caller::CallReport;

/// One `<Dial>` and how it ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DialRecord {
    /// The number or SIP URI dialed (the first noun's; all of them in `targets`).
    pub to: String,
    /// Every number or URI rung at once.
    pub targets: Vec<String>,
    /// The name of the staff member who picked up.
    pub answered_by: Option<String>,
    /// Whether someone picked up.
    pub answered: bool,
    /// `DialCallStatus`: completed, no-answer, busy, failed, canceled.
    pub status: String,
    /// The dialed leg's SID (`DialCallSid`), when a leg was placed.
    pub call_sid: Option<String>,
    /// What the person who answered heard before the bridge (`<Say>` of
    /// the `<Number url>` TwiML).
    pub whisper: Vec<String>,
    /// Seconds bridged (`DialCallDuration`).
    pub duration_secs: u64,
    /// When the line began to ring.
    pub ringing_at: Option<std::time::Instant>,
}

/// Everything the simulator saw on one call.
#[derive(Debug, Clone, Default)]
pub struct SimCallReport {
    /// `CA…`.
    pub call_sid: String,
    /// Each `<Connect><Stream>` leg, as the caller measured it.
    pub streams: Vec<CallReport>,
    /// What the caller heard, 8 kHz PCM, in order: the bot's audio of each
    /// stream, `<Say>` speech, the greeting of staff it was bridged to.
    pub heard_pcm: Vec<i16>,
    /// `<Say>` texts the caller heard, in order.
    pub said: Vec<String>,
    /// Each `<Dial>`.
    pub dials: Vec<DialRecord>,
    /// `<Play digits>` sent down the line.
    pub digits_played: Vec<String>,
    /// `<Play>` audio URLs (not fetched).
    pub played_urls: Vec<String>,
    /// The call's final status: completed, busy, no-answer, failed, canceled.
    pub status: String,
    /// Application errors (webhook failures, unusable TwiML: the caller
    /// heard "an application error has occurred") and skipped verbs.
    pub errors: Vec<String>,
    /// From answer to hang-up.
    pub duration: Duration,
}
