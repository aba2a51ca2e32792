//! An outbound benefits-verification call to a payer's provider line, as a
//! sans-IO state machine: the same [`Event`]s in and [`Action`]s out as the
//! patient [`crate::Dialog`], with [`Action::SendDigits`] for the keypad.
//!
//! The call goes through four phases ([`Phase`]):
//! - **phone menu**: each prompt is read for the option that leads to
//!   pharmacy benefits (or a person), for entries to key in (NPI, member ID,
//!   date of birth), and for speech menus; a prompt heard three times, or
//!   two prompts not understood, make the bot press 0, then say
//!   "representative", then give up as a dead end;
//! - **hold**: music, silence and "your call is important to us" are not
//!   turns; the first words that are not a recording are the person;
//! - **representative**: an honest introduction (an automated assistant
//!   calling for the provider), the identifiers the rep asks for, then one
//!   question at a time, asked again once when the answer is not
//!   understood, "please hold" waited out, the answers read back;
//! - **done**: thanks and goodbye, or a hang-up that needs a person.
//!
//! What was learnt is in [`Findings`], each answer with the words it came
//! from and a confidence; [`PayerCall::take_progress`] says when it changed.

mod findings;
pub mod menu;
pub mod reply;

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;
use std::time::{Duration, Instant};

use chrono::{Datelike, NaiveDate};

pub use findings::{Captured, Channels, CostShare, Dollars, Findings, Terms};

use crate::machine::{Action, Event};
use crate::turn_end::{self, Completeness};
use findings::captured;
use menu::{Choice, Entry};

/// What the call is about: who calls, for whom, about which drug. The
/// payer is given these identifiers because it holds the record already.
#[derive(Clone)]
pub struct PayerBrief {
    /// The provider (pharmacy or practice) the call is made for.
    pub provider: String,
    /// The provider's NPI (ten digits).
    pub npi: String,
    /// The provider's callback number.
    pub callback_number: String,
    /// Patient's given name.
    pub patient_first: String,
    /// Patient's family name.
    pub patient_last: String,
    /// Patient's date of birth.
    pub dob: NaiveDate,
    /// Member ID at the payer.
    pub member_id: String,
    /// The medication to verify.
    pub medication: String,
}

impl fmt::Debug for PayerBrief {
    /// The provider only: the rest is PHI.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PayerBrief")
            .field("provider", &self.provider)
            .finish_non_exhaustive()
    }
}

/// Where the call is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// In the payer's phone menu.
    Ivr,
    /// On hold for a person.
    Hold,
    /// Talking with the representative.
    WithRep,
    /// Over.
    Done,
}

impl Phase {
    /// Stable snake_case label (the job's status while the call runs).
    pub fn label(self) -> &'static str {
        match self {
            Self::Ivr => "ivr",
            Self::Hold => "hold",
            Self::WithRep => "with_rep",
            Self::Done => "done",
        }
    }
}

/// How a payer call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayerOutcome {
    /// Every question answered and read back.
    Completed,
    /// The rep answered some questions; the rest are missing.
    Partial,
    /// Nothing usable: a person must take over (the reason says why).
    NeedsHuman(&'static str),
}

impl PayerOutcome {
    /// Stable snake_case label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Completed => "completed",
            Self::Partial => "partial",
            Self::NeedsHuman(_) => "needs_human",
        }
    }
}

/// Tunables of a payer call.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PayerCallConfig {
    /// Quiet after a menu prompt before the bot chooses (1.5 s: menus pause
    /// between options).
    pub menu_settle: Duration,
    /// Quiet after the rep's words before the bot answers (0.6 s).
    pub rep_settle: Duration,
    /// Nothing heard in the menu this long: press 0 (20 s).
    pub menu_silence: Duration,
    /// Longest hold before giving up (40 min).
    pub max_hold: Duration,
    /// The rep silent this long after a question: ask again, then move on (15 s).
    pub answer_timeout: Duration,
}

impl Default for PayerCallConfig {
    fn default() -> Self {
        Self {
            menu_settle: Duration::from_millis(1500),
            rep_settle: Duration::from_millis(600),
            menu_silence: Duration::from_secs(20),
            max_hold: Duration::from_secs(40 * 60),
            answer_timeout: Duration::from_secs(15),
        }
    }
}

/// The questions for the rep, in the order asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Question {
    Coverage,
    PlanType,
    Network,
    Deductible,
    OutOfPocket,
    CostShare,
    PriorAuth,
    PaProcess,
    StepTherapy,
    QuantityLimit,
    Reference,
    RepName,
}

const QUESTIONS: [Question; 12] = [
    Question::Coverage,
    Question::PlanType,
    Question::Network,
    Question::Deductible,
    Question::OutOfPocket,
    Question::CostShare,
    Question::PriorAuth,
    Question::PaProcess,
    Question::StepTherapy,
    Question::QuantityLimit,
    Question::Reference,
    Question::RepName,
];

/// An identifier the rep may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Identifier {
    PatientName,
    DateOfBirth,
    MemberId,
    Npi,
    Provider,
    Callback,
    Medication,
}

/// The read-back of the answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Readback {
    NotYet,
    Asked(u32),
}

