//! The function registry: runs each [`Request`] under its declared budget
//! (timeout + cancellation), measures it, and logs it to `function_calls`
//! without PHI (arguments are kept only as a keyed hash).

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use deadpool_postgres::Pool;
use dialog::tools::{Outcome, Request};
use hmac::{Hmac, Mac};
use metrics::{counter, histogram};
use models::embed::Embedder;
use sha2::Sha256;

mod execute;

use crate::error::DbError;
use crate::metrics as m;
use crate::pa::{ExactIndex, VectorIndex};

/// Settings of the functions.
#[derive(Debug, Clone)]
pub struct FunctionsConfig {
    /// Base URL of the payer eligibility API (`payer-sim` in tests and demo).
    pub benefits_url: String,
    /// Key of the argument hashes in `function_calls`.
    pub args_key: Vec<u8>,
    /// Extra delay added to every call of one function (fault injection for
    /// load tests: shows up as budget overruns).
    pub inject_delay: Option<(String, Duration)>,
    /// Brute-force limits on identity verification.
    pub lockout: crate::verification::Lockout,
}

impl Default for FunctionsConfig {
    fn default() -> Self {
        Self {
            benefits_url: "http://127.0.0.1:8090".into(),
            args_key: (0..32).map(|_| fastrand::u8(..)).collect(),
            inject_delay: None,
            lockout: Default::default(),
        }
    }
}

/// How a call ended (the `outcome` label and column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Ok,
    NotFound,
    OverBudget,
    Pending,
    Error,
}

impl Status {
    fn label(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::NotFound => "not_found",
            Self::OverBudget => "over_budget",
            Self::Pending => "pending",
            Self::Error => "error",
        }
    }
}

/// The functions, ready to run.
pub struct Functions {
    pool: Pool,
    http: reqwest::Client,
    embedder: Option<Arc<Embedder>>,
    index: RwLock<Arc<dyn VectorIndex>>,
    /// Query embeddings per (payer, medication): the vector half asks the
    /// same question for every caller on the same drug and plan, so the
    /// model (one session, serialised) runs once per pair, not per call.
    query_cache: std::sync::Mutex<QueryCache>,
    cfg: FunctionsConfig,
}

/// Query embedding per (payer, medication), lowercased.
type QueryCache = std::collections::HashMap<(String, String), Arc<Vec<f32>>>;

/// Most cached query embeddings (50 drugs x 6 payers need 300).
const QUERY_CACHE: usize = 4096;

impl Functions {
    /// Functions over `pool`; `embedder` enables the vector half of the PA
    /// search (keyword search alone without it). Loads the passage index.
    pub async fn new(pool: Pool, embedder: Option<Arc<Embedder>>, cfg: FunctionsConfig) -> Result<Arc<Self>, DbError> {
        crate::metrics::describe();
        let index: Arc<dyn VectorIndex> = Arc::new(ExactIndex::load(&pool).await?);
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(64)
            .build()
            .map_err(|e| DbError::Config(e.to_string()))?;
        let this = Arc::new(Self {
            pool,
            http,
            embedder,
            index: RwLock::new(index),
            query_cache: Default::default(),
            cfg,
        });
        this.warm_query_cache().await?;
        // Open connections before the first call needs one (a burst of
        // calls would otherwise each pay for a connection set-up).
        let warm: Vec<_> = (0..this.pool.status().max_size.min(16))
            .map(|_| this.pool.get())
            .collect();
        for c in futures_util::future::join_all(warm).await {
            drop(c?);
        }
        Ok(this)
    }

    /// Embeds the PA query of every (payer, medication) pair once, in
    /// batches, so the search never waits on the model during a call.
    async fn warm_query_cache(&self) -> Result<(), DbError> {
        let Some(embedder) = self.embedder.clone() else {
            return Ok(());
        };
        let catalog = self.catalog().await?;
        let pairs: Vec<(String, String)> = catalog
            .payers
            .iter()
            .flat_map(|p| catalog.medications.iter().map(move |m| (p.clone(), m.clone())))
            .take(QUERY_CACHE)
            .collect();
        let texts: Vec<String> = pairs.iter().map(|(p, m)| query_text(p, m)).collect();
        let embeddings = tokio::task::spawn_blocking(move || {
            let mut out = Vec::with_capacity(texts.len());
            for chunk in texts.chunks(32) {
                let refs: Vec<&str> = chunk.iter().map(String::as_str).collect();
                out.extend(embedder.embed(&refs)?);
            }
            Ok::<_, models::ModelError>(out)
        })
        .await
        .map_err(|e| DbError::Config(e.to_string()))??;
        let mut cache = self.query_cache.lock().unwrap_or_else(|e| e.into_inner());
        for ((p, m), e) in pairs.into_iter().zip(embeddings) {
            cache.insert((p.to_lowercase(), m.to_lowercase()), Arc::new(e));
        }
        Ok(())
    }

    /// The pool the functions use.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// Reloads the passage index (after an ingest).
    pub async fn reload_index(&self) -> Result<usize, DbError> {
        let fresh = ExactIndex::load(&self.pool).await?;
        let n = fresh.len();
        *self.index.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(fresh);
        Ok(n)
    }

