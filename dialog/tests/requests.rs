//! Requests of a verified caller, as whole scripted conversations:
//! benefits, prior authorization, refills, status, side effects and the
//! requests staff call back about.

mod common;

use common::*;
use dialog::prompts::*;
use dialog::tools::{Benefits, Outcome, Request, Severity};
use dialog::{Action, CallOutcome, Intent, IntentFallback, Tier};

#[test]
fn side_effect_flow_reads_back_the_case_number() {
    let mut call = Call::verified();
    let out = call.hear("I think I'm having a side effect from Ozempic");
    assert_eq!(said(&out), [ASK_SYMPTOMS]);
    call.finish_speaking();
    let out = call.hear("I've been nauseous and a little dizzy");
    assert_eq!(
        requests(&out),
        [Request::FlagAdverseEvent {
            patient_id: Some(42),
            medication: Some("Ozempic".into()),
            symptoms: "nausea, dizziness".into(),
            severity: Severity::Mild
        }]
    );
    let out = call.result(
        call.last_call_id(),
        Outcome::AdverseEventRecorded {
            case_number: "AE-2026-000123".into(),
        },
    );
    assert_eq!(
        said(&out),
        [
            "I've recorded that under case number A E, 2 0 2 6, 0 0 0 1 2 3. A pharmacist will follow up.",
            ANYTHING_ELSE
        ]
    );
    assert_eq!(call.dialog.outcome(), CallOutcome::InProgress);
}

#[test]
fn severe_side_effect_goes_to_a_pharmacist() {
    let mut call = Call::verified();
    let out = call.hear("I have a severe rash since starting metformin");
    assert!(matches!(
        &requests(&out)[..],
        [Request::FlagAdverseEvent { severity: Severity::Severe, medication: Some(m), .. }] if m == "Metformin"
    ));
    let out = call.result(
        call.last_call_id(),
        Outcome::AdverseEventRecorded {
            case_number: "AE-7".into(),
        },
    );
    assert_eq!(
        said(&out),
        ["I've recorded that under case number A E, 7.", CONNECT_PHARMACIST]
    );
    assert_eq!(
        out.last(),
        Some(&Action::Transfer {
            tier: Tier::T2,
            reason: "adverse_event_severe"
        })
    );
    assert_eq!(call.dialog.outcome(), CallOutcome::Transferred);
}

#[test]
fn a_side_effect_report_still_being_written_is_promised_a_call_back() {
    let mut call = Call::verified();
    call.hear("I think I'm having a side effect from Ozempic");
    call.finish_speaking();
    call.hear("I've been nauseous and a little dizzy");
    let out = call.result(call.last_call_id(), Outcome::AdverseEventPending);
    // No case number is invented; the promised call back is a real task.
    assert_eq!(said(&out), [ADVERSE_PENDING, ANYTHING_ELSE]);
    assert!(out.contains(&Action::QueueForStaff {
        tier: Tier::T2,
        reason: "adverse_event_pending"
    }));

    // A severe one pending still goes to a pharmacist at once.
    let mut call = Call::verified();
    call.hear("I have a severe rash since starting metformin");
    let out = call.result(call.last_call_id(), Outcome::AdverseEventPending);
    assert_eq!(said(&out), [ADVERSE_PENDING, CONNECT_PHARMACIST]);
    assert_eq!(call.dialog.outcome(), CallOutcome::Transferred);
}

#[test]
fn benefits_answer_and_pending() {
    let mut call = Call::verified();
    let out = call.hear("Is my Ozempic covered?");
    assert_eq!(
        requests(&out),
        [Request::VerifyBenefits {
            patient_id: 42,
            medication: "Ozempic".into()
        }]
    );
    let b = Benefits {
        medication: "Ozempic".into(),
        covered: true,
        tier: 2,
        copay_cents: 2550,
        deductible_met: true,
        pa_required: true,
    };
    let out = call.result(call.last_call_id(), Outcome::Benefits(b));
    assert_eq!(
        said(&out),
        [
            "Ozempic is covered by your plan on tier 2. Your copay is 25 dollars and 50 cents. You've met your \
             deductible for this year. It needs a prior authorization.",
            ANYTHING_ELSE
        ]
    );
    call.finish_speaking();
    assert_eq!(said(&call.hear("yes")), [WHAT_ELSE]);
    call.finish_speaking();
    let out = call.hear("how much is my copay for metforman");
    assert_eq!(
        requests(&out),
        [Request::VerifyBenefits {
            patient_id: 42,
            medication: "Metformin".into()
        }]
    );
    let out = call.result(call.last_call_id(), Outcome::BenefitsPending);
    assert_eq!(said(&out), [BENEFITS_PENDING, ANYTHING_ELSE]);
    // The promised call back is a real task for a technician.
    assert!(out.contains(&Action::QueueForStaff {
        tier: Tier::T1,
        reason: "benefits_pending"
    }));
}

