//! Speech models behind small traits: noise suppression (RNNoise), voice
//! activity detection (Silero),
//! speech recognition (Whisper), speech synthesis (Piper) and sentence
//! embeddings (MiniLM). Knows no calls; depends on `media` for sample types.
//!
//! Model files live in a directory installed by `./scripts/models.sh`
//! (default `models/assets`, or `SWITCHBOARD_MODELS_DIR`).

pub mod assets;
pub mod cpu;
pub mod denoise;
pub mod embed;
pub mod onnx;
pub mod streaming;
pub mod stt;
pub mod synthesis;
pub mod tts;
pub mod vad;

use std::path::PathBuf;

/// Errors of the models crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// A model file is missing or damaged.
    #[error("model file {path} is {problem}: run ./scripts/models.sh to install the models")]
    Asset {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
    /// ONNX Runtime failed.
    #[error("onnx runtime: {0}")]
    Onnx(String),
    /// Audio the model cannot take.
    #[error("invalid input: {0}")]
    Input(String),
    /// A decode stopped part way because nobody waited for its result any
    /// more (a speculation the caller talked on through).
    #[error("decode abandoned: nobody waits for it")]
    Abandoned,
}

impl From<ort::Error> for ModelError {
    fn from(e: ort::Error) -> Self {
        Self::Onnx(e.to_string())
    }
}
