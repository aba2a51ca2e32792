//! Places the calls: a fixed number at once (ramped up) or arrivals at a
//! rate, scenarios drawn from the mix with a seeded generator, for a
//! duration; calls still running a drain period after it are hung up.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::measure::{CallResult, FrameMeter};
use super::progress::Live;
use super::scenario::{Mix, Scenario};
use crate::caller::{self, CallOptions, CallerIdentity};

/// Where the calls go.
#[derive(Debug, Clone)]
pub struct Target {
    /// Media Streams WebSocket, `ws://host:port/twilio/media`.
    pub media_url: String,
    /// Inbound-call webhook (`http://host:port/twilio/voice`), posted before
    /// each stream as Twilio does; none: streams only.
    pub webhook_url: Option<String>,
    /// Prometheus text endpoint; none: no server figures.
    pub metrics_url: Option<String>,
}

impl Target {
    /// The target of a server at `ws://host:port/twilio/media`, with its
    /// `/metrics` and, when `webhook`, its `/twilio/voice`.
    pub fn from_media_url(media_url: &str, webhook: bool) -> Self {
        let base = media_url
            .strip_prefix("ws://")
            .map(|rest| format!("http://{}", rest.split('/').next().unwrap_or(rest)));
        Self {
            media_url: media_url.to_owned(),
            webhook_url: base.as_ref().filter(|_| webhook).map(|b| format!("{b}/twilio/voice")),
            metrics_url: base.map(|b| format!("{b}/metrics")),
        }
    }
}

/// How calls arrive.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Load {
    /// `calls` at once, started evenly over `ramp_up`; each slot places its
    /// next call when the last ends, until the duration is over.
    Fixed {
        /// Concurrent calls.
        calls: usize,
        /// Time to start them all.
        ramp_up: Duration,
    },
    /// Poisson arrivals at `per_sec`; an arrival when `max_active` calls are
    /// running is refused (counted as skipped).
    Rate {
        /// Mean arrivals per second.
        per_sec: f64,
        /// Concurrency cap.
        max_active: usize,
    },
}

/// One run.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Where.
    pub target: Target,
    /// How calls arrive.
    pub load: Load,
    /// No call starts after this.
    pub duration: Duration,
    /// Calls still running this long after `duration` are hung up
    /// (repeating scenarios are hung up at `duration`).
    pub drain: Duration,
    /// Seed of scenario choice, arrivals and call ids.
    pub seed: u64,
    /// Scenarios and weights.
    pub mix: Mix,
}

/// What a run produced.
#[derive(Debug, Default)]
pub struct RunResults {
    /// Every call placed.
    pub calls: Vec<CallResult>,
    /// Arrivals refused at the concurrency cap.
    pub skipped: u64,
    /// From the first call to the last hang-up.
    pub wall: Duration,
    /// CPU-seconds the callers' own threads used (their runtime,
    /// `loadgen-caller`), so that an in-process server's share of the
    /// process can be told apart.
    pub caller_cpu_s: f64,
}

/// Name of the callers' runtime threads.
pub const CALLER_THREADS: &str = "loadgen-caller";

/// CPU-seconds used so far by this process's threads named `prefix…`.
pub fn threads_cpu_s(prefix: &str) -> f64 {
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return 0.0;
    };
    dir.flatten()
        .filter(|t| std::fs::read_to_string(t.path().join("comm")).is_ok_and(|c| c.starts_with(prefix)))
        .filter_map(|t| std::fs::read_to_string(t.path().join("stat")).ok())
        .filter_map(|stat| telephony::metrics::cpu_seconds(&stat))
        .sum()
}

/// Runs `plan`, counting into `live`. The callers run on a runtime of
/// their own (threads named [`CALLER_THREADS`]), apart from a server in
/// this process.
pub async fn run(plan: &Plan, live: Arc<Live>) -> RunResults {
    let callers = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(std::thread::available_parallelism().map_or(2, |n| n.get()))
        .thread_name(CALLER_THREADS)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            tracing::warn!(error = %e, "no runtime for the callers: they share the server's");
            return place_all(plan, live, &tokio::runtime::Handle::current()).await;
        }
    };
    let mut results = place_all(plan, live, callers.handle()).await;
    results.caller_cpu_s = threads_cpu_s(CALLER_THREADS);
    callers.shutdown_background();
    results
}

