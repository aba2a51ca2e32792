//! Speech models behind small traits: voice activity detection (Silero),
//! speech recognition (Whisper), speech synthesis (Piper) and sentence
//! embeddings (MiniLM). Knows no calls; depends on `media` for sample types.
//!
//! The engines arrive with the models work; the server runs in echo or silent
//! mode until then.
