//! The speech engines shared by all calls: Silero VAD, the Whisper decoding
//! pool and the Piper voice, loaded once at start-up (never per call), plus
//! the bot's fixed prompts synthesised once and kept as ready µ-law.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use media::mulaw;
use media::resample::{StreamResampler, f32_to_i16};
use models::ModelError;
use models::assets::Assets;
use models::stt::{SttModel, SttPool, WhisperModel};
use models::synthesis::SynthesisPool;
use models::tts::PiperVoice;
use models::vad::SileroModel;

/// What the bot says when a call starts (in `repeat` mode).
pub const GREETING: &str = "Hello. Say something, and I will repeat it.";
/// Filler spoken while a slow lookup runs.
pub const ONE_MOMENT: &str = "One moment while I check that.";
/// Said before handing the call to a person.
pub const TRANSFER: &str = "I'm transferring you to a member of our team now.";
/// Said when nothing usable was heard.
pub const NOT_HEARD: &str = "Sorry, I didn't catch that. Could you say it again?";

/// Prompts synthesised once at start-up and kept as ready µ-law (the
/// agent's other fixed prompts are cached the first time they are spoken).
pub const PROMPTS: &[&str] = &[
    GREETING,
    ONE_MOMENT,
    TRANSFER,
    NOT_HEARD,
    dialog::prompts::GREETING,
    dialog::prompts::ASK_DOB,
    dialog::prompts::HOW_CAN_I_HELP,
    // Said at once when a slow function is called.
    dialog::prompts::LET_ME_CHECK,
    // Safety: emergency advice and the hand-over to a person start at once.
    dialog::prompts::EMERGENCY,
    dialog::prompts::TRANSFER,
];

/// Loaded models and the limits on their use.
pub struct SpeechEngines {
    /// Voice activity detection.
    pub silero: Arc<SileroModel>,
    /// Speech recognition pool.
    pub stt: SttPool,
    /// The bot's voice.
    pub voice: Arc<PiperVoice>,
    /// Synthesis threads (one per core), earliest deadline first.
    pub synthesis: SynthesisPool,
    prompts: Mutex<HashMap<String, Arc<Vec<u8>>>>,
}

impl SpeechEngines {
    /// Loads every model with `workers` decoding threads and caches the prompts.
    pub fn load(assets: &Assets, workers: usize, stt_model: SttModel) -> Result<Arc<Self>, ModelError> {
        let silero = SileroModel::load(assets, workers)?;
        let whisper = WhisperModel::load(&assets.require(stt_model.file())?)?;
        let stt = SttPool::start(Arc::new(whisper), workers, workers * 2)?;
        // One voice session per synthesis thread.
        let voice = Arc::new(PiperVoice::load(assets, workers.max(1), 1)?);
        let synthesis = SynthesisPool::start(voice.clone(), workers)?;
        let engines = Arc::new(Self {
            silero,
            stt,
            voice,
            synthesis,
            prompts: Mutex::new(HashMap::new()),
        });
        for text in PROMPTS {
            let mut audio = Vec::new();
            engines.synthesize_ulaw(text, |chunk| {
                audio.extend_from_slice(&chunk);
                true
            })?;
            engines
                .prompts
                .lock()
                .expect("prompt cache")
                .insert((*text).to_owned(), Arc::new(audio));
        }
        Ok(engines)
    }

    /// Keeps the audio of a fixed prompt (one that never varies) for reuse.
    pub fn remember(&self, text: &str, audio: Vec<u8>) {
        if Self::is_fixed(text) {
            self.prompts
                .lock()
                .expect("prompt cache")
                .insert(text.to_owned(), Arc::new(audio));
        }
    }

    /// Whether `text` is a fixed prompt worth caching.
    pub fn is_fixed(text: &str) -> bool {
        dialog::prompts::FIXED_PROMPTS.contains(&text) || PROMPTS.contains(&text)
    }

    /// A cached prompt's µ-law audio.
    pub fn prompt(&self, text: &str) -> Option<Arc<Vec<u8>>> {
        self.prompts.lock().expect("prompt cache").get(text).cloned()
    }

    /// Synthesises `text` sentence by sentence as 8 kHz µ-law, handing each
    /// sentence's audio to `sink` (which returns false to stop). Blocking:
    /// run it off the async runtime. Returns the time to the first audio.
    pub fn synthesize_ulaw(&self, text: &str, mut sink: impl FnMut(Vec<u8>) -> bool) -> Result<Duration, ModelError> {
        let started = Instant::now();
        let mut first = None;
        let mut down =
            StreamResampler::new(self.voice.sample_rate(), 8000).map_err(|e| ModelError::Input(e.to_string()))?;
        let mut go_on = true;
        let mut pcm = Vec::new();
        self.voice.synthesize_streaming(text, |chunk| {
            pcm.clear();
            if down.push(&chunk.audio, &mut pcm).is_err() {
                return false;
            }
            first.get_or_insert_with(|| started.elapsed());
            go_on = sink(pcm.iter().map(|&s| mulaw::encode(f32_to_i16(s))).collect());
            go_on
        })?;
        if go_on {
            pcm.clear();
            down.flush(&mut pcm).map_err(|e| ModelError::Input(e.to_string()))?;
            sink(pcm.iter().map(|&s| mulaw::encode(f32_to_i16(s))).collect());
        }
        Ok(first.unwrap_or_else(|| started.elapsed()))
    }

    /// 8 kHz PCM transcribed with the shared Whisper pool (as a final, no
    /// hint); empty when the pool refuses or decoding fails. For parties a
    /// simulation plays that must hear the bot the way a listener would.
    pub async fn transcribe_8k(&self, pcm: &[i16]) -> String {
        let f: Vec<f32> = pcm.iter().map(|&s| f32::from(s) / 32768.0).collect();
        let Ok(mut up) = StreamResampler::new(8000, 16000) else {
            return String::new();
        };
        let mut audio = Vec::new();
        if up.push(&f, &mut audio).is_err() || up.flush(&mut audio).is_err() {
            return String::new();
        }
        match self.stt.submit(models::stt::JobKind::Final, audio, None) {
            Some(rx) => rx.await.ok().and_then(Result::ok).map(|t| t.text).unwrap_or_default(),
            None => String::new(),
        }
    }
}
