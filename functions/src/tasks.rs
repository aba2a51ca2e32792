//! Staff tasks: the callbacks and follow-ups the voice agent promises
//! ("I've asked a pharmacist to call you back"), made real as rows staff can
//! list and close. Each task is created once per call and reason.

use chrono::{DateTime, Utc};
use deadpool_postgres::Pool;
use serde::{Deserialize, Serialize};
use tokio_postgres::GenericClient;

use crate::error::DbError;

/// A task to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewTask {
    /// The call it came from.
    pub call_sid: Option<String>,
    /// `callback` (call the person back) or `follow_up` (work to do, the
    /// caller was told someone will follow up).
    pub kind: String,
    /// Staff tier: `T1` technician, `T2` pharmacist, `T3` manager, `EMERGENCY`.
    pub tier: String,
    /// Why (stable label: `caller_request`, `dial_no_answer`, ...).
    pub reason: String,
    /// What staff need to know (no more PHI than the tier's role needs).
    pub summary: String,
    /// The verified patient, if any.
    pub patient_id: Option<i64>,
    /// The number to call back (the calling number).
    pub callback_number: Option<String>,
    /// When it should be done by.
    pub due_at: DateTime<Utc>,
}

/// A task as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Task {
    /// Task id.
    pub id: i64,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// The fields it was created with.
    #[serde(flatten)]
    pub task: NewTask,
    /// `open` or `closed`.
    pub status: String,
    /// When it was closed.
    pub closed_at: Option<DateTime<Utc>>,
    /// Who closed it.
    pub closed_by: Option<String>,
    /// What was done.
    pub resolution: Option<String>,
}

/// Creates `task` on `client` unless a task with the same call and reason
/// exists; returns its id either way.
pub async fn create(client: &impl GenericClient, task: &NewTask) -> Result<i64, DbError> {
    let dedupe = task.call_sid.as_ref().map(|sid| format!("{sid}:{}", task.reason));
    let row = client
        .query_one(
            "WITH ins AS (
                 INSERT INTO staff_tasks (call_sid, dedupe_key, kind, tier, reason, summary, patient_id,
                                          callback_number, due_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                 ON CONFLICT (dedupe_key) DO NOTHING
                 RETURNING id)
             SELECT id FROM ins
             UNION ALL SELECT id FROM staff_tasks WHERE dedupe_key = $2
             LIMIT 1",
            &[
                &task.call_sid,
                &dedupe,
                &task.kind,
                &task.tier,
                &task.reason,
                &task.summary,
                &task.patient_id,
                &task.callback_number,
                &task.due_at,
            ],
        )
        .await?;
    Ok(row.get(0))
}

/// Tasks, open ones only unless `all`, due first.
pub async fn list(pool: &Pool, all: bool, limit: i64) -> Result<Vec<Task>, DbError> {
    let client = pool.get().await?;
    let rows = client
        .query(
            "SELECT id, created_at, call_sid, kind, tier, reason, summary, patient_id, callback_number,
                    due_at, status, closed_at, closed_by, resolution
             FROM staff_tasks WHERE $1 OR status = 'open'
             ORDER BY (status = 'closed'), due_at, id LIMIT $2",
            &[&all, &limit],
        )
        .await?;
    Ok(rows.iter().map(row_to_task).collect())
}

/// The tasks of one call, oldest first.
pub async fn for_call(client: &impl GenericClient, call_sid: &str) -> Result<Vec<Task>, DbError> {
    let rows = client
        .query(
            "SELECT id, created_at, call_sid, kind, tier, reason, summary, patient_id, callback_number,
                    due_at, status, closed_at, closed_by, resolution
             FROM staff_tasks WHERE call_sid = $1 ORDER BY id",
            &[&call_sid],
        )
        .await?;
    Ok(rows.iter().map(row_to_task).collect())
}

/// Closes task `id`; `false` when there is no such open task.
pub async fn close(pool: &Pool, id: i64, by: &str, resolution: &str) -> Result<bool, DbError> {
    let client = pool.get().await?;
    let n = client
        .execute(
            "UPDATE staff_tasks SET status = 'closed', closed_at = now(), closed_by = $2, resolution = $3
             WHERE id = $1 AND status = 'open'",
            &[&id, &by, &resolution],
        )
        .await?;
    Ok(n == 1)
}

fn row_to_task(r: &tokio_postgres::Row) -> Task {
    Task {
        id: r.get(0),
        created_at: r.get(1),
        task: NewTask {
            call_sid: r.get(2),
            kind: r.get(3),
            tier: r.get(4),
            reason: r.get(5),
            summary: r.get(6),
            patient_id: r.get(7),
            callback_number: r.get(8),
            due_at: r.get(9),
        },
        status: r.get(10),
        closed_at: r.get(11),
        closed_by: r.get(12),
        resolution: r.get(13),
    }
}

/// Records what happened to a call outside the conversation (a Twilio
/// status callback, a transfer, a dial result, a message sent): one row of
/// `call_events`, once per `dedupe_key` when one is given.
pub async fn call_event(
    client: &impl GenericClient,
    call_sid: &str,
    kind: &str,
    detail: &serde_json::Value,
    dedupe_key: Option<&str>,
) -> Result<(), DbError> {
    client
        .execute(
            "INSERT INTO call_events (call_sid, kind, detail, dedupe_key) VALUES ($1, $2, $3, $4)
             ON CONFLICT (dedupe_key) DO NOTHING",
            &[&call_sid, &kind, detail, &dedupe_key],
        )
        .await?;
    Ok(())
}

/// The events of one call, oldest first: (kind, detail).
pub async fn call_events(
    client: &impl GenericClient,
    call_sid: &str,
) -> Result<Vec<(String, serde_json::Value)>, DbError> {
    let rows = client
        .query(
            "SELECT kind, detail FROM call_events WHERE call_sid = $1 ORDER BY id",
            &[&call_sid],
        )
        .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}
