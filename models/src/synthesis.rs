//! The synthesis pool: the bot's lines spoken piece by piece (see
//! [`crate::tts::split_for_speech`]) on a few dedicated threads, the piece
//! with the earliest deadline first.
//!
//! A line's first piece is due at once: a caller is waiting in silence.
//! Each later piece is due only when the audio before it will have played
//! out (less a margin), so a long answer already playing to one caller
//! never holds a thread while another caller waits for their first word.
//! A line whose sink refuses audio (the caller talked over it, or hung up)
//! is dropped before its next piece.

use std::cmp::Ordering as CmpOrdering;
use std::collections::{BinaryHeap, VecDeque};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::ModelError;
use crate::cpu::CpuMeter;
use crate::tts::{PiperVoice, split_for_speech};

/// How long before the audio already synthesised runs out a line's next
/// piece is due.
pub const NEXT_PIECE_MARGIN: Duration = Duration::from_millis(1_500);

/// One synthesised piece of a line, handed to the line's sink.
#[derive(Debug, Clone, PartialEq)]
pub struct Piece {
    /// Mono f32 audio at the voice's sample rate (empty on the closing call
    /// of a line that ended early or failed).
    pub audio: Vec<f32>,
    /// The line's last call: nothing more follows.
    pub last: bool,
    /// CPU time the piece cost (phonemes and synthesis, on its thread).
    pub cpu_time: Duration,
    /// How late after its deadline the piece started (zero when on time).
    pub late: Duration,
}

/// Receives a line's pieces in order; returns false to stop the line (it
/// is then called once more with an empty `last` piece).
pub type Sink = Box<dyn FnMut(Piece) -> bool + Send>;

struct Line {
    pieces: VecDeque<String>,
    sink: Sink,
    due: Instant,
    /// Audio synthesised so far, and when the first of it was ready.
    audio: Duration,
    first_ready: Option<Instant>,
    /// Submission order, for ties.
    seq: u64,
}

impl PartialEq for Line {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == CmpOrdering::Equal
    }
}

impl Eq for Line {}

impl PartialOrd for Line {
    fn partial_cmp(&self, other: &Self) -> Option<CmpOrdering> {
        Some(self.cmp(other))
    }
}

impl Ord for Line {
    /// Reversed: the max-heap yields the earliest deadline, then the oldest.
    fn cmp(&self, other: &Self) -> CmpOrdering {
        other.due.cmp(&self.due).then_with(|| other.seq.cmp(&self.seq))
    }
}

#[derive(Default)]
struct Queue {
    lines: BinaryHeap<Line>,
    next_seq: u64,
    closed: bool,
}

struct Shared {
    queue: Mutex<Queue>,
    ready: Condvar,
}

/// Threads synthesising the bot's lines over one shared voice.
pub struct SynthesisPool {
    shared: Arc<Shared>,
    workers: Vec<std::thread::JoinHandle<()>>,
}

impl SynthesisPool {
    /// Starts `workers` threads (named `tts-N`) over `voice`.
    pub fn start(voice: Arc<PiperVoice>, workers: usize) -> Result<Self, ModelError> {
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue::default()),
            ready: Condvar::new(),
        });
        let mut handles = Vec::new();
        for i in 0..workers.max(1) {
            let (voice, shared) = (voice.clone(), shared.clone());
            let h = std::thread::Builder::new()
                .name(format!("tts-{i}"))
                .spawn(move || worker(&voice, &shared))
                .map_err(|e| ModelError::Input(format!("spawning tts worker: {e}")))?;
            handles.push(h);
        }
        Ok(Self {
            shared,
            workers: handles,
        })
    }

    /// Queues `text` to be spoken, its first piece due now; its pieces go
    /// to `sink` in order. Text with nothing to say gets only the closing
    /// call.
    pub fn speak(&self, text: &str, sink: Sink) {
        self.speak_at(text, Instant::now(), sink);
    }

    /// [`SynthesisPool::speak`] with the first piece due at `due` (a line
    /// that will only play after others of the same call).
    pub fn speak_at(&self, text: &str, due: Instant, mut sink: Sink) {
        let pieces: VecDeque<String> = split_for_speech(text).into_iter().map(str::to_owned).collect();
        if pieces.is_empty() {
            sink(closing());
            return;
        }
        let mut q = self.shared.queue.lock().unwrap_or_else(|p| p.into_inner());
        let seq = q.next_seq;
        q.next_seq += 1;
        q.lines.push(Line {
            pieces,
            sink,
            due,
            audio: Duration::ZERO,
            first_ready: None,
            seq,
        });
        drop(q);
        self.shared.ready.notify_one();
    }

    /// Lines waiting for their next piece.
    pub fn queued(&self) -> usize {
        self.shared.queue.lock().unwrap_or_else(|p| p.into_inner()).lines.len()
    }
}

