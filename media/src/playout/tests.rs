use super::*;

const U1: UtteranceId = UtteranceId(1);
const U2: UtteranceId = UtteranceId(2);

/// Runs the playout like the call task would, waking at each timeout plus
/// `wake_delay(i)`, until `until`; returns (send time, transmit) pairs.
fn drive(
    p: &mut Playout,
    t0: Instant,
    until: Instant,
    wake_delay: impl Fn(usize) -> Duration,
) -> Vec<(Duration, Transmit)> {
    let mut out = Vec::new();
    let mut now = t0;
    let mut i = 0;
    while now <= until {
        while let Some(t) = p.poll_transmit(now) {
            out.push((now - t0, t));
        }
        let Some(next) = p.poll_timeout(now) else {
            break;
        };
        now = next.max(now) + wake_delay(i);
        i += 1;
    }
    out
}

fn media_times(tx: &[(Duration, Transmit)]) -> Vec<u64> {
    tx.iter()
        .filter(|(_, t)| matches!(t, Transmit::Media(_)))
        .map(|(d, _)| d.as_millis() as u64)
        .collect()
}

#[test]
fn paces_20ms_frames_on_the_clock_with_a_bounded_lead() {
    let t0 = Instant::now();
    let mut p = Playout::new(PlayoutConfig {
        checkpoint_ms: 0,
        ..Default::default()
    });
    p.push_audio(t0, U1, &[0x55; 8000]);
    p.finish_utterance(U1);
    let tx = drive(&mut p, t0, t0 + Duration::from_secs(2), |_| Duration::ZERO);
    let times = media_times(&tx);
    assert_eq!(times.len(), 50);
    // Three frames (60 ms lead) at once, then one every 20 ms.
    assert_eq!(&times[..4], &[0, 0, 0, 20]);
    for (k, t) in times.iter().enumerate().skip(3) {
        assert_eq!(*t, (k as u64 - 2) * 20, "send {k}");
    }
    assert!(matches!(tx.last(), Some((_, Transmit::Mark(m))) if m.point == MarkPoint::End));
    assert_eq!(p.stats().late_sends, 0);
    assert_eq!(p.stats().bytes_sent, 8000);
}

#[test]
fn late_wakeups_do_not_accumulate_drift() {
    let t0 = Instant::now();
    let mut p = Playout::new(PlayoutConfig {
        checkpoint_ms: 0,
        ..Default::default()
    });
    p.push_audio(t0, U1, &[0x55; 16000]);
    // Every wake-up is 7 ms late (a busy runtime).
    let tx = drive(&mut p, t0, t0 + Duration::from_secs(3), |_| Duration::from_millis(7));
    let times = media_times(&tx);
    assert_eq!(times.len(), 100);
    // Send k stays within one wake-up delay of its absolute slot.
    for (k, &t) in times.iter().enumerate().skip(3) {
        let slot = (k as u64 - 2) * 20;
        assert!(t >= slot && t <= slot + 7, "send {k} at {t} ms, slot {slot} ms");
    }
    assert_eq!(p.stats().late_sends, 0);
}

#[test]
fn a_stall_is_counted_and_playback_restarts_without_a_burst() {
    let t0 = Instant::now();
    let mut p = Playout::new(PlayoutConfig {
        checkpoint_ms: 0,
        ..Default::default()
    });
    p.push_audio(t0, U1, &[0x55; 4000]);
    let mut now = t0;
    while p.poll_transmit(now).is_some() {}
    // The loop stalls for 300 ms with audio queued.
    now += Duration::from_millis(300);
    let mut burst = 0;
    while let Some(Transmit::Media(_)) = p.poll_transmit(now) {
        burst += 1;
    }
    assert_eq!(burst, 3, "refills the lead only");
    assert_eq!(p.stats().late_sends, 1);
    now += Duration::from_millis(20);
    assert!(p.poll_transmit(now).is_some());
}

#[test]
fn sends_of_60ms_are_supported() {
    let t0 = Instant::now();
    let mut p = Playout::new(PlayoutConfig {
        send_ms: 60,
        lead_ms: 100,
        checkpoint_ms: 0,
    });
    p.push_audio(t0, U1, &[0; 4800]);
    let tx = drive(&mut p, t0, t0 + Duration::from_secs(1), |_| Duration::ZERO);
    let sizes: Vec<usize> = tx
        .iter()
        .filter_map(|(_, t)| match t {
            Transmit::Media(m) => Some(m.len()),
            _ => None,
        })
        .collect();
    assert_eq!(sizes, vec![480; 10]);
}

#[test]
fn marks_follow_their_audio_and_are_confirmed_when_echoed() {
    let t0 = Instant::now();
    let mut p = Playout::new(PlayoutConfig {
        checkpoint_ms: 1000,
        ..Default::default()
    });
    p.push_audio(t0, U1, &[1; 12_000]); // 1.5 s
    p.finish_utterance(U1);
    p.push_audio(t0, U2, &[2; 800]);
    p.finish_utterance(U2);
    let tx = drive(&mut p, t0, t0 + Duration::from_secs(3), |_| Duration::ZERO);
    let mut bytes = 0;
    let mut marks = Vec::new();
    for (_, t) in &tx {
        match t {
            Transmit::Media(m) => bytes += m.len(),
            Transmit::Mark(m) => marks.push((bytes, m.name())),
        }
    }
    assert_eq!(
        marks,
        vec![
            (8000, "g1.u1.1000".to_string()),
            (12_000, "g1.u1.end".to_string()),
            (12_800, "g1.u2.end".to_string())
        ]
    );
    assert_eq!(
        p.on_mark("g1.u1.1000"),
        MarkOutcome::Progress {
            utterance: U1,
            heard_ms: 1000
        }
    );
    assert_eq!(
        p.on_mark("g1.u1.end"),
        MarkOutcome::Finished {
            utterance: U1,
            total_ms: 1500
        }
    );
    assert_eq!(
        p.on_mark("g1.u2.end"),
        MarkOutcome::Finished {
            utterance: U2,
            total_ms: 100
        }
    );
    assert_eq!(p.on_mark("g1.u2.end"), MarkOutcome::Unknown);
    assert_eq!(p.on_mark("hello"), MarkOutcome::Unknown);
}

