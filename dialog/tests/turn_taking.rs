//! Timing with a fake clock: barge-in, the filler for slow calls, turns
//! queued behind a call, stale results and the silence timer.

mod common;

use std::time::Duration;

use common::*;
use dialog::prompts::*;
use dialog::tools::{CallId, Outcome, Request};
use dialog::{Action, CallOutcome, DialogConfig, Event};

/// A call whose greeting (id 1) is still playing.
fn greeting_playing() -> Call {
    let mut call = Call::new();
    call.send(Event::Started { caller_phone: None });
    assert!(call.dialog.is_bot_speaking());
    call
}

#[test]
fn barge_in_after_the_threshold() {
    let mut call = greeting_playing();
    call.advance(1000);
    assert!(call.send(Event::CallerSpeechStarted).is_empty());
    // No words recognised yet: 500 ms of speech without a pause stops it,
    // timed on the audio clock (no wall-clock timer for it).
    assert_eq!(call.dialog.poll_timeout(), None);
    assert!(call.advance(499).is_empty());
    assert_eq!(call.advance(1), [Action::StopSpeaking]);
    assert!(!call.dialog.is_bot_speaking());
    call.send(Event::BotInterrupted {
        id: 1,
        heard_ms: 1200,
        total_ms: 9000,
    });
    let cut = call.dialog.last_interruption().expect("recorded");
    assert_eq!(
        (cut.id, cut.heard_ms, cut.total_ms, cut.was_question),
        (1, 1200, 9000, true)
    );
    // The cut greeting asked for identity: the answer is taken as such.
    call.send(Event::CallerSpeechEnded);
    let out = call.hear("Jane Doe, March 3rd 1985");
    assert!(matches!(requests(&out)[..], [Request::PatientLookup { .. }]));
}

#[test]
fn no_barge_in_on_speech_that_pauses_early() {
    // An "uh-huh" or a breath: a pause before 500 ms, nothing recognised.
    let mut call = greeting_playing();
    call.send(Event::CallerSpeechStarted);
    call.advance(400);
    assert!(call.send(Event::CallerPaused).is_empty());
    assert!(call.advance(1000).is_empty(), "the pause disarmed the timer");
    assert!(call.dialog.is_bot_speaking());
    // Speaking on after the pause: a new run of speech, judged afresh.
    call.send(Event::CallerResumed);
    assert!(call.advance(499).is_empty());
    assert_eq!(call.advance(1), [Action::StopSpeaking]);
}

#[test]
fn one_word_that_takes_the_floor_stops_the_bot() {
    let mut call = greeting_playing();
    call.send(Event::CallerSpeechStarted);
    assert_eq!(call.send(Event::Partial("Wait.".into())), [Action::StopSpeaking]);
}

#[test]
fn no_barge_in_on_a_cough() {
    let mut call = greeting_playing();
    call.advance(1000);
    call.send(Event::CallerSpeechStarted);
    call.advance(100);
    call.send(Event::CallerSpeechEnded);
    assert!(call.advance(2000).is_empty());
    assert!(call.dialog.is_bot_speaking());
    assert!(call.hear("").is_empty(), "an empty final over the bot is ignored");
}

#[test]
fn no_barge_in_on_a_backchannel_partial() {
    let mut call = greeting_playing();
    call.send(Event::CallerSpeechStarted);
    call.advance(100);
    assert!(call.send(Event::Partial("mm-hm".into())).is_empty());
    assert!(
        call.advance(1000).is_empty(),
        "timer cancelled while the caller is still speaking"
    );
    assert!(call.dialog.is_bot_speaking());
    call.send(Event::CallerSpeechEnded);
    assert!(
        call.hear("Mm-hm.").is_empty(),
        "backchannel final over the bot is ignored"
    );
    assert!(call.hear("okay").is_empty());
    assert!(call.dialog.is_bot_speaking());
}

#[test]
fn real_words_in_a_partial_barge_in_at_once() {
    let mut call = greeting_playing();
    call.send(Event::CallerSpeechStarted);
    call.advance(50);
    assert!(call.send(Event::Partial("my".into())).is_empty());
    assert_eq!(call.send(Event::Partial("my name is".into())), [Action::StopSpeaking]);
    assert!(!call.dialog.is_bot_speaking());
    // One urgent word is enough.
    let mut call = greeting_playing();
    call.send(Event::CallerSpeechStarted);
    assert_eq!(call.send(Event::Partial("agent".into())), [Action::StopSpeaking]);
}