/// One outbound verification call's conversation.
pub struct PayerCall {
    cfg: PayerCallConfig,
    brief: PayerBrief,
    phase: Phase,
    findings: Findings,
    outcome: Option<PayerOutcome>,
    actions: VecDeque<Action>,
    next_say: u64,
    playing: HashSet<u64>,
    now: Instant,
    /// Words heard since the last decision.
    pending: Vec<String>,
    /// When to act on `pending` (the far end has been quiet long enough).
    act_at: Option<Instant>,
    /// The far end is talking now.
    far_talking: bool,
    /// Nothing-happens guard (menu silence, hold length, unanswered question).
    guard: Option<Instant>,
    hold_since: Option<Instant>,
    /// Menu prompts heard, by their words (loop detection).
    prompts: HashMap<String, u32>,
    menu_misses: u32,
    escalations: u32,
    /// Times each entry was asked for (an entry refused again and again
    /// is a dead end, not a reason to key it forever).
    entries: HashMap<Entry, u32>,
    /// Digits sent; a new media stream comes when they have been played.
    awaiting_stream: bool,
    introduced: bool,
    /// The rep asked the bot to hold: no answer is due until they speak.
    rep_holding: bool,
    queue: VecDeque<Question>,
    asking: Option<Question>,
    retries: u32,
    readback: Readback,
    changed: bool,
}

impl fmt::Debug for PayerCall {
    /// Phase and outcome only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PayerCall")
            .field("phase", &self.phase)
            .field("outcome", &self.outcome)
            .finish_non_exhaustive()
    }
}

/// What changed since the last [`PayerCall::take_progress`].
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    /// Where the call is.
    pub phase: Phase,
    /// What has been learnt.
    pub findings: Findings,
    /// Set once the call is over.
    pub outcome: Option<PayerOutcome>,
}

impl PayerCall {
    /// A call about `brief`, not yet connected.
    pub fn new(cfg: PayerCallConfig, brief: PayerBrief, now: Instant) -> Self {
        Self {
            cfg,
            brief,
            phase: Phase::Ivr,
            findings: Findings::default(),
            outcome: None,
            actions: VecDeque::new(),
            next_say: 1,
            playing: HashSet::new(),
            now,
            pending: Vec::new(),
            act_at: None,
            far_talking: false,
            guard: None,
            hold_since: None,
            prompts: HashMap::new(),
            menu_misses: 0,
            escalations: 0,
            entries: HashMap::new(),
            awaiting_stream: false,
            introduced: false,
            rep_holding: false,
            queue: QUESTIONS.into_iter().collect(),
            asking: None,
            retries: 0,
            readback: Readback::NotYet,
            changed: true,
        }
    }

    /// Where the call is.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// What has been learnt so far.
    pub fn findings(&self) -> &Findings {
        &self.findings
    }

    /// How the call ended; `None` while it goes on.
    pub fn outcome(&self) -> Option<PayerOutcome> {
        self.outcome
    }

    /// Whether the bot sent digits and expects the call's next media
    /// stream (Twilio plays digits outside the stream).
    pub fn awaits_stream(&self) -> bool {
        self.awaiting_stream
    }

    /// Text the recogniser should expect now: menu phrasing in the phone
    /// menu (so that keys come out as digits), benefits words with the rep.
    pub fn recognition_hint(&self) -> Option<String> {
        Some(match self.phase {
            Phase::Ivr | Phase::Hold => return menu::MENU_HINT.map(str::to_owned),
            Phase::WithRep => format!(
                "Deductible, out of pocket, coinsurance, copay, prior authorization, step therapy, reference number, {}.",
                self.brief.medication
            ),
            Phase::Done => return None,
        })
    }

    /// Whether a `Say` is still playing.
    pub fn is_bot_speaking(&self) -> bool {
        !self.playing.is_empty()
    }

    /// The phase, findings and outcome, when they changed since last asked.
    pub fn take_progress(&mut self) -> Option<Progress> {
        std::mem::take(&mut self.changed).then(|| Progress {
            phase: self.phase,
            findings: self.findings.clone(),
            outcome: self.outcome,
        })
    }

    /// The call's next media stream started (after digits were played).
    pub fn stream_resumed(&mut self, now: Instant) {
        self.now = now;
        self.awaiting_stream = false;
        self.playing.clear();
        self.far_talking = false;
        self.arm_guard();
    }

    /// The call ended without the conversation ending it (the far end hung
    /// up, the line dropped): what it amounts to.
    pub fn dropped(&mut self) -> PayerOutcome {
        if self.outcome.is_none() {
            let o = if self.findings.answered() > 0 {
                PayerOutcome::Partial
            } else {
                PayerOutcome::NeedsHuman("dropped")
            };
            self.outcome = Some(o);
            self.phase = Phase::Done;
            self.changed = true;
        }
        self.outcome.unwrap_or(PayerOutcome::NeedsHuman("dropped"))
    }

    /// Feeds one event.
    pub fn handle(&mut self, ev: Event, now: Instant) {
        self.now = now;
        match ev {
            Event::BotFinished(id) | Event::BotInterrupted { id, .. } => {
                self.playing.remove(&id);
                if self.playing.is_empty() {
                    self.arm_guard();
                }
            }
            _ if self.phase == Phase::Done => {}
            Event::Started { .. } => self.arm_guard(),
            Event::CallerSpeechStarted | Event::CallerResumed => {
                self.far_talking = true;
                self.act_at = None;
            }
            Event::CallerSpeechEnded => self.far_talking = false,
            Event::Final(text) => self.on_heard(&text),
            Event::Partial(_)
            | Event::CallerPaused
            | Event::Dtmf(_)
            | Event::HintOverruled(_)
            | Event::BotStarted(_)
            | Event::StaffHours { .. }
            | Event::Result { .. }
            | Event::Supervisor(_) => {}
        }
    }

