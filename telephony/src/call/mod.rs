//! One call: the thin async loop around [`session::CallSession`].

pub mod agent;
pub mod echo;
pub mod events;
pub mod recording;
pub mod session;
pub mod speech;
pub mod turn_clock;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::{SinkExt, StreamExt};
use media::playout::UtteranceId;
use media::resample::{StreamResampler, f32_to_i16};
use metrics::{counter, gauge, histogram};
use models::stt::JobKind;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::metrics as m;
use crate::monitor::{MonitorEvent, MonitorNote};
use crate::registry::CallState;
use crate::server::AppState;
use events::AgentNote;
use functions::calls::CallRecord;
use session::{CallEvent, CallSession, Output};

/// Runs one Media Streams WebSocket to its end.
pub async fn run(socket: WebSocket, app: Arc<AppState>) {
    let (mut tx, mut rx) = socket.split();
    let silero = app.speech.as_ref().map(|s| s.silero.clone());
    let mut session = CallSession::new(app.config.clone(), Instant::now(), silero)
        .with_closed_tiers(app.control.directory.closed_tiers(chrono::Utc::now()));
    if let Some(agent) = app.agent.as_ref() {
        session = session.with_catalog(agent.catalog.clone());
        if let Some(intents) = agent.intents.clone() {
            session = session.with_intents(intents);
        }
    }
    if let Some(outbound) = app.outbound.as_ref() {
        session = session.with_outbound(outbound.clone());
    }
    // With Twilio's auth token configured, only a stream started by our own
    // signed voice webhook (its one-time token) is served.
    if app.config.twilio_auth_token.is_some() {
        let control = app.control.clone();
        session = session.with_stream_check(Arc::new(move |start| {
            let token = start
                .custom_parameters
                .get(crate::control::tokens::TOKEN_PARAMETER)
                .map_or("", String::as_str);
            // A verification call's token was issued for its job (the call
            // had no SID yet when its TwiML was written).
            let key = match start.custom_parameters.get(crate::outbound::JOB_PARAMETER) {
                Some(job) => job
                    .parse::<i64>()
                    .map_or_else(|_| String::new(), crate::outbound::token_key),
                None => start.call_sid.clone(),
            };
            control.tokens.redeem(token, &key, Instant::now())
        }));
    }
    let mut caller_from: Option<String> = None;
    let (atx, mut arx) = mpsc::channel::<Async>(256);
    let mut call_id: Option<String> = None;
    let mut recorder: Option<recording::Recorder> = None;
    let mut shutdown_seen = false;
    let mut payer_writer: Option<crate::outbound::progress::ProgressWriter> = None;
    // The call of this stream (kept past its end, for a payer call's job).
    let mut stream_call_sid: Option<String> = None;
    // Where this stream starts on its call's timeline (a payer call's later streams).
    let mut offset_ms: u64 = 0;
    // Supervisors' actions on this call (agent mode).
    let mut inbox: Option<mpsc::Receiver<crate::supervision::Command>> = None;
    // Supervisors listening to this call.
    let mut listeners: Vec<mpsc::Sender<crate::supervision::ListenFrame>> = Vec::new();
    // A barging supervisor's microphone, and who they are.
    let mut voice: Option<(mpsc::Receiver<Vec<u8>>, String)> = None;
    // Speculative and partial decodes under way, to withdraw when stale.
    let mut decoding: HashMap<(u64, JobKind), CancellationToken> = HashMap::new();
    // Bot lines below this id were cut by a barge-in (read by the synthesis pool).
    let cleared = Arc::new(AtomicU64::new(0));
    // When the bot's lines asked for so far should have finished playing (an estimate).
    let mut speaking_until = Instant::now();
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
                Output::Event(ev) => {
                    if let CallEvent::Started(start) = &ev {
                        caller_from = start.custom_parameters.get("From").cloned();
                        stream_call_sid = Some(start.call_sid.clone());
                        if app.agent.is_some() {
                            inbox = Some(app.supervision.register(&start.call_sid));
                        }
                        if let (true, Some(o)) = (
                            start.custom_parameters.contains_key(crate::outbound::JOB_PARAMETER),
                            app.outbound.as_ref(),
                        ) {
                            offset_ms = o.stream_offset_ms(&start.call_sid, Instant::now());
                        }
                        if let Some(cfg) = app.config.recording.as_ref() {
                            recorder = recording::Recorder::start(cfg, &start.call_sid);
                        }
                    }
                    let ev = match ev {
                        CallEvent::Transcript(mut u) => {
                            u.started_ms += offset_ms;
                            u.ended_ms += offset_ms;
                            CallEvent::Transcript(u)
                        }
                        other => other,
                    };
                    on_event(&app, &mut call_id, ev, &session)
                }
                Output::TranscribeSupervisor(u) => {
                    transcribe_supervisor(&app, u, voice.as_ref().map(|v| v.1.clone()), &atx)
                }
                Output::Listen(frame) => {
                    let frame = crate::supervision::ListenFrame {
                        at: Instant::now(),
                        ulaw: frame.into(),
                    };
                    listeners.retain(|l| match l.try_send(frame.clone()) {
                        Ok(()) => true,
                        Err(mpsc::error::TrySendError::Full(_)) => {
                            counter!(m::LISTEN_FRAMES_DROPPED).increment(1);
                            true
                        }
                        Err(mpsc::error::TrySendError::Closed(_)) => false,
                    });
                    if listeners.is_empty() {
                        session.stop_listening();
                    }
                }
                Output::Record { interleaved, last } => {
                    if let Some(r) = recorder.as_mut() {
                        r.push(interleaved, last);
                    }
                }
                Output::Decode(req) => decode(&app, &mut session, req, &atx, &mut decoding),
                Output::CancelDecode(stale) => {
                    if let Some(token) = decoding.remove(&(stale.utterance, stale.kind)) {
                        token.cancel();
                    }
                }
                Output::Say(id, text) => say(&app, &mut session, id, text, &atx, &cleared, &mut speaking_until),
                Output::Call(id, request) => call_function(&app, call_id.clone(), id, request, &atx),
                Output::Transfer(order) => {
                    if let Some(sid) = call_id.as_deref() {
                        transfer(&app, sid, caller_from.as_deref(), order).await;
                    }
                }
                Output::Task(order) => {
                    if let Some(sid) = call_id.as_deref() {
                        queue_task(&app, sid, caller_from.as_deref(), &order);
                    }
                }
                Output::SendDigits(digits) => {
                    if let (Some(sid), Some(job)) = (call_id.clone(), session.payer_job()) {
                        let app = app.clone();
                        tokio::spawn(async move {
                            crate::outbound::dialer::send_digits(&app, &sid, job, &digits).await;
                        });
                    }
                }
                Output::PayerProgress(job, progress) => {
                    if let (Some(sid), Some(agent), Some(outbound)) =
                        (call_id.as_deref(), app.agent.as_ref(), app.outbound.as_ref())
                    {
                        let writer = payer_writer.get_or_insert_with(|| {
                            crate::outbound::progress::ProgressWriter::spawn(
                                agent.functions.pool().clone(),
                                sid.to_owned(),
                                outbound.cfg.backoff,
                            )
                        });
                        writer.send(job, crate::outbound::progress::Note::Progress(progress));
                    }
                }
            }
        }
        let cut_below = session.bot_audio_cleared_below();
        if cleared.swap(cut_below, Ordering::Relaxed) != cut_below {
            // A barge-in cut the bot: what it was going to say is void.
            speaking_until = Instant::now();
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
            Some(cmd) = next_command(&mut inbox) => match cmd {
                crate::supervision::Command::Dialog { input, by } => {
                    supervise(&app, &mut session, call_id.as_deref(), input, by);
                }
                crate::supervision::Command::Listen { by, frames } => {
                    tracing::info!(call_id = call_id.as_deref(), by = %by, "supervisor listening");
                    listeners.push(frames);
                    session.start_listening(Instant::now());
                }
                crate::supervision::Command::Barge { by, frames, voice: mic } => {
                    listeners.push(frames);
                    session.start_listening(Instant::now());
                    if voice.is_none() {
                        supervise(&app, &mut session, call_id.as_deref(), dialog::Supervisor::BargeIn, by.clone());
                        voice = Some((mic, by));
                    }
                }
            },
            heard = next_voice(&mut voice) => match heard {
                Some(ulaw) => session.handle_supervisor_voice(&ulaw, Instant::now()),
                None => {
                    let by = voice.take().map(|v| v.1).unwrap_or_default();
                    session.end_supervisor_voice(Instant::now());
                    supervise(&app, &mut session, call_id.as_deref(), dialog::Supervisor::BargeEnded, by.clone());
                    if let Some(sid) = call_id.as_ref() {
                        let _ = app.monitor.send(MonitorEvent {
                            call_sid: sid.clone(),
                            what: MonitorNote::Supervisor { by, action: "barge_ended", text: None },
                        });
                    }
                }
            },
            Some(done) = arx.recv() => match done {
                Async::Decoded { utterance, kind, text, audio_ms, overruled } => {
                    decoding.remove(&(utterance, kind));
                    if let Some(hinted) = overruled {
                        session.handle_hint_overruled(hinted, Instant::now());
                    }
                    session.handle_decoded(utterance, kind, text, audio_ms, Instant::now());
                }
                Async::BotAudio { id, ulaw, last } => session.handle_bot_audio(id, &ulaw, last, Instant::now()),
                Async::FunctionDone { id, outcome } => session.handle_function_result(id, outcome, Instant::now()),
                Async::SupervisorSaid(u) => on_event(&app, &mut call_id, CallEvent::Transcript(u), &session),
            },
            _ = tokio::time::sleep_until(deadline) => session.handle_timeout(Instant::now()),
        }
    }
    let _ = tx.close().await;
    if let (Some(_), Some(sid)) = (inbox.take(), stream_call_sid.as_deref()) {
        app.supervision.unregister(sid);
    }
    if let Some(r) = recorder.take() {
        r.close().await;
    }
    // A verification call's conversation: kept for the call's next stream
    // (digits are being played), or its job settled if the call dropped.
    if let (Some((job, conversation)), Some(outbound)) = (session.take_payer_call(), app.outbound.as_ref()) {
        if conversation.awaits_stream() {
            outbound.park(job, conversation);
        } else if conversation.outcome().is_none()
            && let (Some(agent), Some(sid)) = (app.agent.as_ref(), stream_call_sid)
        {
            // (A resumed stream may have reported nothing, so has no writer yet.)
            let writer = payer_writer.take().unwrap_or_else(|| {
                crate::outbound::progress::ProgressWriter::spawn(
                    agent.functions.pool().clone(),
                    sid,
                    outbound.cfg.backoff,
                )
            });
            writer.send(job, crate::outbound::progress::Note::Dropped);
        }
    }
}

