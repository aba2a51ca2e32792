//! Scenario files: what a simulated caller says and when, and what the bot
//! is expected to do, in a small TOML format, rendered to 8 kHz µ-law once
//! before the load starts (flite for text, any WAV file for recordings).
//!
//! ```toml
//! description = "Maria Garcia verifies and asks about prior authorization"
//! voice = "rms"                 # flite voice (default rms)
//! from = "+15550100001"         # calling number (default: random)
//! weight = 3                    # share in the default mix (default 1)
//! repeat = false                # start over until hung up (media-only runs)
//! # Either a conversation (wait for the bot, say a line, ..., wait) ...
//! conversation = ["My name is Maria Garcia ...", "Goodbye."]
//! # ... or explicit steps:
//! steps = [
//!   "wait",                                          # bot spoke, then 1.2 s quiet
//!   { wait_for_bot = { quiet_ms = 800, limit_s = 20 } },
//!   { say = "I want to talk to a representative." },
//!   { wav = "recordings/hello.wav" },                # relative to the file
//!   { barge_in = { after_ms = 1500, say = "My name is James Wilson." } },
//!   { dtmf = "0" },
//!   { pause_ms = 2000 },
//! ]
//! [expect]
//! end = "completed"             # completed | transferred | caller (the caller hung up)
//! answered = true               # every caller turn got a reply (default true)
//! barge_in = false              # the bot was cut off at least once
//! ```

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use super::LoadgenError;
use crate::caller::Step;

/// How the server should end the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpectedEnd {
    /// The bot said goodbye and closed ("call completed").
    Completed,
    /// The bot handed the call to staff ("call transferred").
    Transferred,
    /// The caller's script ended and it hung up.
    Caller,
}

/// Expected bot behaviour, checked per call.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// How the call ends; unchecked when absent.
    #[serde(default)]
    pub end: Option<ExpectedEnd>,
    /// Every caller turn got a reply.
    #[serde(default = "yes")]
    pub answered: bool,
    /// The bot was cut off (a `clear`) at least once.
    #[serde(default)]
    pub barge_in: bool,
}

impl Default for Expect {
    fn default() -> Self {
        Self {
            end: None,
            answered: true,
            barge_in: false,
        }
    }
}

fn yes() -> bool {
    true
}

/// One step as written in the file.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum StepSpec {
    /// Wait until the bot has spoken and then been quiet 1.2 s (limit 25 s).
    Wait,
    /// Wait with explicit settings.
    WaitForBot {
        /// Quiet that ends the bot's turn, ms.
        #[serde(default)]
        quiet_ms: Option<u64>,
        /// Give up after, seconds.
        #[serde(default)]
        limit_s: Option<u64>,
    },
    /// Say this text.
    Say(String),
    /// Play this WAV file (any rate; the first channel).
    Wav(PathBuf),
    /// Talk over the bot once it has been talking `after_ms`.
    BargeIn {
        /// How far into the bot's speech.
        after_ms: u64,
        /// What is said.
        say: String,
    },
    /// Press a key.
    Dtmf(char),
    /// Silence this long.
    PauseMs(u64),
}

/// A scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// What the caller does, in a sentence.
    pub description: String,
    /// flite voice.
    #[serde(default = "default_voice")]
    pub voice: String,
    /// Calling number; random when absent.
    #[serde(default)]
    pub from: Option<String>,
    /// Weight in the default mix.
    #[serde(default = "one")]
    pub weight: u32,
    /// Start over when the script ends, until the caller hangs up.
    #[serde(default)]
    pub repeat: bool,
    /// Shorthand: wait, line, wait, line, ..., wait.
    #[serde(default)]
    pub conversation: Vec<String>,
    /// Explicit steps (after the conversation, if both are given).
    #[serde(default)]
    pub steps: Vec<StepSpec>,
    /// Expected bot behaviour.
    #[serde(default)]
    pub expect: Expect,
}

fn default_voice() -> String {
    "rms".into()
}

fn one() -> u32 {
    1
}

