//! Lines the two sides of a call up on one timeline: the caller's decoded
//! audio on the left, the bot's sent audio on the right, silence where a side
//! has nothing, cut into blocks for the writer.
//!
//! The timeline counts 8 kHz frames from the start of the stream. Caller
//! audio arrives frame after frame (gaps already concealed by the
//! sequencer), so it is laid end to end. Bot audio is placed the way the far
//! end plays it: at the end of what is already queued, or now when nothing
//! is; a `clear` drops what was queued but not yet played. A block is handed
//! out once both the caller's audio and the clock have passed its end; if
//! the caller stalls, a short slack later, with silence for the missing part
//! (late caller audio then follows on, a little shifted, never lost).

use std::time::{Duration, Instant};

use super::SAMPLE_RATE;

/// Frames per block: one second.
pub const BLOCK_FRAMES: usize = SAMPLE_RATE as usize;
/// How long a block waits for late caller audio.
const SLACK: Duration = Duration::from_millis(500);

/// The stereo timeline of one call (sans-IO: the caller passes the time).
#[derive(Debug, Clone)]
pub struct StereoAligner {
    start: Instant,
    block: usize,
    slack: u64,
    /// Timeline frame of `left[0]` and `right[0]`.
    base: u64,
    left: Vec<i16>,
    right: Vec<i16>,
    /// Where the next caller sample goes.
    caller_pos: u64,
    /// The end of the bot audio queued at the far end.
    bot_pos: u64,
}

impl StereoAligner {
    /// A timeline starting at `start`, cut into one-second blocks.
    pub fn new(start: Instant) -> Self {
        Self::with_block(start, BLOCK_FRAMES)
    }

    /// A timeline cut into blocks of `frames` (at least 1).
    pub fn with_block(start: Instant, frames: usize) -> Self {
        let block = frames.max(1);
        Self {
            start,
            block,
            slack: frame_at(SLACK),
            base: 0,
            left: Vec::with_capacity(block * 2),
            right: Vec::with_capacity(block * 2),
            caller_pos: 0,
            bot_pos: 0,
        }
    }

    /// Caller audio, following the caller audio before it.
    pub fn push_caller(&mut self, pcm: &[i16]) {
        let at = self.caller_pos.max(self.base);
        Self::write(&mut self.left, &mut self.right, self.base, at, pcm);
        self.caller_pos = at + pcm.len() as u64;
    }

    /// Bot audio sent at `now`: it plays after the bot audio still queued,
    /// or at once.
    pub fn push_bot(&mut self, now: Instant, pcm: &[i16]) {
        let at = self.bot_pos.max(self.now_frame(now)).max(self.base);
        Self::write(&mut self.right, &mut self.left, self.base, at, pcm);
        self.bot_pos = at + pcm.len() as u64;
    }

    /// The far end dropped the bot audio it had not played yet (`clear`).
    pub fn clear_bot(&mut self, now: Instant) {
        let from = self.now_frame(now).max(self.base);
        if self.bot_pos > from {
            let lo = (from - self.base) as usize;
            let hi = ((self.bot_pos - self.base) as usize).min(self.right.len());
            if lo < hi {
                self.right[lo..hi].fill(0);
            }
            self.bot_pos = from;
        }
    }

    /// The next full block, interleaved (left, right, left, ...), once it
    /// can no longer change.
    pub fn poll_block(&mut self, now: Instant) -> Option<Vec<i16>> {
        let end = self.base + self.block as u64;
        let clock = self.now_frame(now);
        let ready = self.caller_pos >= end && clock >= end;
        if !(ready || clock >= end + self.slack) {
            return None;
        }
        let n = self.block;
        Self::grow(&mut self.left, &mut self.right, n);
        let out = interleave(&self.left[..n], &self.right[..n]);
        self.left.drain(..n);
        self.right.drain(..n);
        self.base = end;
        self.caller_pos = self.caller_pos.max(end);
        self.bot_pos = self.bot_pos.max(end);
        Some(out)
    }

    /// Everything not yet handed out, interleaved (the end of the call).
    pub fn finish(&mut self) -> Vec<i16> {
        let out = interleave(&self.left, &self.right);
        self.base += self.left.len() as u64;
        self.left.clear();
        self.right.clear();
        self.caller_pos = self.caller_pos.max(self.base);
        self.bot_pos = self.bot_pos.max(self.base);
        out
    }

    fn now_frame(&self, now: Instant) -> u64 {
        frame_at(now.saturating_duration_since(self.start))
    }

