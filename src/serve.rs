//! The long-running servers: the media server itself (agent mode through the
//! whole stack; echo, silent and repeat modes on their own) and the payer
//! eligibility API simulator, both stopped by Ctrl-C or SIGTERM.

use anyhow::{Context, Result};
use tokio::net::TcpListener;

use crate::config;

/// `/readyz` check: every model file is installed.
struct ModelFiles(models::assets::Assets);

impl telephony::ReadinessCheck for ModelFiles {
    fn name(&self) -> &'static str {
        "models"
    }
    fn ready(&self) -> bool {
        use models::assets::files::*;
        [
            ONNXRUNTIME,
            SILERO_VAD,
            WHISPER_TINY_EN,
            PIPER_VOICE,
            PIPER_CONFIG,
            MINILM,
            MINILM_TOKENIZER,
        ]
        .iter()
        .all(|f| self.0.require(f).is_ok())
    }
}

/// `serve`: the media server until a shutdown signal.
pub async fn serve(cfg: config::Config) -> Result<()> {
    let assets = models::assets::Assets::discover();
    let files = ModelFiles(assets.clone());
    if cfg.server.mode == telephony::CallMode::Agent {
        let mut sc = crate::stack_config(&cfg);
        sc.server = cfg.server.clone();
        // The private database is a newcomer's: give it data. A configured
        // one is seeded with `switchboard seed` on purpose.
        if cfg.database_url.is_some() {
            sc.seed_patients = 0;
            // A real deployment never talks to a simulated payer by accident.
            if cfg.benefits_url.is_none() {
                anyhow::bail!(
                    "SWITCHBOARD_BENEFITS_URL is not set: with a configured database the payer's eligibility API \
                     must be named (run `switchboard payer-sim` and point SWITCHBOARD_BENEFITS_URL at it to \
                     simulate one)"
                );
            }
        } else if cfg.benefits_url.is_none() {
            tracing::warn!(
                "SIMULATED PAYER: no SWITCHBOARD_BENEFITS_URL, so benefits answers come from the in-process payer \
                 simulator and the private database holds synthetic demo patients (local use only)"
            );
        }
        let stack = switchboard::stack::Stack::start(sc, vec![Box::new(files)])
            .await
            .context("starting the server")?;
        tracing::info!(addr = %stack.addr, "switchboard listening (agent mode)");
        stack.run_until(shutdown_signal()).await?;
        return Ok(());
    }
    if !telephony::ReadinessCheck::ready(&files) {
        // Echo and silent modes run without models; /readyz reports them missing.
        tracing::warn!(dir = %assets.dir().display(), "model files missing: run ./scripts/models.sh");
    }
    // Models load once, before the first call (never per call).
    let speech = if cfg.server.mode == telephony::CallMode::Repeat {
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
        let stt_model = cfg.server.stt_model;
        let t = std::time::Instant::now();
        let engines =
            tokio::task::spawn_blocking(move || telephony::speech::SpeechEngines::load(&assets, workers, stt_model))
                .await?
                .context("loading speech models")?;
        tracing::info!(ms = t.elapsed().as_millis() as u64, workers, "speech models loaded");
        Some(engines)
    } else {
        None
    };
    let listener = TcpListener::bind(cfg.server.listen)
        .await
        .with_context(|| format!("binding {}", cfg.server.listen))?;
    tracing::info!(addr = %listener.local_addr()?, mode = ?cfg.server.mode, "switchboard listening");
    let state = telephony::AppState::with_speech(cfg.server, vec![Box::new(files)], speech);
    telephony::serve(listener, state, shutdown_signal()).await?;
    Ok(())
}

/// `payer-sim`: the payer eligibility API simulator on `listen`.
pub async fn payer_sim(
    cfg: &config::Config,
    listen: std::net::SocketAddr,
    sim: functions::payer_sim::SimConfig,
) -> Result<()> {
    let mut db = crate::open_db(cfg).await?;
    let l = TcpListener::bind(listen).await?;
    tracing::info!(addr = %l.local_addr()?, "payer simulator listening");
    axum::serve(l, functions::payer_sim::router(db.pool.clone(), sim))
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    db.close();
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
