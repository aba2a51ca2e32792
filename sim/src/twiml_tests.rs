use super::*;

#[test]
fn every_verb() {
    let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Say voice="Polly.Joanna" loop="2">Hello &amp; welcome</Say>
  <Play digits="12w#"/>
  <Play>https://example.com/tone.wav</Play>
  <Pause length="3"/>
  <Pause/>
  <Connect action="/stream-ended" method="GET">
    <Stream url="wss://h.example/twilio/media" name="bot">
      <Parameter name="From" value="+15550100"/>
      <Parameter name="token" value="t&lt;1&gt;"/>
    </Stream>
  </Connect>
  <Dial action="/after" timeout="2" callerId="+15550002222">
    <Number url="/whisper">+15550001111</Number>
    <Sip url="/whisper2" method="GET" statusCallback="/child" statusCallbackEvent="ringing answered">sip:desk@pbx.example.com</Sip>
  </Dial>
  <Dial>+15550003333</Dial>
  <Redirect method="GET">/next</Redirect>
  <Gather/>
  <Hangup/>
</Response>"#;
    let v = parse(xml).unwrap();
    assert_eq!(v.len(), 11);
    assert_eq!(
        v[0],
        Verb::Say {
            text: "Hello & welcome".into(),
            voice: Some("Polly.Joanna".into()),
            loops: 2
        }
    );
    assert_eq!(
        v[1],
        Verb::Play {
            digits: Some("12w#".into()),
            url: None,
            loops: 1
        }
    );
    assert!(matches!(&v[2], Verb::Play { url: Some(u), digits: None, .. } if u == "https://example.com/tone.wav"));
    assert_eq!(v[3], Verb::Pause(Duration::from_secs(3)));
    assert_eq!(v[4], Verb::Pause(Duration::from_secs(1)));
    let Verb::Connect(c) = &v[5] else { panic!("{:?}", v[5]) };
    assert_eq!(c.action.as_deref(), Some("/stream-ended"));
    assert_eq!(c.method, Method::Get);
    let s = c.stream.as_ref().unwrap();
    assert_eq!(s.url, "wss://h.example/twilio/media");
    assert_eq!(s.name.as_deref(), Some("bot"));
    assert_eq!(
        s.parameters,
        vec![("From".into(), "+15550100".into()), ("token".into(), "t<1>".into())]
    );
    let Verb::Dial(d) = &v[6] else { panic!("{:?}", v[6]) };
    assert_eq!(d.action.as_deref(), Some("/after"));
    assert_eq!(d.timeout, Duration::from_secs(2));
    assert_eq!(d.caller_id.as_deref(), Some("+15550002222"));
    assert_eq!(d.targets.len(), 2);
    assert_eq!(d.targets[0].kind, TargetKind::Number);
    assert_eq!(d.targets[0].address, "+15550001111");
    assert_eq!(d.targets[0].url.as_deref(), Some("/whisper"));
    assert_eq!(d.targets[0].status_callback_events, vec!["completed"]);
    assert_eq!(d.targets[1].kind, TargetKind::Sip);
    assert_eq!(d.targets[1].address, "sip:desk@pbx.example.com");
    assert_eq!(d.targets[1].method, Method::Get);
    assert_eq!(d.targets[1].status_callback.as_deref(), Some("/child"));
    assert_eq!(d.targets[1].status_callback_events, vec!["ringing", "answered"]);
    let Verb::Dial(d) = &v[7] else { panic!("{:?}", v[7]) };
    assert_eq!(d.timeout, Duration::from_secs(30));
    assert_eq!(d.action, None);
    assert_eq!(d.targets[0].address, "+15550003333");
    assert_eq!(
        v[8],
        Verb::Redirect {
            url: "/next".into(),
            method: Method::Get
        }
    );
    assert_eq!(v[9], Verb::Unknown("Gather".into()));
    assert_eq!(v[10], Verb::Hangup);
}

#[test]
fn server_documents_parse() {
    let x = telephony::twilio::twiml::connect_stream(
        "ws://127.0.0.1:1/twilio/media",
        Some("http://h/a?x=1&y=2"),
        &[("From", "+1<5>")],
    );
    let v = parse(&x).unwrap();
    let Verb::Connect(c) = &v[0] else { panic!() };
    assert_eq!(c.action.as_deref(), Some("http://h/a?x=1&y=2"));
    assert_eq!(c.stream.as_ref().unwrap().parameters[0].1, "+1<5>");
    assert_eq!(parse(&telephony::twilio::twiml::hangup()).unwrap(), vec![Verb::Hangup]);
    assert_eq!(parse("<Response/>").unwrap(), vec![]);
}

#[test]
fn connect_without_stream_names_the_noun() {
    let v = parse("<Response><Connect><Room>r1</Room></Connect></Response>").unwrap();
    let Verb::Connect(c) = &v[0] else { panic!() };
    assert!(c.stream.is_none());
    assert_eq!(c.other, vec!["Room"]);
}

#[test]
fn malformed_documents_are_errors() {
    let cases = [
        "",
        "not xml at all",
        "<Response><Say>unclosed</Response>",
        "<Response><Say>a</Say>",
        "<Response></Response><Response/>",
        "<!DOCTYPE x [<!ENTITY a 'b'>]><Response/>",
    ];
    for c in cases {
        assert!(matches!(parse(c), Err(TwimlError::Xml(_))), "{c:?}: {:?}", parse(c));
    }
    assert_eq!(parse("<Html/>"), Err(TwimlError::NotResponse("Html".into())));
    let invalid = [
        r#"<Response><Pause length="soon"/></Response>"#,
        r#"<Response><Pause length="-1"/></Response>"#,
        r#"<Response><Dial timeout="x">+1</Dial></Response>"#,
        r#"<Response><Dial></Dial></Response>"#,
        r#"<Response><Dial><Number url="/w"> </Number></Dial></Response>"#,
        r#"<Response><Connect><Stream/></Connect></Response>"#,
        r#"<Response><Connect><Stream url="wss://x"><Parameter value="v"/></Stream></Connect></Response>"#,
        r#"<Response><Redirect/></Response>"#,
        r#"<Response><Redirect method="PUT">/x</Redirect></Response>"#,
        r#"<Response><Play/></Response>"#,
        r#"<Response><Play digits="12x"/></Response>"#,
    ];
    for c in invalid {
        let e = parse(c).unwrap_err();
        assert!(matches!(e, TwimlError::Invalid { .. }), "{c}: {e}");
        assert!(!e.to_string().is_empty());
    }
}

#[test]
fn arbitrary_bytes_never_panic() {
    let mut rng = fastrand::Rng::with_seed(7);
    let alphabet: Vec<char> = "<>/=\"' &;ResponseSayDialNumberStreamx!?-[]".chars().collect();
    for _ in 0..2000 {
        let len = rng.usize(0..80);
        let s: String = (0..len).map(|_| alphabet[rng.usize(0..alphabet.len())]).collect();
        let _ = parse(&s);
    }
}
