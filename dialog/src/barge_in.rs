//! When caller speech over the bot is an interruption (sans-IO).
//!
//! Energy alone cannot tell a caller who takes the floor from one who
//! coughs, breathes or says "uh-huh" to show they are listening, and a bot
//! that stops for every such sound (and starts the sentence again) is worse
//! than one that talks on. So the bot stops when:
//! - a partial transcript of the speech over it holds words that are not a
//!   backchannel (two words, or one that asks to stop or for a person), or
//! - the caller has spoken without a pause for `sustained` (a backchannel
//!   or a cough is shorter), even if no transcript has come yet;
//!
//! and never for speech that pauses before `sustained` with nothing but a
//! backchannel or nothing at all heard in it. The owner feeds the voice
//! activity boundaries and pauses, the partials, and polls
//! [`BargeIn::due`] at [`BargeIn::deadline`].

use std::time::{Duration, Instant};

use crate::nlu::text::{MAX_CHARS, clip, words};
use crate::nlu::{Intent, classify, is_backchannel};

/// The longest the bot's audio stays held for one undecided stretch of
/// caller speech (a transcript that never comes must not silence it).
const MAX_HOLD: Duration = Duration::from_secs(3);

/// One word that takes the floor on its own.
const FLOOR_WORDS: &[&str] = &["stop", "wait", "sorry", "excuse", "hold", "hello", "actually", "what"];

/// Barge-in state of one call.
#[derive(Debug, Clone)]
pub struct BargeIn {
    sustained: Duration,
    caller_speaking: bool,
    due_at: Option<Instant>,
    /// Since when caller speech over the bot awaits a decision.
    contested_since: Option<Instant>,
}

impl Default for BargeIn {
    /// 500 ms of speech without a pause.
    fn default() -> Self {
        Self::new(Duration::from_millis(500))
    }
}

impl BargeIn {
    /// Speech over the bot stops it after `sustained` without a pause.
    pub fn new(sustained: Duration) -> Self {
        Self {
            sustained,
            caller_speaking: false,
            due_at: None,
            contested_since: None,
        }
    }

    /// Voice onset; `bot_speaking`: whether the bot is talking now.
    pub fn speech_started(&mut self, now: Instant, bot_speaking: bool) {
        self.caller_speaking = true;
        self.due_at = bot_speaking.then(|| now + self.sustained);
        if bot_speaking {
            self.contested_since.get_or_insert(now);
        }
    }

    /// The caller fell silent (a pause, not yet the end of the turn): the
    /// run of speech was shorter than `sustained`.
    pub fn paused(&mut self) {
        self.due_at = None;
    }

    /// The caller speaks again after a pause: a new run of speech.
    pub fn resumed(&mut self, now: Instant, bot_speaking: bool) {
        if self.caller_speaking {
            self.due_at = bot_speaking.then(|| now + self.sustained);
            if bot_speaking {
                self.contested_since.get_or_insert(now);
            }
        }
    }

    /// End of the caller's speech.
    pub fn speech_ended(&mut self) {
        self.caller_speaking = false;
        self.due_at = None;
    }

    /// A partial transcript of the speech over the bot: `true` when it
    /// takes the floor (stop the bot now). A backchannel disarms the timer
    /// until the caller speaks on after a pause.
    pub fn partial(&mut self, text: &str) -> bool {
        if text.trim().is_empty() {
            return false;
        }
        if is_backchannel(text) {
            self.due_at = None;
            self.contested_since = None;
            return false;
        }
        let w = words(clip(text, MAX_CHARS));
        let urgent = matches!(classify(text), Intent::Human | Intent::Emergency);
        let floor = w.len() == 1 && FLOOR_WORDS.contains(&w[0].as_str());
        if urgent || floor || w.len() >= 2 {
            self.disarm();
            return true;
        }
        false
    }

    /// The transcript of the caller's turn arrived and was acted on (the
    /// bot was stopped, or the words were only listening): nothing is
    /// undecided any more.
    pub fn final_heard(&mut self) {
        self.contested_since = None;
    }

