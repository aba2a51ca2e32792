//! DTMF digits: the typed digit, an in-band tone generator (for navigating
//! payer IVRs on outbound calls) and a Goertzel detector (for in-band digits
//! and for telling tones from speech).

use crate::{MediaError, mulaw};

/// Row (low group) frequencies in Hz.
const ROWS: [f32; 4] = [697.0, 770.0, 852.0, 941.0];
/// Column (high group) frequencies in Hz.
const COLS: [f32; 4] = [1209.0, 1336.0, 1477.0, 1633.0];
const KEYPAD: [[char; 4]; 4] = [
    ['1', '2', '3', 'A'],
    ['4', '5', '6', 'B'],
    ['7', '8', '9', 'C'],
    ['*', '0', '#', 'D'],
];

/// One DTMF key. Only the sixteen keys of the keypad can be represented.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DtmfDigit {
    row: u8,
    col: u8,
}

impl DtmfDigit {
    /// Parses a key (`0-9`, `*`, `#`, `A-D`).
    pub fn from_char(c: char) -> Result<Self, MediaError> {
        let c = c.to_ascii_uppercase();
        for (r, row) in KEYPAD.iter().enumerate() {
            for (k, key) in row.iter().enumerate() {
                if *key == c {
                    return Ok(Self {
                        row: r as u8,
                        col: k as u8,
                    });
                }
            }
        }
        Err(MediaError::InvalidDtmf(c))
    }

    /// The key as a character.
    pub fn as_char(self) -> char {
        KEYPAD[self.row as usize][self.col as usize]
    }

    /// The (low, high) tone pair in Hz.
    pub fn frequencies(self) -> (f32, f32) {
        (ROWS[self.row as usize], COLS[self.col as usize])
    }
}

impl std::fmt::Display for DtmfDigit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.as_char())
    }
}

/// Generates 8 kHz µ-law DTMF tones.
#[derive(Debug, Clone, Copy)]
pub struct DtmfGenerator {
    /// Tone length per digit in milliseconds (ITU Q.24 asks for ≥ 40 ms; IVRs like ~100).
    pub tone_ms: u32,
    /// Silence after each digit in milliseconds.
    pub gap_ms: u32,
    /// Amplitude of each of the two tones, in dBm0-ish dBFS (e.g. -9).
    pub level_dbfs: f32,
}

impl Default for DtmfGenerator {
    fn default() -> Self {
        Self {
            tone_ms: 100,
            gap_ms: 60,
            level_dbfs: -9.0,
        }
    }
}

impl DtmfGenerator {
    /// Renders `digits` as µ-law at 8 kHz (tone then gap for each digit).
    pub fn render(&self, digits: &[DtmfDigit]) -> Vec<u8> {
        let amp = 10f32.powf(self.level_dbfs / 20.0) * 32767.0;
        let tone_n = (self.tone_ms * 8) as usize;
        let gap_n = (self.gap_ms * 8) as usize;
        let mut out = Vec::with_capacity(digits.len() * (tone_n + gap_n));
        for d in digits {
            let (lo, hi) = d.frequencies();
            for i in 0..tone_n {
                let t = i as f32 / 8000.0;
                // 2 ms raised-cosine ramps avoid clicks at the tone edges.
                let ramp = (i.min(tone_n - 1 - i) as f32 / 16.0).min(1.0);
                let s = amp
                    * ramp
                    * ((2.0 * std::f32::consts::PI * lo * t).sin() + (2.0 * std::f32::consts::PI * hi * t).sin());
                out.push(mulaw::encode(s.clamp(-32768.0, 32767.0) as i16));
            }
            out.extend(std::iter::repeat_n(mulaw::SILENCE, gap_n));
        }
        out
    }
}

/// Power of one frequency in a block of samples (Goertzel algorithm).
pub fn goertzel_power(samples: &[f32], hz: f32, rate: u32) -> f32 {
    let w = 2.0 * std::f32::consts::PI * hz / rate as f32;
    let coeff = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0f32, 0.0f32);
    for &x in samples {
        let s0 = x + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    (s1 * s1 + s2 * s2 - coeff * s1 * s2) / (samples.len() as f32).powi(2)
}

/// Detects a DTMF key in a block of 8 kHz PCM (≥ 20 ms; 40 ms is typical).
///
/// Returns the key when one row and one column tone each dominate their group
/// and together carry most of the block's energy, which rejects speech.
pub fn detect(samples: &[i16]) -> Option<DtmfDigit> {
    if samples.len() < 160 {
        return None;
    }
    let x: Vec<f32> = samples.iter().map(|&s| s as f32 / 32768.0).collect();
    let energy = x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32;
    if energy < 1e-5 {
        return None;
    }
    let best = |freqs: &[f32; 4]| {
        let p: Vec<f32> = freqs.iter().map(|&f| goertzel_power(&x, f, 8000)).collect();
        let (i, max) = p
            .iter()
            .enumerate()
            .fold((0, 0.0f32), |a, (i, &v)| if v > a.1 { (i, v) } else { a });
        let second = p
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, v)| *v)
            .fold(0.0, f32::max);
        (i, max, second)
    };
    let (r, pr, r2) = best(&ROWS);
    let (c, pc, c2) = best(&COLS);
    // Each tone of amplitude a has Goertzel power a²/4 and mean energy a²/2.
    let tonal = 2.0 * (pr + pc);
    let dominant = pr > 6.0 * r2 && pc > 6.0 * c2;
    let twist_ok = pr / pc < 6.3 && pc / pr < 6.3;
    (dominant && twist_ok && tonal > 0.6 * energy).then_some(DtmfDigit {
        row: r as u8,
        col: c as u8,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(u: &[u8]) -> Vec<i16> {
        let mut v = Vec::new();
        mulaw::decode_into(u, &mut v);
        v
    }

    #[test]
    fn every_key_is_generated_and_detected() {
        let g = DtmfGenerator::default();
        for c in "0123456789*#ABCD".chars() {
            let d = DtmfDigit::from_char(c).unwrap();
            let audio = decode(&g.render(&[d]));
            assert_eq!(audio.len(), 8 * 160);
            // Detect on a 40 ms block in the middle of the tone.
            assert_eq!(detect(&audio[240..560]), Some(d), "key {c}");
            // The gap is silent.
            assert_eq!(detect(&audio[800..1120]), None);
        }
    }

    #[test]
    fn a_single_tone_or_a_chord_of_harmonics_is_not_a_key() {
        let one: Vec<i16> = (0..320)
            .map(|i| (8000.0 * (2.0 * std::f32::consts::PI * 697.0 * i as f32 / 8000.0).sin()) as i16)
            .collect();
        assert_eq!(detect(&one), None);
        // A voiced-speech-like harmonic series at 150 Hz.
        let voice: Vec<i16> = (0..320)
            .map(|i| {
                let t = i as f32 / 8000.0;
                (1..20)
                    .map(|h| 3000.0 / h as f32 * (2.0 * std::f32::consts::PI * 150.0 * h as f32 * t).sin())
                    .sum::<f32>() as i16
            })
            .collect();
        assert_eq!(detect(&voice), None);
    }

    #[test]
    fn invalid_keys_are_rejected() {
        assert!(DtmfDigit::from_char('x').is_err());
        assert_eq!(DtmfDigit::from_char('a').unwrap().as_char(), 'A');
    }
}
