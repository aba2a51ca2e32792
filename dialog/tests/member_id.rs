//! The member ID as the corroboration of a name heard only with the names
//! on file as the recogniser's prompt: asked once after a miss, keyed in
//! or read out, sent with the lookup; declined, the caller starts over.

mod common;

use common::*;
use dialog::prompts::*;
use dialog::tools::{Outcome, Request};
use dialog::{CallOutcome, Event};

/// A started call whose first identity turn was overruled: the hint heard
/// "Jane Doe", the plain decode a garbled name.
fn overruled_call() -> (Call, Vec<dialog::Action>) {
    let mut call = Call::started();
    call.send(Event::HintOverruled(
        "My name is Jane Doe, born March 3rd, 1985.".into(),
    ));
    let out = call.hear("My name is Shane Dough, born March 3rd, 1985.");
    (call, out)
}

#[test]
fn a_failed_lookup_with_an_overruled_name_asks_for_the_member_id() {
    let (mut call, out) = overruled_call();
    // The plain decode is tried first, as heard.
    let plain = requests(&out);
    assert!(
        matches!(&plain[..], [Request::PatientLookup { name, member_id: None, .. }] if name == "shane dough"),
        "{plain:?}"
    );
    let out = call.result(call.last_call_id(), Outcome::Patient(None));
    assert_eq!(said(&out), [ASK_MEMBER_ID]);
    call.finish_speaking();

    // Nine keys: the lookup carries the name the hint heard and the ID.
    let out = call.keys("123456789");
    assert_eq!(
        requests(&out),
        [Request::PatientLookup {
            name: "jane doe".into(),
            dob: dob(),
            phone: Some(PHONE.into()),
            member_id: Some("M123456789".into()),
        }]
    );
    call.result(call.last_call_id(), Outcome::Patient(Some(jane())));
    assert!(call.dialog.is_verified());
}

#[test]
fn the_member_id_can_be_read_out_digit_by_digit_and_is_read_back_first() {
    let mut call = member_id_asked();
    let out = call.hear("Sure, it's 1, 2, 3, 4, 5, 6, 7, 8, 9.");
    // Read back before the lookup: a misheard digit would cost an attempt.
    assert!(requests(&out).is_empty(), "{out:?}");
    assert_eq!(
        said(&out),
        ["I heard one two three, four five six, seven eight nine. Is that right? Say yes, or key in the nine digits."]
    );
    assert!(is_member_id_read_back(&said(&out)[0]));
    call.finish_speaking();
    let out = call.hear("Yes, that's right.");
    assert_eq!(member_id_looked_up(&out).as_deref(), Some("M123456789"), "{out:?}");
}

#[test]
fn a_member_id_read_back_wrong_is_keyed_in() {
    let mut call = member_id_asked();
    // The line turned a five into a nine.
    call.hear("1, 2, 3, 4, 9, 6, 7, 8, 9.");
    call.finish_speaking();
    let out = call.hear("No, that's wrong.");
    assert_eq!(said(&out), [MEMBER_ID_KEY_IT]);
    assert!(requests(&out).is_empty());
    call.finish_speaking();
    let out = call.keys("123456789");
    assert_eq!(member_id_looked_up(&out).as_deref(), Some("M123456789"), "{out:?}");
    assert_eq!(call.dialog.outcome(), CallOutcome::InProgress);
}

#[test]
fn keys_during_the_read_back_replace_the_digits_heard() {
    let mut call = member_id_asked();
    call.hear("1 2 3 4 9 6 7 8 9");
    // The caller keys the right ones while the read-back plays.
    let out = call.keys("123456789");
    assert_eq!(member_id_looked_up(&out).as_deref(), Some("M123456789"), "{out:?}");
}

#[test]
fn digits_said_again_after_the_read_back_are_taken_as_heard() {
    let mut call = member_id_asked();
    call.hear("1 2 3 4 9 6 7 8 9");
    call.finish_speaking();
    let out = call.hear("No, it's 1 2 3 4 5 6 7 8 9.");
    assert_eq!(member_id_looked_up(&out).as_deref(), Some("M123456789"), "{out:?}");
}

/// The member ID of the one lookup `out` made, if it made one with an ID.
fn member_id_looked_up(out: &[dialog::Action]) -> Option<String> {
    match &requests(out)[..] {
        [Request::PatientLookup { member_id, .. }] => member_id.clone(),
        _ => None,
    }
}

/// [`overruled_call`] after its lookup failed: the member ID is asked for.
fn member_id_asked() -> Call {
    let (mut call, _) = overruled_call();
    assert_eq!(
        said(&call.result(call.last_call_id(), Outcome::Patient(None))),
        [ASK_MEMBER_ID]
    );
    call.finish_speaking();
    call
}