#[test]
fn a_false_barge_in_resumes_what_was_cut() {
    let mut call = Call::verified();
    call.hear("I need a refill on my Ozempic");
    let answer = call.all_said()[call.all_said().len() - 2].clone();
    assert!(answer.contains("2 refills"));
    call.send(Event::CallerSpeechStarted);
    assert_eq!(call.advance(500), [Action::StopSpeaking]);
    let first_cut = match &call.log[call.log.len() - 3] {
        Action::Say { id, .. } => *id,
        other => panic!("expected the answer, got {other:?}"),
    };
    call.send(Event::BotInterrupted {
        id: first_cut,
        heard_ms: 400,
        total_ms: 3000,
    });
    call.send(Event::CallerSpeechEnded);
    let out = call.hear("");
    assert_eq!(said(&out), [answer.as_str(), ANYTHING_ELSE]);
}

#[test]
fn slow_function_acknowledged_at_once() {
    let mut call = Call::verified();
    let out = call.hear("Is my Ozempic covered?");
    // VerifyBenefits: budget 3 s, over the 1 s after which a call is
    // acknowledged as it is made; no filler later.
    assert_eq!(said(&out), [LET_ME_CHECK]);
    let benefits = call.last_call_id();
    call.finish_speaking();
    assert!(
        call.advance(5000).is_empty(),
        "no filler after the acknowledgement; no silence timer while waiting"
    );
    let out = call.result(benefits, Outcome::BenefitsPending);
    assert_eq!(said(&out), [BENEFITS_PENDING, ANYTHING_ELSE]);
    assert_eq!(call.all_said().iter().filter(|s| *s == LET_ME_CHECK).count(), 1);
}

#[test]
fn filler_when_the_result_is_late() {
    let mut call = Call::started();
    let asked_at = call.elapsed_ms();
    call.hear("Jane Doe, March 3rd 1985");
    let lookup = call.last_call_id();
    // PatientLookup: budget 200 ms, filler due at 0.6 of it.
    assert_eq!(
        call.dialog.poll_timeout(),
        Some(call.t0 + Duration::from_millis(asked_at + 120))
    );
    assert!(call.advance(119).is_empty());
    let out = call.advance(1);
    assert_eq!(said(&out), [ONE_MOMENT]);
    call.finish_speaking();
    assert!(
        call.advance(5000).is_empty(),
        "once per call; no silence timer while waiting"
    );
    let out = call.result(lookup, Outcome::Patient(Some(jane())));
    assert_eq!(said(&out)[0], "Thanks, Jane, you're verified.");
}

#[test]
fn no_filler_when_the_result_is_fast() {
    let mut call = Call::started();
    call.hear("Jane Doe, March 3rd 1985");
    // PatientLookup: budget 200 ms, filler due at 120 ms.
    assert!(call.advance(100).is_empty());
    call.result(call.last_call_id(), Outcome::Patient(Some(jane())));
    call.advance(1000);
    assert!(!call.all_said().iter().any(|s| s == ONE_MOMENT));
}

#[test]
fn filler_waits_while_the_bot_is_speaking() {
    let mut call = Call::started();
    call.hear("does my metformin need prior authorization");
    call.finish_speaking();
    call.hear("Jane Doe, 3/3/85");
    call.result(call.last_call_id(), Outcome::Patient(Some(jane())));
    // "Thanks, Jane, you're verified." is playing while CheckPaRequirements
    // (budget 500 ms, filler at 300 ms) runs.
    assert!(matches!(
        requests(&call.log).last(),
        Some(Request::CheckPaRequirements { .. })
    ));
    assert!(call.dialog.is_bot_speaking());
    assert!(call.advance(2000).is_empty());
    let out = call.finish_speaking();
    assert_eq!(said(&out), [ONE_MOMENT]);
}

#[test]
fn final_during_a_call_is_queued_until_the_result() {
    let mut call = Call::started();
    call.hear("Jane Doe, March 3rd 1985");
    let lookup = call.last_call_id();
    assert!(call.hear("and is my Ozempic covered?").is_empty());
    let out = call.result(lookup, Outcome::Patient(Some(jane())));
    assert_eq!(said(&out), ["Thanks, Jane, you're verified.", LET_ME_CHECK]);
    assert_eq!(
        requests(&out),
        [Request::VerifyBenefits {
            patient_id: 42,
            medication: "Ozempic".into()
        }]
    );
}

#[test]
fn stale_results_are_ignored() {
    let mut call = Call::started();
    call.hear("Jane Doe, March 3rd 1985");
    let lookup = call.last_call_id();
    assert!(
        call.result(CallId(lookup.0 + 10), Outcome::Patient(Some(jane())))
            .is_empty()
    );
    assert!(!call.dialog.is_verified());
    call.result(lookup, Outcome::Patient(None));
    call.finish_speaking();
    call.hear("Jane Doe, March 3rd 1985");
    // The first lookup's result arriving again (late duplicate) is stale now.
    assert!(call.result(lookup, Outcome::Patient(Some(jane()))).is_empty());
    assert!(!call.dialog.is_verified());
    let out = call.result(call.last_call_id(), Outcome::Patient(Some(jane())));
    assert_eq!(said(&out)[0], "Thanks, Jane, you're verified.");
}

