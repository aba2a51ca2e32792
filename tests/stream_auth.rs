//! Only Twilio reaches the agent: with an auth token configured, the voice
//! webhook must be signed, the media WebSocket upgrade must carry Twilio's
//! signature, and the stream's `start` must present the one-time token the
//! signed webhook issued. Unsigned, forged and replayed streams are refused
//! before any audio. Real server on loopback, real WebSockets.

mod common;

use std::time::Duration;

use common::{Server, drain};
use futures_util::SinkExt;
use telephony::twilio::signature;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const TOKEN: &str = "test-auth-token-0123456789";

/// POSTs the voice webhook as Twilio does, signed with `key`; returns the
/// status and the TwiML.
async fn voice(server: &Server, key: &str, call_sid: &str) -> (u16, String) {
    let url = server.http("/twilio/voice");
    let params: Vec<(String, String)> = [("CallSid", call_sid), ("From", "+15550100001"), ("To", "+18005550100")]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let sig = signature::compute(key, &url, &params);
    let r = reqwest::Client::new()
        .post(&url)
        .header("X-Twilio-Signature", sig)
        .form(&params)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

fn token_in(twiml: &str) -> String {
    let at = twiml.find(r#"name="token" value=""#).expect("token parameter") + r#"name="token" value=""#.len();
    twiml[at..at + 32].to_owned()
}

/// Opens the media socket (signed when `sign`), sends `connected` and a
/// `start` with `token`; returns what the server said within a second.
async fn stream(
    server: &Server,
    sign: Option<&str>,
    call_sid: &str,
    token: &str,
) -> Result<Option<(u16, String)>, u16> {
    let url = format!("ws://{}/twilio/media", server.addr);
    let mut req = url.as_str().into_client_request().unwrap();
    if let Some(key) = sign {
        let sig = signature::compute(key, &url, &[]);
        req.headers_mut().insert("X-Twilio-Signature", sig.parse().unwrap());
    }
    let ws = match tokio_tungstenite::connect_async(req).await {
        Ok((ws, _)) => ws,
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => return Err(r.status().as_u16()),
        Err(e) => panic!("{e}"),
    };
    let mut t = common::Twilio {
        ws,
        stream_sid: format!("MZ{call_sid}"),
        seq: 0,
        chunk: 0,
    };
    t.send(r#"{"event":"connected","protocol":"Call","version":"1.0.0"}"#.into())
        .await;
    let start = serde_json::json!({"event":"start","sequenceNumber":"1","streamSid":t.stream_sid,"start":{
        "accountSid":"ACtest","streamSid":t.stream_sid,"callSid":call_sid,"tracks":["inbound"],
        "mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1},
        "customParameters":{"From":"+15550100001","token":token}}});
    t.send(start.to_string()).await;
    for i in 0..5 {
        t.media(&common::frame(i, false)).await;
    }
    let (_, closed) = drain(&mut t, Duration::from_millis(800)).await;
    let _ = t.ws.send(Message::Close(None)).await;
    Ok(closed)
}

#[tokio::test]
async fn unsigned_forged_and_replayed_streams_are_refused() {
    let server = Server::start(telephony::ServerConfig {
        twilio_auth_token: Some(TOKEN.into()),
        mode: telephony::CallMode::Echo,
        ..Default::default()
    })
    .await;
    let ready = common::get_text(server.http("/readyz")).await;
    assert_eq!(ready, "ready\n");

    // A webhook signed with the wrong key is refused.
    assert_eq!(voice(&server, "wrong-key", "CAauth1").await.0, 403);
    let (status, twiml) = voice(&server, TOKEN, "CAauth1").await;
    assert_eq!(status, 200, "{twiml}");
    assert!(twiml.contains(r#"<Connect action="http://"#), "{twiml}");
    let token = token_in(&twiml);

    // No signature, or a forged one, on the upgrade: refused before the socket opens.
    assert_eq!(stream(&server, None, "CAauth1", &token).await, Err(403));
    assert_eq!(stream(&server, Some("forged"), "CAauth1", &token).await, Err(403));
    // Signed, but a token issued for another call: closed 1008.
    let (_, other) = voice(&server, TOKEN, "CAauth2").await;
    let other = token_in(&other);
    assert_eq!(
        stream(&server, Some(TOKEN), "CAauth1", &other).await,
        Ok(Some((1008, "stream not authorized".into())))
    );
    // The real stream is served (still open after a second of audio)...
    assert_eq!(stream(&server, Some(TOKEN), "CAauth1", &token).await, Ok(None));
    // ...and its replay is refused.
    assert_eq!(
        stream(&server, Some(TOKEN), "CAauth1", &token).await,
        Ok(Some((1008, "stream not authorized".into())))
    );
    let metrics = common::get_text(server.http("/metrics")).await;
    assert!(
        metrics.contains(r#"switchboard_streams_refused_total{reason="signature"} 2"#),
        "{metrics}"
    );
    assert!(metrics.contains(r#"switchboard_streams_refused_total{reason="token"} 2"#));
}

#[tokio::test]
async fn without_an_auth_token_the_server_says_it_is_unauthenticated() {
    let server = Server::start(telephony::ServerConfig::default()).await;
    let ready = common::get_text(server.http("/readyz")).await;
    assert!(ready.starts_with("ready (UNAUTHENTICATED"), "{ready}");
}
