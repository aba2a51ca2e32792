//! Each function's latency at 100 concurrent calls against the seeded
//! database (1,000+ patients, the policy corpus), the payer simulator on
//! loopback with its default delays (250-500 ms, 2% slow, 2% failing).
//!
//! `cargo bench -p functions --bench functions_load` (CALLS=100 ROUNDS=5).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use dialog::tools::{Outcome, Request, Severity};
use functions::db::ScratchDatabase;
use functions::payer_sim::{self, SimConfig};
use functions::{Functions, FunctionsConfig, ingest, seed};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let (calls, rounds) = (env("CALLS", 100), env("ROUNDS", 5));
    let scratch = ScratchDatabase::create(32).await.expect("scratch database");
    let pool = scratch.db.pool.clone();
    seed::seed(&pool, 1000, 1).await.unwrap();
    let assets = models::assets::Assets::discover();
    let embedder = Arc::new(models::embed::Embedder::load(&assets, 1).expect("models installed"));
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/payer_policies");
    ingest::ingest_dir(&pool, &embedder, &dir).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let sim = payer_sim::router(pool.clone(), SimConfig::default());
    tokio::spawn(async move { axum::serve(listener, sim).await });
    let f = Functions::new(
        pool.clone(),
        Some(embedder),
        FunctionsConfig {
            benefits_url: url,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    // The callers: random seeded patients with one of their medications.
    let client = pool.get().await.unwrap();
    let people: Vec<(String, chrono::NaiveDate, i64, String, String)> = client
        .query(
            "SELECT DISTINCT ON (p.id) p.first_name || ' ' || p.last_name, p.dob, p.id, py.name, pm.name
             FROM patients p JOIN payers py ON py.id = p.payer_id
             JOIN patient_medications pm ON pm.patient_id = p.id
             ORDER BY p.id LIMIT $1",
            &[&(calls as i64)],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
        .collect();
    drop(client);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (name, dob, id, payer, med) in people {
        let f = f.clone();
        tasks.push(tokio::spawn(async move {
            let mut out: Vec<(&'static str, Duration, bool)> = Vec::new();
            for _ in 0..rounds {
                let reqs = [
                    Request::PatientLookup {
                        name: name.clone(),
                        dob,
                        phone: None,
                        member_id: None,
                    },
                    Request::CheckPaRequirements {
                        payer: payer.clone(),
                        medication: med.clone(),
                        question: format!("does {med} need prior authorization"),
                    },
                    Request::VerifyBenefits {
                        patient_id: id,
                        medication: med.clone(),
                    },
                    Request::FlagAdverseEvent {
                        patient_id: Some(id),
                        medication: Some(med.clone()),
                        symptoms: "nausea".into(),
                        severity: Severity::Mild,
                    },
                ];
                for r in reqs {
                    let (n, budget) = (r.name(), r.budget());
                    let t = Instant::now();
                    let o = f.call(None, r).await;
                    let ok = !matches!(o, Outcome::Failed { .. } | Outcome::Patient(None));
                    let d = t.elapsed();
                    out.push((n, d, ok && d <= budget));
                }
            }
            out
        }));
    }
    let mut by: BTreeMap<&str, Vec<Duration>> = BTreeMap::new();
    let mut good: BTreeMap<&str, usize> = BTreeMap::new();
    for t in tasks {
        for (n, d, ok) in t.await.unwrap() {
            by.entry(n).or_default().push(d);
            *good.entry(n).or_default() += ok as usize;
        }
    }
    println!(
        "{calls} concurrent calls x {rounds} rounds in {:.1} s",
        started.elapsed().as_secs_f32()
    );
    println!("| function | budget | calls | p50 | p99 | max | answered within budget |");
    println!("|---|---|---|---|---|---|---|");
    for (n, mut v) in by {
        v.sort();
        let budget = match n {
            "verify_benefits" => 3000,
            "check_pa_requirements" => 500,
            _ => 200,
        };
        println!(
            "| {n} | {budget} ms | {} | {:.1} ms | {:.1} ms | {:.1} ms | {:.1}% |",
            v.len(),
            pct(&v, 0.5).as_secs_f64() * 1e3,
            pct(&v, 0.99).as_secs_f64() * 1e3,
            v.last().unwrap().as_secs_f64() * 1e3,
            100.0 * good[n] as f64 / v.len() as f64
        );
    }
}
