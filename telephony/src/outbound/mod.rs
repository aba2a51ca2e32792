//! Outbound benefits-verification calls: the settings, the conversations
//! waiting for their call's media stream (a new call, or the same call
//! after digits were played), the TwiML that connects a stream to a job,
//! the dialer that places calls ([`dialer`]) and the writer that keeps a
//! job's row in step with its call ([`progress`]).
//!
//! A waiting conversation lives in this server's memory, and the stream URL
//! in the TwiML is this server's: the call's streams come back here.

pub mod dialer;
pub mod progress;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use dialog::payer_call::PayerCall;
use functions::benefits_verification::DialLimits;
use tokio::sync::Notify;

/// The `<Parameter>` that names the verification job of a stream.
pub const JOB_PARAMETER: &str = "verification";

/// How long a conversation waits for its stream before it is dropped.
const PARKED_TTL: Duration = Duration::from_secs(15 * 60);

/// Who calls, and how much at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundConfig {
    /// The caller ID of verification calls (a number of the account).
    pub caller_id: String,
    /// The provider the calls are made for (said to the rep).
    pub provider: String,
    /// The provider's NPI (keyed into menus, told to reps).
    pub npi: String,
    /// The provider's callback number.
    pub callback_number: String,
    /// Calls at once, overall and per payer line.
    pub limits: DialLimits,
    /// Wait before the first retry (doubling after each attempt).
    pub backoff: Duration,
    /// How often the dialer looks for due jobs (it is also woken on create).
    pub poll: Duration,
    /// Seconds a call rings before it counts as no answer.
    pub ring_secs: u32,
}

impl Default for OutboundConfig {
    fn default() -> Self {
        Self {
            caller_id: String::new(),
            provider: "the pharmacy".into(),
            npi: String::new(),
            callback_number: String::new(),
            limits: DialLimits {
                overall: 4,
                per_line: 2,
            },
            backoff: Duration::from_secs(300),
            poll: Duration::from_secs(5),
            ring_secs: 60,
        }
    }
}

/// Outbound calling state shared by the dialer and the calls.
#[derive(Debug)]
pub struct Outbound {
    /// Settings.
    pub cfg: OutboundConfig,
    parked: Mutex<HashMap<i64, (PayerCall, Instant)>>,
    /// When each verification call started its first stream.
    first_stream: Mutex<HashMap<String, Instant>>,
    wake: Notify,
}

impl Outbound {
    /// Outbound calling with `cfg`.
    pub fn new(cfg: OutboundConfig) -> Self {
        Self {
            cfg,
            parked: Mutex::new(HashMap::new()),
            first_stream: Mutex::new(HashMap::new()),
            wake: Notify::new(),
        }
    }

    /// Keeps `call` until job `id`'s next stream starts.
    pub fn park(&self, id: i64, call: PayerCall) {
        let mut m = self.parked.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        m.retain(|_, (_, at)| now.saturating_duration_since(*at) < PARKED_TTL);
        m.insert(id, (call, now));
    }

    /// The conversation waiting for job `id`'s stream, once.
    pub fn take(&self, id: i64) -> Option<PayerCall> {
        let mut m = self.parked.lock().unwrap_or_else(|e| e.into_inner());
        m.remove(&id).map(|(c, _)| c)
    }

    /// How far into verification call `call_sid` a stream starting `now`
    /// begins (0 for its first stream): the call record keeps one timeline
    /// across the call's streams.
    pub fn stream_offset_ms(&self, call_sid: &str, now: Instant) -> u64 {
        let mut m = self.first_stream.lock().unwrap_or_else(|e| e.into_inner());
        m.retain(|_, at| now.saturating_duration_since(*at) < PARKED_TTL * 4);
        let first = *m.entry(call_sid.to_owned()).or_insert(now);
        now.saturating_duration_since(first).as_millis() as u64
    }

    /// Asks the dialer to look for due jobs now.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Resolves when [`Outbound::wake`] is called.
    pub async fn woken(&self) {
        self.wake.notified().await;
    }
}

/// TwiML that keys in `digits` (if any) and connects the call's media
/// stream to job `job` (`token`: the stream's one-time token).
pub fn stream_twiml(base: &str, job: i64, token: &str, digits: Option<&str>) -> String {
    let ws = base.replacen("https://", "wss://", 1).replacen("http://", "ws://", 1);
    let id = job.to_string();
    let params = [
        (JOB_PARAMETER, id.as_str()),
        (crate::control::tokens::TOKEN_PARAMETER, token),
    ];
    let connect = crate::twilio::twiml::connect_stream(
        &format!("{ws}/twilio/media"),
        Some(&format!("{base}/twilio/stream-ended")),
        &params,
    );
    match digits {
        // A short wait first: the menu may still be talking.
        Some(d) => connect.replacen("<Response>", &format!("<Response><Play digits=\"w{d}\"/>"), 1),
        None => connect,
    }
}

/// The key a job's stream tokens are issued under.
pub fn token_key(job: i64) -> String {
    format!("{JOB_PARAMETER}:{job}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_twiml_names_the_job_and_plays_digits_first() {
        let t = stream_twiml("https://voice.example.com", 42, "tok", Some("123#"));
        assert!(t.contains("<Response><Play digits=\"w123#\"/><Connect"), "{t}");
        assert!(t.contains("wss://voice.example.com/twilio/media"), "{t}");
        assert!(t.contains("name=\"verification\" value=\"42\""), "{t}");
        assert!(t.contains("name=\"token\" value=\"tok\""), "{t}");
        assert!(!stream_twiml("http://127.0.0.1:1", 1, "t", None).contains("Play"));
    }
}
