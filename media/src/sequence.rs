//! Inbound media sequencing: detects gaps, duplicates and reordering in the
//! caller's 20 ms chunks and says how much silence conceals a gap, so the
//! audio clock of the call never drifts from the caller's.

/// Largest gap concealed in one go (2 s at 8 kHz); a larger jump is treated as
/// a discontinuity and only this much silence is inserted.
pub const MAX_CONCEAL_SAMPLES: usize = 16_000;

/// What to do with one inbound chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Play the chunk, after `conceal_samples` of silence standing in for
    /// chunks that never arrived.
    Play {
        /// Samples of silence to insert before this chunk.
        conceal_samples: usize,
    },
    /// The chunk was already played: drop it.
    Duplicate,
    /// The chunk arrived after its slot was concealed: drop it.
    Late,
}

/// Counters of what the sequencer saw, for metrics and the call record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SequenceStats {
    /// Chunks played.
    pub played: u64,
    /// Gaps detected (each may cover several chunks).
    pub gaps: u64,
    /// Chunks that never arrived in time.
    pub missing_chunks: u64,
    /// Silence samples inserted for missing chunks.
    pub concealed_samples: u64,
    /// Chunks that arrived after their slot had been concealed.
    pub late: u64,
    /// Chunks received twice.
    pub duplicates: u64,
}

/// Tracks one track's `chunk` numbers and `timestamp`s (milliseconds).
#[derive(Debug, Default, Clone)]
pub struct Sequencer {
    /// Next expected chunk number and its expected timestamp in ms.
    next: Option<(u64, u64)>,
    /// Bit i set: chunk `next - 1 - i` was received (a 64-chunk window).
    received: u64,
    stats: SequenceStats,
}

impl Sequencer {
    /// A sequencer that anchors on the first chunk it sees.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counters so far.
    pub fn stats(&self) -> SequenceStats {
        self.stats
    }

    /// Classifies a chunk of `samples` 8 kHz samples.
    pub fn push(&mut self, chunk: u64, timestamp_ms: u64, samples: usize) -> Verdict {
        let frame_ms = (samples as u64).div_ceil(8).max(1);
        let Some((expected, expected_ts)) = self.next else {
            self.accept(chunk, timestamp_ms + frame_ms, 0);
            return Verdict::Play { conceal_samples: 0 };
        };
        if chunk == expected {
            self.accept(chunk, timestamp_ms.max(expected_ts) + frame_ms, 1);
            return Verdict::Play { conceal_samples: 0 };
        }
        if chunk > expected {
            let missing = chunk - expected;
            // Size the silence from the timestamps when they are consistent,
            // else from the number of missing chunks of this size.
            let by_chunks = missing.saturating_mul(samples as u64);
            let by_time = timestamp_ms.saturating_sub(expected_ts).saturating_mul(8);
            let plausible = by_time >= by_chunks / 2 && by_time <= by_chunks.saturating_mul(2);
            let conceal = if plausible { by_time } else { by_chunks }.min(MAX_CONCEAL_SAMPLES as u64);
            self.stats.gaps += 1;
            self.stats.missing_chunks += missing;
            self.stats.concealed_samples += conceal;
            let shift = missing.saturating_add(1);
            self.accept(chunk, timestamp_ms.max(expected_ts) + frame_ms, shift);
            return Verdict::Play {
                conceal_samples: conceal as usize,
            };
        }
        // chunk < expected: already played, or its slot was concealed.
        let age = expected - 1 - chunk;
        if age < 64 && self.received & (1 << age) != 0 {
            self.stats.duplicates += 1;
            Verdict::Duplicate
        } else {
            if age < 64 {
                self.received |= 1 << age;
            }
            self.stats.late += 1;
            Verdict::Late
        }
    }

    fn accept(&mut self, chunk: u64, next_ts: u64, shift: u64) {
        self.received = if shift >= 64 { 0 } else { self.received << shift };
        self.received |= 1;
        self.next = Some((chunk + 1, next_ts));
        self.stats.played += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_order_chunks_play_without_concealment() {
        let mut s = Sequencer::new();
        for c in 1..=100u64 {
            assert_eq!(s.push(c, (c - 1) * 20, 160), Verdict::Play { conceal_samples: 0 });
        }
        assert_eq!(s.stats().played, 100);
        assert_eq!(s.stats().gaps, 0);
    }

    #[test]
    fn a_gap_is_concealed_with_silence_of_the_right_length() {
        let mut s = Sequencer::new();
        s.push(1, 0, 160);
        s.push(2, 20, 160);
        // Chunks 3, 4 and 5 lost.
        assert_eq!(s.push(6, 100, 160), Verdict::Play { conceal_samples: 480 });
        assert_eq!(s.push(7, 120, 160), Verdict::Play { conceal_samples: 0 });
        let st = s.stats();
        assert_eq!((st.gaps, st.missing_chunks, st.concealed_samples), (1, 3, 480));
        // A lost chunk that shows up later is dropped, not played twice.
        assert_eq!(s.push(4, 60, 160), Verdict::Late);
        assert_eq!(s.push(4, 60, 160), Verdict::Duplicate);
        assert_eq!(s.push(7, 120, 160), Verdict::Duplicate);
    }

    #[test]
    fn bogus_timestamps_fall_back_to_chunk_count_and_huge_gaps_are_capped() {
        let mut s = Sequencer::new();
        s.push(1, 0, 160);
        // Two chunks missing but the timestamp claims an hour passed.
        assert_eq!(s.push(4, 3_600_000, 160), Verdict::Play { conceal_samples: 320 });
        // A jump of a million chunks conceals at most 2 s.
        assert_eq!(
            s.push(1_000_000, 3_600_080, 160),
            Verdict::Play {
                conceal_samples: MAX_CONCEAL_SAMPLES
            }
        );
    }

    #[test]
    fn total_played_plus_concealed_time_tracks_the_sender_clock() {
        // Drop every 7th chunk; played + concealed samples equal what was sent.
        let mut s = Sequencer::new();
        let mut total = 0usize;
        for c in 1..=500u64 {
            if c % 7 == 0 {
                continue;
            }
            if let Verdict::Play { conceal_samples } = s.push(c, (c - 1) * 20, 160) {
                total += conceal_samples + 160;
            }
        }
        assert_eq!(total, 500 * 160, "chunk 500 arrived, so every slot is filled");
    }
}
