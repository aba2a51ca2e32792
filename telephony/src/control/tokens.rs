//! One-time stream tokens: the signed voice webhook issues one per call and
//! passes it to Twilio as a `<Stream>` `<Parameter>`; the media stream must
//! present it in its `start` message, once, within a minute. A stream that
//! was not started by a signed webhook, or a replayed one, has no valid token.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long an issued token stays valid.
pub const TOKEN_TTL: Duration = Duration::from_secs(120);

/// The `<Parameter>` name that carries the token.
pub const TOKEN_PARAMETER: &str = "token";

/// Issued, unredeemed tokens.
#[derive(Debug, Default)]
pub struct StreamTokens {
    issued: Mutex<HashMap<String, (String, Instant)>>,
}

/// 128 random bits, hex.
pub fn random_hex() -> String {
    let mut b = [0u8; 16];
    if getrandom::fill(&mut b).is_err() {
        // No OS randomness: a token nobody can guess is impossible; one
        // nobody will present is the safe failure.
        return String::new();
    }
    b.iter().map(|x| format!("{x:02x}")).collect()
}

impl StreamTokens {
    /// A new token for `call_sid`.
    pub fn issue(&self, call_sid: &str, now: Instant) -> String {
        let token = random_hex();
        let mut m = self.issued.lock().unwrap_or_else(|e| e.into_inner());
        m.retain(|_, (_, at)| now.saturating_duration_since(*at) < TOKEN_TTL);
        if !token.is_empty() {
            m.insert(token.clone(), (call_sid.to_owned(), now));
        }
        token
    }

    /// Whether `token` was issued for `call_sid` and is still fresh; it
    /// cannot be used again either way.
    pub fn redeem(&self, token: &str, call_sid: &str, now: Instant) -> bool {
        let mut m = self.issued.lock().unwrap_or_else(|e| e.into_inner());
        match m.remove(token) {
            Some((sid, at)) => sid == call_sid && now.saturating_duration_since(at) < TOKEN_TTL,
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_works_once_for_its_call_while_fresh() {
        let t = StreamTokens::default();
        let now = Instant::now();
        let a = t.issue("CA1", now);
        assert_eq!(a.len(), 32);
        assert!(!t.redeem(&a, "CA2", now), "another call's token");
        // A failed redemption still spends it.
        assert!(!t.redeem(&a, "CA1", now));
        let b = t.issue("CA1", now);
        assert_ne!(a, b);
        assert!(t.redeem(&b, "CA1", now + Duration::from_secs(1)));
        assert!(!t.redeem(&b, "CA1", now + Duration::from_secs(2)), "replayed");
        let c = t.issue("CA1", now);
        assert!(!t.redeem(&c, "CA1", now + TOKEN_TTL), "expired");
        assert!(!t.redeem("", "CA1", now));
    }
}
