//! Listening to a live call in the browser: `POST /api/calls/{sid}/listen`
//! takes the browser's WebRTC offer (`{type, sdp}`) and answers; the server
//! then sends the call's audio, caller and bot mixed, as PCMU (the call's
//! own 8 kHz µ-law: no transcoding on either side) over DTLS-SRTP.
//! `POST /api/calls/{sid}/barge` does the same and also takes the
//! supervisor's microphone, played to the caller.
//!
//! The WebRTC stack is str0m (sans-IO); this module is its thin async shell:
//! one UDP socket and one task per listening browser, fed by the call task
//! through a bounded queue it never waits on ([`crate::supervision`]).
//! ICE-lite: the browser checks connectivity, the server answers.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use metrics::{gauge, histogram};
use str0m::change::SdpOffer;
use str0m::crypto::CryptoProvider;
use str0m::format::Codec;
use str0m::media::{Frequency, MediaTime, Mid, Pt};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, IceConnectionState, Input, Output, Rtc, RtcConfig};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

use super::auth::Principal;
use crate::metrics as m;
use crate::server::AppState;
use crate::supervision::{Command, LISTEN_QUEUE, ListenFrame, Undelivered, VOICE_QUEUE};

/// A leg that has not connected by then is given up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);

fn crypto() -> Arc<CryptoProvider> {
    static P: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    P.get_or_init(|| Arc::new(str0m::crypto::from_feature_flags())).clone()
}

/// The address browsers reach this server's media at: the configured one,
/// else the HTTP listener's, else loopback.
fn media_ip(s: &AppState) -> IpAddr {
    if let Some(ip) = s.config.console_media_ip {
        return ip;
    }
    match s.bound.get().map(SocketAddr::ip) {
        Some(ip) if !ip.is_unspecified() => ip,
        _ => IpAddr::V4(Ipv4Addr::LOCALHOST),
    }
}

/// `POST /api/calls/{sid}/listen`.
pub async fn listen(
    State(s): State<Arc<AppState>>,
    p: Principal,
    Path(sid): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    open_leg(&s, &p, &sid, &body, false).await
}

/// `POST /api/calls/{sid}/barge`: as `listen`, with the supervisor's
/// microphone (the offer's audio sends too) played to the caller while the
/// bot yields the floor; closing the connection ends the barge-in.
pub async fn barge(
    State(s): State<Arc<AppState>>,
    p: Principal,
    Path(sid): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    open_leg(&s, &p, &sid, &body, true).await
}

async fn open_leg(s: &Arc<AppState>, p: &Principal, sid: &str, body: &[u8], barge: bool) -> Response {
    let (s, sid) = (s.clone(), sid.to_owned());
    if let Err(r) = p.require_supervisor() {
        return r;
    }
    if !s.registry.contains(&sid) {
        return (StatusCode::NOT_FOUND, "no such live call\n").into_response();
    }
    let offer: SdpOffer = match serde_json::from_slice(body) {
        Ok(o) => o,
        Err(e) => {
            return (
                StatusCode::BAD_REQUEST,
                format!("send the browser's offer {{type, sdp}}: {e}\n"),
            )
                .into_response();
        }
    };
    let socket = match UdpSocket::bind((media_ip(&s), 0)).await {
        Ok(sock) => sock,
        Err(e) => {
            tracing::warn!(error = %e, "listen: no UDP port");
            return (StatusCode::SERVICE_UNAVAILABLE, "no media port\n").into_response();
        }
    };
    let Ok(local) = socket.local_addr() else {
        return (StatusCode::SERVICE_UNAVAILABLE, "no media port\n").into_response();
    };
    let mut rtc = RtcConfig::new()
        .set_crypto_provider(crypto())
        .set_ice_lite(true)
        .clear_codecs()
        .enable_pcmu(true, false)
        .build(Instant::now());
    match Candidate::host(local, "udp") {
        Ok(c) => {
            rtc.add_local_candidate(c);
        }
        Err(e) => {
            tracing::warn!(error = %e, "listen: bad host candidate");
            return (StatusCode::SERVICE_UNAVAILABLE, "no media port\n").into_response();
        }
    }
    let answer = match rtc.sdp_api().accept_offer(offer) {
        Ok(a) => a,
        Err(e) => {
            return (
                StatusCode::BAD_REQUEST,
                format!("offer not usable (audio with PCMU needed): {e}\n"),
            )
                .into_response();
        }
    };
    let action = if barge { "call.barge" } else { "call.listen" };
    if !crate::api::audit_read(&s, p, action, &format!("call:{sid}/audio"), Some(&sid)).await {
        return (StatusCode::SERVICE_UNAVAILABLE, "audit log unavailable\n").into_response();
    }
    let (tx, rx) = mpsc::channel(LISTEN_QUEUE);
    let (voice_tx, cmd) = if barge {
        let (vtx, vrx) = mpsc::channel(VOICE_QUEUE);
        let cmd = Command::Barge {
            by: p.user.username.clone(),
            frames: tx,
            voice: vrx,
        };
        (Some(vtx), cmd)
    } else {
        let cmd = Command::Listen {
            by: p.user.username.clone(),
            frames: tx,
        };
        (None, cmd)
    };
    match s.supervision.send(&sid, cmd) {
        Ok(()) => {}
        Err(e @ Undelivered::NoSuchCall) => return (StatusCode::NOT_FOUND, format!("{e}\n")).into_response(),
        Err(e @ Undelivered::Busy) => return (StatusCode::SERVICE_UNAVAILABLE, format!("{e}\n")).into_response(),
    }
    if barge {
        tracing::info!(call_id = %sid, by = %p.user.username, action = "barge_in", "supervisor action");
        let _ = s.monitor.send(crate::monitor::MonitorEvent {
            call_sid: sid.clone(),
            what: crate::monitor::MonitorNote::Supervisor {
                by: p.user.username.clone(),
                action: "barge_in",
                text: None,
            },
        });
    }
    let stop = s.hangup.clone();
    let who = p.user.username.clone();
    tokio::spawn(async move {
        gauge!(m::LISTENERS).increment(1.0);
        let why = run(rtc, socket, local, rx, voice_tx, stop).await;
        gauge!(m::LISTENERS).decrement(1.0);
        tracing::info!(call_id = %sid, by = %who, end = why, "listening leg closed");
    });
    Json(answer).into_response()
}

