//! `X-Twilio-Signature` validation: base64 of HMAC-SHA1, keyed by the auth
//! token, over the full request URL followed by every POST parameter's name
//! and value, sorted by name.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use sha1::Sha1;

/// Computes the signature Twilio would send for this request.
pub fn compute(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    B64.encode(mac(auth_token, url, params).finalize().into_bytes())
}

/// Checks a signature in constant time.
pub fn validate(auth_token: &str, url: &str, params: &[(String, String)], signature: &str) -> bool {
    let Ok(given) = B64.decode(signature.trim()) else {
        return false;
    };
    mac(auth_token, url, params).verify_slice(&given).is_ok()
}

fn mac(auth_token: &str, url: &str, params: &[(String, String)]) -> Hmac<Sha1> {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut m = Hmac::<Sha1>::new_from_slice(auth_token.as_bytes()).expect("HMAC takes keys of any length");
    m.update(url.as_bytes());
    for (k, v) in sorted {
        m.update(k.as_bytes());
        m.update(v.as_bytes());
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(caller: &str) -> Vec<(String, String)> {
        [
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", caller),
            ("Digits", "1234"),
            ("From", caller),
            ("To", "+18005551212"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    const URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";

    /// The worked examples of Twilio's webhook-security documentation
    /// (two published caller numbers, each with its published signature).
    #[test]
    fn matches_twilio_documented_examples() {
        assert_eq!(
            compute("12345", URL, &params("+14158675310")),
            "GvWf1cFY/Q7PnoempGyD5oXAezc="
        );
        assert_eq!(
            compute("12345", URL, &params("+14158675309")),
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        );
        assert!(validate(
            "12345",
            URL,
            &params("+14158675310"),
            "GvWf1cFY/Q7PnoempGyD5oXAezc="
        ));
    }

    #[test]
    fn rejects_tampering() {
        let sig = "GvWf1cFY/Q7PnoempGyD5oXAezc=";
        let mut p = params("+14158675310");
        assert!(!validate("12346", URL, &p, sig), "wrong token");
        assert!(
            !validate("12345", "https://mycompany.com/myapp.php?foo=1&bar=3", &p, sig),
            "wrong url"
        );
        p[2].1 = "9999".into();
        assert!(!validate("12345", URL, &p, sig), "tampered param");
        assert!(
            !validate("12345", URL, &params("+14158675310"), "not base64!"),
            "garbage"
        );
        assert!(!validate("12345", URL, &params("+14158675310"), ""), "empty");
    }

    #[test]
    fn parameter_order_does_not_matter() {
        let mut p = params("+14158675310");
        p.reverse();
        assert!(validate("12345", URL, &p, "GvWf1cFY/Q7PnoempGyD5oXAezc="));
    }
}
