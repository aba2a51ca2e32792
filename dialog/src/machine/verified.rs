//! Requests of a verified caller: coverage, prior authorization, refills,
//! status, side effects, hours, and the ones staff call back about.

use super::{Awaiting, Dialog, Stage, Tier};
use crate::answers;
use crate::calls::Purpose;
use crate::nlu::symptoms::assess_severity;
use crate::nlu::text::clip;
use crate::nlu::{Intent, Understanding};
use crate::prompts;
use crate::tools::{Request, Severity};
use crate::verify::{Pending, VerifiedCaller};

/// The longest free-text symptom description passed on.
const MAX_SYMPTOM_CHARS: usize = 300;

impl Dialog {
    /// A turn of a verified caller: first as the answer to the last
    /// question, else as a new request.
    pub(super) fn verified_turn(&mut self, u: Understanding, text: String) {
        if matches!(u.intent, Intent::Repeat | Intent::Hold) {
            // The question asked (if any) still stands.
            return self.conversational(u.intent);
        }
        let Stage::Verified(session) = &mut self.stage else {
            return;
        };
        match std::mem::replace(&mut session.awaiting, Awaiting::Nothing) {
            Awaiting::Symptoms { medication } if matches!(u.intent, Intent::Unknown | Intent::SideEffect) => {
                let symptoms = u
                    .symptoms
                    .clone()
                    .unwrap_or_else(|| clip(&text, MAX_SYMPTOM_CHARS).to_owned());
                let severity = u.severity.unwrap_or_else(|| assess_severity(&text));
                self.not_understood = 0;
                self.flag_side_effect(medication.or(u.medication), symptoms, severity);
            }
            Awaiting::Symptoms { .. }
            | Awaiting::Medication(_)
            | Awaiting::MedicationListed(_)
            | Awaiting::Topic(_)
                if u.intent == Intent::No =>
            {
                self.not_understood = 0;
                self.anything_else();
            }
            awaiting @ (Awaiting::Symptoms { .. } | Awaiting::Medication(_) | Awaiting::MedicationListed(_))
                if matches!(u.intent, Intent::Yes | Intent::Backchannel) && u.medication.is_none() =>
            {
                // "Yeah": the question still stands.
                self.set_awaiting(awaiting);
                let question = self.current_question();
                self.say(question, true);
            }
            Awaiting::Medication(pending) => self.answer_which(pending, false, u, text),
            Awaiting::MedicationListed(pending) => self.answer_which(pending, true, u, text),
            Awaiting::Topic(medication) => match u.intent {
                Intent::Unknown | Intent::Yes | Intent::Backchannel => {
                    self.set_awaiting(Awaiting::Topic(medication));
                    self.not_understood_turn();
                }
                _ => {
                    let mut u = u;
                    let names_another = self
                        .caller_ref()
                        .and_then(|c| c.resolve_medication(&text, u.medication.as_deref()))
                        .is_some_and(|m| m != medication);
                    if !names_another {
                        u.medication = Some(medication);
                    }
                    self.dispatch(u, text);
                }
            },
            Awaiting::AnythingElse if matches!(u.intent, Intent::Yes | Intent::Backchannel) => {
                self.not_understood = 0;
                self.say(prompts::WHAT_ELSE, true);
            }
            _ => self.dispatch(u, text),
        }
    }

