//! Speech recognition: Whisper (whisper.cpp through `whisper-rs`), one model
//! shared by all calls, decoded on a bounded pool of dedicated threads.
//!
//! Finals always run; partials are skipped when the pool is busy, so an
//! overloaded box degrades by showing fewer interim hypotheses, never by
//! losing what the caller said.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;
use whisper_rs::{FullParams, SamplingStrategy, WhisperContext, WhisperContextParameters, WhisperState};

use crate::ModelError;

/// Sample rate Whisper takes.
pub const STT_RATE: u32 = 16_000;

/// A transcript of one utterance (or of its growing prefix).
#[derive(Debug, Clone, PartialEq)]
pub struct Transcript {
    /// The text, trimmed.
    pub text: String,
    /// Whisper's probability that there was no speech.
    pub no_speech_prob: f32,
    /// Decoding time.
    pub decode_time: Duration,
    /// CPU time the decode cost: the decoding thread's own, plus its helper
    /// threads counted busy for the whole decode (ggml's workers spin while
    /// they wait for work, so a helper costs about its wall time).
    pub cpu_time: Duration,
}

/// Which Whisper model to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SttModel {
    /// tiny.en: the default (fastest; see BENCHMARKS.md for accuracy).
    #[default]
    TinyEn,
    /// base (multilingual, run in English).
    Base,
}

impl SttModel {
    /// The model's file in the assets directory.
    pub fn file(self) -> &'static str {
        match self {
            Self::TinyEn => crate::assets::files::WHISPER_TINY_EN,
            Self::Base => crate::assets::files::WHISPER_BASE,
        }
    }
}

impl std::str::FromStr for SttModel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "tiny.en" => Ok(Self::TinyEn),
            "base" => Ok(Self::Base),
            other => Err(format!("unknown speech model {other:?} (expected tiny.en or base)")),
        }
    }
}

/// Whether a job is an interim or a final hypothesis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobKind {
    /// Interim: may be skipped under load.
    Partial,
    /// Final: always decoded.
    Final,
    /// A final decoded early, when the caller pauses, before the endpointer
    /// has declared the end of speech: always decoded, like a final.
    Speculative,
}

impl JobKind {
    /// A metric label: `partial`, `final`, `speculative`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Partial => "partial",
            Self::Final => "final",
            Self::Speculative => "speculative",
        }
    }
}

/// A loaded Whisper model.
pub struct WhisperModel {
    ctx: WhisperContext,
}

impl WhisperModel {
    /// Loads a ggml model file.
    pub fn load(path: &Path) -> Result<Self, ModelError> {
        whisper_rs::install_logging_hooks();
        let ctx = WhisperContext::new_with_params(path, WhisperContextParameters::default()).map_err(|e| {
            ModelError::Asset {
                path: path.to_owned(),
                problem: format!("not a loadable whisper model ({e})"),
            }
        })?;
        Ok(Self { ctx })
    }

    /// A decoding state (one per worker thread).
    pub fn state(&self) -> Result<WhisperState, ModelError> {
        self.ctx
            .create_state()
            .map_err(|e| ModelError::Onnx(format!("whisper state: {e}")))
    }

    /// Transcribes 16 kHz mono audio on the calling thread. `hint` is text
    /// the caller is likely to say (names the call may contain: drugs,
    /// payers), given to Whisper as the preceding text it continues from.
    pub fn transcribe(
        &self,
        state: &mut WhisperState,
        audio: &[f32],
        threads: usize,
        hint: Option<&str>,
    ) -> Result<Transcript, ModelError> {
        self.transcribe_unless(state, audio, threads, hint, &|| false)
    }

