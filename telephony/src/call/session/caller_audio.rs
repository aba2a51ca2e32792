//! One frame of caller audio: into the recording, through the VAD (speech
//! path) or the energy gate, and a barge-in when the caller talks over the
//! bot (in agent mode the dialog decides it; in repeat mode the same
//! [`dialog::barge_in::BargeIn`] policy runs here).

use std::collections::VecDeque;
use std::time::Instant;

use media::level::GateEvent;
use media::mulaw;
use metrics::{counter, histogram};
use models::vad::VadEvent;

use super::super::agent::AgentCall;
use super::super::speech::SpeechBoundary;
use super::{CallEvent, CallSession, Live, Output, agent_io};
use crate::metrics as m;

impl CallSession {
    /// One frame of caller audio (real or concealment).
    pub(super) fn on_audio(live: &mut Live, out: &mut VecDeque<Output>, ulaw: &[u8], now: Instant) {
        live.pcm.clear();
        mulaw::decode_into(ulaw, &mut live.pcm);
        live.taps.push_caller(&live.pcm);
        if let Some(sp) = live.speech.as_mut() {
            // Partials only decide barge-in: decode them only over the bot.
            let bot = live.playout.is_active(now) || live.agent.as_ref().is_some_and(AgentCall::is_bot_speaking);
            sp.set_partials(bot);
            sp.set_on_hold(live.agent.as_ref().is_some_and(AgentCall::on_hold));
            let events = match sp.on_frame(&live.pcm) {
                Ok(ev) => ev,
                Err(e) => {
                    tracing::warn!(error = %e, "vad failed on a frame");
                    Vec::new()
                }
            };
            if live.agent.is_some() {
                for ev in events {
                    agent_io::on_boundary(live, out, ev, now);
                }
            } else {
                for ev in events {
                    if let Some(b) = live.barge_in.as_mut() {
                        match ev {
                            SpeechBoundary::Vad(VadEvent::SpeechStart { at_ms }) => {
                                live.speech_onset_ms = Some(at_ms);
                                b.speech_started(now, bot);
                            }
                            SpeechBoundary::Vad(VadEvent::SpeechEnd { .. }) => b.speech_ended(),
                            SpeechBoundary::Paused => b.paused(),
                            SpeechBoundary::Resumed => b.resumed(now, bot),
                        }
                    }
                }
                if live.barge_in.as_mut().is_some_and(|b| b.due(now, bot)) {
                    Self::barge_in(live, out, now);
                }
            }
            if let Some(sp) = live.speech.as_mut() {
                while let Some(stale) = sp.poll_stale() {
                    out.push_back(Output::CancelDecode(stale));
                }
                while let Some(req) = sp.poll_request() {
                    out.push_back(Output::Decode(req));
                }
            }
            Self::take_hypotheses(live, out, now);
            Self::hold_while_contested(live, now);
            return;
        }
        let ev = live.gate.push(&live.pcm);
        if let Some(GateEvent::SpeechStarted { began_ms_ago }) = ev
            && live.playout.is_active(now)
        {
            // Barge-in: the caller talks over the bot.
            let cut = super::clear_playout(&mut live.playout, &mut live.taps, now);
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

impl CallSession {
    /// While caller speech over the bot awaits a barge-in decision the
    /// bot's audio is held (the caller hears it stop within the playout
    /// lead); it goes on when the speech was no interruption.
    fn hold_while_contested(live: &mut Live, now: Instant) {
        let contested = match live.agent.as_ref() {
            Some(agent) => agent.floor_contested(now),
            None => live.barge_in.as_ref().is_some_and(|b| b.contested(now)),
        };
        if contested && !live.playout.is_held() && live.playout.is_active(now) {
            live.playout.hold();
        } else if !contested && live.playout.is_held() {
            live.playout.resume(now);
        }
    }

    /// Repeat mode: the caller took the floor from the bot (see
    /// [`dialog::barge_in::BargeIn`]); playback is cleared.
    pub(super) fn barge_in(live: &mut Live, out: &mut VecDeque<Output>, now: Instant) {
        if !live.playout.is_active(now) {
            return;
        }
        let cut = super::clear_playout(&mut live.playout, &mut live.taps, now);
        if let Some(sp) = live.speech.as_mut() {
            sp.clear();
        }
        if let Some(b) = live.barge_in.as_mut() {
            b.disarm();
        }
        out.push_back(Output::Send(live.encoder.clear()));
        counter!(m::BARGE_INS).increment(1);
        if let (Some(sp), Some(onset)) = (live.speech.as_ref(), live.speech_onset_ms) {
            histogram!(m::BARGE_IN_LATENCY).record(sp.audio_ms().saturating_sub(onset) as f64 / 1000.0);
        }
        out.push_back(Output::Event(CallEvent::BargeIn(cut)));
    }
}
