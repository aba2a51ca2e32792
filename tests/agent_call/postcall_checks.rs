//! Post-call checks of the end-to-end agent test: analysis, signed
//! webhooks, the PHI audit log and the transcript API, and log redaction.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use postcall::signature;

pub const SECRET: &str = "whsec_test_secret";
pub const API_TOKEN: &str = "test-api-token";

/// Log output captured through the production (redacting) formatter.
#[derive(Clone, Default)]
pub struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs the binary's log format (debug level, so more is exercised).
pub fn capture_logs() -> Logs {
    let logs = Logs::default();
    let out = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .fmt_fields(switchboard::redact::Redacted)
        .with_env_filter("debug,tokio_postgres=info,hyper=info,reqwest=info,tungstenite=info,tokio_tungstenite=info")
        .with_writer(move || out.clone())
        .with_ansi(false)
        .finish();
    tracing::subscriber::set_global_default(subscriber).expect("one subscriber per test binary");
    logs
}

/// A local webhook receiver that checks every signature.
pub struct Receiver {
    pub url: String,
    /// (event type, data, signature valid)
    pub got: Arc<Mutex<Vec<(String, serde_json::Value, bool)>>>,
}

impl Receiver {
    pub async fn start() -> Self {
        let got: Arc<Mutex<Vec<(String, serde_json::Value, bool)>>> = Arc::default();
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/webhooks", l.local_addr().unwrap());
        let app = axum::Router::new()
            .route("/webhooks", axum::routing::post(receive))
            .with_state(got.clone());
        tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
        Self { url, got }
    }
}

type Got = Arc<Mutex<Vec<(String, serde_json::Value, bool)>>>;

async fn receive(State(got): State<Got>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let header = headers
        .get(signature::HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let valid = signature::verify(SECRET.as_bytes(), header, &body, chrono::Utc::now().timestamp(), 300).is_ok();
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    got.lock().unwrap().push((
        v["type"].as_str().unwrap_or_default().to_owned(),
        v["data"].clone(),
        valid,
    ));
    if valid {
        StatusCode::OK
    } else {
        StatusCode::UNAUTHORIZED
    }
}

pub async fn analysed_and_delivered(pool: &deadpool_postgres::Pool, hooks: &Receiver, addr: SocketAddr) {
    let db = pool.get().await.unwrap();
    // Every call analysed and its call.completed delivered (workers run in process).
    let mut delivered = 0;
    for _ in 0..300 {
        delivered = hooks
            .got
            .lock()
            .unwrap()
            .iter()
            .filter(|(t, _, ok)| t == "call.completed" && *ok)
            .count();
        if delivered >= 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(delivered, 4, "call.completed webhooks delivered");
    let got = hooks.got.lock().unwrap().clone();
    assert!(got.iter().all(|(_, _, ok)| *ok), "a webhook failed verification");
    let verified = got
        .iter()
        .find(|(t, d, _)| t == "call.completed" && d["call_sid"] == "CAverified")
        .expect("CAverified completed");
    assert_eq!(verified.1["outcome"], "resolved");
    assert!(
        verified.1["medications"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m == "Ozempic"),
        "{}",
        verified.1
    );
    assert!(
        verified.1["topics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == "prior_auth"),
        "{}",
        verified.1
    );
    let outcomes: Vec<(String, String)> = db
        .query(
            "SELECT call_sid, analysis->>'call_outcome' FROM voice_calls WHERE analysis IS NOT NULL ORDER BY call_sid",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(outcomes.len(), 4, "{outcomes:?}");
    assert!(outcomes.contains(&("CAstranger".into(), "verification_failed".into())));

    // PHI reads are audited: the verified caller's lookup...
    let lookups: i64 = db
        .query_one(
            "SELECT count(*) FROM audit_log WHERE action = 'patient.lookup' AND call_sid = 'CAverified'
               AND actor = 'voice-agent'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(lookups >= 1);
    // ...and a transcript read over the API, with the reader's address.
    let http = reqwest::Client::new();
    let url = format!("http://{addr}/api/calls/CAverified/transcript");
    let denied = http.get(&url).send().await.unwrap();
    assert_eq!(denied.status(), 401);
    let r = http.get(&url).bearer_auth(API_TOKEN).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let t: serde_json::Value = r.json().await.unwrap();
    assert!(t["utterances"].as_array().unwrap().len() >= 6, "{t}");
    assert_eq!(t["analysis"]["call_outcome"], "resolved");
    let row = db
        .query_one(
            "SELECT actor, remote_addr FROM audit_log WHERE action = 'transcript.read' AND call_sid = 'CAverified'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "user:api");
    assert_eq!(row.get::<_, Option<String>>(1).as_deref(), Some("127.0.0.1"));
    // The log is append-only: the database refuses changes.
    for sql in [
        "UPDATE audit_log SET actor = 'x'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
    ] {
        let e = db.execute(sql, &[]).await.expect_err(sql);
        assert!(
            e.to_string().contains("append-only") || format!("{e:?}").contains("append-only"),
            "{e:?}"
        );
    }
}

/// The demo patients' identities never reach the log.
pub fn no_phi_in(log: &str) {
    assert!(log.len() > 1000, "the log captured too little to mean anything:\n{log}");
    assert!(log.contains("[redacted]") || log.contains("call closed"), "{log}");
    for phi in [
        "Garcia",
        "Maria",
        "1985-03-03",
        "Wilson",
        "1972-07-04",
        "Robert Brown",
        "DEMO00000",
        "Ozempic",
    ] {
        if let Some(at) = log.find(phi) {
            let from = at.saturating_sub(200);
            panic!("{phi:?} in the log: …{}…", &log[from..(at + 100).min(log.len())]);
        }
    }
}
