//! Brute-force limits on identity verification: every failed lookup is
//! stored (with the calling number and, when the spoken name alone matches
//! one patient, that patient) and audited; once a number or a patient has
//! too many failures within the window, lookups for it are refused across
//! calls until the window passes. A lookup that could not run (database
//! down, budget exceeded) is not a failure and is never counted.

use std::time::Duration;

use deadpool_postgres::Client;

use crate::audit::{self, AuditEntry};
use crate::error::DbError;

/// The limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lockout {
    /// Failures from one calling number before it is locked (6).
    pub per_phone: i64,
    /// Failures naming one patient before that patient is locked (6).
    pub per_patient: i64,
    /// How far back failures count (24 h).
    pub window: Duration,
}

impl Default for Lockout {
    fn default() -> Self {
        Self {
            per_phone: 6,
            per_patient: 6,
            window: Duration::from_secs(24 * 3600),
        }
    }
}

/// Lowest name similarity for a failure to count against a patient.
const CLAIM_SIMILARITY: f32 = 0.6;

/// The one patient whose name is `name` (close enough), whatever the date
/// of birth: whose record the caller is trying to open.
pub async fn claimed_patient(client: &Client, name: &str) -> Result<Option<i64>, DbError> {
    let name = crate::patient::normalise_name(name);
    if name.is_empty() {
        return Ok(None);
    }
    let stmt = client
        .prepare_cached(
            "SELECT id, similarity(full_name, $1) AS sim FROM patients
             WHERE full_name % $1 ORDER BY sim DESC LIMIT 2",
        )
        .await?;
    let rows = client.query(&stmt, &[&name]).await?;
    let best = rows.first().filter(|r| r.get::<_, f32>(1) >= CLAIM_SIMILARITY);
    let tie = rows.get(1).is_some_and(|r| r.get::<_, f32>(1) >= CLAIM_SIMILARITY);
    Ok(best.filter(|_| !tie).map(|r| r.get(0)))
}

/// Whether verification is locked for this number or this patient.
pub async fn is_locked(
    client: &Client,
    lockout: &Lockout,
    phone: Option<&str>,
    patient: Option<i64>,
) -> Result<bool, DbError> {
    let secs = lockout.window.as_secs_f64();
    let stmt = client
        .prepare_cached(
            "SELECT
                 count(*) FILTER (WHERE $1::text IS NOT NULL AND caller_phone = $1),
                 count(*) FILTER (WHERE $2::bigint IS NOT NULL AND patient_id = $2)
             FROM verification_failures
             WHERE at > now() - make_interval(secs => $3)
               AND (caller_phone = $1 OR patient_id = $2)",
        )
        .await?;
    let row = client.query_one(&stmt, &[&phone, &patient, &secs]).await?;
    let (by_phone, by_patient): (i64, i64) = (row.get(0), row.get(1));
    Ok(by_phone >= lockout.per_phone || by_patient >= lockout.per_patient)
}

/// Stores and audits one failed verification.
pub async fn record_failure(
    client: &Client,
    phone: Option<&str>,
    patient: Option<i64>,
    call_sid: Option<&str>,
) -> Result<(), DbError> {
    let stmt = client
        .prepare_cached(
            "INSERT INTO verification_failures (caller_phone, patient_id, call_sid) VALUES ($1, $2, $3)",
        )
        .await?;
    client.execute(&stmt, &[&phone, &patient, &call_sid]).await?;
    audit::append(&***client, &entry("patient.verify_failed", phone, patient, call_sid)).await
}

/// Audits a refused (locked) verification.
pub async fn record_locked(
    client: &Client,
    phone: Option<&str>,
    patient: Option<i64>,
    call_sid: Option<&str>,
) -> Result<(), DbError> {
    audit::append(&***client, &entry("patient.verify_locked", phone, patient, call_sid)).await
}

fn entry(action: &str, phone: Option<&str>, patient: Option<i64>, call_sid: Option<&str>) -> AuditEntry {
    let resource = match (patient, phone) {
        (Some(p), _) => format!("patient:{p}"),
        (None, Some(ph)) => format!("caller:{}", mask(ph)),
        (None, None) => "caller:unknown".into(),
    };
    AuditEntry {
        actor: "voice-agent".into(),
        action: action.into(),
        resource,
        call_sid: call_sid.map(str::to_owned),
        remote_addr: None,
    }
}

/// A phone number with all but its last four digits hidden.
fn mask(n: &str) -> String {
    let digits: Vec<char> = n.chars().filter(char::is_ascii_digit).collect();
    let tail: String = digits[digits.len().saturating_sub(4)..].iter().collect();
    format!("***{tail}")
}
