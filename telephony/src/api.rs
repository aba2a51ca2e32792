//! The PHI read API: a finished call's transcript and analysis, for
//! supervisors and back-office systems. Only for a signed-in user or a
//! user's API token ([`Principal`]), and every read is written to the audit
//! log first, with the user's name (no audit row, no read).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Json;
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use functions::audit::{self, AuditEntry};
use serde_json::json;

use crate::console::auth::Principal;
use crate::server::AppState;

mod tasks;
pub mod verifications;
pub use tasks::{close_task, tasks};

/// The user of the API token configured as `SWITCHBOARD_API_TOKEN` (an
/// admin service account for scripts and back-office systems).
pub const SERVICE_USER: &str = "api";

/// `GET /api/calls/{call_sid}/transcript`.
pub async fn transcript(State(s): State<Arc<AppState>>, p: Principal, Path(call_sid): Path<String>) -> Response {
    let Some(agent) = s.agent.as_ref() else {
        return (StatusCode::SERVICE_UNAVAILABLE, "no database in this mode\n").into_response();
    };
    let pool = agent.functions.pool();
    let resource = format!("call:{call_sid}/transcript");
    if !audit_read(&s, &p, "transcript.read", &resource, Some(&call_sid)).await {
        return (StatusCode::SERVICE_UNAVAILABLE, "audit log unavailable\n").into_response();
    }
    match load(pool, &call_sid).await {
        Ok(Some(mut body)) => {
            // Whether its recording can be played (`…/recording`).
            let recorded = match (s.config.recording.as_ref(), media::recording::file_name(&call_sid)) {
                (Some(cfg), Some(name)) => tokio::fs::try_exists(cfg.dir.join(name)).await.unwrap_or(false),
                _ => false,
            };
            body["recorded"] = json!(recorded);
            Json(body).into_response()
        }
        Ok(None) => (StatusCode::NOT_FOUND, "no such call\n").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "transcript read failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response()
        }
    }
}

/// Writes the audit row of `p`'s read of (or action on) PHI. False when it
/// could not be written: then the read must not happen.
pub async fn audit_read(s: &AppState, p: &Principal, action: &str, resource: &str, call_sid: Option<&str>) -> bool {
    let Some(agent) = s.agent.as_ref() else {
        return false;
    };
    let entry = AuditEntry {
        actor: p.actor(),
        action: action.into(),
        resource: resource.into(),
        call_sid: call_sid.map(str::to_owned),
        remote_addr: p.remote.clone(),
    };
    match audit::record(agent.functions.pool(), &entry).await {
        Ok(()) => true,
        Err(e) => {
            tracing::error!(error = %e, "audit write failed: PHI read refused");
            false
        }
    }
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
}
