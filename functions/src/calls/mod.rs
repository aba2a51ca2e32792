//! The call record: `voice_calls` and `call_utterances` rows, and the
//! analysis job that follows a call, written by one background writer so the
//! call's task never waits on the database.
//!
//! Rows are written live as the call runs (best effort, for people watching),
//! and the whole record is written again when the call ends, in one
//! transaction with the analysis job (the outbox). That final write is
//! idempotent. If it cannot be made (PostgreSQL down), the finished call goes
//! to the durable [`Spool`] and is replayed, in order, when the database is
//! back: nothing a call produced is lost.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use deadpool_postgres::Pool;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

mod writer;

use crate::error::DbError;
use crate::queue::{self, NewJob};
use crate::spool::{Spool, SpoolError};
use writer::Writer;

/// Job kind of the post-call analysis.
pub const ANALYSIS_JOB: &str = "analysis";

/// Who spoke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Speaker {
    /// The person on the phone.
    Caller,
    /// The voice agent.
    Bot,
    /// A supervisor who took the call over (their words, spoken to the caller).
    Supervisor,
}

impl Speaker {
    /// Column value.
    pub fn label(self) -> &'static str {
        match self {
            Self::Caller => "caller",
            Self::Bot => "bot",
            Self::Supervisor => "supervisor",
        }
    }
}

/// One write to the call record.
#[derive(Debug, Clone)]
pub enum CallRecord {
    /// The stream started.
    Started {
        /// Twilio call SID.
        call_sid: String,
        /// Calling number.
        from: Option<String>,
        /// Called number.
        to: Option<String>,
    },
    /// Something was said.
    Utterance {
        /// Twilio call SID.
        call_sid: String,
        /// The utterance.
        utterance: Utterance,
    },
    /// A task for staff was promised on the call (a callback, a follow-up).
    Task {
        /// Twilio call SID.
        call_sid: String,
        /// The task.
        task: crate::tasks::NewTask,
    },
    /// Something happened to the call outside the conversation (a transfer).
    Event {
        /// Twilio call SID.
        call_sid: String,
        /// The event.
        event: CallEventEntry,
    },
    /// The call ended.
    Ended {
        /// Twilio call SID.
        call_sid: String,
        /// Transport-level reason (stopped, disconnected, transferred, ...).
        end_reason: String,
        /// Conversation outcome (resolved, transferred, ...).
        outcome: Option<String>,
    },
}

/// One utterance of a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Utterance {
    /// Who said it.
    pub speaker: Speaker,
    /// What was said (recognised or spoken text).
    pub text: String,
    /// Start, ms since the call began.
    pub started_ms: u64,
    /// End, ms since the call began.
    pub ended_ms: Option<u64>,
    /// The bot's utterance was cut off by a barge-in.
    pub cut_off: bool,
}

/// An entry of `call_events` made during the call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallEventEntry {
    /// `transfer`, `dial`, `message`, ...
    pub kind: String,
    /// What happened (no PHI beyond what the call record holds).
    pub detail: serde_json::Value,
}

/// A call's whole record, as finalized (and as spooled).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FinishedCall {
    /// Twilio call SID.
    pub call_sid: String,
    /// Calling number.
    pub from: Option<String>,
    /// Called number.
    pub to: Option<String>,
    /// When the stream started.
    pub started_at: DateTime<Utc>,
    /// When it ended.
    pub ended_at: DateTime<Utc>,
    /// Transport-level reason.
    pub end_reason: String,
    /// Conversation outcome.
    pub outcome: Option<String>,
    /// Everything said, in order.
    pub utterances: Vec<Utterance>,
    /// Tasks promised on the call.
    #[serde(default)]
    pub tasks: Vec<crate::tasks::NewTask>,
    /// Transfers and other call-control events, in order.
    #[serde(default)]
    pub events: Vec<CallEventEntry>,
}

