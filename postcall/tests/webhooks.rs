//! Signed webhook delivery to a local receiver that fails the first
//! attempts, then accepts; and dead-lettering for a receiver that never does.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use functions::db::ScratchDatabase;
use functions::events;
use functions::queue::Backoff;
use postcall::signature;
use postcall::webhook::WebhookDelivery;
use postcall::{Handler, WorkerConfig, Workers};

#[derive(Default)]
struct Receiver {
    /// (event id, attempt header, signature valid)
    seen: Mutex<Vec<(String, String, bool)>>,
}

async fn receive(State(r): State<Arc<Receiver>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let header = headers
        .get(signature::HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let now = chrono::Utc::now().timestamp();
    let valid = signature::verify(b"s3cret", header, &body, now, 300).is_ok();
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let attempt = headers
        .get("X-Switchboard-Delivery-Attempt")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let mut seen = r.seen.lock().unwrap();
    seen.push((v["id"].as_str().unwrap_or_default().to_owned(), attempt, valid));
    if !valid {
        StatusCode::UNAUTHORIZED
    } else if seen.len() <= 2 {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::NO_CONTENT
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_are_signed_retried_logged_and_dead_lettered() {
    let scratch = ScratchDatabase::create(6).await.expect("scratch database");
    let pool = scratch.db.pool.clone();

    let receiver = Arc::new(Receiver::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    let app = axum::Router::new()
        .route("/hooks", post(receive))
        .with_state(receiver.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    // Nothing listens on this one.
    let dead_port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };

    let c = pool.get().await.unwrap();
    postcall::webhook::configure_receiver(&pool, &url, "s3cret")
        .await
        .unwrap();
    events::subscribe(
        &**c,
        &format!("http://127.0.0.1:{dead_port}/gone"),
        "other",
        &[events::CALL_COMPLETED.to_owned()],
    )
    .await
    .unwrap();
    let data = serde_json::json!({ "case_number": "AE-2026-001234", "severity": "moderate" });
    let id = events::emit(&**c, events::ADVERSE_EVENT_FLAGGED, "AE-2026-001234", &data)
        .await
        .unwrap()
        .expect("new event");
    // The same event again is recorded (and delivered) once.
    assert!(
        events::emit(&**c, events::ADVERSE_EVENT_FLAGGED, "AE-2026-001234", &data)
            .await
            .unwrap()
            .is_none()
    );
    // Only the first subscription wants adverse events; both want call.completed.
    let done_id = events::emit(
        &**c,
        events::CALL_COMPLETED,
        "CA1",
        &serde_json::json!({"call_sid": "CA1"}),
    )
    .await
    .unwrap()
    .unwrap();
    drop(c);

    let workers = Workers::start(
        pool.clone(),
        vec![Arc::new(WebhookDelivery::new(pool.clone(), Duration::from_secs(2))) as Arc<dyn Handler>],
        WorkerConfig {
            name: "test".into(),
            concurrency: 2,
            poll: Duration::from_millis(20),
            lease: Duration::from_secs(10),
            backoff: Backoff {
                base: Duration::from_millis(20),
                max: Duration::from_millis(100),
            },
        },
    );
    let c = pool.get().await.unwrap();
    for _ in 0..300 {
        let open: i64 = c
            .query_one("SELECT count(*) FROM jobs WHERE status NOT IN ('done', 'dead')", &[])
            .await
            .unwrap()
            .get(0);
        if open == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    workers.stop().await;

    // The receiver saw valid signatures only; two 503s, then accepted.
    let seen = receiver.seen.lock().unwrap().clone();
    assert!(seen.iter().all(|(_, _, valid)| *valid), "{seen:?}");
    assert_eq!(
        seen.iter().filter(|(e, _, _)| *e == id).count() + seen.iter().filter(|(e, _, _)| *e == done_id).count(),
        seen.len()
    );
    assert!(seen.len() >= 4, "{seen:?}");

    // The delivery log shows each attempt.
    let attempts: Vec<(String, i32, Option<i32>, bool)> = c
        .query(
            "SELECT a.event_id, a.attempt, a.status_code, a.delivered FROM webhook_attempts a
             JOIN webhook_subscriptions s ON s.id = a.subscription_id
             WHERE s.url = $1 ORDER BY a.id",
            &[&url],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect();
    assert_eq!(attempts.len(), seen.len());
    assert_eq!(attempts.iter().filter(|a| a.2 == Some(503)).count(), 2, "{attempts:?}");
    for ev in [&id, &done_id] {
        let last = attempts.iter().rfind(|a| &a.0 == ev).unwrap();
        assert!(last.3, "{ev} not delivered: {attempts:?}");
    }
    let done: i64 = c
        .query_one(
            "SELECT count(*) FROM jobs j WHERE j.kind = 'webhook' AND j.status = 'done'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(done, 2);

    // The unreachable receiver: every attempt logged, then dead-lettered.
    let dead = c
        .query_one(
            "SELECT attempts, last_error FROM jobs WHERE kind = 'webhook' AND status = 'dead'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(dead.get::<_, i32>(0), events::DELIVERY_ATTEMPTS);
    assert!(
        dead.get::<_, String>(1).contains("unreachable"),
        "{}",
        dead.get::<_, String>(1)
    );
    let logged: i64 = c
        .query_one(
            "SELECT count(*) FROM webhook_attempts WHERE NOT delivered AND status_code IS NULL",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(logged, i64::from(events::DELIVERY_ATTEMPTS));
}

/// The receiver example in the README verifies what the server signs, and
/// rejects a changed body, a wrong secret and a stale timestamp.
#[test]
fn readme_receiver_example_verifies_real_signatures() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let start = readme.find("```python\n").expect("python example in the README") + 10;
    let code = &readme[start..];
    let code = &code[..code.find("class Hook").expect("the example's handler")];
    let body =
        r#"{"created":"2026-11-23T10:00:00.000Z","data":{"call_sid":"CA1"},"id":"evt_1","type":"call.completed"}"#;
    let now = chrono::Utc::now().timestamp();
    let good = signature::sign(b"s3cret", now, body.as_bytes());
    let stale = signature::sign(b"s3cret", now - 3600, body.as_bytes());
    let wrong = signature::sign(b"other", now, body.as_bytes());
    let script = format!(
        "{code}\nbody = {body:?}.encode()\nprint(verify({good:?}, body), verify({good:?}, body + b' '), verify({stale:?}, body), verify({wrong:?}, body))\n"
    );
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(&script)
        .env("SWITCHBOARD_WEBHOOK_SECRET", "s3cret")
        .output()
        .expect("python3");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "True False False False");
}
