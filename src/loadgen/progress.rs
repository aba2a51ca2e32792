//! Live counters of a run and the progress bar that shows them (indicatif),
//! with the server's own gauges sampled from `/metrics` once a second.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::prom::{self, Scrape};

/// Counters updated by the calls as they run.
#[derive(Debug, Default)]
pub struct Live {
    /// Calls placed (or refused at the concurrency cap).
    pub arrivals: AtomicU64,
    /// Calls in progress.
    pub active: AtomicU64,
    /// Most calls in progress at once.
    pub peak_active: AtomicU64,
    /// Calls that ended normally (completed, transferred, caller ended, cut).
    pub ended: AtomicU64,
    /// Calls that failed.
    pub failed: AtomicU64,
    /// Bot frames received.
    pub frames: AtomicU64,
    /// Late bot frames.
    pub late: AtomicU64,
}

impl Live {
    /// A call started.
    pub fn call_started(&self) {
        self.arrivals.fetch_add(1, Relaxed);
        let now = self.active.fetch_add(1, Relaxed) + 1;
        self.peak_active.fetch_max(now, Relaxed);
    }

    /// A call ended.
    pub fn call_ended(&self, failed: bool) {
        self.active.fetch_sub(1, Relaxed);
        if failed {
            self.failed.fetch_add(1, Relaxed);
        } else {
            self.ended.fetch_add(1, Relaxed);
        }
    }

    /// A bot frame arrived.
    pub fn add_frame(&self) {
        self.frames.fetch_add(1, Relaxed);
    }

    /// A late bot frame arrived.
    pub fn add_late(&self) {
        self.late.fetch_add(1, Relaxed);
    }
}

/// The server's resident memory when `calls_ended` calls had ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct RssSample {
    /// Seconds into the run.
    pub at_s: f64,
    /// Calls ended by then (the callers' count).
    pub calls_ended: u64,
    /// Resident memory, MiB.
    pub rss_mib: f64,
}

/// The server's gauges at their highest during the run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Peaks {
    /// `switchboard_active_calls`.
    pub active_calls: f64,
    /// `switchboard_stt_queue_depth{kind="final"}`.
    pub stt_queue_final: f64,
    /// `switchboard_stt_queue_depth{kind="partial"}`.
    pub stt_queue_partial: f64,
    /// Scrapes that failed (the server too busy to answer in 2 s, or gone).
    pub failed_scrapes: u64,
    /// The server's resident memory, sampled every 5 s and at the end.
    pub rss: Vec<RssSample>,
}

impl Peaks {
    fn sample_rss(&mut self, s: &Scrape, started: Instant, calls_ended: u64) {
        let rss = s.sum(telephony::metrics::PROCESS_RSS, &[]);
        if rss > 0.0 {
            self.rss.push(RssSample {
                at_s: started.elapsed().as_secs_f64(),
                calls_ended,
                rss_mib: rss / 1_048_576.0,
            });
        }
    }

    fn update(&mut self, s: &Scrape) {
        self.active_calls = self.active_calls.max(s.sum(prom::ACTIVE_CALLS, &[]));
        self.stt_queue_final = self
            .stt_queue_final
            .max(s.sum(prom::STT_QUEUE_DEPTH, &[("kind", "final")]));
        self.stt_queue_partial = self
            .stt_queue_partial
            .max(s.sum(prom::STT_QUEUE_DEPTH, &[("kind", "partial")]));
    }
}

/// A running progress display.
pub struct Progress {
    stop: watch::Sender<bool>,
    task: JoinHandle<Peaks>,
}

impl Progress {
    /// Shows `label` and the run's counters for a run of `duration`
    /// (hidden when `visible` is false or stderr is not a terminal); samples
    /// `metrics_url` once a second when given.
    pub fn start(
        live: Arc<Live>,
        label: String,
        duration: Duration,
        metrics_url: Option<String>,
        visible: bool,
    ) -> Self {
        let total = duration.as_secs().max(1);
        let bar = if visible {
            ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr())
        } else {
            ProgressBar::hidden()
        };
        let style = ProgressStyle::with_template("{prefix} [{elapsed_precise}] {wide_bar} {pos}/{len} s  {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_prefix(label);
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            let client = reqwest::Client::builder().timeout(Duration::from_secs(2)).build().ok();
            let mut peaks = Peaks::default();
            let started = Instant::now();
            let mut tick = tokio::time::interval(Duration::from_millis(500));
            let mut n: u64 = 0;
            let mut server_active = None;
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = stopped.changed() => break,
                }
                n += 1;
                if n.is_multiple_of(2)
                    && let (Some(c), Some(url)) = (&client, &metrics_url)
                {
                    match prom::fetch(c, url).await {
                        Ok(s) => {
                            peaks.update(&s);
                            if n.is_multiple_of(10) {
                                peaks.sample_rss(&s, started, live.ended.load(Relaxed));
                            }
                            server_active = Some(s.sum(prom::ACTIVE_CALLS, &[]));
                        }
                        Err(_) => peaks.failed_scrapes += 1,
                    }
                }
                let secs = started.elapsed().as_secs();
                bar.set_position(secs.min(total));
                let phase = if secs >= total { "draining · " } else { "" };
                let server = server_active.map_or(String::new(), |a| format!(" · server active {a}"));
                bar.set_message(format!(
                    "{phase}active {} · ended {} · failed {} · bot frames {} (late {}){server}",
                    live.active.load(Relaxed),
                    live.ended.load(Relaxed),
                    live.failed.load(Relaxed),
                    live.frames.load(Relaxed),
                    live.late.load(Relaxed),
                ));
            }
            if let (Some(c), Some(url)) = (&client, &metrics_url)
                && let Ok(s) = prom::fetch(c, url).await
            {
                peaks.update(&s);
                peaks.sample_rss(&s, started, live.ended.load(Relaxed));
            }
            bar.finish_and_clear();
            peaks
        });
        Self { stop, task }
    }

    /// Stops the display; the server's peak gauges.
    pub async fn finish(self) -> Peaks {
        let _ = self.stop.send(true);
        self.task.await.unwrap_or_default()
    }
}
