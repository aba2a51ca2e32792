//! The call as a sans-IO state machine: [`Event`]s in, [`Action`]s out,
//! timers through [`Dialog::poll_timeout`] and [`Dialog::handle_timeout`].
//!
//! The stage is a type: the patient record exists only inside
//! `Stage::Verified` (as a `VerifiedCaller`), and dropping to `Stage::Done`
//! drops it. Conversation handling is split by concern: `flow` (each caller
//! turn, calls that end the call, the identify stage), `verified` (requests
//! of a verified caller) and `results` (function results).

mod flow;
mod io;
mod results;
mod supervised;
mod turn_end;
mod verified;

use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use crate::catalog::Catalog;
pub use crate::nlu::Intent;
pub use crate::speech::Interruption;
pub use crate::tier::Tier;
pub use io::{Action, CallOutcome, Event};

use crate::calls::{Outstanding, Purpose, filler_delay};
use crate::nlu::Understanding;
use crate::prompts;
use crate::speech::Turns;
use crate::tools::{CallId, Request};
use crate::verify::{Identity, Pending, VerifiedCaller};

/// Tunables of one call.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DialogConfig {
    /// Failed identity lookups before the call goes to a technician (3).
    pub max_verify_attempts: u32,
    /// How long caller speech over the bot must go on without a pause
    /// before the bot stops when no words have been recognised in it yet
    /// (500 ms after the onset the VAD reports: a cough or an "uh-huh" is shorter; words stop it sooner).
    pub barge_in_min_ms: u64,
    /// Cap on the filler delay after a call is made (800 ms).
    pub filler_after: Duration,
    /// Share of a function's budget after which the filler is said (0.6).
    pub soft_deadline_fraction: f32,
    /// A call whose budget is longer than this is acknowledged at once
    /// ([`prompts::LET_ME_CHECK`], no filler later): the caller hears the
    /// bot take the request instead of waiting out a slow function in
    /// silence (1 s: the payer's benefits check).
    pub acknowledge_over: Duration,
    /// Turns not understood in a row before the call goes to a technician (3).
    pub max_not_understood: u32,
    /// Silence after a question before a reprompt; a second one ends the call (8 s).
    pub no_input_timeout: Duration,
}

impl Default for DialogConfig {
    fn default() -> Self {
        Self {
            max_verify_attempts: 3,
            barge_in_min_ms: 500,
            filler_after: Duration::from_millis(800),
            soft_deadline_fraction: 0.6,
            acknowledge_over: Duration::from_secs(1),
            max_not_understood: 3,
            no_input_timeout: Duration::from_secs(8),
        }
    }
}

/// A second opinion on utterances the grammar does not understand.
/// Consulted only where [`crate::nlu::wants_second_opinion`] says so, while
/// the dialog steps: an implementation must be a lookup, not a model run
/// (the server's classifier embeds the transcript off the runtime as it
/// comes back from the recogniser and leaves its opinion here).
pub trait IntentFallback: Send {
    /// The intent of `text`, if the classifier is confident.
    fn classify(&self, text: &str) -> Option<Intent>;
}

/// Where the conversation is.
enum Stage {
    /// Before [`Event::Started`].
    NotStarted,
    /// Collecting name and date of birth.
    Identify(Box<Identity>),
    /// Verified: the patient record lives here and only here.
    Verified(Box<Session>),
    /// Transferred or hung up: input is ignored.
    Done,
}

/// A verified caller and what the last question expects.
struct Session {
    caller: VerifiedCaller,
    awaiting: Awaiting,
    /// The medication the conversation is about ("is it covered?").
    topic: Option<String>,
}

