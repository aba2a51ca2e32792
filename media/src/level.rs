//! A frame-energy speech gate: the cheap, model-free detector used for echo
//! mode and as a fallback when no neural VAD is loaded.

/// Events from the gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GateEvent {
    /// Speech has lasted `min_speech_ms`; it began this many ms ago.
    SpeechStarted {
        /// How long ago the speech began, in milliseconds.
        began_ms_ago: u32,
    },
    /// Silence has lasted `hangover_ms`.
    SpeechEnded,
}

/// Settings of [`EnergyGate`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GateConfig {
    /// A frame is voiced above this RMS level (dBFS).
    pub threshold_dbfs: f32,
    /// Voiced time needed before speech is declared (a cough is shorter).
    pub min_speech_ms: u32,
    /// Unvoiced time that ends speech.
    pub hangover_ms: u32,
}

impl Default for GateConfig {
    fn default() -> Self {
        Self {
            threshold_dbfs: -40.0,
            min_speech_ms: 200,
            hangover_ms: 400,
        }
    }
}

/// RMS level of a PCM frame in dBFS (−120 for digital silence).
pub fn rms_dbfs(frame: &[i16]) -> f32 {
    if frame.is_empty() {
        return -120.0;
    }
    let sum: f64 = frame.iter().map(|&s| (s as f64) * (s as f64)).sum();
    let rms = (sum / frame.len() as f64).sqrt() / 32768.0;
    if rms <= 1e-6 { -120.0 } else { 20.0 * rms.log10() as f32 }
}

/// Energy-based speech start/end detector over 8 kHz frames.
#[derive(Debug, Clone)]
pub struct EnergyGate {
    cfg: GateConfig,
    speaking: bool,
    voiced_ms: u32,
    unvoiced_ms: u32,
}

impl EnergyGate {
    /// A gate in the silent state.
    pub fn new(cfg: GateConfig) -> Self {
        Self {
            cfg,
            speaking: false,
            voiced_ms: 0,
            unvoiced_ms: 0,
        }
    }

    /// Whether speech is in progress.
    pub fn is_speaking(&self) -> bool {
        self.speaking
    }

    /// Feeds one frame of 8 kHz audio; returns an event when the state flips.
    pub fn push(&mut self, frame: &[i16]) -> Option<GateEvent> {
        let ms = (frame.len() / 8) as u32;
        let voiced = rms_dbfs(frame) > self.cfg.threshold_dbfs;
        if voiced {
            self.voiced_ms += ms;
            self.unvoiced_ms = 0;
        } else {
            self.unvoiced_ms += ms;
            // Brief dips inside a word do not reset the onset count.
            if self.unvoiced_ms > 100 {
                self.voiced_ms = 0;
            }
        }
        if !self.speaking && self.voiced_ms >= self.cfg.min_speech_ms {
            self.speaking = true;
            return Some(GateEvent::SpeechStarted {
                began_ms_ago: self.voiced_ms,
            });
        }
        if self.speaking && self.unvoiced_ms >= self.cfg.hangover_ms {
            self.speaking = false;
            self.voiced_ms = 0;
            return Some(GateEvent::SpeechEnded);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(amp: f32) -> Vec<i16> {
        (0..160).map(|i| (amp * (i as f32 * 0.3).sin()) as i16).collect()
    }

    #[test]
    fn speech_starts_after_min_duration_and_ends_after_hangover() {
        let mut g = EnergyGate::new(GateConfig::default());
        let loud = frame(8000.0);
        let quiet = frame(20.0);
        let mut events = Vec::new();
        for i in 0..60 {
            let f = if (10..40).contains(&i) { &loud } else { &quiet };
            if let Some(e) = g.push(f) {
                events.push((i, e));
            }
        }
        assert_eq!(
            events,
            vec![
                (19, GateEvent::SpeechStarted { began_ms_ago: 200 }),
                (59, GateEvent::SpeechEnded)
            ]
        );
    }

    #[test]
    fn a_cough_is_not_speech() {
        let mut g = EnergyGate::new(GateConfig::default());
        for i in 0..50 {
            let f = if (5..12).contains(&i) {
                frame(12000.0)
            } else {
                frame(0.0)
            };
            assert_eq!(g.push(&f), None);
        }
        assert_eq!(rms_dbfs(&[0; 160]), -120.0);
    }
}