    /// Writes `pcm` into `chan` at timeline frame `at`, growing both channels.
    fn write(chan: &mut Vec<i16>, other: &mut Vec<i16>, base: u64, at: u64, pcm: &[i16]) {
        let from = (at - base) as usize;
        Self::grow(chan, other, from + pcm.len());
        chan[from..from + pcm.len()].copy_from_slice(pcm);
    }

    fn grow(a: &mut Vec<i16>, b: &mut Vec<i16>, len: usize) {
        if a.len() < len {
            a.resize(len, 0);
        }
        if b.len() < len {
            b.resize(len, 0);
        }
    }
}

fn frame_at(d: Duration) -> u64 {
    (d.as_micros() * SAMPLE_RATE as u128 / 1_000_000) as u64
}

fn interleave(left: &[i16], right: &[i16]) -> Vec<i16> {
    let mut out = Vec::with_capacity(left.len() * 2);
    for (l, r) in left.iter().zip(right) {
        out.push(*l);
        out.push(*r);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn split(block: &[i16]) -> (Vec<i16>, Vec<i16>) {
        (
            block.iter().step_by(2).copied().collect(),
            block.iter().skip(1).step_by(2).copied().collect(),
        )
    }

    #[test]
    fn caller_left_bot_right_on_one_timeline() {
        let t0 = Instant::now();
        let mut a = StereoAligner::new(t0);
        let mut blocks = Vec::new();
        for i in 0..125u32 {
            let now = t0 + 20 * i * MS;
            a.push_caller(&[1000 + i as i16; 160]);
            if i == 25 {
                // 100 ms of bot audio sent at 500 ms, in one burst (lead).
                a.push_bot(now, &[-7; 800]);
            }
            if i == 27 {
                a.push_bot(now, &[-9; 160]);
            }
            blocks.extend(std::iter::from_fn(|| a.poll_block(now + 19 * MS)));
        }
        assert_eq!(blocks.len(), 2, "two whole seconds");
        assert!(blocks.iter().all(|b| b.len() == 2 * BLOCK_FRAMES));
        let tail = a.finish();
        assert_eq!(tail.len(), 2 * 500 * 8, "the last half second");
        let all: Vec<i16> = blocks.concat().into_iter().chain(tail).collect();
        let (left, right) = split(&all);
        assert_eq!(left.len(), 20_000);
        assert_eq!(left[0], 1000);
        assert_eq!(left[160 * 30], 1030);
        assert_eq!(left[19_999], 1124);
        // The bot plays from 500 ms; the second send queues behind the first.
        assert!(right[..4000].iter().all(|&s| s == 0));
        assert!(right[4000..4800].iter().all(|&s| s == -7));
        assert!(right[4800..4960].iter().all(|&s| s == -9));
        assert!(right[4960..].iter().all(|&s| s == 0));
    }

    #[test]
    fn clear_drops_what_was_not_played() {
        let t0 = Instant::now();
        let mut a = StereoAligner::with_block(t0, 100_000);
        a.push_caller(&[0; 8000]);
        a.push_bot(t0 + 100 * MS, &[5; 800]); // plays 100..200 ms
        a.clear_bot(t0 + 150 * MS);
        a.push_bot(t0 + 160 * MS, &[6; 80]); // plays at once: 160..170 ms
        let (_, right) = split(&a.finish());
        assert!(right[800..1200].iter().all(|&s| s == 5));
        assert!(right[1200..1280].iter().all(|&s| s == 0));
        assert!(right[1280..1360].iter().all(|&s| s == 6));
        assert!(right[1360..].iter().all(|&s| s == 0));
    }

    #[test]
    fn a_stalled_caller_does_not_hold_blocks_back_and_loses_nothing() {
        let t0 = Instant::now();
        let mut a = StereoAligner::new(t0);
        a.push_caller(&[3; 4000]); // half a second, then nothing
        assert!(a.poll_block(t0 + 1400 * MS).is_none(), "waits for the caller");
        let b = a.poll_block(t0 + 1500 * MS).expect("flushed after the slack");
        let (left, _) = split(&b);
        assert!(left[..4000].iter().all(|&s| s == 3) && left[4000..].iter().all(|&s| s == 0));
        // The late audio follows on from the start of the next block.
        a.push_caller(&[4; 160]);
        let (left, _) = split(&a.finish());
        assert_eq!(left, vec![4; 160]);
    }
}
