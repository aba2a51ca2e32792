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

/// `switchboard webhooks …`
#[derive(Debug, Subcommand)]
pub enum WebhooksAction {
    /// Subscribe a receiver (or update its secret and events).
    Add {
        /// Where events are POSTed.
        url: String,
        /// Signing secret shared with the receiver.
        #[arg(long)]
        secret: String,
        /// Event types (comma-separated); all when omitted.
        #[arg(long, value_delimiter = ',')]
        events: Vec<String>,
    },
    /// Receivers, their events and delivery counts.
    List,
    /// Stop delivering to a receiver (its history is kept).
    Remove {
        /// The receiver's URL.
        url: String,
    },
}

/// `webhooks add|list|remove`.
pub async fn webhooks(cfg: &Config, action: WebhooksAction) -> Result<()> {
    let mut db = open(cfg).await?;
    let client = db.pool.get().await.context("database connection")?;
    match action {
        WebhooksAction::Add { url, secret, events } => {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                bail!("{url:?}: must start with https:// or http://");
            }
            if secret.len() < 16 {
                bail!("the secret must be at least 16 characters");
            }
            if let Some(bad) = events
                .iter()
                .find(|e| !functions::events::EVENT_TYPES.contains(&e.as_str()))
            {
                bail!(
                    "unknown event type {bad:?} (known: {})",
                    functions::events::EVENT_TYPES.join(", ")
                );
            }
            let id = functions::events::subscribe(&**client, &url, &secret, &events).await?;
            println!(
                "receiver #{id} subscribed to {}",
                if events.is_empty() {
                    "every event".to_owned()
                } else {
                    events.join(", ")
                }
            );
        }
        WebhooksAction::List => {
            let rows = client
                .query(
                    "SELECT s.id, s.url, s.events, s.active,
                            count(a.id) FILTER (WHERE a.delivered), count(a.id) FILTER (WHERE NOT a.delivered)
                     FROM webhook_subscriptions s LEFT JOIN webhook_attempts a ON a.subscription_id = s.id
                     GROUP BY s.id ORDER BY s.id",
                    &[],
                )
                .await?;
            println!(
                "{:<4} {:<8} {:>9} {:>7}  {:<40} url",
                "id", "active", "delivered", "failed", "events"
            );
            for r in rows {
                let events: Vec<String> = r.get(2);
                println!(
                    "{:<4} {:<8} {:>9} {:>7}  {:<40} {}",
                    r.get::<_, i64>(0),
                    if r.get::<_, bool>(3) { "yes" } else { "no" },
                    r.get::<_, i64>(4),
                    r.get::<_, i64>(5),
                    if events.is_empty() {
                        "all".to_owned()
                    } else {
                        events.join(",")
                    },
                    r.get::<_, String>(1)
                );
            }
        }
        WebhooksAction::Remove { url } => {
            let n = client
                .execute(
                    "UPDATE webhook_subscriptions SET active = false WHERE url = $1",
                    &[&url],
                )
                .await?;
            if n == 0 {
                bail!("no receiver at {url:?}");
            }
            println!("receiver {url} removed (no new deliveries; history kept)");
        }
    }
    drop(client);
    db.close();
    Ok(())
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
