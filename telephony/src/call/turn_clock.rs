//! One caller turn on the clock: when the caller's last word ended, when
//! the end of the turn was declared, when its transcript came, when the
//! dialog asked for the reply, when the reply's first audio was ready, and
//! when its first frame went out. The differences are the turn's stages.

use std::time::{Duration, Instant};

/// The stages of one turn, from the caller's last word to the reply's
/// first frame sent (they add up to the turn latency).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TurnSplit {
    /// Last word → the end of the turn declared (endpointing).
    pub endpoint: Duration,
    /// Declared → the final transcript (0 when a speculative decode had it ready).
    pub stt: Duration,
    /// Transcript → the reply asked for (the dialog and its functions).
    pub dialog: Duration,
    /// Asked → its first audio ready (0 for a cached prompt).
    pub tts: Duration,
    /// First audio ready → its first frame sent.
    pub pacing: Duration,
}

impl TurnSplit {
    /// Stage names and durations, in order.
    pub fn stages(&self) -> [(&'static str, Duration); 5] {
        [
            ("endpoint", self.endpoint),
            ("stt", self.stt),
            ("dialog", self.dialog),
            ("tts", self.tts),
            ("pacing", self.pacing),
        ]
    }

    /// The whole turn.
    pub fn total(&self) -> Duration {
        self.stages().iter().map(|(_, d)| *d).sum()
    }
}

/// The marks of one turn in progress. A mark that never came (a keyed
/// digit has no transcript) counts as taking no time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TurnClock {
    speech_end: Instant,
    declared: Instant,
    transcribed: Option<Instant>,
    asked: Option<Instant>,
    audio: Option<Instant>,
}

impl TurnClock {
    /// A turn whose speech ended at `speech_end`, declared over at `declared`.
    pub fn new(speech_end: Instant, declared: Instant) -> Self {
        Self {
            speech_end: speech_end.min(declared),
            declared,
            transcribed: None,
            asked: None,
            audio: None,
        }
    }

    /// The final transcript arrived (the first one counts).
    pub fn transcribed(&mut self, now: Instant) {
        self.transcribed.get_or_insert(now);
    }

    /// The dialog asked for a reply to be spoken (the first one counts).
    pub fn asked(&mut self, now: Instant) {
        self.asked.get_or_insert(now);
    }

    /// The reply's first audio is ready to play (the first one counts).
    pub fn audio_ready(&mut self, now: Instant) {
        if self.asked.is_some() {
            self.audio.get_or_insert(now);
        }
    }

    /// The stages, the reply's first frame having gone out at `sent`.
    pub fn split(&self, sent: Instant) -> TurnSplit {
        let transcribed = self.transcribed.unwrap_or(self.declared).max(self.declared);
        let asked = self.asked.unwrap_or(transcribed).max(transcribed);
        let audio = self.audio.unwrap_or(asked).max(asked);
        let sent = sent.max(audio);
        TurnSplit {
            endpoint: self.declared - self.speech_end,
            stt: transcribed - self.declared,
            dialog: asked - transcribed,
            tts: audio - asked,
            pacing: sent - audio,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn stages_add_up_to_the_turn() {
        let t0 = Instant::now();
        let mut c = TurnClock::new(t0, t0 + 200 * MS);
        c.transcribed(t0 + 260 * MS);
        c.transcribed(t0 + 900 * MS); // a later final does not move the mark
        c.asked(t0 + 270 * MS);
        c.audio_ready(t0 + 520 * MS);
        let s = c.split(t0 + 540 * MS);
        assert_eq!(s.endpoint, 200 * MS);
        assert_eq!(s.stt, 60 * MS);
        assert_eq!(s.dialog, 10 * MS);
        assert_eq!(s.tts, 250 * MS);
        assert_eq!(s.pacing, 20 * MS);
        assert_eq!(s.total(), 540 * MS);
    }

    #[test]
    fn missing_marks_take_no_time_and_audio_before_asking_is_not_the_reply() {
        let t0 = Instant::now();
        let mut c = TurnClock::new(t0, t0 + 100 * MS);
        // Audio of an earlier line arriving before the dialog answered.
        c.audio_ready(t0 + 120 * MS);
        c.asked(t0 + 150 * MS);
        let s = c.split(t0 + 150 * MS);
        assert_eq!(s.stt, Duration::ZERO);
        assert_eq!(s.dialog, 50 * MS);
        assert_eq!(s.tts, Duration::ZERO);
        assert_eq!(s.total(), 150 * MS);
    }
}
