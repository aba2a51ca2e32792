//! Outbound verification jobs on real PostgreSQL: created against the
//! payer's line on record, claimed within the caps per line and overall
//! and only while the line is open, retried with doubling backoff, handed
//! to staff when out of attempts, finished once (with `benefits.verified`
//! and the patient's benefits updated), and never moved back once ended.

use std::time::Duration;

use functions::benefits_verification::{self as bv, DialLimits, Ending, NewVerification, VerificationError};
use functions::db::ScratchDatabase;
use functions::seed;
use serde_json::json;

async fn patient(pool: &deadpool_postgres::Pool) -> (i64, String) {
    let c = pool.get().await.unwrap();
    let r = c
        .query_one(
            "SELECT pm.patient_id, pm.name FROM patient_medications pm ORDER BY pm.patient_id LIMIT 1",
            &[],
        )
        .await
        .unwrap();
    (r.get(0), r.get(1))
}

fn new(patient_id: i64, medication: &str, phone: Option<&str>) -> NewVerification {
    NewVerification {
        patient_id,
        medication: medication.into(),
        payer_phone: phone.map(str::to_owned),
        requested_by: "test".into(),
    }
}

#[tokio::test]
async fn jobs_are_claimed_within_caps_retried_and_finished_once() {
    let scratch = ScratchDatabase::create(4).await.expect("scratch database");
    seed::seed(&scratch.db.pool, 50, 3).await.unwrap();
    let pool = &scratch.db.pool;
    let (pid, med) = patient(pool).await;
    let c = pool.get().await.unwrap();

    // Refusals say what is wrong.
    assert!(matches!(
        bv::create(&**c, &new(-1, &med, None)).await,
        Err(VerificationError::PatientNotFound(-1))
    ));
    assert!(matches!(
        bv::create(&**c, &new(pid, "Notadrug", None)).await,
        Err(VerificationError::UnknownMedication(_))
    ));
    assert!(matches!(
        bv::create(&**c, &new(pid, &med, Some("12"))).await,
        Err(VerificationError::BadPhone(_))
    ));

    // The line on record; three jobs to one line, one to another.
    let a = bv::create(&**c, &new(pid, &med.to_uppercase(), None)).await.unwrap();
    let on_record = bv::view(&**c, a).await.unwrap().unwrap();
    assert!(
        on_record["payer_phone"].as_str().unwrap().starts_with("+1800555"),
        "{on_record}"
    );
    assert_eq!(
        on_record["medication"],
        med.as_str(),
        "stored as the formulary writes it"
    );
    let b = bv::create(&**c, &new(pid, &med, Some("+18005550111"))).await.unwrap();
    let b2 = bv::create(&**c, &new(pid, &med, Some("+18005550111"))).await.unwrap();
    let d = bv::create(&**c, &new(pid, &med, Some("+18005550222"))).await.unwrap();
    drop(c);

    // Caps: one per line, three overall; a closed line waits.
    let limits = DialLimits {
        overall: 3,
        per_line: 1,
    };
    let mut client = pool.get().await.unwrap();
    let closed = |_: &str, _: &str| false;
    let got = bv::claim_due(&mut client, limits, &closed).await.unwrap();
    let ids: Vec<i64> = got.iter().map(|c| c.id).collect();
    assert_eq!(
        ids,
        [b, d],
        "the line on record has hours and is closed; b2 waits for b's line"
    );
    let open = |_: &str, _: &str| true;
    let got = bv::claim_due(&mut client, limits, &open).await.unwrap();
    assert_eq!(got.iter().map(|c| c.id).collect::<Vec<_>>(), [a]);
    assert!(
        bv::claim_due(&mut client, limits, &open).await.unwrap().is_empty(),
        "three under way"
    );

    // b's line was busy: queued again after the backoff, not before.
    let s = bv::retry_or_give_up(&**client, b, "busy", Duration::from_secs(3600))
        .await
        .unwrap();
    assert_eq!(s.as_deref(), Some("queued"));
    let got = bv::claim_due(&mut client, limits, &open).await.unwrap();
    assert_eq!(
        got.iter().map(|c| c.id).collect::<Vec<_>>(),
        [b2],
        "b waits an hour; b2 takes its line"
    );

    // A call whose server went away mid-call (no news for hours) is tried again.
    client
        .execute(
            "UPDATE benefits_verifications SET status = 'hold', updated_at = now() - interval '3 hours' WHERE id = $1",
            &[&b2],
        )
        .await
        .unwrap();
    let got = bv::claim_due(&mut client, limits, &open).await.unwrap();
    assert_eq!(got.iter().map(|c| (c.id, c.attempt)).collect::<Vec<_>>(), [(b2, 2)]);

    // Out of attempts: staff.
    client
        .execute(
            "UPDATE benefits_verifications SET attempts = max_attempts WHERE id = $1",
            &[&d],
        )
        .await
        .unwrap();
    let s = bv::retry_or_give_up(&**client, d, "no_answer", Duration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(s.as_deref(), Some("needs_human"));
    let task: (String, String, Option<i64>) = {
        let r = client
            .query_one(
                "SELECT kind, summary, patient_id FROM staff_tasks WHERE reason = $1",
                &[&bv::NEEDS_HUMAN_TASK],
            )
            .await
            .unwrap();
        (r.get(0), r.get(1), r.get(2))
    };
    assert_eq!((task.0.as_str(), task.2), ("follow_up", Some(pid)), "{task:?}");
    assert!(
        task.1.contains("no_answer") && task.1.contains(&d.to_string()),
        "{task:?}"
    );
    assert!(!task.1.contains(&med), "no drug name in a T1 task: {task:?}");

    // a: progress, then finished with answers; the webhook event, the
    // patient's benefits, and no way back.
    let fields = json!({
        "coverage_active": {"value": true, "heard": "yes it's active", "confidence": 1.0, "confirmed": true},
        "pa_required": {"value": false, "heard": "no PA", "confidence": 1.0, "confirmed": true},
        "cost_share": {"value": {"copay": 35.0, "coinsurance_pct": null, "after_deductible": false, "said": "35 dollars"},
                       "heard": "35 dollars", "confidence": 1.0, "confirmed": true},
    });
    assert!(bv::progress(&**client, a, "with_rep", &fields).await.unwrap());
    bv::attach_call(&**client, a, "CAtest").await.unwrap();
    assert_eq!(
        bv::by_call(&**client, "CAtest").await.unwrap(),
        Some((a, "with_rep".into()))
    );
    assert!(
        bv::finish(
            &mut client,
            a,
            Ending::Partial,
            Some("some answers missing"),
            &fields,
            "CAtest"
        )
        .await
        .unwrap()
    );
    assert!(
        !bv::finish(&mut client, a, Ending::Completed, None, &fields, "CAtest")
            .await
            .unwrap(),
        "once"
    );
    assert!(
        !bv::progress(&**client, a, "ivr", &fields).await.unwrap(),
        "an ended job stays ended"
    );
    let v = bv::view(&**client, a).await.unwrap().unwrap();
    assert_eq!(
        (v["status"].as_str(), v["partial"].as_bool()),
        (Some("completed"), Some(true))
    );
    let events: i64 = client
        .query_one(
            "SELECT count(*) FROM webhook_events WHERE type = 'benefits.verified' AND data->>'verification_id' = $1",
            &[&a.to_string()],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(events, 1);
    let (covered, pa, copay): (bool, bool, i64) = {
        let r = client
            .query_one(
                "SELECT b.covered, b.pa_required, b.copay_cents FROM benefits b JOIN medications m ON m.id = b.medication_id
                 WHERE b.patient_id = $1 AND m.name = $2",
                &[&pid, &med],
            )
            .await
            .unwrap();
        (r.get(0), r.get(1), r.get(2))
    };
    assert_eq!((covered, pa, copay), (true, false, 3500));
    assert!(bv::cancel(&**client, b).await.unwrap());
    assert!(!bv::cancel(&**client, a).await.unwrap(), "ended jobs are not canceled");
}
