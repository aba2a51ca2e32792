//! Outbound benefits verifications as durable jobs: created by the API or
//! the CLI, claimed by the dialer (`FOR UPDATE SKIP LOCKED`, within a cap per
//! payer line and overall), moved through the call's phases, retried with
//! backoff when a call fails or drops, and finished (completed, partial or
//! needing a person) with a `benefits.verified` webhook in the same
//! transaction.

use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Value, json};
use tokio_postgres::GenericClient;

use crate::audit::{self, AuditEntry};
use crate::error::DbError;
use crate::events;

/// Why a verification cannot be created or changed.
#[derive(Debug, thiserror::Error)]
pub enum VerificationError {
    /// No patient with this id.
    #[error("patient {0} not found")]
    PatientNotFound(i64),
    /// The medication is not in the formulary.
    #[error("medication {0:?} is not in the formulary")]
    UnknownMedication(String),
    /// The payer has no provider line on record and none was given.
    #[error("no provider line on record for the patient's payer; give payer_phone")]
    NoPayerLine,
    /// `payer_phone` is not an E.164 number.
    #[error("payer_phone {0:?} is not an E.164 number (+ and 8 to 15 digits)")]
    BadPhone(String),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<tokio_postgres::Error> for VerificationError {
    fn from(e: tokio_postgres::Error) -> Self {
        Self::Db(DbError::Query(e))
    }
}

/// A verification to create.
#[derive(Debug, Clone)]
pub struct NewVerification {
    /// Whose benefits.
    pub patient_id: i64,
    /// For which drug (a formulary name, any case).
    pub medication: String,
    /// The number to call instead of the payer's provider line on record.
    pub payer_phone: Option<String>,
    /// Who asked (an API token's user, the CLI).
    pub requested_by: String,
}

/// Statuses in which a call is under way.
pub const ACTIVE: &[&str] = &["dialing", "ivr", "hold", "with_rep"];
/// A call under way with no news for this long is taken for lost.
pub const STALE_AFTER: Duration = Duration::from_secs(90 * 60);

/// Statuses that are final.
pub const FINAL: &[&str] = &["completed", "failed", "needs_human", "canceled"];

fn is_e164(p: &str) -> bool {
    let digits = p.strip_prefix('+').unwrap_or("");
    (8..=15).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit())
}

/// Creates a verification; its id.
pub async fn create(client: &impl GenericClient, new: &NewVerification) -> Result<i64, VerificationError> {
    let patient = client
        .query_opt(
            "SELECT p.payer_id, l.phone FROM patients p LEFT JOIN payer_lines l ON l.payer_id = p.payer_id
             WHERE p.id = $1",
            &[&new.patient_id],
        )
        .await?
        .ok_or(VerificationError::PatientNotFound(new.patient_id))?;
    let payer_id: i32 = patient.get(0);
    let on_record: Option<String> = patient.get(1);
    let medication: String = client
        .query_opt(
            "SELECT name FROM medications WHERE lower(name) = lower($1)",
            &[&new.medication.trim()],
        )
        .await?
        .map(|r| r.get(0))
        .ok_or_else(|| VerificationError::UnknownMedication(new.medication.clone()))?;
    let phone = match &new.payer_phone {
        Some(p) if is_e164(p.trim()) => p.trim().to_owned(),
        Some(p) => return Err(VerificationError::BadPhone(p.clone())),
        None => on_record.ok_or(VerificationError::NoPayerLine)?,
    };
    let row = client
        .query_one(
            "INSERT INTO benefits_verifications (requested_by, patient_id, medication, payer_id, payer_phone)
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
            &[&new.requested_by, &new.patient_id, &medication, &payer_id, &phone],
        )
        .await?;
    Ok(row.get(0))
}

/// A verification as the API shows it (the answers are PHI: the API
/// audits the read).
pub async fn view(client: &impl GenericClient, id: i64) -> Result<Option<Value>, DbError> {
    let row = client
        .query_opt(
            "SELECT v.id, v.status, v.patient_id, v.medication, y.name, v.payer_phone, v.attempts, v.max_attempts,
                    v.next_attempt_at, v.call_sid, v.last_error, v.partial, v.result, v.created_at, v.updated_at,
                    v.finished_at, v.call_sids
             FROM benefits_verifications v JOIN payers y ON y.id = v.payer_id WHERE v.id = $1",
            &[&id],
        )
        .await?;
    Ok(row.map(|r| {
        json!({
            "id": r.get::<_, i64>(0),
            "status": r.get::<_, String>(1),
            "patient_id": r.get::<_, i64>(2),
            "medication": r.get::<_, String>(3),
            "payer": r.get::<_, String>(4),
            "payer_phone": r.get::<_, String>(5),
            "attempts": r.get::<_, i32>(6),
            "max_attempts": r.get::<_, i32>(7),
            "next_attempt_at": r.get::<_, DateTime<Utc>>(8).to_rfc3339(),
            "call_sid": r.get::<_, Option<String>>(9),
            "calls": r.get::<_, Vec<String>>(16),
            "last_error": r.get::<_, Option<String>>(10),
            "partial": r.get::<_, bool>(11),
            "fields": r.get::<_, Value>(12),
            "created_at": r.get::<_, DateTime<Utc>>(13).to_rfc3339(),
            "updated_at": r.get::<_, DateTime<Utc>>(14).to_rfc3339(),
            "finished_at": r.get::<_, Option<DateTime<Utc>>>(15).map(|t| t.to_rfc3339()),
        })
    }))
}

