//! A supervisor on a live call, sans-IO with a fake clock: guidance acted
//! on at the bot's next turn (and not in the middle of the caller's),
//! take-over silencing the bot and its timers, the supervisor's own words,
//! hand-back.

mod common;

use common::*;
use dialog::prompts::*;
use dialog::{Action, Event, Guidance, Supervisor, Tier};

#[test]
fn transfer_guidance_waits_for_the_callers_turn_and_then_transfers() {
    let mut call = Call::started();
    call.send(Event::CallerSpeechStarted);
    // Mid-turn: nothing yet.
    let now = call.send(Event::Supervisor(Supervisor::Guide(Guidance::Transfer)));
    assert!(now.is_empty(), "{now:?}");
    call.send(Event::CallerSpeechEnded);
    let out = call.hear("My name is Jane Doe.");
    assert_eq!(said(&out), [SUPERVISOR_TRANSFER]);
    assert!(out.contains(&Action::Transfer {
        tier: Tier::T1,
        reason: "supervisor_request"
    }));
    assert_eq!(call.dialog.handoff().map(|h| h.reason), Some("supervisor_request"));
}

#[test]
fn guidance_while_nobody_speaks_is_acted_on_at_once() {
    let mut call = Call::verified();
    let out = call.send(Event::Supervisor(Supervisor::Guide(Guidance::Say(
        "Your copay card number is on the back of your card.".into(),
    ))));
    assert_eq!(said(&out), ["Your copay card number is on the back of your card."]);
    call.finish_speaking();
    let out = call.send(Event::Supervisor(Supervisor::Guide(Guidance::Callback)));
    assert_eq!(said(&out), [SUPERVISOR_CALLBACK]);
    assert!(out.contains(&Action::QueueForStaff {
        tier: Tier::T1,
        reason: "supervisor_callback"
    }));
    // The call goes on: the caller can still ask.
    call.finish_speaking();
    let out = call.hear("What are your hours?");
    assert!(!said(&out).is_empty());
}

#[test]
fn a_taken_over_call_keeps_the_bot_silent_until_handed_back() {
    let mut call = Call::started();
    // The bot is asking for identity when the supervisor takes over: it stops.
    call.hear("I have a question about my coverage.");
    let out = call.send(Event::Supervisor(Supervisor::TakeOver));
    assert!(out.contains(&Action::StopSpeaking), "{out:?}");
    assert!(call.dialog.is_taken_over());
    // The caller talks with the supervisor: the bot neither answers nor reprompts.
    call.send(Event::CallerSpeechStarted);
    call.send(Event::CallerSpeechEnded);
    assert!(call.hear("Jane Doe, March third 1985").is_empty());
    assert!(
        call.advance(60_000).is_empty(),
        "no reprompt, no hang-up while taken over"
    );
    // Guidance means nothing while a person has the call.
    assert!(
        call.send(Event::Supervisor(Supervisor::Guide(Guidance::Transfer)))
            .is_empty()
    );
    // The supervisor's words are said, and marked as theirs.
    let out = call.send(Event::Supervisor(Supervisor::Speak(
        "This is Ana, how can I help?".into(),
    )));
    let id = match &out[..] {
        [Action::Say { id, text }] if text == "This is Ana, how can I help?" => *id,
        other => panic!("{other:?}"),
    };
    assert!(call.dialog.is_supervisor_line(id));
    call.finish_speaking();
    // Handed back: the bot speaks again, listens again, and its timers run.
    let out = call.send(Event::Supervisor(Supervisor::HandBack));
    assert_eq!(said(&out), [HANDED_BACK]);
    assert!(!call.dialog.is_taken_over());
    call.finish_speaking();
    let reprompt = call.advance(10_000);
    assert!(said(&reprompt).contains(&STILL_THERE.to_owned()), "{reprompt:?}");
    // Words outside a take-over are not spoken as the supervisor's.
    assert!(
        call.send(Event::Supervisor(Supervisor::Speak("hello".into())))
            .is_empty()
    );
}

#[test]
fn a_barging_supervisor_silences_the_bot_until_their_microphone_leaves() {
    let mut call = Call::started();
    call.hear("I have a question about my coverage.");
    // The bot is talking: the barge-in stops it.
    let out = call.send(Event::Supervisor(Supervisor::BargeIn));
    assert!(out.contains(&Action::StopSpeaking), "{out:?}");
    assert!(call.dialog.is_taken_over());
    // While the supervisor speaks, the caller's words get no bot answer and
    // no timer fires.
    assert!(call.hear("Oh hello, thank you.").is_empty());
    assert!(call.advance(30_000).is_empty());
    // Typed words are spoken meanwhile too, as the supervisor's.
    let out = call.send(Event::Supervisor(Supervisor::Speak("One moment please.".into())));
    assert_eq!(said(&out), ["One moment please."]);
    call.finish_speaking();
    // The microphone leaves: the bot listens again, quietly, and answers.
    let out = call.send(Event::Supervisor(Supervisor::BargeEnded));
    assert!(said(&out).is_empty(), "no announcement: {out:?}");
    assert!(!call.dialog.is_taken_over());
    let out = call.hear("What are your hours?");
    assert!(!said(&out).is_empty());
}
