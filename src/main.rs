//! `switchboard`: the voice telephony media server and its tools.

mod config;
mod ops;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

/// Real-time voice telephony media server for healthcare benefits calls.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// Optional TOML configuration file (environment variables override it).
    #[arg(long, global = true, env = "SWITCHBOARD_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server: Twilio webhook, Media Streams WebSocket, health, metrics.
    Serve,
    /// Print the effective configuration (secrets masked) and exit.
    CheckConfig,
    /// Model files: `check` loads each one and reports; `install` runs the installer.
    Models {
        #[command(subcommand)]
        action: ModelsAction,
    },
    /// Place one simulated inbound patient call against an in-process server
    /// (private database seeded if needed), print it live, record it.
    Demo {
        /// Where the call recording (stereo WAV: caller left, bot right) goes.
        #[arg(long, default_value = "demo-call.wav")]
        wav: PathBuf,
        /// flite voice of the simulated caller (slt, rms, awb, kal).
        #[arg(long, default_value = "rms")]
        voice: String,
    },
    /// Apply database migrations (also done at `serve` start).
    Migrate,
    /// Load generator: N simulated Twilio calls over real WebSockets against
    /// a server (in process unless --target), latency report, JSON and plot.
    Loadgen(Box<switchboard::loadgen::cli::LoadgenArgs>),
    /// Run post-call job workers (analysis, webhook delivery) in this process;
    /// any number of workers on any number of machines share one database.
    Worker {
        /// Concurrent job loops.
        #[arg(long, default_value_t = 4)]
        concurrency: usize,
    },
    /// Post-call job queue: depths, dead letters, retry.
    Jobs {
        #[command(subcommand)]
        action: ops::JobsAction,
    },
    /// Webhook receivers: add (or update), list, remove.
    Webhooks {
        #[command(subcommand)]
        action: ops::WebhooksAction,
    },
    /// Print the PHI audit log (who read what, when, from where).
    Audit {
        /// Start: a date (2026-11-01), an RFC 3339 time, or an age (90m, 24h, 7d).
        #[arg(long, default_value = "24h")]
        since: String,
        /// Most rows to print.
        #[arg(long, default_value_t = 1000)]
        limit: i64,
    },
    /// Encrypted call recordings (on when a recording key is configured).
    Recording {
        #[command(subcommand)]
        action: RecordingAction,
    },
    /// Fill an empty database with synthetic payers, formulary and patients.
    Seed {
        /// Random patients besides the fixed demo ones.
        #[arg(long, default_value_t = 1000)]
        patients: usize,
        /// Random seed (same seed, same data).
        #[arg(long, default_value_t = 20261123)]
        seed: u64,
    },
    /// Ingest payer policy documents (Markdown or text) for the PA search.
    Ingest {
        /// Directory of documents.
        #[arg(default_value = "data/payer_policies")]
        dir: PathBuf,
    },
    /// Run the payer eligibility API simulator.
    PayerSim {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8090")]
        listen: std::net::SocketAddr,
        /// Typical response time, ms.
        #[arg(long, default_value_t = 250)]
        latency_ms: u64,
        /// Extra uniform random delay, ms.
        #[arg(long, default_value_t = 250)]
        jitter_ms: u64,
        /// Share of requests answered 503.
        #[arg(long, default_value_t = 0.02)]
        failure_rate: f64,
        /// Share of requests that are slow.
        #[arg(long, default_value_t = 0.02)]
        slow_rate: f64,
        /// Delay of a slow request, ms.
        #[arg(long, default_value_t = 4000)]
        slow_ms: u64,
    },
}