/// Cancels a verification that has not finished; whether it did. A call
/// under way is left to end (the dialer hangs it up).
pub async fn cancel(client: &impl GenericClient, id: i64) -> Result<bool, DbError> {
    let n = client
        .execute(
            "UPDATE benefits_verifications SET status = 'canceled', updated_at = now(), finished_at = now()
             WHERE id = $1 AND status <> ALL($2)",
            &[&id, &FINAL],
        )
        .await?;
    Ok(n == 1)
}

/// A job the dialer claimed: the call to place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    /// The verification.
    pub id: i64,
    /// The number to call.
    pub payer_phone: String,
    /// Which attempt this is (1-based).
    pub attempt: i32,
}

/// Limits on calls at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DialLimits {
    /// Calls under way across all payer lines.
    pub overall: i64,
    /// Calls to one line when the line has no cap of its own.
    pub per_line: i64,
}

/// Claims verifications that are due, within the caps, moving them to
/// `dialing`. Lines that are closed now (`open(hours, tz)` says) are
/// skipped; their jobs wait.
pub async fn claim_due(
    client: &mut deadpool_postgres::Client,
    limits: DialLimits,
    open: &(dyn Fn(&str, &str) -> bool + Sync),
) -> Result<Vec<Claimed>, DbError> {
    let tx = client.transaction().await?;
    // One claimer at a time, so that the caps hold across dialers.
    tx.execute("SELECT pg_advisory_xact_lock(7365656401)", &[]).await?;
    // A call that has said nothing for longer than any hold (its server
    // went away mid-call) frees its place and is tried again.
    tx.execute(
        "UPDATE benefits_verifications SET status = 'queued', last_error = 'lost', updated_at = now()
         WHERE status = ANY($1) AND updated_at < now() - make_interval(secs => $2)",
        &[&ACTIVE, &STALE_AFTER.as_secs_f64()],
    )
    .await?;
    let busy: i64 = tx
        .query_one(
            "SELECT count(*) FROM benefits_verifications WHERE status = ANY($1)",
            &[&ACTIVE],
        )
        .await?
        .get(0);
    let mut room = limits.overall - busy;
    let mut claimed = Vec::new();
    if room <= 0 {
        tx.commit().await?;
        return Ok(claimed);
    }
    let rows = tx
        .query(
            "SELECT v.id, v.payer_phone, v.attempts, coalesce(l.max_concurrent, $2), coalesce(l.hours, ''),
                    coalesce(l.time_zone, 'UTC'),
                    (SELECT count(*) FROM benefits_verifications a WHERE a.payer_phone = v.payer_phone AND a.status = ANY($1))
             FROM benefits_verifications v LEFT JOIN payer_lines l ON l.phone = v.payer_phone
             WHERE v.status = 'queued' AND v.next_attempt_at <= now()
             ORDER BY v.next_attempt_at, v.id
             LIMIT 50
             FOR UPDATE OF v SKIP LOCKED",
            &[&ACTIVE, &(limits.per_line as i32)],
        )
        .await?;
    let mut per_line: std::collections::HashMap<String, i64> = std::collections::HashMap::new();
    for r in rows {
        if room <= 0 {
            break;
        }
        let (id, phone, attempts): (i64, String, i32) = (r.get(0), r.get(1), r.get(2));
        let cap = i64::from(r.get::<_, i32>(3));
        let (hours, tz): (String, String) = (r.get(4), r.get(5));
        let active: i64 = r.get(6);
        let used = per_line.entry(phone.clone()).or_insert(active);
        if *used >= cap || (!hours.is_empty() && !open(&hours, &tz)) {
            continue;
        }
        tx.execute(
            "UPDATE benefits_verifications SET status = 'dialing', attempts = attempts + 1, updated_at = now()
             WHERE id = $1",
            &[&id],
        )
        .await?;
        *used += 1;
        room -= 1;
        claimed.push(Claimed {
            id,
            payer_phone: phone,
            attempt: attempts + 1,
        });
    }
    tx.commit().await?;
    Ok(claimed)
}

