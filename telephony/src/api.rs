//! The PHI read API: a finished call's transcript and analysis, for
//! supervisors and back-office systems. Bearer-token protected, and every
//! read is written to the audit log first (no audit row, no read).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Json;
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use functions::audit::{self, AuditEntry};
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::server::AppState;

mod tasks;
pub mod verifications;
pub use tasks::{close_task, tasks};

/// `GET /api/calls/{call_sid}/transcript`.
pub async fn transcript(State(s): State<Arc<AppState>>, Path(call_sid): Path<String>, req: Request) -> Response {
    if s.config.api_token.is_none() {
        return (StatusCode::NOT_FOUND, "transcript API off: set SWITCHBOARD_API_TOKEN\n").into_response();
    }
    if !authorized(&s, &req) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "missing or wrong bearer token\n",
        )
            .into_response();
    }
    let Some(agent) = s.agent.as_ref() else {
        return (StatusCode::SERVICE_UNAVAILABLE, "no database in this mode\n").into_response();
    };
    let pool = agent.functions.pool();
    let resource = format!("call:{call_sid}/transcript");
    if !audit_read(&s, remote(&req), "transcript.read", &resource, Some(&call_sid)).await {
        return (StatusCode::SERVICE_UNAVAILABLE, "audit log unavailable\n").into_response();
    }
    match load(pool, &call_sid).await {
        Ok(Some(body)) => Json(body).into_response(),
        Ok(None) => (StatusCode::NOT_FOUND, "no such call\n").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "transcript read failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response()
        }
    }
}

/// Why a database-backed API request cannot be served (the `what` API is
/// off, the token is missing or wrong, no database in this mode), as the
/// answer to send; `None` when it can.
pub(crate) fn refuse(s: &AppState, req: &Request, what: &str) -> Option<Response> {
    if s.config.api_token.is_none() {
        return Some(
            (
                StatusCode::NOT_FOUND,
                format!("{what} API off: set SWITCHBOARD_API_TOKEN\n"),
            )
                .into_response(),
        );
    }
    if !authorized(s, req) {
        return Some(
            (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                "missing or wrong bearer token\n",
            )
                .into_response(),
        );
    }
    if s.agent.is_none() {
        return Some((StatusCode::SERVICE_UNAVAILABLE, "no database in this mode\n").into_response());
    }
    None
}

/// Whether `req` carries the configured API token.
pub fn authorized(s: &AppState, req: &Request) -> bool {
    let Some(token) = s.config.api_token.as_deref() else {
        return false;
    };
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    same(given, token)
}

/// Writes the audit row of an API read of PHI (actor: the token's
/// fingerprint; `remote`, the reader's address). False when it could not be written:
/// then the read must not happen.
pub async fn audit_read(
    s: &AppState,
    remote: Option<String>,
    action: &str,
    resource: &str,
    call_sid: Option<&str>,
) -> bool {
    let (Some(agent), Some(_)) = (s.agent.as_ref(), s.config.api_token.as_deref()) else {
        return false;
    };
    let entry = AuditEntry {
        actor: actor(s),
        action: action.into(),
        resource: resource.into(),
        call_sid: call_sid.map(str::to_owned),
        remote_addr: remote,
    };
    match audit::record(agent.functions.pool(), &entry).await {
        Ok(()) => true,
        Err(e) => {
            tracing::error!(error = %e, "audit write failed: PHI read refused");
            false
        }
    }
}

/// Who an API request acts as: the API token's fingerprint.
pub fn actor(s: &AppState) -> String {
    let token = s.config.api_token.as_deref().unwrap_or_default();
    format!(
        "api:{}",
        &functions::ingest::hex(&Sha256::digest(token.as_bytes()))[..8]
    )
}

/// The reader's IP address, when the server was given connection info.
pub fn remote(req: &Request) -> Option<String> {
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
}

/// A phone number with all but its last four digits hidden.
pub fn mask_number(n: &str) -> String {
    let digits: Vec<char> = n.chars().filter(char::is_ascii_digit).collect();
    let tail: String = digits[digits.len().saturating_sub(4)..].iter().collect();
    format!("***{tail}")
}

/// Constant-time token comparison (over MACs, so lengths leak nothing either).
fn same(given: &str, expected: &str) -> bool {
    let mac = |v: &str| {
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(b"switchboard-api-token").expect("any key length");
        m.update(v.as_bytes());
        m
    };
    let tag = mac(expected).finalize().into_bytes();
    mac(given).verify_slice(&tag).is_ok()
}

async fn load(pool: &deadpool_postgres::Pool, call_sid: &str) -> Result<Option<serde_json::Value>, functions::DbError> {
    let client = pool.get().await?;
    let Some(call) = client
        .query_opt(
            "SELECT started_at, ended_at, end_reason, outcome, analysis FROM voice_calls WHERE call_sid = $1",
            &[&call_sid],
        )
        .await?
    else {
        return Ok(None);
    };
    let utterances = functions::calls::load_utterances(&**client, call_sid).await?;
    let ts = |c: Option<chrono::DateTime<chrono::Utc>>| c.map(|t| t.to_rfc3339());
    Ok(Some(json!({
        "call_sid": call_sid,
        "started_at": ts(call.get(0)),
        "ended_at": ts(call.get(1)),
        "end_reason": call.get::<_, Option<String>>(2),
        "outcome": call.get::<_, Option<String>>(3),
        "analysis": call.get::<_, Option<serde_json::Value>>(4),
        "utterances": utterances,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_only_their_last_four_digits() {
        assert_eq!(mask_number("+1 (555) 010-0199"), "***0199");
        assert_eq!(mask_number("12"), "***12");
        assert_eq!(mask_number("anonymous"), "***");
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(same("abc", "abc"));
        assert!(!same("abd", "abc"));
        assert!(!same("ab", "abc"));
        assert!(!same("", "abc"));
    }
}
