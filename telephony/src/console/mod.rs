//! The supervisor console: sign-in and sessions ([`auth`], [`signin`]), the
//! live board of calls ([`board`], fed by [`run_board`]), the live feeds
//! ([`live`]), supervisors' actions on a call ([`supervise`]) and the page
//! itself ([`page`], plain HTML and JavaScript served from the binary).

pub mod auth;
pub mod board;
pub mod listen;
pub mod live;
pub mod page;
pub mod recording;
pub mod signin;
pub mod supervise;

use std::sync::{Arc, Mutex};

use functions::users::Policy;
use tokio::sync::broadcast;

use crate::server::AppState;

/// Console state shared by its handlers.
pub struct Console {
    /// Sign-in and session rules.
    pub policy: Policy,
    /// The live board.
    pub board: Mutex<board::Board>,
    /// Board changes, for the live feeds.
    pub updates: broadcast::Sender<board::Update>,
}

impl Default for Console {
    fn default() -> Self {
        Self {
            policy: Policy::default(),
            board: Mutex::new(board::Board::default()),
            updates: broadcast::channel(1024).0,
        }
    }
}

/// Keeps the board from the call events until the server stops.
pub async fn run_board(s: Arc<AppState>) {
    let mut rx = s.monitor.subscribe();
    loop {
        tokio::select! {
            ev = rx.recv() => match ev {
                Ok(ev) => {
                    let updates = s.console.board.lock().expect("board lock").apply(&ev);
                    for u in updates {
                        let _ = s.console.updates.send(u);
                    }
                }
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!(missed = n, "console board lagged behind the call events");
                }
                Err(broadcast::error::RecvError::Closed) => break,
            },
            _ = s.hangup.cancelled() => break,
        }
    }
}
