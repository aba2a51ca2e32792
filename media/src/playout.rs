//! Outbound playout: paces the bot's µ-law audio to the caller on an absolute
//! real-time clock, places marks, and on barge-in reports what was heard.
//!
//! Sans-IO: the call task feeds audio with [`Playout::push_audio`], asks
//! [`Playout::poll_timeout`] when to wake, and drains [`Playout::poll_transmit`].
//! Deadlines derive from an anchor instant plus the bytes sent since, never
//! from accumulated sleeps, so a late wake-up does not shift later frames.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

mod marks;

pub use marks::{MarkOutcome, MarkPoint, Marker};

/// µ-law bytes per millisecond at 8 kHz.
pub const BYTES_PER_MS: u64 = 8;

/// Identifies one bot utterance within a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UtteranceId(pub u64);

/// Pacing settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlayoutConfig {
    /// Audio per send in ms: 20, 40 or 60.
    pub send_ms: u32,
    /// Audio kept queued at the far end ahead of playback, in ms (≤ 100).
    pub lead_ms: u32,
    /// Interval of progress marks inside an utterance, in ms (0: end marks only).
    pub checkpoint_ms: u32,
}

impl Default for PlayoutConfig {
    fn default() -> Self {
        Self {
            send_ms: 20,
            lead_ms: 60,
            checkpoint_ms: 1000,
        }
    }
}

impl PlayoutConfig {
    /// Clamps the settings to the ranges the protocol tolerates.
    pub fn sanitized(self) -> Self {
        Self {
            send_ms: (self.send_ms / 20).clamp(1, 3) * 20,
            lead_ms: self.lead_ms.clamp(20, 100),
            checkpoint_ms: self.checkpoint_ms,
        }
    }
}

/// Something to send to the far end, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transmit {
    /// µ-law audio (20–60 ms).
    Media(Vec<u8>),
    /// A mark to be echoed when the audio before it has played.
    Mark(Marker),
}

/// An utterance cut short by a clear.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interrupted {
    /// The utterance.
    pub utterance: UtteranceId,
    /// Estimated heard, from the playback clock, in ms.
    pub heard_ms: u32,
    /// Heard as confirmed by echoed marks, in ms (a lower bound).
    pub confirmed_ms: u32,
    /// Audio known for the utterance when it was cut (sent + queued), in ms.
    pub total_ms: u32,
}

/// Counters for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlayoutStats {
    /// Media messages sent.
    pub sends: u64,
    /// Audio bytes sent.
    pub bytes_sent: u64,
    /// Sends made more than one frame after they were due (the loop woke late).
    pub late_sends: u64,
    /// Clears performed.
    pub clears: u64,
    /// Stale marks ignored.
    pub stale_marks: u64,
}

#[derive(Debug, Clone, Copy)]
struct Span {
    id: UtteranceId,
    start: u64,
    end: Option<u64>,
    confirmed: u64,
}

/// The outbound playout of one call.
#[derive(Debug)]
pub struct Playout {
    cfg: PlayoutConfig,
    generation: u32,
    queue: VecDeque<u8>,
    /// Stream offset (bytes, this generation) of the next byte enqueued.
    enqueued: u64,
    /// Stream offset of the next byte to send.
    sent: u64,
    marks: VecDeque<(u64, Marker)>,
    spans: VecDeque<Span>,
    /// At this instant, playback at the far end stood at this offset.
    anchor: Option<(Instant, u64)>,
    /// When queued audio first became available after the queue was empty.
    ready_since: Option<Instant>,
    /// Sending is held (the caller may be taking the floor).
    held: bool,
    stats: PlayoutStats,
}

impl Playout {
    /// An idle playout.
    pub fn new(cfg: PlayoutConfig) -> Self {
        Self {
            cfg: cfg.sanitized(),
            generation: 1,
            queue: VecDeque::new(),
            enqueued: 0,
            sent: 0,
            marks: VecDeque::new(),
            spans: VecDeque::new(),
            anchor: None,
            ready_since: None,
            held: false,
            stats: PlayoutStats::default(),
        }
    }

