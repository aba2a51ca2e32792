//! Supervisors' way into live calls: each call task registers a bounded
//! inbox at its start; the console's handlers post guidance, take-over,
//! hand-back and the supervisor's words to it. A full inbox refuses (the
//! call's 20 ms loop never waits on a supervisor).

use std::collections::HashMap;
use std::sync::Mutex;

use tokio::sync::mpsc;

/// 20 ms of a call's mixed audio for a listener.
#[derive(Debug, Clone)]
pub struct ListenFrame {
    /// When the call task produced it.
    pub at: std::time::Instant,
    /// 160 bytes of µ-law (caller and bot mixed).
    pub ulaw: std::sync::Arc<[u8]>,
}

/// Frames a listener's queue holds (one second): a browser leg that falls
/// further behind loses frames, the call never waits for it.
pub const LISTEN_QUEUE: usize = 50;

/// What a supervisor asks of a call.
#[derive(Debug)]
pub enum Command {
    /// An input for the call's dialog.
    Dialog {
        /// What.
        input: dialog::Supervisor,
        /// The supervisor's username.
        by: String,
    },
    /// Send the call's audio (caller and bot mixed) to this listener.
    Listen {
        /// The supervisor's username.
        by: String,
        /// Where the frames go (dropped when full).
        frames: tokio::sync::mpsc::Sender<ListenFrame>,
    },
    /// Barge in: as [`Command::Listen`], and the supervisor's microphone
    /// (20 ms µ-law frames) is played to the caller until `voice` closes.
    Barge {
        /// The supervisor's username.
        by: String,
        /// Where the call's frames go.
        frames: tokio::sync::mpsc::Sender<ListenFrame>,
        /// The supervisor's voice.
        voice: tokio::sync::mpsc::Receiver<Vec<u8>>,
    },
}

/// Voice frames a barging supervisor's queue holds (200 ms).
pub const VOICE_QUEUE: usize = 10;

/// Why a command did not reach its call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Undelivered {
    /// No live call by that id on this server.
    #[error("no such live call")]
    NoSuchCall,
    /// The call's inbox is full.
    #[error("the call is busy; try again")]
    Busy,
}

/// Inboxes of the live calls on this server.
#[derive(Default)]
pub struct Supervision {
    inboxes: Mutex<HashMap<String, mpsc::Sender<Command>>>,
}

/// Commands a call's inbox holds.
const INBOX: usize = 16;

impl Supervision {
    /// The inbox of call `call_sid` (replacing an earlier stream's).
    pub fn register(&self, call_sid: &str) -> mpsc::Receiver<Command> {
        let (tx, rx) = mpsc::channel(INBOX);
        self.inboxes
            .lock()
            .expect("supervision lock")
            .insert(call_sid.to_owned(), tx);
        rx
    }

    /// Forgets call `call_sid`'s inbox.
    pub fn unregister(&self, call_sid: &str) {
        self.inboxes.lock().expect("supervision lock").remove(call_sid);
    }

    /// Posts `cmd` to call `call_sid`.
    pub fn send(&self, call_sid: &str, cmd: Command) -> Result<(), Undelivered> {
        let tx = self
            .inboxes
            .lock()
            .expect("supervision lock")
            .get(call_sid)
            .cloned()
            .ok_or(Undelivered::NoSuchCall)?;
        tx.try_send(cmd).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => Undelivered::Busy,
            mpsc::error::TrySendError::Closed(_) => Undelivered::NoSuchCall,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_reach_the_registered_call_only() {
        let s = Supervision::default();
        let mut rx = s.register("CA1");
        let cmd = || Command::Dialog {
            input: dialog::Supervisor::TakeOver,
            by: "ana".into(),
        };
        assert_eq!(s.send("CA2", cmd()), Err(Undelivered::NoSuchCall));
        s.send("CA1", cmd()).unwrap();
        assert!(matches!(
            rx.try_recv().unwrap(),
            Command::Dialog {
                input: dialog::Supervisor::TakeOver,
                ..
            }
        ));
        for _ in 0..INBOX {
            s.send("CA1", cmd()).unwrap();
        }
        assert_eq!(s.send("CA1", cmd()), Err(Undelivered::Busy));
        s.unregister("CA1");
        assert_eq!(s.send("CA1", cmd()), Err(Undelivered::NoSuchCall));
    }
}