impl ScenarioFile {
    /// Parses and checks a scenario.
    pub fn parse(text: &str, origin: &str) -> Result<Self, LoadgenError> {
        let f: Self = toml::from_str(text).map_err(|e| LoadgenError::Scenario(format!("{origin}: {e}")))?;
        if f.conversation.is_empty() && f.steps.is_empty() {
            return Err(LoadgenError::Scenario(format!(
                "{origin}: no `conversation` and no `steps`"
            )));
        }
        if !crate::voice::VOICES.contains(&f.voice.as_str()) {
            return Err(LoadgenError::Scenario(format!(
                "{origin}: unknown voice {:?} (one of {:?})",
                f.voice,
                crate::voice::VOICES
            )));
        }
        Ok(f)
    }

    /// The steps in order, the conversation shorthand expanded.
    pub fn all_steps(&self) -> Vec<StepSpec> {
        let mut out = Vec::new();
        for line in &self.conversation {
            out.push(StepSpec::Wait);
            out.push(StepSpec::Say(line.clone()));
        }
        if !self.conversation.is_empty() {
            out.push(StepSpec::Wait);
        }
        out.extend(self.steps.iter().cloned());
        out
    }
}

/// A scenario ready to place: audio rendered.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// File stem (or `wav` for command-line recordings).
    pub name: String,
    /// As in the file.
    pub description: String,
    /// Calling number, when fixed.
    pub from: Option<String>,
    /// Weight in the default mix.
    pub weight: u32,
    /// Start over until hung up.
    pub repeat: bool,
    /// Rendered script.
    pub steps: Vec<Step>,
    /// Expected behaviour.
    pub expect: Expect,
}

/// Renders text once per (voice, text).
#[derive(Debug, Default)]
pub struct Renderer {
    cache: HashMap<(String, String), Vec<u8>>,
}

impl Renderer {
    /// µ-law of `text` spoken by flite `voice`.
    pub fn speak(&mut self, text: &str, voice: &str) -> Result<Vec<u8>, LoadgenError> {
        let key = (voice.to_owned(), text.to_owned());
        if let Some(a) = self.cache.get(&key) {
            return Ok(a.clone());
        }
        let audio = crate::voice::speak_ulaw(text, voice)?;
        self.cache.insert(key, audio.clone());
        Ok(audio)
    }

    /// Renders `file` (relative paths against `base`).
    pub fn render(&mut self, name: &str, file: &ScenarioFile, base: &Path) -> Result<Scenario, LoadgenError> {
        let mut steps = Vec::new();
        for s in file.all_steps() {
            steps.push(match s {
                StepSpec::Wait => crate::demo::wait(),
                StepSpec::WaitForBot { quiet_ms, limit_s } => Step::WaitForBot {
                    quiet: Duration::from_millis(quiet_ms.unwrap_or(1200)),
                    limit: Duration::from_secs(limit_s.unwrap_or(25)),
                },
                StepSpec::Say(text) => Step::Say {
                    audio: self.speak(&text, &file.voice)?,
                    text,
                },
                StepSpec::Wav(path) => {
                    let path = if path.is_absolute() { path } else { base.join(path) };
                    Step::Say {
                        audio: wav_ulaw(&path)?,
                        text: path.display().to_string(),
                    }
                }
                StepSpec::BargeIn { after_ms, say } => Step::BargeIn {
                    after: Duration::from_millis(after_ms),
                    audio: self.speak(&say, &file.voice)?,
                    text: say,
                },
                StepSpec::Dtmf(c) => Step::Dtmf(c),
                StepSpec::PauseMs(ms) => Step::Pause(Duration::from_millis(ms)),
            });
        }
        Ok(Scenario {
            name: name.to_owned(),
            description: file.description.clone(),
            from: file.from.clone(),
            weight: file.weight,
            repeat: file.repeat,
            steps,
            expect: file.expect.clone(),
        })
    }
}