#[test]
fn request_before_verification_is_answered_after_it() {
    let mut call = Call::started();
    assert_eq!(said(&call.hear("is my metformin covered")), [VERIFY_FIRST]);
    call.finish_speaking();
    call.hear("Jane Doe, 3/3/1985");
    let out = call.result(call.last_call_id(), Outcome::Patient(Some(jane())));
    assert_eq!(said(&out), ["Thanks, Jane, you're verified.", LET_ME_CHECK]);
    assert_eq!(
        requests(&out),
        [Request::VerifyBenefits {
            patient_id: 42,
            medication: "Metformin".into()
        }]
    );
}

#[test]
fn a_second_request_with_no_identity_and_no_medication_is_a_miss_and_not_kept() {
    // "Yes, go after room. Meet the hall, say cover in O'Or, 2050am.": a
    // garbled identity turn that reads as a coverage question, twice.
    let mut call = Call::started();
    call.finish_speaking();
    assert_eq!(
        said(&call.hear("Yes, go after room, say cover in O'Or")),
        [VERIFY_FIRST]
    );
    call.finish_speaking();
    let out = call.hear("Yes, you have to move, say cover in O'H");
    assert_eq!(said(&out), [NOT_UNDERSTOOD_NAME], "{out:?}");
    call.finish_speaking();
    // Verified: the misheard "coverage" is not answered; the caller is asked.
    call.hear("Jane Doe, 3/3/1985");
    let out = call.result(call.last_call_id(), Outcome::Patient(Some(jane())));
    assert_eq!(said(&out), ["Thanks, Jane, you're verified.", HOW_CAN_I_HELP]);
    assert!(requests(&out).is_empty(), "{out:?}");
}

#[test]
fn which_medication_when_several_are_on_file() {
    let mut call = Call::verified();
    assert_eq!(said(&call.hear("is my medication covered")), [WHICH_MEDICATION]);
    call.finish_speaking();
    assert_eq!(
        said(&call.hear("yeah")),
        [WHICH_MEDICATION],
        "the question still stands"
    );
    call.finish_speaking();
    let out = call.hear("ozempik");
    assert_eq!(
        requests(&out),
        [Request::VerifyBenefits {
            patient_id: 42,
            medication: "Ozempic".into()
        }]
    );
}

#[test]
fn refill_and_status_come_from_the_record() {
    let mut call = Call::verified();
    let out = call.hear("I need a refill on my Ozempic");
    assert_eq!(
        said(&out),
        [
            "You have 2 refills left on Ozempic, so it can be refilled.",
            ANYTHING_ELSE
        ]
    );
    assert!(requests(&out).is_empty());
    call.finish_speaking();
    let out = call.hear("and a refill of metformin");
    assert!(said(&out)[0].starts_with("There are no refills left on Metformin."));
    assert!(out.contains(&Action::QueueForStaff {
        tier: Tier::T1,
        reason: "refill_renewal"
    }));
    call.finish_speaking();
    let out = call.hear("what's the status of my Ozempic prescription");
    assert_eq!(
        said(&out)[0],
        "Your prescription for Ozempic has 2 refills left. Its prior authorization is approved."
    );
}

#[test]
fn staff_callbacks_by_tier() {
    let mut call = Call::verified();
    let out = call.hear("can I take ibuprofen with my metformin");
    assert_eq!(said(&out), [PHARMACIST_CALLBACK, ANYTHING_ELSE]);
    assert!(out.contains(&Action::QueueForStaff {
        tier: Tier::T2,
        reason: "interaction"
    }));
    call.finish_speaking();
    let out = call.hear("I want a refund for last month");
    assert_eq!(said(&out), [MANAGER_CALLBACK, ANYTHING_ELSE]);
    assert!(out.contains(&Action::QueueForStaff {
        tier: Tier::T3,
        reason: "refund"
    }));
}

