//! Setting up: the effective configuration, the model files (check and
//! install), database migrations, synthetic seed data and the payer policy
//! documents for the PA search.

use std::path::Path;

use anyhow::{Context, Result};

use crate::config;

/// `check-config`: prints the effective configuration, secrets masked.
pub fn check_config(cfg: &config::Config) -> Result<()> {
    let s = &cfg.server;
    println!("listen = {}", s.listen);
    println!(
        "public_url = {}",
        s.public_url.as_deref().unwrap_or("(from Host header)")
    );
    println!(
        "twilio_auth_token = {}",
        if s.twilio_auth_token.is_some() {
            "(set)"
        } else {
            "(unset: signatures not checked)"
        }
    );
    println!(
        "database_url = {}",
        if cfg.database_url.is_some() { "(set)" } else { "(unset)" }
    );
    println!("mode = {:?}", s.mode);
    println!("echo_delay_ms = {}", s.echo_delay.as_millis());
    println!("shutdown_grace_secs = {}", s.shutdown_grace.as_secs());
    println!("send_ms = {}, lead_ms = {}", s.playout.send_ms, s.playout.lead_ms);
    match &s.recording {
        Some(r) => println!("recording = on (key id {}, dir {})", r.key.id(), r.dir.display()),
        None => println!("recording = off (no recording key)"),
    }
    Ok(())
}

/// Loads each model once, timing it.
pub fn check_models() -> Result<()> {
    use models::assets::{Assets, files};
    let assets = Assets::discover();
    println!("models in {}", assets.dir().display());
    let t = std::time::Instant::now();
    models::vad::SileroModel::load(&assets, 1)?;
    println!("  silero vad      ok ({} ms)", t.elapsed().as_millis());
    let t = std::time::Instant::now();
    models::stt::WhisperModel::load(&assets.require(files::WHISPER_TINY_EN)?)?;
    println!("  whisper tiny.en ok ({} ms)", t.elapsed().as_millis());
    let t = std::time::Instant::now();
    models::tts::PiperVoice::load(&assets, 1, 1)?;
    println!("  piper voice     ok ({} ms)", t.elapsed().as_millis());
    let t = std::time::Instant::now();
    models::embed::Embedder::load(&assets, 1)?;
    println!("  minilm          ok ({} ms)", t.elapsed().as_millis());
    Ok(())
}

/// `models install`: runs the installer script.
pub fn install_models() -> Result<()> {
    let status = std::process::Command::new("./scripts/models.sh")
        .status()
        .context("running ./scripts/models.sh")?;
    anyhow::ensure!(status.success(), "model installation failed");
    Ok(())
}

/// `migrate`: opening the database applies the migrations.
pub async fn migrate(cfg: &config::Config) -> Result<()> {
    let mut db = crate::open_db(cfg).await?;
    println!("migrations up to date");
    db.close();
    Ok(())
}

/// `seed`: fills an empty database with synthetic data.
pub async fn seed(cfg: &config::Config, patients: usize, seed: u64) -> Result<()> {
    let mut db = crate::open_db(cfg).await?;
    let r = functions::seed::seed(&db.pool, patients, seed).await?;
    if r.inserted {
        println!("seeded {} patients", r.patients);
    } else {
        println!("already seeded ({} patients): nothing to do", r.patients);
    }
    db.close();
    Ok(())
}

/// `ingest`: payer policy documents in `dir`, embedded for the PA search.
pub async fn ingest(cfg: &config::Config, dir: &Path) -> Result<()> {
    let mut db = crate::open_db(cfg).await?;
    let embedder = models::embed::Embedder::load(&models::assets::Assets::discover(), 1)?;
    let r = functions::ingest::ingest_dir(&db.pool, &embedder, dir).await?;
    println!(
        "{} documents ingested ({} passages), {} unchanged",
        r.documents, r.chunks, r.unchanged
    );
    db.close();
    Ok(())
}
