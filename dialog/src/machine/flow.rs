//! Each caller turn: transcripts, partials and key presses, the requests
//! that act at any stage (emergency, a person, not understood), and the
//! identify stage up to the patient lookup.

use super::{Awaiting, CallOutcome, Dialog, Stage, Tier};
use crate::calls::Purpose;
use crate::nlu::text::{MAX_CHARS, clip};
use crate::nlu::{Intent, Understanding, is_backchannel, understand, wants_second_opinion};
use crate::prompts;
use crate::tools::{Request, Severity};
use crate::verify::{MEMBER_ID_DIGITS, MemberId, Pending};

/// Recorded as the symptoms of an emergency that named none.
const EMERGENCY_SYMPTOMS: &str = "emergency reported on the call";

impl Dialog {
    /// Understands `text`, asking the fallback classifier when the grammar
    /// finds no intent and no identity. A guess that the caller wants a
    /// moment or the last line again is not taken: the grammar knows how
    /// people say those, and words it cannot read are more likely a request
    /// misheard ("Operator, please" heard as "Offer a for a please", nearest
    /// to "just a moment please"), which "didn't catch that" lets the caller
    /// say again where "take your time" would leave it unserved.
    pub(super) fn interpret(&self, text: &str) -> Understanding {
        let mut u = understand(text, &self.catalog);
        if wants_second_opinion(text, &u)
            && let Some(intent) = self.fallback.as_ref().and_then(|f| f.classify(text))
            && !matches!(intent, Intent::Hold | Intent::Repeat)
        {
            u.intent = intent;
            u.guessed = true;
        }
        u
    }

    pub(super) fn on_partial(&mut self, text: &str) {
        self.turns.cancel_no_input();
        if self.turns.partial_takes_floor(text) {
            self.stop_speaking();
        }
    }

    pub(super) fn on_dtmf(&mut self, digit: char) {
        if let Stage::Identify(id) = &mut self.stage
            && id.member_id_keys()
            && self.outstanding.is_none()
        {
            return self.on_member_id_key(digit);
        }
        if let Stage::Identify(id) = &mut self.stage
            && id.keypad_offered
            && self.outstanding.is_none()
        {
            return self.on_keypad(digit);
        }
        if self.outstanding.is_none() && (self.pick_menu_key(digit) || self.pick_medication_key(digit)) {
            return;
        }
        if digit == '0' {
            self.turns.caller_took_turn();
            self.transfer_to_person();
        }
    }

    /// Collects one key of an entry of `len` digits on the keypad: digits
    /// collect, `*` starts over, `#` (or the last digit) enters it. The first
    /// digit takes the floor (the bot stops talking). The digits once entered.
    fn keyed_entry(&mut self, key: char, len: usize) -> Option<String> {
        let Stage::Identify(id) = &mut self.stage else {
            return None;
        };
        match key {
            '0'..='9' => id.keypad.push(key),
            '*' => {
                id.keypad.clear();
                return None;
            }
            '#' => {}
            _ => return None,
        }
        if key != '#' && id.keypad.len() < len {
            if id.keypad.len() == 1 {
                self.stop_speaking();
                self.turns.caller_took_turn();
            }
            return None;
        }
        let keys = std::mem::take(&mut id.keypad);
        self.turns.caller_took_turn();
        Some(keys)
    }

    /// A key while the date of birth may be keyed in (MMDDYYYY).
    fn on_keypad(&mut self, key: char) {
        let Some(keys) = self.keyed_entry(key, 8) else {
            return;
        };
        match crate::nlu::dates::from_keypad(&keys) {
            Some(dob) => {
                if let Stage::Identify(id) = &mut self.stage {
                    id.dob_keyed = true;
                }
                let u = Understanding {
                    dob: Some(dob),
                    ..Understanding::of(Intent::Unknown)
                };
                self.respond(u, String::new());
            }
            None => self.say(prompts::KEYPAD_INVALID, true),
        }
    }

    /// Looks the caller up by name and date of birth (and the member ID,
    /// once given), from the calling number.
    fn look_up(&mut self, name: String, dob: chrono::NaiveDate, member_id: Option<String>) {
        let phone = self.caller_phone.clone();
        self.call(
            Request::PatientLookup {
                name,
                dob,
                phone,
                member_id,
            },
            Purpose::Lookup,
        );
    }

