//! The sans-IO state machine of one media stream: text frames and timeouts in,
//! frames to send and call events out. The async loop in [`super::run`] only
//! moves bytes and sleeps until [`CallSession::poll_timeout`].

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use media::level::{EnergyGate, GateConfig};
use media::mulaw;
use media::playout::{Interrupted, MarkOutcome, Playout};
use media::recording::StereoAligner;
use media::sequence::{Sequencer, Verdict};
use metrics::counter;
use models::vad::SileroModel;

use crate::config::{CallMode, ServerConfig};
use crate::metrics as m;
use crate::twilio::codec::{Inbound, InboundCodec, OutboundEncoder, SequenceCheck};

pub use super::events::{CallEvent, EndReason, Output};

use super::agent::AgentCall;
use super::echo::Echo;
use super::speech::SpeechPath;
use policing::Bucket;

struct Live {
    encoder: OutboundEncoder,
    sequencer: Sequencer,
    playout: Playout,
    gate: EnergyGate,
    echo: Option<Echo>,
    speech: Option<SpeechPath>,
    agent: Option<AgentCall>,
    /// Repeat mode's barge-in policy (the agent's lives in its dialog).
    barge_in: Option<dialog::barge_in::BargeIn>,
    speech_onset_ms: Option<u64>,
    /// The wall-clock instant of the caller's audio position 0, set at the
    /// first frame: barge-in runs on audio time from it, so that frames
    /// processed late in a burst do not make speech seem longer.
    media_epoch: Option<Instant>,
    pcm: Vec<i16>,
    speaking_reported: bool,
    /// Both sides on one timeline, when the call is recorded.
    taps: Taps,
    /// Cuts the listeners' mix into 20 ms µ-law frames.
    listen_framer: media::mix::ListenFramer,
    /// A barging supervisor's voice, for the transcript.
    supervisor_voice: Option<supervisor_voice::SupervisorVoice>,
    /// Smooths the supervisor's voice from the network into the playout.
    voice_jitter: Option<media::jitter::VoiceJitter>,
    bot_pcm: Vec<i16>,
    /// What the console was last told of the dialog (verified, intent, taken over).
    reported_status: Option<(bool, Option<&'static str>, bool)>,
}

/// Clears the playout (barge-in): what the caller will not hear leaves the
/// recording too.
fn clear_playout(playout: &mut Playout, taps: &mut Taps, now: Instant) -> Vec<Interrupted> {
    taps.clear_bot(now);
    playout.clear(now)
}

/// Both sides of the call on one timeline: for the recording (one-second
/// blocks) and for supervisors listening (20 ms blocks, for little delay).
#[derive(Default)]
struct Taps {
    recording: Option<StereoAligner>,
    listen: Option<StereoAligner>,
}

/// Frames per block of the listeners' timeline (20 ms).
const LISTEN_BLOCK: usize = 160;

impl Taps {
    fn all(&mut self) -> impl Iterator<Item = &mut StereoAligner> {
        self.recording.iter_mut().chain(self.listen.iter_mut())
    }

    fn any(&self) -> bool {
        self.recording.is_some() || self.listen.is_some()
    }

    fn push_caller(&mut self, pcm: &[i16]) {
        self.all().for_each(|t| t.push_caller(pcm));
    }

    fn push_bot(&mut self, now: Instant, pcm: &[i16]) {
        self.all().for_each(|t| t.push_bot(now, pcm));
    }

