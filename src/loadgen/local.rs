//! The server under test in this process, when no `--target` is given: the
//! whole stack (private database, models, payer simulator), or for
//! media-only runs a bare echo or silent server with no models and no
//! database.

use std::net::SocketAddr;
use std::sync::Arc;

use telephony::control::directory::{Destination, Hours, Line};
use telephony::twilio::twiml::DialTarget;
use telephony::{AppState, CallMode, ServerConfig};

/// Staff numbers of an in-process run (T1, T2, T3, emergency): reserved
/// 555-01xx fiction numbers, never dialed for real.
const SIMULATED_STAFF: [&str; 4] = ["+15550100901", "+15550100902", "+15550100903", "+15550100911"];
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::runner::Target;
use crate::error::AppError;
use crate::stack::{Stack, StackConfig};

/// A server running in this process.
pub enum LocalServer {
    /// The whole stack (agent mode).
    Stack(Box<Stack>),
    /// A media-only server (echo or silent).
    Media {
        /// Where it listens.
        addr: SocketAddr,
        /// Its state (registry, metrics).
        state: Arc<AppState>,
        /// Signals shutdown.
        stop: oneshot::Sender<()>,
        /// The server task.
        task: JoinHandle<std::io::Result<()>>,
    },
}

impl LocalServer {
    /// Starts the whole stack on a free loopback port. With no staff lines
    /// configured, every line is a simulated number on duty at all hours,
    /// so that transfers are dialed (through the `<Connect action>`, as no
    /// Twilio account is in play) rather than turned into callbacks.
    pub async fn agent(mut cfg: StackConfig) -> Result<Self, AppError> {
        cfg.server.listen = SocketAddr::from(([127, 0, 0, 1], 0));
        cfg.server.mode = CallMode::Agent;
        if cfg.server.staff.is_empty() {
            let dir = std::mem::take(&mut cfg.server.staff);
            cfg.server.staff = [Line::T1, Line::T2, Line::T3, Line::Emergency]
                .into_iter()
                .zip(SIMULATED_STAFF)
                .fold(dir, |d, (line, number)| {
                    d.with(
                        line,
                        Destination {
                            target: DialTarget::parse(number),
                            hours: Hours::always(),
                        },
                    )
                });
        }
        Ok(Self::Stack(Box::new(Stack::start(cfg, Vec::new()).await?)))
    }

    /// Starts a media-only server (`mode` echo or silent) on a free loopback
    /// port, with the other settings of `server`.
    pub async fn media(mut server: ServerConfig, mode: CallMode) -> Result<Self, AppError> {
        if !matches!(mode, CallMode::Echo | CallMode::Silent) {
            return Err(AppError::Other(format!(
                "media-only runs need echo or silent mode, not {mode:?}"
            )));
        }
        server.mode = mode;
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let addr = listener.local_addr()?;
        server.listen = addr;
        let state = AppState::new(server, Vec::new());
        let (stop, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(telephony::serve(listener, state.clone(), async move {
            let _ = rx.await;
        }));
        Ok(Self::Media {
            addr,
            state,
            stop,
            task,
        })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        match self {
            Self::Stack(s) => s.addr,
            Self::Media { addr, .. } => *addr,
        }
    }

    /// The target for the load: media socket, webhook and metrics.
    pub fn target(&self) -> Target {
        Target::from_media_url(&format!("ws://{}/twilio/media", self.addr()), true)
    }

    /// Drains and stops it.
    pub async fn shutdown(self) -> Result<(), AppError> {
        match self {
            Self::Stack(s) => s.shutdown().await,
            Self::Media { stop, task, .. } => {
                let _ = stop.send(());
                task.await.map_err(|e| AppError::Other(e.to_string()))??;
                Ok(())
            }
        }
    }
}
