//! A simulated phone caller that speaks exactly like Twilio Media Streams
//! over a real WebSocket: `connected`, `start` with custom parameters,
//! µ-law media every 20 ms on a real-time clock (silence between turns),
//! marks echoed when their audio has "played", playback flushed on `clear`,
//! `dtmf`, `stop`. It follows a script of turns and measures what the
//! caller experiences: turn latency (end of its speech to the first bot
//! audio) and barge-in latency (its speech onset over the bot to `clear`).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use base64::Engine as _;
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue};
use tokio_util::sync::CancellationToken;

use crate::error::SimError;

mod report;
mod wire;

pub use report::CallReport;

const FRAME: usize = 160;
const SILENCE: u8 = 0xFF;

/// One step of a caller's script.
#[derive(Debug, Clone)]
pub enum Step {
    /// Wait until the bot has spoken and then been quiet for `quiet`.
    WaitForBot {
        /// Silence that ends the bot's turn.
        quiet: Duration,
        /// Give up after this long.
        limit: Duration,
    },
    /// Say this (µ-law audio of `text`).
    Say {
        /// What is said (for the printout and the report).
        text: String,
        /// The audio.
        audio: Vec<u8>,
    },
    /// Wait until the bot has been talking for `after`, then say this over it.
    BargeIn {
        /// How far into the bot's speech.
        after: Duration,
        /// What is said.
        text: String,
        /// The audio.
        audio: Vec<u8>,
    },
    /// Press a key.
    Dtmf(char),
    /// Stay on the line (silence) this long.
    Pause(Duration),
    /// Hang up (send `stop`; the call ends).
    HangUp,
}

/// A party that answers what it hears instead of following a fixed script
/// (a payer's phone line): asked for steps when a stream connects, when
/// the bot finishes a turn, and while the line is quiet; told the keys
/// played on the call. Its state lives across the call's streams.
pub trait Responder: Send + std::fmt::Debug {
    /// A stream connected: what to do first.
    fn connected(&mut self) -> Vec<Step>;
    /// Keys played on the call (`<Play digits>`; `w` is a pause).
    fn digits(&mut self, digits: &str);
    /// The bot spoke and has been quiet for a while: its audio (8 kHz PCM).
    /// Runs on a blocking thread (it may transcribe).
    fn bot_turn(&mut self, pcm: &[i16]) -> Vec<Step>;
    /// Nothing has happened on the line for `quiet`.
    fn idle(&mut self, quiet: Duration) -> Vec<Step>;
}

/// A responder shared by the streams of one call.
pub type SharedResponder = std::sync::Arc<std::sync::Mutex<dyn Responder>>;

/// Quiet after the bot's speech that ends its turn, for a [`Responder`].
const BOT_TURN_QUIET: Duration = Duration::from_millis(700);

/// How a call is placed beyond its script (the load generator's knobs).
#[derive(Debug, Clone)]
pub struct CallOptions {
    /// Keep both audio tracks in the report (`caller_pcm`, `bot_pcm`).
    pub record_audio: bool,
    /// Hang up (send `stop`) at this instant if the script has not ended.
    pub hang_up_at: Option<Instant>,
    /// Start the script over when it ends (until hung up).
    pub repeat: bool,
    /// Custom parameters of the `start` message (`customParameters`), in
    /// addition to `From` and `To` (a parameter of the same name wins).
    pub parameters: Vec<(String, String)>,
    /// Extra HTTP headers on the WebSocket upgrade request
    /// (`X-Twilio-Signature`).
    pub headers: Vec<(String, String)>,
    /// When cancelled, the caller sends `stop` and closes, as Twilio does
    /// when a live call is redirected.
    pub stop: Option<CancellationToken>,
    /// The account SID in `start` and `stop` (`ACsimulated` when unset).
    pub account_sid: Option<String>,
    /// Who answers on the call's streams instead of (after) the script.
    pub responder: Option<SharedResponder>,
}

impl Default for CallOptions {
    fn default() -> Self {
        Self {
            record_audio: true,
            hang_up_at: None,
            repeat: false,
            parameters: Vec::new(),
            headers: Vec::new(),
            stop: None,
            account_sid: None,
            responder: None,
        }
    }
}

