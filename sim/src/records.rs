//! What tests can read back: the REST requests the server made, the
//! webhooks the simulator made, the calls and messages it holds.

use std::time::SystemTime;

use serde_json::{Value, json};

use crate::ids::rfc2822;

/// One request to the simulated REST API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    /// `GET` or `POST`.
    pub method: String,
    /// The path (`/2010-04-01/Accounts/AC…/Calls.json`).
    pub path: String,
    /// Form or query parameters, in order.
    pub params: Vec<(String, String)>,
    /// The HTTP basic user name given, if any (never the password).
    pub user: Option<String>,
    /// The status answered.
    pub status: u16,
    /// When it arrived.
    pub at: std::time::Instant,
}

impl RequestRecord {
    /// The first value of parameter `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        param(&self.params, name)
    }
}

/// One webhook the simulator requested of the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookRecord {
    /// `GET` or `POST`.
    pub method: String,
    /// The full URL, as signed.
    pub url: String,
    /// The parameters sent.
    pub params: Vec<(String, String)>,
    /// `X-Twilio-Signature` sent.
    pub signature: String,
    /// The HTTP status answered; `None` when no answer came.
    pub status: Option<u16>,
}

impl WebhookRecord {
    /// The first value of parameter `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        param(&self.params, name)
    }
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// A message sent with `POST …/Messages.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRecord {
    /// `SM…`.
    pub sid: String,
    /// Recipient.
    pub to: String,
    /// Sender.
    pub from: String,
    /// Text.
    pub body: String,
    /// When it was created.
    pub created: SystemTime,
}

impl MessageRecord {
    /// The Message resource as Twilio answers it.
    pub fn to_json(&self, account_sid: &str) -> Value {
        let date = rfc2822(self.created);
        let segments = self.body.chars().count().div_ceil(160).max(1);
        json!({
            "sid": self.sid, "account_sid": account_sid, "api_version": "2010-04-01",
            "to": self.to, "from": self.from, "body": self.body,
            "status": "queued", "direction": "outbound-api",
            "num_segments": segments.to_string(), "num_media": "0",
            "date_created": date, "date_updated": date, "date_sent": Value::Null,
            "error_code": Value::Null, "error_message": Value::Null,
            "messaging_service_sid": Value::Null, "price": Value::Null, "price_unit": "USD",
            "uri": format!("/2010-04-01/Accounts/{account_sid}/Messages/{}.json", self.sid),
            "subresource_uris": {"media": format!("/2010-04-01/Accounts/{account_sid}/Messages/{}/Media.json", self.sid)},
        })
    }
}

/// A call as the REST API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecord {
    /// `CA…`.
    pub sid: String,
    /// The parent call of a `<Dial>` leg.
    pub parent_call_sid: Option<String>,
    /// Called party.
    pub to: String,
    /// Calling party.
    pub from: String,
    /// queued, ringing, in-progress, completed, busy, failed, no-answer, canceled.
    pub status: String,
    /// inbound, outbound-api, outbound-dial.
    pub direction: String,
    /// When it was created.
    pub created: SystemTime,
    /// When it was answered.
    pub started: Option<SystemTime>,
    /// When it ended.
    pub ended: Option<SystemTime>,
}

impl CallRecord {
    /// Whether the call has ended.
    pub fn is_over(&self) -> bool {
        matches!(
            self.status.as_str(),
            "completed" | "busy" | "failed" | "no-answer" | "canceled"
        )
    }

    /// Seconds from answer to end (so far).
    pub fn duration_secs(&self) -> u64 {
        match self.started {
            Some(s) => self
                .ended
                .unwrap_or_else(SystemTime::now)
                .duration_since(s)
                .map_or(0, |d| d.as_secs()),
            None => 0,
        }
    }

    /// The parameters Twilio sends about this call in its requests, with
    /// `CallStatus` = `status`.
    pub fn params(&self, account_sid: &str, status: &str) -> Vec<(String, String)> {
        let mut p: Vec<(String, String)> = [
            ("AccountSid", account_sid),
            ("ApiVersion", "2010-04-01"),
            ("CallSid", &self.sid),
            ("CallStatus", status),
            ("Called", &self.to),
            ("Caller", &self.from),
            ("Direction", &self.direction),
            ("From", &self.from),
            ("To", &self.to),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        if let Some(parent) = &self.parent_call_sid {
            p.push(("ParentCallSid".to_owned(), parent.clone()));
        }
        p
    }

    /// The Call resource as Twilio answers it.
    pub fn to_json(&self, account_sid: &str) -> Value {
        let uri = format!("/2010-04-01/Accounts/{account_sid}/Calls/{}.json", self.sid);
        let sub = |s: &str| format!("/2010-04-01/Accounts/{account_sid}/Calls/{}/{s}.json", self.sid);
        let created = rfc2822(self.created);
        let updated = rfc2822(self.ended.or(self.started).unwrap_or(self.created));
        json!({
            "sid": self.sid, "account_sid": account_sid, "api_version": "2010-04-01",
            "parent_call_sid": self.parent_call_sid,
            "to": self.to, "to_formatted": self.to, "from": self.from, "from_formatted": self.from,
            "status": self.status, "direction": self.direction,
            "date_created": created, "date_updated": updated,
            "start_time": self.started.map(rfc2822), "end_time": self.ended.map(rfc2822),
            "duration": self.ended.map(|_| self.duration_secs().to_string()),
            "answered_by": Value::Null, "caller_name": Value::Null, "forwarded_from": Value::Null,
            "group_sid": Value::Null, "phone_number_sid": Value::Null, "queue_time": "0",
            "price": Value::Null, "price_unit": "USD", "trunk_sid": Value::Null,
            "uri": uri,
            "subresource_uris": {
                "notifications": sub("Notifications"), "recordings": sub("Recordings"),
                "streams": sub("Streams"), "events": sub("Events"),
            },
        })
    }
}
