//! Whole scripted conversations with a fake clock: verification, answers,
//! transfers, emergencies and PHI discipline.

mod common;

use common::*;
use dialog::prompts::*;
use dialog::tools::{CallId, Outcome, Request, Severity};
use dialog::{Action, CallOutcome, Event, Tier};

#[test]
fn happy_path_pa_question_cites_the_passage_then_goodbye() {
    let mut call = Call::new();
    let out = call.send(Event::Started {
        caller_phone: Some(PHONE.into()),
    });
    assert_eq!(
        out,
        [
            Action::Call {
                id: CallId(1),
                request: Request::NamesOnFile { phone: PHONE.into() }
            },
            Action::Say {
                id: 1,
                text: GREETING.into()
            }
        ]
    );
    assert!(call.dialog.is_bot_speaking());
    call.finish_speaking();
    assert!(!call.dialog.is_bot_speaking());

    let out = call.hear("Hi, my name is Jane Doe, date of birth March 3rd, 1985.");
    assert_eq!(requests(&out), [jane_lookup()]);
    for text in call.all_said() {
        assert!(
            phi_markers().iter().all(|m| !text.contains(m)),
            "PHI before verification: {text:?}"
        );
    }
    let out = call.result(call.last_call_id(), Outcome::Patient(Some(jane())));
    assert_eq!(said(&out), ["Thanks, Jane, you're verified.", HOW_CAN_I_HELP]);
    assert!(call.dialog.is_verified());
    call.finish_speaking();

    let question = "Does Ozempic need prior authorization?";
    let out = call.hear(question);
    assert_eq!(
        requests(&out),
        [Request::CheckPaRequirements {
            payer: "Aetna".into(),
            medication: "Ozempic".into(),
            question: question.into()
        }]
    );
    let out = call.result(call.last_call_id(), Outcome::PaPassages(passages()));
    let spoken = said(&out);
    assert_eq!(spoken.len(), 3, "{spoken:?}");
    // The answer first, from the caller's own plan; then the criteria, cited.
    assert_eq!(
        spoken[0],
        "Ozempic needs a prior authorization with your plan, and yours is approved."
    );
    assert!(
        spoken[1].starts_with(&format!("According to {PA_TITLE}: Semaglutide requires")),
        "{}",
        spoken[1]
    );
    assert!(spoken[1].contains("trial of metformin"), "{}", spoken[1]);
    assert!(spoken[1].split_whitespace().count() < 60);
    assert_eq!(spoken[2], ANYTHING_ELSE);
    call.finish_speaking();

    let out = call.hear("No, that's all, thanks.");
    assert_eq!(
        out,
        [
            Action::Say {
                id: 7,
                text: GOODBYE.into()
            },
            Action::Hangup
        ]
    );
    assert_eq!(call.dialog.outcome(), CallOutcome::Resolved);
    assert!(call.hear("wait, one more thing").is_empty());
    assert!(call.send(Event::Dtmf('0')).is_empty());
    assert_eq!(call.dialog.poll_timeout(), None);
}