    /// What the recogniser heard with the names on file, overruled by a
    /// plain decode: kept (never said) in case the member ID confirms it.
    /// Where the words hold part of one name on file but read as no name
    /// ("My name is my Smith." for Mei Smith), that name is what is kept:
    /// the member ID and the date of birth must still match its record.
    pub(super) fn on_hint_overruled(&mut self, hinted: &str) {
        let Stage::Identify(id) = &mut self.stage else {
            return;
        };
        let u = understand(hinted, &self.catalog);
        if let Some(name) = u.name.or_else(|| id.expected.named_by(hinted)) {
            id.unconfirmed = Some((name, u.dob));
        }
    }

    /// A key while the member ID is asked for: nine digits (or fewer and
    /// `#`) enter it.
    fn on_member_id_key(&mut self, key: char) {
        if let Stage::Identify(id) = &mut self.stage
            && matches!(id.member_id, MemberId::ReadBack(_))
        {
            // Keys replace the digits read back.
            id.member_id = MemberId::Asked;
        }
        if let Some(keys) = self.keyed_entry(key, MEMBER_ID_DIGITS) {
            self.member_id_entered(&keys, false);
        }
    }

    /// Digits given for the member ID, keyed or `said`: nine of them look
    /// it up with the name heard and the date of birth. Nine said the first
    /// time are read back for the caller to confirm first.
    fn member_id_entered(&mut self, digits: &str, said: bool) {
        let Stage::Identify(id) = &mut self.stage else {
            return;
        };
        if digits.len() != MEMBER_ID_DIGITS {
            return self.say(prompts::MEMBER_ID_INVALID, true);
        }
        if said && !id.member_id_read_back {
            id.member_id_read_back = true;
            id.member_id = MemberId::ReadBack(digits.to_owned());
            self.not_understood = 0;
            return self.say(prompts::member_id_read_back(digits), true);
        }
        id.member_id = MemberId::Given(format!("M{digits}"));
        self.not_understood = 0;
        match id.complete() {
            Some((name, dob)) => {
                let member_id = id.member_id();
                self.look_up(name, dob, member_id);
            }
            None => {
                id.keypad_offered = true;
                self.say(prompts::ASK_DOB_KEYPAD, true);
            }
        }
    }

    /// At a miss: asks for the member ID when a name was heard only with the
    /// names on file as the prompt (once a call). Whether it asked.
    fn ask_member_id_instead(&mut self) -> bool {
        let Stage::Identify(id) = &mut self.stage else {
            return false;
        };
        if !id.member_id_would_help() {
            return false;
        }
        id.member_id = MemberId::Asked;
        id.keypad.clear();
        self.say(prompts::ASK_MEMBER_ID, true);
        true
    }

