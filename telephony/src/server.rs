//! The HTTP server: Twilio webhook and media WebSocket, health, metrics and
//! the live-call API, with graceful shutdown.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use axum::Router;
use axum::extract::{State, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use metrics::counter;
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::ServerConfig;
use crate::registry::CallRegistry;
use crate::twilio::{signature, twiml};
use crate::{call, metrics as m};

/// Largest WebSocket message accepted at the transport level; the codec
/// applies the protocol's own, smaller limits and counts violations.
const WS_MAX_MESSAGE: usize = 64 * 1024;

/// The WebSocket read buffer. The WebSocket layer zero-fills its whole read
/// buffer before every socket read, so its 128 KiB default cost about a
/// quarter of the media plane's CPU at 400 calls; Twilio's messages are a few
/// hundred bytes, and a larger message takes several reads.
const WS_READ_BUFFER: usize = 4 * 1024;

/// A readiness probe for `/readyz` (models loaded, database reachable, ...).
pub trait ReadinessCheck: Send + Sync {
    /// Short name shown in the `/readyz` body.
    fn name(&self) -> &'static str;
    /// Whether the dependency is usable now.
    fn ready(&self) -> bool;
}

/// State shared by all handlers and calls.
pub struct AppState {
    /// Settings.
    pub config: ServerConfig,
    /// Live calls.
    pub registry: CallRegistry,
    /// Prometheus renderer.
    pub metrics: PrometheusHandle,
    /// Cancelled when live calls must hang up (end of the shutdown grace).
    pub hangup: CancellationToken,
    /// Tracks call tasks, to wait for them at shutdown.
    pub calls: TaskTracker,
    /// Dependencies that must be usable for `/readyz`.
    pub checks: Vec<Box<dyn ReadinessCheck>>,
    /// Loaded speech models (`repeat` and `agent` modes).
    pub speech: Option<Arc<crate::speech::SpeechEngines>>,
    /// Functions, catalog and call record (`agent` mode).
    pub agent: Option<Arc<crate::agent::AgentServices>>,
    /// Live call events for monitors (see [`crate::monitor`]).
    pub monitor: tokio::sync::broadcast::Sender<crate::monitor::MonitorEvent>,
    /// Transfers, stream tokens and Twilio's REST API.
    pub control: Arc<crate::control::CallControl>,
    /// Outbound verification calls (`None`: not configured).
    pub outbound: Option<Arc<crate::outbound::Outbound>>,
    /// The supervisor console (sessions policy, live board).
    pub console: crate::console::Console,
    /// Inboxes of live calls for supervisors' actions.
    pub supervision: crate::supervision::Supervision,
    /// The address the server is listening on, once it is.
    pub bound: std::sync::OnceLock<std::net::SocketAddr>,
    draining: AtomicBool,
}

impl AppState {
    /// State for a server with these settings and readiness checks.
    pub fn new(config: ServerConfig, checks: Vec<Box<dyn ReadinessCheck>>) -> Arc<Self> {
        Self::with_speech(config, checks, None)
    }

    /// State with loaded speech models.
    pub fn with_speech(
        config: ServerConfig,
        checks: Vec<Box<dyn ReadinessCheck>>,
        speech: Option<Arc<crate::speech::SpeechEngines>>,
    ) -> Arc<Self> {
        Self::build(config, checks, speech, None)
    }

    /// State with speech models and agent services (`agent` mode).
    pub fn build(
        config: ServerConfig,
        checks: Vec<Box<dyn ReadinessCheck>>,
        speech: Option<Arc<crate::speech::SpeechEngines>>,
        agent: Option<Arc<crate::agent::AgentServices>>,
    ) -> Arc<Self> {
        let rest = config.twilio_rest.clone().map(crate::twilio::rest::TwilioRest::new);
        let control = Arc::new(crate::control::CallControl::new(rest, config.staff.clone()));
        if config.twilio_auth_token.is_none() {
            tracing::warn!(
                "UNAUTHENTICATED: no Twilio auth token is configured, so webhook signatures and media stream \
                 tokens are not checked and anyone who reaches this port can talk to the agent; set \
                 TWILIO_AUTH_TOKEN for any real use"
            );
        }
        let outbound = config
            .outbound
            .clone()
            .map(|c| Arc::new(crate::outbound::Outbound::new(c)));
        Arc::new(Self {
            control,
            outbound,
            bound: std::sync::OnceLock::new(),
            console: crate::console::Console::default(),
            supervision: crate::supervision::Supervision::default(),
            speech,
            agent,
            monitor: tokio::sync::broadcast::channel(1024).0,
            config,
            registry: CallRegistry::new(),
            metrics: crate::metrics::handle(),
            hangup: CancellationToken::new(),
            calls: TaskTracker::new(),
            checks,
            draining: AtomicBool::new(false),
        })
    }
}

/// The router with every endpoint.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .route("/api/calls", get(list_calls))
        .route("/api/calls/recent", get(crate::console::supervise::recent))
        .route("/api/calls/{call_sid}/transcript", get(crate::api::transcript))
        .route("/api/calls/{call_sid}/live", get(crate::console::live::call))
        .route(
            "/api/calls/{call_sid}/recording",
            get(crate::console::recording::recording),
        )
        .route(
            "/api/calls/{call_sid}/guidance",
            post(crate::console::supervise::guidance),
        )
        .route(
            "/api/calls/{call_sid}/takeover",
            post(crate::console::supervise::take_over),
        )
        .route(
            "/api/calls/{call_sid}/handback",
            post(crate::console::supervise::hand_back),
        )
        .route("/api/calls/{call_sid}/speak", post(crate::console::supervise::speak))
        .route("/api/calls/{call_sid}/listen", post(crate::console::listen::listen))
        .route("/api/calls/{call_sid}/barge", post(crate::console::listen::barge))
        .route("/api/console/calls", get(crate::console::live::calls))
        .route("/api/me", get(crate::console::signin::me))
        .route("/console", get(crate::console::page::html))
        .route("/console/console.js", get(crate::console::page::js))
        .route("/console/console.css", get(crate::console::page::css))
        .route("/console/signin", post(crate::console::signin::sign_in))
        .route("/console/signout", post(crate::console::signin::sign_out))
        .route("/api/tasks", get(crate::api::tasks))
        .route("/api/tasks/{id}/close", post(crate::api::close_task))
        .route("/api/verifications", post(crate::api::verifications::create))
        .route(
            "/api/verifications/{id}",
            get(crate::api::verifications::show).delete(crate::api::verifications::cancel),
        )
        .route("/twilio/voice", post(voice_webhook))
        .route("/twilio/media", get(media_socket))
        .route("/twilio/stream-ended", post(crate::control::hooks::stream_ended))
        .route("/twilio/whisper", post(crate::control::hooks::whisper))
        .route("/twilio/dial-status", post(crate::control::hooks::dial_status))
        .route("/twilio/status", post(crate::control::hooks::status))
        .with_state(state)
}