#[derive(Debug, Subcommand)]
enum RecordingAction {
    /// Decrypt a call's recording to a stereo WAV (caller left, bot right).
    /// The read is written to the PHI audit log first.
    Decrypt {
        /// The call (Twilio CallSid).
        call_id: String,
        /// The WAV file to write.
        #[arg(short, long)]
        output: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum ModelsAction {
    /// Load every model once and report (exit 1 naming the first bad file).
    Check,
    /// Fetch, convert and verify the model files (./scripts/models.sh).
    Install,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let cfg = config::load(cli.config.as_deref(), std::env::vars())?;
    // Per-call info lines would scroll over the load generator's progress bar.
    let quiet_default = matches!(cli.command, Command::Loadgen(_)) && cfg.log == "info";
    let cfg_log = if quiet_default { "warn" } else { cfg.log.as_str() };
    // PHI never reaches the log: sensitive fields and date/id/phone-shaped text are redacted.
    tracing_subscriber::fmt()
        .fmt_fields(switchboard::redact::Redacted)
        .with_env_filter(EnvFilter::try_new(cfg_log).with_context(|| format!("invalid log filter {:?}", cfg.log))?)
        .init();
    let rt = || tokio::runtime::Builder::new_multi_thread().enable_all().build();
    match cli.command {
        Command::Serve => rt()?.block_on(serve(cfg)),
        Command::Demo { wav, voice } => rt()?.block_on(async {
            let opts = switchboard::demo::DemoOptions {
                stack: stack_config(&cfg),
                wav,
                voice,
            };
            switchboard::demo::run(opts).await?;
            Ok(())
        }),
        Command::Loadgen(args) => rt()?.block_on(async {
            switchboard::loadgen::cli::main(*args, stack_config(&cfg)).await?;
            Ok(())
        }),
        Command::Migrate => rt()?.block_on(async {
            let mut db = open_db(&cfg).await?;
            println!("migrations up to date");
            db.close();
            Ok(())
        }),
        Command::Worker { concurrency } => rt()?.block_on(ops::worker(&cfg, concurrency, shutdown_signal())),
        Command::Jobs { action } => rt()?.block_on(ops::jobs(&cfg, action)),
        Command::Webhooks { action } => rt()?.block_on(ops::webhooks(&cfg, action)),
        Command::Audit { since, limit } => rt()?.block_on(ops::audit(&cfg, &since, limit)),
        Command::Recording {
            action: RecordingAction::Decrypt { call_id, output },
        } => rt()?.block_on(decrypt_recording(&cfg, &call_id, &output)),
        Command::Seed { patients, seed } => rt()?.block_on(async {
            let mut db = open_db(&cfg).await?;
            let r = functions::seed::seed(&db.pool, patients, seed).await?;
            if r.inserted {
                println!("seeded {} patients", r.patients);
            } else {
                println!("already seeded ({} patients): nothing to do", r.patients);
            }
            db.close();
            Ok(())
        }),
        Command::Ingest { dir } => rt()?.block_on(async {
            let mut db = open_db(&cfg).await?;
            let embedder = models::embed::Embedder::load(&models::assets::Assets::discover(), 1)?;
            let r = functions::ingest::ingest_dir(&db.pool, &embedder, &dir).await?;
            println!(
                "{} documents ingested ({} passages), {} unchanged",
                r.documents, r.chunks, r.unchanged
            );
            db.close();
            Ok(())
        }),
        Command::PayerSim {
            listen,
            latency_ms,
            jitter_ms,
            failure_rate,
            slow_rate,
            slow_ms,
        } => rt()?.block_on(async {
            let mut db = open_db(&cfg).await?;
            let sim = functions::payer_sim::SimConfig {
                latency: std::time::Duration::from_millis(latency_ms),
                jitter: std::time::Duration::from_millis(jitter_ms),
                failure_rate,
                slow_rate,
                slow: std::time::Duration::from_millis(slow_ms),
            };
            let l = TcpListener::bind(listen).await?;
            tracing::info!(addr = %l.local_addr()?, "payer simulator listening");
            axum::serve(l, functions::payer_sim::router(db.pool.clone(), sim))
                .with_graceful_shutdown(shutdown_signal())
                .await?;
            db.close();
            Ok(())
        }),
        Command::CheckConfig => {
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
        Command::Models {
            action: ModelsAction::Check,
        } => check_models(),
        Command::Models {
            action: ModelsAction::Install,
        } => {
            let status = std::process::Command::new("./scripts/models.sh")
                .status()
                .context("running ./scripts/models.sh")?;
            anyhow::ensure!(status.success(), "model installation failed");
            Ok(())
        }
    }
}

/// Loads each model once, timing it.
fn check_models() -> Result<()> {
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

/// The stack settings from the configuration.
fn stack_config(cfg: &config::Config) -> switchboard::stack::StackConfig {
    let mut server = cfg.server.clone();
    server.mode = telephony::CallMode::Agent;
    switchboard::stack::StackConfig {
        server,
        database_url: cfg.database_url.clone(),
        data_dir: cfg.data_dir.clone(),
        benefits_url: cfg.benefits_url.clone(),
        spool_dir: cfg.spool_dir.clone(),
        webhook: cfg.webhook.clone(),
        workers: cfg.workers,
        ..Default::default()
    }
}

async fn open_db(cfg: &config::Config) -> Result<functions::Database> {
    functions::Database::open(cfg.database_url.as_deref(), &cfg.data_dir, 4)
        .await
        .context("opening the database")
}

/// `recording decrypt`: audit row first (no audit, no decryption), then the WAV.
async fn decrypt_recording(cfg: &config::Config, call_id: &str, output: &Path) -> Result<()> {
    let rec = cfg
        .server
        .recording
        .as_ref()
        .context("no recording key configured: set SWITCHBOARD_RECORDING_KEY or SWITCHBOARD_RECORDING_KEY_FILE")?;
    let src = switchboard::recording::path(&rec.dir, call_id)?;
    anyhow::ensure!(src.is_file(), "no recording of call {call_id} in {}", rec.dir.display());
    let mut db = open_db(cfg).await?;
    let actor = std::env::var("USER")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "cli".into());
    let entry = functions::audit::AuditEntry {
        actor,
        action: "recording.decrypt".into(),
        resource: format!("recording:{call_id}"),
        call_sid: Some(call_id.to_owned()),
        remote_addr: None,
    };
    let audited = functions::audit::record(&db.pool, &entry).await;
    db.close();
    audited.context("writing the audit row (nothing was decrypted)")?;
    let (key, id, out) = (rec.key.clone(), call_id.to_owned(), output.to_owned());
    let s = tokio::task::spawn_blocking(move || switchboard::recording::decrypt_to_wav(&src, &key, &id, &out))
        .await?
        .with_context(|| format!("decrypting the recording of call {call_id}"))?;
    println!(
        "{}: {:.1} s, stereo 8 kHz (caller left, bot right), key id {}",
        output.display(),
        s.duration().as_secs_f64(),
        s.key_id
    );
    if s.complete {
        println!("complete");
    } else {
        println!("INCOMPLETE: the recording stops without its end (the server stopped mid-call); audio up to there");
    }
    Ok(())
}

async fn serve(cfg: config::Config) -> Result<()> {
    let assets = models::assets::Assets::discover();
    let files = ModelFiles(assets.clone());
    if cfg.server.mode == telephony::CallMode::Agent {
        let mut sc = stack_config(&cfg);
        sc.server = cfg.server.clone();
        // The private database is a newcomer's: give it data. A configured
        // one is seeded with `switchboard seed` on purpose.
        if cfg.database_url.is_some() {
            sc.seed_patients = 0;
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

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
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
