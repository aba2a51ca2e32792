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

/// The patients whose name is `name` (close enough), whatever the date of
/// birth: whose record the caller may be trying to open (namesakes too).
pub async fn claimed_patients(client: &Client, name: &str) -> Result<Vec<i64>, DbError> {
    let name = crate::patient::normalise_name(name);
    if name.is_empty() {
        return Ok(Vec::new());
    }
    let stmt = client
        .prepare_cached(
            "SELECT id FROM patients WHERE full_name % $1 AND similarity(full_name, $1) >= $2
             ORDER BY similarity(full_name, $1) DESC LIMIT 5",
        )
        .await?;
    let rows = client.query(&stmt, &[&name, &CLAIM_SIMILARITY]).await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// Whether verification is locked for this number or any of these patients.
pub async fn is_locked(
    client: &Client,
    lockout: &Lockout,
    phone: Option<&str>,
    patients: &[i64],
) -> Result<bool, DbError> {
    let secs = lockout.window.as_secs_f64();
    let stmt = client
        .prepare_cached(
            "SELECT
                 (SELECT count(*) FROM verification_failures
                  WHERE caller_phone = $1 AND at > now() - make_interval(secs => $3)),
                 (SELECT coalesce(max(n), 0) FROM (
                      SELECT count(*) AS n FROM verification_failures, unnest(patient_ids) AS p
                      WHERE p = ANY($2) AND at > now() - make_interval(secs => $3) GROUP BY p) per_patient)",
        )
        .await?;
    let row = client.query_one(&stmt, &[&phone, &patients, &secs]).await?;
    let (by_phone, by_patient): (i64, i64) = (row.get(0), row.get(1));
    Ok(by_phone >= lockout.per_phone || by_patient >= lockout.per_patient)
}

/// Stores and audits one failed verification.
pub async fn record_failure(
    client: &Client,
    phone: Option<&str>,
    patients: &[i64],
    call_sid: Option<&str>,
) -> Result<(), DbError> {
    let stmt = client
        .prepare_cached("INSERT INTO verification_failures (caller_phone, patient_ids, call_sid) VALUES ($1, $2, $3)")
        .await?;
    client.execute(&stmt, &[&phone, &patients, &call_sid]).await?;
    audit::append(&***client, &entry("patient.verify_failed", phone, patients, call_sid)).await
}

/// Audits a refused (locked) verification.
pub async fn record_locked(
    client: &Client,
    phone: Option<&str>,
    patients: &[i64],
    call_sid: Option<&str>,
) -> Result<(), DbError> {
    audit::append(&***client, &entry("patient.verify_locked", phone, patients, call_sid)).await
}

fn entry(action: &str, phone: Option<&str>, patients: &[i64], call_sid: Option<&str>) -> AuditEntry {
    let resource = match (patients, phone) {
        ([], Some(ph)) => format!("caller:{}", mask(ph)),
        ([], None) => "caller:unknown".into(),
        (ids, _) => format!(
            "patient:{}",
            ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
        ),
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
