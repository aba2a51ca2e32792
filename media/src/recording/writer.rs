//! Writes a recording chunk by chunk, each made durable before the next.

use std::io::Write;

use super::RecordingError;
use super::format::{ChunkCipher, Header, KIND_DATA, KIND_FINAL, MAX_SEALED, TAG_LEN, samples_to_bytes};
use super::key::RecordingKey;

/// An output that can be made durable (`fsync`).
pub trait SyncWrite: Write {
    /// Makes everything written so far durable.
    fn sync(&mut self) -> std::io::Result<()>;
}

impl SyncWrite for std::fs::File {
    fn sync(&mut self) -> std::io::Result<()> {
        self.sync_data()
    }
}

impl SyncWrite for Vec<u8> {
    fn sync(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<W: SyncWrite + ?Sized> SyncWrite for &mut W {
    fn sync(&mut self) -> std::io::Result<()> {
        (**self).sync()
    }
}

/// Seals interleaved stereo PCM16 into a recording. Each chunk is written
/// and synced before [`RecordingWriter::write_chunk`] returns, so a crash
/// loses at most the chunk being written; [`RecordingWriter::finish`] writes
/// the final chunk that marks the recording complete.
pub struct RecordingWriter<W: SyncWrite> {
    out: W,
    header: Header,
    cipher: ChunkCipher,
    index: u32,
    samples: u64,
}

impl<W: SyncWrite> RecordingWriter<W> {
    /// Starts a recording of `call_id` on `out` under `key`: writes and syncs
    /// the header.
    pub fn new(mut out: W, key: &RecordingKey, call_id: &str, started_unix_ms: u64) -> Result<Self, RecordingError> {
        let header = Header::new(key, call_id, started_unix_ms)?;
        let bytes = header.encode();
        let cipher = ChunkCipher::new(key, &header, &bytes);
        out.write_all(&bytes)?;
        out.flush()?;
        out.sync()?;
        Ok(Self {
            out,
            header,
            cipher,
            index: 0,
            samples: 0,
        })
    }

    /// The recording's header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Interleaved samples written so far.
    pub fn samples_written(&self) -> u64 {
        self.samples
    }

    /// Seals `interleaved` (frames of both channels) as the next chunk and
    /// makes it durable. An empty slice writes nothing.
    pub fn write_chunk(&mut self, interleaved: &[i16]) -> Result<(), RecordingError> {
        if interleaved.is_empty() {
            return Ok(());
        }
        self.seal(KIND_DATA, interleaved)
    }

    /// Writes the final chunk (`interleaved` may be empty), syncs and returns
    /// the output.
    pub fn finish(mut self, interleaved: &[i16]) -> Result<W, RecordingError> {
        self.seal(KIND_FINAL, interleaved)?;
        Ok(self.out)
    }

    fn seal(&mut self, kind: u8, interleaved: &[i16]) -> Result<(), RecordingError> {
        if !interleaved.len().is_multiple_of(self.header.channels as usize) {
            return Err(RecordingError::Corrupt("chunk is not whole frames".into()));
        }
        let plain = samples_to_bytes(interleaved);
        if plain.len() + TAG_LEN > MAX_SEALED {
            return Err(RecordingError::Corrupt("chunk too large".into()));
        }
        let index = self.index;
        self.index = index
            .checked_add(1)
            .ok_or_else(|| RecordingError::Corrupt("too many chunks".into()))?;
        let sealed = self.cipher.seal(index, kind, &plain)?;
        let mut framed = Vec::with_capacity(5 + sealed.len());
        framed.push(kind);
        framed.extend_from_slice(&(sealed.len() as u32).to_le_bytes());
        framed.extend_from_slice(&sealed);
        self.out.write_all(&framed)?;
        self.out.flush()?;
        self.out.sync()?;
        self.samples += interleaved.len() as u64;
        Ok(())
    }
}
