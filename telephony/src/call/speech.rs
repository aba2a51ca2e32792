//! The per-call speech path (sans-IO): Silero VAD and endpointing on the
//! caller's 8 kHz audio, streaming recognition requests, and bookkeeping of
//! the bot's utterances across barge-ins.

use std::sync::Arc;

use media::playout::UtteranceId;
use metrics::counter;
use models::ModelError;
use models::streaming::{Hypothesis, Request, StreamingConfig, StreamingRecognizer};
use models::stt::JobKind;
use models::vad::{EndpointConfig, Endpointer, SileroModel, SileroVad, VadEvent};

use crate::metrics as m;

/// Silence into the endpointer's hangover after which the utterance so far
/// is decoded as a speculative final (two VAD windows; the hangover is
/// 480 ms). A speculation the caller talks on through is withdrawn, and
/// stopped part way if it already runs, so an early one costs little.
const SPECULATE_AFTER_MS: u32 = 64;

/// Silence after which the caller is reported to have paused
/// ([`SpeechBoundary::Paused`]): a gap between words shorter than this is
/// not a pause to turn-taking (a barge-in's run of unbroken speech goes on
/// through it).
const PAUSE_MS: u32 = 160;

/// The least silence after which a turn judged complete ends (the issue of
/// an early end: about a fifth of a second, so that a caller drawing breath
/// between two clauses is not cut off however fast the decode returns).
const COMPLETE_AFTER_MS: u32 = 192;

/// Silence an unfinished turn ("my date of birth is", half a date) is given
/// before its end is declared, ms (the usual hangover is 480 ms).
const UNFINISHED_HANGOVER_MS: u32 = 1_000;

/// Speech heard in a run, before the endpointer's minimum for a start, after
/// which a voice is taken to be beginning (two VAD windows): the bot's
/// audio is held from here while the caller talks over it, so that the
/// caller hears it stop within about a quarter of a second. A click or a
/// short noise that stops before the start is declared lets it go on.
const VOICE_RISING_MS: u32 = 64;

/// What the speech path noticed in one frame of caller audio.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpeechBoundary {
    /// The endpointer's start or end of speech.
    Vad(VadEvent),
    /// The caller fell silent mid-turn (the utterance so far is being
    /// decoded as a speculative final).
    Paused,
    /// The caller speaks again after a pause.
    Resumed,
}

/// One call's speech state.
pub struct SpeechPath {
    vad: SileroVad,
    endpointer: Endpointer,
    recognizer: StreamingRecognizer,
    next_bot: u64,
    cleared_below: u64,
    audio_ms: u64,
}

impl SpeechPath {
    /// A fresh path over the shared VAD model.
    pub fn new(silero: Arc<SileroModel>) -> Result<Self, ModelError> {
        Ok(Self {
            vad: SileroVad::new(silero),
            endpointer: Endpointer::new(EndpointConfig::default(), 32),
            recognizer: StreamingRecognizer::new(StreamingConfig::default())?,
            next_bot: 1,
            cleared_below: 1,
            audio_ms: 0,
        })
    }

    /// Feeds one frame of caller audio; returns speech boundaries and pauses.
    pub fn on_frame(&mut self, pcm: &[i16]) -> Result<Vec<SpeechBoundary>, ModelError> {
        self.audio_ms += (pcm.len() / 8) as u64;
        self.recognizer.push_audio(pcm)?;
        let mut events = Vec::new();
        for p in self.vad.push(pcm)? {
            let was_silent_ms = self.endpointer.trailing_silence_ms();
            // A complete turn waiting out the shorter floor ends early.
            let ending_early = self.endpointer.ending_early();
            if let Some(ev) = self.endpointer.push(p) {
                if matches!(ev, VadEvent::SpeechEnd { .. }) && ending_early {
                    counter!(m::EARLY_TURN_ENDS).increment(1);
                }
                self.recognizer.on_vad(ev);
                events.push(SpeechBoundary::Vad(ev));
                continue;
            }
            let silent_ms = self.endpointer.trailing_silence_ms();
            if silent_ms >= SPECULATE_AFTER_MS && was_silent_ms < SPECULATE_AFTER_MS {
                self.recognizer.speculate();
            }
            if silent_ms >= PAUSE_MS && was_silent_ms < PAUSE_MS {
                events.push(SpeechBoundary::Paused);
            } else if silent_ms == 0 && was_silent_ms > 0 && self.endpointer.is_speaking() {
                self.recognizer.resume();
                // Only a pause long enough to have been reported ends with a resume.
                if was_silent_ms >= PAUSE_MS {
                    events.push(SpeechBoundary::Resumed);
                }
            }
        }
        Ok(events)
    }

