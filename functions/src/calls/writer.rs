//! The writer task behind [`CallLog`](super::CallLog): live best-effort
//! rows, the final outbox write, and the spool and its in-order replay.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use deadpool_postgres::Pool;
use tokio::sync::mpsc;

use super::{BACKOFF, CallRecord, FinishedCall, Utterance, finalize, insert_utterance};
use crate::error::DbError;
use crate::spool::Spool;

pub(super) struct Draft {
    from: Option<String>,
    to: Option<String>,
    started_at: DateTime<Utc>,
    utterances: Vec<Utterance>,
    tasks: Vec<crate::tasks::NewTask>,
    events: Vec<super::CallEventEntry>,
}

pub(super) struct Writer {
    pub(super) pool: Pool,
    pub(super) spool: Arc<Mutex<Spool>>,
    pub(super) spooled: Arc<AtomicUsize>,
    pub(super) drafts: HashMap<String, Draft>,
    pub(super) pause_until: Option<Instant>,
}

impl Writer {
    pub(super) async fn run(mut self, mut rx: mpsc::Receiver<CallRecord>) {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                rec = rx.recv() => match rec {
                    Some(rec) => self.apply(rec).await,
                    None => break,
                },
                _ = tick.tick(), if self.spooled.load(Ordering::Relaxed) > 0 => self.replay().await,
            }
        }
        // Closing: one last attempt to empty the spool.
        if self.spooled.load(Ordering::Relaxed) > 0 {
            self.replay().await;
        }
    }

    fn live(&self) -> bool {
        self.pause_until.is_none_or(|t| Instant::now() >= t)
    }

    fn failed(&mut self, e: &DbError) {
        tracing::warn!(error = %e, "call record write failed");
        self.pause_until = Some(Instant::now() + BACKOFF);
    }

    async fn apply(&mut self, rec: CallRecord) {
        match rec {
            CallRecord::Started { call_sid, from, to } => {
                if self.live() {
                    let res = async {
                        let client = self.pool.get().await?;
                        client
                            .execute(
                                "INSERT INTO voice_calls (call_sid, from_number, to_number) VALUES ($1, $2, $3)
                                 ON CONFLICT (call_sid) DO NOTHING",
                                &[&call_sid, &from, &to],
                            )
                            .await?;
                        Ok::<_, DbError>(())
                    }
                    .await;
                    if let Err(e) = res {
                        self.failed(&e);
                    }
                }
                // A call's next stream (after keys were played on it) goes
                // on with the same record.
                self.drafts.entry(call_sid).or_insert_with(|| Draft {
                    from,
                    to,
                    started_at: Utc::now(),
                    utterances: Vec::new(),
                    tasks: Vec::new(),
                    events: Vec::new(),
                });
            }
            CallRecord::Utterance { call_sid, utterance } => {
                let Some(draft) = self.drafts.get_mut(&call_sid) else {
                    tracing::warn!("utterance for an unknown call dropped");
                    return;
                };
                draft.utterances.push(utterance.clone());
                if self.live() {
                    let res = async {
                        let client = self.pool.get().await?;
                        insert_utterance(&**client, &call_sid, &utterance).await
                    }
                    .await;
                    if let Err(e) = res {
                        self.failed(&e);
                    }
                }
            }
            CallRecord::Task { call_sid, task } => {
                let Some(draft) = self.drafts.get_mut(&call_sid) else {
                    tracing::warn!("task for an unknown call dropped");
                    return;
                };
                draft.tasks.push(task.clone());
                if self.live() {
                    let res = async {
                        let client = self.pool.get().await?;
                        crate::tasks::create(&**client, &task).await
                    }
                    .await;
                    if let Err(e) = res {
                        self.failed(&e);
                    }
                }
            }
            CallRecord::Event { call_sid, event } => {
                let Some(draft) = self.drafts.get_mut(&call_sid) else {
                    tracing::warn!("event for an unknown call dropped");
                    return;
                };
                let i = draft.events.len();
                draft.events.push(event.clone());
                if self.live() {
                    let res = async {
                        let client = self.pool.get().await?;
                        super::insert_event(&**client, &call_sid, i, &event).await
                    }
                    .await;
                    if let Err(e) = res {
                        self.failed(&e);
                    }
                }
            }
            CallRecord::Ended {
                call_sid,
                end_reason,
                outcome,
            } => {
                let Some(draft) = self.drafts.remove(&call_sid) else {
                    tracing::warn!("end of an unknown call dropped");
                    return;
                };
                let call = FinishedCall {
                    call_sid,
                    from: draft.from,
                    to: draft.to,
                    started_at: draft.started_at,
                    ended_at: Utc::now(),
                    end_reason,
                    outcome,
                    utterances: draft.utterances,
                    tasks: draft.tasks,
                    events: draft.events,
                };
                // In order: while anything waits in the spool, so does this.
                if self.spooled.load(Ordering::Relaxed) == 0 && self.live() {
                    match finalize(&self.pool, &call).await {
                        Ok(()) => return,
                        Err(e) => self.failed(&e),
                    }
                }
                self.spool_call(&call).await;
            }
        }
    }

    async fn spool_call(&mut self, call: &FinishedCall) {
        let bytes = serde_json::to_vec(call).expect("a call record serialises");
        let spool = self.spool.clone();
        let res = tokio::task::spawn_blocking(move || spool.lock().expect("spool lock").append(&bytes)).await;
        match res {
            Ok(Ok(())) => {
                let n = self.spooled.fetch_add(1, Ordering::Relaxed) + 1;
                metrics::gauge!(crate::metrics::SPOOLED).set(n as f64);
                tracing::warn!(spooled = n, "database unavailable: finished call spooled");
            }
            Ok(Err(e)) => tracing::error!(error = %e, "database and spool both failed: call record lost"),
            Err(e) => tracing::error!(error = %e, "spool task failed: call record lost"),
        }
    }

    /// Replays the spool in order; stops at the first failure, keeping the rest.
    async fn replay(&mut self) {
        let spool = self.spool.clone();
        let contents = match tokio::task::spawn_blocking(move || spool.lock().expect("spool lock").read()).await {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => return tracing::error!(error = %e, "spool unreadable"),
            Err(e) => return tracing::error!(error = %e, "spool task failed"),
        };
        if let Some(at) = contents.corrupt_at {
            tracing::error!(
                offset = at,
                "spool damaged: replaying the intact records, keeping the file aside"
            );
        }
        let total = contents.records.len();
        let mut done = 0;
        for rec in &contents.records {
            match serde_json::from_slice::<FinishedCall>(rec) {
                Ok(call) => match finalize(&self.pool, &call).await {
                    Ok(()) => done += 1,
                    Err(e) => {
                        tracing::debug!(error = %e, "spool replay paused: database still unavailable");
                        break;
                    }
                },
                Err(e) => {
                    tracing::error!(error = %e, "unreadable spooled call skipped");
                    done += 1;
                }
            }
        }
        if done == 0 && contents.corrupt_at.is_none() {
            return;
        }
        let rest = contents.records[done..].to_vec();
        let corrupt = contents.corrupt_at.is_some();
        let spool = self.spool.clone();
        let res = tokio::task::spawn_blocking(move || {
            let mut s = spool.lock().expect("spool lock");
            if corrupt {
                let aside = s.quarantine()?;
                tracing::error!(path = %aside.display(), "damaged spool moved aside");
            }
            s.rewrite(&rest)
        })
        .await;
        match res {
            Ok(Ok(())) => {
                let left = total - done;
                self.spooled.store(left, Ordering::Relaxed);
                metrics::gauge!(crate::metrics::SPOOLED).set(left as f64);
                tracing::info!(replayed = done, left, "spooled calls replayed");
                if left == 0 {
                    self.pause_until = None;
                }
            }
            Ok(Err(e)) => tracing::error!(error = %e, "spool could not be rewritten (records will be replayed again)"),
            Err(e) => tracing::error!(error = %e, "spool task failed"),
        }
    }
}
