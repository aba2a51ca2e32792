//! `switchboard payer-sim`: a small stand-in for a payer's eligibility API,
//! answering benefits questions from the benefits table with realistic,
//! configurable delays and failures. The benefits check talks to it over
//! real HTTP, exactly as it would to a payer.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use deadpool_postgres::Pool;
use serde::{Deserialize, Serialize};

/// How the simulated payer behaves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimConfig {
    /// Typical response time.
    pub latency: Duration,
    /// Uniform extra delay, 0..jitter.
    pub jitter: Duration,
    /// Share of requests answered 503 (0..1).
    pub failure_rate: f64,
    /// Share of requests that take `slow` instead.
    pub slow_rate: f64,
    /// Delay of a slow request.
    pub slow: Duration,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            latency: Duration::from_millis(250),
            jitter: Duration::from_millis(250),
            failure_rate: 0.02,
            slow_rate: 0.02,
            slow: Duration::from_millis(4000),
        }
    }
}

/// An eligibility question.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EligibilityRequest {
    /// Member id on the payer's card.
    pub member_id: String,
    /// National Drug Code of the medication.
    pub ndc: String,
}

/// The payer's answer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EligibilityResponse {
    /// Whether the plan covers the drug.
    pub covered: bool,
    /// Formulary tier.
    pub tier: i32,
    /// Copay in cents.
    pub copay_cents: i64,
    /// Deductible met this plan year.
    pub deductible_met: bool,
    /// Prior authorization required.
    pub pa_required: bool,
}

struct Sim {
    pool: Pool,
    cfg: SimConfig,
}

/// The simulator's routes: `POST /v1/eligibility`, `GET /healthz`.
pub fn router(pool: Pool, cfg: SimConfig) -> Router {
    Router::new()
        .route("/v1/eligibility", post(eligibility))
        .route("/healthz", get(|| async { "ok" }))
        .with_state(Arc::new(Sim { pool, cfg }))
}

async fn eligibility(State(sim): State<Arc<Sim>>, Json(req): Json<EligibilityRequest>) -> Response {
    let cfg = sim.cfg;
    let (slow, fail, jitter) = (fastrand::f64(), fastrand::f64(), fastrand::f64());
    let delay = if slow < cfg.slow_rate {
        cfg.slow
    } else {
        cfg.latency + cfg.jitter.mul_f64(jitter)
    };
    tokio::time::sleep(delay).await;
    if fail < cfg.failure_rate {
        return (StatusCode::SERVICE_UNAVAILABLE, "eligibility system unavailable\n").into_response();
    }
    let Ok(client) = sim.pool.get().await else {
        return (StatusCode::SERVICE_UNAVAILABLE, "eligibility system unavailable\n").into_response();
    };
    let row = client
        .query_opt(
            "SELECT b.covered, b.tier, b.copay_cents, b.deductible_met, b.pa_required
             FROM benefits b
             JOIN patients p ON p.id = b.patient_id
             JOIN medications m ON m.id = b.medication_id
             WHERE p.member_id = $1 AND m.ndc = $2",
            &[&req.member_id, &req.ndc],
        )
        .await;
    match row {
        Ok(Some(r)) => Json(EligibilityResponse {
            covered: r.get(0),
            tier: r.get(1),
            copay_cents: r.get(2),
            deductible_met: r.get(3),
            pa_required: r.get(4),
        })
        .into_response(),
        Ok(None) => (StatusCode::NOT_FOUND, "no coverage record for this member and drug\n").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "payer-sim query failed");
            (StatusCode::SERVICE_UNAVAILABLE, "eligibility system unavailable\n").into_response()
        }
    }
}