    pub(super) fn on_final(&mut self, text: &str) {
        let text = clip(text, MAX_CHARS).trim().to_owned();
        if text.is_empty() || is_backchannel(&text) {
            if self.turns.is_bot_speaking() || self.outstanding.is_some() {
                return;
            }
            let again = self.turns.take_resay();
            if !again.is_empty() {
                // The barge-in was a cough or a "mm-hm": say what was cut again.
                for u in again {
                    self.say(u.text, u.question);
                }
                return;
            }
            if text.is_empty() {
                self.turns.caller_took_turn();
                self.not_understood_turn();
                return;
            }
        }
        self.turns.caller_took_turn();
        let u = self.interpret(&text);
        if std::mem::take(&mut self.confirming_emergency) {
            match u.intent {
                Intent::Yes | Intent::Backchannel => return self.emergency(&Understanding::of(Intent::Emergency)),
                Intent::No => {
                    self.stop_speaking();
                    let question = self.current_question();
                    return self.say(question, true);
                }
                _ => {}
            }
        }
        if let Some((guess, said)) = self.confirming_guess.take() {
            match u.intent {
                Intent::Yes | Intent::Backchannel => {
                    self.stop_speaking();
                    self.not_understood = 0;
                    match guess.intent {
                        Intent::Human => self.transfer_to_person(),
                        _ => self.respond(guess, said),
                    }
                    // What the caller said after it, in one breath, follows.
                    return self.drain_queue();
                }
                Intent::No => {
                    // Not what they meant: what the bot can do, with keys
                    // (also where it had asked what about a medication).
                    self.stop_speaking();
                    if let Stage::Verified(s) = &mut self.stage
                        && matches!(s.awaiting, Awaiting::Topic(_))
                    {
                        s.awaiting = Awaiting::Nothing;
                    }
                    return self.not_understood_turn();
                }
                // "What?", "hold on": the question still stands.
                Intent::Repeat | Intent::Hold => self.confirming_guess = Some((guess, said)),
                // Neither yes nor no nor anything else understood (a garbled
                // "yes, that's right"): the question once more, not dropped.
                Intent::Unknown if !std::mem::replace(&mut self.guess_asked_again, true) => {
                    if let Some((question, _)) = self
                        .last_said
                        .clone()
                        .filter(|(q, _)| prompts::is_guess_confirmation(q))
                    {
                        self.stop_speaking();
                        self.confirming_guess = Some((guess, said));
                        return self.say(prompts::confirm_again(&question), true);
                    }
                }
                // Anything else is a turn of its own.
                _ => {}
            }
        }
        // An emergency heard only by the second opinion is asked about
        // first: 911 advice is not given on a guess from garbled words.
        if u.intent == Intent::Emergency && crate::nlu::classify(&text) != Intent::Emergency {
            self.stop_speaking();
            self.confirming_emergency = true;
            return self.say(prompts::CONFIRM_EMERGENCY, true);
        }
        if self.outstanding.is_none() && self.put_back_guess(&u, &text) {
            return;
        }
        if !matches!(
            u.intent,
            Intent::Unknown | Intent::Yes | Intent::No | Intent::Backchannel
        ) {
            self.last_intent = Some(u.intent);
        }
        match u.intent {
            Intent::Emergency => return self.emergency(&u),
            Intent::Human => return self.transfer_to_person(),
            _ => {}
        }
        self.stop_speaking();
        if self.outstanding.is_some() {
            self.queued.push_back(text);
            return;
        }
        // Several requests in one breath: the first now, the others after it
        // (ahead of anything said later).
        let mut parts = if matches!(self.stage, Stage::Verified(_)) {
            crate::nlu::requests::split_requests(&text)
        } else {
            Vec::new()
        };
        // One request about several medications: one answer for each.
        if parts.len() <= 1 && matches!(self.stage, Stage::Verified(_)) {
            let each = crate::nlu::requests::per_medication(&text, u.intent, &self.catalog);
            if each.len() > 1 {
                parts = each;
            }
        }
        if parts.len() > 1 {
            let first = parts.remove(0);
            for p in parts.into_iter().rev() {
                self.queued.push_front(p);
            }
            let u = self.interpret(&first);
            if self.put_back_guess(&u, &first) {
                // The rest waits for the answer.
                return;
            }
            self.respond(u, first);
            return self.drain_queue();
        }
        self.respond(u, text);
    }

    /// Handles a turn no call is blocking.
    pub(super) fn respond(&mut self, u: Understanding, text: String) {
        match self.stage {
            Stage::Identify(_) => self.identify_turn(u, text),
            Stage::Verified(_) => self.verified_turn(u, text),
            Stage::NotStarted | Stage::Done => {}
        }
    }

    /// Handles the turns that waited for a call, until one makes a new call.
    pub(super) fn drain_queue(&mut self) {
        while self.outstanding.is_none() && !matches!(self.stage, Stage::Done) {
            let Some(text) = self.queued.pop_front() else {
                break;
            };
            let u = self.interpret(&text);
            if self.put_back_guess(&u, &text) {
                break;
            }
            self.respond(u, text);
        }
    }

    /// Puts a request only the second opinion heard back to the caller
    /// before the bot acts on it: a transfer, a goodbye or an answer about a
    /// medication is not given on a guess from garbled words. Before
    /// verification only what acts then is asked about (a person, a
    /// goodbye); other requests wait for verification anyway. Whether it
    /// asked.
    fn put_back_guess(&mut self, u: &Understanding, text: &str) -> bool {
        if !u.guessed
            || !(matches!(self.stage, Stage::Verified(_)) || matches!(u.intent, Intent::Human | Intent::Goodbye))
        {
            return false;
        }
        let medication = match &self.stage {
            Stage::Verified(s) => s.caller.resolve_medication(text, u.medication.as_deref()),
            _ => None,
        };
        let Some(question) = prompts::confirm_guess(u.intent, medication.as_deref()) else {
            return false;
        };
        self.stop_speaking();
        self.confirming_guess = Some((u.clone(), text.to_owned()));
        self.guess_asked_again = false;
        self.say(question, true);
        true
    }

