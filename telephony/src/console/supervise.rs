//! A supervisor's actions on a live call, each audited with their name
//! before it is carried out: `POST /api/calls/{sid}/guidance` (`{text}`:
//! typed guidance the bot acts on at its next turn, unheard by the caller),
//! `…/takeover` (the bot goes silent), `…/speak` (`{text}`: the
//! supervisor's words, spoken to the caller while the call is theirs),
//! `…/handback`. Staff may watch but not act (403). Also `GET
//! /api/calls/recent`: the last finished calls, for the console's history.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use dialog::{Guidance, Supervisor};
use serde::Deserialize;
use serde_json::json;

use super::auth::Principal;
use crate::monitor::{MonitorEvent, MonitorNote};
use crate::server::AppState;
use crate::supervision::{Command, Undelivered};

/// Body of `guidance` and `speak`.
#[derive(Deserialize)]
pub struct TextBody {
    text: String,
}

/// What the bot understands as guidance, for a refusal.
const GUIDANCE_HELP: &str =
    "the bot can act on: \"transfer now\", \"offer a callback\", \"say: <words to say to the caller>\"";

async fn act(
    s: &AppState,
    p: &Principal,
    sid: &str,
    input: Supervisor,
    action: &'static str,
    text: Option<String>,
) -> Response {
    if let Err(r) = p.require_supervisor() {
        return r;
    }
    if !s.registry.contains(&sid) {
        return (StatusCode::NOT_FOUND, "no such live call\n").into_response();
    }
    if !crate::api::audit_read(s, p, &format!("call.{action}"), &format!("call:{sid}"), Some(sid)).await {
        return (StatusCode::SERVICE_UNAVAILABLE, "audit log unavailable\n").into_response();
    }
    let cmd = Command::Dialog {
        input,
        by: p.user.username.clone(),
    };
    match s.supervision.send(sid, cmd) {
        Ok(()) => {
            tracing::info!(call_id = sid, by = %p.user.username, action, "supervisor action");
            let _ = s.monitor.send(MonitorEvent {
                call_sid: sid.to_owned(),
                what: MonitorNote::Supervisor {
                    by: p.user.username.clone(),
                    action,
                    text,
                },
            });
            Json(json!({"call_id": sid, "done": action})).into_response()
        }
        Err(e @ Undelivered::NoSuchCall) => (StatusCode::NOT_FOUND, format!("{e}\n")).into_response(),
        Err(e @ Undelivered::Busy) => (StatusCode::SERVICE_UNAVAILABLE, format!("{e}\n")).into_response(),
    }
}

fn text_of(body: &axum::body::Bytes) -> Result<String, Response> {
    match serde_json::from_slice::<TextBody>(body) {
        Ok(b) if !b.text.trim().is_empty() && b.text.chars().count() <= dialog::supervision::MAX_SPOKEN => {
            Ok(b.text.trim().to_owned())
        }
        _ => Err((
            StatusCode::BAD_REQUEST,
            Json(json!({"error": format!("send {{text}}: 1 to {} characters", dialog::supervision::MAX_SPOKEN)})),
        )
            .into_response()),
    }
}

/// `POST /api/calls/{sid}/guidance`.
pub async fn guidance(
    State(s): State<Arc<AppState>>,
    p: Principal,
    Path(sid): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let text = match text_of(&body) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let Some(g) = Guidance::parse(&text) else {
        return (StatusCode::UNPROCESSABLE_ENTITY, Json(json!({"error": GUIDANCE_HELP}))).into_response();
    };
    act(&s, &p, &sid, Supervisor::Guide(g), "guide", Some(text)).await
}

/// `POST /api/calls/{sid}/takeover`.
pub async fn take_over(State(s): State<Arc<AppState>>, p: Principal, Path(sid): Path<String>) -> Response {
    act(&s, &p, &sid, Supervisor::TakeOver, "take_over", None).await
}

/// `POST /api/calls/{sid}/handback`.
pub async fn hand_back(State(s): State<Arc<AppState>>, p: Principal, Path(sid): Path<String>) -> Response {
    act(&s, &p, &sid, Supervisor::HandBack, "hand_back", None).await
}

/// `POST /api/calls/{sid}/speak`.
pub async fn speak(
    State(s): State<Arc<AppState>>,
    p: Principal,
    Path(sid): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let text = match text_of(&body) {
        Ok(t) => t,
        Err(r) => return r,
    };
    if !s.console.board.lock().expect("board lock").facts(&sid).taken_over {
        return (StatusCode::CONFLICT, "take the call over first\n").into_response();
    }
    act(&s, &p, &sid, Supervisor::Speak(text), "speak", None).await
}

/// `GET /api/calls/recent`: the last 50 calls (no PHI: numbers masked).
pub async fn recent(State(s): State<Arc<AppState>>, _p: Principal) -> Response {
    let Some(agent) = s.agent.as_ref() else {
        return (StatusCode::SERVICE_UNAVAILABLE, "no database in this mode\n").into_response();
    };
    let rows = async {
        let client = agent.functions.pool().get().await?;
        client
            .query(
                "SELECT call_sid, from_number, started_at, ended_at, end_reason, outcome
                 FROM voice_calls ORDER BY started_at DESC LIMIT 50",
                &[],
            )
            .await
            .map_err(functions::DbError::from)
    }
    .await;
    match rows {
        Ok(rows) => {
            let ts = |c: Option<chrono::DateTime<chrono::Utc>>| c.map(|t| t.to_rfc3339());
            let list: Vec<serde_json::Value> = rows
                .iter()
                .map(|r| {
                    json!({
                        "call_id": r.get::<_, String>(0),
                        "from": r.get::<_, Option<String>>(1).as_deref().map(crate::api::mask_number),
                        "started_at": ts(r.get(2)),
                        "ended_at": ts(r.get(3)),
                        "end_reason": r.get::<_, Option<String>>(4),
                        "outcome": r.get::<_, Option<String>>(5),
                    })
                })
                .collect();
            Json(list).into_response()
        }
        Err(e) => {
            tracing::warn!(error = %e, "recent calls failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response()
        }
    }
}
