//! The simulator's error type.

/// What went wrong in the simulator, the simulated caller or its voice.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// The media stream's WebSocket.
    #[error("websocket: {0}")]
    Ws(#[from] tokio_tungstenite::tungstenite::Error),
    /// A header for the WebSocket upgrade request is not a valid HTTP header.
    #[error("invalid upgrade header {name:?}: {reason}")]
    Header {
        /// The header's name.
        name: String,
        /// Why it was refused.
        reason: String,
    },
    /// A payer line script could not be read or is inconsistent.
    #[error("payer line script: {0}")]
    Script(String),
    /// flite could not be run or gave unusable audio.
    #[error("voice: {0}")]
    Voice(String),
    /// A WAV file could not be written.
    #[error("writing {path}: {reason}")]
    Wav {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// Binding or serving the simulator's HTTP listener.
    #[error("listener: {0}")]
    Io(#[from] std::io::Error),
    /// A webhook request could not be made (connection refused, timeout).
    #[error("request to {url} failed: {reason}")]
    Request {
        /// The URL requested.
        url: String,
        /// Why.
        reason: String,
    },
    /// A webhook answered with a status other than 2xx.
    #[error("{url} answered HTTP {status}")]
    WebhookStatus {
        /// The URL requested.
        url: String,
        /// The HTTP status.
        status: u16,
    },
    /// A URL in TwiML or configuration that cannot be used.
    #[error("bad URL {url:?}: {reason}")]
    Url {
        /// The URL as given.
        url: String,
        /// Why.
        reason: String,
    },
    /// A TwiML document that cannot be interpreted.
    #[error(transparent)]
    Twiml(#[from] crate::twiml::TwimlError),
}