/// Sees the bot's messages as they arrive (for jitter and late-frame
/// measurements); every method defaults to doing nothing.
pub trait Observer: Send {
    /// A `media` message of `bytes` µ-law bytes arrived at `at`.
    fn bot_media(&mut self, at: Instant, bytes: usize) {
        let _ = (at, bytes);
    }
    /// A `mark` named `name` arrived at `at`.
    fn bot_mark(&mut self, at: Instant, name: &str) {
        let _ = (at, name);
    }
    /// A `clear` arrived at `at`.
    fn bot_clear(&mut self, at: Instant) {
        let _ = at;
    }
}

impl Observer for () {}

/// Who is calling.
#[derive(Debug, Clone)]
pub struct CallerIdentity {
    /// Call SID.
    pub call_sid: String,
    /// Calling number.
    pub from: String,
    /// Called number.
    pub to: String,
}

/// A bot mark waiting for its audio to play.
struct PendingMark {
    at: usize,
    name: String,
}

/// Runs one call against `url` (`ws://host/twilio/media`) following `script`,
/// then sends `stop` (unless the server ended the call first).
pub async fn run(url: &str, who: &CallerIdentity, script: Vec<Step>) -> Result<CallReport, SimError> {
    run_with(url, who, script, &CallOptions::default(), &mut ()).await
}

