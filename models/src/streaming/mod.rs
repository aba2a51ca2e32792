//! Streaming recognition on a non-streaming model (sans-IO).
//!
//! Audio is segmented by the VAD (never by fixed windows, which cut words);
//! while an utterance grows (and partials are wanted, see
//! [`StreamingRecognizer::set_partials`]) it is re-decoded after
//! `first_partial_ms` and then every `partial_every_ms`, and only
//! the longest common word prefix of two consecutive hypotheses is confirmed
//! (LocalAgreement-2), the rest shown as tentative; at the end of speech the
//! whole utterance is decoded once more as the final transcript. Silence is
//! never sent to the decoder, which keeps Whisper from hallucinating on it.
//!
//! The end of speech is only declared after the endpointer's hangover, so
//! the final decode would start that late. Instead, when the caller pauses
//! the owner calls [`StreamingRecognizer::speculate`]: the audio so far is
//! decoded at once as a [`JobKind::Speculative`] final. If the caller goes on
//! ([`StreamingRecognizer::resume`]) that result is thrown away; if the pause
//! turns out to be the end, it becomes the final without another decode, and
//! the decode time has been hidden inside the hangover. A speculation that
//! returns while the caller is still silent is also reported as a
//! [`Hypothesis::Pause`], so that the owner can judge the words a complete
//! turn and end it without waiting out the hangover.
//!
//! The owner moves [`Request`]s to a decoder (the [`crate::stt::SttPool`]) and
//! feeds the texts back with [`StreamingRecognizer::on_result`].

use std::collections::VecDeque;

use media::resample::StreamResampler;
pub use recordings::Recordings;

use crate::ModelError;
use crate::stt::JobKind;
use crate::vad::VadEvent;

/// Settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamingConfig {
    /// Speech before the first partial decode of an utterance, ms (after
    /// the pre-roll): a barge-in is decided on the first words.
    pub first_partial_ms: u32,
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
            first_partial_ms: 0,
            partial_every_ms: 300,
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

/// A decode asked for earlier whose result no longer matters: a
/// speculative final the caller talked on through, or a partial of an
/// utterance that has ended. The owner may drop it if it has not started
/// (its result, if it comes, is ignored as before).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stale {
    /// Utterance number.
    pub utterance: u64,
    /// Which of its decodes.
    pub kind: JobKind,
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
    /// The caller paused and the utterance so far was decoded (a
    /// speculative final that still holds): the owner may judge the words
    /// a complete turn and end it at once
    /// ([`crate::vad::Endpointer::end_now`]) rather than after the hangover.
    Pause {
        /// Utterance number.
        utterance: u64,
        /// The words so far.
        text: String,
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
    /// The utterance repeats a recording already heard on the line (see
    /// [`StreamingRecognizer::set_skip_recordings`]): not decoded.
    Recording {
        /// Utterance number.
        utterance: u64,
    },
}

struct Utterance {
    id: u64,
    audio: Vec<f32>,
    next_partial_at: usize,
    partial_in_flight: bool,
    previous: Vec<String>,
    stable: Vec<String>,
    speculation: Speculation,
}

/// The early final of an utterance.
#[derive(Debug, Clone, PartialEq)]
enum Speculation {
    /// None asked for (or the caller went on after one that has returned).
    None,
    /// Decoding; `valid` until the caller resumes speaking.
    InFlight { valid: bool },
    /// Decoded while the caller was still silent.
    Done { text: String, audio_ms: u32 },
}

