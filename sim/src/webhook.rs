//! Requests the simulator makes of the server, each signed as Twilio signs
//! them: `X-Twilio-Signature` over the full URL and the POST parameters
//! (none for GET, whose parameters travel in the query string).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::Url;
use telephony::twilio::signature;

use crate::error::SimError;
use crate::records::WebhookRecord;
use crate::twiml::Method;

/// A Twilio-like HTTP client: signs, times out, records every request.
#[derive(Debug, Clone)]
pub(crate) struct Webhooks {
    http: reqwest::Client,
    auth_token: String,
    log: Arc<Mutex<Vec<WebhookRecord>>>,
}

impl Webhooks {
    /// A client signing with `auth_token`, waiting at most `timeout` for an answer.
    pub fn new(auth_token: &str, timeout: Duration) -> Self {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .user_agent("TwilioProxy/1.1")
            .build()
            .unwrap_or_default();
        Self {
            http,
            auth_token: auth_token.to_owned(),
            log: Arc::default(),
        }
    }

    /// Every request made so far.
    pub fn log(&self) -> Vec<WebhookRecord> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// The signature of a request for `url` with POST `params`.
    pub fn sign(&self, url: &str, params: &[(String, String)]) -> String {
        signature::compute(&self.auth_token, url, params)
    }

    /// Requests `url` with `params`; the body of a 2xx answer.
    pub async fn request(&self, url: &str, method: Method, params: &[(String, String)]) -> Result<String, SimError> {
        let (full, body_params): (String, &[(String, String)]) = match method {
            Method::Post => (url.to_owned(), params),
            Method::Get => (with_query(url, params)?, &[]),
        };
        let sig = self.sign(&full, body_params);
        let mut req = match method {
            Method::Post => self.http.post(&full).form(body_params),
            Method::Get => self.http.get(&full),
        };
        req = req
            .header("X-Twilio-Signature", &sig)
            .header("I-Twilio-Idempotency-Token", crate::ids::new_sid(""));
        let mut record = WebhookRecord {
            method: method.as_str().to_owned(),
            url: full.clone(),
            params: params.to_vec(),
            signature: sig,
            status: None,
        };
        let result = match req.send().await {
            Ok(resp) => {
                let status = resp.status();
                record.status = Some(status.as_u16());
                let text = resp.text().await.unwrap_or_default();
                if status.is_success() {
                    Ok(text)
                } else {
                    Err(SimError::WebhookStatus {
                        url: full,
                        status: status.as_u16(),
                    })
                }
            }
            Err(e) => Err(SimError::Request {
                url: full,
                reason: e.to_string(),
            }),
        };
        if let Ok(mut l) = self.log.lock() {
            l.push(record);
        }
        result
    }
}

/// `url` with `params` appended to its query string.
fn with_query(url: &str, params: &[(String, String)]) -> Result<String, SimError> {
    let mut u = Url::parse(url).map_err(|e| bad(url, e))?;
    if !params.is_empty() {
        u.query_pairs_mut().extend_pairs(params);
    }
    Ok(u.to_string())
}

fn bad(url: &str, e: impl std::fmt::Display) -> SimError {
    SimError::Url {
        url: url.to_owned(),
        reason: e.to_string(),
    }
}

/// Resolves a TwiML URL (absolute, or relative to the document's `base`).
pub(crate) fn resolve(base: &str, url: &str) -> Result<String, SimError> {
    let base = Url::parse(base).map_err(|e| bad(base, e))?;
    let u = base.join(url.trim()).map_err(|e| bad(url, e))?;
    match u.scheme() {
        "http" | "https" | "ws" | "wss" => Ok(u.to_string()),
        s => Err(bad(url, format!("scheme {s} is not http(s) or ws(s)"))),
    }
}

/// A stream URL as the WebSocket is opened (`http` becomes `ws`).
pub(crate) fn websocket_url(base: &str, url: &str) -> Result<String, SimError> {
    let u = resolve(base, url)?;
    Ok(if let Some(rest) = u.strip_prefix("http://") {
        format!("ws://{rest}")
    } else if let Some(rest) = u.strip_prefix("https://") {
        format!("wss://{rest}")
    } else {
        u
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_like_a_browser() {
        let base = "http://127.0.0.1:9/twilio/voice?x=1";
        assert_eq!(resolve(base, "/after").unwrap(), "http://127.0.0.1:9/after");
        assert_eq!(resolve(base, "next").unwrap(), "http://127.0.0.1:9/twilio/next");
        assert_eq!(
            resolve(base, "https://h.example/a?b=1&c=2").unwrap(),
            "https://h.example/a?b=1&c=2"
        );
        assert!(resolve(base, "ftp://h/x").is_err());
        assert!(resolve("not a url", "/x").is_err());
        assert_eq!(
            websocket_url(base, "/twilio/media").unwrap(),
            "ws://127.0.0.1:9/twilio/media"
        );
        assert_eq!(websocket_url(base, "wss://h/m").unwrap(), "wss://h/m");
        assert_eq!(
            with_query("http://h/a?k=1", &[("To".into(), "+1 5".into())]).unwrap(),
            "http://h/a?k=1&To=%2B1+5"
        );
    }
}
