use super::*;

fn frames(r: &mut StreamingRecognizer, ms: u32) {
    for _ in 0..ms / 20 {
        r.push_audio(&[100; 160]).unwrap();
    }
}

fn requests(r: &mut StreamingRecognizer) -> Vec<(u64, JobKind, usize)> {
    std::iter::from_fn(|| r.poll_request())
        .map(|q| (q.utterance, q.kind, q.audio.len()))
        .collect()
}

#[test]
fn silence_is_never_decoded() {
    let mut r = StreamingRecognizer::new(StreamingConfig::default()).unwrap();
    frames(&mut r, 3000);
    assert!(requests(&mut r).is_empty());
}

#[test]
fn partials_while_speaking_then_one_final_with_preroll() {
    let mut r = StreamingRecognizer::new(StreamingConfig::default()).unwrap();
    frames(&mut r, 1000);
    r.on_vad(VadEvent::SpeechStart { at_ms: 1000 });
    frames(&mut r, 600);
    let q = requests(&mut r);
    assert_eq!(q.len(), 1);
    assert_eq!((q[0].0, q[0].1), (1, JobKind::Partial));
    // While a partial is in flight no other is queued (no pile-up).
    frames(&mut r, 600);
    assert!(requests(&mut r).is_empty());
    r.on_result(1, JobKind::Partial, Some("I need a".into()), 0);
    frames(&mut r, 20);
    assert_eq!(requests(&mut r).len(), 1);
    r.on_result(1, JobKind::Partial, Some("I need a refill of".into()), 0);
    r.on_vad(VadEvent::SpeechEnd { at_ms: 2300 });
    let q = requests(&mut r);
    assert_eq!(q.len(), 1);
    assert_eq!((q[0].0, q[0].1), (1, JobKind::Final));
    // Pre-roll (240 ms) plus the 1.22 s of speech, minus the resampler's start-up delay.
    let ms = q[0].2 * 1000 / RATE;
    assert!((1400..=1460).contains(&ms), "{ms} ms");
    r.on_result(
        1,
        JobKind::Final,
        Some("I need a refill of metformin.".into()),
        ms as u32,
    );
    let h: Vec<Hypothesis> = std::iter::from_fn(|| r.poll_hypothesis()).collect();
    assert_eq!(
        h,
        vec![
            Hypothesis::Partial {
                utterance: 1,
                stable: String::new(),
                tentative: "I need a".into()
            },
            Hypothesis::Partial {
                utterance: 1,
                stable: "I need a".into(),
                tentative: "refill of".into()
            },
            Hypothesis::Final {
                utterance: 1,
                text: "I need a refill of metformin.".into(),
                audio_ms: ms as u32
            },
        ]
    );
}

#[test]
fn confirmed_words_never_retract_and_late_partials_are_dropped() {
    let mut r = StreamingRecognizer::new(StreamingConfig::default()).unwrap();
    r.on_vad(VadEvent::SpeechStart { at_ms: 0 });
    frames(&mut r, 600);
    requests(&mut r);
    r.on_result(1, JobKind::Partial, Some("My name is".into()), 0);
    r.on_result(1, JobKind::Partial, Some("My name is John.".into()), 0);
    r.on_result(1, JobKind::Partial, Some("My name's John Smith".into()), 0);
    let last = std::iter::from_fn(|| r.poll_hypothesis()).last().unwrap();
    assert_eq!(
        last,
        Hypothesis::Partial {
            utterance: 1,
            stable: "My name is".into(),
            tentative: "Smith".into()
        }
    );
    r.on_vad(VadEvent::SpeechEnd { at_ms: 700 });
    r.on_result(1, JobKind::Partial, Some("too late".into()), 0);
    assert_eq!(r.poll_hypothesis(), None);
}

#[test]
fn very_long_speech_is_cut_into_utterances() {
    let cfg = StreamingConfig {
        max_utterance_ms: 2000,
        ..Default::default()
    };
    let mut r = StreamingRecognizer::new(cfg).unwrap();
    r.on_vad(VadEvent::SpeechStart { at_ms: 0 });
    frames(&mut r, 4500);
    let finals: Vec<u64> = requests(&mut r)
        .into_iter()
        .filter(|q| q.1 == JobKind::Final)
        .map(|q| q.0)
        .collect();
    assert_eq!(finals, vec![1, 2]);
    assert!(r.in_utterance());
}

fn speaking(r: &mut StreamingRecognizer, ms: u32) {
    r.on_vad(VadEvent::SpeechStart { at_ms: 0 });
    frames(r, ms);
    // Drop the partials: these tests are about finals.
    while let Some(q) = r.poll_request() {
        if q.kind == JobKind::Partial {
            r.on_result(q.utterance, JobKind::Partial, None, 0);
        }
    }
}

