//! A simulation of Twilio's cloud, for tests and the load generator: the
//! REST subset the server uses (calls created, fetched and redirected,
//! messages sent), TwiML run as Twilio runs it (`<Connect><Stream>`,
//! `<Dial>` with whispers and status callbacks, `<Say>`, `<Play>`,
//! `<Pause>`, `<Redirect>`, `<Hangup>`), signed webhooks and media-stream
//! upgrades, the Media Streams caller itself ([`caller`]) and the people at
//! the far end (staff lines, the parties of outbound calls).
//!
//! Everything runs over loopback: the simulator listens on `127.0.0.1:0`
//! and requests the server's webhooks at the URLs it is given.

pub mod caller;
pub mod payer_line;
pub mod twiml;
pub mod voice;

mod call;
mod config;
mod dial;
mod error;
mod ids;
mod outbound;
mod party;
mod records;
mod report;
mod rest;
mod state;
mod status;
mod stream;
mod webhook;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

pub use config::SimConfig;
pub use error::SimError;
pub use party::{Party, StaffParty};
pub use records::{CallRecord, MessageRecord, RequestRecord, WebhookRecord};
pub use report::{DialRecord, SimCallReport};

use caller::{CallOptions, Step};
use state::{Shared, Source};
use twiml::Method;

/// A running simulated Twilio account: its REST API on loopback, its calls.
pub struct TwilioSim {
    shared: Arc<Shared>,
    addr: SocketAddr,
    server: tokio::task::JoinHandle<()>,
}

impl TwilioSim {
    /// Starts the REST API on `127.0.0.1` (a free port).
    pub async fn start(cfg: SimConfig) -> Result<Self, SimError> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        Self::start_on(listener, cfg)
    }

    /// Starts the REST API on a listener bound beforehand (so the server
    /// can be told the API's address before the simulator is told the
    /// server's webhook URL).
    pub fn start_on(listener: tokio::net::TcpListener, cfg: SimConfig) -> Result<Self, SimError> {
        let shared = Shared::new(cfg);
        let addr = listener.local_addr()?;
        let app = rest::router(shared.clone());
        let server = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::warn!("simulated Twilio API stopped: {e}");
            }
        });
        Ok(Self { shared, addr, server })
    }

    /// The API's base URL (`http://127.0.0.1:PORT`), in place of `https://api.twilio.com`.
    pub fn api_base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The account's settings.
    pub fn config(&self) -> &SimConfig {
        &self.shared.cfg
    }

    /// An inbound call from `from` to `to`: the number's voice webhook is
    /// requested (`CallStatus=ringing`) and its TwiML runs until the call
    /// ends, the caller following `script` on every stream it is connected
    /// to. What the caller lived.
    pub async fn inbound_call(&self, from: &str, to: &str, script: Vec<Step>, opts: CallOptions) -> SimCallReport {
        let record = CallRecord {
            sid: ids::new_sid("CA"),
            parent_call_sid: None,
            to: to.to_owned(),
            from: from.to_owned(),
            status: "ringing".into(),
            direction: "inbound".into(),
            created: SystemTime::now(),
            started: None,
            ended: None,
        };
        let sid = record.sid.clone();
        let mut ctl = self.shared.add_call(record);
        let hook = self.shared.cfg.status_callback.clone().map(|url| {
            status::StatusHook::new(
                self.shared.hooks.clone(),
                &self.shared.cfg.account_sid,
                url,
                Method::Post,
                Vec::new(),
            )
        });
        let first = Source::Url {
            url: self.shared.cfg.voice_url.clone(),
            method: Method::Post,
            extra: Vec::new(),
        };
        call::CallRun::new(self.shared.clone(), &sid, script, opts, hook)
            .run(first, "ringing", &mut ctl)
            .await
    }

    /// Registers who answers calls placed to `number` over the REST API.
    pub fn register_party(&self, number: &str, party: Party) {
        if let Ok(mut p) = self.shared.parties.lock() {
            p.insert(number.to_owned(), party);
        }
    }

    /// Every REST request the server made, in order.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// Every webhook and status callback the simulator requested, in order.
    pub fn webhooks(&self) -> Vec<WebhookRecord> {
        self.shared.hooks.log()
    }

    /// Messages sent.
    pub fn messages(&self) -> Vec<MessageRecord> {
        self.shared.messages.lock().map(|m| m.clone()).unwrap_or_default()
    }

    /// A call as the REST API shows it.
    pub fn call(&self, sid: &str) -> Option<CallRecord> {
        self.shared.call(sid)
    }

    /// Every call, oldest first.
    pub fn calls(&self) -> Vec<CallRecord> {
        let mut v: Vec<CallRecord> = self
            .shared
            .calls
            .lock()
            .map(|c| c.values().map(|e| e.record.clone()).collect())
            .unwrap_or_default();
        v.sort_by_key(|c| c.created);
        v
    }

    /// The report of call `sid` once it has ended, waiting at most `limit`.
    pub async fn wait_report(&self, sid: &str, limit: Duration) -> Option<SimCallReport> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let notified = self.shared.finished.notified();
            if let Some(r) = self.shared.report(sid) {
                return Some(r);
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.shared.report(sid);
            }
        }
    }
}

impl Drop for TwilioSim {
    fn drop(&mut self) {
        self.server.abort();
    }
}
