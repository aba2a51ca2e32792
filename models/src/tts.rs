//! Speech synthesis: Piper (`en_US-joe-medium`, VITS, ONNX) with espeak-ng
//! producing the IPA phonemes.
//!
//! espeak-ng runs as a short-lived subprocess per sentence rather than linked:
//! Debian ships the CLI and library, but no maintained crate wraps
//! `espeak_TextToPhonemes`, and the library keeps global state that is not
//! thread-safe. A run costs a few milliseconds next to ~100 ms of synthesis,
//! and the prompts every call needs are synthesised once at start-up.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ort::session::Session;
use ort::value::Tensor;
use serde::Deserialize;

use crate::ModelError;
use crate::assets::{Assets, files};

#[derive(Debug, Deserialize)]
struct VoiceConfig {
    audio: AudioConfig,
    espeak: EspeakConfig,
    inference: InferenceConfig,
    phoneme_id_map: HashMap<String, Vec<i64>>,
}

#[derive(Debug, Deserialize)]
struct AudioConfig {
    sample_rate: u32,
}

#[derive(Debug, Deserialize)]
struct EspeakConfig {
    voice: String,
}

#[derive(Debug, Deserialize)]
struct InferenceConfig {
    noise_scale: f32,
    length_scale: f32,
    noise_w: f32,
}

/// One synthesised sentence.
#[derive(Debug, Clone)]
pub struct SpeechChunk {
    /// The sentence.
    pub text: String,
    /// Mono f32 audio at [`PiperVoice::sample_rate`].
    pub audio: Vec<f32>,
    /// Phonemisation + synthesis time.
    pub synth_time: Duration,
}

/// A loaded Piper voice. Synthesis runs on the caller's thread (a blocking
/// pool in the server); sessions are reused across calls.
pub struct PiperVoice {
    sessions: Vec<Mutex<Session>>,
    config: VoiceConfig,
}

impl PiperVoice {
    /// Loads the voice and its configuration with `pool` sessions of
    /// `threads` intra-op threads each.
    pub fn load(assets: &Assets, pool: usize, threads: usize) -> Result<Self, ModelError> {
        let model = assets.require(files::PIPER_VOICE)?;
        let cfg_path = assets.require(files::PIPER_CONFIG)?;
        let config = read_config(&cfg_path)?;
        let sessions = (0..pool.max(1))
            .map(|_| crate::onnx::session(assets, &model, threads).map(Mutex::new))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { sessions, config })
    }

    /// Output sample rate (22,050 Hz for this voice).
    pub fn sample_rate(&self) -> u32 {
        self.config.audio.sample_rate
    }

    /// IPA phonemes of one sentence, via espeak-ng.
    pub fn phonemize(&self, sentence: &str) -> Result<String, ModelError> {
        let out = Command::new("espeak-ng")
            .args(["-q", "--ipa", "-v", &self.config.espeak.voice])
            .arg(sentence)
            .output()
            .map_err(|e| ModelError::Input(format!("running espeak-ng (install espeak-ng): {e}")))?;
        if !out.status.success() {
            return Err(ModelError::Input("espeak-ng failed".into()));
        }
        let text = String::from_utf8_lossy(&out.stdout);
        // espeak-ng prints one clause a line and drops punctuation: rejoin the
        // clauses with commas and keep the sentence's final mark for prosody.
        let mut ipa = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(", ");
        let end = sentence
            .trim_end()
            .chars()
            .last()
            .filter(|c| matches!(c, '.' | '?' | '!' | ','))
            .unwrap_or('.');
        ipa.push(end);
        Ok(ipa)
    }

    /// Piper ids: `^`, each phoneme followed by the pad `_`, then `$`.
    /// Characters the voice does not know are skipped.
    pub fn phoneme_ids(&self, ipa: &str) -> Vec<i64> {
        let map = &self.config.phoneme_id_map;
        let id = |s: &str| map.get(s).and_then(|v| v.first().copied());
        let (bos, pad, eos) = (id("^").unwrap_or(1), id("_").unwrap_or(0), id("$").unwrap_or(2));
        let mut ids = vec![bos, pad];
        let mut buf = [0u8; 4];
        for c in ipa.chars() {
            if let Some(v) = map.get(c.encode_utf8(&mut buf) as &str) {
                ids.extend_from_slice(v);
                ids.push(pad);
            }
        }
        ids.push(eos);
        ids
    }

    /// Synthesises one sentence.
    pub fn synthesize(&self, sentence: &str) -> Result<SpeechChunk, ModelError> {
        let started = Instant::now();
        let ids = self.phoneme_ids(&self.phonemize(sentence)?);
        let n = ids.len();
        let inf = &self.config.inference;
        let mut session = self
            .sessions
            .iter()
            .find_map(|s| s.try_lock().ok())
            .unwrap_or_else(|| self.sessions[0].lock().unwrap_or_else(|p| p.into_inner()));
        let outputs = session.run(ort::inputs![
            "input" => Tensor::from_array(([1usize, n], ids))?,
            "input_lengths" => Tensor::from_array(([1usize], vec![n as i64]))?,
            "scales" => Tensor::from_array(([3usize], vec![inf.noise_scale, inf.length_scale, inf.noise_w]))?,
        ])?;
        let (_, audio) = outputs["output"].try_extract_tensor::<f32>()?;
        Ok(SpeechChunk {
            text: sentence.to_owned(),
            audio: audio.to_vec(),
            synth_time: started.elapsed(),
        })
    }

    /// Synthesises `text` piece by piece (see [`split_for_speech`]), handing
    /// each to `sink` as soon as it is ready: the first clause plays while
    /// the rest synthesise.
    pub fn synthesize_streaming(
        &self,
        text: &str,
        mut sink: impl FnMut(SpeechChunk) -> bool,
    ) -> Result<(), ModelError> {
        for sentence in split_for_speech(text) {
            if !sink(self.synthesize(sentence)?) {
                break;
            }
        }
        Ok(())
    }
}