#[test]
fn a_garbled_member_id_is_asked_for_again_once_before_it_counts_as_none() {
    // What the recogniser made of nine digits read out on a noisy line.
    let mut call = member_id_asked();
    let out = call.hear("[ [ [ [");
    assert_eq!(said(&out), [MEMBER_ID_NOT_HEARD]);
    assert!(requests(&out).is_empty());
    call.finish_speaking();
    // The keypad still enters it.
    let out = call.keys("123456789");
    assert!(
        matches!(&requests(&out)[..], [Request::PatientLookup { name, member_id: Some(m), .. }] if m == "M123456789" && name == "jane doe"),
        "{out:?}"
    );

    // A second garbled answer: the caller starts over with name and date.
    let mut call = member_id_asked();
    assert_eq!(said(&call.hear("Bring it on the, in.")), [MEMBER_ID_NOT_HEARD]);
    call.finish_speaking();
    assert_eq!(said(&call.hear("[ [ [")), [MEMBER_ID_SKIPPED]);

    // "I don't know it" is no member ID at once, not a garbled one.
    let mut call = member_id_asked();
    assert_eq!(said(&call.hear("Honestly, I don't know it.")), [MEMBER_ID_SKIPPED]);
}

#[test]
fn a_failed_member_id_lookup_on_a_spoken_date_asks_for_the_date_keyed_in() {
    let (mut call, _) = overruled_call();
    call.result(call.last_call_id(), Outcome::Patient(None));
    call.finish_speaking();
    call.keys("123456789");
    // The date was heard, not keyed: the recogniser may have the day wrong.
    let out = call.result(call.last_call_id(), Outcome::Patient(None));
    assert_eq!(said(&out), [MEMBER_ID_KEY_DOB]);
    call.finish_speaking();
    let out = call.keys("03041985");
    assert_eq!(
        requests(&out),
        [Request::PatientLookup {
            name: "jane doe".into(),
            dob: dob().succ_opt().unwrap(),
            phone: Some(PHONE.into()),
            member_id: Some("M123456789".into()),
        }]
    );
    // That one fails too: the third miss hands the call to a person.
    call.result(call.last_call_id(), Outcome::Patient(None));
    assert_eq!(call.dialog.outcome(), CallOutcome::VerificationFailed);
    assert!(!call.dialog.is_verified());
}

#[test]
fn a_year_not_understood_offers_the_keypad_for_the_whole_date() {
    let mut call = Call::started();
    assert_eq!(said(&call.hear("Jane Doe, March third")), [ASK_YEAR]);
    call.finish_speaking();
    let out = call.hear("mind mind the radio station");
    assert_eq!(said(&out), [NOT_UNDERSTOOD_DOB]);
    call.finish_speaking();
    let out = call.keys("03031985");
    assert_eq!(requests(&out), [jane_lookup()]);
}

#[test]
fn a_plain_decode_with_no_name_goes_to_the_member_id_at_once() {
    let mut call = Call::started();
    call.send(Event::HintOverruled("Jane Doe, March 3rd, 1985".into()));
    // The plain decode kept only the date.
    let out = call.hear("um, march 3rd, 1985");
    assert_eq!(said(&out), [ASK_MEMBER_ID]);
    call.finish_speaking();
    let out = call.keys("123456789");
    assert!(
        matches!(&requests(&out)[..], [Request::PatientLookup { name, member_id: Some(_), .. }] if name == "jane doe"),
        "{out:?}"
    );
}

#[test]
fn no_overruled_name_no_member_id() {
    let mut call = Call::started();
    call.hear("My name is Shane Dough, born March 3rd, 1985.");
    let out = call.result(call.last_call_id(), Outcome::Patient(None));
    assert_eq!(said(&out), [VERIFY_RETRY]);
    // Nothing was spoken that came from the hint, before or after.
    for s in call.all_said() {
        assert!(!s.contains("Jane"), "{s}");
    }
}

#[test]
fn a_hinted_surname_in_words_that_read_as_no_name_still_asks_for_the_member_id() {
    // Mei Smith on a noisy line: the hinted decode wrote "my Smith", which
    // reads as no name, and the plain decode heard nothing like it.
    let mut call = Call::started();
    call.result(names_call(&call), Outcome::NamesOnFile(vec!["Jane Doe".into()]));
    call.send(Event::HintOverruled("My name is my Doe.".into()));
    let out = call.hear("I may just like this.");
    assert_eq!(said(&out), [ASK_MEMBER_ID]);
    assert!(requests(&out).is_empty());
    call.finish_speaking();
    // The ID keyed, then the date: the lookup carries the name on file, and
    // the record must match all three.
    let out = call.keys("123456789");
    assert_eq!(said(&out), [ASK_DOB_KEYPAD]);
    call.finish_speaking();
    let out = call.keys("03031985");
    assert_eq!(
        requests(&out),
        [Request::PatientLookup {
            name: "jane doe".into(),
            dob: dob(),
            phone: Some(PHONE.into()),
            member_id: Some("M123456789".into()),
        }]
    );
    // Words that hold a part of no name on file keep nothing.
    let mut other = Call::started();
    other.send(Event::HintOverruled("My name is my Smith.".into()));
    let out = other.hear("I may just like this.");
    assert_ne!(said(&out), [ASK_MEMBER_ID]);
}