/// Writes `call` and enqueues its analysis, in one transaction. Idempotent:
/// the row is upserted, the utterances replaced, the job deduplicated.
pub async fn finalize(pool: &Pool, call: &FinishedCall) -> Result<(), DbError> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    tx.execute(
        "INSERT INTO voice_calls (call_sid, from_number, to_number, started_at, ended_at, end_reason, outcome)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (call_sid) DO UPDATE SET
             from_number = EXCLUDED.from_number, to_number = EXCLUDED.to_number,
             started_at = EXCLUDED.started_at, ended_at = EXCLUDED.ended_at,
             end_reason = EXCLUDED.end_reason, outcome = EXCLUDED.outcome",
        &[
            &call.call_sid,
            &call.from,
            &call.to,
            &call.started_at,
            &call.ended_at,
            &call.end_reason,
            &call.outcome,
        ],
    )
    .await?;
    tx.execute("DELETE FROM call_utterances WHERE call_sid = $1", &[&call.call_sid])
        .await?;
    for u in &call.utterances {
        insert_utterance(&*tx, &call.call_sid, u).await?;
    }
    for t in &call.tasks {
        crate::tasks::create(&*tx, t).await?;
    }
    for (i, e) in call.events.iter().enumerate() {
        insert_event(&*tx, &call.call_sid, i, e).await?;
    }
    queue::enqueue(
        &*tx,
        &NewJob {
            kind: ANALYSIS_JOB.into(),
            dedupe_key: format!("{ANALYSIS_JOB}:{}", call.call_sid),
            payload: serde_json::json!({ "call_sid": call.call_sid }),
            max_attempts: 6,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The utterances of `call_sid`, in the order they were said.
pub async fn load_utterances(
    client: &impl tokio_postgres::GenericClient,
    call_sid: &str,
) -> Result<Vec<Utterance>, DbError> {
    let rows = client
        .query(
            "SELECT speaker, text, started_ms, ended_ms, cut_off FROM call_utterances
             WHERE call_sid = $1 ORDER BY started_ms, id",
            &[&call_sid],
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| Utterance {
            speaker: match r.get::<_, &str>(0) {
                "bot" => Speaker::Bot,
                "supervisor" => Speaker::Supervisor,
                _ => Speaker::Caller,
            },
            text: r.get(1),
            started_ms: r.get::<_, i64>(2).max(0) as u64,
            ended_ms: r.get::<_, Option<i64>>(3).map(|v| v.max(0) as u64),
            cut_off: r.get(4),
        })
        .collect())
}

/// Writes event `i` of a call (idempotent: keyed by call and position).
async fn insert_event(
    client: &impl tokio_postgres::GenericClient,
    call_sid: &str,
    i: usize,
    e: &CallEventEntry,
) -> Result<(), DbError> {
    let key = format!("{call_sid}:call:{i}");
    crate::tasks::call_event(client, call_sid, &e.kind, &e.detail, Some(&key)).await
}

async fn insert_utterance(
    client: &impl tokio_postgres::GenericClient,
    call_sid: &str,
    u: &Utterance,
) -> Result<(), DbError> {
    client
        .execute(
            "INSERT INTO call_utterances (call_sid, speaker, text, started_ms, ended_ms, cut_off)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &call_sid,
                &u.speaker.label(),
                &u.text,
                &(u.started_ms as i64),
                &u.ended_ms.map(|v| v as i64),
                &u.cut_off,
            ],
        )
        .await?;
    Ok(())
}

/// Handle to the writer.
#[derive(Debug, Clone)]
pub struct CallLog {
    tx: mpsc::Sender<CallRecord>,
    spooled: Arc<AtomicUsize>,
}

/// Records queued before the writer applies back-pressure by dropping (logged).
const QUEUE: usize = 16 * 1024;

/// After a failed write, live writes pause this long (finished calls spool).
const BACKOFF: Duration = Duration::from_secs(2);

impl CallLog {
    /// Starts the writer over `pool`, spooling to `spool_dir` when the
    /// database is unreachable; anything already spooled is replayed first.
    pub fn spawn(pool: Pool, spool_dir: &Path) -> Result<Self, SpoolError> {
        let spool = Spool::open(spool_dir, "calls")?;
        let waiting = spool.read()?.records.len();
        let spooled = Arc::new(AtomicUsize::new(waiting));
        let (tx, rx) = mpsc::channel::<CallRecord>(QUEUE);
        let writer = Writer {
            pool,
            spool: Arc::new(Mutex::new(spool)),
            spooled: spooled.clone(),
            drafts: HashMap::new(),
            pause_until: None,
        };
        tokio::spawn(writer.run(rx));
        Ok(Self { tx, spooled })
    }

    /// Queues a record (never blocks the call).
    pub fn record(&self, rec: CallRecord) {
        if let Err(e) = self.tx.try_send(rec) {
            tracing::error!(error = %e, "call record queue full; record dropped");
        }
    }

    /// Finished calls waiting in the spool for the database.
    pub fn spooled(&self) -> usize {
        self.spooled.load(Ordering::Relaxed)
    }
}
