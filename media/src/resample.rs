//! Streaming sample-rate conversion on top of `rubato`'s synchronous FFT resampler.
//!
//! The call path needs fixed 20 ms chunks: 8 kHz → 16 kHz for speech
//! recognition (160 → 320 samples) and the TTS rate → 8 kHz for the caller
//! (e.g. 441 → 160 at 22.05 kHz). Input arrives in pieces of any length, so the
//! wrapper buffers up to one chunk and emits whole output chunks; the overlap
//! inside the FFT resampler keeps chunk edges click-free.

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Indexing, Resampler as _};

use crate::MediaError;

/// A mono streaming resampler between two fixed rates, in 20 ms chunks.
pub struct StreamResampler {
    inner: Fft<f32>,
    from_hz: u32,
    to_hz: u32,
    pending: Vec<f32>,
    chunk_in: usize,
    out_buf: Vec<f32>,
    /// Output frames still to discard to cancel the resampler's start-up delay.
    skip: usize,
    /// Input samples pushed since the last flush.
    in_total: u64,
    /// Output samples emitted since the last flush.
    out_total: u64,
}

impl std::fmt::Debug for StreamResampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamResampler")
            .field("from_hz", &self.from_hz)
            .field("to_hz", &self.to_hz)
            .field("chunk_in", &self.chunk_in)
            .finish()
    }
}

impl StreamResampler {
    /// Creates a resampler converting `from_hz` to `to_hz` in 20 ms input chunks.
    ///
    /// Both rates must be multiples of 50 Hz so that 20 ms is a whole number of
    /// samples on each side.
    pub fn new(from_hz: u32, to_hz: u32) -> Result<Self, MediaError> {
        if from_hz == 0 || to_hz == 0 || !from_hz.is_multiple_of(50) || !to_hz.is_multiple_of(50) {
            return Err(MediaError::UnsupportedRate { from_hz, to_hz });
        }
        let chunk = (from_hz / 50) as usize;
        let inner = Fft::<f32>::new(from_hz as usize, to_hz as usize, chunk, 1, FixedSync::Both)
            .map_err(|e| MediaError::Resampler(e.to_string()))?;
        let chunk_in = inner.input_frames_next();
        let out_len = inner.output_frames_max();
        let skip = inner.output_delay();
        Ok(Self {
            inner,
            from_hz,
            to_hz,
            pending: Vec::with_capacity(chunk_in),
            chunk_in,
            out_buf: vec![0.0; out_len],
            skip,
            in_total: 0,
            out_total: 0,
        })
    }

    /// Input rate in Hz.
    pub fn from_hz(&self) -> u32 {
        self.from_hz
    }

    /// Output rate in Hz.
    pub fn to_hz(&self) -> u32 {
        self.to_hz
    }

    /// Algorithmic delay in output samples (already trimmed from the output).
    pub fn delay_out(&self) -> usize {
        self.inner.output_delay()
    }

    /// Feeds PCM samples (f32 in [-1, 1]) and appends every completed output
    /// chunk to `out`. Leftover input waits for the next call.
    pub fn push(&mut self, input: &[f32], out: &mut Vec<f32>) -> Result<(), MediaError> {
        let mut rest = input;
        while !rest.is_empty() {
            let take = (self.chunk_in - self.pending.len()).min(rest.len());
            self.pending.extend_from_slice(&rest[..take]);
            self.in_total += take as u64;
            rest = &rest[take..];
            if self.pending.len() == self.chunk_in {
                let before = out.len();
                self.run_chunk(None, out)?;
                self.out_total += (out.len() - before) as u64;
                self.pending.clear();
            }
        }
        Ok(())
    }

    /// Flushes buffered input and the resampler's tail (zero padded), so that
    /// every sample pushed so far has come out, then resets for a new stream
    /// (the end of one TTS utterance, say).
    pub fn flush(&mut self, out: &mut Vec<f32>) -> Result<(), MediaError> {
        let target = (self.in_total * self.to_hz as u64).div_ceil(self.from_hz as u64);
        let start = out.len();
        let mut emitted = self.out_total;
        if !self.pending.is_empty() {
            let partial = self.pending.len();
            let before = out.len();
            self.run_chunk(Some(partial), out)?;
            emitted += (out.len() - before) as u64;
        }
        while emitted < target {
            let before = out.len();
            self.pending.clear();
            self.run_chunk(Some(0), out)?;
            emitted += (out.len() - before) as u64;
        }
        let excess = (emitted - target) as usize;
        out.truncate(out.len() - excess.min(out.len() - start));
        self.inner.reset();
        self.pending.clear();
        self.skip = self.inner.output_delay();
        self.in_total = 0;
        self.out_total = 0;
        Ok(())
    }

