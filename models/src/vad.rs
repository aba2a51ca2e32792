//! Voice activity detection: Silero VAD (ONNX) on 8 kHz call audio, and an
//! endpointer that turns per-window speech probabilities into speech start
//! and end events with thresholds and hangover.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use ort::session::Session;
use ort::value::Tensor;

use crate::ModelError;
use crate::assets::{Assets, files};

/// Samples per Silero window at 8 kHz (32 ms).
pub const WINDOW_8K: usize = 256;
/// Context samples prepended to each window at 8 kHz.
const CONTEXT_8K: usize = 32;
const STATE_LEN: usize = 2 * 128;

/// The loaded Silero model: a few sessions shared by all calls. Inference is
/// ~0.1 ms a window, so calls run it inline and take any free session.
pub struct SileroModel {
    sessions: Vec<Mutex<Session>>,
    next: AtomicUsize,
}

impl SileroModel {
    /// Loads `silero_vad.onnx` into `pool` single-threaded sessions.
    pub fn load(assets: &Assets, pool: usize) -> Result<Arc<Self>, ModelError> {
        let path = assets.require(files::SILERO_VAD)?;
        let sessions = (0..pool.max(1))
            .map(|_| crate::onnx::session(assets, &path, 1).map(Mutex::new))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Arc::new(Self {
            sessions,
            next: AtomicUsize::new(0),
        }))
    }

    /// Runs one window (context + samples); updates `state`; returns P(speech).
    fn infer(&self, input: &[f32], state: &mut [f32; STATE_LEN]) -> Result<f32, ModelError> {
        let n = self.sessions.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        // Take a free session if there is one, else wait on ours.
        let mut guard = (0..n)
            .find_map(|i| self.sessions[(start + i) % n].try_lock().ok())
            .unwrap_or_else(|| self.sessions[start % n].lock().unwrap_or_else(|p| p.into_inner()));
        let outputs = guard.run(ort::inputs![
            "input" => Tensor::from_array(([1usize, input.len()], input.to_vec()))?,
            "state" => Tensor::from_array(([2usize, 1, 128], state.to_vec()))?,
            "sr" => Tensor::from_array(((), vec![8000i64]))?,
        ])?;
        let (_, prob) = outputs["output"].try_extract_tensor::<f32>()?;
        let (_, next) = outputs["stateN"].try_extract_tensor::<f32>()?;
        if next.len() != STATE_LEN || prob.is_empty() {
            return Err(ModelError::Onnx("unexpected Silero output shapes".into()));
        }
        state.copy_from_slice(next);
        Ok(prob[0])
    }
}

/// Per-call Silero state over a stream of 8 kHz PCM.
pub struct SileroVad {
    model: Arc<SileroModel>,
    state: [f32; STATE_LEN],
    window: Vec<f32>,
}

impl SileroVad {
    /// A fresh stream.
    pub fn new(model: Arc<SileroModel>) -> Self {
        Self {
            model,
            state: [0.0; STATE_LEN],
            window: vec![0.0; CONTEXT_8K],
        }
    }

    /// Feeds 8 kHz PCM; returns P(speech) for every completed 32 ms window.
    pub fn push(&mut self, pcm: &[i16]) -> Result<Vec<f32>, ModelError> {
        let mut probs = Vec::new();
        for &s in pcm {
            self.window.push(s as f32 / 32768.0);
            if self.window.len() == CONTEXT_8K + WINDOW_8K {
                probs.push(self.model.infer(&self.window, &mut self.state)?);
                // The window's last samples are the next window's context.
                self.window.drain(..WINDOW_8K);
            }
        }
        Ok(probs)
    }
}

/// Endpointing settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EndpointConfig {
    /// Probability above which a window is speech.
    pub start_threshold: f32,
    /// Probability below which a window is silence (hysteresis).
    pub end_threshold: f32,
    /// Speech needed before a start is declared, ms (a cough is shorter).
    pub min_speech_ms: u32,
    /// Silence needed before an end is declared, ms.
    pub hangover_ms: u32,
}

impl Default for EndpointConfig {
    fn default() -> Self {
        Self {
            start_threshold: 0.5,
            end_threshold: 0.35,
            min_speech_ms: 160,
            hangover_ms: 480,
        }
    }
}

/// A speech boundary, with its position in the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VadEvent {
    /// Speech began at this stream position (ms).
    SpeechStart {
        /// Stream position of the first speech window, ms.
        at_ms: u64,
    },
    /// Speech ended at this stream position (ms, end of the last speech window).
    SpeechEnd {
        /// Stream position just after the last speech window, ms.
        at_ms: u64,
    },
}

/// Turns per-window probabilities into start/end events.
#[derive(Debug, Clone)]
pub struct Endpointer {
    cfg: EndpointConfig,
    window_ms: u32,
    pos_ms: u64,
    speaking: bool,
    run_start: Option<u64>,
    speech_ms: u32,
    silence_ms: u32,
    last_speech_end: u64,
    /// The hangover for the pause in progress (see [`Endpointer::extend_hangover`]).
    hangover_ms: u32,
}

