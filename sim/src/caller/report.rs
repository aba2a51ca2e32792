//! What the caller measured on one call, and its two audio tracks.

use std::time::Duration;

use crate::error::AppError;

/// What the caller measured.
#[derive(Debug, Clone, Default)]
pub struct CallReport {
    /// Per caller turn: what was said and the time from the end of its
    /// speech to the first bot audio after it (`None`: no reply).
    pub turns: Vec<(String, Option<Duration>)>,
    /// Barge-ins: caller speech onset over the bot to the `clear`.
    pub barge_ins: Vec<Duration>,
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
}

impl CallReport {
    /// Writes both tracks as a stereo WAV (caller left, bot right).
    pub fn write_wav(&self, path: &std::path::Path) -> Result<(), AppError> {
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: 8000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let err = |e: hound::Error| AppError::Other(format!("writing {}: {e}", path.display()));
        let mut w = hound::WavWriter::create(path, spec).map_err(err)?;
        for (i, &c) in self.caller_pcm.iter().enumerate() {
            w.write_sample(c).map_err(err)?;
            w.write_sample(self.bot_pcm.get(i).copied().unwrap_or(0)).map_err(err)?;
        }
        w.finalize().map_err(err)
    }
}