    fn clear_bot(&mut self, now: Instant) {
        self.all().for_each(|t| t.clear_bot(now));
    }
}

/// Decides whether a stream's `start` shows it was set up by Twilio for
/// its call (the one-time token of the signed voice webhook).
pub type StreamCheck = Arc<dyn Fn(&crate::twilio::codec::StreamStart) -> bool + Send + Sync>;

/// One media stream.
pub struct CallSession {
    cfg: ServerConfig,
    stream_check: Option<StreamCheck>,
    closed_tiers: Vec<dialog::Tier>,
    silero: Option<Arc<SileroModel>>,
    catalog: Option<Arc<dialog::Catalog>>,
    /// The second opinion on requests, and what it said on this call.
    intents: Option<(Arc<crate::intents::IntentClassifier>, crate::intents::Opinions)>,
    outbound: Option<Arc<crate::outbound::Outbound>>,
    codec: InboundCodec,
    live: Option<Live>,
    bucket: Bucket,
    bad: u32,
    connected_at: Instant,
    last_rx: Instant,
    /// The latest instant the session was driven with (what a disconnect,
    /// which comes without one, is judged at).
    clock: Instant,
    out: VecDeque<Output>,
    ended: bool,
}

impl CallSession {
    /// A session for a freshly accepted socket. `silero` enables the speech
    /// path (`repeat` mode).
    pub fn new(cfg: ServerConfig, now: Instant, silero: Option<Arc<SileroModel>>) -> Self {
        let p = cfg.policing;
        Self {
            stream_check: None,
            closed_tiers: Vec::new(),
            silero,
            catalog: None,
            intents: None,
            outbound: None,
            codec: InboundCodec::new(cfg.limits),
            bucket: Bucket::full(p.messages_per_sec as f64, p.burst as f64, now),
            cfg,
            live: None,
            bad: 0,
            connected_at: now,
            last_rx: now,
            clock: now,
            out: VecDeque::new(),
            ended: false,
        }
    }

    /// Enables the agent (mode `agent`): the dialog recognises these names.
    pub fn with_catalog(mut self, catalog: Arc<dialog::Catalog>) -> Self {
        self.catalog = Some(catalog);
        self
    }

    /// A second opinion on the requests the dialog's grammar does not
    /// understand (agent mode; see [`crate::intents`]).
    pub fn with_intents(mut self, classifier: Arc<crate::intents::IntentClassifier>) -> Self {
        self.intents = Some((classifier, crate::intents::Opinions::default()));
        self
    }

    /// What forms a second opinion on this call's transcripts, and where it
    /// leaves it: only while a patient's dialog is listening.
    pub fn second_opinion(
        &self,
    ) -> Option<(
        Arc<crate::intents::IntentClassifier>,
        Arc<dialog::Catalog>,
        crate::intents::Opinions,
    )> {
        let agent = self.live.as_ref()?.agent.as_ref()?;
        if agent.payer_job().is_some() {
            return None;
        }
        let (classifier, opinions) = self.intents.as_ref()?;
        Some((classifier.clone(), self.catalog.clone()?, opinions.clone()))
    }

    /// Outbound verification calls: a stream whose `start` names a job
    /// (`<Parameter name="verification">`) talks with that job's payer line.
    pub fn with_outbound(mut self, outbound: Arc<crate::outbound::Outbound>) -> Self {
        self.outbound = Some(outbound);
        self
    }

    /// Whether the stream ends only for the call to carry on in a new one
    /// (a payer call keyed digits): the call record stays open.
    pub fn continues_in_next_stream(&self) -> bool {
        self.live
            .as_ref()
            .and_then(|l| l.agent.as_ref())
            .is_some_and(AgentCall::awaits_stream)
    }

    /// The verification job this stream's conversation is about, if any.
    pub fn payer_job(&self) -> Option<i64> {
        self.live.as_ref()?.agent.as_ref()?.payer_job()
    }

    /// The payer call's job and conversation, once the stream is over (to
    /// park it for the call's next stream, or to settle the job).
    pub fn take_payer_call(&mut self) -> Option<(i64, dialog::payer_call::PayerCall)> {
        self.live.as_mut()?.agent.take()?.into_payer()
    }

    /// Refuses streams whose `start` fails `check`, before any audio.
    pub fn with_stream_check(mut self, check: StreamCheck) -> Self {
        self.stream_check = Some(check);
        self
    }

    /// Staff tiers nobody can take now: the dialog offers callbacks instead.
    pub fn with_closed_tiers(mut self, closed: Vec<dialog::Tier>) -> Self {
        self.closed_tiers = closed;
        self
    }

    /// The agent's conversation outcome, when there is an agent.
    pub fn agent_outcome(&self) -> Option<&'static str> {
        self.live.as_ref()?.agent.as_ref().map(AgentCall::outcome)
    }

    /// What the recogniser should expect now, when there is an agent (see
    /// [`dialog::Dialog::recognition_hint`]).
    pub fn recognition_hint(&self) -> Option<String> {
        self.live.as_ref()?.agent.as_ref()?.recognition_hint()
    }

    /// The names on file behind the hint while the caller is identified
    /// (see [`dialog::hint::ExpectedNames::corroborate`]).
    pub fn expected_names(&self) -> Option<dialog::hint::ExpectedNames> {
        self.live.as_ref()?.agent.as_ref()?.expected_names().cloned()
    }

