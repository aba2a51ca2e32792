//! The simulator's settings: the account, the server's webhooks, the staff
//! lines.

use std::time::Duration;

use crate::party::StaffParty;

/// How the simulated Twilio account is set up.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// `AC…`, the REST user name and the `AccountSid` of every request.
    pub account_sid: String,
    /// Signs webhooks and authenticates REST requests.
    pub auth_token: String,
    /// An API key (`SK…`, secret) also accepted by the REST API.
    pub api_key: Option<(String, String)>,
    /// The number's voice webhook (`http://127.0.0.1:PORT/twilio/voice`).
    pub voice_url: String,
    /// The number's status callback URL (inbound calls; `completed` only,
    /// as Twilio sends for a number's status callback).
    pub status_callback: Option<String>,
    /// Lines a `<Dial>` can reach.
    pub staff: Vec<StaffParty>,
    /// How long a `<Dial>` rings before an answering staff member picks up.
    pub ring_time: Duration,
    /// flite voice of `<Say>` (Twilio's text-to-speech).
    pub say_voice: String,
    /// How long a webhook may take to answer (Twilio: 15 s).
    pub webhook_timeout: Duration,
}

impl SimConfig {
    /// An account with test credentials whose number's voice webhook is `voice_url`.
    pub fn new(voice_url: &str) -> Self {
        Self {
            voice_url: voice_url.to_owned(),
            ..Self::default()
        }
    }
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            account_sid: "AC00000000000000000000000000000001".to_owned(),
            auth_token: "sim-auth-token".to_owned(),
            api_key: None,
            voice_url: "http://127.0.0.1:8080/twilio/voice".to_owned(),
            status_callback: None,
            staff: Vec::new(),
            ring_time: Duration::from_secs(1),
            say_voice: "kal".to_owned(),
            webhook_timeout: Duration::from_secs(15),
        }
    }
}
