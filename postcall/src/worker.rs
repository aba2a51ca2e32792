//! Job workers: each loop claims one due job at a time from the PostgreSQL
//! queue (`FOR UPDATE SKIP LOCKED`, so any number of workers in any number
//! of processes share one database), runs its handler in a transaction, and
//! commits the handler's effects together with the job's completion.
//! Failures go back to the queue with backoff, then to the dead letters.

use std::collections::HashMap;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use deadpool_postgres::Pool;
use functions::metrics as fm;
use functions::queue::{Backoff, Failed, Job, Queue};
use futures_util::FutureExt;
use metrics::{counter, gauge, histogram};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::error::JobError;

/// A boxed, sendable future (handlers are trait objects).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Runs the jobs of one kind.
pub trait Handler: Send + Sync + 'static {
    /// The job kind handled.
    fn kind(&self) -> &'static str;

    /// Runs `job`. Effects written on `tx` commit with the job's completion
    /// (and roll back with a failure); effects that must outlive a failure
    /// (an attempt log) go through the handler's own pool.
    fn run<'a>(&'a self, job: &'a Job, tx: &'a tokio_postgres::Transaction<'a>) -> BoxFuture<'a, Result<(), JobError>>;
}

/// How the workers run.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Name shown in `jobs.locked_by` (host and process, by default).
    pub name: String,
    /// Concurrent job loops.
    pub concurrency: usize,
    /// Pause when no job is due.
    pub poll: Duration,
    /// How long a claimed job is held before others may reclaim it.
    pub lease: Duration,
    /// Retry delays.
    pub backoff: Backoff,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        let host = std::fs::read_to_string("/etc/hostname").unwrap_or_else(|_| "host".into());
        Self {
            name: format!("{}:{}", host.trim(), std::process::id()),
            concurrency: 2,
            poll: Duration::from_millis(250),
            lease: Duration::from_secs(60),
            backoff: Backoff::default(),
        }
    }
}

/// Running workers.
pub struct Workers {
    cancel: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for Workers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workers").field("loops", &self.tasks.len()).finish()
    }
}

impl Workers {
    /// Starts `cfg.concurrency` job loops over `handlers`, and a task that
    /// publishes queue depths as metrics.
    pub fn start(pool: Pool, handlers: Vec<Arc<dyn Handler>>, cfg: WorkerConfig) -> Self {
        let cancel = CancellationToken::new();
        let handlers: Arc<HashMap<&'static str, Arc<dyn Handler>>> =
            Arc::new(handlers.into_iter().map(|h| (h.kind(), h)).collect());
        let mut tasks = Vec::new();
        for i in 0..cfg.concurrency.max(1) {
            let queue = Queue::new(format!("{}/{i}", cfg.name), cfg.lease, cfg.backoff);
            tasks.push(tokio::spawn(run_loop(
                pool.clone(),
                queue,
                handlers.clone(),
                cfg.poll,
                cancel.clone(),
            )));
        }
        let kinds: Vec<&'static str> = handlers.keys().copied().collect();
        tasks.push(tokio::spawn(publish_depth(pool, kinds, cancel.clone())));
        Self { cancel, tasks }
    }

    /// Stops claiming jobs and waits for the ones running to finish.
    pub async fn stop(self) {
        self.cancel.cancel();
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

async fn run_loop(
    pool: Pool,
    queue: Queue,
    handlers: Arc<HashMap<&'static str, Arc<dyn Handler>>>,
    poll: Duration,
    cancel: CancellationToken,
) {
    let kinds: Vec<&str> = handlers.keys().copied().collect();
    while !cancel.is_cancelled() {
        let worked = match once(&pool, &queue, &handlers, &kinds).await {
            Ok(worked) => worked,
            Err(e) => {
                tracing::warn!(error = %e, "job queue unavailable");
                false
            }
        };
        if !worked {
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = tokio::time::sleep(poll) => {}
            }
        }
    }
}

/// Claims and runs at most one job; returns whether there was one.
async fn once(
    pool: &Pool,
    queue: &Queue,
    handlers: &HashMap<&'static str, Arc<dyn Handler>>,
    kinds: &[&str],
) -> Result<bool, JobError> {
    let mut client = pool.get().await.map_err(functions::DbError::from)?;
    let Some(job) = queue.claim(&**client, kinds, 1).await?.pop() else {
        return Ok(false);
    };
    let started = Instant::now();
    let kind: &'static str = handlers.get(job.kind.as_str()).map_or("unknown", |h| h.kind());
    let result = if job.attempt > job.max_attempts {
        // Reclaimed after its last attempt's worker vanished.
        Err(JobError::Other("worker lost during the last attempt".into()))
    } else {
        match handlers.get(job.kind.as_str()) {
            None => Err(JobError::Other(format!("no handler for kind {}", job.kind))),
            Some(h) => attempt(&mut client, queue, h.as_ref(), &job).await,
        }
    };
    histogram!(fm::JOB_DURATION, "kind" => kind).record(started.elapsed().as_secs_f64());
    let outcome = match result {
        Ok(true) => "done",
        Ok(false) => "lost",
        Err(e) => {
            let msg = e.to_string();
            match queue.fail(&**client, &job, &msg).await? {
                Failed::Retry => {
                    tracing::info!(job = job.id, kind, attempt = job.attempt, error = %msg, "job failed; will retry");
                    "retry"
                }
                Failed::Dead => {
                    tracing::error!(job = job.id, kind, attempt = job.attempt, error = %msg, "job dead-lettered");
                    "dead"
                }
                Failed::Lost => "lost",
            }
        }
    };
    counter!(fm::JOBS, "kind" => kind, "outcome" => outcome).increment(1);
    Ok(true)
}

/// One attempt in a transaction: Ok(true) committed, Ok(false) fenced out.
async fn attempt(
    client: &mut deadpool_postgres::Object,
    queue: &Queue,
    handler: &dyn Handler,
    job: &Job,
) -> Result<bool, JobError> {
    let tx = client.transaction().await?;
    let run = AssertUnwindSafe(handler.run(job, &tx)).catch_unwind().await;
    match run {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(e),
        Err(_) => return Err(JobError::Other("handler panicked".into())),
    }
    if !queue.complete(&*tx, job).await? {
        tracing::warn!(
            job = job.id,
            "job reclaimed by another worker; this attempt's effects discarded"
        );
        tx.rollback().await?;
        return Ok(false);
    }
    tx.commit().await?;
    Ok(true)
}

async fn publish_depth(pool: Pool, kinds: Vec<&'static str>, cancel: CancellationToken) {
    loop {
        if let Ok(client) = pool.get().await
            && let Ok(depths) = Queue::depth(&**client).await
        {
            for kind in &kinds {
                let d = depths.iter().find(|d| d.kind == *kind);
                for (status, n) in [
                    ("queued", d.map_or(0, |d| d.queued)),
                    ("running", d.map_or(0, |d| d.running)),
                    ("dead", d.map_or(0, |d| d.dead)),
                ] {
                    gauge!(fm::QUEUE_DEPTH, "queue" => *kind, "status" => status).set(n as f64);
                }
            }
        }
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = tokio::time::sleep(Duration::from_secs(2)) => {}
        }
    }
}