#[test]
fn pa_without_a_policy_goes_to_a_technician() {
    let mut call = Call::verified();
    let out = call.hear("does Humira need a PA with Blue Cross");
    assert_eq!(
        requests(&out),
        [Request::CheckPaRequirements {
            payer: "Blue Cross Blue Shield".into(),
            medication: "Humira".into(),
            question: "does Humira need a PA with Blue Cross".into()
        }]
    );
    let out = call.result(call.last_call_id(), Outcome::PaPassages(vec![]));
    assert_eq!(said(&out), [PA_NOT_FOUND, ANYTHING_ELSE]);
    assert!(out.contains(&Action::QueueForStaff {
        tier: Tier::T1,
        reason: "pa_policy_not_found"
    }));
}

#[test]
fn a_drug_the_plan_needs_no_pa_for_is_answered_from_the_record_alone() {
    // No policy names Metformin: the record's answer is the whole answer,
    // with no other drug's policy read out and nothing left for staff.
    let mut call = Call::verified();
    call.hear("Do I need a prior authorization for my Metformin?");
    let out = call.result(call.last_call_id(), Outcome::PaPassages(vec![]));
    assert_eq!(
        said(&out),
        [
            "Metformin doesn't need a prior authorization with your plan.",
            ANYTHING_ELSE
        ]
    );
    assert!(
        !out.iter().any(|a| matches!(a, Action::QueueForStaff { .. })),
        "{out:?}"
    );
}

struct Fixed(Intent);

impl IntentFallback for Fixed {
    fn classify(&self, _text: &str) -> Option<Intent> {
        Some(self.0)
    }
}