#[test]
fn verification_failing_three_times_transfers_without_phi() {
    let mut call = Call::started();
    // The caller names a medication before verification: the bot must not repeat it.
    let out = call.hear("Is my Ozempic covered? What's my copay?");
    assert_eq!(said(&out), [VERIFY_FIRST]);
    assert!(requests(&out).is_empty());
    call.finish_speaking();

    for attempt in 1..=3 {
        let out = call.hear("It's Jane Doe, 3/3/85");
        assert!(
            matches!(requests(&out)[..], [Request::PatientLookup { .. }]),
            "attempt {attempt}"
        );
        if attempt == 2 {
            // The records are unreachable: not a mismatch, a person is offered,
            // and declining runs the same lookup again without a new attempt.
            let out = call.result(
                call.last_call_id(),
                Outcome::Failed {
                    reason: "timeout".into(),
                },
            );
            assert_eq!(said(&out), [RECORDS_UNAVAILABLE]);
            call.finish_speaking();
            let out = call.hear("No.");
            assert!(matches!(requests(&out)[..], [Request::PatientLookup { .. }]), "{out:?}");
        }
        let out = call.result(call.last_call_id(), Outcome::Patient(None));
        if attempt < 3 {
            assert_eq!(said(&out), [VERIFY_RETRY]);
            call.finish_speaking();
        } else {
            assert_eq!(
                out[1..],
                [Action::Transfer {
                    tier: Tier::T1,
                    reason: "verification_failed"
                }]
            );
            assert_eq!(said(&out), [TRANSFER]);
        }
    }
    assert_eq!(call.dialog.outcome(), CallOutcome::VerificationFailed);
    assert!(!call.dialog.is_verified());
    for text in call.all_said() {
        for marker in phi_markers() {
            assert!(
                !text.contains(marker),
                "{marker:?} spoken before verification: {text:?}"
            );
        }
    }
    assert!(call.hear("Jane Doe March 3 1985").is_empty());
}

#[test]
fn name_and_date_across_turns() {
    let mut call = Call::started();
    assert_eq!(said(&call.hear("This is Jane Doe")), [ASK_DOB]);
    let out = call.hear("March third, nineteen eighty-five");
    assert_eq!(requests(&out), [jane_lookup()]);

    let mut call = Call::started();
    assert_eq!(said(&call.hear("the third of March 1985")), [ASK_NAME]);
    assert!(matches!(
        requests(&call.hear("Jane Doe"))[..],
        [Request::PatientLookup { .. }]
    ));
}

#[test]
fn dtmf_zero_transfers_at_once() {
    let mut call = Call::new();
    call.send(Event::Started { caller_phone: None });
    let out = call.send(Event::Dtmf('5'));
    assert!(out.is_empty());
    let out = call.send(Event::Dtmf('0'));
    assert_eq!(
        out,
        [
            Action::StopSpeaking,
            Action::Say {
                id: 2,
                text: TRANSFER.into()
            },
            Action::Transfer {
                tier: Tier::T1,
                reason: "caller_request"
            }
        ]
    );
    assert_eq!(call.dialog.outcome(), CallOutcome::Transferred);
}

#[test]
fn representative_mid_verification_transfers() {
    let mut call = Call::started();
    assert_eq!(said(&call.hear("Jane Doe")), [ASK_DOB]);
    call.finish_speaking();
    let out = call.hear("Can I just talk to a representative?");
    assert_eq!(said(&out), [TRANSFER]);
    assert_eq!(
        out.last(),
        Some(&Action::Transfer {
            tier: Tier::T1,
            reason: "caller_request"
        })
    );
    assert_eq!(call.dialog.outcome(), CallOutcome::Transferred);

    // Even while the lookup runs, and its late result is then ignored.
    let mut call = Call::started();
    call.hear("Jane Doe, March 3rd 1985");
    let lookup = call.last_call_id();
    let out = call.hear("operator");
    assert_eq!(
        out.last(),
        Some(&Action::Transfer {
            tier: Tier::T1,
            reason: "caller_request"
        })
    );
    assert!(call.result(lookup, Outcome::Patient(Some(jane()))).is_empty());
    assert!(!call.dialog.is_verified());
}

#[test]
fn emergency_before_verification() {
    let mut call = Call::new();
    call.send(Event::Started { caller_phone: None });
    // Said over the greeting: the bot stops at once.
    let out = call.hear("I think I overdosed, I have chest pain");
    assert_eq!(out[0], Action::StopSpeaking);
    assert_eq!(said(&out), [EMERGENCY]);
    assert_eq!(
        requests(&out),
        [Request::FlagAdverseEvent {
            patient_id: None,
            medication: None,
            symptoms: "chest pain".into(),
            severity: Severity::Severe
        }]
    );
    assert_eq!(
        out.last(),
        Some(&Action::Transfer {
            tier: Tier::T2,
            reason: "emergency"
        })
    );
    assert_eq!(call.dialog.outcome(), CallOutcome::Emergency);
    assert_eq!(call.dialog.poll_timeout(), None);
    assert!(
        call.result(
            call.last_call_id(),
            Outcome::AdverseEventRecorded {
                case_number: "AE-1".into()
            }
        )
        .is_empty()
    );
}