    /// Acts on a request (also one kept from before verification).
    pub(super) fn dispatch(&mut self, u: Understanding, text: String) {
        if u.intent != Intent::Unknown {
            self.not_understood = 0;
        }
        match u.intent {
            Intent::Coverage => self.ask_benefits(u, text),
            Intent::PriorAuth => self.ask_prior_auth(u, text),
            Intent::Refill | Intent::Status => self.answer_from_record(u, text),
            Intent::Medications => {
                if let Some(caller) = self.caller_ref() {
                    let sentence = answers::medications(caller);
                    self.answered = true;
                    self.say(sentence, false);
                    self.anything_else();
                }
            }
            Intent::Repeat | Intent::Hold => self.conversational(u.intent),
            Intent::RefusesVerification => self.say(prompts::HOW_CAN_I_HELP, true),
            Intent::SideEffect => self.side_effect(u),
            Intent::Hours => {
                self.answered = true;
                self.say(prompts::HOURS, false);
                self.anything_else();
            }
            Intent::ControlledSubstance => {
                // Named, so that the caller hears which request went to the
                // pharmacist ("Could you refill my Adderall?").
                let sentence = self
                    .caller_ref()
                    .and_then(|c| {
                        c.resolve_medication(&text, u.medication.as_deref())
                            .map(|m| answers::controlled_callback(c, &m))
                    })
                    .unwrap_or_else(|| prompts::PHARMACIST_CALLBACK.to_owned());
                self.call_back(sentence, Tier::T2, u.intent.label());
            }
            Intent::NewPrescription | Intent::Interaction | Intent::ClinicalQuestion => {
                self.call_back(prompts::PHARMACIST_CALLBACK, Tier::T2, u.intent.label());
            }
            Intent::Price | Intent::Refund | Intent::Complaint => {
                self.call_back(prompts::MANAGER_CALLBACK, Tier::T3, u.intent.label());
            }
            Intent::Goodbye | Intent::No => self.goodbye(),
            Intent::Yes | Intent::Backchannel => self.say(prompts::HOW_CAN_I_HELP, true),
            Intent::Unknown if u.name.is_some() || u.dob.is_some() => self.say(prompts::HOW_CAN_I_HELP, true),
            Intent::Unknown => {
                // A medication of theirs was named, the request was not
                // understood: ask what about it rather than "didn't catch that".
                let named = self.caller_ref().and_then(|c| {
                    c.resolve_medication(&text, u.medication.as_deref())
                        .map(|m| (answers::what_about(c, &m), m))
                });
                match named {
                    Some((question, medication)) => {
                        self.not_understood += 1;
                        self.set_awaiting(Awaiting::Topic(medication));
                        self.say(question, true);
                    }
                    None => self.not_understood_turn(),
                }
            }
            Intent::Emergency => self.emergency(&u),
            Intent::Human => self.transfer_to_person(),
        }
    }

    fn caller_ref(&self) -> Option<&VerifiedCaller> {
        match &self.stage {
            Stage::Verified(s) => Some(&s.caller),
            _ => None,
        }
    }

    fn set_awaiting(&mut self, awaiting: Awaiting) {
        if let Stage::Verified(s) = &mut self.stage {
            s.awaiting = awaiting;
        }
    }

    /// The medication a request is about: named (catalog or on file), else
    /// the caller's only one, else the one the conversation is about. The
    /// answer becomes the conversation's topic.
    fn medication_for(&mut self, u: &Understanding, text: &str) -> Option<String> {
        let Stage::Verified(s) = &mut self.stage else {
            return None;
        };
        let found = s
            .caller
            .resolve_medication(text, u.medication.as_deref())
            .or_else(|| s.caller.only_medication().map(|m| m.name.clone()))
            .or_else(|| s.topic.clone());
        if found.is_some() {
            s.topic.clone_from(&found);
        }
        found
    }

    /// The answer to "which medication?" for the request `pending`; with
    /// `listed`, the medications on file were read out as choices.
    fn answer_which(&mut self, pending: Pending, listed: bool, u: Understanding, text: String) {
        let medication = self.caller_ref().and_then(|caller| {
            caller
                .resolve_medication(&text, u.medication.as_deref())
                .or_else(|| listed.then(|| caller.by_position(&text)).flatten())
        });
        let answers_question = matches!(u.intent, Intent::Unknown | Intent::Yes | Intent::Backchannel)
            || u.intent == pending.understanding.intent;
        match medication {
            Some(med) if answers_question => {
                let mut asked = pending.understanding;
                asked.medication = Some(med);
                self.dispatch(asked, pending.text);
            }
            None if u.intent == Intent::Unknown && listed => {
                self.set_awaiting(Awaiting::MedicationListed(pending));
                self.not_understood_turn();
            }
            None if u.intent == Intent::Unknown => {
                // Read the choices out, with a key for each.
                let Some(choices) = self.caller_ref().map(answers::which_medication) else {
                    return;
                };
                self.not_understood += 1;
                self.set_awaiting(Awaiting::MedicationListed(pending));
                self.say(choices, true);
            }
            _ => self.dispatch(u, text),
        }
    }

    /// A key pressed while the menu was offered after a miss: 1 coverage,
    /// 2 prior authorization, 3 refills, 4 the medications on file.
    /// Returns whether the key was used.
    pub(super) fn pick_menu_key(&mut self, key: char) -> bool {
        let Stage::Verified(s) = &mut self.stage else {
            return false;
        };
        if !matches!(s.awaiting, Awaiting::Menu) {
            return false;
        }
        let intent = match key {
            '1' => Intent::Coverage,
            '2' => Intent::PriorAuth,
            '3' => Intent::Refill,
            '4' => Intent::Medications,
            _ => return false,
        };
        s.awaiting = Awaiting::Nothing;
        self.turns.caller_took_turn();
        self.stop_speaking();
        self.dispatch(Understanding::of(intent), String::new());
        true
    }

