//! Reads a recording back, authenticating every chunk.

use std::io::Read;
use std::time::Duration;

use super::RecordingError;
use super::format::{
    CHUNK_PREFIX, ChunkCipher, Header, KIND_DATA, KIND_FINAL, MAX_SEALED, TAG_LEN, bytes_to_samples, read_full,
};
use super::key::RecordingKey;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Reading,
    /// The final chunk was read.
    Complete,
    /// The input stopped before a final chunk (a crash, or a cut file).
    Incomplete,
}

/// Streams the chunks of a recording. Each chunk is authenticated before its
/// samples are returned; a recording that stops without its final chunk
/// yields everything before the cut and then reports itself incomplete.
pub struct RecordingReader<R: Read> {
    input: R,
    header: Header,
    cipher: ChunkCipher,
    index: u32,
    state: State,
}

impl<R: Read> RecordingReader<R> {
    /// Reads the header and checks that `key` is the recording's key.
    pub fn open(mut input: R, key: &RecordingKey) -> Result<Self, RecordingError> {
        let (header, raw) = Header::read(&mut input)?;
        if header.key_id != key.id() {
            return Err(RecordingError::WrongKey {
                recording: header.key_id,
                given: key.id(),
            });
        }
        let cipher = ChunkCipher::new(key, &header, &raw);
        Ok(Self {
            input,
            header,
            cipher,
            index: 0,
            state: State::Reading,
        })
    }

    /// The recording's header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Whether the final chunk has been read (only meaningful once
    /// [`RecordingReader::next_chunk`] returned `None`).
    pub fn is_complete(&self) -> bool {
        self.state == State::Complete
    }

    /// The next chunk's interleaved samples; `None` at the end.
    pub fn next_chunk(&mut self) -> Result<Option<Vec<i16>>, RecordingError> {
        if self.state != State::Reading {
            return Ok(None);
        }
        let chunk = self.index;
        let mut prefix = [0u8; CHUNK_PREFIX];
        if read_full(&mut self.input, &mut prefix)? < CHUNK_PREFIX {
            self.state = State::Incomplete;
            return Ok(None);
        }
        let kind = prefix[0];
        let len = u32::from_le_bytes([prefix[1], prefix[2], prefix[3], prefix[4]]) as usize;
        if !(kind == KIND_DATA || kind == KIND_FINAL) || !(TAG_LEN..=MAX_SEALED).contains(&len) {
            return Err(RecordingError::Tampered { chunk });
        }
        let mut sealed = vec![0u8; len];
        if read_full(&mut self.input, &mut sealed)? < len {
            self.state = State::Incomplete;
            return Ok(None);
        }
        let plain = self
            .cipher
            .open(chunk, kind, &sealed)
            .ok_or(RecordingError::Tampered { chunk })?;
        if !plain.len().is_multiple_of(2 * self.header.channels as usize) {
            return Err(RecordingError::Corrupt(format!("chunk {chunk} is not whole frames")));
        }
        self.index = chunk.checked_add(1).ok_or(RecordingError::Tampered { chunk })?;
        if kind == KIND_FINAL {
            let mut extra = [0u8; 1];
            if read_full(&mut self.input, &mut extra)? != 0 {
                return Err(RecordingError::Corrupt("data after the final chunk".into()));
            }
            self.state = State::Complete;
        }
        Ok(Some(bytes_to_samples(&plain)))
    }
}

/// A whole recording, decrypted.
#[derive(Debug, Clone)]
pub struct Decrypted {
    /// Its header.
    pub header: Header,
    /// Interleaved samples (caller left, bot right).
    pub samples: Vec<i16>,
    /// Whether it ended with its final chunk; `false` after a crash or a cut.
    pub complete: bool,
}

impl Decrypted {
    /// Frames (samples per channel).
    pub fn frames(&self) -> usize {
        self.samples.len() / self.header.channels.max(1) as usize
    }

    /// Length of the audio.
    pub fn duration(&self) -> Duration {
        Duration::from_secs_f64(self.frames() as f64 / self.header.sample_rate.max(1) as f64)
    }

    /// The samples of one channel (0: caller, 1: bot).
    pub fn channel(&self, c: usize) -> Vec<i16> {
        let n = self.header.channels.max(1) as usize;
        self.samples.iter().skip(c).step_by(n).copied().collect()
    }
}

/// Decrypts a whole recording held in memory.
pub fn decrypt(bytes: &[u8], key: &RecordingKey) -> Result<Decrypted, RecordingError> {
    let mut r = RecordingReader::open(bytes, key)?;
    let mut samples = Vec::new();
    while let Some(chunk) = r.next_chunk()? {
        samples.extend_from_slice(&chunk);
    }
    Ok(Decrypted {
        complete: r.is_complete(),
        header: r.header,
        samples,
    })
}
