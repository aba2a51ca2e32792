//! The session's agent half: VAD boundaries, transcripts, key presses and
//! function results into the dialog; its actions out as speech, clears,
//! function calls and the end of the call.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use dialog::tools::{CallId, Outcome};
use dialog::{Action, Event};
use media::playout::UtteranceId;
use metrics::{counter, histogram};
use models::vad::VadEvent;

use super::super::events::{AgentNote, CallEvent, Output, Speaker, Utterance};
use super::super::speech::SpeechBoundary;
use super::{CallSession, Live};
use crate::metrics as m;

impl CallSession {
    /// A function result for an [`Output::Call`] request.
    pub fn handle_function_result(&mut self, id: CallId, outcome: Outcome, now: Instant) {
        let Some(live) = self.live.as_mut() else {
            return;
        };
        let Some(agent) = live.agent.as_mut() else {
            return;
        };
        agent.handle(Event::Result { id, outcome }, now);
        pump(live, &mut self.out, now);
        self.after(now);
    }
}

impl CallSession {
    /// A supervisor's input (guidance, take-over, hand-back, their words);
    /// false when this call has no patient dialog to take it.
    pub fn handle_supervisor(&mut self, input: dialog::Supervisor, now: Instant) -> bool {
        let Some(live) = self.live.as_mut() else {
            return false;
        };
        let Some(agent) = live.agent.as_mut() else {
            return false;
        };
        let taken = agent.supervise(input, now);
        pump(live, &mut self.out, now);
        self.after(now);
        taken
    }
}

/// Speech boundaries and pauses (agent mode): the dialog decides barge-in.
pub(super) fn on_boundary(live: &mut Live, out: &mut VecDeque<Output>, ev: SpeechBoundary, now: Instant) {
    match ev {
        SpeechBoundary::Vad(ev) => on_vad(live, out, ev, now),
        SpeechBoundary::Paused | SpeechBoundary::Resumed => {
            let Some(agent) = live.agent.as_mut() else {
                return;
            };
            let ev = if ev == SpeechBoundary::Paused {
                Event::CallerPaused
            } else {
                Event::CallerResumed
            };
            agent.handle(ev, now);
            pump(live, out, now);
        }
    }
}

/// Speech boundaries from the VAD (agent mode).
pub(super) fn on_vad(live: &mut Live, out: &mut VecDeque<Output>, ev: VadEvent, now: Instant) {
    let audio_ms = live.speech.as_ref().map_or(0, |s| s.audio_ms());
    let Some(agent) = live.agent.as_mut() else {
        return;
    };
    match ev {
        VadEvent::SpeechStart { at_ms } => {
            live.speech_onset_ms = Some(at_ms);
            agent.cancel_turn();
            agent.handle(Event::CallerSpeechStarted, now);
        }
        VadEvent::SpeechEnd { at_ms } => {
            // The end is declared after the hangover: date it back.
            let back = Duration::from_millis(audio_ms.saturating_sub(at_ms));
            agent.turn_ended(now.checked_sub(back).unwrap_or(now), now);
            agent.handle(Event::CallerSpeechEnded, now);
        }
    }
    pump(live, out, now);
}

/// A transcript (agent mode).
pub(super) fn on_transcript(
    live: &mut Live,
    out: &mut VecDeque<Output>,
    final_text: Option<(String, u32)>,
    partial: Option<String>,
    now: Instant,
) {
    let audio_ms = live.speech.as_ref().map_or(0, |s| s.audio_ms());
    let Some(agent) = live.agent.as_mut() else {
        return;
    };
    if let Some(p) = partial {
        agent.handle(Event::Partial(p), now);
    }
    if let Some((text, utt_ms)) = final_text {
        let text = text.trim().to_owned();
        if !text.is_empty() {
            out.push_back(Output::Event(CallEvent::Transcript(Utterance {
                speaker: Speaker::Caller,
                text: text.clone(),
                started_ms: audio_ms.saturating_sub(utt_ms as u64),
                ended_ms: audio_ms,
                cut_off: false,
            })));
        }
        agent.turn_transcribed(now);
        agent.handle(Event::Final(text), now);
    }
    pump(live, out, now);
}