    /// 911 advice, a severe adverse-event flag and a pharmacist, at any stage.
    pub(super) fn emergency(&mut self, u: &Understanding) {
        self.stop_speaking();
        self.say(prompts::EMERGENCY, false);
        let patient_id = match &self.stage {
            Stage::Verified(s) => Some(s.caller.patient_id()),
            _ => None,
        };
        let symptoms = u.symptoms.clone().unwrap_or_else(|| EMERGENCY_SYMPTOMS.to_owned());
        self.fire(Request::FlagAdverseEvent {
            patient_id,
            medication: u.medication.clone(),
            symptoms,
            severity: Severity::Severe,
        });
        self.capture_handoff("emergency");
        self.actions.push_back(super::Action::Transfer {
            tier: Tier::T2,
            reason: "emergency",
        });
        self.end(CallOutcome::Emergency);
    }

    /// The caller asked for a person (words or DTMF 0), at any stage.
    pub(super) fn transfer_to_person(&mut self) {
        self.stop_speaking();
        self.transfer(prompts::TRANSFER, Tier::T1, "caller_request", CallOutcome::Transferred);
    }

    /// "What?" says the last sentence again; "hold on" waits for the caller.
    /// Neither counts as a turn not understood.
    pub(super) fn conversational(&mut self, intent: Intent) {
        match intent {
            Intent::Repeat => match self.last_said.clone() {
                Some((text, question)) => self.say(text, question),
                None => {
                    let question = self.current_question();
                    self.say(question, true);
                }
            },
            _ => self.say(prompts::HOLD_ON, true),
        }
    }

    /// Nothing usable: ask again, or hand over after too many in a row.
    pub(super) fn not_understood_turn(&mut self) {
        if self.ask_member_id_instead() {
            return;
        }
        self.not_understood += 1;
        if self.not_understood >= self.cfg.max_not_understood {
            self.transfer(
                prompts::NOT_UNDERSTOOD_TRANSFER,
                Tier::T1,
                "not_understood",
                CallOutcome::Transferred,
            );
        } else {
            // Offer what works without the recogniser at the first miss.
            let prompt = match &mut self.stage {
                // The date (or its year) missed: the keypad, for the whole date.
                Stage::Identify(id) if id.name.is_some() && id.dob.is_none() => {
                    id.keypad_offered = true;
                    id.month_day = None;
                    prompts::NOT_UNDERSTOOD_DOB
                }
                // Nothing of the identity yet: the name alone, then the date
                // with the keypad offered.
                Stage::Identify(id) if id.name.is_none() && id.dob.is_none() && id.month_day.is_none() => {
                    id.keypad_offered = true;
                    prompts::NOT_UNDERSTOOD_NAME
                }
                Stage::Verified(s)
                    if matches!(s.awaiting, Awaiting::Nothing | Awaiting::AnythingElse | Awaiting::Menu) =>
                {
                    s.awaiting = Awaiting::Menu;
                    prompts::NOT_UNDERSTOOD_MENU
                }
                _ => prompts::NOT_UNDERSTOOD,
            };
            self.say(prompt, true);
        }
    }

    pub(super) fn goodbye(&mut self) {
        self.hang_up(prompts::GOODBYE);
    }