impl Endpointer {
    /// An endpointer for windows of `window_ms`.
    pub fn new(cfg: EndpointConfig, window_ms: u32) -> Self {
        Self {
            cfg,
            window_ms,
            pos_ms: 0,
            speaking: false,
            run_start: None,
            speech_ms: 0,
            silence_ms: 0,
            last_speech_end: 0,
            hangover_ms: cfg.hangover_ms,
        }
    }

    /// Ends the speech in progress now, without waiting for the hangover
    /// (the words so far were judged a complete turn). `None` when no
    /// speech is in progress.
    pub fn end_now(&mut self) -> Option<VadEvent> {
        if !self.speaking {
            return None;
        }
        self.speaking = false;
        self.run_start = None;
        self.speech_ms = 0;
        self.hangover_ms = self.cfg.hangover_ms;
        Some(VadEvent::SpeechEnd {
            at_ms: self.last_speech_end,
        })
    }

    /// Ends the pause in progress once it has lasted `ms` (the words so far
    /// were judged a complete turn, but the pause is still short): the end
    /// comes from [`Endpointer::push`] then, unless speech resumes first,
    /// which restores the configured hangover. Ends now (as
    /// [`Endpointer::end_now`]) when the pause is already that long.
    pub fn end_after_silence(&mut self, ms: u32) -> Option<VadEvent> {
        if !self.speaking {
            return None;
        }
        if self.silence_ms >= ms {
            return self.end_now();
        }
        self.hangover_ms = self.hangover_ms.min(ms);
        None
    }

    /// Whether the pause in progress is to end sooner than the configured
    /// hangover ([`Endpointer::end_after_silence`] was called in it).
    pub fn ending_early(&self) -> bool {
        self.speaking && self.hangover_ms < self.cfg.hangover_ms
    }

    /// Waits at least `ms` of silence before ending the pause in progress
    /// (the words so far were judged unfinished). Speech resuming restores
    /// the configured hangover.
    pub fn extend_hangover(&mut self, ms: u32) {
        if self.speaking {
            self.hangover_ms = self.hangover_ms.max(ms);
        }
    }

    /// Whether speech is in progress.
    pub fn is_speaking(&self) -> bool {
        self.speaking
    }

    /// Speech heard so far in a run that has not yet lasted long enough to
    /// be declared a start (0 while speaking, or when the last window was
    /// silence): a voice may be beginning.
    pub fn rising_ms(&self) -> u32 {
        if self.speaking { 0 } else { self.speech_ms }
    }

    /// Silence since the last speech window while speech is in progress
    /// (0 when not speaking): how far into the hangover the caller is.
    pub fn trailing_silence_ms(&self) -> u32 {
        if self.speaking { self.silence_ms } else { 0 }
    }