    /// The next action, in order.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// When [`PayerCall::handle_timeout`] should next run.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.phase == Phase::Done || self.awaiting_stream {
            return None;
        }
        [self.act_at, self.guard].into_iter().flatten().min()
    }

    /// Runs the timers due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.now = now;
        if self.phase == Phase::Done || self.awaiting_stream {
            return;
        }
        if self.act_at.is_some_and(|t| t <= now) && self.far_talking {
            // More words are coming (the recogniser answered after the next
            // segment began): decide once they are in.
            self.act_at = Some(now + self.settle());
        }
        if self.act_at.is_some_and(|t| t <= now) {
            self.act_at = None;
            let words = std::mem::take(&mut self.pending).join(" ");
            match self.phase {
                Phase::Ivr => self.decide_menu(&words),
                Phase::WithRep => self.on_rep(&words),
                Phase::Hold | Phase::Done => {}
            }
        }
        if self.guard.is_some_and(|t| t <= now) {
            self.guard = None;
            self.on_guard();
        }
    }

    // ----- what was heard -----

    fn on_heard(&mut self, text: &str) {
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        match self.phase {
            Phase::Ivr | Phase::Hold => {
                if reply::is_hold_recording(text) {
                    self.enter_hold();
                    return;
                }
                // On hold, music can come out of the recogniser as a word or
                // two: a person says more, or greets.
                let person =
                    sounds_like_a_person(text) || (self.phase == Phase::Hold && reply::tokens(text).len() >= 4);
                if person {
                    self.enter_rep(text);
                    return;
                }
                self.arm_guard();
                if let Some(entry) = menu::entry_requested(text) {
                    self.pending.clear();
                    self.act_at = None;
                    let asked = self.entries.entry(entry).or_default();
                    *asked += 1;
                    if *asked > 2 {
                        // Keyed twice and asked again: the line will not take it.
                        self.escalate(&[]);
                    } else {
                        self.key_in(entry);
                    }
                    return;
                }
                self.pending.push(text.to_owned());
                let heard = self.pending.join(" ");
                let best = menu::best(&menu::options(&heard)).map(|o| (menu::score(&o.about), o.choice.clone()));
                match best {
                    // The best a menu can offer: no need to hear the rest.
                    Some((s, choice)) if s >= 9 => {
                        self.pending.clear();
                        self.act_at = None;
                        self.note_prompt(&heard);
                        self.choose(choice);
                    }
                    _ => self.act_at = Some(self.now + self.cfg.menu_settle),
                }
            }
            Phase::WithRep => {
                self.pending.push(text.to_owned());
                let heard = self.pending.join(" ");
                if !self.far_talking && self.rep_completeness(&heard, text) == Completeness::Complete {
                    // A whole answer: reply now rather than after the settle.
                    self.pending.clear();
                    self.act_at = None;
                    self.on_rep(&heard);
                } else {
                    self.act_at = Some(self.now + self.cfg.rep_settle);
                }
            }
            Phase::Done => {}
        }
    }

    /// Whether `text`, heard up to a pause in the far end's speech, is a
    /// whole turn here. Read-only: nothing is said or changed.
    ///
    /// Menus and hold recordings pause mid-sentence, so there it is always
    /// [`Completeness::Unsure`] (the usual hangover). With the rep,
    /// complete: a whole answer to the question asked (an amount together
    /// with how much is met, coverage with its dates, the channels of a
    /// cost share), a yes or a no to the read-back, a question to the bot,
    /// or a request to hold; unfinished words wait longer; anything else
    /// waits the usual hangover.
    pub fn turn_completeness(&self, text: &str) -> Completeness {
        if self.phase != Phase::WithRep {
            return Completeness::Unsure;
        }
        let mut heard = self.pending.join(" ");
        heard.push(' ');
        heard.push_str(text);
        self.rep_completeness(heard.trim(), text)
    }

    /// [`PayerCall::turn_completeness`] of everything `heard` since the
    /// bot last replied, `last` being its latest part.
    fn rep_completeness(&self, heard: &str, last: &str) -> Completeness {
        // A question put to the bot ("Which medication was that?") is a
        // whole turn, whatever word it ends on.
        let question = last.trim_end().ends_with('?');
        if question && self.readback == Readback::NotYet {
            return Completeness::Complete;
        }
        let by_words = turn_end::judge_figures(last);
        if by_words != Completeness::Complete {
            return by_words;
        }
        if reply::asks_to_hold(heard) {
            return Completeness::Complete;
        }
        if let Readback::Asked(_) = self.readback {
            return if reply::affirms(heard) || (question && reply::yes_no(heard).is_none()) {
                Completeness::Complete
            } else {
                // A no is followed by the correction.
                Completeness::Unsure
            };
        }
        let Some(q) = self.asking else {
            return Completeness::Unsure;
        };
        let mut probe = self.findings.clone();
        if !read_into(&mut probe, q, heard, 0.9) {
            return Completeness::Unsure;
        }
        let whole = match q {
            Question::Deductible => probe.deductible_met.is_some(),
            Question::OutOfPocket => probe.oop_met.is_some(),
            Question::Coverage => {
                (probe.coverage_dates.is_some() && says_a_date(heard))
                    || probe.coverage_active.as_ref().is_some_and(|c| !c.value)
            }
            Question::CostShare => probe.cost_share.as_ref().is_some_and(|c| c.value.channels.all_said()),
            Question::PaProcess => contains_any(heard, &["hours", "days", "business days", "week", "weeks"]),
            _ => true,
        };
        if whole {
            Completeness::Complete
        } else {
            Completeness::Unsure
        }
    }

    fn settle(&self) -> Duration {
        if self.phase == Phase::WithRep {
            self.cfg.rep_settle
        } else {
            self.cfg.menu_settle
        }
    }

    fn note_prompt(&mut self, heard: &str) -> u32 {
        let key = reply::tokens(heard).join(" ");
        let n = self.prompts.entry(key).or_default();
        *n += 1;
        *n
    }

    /// A menu prompt has been heard in full: choose, or count a miss.
    fn decide_menu(&mut self, heard: &str) {
        if heard.is_empty() {
            return;
        }
        let seen = self.note_prompt(heard);
        let options = menu::options(heard);
        if seen >= 3 {
            // The same menu again and again: the choice leads nowhere.
            self.escalate(&options);
            return;
        }
        if let Some(o) = menu::best(&options) {
            let choice = o.choice.clone();
            self.choose(choice);
            return;
        }
        self.menu_misses += 1;
        if self.menu_misses >= 2 || !options.is_empty() {
            self.menu_misses = 0;
            self.escalate(&options);
        }
    }

    /// Press 0 (or the option for a person), then say "representative",
    /// then give up.
    fn escalate(&mut self, options: &[menu::MenuOption]) {
        self.escalations += 1;
        match self.escalations {
            1 => {
                let choice = menu::person(options).map_or(Choice::Key('0'), |o| o.choice.clone());
                self.choose(choice);
            }
            2 => self.choose(Choice::Say("representative".into())),
            _ => self.give_up("ivr_dead_end"),
        }
    }

    fn choose(&mut self, choice: Choice) {
        match choice {
            Choice::Key(k) => self.send_digits(k.to_string()),
            Choice::Say(words) => self.say(words),
        }
    }

    fn key_in(&mut self, entry: Entry) {
        let b = &self.brief;
        let digits = match entry {
            Entry::Npi => only_digits(&b.npi),
            Entry::MemberId => only_digits(&b.member_id),
            Entry::DateOfBirth => format!("{:02}{:02}{:04}", b.dob.month(), b.dob.day(), b.dob.year()),
            Entry::Phone => only_digits(&b.callback_number),
        };
        // A keypad takes the digits of an ID ("M123456789" keys 123456789);
        // an ID with no digits at all is said instead.
        if digits.is_empty() {
            let id = spell(&b.member_id);
            self.say(id);
        } else {
            self.send_digits(format!("{digits}#"));
        }
    }

    fn send_digits(&mut self, digits: String) {
        self.actions.push_back(Action::SendDigits(digits));
        self.awaiting_stream = true;
        self.pending.clear();
        self.act_at = None;
        self.guard = None;
    }

    fn enter_hold(&mut self) {
        self.pending.clear();
        self.act_at = None;
        if self.phase != Phase::Hold {
            self.phase = Phase::Hold;
            self.hold_since = Some(self.now);
            self.changed = true;
        }
        self.guard = self.hold_since.map(|t| t + self.cfg.max_hold);
    }

    fn enter_rep(&mut self, first: &str) {
        self.phase = Phase::WithRep;
        self.changed = true;
        self.pending.clear();
        self.pending.push(first.to_owned());
        self.act_at = Some(self.now + self.cfg.rep_settle);
        self.guard = None;
    }

    // ----- the representative -----

    fn on_rep(&mut self, heard: &str) {
        if heard.trim().is_empty() {
            return;
        }
        self.guard = None;
        self.rep_holding = false;
        if self.findings.rep_name.is_none()
            && let Some(name) = reply::own_name(heard)
        {
            self.findings.rep_name = Some(captured(name, heard, 0.9));
            self.changed = true;
        }
        if let Readback::Asked(n) = self.readback {
            self.on_readback_answer(heard, n);
            return;
        }
        let ids = identifiers_requested(heard);
        if !ids.is_empty() {
            let mut lines = Vec::new();
            if !self.introduced {
                lines.push(self.introduction());
            }
            lines.extend(ids.iter().map(|i| self.identifier(*i)));
            self.say(lines.join(" "));
            return;
        }
        if let Some(q) = self.asking {
            // "One moment, let me check" is not the answer "one".
            if reply::asks_to_hold(heard) {
                self.rep_holding = true;
                self.say("Sure, I'll hold.".to_owned());
                return;
            }
            if self.read_answer(q, heard, 0.9) {
                self.asking = None;
                self.retries = 0;
                self.next_question(None);
                return;
            }
            self.read_in_passing(heard);
            if self.retries == 0 {
                self.retries = 1;
                let again = format!("Sorry, I didn't catch that. {}", self.question_text(q));
                self.say(again);
                return;
            }
            self.asking = None;
            self.retries = 0;
            self.next_question(None);
            return;
        }
        if reply::asks_to_hold(heard) && self.introduced {
            self.rep_holding = true;
            self.arm_guard();
            return;
        }
        self.read_in_passing(heard);
        let intro = (!self.introduced).then(|| self.introduction());
        self.next_question(intro);
    }

    fn on_readback_answer(&mut self, heard: &str, n: u32) {
        if reply::affirms(heard) {
            self.findings.confirm_all();
            self.changed = true;
            self.finish();
            return;
        }
        // A correction: read it as the answer to each question it names
        // ("No, you are in network" corrects the network, and nothing
        // else), and read back again.
        let before = self.findings.clone();
        for q in QUESTIONS {
            if q != Question::RepName && q != Question::PaProcess && names_topic(q, heard) {
                self.read_answer(q, heard, 0.9);
            }
        }
        if self.findings != before && n < 2 {
            self.read_back(n + 1);
        } else if reply::yes_no(heard) == Some(false) && n < 2 {
            self.say("Which part should I correct?".to_owned());
            self.readback = Readback::Asked(n + 1);
        } else {
            self.finish();
        }
    }

    fn introduction(&mut self) -> String {
        self.introduced = true;
        format!(
            "Hi, this is an automated assistant calling on behalf of {}, to verify pharmacy benefits for a patient.",
            self.brief.provider
        )
    }

    fn identifier(&self, id: Identifier) -> String {
        let b = &self.brief;
        match id {
            Identifier::PatientName => format!("The patient is {} {}.", b.patient_first, b.patient_last),
            Identifier::DateOfBirth => format!("Date of birth {}.", b.dob.format("%B %-d, %Y")),
            Identifier::MemberId => format!("The member ID is {}.", spell(&b.member_id)),
            Identifier::Npi => format!("The NPI is {}.", spell(&b.npi)),
            Identifier::Provider => format!("I'm calling for {}.", b.provider),
            Identifier::Callback => format!("The callback number is {}.", spell(&b.callback_number)),
            Identifier::Medication => format!("The medication is {}.", b.medication),
        }
    }

    fn answered(&self, q: Question) -> bool {
        let f = &self.findings;
        match q {
            Question::Coverage => f.coverage_active.is_some(),
            Question::PlanType => f.plan_type.is_some(),
            Question::Network => f.in_network.is_some(),
            Question::Deductible => f.deductible.is_some(),
            Question::OutOfPocket => f.oop_max.is_some(),
            Question::CostShare => f.cost_share.is_some(),
            Question::PriorAuth => f.pa_required.is_some(),
            Question::PaProcess => f.pa_process.is_some() || f.pa_required.as_ref().is_none_or(|p| !p.value),
            Question::StepTherapy => f.step_therapy.is_some(),
            Question::QuantityLimit => f.quantity_limit.is_some(),
            Question::Reference => f.reference.is_some(),
            Question::RepName => f.rep_name.is_some(),
        }
    }

    fn question_text(&self, q: Question) -> String {
        let med = &self.brief.medication;
        match q {
            Question::Coverage => "Is the patient's coverage active, and what are the effective dates?".into(),
            Question::PlanType => "What type of plan is it?".into(),
            Question::Network => format!("Is {} in network for this plan?", self.brief.provider),
            Question::Deductible => "What is the deductible, and how much has been met so far?".into(),
            Question::OutOfPocket => "What is the out of pocket maximum, and how much has been met?".into(),
            Question::CostShare => {
                format!("What is the patient's copay or coinsurance for {med}, at retail, specialty and mail order?")
            }
            Question::PriorAuth => format!("Does {med} require prior authorization?"),
            Question::PaProcess => {
                "How should the prior authorization be submitted, and what is the turnaround time?".into()
            }
            Question::StepTherapy => format!("Is there a step therapy requirement for {med}?"),
            Question::QuantityLimit => "Are there any quantity limits?".into(),
            Question::Reference => "Could I have a reference number for this call?".into(),
            Question::RepName => "And may I have your name?".into(),
        }
    }

    /// Asks the next unanswered question (after `lead`), or reads back.
    fn next_question(&mut self, lead: Option<String>) {
        while let Some(q) = self.queue.pop_front() {
            if self.answered(q) {
                continue;
            }
            self.asking = Some(q);
            let text = self.question_text(q);
            self.say(lead.map_or(text.clone(), |l| format!("{l} {text}")));
            return;
        }
        if let Some(l) = lead {
            self.say(l);
        }
        self.read_back(0);
    }

    /// Reads `heard` as the answer to `q`; whether it answered it.
    fn read_answer(&mut self, q: Question, heard: &str, conf: f32) -> bool {
        let got = read_into(&mut self.findings, q, heard, conf);
        if got {
            self.changed = true;
        }
        got
    }

    /// What a rep says in passing that answers a later question (the
    /// reference number, volunteered early).
    fn read_in_passing(&mut self, heard: &str) {
        if self.findings.reference.is_none() && contains_any(heard, &["reference", "confirmation"]) {
            self.read_answer(Question::Reference, heard, 0.6);
        }
    }

    fn read_back(&mut self, n: u32) {
        let f = &self.findings;
        let mut parts: Vec<String> = Vec::new();
        if let Some(c) = &f.coverage_active {
            parts.push(if c.value {
                "coverage is active".into()
            } else {
                "coverage is not active".into()
            });
        }
        if let Some(p) = &f.plan_type {
            parts.push(format!("a {} plan", p.value));
        }
        if let Some(n) = &f.in_network {
            parts.push(if n.value {
                "in network".into()
            } else {
                "out of network".into()
            });
        }
        if let Some(d) = &f.deductible {
            let met = f
                .deductible_met
                .as_ref()
                .map(|m| format!(" with {} met", money(m.value)))
                .unwrap_or_default();
            parts.push(format!("a deductible of {}{met}", money(d.value)));
        }
        if let Some(d) = &f.oop_max {
            let met = f
                .oop_met
                .as_ref()
                .map(|m| format!(" with {} met", money(m.value)))
                .unwrap_or_default();
            parts.push(format!("an out of pocket maximum of {}{met}", money(d.value)));
        }
        if let Some(c) = &f.cost_share {
            let after = if c.value.after_deductible {
                " after the deductible"
            } else {
                ""
            };
            let said = c.value.channels.said();
            if said.is_empty() {
                match (c.value.coinsurance_pct, c.value.copay) {
                    (Some(p), _) => parts.push(format!("{p} percent coinsurance{after}")),
                    (None, Some(a)) => parts.push(format!("a {} copay{after}", money(a))),
                    _ => {}
                }
            } else {
                // Channels with the same terms said together: "20 percent
                // coinsurance after the deductible at retail and specialty".
                let mut groups: Vec<(Terms, Vec<&str>)> = Vec::new();
                for (name, terms) in said {
                    match groups.iter_mut().find(|(t, _)| *t == terms) {
                        Some((_, names)) => names.push(name),
                        None => groups.push((terms, vec![name])),
                    }
                }
                for (terms, names) in groups {
                    let at = and_list(&names);
                    parts.push(match terms {
                        Terms::Coinsurance { pct } => format!("{pct} percent coinsurance{after} at {at}"),
                        Terms::Copay { dollars } => format!("a {} copay{after} at {at}", money(dollars)),
                        Terms::NotCovered => format!("no {at} benefit"),
                    });
                }
            }
        }
        if let Some(p) = &f.pa_required {
            parts.push(if p.value {
                "prior authorization required".into()
            } else {
                "no prior authorization".into()
            });
        }
        if let Some(s) = &f.step_therapy {
            parts.push(if s.value {
                "step therapy required".into()
            } else {
                "no step therapy".into()
            });
        }
        if let Some(q) = &f.quantity_limit {
            parts.push(if q.value {
                "quantity limits apply".into()
            } else {
                "no quantity limits".into()
            });
        }
        if let Some(r) = &f.reference {
            parts.push(format!("reference number {}", spell(&r.value)));
        }
        if parts.is_empty() {
            self.finish();
            return;
        }
        self.readback = Readback::Asked(n);
        self.say(format!("To confirm: {}. Is that correct?", parts.join(", ")));
    }

    fn finish(&mut self) {
        let name = self
            .findings
            .rep_name
            .as_ref()
            .map(|n| format!(", {}", n.value))
            .unwrap_or_default();
        self.say(format!(
            "Thank you{name}, that's everything I needed. Have a great day. Goodbye."
        ));
        let complete = QUESTIONS.iter().all(|q| self.answered(*q));
        self.end(if complete {
            PayerOutcome::Completed
        } else {
            PayerOutcome::Partial
        });
    }

    fn give_up(&mut self, reason: &'static str) {
        let outcome = if self.findings.answered() > 0 {
            PayerOutcome::Partial
        } else {
            PayerOutcome::NeedsHuman(reason)
        };
        self.end(outcome);
    }

    fn end(&mut self, outcome: PayerOutcome) {
        self.actions.push_back(Action::Hangup);
        self.outcome = Some(outcome);
        self.phase = Phase::Done;
        self.act_at = None;
        self.guard = None;
        self.changed = true;
    }

    fn on_guard(&mut self) {
        match self.phase {
            Phase::Ivr => {
                if self.far_talking || self.is_bot_speaking() {
                    self.arm_guard();
                } else {
                    self.escalate(&[]);
                    if self.phase != Phase::Done && !self.awaiting_stream {
                        self.arm_guard();
                    }
                }
            }
            Phase::Hold => self.give_up("hold_too_long"),
            Phase::WithRep => match self.asking {
                Some(q) if self.retries == 0 => {
                    self.retries = 1;
                    let again = format!("Are you still there? {}", self.question_text(q));
                    self.say(again);
                }
                _ => {
                    if self.findings.answered() > 0 {
                        self.finish();
                    } else {
                        self.give_up("rep_silent");
                    }
                }
            },
            Phase::Done => {}
        }
    }

    fn arm_guard(&mut self) {
        let wait = match self.phase {
            Phase::Ivr => self.cfg.menu_silence,
            Phase::WithRep if self.rep_holding => self.cfg.max_hold,
            Phase::WithRep => self.cfg.answer_timeout,
            Phase::Hold => {
                self.guard = self.hold_since.map(|t| t + self.cfg.max_hold);
                return;
            }
            Phase::Done => return,
        };
        self.guard = Some(self.now + wait);
    }

    fn say(&mut self, text: String) {
        let id = self.next_say;
        self.next_say += 1;
        self.playing.insert(id);
        self.actions.push_back(Action::Say { id, text });
        self.guard = None;
    }
}