    /// A turn before verification: collect name and date of birth, keep any
    /// request for after verification, answer only what carries no PHI.
    fn identify_turn(&mut self, mut u: Understanding, text: String) {
        let Stage::Identify(id) = &mut self.stage else {
            return;
        };
        // The member ID read back: a yes enters it; digits said again are
        // taken as heard; anything else asks for the keys.
        if let MemberId::ReadBack(heard) = &id.member_id {
            let heard = heard.clone();
            let digits = crate::nlu::numbers::spoken_digits(&text);
            if digits.len() == MEMBER_ID_DIGITS {
                return self.member_id_entered(&digits, true);
            }
            if u.intent == Intent::Yes && digits.is_empty() {
                return self.member_id_entered(&heard, false);
            }
            id.member_id = MemberId::Asked;
            id.member_id_missed = true;
            return self.say(prompts::MEMBER_ID_KEY_IT, true);
        }
        // The member ID, asked for: digits said one at a time.
        if id.member_id == MemberId::Asked {
            let digits = crate::nlu::numbers::spoken_digits(&text);
            let other = u.name.is_some() || u.dob.is_some();
            if digits.len() >= MEMBER_ID_DIGITS || (digits.len() >= 3 && !other) {
                return self.member_id_entered(&digits, true);
            }
            // Neither digits nor "I don't have it": the line garbled them.
            if !other && !id.member_id_missed && u.intent != Intent::No && !declines_member_id(&text) {
                id.member_id_missed = true;
                return self.say(prompts::MEMBER_ID_NOT_HEARD, true);
            }
            id.member_id = MemberId::Declined;
            id.unconfirmed = None;
            if u.name.is_none() && u.dob.is_none() {
                self.not_understood = 0;
                return self.say(prompts::MEMBER_ID_SKIPPED, true);
            }
        }
        // Asked for the year alone: words that are not one do not replace
        // the name already held (a misheard year reads as a name).
        let awaiting_year = id.month_day.is_some() && id.name.is_some();
        // Half a date now ("March third"), the year in a later turn.
        let mut half_date = false;
        if u.dob.is_none() {
            use crate::nlu::dates;
            if let Some((month, day)) = dates::parse_month_day(&text) {
                id.month_day = Some((month, day));
                half_date = true;
            } else if let Some((month, day)) = id.month_day
                && let Some(year) = dates::parse_year(&text)
            {
                u.dob = dates::complete(month, day, year);
            }
        }
        if u.dob.is_some() {
            id.month_day = None;
        } else if awaiting_year && !half_date {
            u.name = None;
        }
        let gave_identity = u.name.is_some() || u.dob.is_some() || u.spelled.is_some() || half_date;
        if !gave_identity && matches!(u.intent, Intent::Repeat | Intent::Hold) {
            return self.conversational(u.intent);
        }
        let offered = id.offered_person.take();
        if let Some(reason) = offered
            && !gave_identity
        {
            match u.intent {
                Intent::Yes => {
                    return self.transfer(prompts::TRANSFER, Tier::T1, reason, CallOutcome::Transferred);
                }
                Intent::No if reason != "records_unavailable" => {
                    self.not_understood = 0;
                    let question = self.current_question();
                    return self.say(question, true);
                }
                Intent::No => {
                    self.not_understood = 0;
                    return match id.complete() {
                        Some((name, dob)) => {
                            let member_id = id.member_id();
                            self.look_up(name, dob, member_id);
                        }
                        None => self.say(prompts::RECORDS_TRY_AGAIN, true),
                    };
                }
                _ => {}
            }
        }
        if let Some(name) = &u.name {
            id.name = Some(name.clone());
        }
        if let Some(dob) = u.dob {
            id.dob = Some(dob);
        }
        if let Some(spelled) = &u.spelled {
            id.spelled_last = Some(spelled.clone());
        }
        let intent = u.intent;
        let words = text.split_whitespace().count();
        // Asked to verify first once already, a request again with no name,
        // date or medication is taken as a miss: on a bad line it is more
        // often words misheard as one ("say cover in" for "date of birth is
        // oh four") than a caller asking twice, and the step-by-step prompt
        // and the keypad get them verified where the same explanation would
        // not. The request is not kept then.
        let asked_again =
            !gave_identity && intent.needs_verification() && id.verify_first_said && u.medication.is_none();
        if asked_again {
            id.pending = None;
        } else if intent.needs_verification() {
            id.pending = Some(Pending { understanding: u, text });
        }
        if !gave_identity {
            match intent {
                _ if asked_again => self.not_understood_turn(),
                i if i.needs_verification() => {
                    id.verify_first_said = true;
                    self.not_understood = 0;
                    self.say(prompts::VERIFY_FIRST, true);
                }
                Intent::Hours => {
                    self.not_understood = 0;
                    self.answered = true;
                    self.say(prompts::HOURS, false);
                    self.say(prompts::HOURS_THEN_IDENTIFY, true);
                }
                Intent::Goodbye => self.goodbye(),
                Intent::RefusesVerification => {
                    self.not_understood = 0;
                    id.offered_person = Some("caller_request");
                    self.say(prompts::VERIFY_WHY, true);
                }
                // "Okay" or "sure" on its own: the question again. More
                // words than that, none of them understood, is a miss (or
                // the same question would be asked for ever).
                Intent::Yes | Intent::Backchannel if words <= 3 => {
                    let question = self.current_question();
                    self.say(question, true);
                }
                _ => self.not_understood_turn(),
            }
            return;
        }
        self.not_understood = 0;
        let (month_day, keypad) = (id.month_day.is_some(), id.keypad_offered);
        let member_id_would_help = id.member_id_would_help();
        match (id.complete(), id.name.is_some()) {
            (Some((name, dob)), _) => {
                let member_id = id.member_id();
                self.look_up(name, dob, member_id);
            }
            (None, true) if month_day => self.say(prompts::ASK_YEAR, true),
            (None, true) if keypad => self.say(prompts::ASK_DOB_KEYPAD, true),
            (None, true) => self.say(prompts::ASK_DOB, true),
            // A name was heard, but only with the hint: the member ID
            // confirms it rather than asking for the name again.
            (None, false) if member_id_would_help => {
                self.ask_member_id_instead();
            }
            (None, false) => self.say(prompts::ASK_NAME, true),
        }
    }