    /// Holds the audio not yet sent: nothing more goes out until
    /// [`Playout::resume`], so the caller hears the bot stop once the little
    /// already sent (the lead) has played. Used while caller speech over the
    /// bot is not yet known to be an interruption: a backchannel or a cough
    /// then costs a short pause instead of a cleared sentence.
    pub fn hold(&mut self) {
        self.held = true;
    }

    /// Sends the held audio on, from where it stopped (playback restarts
    /// from now, with no catch-up burst).
    pub fn resume(&mut self, now: Instant) {
        if self.held && !self.queue.is_empty() {
            self.ready_since = Some(now);
        }
        self.held = false;
    }

    /// Whether sending is held.
    pub fn is_held(&self) -> bool {
        self.held
    }

    /// Current playback generation.
    pub fn generation(&self) -> u32 {
        self.generation
    }

    /// Counters so far.
    pub fn stats(&self) -> PlayoutStats {
        self.stats
    }

    /// Whether the caller is (or soon will be) hearing bot audio.
    pub fn is_active(&self, now: Instant) -> bool {
        !self.queue.is_empty() || self.played(now) < self.sent
    }

    /// Audio the caller has still to hear, in ms: queued here, or sent and
    /// still playing at the far end.
    pub fn pending_ms(&self, now: Instant) -> u64 {
        (self.queue.len() as u64 + self.sent - self.played(now)) / BYTES_PER_MS
    }

    /// Appends audio to utterance `id`, starting it if new.
    pub fn push_audio(&mut self, now: Instant, id: UtteranceId, audio: &[u8]) {
        if audio.is_empty() {
            return;
        }
        if !matches!(self.spans.back(), Some(s) if s.id == id && s.end.is_none()) {
            self.spans.push_back(Span {
                id,
                start: self.enqueued,
                end: None,
                confirmed: 0,
            });
        }
        if self.queue.is_empty() {
            self.ready_since = Some(now);
        }
        let start = self.spans.back().map_or(0, |s| s.start);
        if self.cfg.checkpoint_ms > 0 {
            let step = self.cfg.checkpoint_ms as u64 * BYTES_PER_MS;
            let before = self.enqueued - start;
            let after = before + audio.len() as u64;
            let mut k = before / step + 1;
            while k * step <= after {
                let point = MarkPoint::Progress((k * step / BYTES_PER_MS) as u32);
                self.marks.push_back((
                    start + k * step,
                    Marker {
                        generation: self.generation,
                        utterance: id,
                        point,
                    },
                ));
                k += 1;
            }
        }
        self.queue.extend(audio);
        self.enqueued += audio.len() as u64;
    }

    /// Marks the end of utterance `id`: an end mark follows its last byte.
    pub fn finish_utterance(&mut self, id: UtteranceId) {
        let at = self.enqueued;
        match self.spans.back_mut() {
            Some(s) if s.id == id && s.end.is_none() => s.end = Some(at),
            // An utterance with no audio: nothing to hear, nothing to track.
            _ => return,
        }
        self.marks.push_back((
            at,
            Marker {
                generation: self.generation,
                utterance: id,
                point: MarkPoint::End,
            },
        ));
    }

    /// When [`Playout::poll_transmit`] next has something, if ever.
    pub fn poll_timeout(&self, now: Instant) -> Option<Instant> {
        if self.marks.front().is_some_and(|(at, _)| *at <= self.sent) {
            return Some(now);
        }
        if self.queue.is_empty() || self.held {
            return None;
        }
        Some(self.schedule().map_or(now, |(due, _)| due))
    }

