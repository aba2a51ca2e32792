//! `switchboard recording decrypt`: a call's encrypted recording
//! (`<dir>/<CALL_SID>.swrec`) to a stereo WAV, caller left, bot right.

use std::path::{Path, PathBuf};
use std::time::Duration;

use media::recording::{KeyId, RecordingKey, RecordingReader};

use crate::error::AppError;

/// What a decrypted recording held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Frames written (samples per channel, 8 kHz).
    pub frames: u64,
    /// Whether the recording was finished when its call ended; `false`: the
    /// process stopped mid-call, and the audio up to that point was recovered.
    pub complete: bool,
    /// The key it was sealed with.
    pub key_id: KeyId,
    /// When the recording started, Unix milliseconds.
    pub started_unix_ms: u64,
}

impl Summary {
    /// Length of the audio.
    pub fn duration(&self) -> Duration {
        Duration::from_millis(self.frames / 8)
    }
}

/// The recording file of `call_id` under `dir`.
pub fn path(dir: &Path, call_id: &str) -> Result<PathBuf, AppError> {
    media::recording::file_name(call_id)
        .map(|name| dir.join(name))
        .ok_or_else(|| AppError::Other(format!("invalid call id {call_id:?}")))
}

/// Decrypts the recording of `call_id` at `src` into a WAV at `out`. Every
/// chunk is authenticated before it is written; on any error the partial
/// WAV is removed.
pub fn decrypt_to_wav(src: &Path, key: &RecordingKey, call_id: &str, out: &Path) -> Result<Summary, AppError> {
    let result = write_wav(src, key, call_id, out);
    if result.is_err() {
        let _ = std::fs::remove_file(out);
    }
    result
}

fn write_wav(src: &Path, key: &RecordingKey, call_id: &str, out: &Path) -> Result<Summary, AppError> {
    let file = std::io::BufReader::new(std::fs::File::open(src)?);
    let mut reader = RecordingReader::open(file, key)?;
    let header = reader.header().clone();
    if header.call_id != call_id {
        // The call id is authenticated with the audio: this file was renamed.
        return Err(AppError::Other(format!(
            "{} holds the recording of another call",
            src.display()
        )));
    }
    let spec = hound::WavSpec {
        channels: header.channels,
        sample_rate: header.sample_rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let wav_err = |e: hound::Error| AppError::Other(format!("writing {}: {e}", out.display()));
    let mut wav = hound::WavWriter::create(out, spec).map_err(wav_err)?;
    let mut samples = 0u64;
    while let Some(chunk) = reader.next_chunk()? {
        let mut w = wav.get_i16_writer(chunk.len() as u32);
        for s in &chunk {
            w.write_sample(*s);
        }
        w.flush().map_err(wav_err)?;
        samples += chunk.len() as u64;
    }
    wav.finalize().map_err(wav_err)?;
    Ok(Summary {
        frames: samples / u64::from(header.channels.max(1)),
        complete: reader.is_complete(),
        key_id: header.key_id,
        started_unix_ms: header.started_unix_ms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use media::recording::RecordingWriter;

    #[test]
    fn decrypts_to_a_stereo_wav_and_refuses_a_renamed_file() {
        let dir = std::env::temp_dir().join(format!("sb-rec-wav-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let key = RecordingKey::from_bytes([5; 32]);
        let src = path(&dir, "CAwav1").unwrap();
        let mut w = RecordingWriter::new(std::fs::File::create(&src).unwrap(), &key, "CAwav1", 0).unwrap();
        let block: Vec<i16> = (0..16_000).map(|i| if i % 2 == 0 { 1000 } else { -1000 }).collect();
        w.write_chunk(&block).unwrap();
        w.finish(&block[..800]).unwrap();
        let out = dir.join("out.wav");
        let s = decrypt_to_wav(&src, &key, "CAwav1", &out).unwrap();
        assert!(s.complete);
        assert_eq!(s.frames, 8400);
        assert_eq!(s.duration(), Duration::from_millis(1050));
        let mut r = hound::WavReader::open(&out).unwrap();
        assert_eq!((r.spec().channels, r.spec().sample_rate), (2, 8000));
        let got: Vec<i16> = r.samples::<i16>().map(Result::unwrap).collect();
        assert_eq!(got[..4], [1000, -1000, 1000, -1000]);
        assert_eq!(got.len(), 16_800);
        // Another call's name: refused, and no WAV is left behind.
        std::fs::copy(&src, dir.join("CAother.swrec")).unwrap();
        let e = decrypt_to_wav(&dir.join("CAother.swrec"), &key, "CAother", &out).unwrap_err();
        assert!(e.to_string().contains("another call"), "{e}");
        assert!(!out.exists());
        // The wrong key.
        let e = decrypt_to_wav(&src, &RecordingKey::from_bytes([6; 32]), "CAwav1", &out).unwrap_err();
        assert!(e.to_string().contains("wrong key"), "{e}");
        assert!(path(&dir, "../x").is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
