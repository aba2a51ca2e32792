//! Outbound benefits verifications over HTTP: `POST /api/verifications`
//! (`{patient_id, medication, payer_phone?}` → `202 {"id"}`), `GET
//! /api/verifications/{id}` (status and the answers so far; an audited PHI
//! read) and `DELETE /api/verifications/{id}` (cancel; a call under way is
//! hung up). For signed-in users and API tokens, like the other APIs.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use functions::benefits_verification::{self as bv, NewVerification, VerificationError};
use serde::Deserialize;
use serde_json::json;

use crate::console::auth::Principal;
use crate::server::AppState;

/// Body of `POST /api/verifications`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    /// Whose benefits.
    pub patient_id: i64,
    /// Which drug.
    pub medication: String,
    /// The number to call instead of the payer's provider line on record.
    #[serde(default)]
    pub payer_phone: Option<String>,
}

fn unavailable(e: impl std::fmt::Display) -> Response {
    tracing::warn!(error = %e, "verification API: database failed");
    (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response()
}

/// `POST /api/verifications`.
pub async fn create(State(s): State<Arc<AppState>>, p: Principal, req: Request) -> Response {
    let Some(agent) = s.agent.clone() else {
        return unavailable("no agent");
    };
    let body = match axum::body::to_bytes(req.into_body(), 64 * 1024).await {
        Ok(b) => b,
        Err(_) => return (StatusCode::PAYLOAD_TOO_LARGE, "body too large\n").into_response(),
    };
    let body: CreateBody = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({"error": format!("invalid body: {e}")})),
            )
                .into_response();
        }
    };
    let new = NewVerification {
        patient_id: body.patient_id,
        medication: body.medication,
        payer_phone: body.payer_phone,
        requested_by: p.actor(),
    };
    let client = match agent.functions.pool().get().await {
        Ok(c) => c,
        Err(e) => return unavailable(e),
    };
    match bv::create(&**client, &new).await {
        Ok(id) => {
            if let Some(o) = s.outbound.as_ref() {
                o.wake();
            }
            (
                StatusCode::ACCEPTED,
                [(header::LOCATION, format!("/api/verifications/{id}"))],
                Json(json!({"id": id, "status": "queued"})),
            )
                .into_response()
        }
        Err(VerificationError::Db(e)) => unavailable(e),
        Err(e @ VerificationError::PatientNotFound(_)) => {
            (StatusCode::NOT_FOUND, Json(json!({"error": e.to_string()}))).into_response()
        }
        Err(e) => (StatusCode::UNPROCESSABLE_ENTITY, Json(json!({"error": e.to_string()}))).into_response(),
    }
}

/// `GET /api/verifications/{id}`.
pub async fn show(State(s): State<Arc<AppState>>, p: Principal, Path(id): Path<i64>) -> Response {
    let Some(agent) = s.agent.clone() else {
        return unavailable("no agent");
    };
    let resource = format!("verification:{id}");
    if !super::audit_read(&s, &p, "verification.read", &resource, None).await {
        return (StatusCode::SERVICE_UNAVAILABLE, "audit log unavailable\n").into_response();
    }
    let client = match agent.functions.pool().get().await {
        Ok(c) => c,
        Err(e) => return unavailable(e),
    };
    match bv::view(&**client, id).await {
        Ok(Some(v)) => Json(v).into_response(),
        Ok(None) => (StatusCode::NOT_FOUND, "no such verification\n").into_response(),
        Err(e) => unavailable(e),
    }
}

/// `DELETE /api/verifications/{id}`.
pub async fn cancel(State(s): State<Arc<AppState>>, p: Principal, Path(id): Path<i64>) -> Response {
    let Some(agent) = s.agent.clone() else {
        return unavailable("no agent");
    };
    let client = match agent.functions.pool().get().await {
        Ok(c) => c,
        Err(e) => return unavailable(e),
    };
    let call = match bv::view(&**client, id).await {
        Ok(Some(v)) => v,
        Ok(None) => return (StatusCode::NOT_FOUND, "no such verification\n").into_response(),
        Err(e) => return unavailable(e),
    };
    match bv::cancel(&**client, id).await {
        Ok(true) => {
            let active = call["status"].as_str().is_some_and(|st| bv::ACTIVE.contains(&st));
            if let (true, Some(sid), Some(rest)) = (active, call["call_sid"].as_str(), s.control.rest.as_ref())
                && let Err(e) = rest.update_call(sid, &crate::twilio::rest::CallUpdate::Complete).await
            {
                tracing::warn!(call_id = sid, error = %e, "canceled verification: hang-up failed");
            }
            tracing::info!(verification = id, by = %p.user.username, "verification canceled");
            Json(json!({"id": id, "status": "canceled"})).into_response()
        }
        Ok(false) => (
            StatusCode::CONFLICT,
            Json(json!({"error": "already finished", "status": call["status"]})),
        )
            .into_response(),
        Err(e) => unavailable(e),
    }
}
