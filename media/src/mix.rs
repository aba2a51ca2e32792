//! Mixing for the people who join a call from the console: the two sides of
//! the call (caller and bot, lined up by
//! [`crate::recording::StereoAligner`]) into the one mono signal a
//! listening supervisor hears, as G.711 µ-law for the browser (PCMU needs
//! no transcoding on its side). Sans-IO: samples in, samples out.

use crate::mulaw;

/// Sums `sources` sample by sample into `out` (as long as the longest
/// source; a shorter one counts as silence there), saturating at the i16
/// range rather than wrapping.
pub fn mix_into(sources: &[&[i16]], out: &mut Vec<i16>) {
    let len = sources.iter().map(|s| s.len()).max().unwrap_or(0);
    out.clear();
    out.extend((0..len).map(|i| {
        let sum: i32 = sources.iter().filter_map(|s| s.get(i)).map(|&v| i32::from(v)).sum();
        sum.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16
    }));
}

/// A gain in dB as a linear factor.
pub fn db_to_linear(db: f32) -> f32 {
    10f32.powf(db / 20.0)
}

/// Scales `pcm` by `db` decibels, saturating.
pub fn apply_gain(pcm: &mut [i16], db: f32) {
    let g = db_to_linear(db);
    for v in pcm {
        *v = (f32::from(*v) * g)
            .round()
            .clamp(f32::from(i16::MIN), f32::from(i16::MAX)) as i16;
    }
}

/// Gain of each side in a listener's mix: two sides at full level would
/// clip where the caller talks over the bot; 3 dB down each keeps most of
/// that headroom for a small loss of loudness.
pub const SIDE_GAIN_DB: f32 = -3.0;

/// One interleaved stereo block (left, right, left, …) as mono: each side
/// at `side_db`, summed, saturating.
pub fn stereo_to_mono(interleaved: &[i16], side_db: f32, out: &mut Vec<i16>) {
    let g = db_to_linear(side_db);
    out.clear();
    out.extend(interleaved.chunks_exact(2).map(|lr| {
        ((f32::from(lr[0]) + f32::from(lr[1])) * g)
            .round()
            .clamp(f32::from(i16::MIN), f32::from(i16::MAX)) as i16
    }));
}

/// Cuts the mixed call audio for a listener into 20 ms µ-law frames (160
/// bytes at 8 kHz), whatever size the blocks come in.
#[derive(Debug, Default)]
pub struct ListenFramer {
    pending: Vec<i16>,
    mono: Vec<i16>,
}

/// Samples in one 20 ms frame at 8 kHz.
pub const FRAME_SAMPLES: usize = 160;

