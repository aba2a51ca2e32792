//! After every input: due bot audio released and paced out, the recording
//! fed, speaking/listening flips reported, and the call ended once the
//! agent is done.

use std::time::Instant;

use media::mulaw;
use media::playout::Transmit;
use metrics::counter;

use super::{CallEvent, CallSession, EndReason, Output};

/// The playout's utterance id for a barging supervisor's live voice.
const SUPERVISOR_VOICE: media::playout::UtteranceId = media::playout::UtteranceId(u64::MAX - 1);
use crate::metrics as m;
use crate::registry::CallState;

impl CallSession {
    /// Supervisors listen from now on: the call's two sides, mixed, come
    /// out as [`Output::Listen`] frames.
    pub fn start_listening(&mut self, now: Instant) {
        if let Some(live) = self.live.as_mut() {
            live.taps
                .listen
                .get_or_insert_with(|| media::recording::StereoAligner::with_block(now, super::LISTEN_BLOCK));
        }
    }

    /// 20 ms of a barging supervisor's voice (µ-law): played to the caller
    /// like the bot's audio (and so in the recording and the listeners' mix).
    pub fn handle_supervisor_voice(&mut self, ulaw: &[u8], now: Instant) {
        if let Some(live) = self.live.as_mut() {
            let pending = live.playout.pending_ms(now);
            let jitter = live
                .voice_jitter
                .get_or_insert_with(|| media::jitter::VoiceJitter::new(media::jitter::JitterConfig::default()));
            for frame in jitter.push(ulaw.to_vec(), pending) {
                live.playout.push_audio(now, SUPERVISOR_VOICE, &frame);
            }
            let at_ms = live.speech.as_ref().map_or(0, |s| s.audio_ms());
            let mut pcm = Vec::with_capacity(ulaw.len());
            mulaw::decode_into(ulaw, &mut pcm);
            let voice = live
                .supervisor_voice
                .get_or_insert_with(super::supervisor_voice::SupervisorVoice::new);
            if let Some(u) = voice.push(&pcm, at_ms) {
                self.out.push_back(Output::TranscribeSupervisor(u));
            }
        }
        self.after(now);
    }

    /// The barging supervisor's voice ended.
    pub fn end_supervisor_voice(&mut self, now: Instant) {
        if let Some(live) = self.live.as_mut() {
            if let Some(mut jitter) = live.voice_jitter.take() {
                for frame in jitter.flush() {
                    live.playout.push_audio(now, SUPERVISOR_VOICE, &frame);
                }
                let st = jitter.stats();
                tracing::info!(
                    frames = st.released,
                    dropped = st.dropped,
                    underruns = st.underruns,
                    "supervisor voice ended"
                );
            }
            live.playout.finish_utterance(SUPERVISOR_VOICE);
            let at_ms = live.speech.as_ref().map_or(0, |s| s.audio_ms());
            if let Some(u) = live.supervisor_voice.take().and_then(|mut v| v.finish(at_ms)) {
                self.out.push_back(Output::TranscribeSupervisor(u));
            }
        }
        self.after(now);
    }

    /// Nobody listens any more.
    pub fn stop_listening(&mut self) {
        if let Some(live) = self.live.as_mut() {
            live.taps.listen = None;
            live.listen_framer = media::mix::ListenFramer::new();
        }
    }

    /// Releases due audio and paces it out; reports state flips.
    pub(super) fn after(&mut self, now: Instant) {
        let Some(live) = self.live.as_mut() else {
            return;
        };
        if let Some(echo) = live.echo.as_mut() {
            echo.release(now, &mut live.playout);
        }
        let late_before = live.playout.stats().late_sends;
        let mut sent_media = false;
        while let Some(t) = live.playout.poll_transmit(now) {
            match t {
                Transmit::Media(audio) => {
                    sent_media = true;
                    counter!(m::FRAMES_OUT).increment(1);
                    if live.taps.any() {
                        live.bot_pcm.clear();
                        mulaw::decode_into(&audio, &mut live.bot_pcm);
                        live.taps.push_bot(now, &live.bot_pcm);
                    }
                    self.out.push_back(Output::Send(live.encoder.media(&audio)));
                }
                Transmit::Mark(mark) => self.out.push_back(Output::Send(live.encoder.mark(&mark.name()))),
            }
        }
        if let Some(r) = live.taps.recording.as_mut() {
            while let Some(block) = r.poll_block(now) {
                self.out.push_back(Output::Record {
                    interleaved: block,
                    last: false,
                });
            }
        }
        if let Some(l) = live.taps.listen.as_mut() {
            while let Some(block) = l.poll_block(now) {
                for frame in live.listen_framer.push_stereo(&block) {
                    self.out.push_back(Output::Listen(frame));
                }
            }
        }
        let late = live.playout.stats().late_sends - late_before;
        if late > 0 {
            counter!(m::LATE_FRAMES).increment(late);
        }
        let speaking = live.playout.is_active(now);
        if speaking != live.speaking_reported {
            live.speaking_reported = speaking;
            let s = if speaking {
                CallState::Speaking
            } else {
                CallState::Listening
            };
            self.out.push_back(Output::Event(CallEvent::State(s)));
        }
        if live.agent.is_some()
            && let Some(reason) = super::agent_io::after_playout(live, &mut self.out, sent_media, now)
        {
            if reason == EndReason::Transferred
                && let Some(order) = live.agent.as_mut().and_then(|a| a.take_transfer())
            {
                self.out.push_back(Output::Transfer(order));
            }
            let text = match reason {
                EndReason::Transferred => "call transferred",
                _ => "call completed",
            };
            self.end(reason, 1000, text);
        }
    }
}
