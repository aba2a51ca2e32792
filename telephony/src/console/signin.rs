//! Signing in and out: `POST /console/signin` (`{username, password}` →
//! a session cookie, HttpOnly and SameSite=Strict, Secure behind https, and
//! the session's CSRF token), `POST /console/signout`, `GET /api/me`.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use functions::audit::AuditEntry;
use functions::users::{self, UsersError};
use serde::Deserialize;
use serde_json::json;

use super::auth::{Principal, SESSION_COOKIE, Via};
use crate::server::AppState;

/// Body of `POST /console/signin`.
#[derive(Deserialize)]
pub struct SignInBody {
    username: String,
    password: String,
}

fn cookie_attrs(s: &AppState) -> &'static str {
    let https = s
        .config
        .public_url
        .as_deref()
        .is_some_and(|u| u.starts_with("https://"));
    if https {
        "HttpOnly; SameSite=Strict; Path=/; Secure"
    } else {
        "HttpOnly; SameSite=Strict; Path=/"
    }
}

/// Whether a sign-in comes from this site's own page (no cross-site
/// sign-in into an attacker's account): an `Origin`, when sent, must name
/// this host.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    origin.split_once("://").is_some_and(|(_, h)| h == host)
}

/// `POST /console/signin`.
pub async fn sign_in(State(s): State<Arc<AppState>>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let Some(agent) = s.agent.as_ref() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "no database in this mode: no sign-in\n",
        )
            .into_response();
    };
    if !same_origin(&headers) {
        return super::auth::forbidden("cross-site sign-in");
    }
    let body: SignInBody = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(_) => {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({"error": "send {username, password}"})),
            )
                .into_response();
        }
    };
    let pool = agent.functions.pool();
    match users::sign_in(
        pool,
        &body.username,
        &body.password,
        &s.console.policy,
        chrono::Utc::now(),
    )
    .await
    {
        Ok(session) => {
            let entry = AuditEntry {
                actor: session.user.actor(),
                action: "console.signin".into(),
                resource: format!("user:{}", session.user.username),
                call_sid: None,
                remote_addr: None,
            };
            if let Err(e) = functions::audit::record(pool, &entry).await {
                tracing::error!(error = %e, "audit write failed: sign-in refused");
                let _ = users::sign_out(pool, &session.token).await;
                return (StatusCode::SERVICE_UNAVAILABLE, "audit log unavailable\n").into_response();
            }
            tracing::info!(user = %session.user.username, "signed in");
            let max_age = s.console.policy.absolute.as_secs();
            let cookie = format!(
                "{SESSION_COOKIE}={}; Max-Age={max_age}; {}",
                session.token,
                cookie_attrs(&s)
            );
            (
                [(header::SET_COOKIE, cookie)],
                Json(json!({
                    "username": session.user.username,
                    "role": session.user.role,
                    "csrf": session.csrf,
                })),
            )
                .into_response()
        }
        Err(e @ (UsersError::BadCredentials | UsersError::Locked { .. })) => {
            tracing::warn!(user = %body.username, why = %e, "sign-in refused");
            (StatusCode::UNAUTHORIZED, Json(json!({"error": e.to_string()}))).into_response()
        }
        Err(e) => {
            tracing::warn!(error = %e, "sign-in failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response()
        }
    }
}

/// `POST /console/signout` (with the CSRF token, like every change).
pub async fn sign_out(State(s): State<Arc<AppState>>, p: Principal) -> Response {
    if let (Via::Session { token, .. }, Some(agent)) = (&p.via, s.agent.as_ref())
        && let Err(e) = users::sign_out(agent.functions.pool(), token).await
    {
        tracing::warn!(error = %e, "sign-out failed");
        return (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response();
    }
    let cookie = format!("{SESSION_COOKIE}=; Max-Age=0; {}", cookie_attrs(&s));
    ([(header::SET_COOKIE, cookie)], Json(json!({"signed_out": true}))).into_response()
}

/// `GET /api/me`: who is signed in (and the session's CSRF token, for a page
/// reloaded with its cookie).
pub async fn me(p: Principal) -> Response {
    let csrf = match &p.via {
        Via::Session { csrf, .. } => Some(csrf.clone()),
        Via::Token => None,
    };
    Json(json!({"username": p.user.username, "role": p.user.role, "csrf": csrf})).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn sign_in_from_another_site_is_refused() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8080"));
        assert!(same_origin(&h));
        h.insert(header::ORIGIN, HeaderValue::from_static("http://127.0.0.1:8080"));
        assert!(same_origin(&h));
        h.insert(header::ORIGIN, HeaderValue::from_static("https://evil.example"));
        assert!(!same_origin(&h));
    }
}