/// What the last question the bot asked is waiting for.
enum Awaiting {
    Nothing,
    /// "Is there anything else I can help with?"
    AnythingElse,
    /// "Which medication is this about?" for this request.
    Medication(Pending),
    /// The same, after the medications on file were read out as choices
    /// (keys 1 to n, or "the first one", pick one).
    MedicationListed(Pending),
    /// A request was not understood and the menu was offered
    /// ([`prompts::NOT_UNDERSTOOD_MENU`]): keys 1 to 4 choose.
    Menu,
    /// "What would you like to know about …?": a medication was named, the
    /// request was not understood.
    Topic(String),
    /// "What symptoms are you having?" (the medication, if known).
    Symptoms {
        medication: Option<String>,
    },
}

/// One call's dialog.
pub struct Dialog {
    cfg: DialogConfig,
    catalog: Arc<Catalog>,
    fallback: Option<Box<dyn IntentFallback>>,
    now: Instant,
    /// How far the caller's audio has come ([`Dialog::handle_audio`]):
    /// speech over the bot is timed on this clock.
    audio_now: Option<Instant>,
    actions: VecDeque<Action>,
    next_say: u64,
    next_call: u64,
    stage: Stage,
    outcome: CallOutcome,
    verified: bool,
    answered: bool,
    caller_phone: Option<String>,
    turns: Turns,
    outstanding: Option<Outstanding>,
    queued: VecDeque<String>,
    not_understood: u32,
    /// Staff tiers with nobody on duty now ([`Event::StaffHours`]).
    closed_tiers: Vec<Tier>,
    /// The last intent understood (for the handoff to staff).
    last_intent: Option<Intent>,
    /// The last sentence said (not the filler) and whether it asked
    /// something: what "what?" repeats.
    last_said: Option<(String, bool)>,
    /// What the person taking the call is told, once a transfer is decided.
    handoff: Option<Handoff>,
    /// A supervisor's guidance and take-over.
    supervised: supervised::Supervised,
    /// [`prompts::CONFIRM_EMERGENCY`] was asked: a yes is an emergency.
    confirming_emergency: bool,
    /// A request only the second opinion heard, asked about
    /// ([`prompts::confirm_guess`]): a yes acts on it. With the words said.
    confirming_guess: Option<(Understanding, String)>,
    /// The guess's question was asked again after an answer that was
    /// neither yes nor no (once per guess).
    guess_asked_again: bool,
}

/// What the person who takes a transferred call (or works its callback) is
/// told first. The medication is filled only for a verified caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handoff {
    /// Why the call goes to staff (the transfer's reason label).
    pub reason: &'static str,
    /// Whether the caller's identity was verified.
    pub verified: bool,
    /// The caller's last request, as an intent label ("coverage", ...).
    pub intent: Option<&'static str>,
    /// The medication the conversation was about (verified callers only).
    pub medication: Option<String>,
    /// The verified patient's id (verified callers only).
    pub patient_id: Option<i64>,
}

impl fmt::Debug for Dialog {
    /// Stage and outcome only: never the record or the caller's words.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stage = match self.stage {
            Stage::NotStarted => "not_started",
            Stage::Identify(_) => "identify",
            Stage::Verified(_) => "verified",
            Stage::Done => "done",
        };
        f.debug_struct("Dialog")
            .field("stage", &stage)
            .field("outcome", &self.outcome)
            .finish_non_exhaustive()
    }
}

impl Dialog {
    /// A dialog for a call that has not started yet.
    pub fn new(cfg: DialogConfig, catalog: Arc<Catalog>, now: Instant) -> Self {
        Self {
            cfg,
            catalog,
            fallback: None,
            now,
            audio_now: None,
            actions: VecDeque::new(),
            next_say: 1,
            next_call: 1,
            stage: Stage::NotStarted,
            outcome: CallOutcome::InProgress,
            verified: false,
            answered: false,
            caller_phone: None,
            turns: Turns::new(Duration::from_millis(cfg.barge_in_min_ms)),
            outstanding: None,
            queued: VecDeque::new(),
            not_understood: 0,
            closed_tiers: Vec::new(),
            last_intent: None,
            last_said: None,
            handoff: None,
            supervised: supervised::Supervised::default(),
            confirming_emergency: false,
            confirming_guess: None,
            guess_asked_again: false,
        }
    }