/// The next supervisor command, when the call has an inbox.
async fn next_command(
    inbox: &mut Option<mpsc::Receiver<crate::supervision::Command>>,
) -> Option<crate::supervision::Command> {
    match inbox.as_mut() {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// The next frame of a barging supervisor's voice; `None` once their leg
/// closed (never resolves while nobody barges).
async fn next_voice(voice: &mut Option<(mpsc::Receiver<Vec<u8>>, String)>) -> Option<Vec<u8>> {
    match voice.as_mut() {
        Some((rx, _)) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// Carries out a supervisor's command and writes it to the call record
/// (guidance text included: it is part of what happened on the call).
fn supervise(app: &AppState, session: &mut CallSession, call_sid: Option<&str>, input: dialog::Supervisor, by: String) {
    let (kind, text) = match &input {
        dialog::Supervisor::Guide(g) => (
            "supervisor_guidance",
            Some(match g {
                dialog::Guidance::Transfer => "transfer".to_owned(),
                dialog::Guidance::Callback => "callback".to_owned(),
                dialog::Guidance::Say(t) => format!("say: {t}"),
            }),
        ),
        dialog::Supervisor::TakeOver => ("supervisor_took_over", None),
        dialog::Supervisor::HandBack => ("supervisor_handed_back", None),
        dialog::Supervisor::BargeIn => ("supervisor_barged_in", None),
        dialog::Supervisor::BargeEnded => ("supervisor_barge_ended", None),
        // Their words go into the transcript as their own lines.
        dialog::Supervisor::Speak(_) => ("supervisor_spoke", None),
    };
    if !session.handle_supervisor(input, Instant::now()) {
        tracing::info!(
            call_id = call_sid,
            "supervisor action ignored: no patient dialog on this call"
        );
        return;
    }
    if let (Some(agent), Some(sid)) = (app.agent.as_ref(), call_sid)
        && kind != "supervisor_spoke"
    {
        agent.log.record(CallRecord::Event {
            call_sid: sid.to_owned(),
            event: functions::calls::CallEventEntry {
                kind: kind.into(),
                detail: serde_json::json!({"by": by, "guidance": text}),
            },
        });
    }
}

/// Redirects the live call to staff (or a callback notice) before the
/// stream closes, and writes what happened to the call record.
async fn transfer(app: &AppState, call_sid: &str, from: Option<&str>, order: crate::control::TransferOrder) {
    let done = app.control.transfer(call_sid, from, &order, chrono::Utc::now()).await;
    tracing::info!(
        call_id = call_sid,
        line = done.event["line"].as_str(),
        result = done.event["result"].as_str(),
        via = done.event["via"].as_str(),
        "transfer"
    );
    if let Some(agent) = app.agent.as_ref() {
        agent.log.record(CallRecord::Event {
            call_sid: call_sid.to_owned(),
            event: functions::calls::CallEventEntry {
                kind: "transfer".into(),
                detail: done.event,
            },
        });
        if let Some(task) = done.task {
            agent.log.record(CallRecord::Task {
                call_sid: call_sid.to_owned(),
                task,
            });
        }
    }
}

/// Records a staff task the dialog promised.
fn queue_task(app: &AppState, call_sid: &str, from: Option<&str>, order: &crate::control::TaskOrder) {
    let Some(agent) = app.agent.as_ref() else {
        return;
    };
    let line = crate::control::directory::Line::for_transfer(order.tier, order.reason);
    let task = app.control.callback_task(
        call_sid,
        from,
        line,
        order.reason,
        Some(&order.handoff),
        chrono::Utc::now(),
    );
    agent.log.record(CallRecord::Task {
        call_sid: call_sid.to_owned(),
        task,
    });
}

/// Results of work done off the call task.
enum Async {
    Decoded {
        utterance: u64,
        kind: JobKind,
        text: Option<String>,
        audio_ms: u32,
        /// What the hinted decode heard when the plain one overruled it.
        overruled: Option<String>,
    },
    BotAudio {
        id: UtteranceId,
        ulaw: Vec<u8>,
        last: bool,
    },
    FunctionDone {
        id: dialog::tools::CallId,
        outcome: dialog::tools::Outcome,
    },
    /// A barging supervisor's words, transcribed.
    SupervisorSaid(events::Utterance),
}

/// Transcribes a barging supervisor's utterance off the call task (the
/// shared Whisper pool, no hint); the line comes back on `atx`.
fn transcribe_supervisor(
    app: &AppState,
    u: session::supervisor_voice::SupervisorUtterance,
    by: Option<String>,
    atx: &mpsc::Sender<Async>,
) {
    let Some(speech) = app.speech.as_ref() else {
        return;
    };
    let f: Vec<f32> = u.pcm.iter().map(|&s| f32::from(s) / 32768.0).collect();
    let mut a = Vec::with_capacity(f.len() * 2);
    let resampled = media::resample::StreamResampler::new(8000, 16000)
        .and_then(|mut r| r.push(&f, &mut a).and_then(|()| r.flush(&mut a)));
    if let Err(e) = resampled {
        tracing::warn!(error = %e, "supervisor speech not resampled");
        return;
    }
    let Some(rx) = speech.stt.submit(JobKind::Final, a, None) else {
        tracing::warn!(by = by.as_deref(), "supervisor speech not transcribed: recogniser busy");
        return;
    };
    let atx = atx.clone();
    tokio::spawn(async move {
        let Ok(Ok(t)) = rx.await else { return };
        let text = t.text.trim().to_owned();
        if text.is_empty() {
            return;
        }
        let _ = atx
            .send(Async::SupervisorSaid(events::Utterance {
                speaker: events::Speaker::Supervisor,
                text,
                started_ms: u.started_ms,
                ended_ms: u.ended_ms,
                cut_off: false,
            }))
            .await;
    });
}

/// Runs a budgeted function off the call task (the registry enforces the
/// budget); the result comes back on `atx`.
fn call_function(
    app: &Arc<AppState>,
    call_sid: Option<String>,
    id: dialog::tools::CallId,
    request: dialog::tools::Request,
    atx: &mpsc::Sender<Async>,
) {
    let Some(agent) = app.agent.clone() else {
        return;
    };
    let (atx, app) = (atx.clone(), app.clone());
    tokio::spawn(async move {
        let (name, budget) = (request.name(), request.budget());
        let t = Instant::now();
        let outcome = agent.functions.call(call_sid.as_deref(), request).await;
        if let Some(sid) = call_sid {
            let label = match &outcome {
                dialog::tools::Outcome::Patient(None) => "not_found",
                dialog::tools::Outcome::VerificationLocked => "locked",
                dialog::tools::Outcome::BenefitsPending | dialog::tools::Outcome::AdverseEventPending => "pending",
                dialog::tools::Outcome::Failed { .. } => "failed",
                _ => "ok",
            };
            let _ = app.monitor.send(MonitorEvent {
                call_sid: sid,
                what: MonitorNote::FunctionDone {
                    name,
                    latency: t.elapsed(),
                    budget,
                    outcome: label,
                },
            });
        }
        let _ = atx.send(Async::FunctionDone { id, outcome }).await;
    });
}

/// Sends audio to the STT pool; the transcript comes back on `atx`. A
/// speculative or partial decode is entered in `decoding`, so that it can
/// be withdrawn when it goes stale (the transcript is `None` then).
fn decode(
    app: &AppState,
    session: &mut CallSession,
    req: models::streaming::Request,
    atx: &mpsc::Sender<Async>,
    decoding: &mut HashMap<(u64, JobKind), CancellationToken>,
) {
    let audio_ms = (req.audio.len() / 16) as u32;
    let (utterance, kind) = (req.utterance, req.kind);
    if let Some(s) = app.speech.as_ref() {
        let (finals, partials) = s.stt.queue_depth();
        gauge!(m::STT_QUEUE_DEPTH, "kind" => "final").set(finals as f64);
        gauge!(m::STT_QUEUE_DEPTH, "kind" => "partial").set(partials as f64);
    }
    // Partials only decide barge-in (words or not): no hint for them.
    let hint = (app.config.stt_hint && kind != JobKind::Partial)
        .then(|| session.recognition_hint())
        .flatten()
        .map(std::sync::Arc::<str>::from);
    // A hint of names on file is checked against a plain decode of the
    // same audio, so that the hint can mend a name but never put one there.
    let check = hint
        .as_ref()
        .and_then(|_| session.expected_names())
        .filter(|_| kind != JobKind::Partial);
    let plain_audio = check.as_ref().map(|_| req.audio.clone());
    let Some(rx) = app.speech.as_ref().and_then(|s| s.stt.submit(kind, req.audio, hint)) else {
        counter!(m::STT_PARTIALS_SKIPPED).increment(1);
        session.handle_decoded(utterance, kind, None, audio_ms, Instant::now());
        return;
    };
    // Queued after the hinted one, so a turn that needs no check never
    // waits behind it.
    let plain = plain_audio.and_then(|a| app.speech.as_ref()?.stt.submit(kind, a, None));
    let second = session.second_opinion().filter(|_| kind != JobKind::Partial);
    let atx = atx.clone();
    let submitted = Instant::now();
    let cancel = CancellationToken::new();
    if kind != JobKind::Final {
        decoding.insert((utterance, kind), cancel.clone());
    }
    tokio::spawn(async move {
        let got = |r: Result<Result<models::stt::Transcript, models::ModelError>, _>| match r {
            Ok(Ok(t)) => {
                charge_decode(kind, &t);
                Some(t.text)
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "decode failed");
                None
            }
            Err(_) => None,
        };
        // Withdrawn: dropping the receivers takes the jobs off the queue.
        let first = tokio::select! {
            r = rx => Some(r),
            () = cancel.cancelled() => None,
        };
        let Some(first) = first else {
            counter!(m::STT_WITHDRAWN, "kind" => kind.label()).increment(1);
            let _ = atx
                .send(Async::Decoded {
                    utterance,
                    kind,
                    text: None,
                    audio_ms,
                    overruled: None,
                })
                .await;
            return;
        };
        let mut text = got(first);
        let mut overruled = None;
        // Only a name on file in the hinted words waits for the plain decode.
        if let (Some(names), Some(plain), Some(hinted)) = (check, plain, text.as_deref())
            && names.named_in(hinted)
        {
            let plain = got(plain.await).unwrap_or_default();
            let believed = names.corroborate(hinted, &plain);
            if believed != hinted {
                counter!(m::HINT_OVERRULED).increment(1);
                overruled = Some(hinted.to_owned());
                text = Some(believed.to_owned());
            }
        }
        // Speculative finals are final decodes too (started at a pause).
        if matches!(kind, JobKind::Final | JobKind::Speculative) {
            histogram!(m::STT_FINAL_LATENCY).record(submitted.elapsed().as_secs_f64());
        }
        if let (Some(second), Some(t)) = (second, text.as_deref()) {
            second_opinion(second, t).await;
        }
        let _ = atx
            .send(Async::Decoded {
                utterance,
                kind,
                text,
                audio_ms,
                overruled,
            })
            .await;
    });
}

/// Counts a Whisper decode and charges its CPU time to its kind's stage.
fn charge_decode(kind: JobKind, t: &models::stt::Transcript) {
    counter!(m::STT_DECODES, "kind" => kind.label()).increment(1);
    let stage = match kind {
        JobKind::Final => "stt_final",
        JobKind::Speculative => "stt_speculative",
        JobKind::Partial => "stt_partial",
    };
    counter!(m::STAGE_CPU, "stage" => stage).increment(t.cpu_time.as_micros() as u64);
}

/// Forms the second opinion on `text` where the grammar understands no
/// request in it, off the runtime, and leaves it for the dialog.
async fn second_opinion(
    (classifier, catalog, opinions): (
        Arc<crate::intents::IntentClassifier>,
        Arc<dialog::Catalog>,
        crate::intents::Opinions,
    ),
    text: &str,
) {
    if !dialog::nlu::wants_second_opinion(text, &dialog::nlu::understand(text, &catalog)) {
        return;
    }
    let t = text.to_owned();
    let classified = tokio::task::spawn_blocking(move || {
        let meter = models::cpu::CpuMeter::start();
        let intent = classifier.classify(&t);
        counter!(m::STAGE_CPU, "stage" => "intent").increment(meter.elapsed().as_micros() as u64);
        intent
    });
    match classified.await {
        Ok(Ok(Some(intent))) => {
            counter!(m::INTENT_SECOND_OPINIONS, "intent" => intent.label()).increment(1);
            opinions.note(text, intent);
        }
        Ok(Ok(None)) => counter!(m::INTENT_SECOND_OPINIONS, "intent" => "none").increment(1),
        Ok(Err(e)) => tracing::warn!(error = %e, "intent second opinion failed"),
        Err(e) => tracing::warn!(error = %e, "intent second opinion task failed"),
    }
}

/// Speaks `text`: a cached prompt at once, else on the synthesis pool,
/// piece by piece, back on `atx` as 8 kHz µ-law. A line cut by a barge-in
/// (its id below `cleared`) is not synthesised further.
fn say(
    app: &AppState,
    session: &mut CallSession,
    id: UtteranceId,
    text: String,
    atx: &mpsc::Sender<Async>,
    cleared: &Arc<AtomicU64>,
    speaking_until: &mut Instant,
) {
    let Some(engines) = app.speech.clone() else {
        return;
    };
    if let Some(audio) = engines.prompt(&text) {
        session.handle_bot_audio(id, &audio, true, Instant::now());
        return;
    }
    let mut down = match StreamResampler::new(engines.voice.sample_rate(), 8000) {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(error = %e, "no resampler for the bot's voice");
            return;
        }
    };
    let (atx, cleared) = (atx.clone(), cleared.clone());
    let fixed = crate::speech::SpeechEngines::is_fixed(&text);
    let spoken = text.clone();
    let keeper = engines.clone();
    let started = Instant::now();
    let (mut whole, mut heard_first, mut stopped) = (Vec::new(), false, false);
    let mut pcm = Vec::new();
    let sink = move |piece: models::synthesis::Piece| {
        counter!(m::STAGE_CPU, "stage" => "tts").increment(piece.cpu_time.as_micros() as u64);
        if !heard_first && !piece.audio.is_empty() {
            heard_first = true;
            histogram!(m::TTS_FIRST_AUDIO).record(started.elapsed().as_secs_f64());
        }
        pcm.clear();
        let mut ok = down.push(&piece.audio, &mut pcm).is_ok();
        if piece.last {
            ok &= down.flush(&mut pcm).is_ok();
        }
        let ulaw: Vec<u8> = pcm.iter().map(|&s| media::mulaw::encode(f32_to_i16(s))).collect();
        if fixed {
            whole.extend_from_slice(&ulaw);
        }
        let sent = atx
            .blocking_send(Async::BotAudio {
                id,
                ulaw,
                last: piece.last,
            })
            .is_ok();
        // Cut by a barge-in, or the call is gone: no more pieces.
        let go_on = ok && sent && id.0 >= cleared.load(Ordering::Relaxed);
        stopped |= !go_on && !piece.last;
        if piece.last && fixed && !stopped && ok && sent {
            keeper.remember(&text, std::mem::take(&mut whole));
        }
        go_on
    };
    // A line that will only play after the call's audio still to come is
    // not due before that audio has nearly played.
    let now = Instant::now();
    let ahead = std::time::Duration::from_millis(session.bot_audio_pending_ms(now))
        .max(speaking_until.saturating_duration_since(now));
    *speaking_until = now + ahead + estimated_speech(&spoken);
    let due = (now + ahead)
        .checked_sub(models::synthesis::NEXT_PIECE_MARGIN)
        .unwrap_or(now)
        .max(now);
    engines.synthesis.speak_at(&spoken, due, Box::new(sink));
}

/// About how long `text` takes to say (the voice speaks about 15
/// characters a second).
fn estimated_speech(text: &str) -> std::time::Duration {
    std::time::Duration::from_millis(text.chars().count() as u64 * 65)
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
            if let Some(agent) = app.agent.as_ref() {
                agent.log.record(CallRecord::Started {
                    call_sid: start.call_sid.clone(),
                    from: p.get("From").cloned(),
                    to: p.get("To").cloned(),
                });
            }
            let _ = app.monitor.send(MonitorEvent {
                call_sid: start.call_sid.clone(),
                what: MonitorNote::Started,
            });
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
        CallEvent::Transcript(u) => {
            let Some(id) = call_id.as_ref() else {
                return;
            };
            if let Some(agent) = app.agent.as_ref() {
                agent.log.record(CallRecord::Utterance {
                    call_sid: id.clone(),
                    utterance: functions::calls::Utterance {
                        speaker: u.speaker,
                        text: u.text.clone(),
                        started_ms: u.started_ms,
                        ended_ms: Some(u.ended_ms),
                        cut_off: u.cut_off,
                    },
                });
            }
            let _ = app.monitor.send(MonitorEvent {
                call_sid: id.clone(),
                what: MonitorNote::Transcript(u),
            });
        }
        CallEvent::Agent(note) => {
            if let Some(id) = call_id.as_ref() {
                match &note {
                    AgentNote::Transfer { tier, reason } => {
                        tracing::info!(call_id = %id, tier, reason, "transfer to staff")
                    }
                    AgentNote::StaffTask { tier, reason } => {
                        tracing::info!(call_id = %id, tier, reason, "task queued for staff")
                    }
                    _ => {}
                }
                let _ = app.monitor.send(MonitorEvent {
                    call_sid: id.clone(),
                    what: MonitorNote::Agent(note),
                });
            }
        }
        CallEvent::Ended(reason) => {
            if let Some(id) = call_id.take() {
                let outcome = session.agent_outcome();
                let goes_on = session.continues_in_next_stream();
                if let Some(agent) = app.agent.as_ref().filter(|_| !goes_on) {
                    agent.log.record(CallRecord::Ended {
                        call_sid: id.clone(),
                        end_reason: reason.label().to_owned(),
                        outcome: outcome.map(str::to_owned),
                    });
                }
                let _ = app.monitor.send(MonitorEvent {
                    call_sid: id.clone(),
                    what: MonitorNote::Ended { reason, outcome },
                });
                app.registry.set_state(&id, CallState::Ending);
                app.registry.remove(&id);
                gauge!(m::ACTIVE_CALLS).decrement(1.0);
                histogram!(m::CALL_DURATION).record(session.age(Instant::now()).as_secs_f64());
                tracing::info!(call_id = %id, end = reason.label(), "call closed");
            }
        }
    }
}
