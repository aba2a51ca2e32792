//! The process-wide ONNX Runtime environment, loaded from the library the
//! model installer placed beside the models (Debian packages no onnxruntime).

use std::path::Path;
use std::sync::OnceLock;

use ort::environment::Environment;
use ort::session::Session;
use ort::session::builder::GraphOptimizationLevel;

use crate::ModelError;
use crate::assets::{Assets, files};

static ENV: OnceLock<Result<Environment, String>> = OnceLock::new();

/// The environment, initialised on first use from `assets`.
pub fn environment(assets: &Assets) -> Result<&'static Environment, ModelError> {
    let lib = assets.require(files::ONNXRUNTIME)?;
    ENV.get_or_init(|| {
        ort::init_from(&lib)
            .map_err(|e| format!("loading {}: {e}", lib.display()))?
            .with_name("switchboard")
            .build()
            .map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(|e| ModelError::Onnx(e.clone()))
}

/// A CPU session for `model` with `threads` intra-op threads.
pub fn session(assets: &Assets, model: &Path, threads: usize) -> Result<Session, ModelError> {
    let env = environment(assets)?;
    let session = Session::builder(env)?
        .with_optimization_level(GraphOptimizationLevel::Level3)
        .map_err(|e| ModelError::Onnx(e.to_string()))?
        .with_intra_threads(threads)
        .map_err(|e| ModelError::Onnx(e.to_string()))?
        .with_inter_threads(1)
        .map_err(|e| ModelError::Onnx(e.to_string()))?
        .commit_from_file(model)?;
    Ok(session)
}