    /// [`WhisperModel::transcribe`], stopped part way (between two steps of
    /// the encoder or the decoder) once `abandoned` says nobody wants the
    /// result any more: [`ModelError::Abandoned`] then.
    pub fn transcribe_unless(
        &self,
        state: &mut WhisperState,
        audio: &[f32],
        threads: usize,
        hint: Option<&str>,
        abandoned: &dyn Fn() -> bool,
    ) -> Result<Transcript, ModelError> {
        let started = Instant::now();
        let meter = crate::cpu::CpuMeter::start();
        // Tokenised here rather than through `set_initial_prompt`, which
        // leaks its C string on every decode.
        let hint_tokens = match hint {
            Some(h) if !h.trim().is_empty() => self.hint_tokens(h)?,
            _ => Vec::new(),
        };
        // Whisper wants at least ~1 s; pad short clips with silence.
        let mut padded;
        let audio = if audio.len() < STT_RATE as usize {
            padded = audio.to_vec();
            padded.resize(STT_RATE as usize + STT_RATE as usize / 10, 0.0);
            &padded[..]
        } else {
            audio
        };
        let mut p = FullParams::new(SamplingStrategy::Greedy { best_of: 1 });
        p.set_n_threads(threads as i32);
        p.set_language(Some("en"));
        p.set_no_context(true);
        // Timestamp tokens keep the decoder anchored to the audio: without them
        // it tends to run past the end of speech into repetition loops.
        p.set_no_timestamps(false);
        // No temperature fallback: greedy decoding is deterministic (the same
        // audio gives the same words), and loops are cut by trim_repetition.
        p.set_temperature_inc(0.0);
        p.set_suppress_blank(true);
        p.set_print_special(false);
        p.set_print_progress(false);
        p.set_print_realtime(false);
        p.set_print_timestamps(false);
        p.set_audio_ctx(audio_ctx_for(audio.len()));
        p.set_max_tokens(max_tokens_for(audio.len()));
        if !hint_tokens.is_empty() {
            p.set_tokens(&hint_tokens);
        }
        // whisper.cpp asks between graph steps whether to stop. The safe
        // closure setter of whisper-rs reads its boxed closure back as the
        // wrong type, so the plain C callback is used, with a pointer to
        // `abandoned` that outlives the decode below.
        let check: &dyn Fn() -> bool = abandoned;
        // SAFETY: `check` lives until the end of this function, past
        // `state.full`, the only place whisper.cpp calls the callback;
        // `ask_abandoned` reads the pointer back as the same type.
        unsafe {
            p.set_abort_callback(Some(ask_abandoned));
            p.set_abort_callback_user_data(&check as *const &dyn Fn() -> bool as *mut std::ffi::c_void);
        }
        let decoded = state.full(p, audio);
        if decoded.is_err() && abandoned() {
            return Err(ModelError::Abandoned);
        }
        decoded.map_err(|e| ModelError::Input(format!("whisper decode: {e}")))?;
        let mut text = String::new();
        let mut no_speech: f32 = 0.0;
        for seg in state.as_iter() {
            let piece = seg.to_str_lossy().map_err(|e| ModelError::Input(e.to_string()))?;
            // Whisper marks non-speech as "[BLANK_AUDIO]", "(music)" and the like.
            let t = piece.trim();
            if (t.starts_with('[') && t.ends_with(']')) || (t.starts_with('(') && t.ends_with(')')) {
                continue;
            }
            text.push_str(&piece);
            no_speech = no_speech.max(seg.no_speech_probability());
        }
        let decode_time = started.elapsed();
        Ok(Transcript {
            text: trim_repetition(text.trim()).to_owned(),
            no_speech_prob: no_speech,
            decode_time,
            cpu_time: meter.elapsed() + decode_time * (threads.max(1) as u32 - 1),
        })
    }
}

/// whisper.cpp's abort callback: `data` points at a `&dyn Fn() -> bool`
/// (see [`WhisperModel::transcribe_unless`]).
unsafe extern "C" fn ask_abandoned(data: *mut std::ffi::c_void) -> bool {
    // SAFETY: set only by `transcribe_unless`, with a pointer to a live
    // `&dyn Fn() -> bool`.
    let check = unsafe { &*(data as *const &dyn Fn() -> bool) };
    check()
}

/// Most hint tokens Whisper takes (its text context is 448; a prompt keeps
/// at most half of it).
pub const MAX_HINT_TOKENS: usize = 224;

