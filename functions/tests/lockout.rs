//! Identity verification cannot be brute-forced: failed lookups are counted
//! per calling number and per named patient across calls, in PostgreSQL,
//! and audited; a locked number or patient is refused even with the right
//! answer. Real PostgreSQL (a scratch database).

use chrono::NaiveDate;
use dialog::tools::{Outcome, Request};
use functions::db::ScratchDatabase;
use functions::{Functions, FunctionsConfig, seed};

fn lookup(name: &str, dob: NaiveDate, phone: &str) -> Request {
    Request::PatientLookup {
        name: name.into(),
        dob,
        phone: Some(phone.into()),
        member_id: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn six_wrong_birthdays_lock_the_number_and_the_patient() {
    let scratch = ScratchDatabase::create(8).await.expect("scratch database");
    seed::seed(&scratch.db.pool, 200, 7).await.unwrap();
    let f = Functions::new(scratch.db.pool.clone(), None, FunctionsConfig::default())
        .await
        .unwrap();
    let right = NaiveDate::from_ymd_opt(1985, 3, 3).unwrap();
    let attacker = "+15557770001";
    // Six wrong birthdays over two calls (the dialog allows three a call).
    for i in 0..6u32 {
        let wrong = NaiveDate::from_ymd_opt(1980, 1, 1 + i).unwrap();
        let sid = if i < 3 { "CAguess1" } else { "CAguess2" };
        assert_eq!(
            f.call(Some(sid), lookup("Maria Garcia", wrong, attacker)).await,
            Outcome::Patient(None),
            "attempt {i}"
        );
    }
    // Now even the right answer is refused from that number...
    assert_eq!(
        f.call(Some("CAguess3"), lookup("Maria Garcia", right, attacker)).await,
        Outcome::VerificationLocked
    );
    // ...and for that patient from any number (the guesses named her).
    assert_eq!(
        f.call(Some("CAother"), lookup("Maria Garcia", right, "+15550100001"))
            .await,
        Outcome::VerificationLocked
    );
    // Another patient from another number is not affected.
    assert!(matches!(
        f.call(
            Some("CAjames"),
            lookup(
                "James Wilson",
                NaiveDate::from_ymd_opt(1972, 7, 4).unwrap(),
                "+15550100002"
            )
        )
        .await,
        Outcome::Patient(Some(_))
    ));
    let client = scratch.db.pool.get().await.unwrap();
    let failures: i64 = client
        .query_one(
            "SELECT count(*) FROM verification_failures WHERE caller_phone = $1",
            &[&attacker],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(failures, 6, "refused lookups are not counted again");
    let audited: Vec<(String, String)> = client
        .query(
            "SELECT action, resource FROM audit_log WHERE action LIKE 'patient.verify_%' ORDER BY id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(audited.iter().filter(|(a, _)| a == "patient.verify_failed").count(), 6);
    assert_eq!(audited.iter().filter(|(a, _)| a == "patient.verify_locked").count(), 2);
    assert!(
        audited.iter().all(|(_, r)| r.starts_with("patient:")),
        "failures are filed under the patient named: {audited:?}"
    );
    // The window passes: the lock lifts.
    client
        .execute("UPDATE verification_failures SET at = at - interval '25 hours'", &[])
        .await
        .unwrap();
    assert!(matches!(
        f.call(Some("CAlater"), lookup("Maria Garcia", right, attacker)).await,
        Outcome::Patient(Some(_))
    ));
}
