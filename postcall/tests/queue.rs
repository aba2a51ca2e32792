//! The job queue on a real PostgreSQL: many workers, transient failures,
//! dead letters, a stalled worker's lease taken over — every job's effect
//! committed exactly once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use functions::db::ScratchDatabase;
use functions::queue::{self, Backoff, Job, NewJob};
use postcall::worker::BoxFuture;
use postcall::{Handler, JobError, WorkerConfig, Workers};

/// Writes one effect row per run; fails the first attempt of every tenth
/// job, always fails job 7, and stalls the first attempt of job 500.
struct Flaky {
    attempts: Mutex<HashMap<i64, u32>>,
    stall: Duration,
}

impl Handler for Flaky {
    fn kind(&self) -> &'static str {
        "test"
    }

    fn run<'a>(&'a self, job: &'a Job, tx: &'a tokio_postgres::Transaction<'a>) -> BoxFuture<'a, Result<(), JobError>> {
        Box::pin(async move {
            let n = job.payload["n"].as_i64().unwrap();
            *self.attempts.lock().unwrap().entry(n).or_default() += 1;
            tx.execute("INSERT INTO effects (n, attempt) VALUES ($1, $2)", &[&n, &job.attempt])
                .await?;
            if n == 7 {
                return Err(JobError::Other("permanent failure for job 7".into()));
            }
            if n % 10 == 0 && job.attempt == 1 {
                return Err(JobError::Other("transient failure".into()));
            }
            if n == 500 && job.attempt == 1 {
                // Outlives the lease: another worker takes the job over.
                tokio::time::sleep(self.stall).await;
            }
            Ok(())
        })
    }
}

async fn wait_until_settled(pool: &deadpool_postgres::Pool, total: i64) {
    for _ in 0..600 {
        let c = pool.get().await.unwrap();
        let settled: i64 = c
            .query_one("SELECT count(*) FROM jobs WHERE status IN ('done', 'dead')", &[])
            .await
            .unwrap()
            .get(0);
        if settled == total {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("jobs did not settle in 60 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousand_jobs_four_workers_exactly_once() {
    let scratch = ScratchDatabase::create(12).await.expect("scratch database");
    let pool = scratch.db.pool.clone();
    let c = pool.get().await.unwrap();
    c.batch_execute("CREATE TABLE effects (n bigint NOT NULL, attempt int NOT NULL)")
        .await
        .unwrap();
    for n in 0..1000i64 {
        let job = NewJob {
            kind: "test".into(),
            dedupe_key: format!("test:{n}"),
            payload: serde_json::json!({ "n": n }),
            max_attempts: 3,
        };
        assert!(queue::enqueue(&**c, &job).await.unwrap());
    }
    // Enqueueing again is a no-op (outbox writes may be retried).
    let again = NewJob {
        kind: "test".into(),
        dedupe_key: "test:3".into(),
        payload: serde_json::json!({ "n": 3 }),
        max_attempts: 3,
    };
    assert!(!queue::enqueue(&**c, &again).await.unwrap());
    drop(c);

    let handler = Arc::new(Flaky {
        attempts: Mutex::new(HashMap::new()),
        stall: Duration::from_millis(1500),
    });
    let workers = Workers::start(
        pool.clone(),
        vec![handler.clone() as Arc<dyn Handler>],
        WorkerConfig {
            name: "test".into(),
            concurrency: 4,
            poll: Duration::from_millis(20),
            lease: Duration::from_millis(500),
            backoff: Backoff {
                base: Duration::from_millis(20),
                max: Duration::from_millis(200),
            },
        },
    );
    let t = std::time::Instant::now();
    wait_until_settled(&pool, 1000).await;
    let took = t.elapsed();
    eprintln!(
        "queue: 1000 jobs (1100+ attempts) settled by 4 workers in {:.2} s ({:.0} jobs/s)",
        took.as_secs_f64(),
        1000.0 / took.as_secs_f64()
    );
    // Let the stalled first attempt of job 500 finish (and be fenced out).
    tokio::time::sleep(Duration::from_millis(1600)).await;
    workers.stop().await;

    let c = pool.get().await.unwrap();
    let committed: Vec<(i64, i64)> = c
        .query("SELECT n, count(*) FROM effects GROUP BY n ORDER BY n", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    // 999 jobs succeeded, each committed exactly once; job 7's failed runs rolled back.
    assert_eq!(committed.len(), 999, "jobs with a committed effect");
    assert!(committed.iter().all(|(_, k)| *k == 1), "an effect committed twice");
    assert!(!committed.iter().any(|(n, _)| *n == 7));

    let done: i64 = c
        .query_one("SELECT count(*) FROM jobs WHERE status = 'done'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(done, 999);
    let dead = c
        .query_one(
            "SELECT attempts, last_error, finished_at IS NOT NULL FROM jobs WHERE status = 'dead'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(dead.get::<_, i32>(0), 3, "dead-lettered after max_attempts");
    assert_eq!(dead.get::<_, String>(1), "permanent failure for job 7");
    assert!(dead.get::<_, bool>(2));

    // Transient failures were retried: every tenth job ran at least twice.
    let attempts = handler.attempts.lock().unwrap().clone();
    assert!((0..1000).step_by(10).all(|n| attempts[&n] >= 2));
    // The stalled job was taken over by another worker; only one run counted.
    assert!(attempts[&500] >= 2, "lease expiry did not hand the job over");
    let retried: i64 = c
        .query_one("SELECT count(*) FROM jobs WHERE status = 'done' AND attempts > 1", &[])
        .await
        .unwrap()
        .get(0);
    assert!(retried >= 100, "retried jobs: {retried}");
}
