//! Recovering from what the recogniser got wrong: the caller's own name
//! expected on the identity turns (names on file for the calling number),
//! the medications on file offered as choices (by voice or key) when
//! "which medication?" was not understood, and a named medication whose
//! request was not understood asked about rather than "didn't catch that".

mod common;

use common::*;
use dialog::prompts::*;
use dialog::tools::{Outcome, Request};
use dialog::{Action, Event};

#[test]
fn the_names_on_file_for_the_number_are_expected_on_identity_turns_and_never_said() {
    let mut call = Call::started();
    assert_eq!(call.dialog.recognition_hint(), None, "nothing before the result");
    let id = names_call(&call);
    call.result(id, Outcome::NamesOnFile(vec!["Jane Doe".into()]));
    assert_eq!(call.dialog.recognition_hint().as_deref(), Some("My name is Jane Doe."));

    // A failed lookup: the hint stays for the retry, and nothing says it.
    call.hear("My name is Jade Dough, date of birth March 3rd, 1985.");
    call.result(call.last_call_id(), Outcome::Patient(None));
    assert_eq!(call.dialog.recognition_hint().as_deref(), Some("My name is Jane Doe."));
    assert!(
        call.all_said().iter().all(|t| !t.contains("Jane")),
        "{:?}",
        call.all_said()
    );

    // Verified: the hint becomes the caller's medications.
    call.finish_speaking();
    call.hear("Jane Doe, March 3rd, 1985.");
    call.result(call.last_call_id(), Outcome::Patient(Some(jane())));
    assert_eq!(
        call.dialog.recognition_hint().as_deref(),
        Some("My medications are Ozempic and Metformin.")
    );
}

#[test]
fn a_names_result_after_the_lookup_began_is_kept_and_a_failed_one_changes_nothing() {
    let mut call = Call::started();
    let names = names_call(&call);
    let out = call.hear("My name is Jane Doe, date of birth March 3rd, 1985.");
    assert!(matches!(requests(&out)[..], [Request::PatientLookup { .. }]));
    let lookup = call.last_call_id();
    // The names arrive while the lookup runs: stored, the lookup still awaited.
    assert!(
        call.result(names, Outcome::NamesOnFile(vec!["Jane Doe".into()]))
            .is_empty()
    );
    assert!(call.dialog.recognition_hint().is_some());
    let out = call.result(lookup, Outcome::Patient(Some(jane())));
    assert_eq!(said(&out)[0], "Thanks, Jane, you're verified.");

    let mut other = Call::started();
    let id = names_call(&other);
    assert!(
        other
            .result(
                id,
                Outcome::Failed {
                    reason: "timeout".into()
                }
            )
            .is_empty()
    );
    assert_eq!(other.dialog.recognition_hint(), None);
    // No calling number: no call at all.
    let mut anonymous = Call::new();
    let out = anonymous.send(Event::Started { caller_phone: None });
    assert!(requests(&out).is_empty());
}

#[test]
fn a_medication_not_understood_twice_is_offered_as_choices_and_a_key_picks_it() {
    let mut call = Call::verified();
    let out = call.hear("I need a refill.");
    assert_eq!(said(&out), [WHICH_MEDICATION]);
    call.finish_speaking();
    let out = call.hear("The little white ones.");
    assert_eq!(
        said(&out),
        ["Is it about Ozempic, or Metformin? You can also press 1 for Ozempic, or 2 for Metformin."]
    );
    call.finish_speaking();
    call.send(Event::Dtmf('2'));
    let answer = call.all_said().last().cloned().unwrap_or_default();
    let refill = call
        .all_said()
        .into_iter()
        .find(|t| t.contains("refills left on Metformin"))
        .unwrap_or_else(|| panic!("no refill answer: {answer:?}"));
    assert!(refill.contains("Metformin"), "{refill}");
}

#[test]
fn a_medication_can_be_picked_by_its_place_in_the_list() {
    let mut call = Call::verified();
    call.hear("Is it covered?");
    call.finish_speaking();
    call.hear("Um, the injection.");
    call.finish_speaking();
    let out = call.hear("The first one.");
    assert_eq!(
        requests(&out),
        [Request::VerifyBenefits {
            patient_id: 42,
            medication: "Ozempic".into()
        }]
    );
}

#[test]
fn keys_pick_nothing_unless_choices_were_offered() {
    let mut call = Call::verified();
    let out = call.send(Event::Dtmf('2'));
    assert!(requests(&out).is_empty() && said(&out).is_empty(), "{out:?}");
    // Zero still reaches a person.
    let out = call.send(Event::Dtmf('0'));
    assert!(out.iter().any(|a| matches!(a, Action::Transfer { .. })), "{out:?}");
}

