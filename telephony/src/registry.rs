//! The registry of live calls: what `GET /api/calls` lists, and where the
//! inbound-call webhook leaves a call's pre-warmed state for its WebSocket.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use serde::Serialize;

/// Direction of a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// A caller dialled us.
    Inbound,
    /// We placed the call.
    Outbound,
}

/// Where a call stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CallState {
    /// Webhook answered; media stream not yet connected.
    Ringing,
    /// Media flowing; caller's turn.
    Listening,
    /// The bot is speaking.
    Speaking,
    /// Closing down.
    Ending,
}

/// One row of `GET /api/calls`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CallInfo {
    /// Call id (Twilio CallSid).
    pub call_id: String,
    /// Media stream id, once connected.
    pub stream_id: Option<String>,
    /// Direction.
    pub direction: Direction,
    /// Caller number.
    pub from: Option<String>,
    /// Called number.
    pub to: Option<String>,
    /// RFC 3339 start time.
    pub started_at: String,
    /// Current state.
    pub state: CallState,
}

struct Entry {
    info: CallInfo,
    prepared_at: Option<Instant>,
}

/// Live calls of this node.
#[derive(Default)]
pub struct CallRegistry {
    calls: Mutex<HashMap<String, Entry>>,
}

/// How long a call announced by the webhook waits for its media stream.
pub const PREPARED_TTL: Duration = Duration::from_secs(60);

impl CallRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Announces a call from the inbound webhook, before its stream connects.
    pub fn prepare(&self, call_id: &str, from: Option<String>, to: Option<String>, now: Instant) {
        let mut calls = self.calls.lock().expect("registry lock");
        calls.retain(|_, e| e.prepared_at.is_none_or(|t| now.duration_since(t) < PREPARED_TTL));
        calls.entry(call_id.to_owned()).or_insert_with(|| Entry {
            info: CallInfo {
                call_id: call_id.to_owned(),
                stream_id: None,
                direction: Direction::Inbound,
                from,
                to,
                started_at: humantime::format_rfc3339_millis(SystemTime::now()).to_string(),
                state: CallState::Ringing,
            },
            prepared_at: Some(now),
        });
    }

    /// Registers a connected stream, completing a prepared entry if the
    /// webhook announced it; returns the call's info.
    pub fn attach(&self, call_id: &str, stream_id: &str, from: Option<String>, to: Option<String>) -> CallInfo {
        let mut calls = self.calls.lock().expect("registry lock");
        let e = calls.entry(call_id.to_owned()).or_insert_with(|| Entry {
            info: CallInfo {
                call_id: call_id.to_owned(),
                stream_id: None,
                direction: Direction::Inbound,
                from: None,
                to: None,
                started_at: humantime::format_rfc3339_millis(SystemTime::now()).to_string(),
                state: CallState::Ringing,
            },
            prepared_at: None,
        });
        e.prepared_at = None;
        e.info.stream_id = Some(stream_id.to_owned());
        e.info.from = e.info.from.take().or(from);
        e.info.to = e.info.to.take().or(to);
        e.info.state = CallState::Listening;
        e.info.clone()
    }

    /// Updates a call's state.
    pub fn set_state(&self, call_id: &str, state: CallState) {
        if let Some(e) = self.calls.lock().expect("registry lock").get_mut(call_id) {
            e.info.state = state;
        }
    }

    /// Forgets a call.
    pub fn remove(&self, call_id: &str) {
        self.calls.lock().expect("registry lock").remove(call_id);
    }

    /// All calls, oldest first.
    pub fn list(&self) -> Vec<CallInfo> {
        let mut v: Vec<CallInfo> = self
            .calls
            .lock()
            .expect("registry lock")
            .values()
            .map(|e| e.info.clone())
            .collect();
        v.sort_by(|a, b| a.started_at.cmp(&b.started_at).then(a.call_id.cmp(&b.call_id)));
        v
    }

    /// Whether call `call_id` is live here (ringing or connected).
    pub fn contains(&self, call_id: &str) -> bool {
        self.calls.lock().expect("registry lock").contains_key(call_id)
    }

    /// Calls with a connected stream.
    pub fn live_count(&self) -> usize {
        self.calls
            .lock()
            .expect("registry lock")
            .values()
            .filter(|e| e.info.stream_id.is_some())
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_then_stream_completes_one_entry() {
        let r = CallRegistry::new();
        let t = Instant::now();
        r.prepare("CA1", Some("+15550100".into()), Some("+15550199".into()), t);
        assert_eq!(r.list()[0].state, CallState::Ringing);
        let info = r.attach("CA1", "MZ1", None, None);
        assert_eq!(info.from.as_deref(), Some("+15550100"));
        assert_eq!(info.state, CallState::Listening);
        assert_eq!(r.list().len(), 1);
        r.set_state("CA1", CallState::Speaking);
        assert_eq!(r.list()[0].state, CallState::Speaking);
        r.remove("CA1");
        assert!(r.list().is_empty());
    }

    #[test]
    fn prepared_calls_that_never_connect_expire() {
        let r = CallRegistry::new();
        let t = Instant::now();
        r.prepare("CA1", None, None, t);
        r.prepare("CA2", None, None, t + PREPARED_TTL + Duration::from_secs(1));
        let ids: Vec<String> = r.list().into_iter().map(|c| c.call_id).collect();
        assert_eq!(ids, vec!["CA2"]);
    }
}