impl ListenFramer {
    /// A framer with nothing pending.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a stereo block (caller left, bot right); returns the whole
    /// frames now ready, each 160 bytes of µ-law.
    pub fn push_stereo(&mut self, interleaved: &[i16]) -> Vec<Vec<u8>> {
        stereo_to_mono(interleaved, SIDE_GAIN_DB, &mut self.mono);
        self.pending.extend_from_slice(&self.mono);
        let whole = self.pending.len() / FRAME_SAMPLES * FRAME_SAMPLES;
        let frames = self.pending[..whole]
            .chunks_exact(FRAME_SAMPLES)
            .map(|f| {
                let mut out = Vec::with_capacity(FRAME_SAMPLES);
                mulaw::encode_into(f, &mut out);
                out
            })
            .collect();
        self.pending.drain(..whole);
        frames
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(freq: f32, amp: f32, n: usize) -> Vec<i16> {
        (0..n)
            .map(|i| (amp * (2.0 * std::f32::consts::PI * freq * i as f32 / 8000.0).sin()) as i16)
            .collect()
    }

    /// Energy of `x` at `freq` (one bin of a DFT), normalised.
    fn tone(x: &[i16], freq: f32) -> f32 {
        let (mut re, mut im) = (0.0f32, 0.0f32);
        for (i, &v) in x.iter().enumerate() {
            let ph = 2.0 * std::f32::consts::PI * freq * i as f32 / 8000.0;
            re += v as f32 * ph.cos();
            im += v as f32 * ph.sin();
        }
        (re * re + im * im).sqrt() / x.len() as f32
    }

    #[test]
    fn both_sides_are_heard_in_the_mix() {
        let caller = sine(440.0, 6000.0, 800);
        let bot = sine(1000.0, 6000.0, 800);
        let mut out = Vec::new();
        mix_into(&[&caller, &bot], &mut out);
        assert_eq!(out.len(), 800);
        // Each tone is there at its own level; a frequency that is in
        // neither is not.
        assert!((tone(&out, 440.0) - 3000.0).abs() < 150.0, "{}", tone(&out, 440.0));
        assert!((tone(&out, 1000.0) - 3000.0).abs() < 150.0, "{}", tone(&out, 1000.0));
        assert!(tone(&out, 700.0) < 100.0);
    }

    #[test]
    fn loud_sides_saturate_instead_of_wrapping() {
        let a = vec![30_000i16; 10];
        let b = vec![10_000i16; 10];
        let c = vec![-30_000i16; 10];
        let mut out = Vec::new();
        mix_into(&[&a, &b], &mut out);
        assert!(out.iter().all(|&v| v == i16::MAX));
        mix_into(&[&c, &c], &mut out);
        assert!(out.iter().all(|&v| v == i16::MIN));
    }

    #[test]
    fn a_short_source_is_silence_past_its_end() {
        let mut out = Vec::new();
        mix_into(&[&[100, 100], &[1, 1, 1, 1]], &mut out);
        assert_eq!(out, vec![101, 101, 1, 1]);
        mix_into(&[], &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn gains_scale_and_saturate() {
        let mut x = vec![1000i16, -1000, 20_000];
        apply_gain(&mut x, 6.0206);
        assert_eq!(x, vec![2000, -2000, i16::MAX]);
        apply_gain(&mut x, -6.0206);
        assert_eq!(&x[..2], &[1000, -1000]);
        assert!((db_to_linear(-3.0) - 0.708).abs() < 0.001);
    }

    #[test]
    fn the_listener_mix_keeps_headroom_where_both_sides_are_loud() {
        // Both sides at 20,000: unity would clip (40,000); at -3 dB each
        // the sum stays in range.
        let block: Vec<i16> = (0..160).flat_map(|_| [20_000i16, 20_000]).collect();
        let mut out = Vec::new();
        stereo_to_mono(&block, SIDE_GAIN_DB, &mut out);
        assert!(out.iter().all(|&v| (28_000..=28_400).contains(&v)), "{}", out[0]);
        stereo_to_mono(&block, 0.0, &mut out);
        assert!(out.iter().all(|&v| v == i16::MAX), "unity clips");
    }

    #[test]
    fn stereo_blocks_become_whole_ulaw_frames() {
        let mut f = ListenFramer::new();
        // 100 stereo samples: not yet a frame.
        let left = sine(440.0, 8000.0, 400);
        let block: Vec<i16> = left[..100].iter().flat_map(|&l| [l, 0]).collect();
        assert!(f.push_stereo(&block).is_empty());
        // 300 more: two frames (400 = 2 × 160 + 80 pending).
        let block: Vec<i16> = left[100..].iter().flat_map(|&l| [l, 0]).collect();
        let frames = f.push_stereo(&block);
        assert_eq!(frames.len(), 2);
        assert!(frames.iter().all(|fr| fr.len() == FRAME_SAMPLES));
        // They decode back to the caller's tone.
        let mut pcm = Vec::new();
        for fr in &frames {
            mulaw::decode_into(fr, &mut pcm);
        }
        // 8000 at -3 dB: a tone of about 2830 (half its amplitude per bin).
        assert!(tone(&pcm, 440.0) > 2600.0, "{}", tone(&pcm, 440.0));
    }
}
