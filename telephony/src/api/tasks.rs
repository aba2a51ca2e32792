//! The staff queue over HTTP: `GET /api/tasks` (open tasks, `?all=true`
//! for closed ones too) and `POST /api/tasks/{id}/close`. Tasks carry
//! callback numbers and patient ids, so both need a signed-in user or a
//! user's API token, and every list is audited with the user's name.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::console::auth::Principal;
use crate::server::AppState;

/// Query of `GET /api/tasks`.
#[derive(Debug, Deserialize)]
pub struct TaskQuery {
    /// Closed tasks too.
    #[serde(default)]
    all: bool,
}

/// Body of `POST /api/tasks/{id}/close` (who closed it is the signed-in user).
#[derive(Debug, Deserialize, Default)]
pub struct CloseBody {
    /// What was done.
    #[serde(default)]
    resolution: Option<String>,
}

/// `GET /api/tasks`.
pub async fn tasks(State(s): State<Arc<AppState>>, p: Principal, Query(q): Query<TaskQuery>) -> Response {
    let Some(agent) = s.agent.as_ref() else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    if !super::audit_read(&s, &p, "tasks.list", "tasks", None).await {
        return (StatusCode::SERVICE_UNAVAILABLE, "audit log unavailable\n").into_response();
    }
    match functions::tasks::list(agent.functions.pool(), q.all, 500).await {
        Ok(list) => Json(list).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "task list failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response()
        }
    }
}

/// `POST /api/tasks/{id}/close` with an optional JSON body `{resolution}`.
pub async fn close_task(State(s): State<Arc<AppState>>, p: Principal, Path(id): Path<i64>, req: Request) -> Response {
    let Some(agent) = s.agent.as_ref() else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let bytes = match axum::body::to_bytes(req.into_body(), 16 * 1024).await {
        Ok(b) => b,
        Err(_) => return (StatusCode::PAYLOAD_TOO_LARGE, "body too large\n").into_response(),
    };
    let body: CloseBody = if bytes.is_empty() {
        CloseBody::default()
    } else {
        match serde_json::from_slice(&bytes) {
            Ok(b) => b,
            Err(e) => return (StatusCode::BAD_REQUEST, format!("invalid JSON: {e}\n")).into_response(),
        }
    };
    let by = p.actor();
    let resolution = body.resolution.unwrap_or_else(|| "done".into());
    match functions::tasks::close(agent.functions.pool(), id, &by, &resolution).await {
        Ok(true) => Json(serde_json::json!({"id": id, "status": "closed"})).into_response(),
        Ok(false) => (StatusCode::NOT_FOUND, "no such open task\n").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "task close failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response()
        }
    }
}
