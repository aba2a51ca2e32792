//! The dialog under a supervisor: guidance acted on at the bot's next turn,
//! take-over (the bot silent, the supervisor's words spoken) and hand-back.

use super::{CallOutcome, Dialog, Stage, Tier};
use crate::prompts;
use crate::supervision::{Guidance, Supervisor};

/// Supervisor state of one call's dialog.
#[derive(Debug, Default)]
pub(super) struct Supervised {
    /// A person has the call: the bot neither listens nor speaks.
    pub taken_over: bool,
    /// The supervisor's microphone is on the call: the bot yields the floor.
    pub barging: bool,
    /// Guidance waiting for the caller's turn to end.
    pub pending: Option<Guidance>,
    /// The caller has started a turn not yet transcribed.
    pub turn_open: bool,
    /// Lines said in the supervisor's own words.
    pub lines: Vec<u64>,
}

impl Dialog {
    /// Whether a supervisor has the call now (taken over, or speaking into it).
    pub fn is_taken_over(&self) -> bool {
        self.supervised.taken_over || self.supervised.barging
    }

    /// Whether `Say` `id` carried a supervisor's own words (not the bot's).
    pub fn is_supervisor_line(&self, id: u64) -> bool {
        self.supervised.lines.contains(&id)
    }

    pub(super) fn on_supervisor(&mut self, input: Supervisor) {
        match input {
            Supervisor::Guide(g) => {
                if self.is_taken_over() {
                    return;
                }
                if self.supervised.turn_open {
                    // The caller is mid-turn: at the end of it.
                    self.supervised.pending = Some(g);
                } else {
                    self.act_on(g);
                }
            }
            Supervisor::TakeOver => {
                if self.supervised.taken_over {
                    return;
                }
                self.stop_speaking();
                self.supervised.taken_over = true;
                self.supervised.pending = None;
                self.outstanding = None;
                self.queued.clear();
                self.turns.clear_timers();
            }
            Supervisor::HandBack => {
                if !self.supervised.taken_over {
                    return;
                }
                self.supervised.taken_over = false;
                self.supervised.turn_open = false;
                self.say(prompts::HANDED_BACK, true);
                self.arm_no_input();
            }
            Supervisor::BargeIn => {
                if self.supervised.barging {
                    return;
                }
                self.stop_speaking();
                self.supervised.barging = true;
                self.supervised.pending = None;
                self.turns.clear_timers();
            }
            Supervisor::BargeEnded => {
                if !self.supervised.barging {
                    return;
                }
                self.supervised.barging = false;
                self.supervised.turn_open = false;
                if !self.supervised.taken_over {
                    // The bot takes the floor back quietly: it listens.
                    self.arm_no_input();
                }
            }
            Supervisor::Speak(text) => {
                if !self.is_taken_over() {
                    return;
                }
                let id = self.next_say;
                self.supervised.lines.push(id);
                self.say(text, false);
            }
        }
    }

    /// The caller's turn ended: guidance that waited for it, if any. True
    /// when it replaces the bot's own answer (a transfer).
    pub(super) fn guidance_at_turn_end(&mut self) -> bool {
        self.supervised.turn_open = false;
        match self.supervised.pending.take() {
            Some(Guidance::Transfer) => {
                self.act_on(Guidance::Transfer);
                true
            }
            Some(g) => {
                self.supervised.pending = Some(g);
                false
            }
            None => false,
        }
    }

    /// Guidance left after the bot's answer to the caller's turn.
    pub(super) fn guidance_after_answer(&mut self) {
        if let Some(g) = self.supervised.pending.take() {
            self.act_on(g);
        }
    }

    fn act_on(&mut self, g: Guidance) {
        if matches!(self.stage, Stage::Done | Stage::NotStarted) {
            return;
        }
        match g {
            Guidance::Transfer => {
                self.stop_speaking();
                self.transfer(
                    prompts::SUPERVISOR_TRANSFER,
                    Tier::T1,
                    "supervisor_request",
                    CallOutcome::Transferred,
                );
            }
            Guidance::Callback => {
                self.capture_handoff("supervisor_callback");
                self.say(prompts::SUPERVISOR_CALLBACK, false);
                self.actions.push_back(super::Action::QueueForStaff {
                    tier: Tier::T1,
                    reason: "supervisor_callback",
                });
            }
            Guidance::Say(text) => self.say(text, false),
        }
    }
}
