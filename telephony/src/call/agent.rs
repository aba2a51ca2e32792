//! The dialog inside a call (sans-IO): feeds the [`dialog::Dialog`] with
//! speech, transcripts, key presses, playback progress and function results,
//! and keeps the bookkeeping the dialog's actions need (which bot utterances
//! are playing, what was cut off, when the call may close).

use std::sync::Arc;
use std::time::Instant;

use dialog::payer_call::{PayerCall, Progress};
use dialog::{Action, Catalog, Dialog, DialogConfig, Event};
use media::playout::Interrupted;

use super::events::{EndReason, Speaker, Utterance};

/// A bot utterance that was started and not yet heard to its end.
#[derive(Debug, Clone)]
struct BotLine {
    id: u64,
    text: String,
    started_ms: u64,
    synthesized: bool,
    /// The bot, or a supervisor who took the call over.
    speaker: Speaker,
}

/// Who the bot is talking with.
enum Conversation {
    /// A patient calling in.
    Patient(Box<Dialog>),
    /// A payer's line, on an outbound verification (its job id).
    Payer(i64, Box<PayerCall>),
}

/// The agent half of a call.
pub struct AgentCall {
    dialog: Conversation,
    lines: Vec<BotLine>,
    closing: Option<EndReason>,
    /// The caller's last turn, ended and waiting for the reply.
    turn: Option<super::turn_clock::TurnClock>,
    /// The transfer to carry out once the last line has played.
    transfer: Option<crate::control::TransferOrder>,
}

impl AgentCall {
    /// A dialog over `catalog`.
    pub fn new(catalog: Arc<Catalog>, now: Instant) -> Self {
        Self {
            dialog: Conversation::Patient(Box::new(Dialog::new(DialogConfig::default(), catalog, now))),
            lines: Vec::new(),
            closing: None,
            turn: None,
            transfer: None,
        }
    }

    /// Lets the patient dialog read `opinions` where its grammar finds no
    /// request (see [`crate::intents`]); a payer call has no use for them.
    pub fn with_opinions(mut self, opinions: crate::intents::Opinions) -> Self {
        if let Conversation::Patient(d) = &mut self.dialog {
            d.set_intent_fallback(Box::new(opinions));
        }
        self
    }

    /// An outbound verification call (job `id`) with `call`'s conversation.
    pub fn payer(id: i64, call: PayerCall) -> Self {
        Self {
            dialog: Conversation::Payer(id, Box::new(call)),
            lines: Vec::new(),
            closing: None,
            turn: None,
            transfer: None,
        }
    }

    /// The verification job and its conversation, on a payer call.
    pub fn into_payer(self) -> Option<(i64, PayerCall)> {
        match self.dialog {
            Conversation::Payer(id, c) => Some((id, *c)),
            Conversation::Patient(_) => None,
        }
    }

    /// Whether this is a payer call waiting for its next stream.
    pub fn awaits_stream(&self) -> bool {
        matches!(&self.dialog, Conversation::Payer(_, c) if c.awaits_stream())
    }

    /// The verification job, on a payer call.
    pub fn payer_job(&self) -> Option<i64> {
        match &self.dialog {
            Conversation::Payer(id, _) => Some(*id),
            Conversation::Patient(_) => None,
        }
    }

    /// A payer call's progress, when it changed.
    pub fn take_payer_progress(&mut self) -> Option<(i64, Progress)> {
        match &mut self.dialog {
            Conversation::Payer(id, c) => c.take_progress().map(|p| (*id, p)),
            Conversation::Patient(_) => None,
        }
    }

    /// The caller's audio has come as far as `audio_now` (see
    /// [`dialog::Dialog::handle_audio`]).
    pub fn handle_audio(&mut self, audio_now: Instant) {
        if let Conversation::Patient(d) = &mut self.dialog {
            d.handle_audio(audio_now);
        }
    }

    /// Feeds one event.
    pub fn handle(&mut self, ev: Event, now: Instant) {
        match &mut self.dialog {
            Conversation::Patient(d) => d.handle(ev, now),
            Conversation::Payer(_, c) => c.handle(ev, now),
        }
    }

