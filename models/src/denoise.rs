//! Noise suppression before the recogniser: RNNoise (the pure-Rust
//! `nnnoiseless` port, weights built in), which takes 48 kHz audio in 10 ms
//! frames. Call audio (8 kHz) is resampled up to it and the cleaned signal
//! down to the 16 kHz Whisper takes, in one streaming pass.
//!
//! Sans-IO: samples in, samples out, no clock. The cost is one small
//! recurrent network per 10 ms frame per call (see BENCHMARKS.md).

use media::resample::StreamResampler;
use nnnoiseless::DenoiseState;

use crate::ModelError;

/// RNNoise's rate.
const RATE: u32 = 48_000;
/// Samples per RNNoise frame (10 ms at 48 kHz).
const FRAME: usize = DenoiseState::FRAME_SIZE;

/// Streaming noise suppression from one rate to another (through 48 kHz).
pub struct Denoiser {
    up: StreamResampler,
    down: StreamResampler,
    state: Box<DenoiseState<'static>>,
    /// 48 kHz samples (in i16 scale) waiting for a whole frame.
    pending: Vec<f32>,
    frame_out: Vec<f32>,
    scratch: Vec<f32>,
    /// Frames processed (the first is RNNoise's fade-in and is dropped).
    frames: u64,
}

impl std::fmt::Debug for Denoiser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Denoiser")
            .field("frames", &self.frames)
            .finish_non_exhaustive()
    }
}

impl Denoiser {
    /// A denoiser taking `from_hz` audio and giving `to_hz` audio.
    pub fn new(from_hz: u32, to_hz: u32) -> Result<Self, ModelError> {
        let map = |e: media::MediaError| ModelError::Input(e.to_string());
        Ok(Self {
            up: StreamResampler::new(from_hz, RATE).map_err(map)?,
            down: StreamResampler::new(RATE, to_hz).map_err(map)?,
            state: DenoiseState::new(),
            pending: Vec::with_capacity(FRAME * 2),
            frame_out: vec![0.0; FRAME],
            scratch: Vec::with_capacity(FRAME * 2),
            frames: 0,
        })
    }

    /// Cleans `input` (samples in -1..1) and appends what is ready to `out`.
    pub fn push(&mut self, input: &[f32], out: &mut Vec<f32>) -> Result<(), ModelError> {
        self.scratch.clear();
        self.up
            .push(input, &mut self.scratch)
            .map_err(|e| ModelError::Input(e.to_string()))?;
        self.pending.extend(self.scratch.iter().map(|s| s * 32768.0));
        self.scratch.clear();
        let mut at = 0;
        while self.pending.len() - at >= FRAME {
            self.state
                .process_frame(&mut self.frame_out, &self.pending[at..at + FRAME]);
            at += FRAME;
            self.frames += 1;
            if self.frames == 1 {
                // Fade-in artefacts: silence instead (keeps the timeline).
                self.frame_out.iter_mut().for_each(|s| *s = 0.0);
            }
            self.scratch.extend(self.frame_out.iter().map(|s| s / 32768.0));
        }
        self.pending.drain(..at);
        let cleaned = std::mem::take(&mut self.scratch);
        let r = self
            .down
            .push(&cleaned, out)
            .map_err(|e| ModelError::Input(e.to_string()));
        self.scratch = cleaned;
        r
    }

    /// Pushes out what is held back (the end of the audio).
    pub fn flush(&mut self, out: &mut Vec<f32>) -> Result<(), ModelError> {
        if !self.pending.is_empty() {
            self.pending.resize(FRAME, 0.0);
            self.state.process_frame(&mut self.frame_out, &self.pending);
            self.pending.clear();
            let tail: Vec<f32> = self.frame_out.iter().map(|s| s / 32768.0).collect();
            self.down
                .push(&tail, out)
                .map_err(|e| ModelError::Input(e.to_string()))?;
        }
        self.down.flush(out).map_err(|e| ModelError::Input(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn power(x: &[f32]) -> f64 {
        x.iter().map(|&s| (s as f64).powi(2)).sum::<f64>() / x.len().max(1) as f64
    }

    #[test]
    fn hiss_is_suppressed_and_the_rate_converted() {
        // Two seconds of white noise at -30 dBFS, 8 kHz in, 16 kHz out.
        let mut rng = 12345u64;
        let mut noise = || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            ((rng >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0) as f32 * 0.055
        };
        let input: Vec<f32> = (0..16_000).map(|_| noise()).collect();
        let mut d = Denoiser::new(8000, 16_000).unwrap();
        let mut out = Vec::new();
        for chunk in input.chunks(160) {
            d.push(chunk, &mut out).unwrap();
        }
        d.flush(&mut out).unwrap();
        let len = out.len() as i64;
        assert!((len - 32_000).abs() < 1_000, "{len} samples out");
        // The second half (past the network's settling) is far quieter.
        let gain_db = 10.0 * (power(&out[16_000..]) / power(&input[8_000..])).log10();
        assert!(gain_db < -10.0, "hiss only {gain_db:.1} dB down");
    }
}