impl WhisperModel {
    /// The last [`MAX_HINT_TOKENS`] tokens of `hint` (Whisper weighs the
    /// text nearest the audio most). The tokeniser answers a negative count
    /// when its buffer is too small, which `whisper-rs` does not check: the
    /// hint is cut to a length that always fits first.
    fn hint_tokens(&self, hint: &str) -> Result<Vec<i32>, ModelError> {
        let clean: String = hint.chars().filter(|&c| c != '\0').collect();
        let start = clean.char_indices().rev().nth(MAX_HINT_CHARS).map_or(0, |(i, _)| i);
        let mut tokens = self
            .ctx
            .tokenize(&clean[start..], MAX_HINT_CHARS + 8)
            .map_err(|e| ModelError::Input(format!("whisper hint: {e}")))?;
        let keep = tokens.len().saturating_sub(MAX_HINT_TOKENS);
        tokens.drain(..keep);
        Ok(tokens)
    }
}

/// A token is at least one character: a hint cut to this many characters
/// never has more tokens than the tokeniser's buffer holds.
const MAX_HINT_CHARS: usize = 2048;

/// Encoder context sized to the clip (50 frames a second, some headroom):
/// whisper pads everything to 30 s otherwise, which costs ~5x on short turns.
pub fn audio_ctx_for(samples: usize) -> i32 {
    let secs = samples as f64 / STT_RATE as f64;
    ((secs * 50.0).ceil() as i32 + 64).clamp(256, 1500)
}

struct Job {
    audio: Vec<f32>,
    hint: Option<Arc<str>>,
    reply: oneshot::Sender<Result<Transcript, ModelError>>,
}

#[derive(Default)]
struct Queues {
    finals: VecDeque<Job>,
    partials: VecDeque<Job>,
    closed: bool,
}

struct Shared {
    queues: Mutex<Queues>,
    ready: Condvar,
    max_partials: usize,
    /// Jobs dropped unstarted because their requester had stopped waiting.
    dropped: AtomicU64,
    /// Decodes stopped part way for the same reason.
    abandoned: AtomicU64,
    /// CPU those stopped decodes used before they stopped, µs.
    abandoned_cpu_us: AtomicU64,
}

/// Threads one decode runs on. ggml's threads meet at a barrier after every
/// graph step, and the decoder takes hundreds of small steps per clip; on a
/// box whose cores also run the media loops, a second thread is preempted
/// often enough that the first spins at the barrier. Measured on 2 cores
/// (repeat mode, one call): two threads 140–500 ms and 250–800 ms of CPU
/// per decode of a 2–3 s turn, one thread 55–92 ms and the same in CPU. The
/// pool runs decodes side by side on its workers instead.
const DECODE_THREADS: usize = 1;

/// A bounded pool of decoding threads over one shared model.
pub struct SttPool {
    shared: Arc<Shared>,
    workers: Vec<std::thread::JoinHandle<()>>,
}

impl SttPool {
    /// Starts `workers` threads over `model`, each decoding one job at a
    /// time on one thread ([`DECODE_THREADS`]); at most `max_partials`
    /// partial jobs wait at once.
    pub fn start(model: Arc<WhisperModel>, workers: usize, max_partials: usize) -> Result<Self, ModelError> {
        let shared = Arc::new(Shared {
            queues: Mutex::new(Queues::default()),
            ready: Condvar::new(),
            max_partials,
            dropped: AtomicU64::new(0),
            abandoned: AtomicU64::new(0),
            abandoned_cpu_us: AtomicU64::new(0),
        });
        let mut handles = Vec::new();
        for i in 0..workers.max(1) {
            let mut state = model.state()?;
            let model = model.clone();
            let shared = shared.clone();
            let h = std::thread::Builder::new()
                .name(format!("stt-{i}"))
                .spawn(move || worker(&model, &mut state, &shared))
                .map_err(|e| ModelError::Input(format!("spawning stt worker: {e}")))?;
            handles.push(h);
        }
        Ok(Self {
            shared,
            workers: handles,
        })
    }

