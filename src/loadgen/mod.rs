//! `switchboard loadgen`: many simulated Twilio calls at once over real
//! WebSockets against a server (in this process or at `--target`), each
//! speaking rendered audio on a real-time clock ([`crate::caller`]); it
//! measures what the callers experience (turn and barge-in latency, bot-frame
//! jitter and late frames, dropped calls) and the server's own per-stage
//! figures (scraped `/metrics` before and after), and reports percentiles, a
//! JSON file and an SVG plot. `--find-capacity` steps the concurrency up
//! until a latency budget breaks.
//!
//! Modules, one concept each: [`scenario`] (file format, rendering, mix),
//! [`runner`] (arrivals, concurrency, duration), [`measure`] (one call's
//! figures), [`prom`] (scrape, difference, bucket percentiles), [`stats`]
//! (percentiles), [`report`] (figures, budgets, JSON), [`text`] (table), [`plot`] (SVG), [`progress`]
//! (live bar), [`capacity`] (the search), [`local`] (in-process server),
//! [`verifications`] (outbound verification calls at volume), [`cli`] (the
//! subcommand).

pub mod capacity;
pub mod cli;
pub mod local;
pub mod measure;
pub mod plot;
pub mod progress;
pub mod prom;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod stats;
pub mod text;
pub mod verifications;

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use crate::error::AppError;
use progress::{Live, Progress};
use report::{Limits, Report, RunConfig};
use runner::Plan;

/// Anything that stops a load run.
#[derive(Debug, thiserror::Error)]
pub enum LoadgenError {
    /// A scenario file or recording is unusable.
    #[error("scenario: {0}")]
    Scenario(String),
    /// An HTTP request to the server failed.
    #[error("http: {0}")]
    Http(String),
    /// The plot could not be drawn.
    #[error("plot: {0}")]
    Plot(String),
    /// Writing the report.
    #[error("report: {0}")]
    Report(String),
    /// Invalid options.
    #[error("{0}")]
    Usage(String),
    /// A verification run's own machinery: the simulator's runtime and
    /// socket, the database, a job that vanished.
    #[error("verification run: {0}")]
    Verification(String),
    /// Starting the server in process, rendering speech, sockets.
    #[error(transparent)]
    App(#[from] AppError),
    /// The simulated caller's voice or WebSocket.
    #[error(transparent)]
    Sim(#[from] twilio_sim::SimError),
}

/// Places `calls` calls of `plan`'s mix one after another, unmeasured.
pub async fn warm_up(plan: &Plan, calls: usize) {
    let warm = Plan {
        load: runner::Load::Fixed {
            calls: 1,
            ramp_up: Duration::ZERO,
        },
        // A slot places calls until the duration is over: one, then stop
        // (a call lasts far longer than this).
        duration: Duration::from_millis(500),
        ..plan.clone()
    };
    for _ in 0..calls {
        let r = runner::run(&warm, Arc::new(Live::default())).await;
        tracing::info!(calls = r.calls.len(), "warm-up call placed");
    }
}

/// Runs `plan` once with a progress bar (when `show_progress`), scraping
/// the server's `/metrics` before and after, and builds the report.
pub async fn measure(plan: &Plan, config: RunConfig, limits: &Limits, show_progress: bool) -> Report {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap_or_default();
    let metrics_url = plan.target.metrics_url.clone();
    let before = match &metrics_url {
        Some(u) => prom::fetch(&http, u).await.ok(),
        None => None,
    };
    let live = Arc::new(Live::default());
    let label = match config.rate {
        Some(r) => format!("{r}/s"),
        None => format!("{} calls", config.calls),
    };
    let bar = Progress::start(live.clone(), label, plan.duration, metrics_url.clone(), show_progress);
    let results = runner::run(plan, live.clone()).await;
    let peaks = bar.finish().await;
    // Let the server record the last calls' ends before the second scrape.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after = match &metrics_url {
        Some(u) => prom::fetch(&http, u).await.ok(),
        None => None,
    };
    // The callers' threads are only in the server's process when it runs here.
    let caller_cpu_s = if config.in_process { results.caller_cpu_s } else { 0.0 };
    let server = match (before, after) {
        (Some(b), Some(a)) => {
            let diff = a.since(&b);
            let cpu = report::cpu_figures(&diff, caller_cpu_s);
            let memory = report::memory_figures(&b, &a);
            Some(report::server_figures(&diff, peaks, cpu, memory))
        }
        _ => None,
    };
    report::build(config, &results, server, live.peak_active.load(Relaxed), limits)
}
