//! The simulated caller's voice: flite, festival or eSpeak NG (engines and
//! voices other than the bot's Piper), at a chosen speaking rate, optionally over a noisy
//! line, rendered to 8 kHz µ-law as a phone line carries it.

use std::io::Write as _;
use std::process::{Command, Stdio};

use media::resample::{StreamResampler, f32_to_i16};

use crate::error::SimError;

/// flite voices that ship with Debian's `flite` package.
pub const VOICES: &[&str] = &["slt", "rms", "awb", "kal"];

/// Which synthesiser speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// flite (`flite` package): voices slt, rms, awb, kal.
    Flite,
    /// festival (`festival` package): voices `kal_diphone` and
    /// `cmu_us_slt_arctic_hts` (`festvox-kallpc16k`, `festvox-us-slt-hts`).
    Festival,
    /// eSpeak NG (`espeak-ng` package): a formant synthesiser, voices such
    /// as `en-us+f3` (a language and a variant).
    Espeak,
}

/// A test caller's voice: engine, voice and speaking rate.
#[derive(Debug, Clone, PartialEq)]
pub struct Voice {
    /// The synthesiser.
    pub engine: Engine,
    /// The engine's voice name.
    pub name: String,
    /// Duration stretch: 1.0 as the voice speaks, below 1 faster, above slower.
    pub stretch: f32,
}

impl Voice {
    /// A flite voice at its own rate.
    pub fn flite(name: &str) -> Self {
        Self {
            engine: Engine::Flite,
            name: name.to_owned(),
            stretch: 1.0,
        }
    }

    /// A festival voice at its own rate.
    pub fn festival(name: &str) -> Self {
        Self {
            engine: Engine::Festival,
            name: name.to_owned(),
            stretch: 1.0,
        }
    }

    /// An eSpeak NG voice (`en-us+f3`: language and variant) at its own rate.
    pub fn espeak(name: &str) -> Self {
        Self {
            engine: Engine::Espeak,
            name: name.to_owned(),
            stretch: 1.0,
        }
    }

    /// The same voice at another rate.
    pub fn at(mut self, stretch: f32) -> Self {
        self.stretch = stretch;
        self
    }

    /// A short label ("flite:awb@0.85").
    pub fn label(&self) -> String {
        let engine = match self.engine {
            Engine::Flite => "flite",
            Engine::Festival => "festival",
            Engine::Espeak => "espeak",
        };
        format!("{engine}:{}@{:.2}", self.name, self.stretch)
    }

    /// Speaks `text` as 8 kHz linear PCM (before the line's µ-law coding).
    pub fn speak_pcm(&self, text: &str) -> Result<Vec<i16>, SimError> {
        let path = std::env::temp_dir().join(format!("sb-voice-{}-{}.wav", std::process::id(), fastrand::u64(..)));
        let status = match self.engine {
            Engine::Flite => Command::new("flite")
                .args(["-voice", &self.name, "--setf"])
                .arg(format!("duration_stretch={}", self.stretch))
                .args(["-t", text, "-o"])
                .arg(&path)
                .status(),
            Engine::Festival => festival(&self.name, self.stretch, text, &path),
            // 175 words a minute is eSpeak's own rate.
            Engine::Espeak => Command::new("espeak-ng")
                .args(["-v", &self.name, "-s"])
                .arg(format!("{}", (175.0 / self.stretch.max(0.1)).round() as u32))
                .arg("-w")
                .arg(&path)
                .arg(text)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status(),
        }
        .map_err(|e| {
            SimError::Voice(format!(
                "{:?} not runnable ({e}): ./scripts/setup.sh installs it",
                self.engine
            ))
        })?;
        if !status.success() {
            return Err(SimError::Voice(format!("{:?} failed ({status})", self.engine)));
        }
        let reader = hound::WavReader::open(&path).map_err(|e| SimError::Voice(format!("synthesiser output: {e}")));
        let _ = std::fs::remove_file(&path);
        let mut reader = reader?;
        let rate = reader.spec().sample_rate;
        let samples: Vec<f32> = reader
            .samples::<i16>()
            .map(|s| s.map(|x| x as f32 / 32768.0))
            .collect::<Result<_, _>>()
            .map_err(|e| SimError::Voice(format!("synthesiser output: {e}")))?;
        let mut r = StreamResampler::new(rate, 8000).map_err(|e| SimError::Voice(format!("resampling: {e}")))?;
        let mut out = Vec::new();
        r.push(&samples, &mut out)
            .map_err(|e| SimError::Voice(format!("resampling: {e}")))?;
        r.flush(&mut out)
            .map_err(|e| SimError::Voice(format!("resampling: {e}")))?;
        Ok(out.into_iter().map(f32_to_i16).collect())
    }

    /// Speaks `text` as 8 kHz µ-law, optionally over `line` noise.
    pub fn speak_ulaw(&self, text: &str, line: Option<LineNoise>) -> Result<Vec<u8>, SimError> {
        let mut pcm = self.speak_pcm(text)?;
        if let Some(noise) = line {
            noise.apply(&mut pcm);
        }
        Ok(pcm.into_iter().map(media::mulaw::encode).collect())
    }
}

