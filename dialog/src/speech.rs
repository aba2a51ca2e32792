//! Turn-taking: which bot utterances are playing, when the caller's speech
//! over them counts as a barge-in, what a barge-in cut, and the silence
//! timer after a question.

use std::time::{Duration, Instant};

use crate::barge_in::BargeIn;

/// A bot utterance cut short by the caller (or the server).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interruption {
    /// The `Say` id that was cut.
    pub id: u64,
    /// How much of it played.
    pub heard_ms: u64,
    /// How long it was.
    pub total_ms: u64,
    /// Whether it asked something (an answer is still expected).
    pub was_question: bool,
}

/// A sentence the bot said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Utterance {
    pub id: u64,
    pub text: String,
    pub question: bool,
}

#[derive(Debug, Clone)]
struct Cut {
    utterance: Utterance,
    heard: Option<(u64, u64)>,
}

impl Cut {
    /// Whether the caller heard (nearly) all of it.
    fn heard_enough(&self) -> bool {
        self.heard
            .is_some_and(|(heard, total)| heard.saturating_mul(100) >= total.saturating_mul(85))
    }
}

/// Turn-taking state of one call.
#[derive(Debug, Default)]
pub(crate) struct Turns {
    playing: Vec<Utterance>,
    cut: Vec<Cut>,
    last_said_question: bool,
    barge_in: BargeIn,
    no_input_at: Option<Instant>,
    no_input_strikes: u32,
    last_interruption: Option<Interruption>,
}

impl Turns {
    /// Turn-taking where caller speech over the bot stops it after
    /// `sustained` without a pause (see [`BargeIn`]).
    pub fn new(sustained: Duration) -> Self {
        Self {
            barge_in: BargeIn::new(sustained),
            ..Self::default()
        }
    }

    /// The bot was told to say `text` (it speaks until finished or cut).
    pub fn said(&mut self, id: u64, text: String, question: bool) {
        self.playing.push(Utterance { id, text, question });
        self.last_said_question = question;
        self.no_input_at = None;
    }

    pub fn is_bot_speaking(&self) -> bool {
        !self.playing.is_empty()
    }

    /// Utterance `id` played to the end. `true` when the bot fell quiet.
    pub fn finished(&mut self, id: u64) -> bool {
        let before = self.playing.len();
        self.playing.retain(|u| u.id != id);
        before > 0 && self.playing.is_empty()
    }

    /// Playback was cleared (a `StopSpeaking` went out): everything still
    /// playing or queued was cut.
    pub fn stopped(&mut self) {
        self.barge_in.disarm();
        self.cut
            .extend(self.playing.drain(..).map(|utterance| Cut { utterance, heard: None }));
    }

    /// The server reports utterance `id` cut after `heard_ms` of `total_ms`.
    /// `true` when the bot fell quiet because of it.
    pub fn interrupted(&mut self, id: u64, heard_ms: u64, total_ms: u64) -> bool {
        let was_playing = self.playing.iter().any(|u| u.id == id);
        if was_playing {
            self.stopped();
        }
        let Some(cut) = self.cut.iter_mut().find(|c| c.utterance.id == id) else {
            return false;
        };
        cut.heard = Some((heard_ms, total_ms));
        self.last_interruption = Some(Interruption {
            id,
            heard_ms,
            total_ms,
            was_question: cut.utterance.question,
        });
        was_playing
    }

    pub fn last_interruption(&self) -> Option<Interruption> {
        self.last_interruption
    }

    /// After a barge-in that turned out to be nothing (a cough, "mm-hm"):
    /// the cut utterances to say again, from the first not (nearly) heard.
    pub fn take_resay(&mut self) -> Vec<Utterance> {
        let from = self
            .cut
            .iter()
            .position(|c| !c.heard_enough())
            .unwrap_or(self.cut.len());
        self.cut.drain(..).skip(from).map(|c| c.utterance).collect()
    }

    /// The caller took the turn with something to say (or made a sound).
    pub fn caller_took_turn(&mut self) {
        self.cut.clear();
        self.no_input_strikes = 0;
        self.no_input_at = None;
    }

    /// VAD onset: over the bot, arm the barge-in timer.
    pub fn speech_started(&mut self, now: Instant) {
        self.no_input_at = None;
        let bot = self.is_bot_speaking();
        self.barge_in.speech_started(now, bot);
    }

    /// The caller paused (not yet the end of the turn).
    pub fn paused(&mut self) {
        self.barge_in.paused();
    }