    /// Plugs in a second opinion for utterances the grammar does not understand.
    pub fn set_intent_fallback(&mut self, f: Box<dyn IntentFallback>) {
        self.fallback = Some(f);
    }

    /// Feeds one event; the resulting actions come from [`Dialog::poll_action`].
    pub fn handle(&mut self, ev: Event, now: Instant) {
        self.now = now;
        match ev {
            Event::BotStarted(_) => {}
            Event::BotFinished(id) => {
                if self.turns.finished(id) {
                    self.after_bot_quiet();
                }
            }
            Event::BotInterrupted { id, heard_ms, total_ms } => {
                if self.turns.interrupted(id, heard_ms, total_ms) {
                    self.after_bot_quiet();
                }
            }
            Event::StaffHours { closed } => self.closed_tiers = closed,
            _ if matches!(self.stage, Stage::Done) => {}
            Event::Started { caller_phone } => {
                if matches!(self.stage, Stage::NotStarted) {
                    self.caller_phone = caller_phone.clone();
                    let mut id = Box::<Identity>::default();
                    if let Some(phone) = caller_phone {
                        // While the greeting plays: whose names to expect.
                        id.names_call = Some(self.fire(Request::NamesOnFile { phone }));
                    }
                    self.stage = Stage::Identify(id);
                    self.say(prompts::GREETING, true);
                }
            }
            _ if matches!(self.stage, Stage::NotStarted) => {}
            Event::Supervisor(input) => self.on_supervisor(input),
            // A person has the call: the bot neither listens nor answers.
            _ if self.is_taken_over() => {}
            Event::CallerSpeechStarted => {
                self.supervised.turn_open = true;
                self.turns.speech_started(self.audio_now.unwrap_or(now))
            }
            Event::CallerPaused => self.turns.paused(),
            Event::CallerResumed => self.turns.resumed(self.audio_now.unwrap_or(now)),
            Event::CallerSpeechEnded => {
                self.turns.speech_ended();
                self.arm_no_input();
            }
            Event::Partial(text) => self.on_partial(&text),
            Event::Final(text) => {
                if self.guidance_at_turn_end() {
                    self.turns.caller_took_turn();
                } else {
                    self.on_final(&text);
                    self.guidance_after_answer();
                }
                self.turns.final_heard();
            }
            Event::HintOverruled(hinted) => self.on_hint_overruled(&hinted),
            Event::Dtmf(digit) => self.on_dtmf(digit),
            Event::Result { id, outcome } => self.on_result(id, outcome),
        }
    }