/// Reads `heard` as the answer to `q` into `f`; whether it answered it.
fn read_into(f: &mut Findings, q: Question, heard: &str, conf: f32) -> bool {
    let t = heard;
    match q {
        Question::Coverage => {
            let active = if contains_any(
                t,
                &[
                    "terminated",
                    "inactive",
                    "not active",
                    "termed",
                    "cancelled",
                    "canceled",
                    "lapsed",
                ],
            ) {
                Some(false)
            } else if contains_any(t, &["active", "effective", "in force", "current"]) {
                Some(true)
            } else {
                reply::yes_no(t)
            };
            if let Some(a) = active {
                f.coverage_active = Some(captured(a, t, conf));
                if contains_any(
                    t,
                    &[
                        "effective",
                        "since",
                        "through",
                        "until",
                        "as of",
                        "from",
                        "starting",
                        "term date",
                    ],
                ) {
                    f.coverage_dates = Some(captured(t.to_owned(), t, conf));
                }
            }
            active.is_some()
        }
        Question::PlanType => reply::plan_type(t)
            .map(|p| f.plan_type = Some(captured(p, t, conf)))
            .is_some(),
        Question::Network => reply::in_network(t)
            .map(|n| f.in_network = Some(captured(n, t, conf)))
            .is_some(),
        Question::Deductible | Question::OutOfPocket => {
            let mut a = reply::amounts(t);
            if a.is_empty()
                && contains_any(
                    t,
                    &[
                        "no deductible",
                        "zero deductible",
                        "doesn't have a deductible",
                        "there isn't one",
                    ],
                )
            {
                a.push(0.0);
            }
            let met = if contains_any(
                t,
                &[
                    "fully met",
                    "met in full",
                    "has been met",
                    "already met",
                    "all met",
                    "met it",
                    "met all",
                    "all of it",
                ],
            ) && a.len() == 1
            {
                a.first().copied()
            } else if contains_any(
                t,
                &["none", "nothing", "hasn't met", "not met", "no amount", "zero met"],
            ) && a.len() == 1
            {
                Some(0.0)
            } else {
                a.get(1).copied()
            };
            let (total, done) = if q == Question::Deductible {
                (&mut f.deductible, &mut f.deductible_met)
            } else {
                (&mut f.oop_max, &mut f.oop_met)
            };
            match a.first() {
                Some(&v) => {
                    *total = Some(captured(v, t, conf));
                    if let Some(m) = met {
                        *done = Some(captured(m, t, conf));
                    }
                    true
                }
                None => false,
            }
        }
        Question::CostShare => {
            let pct = reply::coinsurance(t);
            // A copay of hundreds is more likely a misheard "eighty twenty".
            let copay = if pct.is_none() {
                reply::amounts(t).first().copied().filter(|a| *a <= 500.0)
            } else {
                None
            };
            if pct.is_some() || copay.is_some() {
                let share = CostShare {
                    copay,
                    coinsurance_pct: pct,
                    after_deductible: reply::after_deductible(t),
                    channels: reply::channels(t),
                    said: t.to_owned(),
                };
                f.cost_share = Some(captured(share, t, conf));
                true
            } else {
                false
            }
        }
        Question::PriorAuth => {
            let pa = if contains_any(
                t,
                &[
                    "no pa",
                    "no p a",
                    "no prior auth",
                    "not required",
                    "doesn't require",
                    "does not require",
                    "doesn't need",
                    "does not need",
                    "no authorization",
                ],
            ) {
                Some(false)
            } else if contains_any(
                t,
                &[
                    "requires",
                    "required",
                    "needs a",
                    "needs prior",
                    "need a pa",
                    "need prior",
                ],
            ) {
                Some(true)
            } else {
                reply::yes_no(t)
            };
            pa.map(|p| f.pa_required = Some(captured(p, t, conf))).is_some()
        }
        Question::PaProcess => {
            let substantive = reply::tokens(t).len() >= 3 && !reply::asks_to_hold(t);
            if substantive {
                f.pa_process = Some(captured(t.to_owned(), t, conf));
            }
            substantive
        }
        Question::StepTherapy => {
            let st = if contains_any(
                t,
                &[
                    "no step",
                    "not required",
                    "doesn't",
                    "does not",
                    "there isn't",
                    "there is not",
                    "none",
                ],
            ) {
                Some(false)
            } else if contains_any(
                t,
                &[
                    "there is a",
                    "there's a",
                    "is required",
                    "requirement",
                    "have to try",
                    "must try",
                ],
            ) {
                Some(true)
            } else {
                reply::yes_no(t)
            };
            st.map(|s| f.step_therapy = Some(captured(s, t, conf))).is_some()
        }
        Question::QuantityLimit => {
            let ql = if contains_any(
                t,
                &[
                    "no quantity",
                    "no limit",
                    "not limited",
                    "there aren't",
                    "there are not",
                    "none",
                ],
            ) {
                Some(false)
            } else if contains_any(
                t,
                &[
                    "limited to",
                    "limit of",
                    "limit is",
                    "per 30",
                    "per thirty",
                    "per month",
                ],
            ) {
                Some(true)
            } else {
                reply::yes_no(t)
            };
            ql.map(|q| f.quantity_limit = Some(captured(q, t, conf))).is_some()
        }
        Question::Reference => {
            // Asked for it: a run of digits and letters is the answer even
            // when "reference" itself was not heard ("for this call is 5 50912").
            let r = reply::reference(t).or_else(|| reply::reference(&format!("reference {t}")));
            r.map(|r| f.reference = Some(captured(r, t, conf))).is_some()
        }
        Question::RepName => {
            let name = reply::own_name(t).or_else(|| lone_name(t));
            name.map(|n| f.rep_name = Some(captured(n, t, conf))).is_some()
        }
    }
}