    /// The caller speaks again after a pause.
    pub fn resumed(&mut self, now: Instant) {
        let bot = self.is_bot_speaking();
        self.barge_in.resumed(now, bot);
    }

    /// VAD offset.
    pub fn speech_ended(&mut self) {
        self.barge_in.speech_ended();
    }

    /// A partial transcript: `true` when it takes the floor from the bot.
    pub fn partial_takes_floor(&mut self, text: &str) -> bool {
        self.is_bot_speaking() && self.barge_in.partial(text)
    }

    /// Whether caller speech over the bot awaits a barge-in decision.
    pub fn floor_contested(&self, now: Instant) -> bool {
        self.is_bot_speaking() && self.barge_in.contested(now)
    }

    /// The caller's turn was transcribed and acted on.
    pub fn final_heard(&mut self) {
        self.barge_in.final_heard();
    }

    /// The barge-in timer at `now`: `true` to stop the bot.
    pub fn barge_in_due(&mut self, now: Instant) -> bool {
        let bot = self.is_bot_speaking();
        self.barge_in.due(now, bot)
    }

    /// Starts the silence timer if the bot is quiet after a question (or
    /// after a barge-in still waiting for words).
    pub fn arm_no_input(&mut self, now: Instant, timeout: Duration) {
        let waiting = self.last_said_question || !self.cut.is_empty();
        if waiting && !self.is_bot_speaking() && !self.barge_in.caller_speaking() {
            self.no_input_at = now.checked_add(timeout);
        }
    }

    pub fn cancel_no_input(&mut self) {
        self.no_input_at = None;
    }

    /// The silence timer at `now`: the count of silences in a row, when it fired.
    pub fn no_input_due(&mut self, now: Instant) -> Option<u32> {
        if self.no_input_at.is_none_or(|at| now < at) {
            return None;
        }
        self.no_input_at = None;
        self.no_input_strikes += 1;
        Some(self.no_input_strikes)
    }

    /// The earliest armed wall-clock timer (the silence timer; the
    /// barge-in is judged on the audio clock as frames come).
    pub fn deadline(&self) -> Option<Instant> {
        self.no_input_at
    }

    /// Disarms every timer (the call is over).
    pub fn clear_timers(&mut self) {
        self.barge_in.disarm();
        self.no_input_at = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    #[test]
    fn barge_in_needs_sustained_speech() {
        let t0 = Instant::now();
        let mut t = Turns::new(MS(200));
        t.said(1, "hello".into(), true);
        t.speech_started(t0);
        assert!(!t.barge_in_due(t0 + MS(199)));
        assert!(t.barge_in_due(t0 + MS(200)));
        t.speech_ended();
        t.speech_started(t0 + MS(500));
        t.speech_ended();
        assert!(!t.barge_in_due(t0 + MS(900)));
    }

    #[test]
    fn cut_utterances_are_resaid_from_the_first_unheard() {
        let mut t = Turns::default();
        t.said(1, "answer".into(), false);
        t.said(2, "anything else?".into(), true);
        assert!(!t.finished(3));
        t.stopped();
        assert!(!t.is_bot_speaking());
        assert!(!t.interrupted(1, 900, 1000));
        assert_eq!(t.last_interruption().map(|i| i.was_question), Some(false));
        let again = t.take_resay();
        assert_eq!(again.iter().map(|u| u.id).collect::<Vec<_>>(), [2]);
        assert!(t.take_resay().is_empty());
    }

    #[test]
    fn server_side_interruption_quiets_the_bot() {
        let mut t = Turns::default();
        t.said(1, "question?".into(), true);
        assert!(t.interrupted(1, 100, 1000));
        assert!(!t.is_bot_speaking());
        assert_eq!(t.take_resay().len(), 1);
    }

    #[test]
    fn silence_timer_counts_strikes() {
        let t0 = Instant::now();
        let mut t = Turns::default();
        t.said(1, "question?".into(), true);
        t.arm_no_input(t0, MS(8000));
        assert_eq!(t.deadline(), None, "not while speaking");
        assert!(t.finished(1));
        t.arm_no_input(t0, MS(8000));
        assert_eq!(t.no_input_due(t0 + MS(7999)), None);
        assert_eq!(t.no_input_due(t0 + MS(8000)), Some(1));
        t.arm_no_input(t0, MS(8000));
        assert_eq!(t.no_input_due(t0 + MS(8000)), Some(2));
        t.caller_took_turn();
        t.arm_no_input(t0, MS(8000));
        assert_eq!(t.no_input_due(t0 + MS(8000)), Some(1));
    }
}
