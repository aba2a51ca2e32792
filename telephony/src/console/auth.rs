//! Who is asking: a signed-in session (cookie, with its CSRF token on every
//! state-changing request) or a user's API token (`Authorization: Bearer`).
//! Every `/api/…` handler takes a [`Principal`]; without one it answers 401.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use functions::users::{self, Role, User};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::server::AppState;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "sb_session";

/// Header that carries a session's CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// How a request proved who it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// A console session (its cookie value and CSRF token).
    Session {
        /// The cookie value.
        token: String,
        /// The session's CSRF token.
        csrf: String,
    },
    /// A user's API token.
    Token,
}

/// An authenticated user making this request.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The user.
    pub user: User,
    /// How they proved it.
    pub via: Via,
    /// Their IP address.
    pub remote: Option<String>,
}

impl Principal {
    /// How this user appears in the audit log.
    pub fn actor(&self) -> String {
        self.user.actor()
    }

    /// 403 unless the user may join live calls (supervisors and admins).
    pub fn require_supervisor(&self) -> Result<(), Response> {
        if self.user.role.may_join_calls() {
            Ok(())
        } else {
            Err(forbidden("supervisors only"))
        }
    }

    /// 403 unless the user is an admin.
    pub fn require_admin(&self) -> Result<(), Response> {
        if self.user.role == Role::Admin {
            Ok(())
        } else {
            Err(forbidden("admins only"))
        }
    }
}

/// A 403 answer.
pub fn forbidden(why: &str) -> Response {
    (StatusCode::FORBIDDEN, format!("forbidden: {why}\n")).into_response()
}

/// A 401 answer.
pub fn unauthorized(why: &str) -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Bearer")],
        format!("{why}\n"),
    )
        .into_response()
}

/// The value of cookie `name` in `headers`.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The bearer token of `headers`.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// Constant-time comparison (over MACs, so lengths leak nothing either).
pub fn same(given: &str, expected: &str) -> bool {
    let mac = |v: &str| {
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(b"switchboard-token-compare").expect("any key length");
        m.update(v.as_bytes());
        m
    };
    let tag = mac(expected).finalize().into_bytes();
    mac(given).verify_slice(&tag).is_ok()
}

/// Whether a request with `method` changes state (and so needs the CSRF token).
fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The user behind `headers`; for a session and a state-changing `method`,
/// its CSRF token must be in [`CSRF_HEADER`].
pub async fn authenticate(s: &AppState, method: &Method, headers: &HeaderMap) -> Result<(User, Via), Response> {
    let Some(agent) = s.agent.as_ref() else {
        // No database (echo and repeat modes): the configured token only,
        // as its service user.
        return match (bearer(headers), s.config.api_token.as_deref()) {
            (Some(given), Some(token)) if same(given, token) => Ok((
                User {
                    id: 0,
                    username: crate::api::SERVICE_USER.into(),
                    role: Role::Admin,
                },
                Via::Token,
            )),
            _ => Err(unauthorized("sign in or send a user's API token")),
        };
    };
    let pool = agent.functions.pool();
    if let Some(given) = bearer(headers) {
        return match users::by_token(pool, given).await {
            Ok(Some(user)) => Ok((user, Via::Token)),
            Ok(None) => Err(unauthorized("unknown or revoked API token")),
            Err(e) => {
                tracing::warn!(error = %e, "token check failed");
                Err((StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response())
            }
        };
    }
    let Some(token) = cookie(headers, SESSION_COOKIE) else {
        return Err(unauthorized("sign in or send a user's API token"));
    };
    match users::session(pool, token, &s.console.policy, chrono::Utc::now()).await {
        Ok(Some(session)) => {
            if changes_state(method) {
                let given = headers
                    .get(CSRF_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                if !same(given, &session.csrf) {
                    return Err(forbidden("missing or wrong CSRF token"));
                }
            }
            Ok((
                session.user,
                Via::Session {
                    token: token.to_owned(),
                    csrf: session.csrf,
                },
            ))
        }
        Ok(None) => Err(unauthorized("session expired or signed out: sign in again")),
        Err(e) => {
            tracing::warn!(error = %e, "session check failed");
            Err((StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response())
        }
    }
}

impl FromRequestParts<Arc<AppState>> for Principal {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, s: &Arc<AppState>) -> Result<Self, Self::Rejection> {
        let (user, via) = authenticate(s, &parts.method, &parts.headers).await?;
        let remote = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string());
        Ok(Self { user, via, remote })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn cookies_are_found_by_name() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_static("a=1; sb_session=xyz; b=2"));
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("xyz"));
        assert_eq!(cookie(&h, "c"), None);
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(same("abc", "abc"));
        assert!(!same("abd", "abc"));
        assert!(!same("ab", "abc"));
        assert!(!same("", "abc"));
    }

    #[test]
    fn only_reads_skip_the_csrf_check() {
        assert!(!changes_state(&Method::GET));
        assert!(changes_state(&Method::POST));
        assert!(changes_state(&Method::DELETE));
    }
}
