//! Test harness: the real server on a loopback port, and a client that speaks
//! exactly like Twilio Media Streams over a real WebSocket.

#![allow(dead_code)]

pub mod speech;
pub mod wired;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use futures_util::{SinkExt, StreamExt};
use telephony::{AppState, ServerConfig};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// A running server.
pub struct Server {
    pub addr: SocketAddr,
    pub state: Arc<AppState>,
    stop: Option<oneshot::Sender<()>>,
    pub task: JoinHandle<std::io::Result<()>>,
}

/// The API token of the test servers (the service user's).
pub const API_TOKEN: &str = "test-service-token";

impl Server {
    pub async fn start(cfg: ServerConfig) -> Self {
        Self::start_with(cfg, None).await
    }

    pub async fn start_with(mut cfg: ServerConfig, speech: Option<Arc<telephony::speech::SpeechEngines>>) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        cfg.listen = addr;
        cfg.api_token.get_or_insert_with(|| API_TOKEN.to_owned());
        let state = AppState::with_speech(cfg, Vec::new(), speech);
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(telephony::serve(listener, state.clone(), async move {
            let _ = rx.await;
        }));
        Self {
            addr,
            state,
            stop: Some(tx),
            task,
        }
    }

    pub fn http(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// GET an API path with the service user's token; its JSON body.
    pub async fn api_json(&self, path: &str) -> serde_json::Value {
        reqwest::Client::new()
            .get(self.http(path))
            .bearer_auth(API_TOKEN)
            .send()
            .await
            .expect("GET")
            .json()
            .await
            .expect("JSON body")
    }

    /// Signals shutdown (the server drains, then returns).
    pub fn shutdown(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

/// A fake Twilio media stream.
pub struct Twilio {
    pub ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pub stream_sid: String,
    pub seq: u64,
    pub chunk: u64,
}

impl Twilio {
    pub async fn connect(server: &Server, call_sid: &str, from: &str) -> Self {
        let url = format!("ws://{}/twilio/media", server.addr);
        let (ws, _) = tokio_tungstenite::connect_async(url).await.expect("websocket connects");
        let mut t = Self {
            ws,
            stream_sid: format!("MZ{call_sid}"),
            seq: 0,
            chunk: 0,
        };
        t.send(r#"{"event":"connected","protocol":"Call","version":"1.0.0"}"#.to_string())
            .await;
        t.seq += 1;
        let start = serde_json::json!({
            "event": "start", "sequenceNumber": t.seq.to_string(),
            "start": {
                "accountSid": "ACtest", "streamSid": t.stream_sid, "callSid": call_sid,
                "tracks": ["inbound"], "customParameters": {"From": from, "To": "+18005550100"},
                "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}
            },
            "streamSid": t.stream_sid
        });
        t.send(start.to_string()).await;
        t
    }

    pub async fn send(&mut self, text: String) {
        self.ws.send(Message::Text(text.into())).await.expect("send");
    }

    /// One `media` message of µ-law.
    pub async fn media(&mut self, ulaw: &[u8]) {
        self.seq += 1;
        self.chunk += 1;
        let msg = serde_json::json!({
            "event": "media", "sequenceNumber": self.seq.to_string(),
            "media": {"track": "inbound", "chunk": self.chunk.to_string(),
                      "timestamp": ((self.chunk - 1) * 20).to_string(),
                      "payload": base64::engine::general_purpose::STANDARD.encode(ulaw)},
            "streamSid": self.stream_sid
        });
        self.send(msg.to_string()).await;
    }

    pub async fn dtmf(&mut self, digit: char) {
        self.seq += 1;
        let msg = serde_json::json!({"event": "dtmf", "streamSid": self.stream_sid, "sequenceNumber": self.seq.to_string(),
            "dtmf": {"track": "inbound_track", "digit": digit.to_string()}});
        self.send(msg.to_string()).await;
    }

    pub async fn mark(&mut self, name: &str) {
        self.seq += 1;
        let msg = serde_json::json!({"event": "mark", "sequenceNumber": self.seq.to_string(), "streamSid": self.stream_sid, "mark": {"name": name}});
        self.send(msg.to_string()).await;
    }

    pub async fn stop(&mut self) {
        self.seq += 1;
        let msg = serde_json::json!({"event": "stop", "sequenceNumber": self.seq.to_string(), "streamSid": self.stream_sid,
            "stop": {"accountSid": "ACtest", "callSid": "x"}});
        self.send(msg.to_string()).await;
    }
}

/// 20 ms of a 300 Hz tone (speech-like energy) or silence, as µ-law.
pub fn frame(i: usize, loud: bool) -> Vec<u8> {
    (0..160)
        .map(|k| {
            let n = (i * 160 + k) as f32;
            let v = if loud {
                8000.0 * (2.0 * std::f32::consts::PI * 300.0 * n / 8000.0).sin()
            } else {
                0.0
            };
            media::mulaw::encode(v as i16)
        })
        .collect()
}

/// Receives until `deadline`, returning text frames and, if the server
/// closed, its close code and reason.
pub async fn drain(t: &mut Twilio, within: Duration) -> (Vec<serde_json::Value>, Option<(u16, String)>) {
    let mut got = Vec::new();
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, t.ws.next()).await {
            Ok(Some(Ok(Message::Text(txt)))) => got.push(serde_json::from_str(txt.as_str()).unwrap()),
            Ok(Some(Ok(Message::Close(c)))) => {
                return (
                    got,
                    Some(c.map_or((1005, String::new()), |f| (f.code.into(), f.reason.to_string()))),
                );
            }
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(_))) | Ok(None) => return (got, Some((1006, String::new()))),
            Err(_) => return (got, None),
        }
    }
}

/// GET a URL and parse its JSON body.
pub async fn get_json(url: String) -> serde_json::Value {
    reqwest::get(url).await.expect("GET").json().await.expect("JSON body")
}

/// GET a URL and return its body.
pub async fn get_text(url: String) -> String {
    reqwest::get(url).await.expect("GET").text().await.expect("text body")
}
