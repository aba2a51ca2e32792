//! Twilio's REST API, the subset the server uses: create, update and fetch
//! Calls, create Messages. Form-encoded requests with HTTP basic auth (the
//! account SID and auth token, or an API key and its secret), a timeout per
//! request, and retries with backoff on 429 and 5xx. Errors say what Twilio
//! answered (its error code and message).

use std::time::Duration;

use serde::Deserialize;

/// Default API base.
pub const TWILIO_API_BASE: &str = "https://api.twilio.com";

/// How requests are authenticated.
#[derive(Clone, PartialEq, Eq)]
pub enum RestAuth {
    /// The account's auth token (the account SID is the user name).
    AuthToken(String),
    /// An API key (`SK…`) and its secret.
    ApiKey {
        /// Key SID.
        sid: String,
        /// Key secret.
        secret: String,
    },
}

impl std::fmt::Debug for RestAuth {
    /// Never prints the secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::AuthToken(_) => f.write_str("AuthToken(..)"),
            Self::ApiKey { sid, .. } => write!(f, "ApiKey({sid}, ..)"),
        }
    }
}

/// Settings of the REST client.
#[derive(Debug, Clone)]
pub struct RestConfig {
    /// `https://api.twilio.com`, or a stand-in (the simulator).
    pub api_base: String,
    /// `AC…`.
    pub account_sid: String,
    /// Credentials.
    pub auth: RestAuth,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Retries after the first attempt (429, 5xx, connection failures).
    pub retries: u32,
    /// First backoff; doubled each retry.
    pub backoff: Duration,
}

impl RestConfig {
    /// Settings for `account_sid` with `auth` against `api_base`, with the
    /// default timeout (5 s) and retries (3, from 250 ms).
    pub fn new(api_base: &str, account_sid: &str, auth: RestAuth) -> Self {
        Self {
            api_base: api_base.trim_end_matches('/').to_owned(),
            account_sid: account_sid.to_owned(),
            auth,
            timeout: Duration::from_secs(5),
            retries: 3,
            backoff: Duration::from_millis(250),
        }
    }
}

/// A REST request failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RestError {
    /// Twilio answered with an error.
    #[error("Twilio answered {status} (error {code:?}): {message}")]
    Twilio {
        /// HTTP status.
        status: u16,
        /// Twilio's error code (20404, 21211, ...), when given.
        code: Option<i64>,
        /// Twilio's message.
        message: String,
    },
    /// No answer (connection refused, timed out, reset), after every retry.
    #[error("Twilio unreachable after {attempts} attempts: {detail}")]
    Unreachable {
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        detail: String,
    },
    /// The answer was not the JSON resource expected.
    #[error("unexpected answer from Twilio: {0}")]
    Malformed(String),
}

impl RestError {
    /// Whether the live call no longer exists (or already ended): Twilio's
    /// 20404, or 21220 "call is not in-progress".
    pub fn call_gone(&self) -> bool {
        matches!(
            self,
            Self::Twilio {
                code: Some(20404 | 21220),
                ..
            } | Self::Twilio { status: 404, .. }
        )
    }
}

/// A Call resource (the fields the server reads).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CallResource {
    /// `CA…`.
    pub sid: String,
    /// queued, ringing, in-progress, completed, busy, failed, no-answer, canceled.
    pub status: String,
    /// inbound, outbound-api, outbound-dial.
    #[serde(default)]
    pub direction: Option<String>,
    /// Called party.
    #[serde(default)]
    pub to: Option<String>,
    /// Calling party.
    #[serde(default)]
    pub from: Option<String>,
}

/// A Message resource (the fields the server reads).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MessageResource {
    /// `SM…`.
    pub sid: String,
    /// queued, sent, delivered, failed, ...
    pub status: String,
}

/// What to do with a live call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallUpdate {
    /// Run this TwiML now (the current TwiML stops).
    Twiml(String),
    /// Fetch TwiML from this URL (POST) and run it.
    Url(String),
    /// Hang up.
    Complete,
}

/// A call to place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCall {
    /// Who to call.
    pub to: String,
    /// The caller ID (a number of the account).
    pub from: String,
    /// The TwiML to run once answered.
    pub twiml: String,
    /// Where status callbacks go.
    pub status_callback: Option<String>,
    /// Seconds to ring.
    pub timeout_secs: Option<u32>,
}