/// Reads every `*.toml` in `dir`, sorted by name: `(name, file)`.
pub fn load_dir(dir: &Path) -> Result<Vec<(String, ScenarioFile)>, LoadgenError> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| LoadgenError::Scenario(format!("{}: {e}", dir.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| {
            let text =
                std::fs::read_to_string(p).map_err(|e| LoadgenError::Scenario(format!("{}: {e}", p.display())))?;
            let name = p
                .file_stem()
                .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
            Ok((name, ScenarioFile::parse(&text, &p.display().to_string())?))
        })
        .collect()
}

/// A scenario from recordings given on the command line: wait for the
/// greeting, play each file, waiting for the bot after each.
pub fn from_wavs(paths: &[PathBuf]) -> Result<Scenario, LoadgenError> {
    let mut steps = Vec::new();
    for p in paths {
        steps.push(crate::demo::wait());
        steps.push(Step::Say {
            audio: wav_ulaw(p)?,
            text: p.display().to_string(),
        });
    }
    steps.push(crate::demo::wait());
    Ok(Scenario {
        name: "wav".into(),
        description: "recordings from the command line".into(),
        from: None,
        weight: 1,
        repeat: false,
        steps,
        expect: Expect::default(),
    })
}

/// A WAV file (any rate, integer or float, first channel) as 8 kHz µ-law.
pub fn wav_ulaw(path: &Path) -> Result<Vec<u8>, LoadgenError> {
    let err = |e: hound::Error| LoadgenError::Scenario(format!("{}: {e}", path.display()));
    let mut r = hound::WavReader::open(path).map_err(err)?;
    let spec = r.spec();
    let step = spec.channels.max(1) as usize;
    let all: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => r.samples::<f32>().collect::<Result<_, _>>().map_err(err)?,
        hound::SampleFormat::Int => {
            let scale = (1i64 << (spec.bits_per_sample.clamp(8, 32) - 1)) as f32;
            r.samples::<i32>()
                .map(|s| s.map(|x| x as f32 / scale))
                .collect::<Result<_, _>>()
                .map_err(err)?
        }
    };
    let mono: Vec<f32> = all.into_iter().step_by(step).collect();
    let to = |e: media::MediaError| LoadgenError::Scenario(format!("{}: {e}", path.display()));
    let mut pcm = Vec::new();
    if spec.sample_rate == 8000 {
        pcm = mono;
    } else {
        let mut rs = media::resample::StreamResampler::new(spec.sample_rate, 8000).map_err(to)?;
        rs.push(&mono, &mut pcm).map_err(to)?;
        rs.flush(&mut pcm).map_err(to)?;
    }
    Ok(pcm
        .iter()
        .map(|&x| media::mulaw::encode(media::resample::f32_to_i16(x)))
        .collect())
}

/// Scenarios with their weights in the mix.
#[derive(Debug, Clone)]
pub struct Mix {
    entries: Vec<(Arc<Scenario>, u32)>,
    total: u64,
}

impl Mix {
    /// A mix; zero-weight entries are dropped.
    pub fn new(entries: Vec<(Arc<Scenario>, u32)>) -> Result<Self, LoadgenError> {
        let entries: Vec<_> = entries.into_iter().filter(|(_, w)| *w > 0).collect();
        let total = entries.iter().map(|(_, w)| u64::from(*w)).sum();
        if total == 0 {
            return Err(LoadgenError::Scenario("the scenario mix is empty".into()));
        }
        Ok(Self { entries, total })
    }

    /// Picks one scenario by weight.
    pub fn pick(&self, rng: &mut fastrand::Rng) -> Arc<Scenario> {
        let mut x = rng.u64(..self.total);
        for (s, w) in &self.entries {
            if x < u64::from(*w) {
                return s.clone();
            }
            x -= u64::from(*w);
        }
        self.entries[0].0.clone()
    }

    /// `(name, weight)` of each entry.
    pub fn weights(&self) -> Vec<(String, u32)> {
        self.entries.iter().map(|(s, w)| (s.name.clone(), *w)).collect()
    }
}

#[cfg(test)]
mod tests;
