//! Inbound message policing: a token bucket on the message rate, and a
//! count of dropped messages; too many invalid messages end the call.

use std::time::Instant;

use metrics::counter;

use super::{CallSession, EndReason};
use crate::metrics as m;
use crate::twilio::codec::ProtocolError;

/// Simple token bucket for inbound message policing.
#[derive(Debug, Clone)]
pub(super) struct Bucket {
    rate: f64,
    cap: f64,
    tokens: f64,
    at: Instant,
}

impl Bucket {
    /// A full bucket: `rate` tokens a second, at most `cap`.
    pub(super) fn full(rate: f64, cap: f64, now: Instant) -> Self {
        Self {
            rate,
            cap,
            tokens: cap,
            at: now,
        }
    }

    /// Takes a token, if one has accrued by `now`.
    pub(super) fn take(&mut self, now: Instant) -> bool {
        let dt = now.saturating_duration_since(self.at).as_secs_f64();
        self.at = now;
        self.tokens = (self.tokens + dt * self.rate).min(self.cap);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

impl CallSession {
    pub(super) fn drop_message(&mut self, reason: &'static str, err: Option<&ProtocolError>) {
        counter!(m::PROTOCOL_DROPS, "reason" => reason).increment(1);
        self.bad += 1;
        // The first few drops of a call are logged in full, then every 100th.
        if self.bad <= 5 || self.bad.is_multiple_of(100) {
            match err {
                Some(e) => {
                    tracing::warn!(reason, error = %e, dropped = self.bad, "inbound message dropped")
                }
                None => tracing::warn!(reason, dropped = self.bad, "inbound message dropped"),
            }
        }
        if self.bad > self.cfg.policing.max_bad_messages {
            self.end(EndReason::Abuse, 1008, "too many invalid messages");
        }
    }
}
