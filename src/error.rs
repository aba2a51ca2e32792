//! Errors of the application wiring.

/// Anything that stops the stack, the demo or the simulated caller.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Database set-up or access.
    #[error(transparent)]
    Db(#[from] functions::DbError),
    /// Model loading or inference.
    #[error(transparent)]
    Model(#[from] models::ModelError),
    /// Sockets and files.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// A call recording: wrong key, tampered, unreadable.
    #[error(transparent)]
    Recording(#[from] media::recording::RecordingError),
    /// The WebSocket to the server.
    #[error("websocket: {0}")]
    Ws(#[from] tokio_tungstenite::tungstenite::Error),
    /// The simulated Twilio, its caller or its voice.
    #[error(transparent)]
    Sim(#[from] twilio_sim::SimError),
    /// Anything else, described.
    #[error("{0}")]
    Other(String),
}
