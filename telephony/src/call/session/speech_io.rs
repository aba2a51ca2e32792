//! The session's model-facing inputs: transcripts from the decoder and
//! synthesised bot audio (the `repeat` mode path).

use std::collections::VecDeque;
use std::time::Instant;

use media::playout::UtteranceId;
use metrics::counter;
use models::streaming::Hypothesis;
use models::stt::JobKind;

use super::{CallSession, Live, Output};
use crate::metrics as m;

impl CallSession {
    /// A decoder result for a [`Output::Decode`] request (`None` when the
    /// pool skipped a partial or decoding failed).
    pub fn handle_decoded(&mut self, utterance: u64, kind: JobKind, text: Option<String>, audio_ms: u32, now: Instant) {
        let Some(live) = self.live.as_mut() else {
            return;
        };
        let Some(sp) = live.speech.as_mut() else {
            return;
        };
        sp.on_decoded(utterance, kind, text, audio_ms);
        Self::take_hypotheses(live, &mut self.out, now);
        self.after(now);
    }

    /// The names-on-file hint was overruled by a plain decode for the
    /// transcript about to come: the dialog keeps what the hinted decode
    /// heard, for the member ID to confirm (never spoken).
    pub fn handle_hint_overruled(&mut self, hinted: String, now: Instant) {
        let Some(agent) = self.live.as_mut().and_then(|l| l.agent.as_mut()) else {
            return;
        };
        agent.handle(dialog::Event::HintOverruled(hinted), now);
    }

    /// Hands the recogniser's new hypotheses on: to the dialog in agent
    /// mode, as "You said: …" in repeat mode. A final can appear on a decode
    /// result or, when a speculative decode held, at the end of speech.
    pub(super) fn take_hypotheses(live: &mut Live, out: &mut VecDeque<Output>, now: Instant) {
        let Some(sp) = live.speech.as_mut() else {
            return;
        };
        let mut hyps: VecDeque<Hypothesis> = std::iter::from_fn(|| sp.poll_hypothesis()).collect();
        if live.agent.is_some() {
            while let Some(h) = hyps.pop_front() {
                match h {
                    Hypothesis::Pause { text, .. } => {
                        let judged = live
                            .agent
                            .as_ref()
                            .map_or(dialog::Completeness::Unsure, |a| a.turn_completeness(&text));
                        let ended = live.speech.as_mut().and_then(|sp| sp.judged(judged));
                        if let Some(ev) = ended {
                            super::agent_io::on_vad(live, out, ev, now);
                            // The speculation is the final now: hand it on.
                            if let Some(sp) = live.speech.as_mut() {
                                hyps.extend(std::iter::from_fn(|| sp.poll_hypothesis()));
                            }
                        }
                    }
                    Hypothesis::Partial { stable, tentative, .. } => {
                        let p = format!("{stable} {tentative}").trim().to_owned();
                        super::agent_io::on_transcript(live, out, None, Some(p), now);
                    }
                    Hypothesis::Final { text, audio_ms, .. } => {
                        super::agent_io::on_transcript(live, out, Some((text, audio_ms)), None, now);
                    }
                    Hypothesis::Recording { .. } => counter!(m::RECORDINGS_SKIPPED).increment(1),
                }
            }
            return;
        }
        while let Some(h) = hyps.pop_front() {
            let Some(sp) = live.speech.as_mut() else {
                return;
            };
            match h {
                Hypothesis::Pause { text, .. } => {
                    if sp.judged(dialog::turn_end::judge_words(&text)).is_some() {
                        hyps.extend(std::iter::from_fn(|| sp.poll_hypothesis()));
                        if let Some(b) = live.barge_in.as_mut() {
                            b.speech_ended();
                        }
                    }
                }
                Hypothesis::Partial { stable, tentative, .. } => {
                    // Transcripts are PHI: log sizes, never words.
                    tracing::debug!(
                        stable_words = stable.split_whitespace().count(),
                        tentative_words = tentative.split_whitespace().count(),
                        "partial transcript"
                    );
                    let heard = format!("{stable} {tentative}");
                    if live.barge_in.as_mut().is_some_and(|b| b.partial(&heard)) {
                        Self::barge_in(live, out, now);
                    }
                }
                Hypothesis::Recording { .. } => {}
                Hypothesis::Final { text, audio_ms, .. } => {
                    tracing::debug!(words = text.split_whitespace().count(), audio_ms, "final transcript");
                    if let Some(b) = live.barge_in.as_mut() {
                        b.final_heard();
                    }
                    let text = text.trim().to_owned();
                    // A backchannel over the bot is listening, not a turn.
                    let bot = live.playout.is_active(now);
                    if text.is_empty() || (bot && dialog::nlu::is_backchannel(&text)) {
                        continue;
                    }
                    if bot {
                        // Words over the bot that no partial caught: they take the floor.
                        Self::barge_in(live, out, now);
                    }
                    if let Some(sp) = live.speech.as_mut() {
                        let id = sp.new_bot_utterance();
                        out.push_back(Output::Say(id, format!("You said: {text}")));
                    }
                }
            }
        }
    }

    /// Synthesised µ-law for bot utterance `id`; `last` ends the utterance.
    /// Audio for an utterance cut by a barge-in is dropped.
    pub fn handle_bot_audio(&mut self, id: UtteranceId, ulaw: &[u8], last: bool, now: Instant) {
        let Some(live) = self.live.as_mut() else {
            return;
        };
        if live.speech.as_ref().is_some_and(|sp| !sp.accepts(id)) {
            return;
        }
        if !ulaw.is_empty()
            && let Some(agent) = live.agent.as_mut()
        {
            agent.turn_audio_ready(now);
        }
        live.playout.push_audio(now, id, ulaw);
        if last {
            live.playout.finish_utterance(id);
            if let Some(agent) = live.agent.as_mut() {
                agent.synthesized(id.0);
            }
        }
        self.after(now);
    }
}
