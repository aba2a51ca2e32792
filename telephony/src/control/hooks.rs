//! Twilio's requests about a call besides the voice webhook, each verified
//! with `X-Twilio-Signature`: the `<Connect action>` (the stream ended), the
//! whisper to the person who answers a transfer, the `<Dial action>` (how
//! the dial ended) and call status callbacks.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use metrics::counter;
use serde::Deserialize;
use serde_json::json;

use super::directory::Line;
use crate::metrics as m;
use crate::server::AppState;
use crate::twilio::{signature, twiml};

/// A form body of a Twilio request, after its signature was checked.
pub(crate) struct Signed(pub Vec<(String, String)>);

impl Signed {
    /// The value of parameter `k`.
    pub fn get(&self, k: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
    }
}

/// Parses a form body and checks its signature (when an auth token is
/// configured) against the URL Twilio requested. The error is the answer
/// to send as is (handlers return it at once; boxing buys nothing).
#[allow(clippy::result_large_err)]
pub(crate) fn verify(s: &AppState, uri: &Uri, headers: &HeaderMap, body: &str) -> Result<Signed, Response> {
    let params: Vec<(String, String)> = serde_urlencoded::from_str(body)
        .map_err(|_| (StatusCode::BAD_REQUEST, "malformed form body\n").into_response())?;
    if let Some(token) = &s.config.twilio_auth_token {
        let base = crate::server::public_base(s, headers);
        let url = format!("{base}{}", uri.path_and_query().map_or(uri.path(), |p| p.as_str()));
        let sig = headers.get("x-twilio-signature").and_then(|h| h.to_str().ok());
        if !sig.is_some_and(|sig| signature::validate(token, &url, &params, sig)) {
            counter!(m::SIGNATURE_REJECTS).increment(1);
            tracing::warn!(
                path = uri.path(),
                "Twilio request refused: bad or missing X-Twilio-Signature"
            );
            return Err((StatusCode::FORBIDDEN, "invalid signature\n").into_response());
        }
    }
    Ok(Signed(params))
}

fn xml(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/xml")], body).into_response()
}

/// The key of a transfer in the whisper and dial-status URLs.
#[derive(Debug, Deserialize)]
pub(crate) struct Key {
    k: Option<String>,
}