/// Runs the dialog's actions.
pub(super) fn pump(live: &mut Live, out: &mut VecDeque<Output>, now: Instant) {
    let audio_ms = live.speech.as_ref().map_or(0, |s| s.audio_ms());
    let Some(agent) = live.agent.as_mut() else {
        return;
    };
    while let Some(action) = agent.poll_action() {
        match action {
            Action::Say { id, text } => {
                agent.turn_answered(now);
                agent.said(id, text.clone(), audio_ms);
                out.push_back(Output::Event(CallEvent::Agent(AgentNote::BotSays(text.clone()))));
                out.push_back(Output::Say(UtteranceId(id), text));
            }
            Action::StopSpeaking => {
                if live.playout.is_active(now) || agent.last_line().is_some() {
                    let cut = super::clear_playout(&mut live.playout, &mut live.taps, now);
                    if let (Some(sp), Some(last)) = (live.speech.as_mut(), agent.last_line()) {
                        sp.clear_through(last);
                    }
                    out.push_back(Output::Send(live.encoder.clear()));
                    counter!(m::BARGE_INS).increment(1);
                    if let Some(onset) = live.speech_onset_ms {
                        histogram!(m::BARGE_IN_LATENCY).record(audio_ms.saturating_sub(onset) as f64 / 1000.0);
                    }
                    for u in agent.interrupted(&cut, audio_ms, now) {
                        out.push_back(Output::Event(CallEvent::Transcript(u)));
                    }
                    out.push_back(Output::Event(CallEvent::BargeIn(cut)));
                }
            }
            Action::Call { id, request } => {
                out.push_back(Output::Event(CallEvent::Agent(AgentNote::FunctionStarted {
                    name: request.name(),
                })));
                out.push_back(Output::Call(id, request));
            }
            Action::Transfer { tier, reason } => {
                out.push_back(Output::Event(CallEvent::Agent(AgentNote::Transfer {
                    tier: tier.label(),
                    reason,
                })));
                agent.plan_transfer(tier, reason);
            }
            Action::QueueForStaff { tier, reason } => {
                out.push_back(Output::Event(CallEvent::Agent(AgentNote::StaffTask {
                    tier: tier.label(),
                    reason,
                })));
                out.push_back(Output::Task(crate::control::TaskOrder {
                    tier,
                    reason,
                    handoff: agent.context(reason),
                }));
            }
            Action::Hangup => agent.close_after_playback(super::EndReason::Completed),
            Action::SendDigits(digits) => out.push_back(Output::SendDigits(digits)),
        }
    }
    if let Some((id, progress)) = agent.take_payer_progress() {
        out.push_back(Output::PayerProgress(id, Box::new(progress)));
    }
    let status = agent.status();
    if status.is_some() && status != live.reported_status {
        live.reported_status = status;
        if let Some((verified, intent, taken_over)) = status {
            out.push_back(Output::Event(CallEvent::Agent(AgentNote::Status {
                verified,
                intent,
                taken_over,
            })));
        }
    }
}

/// After pacing: playback idle → lines finished; first reply frame → turn
/// latency; a closing call whose last line has played → ends.
pub(super) fn after_playout(
    live: &mut Live,
    out: &mut VecDeque<Output>,
    sent_media: bool,
    now: Instant,
) -> Option<super::EndReason> {
    let audio_ms = live.speech.as_ref().map_or(0, |s| s.audio_ms());
    let playing = live.playout.is_active(now);
    let agent = live.agent.as_mut()?;
    // A supervisor's voice going out is not the bot's reply.
    let supervised = agent.status().is_some_and(|s| s.2);
    if sent_media
        && !supervised
        && let Some(split) = agent.reply_started(now)
    {
        let lat = split.total();
        histogram!(m::TURN_LATENCY).record(lat.as_secs_f64());
        for (stage, d) in split.stages() {
            histogram!(m::TURN_STAGES, "stage" => stage).record(d.as_secs_f64());
        }
        out.push_back(Output::Event(CallEvent::Agent(AgentNote::TurnLatency(lat))));
    }
    if !playing {
        for u in agent.playback_idle(audio_ms, now) {
            out.push_back(Output::Event(CallEvent::Transcript(u)));
        }
    }
    pump(live, out, now);
    live.agent.as_ref()?.ready_to_close(live.playout.is_active(now))
}