    /// Feeds one window's probability.
    pub fn push(&mut self, p: f32) -> Option<VadEvent> {
        let start = self.pos_ms;
        self.pos_ms += self.window_ms as u64;
        if !self.speaking {
            if p >= self.cfg.start_threshold {
                let run_start = *self.run_start.get_or_insert(start);
                self.speech_ms += self.window_ms;
                if self.speech_ms >= self.cfg.min_speech_ms {
                    self.speaking = true;
                    self.silence_ms = 0;
                    self.last_speech_end = self.pos_ms;
                    return Some(VadEvent::SpeechStart { at_ms: run_start });
                }
            } else {
                self.run_start = None;
                self.speech_ms = 0;
            }
            return None;
        }
        if p < self.cfg.end_threshold {
            self.silence_ms += self.window_ms;
            if self.silence_ms >= self.hangover_ms {
                self.hangover_ms = self.cfg.hangover_ms;
                self.speaking = false;
                self.run_start = None;
                self.speech_ms = 0;
                return Some(VadEvent::SpeechEnd {
                    at_ms: self.last_speech_end,
                });
            }
        } else {
            self.silence_ms = 0;
            self.hangover_ms = self.cfg.hangover_ms;
            self.last_speech_end = self.pos_ms;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(probs: &[f32]) -> Vec<VadEvent> {
        let mut e = Endpointer::new(EndpointConfig::default(), 32);
        probs.iter().filter_map(|&p| e.push(p)).collect()
    }

    #[test]
    fn endpointer_declares_start_after_min_speech_and_end_after_hangover() {
        let mut p = vec![0.05; 10];
        p.extend(vec![0.9; 30]);
        p.extend(vec![0.1; 20]);
        assert_eq!(
            run(&p),
            vec![
                VadEvent::SpeechStart { at_ms: 320 },
                VadEvent::SpeechEnd { at_ms: 1280 }
            ]
        );
    }

    #[test]
    fn short_blips_and_brief_dips_do_not_flip_state() {
        let mut p = vec![0.9; 3]; // 96 ms: a click or cough
        p.extend(vec![0.1; 10]);
        assert!(run(&p).is_empty());
        let mut p = vec![0.9; 20];
        p.extend(vec![0.2; 5]); // 160 ms pause between words
        p.extend(vec![0.9; 10]);
        assert_eq!(run(&p), vec![VadEvent::SpeechStart { at_ms: 0 }]);
    }

    #[test]
    fn a_complete_turn_ends_at_once_and_an_unfinished_one_waits_longer() {
        let mut e = Endpointer::new(EndpointConfig::default(), 32);
        assert_eq!(e.end_now(), None, "nothing to end before speech");
        let mut events: Vec<VadEvent> = [0.9; 20].iter().filter_map(|&p| e.push(p)).collect();
        events.extend([0.1; 6].iter().filter_map(|&p| e.push(p)));
        assert_eq!(events, vec![VadEvent::SpeechStart { at_ms: 0 }]);
        assert_eq!(e.end_now(), Some(VadEvent::SpeechEnd { at_ms: 640 }));
        assert!(!e.is_speaking());

        // Unfinished: 480 ms of silence no longer ends it, 960 ms does.
        let mut e = Endpointer::new(EndpointConfig::default(), 32);
        let mut events: Vec<VadEvent> = [0.9; 20].iter().filter_map(|&p| e.push(p)).collect();
        events.extend([0.1; 5].iter().filter_map(|&p| e.push(p)));
        e.extend_hangover(960);
        events.extend([0.1; 20].iter().filter_map(|&p| e.push(p)));
        assert_eq!(events.len(), 1, "still speaking after 800 ms: {events:?}");
        events.extend([0.1; 10].iter().filter_map(|&p| e.push(p)));
        assert_eq!(events[1], VadEvent::SpeechEnd { at_ms: 640 });

        // Speech resuming restores the usual hangover for the next pause.
        let mut e = Endpointer::new(EndpointConfig::default(), 32);
        let _: Vec<_> = [0.9; 20].iter().filter_map(|&p| e.push(p)).collect();
        e.extend_hangover(960);
        let _: Vec<_> = [0.9; 2].iter().filter_map(|&p| e.push(p)).collect();
        let ends: Vec<_> = [0.1; 15].iter().filter_map(|&p| e.push(p)).collect();
        assert_eq!(ends, vec![VadEvent::SpeechEnd { at_ms: 704 }]);
    }

    #[test]
    fn a_complete_turn_judged_early_in_a_pause_ends_when_the_pause_reaches_the_floor() {
        // Judged 64 ms into the pause: the end comes at 192 ms, not 480.
        let mut e = Endpointer::new(EndpointConfig::default(), 32);
        let _: Vec<_> = [0.9; 20].iter().filter_map(|&p| e.push(p)).collect();
        let _: Vec<_> = [0.1; 2].iter().filter_map(|&p| e.push(p)).collect();
        assert_eq!(e.end_after_silence(192), None);
        assert!(e.is_speaking() && e.ending_early());
        let ends: Vec<_> = [0.1; 3].iter().filter_map(|&p| e.push(p)).collect();
        assert!(ends.is_empty(), "160 ms: {ends:?}");
        assert_eq!(e.push(0.1), Some(VadEvent::SpeechEnd { at_ms: 640 }), "at 192 ms");

        // Judged once the pause is already that long: it ends at once.
        let mut e = Endpointer::new(EndpointConfig::default(), 32);
        let _: Vec<_> = [0.9; 20].iter().filter_map(|&p| e.push(p)).collect();
        let _: Vec<_> = [0.1; 7].iter().filter_map(|&p| e.push(p)).collect();
        assert_eq!(e.end_after_silence(192), Some(VadEvent::SpeechEnd { at_ms: 640 }));

        // The caller goes on before the floor: the usual hangover again.
        let mut e = Endpointer::new(EndpointConfig::default(), 32);
        let _: Vec<_> = [0.9; 20].iter().filter_map(|&p| e.push(p)).collect();
        let _: Vec<_> = [0.1; 2].iter().filter_map(|&p| e.push(p)).collect();
        assert_eq!(e.end_after_silence(192), None);
        let _: Vec<_> = [0.9; 5].iter().filter_map(|&p| e.push(p)).collect();
        assert!(!e.ending_early());
        let ends: Vec<_> = [0.1; 14].iter().filter_map(|&p| e.push(p)).collect();
        assert!(ends.is_empty(), "448 ms of a new pause: {ends:?}");
        assert_eq!(e.push(0.1), Some(VadEvent::SpeechEnd { at_ms: 864 }));
        // Nothing to end when nobody speaks.
        assert_eq!(e.end_after_silence(192), None);
    }
}