#[test]
fn a_named_medication_with_a_request_not_understood_is_asked_about() {
    let mut call = Call::verified();
    let out = call.hear("What is my hope fade for Ozempic?");
    assert_eq!(
        said(&out),
        [
            "What would you like to know about Ozempic? I can check whether it's covered and your copay, whether it \
          needs prior authorization, or your refills."
        ]
    );
    call.finish_speaking();
    let out = call.hear("Whether it's covered.");
    assert_eq!(
        requests(&out),
        [Request::VerifyBenefits {
            patient_id: 42,
            medication: "Ozempic".into()
        }]
    );
}

#[test]
fn the_topic_question_yields_to_another_medication_named() {
    let mut call = Call::verified();
    call.hear("Ozempic, hmm.");
    call.finish_speaking();
    let out = call.hear("Actually, is my Metformin covered?");
    assert_eq!(
        requests(&out),
        [Request::VerifyBenefits {
            patient_id: 42,
            medication: "Metformin".into()
        }]
    );
}

#[test]
fn a_request_not_understood_offers_the_menu_and_keys_work_through_to_the_answer() {
    let mut call = Call::verified();
    let out = call.hear("With my patients to you, have for me.");
    assert_eq!(said(&out), [NOT_UNDERSTOOD_MENU]);
    call.finish_speaking();
    // 3: refills; two medications on file, so the choices come with keys.
    let out = call.send(Event::Dtmf('3'));
    assert_eq!(
        said(&out),
        ["Is it about Ozempic, or Metformin? You can also press 1 for Ozempic, or 2 for Metformin."]
    );
    call.finish_speaking();
    let out = call.send(Event::Dtmf('1'));
    assert!(said(&out).iter().any(|t| t.contains("left on Ozempic")), "{out:?}");
    // 4 after another miss: the medications on file.
    call.finish_speaking();
    let out = call.hear("Blue sky thinking.");
    assert_eq!(said(&out), [NOT_UNDERSTOOD_MENU], "after 'anything else?'");
    call.finish_speaking();
    let out = call.send(Event::Dtmf('4'));
    assert!(
        said(&out).iter().any(|t| t.contains("Ozempic and Metformin")),
        "{out:?}"
    );
}

#[test]
fn a_date_of_birth_not_understood_offers_the_keypad_at_once() {
    let mut call = Call::started();
    let out = call.hear("My name is Jane Doe.");
    assert_eq!(said(&out), [ASK_DOB]);
    call.finish_speaking();
    let out = call.hear("It's been twenty first.");
    assert_eq!(said(&out), [NOT_UNDERSTOOD_DOB]);
    call.finish_speaking();
    let out = call.keys("03031985");
    assert_eq!(requests(&out), [jane_lookup()]);
}

#[test]
fn an_identity_turn_not_understood_asks_for_the_name_alone_then_offers_the_keypad() {
    let mut call = Call::started();
    let out = call.hear("He is the Dean of the foundation, nineteen.");
    assert_eq!(said(&out), [NOT_UNDERSTOOD_NAME]);
    call.finish_speaking();
    let out = call.hear("My name is Jane Doe.");
    assert_eq!(said(&out), [ASK_DOB_KEYPAD]);
    call.finish_speaking();
    let out = call.keys("03031985");
    assert_eq!(requests(&out), [jane_lookup()]);
}

#[test]
fn a_long_turn_that_only_opens_with_sure_is_a_miss_not_a_yes() {
    // "Sure, in George Brown and my birthday is a Pro 10th": no name, no
    // date, a leading "sure". It was taken as a yes and the same question
    // asked for ever; it is a miss, and three misses reach a person.
    let mut call = Call::started();
    let garbled = "Sure, in Gorge Bran and my birthday is a Pro 10th 1978.";
    let out = call.hear(garbled);
    assert_eq!(said(&out), [NOT_UNDERSTOOD_NAME]);
    call.finish_speaking();
    call.hear(garbled);
    call.finish_speaking();
    let out = call.hear(garbled);
    assert_eq!(said(&out), [NOT_UNDERSTOOD_TRANSFER]);
    assert!(out.iter().any(|a| matches!(a, Action::Transfer { .. })), "{out:?}");
    // A short "okay" is still answered with the question.
    let mut call = Call::started();
    assert_eq!(said(&call.hear("Okay.")), [ASK_IDENTITY]);
}
