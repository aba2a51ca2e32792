//! Encrypted call recordings: both sides of a call as stereo PCM16 at 8 kHz
//! (caller left, bot right), sealed with AES-256-GCM in chunks of about one
//! second as the call runs.
//!
//! - [`key`]: the key (64 hex characters) and its public id, stored with
//!   each recording.
//! - [`format`]: the container, a clear header then authenticated chunks.
//! - [`writer`]: seals and syncs chunk by chunk; a crash loses at most the
//!   chunk being written, and the recording then reads back as incomplete.
//! - [`reader`]: authenticates and opens; a wrong key, a changed byte or a
//!   reordered chunk is an error, never silently wrong audio.
//! - [`stereo`]: puts the two sides of a call on one timeline, in blocks.

pub mod format;
pub mod key;
pub mod reader;
pub mod stereo;
pub mod writer;

pub use format::{Header, valid_call_id};
pub use key::{KeyId, RecordingKey};
pub use reader::{Decrypted, RecordingReader, decrypt};
pub use stereo::StereoAligner;
pub use writer::{RecordingWriter, SyncWrite};

/// Sample rate of recordings.
pub const SAMPLE_RATE: u32 = 8000;
/// Channels of recordings: caller, bot.
pub const CHANNELS: u16 = 2;
/// File name extension of recordings.
pub const EXTENSION: &str = "swrec";

/// The file name of a call's recording (`<call id>.swrec`), or `None` when
/// the id could name another path.
pub fn file_name(call_id: &str) -> Option<String> {
    valid_call_id(call_id).then(|| format!("{call_id}.{EXTENSION}"))
}

/// Errors of recordings.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecordingError {
    /// Reading or writing the file.
    #[error("recording I/O: {0}")]
    Io(#[from] std::io::Error),
    /// The key given is malformed (the message never contains it).
    #[error("invalid recording key: {0}")]
    InvalidKey(String),
    /// The recording was sealed with another key.
    #[error("wrong key: the recording needs key {recording}, this key is {given}")]
    WrongKey {
        /// The recording's key id.
        recording: KeyId,
        /// The given key's id.
        given: KeyId,
    },
    /// A chunk failed authentication: the file was changed, or chunks were
    /// moved or dropped.
    #[error("recording tampered with or damaged: chunk {chunk} fails authentication")]
    Tampered {
        /// Index of the chunk.
        chunk: u32,
    },
    /// The file ends inside its header: nothing can be recovered.
    #[error("recording truncated inside its header")]
    Truncated,
    /// Structurally invalid.
    #[error("corrupt recording: {0}")]
    Corrupt(String),
    /// Not a recording at all.
    #[error("not a switchboard recording")]
    NotARecording,
    /// Written by a newer version.
    #[error("unsupported recording version {0}")]
    UnsupportedVersion(u16),
    /// The call id could name another path.
    #[error("invalid call id (letters, digits, '-' and '_' only, at most 128)")]
    InvalidCallId,
    /// The system's random source failed.
    #[error("random source: {0}")]
    Random(String),
}

#[cfg(test)]
mod tests;
