//! The media plane: codecs, resampling, DTMF, inbound sequencing, an energy
//! speech gate, outbound pacing and encrypted call recordings. Pure DSP and
//! state machines: no sockets, no tasks, no wall clock (callers pass
//! `Instant`s in); recordings are written to any [`recording::SyncWrite`].

pub mod dtmf;
pub mod jitter;
pub mod level;
pub mod mix;
pub mod mulaw;
pub mod playout;
pub mod recording;
pub mod resample;
pub mod sequence;

/// Samples in one 20 ms frame at 8 kHz.
pub const FRAME_8K: usize = 160;

/// Errors of the media crate.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum MediaError {
    /// A rate pair the streaming resampler cannot run in 20 ms chunks.
    #[error("unsupported resampling {from_hz} Hz -> {to_hz} Hz (rates must be multiples of 50 Hz)")]
    UnsupportedRate {
        /// Input rate.
        from_hz: u32,
        /// Output rate.
        to_hz: u32,
    },
    /// The resampler failed.
    #[error("resampler: {0}")]
    Resampler(String),
    /// Not a DTMF key.
    #[error("not a DTMF key: {0:?}")]
    InvalidDtmf(char),
}
