//! The function registry: runs each [`Request`] under its declared budget
//! (timeout + cancellation), measures it, and logs it to `function_calls`
//! without PHI (arguments are kept only as a keyed hash).

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use deadpool_postgres::Pool;
use dialog::tools::{Benefits, Outcome, Request, Severity};
use hmac::{Hmac, Mac};
use metrics::{counter, histogram};
use models::embed::Embedder;
use sha2::Sha256;

use crate::audit::{self, AuditEntry};
use crate::error::DbError;
use crate::events;
use crate::metrics as m;
use crate::pa::{self, ExactIndex, VectorIndex};
use crate::patient;
use crate::payer_sim::{EligibilityRequest, EligibilityResponse};

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
}

impl Default for FunctionsConfig {
    fn default() -> Self {
        Self {
            benefits_url: "http://127.0.0.1:8090".into(),
            args_key: (0..32).map(|_| fastrand::u8(..)).collect(),
            inject_delay: None,
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
    /// [`Outcome::BenefitsPending`], whose check finishes in the background).
    pub async fn call(self: &Arc<Self>, call_sid: Option<&str>, req: Request) -> Outcome {
        let name = req.name();
        let budget = req.budget();
        let started = Instant::now();
        let wall = chrono::Utc::now();
        let args = self.args_hmac(&req);
        let background = matches!(req, Request::VerifyBenefits { .. });
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
            Err(_) if background => {
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
                (Outcome::BenefitsPending, Status::Pending)
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

    async fn execute(&self, req: Request, call_sid: Option<&str>) -> Result<Outcome, DbError> {
        if let Some((f, d)) = &self.cfg.inject_delay
            && f == req.name()
        {
            tokio::time::sleep(*d).await;
        }
        match req {
            Request::PatientLookup { name, dob, phone } => {
                let client = self.pool.get().await?;
                let found = patient::lookup(&client, &name, dob, phone.as_deref()).await?;
                if let Some(p) = &found {
                    // A PHI read: audited, and the call is linked to the patient.
                    audit::append(
                        &**client,
                        &agent_read("patient.lookup", format!("patient:{}", p.id), call_sid),
                    )
                    .await?;
                    if let Some(sid) = call_sid {
                        client
                            .execute(
                                "UPDATE voice_calls SET patient_id = $2 WHERE call_sid = $1",
                                &[&sid, &p.id],
                            )
                            .await?;
                    }
                }
                Ok(Outcome::Patient(found))
            }
            Request::VerifyBenefits { patient_id, medication } => {
                let out = self.verify_benefits(patient_id, &medication).await?;
                if let Outcome::Benefits(b) = &out {
                    let mut client = self.pool.get().await?;
                    let tx = client.transaction().await?;
                    audit::append(
                        &*tx,
                        &agent_read("benefits.read", format!("patient:{patient_id}/benefits"), call_sid),
                    )
                    .await?;
                    let subject = format!("{}:{patient_id}:{}", call_sid.unwrap_or("-"), b.medication);
                    let data = serde_json::json!({
                        "call_sid": call_sid,
                        "patient_id": patient_id,
                        "medication": b.medication,
                        "covered": b.covered,
                        "tier": b.tier,
                        "copay_cents": b.copay_cents,
                        "deductible_met": b.deductible_met,
                        "pa_required": b.pa_required,
                    });
                    events::emit(&*tx, events::BENEFITS_VERIFIED, &subject, &data).await?;
                    tx.commit().await?;
                }
                Ok(out)
            }
            Request::CheckPaRequirements {
                payer,
                medication,
                question,
            } => self.check_pa(&payer, &medication, &question).await,
            Request::FlagAdverseEvent {
                patient_id,
                medication,
                symptoms,
                severity,
            } => {
                let mut client = self.pool.get().await?;
                let tx = client.transaction().await?;
                let row = tx
                    .query_one(
                        "INSERT INTO adverse_events
                             (case_number, call_sid, patient_id, medication, symptoms, severity, escalated)
                         VALUES ('AE-' || to_char(now(), 'YYYY') || '-'
                                     || lpad(nextval('adverse_event_case_seq')::text, 6, '0'),
                                 $1, $2, $3, $4, $5, $6)
                         RETURNING case_number",
                        &[
                            &call_sid,
                            &patient_id,
                            &medication,
                            &symptoms,
                            &severity.label(),
                            &(severity == Severity::Severe),
                        ],
                    )
                    .await?;
                let case_number: String = row.get(0);
                let data = serde_json::json!({
                    "case_number": case_number,
                    "call_sid": call_sid,
                    "patient_id": patient_id,
                    "medication": medication,
                    "symptoms": symptoms,
                    "severity": severity.label(),
                    "escalated": severity == Severity::Severe,
                    "source": "dialog",
                });
                events::emit(&*tx, events::ADVERSE_EVENT_FLAGGED, &case_number, &data).await?;
                tx.commit().await?;
                Ok(Outcome::AdverseEventRecorded { case_number })
            }
        }
    }

    async fn verify_benefits(&self, patient_id: i64, medication: &str) -> Result<Outcome, DbError> {
        let row = {
            let client = self.pool.get().await?;
            client
                .query_opt(
                    "SELECT p.member_id, m.ndc, m.name FROM patients p, medications m
                     WHERE p.id = $1 AND lower(m.name) = lower($2)",
                    &[&patient_id, &medication],
                )
                .await?
        };
        let Some(row) = row else {
            return Ok(Outcome::Failed {
                reason: "unknown patient or medication".into(),
            });
        };
        let body = EligibilityRequest {
            member_id: row.get(0),
            ndc: row.get(1),
        };
        let med: String = row.get(2);
        let url = format!("{}/v1/eligibility", self.cfg.benefits_url.trim_end_matches('/'));
        // One retry on a failure of the payer's system; the budget bounds both.
        let mut last = String::new();
        for attempt in 0..2 {
            match self.http.post(&url).json(&body).send().await {
                Ok(r) if r.status().is_success() => {
                    let e: EligibilityResponse = r.json().await.map_err(|e| DbError::Config(e.to_string()))?;
                    return Ok(Outcome::Benefits(Benefits {
                        medication: med,
                        covered: e.covered,
                        tier: e.tier,
                        copay_cents: e.copay_cents,
                        deductible_met: e.deductible_met,
                        pa_required: e.pa_required,
                    }));
                }
                Ok(r) if r.status() == reqwest::StatusCode::NOT_FOUND => {
                    return Ok(Outcome::Failed {
                        reason: "no coverage record".into(),
                    });
                }
                Ok(r) => last = format!("payer answered {}", r.status()),
                Err(e) => last = format!("payer unreachable: {e}"),
            }
            tracing::debug!(attempt, "eligibility request failed; retrying");
        }
        Ok(Outcome::Failed { reason: last })
    }

    async fn check_pa(&self, payer: &str, medication: &str, question: &str) -> Result<Outcome, DbError> {
        let client = self.pool.get().await?;
        let payer_id: Option<i32> = client
            .query_opt("SELECT id FROM payers WHERE lower(name) = lower($1)", &[&payer])
            .await?
            .map(|r| r.get(0));
        let kw = pa::keyword_query(medication, question);
        let keyword_hits = async {
            if kw.is_empty() {
                return Ok(Vec::new());
            }
            let stmt = client
                .prepare_cached(
                    "SELECT c.id, ts_rank_cd(c.tsv, q)::real
                     FROM ingestion_chunks c, websearch_to_tsquery('english', $1) q
                     WHERE c.tsv @@ q AND (c.payer_id = $2 OR c.payer_id IS NULL)
                     ORDER BY 2 DESC LIMIT 10",
                )
                .await?;
            Ok::<_, DbError>(
                client
                    .query(&stmt, &[&kw, &payer_id])
                    .await?
                    .iter()
                    .map(|r| (r.get::<_, i64>(0), r.get::<_, f32>(1)))
                    .collect::<Vec<_>>(),
            )
        };
        let vector_hits = async {
            let Some(embedder) = self.embedder.clone() else {
                return Ok(Vec::new());
            };
            let key = (payer.to_lowercase(), medication.to_lowercase());
            let cached = self
                .query_cache
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(&key)
                .cloned();
            let query = match cached {
                Some(q) => q,
                None => {
                    let text = query_text(payer, medication);
                    let emb = tokio::task::spawn_blocking(move || embedder.embed(&[text.as_str()]))
                        .await
                        .map_err(|e| DbError::Config(e.to_string()))??;
                    let Some(q) = emb.into_iter().next() else {
                        return Ok(Vec::new());
                    };
                    let q = Arc::new(q);
                    let mut cache = self.query_cache.lock().unwrap_or_else(|e| e.into_inner());
                    if cache.len() >= QUERY_CACHE {
                        cache.clear();
                    }
                    cache.insert(key, q.clone());
                    q
                }
            };
            let index = self.index.read().unwrap_or_else(|e| e.into_inner()).clone();
            Ok::<_, DbError>(index.search(&query, payer_id, 10))
        };
        let (kw_hits, vec_hits) = tokio::join!(keyword_hits, vector_hits);
        let (kw_hits, vec_hits) = (kw_hits?, vec_hits?);
        let index = self.index.read().unwrap_or_else(|e| e.into_inner()).clone();
        Ok(Outcome::PaPassages(pa::fuse(
            index.as_ref(),
            &vec_hits,
            &kw_hits,
            medication,
            3,
        )))
    }
}

/// The vector half's query for a payer and medication.
/// An audit entry for a read the voice agent made on a call.
fn agent_read(action: &str, resource: String, call_sid: Option<&str>) -> AuditEntry {
    AuditEntry {
        actor: "voice-agent".into(),
        action: action.into(),
        resource,
        call_sid: call_sid.map(str::to_owned),
        remote_addr: None,
    }
}

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
