//! Streaming recognition on a non-streaming model (sans-IO).
//!
//! Audio is segmented by the VAD (never by fixed windows, which cut words);
//! while an utterance grows it is re-decoded every `partial_every_ms` and only
//! the longest common word prefix of two consecutive hypotheses is confirmed
//! (LocalAgreement-2), the rest shown as tentative; at the end of speech the
//! whole utterance is decoded once more as the final transcript. Silence is
//! never sent to the decoder, which keeps Whisper from hallucinating on it.
//!
//! The owner moves [`Request`]s to a decoder (the [`crate::stt::SttPool`]) and
//! feeds the texts back with [`StreamingRecognizer::on_result`].

use std::collections::VecDeque;

use media::resample::StreamResampler;

use crate::ModelError;
use crate::stt::JobKind;
use crate::vad::VadEvent;

/// Settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamingConfig {
    /// Audio between partial decodes, ms.
    pub partial_every_ms: u32,
    /// Audio kept from before the VAD's speech start, ms.
    pub preroll_ms: u32,
    /// An utterance is cut (finalised) when it grows this long, ms.
    pub max_utterance_ms: u32,
}

impl Default for StreamingConfig {
    fn default() -> Self {
        Self {
            partial_every_ms: 500,
            preroll_ms: 240,
            max_utterance_ms: 20_000,
        }
    }
}

/// Audio to decode.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// Utterance number within the call.
    pub utterance: u64,
    /// Partial or final.
    pub kind: JobKind,
    /// 16 kHz mono audio of the utterance so far.
    pub audio: Vec<f32>,
}

/// What the caller is saying.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hypothesis {
    /// Interim: `stable` will not change; `tentative` may.
    Partial {
        /// Utterance number.
        utterance: u64,
        /// Confirmed words.
        stable: String,
        /// Unconfirmed words after them.
        tentative: String,
    },
    /// The utterance's transcript.
    Final {
        /// Utterance number.
        utterance: u64,
        /// Its text.
        text: String,
        /// Its audio length, ms.
        audio_ms: u32,
    },
}

struct Utterance {
    id: u64,
    audio: Vec<f32>,
    next_partial_at: usize,
    partial_in_flight: bool,
    previous: Vec<String>,
    stable: Vec<String>,
}

/// Per-call streaming recognition state.
pub struct StreamingRecognizer {
    cfg: StreamingConfig,
    up: StreamResampler,
    preroll: VecDeque<f32>,
    current: Option<Utterance>,
    finalised: VecDeque<u64>,
    next_id: u64,
    requests: VecDeque<Request>,
    hypotheses: VecDeque<Hypothesis>,
    /// Per-frame scratch (8 kHz as f32, and its 16 kHz resampling).
    scratch_in: Vec<f32>,
    scratch_up: Vec<f32>,
}

const RATE: usize = 16_000;

fn ms_to_samples(ms: u32) -> usize {
    ms as usize * RATE / 1000
}

impl StreamingRecognizer {
    /// A recogniser for one call.
    pub fn new(cfg: StreamingConfig) -> Result<Self, ModelError> {
        let up = StreamResampler::new(8000, RATE as u32).map_err(|e| ModelError::Input(e.to_string()))?;
        Ok(Self {
            cfg,
            up,
            preroll: VecDeque::new(),
            current: None,
            finalised: VecDeque::new(),
            next_id: 1,
            requests: VecDeque::new(),
            hypotheses: VecDeque::new(),
            scratch_in: Vec::with_capacity(160),
            scratch_up: Vec::with_capacity(320),
        })
    }