async fn place_all(plan: &Plan, live: Arc<Live>, rt: &tokio::runtime::Handle) -> RunResults {
    let start = Instant::now();
    let deadline = start + plan.duration;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap_or_default();
    let ctx = Arc::new(Ctx {
        target: plan.target.clone(),
        http,
        live,
        deadline,
        hard_stop: deadline + plan.drain,
        seed: plan.seed,
    });
    let mut tasks = Vec::new();
    let mut skipped = 0;
    match plan.load {
        Load::Fixed { calls, ramp_up } => {
            for slot in 0..calls {
                let ctx = ctx.clone();
                let mix = plan.mix.clone();
                let at = start + ramp_up.mul_f64(slot as f64 / calls.max(1) as f64);
                tasks.push(rt.spawn(async move {
                    tokio::time::sleep_until(at.into()).await;
                    let mut rng =
                        fastrand::Rng::with_seed(ctx.seed ^ (slot as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
                    let mut out = Vec::new();
                    let mut n = 0u64;
                    while Instant::now() < ctx.deadline {
                        let scenario = mix.pick(&mut rng);
                        let id = ((slot as u64) << 32) | n;
                        out.push(ctx.place(&scenario, id, &mut rng).await);
                        n += 1;
                    }
                    out
                }));
            }
        }
        Load::Rate { per_sec, max_active } => {
            let mut rng = fastrand::Rng::with_seed(plan.seed);
            let mut at = start;
            let mut n = 0u64;
            loop {
                // Exponential inter-arrival times.
                at += Duration::from_secs_f64(-(1.0 - rng.f64()).ln() / per_sec.max(1e-6));
                if at >= deadline {
                    break;
                }
                tokio::time::sleep_until(at.into()).await;
                if ctx.live.active.load(std::sync::atomic::Ordering::Relaxed) as usize >= max_active {
                    skipped += 1;
                    continue;
                }
                let scenario = plan.mix.pick(&mut rng);
                let mut call_rng = fastrand::Rng::with_seed(rng.u64(..));
                let ctx = ctx.clone();
                let id = n;
                n += 1;
                tasks.push(rt.spawn(async move { vec![ctx.place(&scenario, id, &mut call_rng).await] }));
            }
        }
    }
    let mut calls = Vec::new();
    for t in tasks {
        if let Ok(mut r) = t.await {
            calls.append(&mut r);
        }
    }
    RunResults {
        calls,
        skipped,
        wall: start.elapsed(),
        caller_cpu_s: 0.0,
    }
}

struct Ctx {
    target: Target,
    http: reqwest::Client,
    live: Arc<Live>,
    deadline: Instant,
    hard_stop: Instant,
    seed: u64,
}

impl Ctx {
    /// Places one call of `scenario` and measures it.
    async fn place(&self, scenario: &Arc<Scenario>, id: u64, rng: &mut fastrand::Rng) -> CallResult {
        let who = CallerIdentity {
            call_sid: format!("CAload{:08x}{id:012x}", self.seed as u32),
            from: scenario
                .from
                .clone()
                .unwrap_or_else(|| format!("+1555{:07}", rng.u32(..10_000_000))),
            to: "+15550000000".into(),
        };
        self.live.call_started();
        let result = self.call(scenario, &who).await;
        self.live
            .call_ended(matches!(result.outcome, super::measure::Outcome::Failed(_)));
        result
    }

    async fn call(&self, scenario: &Arc<Scenario>, who: &CallerIdentity) -> CallResult {
        if let Some(url) = &self.target.webhook_url {
            let form = [
                ("CallSid", who.call_sid.as_str()),
                ("AccountSid", "ACsimulated"),
                ("From", who.from.as_str()),
                ("To", who.to.as_str()),
                ("Direction", "inbound"),
                ("CallStatus", "ringing"),
            ];
            match self.http.post(url).form(&form).send().await {
                Ok(r) if r.status().is_success() => {}
                Ok(r) => return CallResult::failed(&scenario.name, format!("webhook {}", r.status().as_u16())),
                Err(e) => return CallResult::failed(&scenario.name, format!("webhook: {}", short(&e))),
            }
        }
        let opts = CallOptions {
            record_audio: false,
            hang_up_at: Some(if scenario.repeat { self.deadline } else { self.hard_stop }),
            repeat: scenario.repeat,
            ..CallOptions::default()
        };
        let mut meter = FrameMeter::new(Some(self.live.clone()));
        let started = Instant::now();
        match caller::run_with(&self.target.media_url, who, scenario.steps.clone(), &opts, &mut meter).await {
            Ok(report) => {
                meter.finish();
                CallResult::from_report(scenario, &report, meter, started.elapsed())
            }
            Err(e) => CallResult::failed(&scenario.name, format!("websocket: {e}")),
        }
    }
}

fn short(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect"
    } else {
        "request"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_urls_from_the_media_url() {
        let t = Target::from_media_url("ws://127.0.0.1:8080/twilio/media", true);
        assert_eq!(t.webhook_url.as_deref(), Some("http://127.0.0.1:8080/twilio/voice"));
        assert_eq!(t.metrics_url.as_deref(), Some("http://127.0.0.1:8080/metrics"));
        let t = Target::from_media_url("ws://[::1]:9/x", false);
        assert_eq!(
            (t.webhook_url, t.metrics_url.as_deref()),
            (None, Some("http://[::1]:9/metrics"))
        );
        assert_eq!(Target::from_media_url("wss://x/y", false).metrics_url, None);
    }
}
