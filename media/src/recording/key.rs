//! The recording key: 32 bytes given as 64 hex characters, and its public id.

use std::fmt;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::RecordingError;

/// Identifies a key without revealing it: the first 8 bytes of its SHA-256.
/// Stored in each recording's header, so a recording names the key it needs.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyId(pub [u8; 8]);

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

/// An AES-256 key for recordings. `Debug` shows only its id.
#[derive(Clone)]
pub struct RecordingKey {
    bytes: [u8; 32],
    id: KeyId,
}

impl RecordingKey {
    /// The key from its 32 raw bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        let digest = Sha256::digest(bytes);
        let mut id = [0u8; 8];
        id.copy_from_slice(&digest[..8]);
        Self { bytes, id: KeyId(id) }
    }

    /// Parses 64 hex characters (surrounding whitespace ignored). The error
    /// never contains the text it was given.
    pub fn from_hex(text: &str) -> Result<Self, RecordingError> {
        let text = text.trim();
        if text.len() != 64 {
            return Err(RecordingError::InvalidKey(format!(
                "expected 64 hex characters (32 bytes), got {}",
                text.len()
            )));
        }
        let mut bytes = [0u8; 32];
        for (i, pair) in text.as_bytes().chunks_exact(2).enumerate() {
            let hi = hex_digit(pair[0]);
            let lo = hex_digit(pair[1]);
            match (hi, lo) {
                (Some(h), Some(l)) => bytes[i] = (h << 4) | l,
                _ => return Err(RecordingError::InvalidKey("not hexadecimal".into())),
            }
        }
        Ok(Self::from_bytes(bytes))
    }

    /// Reads a key file holding 64 hex characters.
    pub fn from_file(path: &Path) -> Result<Self, RecordingError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| RecordingError::InvalidKey(format!("reading key file {}: {e}", path.display())))?;
        Self::from_hex(&text).map_err(|e| match e {
            RecordingError::InvalidKey(why) => {
                RecordingError::InvalidKey(format!("key file {}: {why}", path.display()))
            }
            other => other,
        })
    }

    /// A fresh random key (tests, key generation).
    pub fn generate() -> Result<Self, RecordingError> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| RecordingError::Random(e.to_string()))?;
        Ok(Self::from_bytes(bytes))
    }

    /// The key's public id.
    pub fn id(&self) -> KeyId {
        self.id
    }

    pub(super) fn bytes(&self) -> &[u8; 32] {
        &self.bytes
    }
}

impl fmt::Debug for RecordingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordingKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl Drop for RecordingKey {
    fn drop(&mut self) {
        // Best effort: do not leave the key in freed memory.
        self.bytes.fill(0);
        std::hint::black_box(&self.bytes);
    }
}

fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    #[test]
    fn parses_hex_and_derives_the_id() {
        let k = RecordingKey::from_hex(&format!("  {HEX}\n")).unwrap();
        assert_eq!(k.bytes()[31], 0x1f);
        // SHA-256 of bytes 0..32, first 8 bytes.
        assert_eq!(k.id().to_string(), "630dcd2966c43366");
        assert_eq!(RecordingKey::from_hex(&HEX.to_uppercase()).unwrap().id(), k.id());
        let dbg = format!("{k:?}");
        assert!(dbg.contains("630dcd2966c43366") && !dbg.contains("0a0b0c"), "{dbg}");
    }

    #[test]
    fn bad_keys_are_refused_without_echoing_them() {
        let short = RecordingKey::from_hex("abcd").unwrap_err().to_string();
        assert!(short.contains("64 hex") && !short.contains("abcd"), "{short}");
        let bad = format!("{}zz", &HEX[..62]);
        let e = RecordingKey::from_hex(&bad).unwrap_err().to_string();
        assert!(e.contains("hexadecimal") && !e.contains(&bad), "{e}");
    }
}
