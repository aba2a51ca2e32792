//! A barging supervisor's voice, cut into utterances for the call's
//! transcript (sans-IO). Their microphone is close and clean, so an energy
//! gate finds the words; a short pre-roll keeps each utterance's onset.

use std::collections::VecDeque;

use media::level::{EnergyGate, GateConfig, GateEvent};

/// Audio kept before the gate declares speech (it declares it late).
const PRE_ROLL: usize = 8 * 400;
/// Longest utterance sent to the recogniser at once (Whisper's window).
const MAX_SAMPLES: usize = 8000 * 25;

/// One utterance of the supervisor's, ready to transcribe.
#[derive(Debug, Clone, PartialEq)]
pub struct SupervisorUtterance {
    /// 8 kHz PCM.
    pub pcm: Vec<i16>,
    /// Start and end on the call's timeline, ms.
    pub started_ms: u64,
    /// End, ms.
    pub ended_ms: u64,
}

/// The supervisor's voice so far.
#[derive(Debug)]
pub(super) struct SupervisorVoice {
    gate: EnergyGate,
    pre: VecDeque<i16>,
    current: Option<(Vec<i16>, u64)>,
}

impl SupervisorVoice {
    pub(super) fn new() -> Self {
        Self {
            gate: EnergyGate::new(GateConfig {
                threshold_dbfs: -40.0,
                min_speech_ms: 120,
                hangover_ms: 600,
            }),
            pre: VecDeque::with_capacity(PRE_ROLL + 160),
            current: None,
        }
    }

    /// 20 ms of voice heard at `at_ms` on the call's timeline; an utterance
    /// when one ended.
    pub(super) fn push(&mut self, pcm: &[i16], at_ms: u64) -> Option<SupervisorUtterance> {
        let ev = self.gate.push(pcm);
        if let Some((buf, _)) = self.current.as_mut() {
            buf.extend_from_slice(pcm);
        } else {
            self.pre.extend(pcm.iter().copied());
            while self.pre.len() > PRE_ROLL {
                self.pre.pop_front();
            }
        }
        match ev {
            Some(GateEvent::SpeechStarted { .. }) => {
                let buf: Vec<i16> = self.pre.drain(..).collect();
                let start = at_ms.saturating_sub(buf.len() as u64 / 8);
                self.current = Some((buf, start));
                None
            }
            Some(GateEvent::SpeechEnded) => self.finish(at_ms),
            None if self.current.as_ref().is_some_and(|(b, _)| b.len() >= MAX_SAMPLES) => self.finish(at_ms),
            None => None,
        }
    }

    /// The voice stopped (the supervisor left): what was being said.
    pub(super) fn finish(&mut self, at_ms: u64) -> Option<SupervisorUtterance> {
        let (pcm, started_ms) = self.current.take()?;
        Some(SupervisorUtterance {
            pcm,
            started_ms,
            ended_ms: at_ms,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(amp: f32) -> Vec<i16> {
        (0..160).map(|i| (amp * (i as f32 * 0.3).sin()) as i16).collect()
    }

    #[test]
    fn words_between_pauses_become_one_utterance_each() {
        let mut v = SupervisorVoice::new();
        let mut got = Vec::new();
        let mut t = 0u64;
        // 0.5 s quiet, 1 s speech, 1 s quiet, 0.6 s speech, then the mic leaves.
        for (frames, amp) in [(25, 0.0), (50, 8000.0), (50, 0.0), (30, 8000.0)] {
            for _ in 0..frames {
                t += 20;
                got.extend(v.push(&frame(amp), t));
            }
        }
        got.extend(v.finish(t));
        assert_eq!(
            got.len(),
            2,
            "{:?}",
            got.iter().map(|u| (u.started_ms, u.ended_ms)).collect::<Vec<_>>()
        );
        // The first begins near its onset (500 ms), with its pre-roll.
        assert!((80..=520).contains(&got[0].started_ms), "{}", got[0].started_ms);
        assert!(got[0].pcm.len() >= 8 * 1000, "the whole second of speech");
        assert!(got[1].started_ms > got[0].ended_ms);
        // Silence alone is nothing.
        let mut quiet = SupervisorVoice::new();
        for i in 0..100 {
            assert!(quiet.push(&frame(0.0), i * 20).is_none());
        }
        assert!(quiet.finish(2000).is_none());
    }
}