impl Drop for SynthesisPool {
    fn drop(&mut self) {
        self.shared.queue.lock().unwrap_or_else(|p| p.into_inner()).closed = true;
        self.shared.ready.notify_all();
        for h in self.workers.drain(..) {
            let _ = h.join();
        }
    }
}

/// The closing call of a line that ended early.
fn closing() -> Piece {
    Piece {
        audio: Vec::new(),
        last: true,
        cpu_time: Duration::ZERO,
        late: Duration::ZERO,
    }
}

fn worker(voice: &PiperVoice, shared: &Shared) {
    loop {
        let mut line = {
            let mut q = shared.queue.lock().unwrap_or_else(|p| p.into_inner());
            loop {
                if q.closed {
                    return;
                }
                if let Some(line) = q.lines.pop() {
                    break line;
                }
                q = shared.ready.wait(q).unwrap_or_else(|p| p.into_inner());
            }
        };
        let Some(text) = line.pieces.pop_front() else {
            continue;
        };
        let late = Instant::now().saturating_duration_since(line.due);
        let meter = CpuMeter::start();
        let result = voice.synthesize(&text);
        let cpu_time = meter.elapsed();
        let last = line.pieces.is_empty();
        let chunk = match result {
            Ok(chunk) => chunk,
            Err(e) => {
                tracing::warn!(error = %e, "synthesis failed");
                (line.sink)(closing());
                continue;
            }
        };
        let secs = chunk.audio.len() as f64 / f64::from(voice.sample_rate().max(1));
        line.audio += Duration::from_secs_f64(secs);
        let first = *line.first_ready.get_or_insert_with(Instant::now);
        line.due = (first + line.audio).checked_sub(NEXT_PIECE_MARGIN).unwrap_or(first);
        let go_on = (line.sink)(Piece {
            audio: chunk.audio,
            last,
            cpu_time,
            late,
        });
        if last {
            continue;
        }
        if !go_on {
            (line.sink)(closing());
            continue;
        }
        let mut q = shared.queue.lock().unwrap_or_else(|p| p.into_inner());
        q.lines.push(line);
        drop(q);
        shared.ready.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(due: Instant, seq: u64) -> Line {
        Line {
            pieces: VecDeque::new(),
            sink: Box::new(|_| true),
            due,
            audio: Duration::ZERO,
            first_ready: None,
            seq,
        }
    }

    #[test]
    fn the_earliest_deadline_comes_first_then_the_oldest() {
        let t0 = Instant::now();
        let mut heap = BinaryHeap::new();
        heap.push(line(t0 + Duration::from_secs(3), 0));
        heap.push(line(t0, 2));
        heap.push(line(t0 + Duration::from_secs(1), 1));
        heap.push(line(t0, 3));
        let order: Vec<u64> = std::iter::from_fn(|| heap.pop()).map(|l| l.seq).collect();
        assert_eq!(order, vec![2, 3, 1, 0]);
    }
}
