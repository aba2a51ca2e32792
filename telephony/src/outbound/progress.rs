//! Keeps a verification job's row in step with its call: each change of
//! phase or answers is written in order by one task per call, the outcome
//! finishes the job (with its webhook), and a call that dropped before the
//! conversation ended is queued again (or handed to staff when out of
//! attempts).

use std::time::Duration;

use deadpool_postgres::Pool;
use dialog::payer_call::{Findings, PayerOutcome, Progress};
use functions::benefits_verification::{self as bv, Ending};
use serde_json::Value;
use tokio::sync::mpsc;

/// What happened to a job's call.
#[derive(Debug)]
pub enum Note {
    /// Its phase, answers or outcome changed.
    Progress(Box<Progress>),
    /// The call ended before its conversation did.
    Dropped,
}

/// The writer of one call's job updates.
#[derive(Debug, Clone)]
pub struct ProgressWriter {
    tx: mpsc::UnboundedSender<(i64, Note)>,
}

impl ProgressWriter {
    /// A writer for call `call_sid` (retries wait `backoff`, doubled per attempt).
    pub fn spawn(pool: Pool, call_sid: String, backoff: Duration) -> Self {
        let (tx, mut rx) = mpsc::unbounded_channel::<(i64, Note)>();
        tokio::spawn(async move {
            while let Some((id, note)) = rx.recv().await {
                if let Err(e) = write(&pool, &call_sid, id, note, backoff).await {
                    tracing::error!(call_id = %call_sid, job = id, error = %e, "verification progress not recorded");
                }
            }
        });
        Self { tx }
    }

    /// Queues `note` about job `id`.
    pub fn send(&self, id: i64, note: Note) {
        let _ = self.tx.send((id, note));
    }
}

async fn write(pool: &Pool, call_sid: &str, id: i64, note: Note, backoff: Duration) -> Result<(), functions::DbError> {
    let mut client = pool.get().await?;
    match note {
        Note::Progress(p) => {
            let fields = fields_json(&p.findings);
            match p.outcome {
                None => {
                    bv::progress(&**client, id, p.phase.label(), &fields).await?;
                }
                Some(PayerOutcome::NeedsHuman(reason)) => {
                    // Nothing gathered (a menu dead end, a silent line):
                    // another call later, staff once out of attempts.
                    let status = bv::retry_or_give_up(&**client, id, reason, backoff).await?;
                    tracing::info!(
                        call_id = call_sid,
                        job = id,
                        reason,
                        status = status.as_deref(),
                        "verification call got nothing"
                    );
                }
                Some(o) => {
                    let (ending, reason) = match o {
                        PayerOutcome::Partial => (Ending::Partial, Some("some answers missing")),
                        _ => (Ending::Completed, None),
                    };
                    bv::finish(&mut client, id, ending, reason, &fields, call_sid).await?;
                    tracing::info!(
                        call_id = call_sid,
                        job = id,
                        outcome = o.label(),
                        "verification finished"
                    );
                }
            }
        }
        Note::Dropped => {
            let status = bv::retry_or_give_up(&**client, id, "dropped", backoff).await?;
            tracing::info!(
                call_id = call_sid,
                job = id,
                status = status.as_deref(),
                "verification call dropped"
            );
        }
    }
    Ok(())
}

/// The answers as JSON, unanswered fields left out.
pub fn fields_json(f: &Findings) -> Value {
    let mut v = serde_json::to_value(f).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.retain(|_, x| !x.is_null());
    }
    v
}