/// Per-call streaming recognition state.
pub struct StreamingRecognizer {
    cfg: StreamingConfig,
    up: StreamResampler,
    preroll: VecDeque<f32>,
    current: Option<Utterance>,
    finalised: VecDeque<u64>,
    /// Utterances ended while their speculative decode was still running:
    /// its result is their final.
    awaiting: VecDeque<u64>,
    next_id: u64,
    /// Whether partial decodes are wanted (something consumes them).
    partials: bool,
    requests: VecDeque<Request>,
    hypotheses: VecDeque<Hypothesis>,
    stale: VecDeque<Stale>,
    /// Recordings heard on the line, while repeats of them are skipped.
    recordings: Option<Recordings>,
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
            awaiting: VecDeque::new(),
            next_id: 1,
            partials: true,
            requests: VecDeque::new(),
            hypotheses: VecDeque::new(),
            stale: VecDeque::new(),
            recordings: None,
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
                } else if self.partials && u.audio.len() >= u.next_partial_at && !u.partial_in_flight {
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
        let next_partial_at = audio.len() + ms_to_samples(self.cfg.first_partial_ms);
        self.current = Some(Utterance {
            id: self.next_id,
            audio,
            next_partial_at,
            partial_in_flight: false,
            previous: Vec::new(),
            stable: Vec::new(),
            speculation: Speculation::None,
        });
        self.next_id += 1;
    }

    /// Whether partial decodes are made. They cost a decode every
    /// `partial_every_ms` of speech; a call that only uses them to decide a
    /// barge-in turns them on while the bot talks. Turned on mid-utterance,
    /// the next one is made at once if it is due.
    pub fn set_partials(&mut self, on: bool) {
        self.partials = on;
    }

    /// Whether utterances that repeat a recording already decoded on this
    /// line are skipped ([`Hypothesis::Recording`], no decode): for a line
    /// on hold, where the same announcements come round again and again.
    /// While on, no speculative decode is made (the repeat is only known
    /// at the end of the utterance). Turned off, what was heard is forgotten.
    pub fn set_skip_recordings(&mut self, on: bool) {
        match (on, self.recordings.is_some()) {
            (true, false) => self.recordings = Some(Recordings::default()),
            (false, true) => self.recordings = None,
            _ => {}
        }
    }

    /// The caller paused: decode the utterance so far as its final, early.
    /// No-op outside an utterance, while a speculation is running, or while
    /// recordings are skipped.
    pub fn speculate(&mut self) {
        if self.recordings.is_some() {
            return;
        }
        let Some(u) = self.current.as_mut() else {
            return;
        };
        if u.speculation != Speculation::None {
            return;
        }
        u.speculation = Speculation::InFlight { valid: true };
        self.requests.push_back(Request {
            utterance: u.id,
            kind: JobKind::Speculative,
            audio: u.audio.clone(),
        });
    }

    /// The caller went on speaking: the speculative final no longer covers
    /// the utterance.
    pub fn resume(&mut self) {
        if let Some(u) = self.current.as_mut() {
            if u.speculation == (Speculation::InFlight { valid: true }) {
                self.stale.push_back(Stale {
                    utterance: u.id,
                    kind: JobKind::Speculative,
                });
            }
            u.speculation = match u.speculation {
                Speculation::InFlight { .. } => Speculation::InFlight { valid: false },
                _ => Speculation::None,
            };
        }
    }

    fn finalise(&mut self) {
        if let Some(u) = self.current.take() {
            if u.partial_in_flight {
                self.stale.push_back(Stale {
                    utterance: u.id,
                    kind: JobKind::Partial,
                });
            }
            self.finalised.push_back(u.id);
            if self.finalised.len() > 8 {
                self.finalised.pop_front();
            }
            match u.speculation {
                Speculation::Done { text, audio_ms } => {
                    self.hypotheses.push_back(Hypothesis::Final {
                        utterance: u.id,
                        text,
                        audio_ms,
                    });
                    return;
                }
                Speculation::InFlight { valid: true } => {
                    self.awaiting.push_back(u.id);
                    return;
                }
                _ => {}
            }
            if self.recordings.as_mut().is_some_and(|r| r.heard_before(&u.audio)) {
                self.hypotheses.push_back(Hypothesis::Recording { utterance: u.id });
                return;
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
            JobKind::Speculative => {
                if let Some(at) = self.awaiting.iter().position(|id| *id == utterance) {
                    // The utterance ended during the decode: this is its final.
                    self.awaiting.remove(at);
                    self.hypotheses.push_back(Hypothesis::Final {
                        utterance,
                        text: text.unwrap_or_default(),
                        audio_ms,
                    });
                    return;
                }
                let Some(u) = self.current.as_mut().filter(|u| u.id == utterance) else {
                    return;
                };
                u.speculation = match (&u.speculation, text) {
                    (Speculation::InFlight { valid: true }, Some(text)) => {
                        self.hypotheses.push_back(Hypothesis::Pause {
                            utterance,
                            text: text.clone(),
                        });
                        Speculation::Done { text, audio_ms }
                    }
                    // Stale (the caller went on) or failed: decode at the end as usual.
                    _ => Speculation::None,
                };
            }
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

    /// Next decode that no longer matters (see [`Stale`]).
    pub fn poll_stale(&mut self) -> Option<Stale> {
        self.stale.pop_front()
    }
}

/// Word comparison ignoring case and trailing punctuation.
fn norm(w: &str) -> String {
    w.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase()
}

mod recordings;
#[cfg(test)]
mod tests;