#[test]
fn a_speculative_final_that_holds_replaces_the_final_decode() {
    let mut r = StreamingRecognizer::new(StreamingConfig::default()).unwrap();
    speaking(&mut r, 1200);
    r.speculate();
    r.speculate(); // once per pause
    let q = requests(&mut r);
    assert_eq!(
        q.iter().map(|q| (q.0, q.1)).collect::<Vec<_>>(),
        vec![(1, JobKind::Speculative)]
    );
    r.on_result(1, JobKind::Speculative, Some("My name is Maria Garcia.".into()), 1400);
    assert_eq!(
        r.poll_hypothesis(),
        Some(Hypothesis::Pause {
            utterance: 1,
            text: "My name is Maria Garcia.".into()
        }),
        "the words at the pause, for the end-of-turn judgement"
    );
    assert_eq!(r.poll_hypothesis(), None, "not final before the end of speech");
    frames(&mut r, 300); // the rest of the hangover
    r.on_vad(VadEvent::SpeechEnd { at_ms: 1200 });
    assert!(
        requests(&mut r).iter().all(|q| q.1 != JobKind::Final),
        "no second decode"
    );
    assert_eq!(
        r.poll_hypothesis(),
        Some(Hypothesis::Final {
            utterance: 1,
            text: "My name is Maria Garcia.".into(),
            audio_ms: 1400
        })
    );
}

#[test]
fn a_speculation_still_decoding_at_the_end_becomes_the_final_when_it_returns() {
    let mut r = StreamingRecognizer::new(StreamingConfig::default()).unwrap();
    speaking(&mut r, 1000);
    r.speculate();
    requests(&mut r);
    r.on_vad(VadEvent::SpeechEnd { at_ms: 1000 });
    assert!(requests(&mut r).is_empty());
    assert_eq!(r.poll_hypothesis(), None);
    r.on_result(1, JobKind::Speculative, Some("refill please".into()), 1200);
    assert_eq!(
        r.poll_hypothesis(),
        Some(Hypothesis::Final {
            utterance: 1,
            text: "refill please".into(),
            audio_ms: 1200
        })
    );
}

#[test]
fn speaking_on_after_a_pause_discards_the_speculation() {
    // Resumed after the result came back.
    let mut r = StreamingRecognizer::new(StreamingConfig::default()).unwrap();
    speaking(&mut r, 800);
    r.speculate();
    requests(&mut r);
    r.on_result(1, JobKind::Speculative, Some("my date of birth is".into()), 800);
    r.resume();
    frames(&mut r, 600);
    r.on_vad(VadEvent::SpeechEnd { at_ms: 1400 });
    let q: Vec<_> = requests(&mut r)
        .into_iter()
        .filter(|q| q.1 != JobKind::Partial)
        .collect();
    assert_eq!(q.len(), 1);
    assert_eq!((q[0].0, q[0].1), (1, JobKind::Final));

    // Resumed while it was decoding: its late result is ignored.
    let mut r = StreamingRecognizer::new(StreamingConfig::default()).unwrap();
    speaking(&mut r, 800);
    r.speculate();
    requests(&mut r);
    r.resume();
    frames(&mut r, 400);
    r.on_result(1, JobKind::Speculative, Some("my date of birth is".into()), 800);
    r.on_vad(VadEvent::SpeechEnd { at_ms: 1200 });
    let q: Vec<_> = requests(&mut r)
        .into_iter()
        .filter(|q| q.1 != JobKind::Partial)
        .collect();
    assert_eq!((q[0].0, q[0].1), (1, JobKind::Final));
    r.on_result(1, JobKind::Final, Some("my date of birth is March third".into()), 1400);
    assert_eq!(
        std::iter::from_fn(|| r.poll_hypothesis()).last(),
        Some(Hypothesis::Final {
            utterance: 1,
            text: "my date of birth is March third".into(),
            audio_ms: 1400
        })
    );
}