/// A second opinion that guesses only for words holding `.0`.
struct GuessesOn(&'static str, Intent);

impl IntentFallback for GuessesOn {
    fn classify(&self, text: &str) -> Option<Intent> {
        text.contains(self.0).then_some(self.1)
    }
}

/// A verified caller whose garbled request for a person was guessed and put
/// back to them, and whose answer ("Yes, that's right.") came out as "Next
/// slide.": what the bot said to that answer.
fn person_guessed_then_garbled_answer() -> (Call, Vec<Action>) {
    let mut call = Call::verified();
    call.dialog
        .set_intent_fallback(Box::new(GuessesOn("metment", Intent::Human)));
    let out = call.hear("I'd like to speak with a metment and cupid.");
    assert_eq!(said(&out), [CONFIRM_PERSON]);
    call.finish_speaking();
    let out = call.hear("Next slide.");
    call.finish_speaking();
    (call, out)
}

#[test]
fn a_garbled_answer_to_a_guessed_person_asks_again_with_the_key() {
    let (mut call, out) = person_guessed_then_garbled_answer();
    let again = said(&out);
    assert_eq!(
        again,
        ["Sorry, I didn't catch that. Would you like me to connect you with a person? Say yes, or press 0."]
    );
    assert!(is_guess_confirmation(&again[0]));
    // The key the question offers connects them.
    let out = call.keys("0");
    assert!(out.iter().any(|a| matches!(a, Action::Transfer { .. })), "{out:?}");

    // So does a yes.
    let (mut call, _) = person_guessed_then_garbled_answer();
    let out = call.hear("yes");
    assert!(out.iter().any(|a| matches!(a, Action::Transfer { .. })), "{out:?}");

    // A second garbled answer is a turn of its own: not asked a third time.
    let (mut call, _) = person_guessed_then_garbled_answer();
    let out = call.hear("Next slide.");
    assert!(
        !said(&out)
            .iter()
            .any(|s| s.starts_with("Sorry, I didn't catch that. Would")),
        "{out:?}"
    );
}

#[test]
fn fallback_classifier_only_for_unknown() {
    let mut call = Call::verified();
    call.dialog.set_intent_fallback(Box::new(Fixed(Intent::Hours)));
    // The guess is put back to the caller first.
    assert_eq!(
        said(&call.hear("when can I swing by to see you folks")),
        ["Just to check: you're asking about our hours. Is that right?"]
    );
    call.finish_speaking();
    assert_eq!(said(&call.hear("yes")), [HOURS, ANYTHING_ELSE]);
    call.finish_speaking();
    // The grammar knows this one: the fallback is not asked.
    let out = call.hear("I need a refill on my Ozempic");
    assert!(said(&out)[0].contains("2 refills"));
}

#[test]
fn a_request_only_the_second_opinion_heard_is_put_back_before_the_bot_acts() {
    // Garbled words the grammar cannot read, guessed to be a PA question:
    // asked about, nothing looked up, nothing answered.
    let mut call = Call::verified();
    call.dialog.set_intent_fallback(Box::new(Fixed(Intent::PriorAuth)));
    let out = call.hear("three months to start and stay safe");
    assert_eq!(
        said(&out),
        ["Just to check: you're asking whether your medication needs prior authorization. Is that right?"]
    );
    assert!(requests(&out).is_empty(), "{out:?}");
    call.finish_speaking();
    // "No": what the bot can do, with keys; still nothing looked up.
    let out = call.hear("no");
    assert_eq!(said(&out), [NOT_UNDERSTOOD_MENU]);
    assert!(requests(&out).is_empty(), "{out:?}");

    // "Yes": the request as guessed, about the medication heard.
    let mut call = Call::verified();
    call.dialog.set_intent_fallback(Box::new(Fixed(Intent::Refill)));
    let out = call.hear("the ozempic thing for me");
    assert_eq!(
        said(&out),
        ["Just to check: you'd like a refill of Ozempic. Is that right?"]
    );
    call.finish_speaking();
    // "What?" says it again and the question still stands.
    let out = call.hear("what?");
    assert_eq!(
        said(&out),
        ["Just to check: you'd like a refill of Ozempic. Is that right?"]
    );
    call.finish_speaking();
    let out = call.hear("yes please");
    assert!(said(&out)[0].contains("2 refills"), "{out:?}");

    // Something else instead of yes or no is a turn of its own.
    let mut call = Call::verified();
    call.dialog.set_intent_fallback(Box::new(Fixed(Intent::Refill)));
    call.hear("the ozempic thing for me");
    call.finish_speaking();
    let out = call.hear("what medications am I on");
    assert!(said(&out)[0].contains("Ozempic"), "{out:?}");
    call.finish_speaking();
    assert_eq!(said(&call.hear("yes")), [WHAT_ELSE], "no refill made on the old guess");
}

#[test]
fn a_guess_said_while_a_lookup_runs_is_put_back_too() {
    let mut call = Call::verified();
    call.dialog.set_intent_fallback(Box::new(Fixed(Intent::Refill)));
    let out = call.hear("Is my Metformin covered?");
    assert!(matches!(&requests(&out)[..], [Request::VerifyBenefits { medication, .. }] if medication == "Metformin"));
    // Said while the payer is asked: kept for after the answer.
    let out = call.hear("the ozempic thing for me");
    assert!(requests(&out).is_empty(), "{out:?}");
    let b = Benefits {
        medication: "Metformin".into(),
        covered: true,
        tier: 1,
        copay_cents: 500,
        deductible_met: true,
        pa_required: false,
    };
    let out = call.result(call.last_call_id(), Outcome::Benefits(b));
    let said = said(&out);
    assert!(said[0].starts_with("Metformin is covered"), "{said:?}");
    assert_eq!(
        said.last().map(String::as_str),
        Some("Just to check: you'd like a refill of Ozempic. Is that right?"),
        "not acted on unasked: {said:?}"
    );
    assert!(requests(&out).is_empty(), "{out:?}");
}

#[test]
fn a_wrong_guess_about_a_medication_offers_the_menu() {
    let mut call = Call::verified();
    call.dialog.set_intent_fallback(Box::new(Fixed(Intent::Hours)));
    // A medication heard, the request not: the bot asks what about it.
    let out = call.hear("ozempic");
    assert!(
        said(&out)[0].starts_with("What would you like to know about Ozempic"),
        "{out:?}"
    );
    call.finish_speaking();
    let out = call.hear("nice open there");
    assert_eq!(
        said(&out),
        ["Just to check: you're asking about our hours. Is that right?"]
    );
    call.finish_speaking();
    assert_eq!(said(&call.hear("no")), [NOT_UNDERSTOOD_MENU]);
    call.finish_speaking();
    // The menu's key for coverage works.
    let out = call.keys("1");
    assert!(
        said(&out)
            .iter()
            .any(|s| s == WHICH_MEDICATION || s.starts_with("Is it about")),
        "{out:?}"
    );
}

#[test]
fn a_person_only_the_second_opinion_heard_is_offered_not_forced() {
    // Before verification, a garbled identity turn guessed as "a person".
    let mut call = Call::started();
    call.dialog.set_intent_fallback(Box::new(Fixed(Intent::Human)));
    let out = call.hear("hey can someone move you for march");
    assert_eq!(said(&out), [CONFIRM_PERSON]);
    assert!(!out.iter().any(|a| matches!(a, Action::Transfer { .. })), "{out:?}");
    call.finish_speaking();
    let out = call.hear("no");
    assert!(!out.iter().any(|a| matches!(a, Action::Transfer { .. })), "{out:?}");
    assert_eq!(said(&out), [NOT_UNDERSTOOD_NAME]);

    // A yes connects them.
    let mut call = Call::started();
    call.dialog.set_intent_fallback(Box::new(Fixed(Intent::Human)));
    call.hear("hey can someone move you for march");
    call.finish_speaking();
    let out = call.hear("yes");
    assert!(
        out.iter().any(|a| matches!(a, Action::Transfer { tier: Tier::T1, .. })),
        "{out:?}"
    );

    // Words the grammar knows still connect at once.
    let mut call = Call::started();
    call.dialog.set_intent_fallback(Box::new(Fixed(Intent::Human)));
    let out = call.hear("I want to talk to a person");
    assert!(
        out.iter().any(|a| matches!(a, Action::Transfer { tier: Tier::T1, .. })),
        "{out:?}"
    );
}

#[test]
fn a_follow_up_question_is_about_the_medication_just_discussed() {
    let mut call = Call::verified();
    let out = call.hear("Does Ozempic need prior authorization?");
    assert!(matches!(
        &requests(&out)[..],
        [Request::CheckPaRequirements { medication, .. }] if medication == "Ozempic"
    ));
    call.result(call.last_call_id(), Outcome::PaPassages(Vec::new()));
    call.finish_speaking();
    let out = call.hear("Is it covered by my plan, and what's my copay?");
    assert_eq!(
        requests(&out),
        [Request::VerifyBenefits {
            patient_id: 42,
            medication: "Ozempic".into()
        }],
        "'it' is the medication the caller just asked about"
    );
}

#[test]
fn two_requests_in_one_breath_are_answered_in_order() {
    let mut call = Call::verified();
    let out = call.hear("I need a refill of my Metformin, and is my Ozempic covered?");
    let first = said(&out);
    assert!(first.iter().any(|s| s.contains("Metformin")), "{first:?}");
    assert!(
        !first.iter().any(|s| s == ANYTHING_ELSE),
        "asked before the second answer: {first:?}"
    );
    assert_eq!(
        requests(&out),
        [Request::VerifyBenefits {
            patient_id: 42,
            medication: "Ozempic".into()
        }]
    );
    let b = Benefits {
        medication: "Ozempic".into(),
        covered: true,
        tier: 2,
        copay_cents: 2550,
        deductible_met: true,
        pa_required: true,
    };
    let out = call.result(call.last_call_id(), Outcome::Benefits(b));
    let second = said(&out);
    assert!(second[0].starts_with("Ozempic is covered"), "{second:?}");
    assert_eq!(second.last().map(String::as_str), Some(ANYTHING_ELSE));
}

#[test]
fn an_emergency_only_the_second_opinion_heard_is_asked_about_first() {
    let mut call = Call::verified();
    call.dialog.set_intent_fallback(Box::new(Fixed(Intent::Emergency)));
    let out = call.hear("my heart is always so healthy long");
    assert_eq!(said(&out), [CONFIRM_EMERGENCY]);
    assert!(!out.iter().any(|a| matches!(a, Action::Transfer { .. })), "{out:?}");
    call.finish_speaking();
    let out = call.hear("yes");
    assert_eq!(said(&out), [EMERGENCY]);
    assert!(out.iter().any(|a| matches!(a, Action::Transfer { .. })), "{out:?}");

    // "No": the question again, nothing flagged.
    let mut call = Call::verified();
    call.dialog.set_intent_fallback(Box::new(Fixed(Intent::Emergency)));
    call.hear("my heart is always so healthy long");
    call.finish_speaking();
    let out = call.hear("no");
    assert_eq!(said(&out), [HOW_CAN_I_HELP]);
    assert!(requests(&out).is_empty(), "{out:?}");

    // The grammar's own emergency words are not asked about.
    let mut call = Call::verified();
    call.dialog.set_intent_fallback(Box::new(Fixed(Intent::Emergency)));
    let out = call.hear("I can't breathe");
    assert_eq!(said(&out), [EMERGENCY]);
}

#[test]
fn one_question_about_two_medications_is_answered_for_each() {
    let mut call = Call::verified();
    let out = call.hear("Is my Ozempic and my Metformin covered?");
    assert_eq!(
        requests(&out),
        [Request::VerifyBenefits {
            patient_id: 42,
            medication: "Ozempic".into()
        }]
    );
    let benefits = |m: &str| Benefits {
        medication: m.into(),
        covered: true,
        tier: 1,
        copay_cents: 1000,
        deductible_met: true,
        pa_required: false,
    };
    let out = call.result(call.last_call_id(), Outcome::Benefits(benefits("Ozempic")));
    assert!(said(&out)[0].starts_with("Ozempic is covered"), "{out:?}");
    assert_eq!(
        requests(&out),
        [Request::VerifyBenefits {
            patient_id: 42,
            medication: "Metformin".into()
        }]
    );
    let out = call.result(call.last_call_id(), Outcome::Benefits(benefits("Metformin")));
    assert!(said(&out)[0].starts_with("Metformin is covered"), "{out:?}");
    assert_eq!(said(&out).last().map(String::as_str), Some(ANYTHING_ELSE));
}

#[test]
fn a_guess_that_the_caller_wants_a_moment_is_not_taken() {
    // "Operator, please" heard as garble that the second opinion finds
    // nearest to "just a moment please": the caller gets what the bot can
    // do, with keys, not "take your time" with the request unserved.
    for guess in [Intent::Hold, Intent::Repeat] {
        let mut call = Call::verified();
        call.dialog.set_intent_fallback(Box::new(Fixed(guess)));
        let out = call.hear("offer a for a please");
        assert_eq!(said(&out), [NOT_UNDERSTOOD_MENU], "{guess:?}");
        call.finish_speaking();
        // Said again and heard, it is acted on.
        let out = call.hear("operator, please");
        assert!(out.iter().any(|a| matches!(a, Action::Transfer { .. })), "{out:?}");
    }
    // Words the grammar knows still get a moment.
    let mut call = Call::verified();
    let out = call.hear("hold on a second");
    assert_eq!(said(&out), [HOLD_ON]);
}

#[test]
fn a_controlled_medication_goes_to_the_pharmacist_by_name() {
    let mut call = Call::started();
    call.hear("My name is Jane Doe, date of birth March 3rd, 1985.");
    let id = call.last_call_id();
    let mut record = jane();
    record.medications.push(dialog::tools::MedicationRecord {
        name: "Adderall".into(),
        ndc: "0555-0767-02".into(),
        pa_required: false,
        pa_status: None,
        step_therapy: false,
        refills_left: 1,
    });
    call.result(id, Outcome::Patient(Some(record)));
    call.finish_speaking();
    let out = call.hear("could you refill my Adderall? I'm down to my last few pills");
    assert_eq!(
        said(&out),
        [
            "Adderall is a controlled medication, so our pharmacist takes care of it. I've asked one to call you back.",
            ANYTHING_ELSE
        ]
    );
    assert!(out.contains(&Action::QueueForStaff {
        tier: Tier::T2,
        reason: "controlled_substance"
    }));
    call.finish_speaking();
    // A controlled drug that is not theirs is not named back from the record.
    let out = call.hear("can I get some oxycodone");
    assert_eq!(said(&out), [PHARMACIST_CALLBACK, ANYTHING_ELSE]);
}
