//! Sentence embeddings: all-MiniLM-L6-v2 (int8 ONNX) with the `tokenizers`
//! crate, mean pooling over the attention mask and L2 normalisation. Used for
//! intent matching and for prior-authorization policy search.

use std::sync::Mutex;

use ort::session::Session;
use ort::value::Tensor;
use tokenizers::Tokenizer;

use crate::ModelError;
use crate::assets::{Assets, files};

/// Embedding width.
pub const DIM: usize = 384;
/// Longest input in tokens (longer text is truncated).
const MAX_TOKENS: usize = 256;

/// A unit-length sentence embedding.
pub type Embedding = Vec<f32>;

/// The loaded embedder.
pub struct Embedder {
    session: Mutex<Session>,
    tokenizer: Tokenizer,
}

impl Embedder {
    /// Loads the model and tokenizer.
    pub fn load(assets: &Assets, threads: usize) -> Result<Self, ModelError> {
        let model = assets.require(files::MINILM)?;
        let tok_path = assets.require(files::MINILM_TOKENIZER)?;
        let mut tokenizer = Tokenizer::from_file(&tok_path).map_err(|e| ModelError::Asset {
            path: tok_path.clone(),
            problem: format!("not a tokenizer ({e})"),
        })?;
        // The shipped tokenizer pins padding to 128: pad per batch instead.
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(tokenizers::TruncationParams {
                max_length: MAX_TOKENS,
                ..Default::default()
            }))
            .map_err(|e| ModelError::Input(e.to_string()))?;
        let session = Mutex::new(crate::onnx::session(assets, &model, threads)?);
        Ok(Self { session, tokenizer })
    }

    /// Embeds a batch of texts.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Embedding>, ModelError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| ModelError::Input(e.to_string()))?;
        let b = encodings.len();
        let s = encodings.iter().map(|e| e.len()).max().unwrap_or(1).max(1);
        let (mut ids, mut mask, mut types) = (vec![0i64; b * s], vec![0i64; b * s], vec![0i64; b * s]);
        for (i, e) in encodings.iter().enumerate() {
            for (j, ((&id, &m), &t)) in e
                .get_ids()
                .iter()
                .zip(e.get_attention_mask())
                .zip(e.get_type_ids())
                .enumerate()
            {
                ids[i * s + j] = id as i64;
                mask[i * s + j] = m as i64;
                types[i * s + j] = t as i64;
            }
        }
        let mut session = self.session.lock().unwrap_or_else(|p| p.into_inner());
        let outputs = session.run(ort::inputs![
            "input_ids" => Tensor::from_array(([b, s], ids))?,
            "attention_mask" => Tensor::from_array(([b, s], mask.clone()))?,
            "token_type_ids" => Tensor::from_array(([b, s], types))?,
        ])?;
        let (shape, hidden) = outputs["last_hidden_state"].try_extract_tensor::<f32>()?;
        if shape.len() != 3 || shape[2] as usize != DIM {
            return Err(ModelError::Onnx(format!("unexpected embedding shape {shape:?}")));
        }
        let mut out = Vec::with_capacity(b);
        for i in 0..b {
            let mut v = vec![0f32; DIM];
            let mut n = 0f32;
            for j in 0..s {
                if mask[i * s + j] == 1 {
                    let row = &hidden[(i * s + j) * DIM..(i * s + j + 1) * DIM];
                    v.iter_mut().zip(row).for_each(|(a, x)| *a += x);
                    n += 1.0;
                }
            }
            let norm = v
                .iter()
                .map(|x| (x / n.max(1.0)).powi(2))
                .sum::<f32>()
                .sqrt()
                .max(1e-12);
            v.iter_mut().for_each(|x| *x = *x / n.max(1.0) / norm);
            out.push(v);
        }
        Ok(out)
    }
}

/// Cosine similarity of two unit vectors.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
