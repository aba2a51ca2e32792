//! The server over loopback with a real WebSocket client speaking exact
//! Twilio Media Streams messages.

mod common;

use std::collections::VecDeque;
use std::time::Duration;

use base64::Engine as _;
use common::{Server, Twilio, drain, frame, get_text};
use futures_util::StreamExt;
use telephony::ServerConfig;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

fn decode_payload(v: &serde_json::Value) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(v["media"]["payload"].as_str().unwrap())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_call_with_marks_barge_in_dtmf_and_stop() {
    let server = Server::start(ServerConfig::default()).await;
    let mut tw = Twilio::connect(&server, "CAecho1", "+15550001").await;
    let t0 = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    // Fake far-end playback: the end of queued audio, and marks waiting on it.
    let mut play_end = t0;
    let mut pending_marks: VecDeque<(Instant, String)> = VecDeque::new();
    let mut received: Vec<(Duration, serde_json::Value)> = Vec::new();
    let mut calls_seen = None;
    let mut i = 0usize;
    while i < 325 {
        tokio::select! {
            _ = tick.tick() => {
                let loud = (10..70).contains(&i) || (100..140).contains(&i);
                tw.media(&frame(i, loud)).await;
                if i == 160 {
                    tw.dtmf('5').await;
                }
                if i == 120 {
                    let list: serde_json::Value = server.api_json("/api/calls").await;
                    calls_seen = Some(list);
                }
                i += 1;
                // Echo marks whose audio has finished playing.
                let now = Instant::now();
                while pending_marks.front().is_some_and(|(at, _)| *at <= now) {
                    let (_, name) = pending_marks.pop_front().unwrap();
                    tw.mark(&name).await;
                }
            }
            msg = tw.ws.next() => {
                let Some(Ok(Message::Text(txt))) = msg else { panic!("socket ended early: {msg:?}") };
                let v: serde_json::Value = serde_json::from_str(txt.as_str()).unwrap();
                let now = Instant::now();
                match v["event"].as_str().unwrap() {
                    "media" => {
                        let ms = decode_payload(&v).len() as u64 / 8;
                        play_end = play_end.max(now) + Duration::from_millis(ms);
                    }
                    "mark" => pending_marks.push_back((play_end.max(now), v["mark"]["name"].as_str().unwrap().to_owned())),
                    "clear" => {
                        // Twilio empties its buffer and echoes the pending marks at once.
                        play_end = now;
                        for (_, name) in pending_marks.drain(..).collect::<Vec<_>>() {
                            tw.mark(&name).await;
                        }
                    }
                    other => panic!("unexpected outbound event {other}"),
                }
                received.push((now - t0, v));
            }
        }
    }
    tw.stop().await;
    let (_, close) = drain(&mut tw, Duration::from_secs(3)).await;
    assert_eq!(close, Some((1000, "stream stopped".to_string())));

    // The call was listed while live, with its caller.
    let list = calls_seen.expect("listed");
    assert_eq!(list[0]["call_id"], "CAecho1");
    // Without the API token the number is masked (PHI).
    assert_eq!(list[0]["from"], "***0001");
    assert_eq!(list[0]["direction"], "inbound");
    assert!(list[0]["state"] == "listening" || list[0]["state"] == "speaking");

    // Every outbound message names our stream.
    assert!(received.iter().all(|(_, v)| v["streamSid"] == tw.stream_sid));

    // Barge-in: exactly one clear, shortly after the second burst of speech began (2.0 s).
    let clears: Vec<Duration> = received
        .iter()
        .filter(|(_, v)| v["event"] == "clear")
        .map(|(t, _)| *t)
        .collect();
    assert_eq!(clears.len(), 1, "clears at {clears:?}");
    assert!(
        clears[0] > Duration::from_millis(2100) && clears[0] < Duration::from_millis(2700),
        "clear at {:?}",
        clears[0]
    );

    // The first utterance's echo started about a second after it was spoken.
    let media: Vec<&(Duration, serde_json::Value)> = received.iter().filter(|(_, v)| v["event"] == "media").collect();
    let first = media[0].0;
    assert!(
        first > Duration::from_millis(1000) && first < Duration::from_millis(1500),
        "first echo at {first:?}"
    );
    let before_clear = media.iter().filter(|(t, _)| *t < clears[0]).count();
    assert!(before_clear >= 30, "{before_clear} frames before the clear");

    // Pacing: never more than the lead plus a few frames in any 100 ms window.
    for (k, (t, _)) in media.iter().enumerate() {
        let in_window = media[k..]
            .iter()
            .take_while(|(u, _)| *u < *t + Duration::from_millis(100))
            .count();
        assert!(in_window <= 9, "{in_window} frames within 100 ms at {t:?}");
    }

    // Marks: the first generation's, then only the second's after the clear.
    let marks: Vec<(Duration, String)> = received
        .iter()
        .filter(|(_, v)| v["event"] == "mark")
        .map(|(t, v)| (*t, v["mark"]["name"].as_str().unwrap().to_owned()))
        .collect();
    assert!(
        marks.iter().any(|(t, n)| *t < clears[0] && n.starts_with("g1.")),
        "{marks:?}"
    );
    assert!(
        marks
            .iter()
            .filter(|(t, _)| *t > clears[0])
            .all(|(_, n)| n.starts_with("g2.")),
        "{marks:?}"
    );
    assert!(
        marks.iter().any(|(_, n)| n.starts_with("g2.") && n.ends_with(".end")),
        "{marks:?}"
    );

    // The key press came back as its in-band tone.
    let mut pcm = Vec::new();
    for (t, v) in &media {
        if *t > Duration::from_millis(3500) {
            media::mulaw::decode_into(&decode_payload(v), &mut pcm);
        }
    }
    let found = pcm
        .windows(320)
        .step_by(80)
        .any(|w| media::dtmf::detect(w).map(|d| d.as_char()) == Some('5'));
    assert!(found, "DTMF 5 echoed as a tone");

    // Counters moved, and the call is gone from the registry.
    let text = get_text(server.http("/metrics")).await;
    for name in [
        "switchboard_barge_ins_total",
        "switchboard_dtmf_digits_total",
        "switchboard_frames_in_total",
        "switchboard_frames_out_total",
    ] {
        assert!(
            text.lines().any(|l| l.starts_with(name) && !l.ends_with(" 0")),
            "{name} missing in metrics"
        );
    }
    assert!(
        text.contains(r#"switchboard_marks_total{state="stale"}"#),
        "stale marks counted"
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    let list: serde_json::Value = server.api_json("/api/calls").await;
    assert_eq!(list, serde_json::json!([]));
    // Without a user's token or a session: 401, also for a wrong token.
    let anon = reqwest::get(server.http("/api/calls")).await.unwrap();
    assert_eq!(anon.status(), 401);
    let wrong = reqwest::Client::new()
        .get(server.http("/api/calls"))
        .bearer_auth("not-the-token")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inbound_webhook_validates_twilio_signatures() {
    let cfg = ServerConfig {
        twilio_auth_token: Some("12345".into()),
        public_url: Some("https://mycompany.com".into()),
        ..Default::default()
    };
    let server = Server::start(cfg).await;
    let params = [
        ("CallSid", "CA1234567890ABCDE"),
        ("Caller", "+14158675310"),
        ("Digits", "1234"),
        ("From", "+14158675310"),
        ("To", "+18005551212"),
    ];
    let owned: Vec<(String, String)> = params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let url = "https://mycompany.com/twilio/voice?foo=1&bar=2";
    let good = telephony::twilio::signature::compute("12345", url, &owned);
    let client = reqwest::Client::new();
    let post = |sig: Option<String>| {
        let mut r = client.post(server.http("/twilio/voice?foo=1&bar=2")).form(&params);
        if let Some(s) = sig {
            r = r.header("X-Twilio-Signature", s);
        }
        r.send()
    };
    let ok = post(Some(good.clone())).await.unwrap();
    assert_eq!(ok.status(), 200);
    let twiml = ok.text().await.unwrap();
    assert!(
        twiml.contains(
            r#"<Connect action="https://mycompany.com/twilio/stream-ended"><Stream url="wss://mycompany.com/twilio/media">"#
        ),
        "{twiml}"
    );
    assert!(
        twiml.contains(r#"<Parameter name="From" value="+14158675310"/>"#),
        "{twiml}"
    );
    assert!(
        twiml.contains(r#"<Parameter name="CallSid" value="CA1234567890ABCDE"/>"#),
        "{twiml}"
    );
    // The call is announced (ringing) before its stream connects.
    let list: serde_json::Value = server.api_json("/api/calls").await;
    assert_eq!(list[0]["state"], "ringing");
    assert_eq!(post(None).await.unwrap().status(), 403);
    assert_eq!(
        post(Some("RSOYDt4T1cUTdK1PDd93/VVr8B8=".into()))
            .await
            .unwrap()
            .status(),
        403
    );
    let tampered = client
        .post(server.http("/twilio/voice?foo=1&bar=2"))
        .header("X-Twilio-Signature", good)
        .form(&[("CallSid", "CA1234567890ABCDE"), ("From", "+19999999999")])
        .send()
        .await
        .unwrap();
    assert_eq!(tampered.status(), 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_dropped_and_never_affects_another_call() {
    let server = Server::start(ServerConfig::default()).await;
    let mut bad = Twilio::connect(&server, "CAbad", "+15550002").await;
    let mut good = Twilio::connect(&server, "CAgood", "+15550003").await;
    let noise = [
        "{not json".to_string(),
        r#"{"event":"media","sequenceNumber":"3","media":{"track":"inbound","chunk":"1","timestamp":"0","payload":"@@@@"},"streamSid":"MZCAbad"}"#.to_string(),
        format!(r#"{{"event":"media","sequenceNumber":"4","media":{{"track":"inbound","chunk":"1","timestamp":"0","payload":"{}"}},"streamSid":"MZCAbad"}}"#, "A".repeat(5000)),
        r#"{"event":"bogus"}"#.to_string(),
        "x".repeat(20_000),
    ];
    for n in &noise {
        bad.send(n.clone()).await;
    }
    futures_util::SinkExt::send(&mut bad.ws, Message::Binary(vec![1, 2, 3].into()))
        .await
        .unwrap();
    // Both calls speak; both must be echoed.
    for i in 0..75 {
        let loud = (5..45).contains(&i);
        bad.media(&frame(i, loud)).await;
        good.media(&frame(i, loud)).await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (got_bad, close_bad) = drain(&mut bad, Duration::from_millis(1200)).await;
    assert_eq!(close_bad, None, "the bad call stays up");
    assert!(
        got_bad.iter().any(|v| v["event"] == "media"),
        "the bad call still works"
    );
    // The bad call disconnects abruptly; the good one goes on.
    drop(bad);
    let (got_good, close_good) = drain(&mut good, Duration::from_millis(300)).await;
    assert_eq!(close_good, None);
    assert!(got_good.iter().filter(|v| v["event"] == "media").count() >= 30);
    let text = get_text(server.http("/metrics")).await;
    for reason in [
        "malformed_json",
        "bad_base64",
        "payload_too_large",
        "unknown_event",
        "message_too_large",
        "binary_frame",
    ] {
        assert!(
            text.contains(&format!(r#"switchboard_protocol_drops_total{{reason="{reason}"}}"#)),
            "{reason} not counted"
        );
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let list: serde_json::Value = server.api_json("/api/calls").await;
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["call_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["CAgood"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_drains_then_closes_live_calls_cleanly() {
    let cfg = ServerConfig {
        shutdown_grace: Duration::from_millis(500),
        ..Default::default()
    };
    let mut server = Server::start(cfg).await;
    let mut tw = Twilio::connect(&server, "CAshut", "+15550004").await;
    tw.media(&frame(0, false)).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(reqwest::get(server.http("/readyz")).await.unwrap().status(), 200);
    server.shutdown();
    let started = Instant::now();
    let (_, close) = drain(&mut tw, Duration::from_secs(5)).await;
    assert_eq!(close, Some((1001, "server shutting down".to_string())));
    assert!(started.elapsed() >= Duration::from_millis(400), "grace honoured");
    let result = tokio::time::timeout(Duration::from_secs(5), server.task).await;
    assert!(matches!(result, Ok(Ok(Ok(())))), "server stopped cleanly");
}
