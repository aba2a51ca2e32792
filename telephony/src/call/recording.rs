//! Writes a call's encrypted recording off the call task: the session's
//! one-second blocks go down a channel (sending never waits) to a thread of
//! the recording's own, which creates the file, seals each block and syncs
//! it before taking the next.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{SystemTime, UNIX_EPOCH};

use media::recording::{RecordingError, RecordingKey, RecordingWriter};
use metrics::counter;

use crate::config::RecordingConfig;
use crate::metrics as m;

enum Block {
    Data(Vec<i16>),
    Final(Vec<i16>),
}

/// The recording of one call in progress.
pub struct Recorder {
    tx: Option<mpsc::Sender<Block>>,
    thread: Option<JoinHandle<()>>,
}

impl Recorder {
    /// Starts recording `call_id` into `<dir>/<call_id>.swrec`. `None` when
    /// the id cannot name a file or no thread can be started (logged).
    pub fn start(cfg: &RecordingConfig, call_id: &str) -> Option<Self> {
        let Some(name) = media::recording::file_name(call_id) else {
            tracing::warn!("call id unusable as a file name: call not recorded");
            counter!(m::RECORDINGS, "outcome" => "failed").increment(1);
            return None;
        };
        let path = cfg.dir.join(name);
        let key = cfg.key.clone();
        let call_id = call_id.to_owned();
        let started = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let (tx, rx) = mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("recording".into())
            .spawn(move || write_all(&path, &key, &call_id, started, rx));
        match spawned {
            Ok(thread) => Some(Self {
                tx: Some(tx),
                thread: Some(thread),
            }),
            Err(e) => {
                tracing::warn!(error = %e, "recording thread not started: call not recorded");
                counter!(m::RECORDINGS, "outcome" => "failed").increment(1);
                None
            }
        }
    }

    /// Queues a block of interleaved samples; `last` seals the recording.
    /// Never waits.
    pub fn push(&mut self, interleaved: Vec<i16>, last: bool) {
        let Some(tx) = self.tx.as_ref() else {
            return;
        };
        let block = if last {
            Block::Final(interleaved)
        } else {
            Block::Data(interleaved)
        };
        // A failed writer has already reported why.
        let _ = tx.send(block);
        if last {
            self.tx = None;
        }
    }

    /// Waits (off the async runtime) until everything queued is on disk.
    pub async fn close(mut self) {
        self.tx = None;
        if let Some(thread) = self.thread.take() {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
    }
}

fn write_all(path: &Path, key: &Arc<RecordingKey>, call_id: &str, started: u64, rx: mpsc::Receiver<Block>) {
    let opened = create(path).map_err(RecordingError::from);
    let mut writer = match opened.and_then(|f| RecordingWriter::new(f, key, call_id, started)) {
        Ok(w) => w,
        Err(e) => return failed(call_id, &e, "recording not started"),
    };
    for block in rx {
        match block {
            Block::Data(samples) => {
                if let Err(e) = writer.write_chunk(&samples) {
                    return failed(call_id, &e, "recording stopped: it stays incomplete");
                }
            }
            Block::Final(samples) => {
                return match writer.finish(&samples) {
                    Ok(_) => counter!(m::RECORDINGS, "outcome" => "complete").increment(1),
                    Err(e) => failed(call_id, &e, "recording not finished: it stays incomplete"),
                };
            }
        }
    }
    tracing::warn!(call_id, "recording closed without its final block: it stays incomplete");
    counter!(m::RECORDINGS, "outcome" => "incomplete").increment(1);
}

fn failed(call_id: &str, e: &RecordingError, what: &'static str) {
    tracing::warn!(call_id, error = %e, "{what}");
    counter!(m::RECORDINGS, "outcome" => "failed").increment(1);
}

/// Creates the file (readable by the owner only; never over an existing
/// recording) and makes its directory entry durable.
fn create(path: &Path) -> std::io::Result<File> {
    let dir = path.parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
        builder.mode(0o700);
        options.mode(0o600);
    }
    builder.create(&dir)?;
    let file = options.open(path)?;
    File::open(&dir)?.sync_all()?;
    Ok(file)
}