/// The REST client.
#[derive(Debug, Clone)]
pub struct TwilioRest {
    http: reqwest::Client,
    cfg: RestConfig,
}

#[derive(Deserialize)]
struct ErrorBody {
    code: Option<i64>,
    message: Option<String>,
}

impl TwilioRest {
    /// A client with these settings.
    pub fn new(cfg: RestConfig) -> Self {
        let http = reqwest::Client::builder()
            .timeout(cfg.timeout)
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Self { http, cfg }
    }

    /// The account this client acts for.
    pub fn account_sid(&self) -> &str {
        &self.cfg.account_sid
    }

    fn url(&self, tail: &str) -> String {
        format!(
            "{}/2010-04-01/Accounts/{}/{tail}",
            self.cfg.api_base, self.cfg.account_sid
        )
    }

    /// Redirects or ends a live call.
    pub async fn update_call(&self, call_sid: &str, update: &CallUpdate) -> Result<CallResource, RestError> {
        let form: Vec<(&str, &str)> = match update {
            CallUpdate::Twiml(t) => vec![("Twiml", t.as_str())],
            CallUpdate::Url(u) => vec![("Url", u.as_str()), ("Method", "POST")],
            CallUpdate::Complete => vec![("Status", "completed")],
        };
        // Updating a call is idempotent: safe to retry.
        self.send(
            reqwest::Method::POST,
            &self.url(&format!("Calls/{call_sid}.json")),
            &form,
            true,
        )
        .await
    }

    /// Fetches a call.
    pub async fn fetch_call(&self, call_sid: &str) -> Result<CallResource, RestError> {
        self.send(
            reqwest::Method::GET,
            &self.url(&format!("Calls/{call_sid}.json")),
            &[],
            true,
        )
        .await
    }

    /// Places a call. Not retried on 5xx (Twilio may have placed it); 429
    /// and connection failures are retried.
    pub async fn create_call(&self, call: &NewCall) -> Result<CallResource, RestError> {
        let timeout = call.timeout_secs.map(|t| t.to_string());
        let mut form: Vec<(&str, &str)> = vec![("To", &call.to), ("From", &call.from), ("Twiml", &call.twiml)];
        if let Some(cb) = &call.status_callback {
            form.push(("StatusCallback", cb));
            for ev in ["initiated", "ringing", "answered", "completed"] {
                form.push(("StatusCallbackEvent", ev));
            }
        }
        if let Some(t) = &timeout {
            form.push(("Timeout", t));
        }
        self.send(reqwest::Method::POST, &self.url("Calls.json"), &form, false)
            .await
    }

    /// Sends an SMS. Not retried on 5xx (it may have been sent).
    pub async fn send_message(&self, to: &str, from: &str, body: &str) -> Result<MessageResource, RestError> {
        let form = [("To", to), ("From", from), ("Body", body)];
        self.send(reqwest::Method::POST, &self.url("Messages.json"), &form, false)
            .await
    }

