//! The job queue in PostgreSQL: an outbox that callers write to in their own
//! transaction, claimed by workers with `FOR UPDATE SKIP LOCKED`, retried
//! with exponential backoff, dead-lettered after `max_attempts`.
//!
//! Exactly-once effects: a worker runs a job's handler inside a transaction
//! and marks the job done in that same transaction, fenced on the attempt
//! number it claimed. If its lease expired and another worker reclaimed the
//! job, the fence fails, the transaction rolls back, and only one run's
//! effects are ever committed.

use std::time::Duration;

use serde_json::Value;
use tokio_postgres::GenericClient;

use crate::error::DbError;

/// A job to enqueue.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// Which handler runs it (`analysis`, `webhook`, ...).
    pub kind: String,
    /// Enqueueing the same key twice yields one job.
    pub dedupe_key: String,
    /// The handler's input.
    pub payload: Value,
    /// Attempts before the job is dead-lettered.
    pub max_attempts: i32,
}

/// Adds `job` on `client` (use the caller's transaction for an outbox
/// write). Returns false when a job with the same key already exists.
pub async fn enqueue(client: &impl GenericClient, job: &NewJob) -> Result<bool, DbError> {
    let n = client
        .execute(
            "INSERT INTO jobs (kind, dedupe_key, payload, max_attempts) VALUES ($1, $2, $3, $4)
             ON CONFLICT (dedupe_key) DO NOTHING",
            &[&job.kind, &job.dedupe_key, &job.payload, &job.max_attempts],
        )
        .await?;
    Ok(n == 1)
}

/// A claimed job.
#[derive(Debug, Clone)]
pub struct Job {
    /// Row id.
    pub id: i64,
    /// Handler kind.
    pub kind: String,
    /// Handler input.
    pub payload: Value,
    /// This attempt's number, from 1.
    pub attempt: i32,
    /// Attempts allowed.
    pub max_attempts: i32,
}

/// Retry delays: `base · 2^(attempt-1)`, capped, with ±20 % jitter so
/// failing jobs do not retry in lockstep.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    /// Delay after the first failure.
    pub base: Duration,
    /// Longest delay.
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(2),
            max: Duration::from_secs(600),
        }
    }
}

impl Backoff {
    /// Delay before retrying after failed attempt `attempt` (from 1).
    pub fn delay(&self, attempt: i32) -> Duration {
        let exp = attempt.clamp(1, 30) as u32 - 1;
        let d = self.base.saturating_mul(1u32 << exp.min(20)).min(self.max);
        d.mul_f64(0.8 + 0.4 * fastrand::f64())
    }
}

/// What became of a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failed {
    /// Queued again after the backoff.
    Retry,
    /// Out of attempts: dead-lettered with the error kept.
    Dead,
    /// Another worker owns the job now (our lease had expired).
    Lost,
}

/// Counts per kind and status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Depth {
    /// Handler kind.
    pub kind: String,
    /// Waiting (including retries not yet due).
    pub queued: i64,
    /// Claimed by a worker.
    pub running: i64,
    /// Dead-lettered.
    pub dead: i64,
}

/// A worker's view of the queue.
#[derive(Debug, Clone)]
pub struct Queue {
    worker: String,
    lease: Duration,
    backoff: Backoff,
}

impl Queue {
    /// A queue client named `worker` (shown in `locked_by`), holding claimed
    /// jobs for `lease` before others may reclaim them.
    pub fn new(worker: impl Into<String>, lease: Duration, backoff: Backoff) -> Self {
        Self {
            worker: worker.into(),
            lease,
            backoff,
        }
    }