/// [`run`] with options, telling `observer` about every bot message.
pub async fn run_with(
    url: &str,
    who: &CallerIdentity,
    script: Vec<Step>,
    opts: &CallOptions,
    observer: &mut impl Observer,
) -> Result<CallReport, SimError> {
    let mut request = url.into_client_request()?;
    for (name, value) in &opts.headers {
        let bad = |reason: String| SimError::Header {
            name: name.clone(),
            reason,
        };
        let n = HeaderName::from_bytes(name.as_bytes()).map_err(|e| bad(e.to_string()))?;
        let v = HeaderValue::from_str(value).map_err(|e| bad(e.to_string()))?;
        request.headers_mut().append(n, v);
    }
    // Small messages (a mark echo, then a frame) must not wait for ACKs (Nagle).
    // A small read buffer: the WebSocket layer zero-fills all of it before
    // every read (its 128 KiB default dominated a many-call run's CPU).
    let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default().read_buffer_size(4 * 1024);
    let (ws, _) = tokio_tungstenite::connect_async_with_config(request, Some(config), true).await?;
    let (mut tx, mut rx) = ws.split();
    let stream_sid = format!("MZ{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..));
    let account = opts.account_sid.as_deref().unwrap_or("ACsimulated");
    tx.send(Message::Text(wire::connected().into())).await?;
    let start_msg = wire::start(&stream_sid, account, who, &opts.parameters);
    tx.send(Message::Text(start_msg.into())).await?;
    // A token nobody cancels when the call has none.
    let stop = opts.stop.clone().unwrap_or_default();
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut report = CallReport::default();
    let again = opts.repeat.then(|| script.clone());
    let mut steps: VecDeque<Step> = script.into();
    let responder = opts.responder.clone();
    if let Some(r) = &responder
        && let Ok(mut r) = r.lock()
    {
        steps.extend(r.connected());
    }
    // The bot's current turn (for the responder), and its transcription under way.
    let mut bot_turn_pcm: Vec<i16> = Vec::new();
    let mut answering: Option<tokio::task::JoinHandle<Vec<Step>>> = None;
    let mut line_quiet_since = Instant::now();
    let mut seq: u64 = 2;
    let mut chunk: u64 = 0;
    // Bot audio received and not yet played, with its marks.
    let mut playback: VecDeque<u8> = VecDeque::new();
    let mut received: usize = 0;
    let mut marks: VecDeque<PendingMark> = VecDeque::new();
    // What the caller is saying now.
    let mut speaking: Option<(String, Vec<u8>, usize, usize)> = None; // text, audio, pos, speech end
    let mut step_started = Instant::now();
    let mut bot_spoke = false;
    let mut bot_quiet_since: Option<Instant> = None;
    let mut bot_talk_since: Option<Instant> = None;
    let mut awaiting_reply: Option<(usize, Instant)> = None; // turn index, end of speech
    let mut barge_onset: Option<Instant> = None;
    // The same onset, until the bot's audio has run out at this end.
    let mut stop_watch: Option<Instant> = None;
    let start = Instant::now();
    let mut tick: u64 = 0;
    let mut closed = false;
    let mut out_frames: Vec<String> = Vec::new();
    // One bot frame decoded (Twilio's are 160 bytes; larger ones allocate).
    let mut decoded = [0u8; 1024];
    while !closed {
        tick += 1;
        let due = tokio::time::Instant::from_std(start + Duration::from_millis(20 * tick));
        // Receive until the next frame is due.
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(due) => break,
                _ = stop.cancelled(), if !report.stopped => {
                    report.stopped = true;
                    break;
                }
                msg = rx.next() => match msg {
                    Some(Ok(Message::Text(t))) => {
                        // A message the caller cannot read is one it ignores.
                        let Ok(m) = serde_json::from_str::<wire::BotMessage>(t.as_str()) else { continue };
                        match m.event.as_ref() {
                            "media" => {
                                let payload = m.media.as_ref().map_or("", |m| m.payload.as_ref());
                                let before = playback.len();
                                if let Ok(n) = b64.decode_slice(payload, &mut decoded) {
                                    playback.extend(&decoded[..n]);
                                } else if let Ok(bytes) = b64.decode(payload) {
                                    // Larger than a frame: rare, so allocated.
                                    playback.extend(bytes);
                                }
                                let n = playback.len() - before;
                                observer.bot_media(Instant::now(), n);
                                report.bot_frames += 1;
                                received += n;
                                if let Some((i, end)) = awaiting_reply.take() {
                                    report.turns[i].1 = Some(end.elapsed());
                                }
                                bot_spoke = true;
                            }
                            "mark" => {
                                let name = m.mark.map(|m| m.name.into_owned()).unwrap_or_default();
                                observer.bot_mark(Instant::now(), &name);
                                marks.push_back(PendingMark { at: received, name });
                            }
                            "clear" => {
                                observer.bot_clear(Instant::now());
                                report.clears += 1;
                                // Cleared audio is no reply: a wait after a
                                // barge-in waits for the bot's next words.
                                bot_spoke = false;
                                received -= playback.len();
                                playback.clear();
                                if let Some(onset) = barge_onset.take() {
                                    report.barge_ins.push(onset.elapsed());
                                }
                                // Twilio returns the marks of cleared audio at once.
                                while let Some(m) = marks.pop_front() {
                                    out_frames.push(wire::mark(&stream_sid, &mut seq, &m.name));
                                }
                            }
                            _ => {}
                        }
                    }
                    Some(Ok(Message::Close(frame))) => {
                        report.closed_by_server = Some(frame.map_or((1005, String::new()), |f| (f.code.into(), f.reason.to_string())));
                        closed = true;
                        break;
                    }
                    Some(Ok(_)) => {}
                    Some(Err(_)) | None => {
                        closed = true;
                        break;
                    }
                }
            }
        }
        for f in out_frames.drain(..) {
            tx.send(Message::Text(f.into())).await?;
        }
        if closed || report.stopped {
            break;
        }
        let now = Instant::now();
        if opts.hang_up_at.is_some_and(|t| now >= t) {
            report.hung_up = true;
            break;
        }
        // Play one frame of bot audio; echo marks whose audio has played.
        let mut bot_frame = [SILENCE; FRAME];
        let n = playback.len().min(FRAME);
        for (i, b) in playback.drain(..n).enumerate() {
            bot_frame[i] = b;
        }
        if n > 0 {
            bot_quiet_since = None;
            bot_talk_since.get_or_insert(now);
        } else {
            // The bot's audio ran out here after the caller talked over it.
            if let Some(onset) = stop_watch.take_if(|onset| now >= *onset) {
                report.bot_stops.push(now - onset);
            }
            bot_quiet_since.get_or_insert(now);
            bot_talk_since = None;
        }
        if let Some(r) = &responder {
            if n > 0 {
                bot_turn_pcm.extend(bot_frame[..n].iter().map(|&b| media::mulaw::decode(b)));
                line_quiet_since = now;
            }
            if answering.is_none()
                && !bot_turn_pcm.is_empty()
                && bot_quiet_since.is_some_and(|t| now - t >= BOT_TURN_QUIET)
            {
                let (r, pcm) = (r.clone(), std::mem::take(&mut bot_turn_pcm));
                answering = Some(tokio::task::spawn_blocking(move || {
                    r.lock().map(|mut r| r.bot_turn(&pcm)).unwrap_or_default()
                }));
            }
            if answering.as_ref().is_some_and(|h| h.is_finished())
                && let Some(h) = answering.take()
            {
                steps.extend(h.await.unwrap_or_default());
                line_quiet_since = now;
            }
            if steps.is_empty() && speaking.is_none() && answering.is_none() && bot_turn_pcm.is_empty() {
                let more = r.lock().map(|mut r| r.idle(now - line_quiet_since)).unwrap_or_default();
                if !more.is_empty() {
                    line_quiet_since = now;
                }
                steps.extend(more);
            }
        }
        // Marks are positions in the received stream; everything received
        // and no longer queued has played.
        while marks.front().is_some_and(|m| m.at <= received - playback.len()) {
            if let Some(m) = marks.pop_front() {
                tx.send(Message::Text(wire::mark(&stream_sid, &mut seq, &m.name).into()))
                    .await?;
            }
        }
        if opts.record_audio {
            report
                .bot_pcm
                .extend(bot_frame.iter().map(|&b| media::mulaw::decode(b)));
        }
        // Advance the script.
        if speaking.is_none() {
            if steps.is_empty()
                && let Some(script) = &again
            {
                steps = script.clone().into();
            }
            match steps.front() {
                None if responder.is_some() => {}
                None => break,
                Some(Step::HangUp) => {
                    report.hung_up = true;
                    break;
                }
                Some(Step::WaitForBot { quiet, limit }) => {
                    if bot_spoke && bot_quiet_since.is_some_and(|t| now - t >= *quiet) {
                        steps.pop_front();
                        step_started = now;
                    } else if now - step_started > *limit {
                        report.timed_out = Some("waiting for the bot".into());
                        break;
                    }
                }
                Some(Step::Pause(d)) => {
                    if now - step_started >= *d {
                        steps.pop_front();
                        step_started = now;
                    }
                }
                Some(Step::Dtmf(c)) => {
                    seq += 1;
                    tx.send(Message::Text(wire::dtmf(&stream_sid, seq, *c).into())).await?;
                    steps.pop_front();
                    step_started = now;
                    bot_spoke = false;
                }
                Some(Step::Say { .. }) => {
                    if let Some(Step::Say { text, audio }) = steps.pop_front() {
                        let end = crate::voice::speech_end(&audio);
                        report.said_at.push((text.clone(), std::time::SystemTime::now()));
                        speaking = Some((text, audio, 0, end));
                        bot_spoke = false;
                    }
                }
                Some(Step::BargeIn { after, .. }) => {
                    if bot_talk_since.is_some_and(|t| now - t >= *after) {
                        if let Some(Step::BargeIn { text, audio, .. }) = steps.pop_front() {
                            let end = crate::voice::speech_end(&audio);
                            // Timed from the first audible sample, not the
                            // synthesiser's leading silence.
                            let lead_in = crate::voice::speech_start(&audio);
                            let onset = now + Duration::from_micros(lead_in as u64 * 125);
                            barge_onset = Some(onset);
                            stop_watch = Some(onset);
                            speaking = Some((text, audio, 0, end));
                            bot_spoke = false;
                        }
                    } else if now - step_started > Duration::from_secs(30) {
                        report.timed_out = Some("waiting for the bot to talk".into());
                        break;
                    }
                }
            }
        }
        // Send one frame of caller audio.
        let mut frame = [SILENCE; FRAME];
        if let Some((text, audio, pos, end)) = speaking.as_mut() {
            let n = (audio.len() - *pos).min(FRAME);
            frame[..n].copy_from_slice(&audio[*pos..*pos + n]);
            let before = *pos;
            *pos += n;
            if before < *end && *pos >= *end {
                report.turns.push((text.clone(), None));
                awaiting_reply = Some((report.turns.len() - 1, now + Duration::from_millis(20)));
            }
            if *pos >= audio.len() {
                speaking = None;
                step_started = now;
                line_quiet_since = now;
            }
        }
        if opts.record_audio {
            report.caller_pcm.extend(frame.iter().map(|&b| media::mulaw::decode(b)));
        }
        seq += 1;
        chunk += 1;
        let msg = wire::media(&stream_sid, seq, chunk, &b64.encode(frame));
        if tx.send(Message::Text(msg.into())).await.is_err() {
            break;
        }
    }
    report.remaining = steps.into_iter().collect();
    if !closed {
        seq += 1;
        let _ = tx
            .send(Message::Text(
                wire::stop(&stream_sid, seq, account, &who.call_sid).into(),
            ))
            .await;
        // Let the server close (it answers stop with a close frame).
        let _ = tokio::time::timeout(Duration::from_secs(2), async {
            while let Some(Ok(m)) = rx.next().await {
                if let Message::Close(frame) = m {
                    report
                        .closed_by_server
                        .get_or_insert(frame.map_or((1005, String::new()), |f| (f.code.into(), f.reason.to_string())));
                    break;
                }
            }
        })
        .await;
        if report.closed_by_server.is_none() {
            let _ = tx.send(Message::Close(None)).await;
        }
    }
    Ok(report)
}