#[test]
fn emergency_after_verification_names_the_patient() {
    let mut call = Call::verified();
    let out = call.hear("my throat is closing after my humira shot");
    assert_eq!(
        requests(&out),
        [Request::FlagAdverseEvent {
            patient_id: Some(42),
            medication: Some("Humira".into()),
            symptoms: "throat swelling".into(),
            severity: Severity::Severe
        }]
    );
    assert_eq!(call.dialog.outcome(), CallOutcome::Emergency);
}

#[test]
fn hours_before_verification_carry_no_phi() {
    let mut call = Call::started();
    let out = call.hear("what are your hours?");
    assert_eq!(said(&out), [HOURS, HOURS_THEN_IDENTIFY]);
    call.finish_speaking();
    let out = call.hear("bye");
    assert_eq!(out.last(), Some(&Action::Hangup));
    assert_eq!(call.dialog.outcome(), CallOutcome::Resolved);
}

#[test]
fn not_understood_three_times_transfers() {
    let mut call = Call::started();
    assert_eq!(said(&call.hear("the weather is lovely")), [NOT_UNDERSTOOD_NAME]);
    call.finish_speaking();
    assert_eq!(said(&call.hear("")), [NOT_UNDERSTOOD_NAME]);
    call.finish_speaking();
    let out = call.hear("is the music on");
    assert_eq!(said(&out), [NOT_UNDERSTOOD_TRANSFER]);
    assert_eq!(
        out.last(),
        Some(&Action::Transfer {
            tier: Tier::T1,
            reason: "not_understood"
        })
    );
    assert_eq!(call.dialog.outcome(), CallOutcome::Transferred);
}

#[test]
fn goodbye_before_anything_is_abandoned() {
    let mut call = Call::started();
    let out = call.hear("never mind, goodbye");
    assert_eq!(out.last(), Some(&Action::Hangup));
    assert_eq!(call.dialog.outcome(), CallOutcome::Abandoned);
}

#[test]
fn results_for_unknown_ids_are_ignored() {
    let mut call = Call::started();
    assert!(call.result(CallId(7), Outcome::Patient(Some(jane()))).is_empty());
    assert!(!call.dialog.is_verified());
}

#[test]
fn unreachable_records_offer_a_person_and_a_yes_transfers() {
    let mut call = Call::started();
    call.finish_speaking();
    let out = call.hear("It's Jane Doe, 3/3/85");
    assert!(matches!(requests(&out)[..], [Request::PatientLookup { .. }]));
    let out = call.result(
        call.last_call_id(),
        Outcome::Failed {
            reason: "database unavailable".into(),
        },
    );
    assert_eq!(said(&out), [RECORDS_UNAVAILABLE]);
    assert!(!said(&out).iter().any(|t| t.contains("couldn't match")), "{out:?}");
    call.finish_speaking();
    let out = call.hear("Yes please.");
    assert_eq!(said(&out), [TRANSFER]);
    assert!(out.contains(&Action::Transfer {
        tier: Tier::T1,
        reason: "records_unavailable"
    }));
    assert_eq!(call.dialog.outcome(), CallOutcome::Transferred);
}

#[test]
fn a_locked_verification_transfers_and_discloses_nothing() {
    let mut call = Call::started();
    call.finish_speaking();
    call.hear("It's Jane Doe, 3/3/85");
    let out = call.result(call.last_call_id(), Outcome::VerificationLocked);
    assert_eq!(said(&out), [VERIFICATION_LOCKED]);
    assert!(out.contains(&Action::Transfer {
        tier: Tier::T1,
        reason: "verification_locked"
    }));
    assert_eq!(call.dialog.outcome(), CallOutcome::VerificationFailed);
}