/// `<Connect action>`: the stream ended. A transfer whose REST redirect
/// failed is answered here; otherwise the call is over.
pub(crate) async fn stream_ended(
    State(s): State<Arc<AppState>>,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> Response {
    let form = match verify(&s, &uri, &headers, &body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let sid = form.get("CallSid").unwrap_or_default();
    match s.control.take_next(sid) {
        Some(next) => {
            tracing::info!(call_id = sid, "stream ended: transfer TwiML from the connect action");
            xml(next)
        }
        None => xml(twiml::hangup()),
    }
}

/// `<Number url>`: what the person who answers hears before the calls are
/// bridged.
pub(crate) async fn whisper(
    State(s): State<Arc<AppState>>,
    Query(q): Query<Key>,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> Response {
    if let Err(r) = verify(&s, &uri, &headers, &body) {
        return r;
    }
    let text =
        q.k.as_deref()
            .and_then(|k| s.control.whisper(k))
            .unwrap_or_else(|| "Transferred call from the pharmacy benefits line.".into());
    xml(twiml::say(&[&text]))
}

/// `<Dial action>`: how the dial ended. Answered: the call is over. Not
/// answered (no-answer, busy, failed, canceled): a callback task, and the
/// caller hears what will happen (or, if the task could not be stored, that
/// they should call again: never a promise nothing keeps).
pub(crate) async fn dial_status(
    State(s): State<Arc<AppState>>,
    Query(q): Query<Key>,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> Response {
    let form = match verify(&s, &uri, &headers, &body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let status = form.get("DialCallStatus").unwrap_or("failed").to_owned();
    let sid = form.get("CallSid").unwrap_or_default().to_owned();
    let plan = q.k.as_deref().and_then(|k| s.control.plan(k));
    let line = plan.as_ref().map_or(Line::T1, |p| p.1);
    let pool = s.agent.as_ref().map(|a| a.functions.pool().clone());
    counter!(m::TRANSFERS, "line" => line.label(), "result" => status_label(&status)).increment(1);
    let detail = json!({"line": line.label(), "dial_status": status,
                        "duration_s": form.get("DialCallDuration").and_then(|d| d.parse::<i64>().ok())});
    let mut task_ok = false;
    if let Some(pool) = &pool {
        let res = async {
            let client = pool.get().await?;
            let key = format!("{sid}:dial:{}", q.k.as_deref().unwrap_or("-"));
            functions::tasks::call_event(&**client, &sid, "dial", &detail, Some(&key)).await?;
            if status != "completed"
                && let Some((_, _, mut task)) = plan.clone()
            {
                task.reason = format!("dial_{}", status.replace('-', "_"));
                functions::tasks::create(&**client, &task).await?;
            }
            Ok::<_, functions::DbError>(())
        }
        .await;
        match res {
            Ok(()) => task_ok = plan.is_some(),
            Err(e) => tracing::error!(call_id = %sid, error = %e, "dial result not recorded"),
        }
    }
    if status == "completed" {
        tracing::info!(call_id = %sid, line = line.label(), "transfer answered and finished");
        return xml(twiml::hangup());
    }
    tracing::info!(call_id = %sid, line = line.label(), dial_status = %status, "transfer not answered");
    let mut lines: Vec<String> = Vec::new();
    if line == Line::Emergency {
        lines.push("If this is a medical emergency, hang up and dial 9 1 1.".into());
    }
    lines.push(if task_ok {
        format!(
            "I'm sorry, nobody could take your call right now. We've asked {} to call you back as soon as possible. Goodbye.",
            line.role()
        )
    } else {
        "I'm sorry, nobody could take your call right now. Please call us again later. Goodbye.".into()
    });
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    xml(twiml::say_then_hangup(&refs))
}

fn status_label(s: &str) -> &'static str {
    match s {
        "completed" => "answered",
        "no-answer" => "no_answer",
        "busy" => "busy",
        "canceled" => "canceled",
        _ => "failed",
    }
}

/// Call status callbacks: the call record follows Twilio's view of the call.
pub(crate) async fn status(State(s): State<Arc<AppState>>, uri: Uri, headers: HeaderMap, body: String) -> Response {
    let form = match verify(&s, &uri, &headers, &body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let (Some(sid), Some(status)) = (form.get("CallSid"), form.get("CallStatus")) else {
        return (StatusCode::BAD_REQUEST, "CallSid and CallStatus are required\n").into_response();
    };
    const KNOWN: &[&str] = &[
        "queued",
        "initiated",
        "ringing",
        "in-progress",
        "answered",
        "completed",
        "busy",
        "no-answer",
        "failed",
        "canceled",
    ];
    if !KNOWN.contains(&status) {
        return (StatusCode::BAD_REQUEST, "unknown CallStatus\n").into_response();
    }
    counter!(m::STATUS_CALLBACKS, "status" => status.to_owned()).increment(1);
    crate::outbound::dialer::on_status(&s, sid, status).await;
    let Some(pool) = s.agent.as_ref().map(|a| a.functions.pool().clone()) else {
        return StatusCode::NO_CONTENT.into_response();
    };
    let detail = json!({
        "status": status,
        "duration_s": form.get("CallDuration").and_then(|d| d.parse::<i64>().ok()),
        "sequence": form.get("SequenceNumber").and_then(|d| d.parse::<i64>().ok()),
        "direction": form.get("Direction"),
    });
    let res = async {
        let client = pool.get().await?;
        client
            .execute(
                "INSERT INTO voice_calls (call_sid, direction, from_number, to_number, twilio_status)
                 VALUES ($1, coalesce($3, 'inbound'), $4, $5, $2)
                 ON CONFLICT (call_sid) DO UPDATE SET twilio_status = EXCLUDED.twilio_status",
                &[
                    &sid,
                    &status,
                    &form.get("Direction"),
                    &form.get("From"),
                    &form.get("To"),
                ],
            )
            .await?;
        let key = format!("{sid}:status:{status}");
        functions::tasks::call_event(&**client, sid, "status", &detail, Some(&key)).await
    }
    .await;
    match res {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => {
            // Twilio retries nothing, but a 5xx shows in its debugger.
            tracing::error!(call_id = sid, error = %e, "status callback not recorded");
            (StatusCode::SERVICE_UNAVAILABLE, "not recorded\n").into_response()
        }
    }
}
