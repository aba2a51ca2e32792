//! PostgreSQL goes down in the middle of a run of calls: the finished calls
//! go to the durable spool and are replayed in order when it is back. Every
//! call, utterance and analysis job arrives exactly once. Runs a throwaway
//! cluster (initdb + pg_ctl) on its own loopback port.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use functions::Database;
use functions::calls::{CallLog, CallRecord, FinishedCall, Speaker, Utterance};
use functions::db::EmbeddedPostgres;
use functions::spool::Spool;

const CALLS: usize = 30;
const DOWN_AT: usize = 10;
const UP_AT: usize = 20;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn lines(i: usize) -> Vec<Utterance> {
    let say = |speaker, n: u64, text: &str| Utterance {
        speaker,
        text: text.into(),
        started_ms: n * 2000,
        ended_ms: Some(n * 2000 + 1500),
        cut_off: false,
    };
    vec![
        say(Speaker::Bot, 0, "Thanks for calling. Please tell me your full name."),
        say(Speaker::Caller, 1, &format!("this is caller number {i}")),
        say(Speaker::Caller, 2, "does my Ozempic need prior authorization"),
        say(Speaker::Bot, 3, "Goodbye."),
    ]
}

async fn count(pool: &deadpool_postgres::Pool, sql: &str) -> i64 {
    pool.get().await.unwrap().query_one(sql, &[]).await.unwrap().get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_outage_mid_run_loses_nothing_and_duplicates_nothing() {
    let root = std::env::temp_dir().join(format!("sb-outage-{}-{}", std::process::id(), fastrand::u32(..)));
    let port = free_port();
    let r = root.join("pg");
    let mut pg = tokio::task::spawn_blocking(move || EmbeddedPostgres::start_with(&r, Some(port)))
        .await
        .unwrap()
        .expect("throwaway cluster");
    let url = pg.url();
    assert!(url.contains("127.0.0.1"), "{url}");
    let db = Database::open(Some(&url), &root, 8).await.expect("database");
    functions::seed::seed(&db.pool, 0, 1).await.expect("seed");
    let pool = db.pool.clone();

    let log = CallLog::spawn(pool.clone(), &root.join("spool")).expect("call log");
    let workers = postcall::start(
        pool.clone(),
        postcall::WorkerConfig {
            concurrency: 2,
            poll: Duration::from_millis(50),
            ..Default::default()
        },
    );
    // Watch the spool fill while the database is down.
    let most_spooled = Arc::new(AtomicUsize::new(0));
    let watcher = {
        let (log, most) = (log.clone(), most_spooled.clone());
        tokio::spawn(async move {
            loop {
                most.fetch_max(log.spooled(), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };

    let mut back_at = None;
    for i in 0..CALLS {
        if i == DOWN_AT {
            tokio::time::sleep(Duration::from_millis(300)).await;
            pg = tokio::task::spawn_blocking(move || {
                pg.stop();
                pg
            })
            .await
            .unwrap();
        }
        if i == UP_AT {
            pg = tokio::task::spawn_blocking(move || {
                pg.restart().expect("restart");
                pg
            })
            .await
            .unwrap();
            back_at = Some(std::time::Instant::now());
        }
        let sid = format!("CAoutage{i:04}");
        log.record(CallRecord::Started {
            call_sid: sid.clone(),
            from: Some("+15550100".into()),
            to: Some("+15550199".into()),
        });
        for u in lines(i) {
            log.record(CallRecord::Utterance {
                call_sid: sid.clone(),
                utterance: u,
            });
        }
        log.record(CallRecord::Ended {
            call_sid: sid,
            end_reason: "stopped".into(),
            outcome: Some("resolved".into()),
        });
        tokio::time::sleep(Duration::from_millis(60)).await;
    }

    // Everything arrives once the database is back.
    let mut settled = false;
    for _ in 0..600 {
        if log.spooled() == 0
            && count(
                &pool,
                "SELECT count(*) FROM jobs WHERE kind = 'analysis' AND status = 'done'",
            )
            .await
                == CALLS as i64
        {
            settled = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if let Some(t) = back_at {
        eprintln!(
            "outage: {} calls spooled at most; all {CALLS} calls analysed {:.2} s after the database came back",
            most_spooled.load(Ordering::Relaxed),
            t.elapsed().as_secs_f64()
        );
    }
    watcher.abort();
    workers.stop().await;
    assert!(settled, "spooled: {}", log.spooled());
    assert!(
        most_spooled.load(Ordering::Relaxed) >= 5,
        "the outage never reached the spool ({})",
        most_spooled.load(Ordering::Relaxed)
    );

    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM voice_calls WHERE ended_at IS NOT NULL AND analysis IS NOT NULL"
        )
        .await,
        CALLS as i64
    );
    // Exactly the utterances of each call, none doubled by live writes + replay.
    let per_call: Vec<i64> = pool
        .get()
        .await
        .unwrap()
        .query("SELECT count(*) FROM call_utterances GROUP BY call_sid", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(per_call.len(), CALLS);
    assert!(per_call.iter().all(|n| *n == 4), "{per_call:?}");
    assert_eq!(
        count(&pool, "SELECT count(*) FROM jobs WHERE kind = 'analysis'").await,
        CALLS as i64
    );
    // Replayed in order: the analysis jobs of the spooled calls were created in call order.
    let order: Vec<String> = pool
        .get()
        .await
        .unwrap()
        .query(
            "SELECT payload->>'call_sid' FROM jobs WHERE kind = 'analysis' ORDER BY id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted);

    // A spool left by a crashed process is replayed by the next one at start.
    let crashed = root.join("crashed-spool");
    {
        let mut s = Spool::open(&crashed, "calls").unwrap();
        let call = FinishedCall {
            call_sid: "CAcrashed".into(),
            from: None,
            to: None,
            started_at: chrono::Utc::now(),
            ended_at: chrono::Utc::now(),
            end_reason: "disconnected".into(),
            outcome: Some("abandoned".into()),
            utterances: lines(99),
            tasks: Vec::new(),
            events: Vec::new(),
        };
        s.append(&serde_json::to_vec(&call).unwrap()).unwrap();
    }
    let log2 = CallLog::spawn(pool.clone(), &crashed).unwrap();
    assert_eq!(log2.spooled(), 1);
    for _ in 0..100 {
        if log2.spooled() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(log2.spooled(), 0);
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM call_utterances WHERE call_sid = 'CAcrashed'"
        )
        .await,
        4
    );

    drop(db);
    tokio::task::spawn_blocking(move || drop(pg)).await.unwrap();
    let _ = std::fs::remove_dir_all(&root);
}