    /// Medication and payer names, for the dialog's catalog.
    pub async fn catalog(&self) -> Result<dialog::Catalog, DbError> {
        let client = self.pool.get().await?;
        let medications = client
            .query("SELECT name FROM medications ORDER BY name", &[])
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect();
        let payers = client
            .query("SELECT name FROM payers ORDER BY name", &[])
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect();
        Ok(dialog::Catalog { medications, payers })
    }

    /// Runs `req` for call `call_sid` within its budget. Never fails: errors
    /// and overruns come back as [`Outcome::Failed`] (or
    /// [`Outcome::BenefitsPending`] / [`Outcome::AdverseEventPending`], whose
    /// work finishes in the background).
    pub async fn call(self: &Arc<Self>, call_sid: Option<&str>, req: Request) -> Outcome {
        let name = req.name();
        let budget = req.budget();
        let started = Instant::now();
        let wall = chrono::Utc::now();
        let args = self.args_hmac(&req);
        // What an overrun leaves running: a payer check (its answer is sent
        // later) and an adverse-event report (a safety record is never
        // abandoned); the caller hears so at once.
        let background = match req {
            Request::VerifyBenefits { .. } => Some(Outcome::BenefitsPending),
            Request::FlagAdverseEvent { .. } => Some(Outcome::AdverseEventPending),
            _ => None,
        };
        let this = self.clone();
        let sid_for_task = call_sid.map(str::to_owned);
        let mut task = tokio::spawn(async move { this.execute(req, sid_for_task.as_deref()).await });
        let (outcome, status) = match tokio::time::timeout(budget, &mut task).await {
            Ok(Ok(Ok(o))) => {
                let s = match &o {
                    Outcome::Patient(None) => Status::NotFound,
                    _ => Status::Ok,
                };
                (o, s)
            }
            Ok(Ok(Err(e))) => {
                tracing::warn!(function = name, error = %e, "function failed");
                (
                    Outcome::Failed {
                        reason: short_reason(&e),
                    },
                    Status::Error,
                )
            }
            Ok(Err(join)) => (
                Outcome::Failed {
                    reason: format!("task: {join}"),
                },
                Status::Error,
            ),
            Err(_) if background.is_some() => {
                // The caller hears an honest answer now; the check finishes.
                let this = self.clone();
                let sid = call_sid.map(str::to_owned);
                let args = args.clone();
                tokio::spawn(async move {
                    let done = task.await;
                    let total = started.elapsed();
                    let status = match done {
                        Ok(Ok(_)) => "completed_late",
                        _ => "failed_late",
                    };
                    tracing::info!(
                        function = name,
                        ms = total.as_millis() as u64,
                        status,
                        "background check done"
                    );
                    this.log_call(sid, name, wall, total, budget, status, args).await;
                });
                (background.expect("checked above"), Status::Pending)
            }
            Err(_) => {
                task.abort();
                (
                    Outcome::Failed {
                        reason: "over budget".into(),
                    },
                    Status::OverBudget,
                )
            }
        };
        let elapsed = started.elapsed();
        let over = elapsed > budget;
        histogram!(m::FUNCTION_LATENCY, "function" => name).record(elapsed.as_secs_f64());
        counter!(m::FUNCTION_CALLS, "function" => name, "outcome" => status.label()).increment(1);
        if over {
            counter!(m::BUDGET_OVERRUNS, "function" => name).increment(1);
        }
        // Logged off the caller's path.
        let this = self.clone();
        let sid = call_sid.map(str::to_owned);
        tokio::spawn(async move {
            this.log_call(sid, name, wall, elapsed, budget, status.label(), args)
                .await;
        });
        outcome
    }

    #[allow(clippy::too_many_arguments)]
    async fn log_call(
        &self,
        call_sid: Option<String>,
        name: &str,
        at: chrono::DateTime<chrono::Utc>,
        latency: Duration,
        budget: Duration,
        outcome: &str,
        args: String,
    ) {
        let res = async {
            let client = self.pool.get().await?;
            client
                .execute(
                    "INSERT INTO function_calls
                         (call_sid, name, started_at, latency_ms, budget_ms, budget_met, outcome, args_hmac)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    &[
                        &call_sid,
                        &name,
                        &at,
                        &(latency.as_secs_f64() * 1000.0),
                        &(budget.as_millis() as i32),
                        &(latency <= budget),
                        &outcome,
                        &args,
                    ],
                )
                .await?;
            Ok::<_, DbError>(())
        }
        .await;
        if let Err(e) = res {
            tracing::warn!(function = name, error = %e, "function call not logged");
        }
    }

    fn args_hmac(&self, req: &Request) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.cfg.args_key).expect("any key length");
        mac.update(format!("{req:?}").as_bytes());
        crate::ingest::hex(&mac.finalize().into_bytes())
    }
}

/// The vector half's query for a payer and medication.
fn query_text(payer: &str, medication: &str) -> String {
    format!("{payer} prior authorization criteria for {medication}")
}

fn short_reason(e: &DbError) -> String {
    match e {
        DbError::Pool(_) => "database unavailable".into(),
        DbError::Query(_) => "database error".into(),
        other => other.to_string().chars().take(80).collect(),
    }
}