fn read_config(path: &Path) -> Result<VoiceConfig, ModelError> {
    let text = std::fs::read_to_string(path).map_err(|e| ModelError::Asset {
        path: path.to_owned(),
        problem: format!("unreadable ({e})"),
    })?;
    serde_json::from_str(&text).map_err(|e| ModelError::Asset {
        path: path.to_owned(),
        problem: format!("not a Piper voice config ({e})"),
    })
}

/// Words a first clause needs before the sentence is cut after it.
const FIRST_CLAUSE_MIN_WORDS: usize = 4;

/// The pieces `text` is synthesised in: its sentences, the first one cut
/// after its first clause (at a comma after at least four words, when at
/// least four words follow) so that the caller hears the start of a long
/// answer sooner. The comma stays with the clause for its prosody.
pub fn split_for_speech(text: &str) -> Vec<&str> {
    let mut pieces = split_sentences(text);
    let Some(first) = pieces.first().copied() else {
        return pieces;
    };
    let mut words_before = 0;
    let mut in_word = false;
    for (i, c) in first.char_indices() {
        if c.is_whitespace() {
            in_word = false;
            continue;
        }
        if !in_word {
            in_word = true;
            words_before += 1;
        }
        if c == ',' && words_before >= FIRST_CLAUSE_MIN_WORDS {
            let (clause, rest) = first.split_at(i + 1);
            let rest = rest.trim();
            if rest.split_whitespace().count() >= FIRST_CLAUSE_MIN_WORDS
                && first.as_bytes().get(i + 1).is_some_and(u8::is_ascii_whitespace)
            {
                pieces.splice(0..1, [clause, rest]);
            }
            break;
        }
    }
    pieces
}

/// Splits text into sentences at `.`, `?` and `!` followed by a space.
pub fn split_sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if matches!(b, b'.' | b'?' | b'!') && bytes.get(i + 1).is_none_or(|n| n.is_ascii_whitespace()) {
            let s = text[start..=i].trim();
            if !s.is_empty() {
                out.push(s);
            }
            start = i + 1;
        }
    }
    let rest = text[start..].trim();
    if !rest.is_empty() {
        out.push(rest);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_split_on_terminal_punctuation_only() {
        assert_eq!(
            split_sentences("Hello there. Your copay is $4.50 a month! Anything else? ok"),
            vec!["Hello there.", "Your copay is $4.50 a month!", "Anything else?", "ok"]
        );
        assert!(split_sentences("  ").is_empty());
    }

    #[test]
    fn a_long_first_sentence_is_cut_after_its_first_clause() {
        assert_eq!(
            split_for_speech("Your Ozempic is covered by Aetna, and the copay is $25 a month. Anything else?"),
            vec![
                "Your Ozempic is covered by Aetna,",
                "and the copay is $25 a month.",
                "Anything else?"
            ]
        );
        // Short clauses, numbers with commas and later sentences stay whole.
        for whole in [
            "Thanks, Jane. How can I help?",
            "Yes, it is covered by your plan.",
            "The total is 1,250 dollars for the year.",
        ] {
            assert_eq!(split_for_speech(whole), split_sentences(whole), "{whole}");
        }
    }
}
