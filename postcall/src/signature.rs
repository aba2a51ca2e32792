//! Webhook signatures: `X-Switchboard-Signature: t=<unix seconds>,v1=<hex>`,
//! where `v1` is HMAC-SHA256 with the subscription's secret over
//! `"<t>.<body>"`. Binding the timestamp lets receivers reject replays.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The header carrying the signature.
pub const HEADER: &str = "X-Switchboard-Signature";

/// How far a timestamp may be from the receiver's clock by default.
pub const DEFAULT_TOLERANCE_SECS: i64 = 300;

/// Why a signature was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The header is not `t=…,v1=…`.
    #[error("malformed signature header")]
    Malformed,
    /// The timestamp is outside the tolerance (a replay, or a skewed clock).
    #[error("timestamp outside tolerance ({0} s away)")]
    Stale(i64),
    /// No `v1` value matches.
    #[error("signature mismatch")]
    Mismatch,
}

fn mac(secret: &[u8], timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC takes any key length");
    m.update(timestamp.to_string().as_bytes());
    m.update(b".");
    m.update(body);
    m
}

/// The header value for `body` sent at `timestamp` (unix seconds).
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let tag = mac(secret, timestamp, body).finalize().into_bytes();
    format!("t={timestamp},v1={}", functions::ingest::hex(&tag))
}

/// Checks `header` against `body` at receiver time `now` (unix seconds).
/// Several `v1` values (a secret being rotated) are allowed; the comparison
/// is constant-time.
pub fn verify(secret: &[u8], header: &str, body: &[u8], now: i64, tolerance_secs: i64) -> Result<(), SignatureError> {
    let mut t = None;
    let mut sigs = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = Some(v.parse::<i64>().map_err(|_| SignatureError::Malformed)?),
            Some(("v1", v)) => sigs.push(unhex(v).ok_or(SignatureError::Malformed)?),
            Some(_) => {}
            None => return Err(SignatureError::Malformed),
        }
    }
    let t = t.ok_or(SignatureError::Malformed)?;
    if sigs.is_empty() {
        return Err(SignatureError::Malformed);
    }
    if (now - t).abs() > tolerance_secs {
        return Err(SignatureError::Stale(now - t));
    }
    if sigs.iter().any(|s| mac(secret, t, body).verify_slice(s).is_ok()) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_rejections() {
        let body = br#"{"id":"evt_1","type":"call.completed"}"#;
        let h = sign(b"whsec", 1_700_000_000, body);
        assert!(h.starts_with("t=1700000000,v1="));
        assert_eq!(verify(b"whsec", &h, body, 1_700_000_010, 300), Ok(()));
        assert_eq!(
            verify(b"other", &h, body, 1_700_000_010, 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(b"whsec", &h, b"{\"id\":\"evt_2\"}", 1_700_000_010, 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(b"whsec", &h, body, 1_700_000_400, 300),
            Err(SignatureError::Stale(400))
        );
        // A replayed body under a fresh timestamp does not verify.
        let forged = h.replace("t=1700000000", "t=1700000390");
        assert_eq!(
            verify(b"whsec", &forged, body, 1_700_000_400, 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(verify(b"whsec", "v1=zz", body, 0, 300), Err(SignatureError::Malformed));
        assert_eq!(verify(b"whsec", "t=1", body, 1, 300), Err(SignatureError::Malformed));
    }

    #[test]
    fn matches_an_independent_hmac() {
        // HMAC-SHA256(key="key", "The quick brown fox jumps over the lazy dog") is a
        // published test vector; here the message is "<t>.<body>" split at the dot.
        let h = sign(b"key", 0, b"The quick brown fox jumps over the lazy dog");
        let v = h.split("v1=").nth(1).unwrap();
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(b"key").unwrap();
        m.update(b"0.The quick brown fox jumps over the lazy dog");
        assert_eq!(v, functions::ingest::hex(&m.finalize().into_bytes()));
    }
}
