//! Webhook delivery: one `webhook` job per (event, subscription). Each
//! attempt POSTs the event's JSON with a fresh signature, is logged in
//! `webhook_attempts` whatever happens, and counts as delivered only on a
//! 2xx answer within the timeout; otherwise the queue retries it with
//! backoff and dead-letters it after the last attempt.

use std::time::{Duration, Instant};

use deadpool_postgres::Pool;
use functions::events::DELIVERY_JOB;
use functions::queue::Job;
use metrics::counter;
use serde::Deserialize;
use serde_json::json;

use crate::error::JobError;
use crate::signature;
use crate::worker::{BoxFuture, Handler};

/// Delivers webhook events.
pub struct WebhookDelivery {
    pool: Pool,
    http: reqwest::Client,
}

#[derive(Deserialize)]
struct Payload {
    event_id: String,
    subscription_id: i64,
}

impl WebhookDelivery {
    /// A deliverer that logs attempts through `pool` and gives a receiver
    /// `timeout` to answer.
    pub fn new(pool: Pool, timeout: Duration) -> Self {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .user_agent(concat!("switchboard-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("HTTP client");
        Self { pool, http }
    }

    async fn deliver(&self, job: &Job, tx: &tokio_postgres::Transaction<'_>) -> Result<(), JobError> {
        let p: Payload = serde_json::from_value(job.payload.clone()).map_err(|e| JobError::Payload(e.to_string()))?;
        let ev = tx
            .query_opt(
                "SELECT type, created_at, data FROM webhook_events WHERE id = $1",
                &[&p.event_id],
            )
            .await?
            .ok_or_else(|| JobError::Payload("unknown event".into()))?;
        let sub = tx
            .query_opt(
                "SELECT url, secret, active FROM webhook_subscriptions WHERE id = $1",
                &[&p.subscription_id],
            )
            .await?
            .ok_or_else(|| JobError::Payload("unknown subscription".into()))?;
        let (url, secret, active): (String, String, bool) = (sub.get(0), sub.get(1), sub.get(2));
        if !active {
            tracing::info!(event = %p.event_id, "subscription inactive; delivery skipped");
            return Ok(());
        }
        let created: chrono::DateTime<chrono::Utc> = ev.get(1);
        let body = serde_json::to_vec(&json!({
            "id": p.event_id,
            "type": ev.get::<_, String>(0),
            "created": created.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "data": ev.get::<_, serde_json::Value>(2),
        }))
        .expect("JSON");
        let now = chrono::Utc::now().timestamp();
        let header = signature::sign(secret.as_bytes(), now, &body);
        let started = Instant::now();
        let sent = self
            .http
            .post(&url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(signature::HEADER, header)
            .header("X-Switchboard-Event-Id", &p.event_id)
            .header("X-Switchboard-Delivery-Attempt", job.attempt.to_string())
            .body(body)
            .send()
            .await;
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        let (status, error) = match &sent {
            Ok(r) if r.status().is_success() => (Some(r.status().as_u16()), None),
            Ok(r) => (
                Some(r.status().as_u16()),
                Some(format!("receiver answered {}", r.status())),
            ),
            Err(e) if e.is_timeout() => (None, Some("timed out".to_owned())),
            Err(e) => (None, Some(format!("unreachable: {}", without_url(e)))),
        };
        let delivered = error.is_none();
        counter!(functions::metrics::WEBHOOK_ATTEMPTS, "outcome" => if delivered { "delivered" } else { "failed" })
            .increment(1);
        // Logged outside the job's transaction, so failed attempts stay logged.
        let logged = async {
            let client = self.pool.get().await.map_err(functions::DbError::from)?;
            client
                .execute(
                    "INSERT INTO webhook_attempts
                         (job_id, event_id, subscription_id, attempt, status_code, error, duration_ms, delivered)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    &[
                        &job.id,
                        &p.event_id,
                        &p.subscription_id,
                        &job.attempt,
                        &status.map(i32::from),
                        &error,
                        &ms,
                        &delivered,
                    ],
                )
                .await?;
            Ok::<_, JobError>(())
        }
        .await;
        if let Err(e) = logged {
            tracing::warn!(error = %e, "webhook attempt not logged");
        }
        match error {
            None => Ok(()),
            Some(e) => Err(JobError::Delivery(e)),
        }
    }
}

fn without_url(e: &reqwest::Error) -> String {
    // The URL may carry a token in its query; keep it out of logs and rows.
    let mut s = e.to_string();
    if let Some(u) = e.url() {
        s = s.replace(u.as_str(), "<url>");
    }
    s
}

impl Handler for WebhookDelivery {
    fn kind(&self) -> &'static str {
        DELIVERY_JOB
    }

    fn run<'a>(&'a self, job: &'a Job, tx: &'a tokio_postgres::Transaction<'a>) -> BoxFuture<'a, Result<(), JobError>> {
        Box::pin(self.deliver(job, tx))
    }
}

/// Subscribes the single receiver given by `SWITCHBOARD_WEBHOOK_URL` and
/// `SWITCHBOARD_WEBHOOK_SECRET` (to every event type).
pub async fn configure_receiver(pool: &Pool, url: &str, secret: &str) -> Result<i64, JobError> {
    let client = pool.get().await.map_err(functions::DbError::from)?;
    Ok(functions::events::subscribe(&**client, url, secret, &[]).await?)
}
