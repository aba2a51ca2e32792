//! Function results: each lands in the flow that made the call; results
//! for calls no longer awaited (stale or unknown ids) are ignored.

use super::{Action, CallOutcome, Dialog, Stage, Tier};
use crate::answers;
use crate::calls::Purpose;
use crate::prompts;
use crate::tools::{CallId, Outcome, Severity};
use crate::verify::VerifiedCaller;

impl Dialog {
    pub(super) fn on_result(&mut self, id: CallId, outcome: Outcome) {
        if let Stage::Identify(idn) = &mut self.stage
            && idn.names_call == Some(id)
        {
            idn.names_call = None;
            if let Outcome::NamesOnFile(names) = outcome {
                idn.expected = crate::hint::ExpectedNames::new(names);
            }
            return;
        }
        let Some(call) = self.outstanding.take_if(|o| o.id == id) else {
            return;
        };
        match call.purpose {
            Purpose::Lookup => match outcome {
                Outcome::Patient(Some(record)) => self.become_verified(VerifiedCaller::from_lookup(record)),
                Outcome::Patient(None) => self.verification_failed(),
                Outcome::VerificationLocked => self.transfer(
                    prompts::VERIFICATION_LOCKED,
                    Tier::T1,
                    "verification_locked",
                    CallOutcome::VerificationFailed,
                ),
                // The records could not be reached: not a mismatch, no attempt used.
                _ => self.records_unavailable(),
            },
            Purpose::Benefits => self.on_benefits(outcome),
            Purpose::PaCheck { medication } => self.on_pa(&medication, outcome),
            Purpose::AdverseEvent { severity } => self.on_adverse_event(severity, outcome),
        }
        self.drain_queue();
    }

    /// The verified caller, for building a PHI sentence.
    fn caller(&self) -> Option<&VerifiedCaller> {
        match &self.stage {
            Stage::Verified(s) => Some(&s.caller),
            _ => None,
        }
    }

    fn on_benefits(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Benefits(b) => {
                let Some(text) = self.caller().map(|c| answers::benefits(c, &b)) else {
                    return;
                };
                self.say(text, false);
            }
            Outcome::BenefitsPending => {
                self.say(prompts::BENEFITS_PENDING, false);
                self.queue_for_staff(Tier::T1, "benefits_pending");
            }
            _ => {
                self.say(prompts::BENEFITS_UNAVAILABLE, false);
                self.queue_for_staff(Tier::T1, "benefits_unavailable");
            }
        }
        self.answered = true;
        self.anything_else();
    }

    fn on_pa(&mut self, medication: &str, outcome: Outcome) {
        let lines = match (&outcome, self.caller()) {
            (Outcome::PaPassages(passages), Some(c)) => answers::prior_auth(c, medication, passages),
            _ => Vec::new(),
        };
        let cited = lines.iter().any(|l| l.starts_with("According to "));
        // The record saying the plan needs no PA answers the question; with
        // no policy about the drug, nothing else is read out.
        let no_pa_needed = self
            .caller()
            .and_then(|c| c.medication(medication))
            .is_some_and(|m| !m.pa_required);
        for line in lines {
            self.say(line, false);
        }
        if !cited && !no_pa_needed {
            self.say(prompts::PA_NOT_FOUND, false);
            self.queue_for_staff(Tier::T1, "pa_policy_not_found");
        }
        self.answered = true;
        self.anything_else();
    }

    fn on_adverse_event(&mut self, severity: Severity, outcome: Outcome) {
        let severe = severity == Severity::Severe;
        let recorded = match &outcome {
            Outcome::AdverseEventRecorded { case_number } => self
                .caller()
                .map(|c| answers::adverse_recorded(c, case_number, !severe)),
            _ => None,
        };
        self.answered = true;
        match recorded {
            Some(text) => self.say(text, false),
            None if outcome == Outcome::AdverseEventPending => {
                self.say(prompts::ADVERSE_PENDING, false);
                self.queue_for_staff(Tier::T2, "adverse_event_pending");
            }
            None if severe => {}
            None => {
                self.say(prompts::ADVERSE_UNRECORDED, false);
                self.queue_for_staff(Tier::T2, "adverse_event_unrecorded");
            }
        }
        if severe {
            self.transfer(
                prompts::CONNECT_PHARMACIST,
                Tier::T2,
                "adverse_event_severe",
                CallOutcome::Transferred,
            );
        } else {
            self.anything_else();
        }
    }

    pub(super) fn queue_for_staff(&mut self, tier: Tier, reason: &'static str) {
        self.actions.push_back(Action::QueueForStaff { tier, reason });
    }

    /// Asks "anything else?" and expects a yes, a no or a new request.
    pub(super) fn anything_else(&mut self) {
        if let Stage::Verified(s) = &mut self.stage {
            s.awaiting = super::Awaiting::AnythingElse;
        }
        // The caller's next request is already waiting: answer it instead.
        if !self.queued.is_empty() {
            return;
        }
        self.say(prompts::ANYTHING_ELSE, true);
    }
}