    /// The next action to carry out, in order.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// When [`Dialog::handle_timeout`] should next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if matches!(self.stage, Stage::Done | Stage::NotStarted) || self.is_taken_over() {
            return None;
        }
        let filler = self.outstanding.as_ref().and_then(Outstanding::filler_deadline);
        [self.turns.deadline(), filler].into_iter().flatten().min()
    }

    /// The caller's audio has come as far as `audio_now` (the owner calls
    /// this with every frame, before the frame's speech events): speech
    /// over the bot that has gone on long enough in audio stops it. Timed in
    /// audio, not by a timer, so that frames processed late and together
    /// on a busy machine do not make an "uh-huh" seem long.
    pub fn handle_audio(&mut self, audio_now: Instant) {
        self.audio_now = Some(audio_now);
        if matches!(self.stage, Stage::Done | Stage::NotStarted) || self.is_taken_over() {
            return;
        }
        if self.turns.barge_in_due(audio_now) {
            self.stop_speaking();
        }
    }

    /// Fires every timer due at `now` (filler, silence; the barge-in runs
    /// on the audio clock, see [`Dialog::handle_audio`]).
    pub fn handle_timeout(&mut self, now: Instant) {
        self.now = now;
        if matches!(self.stage, Stage::Done | Stage::NotStarted) || self.is_taken_over() {
            return;
        }
        let speaking = self.turns.is_bot_speaking();
        if self.outstanding.as_mut().is_some_and(|o| o.on_timer(now, speaking)) {
            self.say(prompts::ONE_MOMENT, false);
        }
        if let Some(strikes) = self.turns.no_input_due(now) {
            self.on_no_input(strikes);
        }
    }

    /// How the call ended so far.
    pub fn outcome(&self) -> CallOutcome {
        self.outcome
    }

    /// What staff are told about the call, once it was handed to them
    /// (a transfer or a callback task).
    pub fn handoff(&self) -> Option<&Handoff> {
        self.handoff.as_ref()
    }

    /// Whether the caller's identity was verified on this call.
    pub fn is_verified(&self) -> bool {
        self.verified
    }

    /// The last request understood, as an intent label ("coverage", ...).
    pub fn last_intent_label(&self) -> Option<&'static str> {
        self.last_intent.map(Intent::label)
    }

    /// Whether a `Say` is playing (from the action until it finished or was cut).
    pub fn is_bot_speaking(&self) -> bool {
        self.turns.is_bot_speaking()
    }

    /// Whether the caller is talking over the bot and it is not yet decided
    /// whether that is an interruption (see [`crate::barge_in::BargeIn`]):
    /// the server may hold the bot's audio meanwhile.
    pub fn floor_contested(&self, now: Instant) -> bool {
        self.turns.floor_contested(now)
    }

    /// Text the speech recogniser should expect at this point of the call
    /// (see [`crate::hint`]): a verified caller's own medications; before
    /// verification, the names registered at the calling number. PHI: for
    /// the recogniser only.
    pub fn recognition_hint(&self) -> Option<String> {
        match &self.stage {
            Stage::Identify(id) => id.expected.hint(),
            Stage::Verified(s) => crate::hint::recognition_hint(&s.caller.medication_names()),
            _ => None,
        }
    }

    /// The names on file the recogniser is hinted with, while the caller is
    /// being identified (to check a hinted decode against a plain one, see
    /// [`crate::hint::ExpectedNames::corroborate`]). PHI: for the
    /// recogniser's side only.
    pub fn expected_names(&self) -> Option<&crate::hint::ExpectedNames> {
        match &self.stage {
            Stage::Identify(id) if id.expected.hint().is_some() => Some(&id.expected),
            _ => None,
        }
    }

    /// The last bot utterance cut short, with how much of it was heard.
    pub fn last_interruption(&self) -> Option<Interruption> {
        self.turns.last_interruption()
    }

    // ----- helpers shared by the flow modules -----

    fn say(&mut self, text: impl Into<String>, question: bool) {
        let text = text.into();
        if text != prompts::ONE_MOMENT && text != prompts::LET_ME_CHECK {
            self.last_said = Some((text.clone(), question));
        }
        let id = self.next_say;
        self.next_say += 1;
        self.turns.said(id, text.clone(), question);
        self.actions.push_back(Action::Say { id, text });
    }

    /// Makes a call the dialog waits on (answers come after its result).
    /// A slow one is acknowledged at once; a quick one gets the filler
    /// only if its answer is late.
    fn call(&mut self, request: Request, purpose: Purpose) {
        let filler = if request.budget() > self.cfg.acknowledge_over {
            self.say(prompts::LET_ME_CHECK, false);
            None
        } else {
            Some(filler_delay(
                request.budget(),
                self.cfg.soft_deadline_fraction,
                self.cfg.filler_after,
            ))
        };
        let id = self.fire(request);
        self.outstanding = Some(Outstanding::new(id, purpose, self.now, filler));
        self.turns.cancel_no_input();
    }

    /// Makes a call whose result nobody waits for.
    fn fire(&mut self, request: Request) -> CallId {
        let id = CallId(self.next_call);
        self.next_call += 1;
        self.actions.push_back(Action::Call { id, request });
        id
    }

    fn stop_speaking(&mut self) {
        if self.turns.is_bot_speaking() {
            self.actions.push_back(Action::StopSpeaking);
            self.turns.stopped();
        }
    }

    /// Ends the dialog: drops the record, disarms timers, ignores what follows.
    fn end(&mut self, outcome: CallOutcome) {
        self.stage = Stage::Done;
        self.outcome = outcome;
        self.outstanding = None;
        self.queued.clear();
        self.turns.clear_timers();
    }

    /// What staff would be told if the call went to them now for `reason`.
    pub fn context(&self, reason: &'static str) -> Handoff {
        let (medication, patient_id) = match &self.stage {
            Stage::Verified(s) => (s.topic.clone(), Some(s.caller.patient_id())),
            _ => (None, None),
        };
        Handoff {
            reason,
            verified: self.verified,
            intent: self.last_intent.map(Intent::label),
            medication,
            patient_id,
        }
    }

    /// Captures what staff will be told (before `end` drops the record).
    fn capture_handoff(&mut self, reason: &'static str) {
        self.handoff = Some(self.context(reason));
    }

    fn transfer(&mut self, prompt: &'static str, tier: Tier, reason: &'static str, outcome: CallOutcome) {
        self.capture_handoff(reason);
        if self.closed_tiers.contains(&tier) {
            // Nobody to take the call: say so, and make the callback real.
            self.say(prompts::STAFF_CLOSED_CALLBACK, false);
            self.actions.push_back(Action::QueueForStaff { tier, reason });
            self.actions.push_back(Action::Hangup);
            self.end(CallOutcome::CallbackQueued);
            return;
        }
        self.say(prompt, false);
        self.actions.push_back(Action::Transfer { tier, reason });
        self.end(outcome);
    }

    fn hang_up(&mut self, prompt: &'static str) {
        self.say(prompt, false);
        self.actions.push_back(Action::Hangup);
        self.end(if self.answered {
            CallOutcome::Resolved
        } else {
            CallOutcome::Abandoned
        });
    }

    fn after_bot_quiet(&mut self) {
        if matches!(self.stage, Stage::Done) {
            return;
        }
        if self.outstanding.as_mut().is_some_and(Outstanding::on_quiet) {
            self.say(prompts::ONE_MOMENT, false);
        } else {
            self.arm_no_input();
        }
    }

    fn arm_no_input(&mut self) {
        if self.outstanding.is_none() && matches!(self.stage, Stage::Identify(_) | Stage::Verified(_)) {
            self.turns.arm_no_input(self.now, self.cfg.no_input_timeout);
        }
    }

    fn on_no_input(&mut self, strikes: u32) {
        if strikes >= 2 {
            self.hang_up(prompts::NO_INPUT_GOODBYE);
        } else {
            self.say(prompts::STILL_THERE, false);
            let question = self.current_question();
            self.say(question, true);
        }
    }

    /// The fixed question that fits where the conversation is.
    fn current_question(&self) -> &'static str {
        match &self.stage {
            Stage::Identify(id) if id.member_id_keys() => prompts::ASK_MEMBER_ID,
            Stage::Identify(id) => match (&id.name, &id.dob) {
                (Some(_), None) if id.month_day.is_some() => prompts::ASK_YEAR,
                (Some(_), None) if id.keypad_offered => prompts::ASK_DOB_KEYPAD,
                (Some(_), None) => prompts::ASK_DOB,
                (None, Some(_)) => prompts::ASK_NAME,
                _ => prompts::ASK_IDENTITY,
            },
            Stage::Verified(s) => match s.awaiting {
                Awaiting::Medication(_) | Awaiting::MedicationListed(_) => prompts::WHICH_MEDICATION,
                Awaiting::Topic(_) | Awaiting::Menu => prompts::HOW_CAN_I_HELP,
                Awaiting::Symptoms { .. } => prompts::ASK_SYMPTOMS,
                Awaiting::AnythingElse => prompts::ANYTHING_ELSE,
                Awaiting::Nothing => prompts::HOW_CAN_I_HELP,
            },
            Stage::NotStarted | Stage::Done => prompts::ASK_IDENTITY,
        }
    }
}
