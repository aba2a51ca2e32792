//! The simulated caller's voice: flite (a different engine and voice from
//! the bot's Piper), rendered to 8 kHz µ-law as a phone line carries it.

use std::process::Command;

use media::resample::{StreamResampler, f32_to_i16};

use crate::error::SimError;

/// flite voices that ship with Debian's `flite` package.
pub const VOICES: &[&str] = &["slt", "rms", "awb", "kal"];

/// Speaks `text` with flite `voice` as 8 kHz µ-law.
pub fn speak_ulaw(text: &str, voice: &str) -> Result<Vec<u8>, SimError> {
    let path = std::env::temp_dir().join(format!("sb-voice-{}-{}.wav", std::process::id(), fastrand::u64(..)));
    let status = Command::new("flite")
        .args(["-voice", voice, "-t", text, "-o"])
        .arg(&path)
        .status()
        .map_err(|e| SimError::Voice(format!("flite not runnable ({e}): ./scripts/setup.sh installs it")))?;
    if !status.success() {
        return Err(SimError::Voice(format!("flite failed ({status})")));
    }
    let reader = hound::WavReader::open(&path).map_err(|e| SimError::Voice(format!("flite output: {e}")));
    let _ = std::fs::remove_file(&path);
    let mut reader = reader?;
    let rate = reader.spec().sample_rate;
    let samples: Vec<f32> = reader
        .samples::<i16>()
        .map(|s| s.map(|x| x as f32 / 32768.0))
        .collect::<Result<_, _>>()
        .map_err(|e| SimError::Voice(format!("flite output: {e}")))?;
    let mut r = StreamResampler::new(rate, 8000).map_err(|e| SimError::Voice(format!("resampling: {e}")))?;
    let mut out = Vec::new();
    r.push(&samples, &mut out).map_err(|e| SimError::Voice(format!("resampling: {e}")))?;
    r.flush(&mut out).map_err(|e| SimError::Voice(format!("resampling: {e}")))?;
    Ok(out.iter().map(|&x| media::mulaw::encode(f32_to_i16(x))).collect())
}

/// Index just past the last sample louder than about -40 dBFS (the end of
/// speech, ignoring the synthesiser's trailing silence).
pub fn speech_end(ulaw: &[u8]) -> usize {
    ulaw.iter()
        .rposition(|&b| media::mulaw::decode(b).unsigned_abs() > 330)
        .map_or(0, |i| i + 1)
}