/// Reason label of the staff task a verification that needs a person makes.
pub const NEEDS_HUMAN_TASK: &str = "verification_needs_human";

/// A follow-up task for staff about verification `id`, which needs a
/// person: why, how many calls were made, how many answers were gathered
/// (the answers themselves are read through the API, audited). Once per job.
async fn hand_to_staff(client: &impl GenericClient, id: i64) -> Result<(), DbError> {
    client
        .execute(
            "INSERT INTO staff_tasks (call_sid, dedupe_key, kind, tier, reason, summary, patient_id, due_at)
             SELECT v.call_sid, 'verification:' || v.id, 'follow_up', 'T1', $2,
                    'Benefits verification ' || v.id || ' needs a person: ' || coalesce(v.last_error, 'no reason given')
                    || ' after ' || v.attempts || ' call(s); ' || (SELECT count(*) FROM jsonb_object_keys(v.result))
                    || ' answer(s) gathered (GET /api/verifications/' || v.id || ').',
                    v.patient_id, now() + interval '4 hours'
             FROM benefits_verifications v WHERE v.id = $1
             ON CONFLICT (dedupe_key) DO NOTHING",
            &[&id, &NEEDS_HUMAN_TASK],
        )
        .await?;
    Ok(())
}

/// What the call needs to know (PHI: the read is audited for the call).
#[derive(Clone)]
pub struct Brief {
    /// Patient's given name.
    pub first_name: String,
    /// Patient's family name.
    pub last_name: String,
    /// Date of birth.
    pub dob: NaiveDate,
    /// Member ID.
    pub member_id: String,
    /// The medication.
    pub medication: String,
    /// The payer's name.
    pub payer: String,
}

impl std::fmt::Debug for Brief {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Brief")
            .field("payer", &self.payer)
            .finish_non_exhaustive()
    }
}

/// The brief of verification `id` (for call `call_sid`, when placed), audited.
pub async fn brief(client: &impl GenericClient, id: i64, call_sid: Option<&str>) -> Result<Option<Brief>, DbError> {
    let row = client
        .query_opt(
            "SELECT p.first_name, p.last_name, p.dob, p.member_id, v.medication, y.name, p.id
             FROM benefits_verifications v JOIN patients p ON p.id = v.patient_id JOIN payers y ON y.id = v.payer_id
             WHERE v.id = $1",
            &[&id],
        )
        .await?;
    let Some(r) = row else {
        return Ok(None);
    };
    let patient: i64 = r.get(6);
    audit::append(
        client,
        &AuditEntry {
            actor: "voice-agent".into(),
            action: "verification.brief".into(),
            resource: format!("patient:{patient}"),
            call_sid: call_sid.map(str::to_owned),
            remote_addr: None,
        },
    )
    .await?;
    Ok(Some(Brief {
        first_name: r.get(0),
        last_name: r.get(1),
        dob: r.get(2),
        member_id: r.get(3),
        medication: r.get(4),
        payer: r.get(5),
    }))
}

/// The call placed for attempt of `id`.
pub async fn attach_call(client: &impl GenericClient, id: i64, call_sid: &str) -> Result<(), DbError> {
    client
        .execute(
            "UPDATE benefits_verifications SET call_sid = $2, call_sids = array_append(call_sids, $2), updated_at = now()
             WHERE id = $1",
            &[&id, &call_sid],
        )
        .await?;
    Ok(())
}

/// The call of `id` moved to `phase` (`ivr`, `hold`, `with_rep`) and has
/// learnt `fields` so far. A finished or canceled job is not moved back.
pub async fn progress(client: &impl GenericClient, id: i64, phase: &str, fields: &Value) -> Result<bool, DbError> {
    let n = client
        .execute(
            "UPDATE benefits_verifications SET status = $2, result = $3, updated_at = now()
             WHERE id = $1 AND status <> ALL($4)",
            &[&id, &phase, fields, &FINAL],
        )
        .await?;
    Ok(n == 1)
}

/// How a verification ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// Every question answered and confirmed.
    Completed,
    /// Some answers: kept and said to be partial.
    Partial,
    /// Nothing usable: staff must call.
    NeedsHuman,
}

