//! The functions against real PostgreSQL (a scratch database), the real
//! embedding model and the payer simulator over loopback HTTP.

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use dialog::tools::{Outcome, Request, Severity};
use functions::db::ScratchDatabase;
use functions::payer_sim::{self, SimConfig};
use functions::{Functions, FunctionsConfig, ingest, seed};

struct Fixture {
    scratch: ScratchDatabase,
    embedder: Arc<models::embed::Embedder>,
}

/// The tests here time functions against their budgets, so they run one at
/// a time: another test's seeding and embedding on the same two cores would
/// otherwise eat a budget being checked (a first lookup seen at over 200 ms
/// in CI while the next test embedded its policies).
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn fixture() -> Fixture {
    let scratch = ScratchDatabase::create(16).await.expect("scratch database");
    let r = seed::seed(&scratch.db.pool, 1000, 7).await.unwrap();
    assert!(r.inserted);
    assert_eq!(r.patients, 1000 + seed::DEMO_PATIENTS.len() as i64);
    let assets = models::assets::Assets::discover();
    let embedder = Arc::new(models::embed::Embedder::load(&assets, 1).expect("MiniLM installed (./scripts/models.sh)"));
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/payer_policies");
    let rep = ingest::ingest_dir(&scratch.db.pool, &embedder, &dir).await.unwrap();
    assert!(rep.documents >= 8 && rep.chunks >= 30, "{rep:?}");
    Fixture { scratch, embedder }
}

async fn payer(pool: deadpool_postgres::Pool, cfg: SimConfig) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, payer_sim::router(pool, cfg)).await });
    format!("http://{addr}")
}

fn fast_payer() -> SimConfig {
    SimConfig {
        latency: Duration::from_millis(20),
        jitter: Duration::from_millis(10),
        failure_rate: 0.0,
        slow_rate: 0.0,
        slow: Duration::ZERO,
    }
}

