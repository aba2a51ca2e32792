//! One call: the thin async loop around [`session::CallSession`].

pub mod echo;
pub mod session;

use std::sync::Arc;
use std::time::Instant;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::{SinkExt, StreamExt};
use metrics::{gauge, histogram};

use crate::metrics as m;
use crate::registry::CallState;
use crate::server::AppState;
use session::{CallEvent, CallSession, Output};

/// Runs one Media Streams WebSocket to its end.
pub async fn run(socket: WebSocket, app: Arc<AppState>) {
    let (mut tx, mut rx) = socket.split();
    let mut session = CallSession::new(app.config.clone(), Instant::now());
    let mut call_id: Option<String> = None;
    let mut shutdown_seen = false;
    'call: loop {
        while let Some(out) = session.poll_output() {
            match out {
                Output::Send(text) => {
                    if tx.send(Message::Text(text.into())).await.is_err() {
                        session.handle_disconnect();
                    }
                }
                Output::Close(code, reason) => {
                    let frame = CloseFrame {
                        code,
                        reason: reason.into(),
                    };
                    let _ = tx.send(Message::Close(Some(frame))).await;
                }
                Output::Event(ev) => on_event(&app, &mut call_id, ev, &session),
            }
        }
        if session.is_ended() {
            break 'call;
        }
        let deadline = tokio::time::Instant::from_std(session.poll_timeout(Instant::now()));
        tokio::select! {
            biased;
            _ = app.hangup.cancelled(), if !shutdown_seen => {
                shutdown_seen = true;
                session.handle_shutdown();
            }
            msg = rx.next() => match msg {
                Some(Ok(Message::Text(t))) => session.handle_text(t.as_str(), Instant::now()),
                Some(Ok(Message::Binary(b))) => session.handle_binary(b.len(), Instant::now()),
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => session.handle_disconnect(),
            },
            _ = tokio::time::sleep_until(deadline) => session.handle_timeout(Instant::now()),
        }
    }
    let _ = tx.close().await;
}

fn on_event(app: &AppState, call_id: &mut Option<String>, ev: CallEvent, session: &CallSession) {
    match ev {
        CallEvent::Started(start) => {
            let p = &start.custom_parameters;
            app.registry.attach(
                &start.call_sid,
                &start.stream_sid,
                p.get("From").cloned(),
                p.get("To").cloned(),
            );
            gauge!(m::ACTIVE_CALLS).increment(1.0);
            tracing::info!(call_id = %start.call_sid, stream_id = %start.stream_sid, "stream started");
            *call_id = Some(start.call_sid);
        }
        CallEvent::State(state) => {
            if let Some(id) = call_id {
                app.registry.set_state(id, state);
            }
        }
        CallEvent::Dtmf(_) => tracing::debug!(call_id = call_id.as_deref(), "dtmf digit"),
        CallEvent::BargeIn(cut) => {
            for c in cut {
                tracing::info!(
                    call_id = call_id.as_deref(),
                    utterance = c.utterance.0,
                    heard_ms = c.heard_ms,
                    confirmed_ms = c.confirmed_ms,
                    total_ms = c.total_ms,
                    "barge-in: playback cleared"
                );
            }
        }
        CallEvent::Ended(reason) => {
            if let Some(id) = call_id.take() {
                app.registry.set_state(&id, CallState::Ending);
                app.registry.remove(&id);
                gauge!(m::ACTIVE_CALLS).decrement(1.0);
                histogram!(m::CALL_DURATION).record(session.age(Instant::now()).as_secs_f64());
                tracing::info!(call_id = %id, end = reason.label(), "call closed");
            }
        }
    }
}