/// Runs one listening leg until the browser goes, the call ends or the
/// server stops; returns why it ended.
async fn run(
    mut rtc: Rtc,
    socket: UdpSocket,
    local: SocketAddr,
    mut frames: mpsc::Receiver<ListenFrame>,
    voice: Option<mpsc::Sender<Vec<u8>>>,
    stop: tokio_util::sync::CancellationToken,
) -> &'static str {
    let mut buf = vec![0u8; 2000];
    let mut mid: Option<Mid> = None;
    let mut pt: Option<Pt> = None;
    let mut sent: u64 = 0;
    let mut connected = false;
    let born = Instant::now();
    loop {
        let timeout = loop {
            match rtc.poll_output() {
                Ok(Output::Timeout(t)) => break t,
                Ok(Output::Transmit(t)) => {
                    let _ = socket.send_to(&t.contents, t.destination).await;
                }
                Ok(Output::Event(ev)) => match ev {
                    Event::Connected => connected = true,
                    Event::MediaAdded(added) => mid = Some(added.mid),
                    Event::MediaData(data) => {
                        // The barging supervisor's microphone (PCMU: the
                        // only codec offered back), for the caller.
                        if let Some(v) = voice.as_ref()
                            && data.params.spec().codec == Codec::PCMU
                            && v.try_send(data.data.to_vec()).is_err()
                        {
                            metrics::counter!(m::VOICE_FRAMES_DROPPED).increment(1);
                        }
                    }
                    Event::IceConnectionStateChange(IceConnectionState::Disconnected) => return "browser gone",
                    _ => {}
                },
                Err(e) => {
                    tracing::warn!(error = %e, "listening leg failed");
                    return "webrtc error";
                }
            }
        };
        if !rtc.is_alive() {
            return "closed";
        }
        if !connected && born.elapsed() > CONNECT_TIMEOUT {
            return "never connected";
        }
        let wait = tokio::time::Instant::from_std(timeout.max(Instant::now()));
        let input = tokio::select! {
            r = socket.recv_from(&mut buf) => match r {
                Ok((n, source)) => match buf[..n].try_into() {
                    Ok(contents) => Input::Receive(Instant::now(), Receive {
                        proto: Protocol::Udp,
                        source,
                        destination: local,
                        contents,
                    }),
                    Err(_) => continue,
                },
                Err(e) => {
                    tracing::debug!(error = %e, "listening leg: receive failed");
                    continue;
                }
            },
            f = frames.recv() => {
                let Some(frame) = f else { return "call ended" };
                if let Some(mid) = mid
                    && let Some(writer) = rtc.writer(mid)
                {
                    let pt = *pt.get_or_insert_with(|| {
                        writer
                            .payload_params()
                            .find(|p| p.spec().codec == Codec::PCMU)
                            .map(|p| p.pt())
                            .unwrap_or(Pt::from(0))
                    });
                    let time = MediaTime::new(sent * 160, Frequency::EIGHT_KHZ);
                    histogram!(m::LISTEN_QUEUE_DELAY).record(frame.at.elapsed().as_secs_f64());
                    if let Err(e) = writer.write(pt, Instant::now(), time, frame.ulaw.to_vec()) {
                        tracing::debug!(error = %e, "listening leg: frame not written");
                    }
                    sent += 1;
                }
                continue;
            }
            _ = tokio::time::sleep_until(wait) => Input::Timeout(Instant::now()),
            _ = stop.cancelled() => return "server stopping",
        };
        if let Err(e) = rtc.handle_input(input) {
            tracing::debug!(error = %e, "listening leg: input refused");
        }
    }
}
