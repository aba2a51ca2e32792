//! Where the model files are, and a start-up check that they are all there.

use std::path::{Path, PathBuf};

use crate::ModelError;

/// The directory holding the installed model files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assets {
    dir: PathBuf,
}

/// File names inside the assets directory.
pub mod files {
    /// ONNX Runtime shared library.
    pub const ONNXRUNTIME: &str = "libonnxruntime.so";
    /// Silero VAD.
    pub const SILERO_VAD: &str = "silero_vad.onnx";
    /// Whisper tiny.en, ggml, weight matrices in q8_0 (see `scripts/models.py`).
    pub const WHISPER_TINY_EN: &str = "ggml-tiny.en-q8_0.bin";
    /// Whisper base (multilingual), ggml; installed with `./scripts/models.sh --with-base`.
    pub const WHISPER_BASE: &str = "ggml-base.bin";
    /// Piper voice.
    pub const PIPER_VOICE: &str = "en_US-joe-medium.onnx";
    /// Piper voice configuration.
    pub const PIPER_CONFIG: &str = "en_US-joe-medium.onnx.json";
    /// MiniLM embeddings, int8.
    pub const MINILM: &str = "minilm-int8.onnx";
    /// MiniLM tokenizer.
    pub const MINILM_TOKENIZER: &str = "minilm-tokenizer.json";
}

impl Assets {
    /// Assets in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// `SWITCHBOARD_MODELS_DIR`, else `models/assets` under the workspace
    /// root (found from the current directory upwards).
    pub fn discover() -> Self {
        if let Some(d) = std::env::var_os("SWITCHBOARD_MODELS_DIR") {
            return Self::new(d);
        }
        let mut here = std::env::current_dir().unwrap_or_default();
        loop {
            let candidate = here.join("models").join("assets");
            if candidate.is_dir() {
                return Self::new(candidate);
            }
            if !here.pop() {
                return Self::new("models/assets");
            }
        }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Path of a file that must exist and be non-empty.
    pub fn require(&self, name: &str) -> Result<PathBuf, ModelError> {
        let path = self.dir.join(name);
        match std::fs::metadata(&path) {
            Ok(m) if m.is_file() && m.len() > 0 => Ok(path),
            Ok(_) => Err(ModelError::Asset {
                path,
                problem: "empty or not a file".into(),
            }),
            Err(_) => Err(ModelError::Asset {
                path,
                problem: "missing".into(),
            }),
        }
    }
}
