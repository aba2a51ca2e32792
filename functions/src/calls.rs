//! The call record as it runs: `voice_calls` and `call_utterances` rows,
//! written in order by one background writer so the call's task never waits
//! on the database.

use deadpool_postgres::Pool;
use tokio::sync::mpsc;

use crate::error::DbError;

/// Who spoke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Speaker {
    /// The person on the phone.
    Caller,
    /// The voice agent.
    Bot,
}

impl Speaker {
    fn label(self) -> &'static str {
        match self {
            Self::Caller => "caller",
            Self::Bot => "bot",
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
        /// Who said it.
        speaker: Speaker,
        /// What was said (recognised or spoken text).
        text: String,
        /// Start, ms since the call began.
        started_ms: u64,
        /// End, ms since the call began.
        ended_ms: Option<u64>,
        /// The bot's utterance was cut off by a barge-in.
        cut_off: bool,
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

/// Handle to the writer.
#[derive(Debug, Clone)]
pub struct CallLog {
    tx: mpsc::Sender<CallRecord>,
}

/// Records queued before the writer applies back-pressure by dropping (logged).
const QUEUE: usize = 16 * 1024;

impl CallLog {
    /// Starts the writer over `pool`.
    pub fn spawn(pool: Pool) -> Self {
        let (tx, mut rx) = mpsc::channel::<CallRecord>(QUEUE);
        tokio::spawn(async move {
            while let Some(rec) = rx.recv().await {
                // One retry after a short pause covers a connection blip.
                for attempt in 0..2 {
                    match write(&pool, &rec).await {
                        Ok(()) => break,
                        Err(e) if attempt == 0 => {
                            tracing::warn!(error = %e, "call record write failed; retrying");
                            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                        }
                        Err(e) => tracing::error!(error = %e, "call record lost"),
                    }
                }
            }
        });
        Self { tx }
    }

    /// Queues a record (never blocks the call).
    pub fn record(&self, rec: CallRecord) {
        if let Err(e) = self.tx.try_send(rec) {
            tracing::error!(error = %e, "call record queue full; record dropped");
        }
    }
}

async fn write(pool: &Pool, rec: &CallRecord) -> Result<(), DbError> {
    let client = pool.get().await?;
    match rec {
        CallRecord::Started { call_sid, from, to } => {
            client
                .execute(
                    "INSERT INTO voice_calls (call_sid, from_number, to_number) VALUES ($1, $2, $3)
                     ON CONFLICT (call_sid) DO NOTHING",
                    &[call_sid, from, to],
                )
                .await?;
        }
        CallRecord::Utterance {
            call_sid,
            speaker,
            text,
            started_ms,
            ended_ms,
            cut_off,
        } => {
            client
                .execute(
                    "INSERT INTO call_utterances (call_sid, speaker, text, started_ms, ended_ms, cut_off)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                    &[
                        call_sid,
                        &speaker.label(),
                        text,
                        &(*started_ms as i64),
                        &ended_ms.map(|v| v as i64),
                        cut_off,
                    ],
                )
                .await?;
        }
        CallRecord::Ended {
            call_sid,
            end_reason,
            outcome,
        } => {
            client
                .execute(
                    "UPDATE voice_calls SET ended_at = now(), end_reason = $2, outcome = $3 WHERE call_sid = $1",
                    &[call_sid, end_reason, outcome],
                )
                .await?;
        }
    }
    Ok(())
}
