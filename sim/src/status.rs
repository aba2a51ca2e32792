//! Call status callbacks: the progress events a call's `StatusCallback`
//! asked for (`initiated ringing answered completed`; `completed` when none
//! were named), posted in order, signed, without holding up the call.

use std::time::SystemTime;

use tokio::sync::mpsc;

use crate::ids::rfc2822;
use crate::records::CallRecord;
use crate::twiml::Method;
use crate::webhook::Webhooks;

/// One call's status callback URL and the events it wants.
pub(crate) struct StatusHook {
    events: Vec<String>,
    account_sid: String,
    seq: u32,
    tx: mpsc::UnboundedSender<Vec<(String, String)>>,
}

impl StatusHook {
    /// Posts the chosen `events` to `url` with `method`, in order, from a task of its own.
    pub fn new(hooks: Webhooks, account_sid: &str, url: String, method: Method, events: Vec<String>) -> Self {
        let (tx, mut rx) = mpsc::unbounded_channel::<Vec<(String, String)>>();
        tokio::spawn(async move {
            while let Some(params) = rx.recv().await {
                if let Err(e) = hooks.request(&url, method, &params).await {
                    tracing::debug!("status callback: {e}");
                }
            }
        });
        let events = if events.is_empty() {
            vec!["completed".to_owned()]
        } else {
            events
        };
        Self {
            events,
            account_sid: account_sid.to_owned(),
            seq: 0,
            tx,
        }
    }

    /// Reports that `call` reached `status` (`initiated`, `ringing`,
    /// `in-progress`, or a final status, which is the `completed` event).
    pub fn report(&mut self, call: &CallRecord, status: &str) {
        let event = match status {
            "initiated" | "ringing" => status,
            "in-progress" => "answered",
            _ => "completed",
        };
        if !self.events.iter().any(|e| e == event) {
            return;
        }
        let mut p = call.params(&self.account_sid, status);
        p.push(("CallbackSource".into(), "call-progress-events".into()));
        p.push(("SequenceNumber".into(), self.seq.to_string()));
        p.push(("Timestamp".into(), rfc2822(SystemTime::now())));
        if event == "completed" {
            let d = call.duration_secs().to_string();
            p.push(("CallDuration".into(), d.clone()));
            p.push(("Duration".into(), call.duration_secs().div_ceil(60).to_string()));
        }
        self.seq += 1;
        let _ = self.tx.send(p);
    }
}