    /// A supervisor's input; false on a payer call (which has no supervisor
    /// controls yet).
    pub fn supervise(&mut self, input: dialog::Supervisor, now: Instant) -> bool {
        match &mut self.dialog {
            Conversation::Patient(d) => {
                d.handle(Event::Supervisor(input), now);
                true
            }
            Conversation::Payer(..) => false,
        }
    }

    /// Whether the patient dialog is verified, its last intent, and whether a
    /// supervisor has the call (for the console).
    pub fn status(&self) -> Option<(bool, Option<&'static str>, bool)> {
        match &self.dialog {
            Conversation::Patient(d) => Some((d.is_verified(), d.last_intent_label(), d.is_taken_over())),
            Conversation::Payer(..) => None,
        }
    }

    /// Runs the dialog's timers.
    pub fn handle_timeout(&mut self, now: Instant) {
        match &mut self.dialog {
            Conversation::Patient(d) => d.handle_timeout(now),
            Conversation::Payer(_, c) => c.handle_timeout(now),
        }
    }

    /// The dialog's next deadline.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match &self.dialog {
            Conversation::Patient(d) => d.poll_timeout(),
            Conversation::Payer(_, c) => c.poll_timeout(),
        }
    }

    /// The dialog's next action.
    pub fn poll_action(&mut self) -> Option<Action> {
        match &mut self.dialog {
            Conversation::Patient(d) => d.poll_action(),
            Conversation::Payer(_, c) => c.poll_action(),
        }
    }

    /// What the recogniser should expect now (see [`Dialog::recognition_hint`]).
    pub fn recognition_hint(&self) -> Option<String> {
        match &self.dialog {
            Conversation::Patient(d) => d.recognition_hint(),
            Conversation::Payer(_, c) => c.recognition_hint(),
        }
    }

    /// The names on file the recogniser is hinted with while the caller is
    /// identified (see [`Dialog::expected_names`]).
    pub fn expected_names(&self) -> Option<&dialog::hint::ExpectedNames> {
        match &self.dialog {
            Conversation::Patient(d) => d.expected_names(),
            Conversation::Payer(..) => None,
        }
    }

    /// Whether the bot is talking (a `Say` not yet finished or cut).
    pub fn is_bot_speaking(&self) -> bool {
        match &self.dialog {
            Conversation::Patient(d) => d.is_bot_speaking(),
            Conversation::Payer(_, c) => c.is_bot_speaking(),
        }
    }

    /// Whether the far end is a payer line holding the call (music and
    /// recorded announcements until a person picks up).
    pub fn on_hold(&self) -> bool {
        match &self.dialog {
            Conversation::Patient(_) => false,
            Conversation::Payer(_, c) => c.phase() == dialog::payer_call::Phase::Hold,
        }
    }

    /// Whether caller speech over the bot awaits a barge-in decision.
    pub fn floor_contested(&self, now: std::time::Instant) -> bool {
        match &self.dialog {
            Conversation::Patient(d) => d.floor_contested(now),
            Conversation::Payer(..) => false,
        }
    }

    /// Whether the words heard at a pause finish the caller's turn (see
    /// [`Dialog::turn_completeness`]).
    pub fn turn_completeness(&self, text: &str) -> dialog::Completeness {
        match &self.dialog {
            Conversation::Patient(d) => d.turn_completeness(text),
            Conversation::Payer(_, c) => c.turn_completeness(text),
        }
    }

    /// Conversation outcome label for the call record.
    pub fn outcome(&self) -> &'static str {
        use dialog::CallOutcome::*;
        let d = match &self.dialog {
            Conversation::Patient(d) => d,
            Conversation::Payer(_, c) => return c.outcome().map_or("abandoned", |o| o.label()),
        };
        match d.outcome() {
            InProgress | Abandoned => "abandoned",
            Resolved => "resolved",
            Transferred => "transferred",
            VerificationFailed => "verification_failed",
            Emergency => "emergency",
            CallbackQueued => "callback_queued",
        }
    }

    /// A new bot line was handed to TTS.
    pub fn said(&mut self, id: u64, text: String, at_ms: u64) {
        let speaker = match &self.dialog {
            Conversation::Patient(d) if d.is_supervisor_line(id) => Speaker::Supervisor,
            _ => Speaker::Bot,
        };
        self.lines.push(BotLine {
            id,
            text,
            started_ms: at_ms,
            synthesized: false,
            speaker,
        });
    }

    /// All audio of line `id` has been handed to playout.
    pub fn synthesized(&mut self, id: u64) {
        if let Some(l) = self.lines.iter_mut().find(|l| l.id == id) {
            l.synthesized = true;
        }
    }

    /// Highest line id said so far.
    pub fn last_line(&self) -> Option<u64> {
        self.lines.iter().map(|l| l.id).max()
    }

    /// Playback went idle: every fully synthesised line has been heard.
    /// Returns the finished lines for the call record.
    pub fn playback_idle(&mut self, at_ms: u64, now: Instant) -> Vec<Utterance> {
        let mut done = Vec::new();
        let mut i = 0;
        while i < self.lines.len() {
            if self.lines[i].synthesized {
                let l = self.lines.remove(i);
                self.handle(Event::BotFinished(l.id), now);
                done.push(Utterance {
                    speaker: l.speaker,
                    text: l.text,
                    started_ms: l.started_ms,
                    ended_ms: at_ms,
                    cut_off: false,
                });
            } else {
                i += 1;
            }
        }
        done
    }

    /// Playback was cleared: the cut lines, for the dialog and the record.
    pub fn interrupted(&mut self, cut: &[Interrupted], at_ms: u64, now: Instant) -> Vec<Utterance> {
        let mut done = Vec::new();
        for l in std::mem::take(&mut self.lines) {
            let c = cut.iter().find(|c| c.utterance.0 == l.id);
            let (heard, total) = c.map_or((0, 0), |c| (c.heard_ms as u64, c.total_ms as u64));
            self.handle(
                Event::BotInterrupted {
                    id: l.id,
                    heard_ms: heard,
                    total_ms: total,
                },
                now,
            );
            done.push(Utterance {
                speaker: l.speaker,
                text: l.text,
                started_ms: l.started_ms,
                ended_ms: at_ms,
                cut_off: true,
            });
        }
        done
    }

    /// Whether bot lines are still unrecorded (playing or queued).
    pub fn has_lines(&self) -> bool {
        !self.lines.is_empty()
    }

    /// The call ended while the bot was talking: the lines the caller heard,
    /// whole or in part (`cut` from clearing the playout: a line still in
    /// it with nothing heard was never heard; a synthesised line no longer
    /// in it played to its end; a line not yet synthesised and not in it
    /// never began).
    pub fn ended_mid_speech(&mut self, cut: &[Interrupted], at_ms: u64) -> Vec<Utterance> {
        std::mem::take(&mut self.lines)
            .into_iter()
            .filter_map(|l| {
                let cut_off = match cut.iter().find(|c| c.utterance.0 == l.id) {
                    Some(c) if c.heard_ms == 0 => return None,
                    Some(c) => c.heard_ms < c.total_ms || !l.synthesized,
                    None if l.synthesized => false,
                    None => return None,
                };
                Some(Utterance {
                    speaker: l.speaker,
                    text: l.text,
                    started_ms: l.started_ms,
                    ended_ms: at_ms,
                    cut_off,
                })
            })
            .collect()
    }

    /// The call should end once the last line has played.
    pub fn close_after_playback(&mut self, reason: EndReason) {
        self.closing.get_or_insert(reason);
    }

    /// Why and whether the call may end now (nothing left to say).
    pub fn ready_to_close(&self, playing: bool) -> Option<EndReason> {
        let r = self.closing?;
        (!playing && self.lines.iter().all(|l| l.synthesized)).then_some(r)
    }

    /// The caller started speaking again: any pending turn is void.
    pub fn cancel_turn(&mut self) {
        self.turn = None;
    }

    /// The caller's turn ended: speech ended at `end`, which is declared `now`.
    pub fn turn_ended(&mut self, end: Instant, now: Instant) {
        self.turn = Some(super::turn_clock::TurnClock::new(end, now));
    }

    /// The turn's final transcript arrived.
    pub fn turn_transcribed(&mut self, now: Instant) {
        if let Some(t) = self.turn.as_mut() {
            t.transcribed(now);
        }
    }

    /// The dialog asked for a line to be spoken.
    pub fn turn_answered(&mut self, now: Instant) {
        if let Some(t) = self.turn.as_mut() {
            t.asked(now);
        }
    }

    /// Audio of a reply is ready to play.
    pub fn turn_audio_ready(&mut self, now: Instant) {
        if let Some(t) = self.turn.as_mut() {
            t.audio_ready(now);
        }
    }

    /// The first reply audio went out: the turn's stages, once per turn.
    pub fn reply_started(&mut self, now: Instant) -> Option<super::turn_clock::TurnSplit> {
        self.turn.take().map(|t| t.split(now))
    }

    /// The dialog decided to transfer: carried out after the last line.
    pub fn plan_transfer(&mut self, tier: dialog::Tier, reason: &'static str) {
        self.transfer = Some(crate::control::TransferOrder {
            tier,
            reason,
            handoff: self.handoff().cloned(),
        });
        self.close_after_playback(EndReason::Transferred);
    }

    /// The planned transfer, once.
    pub fn take_transfer(&mut self) -> Option<crate::control::TransferOrder> {
        self.transfer.take()
    }

    /// What staff would be told about the call now, for `reason`.
    pub fn context(&self, reason: &'static str) -> dialog::Handoff {
        match &self.dialog {
            Conversation::Patient(d) => d.context(reason),
            Conversation::Payer(..) => dialog::Handoff {
                reason,
                verified: false,
                intent: None,
                medication: None,
                patient_id: None,
            },
        }
    }

    /// What staff are told, once the call was handed to them.
    pub fn handoff(&self) -> Option<&dialog::Handoff> {
        match &self.dialog {
            Conversation::Patient(d) => d.handoff(),
            Conversation::Payer(..) => None,
        }
    }

    /// Whether the dialog verified the caller.
    pub fn is_verified(&self) -> bool {
        match &self.dialog {
            Conversation::Patient(d) => d.is_verified(),
            Conversation::Payer(..) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use media::playout::UtteranceId;

    fn catalog() -> Arc<Catalog> {
        Arc::new(Catalog::default())
    }

    #[test]
    fn a_hang_up_mid_sentence_keeps_what_was_heard() {
        let now = Instant::now();
        let mut a = AgentCall::new(catalog(), now);
        a.said(
            1,
            "If this is a medical emergency, please hang up and dial 9 1 1 now.".into(),
            100,
        );
        a.synthesized(1);
        a.said(2, "I'm flagging this and connecting you to a pharmacist.".into(), 150);
        a.synthesized(2);
        a.said(3, "Never began.".into(), 200);
        a.said(4, "Queued, not heard.".into(), 210);
        a.synthesized(4);
        let cut = [
            Interrupted {
                utterance: UtteranceId(2),
                heard_ms: 800,
                confirmed_ms: 600,
                total_ms: 2400,
            },
            Interrupted {
                utterance: UtteranceId(4),
                heard_ms: 0,
                confirmed_ms: 0,
                total_ms: 900,
            },
        ];
        let got = a.ended_mid_speech(&cut, 5000);
        let summary: Vec<(&str, bool)> = got.iter().map(|u| (u.text.as_str(), u.cut_off)).collect();
        assert_eq!(
            summary,
            [
                (
                    "If this is a medical emergency, please hang up and dial 9 1 1 now.",
                    false
                ),
                ("I'm flagging this and connecting you to a pharmacist.", true),
            ]
        );
        assert!(got.iter().all(|u| u.speaker == Speaker::Bot && u.ended_ms == 5000));
        assert!(!a.has_lines());
    }
}