    /// Queues audio for decoding, with an optional recognition hint (see
    /// [`WhisperModel::transcribe`]). A partial is refused (`None`) when the
    /// partial queue is full; a final is always queued. Dropping the
    /// receiver before the decode starts withdraws the job.
    pub fn submit(
        &self,
        kind: JobKind,
        audio: Vec<f32>,
        hint: Option<Arc<str>>,
    ) -> Option<oneshot::Receiver<Result<Transcript, ModelError>>> {
        let (tx, rx) = oneshot::channel();
        let job = Job { audio, hint, reply: tx };
        let mut q = self.shared.queues.lock().unwrap_or_else(|p| p.into_inner());
        match kind {
            JobKind::Final | JobKind::Speculative => q.finals.push_back(job),
            JobKind::Partial if q.partials.len() >= self.shared.max_partials => return None,
            JobKind::Partial => q.partials.push_back(job),
        }
        drop(q);
        self.shared.ready.notify_one();
        Some(rx)
    }

    /// Jobs dropped before they started because whoever submitted them had
    /// stopped waiting (dropped the receiver): stale speculations and partials.
    pub fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }

    /// Decodes stopped part way because whoever submitted them stopped
    /// waiting while they ran.
    pub fn abandoned(&self) -> u64 {
        self.shared.abandoned.load(Ordering::Relaxed)
    }

    /// CPU the decodes stopped part way used before they stopped (counted
    /// as a finished decode's [`Transcript::cpu_time`] is).
    pub fn abandoned_cpu(&self) -> Duration {
        Duration::from_micros(self.shared.abandoned_cpu_us.load(Ordering::Relaxed))
    }

    /// Jobs waiting (finals, partials).
    pub fn queue_depth(&self) -> (usize, usize) {
        let q = self.shared.queues.lock().unwrap_or_else(|p| p.into_inner());
        (q.finals.len(), q.partials.len())
    }
}

impl Drop for SttPool {
    fn drop(&mut self) {
        self.shared.queues.lock().unwrap_or_else(|p| p.into_inner()).closed = true;
        self.shared.ready.notify_all();
        for h in self.workers.drain(..) {
            let _ = h.join();
        }
    }
}

fn worker(model: &WhisperModel, state: &mut WhisperState, shared: &Shared) {
    loop {
        let job = {
            let mut q = shared.queues.lock().unwrap_or_else(|p| p.into_inner());
            loop {
                if let Some(j) = q.finals.pop_front().or_else(|| q.partials.pop_front()) {
                    // Nobody waits for it any more (a stale speculation or
                    // partial): not worth a decode.
                    if j.reply.is_closed() {
                        shared.dropped.fetch_add(1, Ordering::Relaxed);
                        continue;
                    }
                    break j;
                }
                if q.closed {
                    return;
                }
                q = shared.ready.wait(q).unwrap_or_else(|p| p.into_inner());
            }
        };
        // A decode nobody waits for any more (a speculation the caller
        // talked on through, a names check not needed) stops part way.
        let meter = crate::cpu::CpuMeter::start();
        let result = model.transcribe_unless(state, &job.audio, DECODE_THREADS, job.hint.as_deref(), &|| {
            job.reply.is_closed()
        });
        if matches!(result, Err(ModelError::Abandoned)) {
            shared.abandoned.fetch_add(1, Ordering::Relaxed);
            // One thread: this thread's CPU is the decode's.
            shared
                .abandoned_cpu_us
                .fetch_add(meter.elapsed().as_micros() as u64, Ordering::Relaxed);
        }
        let _ = job.reply.send(result);
    }
}

/// Token cap for a clip: speech runs ~3 words (~4 tokens) a second; the cap
/// stops whisper's repetition loops on hard audio.
pub fn max_tokens_for(samples: usize) -> i32 {
    let secs = samples as f64 / STT_RATE as f64;
    (secs * 6.0).ceil() as i32 + 8
}