/// Serves until `shutdown` resolves, then drains: stops accepting, lets live
/// calls run up to the grace period, then closes them cleanly.
pub async fn serve(
    listener: TcpListener,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let upkeep = {
        let handle = state.metrics.clone();
        let stop = state.hangup.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
            loop {
                tokio::select! {
                    _ = tick.tick() => handle.run_upkeep(),
                    _ = stop.cancelled() => break,
                }
            }
        })
    };
    if let Ok(a) = listener.local_addr() {
        let _ = state.bound.set(a);
    }
    // The configured API token becomes the token of the service user.
    if let (Some(agent), Some(token)) = (state.agent.as_ref(), state.config.api_token.as_deref())
        && let Err(e) = functions::users::ensure_service_token(
            agent.functions.pool(),
            crate::api::SERVICE_USER,
            functions::users::Role::Admin,
            token,
        )
        .await
    {
        tracing::error!(error = %e, "the configured API token could not be registered");
    }
    let dialer = tokio::spawn(crate::outbound::dialer::run(state.clone()));
    let board = tokio::spawn(crate::console::run_board(state.clone()));
    let drain_state = state.clone();
    let app = router(state.clone());
    // No Nagle: a frame followed by its mark must not hold the next frame
    // back until the far end's ACK (measured: +20 ms every mark on loopback).
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::warn!(error = %e, "TCP_NODELAY not set");
        }
    });
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown.await;
        drain_state.draining.store(true, Ordering::SeqCst);
        tracing::info!(
            live_calls = drain_state.registry.live_count(),
            "shutting down: no new connections"
        );
    })
    .await?;
    state.calls.close();
    let grace = state.config.shutdown_grace;
    if tokio::time::timeout(grace, state.calls.wait()).await.is_err() {
        tracing::warn!(
            live_calls = state.registry.live_count(),
            "grace period over: closing live calls"
        );
    }
    state.hangup.cancel();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), state.calls.wait()).await;
    upkeep.abort();
    dialer.abort();
    board.abort();
    tracing::info!("shutdown complete");
    Ok(())
}

async fn readyz(State(s): State<Arc<AppState>>) -> Response {
    if s.draining.load(Ordering::SeqCst) {
        return (StatusCode::SERVICE_UNAVAILABLE, "draining\n").into_response();
    }
    let failing: Vec<&str> = s.checks.iter().filter(|c| !c.ready()).map(|c| c.name()).collect();
    if failing.is_empty() {
        let body = if s.config.twilio_auth_token.is_none() {
            "ready (UNAUTHENTICATED: no Twilio auth token; webhook signatures and stream tokens are not checked)\n"
        } else {
            "ready\n"
        };
        (StatusCode::OK, body).into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {}\n", failing.join(", ")),
        )
            .into_response()
    }
}