    /// A key pressed while the medications on file were offered as
    /// choices: `1` to `n` picks one. Returns whether the key was used.
    pub(super) fn pick_medication_key(&mut self, key: char) -> bool {
        let Stage::Verified(s) = &mut self.stage else {
            return false;
        };
        let Awaiting::MedicationListed(_) = s.awaiting else {
            return false;
        };
        let Some(name) = key
            .to_digit(10)
            .and_then(|d| d.checked_sub(1))
            .and_then(|i| s.caller.medication_names().get(i as usize).map(|n| (*n).to_owned()))
        else {
            return false;
        };
        let Awaiting::MedicationListed(pending) = std::mem::replace(&mut s.awaiting, Awaiting::Nothing) else {
            return false;
        };
        self.turns.caller_took_turn();
        self.stop_speaking();
        let mut asked = pending.understanding;
        asked.medication = Some(name);
        self.dispatch(asked, pending.text);
        true
    }

    /// Asks which medication a request is about; a request made by key
    /// (no words) gets the choices with their keys at once.
    fn ask_which_medication(&mut self, u: Understanding, text: String) {
        let keyed = text.is_empty();
        let pending = Pending { understanding: u, text };
        match self.caller_ref().map(answers::which_medication) {
            Some(choices) if keyed => {
                self.set_awaiting(Awaiting::MedicationListed(pending));
                self.say(choices, true);
            }
            _ => {
                self.set_awaiting(Awaiting::Medication(pending));
                self.say(prompts::WHICH_MEDICATION, true);
            }
        }
    }

    fn ask_benefits(&mut self, u: Understanding, text: String) {
        let (Some(medication), Some(patient_id)) = (
            self.medication_for(&u, &text),
            self.caller_ref().map(VerifiedCaller::patient_id),
        ) else {
            return self.ask_which_medication(u, text);
        };
        self.call(Request::VerifyBenefits { patient_id, medication }, Purpose::Benefits);
    }

    fn ask_prior_auth(&mut self, u: Understanding, text: String) {
        let (Some(medication), Some(caller)) = (self.medication_for(&u, &text), self.caller_ref()) else {
            return self.ask_which_medication(u, text);
        };
        let payer = u.payer.clone().unwrap_or_else(|| caller.payer().to_owned());
        let request = Request::CheckPaRequirements {
            payer,
            medication: medication.clone(),
            question: text,
        };
        self.call(request, Purpose::PaCheck { medication });
    }

    /// Refill and status come straight from the record (tier 0).
    fn answer_from_record(&mut self, u: Understanding, text: String) {
        let Some(medication) = self.medication_for(&u, &text) else {
            return self.ask_which_medication(u, text);
        };
        let Some(caller) = self.caller_ref() else {
            return;
        };
        let renewal = u.intent == Intent::Refill && caller.medication(&medication).is_some_and(|m| m.refills_left <= 0);
        let sentence = match u.intent {
            Intent::Refill => answers::refill(caller, &medication),
            _ => answers::status(caller, &medication),
        };
        self.say(sentence, false);
        if renewal {
            self.queue_for_staff(Tier::T1, "refill_renewal");
        }
        self.answered = true;
        self.anything_else();
    }

    fn side_effect(&mut self, u: Understanding) {
        let medication = u.medication.clone().or_else(|| {
            let caller = self.caller_ref()?;
            caller.only_medication().map(|m| m.name.clone())
        });
        match u.symptoms {
            Some(symptoms) => {
                self.flag_side_effect(medication, symptoms, u.severity.unwrap_or(Severity::Moderate));
            }
            None => {
                self.set_awaiting(Awaiting::Symptoms { medication });
                self.say(prompts::ASK_SYMPTOMS, true);
            }
        }
    }

    fn flag_side_effect(&mut self, medication: Option<String>, symptoms: String, severity: Severity) {
        let Some(patient_id) = self.caller_ref().map(VerifiedCaller::patient_id) else {
            return;
        };
        let request = Request::FlagAdverseEvent {
            patient_id: Some(patient_id),
            medication,
            symptoms,
            severity,
        };
        self.call(request, Purpose::AdverseEvent { severity });
    }

    fn call_back(&mut self, prompt: impl Into<String>, tier: Tier, reason: &'static str) {
        self.say(prompt, false);
        self.queue_for_staff(tier, reason);
        self.answered = true;
        self.anything_else();
    }
}
