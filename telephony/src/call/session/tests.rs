use std::time::{Duration, Instant};

use base64::Engine as _;

use super::*;
use crate::registry::CallState;

const START: &str = r#"{"event":"start","sequenceNumber":"1","start":{"accountSid":"AC1","streamSid":"MZ1","callSid":"CA1","tracks":["inbound"],"customParameters":{},"mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1}},"streamSid":"MZ1"}"#;

/// A fake caller: sends 20 ms frames on a fake clock and collects outputs.
struct Rig {
    s: CallSession,
    t0: Instant,
    now: Instant,
    seq: u64,
    chunk: u64,
    sent: Vec<(Duration, serde_json::Value)>,
    closes: Vec<(u16, &'static str)>,
    events: Vec<CallEvent>,
    records: Vec<(Vec<i16>, bool)>,
    /// (when, frame) of [`Output::Listen`].
    listened: Vec<(Duration, Vec<u8>)>,
}

impl Rig {
    fn new() -> Self {
        Self::with(ServerConfig::default())
    }

    fn with(cfg: ServerConfig) -> Self {
        let t0 = Instant::now();
        let mut r = Self {
            s: CallSession::new(cfg, t0, None),
            t0,
            now: t0,
            seq: 1,
            chunk: 0,
            sent: vec![],
            closes: vec![],
            events: vec![],
            records: vec![],
            listened: vec![],
        };
        r.text(r#"{"event":"connected","protocol":"Call","version":"1.0.0"}"#);
        r.text(START);
        r
    }

    fn text(&mut self, t: &str) {
        self.s.handle_text(t, self.now);
        self.drain();
    }

    fn drain(&mut self) {
        while let Some(o) = self.s.poll_output() {
            match o {
                Output::Send(t) => self.sent.push((self.now - self.t0, serde_json::from_str(&t).unwrap())),
                Output::Close(c, r) => self.closes.push((c, r)),
                Output::Event(e) => self.events.push(e),
                Output::Record { interleaved, last } => self.records.push((interleaved, last)),
                Output::Listen(frame) => self.listened.push((self.now - self.t0, frame)),
                Output::TranscribeSupervisor(_) => panic!("no supervisor barges in these tests"),
                Output::Decode(_) | Output::CancelDecode(_) | Output::Say(..) | Output::Call(..) => {
                    panic!("echo mode never asks the models")
                }
                Output::Transfer(_) | Output::Task(_) => panic!("echo mode never transfers"),
                Output::SendDigits(_) | Output::PayerProgress(..) => panic!("echo mode places no payer calls"),
            }
        }
    }

    /// Advances the clock to `until`, running timers as the I/O loop would.
    fn advance(&mut self, until: Instant) {
        loop {
            let t = self.s.poll_timeout(self.now);
            if t > until {
                break;
            }
            self.now = t.max(self.now);
            self.s.handle_timeout(self.now);
            self.drain();
            if self.s.is_ended() {
                return;
            }
        }
        self.now = until;
    }

    /// Sends `ms` of audio: a 300 Hz tone at `amp`, or silence.
    fn audio(&mut self, ms: u64, amp: f32) {
        for _ in 0..ms / 20 {
            self.chunk += 1;
            self.seq += 1;
            let ulaw: Vec<u8> = (0..160)
                .map(|i| {
                    let n = (self.chunk * 160 + i) as f32;
                    media::mulaw::encode((amp * (2.0 * std::f32::consts::PI * 300.0 * n / 8000.0).sin()) as i16)
                })
                .collect();
            let payload = base64::engine::general_purpose::STANDARD.encode(&ulaw);
            let msg = format!(
                r#"{{"event":"media","sequenceNumber":"{}","media":{{"track":"inbound","chunk":"{}","timestamp":"{}","payload":"{payload}"}},"streamSid":"MZ1"}}"#,
                self.seq,
                self.chunk,
                (self.chunk - 1) * 20
            );
            self.text(&msg);
            let next = self.now + Duration::from_millis(20);
            self.advance(next);
        }
    }

    fn sent_of(&self, event: &str) -> Vec<&(Duration, serde_json::Value)> {
        self.sent.iter().filter(|(_, v)| v["event"] == event).collect()
    }
}

#[test]
fn speech_is_echoed_after_the_delay_paced_and_marked() {
    let mut r = Rig::new();
    r.audio(400, 0.0);
    r.audio(1000, 8000.0);
    r.audio(2500, 0.0);
    let media = r.sent_of("media");
    // 1 s of speech, a little pre-roll and the hangover tail come back.
    assert!((55..=80).contains(&media.len()), "{} frames echoed", media.len());
    let first = media[0].0.as_millis();
    assert!((1350..=1500).contains(&first), "echo began at {first} ms");
    for w in media.windows(2).skip(3) {
        let gap = (w[1].0 - w[0].0).as_millis();
        assert!(gap <= 21, "frames {gap} ms apart");
    }
    assert!(media.iter().all(|(_, v)| v["streamSid"] == "MZ1"));
    let marks = r.sent_of("mark");
    let names: Vec<String> = marks
        .iter()
        .map(|(_, v)| v["mark"]["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names.last().map(String::as_str), Some("g1.u1.end"));
    assert!(r.events.contains(&CallEvent::State(CallState::Speaking)));
    assert_eq!(r.events.last(), Some(&CallEvent::State(CallState::Listening)));
    assert!(r.sent_of("clear").is_empty(), "no clear without barge-in");
}

#[test]
fn a_listener_hears_caller_and_bot_mixed_within_a_frame_or_two() {
    let mut r = Rig::new();
    r.audio(200, 0.0);
    assert!(r.listened.is_empty(), "nobody listens yet");
    r.s.start_listening(r.now);
    r.audio(400, 0.0);
    r.audio(1000, 8000.0);
    r.audio(2500, 0.0);
    // One 20 ms frame of µ-law per 20 ms of call from the moment listening began.
    assert!(r.listened.iter().all(|(_, f)| f.len() == 160));
    let n = r.listened.len();
    assert!((190..=196).contains(&n), "{n} frames for 3.9 s");
    let level = |f: &[u8]| {
        let mut pcm = Vec::new();
        media::mulaw::decode_into(f, &mut pcm);
        (pcm.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / pcm.len() as f64).sqrt()
    };
    // The caller's tone is heard as it is sent: the first loud frame comes
    // out at most 40 ms after the caller's speech began (at 600 ms).
    let first_loud = r
        .listened
        .iter()
        .find(|(_, f)| level(f) > 2000.0)
        .expect("caller heard")
        .0;
    assert!(
        (600..=640).contains(&first_loud.as_millis()),
        "caller heard at {first_loud:?}"
    );
    // The echo (the bot's side in echo mode) is heard too, after the caller stops.
    let media = r.sent_of("media");
    let bot_start = media[0].0;
    assert!(
        r.listened
            .iter()
            .any(|(t, f)| *t > bot_start + Duration::from_millis(200)
                && *t > Duration::from_millis(1700)
                && level(f) > 2000.0),
        "the bot's audio is in the mix"
    );
    // Stopped: no more frames.
    r.s.stop_listening();
    let before = r.listened.len();
    r.audio(200, 0.0);
    assert_eq!(r.listened.len(), before);
}

#[test]
fn talking_over_the_echo_clears_it_and_reports_what_was_heard() {
    let mut r = Rig::new();
    r.audio(200, 0.0);
    r.audio(2000, 8000.0);
    r.audio(600, 0.0); // echo of the first utterance plays from ~1.2 s
    r.audio(600, 8000.0); // barge in while it plays
    let clears: Vec<Duration> = r.sent_of("clear").iter().map(|(t, _)| *t).collect();
    assert_eq!(clears.len(), 1);
    let cut = r.events.iter().find_map(|e| match e {
        CallEvent::BargeIn(c) => Some(c.clone()),
        _ => None,
    });
    let cut = cut.expect("barge-in event");
    assert_eq!(cut.len(), 1);
    // Heard from ~1.2 s (echo start) to the clear at ~3.0 s, less than its length.
    assert!(
        cut[0].heard_ms >= 1500 && cut[0].heard_ms < cut[0].total_ms,
        "{:?}",
        cut[0]
    );
    // The end mark of the cleared utterance, echoed late, is stale.
    let before = r.s.live.as_ref().unwrap().playout.stats().stale_marks;
    r.text(r#"{"event":"mark","sequenceNumber":"9999","streamSid":"MZ1","mark":{"name":"g1.u1.end"}}"#);
    assert_eq!(r.s.live.as_ref().unwrap().playout.stats().stale_marks, before + 1);
    // Media sent after the clear belongs to the new generation's utterance.
    r.audio(2500, 0.0);
    let clear_at = clears[0];
    let names: Vec<String> = r
        .sent_of("mark")
        .iter()
        .filter(|(t, _)| *t > clear_at)
        .map(|(_, v)| v["mark"]["name"].as_str().unwrap().to_owned())
        .collect();
    assert!(names.iter().all(|n| n.starts_with("g2.u2.")), "{names:?}");
    assert!(names.iter().any(|n| n == "g2.u2.end"));
}

#[test]
fn a_gap_in_chunks_is_concealed_and_the_call_goes_on() {
    let mut r = Rig::new();
    r.audio(100, 0.0);
    r.chunk += 3; // three chunks lost in transit
    r.seq += 3;
    r.audio(100, 0.0);
    let st = r.s.live.as_ref().unwrap().sequencer.stats();
    assert_eq!((st.gaps, st.missing_chunks, st.concealed_samples), (1, 3, 480));
    assert!(!r.s.is_ended());
}

#[test]
fn bad_input_is_dropped_without_ending_the_call() {
    let mut r = Rig::new();
    r.text("{not json");
    r.text(r#"{"event":"media","media":{"chunk":"1","timestamp":"0","payload":"%%%"},"streamSid":"MZ1"}"#);
    r.text(r#"{"event":"whatever"}"#);
    r.text(&"x".repeat(70_000));
    r.s.handle_binary(10, r.now);
    r.drain();
    assert!(!r.s.is_ended());
    assert_eq!(r.s.bad, 5);
    r.audio(100, 0.0);
    assert_eq!(r.s.live.as_ref().unwrap().sequencer.stats().played, 5);
}

#[test]
fn media_before_start_is_dropped() {
    let t0 = Instant::now();
    let mut s = CallSession::new(ServerConfig::default(), t0, None);
    s.handle_text(
        r#"{"event":"media","media":{"chunk":"1","timestamp":"0","payload":""},"streamSid":"MZ1"}"#,
        t0,
    );
    assert_eq!(s.bad, 1);
    assert!(s.live.is_none());
}

#[test]
fn a_flood_is_policed_then_closed() {
    let mut r = Rig::new();
    let junk = r#"{"event":"mark","streamSid":"MZ1","mark":{"name":"x"}}"#;
    for _ in 0..2000 {
        r.text(junk);
        if r.s.is_ended() {
            break;
        }
    }
    assert_eq!(r.closes, vec![(1008, "too many invalid messages")]);
    assert!(r.events.contains(&CallEvent::Ended(EndReason::Abuse)));
}

#[test]
fn no_start_and_idle_streams_are_closed() {
    let t0 = Instant::now();
    let mut s = CallSession::new(ServerConfig::default(), t0, None);
    let t = s.poll_timeout(t0);
    assert_eq!(t, t0 + Duration::from_secs(10));
    s.handle_timeout(t);
    assert_eq!(s.poll_output(), Some(Output::Close(1008, "no start message")));

    let mut r = Rig::new();
    let quiet_until = r.now + Duration::from_secs(31);
    r.advance(quiet_until);
    assert_eq!(r.closes, vec![(1001, "idle timeout")]);
}

#[test]
fn stop_ends_the_call_cleanly() {
    let mut r = Rig::new();
    r.text(r#"{"event":"stop","sequenceNumber":"2","streamSid":"MZ1","stop":{"accountSid":"AC1","callSid":"CA1"}}"#);
    assert_eq!(r.closes, vec![(1000, "stream stopped")]);
    assert_eq!(r.events.last(), Some(&CallEvent::Ended(EndReason::Stopped)));
}

#[test]
fn a_recorded_call_has_the_caller_left_and_the_bot_right_in_one_second_blocks() {
    let cfg = ServerConfig {
        recording: Some(crate::config::RecordingConfig {
            dir: "unused".into(),
            key: Arc::new(media::recording::RecordingKey::from_bytes([1; 32])),
        }),
        ..Default::default()
    };
    let mut r = Rig::with(cfg);
    r.audio(400, 0.0);
    r.audio(1000, 8000.0);
    r.audio(2500, 0.0);
    let before_stop = r.records.len();
    assert_eq!(before_stop, 3, "a block per second as the call runs");
    assert!(r.records.iter().all(|(b, last)| b.len() == 16_000 && !last));
    r.text(r#"{"event":"stop","sequenceNumber":"2","streamSid":"MZ1","stop":{"accountSid":"AC1","callSid":"CA1"}}"#);
    assert_eq!(r.records.len(), 4);
    assert!(r.records[3].1, "the end of the call closes the recording");
    let all: Vec<i16> = r.records.iter().flat_map(|(b, _)| b.iter().copied()).collect();
    let frames = all.len() / 2;
    assert!((31_000..=31_400).contains(&frames), "{frames} frames for 3.9 s");
    // Loudness per 100 ms of each side.
    let loud = |ch: usize| -> Vec<bool> {
        let side: Vec<i16> = all.iter().skip(ch).step_by(2).copied().collect();
        side.chunks(800)
            .map(|w| w.iter().map(|&s| (s as f64).powi(2)).sum::<f64>() / w.len() as f64 > 1e6)
            .collect()
    };
    let (left, right) = (loud(0), loud(1));
    assert!(
        left[..4].iter().all(|l| !l) && left[4..14].iter().all(|l| *l),
        "{left:?}"
    );
    assert!(left[15..].iter().all(|l| !l), "{left:?}");
    // The echo, one second later.
    assert!(right[..13].iter().all(|l| !l), "{right:?}");
    let echoed = right.iter().filter(|l| **l).count();
    assert!((9..=14).contains(&echoed), "{right:?}");
    assert!(right[14..16].iter().all(|l| *l), "{right:?}");
}

#[test]
fn a_stream_without_a_valid_token_is_refused_before_any_audio() {
    let t0 = Instant::now();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    let mut s = CallSession::new(ServerConfig::default(), t0, None).with_stream_check(std::sync::Arc::new(
        move |start: &crate::twilio::codec::StreamStart| {
            log.lock().unwrap().push(start.call_sid.clone());
            false
        },
    ));
    s.handle_text(r#"{"event":"connected","protocol":"Call","version":"1.0.0"}"#, t0);
    s.handle_text(START, t0);
    let outs: Vec<Output> = std::iter::from_fn(|| s.poll_output()).collect();
    assert_eq!(*seen.lock().unwrap(), vec!["CA1".to_owned()]);
    assert!(outs.contains(&Output::Close(1008, "stream not authorized")), "{outs:?}");
    assert!(outs.contains(&Output::Event(CallEvent::Ended(EndReason::Unauthorized))));
    assert!(
        !outs
            .iter()
            .any(|o| matches!(o, Output::Event(CallEvent::Started(_)) | Output::Send(_)))
    );
    assert!(s.is_ended());
}
