//! The simulator's shared state: calls (with the channel that redirects or
//! ends a live one), messages, the request log, registered far ends and
//! finished calls' reports.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use tokio::sync::{Notify, mpsc};

use crate::config::SimConfig;
use crate::party::Party;
use crate::records::{CallRecord, MessageRecord, RequestRecord};
use crate::report::SimCallReport;
use crate::twiml::Method;
use crate::webhook::Webhooks;

/// Where the next TwiML comes from.
#[derive(Debug, Clone)]
pub(crate) enum Source {
    /// A document given inline (`Twiml`).
    Inline(String),
    /// A URL to request, with the parameters beyond the call's own.
    Url {
        /// Absolute URL.
        url: String,
        /// How it is requested.
        method: Method,
        /// `DialCallStatus`, … added to the call's parameters.
        extra: Vec<(String, String)>,
    },
}

/// What a REST update asks of a live call.
#[derive(Debug, Clone)]
pub(crate) enum Control {
    /// Stop the current TwiML and run this.
    Redirect(Source),
    /// End the call with this status (`completed` or `canceled`).
    End(&'static str),
}

/// A call and, while it lives, the way to steer it.
pub(crate) struct CallEntry {
    pub record: CallRecord,
    pub control: Option<mpsc::UnboundedSender<Control>>,
}

/// Everything the REST handlers and the call tasks share.
pub(crate) struct Shared {
    pub cfg: SimConfig,
    pub hooks: Webhooks,
    pub calls: Mutex<HashMap<String, CallEntry>>,
    pub messages: Mutex<Vec<MessageRecord>>,
    pub requests: Mutex<Vec<RequestRecord>>,
    pub parties: Mutex<HashMap<String, Party>>,
    pub reports: Mutex<HashMap<String, SimCallReport>>,
    pub finished: Notify,
}

impl Shared {
    /// State for `cfg`.
    pub fn new(cfg: SimConfig) -> Arc<Self> {
        let hooks = Webhooks::new(&cfg.auth_token, cfg.webhook_timeout);
        Arc::new(Self {
            cfg,
            hooks,
            calls: Mutex::default(),
            messages: Mutex::default(),
            requests: Mutex::default(),
            parties: Mutex::default(),
            reports: Mutex::default(),
            finished: Notify::new(),
        })
    }

    /// Registers a new call; the receiver steers it.
    pub fn add_call(&self, record: CallRecord) -> mpsc::UnboundedReceiver<Control> {
        let (tx, rx) = mpsc::unbounded_channel();
        if let Ok(mut calls) = self.calls.lock() {
            calls.insert(
                record.sid.clone(),
                CallEntry {
                    record,
                    control: Some(tx),
                },
            );
        }
        rx
    }

    /// A call's current state.
    pub fn call(&self, sid: &str) -> Option<CallRecord> {
        self.calls.lock().ok()?.get(sid).map(|e| e.record.clone())
    }

    /// Moves a call to `status` (stamping answer and end times); an ended
    /// call can no longer be steered.
    pub fn set_status(&self, sid: &str, status: &str) {
        let Ok(mut calls) = self.calls.lock() else { return };
        let Some(e) = calls.get_mut(sid) else { return };
        // `initiated` is a callback event; the resource stays `queued`.
        if status == "initiated" {
            return;
        }
        let now = SystemTime::now();
        if status == "in-progress" && e.record.started.is_none() {
            e.record.started = Some(now);
        }
        e.record.status = status.to_owned();
        if e.record.is_over() {
            e.record.ended.get_or_insert(now);
            e.control = None;
        }
    }

    /// Keeps a finished call's report and wakes whoever waits for it.
    pub fn finish(&self, report: SimCallReport) {
        if let Ok(mut r) = self.reports.lock() {
            r.insert(report.call_sid.clone(), report);
        }
        self.finished.notify_waiters();
    }

    /// A finished call's report.
    pub fn report(&self, sid: &str) -> Option<SimCallReport> {
        self.reports.lock().ok()?.get(sid).cloned()
    }
}
