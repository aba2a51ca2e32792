//! Operator commands over the database: the post-call worker process, the
//! job queue's state, and the PHI audit report.

use std::future::Future;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, NaiveDate, Utc};
use clap::Subcommand;
use functions::queue::Queue;

use crate::config::Config;

/// `switchboard jobs …`
#[derive(Debug, Subcommand)]
pub enum JobsAction {
    /// Jobs not done, per kind and status, and the dead letters with their errors.
    Status,
    /// Put a dead-lettered job back in the queue.
    Retry {
        /// The job's id (from `jobs status`).
        id: i64,
    },
}

async fn open(cfg: &Config) -> Result<functions::Database> {
    functions::Database::open(cfg.database_url.as_deref(), &cfg.data_dir, 8)
        .await
        .context("opening the database")
}

/// Runs post-call workers until `signal`.
pub async fn worker(cfg: &Config, concurrency: usize, signal: impl Future<Output = ()>) -> Result<()> {
    let mut db = open(cfg).await?;
    if let Some((url, secret)) = &cfg.webhook {
        postcall::webhook::configure_receiver(&db.pool, url, secret)
            .await
            .context("configuring the webhook receiver")?;
    }
    let workers = postcall::start(
        db.pool.clone(),
        postcall::WorkerConfig {
            concurrency,
            ..Default::default()
        },
    );
    tracing::info!(concurrency, "post-call workers running");
    signal.await;
    tracing::info!("stopping: finishing the jobs in hand");
    workers.stop().await;
    db.close();
    Ok(())
}

/// `jobs status` / `jobs retry`.
pub async fn jobs(cfg: &Config, action: JobsAction) -> Result<()> {
    let mut db = open(cfg).await?;
    let client = db.pool.get().await.context("database connection")?;
    match action {
        JobsAction::Status => {
            println!("{:<10} {:>8} {:>8} {:>8}", "queue", "queued", "running", "dead");
            for d in Queue::depth(&**client).await? {
                println!("{:<10} {:>8} {:>8} {:>8}", d.kind, d.queued, d.running, d.dead);
            }
            let dead = client
                .query(
                    "SELECT id, kind, attempts, finished_at, coalesce(last_error, '') FROM jobs
                     WHERE status = 'dead' ORDER BY id DESC LIMIT 50",
                    &[],
                )
                .await?;
            if !dead.is_empty() {
                println!("\ndead letters (newest first):");
                for r in dead {
                    let at: Option<DateTime<Utc>> = r.get(3);
                    println!(
                        "  #{} {} after {} attempts at {}: {}",
                        r.get::<_, i64>(0),
                        r.get::<_, String>(1),
                        r.get::<_, i32>(2),
                        at.map(|t| t.to_rfc3339()).unwrap_or_default(),
                        r.get::<_, String>(4)
                    );
                }
            }
        }
        JobsAction::Retry { id } => {
            if Queue::retry_dead(&**client, id).await? {
                println!("job {id} queued again");
            } else {
                bail!("job {id} is not dead-lettered");
            }
        }
    }
    drop(client);
    db.close();
    Ok(())
}

/// Parses `--since`: a date, an RFC 3339 time, or an age like `90m`, `24h`, `7d`.
pub fn parse_since(s: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).expect("midnight").and_utc());
    }
    let (num, unit) = s.split_at(s.len().saturating_sub(1));
    let n: i64 = num
        .parse()
        .with_context(|| format!("--since {s:?}: expected a date, an RFC 3339 time or an age (90m, 24h, 7d)"))?;
    let age = match unit {
        "s" => chrono::Duration::seconds(n),
        "m" => chrono::Duration::minutes(n),
        "h" => chrono::Duration::hours(n),
        "d" => chrono::Duration::days(n),
        _ => bail!("--since {s:?}: unit must be s, m, h or d"),
    };
    Ok(now - age)
}

/// `audit --since`: the log, then counts per actor and action.
pub async fn audit(cfg: &Config, since: &str, limit: i64) -> Result<()> {
    let since = parse_since(since, Utc::now())?;
    let mut db = open(cfg).await?;
    let rows = functions::audit::since(&db.pool, since, limit).await?;
    println!("PHI audit log since {}: {} rows", since.to_rfc3339(), rows.len());
    println!(
        "{:<8} {:<24} {:<14} {:<20} {:<28} {:<22} remote",
        "id", "at (UTC)", "actor", "action", "resource", "call"
    );
    let mut counts: std::collections::BTreeMap<(String, String), usize> = Default::default();
    for r in &rows {
        let e = &r.entry;
        println!(
            "{:<8} {:<24} {:<14} {:<20} {:<28} {:<22} {}",
            r.id,
            r.at.format("%Y-%m-%d %H:%M:%S%.3f"),
            e.actor,
            e.action,
            e.resource,
            e.call_sid.as_deref().unwrap_or("-"),
            e.remote_addr.as_deref().unwrap_or("-")
        );
        *counts.entry((e.actor.clone(), e.action.clone())).or_default() += 1;
    }
    if !counts.is_empty() {
        println!("\nby actor and action:");
        for ((actor, action), n) in counts {
            println!("  {actor:<14} {action:<20} {n}");
        }
    }
    db.close();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_accepts_dates_times_and_ages() {
        let now = DateTime::parse_from_rfc3339("2026-11-23T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            parse_since("2026-11-01", now).unwrap().to_rfc3339(),
            "2026-11-01T00:00:00+00:00"
        );
        assert_eq!(
            parse_since("2026-11-20T08:30:00+01:00", now).unwrap().to_rfc3339(),
            "2026-11-20T07:30:00+00:00"
        );
        assert_eq!(
            parse_since("24h", now).unwrap().to_rfc3339(),
            "2026-11-22T12:00:00+00:00"
        );
        assert_eq!(
            parse_since("90m", now).unwrap().to_rfc3339(),
            "2026-11-23T10:30:00+00:00"
        );
        assert!(parse_since("yesterday", now).is_err());
        assert!(parse_since("5w", now).is_err());
    }
}