#[test]
fn stale_decodes_are_reported_once_so_they_can_be_withdrawn() {
    // A speculation the caller talks on through is stale; one that already
    // returned is not (nothing left to withdraw).
    let mut r = StreamingRecognizer::new(StreamingConfig::default()).unwrap();
    speaking(&mut r, 800);
    r.speculate();
    requests(&mut r);
    r.resume();
    r.resume();
    assert_eq!(
        std::iter::from_fn(|| r.poll_stale()).collect::<Vec<_>>(),
        vec![Stale {
            utterance: 1,
            kind: JobKind::Speculative
        }]
    );
    // Withdrawn, it comes back empty, and the next pause speculates again.
    r.on_result(1, JobKind::Speculative, None, 0);
    frames(&mut r, 200);
    r.speculate();
    assert!(requests(&mut r).iter().any(|q| q.1 == JobKind::Speculative));
    r.on_result(1, JobKind::Speculative, Some("my date of birth is".into()), 1000);
    r.resume();
    assert_eq!(r.poll_stale(), None, "a returned speculation is not withdrawn");

    // A partial still out when its utterance ends is stale.
    let mut r = StreamingRecognizer::new(StreamingConfig::default()).unwrap();
    r.on_vad(VadEvent::SpeechStart { at_ms: 0 });
    frames(&mut r, 600);
    assert!(requests(&mut r).iter().any(|q| q.1 == JobKind::Partial));
    r.on_vad(VadEvent::SpeechEnd { at_ms: 600 });
    assert_eq!(
        r.poll_stale(),
        Some(Stale {
            utterance: 1,
            kind: JobKind::Partial
        })
    );
    assert_eq!(r.poll_stale(), None);
}

#[test]
fn partials_only_while_wanted_and_the_first_one_early() {
    let mut r = StreamingRecognizer::new(StreamingConfig::default()).unwrap();
    r.set_partials(false);
    frames(&mut r, 500);
    r.on_vad(VadEvent::SpeechStart { at_ms: 500 });
    frames(&mut r, 2000);
    assert!(requests(&mut r).is_empty(), "nobody consumes partials: none decoded");
    // The bot starts talking: the partial that is due is made at once.
    r.set_partials(true);
    frames(&mut r, 20);
    let q = requests(&mut r);
    assert_eq!((q.len(), q[0].1), (1, JobKind::Partial));
    r.on_vad(VadEvent::SpeechEnd { at_ms: 2500 });

    // A new utterance with partials on: the first on its first frame (the
    // start is declared after 160 ms of speech, which the pre-roll holds).
    r.on_result(1, JobKind::Partial, None, 0);
    requests(&mut r);
    r.on_vad(VadEvent::SpeechStart { at_ms: 2600 });
    assert!(requests(&mut r).is_empty(), "nothing before audio comes");
    frames(&mut r, 20);
    assert_eq!(
        requests(&mut r).iter().map(|q| q.1).collect::<Vec<_>>(),
        [JobKind::Partial]
    );
}

/// `ms` of a voice-like sound (loudness rising and falling four times a
/// second) starting at phase `t0` seconds.
fn announcement(r: &mut StreamingRecognizer, ms: u32, t0: f64) {
    let mut t = t0;
    for _ in 0..ms / 20 {
        let frame: Vec<i16> = (0..160)
            .map(|i| {
                let s = t + f64::from(i) / 8000.0;
                let loud = 0.3 * (0.5 + 0.5 * (s * 2.0 * std::f64::consts::PI * 4.0).sin()).powi(2);
                (loud * 32767.0 * (s * 2.0 * std::f64::consts::PI * 200.0).sin()) as i16
            })
            .collect();
        r.push_audio(&frame).unwrap();
        t += 0.02;
    }
}

#[test]
fn on_hold_a_recording_heard_again_is_not_decoded_again() {
    let mut r = StreamingRecognizer::new(StreamingConfig::default()).unwrap();
    r.set_partials(false);
    r.set_skip_recordings(true);
    let play = |r: &mut StreamingRecognizer, at: u64, t0: f64| {
        frames(r, 500);
        r.on_vad(VadEvent::SpeechStart { at_ms: at });
        announcement(r, 2000, t0);
        r.speculate();
        r.on_vad(VadEvent::SpeechEnd { at_ms: at + 2000 });
    };
    play(&mut r, 500, 0.0);
    let q = requests(&mut r);
    assert_eq!(q.len(), 1, "the first time it is decoded: {q:?}");
    assert_eq!(q[0].1, JobKind::Final, "no speculation on hold");
    r.on_result(1, JobKind::Final, Some("Your call is important to us.".into()), 2000);
    // The same recording again: known by its sound.
    play(&mut r, 3000, 0.0);
    assert!(requests(&mut r).is_empty());
    let h: Vec<Hypothesis> = std::iter::from_fn(|| r.poll_hypothesis()).collect();
    assert_eq!(h.last(), Some(&Hypothesis::Recording { utterance: 2 }));
    // Off hold, everything is decoded.
    r.set_skip_recordings(false);
    play(&mut r, 6000, 0.0);
    let q = requests(&mut r);
    assert_eq!(q.len(), 1, "{q:?}");
    assert_eq!(q[0].1, JobKind::Speculative, "decoded at the pause as usual");
}