fn dob(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn lookup(name: &str, d: NaiveDate) -> Request {
    Request::PatientLookup {
        name: name.into(),
        dob: d,
        phone: None,
        member_id: None,
    }
}

/// The case number of the report for `symptoms` on `call_sid`, once its
/// write has committed (within 10 s).
async fn wait_for_case(pool: &deadpool_postgres::Pool, call_sid: &str, symptoms: &str) -> String {
    let client = pool.get().await.unwrap();
    for _ in 0..100 {
        if let Some(row) = client
            .query_opt(
                "SELECT case_number FROM adverse_events WHERE call_sid = $1 AND symptoms = $2",
                &[&call_sid, &symptoms],
            )
            .await
            .unwrap()
        {
            return row.get(0);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the adverse event on {call_sid} was never written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_functions_and_budgets_on_real_postgres() {
    let _one_at_a_time = ONE_AT_A_TIME.lock().await;
    let fx = fixture().await;
    let pool = fx.scratch.db.pool.clone();

    // Migrations and seeding are idempotent.
    assert_eq!(fx.scratch.db.migrate().await.unwrap(), 0);
    assert!(!seed::seed(&pool, 1000, 7).await.unwrap().inserted);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/payer_policies");
    let again = ingest::ingest_dir(&pool, &fx.embedder, &dir).await.unwrap();
    assert_eq!(
        (again.documents, again.chunks),
        (0, 0),
        "unchanged documents are skipped"
    );

    let url = payer(pool.clone(), fast_payer()).await;
    let f = Functions::new(
        pool.clone(),
        Some(fx.embedder.clone()),
        FunctionsConfig {
            benefits_url: url,
            ..Default::default()
        },
    )
    .await
    .unwrap();

    // patient_lookup: exact, as misheard, wrong date of birth.
    let maria = match f.call(Some("CA1"), lookup("Maria Garcia", dob(1985, 3, 3))).await {
        Outcome::Patient(Some(p)) => p,
        other => panic!("exact name not found: {other:?}"),
    };
    assert_eq!(maria.first_name, "Maria");
    assert_eq!(maria.payer, "Blue Cross Blue Shield");
    assert!(maria.medications.iter().any(|m| m.name == "Ozempic" && m.pa_required));
    match f.call(Some("CA1"), lookup("marya garsia", dob(1985, 3, 3))).await {
        Outcome::Patient(Some(p)) => assert_eq!(p.id, maria.id),
        other => panic!("misheard name not matched: {other:?}"),
    }
    assert_eq!(
        f.call(Some("CA1"), lookup("Maria Garcia", dob(1985, 3, 4))).await,
        Outcome::Patient(None)
    );
    assert_eq!(
        f.call(Some("CA1"), lookup("Robert Brown", dob(1985, 3, 3))).await,
        Outcome::Patient(None)
    );
    let client = pool.get().await.unwrap();
    assert_eq!(
        functions::patient::by_phone(&client, "+15550100001").await.unwrap(),
        Some(maria.id)
    );
    // Each part of the name as a recogniser writes it ("Mareea Garsea"):
    // both sound alike, so the pair with the exact date matches; one part
    // alone only from the number on the record.
    match f.call(Some("CA1"), lookup("mareea garsea", dob(1985, 3, 3))).await {
        Outcome::Patient(Some(p)) => assert_eq!(p.id, maria.id),
        other => panic!("both parts alike not matched: {other:?}"),
    }
    assert_eq!(
        f.call(Some("CA1"), lookup("mareea oconnor", dob(1985, 3, 3))).await,
        Outcome::Patient(None),
        "the given name alone, from another number"
    );
    let own_line = Request::PatientLookup {
        name: "mareea oconnor".into(),
        dob: dob(1985, 3, 3),
        phone: Some("+15550100001".into()),
        member_id: None,
    };
    match f.call(Some("CA1"), own_line).await {
        Outcome::Patient(Some(p)) => assert_eq!(p.id, maria.id),
        other => panic!("given name alike on the record's own line not matched: {other:?}"),
    }
    // names_on_file: the names at the number, read under an audit row.
    let names_reads = || async {
        client
            .query_one(
                "SELECT count(*) FROM audit_log WHERE action = 'patient.names_for_recognition'",
                &[],
            )
            .await
            .unwrap()
            .get::<_, i64>(0)
    };
    let before = names_reads().await;
    assert_eq!(
        f.call(
            Some("CA1"),
            Request::NamesOnFile {
                phone: "+15550100001".into()
            }
        )
        .await,
        Outcome::NamesOnFile(vec!["Maria Garcia".into()])
    );
    assert_eq!(
        f.call(
            Some("CA1"),
            Request::NamesOnFile {
                phone: "+15559990000".into()
            }
        )
        .await,
        Outcome::NamesOnFile(Vec::new())
    );
    let after = names_reads().await;
    assert_eq!(after - before, 1, "one audit row for the one read that found names");
    // A random seeded patient is found by name and date of birth.
    let row = client
        .query_one(
            "SELECT first_name || ' ' || last_name, dob, id FROM patients WHERE member_id LIKE 'M%' ORDER BY id LIMIT 1",
            &[],
        )
        .await
        .unwrap();
    let (name, d, id): (String, NaiveDate, i64) = (row.get(0), row.get(1), row.get(2));
    match f.call(None, lookup(&name, d)).await {
        Outcome::Patient(Some(p)) => assert_eq!(p.id, id),
        other => panic!("seeded patient not found: {other:?}"),
    }
    // With a member ID, only the record holding it matches.
    let member: String = client
        .query_one("SELECT member_id FROM patients WHERE id = $1", &[&id])
        .await
        .unwrap()
        .get(0);
    let with_member = |m: &str| Request::PatientLookup {
        name: name.clone(),
        dob: d,
        phone: None,
        member_id: Some(m.to_owned()),
    };
    match f.call(None, with_member(&member)).await {
        Outcome::Patient(Some(p)) => assert_eq!(p.id, id),
        other => panic!("seeded patient not found with their member ID: {other:?}"),
    }
    assert_eq!(
        f.call(None, with_member("M000000001")).await,
        Outcome::Patient(None),
        "the right name and date with another member ID"
    );

    // verify_benefits over HTTP.
    match f
        .call(
            Some("CA1"),
            Request::VerifyBenefits {
                patient_id: maria.id,
                medication: "ozempic".into(),
            },
        )
        .await
    {
        Outcome::Benefits(b) => {
            assert_eq!(b.medication, "Ozempic");
            assert!(b.tier >= 3 && b.pa_required);
        }
        other => panic!("benefits: {other:?}"),
    }

    // check_pa_requirements cites the payer's own policy.
    let pa = |payer: &str, med: &str, q: &str| Request::CheckPaRequirements {
        payer: payer.into(),
        medication: med.into(),
        question: q.into(),
    };
    match f
        .call(
            Some("CA1"),
            pa(
                "Blue Cross Blue Shield",
                "Ozempic",
                "does Ozempic need prior authorization",
            ),
        )
        .await
    {
        Outcome::PaPassages(p) => {
            assert!(!p.is_empty());
            assert!(p[0].title.starts_with("Blue Cross Blue Shield"), "{:?}", p[0]);
            assert!(
                p.iter().all(|x| !x.title.starts_with("Aetna")),
                "other payers filtered out"
            );
        }
        other => panic!("pa: {other:?}"),
    }
    match f
        .call(None, pa("Aetna", "Humira", "is prior authorization needed for humira"))
        .await
    {
        Outcome::PaPassages(p) => assert_eq!(p[0].title, "Aetna Specialty Biologics Prior Authorization Policy"),
        other => panic!("pa: {other:?}"),
    }

    // flag_adverse_event returns a case number; severe ones are escalated.
    // On a loaded machine the write may run past its 200 ms budget: then it
    // finishes in the background and the report still lands.
    let case = match f
        .call(
            Some("CA1"),
            Request::FlagAdverseEvent {
                patient_id: Some(maria.id),
                medication: Some("Ozempic".into()),
                symptoms: "swelling of the throat".into(),
                severity: Severity::Severe,
            },
        )
        .await
    {
        Outcome::AdverseEventRecorded { case_number } => case_number,
        Outcome::AdverseEventPending => wait_for_case(&pool, "CA1", "swelling of the throat").await,
        other => panic!("adverse event: {other:?}"),
    };
    assert!(
        case.starts_with("AE-") && case.len() == "AE-2026-001000".len(),
        "{case}"
    );
    let esc: bool = client
        .query_one("SELECT escalated FROM adverse_events WHERE case_number = $1", &[&case])
        .await
        .unwrap()
        .get(0);
    assert!(esc);

    // PHI reads are audited; benefits and adverse events become webhook events.
    let audited: Vec<(String, String)> = client
        .query(
            "SELECT action, resource FROM audit_log WHERE call_sid = 'CA1' AND actor = 'voice-agent' ORDER BY id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert!(
        audited.contains(&("patient.lookup".into(), format!("patient:{}", maria.id))),
        "{audited:?}"
    );
    assert!(audited.iter().any(|(a, _)| a == "benefits.read"), "{audited:?}");
    let events: Vec<(String, serde_json::Value)> = client
        .query("SELECT type, data FROM webhook_events ORDER BY created_at", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let benefits = events
        .iter()
        .find(|(t, _)| t == "benefits.verified")
        .expect("benefits.verified");
    assert_eq!(benefits.1["medication"], "Ozempic");
    assert_eq!(benefits.1["call_sid"], "CA1");
    let ae = events
        .iter()
        .find(|(t, _)| t == "adverse_event.flagged")
        .expect("adverse_event.flagged");
    assert_eq!(ae.1["case_number"], case.as_str());
    assert_eq!(ae.1["escalated"], true);
    let linked: Option<String> = client
        .query_one("SELECT call_sid FROM adverse_events WHERE case_number = $1", &[&case])
        .await
        .unwrap()
        .get(0);
    assert_eq!(linked.as_deref(), Some("CA1"));

    // Every call is logged, without PHI in clear.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let rows = client
        .query("SELECT name, budget_met, outcome, args_hmac FROM function_calls", &[])
        .await
        .unwrap();
    assert!(rows.len() >= 9, "{} rows", rows.len());
    for r in &rows {
        let h: &str = r.get(3);
        assert_eq!(h.len(), 64);
        assert!(!h.to_lowercase().contains("maria"));
    }
    assert!(
        rows.iter()
            .any(|r| r.get::<_, &str>(0) == "patient_lookup" && r.get::<_, &str>(2) == "not_found")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overruns_are_cut_or_finished_in_the_background() {
    let _one_at_a_time = ONE_AT_A_TIME.lock().await;
    let fx = fixture().await;
    let pool = fx.scratch.db.pool.clone();
    // A payer that always takes 3.5 s: past the 3 s budget.
    let slow = SimConfig {
        slow_rate: 1.0,
        slow: Duration::from_millis(3500),
        ..fast_payer()
    };
    let url = payer(pool.clone(), slow).await;
    let f = Functions::new(
        pool.clone(),
        None,
        FunctionsConfig {
            benefits_url: url,
            inject_delay: Some(("patient_lookup".into(), Duration::from_millis(400))),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let t = std::time::Instant::now();
    let out = f.call(Some("CA2"), lookup("Maria Garcia", dob(1985, 3, 3))).await;
    let took = t.elapsed();
    assert!(matches!(out, Outcome::Failed { .. }), "{out:?}");
    assert!(
        took < Duration::from_millis(380),
        "cut at the 200 ms budget, took {took:?}"
    );

    let t = std::time::Instant::now();
    let out = f
        .call(
            Some("CA2"),
            Request::VerifyBenefits {
                patient_id: 1,
                medication: "Ozempic".into(),
            },
        )
        .await;
    assert_eq!(out, Outcome::BenefitsPending);
    assert!(t.elapsed() < Duration::from_millis(3300));
    // The background check completes and is logged as late: the log is
    // written off the caller's path, so it is waited for (up to 15 s on a
    // busy machine), not assumed after a fixed pause.
    let client = pool.get().await.unwrap();
    let want = [
        ("patient_lookup", "over_budget"),
        ("verify_benefits", "pending"),
        ("verify_benefits", "completed_late"),
    ];
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let got = loop {
        let rows = client
            .query(
                "SELECT name, outcome, budget_met FROM function_calls WHERE call_sid = 'CA2' ORDER BY id",
                &[],
            )
            .await
            .unwrap();
        let got: Vec<(String, String, bool)> = rows.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect();
        let all = want
            .iter()
            .all(|(n, o)| got.iter().any(|(gn, go, _)| gn == n && go == o));
        if all || std::time::Instant::now() > deadline {
            break got;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        got.contains(&("patient_lookup".into(), "over_budget".into(), false)),
        "{got:?}"
    );
    assert!(
        got.contains(&("verify_benefits".into(), "pending".into(), false)),
        "{got:?}"
    );
    assert!(
        got.contains(&("verify_benefits".into(), "completed_late".into(), false)),
        "{got:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_adverse_event_past_its_budget_is_still_recorded() {
    let _one_at_a_time = ONE_AT_A_TIME.lock().await;
    let scratch = ScratchDatabase::create(4).await.expect("scratch database");
    seed::seed(&scratch.db.pool, 10, 7).await.unwrap();
    let pool = scratch.db.pool.clone();
    let f = Functions::new(
        pool.clone(),
        None,
        FunctionsConfig {
            inject_delay: Some(("flag_adverse_event".into(), Duration::from_millis(600))),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let t = std::time::Instant::now();
    let out = f
        .call(
            Some("CA3"),
            Request::FlagAdverseEvent {
                patient_id: None,
                medication: Some("Ozempic".into()),
                symptoms: "a rash on both arms".into(),
                severity: Severity::Mild,
            },
        )
        .await;
    assert_eq!(out, Outcome::AdverseEventPending);
    assert!(
        t.elapsed() < Duration::from_millis(550),
        "the caller is answered at the budget, not after the write ({:?})",
        t.elapsed()
    );
    // The write is not abandoned: the report, its webhook event and a late
    // entry in the function log all land.
    let case = wait_for_case(&pool, "CA3", "a rash on both arms").await;
    assert!(case.starts_with("AE-"), "{case}");
    let client = pool.get().await.unwrap();
    let events: i64 = client
        .query_one(
            "SELECT count(*) FROM webhook_events WHERE type = 'adverse_event.flagged' AND data->>'case_number' = $1",
            &[&case],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(events, 1);
    let mut outcomes = Vec::new();
    for _ in 0..50 {
        outcomes = client
            .query(
                "SELECT outcome FROM function_calls WHERE call_sid = 'CA3' ORDER BY id",
                &[],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| r.get::<_, String>(0))
            .collect();
        if outcomes.len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(outcomes.contains(&"pending".to_string()), "{outcomes:?}");
    assert!(outcomes.contains(&"completed_late".to_string()), "{outcomes:?}");
}