#[test]
fn clear_reports_what_was_heard_and_stale_marks_are_ignored() {
    let t0 = Instant::now();
    let mut p = Playout::new(PlayoutConfig::default());
    p.push_audio(t0, U1, &[1; 16_000]); // 2 s
    p.finish_utterance(U1);
    let half = t0 + Duration::from_millis(500);
    let tx = drive(&mut p, t0, half, |_| Duration::ZERO);
    assert!(!tx.is_empty());
    assert!(p.is_active(half));
    let cut = p.clear(half);
    assert_eq!(cut.len(), 1);
    assert_eq!(cut[0].utterance, U1);
    assert_eq!(cut[0].total_ms, 2000);
    assert!((480..=520).contains(&cut[0].heard_ms), "heard {} ms", cut[0].heard_ms);
    assert_eq!(p.generation(), 2);
    assert!(!p.is_active(half));
    assert_eq!(p.poll_transmit(half + Duration::from_millis(100)), None);
    // The far end echoes the pending end mark after the clear: stale.
    assert_eq!(p.on_mark("g1.u1.end"), MarkOutcome::Stale);
    assert_eq!(p.stats().stale_marks, 1);
    // New audio after the clear plays at once, in the new generation.
    let later = half + Duration::from_millis(10);
    p.push_audio(later, U2, &[2; 160]);
    p.finish_utterance(U2);
    assert!(matches!(p.poll_transmit(later), Some(Transmit::Media(_))));
    assert_eq!(
        p.poll_transmit(later).map(|t| match t {
            Transmit::Mark(m) => m.name(),
            _ => String::new(),
        }),
        Some("g2.u2.end".into())
    );
}

#[test]
fn marker_names_round_trip() {
    for m in [
        Marker {
            generation: 3,
            utterance: UtteranceId(9),
            point: MarkPoint::End,
        },
        Marker {
            generation: 1,
            utterance: UtteranceId(0),
            point: MarkPoint::Progress(2000),
        },
    ] {
        assert_eq!(Marker::parse(&m.name()), Some(m));
    }
    for bad in ["", "g1", "g1.u2", "gx.u1.end", "g1.u1.end.x", "g1.v1.end"] {
        assert_eq!(Marker::parse(bad), None, "{bad}");
    }
}

#[test]
fn checkpoints_land_when_audio_arrives_frame_by_frame() {
    let t0 = Instant::now();
    let mut p = Playout::new(PlayoutConfig {
        checkpoint_ms: 500,
        ..Default::default()
    });
    for _ in 0..60 {
        p.push_audio(t0, U1, &[0; 160]); // 1.2 s in 20 ms pieces
    }
    p.finish_utterance(U1);
    let tx = drive(&mut p, t0, t0 + Duration::from_secs(2), |_| Duration::ZERO);
    let names: Vec<String> = tx
        .iter()
        .filter_map(|(_, t)| match t {
            Transmit::Mark(m) => Some(m.name()),
            _ => None,
        })
        .collect();
    assert_eq!(names, vec!["g1.u1.500", "g1.u1.1000", "g1.u1.end"]);
}

#[test]
fn a_hold_stops_sending_and_a_resume_goes_on_from_there_without_a_burst() {
    let t0 = Instant::now();
    let mut p = Playout::new(PlayoutConfig {
        checkpoint_ms: 0,
        ..Default::default()
    });
    p.push_audio(t0, U1, &[0x55; 8000]); // 1 s
    p.finish_utterance(U1);
    let before = drive(&mut p, t0, t0 + Duration::from_millis(300), |_| Duration::ZERO);
    let sent_before = media_times(&before).len();
    p.hold();
    assert!(p.is_held());
    let t1 = t0 + Duration::from_millis(320);
    assert_eq!(p.poll_transmit(t1), None);
    assert_eq!(p.poll_timeout(t1), None, "nothing to wake for while held");
    assert!(p.is_active(t1), "the bot still has something to say");
    // Resumed 400 ms later: three frames of lead, then one every 20 ms.
    let t2 = t1 + Duration::from_millis(400);
    p.resume(t2);
    let after = drive(&mut p, t2, t2 + Duration::from_secs(2), |_| Duration::ZERO);
    let times = media_times(&after);
    assert_eq!(&times[..4], &[0, 0, 0, 20]);
    assert_eq!(sent_before + times.len(), 50, "every frame sent once, none dropped");
    assert_eq!(p.stats().late_sends, 0);
    assert_eq!(p.stats().bytes_sent, 8000);

    // A clear ends the hold.
    let mut p = Playout::new(PlayoutConfig::default());
    p.push_audio(t0, U1, &[0x55; 800]);
    p.hold();
    p.clear(t0);
    assert!(!p.is_held());
}
