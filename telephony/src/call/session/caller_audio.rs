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
use super::super::speech::{SpeechBoundary, SpeechPath};
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
                // Speech over the bot is timed in audio (see `media_now`).
                let audio_now = media_now(&mut live.media_epoch, now, sp.audio_ms());
                if let Some(agent) = live.agent.as_mut() {
                    agent.handle_audio(audio_now);
                }
                agent_io::pump(live, out, now);
                for ev in events {
                    agent_io::on_boundary(live, out, ev, now);
                }
            } else {
                // Speech over the bot is timed in audio, not in when its
                // frames happened to be processed.
                let audio_now = media_now(&mut live.media_epoch, now, sp.audio_ms());
                for ev in events {
                    if let Some(b) = live.barge_in.as_mut() {
                        match ev {
                            SpeechBoundary::Vad(VadEvent::SpeechStart { at_ms }) => {
                                live.speech_onset_ms = Some(at_ms);
                                b.speech_started(audio_now, bot);
                            }
                            SpeechBoundary::Vad(VadEvent::SpeechEnd { .. }) => b.speech_ended(),
                            SpeechBoundary::Paused => b.paused(),
                            SpeechBoundary::Resumed => b.resumed(audio_now, bot),
                        }
                    }
                }
                if live.barge_in.as_mut().is_some_and(|b| b.due(audio_now, bot)) {
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
            let audio_now = media_now(
                &mut live.media_epoch,
                now,
                live.speech.as_ref().map_or(0, |sp| sp.audio_ms()),
            );
            Self::hold_while_contested(live, now, audio_now);
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
    /// lead); it goes on when the speech was no interruption. The hold
    /// starts when a voice seems to begin, before the speech start is
    /// declared, and a sound too short to be one lets the bot go on.
    fn hold_while_contested(live: &mut Live, now: Instant, audio_now: Instant) {
        let contested = match live.agent.as_ref() {
            Some(agent) => agent.floor_contested(now),
            None => live.barge_in.as_ref().is_some_and(|b| b.contested(audio_now)),
        } || live.speech.as_ref().is_some_and(SpeechPath::voice_rising);
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

/// The instant of the caller's audio position `audio_ms` on the wall clock
/// of the first frame (`epoch`, set on the first call). Frames that queue up
/// behind a busy core are processed late and together; on this clock they
/// keep their spacing. Never ahead of `now`.
fn media_now(epoch: &mut Option<Instant>, now: Instant, audio_ms: u64) -> Instant {
    let at = std::time::Duration::from_millis(audio_ms);
    let start = *epoch.get_or_insert_with(|| now.checked_sub(at).unwrap_or(now));
    (start + at).min(now)
}

#[cfg(test)]
mod media_clock_tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn frames_processed_in_a_burst_keep_their_audio_spacing() {
        let t0 = Instant::now();
        let mut epoch = None;
        assert_eq!(media_now(&mut epoch, t0, 20), t0);
        // 300 ms of audio arrive at once, 400 ms of wall time later.
        let late = t0 + Duration::from_millis(400);
        assert_eq!(media_now(&mut epoch, late, 40), t0 + Duration::from_millis(20));
        assert_eq!(media_now(&mut epoch, late, 320), t0 + Duration::from_millis(300));
        // Audio ahead of the wall clock is held to it.
        assert_eq!(media_now(&mut epoch, late, 2000), late);
    }
}
