//! The PHI audit log: one append-only row per read of protected health
//! information (patient lookup, benefits, transcripts, recordings). The
//! database itself refuses UPDATE, DELETE and TRUNCATE on the table.

use chrono::{DateTime, Utc};
use deadpool_postgres::Pool;
use tokio_postgres::GenericClient;

use crate::error::DbError;

/// Who read what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// The reader: `voice-agent`, an API client, an operator at the CLI.
    pub actor: String,
    /// What was done, e.g. `patient.lookup`, `benefits.read`, `recording.decrypt`.
    pub action: String,
    /// What was read, e.g. `patient:42`, `call:CA…/transcript`.
    pub resource: String,
    /// The call it concerns, if any.
    pub call_sid: Option<String>,
    /// The reader's network address, if it came over the network.
    pub remote_addr: Option<String>,
}

/// One row of the log, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    /// Sequence number.
    pub id: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// The entry.
    pub entry: AuditEntry,
}

/// Appends `entry` on `client` (a pooled connection or a transaction).
pub async fn append(client: &impl GenericClient, entry: &AuditEntry) -> Result<(), DbError> {
    client
        .execute(
            "INSERT INTO audit_log (actor, action, resource, call_sid, remote_addr) VALUES ($1, $2, $3, $4, $5)",
            &[
                &entry.actor,
                &entry.action,
                &entry.resource,
                &entry.call_sid,
                &entry.remote_addr,
            ],
        )
        .await?;
    Ok(())
}

/// Appends `entry` on a connection from `pool`.
pub async fn record(pool: &Pool, entry: &AuditEntry) -> Result<(), DbError> {
    let client = pool.get().await?;
    append(&**client, entry).await
}

/// Rows at or after `since`, oldest first.
pub async fn since(pool: &Pool, since: DateTime<Utc>, limit: i64) -> Result<Vec<AuditRow>, DbError> {
    let client = pool.get().await?;
    let rows = client
        .query(
            "SELECT id, at, actor, action, resource, call_sid, remote_addr FROM audit_log
             WHERE at >= $1 ORDER BY id LIMIT $2",
            &[&since, &limit],
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| AuditRow {
            id: r.get(0),
            at: r.get(1),
            entry: AuditEntry {
                actor: r.get(2),
                action: r.get(3),
                resource: r.get(4),
                call_sid: r.get(5),
                remote_addr: r.get(6),
            },
        })
        .collect())
}
