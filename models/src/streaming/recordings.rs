//! Recordings heard again: a phone line on hold plays the same announcement
//! ("your call is important to us") every half minute, sample for sample.
//! An utterance whose loudness contour matches one already decoded on the
//! line is that recording again and need not be decoded: a person's words
//! never repeat a recording's audio.
//!
//! The contour is the log energy of each 20 ms of 16 kHz audio; two
//! contours match when their lengths are within 10 % and the best
//! normalised correlation over a shift of up to three frames (the speech
//! detector's start moves by a window or two between plays) reaches 0.95.

/// Samples in one contour step (20 ms at 16 kHz).
const STEP: usize = 320;
/// Frames of shift tried each way.
const MAX_SHIFT: usize = 3;
/// Correlation from which two contours are the same recording.
const SAME: f64 = 0.95;
/// Contours kept (the line's distinct recordings).
const KEEP: usize = 8;
/// Shortest contour compared, frames (shorter sounds are always decoded).
const MIN_FRAMES: usize = 25;

/// The contours of utterances decoded on this line.
#[derive(Debug, Default, Clone)]
pub struct Recordings {
    heard: Vec<Vec<f64>>,
}

impl Recordings {
    /// Whether `audio` (16 kHz) repeats a recording already heard; when it
    /// does not, its contour is kept for the next time.
    pub fn heard_before(&mut self, audio: &[f32]) -> bool {
        let c = contour(audio);
        if c.len() < MIN_FRAMES {
            return false;
        }
        if self.heard.iter().any(|h| same(h, &c)) {
            return true;
        }
        if self.heard.len() == KEEP {
            self.heard.remove(0);
        }
        self.heard.push(c);
        false
    }
}

fn contour(audio: &[f32]) -> Vec<f64> {
    audio
        .chunks_exact(STEP)
        .map(|f| {
            let e: f64 = f.iter().map(|&s| f64::from(s) * f64::from(s)).sum::<f64>() / STEP as f64;
            // Floored at -60 dB: the silences between words are alike.
            (e + 1e-6).log10()
        })
        .collect()
}

fn same(a: &[f64], b: &[f64]) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if (long.len() - short.len()) * 10 > long.len() {
        return false;
    }
    (0..=MAX_SHIFT).flat_map(|s| [(s, 0), (0, s)]).any(|(sa, sb)| {
        let n = short.len().saturating_sub(sa).min(long.len().saturating_sub(sb));
        n >= MIN_FRAMES && correlation(&short[sa..sa + n], &long[sb..sb + n]) >= SAME
    })
}

fn correlation(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    if sxx <= 0.0 || syy <= 0.0 {
        return 0.0;
    }
    sxy / (sxx * syy).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A voice-like sound: a tone whose loudness follows `shape`.
    fn sound(shape: impl Fn(f64) -> f64, secs: f64, phase: f64) -> Vec<f32> {
        let n = (secs * 16_000.0) as usize;
        (0..n)
            .map(|i| {
                let t = i as f64 / 16_000.0;
                (shape(t) * (2.0 * std::f64::consts::PI * 180.0 * t + phase).sin()) as f32
            })
            .collect()
    }

    #[test]
    fn a_recording_played_again_is_known_and_other_words_are_not() {
        let syllables = |t: f64| 0.3 * (0.5 + 0.5 * (t * 2.0 * std::f64::consts::PI * 4.0).sin()).powi(2);
        let other = |t: f64| 0.3 * (0.5 + 0.5 * (t * 2.0 * std::f64::consts::PI * 2.7 + 1.0).sin()).powi(2);
        let mut r = Recordings::default();
        let first = sound(syllables, 2.0, 0.0);
        assert!(!r.heard_before(&first));
        // The same recording, picked up 30 ms later and quieter.
        let again: Vec<f32> = first[480..].iter().map(|s| s * 0.7).collect();
        assert!(r.heard_before(&again));
        // Someone else speaking.
        assert!(!r.heard_before(&sound(other, 2.0, 0.3)));
        // Too short to tell: always decoded.
        let short = &first[..16_000 / 4];
        assert!(!r.heard_before(short) && !r.heard_before(short));
    }
}
