//! Resource SIDs and the timestamps Twilio writes.

use std::time::SystemTime;

/// A new SID: `prefix` and 32 lowercase hex digits (`CA…`, `SM…`).
pub fn new_sid(prefix: &str) -> String {
    format!("{prefix}{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..))
}

/// `t` in RFC 2822, as Twilio writes dates (`Tue, 31 Aug 2010 20:36:28 +0000`).
pub fn rfc2822(t: SystemTime) -> String {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    chrono::DateTime::from_timestamp(secs, 0)
        .unwrap_or_default()
        .format("%a, %d %b %Y %H:%M:%S +0000")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn sids_and_dates() {
        let s = new_sid("CA");
        assert_eq!(s.len(), 34);
        assert!(s[2..].chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(s, new_sid("CA"));
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_283_286_988);
        assert_eq!(rfc2822(t), "Tue, 31 Aug 2010 20:36:28 +0000");
    }
}