    /// The words at the caller's pause were judged: a complete turn ends
    /// now if the pause has lasted [`COMPLETE_AFTER_MS`] (the returned end
    /// of speech is handled like the endpointer's own), or when it has
    /// (the end then comes from [`SpeechPath::on_frame`]); an unfinished
    /// one is given longer.
    pub fn judged(&mut self, completeness: dialog::Completeness) -> Option<VadEvent> {
        match completeness {
            dialog::Completeness::Complete => {
                let ev = self.endpointer.end_after_silence(COMPLETE_AFTER_MS)?;
                counter!(m::EARLY_TURN_ENDS).increment(1);
                self.recognizer.on_vad(ev);
                Some(ev)
            }
            dialog::Completeness::Incomplete => {
                self.endpointer.extend_hangover(UNFINISHED_HANGOVER_MS);
                None
            }
            dialog::Completeness::Unsure => None,
        }
    }

    /// Whether partial transcripts are decoded (only while something uses
    /// them: a barge-in decision while the bot talks).
    pub fn set_partials(&mut self, on: bool) {
        self.recognizer.set_partials(on);
    }

    /// Whether the far end is a line on hold: announcements that come round
    /// again are not decoded again (see
    /// [`StreamingRecognizer::set_skip_recordings`]).
    pub fn set_on_hold(&mut self, on: bool) {
        self.recognizer.set_skip_recordings(on);
    }

    /// Whether a voice seems to be beginning: speech in the last
    /// [`VOICE_RISING_MS`] or more, not yet long enough to be declared.
    pub fn voice_rising(&self) -> bool {
        self.endpointer.rising_ms() >= VOICE_RISING_MS
    }

    /// Caller audio seen so far, ms.
    pub fn audio_ms(&self) -> u64 {
        self.audio_ms
    }

    /// Next decode request.
    pub fn poll_request(&mut self) -> Option<Request> {
        self.recognizer.poll_request()
    }

    /// A decoder result.
    pub fn on_decoded(&mut self, utterance: u64, kind: JobKind, text: Option<String>, audio_ms: u32) {
        self.recognizer.on_result(utterance, kind, text, audio_ms);
    }

    /// Next hypothesis.
    pub fn poll_hypothesis(&mut self) -> Option<Hypothesis> {
        self.recognizer.poll_hypothesis()
    }

    /// Next decode request whose result no longer matters.
    pub fn poll_stale(&mut self) -> Option<models::streaming::Stale> {
        self.recognizer.poll_stale()
    }

    /// A new bot utterance id.
    pub fn new_bot_utterance(&mut self) -> UtteranceId {
        let id = UtteranceId(self.next_bot);
        self.next_bot += 1;
        id
    }

    /// After a barge-in: audio still arriving for earlier bot utterances is dropped.
    pub fn clear(&mut self) {
        self.cleared_below = self.next_bot;
    }

    /// After a barge-in in agent mode (the dialog numbers the utterances):
    /// audio for utterances up to `last` is dropped.
    pub fn clear_through(&mut self, last: u64) {
        self.cleared_below = self.cleared_below.max(last + 1);
    }

    /// Bot utterances below this id were cut by a barge-in.
    pub fn cleared_below(&self) -> u64 {
        self.cleared_below
    }

    /// Whether audio for bot utterance `id` may still play.
    pub fn accepts(&self, id: UtteranceId) -> bool {
        id.0 >= self.cleared_below
    }
}