    /// Feeds 8 kHz call audio (every frame, speech or not).
    pub fn push_audio(&mut self, pcm8k: &[i16]) -> Result<(), ModelError> {
        // Called every 20 ms: reuse buffers instead of allocating per frame.
        self.scratch_in.clear();
        self.scratch_in.extend(pcm8k.iter().map(|&s| s as f32 / 32768.0));
        self.scratch_up.clear();
        self.up
            .push(&self.scratch_in, &mut self.scratch_up)
            .map_err(|e| ModelError::Input(e.to_string()))?;
        let up = &self.scratch_up;
        match self.current.as_mut() {
            Some(u) => {
                u.audio.extend_from_slice(up);
                if u.audio.len() >= ms_to_samples(self.cfg.max_utterance_ms) {
                    self.finalise();
                    self.start();
                } else if u.audio.len() >= u.next_partial_at && !u.partial_in_flight {
                    u.partial_in_flight = true;
                    u.next_partial_at = u.audio.len() + ms_to_samples(self.cfg.partial_every_ms);
                    self.requests.push_back(Request {
                        utterance: u.id,
                        kind: JobKind::Partial,
                        audio: u.audio.clone(),
                    });
                }
            }
            None => {
                self.preroll.extend(up.iter().copied());
                let keep = ms_to_samples(self.cfg.preroll_ms);
                while self.preroll.len() > keep {
                    self.preroll.pop_front();
                }
            }
        }
        Ok(())
    }

    /// Feeds a VAD boundary.
    pub fn on_vad(&mut self, event: VadEvent) {
        match event {
            VadEvent::SpeechStart { .. } if self.current.is_none() => self.start(),
            VadEvent::SpeechEnd { .. } => self.finalise(),
            VadEvent::SpeechStart { .. } => {}
        }
    }

    fn start(&mut self) {
        let audio: Vec<f32> = self.preroll.drain(..).collect();
        let next_partial_at = audio.len() + ms_to_samples(self.cfg.partial_every_ms);
        self.current = Some(Utterance {
            id: self.next_id,
            audio,
            next_partial_at,
            partial_in_flight: false,
            previous: Vec::new(),
            stable: Vec::new(),
        });
        self.next_id += 1;
    }

    fn finalise(&mut self) {
        if let Some(u) = self.current.take() {
            self.finalised.push_back(u.id);
            if self.finalised.len() > 8 {
                self.finalised.pop_front();
            }
            self.requests.push_back(Request {
                utterance: u.id,
                kind: JobKind::Final,
                audio: u.audio,
            });
        }
    }

    /// Feeds a decoder result (`None` when a partial was skipped or failed).
    pub fn on_result(&mut self, utterance: u64, kind: JobKind, text: Option<String>, audio_ms: u32) {
        match kind {
            JobKind::Final => {
                self.hypotheses.push_back(Hypothesis::Final {
                    utterance,
                    text: text.unwrap_or_default(),
                    audio_ms,
                });
            }
            JobKind::Partial => {
                let Some(u) = self.current.as_mut().filter(|u| u.id == utterance) else {
                    return; // the utterance was finalised meanwhile: its final supersedes this
                };
                u.partial_in_flight = false;
                let Some(text) = text else { return };
                let words: Vec<String> = text.split_whitespace().map(str::to_owned).collect();
                let agreed = u
                    .previous
                    .iter()
                    .zip(&words)
                    .take_while(|(a, b)| norm(a) == norm(b))
                    .count();
                if agreed > u.stable.len() {
                    u.stable = words[..agreed].to_vec();
                }
                let stable_len = u.stable.len().min(words.len());
                let tentative = words[stable_len..].join(" ");
                u.previous = words;
                self.hypotheses.push_back(Hypothesis::Partial {
                    utterance,
                    stable: u.stable.join(" "),
                    tentative,
                });
            }
        }
    }

    /// Whether an utterance is in progress.
    pub fn in_utterance(&self) -> bool {
        self.current.is_some()
    }

    /// Next decode request.
    pub fn poll_request(&mut self) -> Option<Request> {
        self.requests.pop_front()
    }

    /// Next hypothesis.
    pub fn poll_hypothesis(&mut self) -> Option<Hypothesis> {
        self.hypotheses.pop_front()
    }
}

