//! The container: a clear header, then sealed chunks.
//!
//! ```text
//! header (little endian)
//!   0   6  magic "SWREC\x1a"
//!   6   2  version (1)
//!   8   8  key id (first 8 bytes of SHA-256 of the key)
//!  16   4  sample rate (8000)
//!  20   2  channels (2: caller left, bot right)
//!  22   2  bits per sample (16)
//!  24   8  nonce prefix (random per recording)
//!  32   8  start of the recording, Unix milliseconds
//!  40   2  call id length n (1..=128)
//!  42   n  call id (ASCII letters, digits, '-', '_')
//! chunk, repeated
//!   1      kind: 0 data, 1 final (the last chunk of a finished recording)
//!   4      sealed length L (little endian, plaintext + 16-byte tag)
//!   L      AES-256-GCM of interleaved stereo PCM16 (little endian)
//!          nonce = prefix ‖ chunk index (u32 big endian)
//!          AAD   = SHA-256(header) ‖ chunk index (u32 big endian) ‖ kind
//! ```
//!
//! The AAD ties every chunk to its header, its place and its kind: a changed
//! byte, a swapped or dropped chunk, or a chunk falsely marked final fails
//! authentication; a file that simply stops (a crash) has no final chunk.

use std::io::Read;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use sha2::{Digest, Sha256};

use super::key::{KeyId, RecordingKey};
use super::{CHANNELS, RecordingError, SAMPLE_RATE};

/// First bytes of every recording.
pub const MAGIC: [u8; 6] = *b"SWREC\x1a";
/// The container version written.
pub const VERSION: u16 = 1;
/// Fixed part of the header, before the call id.
const FIXED_LEN: usize = 42;
/// Longest call id.
pub const MAX_CALL_ID: usize = 128;
/// Bytes of the GCM tag.
pub const TAG_LEN: usize = 16;
/// Largest sealed chunk accepted (a chunk is about one second: 32 kB).
pub const MAX_SEALED: usize = 1 << 20;
/// Chunk framing before the sealed bytes: kind and length.
pub const CHUNK_PREFIX: usize = 5;
/// Chunk kind: more follow.
pub const KIND_DATA: u8 = 0;
/// Chunk kind: the recording's last.
pub const KIND_FINAL: u8 = 1;

/// The clear header of a recording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Container version.
    pub version: u16,
    /// The key the recording was sealed with.
    pub key_id: KeyId,
    /// Samples per second per channel.
    pub sample_rate: u32,
    /// Interleaved channels.
    pub channels: u16,
    /// Random per recording; with the chunk index, the GCM nonce.
    pub nonce_prefix: [u8; 8],
    /// When the recording started, Unix milliseconds.
    pub started_unix_ms: u64,
    /// The call (Twilio `CallSid`).
    pub call_id: String,
}

impl Header {
    /// A header for a new recording under `key` with a fresh nonce prefix.
    pub fn new(key: &RecordingKey, call_id: &str, started_unix_ms: u64) -> Result<Self, RecordingError> {
        if !valid_call_id(call_id) {
            return Err(RecordingError::InvalidCallId);
        }
        let mut nonce_prefix = [0u8; 8];
        getrandom::fill(&mut nonce_prefix).map_err(|e| RecordingError::Random(e.to_string()))?;
        Ok(Self {
            version: VERSION,
            key_id: key.id(),
            sample_rate: SAMPLE_RATE,
            channels: CHANNELS,
            nonce_prefix,
            started_unix_ms,
            call_id: call_id.to_owned(),
        })
    }

    /// The header's bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(FIXED_LEN + self.call_id.len());
        b.extend_from_slice(&MAGIC);
        b.extend_from_slice(&self.version.to_le_bytes());
        b.extend_from_slice(&self.key_id.0);
        b.extend_from_slice(&self.sample_rate.to_le_bytes());
        b.extend_from_slice(&self.channels.to_le_bytes());
        b.extend_from_slice(&16u16.to_le_bytes());
        b.extend_from_slice(&self.nonce_prefix);
        b.extend_from_slice(&self.started_unix_ms.to_le_bytes());
        b.extend_from_slice(&(self.call_id.len() as u16).to_le_bytes());
        b.extend_from_slice(self.call_id.as_bytes());
        b
    }

    /// Reads a header, returning it with its exact bytes (they go into every
    /// chunk's AAD).
    pub fn read(r: &mut impl Read) -> Result<(Self, Vec<u8>), RecordingError> {
        let mut raw = vec![0u8; FIXED_LEN];
        let n = read_full(r, &mut raw)?;
        let m = n.min(MAGIC.len());
        if raw[..m] != MAGIC[..m] {
            return Err(RecordingError::NotARecording);
        }
        if n < FIXED_LEN {
            return Err(RecordingError::Truncated);
        }
        let u16_at = |i: usize| u16::from_le_bytes([raw[i], raw[i + 1]]);
        let version = u16_at(6);
        if version != VERSION {
            return Err(RecordingError::UnsupportedVersion(version));
        }
        let mut key_id = [0u8; 8];
        key_id.copy_from_slice(&raw[8..16]);
        let sample_rate = u32::from_le_bytes([raw[16], raw[17], raw[18], raw[19]]);
        let channels = u16_at(20);
        let bits = u16_at(22);
        let mut nonce_prefix = [0u8; 8];
        nonce_prefix.copy_from_slice(&raw[24..32]);
        let mut started = [0u8; 8];
        started.copy_from_slice(&raw[32..40]);
        let id_len = u16_at(40) as usize;
        if sample_rate == 0 || channels == 0 || bits != 16 || id_len == 0 || id_len > MAX_CALL_ID {
            return Err(RecordingError::Corrupt("invalid header".into()));
        }
        let mut id = vec![0u8; id_len];
        if read_full(r, &mut id)? < id_len {
            return Err(RecordingError::Truncated);
        }
        raw.extend_from_slice(&id);
        let call_id = String::from_utf8(id).map_err(|_| RecordingError::Corrupt("invalid call id".into()))?;
        if !valid_call_id(&call_id) {
            return Err(RecordingError::Corrupt("invalid call id".into()));
        }
        let header = Self {
            version,
            key_id: KeyId(key_id),
            sample_rate,
            channels,
            nonce_prefix,
            started_unix_ms: u64::from_le_bytes(started),
            call_id,
        };
        Ok((header, raw))
    }
}