#[test]
fn off_duty_staff_make_a_callback_task_and_emergencies_still_connect() {
    let mut call = Call::started();
    call.send(Event::StaffHours {
        closed: vec![Tier::T1, Tier::T2, Tier::T3],
    });
    call.finish_speaking();
    let out = call.hear("I want to talk to a representative.");
    assert_eq!(said(&out), [STAFF_CLOSED_CALLBACK]);
    assert!(out.contains(&Action::QueueForStaff {
        tier: Tier::T1,
        reason: "caller_request"
    }));
    assert!(out.contains(&Action::Hangup));
    assert!(!out.iter().any(|a| matches!(a, Action::Transfer { .. })), "{out:?}");
    assert_eq!(call.dialog.outcome(), CallOutcome::CallbackQueued);
    let h = call.dialog.handoff().expect("handoff captured");
    assert_eq!(
        (h.reason, h.verified, h.medication.as_deref(), h.patient_id),
        ("caller_request", false, None, None)
    );

    let mut call = Call::started();
    call.send(Event::StaffHours {
        closed: vec![Tier::T1, Tier::T2, Tier::T3],
    });
    call.finish_speaking();
    let out = call.hear("I took too many pills and I can't breathe.");
    assert_eq!(said(&out)[0], EMERGENCY);
    assert!(out.contains(&Action::Transfer {
        tier: Tier::T2,
        reason: "emergency"
    }));
}

#[test]
fn a_mentioned_representative_is_not_a_request() {
    let mut call = Call::started();
    call.finish_speaking();
    let out = call.hear("I don't need a representative, I just want to know if my insurance is active");
    assert_eq!(said(&out), [VERIFY_FIRST], "{out:?}");
    assert!(!out.iter().any(|a| matches!(a, Action::Transfer { .. })));
    call.finish_speaking();
    let out = call.hear("My pharmacist told me my Ozempic needs a prior authorization, is that right?");
    assert_eq!(said(&out), [VERIFY_FIRST], "{out:?}");
    assert!(!out.iter().any(|a| matches!(a, Action::Transfer { .. })));
    assert_eq!(call.dialog.outcome(), CallOutcome::InProgress);
}

#[test]
fn declining_to_verify_is_explained_and_a_person_offered() {
    let mut call = Call::started();
    call.finish_speaking();
    let out = call.hear("I don't want to give my birthday, just tell me what I'm taking");
    assert_eq!(said(&out), [VERIFY_WHY]);
    for text in call.all_said() {
        assert!(
            phi_markers().iter().all(|m| !text.contains(m)),
            "PHI before verification: {text:?}"
        );
    }
    call.finish_speaking();
    // "No" to a person: the identity question again, not "didn't catch that".
    assert_eq!(said(&call.hear("No.")), [ASK_IDENTITY]);
    call.finish_speaking();
    assert_eq!(said(&call.hear("why do you need my date of birth")), [VERIFY_WHY]);
    call.finish_speaking();
    let out = call.hear("Yes.");
    assert_eq!(said(&out), [TRANSFER]);
    assert!(out.contains(&Action::Transfer {
        tier: Tier::T1,
        reason: "caller_request"
    }));
}

#[test]
fn what_repeats_and_hold_on_waits_without_counting_as_not_understood() {
    let mut call = Call::started();
    call.finish_speaking();
    assert_eq!(said(&call.hear("What?")), [GREETING]);
    call.finish_speaking();
    assert_eq!(said(&call.hear("Hold on a second, let me find my card.")), [HOLD_ON]);
    call.finish_speaking();
    // Two misses after the repeat and the hold: still asked again, not transferred.
    assert_eq!(said(&call.hear("the weather is lovely")), [NOT_UNDERSTOOD_NAME]);
    call.finish_speaking();
    assert_eq!(said(&call.hear("is the music on")), [NOT_UNDERSTOOD_NAME]);
    call.finish_speaking();
    assert_eq!(said(&call.hear("Sorry, can you repeat that?")), [NOT_UNDERSTOOD_NAME]);
    assert_eq!(call.dialog.outcome(), CallOutcome::InProgress);
}

