//! A jitter buffer for live voice from a browser (a barging supervisor's
//! microphone) on its way into a call's paced playout (sans-IO).
//!
//! Frames come off the network in bursts and with gaps; the playout plays
//! them on the call's real-time clock. Handing each frame on as it comes
//! would run the playout dry at every gap (a click, then the rest late), so
//! the buffer first holds a few frames (the target depth), then passes
//! frames on while the playout still has audio; when the playout does run
//! dry, it holds again until the target is back. Latency is capped: frames
//! that would put more than the maximum ahead of the caller are dropped,
//! oldest first. Order is the network's (the WebRTC stack reorders).

use std::collections::VecDeque;

/// Milliseconds in one frame.
const FRAME_MS: u64 = 20;

/// Settings of a [`VoiceJitter`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JitterConfig {
    /// Audio held before playing starts (and after the player ran dry), ms.
    pub target_ms: u64,
    /// Most audio ahead of the caller (held here plus queued in the
    /// player), ms; beyond it the oldest held frames are dropped.
    pub max_ms: u64,
}

impl Default for JitterConfig {
    fn default() -> Self {
        Self {
            target_ms: 60,
            max_ms: 300,
        }
    }
}

/// What the buffer did, for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JitterStats {
    /// Frames passed on.
    pub released: u64,
    /// Frames dropped to keep latency under the cap.
    pub dropped: u64,
    /// Times the player ran dry and the buffer refilled.
    pub underruns: u64,
}

/// The buffer.
#[derive(Debug)]
pub struct VoiceJitter {
    cfg: JitterConfig,
    held: VecDeque<Vec<u8>>,
    flowing: bool,
    stats: JitterStats,
}

impl VoiceJitter {
    /// An empty buffer.
    pub fn new(cfg: JitterConfig) -> Self {
        Self {
            cfg,
            held: VecDeque::new(),
            flowing: false,
            stats: JitterStats::default(),
        }
    }

    /// A 20 ms frame arrived while the player still holds `player_ms` of
    /// audio not yet heard; returns the frames to hand to the player now.
    pub fn push(&mut self, frame: Vec<u8>, player_ms: u64) -> Vec<Vec<u8>> {
        if self.flowing && player_ms == 0 {
            // Ran dry: refill to the target before playing on.
            self.flowing = false;
            self.stats.underruns += 1;
        }
        self.held.push_back(frame);
        let held_ms = self.held.len() as u64 * FRAME_MS;
        if !self.flowing {
            if held_ms < self.cfg.target_ms {
                return Vec::new();
            }
            self.flowing = true;
        }
        while !self.held.is_empty() && player_ms + self.held.len() as u64 * FRAME_MS > self.cfg.max_ms {
            self.held.pop_front();
            self.stats.dropped += 1;
        }
        self.stats.released += self.held.len() as u64;
        self.held.drain(..).collect()
    }

    /// The voice ended: whatever is held, to play out.
    pub fn flush(&mut self) -> Vec<Vec<u8>> {
        self.flowing = false;
        self.stats.released += self.held.len() as u64;
        self.held.drain(..).collect()
    }

    /// Counts so far.
    pub fn stats(&self) -> JitterStats {
        self.stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A simulated player: plays 20 ms per tick of what it was given.
    struct Player {
        queued_ms: u64,
        played: Vec<u8>,
        dry_ticks: u32,
        started: bool,
    }

    impl Player {
        fn take(&mut self, frames: Vec<Vec<u8>>) {
            for f in frames {
                self.queued_ms += FRAME_MS;
                self.played.push(f[0]);
            }
        }
        fn tick(&mut self) {
            if self.queued_ms >= FRAME_MS {
                self.started = true;
                self.queued_ms -= FRAME_MS;
            } else if self.started {
                self.dry_ticks += 1;
            }
        }
    }

    fn player() -> Player {
        Player {
            queued_ms: 0,
            played: Vec::new(),
            dry_ticks: 0,
            started: false,
        }
    }

    /// Plays 200 frames sent every 20 ms that arrive up to 40 ms late (in
    /// order); returns the player.
    fn run_jittery(cfg: JitterConfig) -> (Player, VoiceJitter) {
        let mut j = VoiceJitter::new(cfg);
        let mut p = player();
        // Frame k arrives at tick k + delay, delay 0..=2 ticks, never before
        // the frame ahead of it.
        let mut arrival = Vec::new();
        let mut last = 0u32;
        for k in 0..200u32 {
            let at = (k + (k * 7 + k / 5) % 3).max(last);
            arrival.push(at);
            last = at;
        }
        let mut next = 0usize;
        for tick in 0..260u32 {
            while next < 200 && arrival[next] == tick {
                let out = j.push(vec![next as u8], p.queued_ms);
                p.take(out);
                next += 1;
            }
            if next < 200 {
                p.tick();
            }
        }
        p.take(j.flush());
        (p, j)
    }

    #[test]
    fn late_frames_play_without_running_dry() {
        let (p, j) = run_jittery(JitterConfig::default());
        assert_eq!(p.dry_ticks, 0, "never ran dry once started");
        assert_eq!(j.stats().dropped, 0);
        let want: Vec<u8> = (0..200u32).map(|v| v as u8).collect();
        assert_eq!(p.played, want, "every frame, in order");
        // Handed on as they come (no buffer), the same arrivals run dry.
        let (bare, _) = run_jittery(JitterConfig {
            target_ms: 20,
            max_ms: 300,
        });
        assert!(bare.dry_ticks > 0, "{} dry ticks without a buffer", bare.dry_ticks);
    }

    #[test]
    fn playing_starts_once_the_target_is_held() {
        let mut j = VoiceJitter::new(JitterConfig {
            target_ms: 60,
            max_ms: 300,
        });
        assert!(j.push(vec![1], 0).is_empty());
        assert!(j.push(vec![2], 0).is_empty());
        assert_eq!(j.push(vec![3], 0), vec![vec![1], vec![2], vec![3]]);
        // Flowing: each frame goes on at once.
        assert_eq!(j.push(vec![4], 40), vec![vec![4]]);
        // The player ran dry: hold again.
        assert!(j.push(vec![5], 0).is_empty());
        assert_eq!(j.stats().underruns, 1);
    }

    #[test]
    fn latency_is_capped_by_dropping_the_oldest() {
        let mut j = VoiceJitter::new(JitterConfig {
            target_ms: 20,
            max_ms: 100,
        });
        j.push(vec![0], 0);
        // The player is 100 ms behind already: a new frame would make 120.
        let out = j.push(vec![1], 100);
        assert!(out.is_empty(), "{out:?}");
        assert_eq!(j.stats().dropped, 1);
        assert_eq!(j.push(vec![2], 60), vec![vec![2]]);
    }
}