/// Whether `id` can name a recording (and a file): 1 to 128 ASCII letters,
/// digits, `-` or `_`.
pub fn valid_call_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_CALL_ID && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Seals and opens the chunks of one recording.
pub(super) struct ChunkCipher {
    cipher: Aes256Gcm,
    prefix: [u8; 8],
    header_hash: [u8; 32],
}

impl ChunkCipher {
    pub(super) fn new(key: &RecordingKey, header: &Header, header_bytes: &[u8]) -> Self {
        let mut header_hash = [0u8; 32];
        header_hash.copy_from_slice(&Sha256::digest(header_bytes));
        Self {
            cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key.bytes())),
            prefix: header.nonce_prefix,
            header_hash,
        }
    }

    fn nonce_aad(&self, index: u32, kind: u8) -> ([u8; 12], [u8; 37]) {
        let mut nonce = [0u8; 12];
        nonce[..8].copy_from_slice(&self.prefix);
        nonce[8..].copy_from_slice(&index.to_be_bytes());
        let mut aad = [0u8; 37];
        aad[..32].copy_from_slice(&self.header_hash);
        aad[32..36].copy_from_slice(&index.to_be_bytes());
        aad[36] = kind;
        (nonce, aad)
    }

    /// Seals chunk `index` of `kind`.
    pub(super) fn seal(&self, index: u32, kind: u8, plaintext: &[u8]) -> Result<Vec<u8>, RecordingError> {
        let (nonce, aad) = self.nonce_aad(index, kind);
        self.cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .map_err(|_| RecordingError::Corrupt("chunk too large to seal".into()))
    }

    /// Opens chunk `index` of `kind`; `None` when it does not authenticate.
    pub(super) fn open(&self, index: u32, kind: u8, sealed: &[u8]) -> Option<Vec<u8>> {
        let (nonce, aad) = self.nonce_aad(index, kind);
        self.cipher
            .decrypt(Nonce::from_slice(&nonce), Payload { msg: sealed, aad: &aad })
            .ok()
    }
}

/// Interleaved samples as little-endian bytes.
pub(super) fn samples_to_bytes(samples: &[i16]) -> Vec<u8> {
    let mut b = Vec::with_capacity(samples.len() * 2);
    for s in samples {
        b.extend_from_slice(&s.to_le_bytes());
    }
    b
}

/// Little-endian bytes back to samples (`bytes` has even length).
pub(super) fn bytes_to_samples(bytes: &[u8]) -> Vec<i16> {
    bytes
        .chunks_exact(2)
        .map(|p| i16::from_le_bytes([p[0], p[1]]))
        .collect()
}

/// Reads until `buf` is full or the input ends; returns the bytes read.
pub(super) fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trips() {
        let key = RecordingKey::from_bytes([7; 32]);
        let h = Header::new(&key, "CA0123abc_-", 1_700_000_000_000).unwrap();
        let bytes = h.encode();
        assert_eq!(bytes.len(), FIXED_LEN + 11);
        let (back, raw) = Header::read(&mut bytes.as_slice()).unwrap();
        assert_eq!(back, h);
        assert_eq!(raw, bytes);
        let other = Header::new(&key, "CA0123abc_-", 1_700_000_000_000).unwrap();
        assert_ne!(other.nonce_prefix, h.nonce_prefix, "a fresh prefix per recording");
    }

    #[test]
    fn call_ids_that_could_escape_a_directory_are_refused() {
        for bad in ["", "../etc/passwd", "a/b", "CA.1", "é", &"x".repeat(129)] {
            assert!(!valid_call_id(bad), "{bad:?}");
        }
        assert!(valid_call_id("CA0123456789abcdef0123456789abcdef"));
        let key = RecordingKey::from_bytes([1; 32]);
        assert!(matches!(
            Header::new(&key, "../x", 0),
            Err(RecordingError::InvalidCallId)
        ));
    }

    #[test]
    fn not_a_recording() {
        assert!(matches!(
            Header::read(&mut &b"RIFF\0\0\0\0WAVEfmt "[..]),
            Err(RecordingError::NotARecording)
        ));
        assert!(matches!(Header::read(&mut &b"SWR"[..]), Err(RecordingError::Truncated)));
        assert!(matches!(Header::read(&mut &b""[..]), Err(RecordingError::Truncated)));
    }
}