    /// Bot utterances below this id were cut by a barge-in: their audio is
    /// dropped, so synthesising more of them is wasted.
    pub fn bot_audio_cleared_below(&self) -> u64 {
        self.live
            .as_ref()
            .and_then(|l| l.speech.as_ref())
            .map_or(0, super::speech::SpeechPath::cleared_below)
    }

    /// Bot audio the caller has still to hear, ms (queued or playing).
    pub fn bot_audio_pending_ms(&self, now: Instant) -> u64 {
        self.live.as_ref().map_or(0, |l| l.playout.pending_ms(now))
    }

    /// Whether the session has ended (after its outputs are drained).
    pub fn is_ended(&self) -> bool {
        self.ended
    }

    /// Next output, in order.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// A text frame arrived.
    pub fn handle_text(&mut self, text: &str, now: Instant) {
        if self.ended {
            return;
        }
        self.last_rx = now;
        self.clock = self.clock.max(now);
        if !self.bucket.take(now) {
            self.drop_message("rate_limited", None);
            return;
        }
        match self.codec.decode(text) {
            Ok(d) => {
                match d.sequence {
                    SequenceCheck::InOrder => {}
                    SequenceCheck::Gap(n) => counter!(m::MEDIA_ANOMALIES, "kind" => "sequence_gap").increment(n),
                    SequenceCheck::Reordered => counter!(m::MEDIA_ANOMALIES, "kind" => "sequence_reorder").increment(1),
                }
                self.on_event(d.event, now);
            }
            Err(e) => {
                let fatal = e.is_fatal();
                self.drop_message(e.label(), Some(&e));
                if fatal {
                    self.end(EndReason::Unsupported, 1003, "unsupported media format");
                }
            }
        }
        self.after(now);
    }

    /// A binary frame arrived (the protocol has none).
    pub fn handle_binary(&mut self, len: usize, now: Instant) {
        self.last_rx = now;
        tracing::debug!(len, "binary frame dropped");
        self.drop_message("binary_frame", None);
    }

    /// The peer closed the socket, or it failed.
    pub fn handle_disconnect(&mut self) {
        if !self.ended {
            self.ended = true;
            self.finish(EndReason::Disconnected);
        }
    }

    /// The server is shutting down: close now.
    pub fn handle_shutdown(&mut self) {
        self.end(EndReason::Shutdown, 1001, "server shutting down");
    }

    /// When [`CallSession::handle_timeout`] should next run.
    pub fn poll_timeout(&self, now: Instant) -> Instant {
        let p = self.cfg.policing;
        let mut t = self.last_rx + p.idle_timeout;
        if self.live.is_none() {
            t = t.min(self.connected_at + p.start_timeout);
        }
        if let Some(l) = &self.live {
            if let Some(d) = l.playout.poll_timeout(now) {
                t = t.min(d);
            }
            if let Some(d) = l.echo.as_ref().and_then(Echo::next_due) {
                t = t.min(d);
            }
            if let Some(d) = l.agent.as_ref().and_then(AgentCall::poll_timeout) {
                t = t.min(d);
            }
        }
        t
    }