    async fn send<T: serde::de::DeserializeOwned>(
        &self,
        method: reqwest::Method,
        url: &str,
        form: &[(&str, &str)],
        retry_5xx: bool,
    ) -> Result<T, RestError> {
        let (user, pass) = match &self.cfg.auth {
            RestAuth::AuthToken(t) => (self.cfg.account_sid.as_str(), t.as_str()),
            RestAuth::ApiKey { sid, secret } => (sid.as_str(), secret.as_str()),
        };
        let mut delay = self.cfg.backoff;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut req = self.http.request(method.clone(), url).basic_auth(user, Some(pass));
            if !form.is_empty() {
                req = req.form(form);
            }
            let last = attempt > self.cfg.retries;
            match req.send().await {
                Ok(resp) => {
                    let status = resp.status();
                    let body = resp.text().await.unwrap_or_default();
                    if status.is_success() {
                        return serde_json::from_str(&body).map_err(|e| RestError::Malformed(e.to_string()));
                    }
                    let retryable = status.as_u16() == 429 || (retry_5xx && status.is_server_error());
                    if !retryable || last {
                        let parsed: Option<ErrorBody> = serde_json::from_str(&body).ok();
                        return Err(RestError::Twilio {
                            status: status.as_u16(),
                            code: parsed.as_ref().and_then(|b| b.code),
                            message: parsed
                                .and_then(|b| b.message)
                                .unwrap_or_else(|| body.chars().take(200).collect()),
                        });
                    }
                    tracing::warn!(status = status.as_u16(), attempt, "Twilio REST retry");
                }
                Err(e) => {
                    // A request that may have reached Twilio is not repeated
                    // unless repeating it is harmless.
                    let maybe_sent = !e.is_connect();
                    if last || (maybe_sent && !retry_5xx) {
                        return Err(RestError::Unreachable {
                            attempts: attempt,
                            detail: e.to_string(),
                        });
                    }
                    tracing::warn!(error = %e, attempt, "Twilio REST retry");
                }
            }
            tokio::time::sleep(delay).await;
            delay *= 2;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use axum::extract::State;
    use axum::http::{HeaderMap, StatusCode};
    use axum::routing::post;

    use super::*;

    /// A stand-in API on loopback that fails `fail` times with `status`, then
    /// answers a call resource; records the auth header and form.
    type Seen = Arc<std::sync::Mutex<Vec<String>>>;

    async fn api(fail: usize, status: u16) -> (String, Arc<AtomicUsize>, Seen) {
        let hits = Arc::new(AtomicUsize::new(0));
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let st = (hits.clone(), seen.clone());
        let app =
            axum::Router::new()
                .route(
                    "/2010-04-01/Accounts/{acct}/Calls/{sid}",
                    post(
                        move |State((hits, seen)): State<(Arc<AtomicUsize>, Seen)>,
                              headers: HeaderMap,
                              body: String| async move {
                            let n = hits.fetch_add(1, Ordering::SeqCst);
                            let auth = headers.get("authorization").and_then(|h| h.to_str().ok()).unwrap_or("");
                            seen.lock().unwrap().push(format!("{auth} {body}"));
                            if n < fail {
                                return (
                                    StatusCode::from_u16(status).unwrap(),
                                    r#"{"code":20500,"message":"Internal Server Error","status":500}"#.to_owned(),
                                );
                            }
                            (
                                StatusCode::OK,
                                r#"{"sid":"CA1","status":"in-progress","direction":"inbound"}"#.to_owned(),
                            )
                        },
                    ),
                )
                .with_state(st);
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", l.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(l, app).await });
        (url, hits, seen)
    }

    fn client(base: &str) -> TwilioRest {
        let mut cfg = RestConfig::new(base, "AC123", RestAuth::AuthToken("secret".into()));
        cfg.backoff = Duration::from_millis(5);
        cfg.retries = 2;
        TwilioRest::new(cfg)
    }

    #[tokio::test]
    async fn update_retries_5xx_then_succeeds_with_basic_auth_and_form() {
        let (base, hits, seen) = api(2, 503).await;
        let r = client(&base)
            .update_call("CA1", &CallUpdate::Twiml("<Response/>".into()))
            .await
            .unwrap();
        assert_eq!(r.status, "in-progress");
        assert_eq!(hits.load(Ordering::SeqCst), 3);
        let first = seen.lock().unwrap()[0].clone();
        // base64("AC123:secret")
        assert!(first.starts_with("Basic QUMxMjM6c2VjcmV0 "), "{first}");
        assert!(first.ends_with("Twiml=%3CResponse%2F%3E"), "{first}");
    }

    #[tokio::test]
    async fn errors_say_what_twilio_answered() {
        let (base, hits, _) = api(10, 500).await;
        let e = client(&base)
            .update_call("CA1", &CallUpdate::Complete)
            .await
            .unwrap_err();
        assert_eq!(hits.load(Ordering::SeqCst), 3, "first try and two retries");
        match e {
            RestError::Twilio { status, code, message } => {
                assert_eq!(
                    (status, code, message.as_str()),
                    (500, Some(20500), "Internal Server Error")
                );
            }
            other => panic!("{other:?}"),
        }
        let (base, hits, _) = api(10, 404).await;
        let e = client(&base)
            .update_call("CA1", &CallUpdate::Complete)
            .await
            .unwrap_err();
        assert_eq!(hits.load(Ordering::SeqCst), 1, "4xx is not retried");
        assert!(e.call_gone());
    }

    #[tokio::test]
    async fn an_unreachable_api_is_reported_after_retries() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", l.local_addr().unwrap());
        drop(l);
        let e = client(&base).fetch_call("CA1").await.unwrap_err();
        assert!(matches!(e, RestError::Unreachable { attempts: 3, .. }), "{e:?}");
    }
}