/// Word comparison ignoring case and trailing punctuation.
fn norm(w: &str) -> String {
    w.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(r: &mut StreamingRecognizer, ms: u32) {
        for _ in 0..ms / 20 {
            r.push_audio(&[100; 160]).unwrap();
        }
    }

    fn requests(r: &mut StreamingRecognizer) -> Vec<(u64, JobKind, usize)> {
        std::iter::from_fn(|| r.poll_request())
            .map(|q| (q.utterance, q.kind, q.audio.len()))
            .collect()
    }

    #[test]
    fn silence_is_never_decoded() {
        let mut r = StreamingRecognizer::new(StreamingConfig::default()).unwrap();
        frames(&mut r, 3000);
        assert!(requests(&mut r).is_empty());
    }

    #[test]
    fn partials_while_speaking_then_one_final_with_preroll() {
        let mut r = StreamingRecognizer::new(StreamingConfig::default()).unwrap();
        frames(&mut r, 1000);
        r.on_vad(VadEvent::SpeechStart { at_ms: 1000 });
        frames(&mut r, 600);
        let q = requests(&mut r);
        assert_eq!(q.len(), 1);
        assert_eq!((q[0].0, q[0].1), (1, JobKind::Partial));
        // While a partial is in flight no other is queued (no pile-up).
        frames(&mut r, 600);
        assert!(requests(&mut r).is_empty());
        r.on_result(1, JobKind::Partial, Some("I need a".into()), 0);
        frames(&mut r, 20);
        assert_eq!(requests(&mut r).len(), 1);
        r.on_result(1, JobKind::Partial, Some("I need a refill of".into()), 0);
        r.on_vad(VadEvent::SpeechEnd { at_ms: 2300 });
        let q = requests(&mut r);
        assert_eq!(q.len(), 1);
        assert_eq!((q[0].0, q[0].1), (1, JobKind::Final));
        // Pre-roll (240 ms) plus the 1.22 s of speech, minus the resampler's start-up delay.
        let ms = q[0].2 * 1000 / RATE;
        assert!((1400..=1460).contains(&ms), "{ms} ms");
        r.on_result(
            1,
            JobKind::Final,
            Some("I need a refill of metformin.".into()),
            ms as u32,
        );
        let h: Vec<Hypothesis> = std::iter::from_fn(|| r.poll_hypothesis()).collect();
        assert_eq!(
            h,
            vec![
                Hypothesis::Partial {
                    utterance: 1,
                    stable: String::new(),
                    tentative: "I need a".into()
                },
                Hypothesis::Partial {
                    utterance: 1,
                    stable: "I need a".into(),
                    tentative: "refill of".into()
                },
                Hypothesis::Final {
                    utterance: 1,
                    text: "I need a refill of metformin.".into(),
                    audio_ms: ms as u32
                },
            ]
        );
    }

    #[test]
    fn confirmed_words_never_retract_and_late_partials_are_dropped() {
        let mut r = StreamingRecognizer::new(StreamingConfig::default()).unwrap();
        r.on_vad(VadEvent::SpeechStart { at_ms: 0 });
        frames(&mut r, 600);
        requests(&mut r);
        r.on_result(1, JobKind::Partial, Some("My name is".into()), 0);
        r.on_result(1, JobKind::Partial, Some("My name is John.".into()), 0);
        r.on_result(1, JobKind::Partial, Some("My name's John Smith".into()), 0);
        let last = std::iter::from_fn(|| r.poll_hypothesis()).last().unwrap();
        assert_eq!(
            last,
            Hypothesis::Partial {
                utterance: 1,
                stable: "My name is".into(),
                tentative: "Smith".into()
            }
        );
        r.on_vad(VadEvent::SpeechEnd { at_ms: 700 });
        r.on_result(1, JobKind::Partial, Some("too late".into()), 0);
        assert_eq!(r.poll_hypothesis(), None);
    }

    #[test]
    fn very_long_speech_is_cut_into_utterances() {
        let cfg = StreamingConfig {
            max_utterance_ms: 2000,
            ..Default::default()
        };
        let mut r = StreamingRecognizer::new(cfg).unwrap();
        r.on_vad(VadEvent::SpeechStart { at_ms: 0 });
        frames(&mut r, 4500);
        let finals: Vec<u64> = requests(&mut r)
            .into_iter()
            .filter(|q| q.1 == JobKind::Final)
            .map(|q| q.0)
            .collect();
        assert_eq!(finals, vec![1, 2]);
        assert!(r.in_utterance());
    }
}