/// Whether `text` speaks of what question `q` asks (a correction at the
/// read-back changes only the answers it names).
fn names_topic(q: Question, text: &str) -> bool {
    let words: &[&str] = match q {
        Question::Coverage => &["coverage", "active", "inactive", "effective", "terminated", "termed"],
        Question::PlanType => return reply::plan_type(text).is_some(),
        Question::Network => &["network", "participating"],
        Question::Deductible => &["deductible"],
        Question::OutOfPocket => &["out of pocket", "maximum", "max", "oop"],
        Question::CostShare => &[
            "copay",
            "co pay",
            "coinsurance",
            "co insurance",
            "percent",
            "retail",
            "specialty",
            "mail order",
        ],
        Question::PriorAuth => &["prior auth", "prior authorization", "authorization", "pa", "p a"],
        Question::StepTherapy => &["step"],
        Question::QuantityLimit => &["quantity", "limit", "limits", "limited"],
        Question::Reference => &["reference", "confirmation"],
        Question::PaProcess | Question::RepName => return false,
    };
    contains_any(text, words)
}

/// Whether the words name a date: a month, a year, or a day of one.
fn says_a_date(text: &str) -> bool {
    const MONTHS: &[&str] = &[
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "year",
        "month",
    ];
    reply::tokens(text)
        .iter()
        .any(|w| MONTHS.contains(&w.as_str()) || w.chars().all(|c| c.is_ascii_digit()))
}