    fn run_chunk(&mut self, partial: Option<usize>, out: &mut Vec<f32>) -> Result<(), MediaError> {
        self.pending.resize(self.chunk_in, 0.0);
        let adapter_in = InterleavedSlice::new(&self.pending[..], 1, self.chunk_in)
            .map_err(|e| MediaError::Resampler(e.to_string()))?;
        let frames_out = self.out_buf.len();
        let mut adapter_out = InterleavedSlice::new_mut(&mut self.out_buf, 1, frames_out)
            .map_err(|e| MediaError::Resampler(e.to_string()))?;
        let indexing = partial.map(|n| Indexing {
            partial_len: Some(n),
            ..Default::default()
        });
        let (_, produced) = self
            .inner
            .process_into_buffer(&adapter_in, &mut adapter_out, indexing.as_ref())
            .map_err(|e| MediaError::Resampler(e.to_string()))?;
        let produced = &self.out_buf[..produced];
        let skip = self.skip.min(produced.len());
        self.skip -= skip;
        out.extend_from_slice(&produced[skip..]);
        Ok(())
    }
}

/// Converts a float sample to i16 with saturation.
#[inline]
pub fn f32_to_i16(s: f32) -> i16 {
    (s * 32768.0).round().clamp(-32768.0, 32767.0) as i16
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(hz: f32, rate: u32, n: usize, amp: f32) -> Vec<f32> {
        (0..n)
            .map(|i| amp * (2.0 * std::f32::consts::PI * hz * i as f32 / rate as f32).sin())
            .collect()
    }

    /// SNR of `got` against the best-fitting sinusoid at `hz` (least squares
    /// on sin/cos), over a window away from the edges.
    fn snr_db(got: &[f32], hz: f32, rate: u32) -> f64 {
        let w = 2.0 * std::f64::consts::PI * hz as f64 / rate as f64;
        let (mut ss, mut cc, mut sc, mut ys, mut yc) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for (i, &y) in got.iter().enumerate() {
            let (s, c) = ((w * i as f64).sin(), (w * i as f64).cos());
            ss += s * s;
            cc += c * c;
            sc += s * c;
            ys += y as f64 * s;
            yc += y as f64 * c;
        }
        let det = ss * cc - sc * sc;
        let a = (ys * cc - yc * sc) / det;
        let b = (yc * ss - ys * sc) / det;
        let (mut sig, mut noise) = (0.0, 0.0);
        for (i, &y) in got.iter().enumerate() {
            let fit = a * (w * i as f64).sin() + b * (w * i as f64).cos();
            sig += fit * fit;
            noise += (y as f64 - fit).powi(2);
        }
        10.0 * (sig / noise).log10()
    }

    #[test]
    fn chunk_sizes_are_20_ms() {
        for (from, to, out) in [
            (8000, 16000, 320),
            (22050, 8000, 160),
            (24000, 8000, 160),
            (16000, 8000, 160),
        ] {
            let mut r = StreamResampler::new(from, to).unwrap();
            let mut o = Vec::new();
            // Ten chunks, fed in odd-sized pieces.
            let input = tone(440.0, from, (from / 50 * 10) as usize, 0.5);
            for piece in input.chunks(97) {
                r.push(piece, &mut o).unwrap();
            }
            let expected = 10 * out - r.delay_out();
            assert_eq!(o.len(), expected, "{from}->{to}");
        }
    }

    #[test]
    fn tone_8k_to_16k_to_8k_keeps_40db_snr() {
        let mut up = StreamResampler::new(8000, 16000).unwrap();
        let mut down = StreamResampler::new(16000, 8000).unwrap();
        let input = tone(1000.0, 8000, 8000, 0.5);
        let (mut mid, mut back) = (Vec::new(), Vec::new());
        for frame in input.chunks(160) {
            let before = mid.len();
            up.push(frame, &mut mid).unwrap();
            let fresh = mid[before..].to_vec();
            down.push(&fresh, &mut back).unwrap();
        }
        assert!(back.len() > 6000, "got {}", back.len());
        let snr_mid = snr_db(&mid[800..mid.len() - 800], 1000.0, 16000);
        let snr = snr_db(&back[400..back.len() - 400], 1000.0, 8000);
        assert!(snr_mid >= 40.0, "8k->16k SNR {snr_mid:.1} dB");
        assert!(snr >= 40.0, "8k->16k->8k SNR {snr:.1} dB");
    }

    #[test]
    fn tts_rate_to_8k_is_clean_and_complete_after_flush() {
        let mut r = StreamResampler::new(22050, 8000).unwrap();
        let input = tone(700.0, 22050, 22050 / 2 + 123, 0.4);
        let mut out = Vec::new();
        r.push(&input, &mut out).unwrap();
        r.flush(&mut out).unwrap();
        let expected = input.len() * 8000 / 22050;
        assert!(
            (out.len() as i64 - expected as i64).abs() <= 2,
            "{} vs {expected}",
            out.len()
        );
        let snr = snr_db(&out[200..out.len() - 200], 700.0, 8000);
        assert!(snr >= 40.0, "SNR {snr:.1} dB");
    }

    #[test]
    fn rejects_rates_without_whole_20ms_chunks() {
        assert!(StreamResampler::new(44_101, 8000).is_err());
        assert!(StreamResampler::new(0, 8000).is_err());
    }
}