/// festival's `text2wave` with a voice and a duration stretch.
fn festival(voice: &str, stretch: f32, text: &str, out: &std::path::Path) -> std::io::Result<std::process::ExitStatus> {
    let mut child = Command::new("text2wave")
        .arg("-eval")
        .arg(format!("(voice_{voice})"))
        .arg("-eval")
        .arg(format!("(Parameter.set 'Duration_Stretch {stretch})"))
        .arg("-o")
        .arg(out)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(text.as_bytes())?;
    }
    child.wait()
}

/// A telephone line's noise: steady hiss (white noise, low-passed a little
/// as a line does) at `snr_db` below the speech, plus crackle (sparse
/// clicks). Deterministic for a given `seed`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LineNoise {
    /// Speech power over hiss power, in dB, measured over the speech.
    pub snr_db: f32,
    /// Clicks per second (0 for none).
    pub clicks_per_s: f32,
    /// Seeds the noise.
    pub seed: u64,
}

impl LineNoise {
    /// Adds the noise to 8 kHz PCM in place, `snr_db` below its speech.
    pub fn apply(&self, pcm: &mut [i16]) {
        // Speech power over the samples louder than ~-40 dBFS (the pauses
        // would otherwise set a lower bar than the caller's voice).
        let loud: Vec<f64> = pcm
            .iter()
            .filter(|s| s.unsigned_abs() > 330)
            .map(|&s| s as f64)
            .collect();
        if loud.is_empty() {
            return;
        }
        let power = loud.iter().map(|s| s * s).sum::<f64>() / loud.len() as f64;
        self.add(pcm, (power / 10f64.powf(self.snr_db as f64 / 10.0)).sqrt());
    }

    /// The line with nobody speaking: `samples` of hiss at `dbfs` (RMS
    /// relative to full scale) plus the clicks.
    pub fn silence(&self, samples: usize, dbfs: f32) -> Vec<i16> {
        let mut pcm = vec![0i16; samples];
        self.add(&mut pcm, 32768.0 * 10f64.powf(dbfs as f64 / 20.0));
        pcm
    }

    fn add(&self, pcm: &mut [i16], noise_rms: f64) {
        let mut rng = fastrand::Rng::with_seed(self.seed);
        let gauss = |rng: &mut fastrand::Rng| {
            // Box-Muller.
            let (u, v) = (rng.f64().max(1e-12), rng.f64());
            (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
        };
        let click_p = self.clicks_per_s as f64 / 8000.0;
        let mut lp = 0.0f64;
        // A one-pole low-pass; the gain restores unit power.
        let a = 0.5f64;
        let gain = (1.0 - a * a).sqrt() / (1.0 - a);
        for s in pcm.iter_mut() {
            lp = a * lp + (1.0 - a) * gauss(&mut rng);
            let mut n = lp * gain * noise_rms;
            if click_p > 0.0 && rng.f64() < click_p {
                n += noise_rms * 6.0 * if rng.bool() { 1.0 } else { -1.0 };
            }
            *s = (*s as f64 + n).round().clamp(-32768.0, 32767.0) as i16;
        }
    }
}

/// Speaks `text` with flite `voice` as 8 kHz µ-law.
pub fn speak_ulaw(text: &str, voice: &str) -> Result<Vec<u8>, SimError> {
    Voice::flite(voice).speak_ulaw(text, None)
}

/// Index of the first sample louder than about -40 dBFS (the start of
/// speech, after the synthesiser's leading silence; 0 when none is).
pub fn speech_start(ulaw: &[u8]) -> usize {
    ulaw.iter()
        .position(|&b| media::mulaw::decode(b).unsigned_abs() > 330)
        .unwrap_or(0)
}

/// Index just past the last sample louder than about -40 dBFS (the end of
/// speech, ignoring the synthesiser's trailing silence).
pub fn speech_end(ulaw: &[u8]) -> usize {
    ulaw.iter()
        .rposition(|&b| media::mulaw::decode(b).unsigned_abs() > 330)
        .map_or(0, |i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_noise_sits_at_the_asked_snr() {
        // A 400 Hz tone at -12 dBFS for one second.
        let clean: Vec<i16> = (0..8000)
            .map(|i| (8000.0 * (std::f64::consts::TAU * 400.0 * i as f64 / 8000.0).sin()) as i16)
            .collect();
        for snr in [10.0f32, 15.0] {
            let mut noisy = clean.clone();
            LineNoise {
                snr_db: snr,
                clicks_per_s: 0.0,
                seed: 3,
            }
            .apply(&mut noisy);
            let p = |x: &mut dyn Iterator<Item = f64>| {
                let v: Vec<f64> = x.collect();
                v.iter().map(|s| s * s).sum::<f64>() / v.len() as f64
            };
            let loud = p(&mut clean.iter().filter(|s| s.unsigned_abs() > 330).map(|&s| s as f64));
            let noise = p(&mut clean.iter().zip(&noisy).map(|(&a, &b)| b as f64 - a as f64));
            let measured = 10.0 * (loud / noise).log10();
            assert!(
                (measured - snr as f64).abs() < 1.0,
                "asked {snr} dB, got {measured:.2} dB"
            );
        }
        // Deterministic per seed, different across seeds.
        let n = |seed| {
            let mut x = clean.clone();
            LineNoise {
                snr_db: 12.0,
                clicks_per_s: 2.0,
                seed,
            }
            .apply(&mut x);
            x
        };
        assert_eq!(n(1), n(1));
        assert_ne!(n(1), n(2));
    }
}