/// Finishes `id` with `fields` (from call `call_sid`), emits
/// `benefits.verified` for a completed or partial result, and records what
/// was learnt on the patient's benefits; one transaction. Whether the job
/// was still open (a canceled one keeps its status).
pub async fn finish(
    client: &mut deadpool_postgres::Client,
    id: i64,
    ending: Ending,
    reason: Option<&str>,
    fields: &Value,
    call_sid: &str,
) -> Result<bool, DbError> {
    let tx = client.transaction().await?;
    let (status, partial) = match ending {
        Ending::Completed => ("completed", false),
        Ending::Partial => ("completed", true),
        Ending::NeedsHuman => ("needs_human", false),
    };
    let row = tx
        .query_opt(
            "UPDATE benefits_verifications SET status = $2, partial = $3, result = $4, last_error = $5,
                    finished_at = now(), updated_at = now()
             WHERE id = $1 AND status <> ALL($6)
             RETURNING patient_id, medication, payer_id",
            &[&id, &status, &partial, fields, &reason, &FINAL],
        )
        .await?;
    let Some(r) = row else {
        tx.commit().await?;
        return Ok(false);
    };
    let (patient_id, medication, payer_id): (i64, String, i32) = (r.get(0), r.get(1), r.get(2));
    if ending == Ending::NeedsHuman {
        hand_to_staff(&*tx, id).await?;
    }
    crate::tasks::call_event(
        &*tx,
        call_sid,
        "verification",
        &json!({"verification_id": id, "status": status, "partial": partial, "reason": reason}),
        Some(&format!("{call_sid}:verification:{id}")),
    )
    .await?;
    if ending != Ending::NeedsHuman {
        let data = json!({
            "verification_id": id,
            "patient_id": patient_id,
            "medication": medication,
            "payer_id": payer_id,
            "call_sid": call_sid,
            "partial": partial,
            "fields": fields,
        });
        events::emit(&*tx, events::BENEFITS_VERIFIED, &format!("verification:{id}"), &data).await?;
        record_benefits(&tx, patient_id, &medication, fields).await?;
    }
    tx.commit().await?;
    Ok(true)
}

/// What the payer said, onto the patient's benefits row for the drug.
async fn record_benefits(
    tx: &tokio_postgres::Transaction<'_>,
    patient_id: i64,
    medication: &str,
    fields: &Value,
) -> Result<(), DbError> {
    let b = |k: &str| fields[k]["value"].as_bool();
    let n = |k: &str| fields[k]["value"].as_f64();
    let deductible_met = match (n("deductible"), n("deductible_met")) {
        (Some(d), Some(m)) => Some(m >= d),
        _ => None,
    };
    let copay = fields["cost_share"]["value"]["copay"]
        .as_f64()
        .map(|c| (c * 100.0).round() as i64);
    tx.execute(
        "UPDATE benefits b SET covered = coalesce($3, b.covered), pa_required = coalesce($4, b.pa_required),
                deductible_met = coalesce($5, b.deductible_met), copay_cents = coalesce($6, b.copay_cents)
         FROM medications m
         WHERE b.patient_id = $1 AND b.medication_id = m.id AND m.name = $2",
        &[
            &patient_id,
            &medication,
            &b("coverage_active"),
            &b("pa_required"),
            &deductible_met,
            &copay,
        ],
    )
    .await?;
    Ok(())
}

/// The attempt of `id` failed (`busy`, `no_answer`, `dropped`, an IVR
/// dead end, ...): queued again after `backoff` × 2^(attempts − 1), or, once
/// out of attempts, handed to staff (`needs_human` and a follow-up task)
/// with what was gathered. The status it was left in.
pub async fn retry_or_give_up(
    client: &impl GenericClient,
    id: i64,
    error: &str,
    backoff: Duration,
) -> Result<Option<String>, DbError> {
    let secs = backoff.as_secs_f64();
    let row = client
        .query_opt(
            "UPDATE benefits_verifications SET
                 status = CASE WHEN attempts >= max_attempts THEN 'needs_human' ELSE 'queued' END,
                 next_attempt_at = now() + make_interval(secs => $3 * power(2, greatest(attempts - 1, 0))),
                 finished_at = CASE WHEN attempts >= max_attempts THEN now() END,
                 last_error = $2, updated_at = now()
             WHERE id = $1 AND status <> ALL($4)
             RETURNING status",
            &[&id, &error, &secs, &FINAL],
        )
        .await?;
    let status: Option<String> = row.map(|r| r.get(0));
    if status.as_deref() == Some("needs_human") {
        hand_to_staff(client, id).await?;
    }
    Ok(status)
}

/// The verification whose current call is `call_sid`, with its status.
pub async fn by_call(client: &impl GenericClient, call_sid: &str) -> Result<Option<(i64, String)>, DbError> {
    Ok(client
        .query_opt(
            "SELECT id, status FROM benefits_verifications WHERE call_sid = $1",
            &[&call_sid],
        )
        .await?
        .map(|r| (r.get(0), r.get(1))))
}