#[test]
fn silence_reprompts_once_then_hangs_up() {
    let mut call = greeting_playing();
    call.advance(3000);
    call.finish_speaking();
    assert_eq!(
        call.dialog.poll_timeout(),
        Some(call.t0 + Duration::from_millis(11_000))
    );
    assert!(call.advance(7999).is_empty());
    let out = call.advance(1);
    assert_eq!(said(&out), [STILL_THERE, ASK_IDENTITY]);
    assert_eq!(call.dialog.poll_timeout(), None, "not while the reprompt plays");
    call.advance(2000);
    call.finish_speaking();
    let out = call.advance(8000);
    assert_eq!(
        out,
        [
            Action::Say {
                id: 4,
                text: NO_INPUT_GOODBYE.into()
            },
            Action::Hangup
        ]
    );
    assert_eq!(call.dialog.outcome(), CallOutcome::Abandoned);
    assert_eq!(call.dialog.poll_timeout(), None);
}

#[test]
fn speech_resets_the_silence_timer() {
    let mut call = Call::started();
    assert!(call.dialog.poll_timeout().is_some());
    call.advance(5000);
    call.send(Event::CallerSpeechStarted);
    assert_eq!(call.dialog.poll_timeout(), None);
    call.send(Event::CallerSpeechEnded);
    call.hear("Jane Doe");
    call.finish_speaking();
    // A new question, a fresh count: the first silence only reprompts.
    let out = call.advance(8000);
    assert_eq!(said(&out), [STILL_THERE, ASK_DOB]);
}

#[test]
fn custom_config_is_honoured() {
    let cfg = DialogConfig {
        max_verify_attempts: 1,
        barge_in_min_ms: 500,
        no_input_timeout: Duration::from_secs(2),
        ..DialogConfig::default()
    };
    let mut call = Call::with_config(cfg);
    call.send(Event::Started { caller_phone: None });
    call.send(Event::CallerSpeechStarted);
    assert!(call.advance(499).is_empty());
    assert_eq!(call.advance(1), [Action::StopSpeaking]);
    call.send(Event::CallerSpeechEnded);
    call.hear("Jane Doe, March 3rd 1985");
    let out = call.result(call.last_call_id(), Outcome::Patient(None));
    assert_eq!(call.dialog.outcome(), CallOutcome::VerificationFailed);
    assert!(out.contains(&Action::Transfer {
        tier: dialog::Tier::T1,
        reason: "verification_failed"
    }));
}

#[test]
fn odd_input_never_panics() {
    let long = "ozempic covered ".repeat(5_000);
    let nines = "nine hundred ".repeat(100);
    let odd = [
        "",
        " ",
        "\u{0}",
        "🙂🙂",
        "ÅÄÖ 漢字 العربية",
        "'''",
        "---///...",
        "3/3/",
        "99/99/9999",
        "0000-00-00",
        "my name is",
        "first name last name",
        "twenty twenty twenty",
        &long,
        &nines,
        "\u{202e}evil",
        "İstanbul",
        "a\u{301}",
        "0",
        "yes",
        "no",
    ];
    for setup in [Call::started as fn() -> Call, Call::verified] {
        for text in odd {
            let mut call = setup();
            call.send(Event::CallerSpeechStarted);
            call.send(Event::Partial(text.into()));
            call.send(Event::CallerSpeechEnded);
            call.hear(text);
            call.send(Event::Dtmf(text.chars().next().unwrap_or('#')));
            call.advance(60_000);
            call.finish_speaking();
            call.advance(60_000);
        }
    }
    // Events before the start and after the end do nothing.
    let mut call = Call::new();
    assert!(call.hear("hello").is_empty());
    assert!(call.send(Event::BotFinished(99)).is_empty());
    assert_eq!(call.dialog.poll_timeout(), None);
}

#[test]
fn an_uh_huh_whose_frames_come_late_is_timed_in_audio() {
    let mut call = greeting_playing();
    call.advance(1000);
    // Audio up to 1.0 s: the caller starts over the bot.
    call.send(Event::CallerSpeechStarted);
    // The machine is busy: 900 ms of wall time go by before the next frames
    // are processed, and they carry only 300 ms of audio, ending in a pause.
    // The wall-clock timers fire first, then the queued frames are handled.
    call.now += Duration::from_millis(900);
    call.dialog.handle_timeout(call.now);
    let mut out = Vec::new();
    while let Some(a) = call.dialog.poll_action() {
        out.push(a);
    }
    call.dialog.handle_audio(call.t0 + Duration::from_millis(1300));
    out.extend(call.send(Event::CallerPaused));
    assert!(out.is_empty(), "a 300 ms uh-huh stopped the bot: {out:?}");
    assert!(call.dialog.is_bot_speaking());
}