    /// Moves to the verified stage and answers what was asked before.
    pub(super) fn become_verified(&mut self, caller: crate::verify::VerifiedCaller) {
        let greeting = crate::answers::verified(&caller);
        let session = super::Session {
            caller,
            awaiting: Awaiting::Nothing,
            topic: None,
        };
        let pending = match std::mem::replace(&mut self.stage, Stage::Verified(Box::new(session))) {
            Stage::Identify(id) => id.pending,
            _ => None,
        };
        self.verified = true;
        self.say(greeting, false);
        match pending {
            Some(p) => self.dispatch(p.understanding, p.text),
            None if self.queued.is_empty() => self.say(prompts::HOW_CAN_I_HELP, true),
            None => {}
        }
    }

    /// The lookup could not run (records unreachable): the caller is offered
    /// a person; no verification attempt is used and what they said is kept.
    pub(super) fn records_unavailable(&mut self) {
        let Stage::Identify(id) = &mut self.stage else {
            return;
        };
        id.offered_person = Some("records_unavailable");
        self.say(prompts::RECORDS_UNAVAILABLE, true);
    }

    /// A failed lookup: try again, or hand over after too many.
    pub(super) fn verification_failed(&mut self) {
        let Stage::Identify(id) = &mut self.stage else {
            return;
        };
        id.failures += 1;
        if id.failures < self.cfg.max_verify_attempts && id.member_id_wants_keyed_dob() {
            // The member ID and the name stay; the date is keyed in.
            id.dob = None;
            id.month_day = None;
            if let Some((_, heard_dob)) = &mut id.unconfirmed {
                *heard_dob = None;
            }
            id.keypad_offered = true;
            return self.say(prompts::MEMBER_ID_KEY_DOB, true);
        }
        id.retry();
        id.keypad_offered = true;
        if id.failures < self.cfg.max_verify_attempts && self.ask_member_id_instead() {
            return;
        }
        let Stage::Identify(id) = &mut self.stage else {
            return;
        };
        if id.failures >= self.cfg.max_verify_attempts {
            self.transfer(
                prompts::TRANSFER,
                Tier::T1,
                "verification_failed",
                CallOutcome::VerificationFailed,
            );
        } else {
            self.say(prompts::VERIFY_RETRY, true);
        }
    }
}

/// Words that say the caller has no member ID to give ("I don't have my
/// card", "I don't know it", "skip that").
fn declines_member_id(text: &str) -> bool {
    const NONE: &[&str] = &[
        "don't have",
        "do not have",
        "dont have",
        "haven't got",
        "don't know",
        "do not know",
        "dont know",
        "no card",
        "not with me",
        "can't find",
        "cannot find",
        "lost*",
        "skip*",
        "no idea",
        "not sure",
    ];
    crate::nlu::text::Phrases::new(text).any(NONE)
}