    /// Disarms the timer (the bot stopped, or the call is over).
    pub fn disarm(&mut self) {
        self.due_at = None;
        self.contested_since = None;
    }

    /// When [`BargeIn::due`] next needs a look.
    pub fn deadline(&self) -> Option<Instant> {
        self.due_at
    }

    /// The timer at `now`: `true` to stop the bot (fires once).
    pub fn due(&mut self, now: Instant, bot_speaking: bool) -> bool {
        if self.due_at.is_none_or(|at| now < at) {
            return false;
        }
        self.due_at = None;
        let stop = self.caller_speaking && bot_speaking;
        if stop {
            self.contested_since = None;
        }
        stop
    }

    /// Whether caller speech over the bot is waiting for a decision: from
    /// the onset until the words are known (a partial that takes the floor
    /// or is a backchannel, or the turn's transcript), at most 3 s. The
    /// owner may hold the bot's audio meanwhile, so that the caller hears it
    /// stop at once, and let it go on if the speech was a backchannel or a
    /// cough.
    pub fn contested(&self, now: Instant) -> bool {
        self.contested_since.is_some_and(|t| now < t + MAX_HOLD)
    }

    /// Whether caller speech is in progress.
    pub fn caller_speaking(&self) -> bool {
        self.caller_speaking
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    #[test]
    fn sustained_speech_stops_the_bot_a_short_burst_does_not() {
        let t0 = Instant::now();
        let mut b = BargeIn::new(MS(600));
        b.speech_started(t0, true);
        assert_eq!(b.deadline(), Some(t0 + MS(600)));
        assert!(!b.due(t0 + MS(599), true));
        assert!(
            b.contested(t0 + MS(599)),
            "undecided until then: the bot's audio may be held"
        );
        assert!(b.due(t0 + MS(600), true));
        assert!(!b.contested(t0 + MS(600)));

        // A cough: a pause before 600 ms, then the end of speech.
        let mut b = BargeIn::new(MS(600));
        b.speech_started(t0, true);
        b.paused();
        assert!(!b.due(t0 + MS(700), true));
        b.speech_ended();
        assert_eq!(b.deadline(), None);
        assert!(b.contested(t0 + MS(700)), "held until the words are known");
        b.final_heard();
        assert!(!b.contested(t0 + MS(700)));
        // A transcript that never comes does not hold the bot for ever.
        b.speech_started(t0, true);
        assert!(b.contested(t0 + MS(2999)) && !b.contested(t0 + MS(3000)));

        // Speaking on after the pause is a new run of speech.
        let mut b = BargeIn::new(MS(600));
        b.speech_started(t0, true);
        b.paused();
        b.resumed(t0 + MS(400), true);
        assert!(!b.due(t0 + MS(999), true));
        assert!(b.due(t0 + MS(1000), true));
    }

    #[test]
    fn words_stop_the_bot_backchannels_do_not() {
        let t0 = Instant::now();
        let mut b = BargeIn::new(MS(600));
        b.speech_started(t0, true);
        // "And then." is how the recogniser heard flite's "Uh-huh." once.
        for backchannel in ["", "Mm-hm.", "uh-huh", "okay", "Right.", "And then.", "Oh."] {
            assert!(!b.partial(backchannel), "{backchannel}");
        }
        assert_eq!(b.deadline(), None, "a backchannel disarms the timer");
        assert!(!b.contested(t0), "the bot goes on");
        assert!(!b.partial("my"), "one word may still become a backchannel");
        for floor in ["Wait", "stop", "Agent.", "my name is", "I have a question"] {
            let mut b = BargeIn::new(MS(600));
            b.speech_started(t0, true);
            assert!(b.partial(floor), "{floor}");
        }
    }

    #[test]
    fn speech_while_the_bot_is_quiet_is_no_barge_in() {
        let t0 = Instant::now();
        let mut b = BargeIn::new(MS(600));
        b.speech_started(t0, false);
        assert_eq!(b.deadline(), None);
        b.speech_started(t0, true);
        assert!(!b.due(t0 + MS(600), false), "the bot finished meanwhile");
    }
}
