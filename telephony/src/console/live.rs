//! Live feeds for the console, as server-sent events:
//! `GET /api/console/calls` (every live call with its facts, sent again
//! whenever it changes; numbers masked) and `GET /api/calls/{sid}/live`
//! (one call's conversation: the lines so far, then each new line; an
//! audited view of PHI).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::Stream;
use serde_json::json;
use tokio::sync::broadcast;

use super::auth::Principal;
use super::board::Update;
use crate::server::AppState;

/// Every live call with the console's facts, numbers masked.
pub fn calls_now(s: &AppState) -> serde_json::Value {
    let board = s.console.board.lock().expect("board lock");
    let calls: Vec<serde_json::Value> = s
        .registry
        .list()
        .into_iter()
        .map(|c| {
            let facts = board.facts(&c.call_id);
            json!({
                "call_id": c.call_id,
                "direction": c.direction,
                "from": c.from.as_deref().map(crate::api::mask_number),
                "started_at": c.started_at,
                "state": c.state,
                "verified": facts.verified,
                "intent": facts.intent,
                "tier": facts.tier,
                "taken_over": facts.taken_over,
                "functions": facts.functions,
            })
        })
        .collect();
    json!(calls)
}

/// `GET /api/console/calls`.
pub async fn calls(State(s): State<Arc<AppState>>, p: Principal) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let mut rx = s.console.updates.subscribe();
    let stream = async_stream(move |tx| async move {
        let mut last = serde_json::Value::Null;
        // Registry state changes (ringing, speaking) are not events: a
        // second's tick catches them.
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        let mut ticks = 0u32;
        loop {
            ticks += 1;
            if ticks % SESSION_CHECK_TICKS == 0 && !still_signed_in(&s, &p).await {
                return;
            }
            let now = calls_now(&s);
            if now != last {
                if tx
                    .send(Event::default().event("calls").data(now.to_string()))
                    .await
                    .is_err()
                {
                    return;
                }
                last = now;
            }
            tokio::select! {
                r = rx.recv() => if matches!(r, Err(broadcast::error::RecvError::Closed)) { return },
                _ = tick.tick() => {}
                _ = s.hangup.cancelled() => return,
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

/// `GET /api/calls/{sid}/live`.
pub async fn call(State(s): State<Arc<AppState>>, p: Principal, Path(sid): Path<String>) -> Response {
    if !s.registry.contains(&sid) {
        return (StatusCode::NOT_FOUND, "no such live call\n").into_response();
    }
    if !crate::api::audit_read(&s, &p, "call.watch", &format!("call:{sid}/live"), Some(&sid)).await {
        return (StatusCode::SERVICE_UNAVAILABLE, "audit log unavailable\n").into_response();
    }
    let mut rx = s.console.updates.subscribe();
    let backlog = s.console.board.lock().expect("board lock").lines(&sid);
    let stream = async_stream(move |tx| async move {
        for l in backlog {
            if tx
                .send(Event::default().event("line").data(json!(l).to_string()))
                .await
                .is_err()
            {
                return;
            }
        }
        let mut check = tokio::time::interval(Duration::from_secs(SESSION_CHECK_TICKS as u64));
        check.tick().await;
        loop {
            let u = tokio::select! {
                u = rx.recv() => u,
                _ = check.tick() => {
                    if still_signed_in(&s, &p).await { continue } else { return }
                }
                _ = s.hangup.cancelled() => return,
            };
            let ev = match u {
                Ok(Update::Line(id, l)) if id == sid => Event::default().event("line").data(json!(l).to_string()),
                Ok(Update::Facts(id)) if id == sid => {
                    let facts = s.console.board.lock().expect("board lock").facts(&sid);
                    Event::default().event("facts").data(json!(facts).to_string())
                }
                Ok(Update::Ended(id)) if id == sid => {
                    let _ = tx.send(Event::default().event("ended").data("{}")).await;
                    return;
                }
                Ok(_) => continue,
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return,
            };
            if tx.send(ev).await.is_err() {
                return;
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default()).into_response()
}

/// Seconds between checks that a feed's session is still live.
const SESSION_CHECK_TICKS: u32 = 5;

/// Whether the feed's session is still live (signed out, expired or the
/// user disabled: the feed ends, and the page's reconnect is refused).
async fn still_signed_in(s: &AppState, p: &Principal) -> bool {
    let (super::auth::Via::Session { token, .. }, Some(agent)) = (&p.via, s.agent.as_ref()) else {
        return true;
    };
    functions::users::session_alive(agent.functions.pool(), token, &s.console.policy, chrono::Utc::now())
        .await
        .unwrap_or(true)
}

/// A stream fed by a task through a small channel (the task ends when the
/// browser goes away: its next send fails).
fn async_stream<F, Fut>(f: F) -> impl Stream<Item = Result<Event, Infallible>>
where
    F: FnOnce(tokio::sync::mpsc::Sender<Event>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    tokio::spawn(f(tx));
    futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|e| (Ok(e), rx)) })
}
