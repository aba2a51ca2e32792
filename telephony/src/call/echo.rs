//! Echo mode: the caller's speech (and key presses, as tones) comes back after
//! a fixed delay. A diagnostic for the whole media path: decode, sequencing,
//! speech detection, pacing, marks and barge-in, with no models involved.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use media::dtmf::{DtmfDigit, DtmfGenerator};
use media::level::GateEvent;
use media::playout::{Playout, UtteranceId};

/// Frames kept from before a detected speech onset (the detector declares
/// speech only after its minimum duration).
const PREROLL_FRAMES: usize = 20;

enum Item {
    Audio(UtteranceId, Vec<u8>),
    End(UtteranceId),
}

/// The echo state of one call.
pub struct Echo {
    delay: Duration,
    pending: VecDeque<(Instant, Item)>,
    preroll: VecDeque<(Instant, Vec<u8>)>,
    current: Option<UtteranceId>,
    next_id: u64,
}

impl Echo {
    /// Echo with the given delay.
    pub fn new(delay: Duration) -> Self {
        Self {
            delay,
            pending: VecDeque::new(),
            preroll: VecDeque::new(),
            current: None,
            next_id: 1,
        }
    }

    fn new_id(&mut self) -> UtteranceId {
        let id = UtteranceId(self.next_id);
        self.next_id += 1;
        id
    }

    /// Feeds one inbound frame of µ-law with the speech gate's verdict on it.
    pub fn on_frame(&mut self, now: Instant, ulaw: &[u8], gate: Option<GateEvent>, speaking: bool) {
        let due = now + self.delay;
        match gate {
            Some(GateEvent::SpeechStarted { began_ms_ago }) => {
                let id = self.new_id();
                self.current = Some(id);
                self.preroll.push_back((now, ulaw.to_vec()));
                let keep = (began_ms_ago as usize / 20 + 2).min(self.preroll.len());
                let skip = self.preroll.len() - keep;
                // Each frame keeps its own capture time: the echo starts one
                // delay after the speech did, not after it was detected.
                for (captured, frame) in self.preroll.drain(..).skip(skip) {
                    self.pending.push_back((captured + self.delay, Item::Audio(id, frame)));
                }
            }
            Some(GateEvent::SpeechEnded) => {
                if let Some(id) = self.current.take() {
                    self.pending.push_back((due, Item::Audio(id, ulaw.to_vec())));
                    self.pending.push_back((due, Item::End(id)));
                }
            }
            None if speaking => {
                if let Some(id) = self.current {
                    self.pending.push_back((due, Item::Audio(id, ulaw.to_vec())));
                }
            }
            None => {
                self.preroll.push_back((now, ulaw.to_vec()));
                if self.preroll.len() > PREROLL_FRAMES {
                    self.preroll.pop_front();
                }
            }
        }
    }

    /// Echoes a key press as its in-band tone.
    pub fn on_dtmf(&mut self, now: Instant, digit: DtmfDigit) {
        let id = self.new_id();
        let due = now + self.delay;
        self.pending
            .push_back((due, Item::Audio(id, DtmfGenerator::default().render(&[digit]))));
        self.pending.push_back((due, Item::End(id)));
    }

    /// Drops pending echoes of everything but the caller's current speech
    /// (after a barge-in cleared the playback).
    pub fn drop_all_but_current(&mut self) {
        let keep = self.current;
        self.pending.retain(|(_, item)| match item {
            Item::Audio(id, _) | Item::End(id) => Some(*id) == keep,
        });
    }

    /// When the next echo is due.
    pub fn next_due(&self) -> Option<Instant> {
        self.pending.front().map(|(t, _)| *t)
    }

    /// Moves due echoes into the playout.
    pub fn release(&mut self, now: Instant, playout: &mut Playout) {
        while self.pending.front().is_some_and(|(t, _)| *t <= now) {
            match self.pending.pop_front().map(|(_, item)| item) {
                Some(Item::Audio(id, audio)) => playout.push_audio(now, id, &audio),
                Some(Item::End(id)) => playout.finish_utterance(id),
                None => break,
            }
        }
    }
}
