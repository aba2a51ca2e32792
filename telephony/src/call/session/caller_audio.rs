//! One frame of caller audio: into the recording, through the VAD (speech
//! path) or the energy gate, and a barge-in when the caller talks over the
//! bot.

use std::collections::VecDeque;
use std::time::Instant;

use media::level::GateEvent;
use media::mulaw;
use metrics::{counter, histogram};
use models::vad::VadEvent;

use super::{CallEvent, CallSession, Live, Output, agent_io};
use crate::metrics as m;

impl CallSession {
    /// One frame of caller audio (real or concealment).
    pub(super) fn on_audio(live: &mut Live, out: &mut VecDeque<Output>, ulaw: &[u8], now: Instant) {
        live.pcm.clear();
        mulaw::decode_into(ulaw, &mut live.pcm);
        if let Some(r) = live.recording.as_mut() {
            r.push_caller(&live.pcm);
        }
        if let Some(sp) = live.speech.as_mut() {
            let events = match sp.on_frame(&live.pcm) {
                Ok(ev) => ev,
                Err(e) => {
                    tracing::warn!(error = %e, "vad failed on a frame");
                    Vec::new()
                }
            };
            if live.agent.is_some() {
                for ev in events {
                    agent_io::on_vad(live, out, ev, now);
                }
                if let Some(sp) = live.speech.as_mut() {
                    while let Some(req) = sp.poll_request() {
                        out.push_back(Output::Decode(req));
                    }
                }
                Self::take_hypotheses(live, out, now);
                return;
            }
            for ev in events {
                if let VadEvent::SpeechStart { at_ms } = ev
                    && live.playout.is_active(now)
                {
                    let cut = super::clear_playout(&mut live.playout, live.recording.as_mut(), now);
                    sp.clear();
                    out.push_back(Output::Send(live.encoder.clear()));
                    counter!(m::BARGE_INS).increment(1);
                    let onset_ms = sp.audio_ms().saturating_sub(at_ms);
                    histogram!(m::BARGE_IN_LATENCY).record(onset_ms as f64 / 1000.0);
                    out.push_back(Output::Event(CallEvent::BargeIn(cut)));
                }
            }
            while let Some(req) = sp.poll_request() {
                out.push_back(Output::Decode(req));
            }
            Self::take_hypotheses(live, out, now);
            return;
        }
        let ev = live.gate.push(&live.pcm);
        if let Some(GateEvent::SpeechStarted { began_ms_ago }) = ev
            && live.playout.is_active(now)
        {
            // Barge-in: the caller talks over the bot.
            let cut = super::clear_playout(&mut live.playout, live.recording.as_mut(), now);
            out.push_back(Output::Send(live.encoder.clear()));
            if let Some(echo) = live.echo.as_mut() {
                echo.drop_all_but_current();
            }
            counter!(m::BARGE_INS).increment(1);
            histogram!(m::BARGE_IN_LATENCY).record(began_ms_ago as f64 / 1000.0);
            out.push_back(Output::Event(CallEvent::BargeIn(cut)));
        }
        if let Some(echo) = live.echo.as_mut() {
            echo.on_frame(now, ulaw, ev, live.gate.is_speaking());
        }
    }
}
