//! Server settings (loaded from file and environment by the binary).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use media::playout::PlayoutConfig;
use media::recording::RecordingKey;

use crate::twilio::codec::Limits;

/// What a call does with the caller's audio.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum CallMode {
    /// Diagnostic: the caller's speech (and key presses, as tones) played back
    /// after a delay; talking over the playback clears it (barge-in).
    #[default]
    Echo,
    /// Listen only: the bot never speaks.
    Silent,
    /// Diagnostic of the speech path: the bot greets, transcribes each caller
    /// utterance (Silero VAD + Whisper) and says it back (Piper). Needs models.
    Repeat,
    /// The voice agent: identity verification, benefits, prior
    /// authorization, side effects and transfers, answered with the
    /// latency-budgeted functions. Needs models and the database.
    Agent,
}

impl std::str::FromStr for CallMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "echo" => Ok(Self::Echo),
            "silent" => Ok(Self::Silent),
            "repeat" => Ok(Self::Repeat),
            "agent" => Ok(Self::Agent),
            other => Err(format!(
                "unknown call mode {other:?} (expected agent, echo, silent or repeat)"
            )),
        }
    }
}

/// Inbound traffic policing per connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policing {
    /// Sustained messages per second allowed (Twilio sends ~50).
    pub messages_per_sec: u32,
    /// Burst allowance above the sustained rate.
    pub burst: u32,
    /// Dropped or invalid messages tolerated before the socket is closed.
    pub max_bad_messages: u32,
    /// Close if no `start` arrives within this time.
    pub start_timeout: Duration,
    /// Close if nothing arrives for this long.
    pub idle_timeout: Duration,
}

impl Default for Policing {
    fn default() -> Self {
        Self {
            messages_per_sec: 200,
            burst: 400,
            max_bad_messages: 500,
            start_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
        }
    }
}

/// Per-call encrypted recording (on when a key is configured).
#[derive(Debug, Clone)]
pub struct RecordingConfig {
    /// Where recordings go: `<dir>/<CALL_SID>.swrec`.
    pub dir: PathBuf,
    /// The key recordings are sealed with.
    pub key: Arc<RecordingKey>,
}

/// Everything the HTTP/WebSocket server needs.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Public base URL (e.g. `https://voice.example.com`) used for TwiML and
    /// signature validation; derived from the `Host` header when absent.
    pub public_url: Option<String>,
    /// Twilio auth token; when set, webhook signatures are enforced.
    pub twilio_auth_token: Option<String>,
    /// Call behaviour.
    pub mode: CallMode,
    /// Echo mode delay.
    pub echo_delay: Duration,
    /// How long live calls may run on after a shutdown signal.
    pub shutdown_grace: Duration,
    /// Outbound pacing.
    pub playout: PlayoutConfig,
    /// Inbound message limits.
    pub limits: Limits,
    /// Inbound policing.
    pub policing: Policing,
    /// Speech recognition model.
    pub stt_model: models::stt::SttModel,
    /// Whether decodes carry the dialog's recognition hint (a verified
    /// caller's medications) as Whisper's prompt.
    pub stt_hint: bool,
    /// Call recording; `None`: calls are not recorded.
    pub recording: Option<RecordingConfig>,
    /// Bearer token for the PHI read API (`/api/calls/{sid}/transcript`);
    /// `None`: that API is off.
    pub api_token: Option<String>,
    /// Staff lines that transfers ring, with their business hours.
    pub staff: crate::control::directory::StaffDirectory,
    /// Twilio's REST API (call updates, messages); `None`: not configured.
    pub twilio_rest: Option<crate::twilio::rest::RestConfig>,
    /// Outbound benefits-verification calls (the dialer); `None`: off.
    pub outbound: Option<crate::outbound::OutboundConfig>,
    /// The address supervisors' browsers reach this server's WebRTC media
    /// at (`None`: the HTTP listener's, or loopback when that is 0.0.0.0).
    pub console_media_ip: Option<std::net::IpAddr>,
    /// Bearer token `/metrics` asks for (`None`: open, for a scraper on a
    /// private network).
    pub metrics_token: Option<String>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: None,
            twilio_auth_token: None,
            mode: CallMode::Echo,
            echo_delay: Duration::from_secs(1),
            shutdown_grace: Duration::from_secs(10),
            playout: PlayoutConfig::default(),
            limits: Limits::default(),
            policing: Policing::default(),
            stt_model: models::stt::SttModel::default(),
            stt_hint: true,
            recording: None,
            api_token: None,
            staff: Default::default(),
            twilio_rest: None,
            outbound: None,
            console_media_ip: None,
            metrics_token: None,
        }
    }
}
