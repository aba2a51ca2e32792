//! The whole server in one process: database (private cluster when no URL
//! is given), migrations, seed data and policy documents on first use, the
//! payer simulator when no benefits URL is given, the models, and the HTTP
//! server. `serve`, `demo` and the end-to-end tests all start it this way.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use functions::payer_sim::{self, SimConfig};
use functions::{Database, Functions, FunctionsConfig};
use telephony::agent::AgentServices;
use telephony::{AppState, ReadinessCheck, ServerConfig};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::error::AppError;

/// How to start the stack.
#[derive(Debug, Clone)]
pub struct StackConfig {
    /// Server settings (mode should be `Agent`).
    pub server: ServerConfig,
    /// PostgreSQL URL; `None` starts the private cluster under `data_dir`.
    pub database_url: Option<String>,
    /// Where the private cluster lives.
    pub data_dir: PathBuf,
    /// Payer eligibility API; `None` starts the simulator in process.
    pub benefits_url: Option<String>,
    /// The in-process simulator's behaviour.
    pub sim: SimConfig,
    /// Patients to seed into an empty database (0: never seed).
    pub seed_patients: usize,
    /// Policy documents ingested at start (unchanged ones are skipped).
    pub policies_dir: Option<PathBuf>,
    /// Function fault injection (load tests).
    pub inject_delay: Option<(String, std::time::Duration)>,
    /// Where finished calls wait while the database is unreachable.
    pub spool_dir: PathBuf,
    /// The one webhook receiver (URL, signing secret), if any.
    pub webhook: Option<(String, String)>,
    /// Post-call job loops in this process (0: none).
    pub workers: usize,
}

impl Default for StackConfig {
    fn default() -> Self {
        Self {
            server: ServerConfig {
                mode: telephony::CallMode::Agent,
                ..Default::default()
            },
            database_url: None,
            data_dir: PathBuf::from(".data/postgres"),
            benefits_url: None,
            sim: SimConfig::default(),
            seed_patients: 1000,
            policies_dir: Some(PathBuf::from("data/payer_policies")),
            inject_delay: None,
            // Per process, so throwaway stacks never replay each other's calls;
            // `serve` and `demo` set the configured, durable one.
            spool_dir: std::env::temp_dir().join(format!("switchboard-spool-{}", std::process::id())),
            webhook: None,
            workers: 2,
        }
    }
}

/// A running stack.
pub struct Stack {
    /// Where the server listens.
    pub addr: SocketAddr,
    /// Shared server state (registry, metrics, monitor).
    pub state: Arc<AppState>,
    /// The database.
    pub db: Database,
    /// Post-call workers, when started here.
    workers: Option<postcall::Workers>,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<std::io::Result<()>>>,
    payer: Option<JoinHandle<()>>,
}

impl Stack {
    /// Starts everything; `checks` are added to `/readyz`.
    pub async fn start(cfg: StackConfig, checks: Vec<Box<dyn ReadinessCheck>>) -> Result<Self, AppError> {
        let t = std::time::Instant::now();
        let db = Database::open(cfg.database_url.as_deref(), &cfg.data_dir, 32).await?;
        if cfg.seed_patients > 0 {
            let r = functions::seed::seed(&db.pool, cfg.seed_patients, 20261123).await?;
            if r.inserted {
                tracing::info!(patients = r.patients, "database seeded");
            }
        }
        let assets = models::assets::Assets::discover();
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
        let a = assets.clone();
        let embedder = Arc::new(
            tokio::task::spawn_blocking(move || models::embed::Embedder::load(&a, 1))
                .await
                .map_err(|e| AppError::Other(e.to_string()))??,
        );
        if let Some(dir) = cfg.policies_dir.as_ref().filter(|d| d.is_dir()) {
            let r = functions::ingest::ingest_dir(&db.pool, &embedder, dir).await?;
            if r.documents > 0 {
                tracing::info!(documents = r.documents, chunks = r.chunks, "policy documents ingested");
            }
        }
        let (benefits_url, payer) = match cfg.benefits_url.clone() {
            Some(u) => (u, None),
            None => {
                let l = TcpListener::bind("127.0.0.1:0").await?;
                let url = format!("http://{}", l.local_addr()?);
                let router = payer_sim::router(db.pool.clone(), cfg.sim);
                let task = tokio::spawn(async move {
                    let _ = axum::serve(l, router).await;
                });
                (url, Some(task))
            }
        };
        let functions = Functions::new(
            db.pool.clone(),
            Some(embedder.clone()),
            FunctionsConfig {
                benefits_url,
                inject_delay: cfg.inject_delay.clone(),
                ..Default::default()
            },
        )
        .await?;
        let e = embedder.clone();
        let intents = match tokio::task::spawn_blocking(move || telephony::intents::IntentClassifier::new(e)).await {
            Ok(Ok(c)) => Some(Arc::new(c)),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "intent second opinion unavailable: the grammar alone");
                None
            }
            Err(e) => return Err(AppError::Other(e.to_string())),
        };
        let agent = AgentServices::new(functions, &cfg.spool_dir, intents)
            .await
            .map_err(|e| AppError::Other(e.to_string()))?;
        if let Some((url, secret)) = &cfg.webhook {
            postcall::webhook::configure_receiver(&db.pool, url, secret)
                .await
                .map_err(|e| AppError::Other(format!("webhook receiver: {e}")))?;
        }
        let job_workers = (cfg.workers > 0).then(|| {
            postcall::start(
                db.pool.clone(),
                postcall::WorkerConfig {
                    concurrency: cfg.workers,
                    ..Default::default()
                },
            )
        });
        let stt = cfg.server.stt_model;
        let speech = tokio::task::spawn_blocking(move || telephony::speech::SpeechEngines::load(&assets, workers, stt))
            .await
            .map_err(|e| AppError::Other(e.to_string()))??;
        let listener = TcpListener::bind(cfg.server.listen).await?;
        let addr = listener.local_addr()?;
        let mut server_cfg = cfg.server.clone();
        server_cfg.listen = addr;
        let state = AppState::build(server_cfg, checks, Some(speech), Some(agent));
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(telephony::serve(listener, state.clone(), async move {
            let _ = rx.await;
        }));
        tracing::info!(%addr, ms = t.elapsed().as_millis() as u64, embedded_db = db.is_embedded(), "stack ready");
        Ok(Self {
            addr,
            state,
            db,
            workers: job_workers,
            stop: Some(tx),
            server: Some(server),
            payer,
        })
    }

    /// The media WebSocket URL.
    pub fn media_url(&self) -> String {
        format!("ws://{}/twilio/media", self.addr)
    }

    /// Drains the server and stops everything (the private cluster last).
    pub async fn shutdown(mut self) -> Result<(), AppError> {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(s) = self.server.take() {
            s.await.map_err(|e| AppError::Other(e.to_string()))??;
        }
        if let Some(p) = self.payer.take() {
            p.abort();
        }
        if let Some(w) = self.workers.take() {
            w.stop().await;
        }
        // Let the call-record writer flush.
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        self.db.close();
        Ok(())
    }

    /// Runs until `signal` resolves, then shuts down.
    pub async fn run_until(mut self, signal: impl std::future::Future<Output = ()>) -> Result<(), AppError> {
        let server = self.server.take();
        if let Some(mut s) = server {
            tokio::select! {
                r = &mut s => { r.map_err(|e| AppError::Other(e.to_string()))??; }
                _ = signal => {
                    if let Some(tx) = self.stop.take() { let _ = tx.send(()); }
                    s.await.map_err(|e| AppError::Other(e.to_string()))??;
                }
            }
        }
        self.shutdown().await
    }
}
