//! Webhook events: recorded once, with one delivery job per subscription.
//! Delivery (signing, HTTP, retries) is the worker's; this is the outbox side.

use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio_postgres::GenericClient;

use crate::error::DbError;

/// A call ended and its analysis is stored.
pub const CALL_COMPLETED: &str = "call.completed";
/// An adverse event was recorded (live by the dialog or by the analysis).
pub const ADVERSE_EVENT_FLAGGED: &str = "adverse_event.flagged";
/// A payer confirmed a member's benefits for a medication.
pub const BENEFITS_VERIFIED: &str = "benefits.verified";

/// Every event type, for subscriptions and documentation.
pub const EVENT_TYPES: &[&str] = &[CALL_COMPLETED, ADVERSE_EVENT_FLAGGED, BENEFITS_VERIFIED];

/// Job kind of a delivery.
pub const DELIVERY_JOB: &str = "webhook";

/// Delivery attempts before a delivery is dead-lettered.
pub const DELIVERY_ATTEMPTS: i32 = 8;

/// The event id for `event_type` about `subject`: derived, so emitting the
/// same event twice (a retried job) records it once.
pub fn event_id(event_type: &str, subject: &str) -> String {
    let h = Sha256::digest(format!("{event_type}:{subject}").as_bytes());
    format!("evt_{}", &crate::ingest::hex(&h)[..24])
}

/// Records event `event_type` about `subject` with `data`, and queues one
/// delivery per active subscription that wants it, on `client` (use the
/// transaction that holds the change the event reports). Returns the event
/// id, or `None` if the event had already been recorded.
pub async fn emit(
    client: &impl GenericClient,
    event_type: &str,
    subject: &str,
    data: &Value,
) -> Result<Option<String>, DbError> {
    let id = event_id(event_type, subject);
    let n = client
        .execute(
            "INSERT INTO webhook_events (id, type, data) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING",
            &[&id, &event_type, data],
        )
        .await?;
    if n == 0 {
        return Ok(None);
    }
    client
        .execute(
            "INSERT INTO jobs (kind, dedupe_key, payload, max_attempts)
             SELECT $3, 'webhook:' || $1 || ':' || s.id,
                    jsonb_build_object('event_id', $1::text, 'subscription_id', s.id), $4
             FROM webhook_subscriptions s
             WHERE s.active AND (cardinality(s.events) = 0 OR $2 = ANY(s.events))
             ON CONFLICT (dedupe_key) DO NOTHING",
            &[&id, &event_type, &DELIVERY_JOB, &DELIVERY_ATTEMPTS],
        )
        .await?;
    Ok(Some(id))
}

/// Adds a receiver (or updates its secret and events). Empty `events`
/// subscribes to all. Returns the subscription id.
pub async fn subscribe(
    client: &impl GenericClient,
    url: &str,
    secret: &str,
    events: &[String],
) -> Result<i64, DbError> {
    let row = client
        .query_one(
            "INSERT INTO webhook_subscriptions (url, secret, events) VALUES ($1, $2, $3)
             ON CONFLICT (url) DO UPDATE SET secret = EXCLUDED.secret, events = EXCLUDED.events, active = true
             RETURNING id",
            &[&url, &secret, &events],
        )
        .await?;
    Ok(row.get(0))
}