    /// Runs timers: pacing, echo release, start and idle timeouts.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.ended {
            return;
        }
        self.clock = self.clock.max(now);
        let p = self.cfg.policing;
        if self.live.is_none() && now >= self.connected_at + p.start_timeout {
            self.end(EndReason::NoStart, 1008, "no start message");
            return;
        }
        if now >= self.last_rx + p.idle_timeout {
            self.end(EndReason::Idle, 1001, "idle timeout");
            return;
        }
        if let Some(live) = self.live.as_mut()
            && let Some(agent) = live.agent.as_mut()
            && agent.poll_timeout().is_some_and(|t| t <= now)
        {
            agent.handle_timeout(now);
            agent_io::pump(live, &mut self.out, now);
        }
        self.after(now);
    }

    fn on_event(&mut self, event: Inbound, now: Instant) {
        match event {
            Inbound::Connected { .. } => {}
            Inbound::Start(start) => {
                if self.live.is_some() {
                    return;
                }
                if let Some(check) = &self.stream_check
                    && !check(&start)
                {
                    counter!(m::STREAMS_REFUSED, "reason" => "token").increment(1);
                    tracing::warn!("media stream refused: no valid one-time stream token");
                    self.end(EndReason::Unauthorized, 1008, "stream not authorized");
                    return;
                }
                let mode = self.cfg.mode;
                self.live = Some(Live {
                    encoder: OutboundEncoder::new(start.stream_sid.clone()),
                    sequencer: Sequencer::new(),
                    playout: Playout::new(self.cfg.playout),
                    gate: EnergyGate::new(GateConfig::default()),
                    echo: (mode == CallMode::Echo).then(|| Echo::new(self.cfg.echo_delay)),
                    speech: None,
                    agent: None,
                    barge_in: (mode == CallMode::Repeat).then(dialog::barge_in::BargeIn::default),
                    speech_onset_ms: None,
                    media_epoch: None,
                    pcm: Vec::with_capacity(320),
                    speaking_reported: false,
                    taps: Taps {
                        recording: self.cfg.recording.is_some().then(|| StereoAligner::new(now)),
                        listen: None,
                    },
                    listen_framer: media::mix::ListenFramer::new(),
                    supervisor_voice: None,
                    voice_jitter: None,
                    bot_pcm: Vec::with_capacity(480),
                    reported_status: None,
                });
                let caller = start.custom_parameters.get("From").cloned();
                let job = start
                    .custom_parameters
                    .get(crate::outbound::JOB_PARAMETER)
                    .and_then(|v| v.parse::<i64>().ok());
                self.out.push_back(Output::Event(CallEvent::Started(start)));
                if let (CallMode::Agent, Some(job)) = (mode, job) {
                    let parked = self.outbound.as_ref().and_then(|o| o.take(job));
                    match (self.silero.clone().map(SpeechPath::new), parked) {
                        (Some(Ok(sp)), Some(mut parked)) => {
                            // After digits the conversation goes on; else it begins.
                            let resumed = parked.awaits_stream();
                            if resumed {
                                parked.stream_resumed(now);
                            }
                            let mut agent = AgentCall::payer(job, parked);
                            if !resumed {
                                agent.handle(dialog::Event::Started { caller_phone: None }, now);
                            }
                            if let Some(live) = self.live.as_mut() {
                                live.speech = Some(sp);
                                live.agent = Some(agent);
                                agent_io::pump(live, &mut self.out, now);
                            }
                        }
                        (Some(Err(e)), _) => tracing::error!(error = %e, "speech path unavailable"),
                        (_, None) => {
                            tracing::warn!(job, "media stream names a verification this server is not calling");
                            self.end(EndReason::Unauthorized, 1008, "no such verification call");
                        }
                        (None, _) => tracing::error!("agent mode without loaded models"),
                    }
                } else if mode == CallMode::Agent {
                    match (self.silero.clone().map(SpeechPath::new), self.catalog.clone()) {
                        (Some(Ok(sp)), Some(catalog)) => {
                            let mut agent = AgentCall::new(catalog, now);
                            if let Some((_, opinions)) = &self.intents {
                                agent = agent.with_opinions(opinions.clone());
                            }
                            agent.handle(
                                dialog::Event::StaffHours {
                                    closed: self.closed_tiers.clone(),
                                },
                                now,
                            );
                            agent.handle(dialog::Event::Started { caller_phone: caller }, now);
                            if let Some(live) = self.live.as_mut() {
                                live.speech = Some(sp);
                                live.agent = Some(agent);
                                agent_io::pump(live, &mut self.out, now);
                            }
                        }
                        (Some(Err(e)), _) => tracing::error!(error = %e, "speech path unavailable"),
                        _ => tracing::error!("agent mode without loaded models or catalog"),
                    }
                }
                if mode == CallMode::Repeat {
                    match self.silero.clone().map(SpeechPath::new) {
                        Some(Ok(mut sp)) => {
                            let id = sp.new_bot_utterance();
                            self.out.push_back(Output::Say(id, crate::speech::GREETING.to_owned()));
                            if let Some(live) = self.live.as_mut() {
                                live.speech = Some(sp);
                            }
                        }
                        Some(Err(e)) => tracing::error!(error = %e, "speech path unavailable"),
                        None => tracing::error!("repeat mode without loaded models"),
                    }
                }
            }
            Inbound::Media(chunk) => {
                let Some(live) = self.live.as_mut() else {
                    return;
                };
                if !chunk.track.is_empty() && chunk.track != "inbound" {
                    return;
                }
                match live.sequencer.push(chunk.chunk, chunk.timestamp_ms, chunk.ulaw.len()) {
                    Verdict::Play { conceal_samples } => {
                        if conceal_samples > 0 {
                            counter!(m::MEDIA_ANOMALIES, "kind" => "gap").increment(1);
                            counter!(m::FRAMES_CONCEALED).increment(conceal_samples.div_ceil(media::FRAME_8K) as u64);
                            let silence = [mulaw::SILENCE; media::FRAME_8K];
                            let mut left = conceal_samples;
                            while left > 0 {
                                let n = left.min(media::FRAME_8K);
                                Self::on_audio(live, &mut self.out, &silence[..n], now);
                                left -= n;
                            }
                        }
                        counter!(m::FRAMES_IN).increment(1);
                        Self::on_audio(live, &mut self.out, &chunk.ulaw, now);
                    }
                    Verdict::Late => counter!(m::MEDIA_ANOMALIES, "kind" => "late").increment(1),
                    Verdict::Duplicate => counter!(m::MEDIA_ANOMALIES, "kind" => "duplicate").increment(1),
                }
            }
            Inbound::Dtmf(digit) => {
                counter!(m::DTMF).increment(1);
                if let Some(echo) = self.live.as_mut().and_then(|l| l.echo.as_mut()) {
                    echo.on_dtmf(now, digit);
                }
                if let Some(live) = self.live.as_mut()
                    && let Some(agent) = live.agent.as_mut()
                {
                    agent.handle(dialog::Event::Dtmf(digit.as_char()), now);
                    agent_io::pump(live, &mut self.out, now);
                }
                self.out.push_back(Output::Event(CallEvent::Dtmf(digit)));
            }
            Inbound::Mark(name) => {
                let Some(live) = self.live.as_mut() else {
                    return;
                };
                let state = match live.playout.on_mark(&name) {
                    MarkOutcome::Progress { .. } | MarkOutcome::Finished { .. } => "current",
                    MarkOutcome::Stale => "stale",
                    MarkOutcome::Unknown => "unknown",
                };
                counter!(m::MARKS, "state" => state).increment(1);
            }
            Inbound::Stop => self.end(EndReason::Stopped, 1000, "stream stopped"),
        }
    }

    fn end(&mut self, reason: EndReason, code: u16, text: &'static str) {
        if self.ended {
            return;
        }
        self.ended = true;
        self.out.push_back(Output::Close(code, text));
        self.finish(reason);
    }

    fn finish(&mut self, reason: EndReason) {
        // The caller hung up (or the call ended) mid-sentence: what began
        // playing goes into the record, cut off where it was.
        let now = self.clock;
        if let Some(live) = self.live.as_mut()
            && let Some(agent) = live.agent.as_mut()
            && agent.has_lines()
        {
            let audio_ms = live.speech.as_ref().map_or(0, |s| s.audio_ms());
            let cut = clear_playout(&mut live.playout, &mut live.taps, now);
            for u in agent.ended_mid_speech(&cut, audio_ms) {
                self.out.push_back(Output::Event(CallEvent::Transcript(u)));
            }
        }
        if let Some(r) = self.live.as_mut().and_then(|l| l.taps.recording.as_mut()) {
            self.out.push_back(Output::Record {
                interleaved: r.finish(),
                last: true,
            });
        }
        if let Some(live) = &self.live {
            let s = live.sequencer.stats();
            let p = live.playout.stats();
            tracing::info!(
                end = reason.label(),
                frames_in = s.played,
                gaps = s.gaps,
                concealed_samples = s.concealed_samples,
                late_in = s.late,
                duplicates = s.duplicates,
                sends = p.sends,
                late_sends = p.late_sends,
                clears = p.clears,
                stale_marks = p.stale_marks,
                "call ended"
            );
        }
        counter!(m::CALLS, "end" => reason.label()).increment(1);
        self.out.push_back(Output::Event(CallEvent::Ended(reason)));
    }

    /// How long the stream has been connected.
    pub fn age(&self, now: Instant) -> Duration {
        now.saturating_duration_since(self.connected_at)
    }
}

mod agent_io;
mod caller_audio;
mod playout_io;
mod policing;
mod speech_io;
pub mod supervisor_voice;
#[cfg(test)]
mod tests;
