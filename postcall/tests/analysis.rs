//! The analysis job on a real PostgreSQL: a finished call's analysis is
//! stored on the call, a side effect it finds becomes one adverse event with
//! a case number, and running the job twice changes nothing.

use functions::calls::{self, FinishedCall, Speaker, Utterance};
use functions::db::ScratchDatabase;
use functions::queue::Job;
use postcall::Handler;
use postcall::analysis::CallAnalysis;

fn said(speaker: Speaker, at: u64, text: &str) -> Utterance {
    Utterance {
        speaker,
        text: text.into(),
        started_ms: at,
        ended_ms: Some(at + 1500),
        cut_off: false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn analysis_is_stored_once_and_side_effects_become_one_case() {
    let scratch = ScratchDatabase::create(4).await.expect("scratch database");
    let pool = scratch.db.pool.clone();
    functions::seed::seed(&pool, 0, 1).await.expect("seed");
    let call = FinishedCall {
        call_sid: "CAanalysis1".into(),
        from: Some("+15550100002".into()),
        to: Some("+15550000000".into()),
        started_at: chrono::Utc::now() - chrono::Duration::seconds(75),
        ended_at: chrono::Utc::now(),
        end_reason: "completed".into(),
        outcome: Some("resolved".into()),
        utterances: vec![
            said(
                Speaker::Bot,
                0,
                "Thanks for calling. What is your full name and date of birth?",
            ),
            said(Speaker::Caller, 4000, "James Wilson, July fourth 1972"),
            said(Speaker::Caller, 12000, "I need a refill of my Humira"),
            said(
                Speaker::Caller,
                20000,
                "also since I started it I get a rash and I feel dizzy",
            ),
            said(Speaker::Caller, 30000, "thanks, that was helpful, goodbye"),
        ],
        tasks: Vec::new(),
        events: Vec::new(),
    };
    calls::finalize(&pool, &call).await.expect("finalize");

    let job = Job {
        id: 0,
        kind: "analysis".into(),
        payload: serde_json::json!({ "call_sid": "CAanalysis1" }),
        attempt: 1,
        max_attempts: 6,
    };
    let mut analyses = Vec::new();
    for _ in 0..2 {
        let mut client = pool.get().await.unwrap();
        let tx = client.transaction().await.unwrap();
        CallAnalysis.run(&job, &tx).await.expect("analysis runs");
        tx.commit().await.unwrap();
        let a: serde_json::Value = pool
            .get()
            .await
            .unwrap()
            .query_one("SELECT analysis FROM voice_calls WHERE call_sid = 'CAanalysis1'", &[])
            .await
            .unwrap()
            .get(0);
        analyses.push(a);
    }
    assert_eq!(analyses[0], analyses[1], "a second run changes nothing");
    let a = &analyses[0];
    assert_eq!(a["call_outcome"], "resolved");
    assert_eq!(a["medications"], serde_json::json!(["Humira"]));
    assert!(a["topics"].as_array().unwrap().iter().any(|t| t == "refill"), "{a}");
    assert_eq!(a["satisfaction"]["label"], "satisfied");
    let case = a["adverse_events"][0]["case_number"]
        .as_str()
        .expect("a case number")
        .to_owned();
    assert!(case.starts_with("AE-"), "{case}");

    let c = pool.get().await.unwrap();
    let rows = c
        .query(
            "SELECT case_number, medication, symptoms, severity FROM adverse_events WHERE call_sid = 'CAanalysis1'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "one adverse event however often the job runs");
    assert_eq!(rows[0].get::<_, String>(0), case);
    assert_eq!(rows[0].get::<_, Option<String>>(1).as_deref(), Some("Humira"));
    let symptoms: String = rows[0].get(2);
    assert!(
        symptoms.contains("rash") && symptoms.contains("dizziness"),
        "{symptoms}"
    );
    let events: Vec<(String, i64)> = c
        .query(
            "SELECT type, count(*) FROM webhook_events GROUP BY type ORDER BY type",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(
        events,
        vec![
            ("adverse_event.flagged".to_owned(), 1),
            ("call.completed".to_owned(), 1)
        ]
    );
    // The call's analysis job was enqueued by the outbox write, once.
    let jobs: i64 = c
        .query_one("SELECT count(*) FROM jobs WHERE kind = 'analysis'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(jobs, 1);
    calls::finalize(&pool, &call).await.expect("finalize again");
    let jobs: i64 = c
        .query_one("SELECT count(*) FROM jobs WHERE kind = 'analysis'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(jobs, 1, "finalizing twice enqueues once");
}