    /// Claims up to `n` due jobs of the given kinds (and jobs whose worker's
    /// lease expired), oldest first, without waiting on rows others hold.
    pub async fn claim(&self, client: &impl GenericClient, kinds: &[&str], n: i64) -> Result<Vec<Job>, DbError> {
        let kinds: Vec<String> = kinds.iter().map(|k| (*k).to_owned()).collect();
        let rows = client
            .query(
                "UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_by = $3,
                        locked_until = now() + make_interval(secs => $4)
                 WHERE id IN (
                     SELECT id FROM jobs
                     WHERE kind = ANY($1)
                       AND ((status = 'queued' AND run_at <= now())
                            OR (status = 'running' AND locked_until < now()))
                     ORDER BY run_at, id
                     LIMIT $2
                     FOR UPDATE SKIP LOCKED)
                 RETURNING id, kind, payload, attempts, max_attempts",
                &[&kinds, &n, &self.worker, &self.lease.as_secs_f64()],
            )
            .await?;
        let mut jobs: Vec<Job> = rows
            .into_iter()
            .map(|r| Job {
                id: r.get(0),
                kind: r.get(1),
                payload: r.get(2),
                attempt: r.get(3),
                max_attempts: r.get(4),
            })
            .collect();
        jobs.sort_by_key(|j| j.id);
        Ok(jobs)
    }

    /// Marks `job` done on `tx`, the transaction that holds its effects.
    /// Returns false (roll back!) when the job is no longer this attempt's.
    pub async fn complete(&self, tx: &impl GenericClient, job: &Job) -> Result<bool, DbError> {
        let n = tx
            .execute(
                "UPDATE jobs SET status = 'done', finished_at = now(), locked_by = NULL, locked_until = NULL,
                        last_error = NULL
                 WHERE id = $1 AND status = 'running' AND attempts = $2",
                &[&job.id, &job.attempt],
            )
            .await?;
        Ok(n == 1)
    }

    /// Records a failed attempt: back in the queue after the backoff, or
    /// dead-lettered when out of attempts. The error text is kept.
    pub async fn fail(&self, client: &impl GenericClient, job: &Job, error: &str) -> Result<Failed, DbError> {
        let delay = self.backoff.delay(job.attempt).as_secs_f64();
        let row = client
            .query_opt(
                "UPDATE jobs SET
                     status = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'queued' END,
                     finished_at = CASE WHEN attempts >= max_attempts THEN now() END,
                     run_at = now() + make_interval(secs => $3),
                     last_error = $4, locked_by = NULL, locked_until = NULL
                 WHERE id = $1 AND status = 'running' AND attempts = $2
                 RETURNING status",
                &[&job.id, &job.attempt, &delay, &error],
            )
            .await?;
        Ok(match row.map(|r| r.get::<_, String>(0)) {
            None => Failed::Lost,
            Some(s) if s == "dead" => Failed::Dead,
            Some(_) => Failed::Retry,
        })
    }

    /// Counts per kind and status.
    pub async fn depth(client: &impl GenericClient) -> Result<Vec<Depth>, DbError> {
        let rows = client
            .query(
                "SELECT kind,
                        count(*) FILTER (WHERE status = 'queued'),
                        count(*) FILTER (WHERE status = 'running'),
                        count(*) FILTER (WHERE status = 'dead')
                 FROM jobs WHERE status <> 'done' GROUP BY kind ORDER BY kind",
                &[],
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| Depth {
                kind: r.get(0),
                queued: r.get(1),
                running: r.get(2),
                dead: r.get(3),
            })
            .collect())
    }

    /// Puts a dead-lettered job back in the queue with fresh attempts.
    pub async fn retry_dead(client: &impl GenericClient, id: i64) -> Result<bool, DbError> {
        let n = client
            .execute(
                "UPDATE jobs SET status = 'queued', attempts = 0, run_at = now(), finished_at = NULL
                 WHERE id = $1 AND status = 'dead'",
                &[&id],
            )
            .await?;
        Ok(n == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_within_jitter_and_caps() {
        let b = Backoff {
            base: Duration::from_millis(100),
            max: Duration::from_secs(1),
        };
        for (attempt, nominal) in [(1, 100.0), (2, 200.0), (3, 400.0), (5, 1000.0), (30, 1000.0)] {
            let d = b.delay(attempt).as_secs_f64() * 1000.0;
            assert!(d >= nominal * 0.8 - 1e-6 && d <= nominal * 1.2 + 1e-6, "{attempt}: {d}");
        }
    }
}
