use super::*;
use proptest::prelude::*;

const START: &str = r#"{"event":"start","sequenceNumber":"1","start":{"accountSid":"AC123","streamSid":"MZ1","callSid":"CA1","tracks":["inbound"],"customParameters":{"From":"+15550100"},"mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1}},"streamSid":"MZ1"}"#;

fn media(seq: u64, chunk: u64, ts: u64, payload: &str) -> String {
    format!(
        r#"{{"event":"media","sequenceNumber":"{seq}","media":{{"track":"inbound","chunk":"{chunk}","timestamp":"{ts}","payload":"{payload}"}},"streamSid":"MZ1"}}"#
    )
}

fn started() -> InboundCodec {
    let mut c = InboundCodec::new(Limits::default());
    assert!(matches!(c.decode(START).unwrap().event, Inbound::Start(_)));
    c
}

#[test]
fn decodes_every_inbound_event_in_twilio_format() {
    let mut c = InboundCodec::new(Limits::default());
    let d = c
        .decode(r#"{"event":"connected","protocol":"Call","version":"1.0.0"}"#)
        .unwrap();
    assert_eq!(
        d.event,
        Inbound::Connected {
            protocol: "Call".into(),
            version: "1.0.0".into()
        }
    );
    let Inbound::Start(s) = c.decode(START).unwrap().event else {
        panic!("not start")
    };
    assert_eq!(
        (s.stream_sid.as_str(), s.call_sid.as_str(), s.account_sid.as_str()),
        ("MZ1", "CA1", "AC123")
    );
    assert_eq!(s.tracks, vec!["inbound"]);
    assert_eq!(s.custom_parameters.get("From").map(String::as_str), Some("+15550100"));
    let d = c.decode(&media(2, 1, 5, "/39/fw==")).unwrap();
    assert_eq!(
        d.event,
        Inbound::Media(MediaChunk {
            track: "inbound".into(),
            chunk: 1,
            timestamp_ms: 5,
            ulaw: vec![0xFF, 0x7F, 0x7F, 0x7F]
        })
    );
    assert_eq!(d.sequence, SequenceCheck::InOrder);
    let d = c
        .decode(
            r#"{"event":"dtmf","streamSid":"MZ1","sequenceNumber":"3","dtmf":{"track":"inbound_track","digit":"5"}}"#,
        )
        .unwrap();
    assert_eq!(d.event, Inbound::Dtmf(media::dtmf::DtmfDigit::from_char('5').unwrap()));
    let d = c
        .decode(r#"{"event":"mark","sequenceNumber":"4","streamSid":"MZ1","mark":{"name":"g1.u1.end"}}"#)
        .unwrap();
    assert_eq!(d.event, Inbound::Mark("g1.u1.end".into()));
    let d = c
        .decode(
            r#"{"event":"stop","sequenceNumber":"5","streamSid":"MZ1","stop":{"accountSid":"AC123","callSid":"CA1"}}"#,
        )
        .unwrap();
    assert_eq!(d.event, Inbound::Stop);
}

#[test]
fn numbers_may_be_json_numbers() {
    let mut c = started();
    let msg = r#"{"event":"media","sequenceNumber":2,"media":{"track":"inbound","chunk":7,"timestamp":120,"payload":""},"streamSid":"MZ1"}"#;
    let Inbound::Media(m) = c.decode(msg).unwrap().event else {
        panic!()
    };
    assert_eq!((m.chunk, m.timestamp_ms), (7, 120));
}

#[test]
fn bad_input_is_a_typed_error() {
    let mut c = InboundCodec::new(Limits::default());
    assert_eq!(
        c.decode(&media(1, 1, 0, "AAAA")),
        Err(ProtocolError::BeforeStart("media"))
    );
    assert!(matches!(c.decode("{not json"), Err(ProtocolError::Malformed(_))));
    assert!(matches!(
        c.decode(r#"{"event":"media"}"#),
        Err(ProtocolError::Malformed(_))
    ));
    assert!(matches!(c.decode("[]"), Err(ProtocolError::Malformed(_))));
    assert_eq!(
        c.decode(r#"{"event":"bogus","x":1}"#),
        Err(ProtocolError::UnknownEvent("bogus".into()))
    );
    let mut c = started();
    assert_eq!(c.decode(START), Err(ProtocolError::DuplicateStart));
    assert_eq!(c.decode(&media(2, 1, 0, "!!!!")), Err(ProtocolError::BadBase64));
    let big = "A".repeat(4100);
    assert_eq!(
        c.decode(&media(3, 2, 20, &big)),
        Err(ProtocolError::PayloadTooLarge(4100))
    );
    let huge = "x".repeat(20_000);
    assert_eq!(c.decode(&huge), Err(ProtocolError::MessageTooLarge(20_000)));
    let other = media(4, 3, 40, "AAAA").replace("MZ1", "MZ2");
    assert_eq!(c.decode(&other), Err(ProtocolError::WrongStream));
    let bad_digit = r#"{"event":"dtmf","streamSid":"MZ1","dtmf":{"digit":"55"}}"#;
    assert_eq!(c.decode(bad_digit), Err(ProtocolError::BadDigit));
    let alaw = START.replace("audio/x-mulaw", "audio/x-alaw");
    let mut fresh = InboundCodec::new(Limits::default());
    assert!(fresh.decode(&alaw).unwrap_err().is_fatal());
}

#[test]
fn sequence_numbers_reveal_gaps_and_reordering() {
    let mut c = started();
    assert_eq!(c.decode(&media(2, 1, 0, "")).unwrap().sequence, SequenceCheck::InOrder);
    assert_eq!(c.decode(&media(5, 2, 20, "")).unwrap().sequence, SequenceCheck::Gap(2));
    assert_eq!(
        c.decode(&media(4, 3, 40, "")).unwrap().sequence,
        SequenceCheck::Reordered
    );
    assert_eq!(c.decode(&media(6, 4, 60, "")).unwrap().sequence, SequenceCheck::InOrder);
}

#[test]
fn outbound_messages_match_twilio_format() {
    let e = OutboundEncoder::new("MZ1");
    let v: serde_json::Value = serde_json::from_str(&e.media(&[0xFF, 0x7F])).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"event":"media","streamSid":"MZ1","media":{"payload":"/38="}})
    );
    let v: serde_json::Value = serde_json::from_str(&e.mark("g1.u2.end")).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"event":"mark","streamSid":"MZ1","mark":{"name":"g1.u2.end"}})
    );
    let v: serde_json::Value = serde_json::from_str(&e.clear()).unwrap();
    assert_eq!(v, serde_json::json!({"event":"clear","streamSid":"MZ1"}));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Arbitrary text never panics the decoder, before or after start.
    #[test]
    fn arbitrary_text_never_panics(s in any::<String>()) {
        let _ = InboundCodec::new(Limits::default()).decode(&s);
        let _ = started().decode(&s);
    }

    /// JSON-shaped noise with a real event name never panics either.
    #[test]
    fn near_valid_messages_never_panic(
        event in prop::sample::select(vec!["connected", "start", "media", "dtmf", "mark", "stop", "x"]),
        body in "[{}\\[\\]\":,a-zA-Z0-9 ]{0,80}",
    ) {
        let text = format!(r#"{{"event":"{event}",{body}"#);
        let _ = started().decode(&text);
        let _ = started().decode(&format!(r#"{{"event":"{event}","media":{{"chunk":"{body}","timestamp":1,"payload":"{body}"}}}}"#));
    }

    /// Valid media messages round-trip their numbers and audio exactly.
    #[test]
    fn media_round_trips(seq in 2u64..1_000_000, chunk in 1u64..u32::MAX as u64, ts in 0u64..u32::MAX as u64,
                         audio in prop::collection::vec(any::<u8>(), 0..480)) {
        let mut c = started();
        let payload = {
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD.encode(&audio)
        };
        let Inbound::Media(m) = c.decode(&media(seq, chunk, ts, &payload)).unwrap().event else { panic!() };
        prop_assert_eq!(m.chunk, chunk);
        prop_assert_eq!(m.timestamp_ms, ts);
        prop_assert_eq!(m.ulaw, audio);
    }
}