    /// The next thing to send now, if any is due.
    pub fn poll_transmit(&mut self, now: Instant) -> Option<Transmit> {
        if self.marks.front().is_some_and(|(at, _)| *at <= self.sent) {
            return self.marks.pop_front().map(|(_, m)| Transmit::Mark(m));
        }
        if self.queue.is_empty() || self.held {
            return None;
        }
        let deadline = match self.schedule() {
            Some((due, _)) if due > now => return None,
            Some((due, end)) if end > now || Some(self.sent) == self.anchor.map(|a| a.1) => due,
            Some((due, _)) => {
                // The far end ran dry: playback restarts from now, no catch-up burst.
                self.anchor = Some((now, self.sent));
                due
            }
            None => {
                self.anchor = Some((now, self.sent));
                now
            }
        };
        // Late when audio was ready before the deadline and went out a frame late.
        let ready = self.ready_since.map_or(deadline, |r| r.max(deadline));
        if now.saturating_duration_since(ready) > Duration::from_millis(20) {
            self.stats.late_sends += 1;
        }
        let mut n = (self.cfg.send_ms as u64 * BYTES_PER_MS).min(self.queue.len() as u64);
        if let Some((at, _)) = self.marks.front() {
            n = n.min(at - self.sent);
        }
        let chunk: Vec<u8> = self.queue.drain(..n as usize).collect();
        self.sent += n;
        self.ready_since = if self.queue.is_empty() { None } else { Some(now) };
        self.stats.sends += 1;
        self.stats.bytes_sent += n;
        Some(Transmit::Media(chunk))
    }

    /// Handles an echoed mark.
    pub fn on_mark(&mut self, name: &str) -> MarkOutcome {
        let Some(m) = Marker::parse(name) else {
            return MarkOutcome::Unknown;
        };
        if m.generation != self.generation {
            self.stats.stale_marks += 1;
            return MarkOutcome::Stale;
        }
        let Some(pos) = self.spans.iter().position(|s| s.id == m.utterance) else {
            return MarkOutcome::Unknown;
        };
        match m.point {
            MarkPoint::Progress(ms) => {
                let s = &mut self.spans[pos];
                s.confirmed = s.confirmed.max(ms as u64 * BYTES_PER_MS);
                MarkOutcome::Progress {
                    utterance: m.utterance,
                    heard_ms: ms,
                }
            }
            MarkPoint::End => {
                let s = self.spans.remove(pos).expect("position is in range");
                let total = s.end.unwrap_or(self.enqueued) - s.start;
                // Everything before this point has been played, too.
                self.spans.retain(|o| o.start >= s.start);
                MarkOutcome::Finished {
                    utterance: m.utterance,
                    total_ms: (total / BYTES_PER_MS) as u32,
                }
            }
        }
    }

    /// Barge-in: drops everything queued, starts a new generation and reports
    /// how much of each unfinished utterance the caller heard.
    pub fn clear(&mut self, now: Instant) -> Vec<Interrupted> {
        let played = self.played(now);
        let report = self
            .spans
            .iter()
            .map(|s| {
                let end = s.end.unwrap_or(self.enqueued);
                let heard = played.clamp(s.start, end) - s.start;
                Interrupted {
                    utterance: s.id,
                    heard_ms: (heard / BYTES_PER_MS) as u32,
                    confirmed_ms: (s.confirmed / BYTES_PER_MS) as u32,
                    total_ms: ((end - s.start) / BYTES_PER_MS) as u32,
                }
            })
            .filter(|i| i.heard_ms < i.total_ms || self.spans.iter().any(|s| s.id == i.utterance && s.end.is_none()))
            .collect();
        self.generation += 1;
        self.queue.clear();
        self.marks.clear();
        self.spans.clear();
        self.enqueued = 0;
        self.sent = 0;
        self.anchor = None;
        self.ready_since = None;
        self.held = false;
        self.stats.clears += 1;
        report
    }

    /// Estimated playback position at the far end (bytes, this generation).
    fn played(&self, now: Instant) -> u64 {
        match self.anchor {
            Some((t0, off0)) => {
                let elapsed = now.saturating_duration_since(t0).as_micros() as u64;
                (off0 + elapsed * BYTES_PER_MS / 1000).min(self.sent)
            }
            None => 0,
        }
    }

    /// `(due, end)`: `end` is when the audio sent so far finishes playing at
    /// the far end; the next send is due once less than `lead - send` remains.
    fn schedule(&self) -> Option<(Instant, Instant)> {
        let (t0, off0) = self.anchor?;
        let end = t0 + Duration::from_micros((self.sent - off0) * 1000 / BYTES_PER_MS);
        let slack = Duration::from_millis(self.cfg.lead_ms.saturating_sub(self.cfg.send_ms) as u64);
        Some((end.checked_sub(slack).unwrap_or(end), end))
    }
}

#[cfg(test)]
mod tests;
