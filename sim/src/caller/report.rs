//! What the caller measured on one call, and its two audio tracks.

use std::time::Duration;

use crate::error::SimError;

/// What the caller measured.
#[derive(Debug, Clone, Default)]
pub struct CallReport {
    /// Per caller turn: what was said and the time from the end of its
    /// speech to the first bot audio after it (`None`: no reply).
    pub turns: Vec<(String, Option<Duration>)>,
    /// Per caller turn: the wall-clock time its audio began to be sent
    /// (for measuring delays seen by other parties, e.g. a listener).
    pub said_at: Vec<(String, std::time::SystemTime)>,
    /// Barge-ins: caller speech onset over the bot to the `clear`.
    pub barge_ins: Vec<Duration>,
    /// Barge-ins: caller speech onset over the bot to the moment the bot's
    /// audio ran out at the caller's end (what the caller hears stop; the
    /// server may hold its audio before it decides on a `clear`).
    pub bot_stops: Vec<Duration>,
    /// `clear` messages received.
    pub clears: usize,
    /// Bot media frames received.
    pub bot_frames: usize,
    /// Close code and reason when the server ended the call.
    pub closed_by_server: Option<(u16, String)>,
    /// Caller audio as sent (8 kHz PCM).
    pub caller_pcm: Vec<i16>,
    /// Bot audio as played (8 kHz PCM), aligned with `caller_pcm`.
    pub bot_pcm: Vec<i16>,
    /// A step that timed out, if any.
    pub timed_out: Option<String>,
    /// The caller hung up at [`CallOptions::hang_up_at`](super::CallOptions::hang_up_at) before its script ended.
    pub hung_up: bool,
    /// The stream was ended by [`CallOptions::stop`](super::CallOptions::stop).
    pub stopped: bool,
    /// Script steps not yet begun when the stream ended (the caller goes on
    /// with them on its next stream of the same call).
    pub remaining: Vec<super::Step>,
}

impl CallReport {
    /// Writes both tracks as a stereo WAV (caller left, bot right).
    pub fn write_wav(&self, path: &std::path::Path) -> Result<(), SimError> {
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: 8000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let err = |e: hound::Error| SimError::Wav {
            path: path.display().to_string(),
            reason: e.to_string(),
        };
        let mut w = hound::WavWriter::create(path, spec).map_err(err)?;
        for (i, &c) in self.caller_pcm.iter().enumerate() {
            w.write_sample(c).map_err(err)?;
            w.write_sample(self.bot_pcm.get(i).copied().unwrap_or(0)).map_err(err)?;
        }
        w.finalize().map_err(err)
    }
}