#[test]
fn a_verified_caller_hears_their_medications_and_what_repeats_them() {
    let mut call = Call::verified();
    let out = call.hear("What medications am I on?");
    let spoken = said(&out);
    assert_eq!(spoken.len(), 2, "{spoken:?}");
    assert!(
        spoken[0].starts_with("You have ") && spoken[0].contains("Ozempic"),
        "{}",
        spoken[0]
    );
    assert_eq!(spoken[1], ANYTHING_ELSE);
    call.finish_speaking();
    assert_eq!(said(&call.hear("what?")), [ANYTHING_ELSE]);
}

#[test]
fn after_a_miss_the_date_of_birth_can_be_keyed_in() {
    let mut call = Call::started();
    call.finish_speaking();
    let out = call.hear("It's Jane Doe, 3/3/86");
    assert!(matches!(requests(&out)[..], [Request::PatientLookup { .. }]));
    let out = call.result(call.last_call_id(), Outcome::Patient(None));
    assert_eq!(said(&out), [VERIFY_RETRY]);
    assert!(VERIFY_RETRY.contains("key in your date of birth"));
    call.finish_speaking();
    assert_eq!(said(&call.hear("Jane Doe")), [ASK_DOB_KEYPAD]);
    call.finish_speaking();
    // Not a date: asked again, nothing looked up.
    let out = call.keys("13451990");
    assert_eq!(said(&out), [KEYPAD_INVALID]);
    assert!(requests(&out).is_empty());
    call.finish_speaking();
    // A zero is a digit now, not a transfer; `*` starts over.
    let out = call.keys("12*03031985");
    assert!(!out.iter().any(|a| matches!(a, Action::Transfer { .. })), "{out:?}");
    assert_eq!(requests(&out), [jane_lookup()]);
}

#[test]
fn after_a_miss_the_surname_can_be_spelled() {
    let mut call = Call::started();
    call.finish_speaking();
    let out = call.hear("It's Jane Dough, March third, 1985");
    assert!(matches!(requests(&out)[..], [Request::PatientLookup { .. }]));
    let out = call.result(call.last_call_id(), Outcome::Patient(None));
    assert_eq!(said(&out), [VERIFY_RETRY]);
    assert!(VERIFY_RETRY.contains("spell your last name"));
    call.finish_speaking();
    // The name as misheard, then its spelling: the spelling wins.
    assert_eq!(said(&call.hear("My name is Jane Dough, D. O. E.")), [ASK_DOB_KEYPAD]);
    call.finish_speaking();
    let out = call.hear("March third, 1985");
    assert_eq!(requests(&out), [jane_lookup()]);
    // A spelling alone is not a name: the name is asked for.
    let mut call = Call::started();
    call.finish_speaking();
    assert_eq!(said(&call.hear("D O E")), [ASK_NAME]);
}

#[test]
fn half_a_date_now_and_the_year_next() {
    let mut call = Call::started();
    call.finish_speaking();
    assert_eq!(said(&call.hear("Jane Doe, March third")), [ASK_YEAR]);
    call.finish_speaking();
    let out = call.hear("nineteen eighty five");
    assert_eq!(requests(&out), [jane_lookup()]);
    // The date first, the name after, the year last.
    let mut call = Call::started();
    call.finish_speaking();
    assert_eq!(said(&call.hear("the third of March")), [ASK_NAME]);
    call.finish_speaking();
    assert_eq!(said(&call.hear("my name is Jane Doe")), [ASK_YEAR]);
    call.finish_speaking();
    let out = call.hear("It's 1985.");
    assert!(matches!(&requests(&out)[..], [Request::PatientLookup { dob: d, .. }] if *d == dob()));
}