/// Cuts a decoding loop ("Can I go? Can I go? Can I") back to its first
/// period (ignoring case): the shortest prefix of at least 8 characters, ending at a word
/// boundary, of which the rest of the text (at least 8 characters) repeats.
pub fn trim_repetition(text: &str) -> &str {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let n = chars.len();
    for period in 8..n.saturating_sub(7) {
        let boundary = chars[period - 1].1.is_whitespace() || chars[period - 1].1.is_ascii_punctuation();
        if boundary && (period..n).all(|i| chars[i].1.to_lowercase().eq(chars[i - period].1.to_lowercase())) {
            return text[..chars[period].0].trim_end();
        }
    }
    trim_repeated_sentence(trim_trailing_loop(text))
}

/// A word as the loop checks compare it: letters and digits, lower case.
fn bare(word: &str) -> String {
    word.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Cuts a last sentence of three or more words that only repeats the words
/// just before it ("What is my copay for a visit. What is my copay for a
/// visit?", "Sorry to interrupt, I want a person. I want a person."): the
/// decoder running on into the clip's trailing silence. Shorter repeats
/// ("Bye. Bye.") may be what was said and are kept.
fn trim_repeated_sentence(text: &str) -> &str {
    let body = text.trim_end().trim_end_matches(['.', '?', '!']);
    let Some(cut) = body.rfind(['.', '?', '!']) else {
        return text;
    };
    let norm = |s: &str| -> Vec<String> { s.split_whitespace().map(bare).filter(|w| !w.is_empty()).collect() };
    let last = norm(&body[cut + 1..]);
    let before = norm(&body[..cut]);
    if last.len() >= 3 && before.ends_with(&last) {
        return text[..=cut].trim_end();
    }
    text
}

/// Cuts a loop that follows real words ("How can I help? Okay. Okay. Okay.
/// Okay"): a unit of 1-8 words repeated at least 3 times to the end of the
/// text (the last copy may be cut short) is kept once. A text that is a loop
/// from its first word ("no no no no") is left alone: it may be what was said.
fn trim_trailing_loop(text: &str) -> &str {
    let mut spans = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices().chain(std::iter::once((text.len(), ' '))) {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                spans.push((s, i));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    let words: Vec<String> = spans.iter().map(|&(a, b)| bare(&text[a..b])).collect();
    let n = words.len();
    for i in 1..n {
        for unit in 1..=8.min((n - i) / 3) {
            // The loop must start at i: the word before does not continue it.
            let starts_here = words[i - 1] != words[i + unit - 1];
            let periodic = starts_here && (i + unit..n).all(|j| words[j] == words[i + (j - i) % unit]);
            if periodic {
                return text[..spans[i + unit - 1].1].trim_end();
            }
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repetition_loops_are_cut() {
        assert_eq!(
            trim_repetition("Can you help? Can you help? Can you he"),
            "Can you help?"
        );
        assert_eq!(
            trim_repetition("I need a refill of metformin."),
            "I need a refill of metformin."
        );
        assert_eq!(trim_repetition("no no no no"), "no no no no");
        assert_eq!(
            trim_repetition("How can I help you today? Okay. Okay. Okay. Okay. Okay"),
            "How can I help you today? Okay."
        );
        assert_eq!(
            trim_repetition("What is my copay for a specialist visit. What is my copay for a specialist visit?"),
            "What is my copay for a specialist visit."
        );
        assert_eq!(
            trim_repetition(
                "Sorry to interrupt, I want to talk to a representative. I want to talk to a representative."
            ),
            "Sorry to interrupt, I want to talk to a representative."
        );
        assert_eq!(trim_repetition("Yes. Yes."), "Yes. Yes.");
        assert_eq!(
            trim_repetition("My name is Jane Doe. Jane Doe is my name."),
            "My name is Jane Doe. Jane Doe is my name."
        );
        assert_eq!(
            trim_repetition("Thank you for calling. Bye bye."),
            "Thank you for calling. Bye bye."
        );
        assert_eq!(
            trim_repetition("What are your hours? What are your hours?"),
            "What are your hours?"
        );
    }

    #[test]
    fn encoder_context_follows_the_clip_length() {
        assert_eq!(audio_ctx_for(16_000), 256);
        assert_eq!(audio_ctx_for(16_000 * 5), 314);
        assert_eq!(audio_ctx_for(16_000 * 40), 1500);
    }
}
