//! The end-of-turn judgement in context: what the last question expects
//! decides whether the words heard at a pause are a whole turn.

mod common;

use common::*;
use dialog::Completeness::{Complete, Incomplete, Unsure};
use dialog::Event;

#[test]
fn identity_turns_end_on_a_whole_date_not_on_half_of_one() {
    let call = Call::started();
    let d = &call.dialog;
    assert_eq!(d.turn_completeness("Jane Doe, March 3rd, 1985."), Complete);
    assert_eq!(d.turn_completeness("March 3rd 1985"), Complete);
    assert_eq!(d.turn_completeness("My date of birth is"), Incomplete);
    assert_eq!(d.turn_completeness("It's March 3rd"), Incomplete, "the year may follow");
    assert_eq!(d.turn_completeness("March third, nineteen"), Incomplete);
    assert_eq!(
        d.turn_completeness("My name is Jane Doe."),
        Unsure,
        "both were asked: the date may follow after a breath"
    );
    assert_eq!(
        d.turn_completeness("D O E"),
        Unsure,
        "letters come at the caller's pace"
    );
    assert_eq!(d.turn_completeness("I want to talk to a person."), Complete);
    assert_eq!(
        d.turn_completeness("I took too many pills and I can't breathe..."),
        Complete,
        "an emergency ends the turn however the words trail off"
    );
    assert_eq!(d.turn_completeness("Is my Ozempic covered?"), Complete);
    assert_eq!(d.turn_completeness("Hmm, let me see"), Unsure);
    assert_eq!(d.turn_completeness(""), Unsure);
}

#[test]
fn the_year_after_half_a_date_completes_it() {
    let mut call = Call::started();
    call.hear("Jane Doe");
    call.finish_speaking();
    call.hear("March third");
    call.finish_speaking();
    assert_eq!(call.dialog.turn_completeness("1985."), Complete);
    assert_eq!(call.dialog.turn_completeness("nineteen eighty-five"), Complete);
}

#[test]
fn the_name_alone_completes_the_turn_when_only_the_name_was_missing() {
    let mut call = Call::started();
    call.hear("March 3rd 1985");
    call.finish_speaking();
    assert_eq!(call.dialog.turn_completeness("Jane Doe."), Complete);
}

#[test]
fn verified_requests_end_when_understood() {
    let mut call = Call::verified();
    let d = &call.dialog;
    assert_eq!(d.turn_completeness("Is my Ozempic covered?"), Complete);
    assert_eq!(d.turn_completeness("I need a refill."), Complete);
    assert_eq!(d.turn_completeness("Yes."), Complete);
    assert_eq!(d.turn_completeness("I need a refill on my"), Incomplete);
    assert_eq!(d.turn_completeness("So the thing is"), Incomplete);
    assert_eq!(d.turn_completeness("Well, it's complicated."), Unsure);
    // Asked which medication: one of the caller's own completes it.
    call.hear("I need a refill.");
    call.finish_speaking();
    assert_eq!(call.dialog.turn_completeness("Ozempic."), Complete);
    // Symptoms are told at the caller's pace.
    call.send(Event::Final("I have a side effect".into()));
    call.finish_speaking();
    assert_eq!(call.dialog.turn_completeness("I feel dizzy."), Unsure);
}