async fn metrics_text(State(s): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    if let Some(token) = s.config.metrics_token.as_deref() {
        let given = crate::console::auth::bearer(&headers).unwrap_or_default();
        if !crate::console::auth::same(given, token) {
            return crate::console::auth::unauthorized("metrics need their bearer token");
        }
    }
    if let Some(p) = crate::metrics::ProcessFigures::read() {
        p.publish();
    }
    if let Some(speech) = s.speech.as_ref() {
        metrics::counter!(crate::metrics::STT_DROPPED).absolute(speech.stt.dropped());
        metrics::counter!(crate::metrics::STT_ABANDONED).absolute(speech.stt.abandoned());
        // Decodes stopped part way return no transcript to charge: the pool
        // keeps their CPU.
        metrics::counter!(crate::metrics::STAGE_CPU, "stage" => "stt_abandoned")
            .absolute(speech.stt.abandoned_cpu().as_micros() as u64);
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        s.metrics.render(),
    )
        .into_response()
}

/// Query of `GET /api/calls`.
#[derive(Debug, serde::Deserialize)]
struct ListQuery {
    /// `full`: phone numbers in full (an audited read of PHI).
    #[serde(default)]
    numbers: Option<String>,
}

/// Live calls, for signed-in users and API tokens. Phone numbers are PHI:
/// only their last four digits, unless `?numbers=full` asks for them whole,
/// a read written to the audit log.
async fn list_calls(
    State(s): State<Arc<AppState>>,
    p: crate::console::auth::Principal,
    axum::extract::Query(q): axum::extract::Query<ListQuery>,
) -> Response {
    let mut calls = s.registry.list();
    let full = q.numbers.as_deref() == Some("full");
    if full && !crate::api::audit_read(&s, &p, "calls.list", "calls:live", None).await {
        return (StatusCode::SERVICE_UNAVAILABLE, "audit log unavailable\n").into_response();
    }
    if !full {
        for c in &mut calls {
            c.from = c.from.as_deref().map(crate::api::mask_number);
            c.to = c.to.as_deref().map(crate::api::mask_number);
        }
    }
    axum::Json(calls).into_response()
}

/// Base URL as Twilio sees this server.
pub(crate) fn public_base(s: &AppState, headers: &HeaderMap) -> String {
    if let Some(u) = &s.config.public_url {
        return u.trim_end_matches('/').to_owned();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let proto = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("http");
    format!("{proto}://{host}")
}

async fn voice_webhook(State(s): State<Arc<AppState>>, uri: Uri, headers: HeaderMap, body: String) -> Response {
    let form = match crate::control::hooks::verify(&s, &uri, &headers, &body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let base = public_base(&s, &headers);
    let get = |k: &str| form.get(k);
    let call_sid = get("CallSid").unwrap_or_default();
    // Warm the call before its stream arrives: register it now so the stream
    // finds its state ready (later: model sessions, database connection).
    if !call_sid.is_empty() {
        s.registry.prepare(
            call_sid,
            get("From").map(str::to_owned),
            get("To").map(str::to_owned),
            Instant::now(),
        );
        s.control.note_call(call_sid, &base);
    }
    let ws_base = base.replacen("https://", "wss://", 1).replacen("http://", "ws://", 1);
    let stream_url = format!("{ws_base}/twilio/media");
    let token = s.control.tokens.issue(call_sid, Instant::now());
    let mut tw_params = Vec::new();
    for k in ["From", "To", "CallSid"] {
        if let Some(v) = get(k) {
            tw_params.push((k, v));
        }
    }
    tw_params.push((crate::control::tokens::TOKEN_PARAMETER, token.as_str()));
    let action = format!("{base}/twilio/stream-ended");
    (
        [(header::CONTENT_TYPE, "text/xml")],
        twiml::connect_stream(&stream_url, Some(&action), &tw_params),
    )
        .into_response()
}

async fn media_socket(State(s): State<Arc<AppState>>, uri: Uri, headers: HeaderMap, ws: WebSocketUpgrade) -> Response {
    if s.draining.load(Ordering::SeqCst) {
        return (StatusCode::SERVICE_UNAVAILABLE, "draining\n").into_response();
    }
    // Twilio signs the upgrade request: the stream URL, no parameters.
    if let Some(token) = &s.config.twilio_auth_token {
        let base = public_base(&s, &headers)
            .replacen("https://", "wss://", 1)
            .replacen("http://", "ws://", 1);
        let url = format!("{base}{}", uri.path_and_query().map_or(uri.path(), |p| p.as_str()));
        let sig = headers.get("x-twilio-signature").and_then(|h| h.to_str().ok());
        if !sig.is_some_and(|sig| signature::validate(token, &url, &[], sig)) {
            counter!(m::STREAMS_REFUSED, "reason" => "signature").increment(1);
            tracing::warn!("media stream refused: bad or missing X-Twilio-Signature on the upgrade");
            return (StatusCode::FORBIDDEN, "invalid signature\n").into_response();
        }
    }
    let tracker = s.calls.clone();
    ws.max_message_size(WS_MAX_MESSAGE)
        .max_frame_size(WS_MAX_MESSAGE)
        .read_buffer_size(WS_READ_BUFFER)
        .on_upgrade(move |socket| tracker.track_future(call::run(socket, s)))
}