/// "a", "a and b", "a, b and c".
fn and_list(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

fn contains_any(text: &str, phrases: &[&str]) -> bool {
    let t = format!(" {} ", reply::tokens(text).join(" "));
    phrases
        .iter()
        .any(|p| t.contains(&format!(" {p} ")) || (p.contains(' ') && t.contains(p)))
}

/// Whether words heard in a menu are a person talking, not a recording.
fn sounds_like_a_person(text: &str) -> bool {
    let menu_like = !menu::options(text).is_empty() || menu::entry_requested(text).is_some();
    !menu_like
        && (reply::own_name(text).is_some()
            || contains_any(
                text,
                &[
                    "how can i help",
                    "how may i help",
                    "how can i assist",
                    "how may i assist",
                    "what can i do for you",
                    "who am i speaking",
                    "thank you for holding",
                    "thanks for holding",
                    "thanks for waiting",
                ],
            ))
}

fn identifiers_requested(text: &str) -> Vec<Identifier> {
    let asks = text.contains('?')
        || contains_any(
            text,
            &[
                "may i have",
                "can i have",
                "can i get",
                "could i get",
                "could i have",
                "what is",
                "what's",
                "i need",
                "i'll need",
                "please",
                "give me",
                "verify",
                "confirm",
            ],
        );
    if !asks {
        return Vec::new();
    }
    let mut out: Vec<(usize, Identifier)> = Vec::new();
    let t = format!(" {} ", reply::tokens(text).join(" "));
    let mut find = |keys: &[&str], id: Identifier| {
        if let Some(at) = keys.iter().filter_map(|k| t.find(k)).min() {
            out.push((at, id));
        }
    };
    find(
        &[
            " patient's name",
            " patient name",
            " member's name",
            " member name",
            " name of the patient",
            " name of the member",
            " their name",
            " the name ",
            " first and last",
            " and name",
        ],
        Identifier::PatientName,
    );
    find(
        &[
            " date of birth",
            " birthday",
            " dob ",
            " d o b ",
            " birth date",
            " birthdate",
            " of birth",
        ],
        Identifier::DateOfBirth,
    );
    find(
        &[
            " member id",
            " member i d",
            " id number",
            " subscriber id",
            " member number",
            " policy number",
            " i d number",
            " a member ",
            " the member ",
        ],
        Identifier::MemberId,
    );
    find(&[" npi", " n p i", " provider number", " provider id"], Identifier::Npi);
    find(
        &[
            " calling from",
            " who's calling",
            " who is calling",
            " who am i speaking",
            " who i'm speaking",
            " office name",
            " pharmacy name",
            " provider name",
            " name of the provider",
            " name of your",
        ],
        Identifier::Provider,
    );
    find(
        &[" callback", " call back", " phone number", " contact number"],
        Identifier::Callback,
    );
    find(
        &[
            " what medication",
            " which medication",
            " what drug",
            " which drug",
            " drug name",
            " medication name",
            " name of the drug",
            " name of the medication",
        ],
        Identifier::Medication,
    );
    out.sort_by_key(|o| o.0);
    out.into_iter().map(|o| o.1).collect()
}

/// A name said alone ("It's Dana.", "Dana.").
fn lone_name(text: &str) -> Option<String> {
    let words: Vec<&str> = text
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| !w.is_empty())
        .collect();
    if words.len() > 4 {
        return None;
    }
    words
        .iter()
        .rev()
        .find(|w| {
            w.chars().next().is_some_and(char::is_uppercase)
                && !matches!(
                    **w,
                    "It" | "I"
                        | "Yes"
                        | "Yeah"
                        | "Yep"
                        | "Sure"
                        | "My"
                        | "Name"
                        | "Is"
                        | "This"
                        | "Please"
                        | "Okay"
                        | "OK"
                        | "Ok"
                        | "Thanks"
                        | "Thank"
                        | "Correct"
                        | "Right"
                        | "Hello"
                        | "Hi"
                        | "Sorry"
                        | "No"
                        | "Nope"
                        | "What"
                        | "Again"
                        | "Sir"
                        | "Ma"
                        | "Am"
                        | "Me"
                )
        })
        .map(|w| (*w).to_owned())
}

fn only_digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// Letters and digits one by one, for speech ("A B 1 2").
fn spell(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase().to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Dollars as said: "1,500 dollars", "12 dollars and 50 cents".
fn money(v: f64) -> String {
    let cents = (v * 100.0).round() as i64;
    let dollars = cents / 100;
    let mut s = dollars.to_string();
    let mut i = s.len() as isize - 3;
    while i > 0 {
        s.insert(i as usize, ',');
        i -= 3;
    }
    match cents % 100 {
        0 => format!("{s} dollars"),
        c => format!("{s} dollars and {c} cents"),
    }
}

#[cfg(test)]
mod tests;
