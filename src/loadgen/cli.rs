//! The `loadgen` subcommand: options, scenario mix, the server under test
//! (in process unless `--target`), one run or a capacity search, and the
//! table, JSON report and plot.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use telephony::CallMode;

use super::LoadgenError;
use super::capacity::{self, Search};
use super::local::LocalServer;
use super::report::{self, Limits, RunConfig};
use super::runner::{Load, Plan, Target};
use super::scenario::{self, Mix, Renderer, Scenario};
use crate::stack::StackConfig;

/// `switchboard loadgen` options.
#[derive(Debug, Clone, clap::Args)]
pub struct LoadgenArgs {
    /// Media Streams WebSocket of a running server; none: the server runs in
    /// this process (the whole stack with its private database, or with
    /// --media-only an echo/silent server).
    #[arg(long)]
    pub target: Option<String>,
    /// Inbound-call webhook to POST before each stream (as Twilio does);
    /// in-process runs always use theirs.
    #[arg(long)]
    pub webhook: Option<String>,
    /// Prometheus endpoint of the target (default: /metrics on its host).
    #[arg(long)]
    pub metrics: Option<String>,
    /// Concurrent calls (with --rate: the concurrency cap; default 10,000 then).
    #[arg(long)]
    pub calls: Option<usize>,
    /// Poisson arrivals per second instead of a fixed concurrency.
    #[arg(long)]
    pub rate: Option<f64>,
    /// Seconds during which calls are started.
    #[arg(long, default_value_t = 20.0)]
    pub duration: f64,
    /// Seconds to start all calls over (default: 10 ms per call).
    #[arg(long)]
    pub ramp_up: Option<f64>,
    /// Calls still running this many seconds after --duration are hung up.
    #[arg(long, default_value_t = 120.0)]
    pub drain: f64,
    /// Scenario in the mix, NAME or NAME=WEIGHT (repeatable; default: every
    /// scenario in --scenarios with its own weight).
    #[arg(long = "scenario")]
    pub scenarios_mix: Vec<String>,
    /// Directory of scenario files.
    #[arg(long = "scenarios", default_value = "data/scenarios")]
    pub scenarios_dir: PathBuf,
    /// A WAV recording the caller says (repeatable, in order): a scenario
    /// `wav` that waits for the bot between them.
    #[arg(long)]
    pub wav: Vec<PathBuf>,
    /// Seed of the scenario draw, arrivals and caller numbers.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Measure the media plane alone: an echo (or silent) server, the
    /// `media-only` scenario repeated until the end of --duration.
    #[arg(long)]
    pub media_only: bool,
    /// Server mode of an in-process media-only run: echo or silent.
    #[arg(long, default_value = "echo")]
    pub media_mode: String,
    /// Step the concurrency up from --calls until a budget breaks.
    #[arg(long)]
    pub find_capacity: bool,
    /// Largest concurrency the search tries.
    #[arg(long, default_value_t = 4096)]
    pub max_calls: usize,
    /// Concurrency added per search step (0: double).
    #[arg(long, default_value_t = 0)]
    pub step: usize,
    /// Bisection rounds after the search first breaks a budget.
    #[arg(long, default_value_t = 2)]
    pub refine: usize,
    /// Budget: caller turn latency p95, ms.
    #[arg(long, default_value_t = 700.0)]
    pub max_turn_p95_ms: f64,
    /// Target: caller turn latency p50, ms (reported, does not gate).
    #[arg(long, default_value_t = 350.0)]
    pub max_turn_p50_ms: f64,
    /// Budget: bot-frame jitter p99.9, ms.
    #[arg(long, default_value_t = 20.0)]
    pub max_jitter_ms: f64,
    /// Budget: late bot frames, percent.
    #[arg(long, default_value_t = 0.1)]
    pub max_late_pct: f64,
    /// Budget: dropped calls, percent.
    #[arg(long, default_value_t = 1.0)]
    pub max_failed_pct: f64,
    /// In-process payer simulator: share of slow (4 s) answers.
    #[arg(long, default_value_t = 0.0)]
    pub sim_slow_rate: f64,
    /// In-process payer simulator: share of 503 answers.
    #[arg(long, default_value_t = 0.0)]
    pub sim_failure_rate: f64,
    /// Write the report as JSON here (the plot goes next to it, `.svg`).
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Where the plot goes without --json.
    #[arg(long, default_value = "loadgen-latency.svg")]
    pub plot: PathBuf,
    /// Calls placed one after another before the measured run (not
    /// counted): the server's first calls pay its warm-up (model arenas,
    /// buffers), which a long-running server has behind it.
    #[arg(long, default_value_t = 0)]
    pub warmup: usize,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
    /// Outbound benefits verifications instead of inbound calls: this many
    /// jobs queued at once against simulated payer lines (server in process).
    #[arg(long)]
    pub verifications: Option<usize>,
    /// Payer line scripts the verifications call, in turn.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "acme_provider,heldout_summit,heldout_northway"
    )]
    pub payer_lines: Vec<String>,
    /// Where the payer line scripts are.
    #[arg(long, default_value = "data/payer_lines")]
    pub payer_line_dir: PathBuf,
    /// The dialer's cap on verification calls at once.
    #[arg(long, default_value_t = 4)]
    pub verify_max_calls: i64,
    /// The dialer's cap on calls at once to one payer line.
    #[arg(long, default_value_t = 2)]
    pub per_line: i64,
    /// Seconds of hold on the verification call measured alone first (0: none).
    #[arg(long, default_value_t = 60.0)]
    pub hold_secs: f64,
}

/// Runs the subcommand; `stack` is how to start the server in process.
pub async fn main(args: LoadgenArgs, mut stack: StackConfig) -> Result<(), LoadgenError> {
    if let Some(count) = args.verifications {
        let load = super::verifications::VerifyLoad {
            count,
            lines: args.payer_lines.clone(),
            dir: args.payer_line_dir.clone(),
            limits: functions::benefits_verification::DialLimits {
                overall: args.verify_max_calls,
                per_line: args.per_line,
            },
            hold_secs: args.hold_secs,
            limit: Duration::from_secs(3 * 3600),
        };
        let report = super::verifications::run(&load, stack).await?;
        println!("{}", super::verifications::table(&report));
        if let Some(path) = &args.json {
            super::verifications::write_json(&report, path)?;
        }
        return Ok(());
    }
    let mix = build_mix(&args)?;
    let local = match &args.target {
        Some(_) => None,
        None if args.media_only => {
            let mode: CallMode = args.media_mode.parse().map_err(LoadgenError::Usage)?;
            Some(LocalServer::media(stack.server.clone(), mode).await?)
        }
        None => {
            eprintln!("starting the server in process (database, models, payer simulator)...");
            stack.sim.slow_rate = args.sim_slow_rate;
            stack.sim.failure_rate = args.sim_failure_rate;
            Some(LocalServer::agent(stack).await?)
        }
    };
    let target = match (&local, &args.target) {
        (Some(l), _) => l.target(),
        (None, Some(url)) => {
            let mut t = Target::from_media_url(url, false);
            t.webhook_url = args.webhook.clone();
            if args.metrics.is_some() {
                t.metrics_url = args.metrics.clone();
            }
            t
        }
        (None, None) => unreachable!("a target or a local server"),
    };
    let result = run(&args, mix, target, local.is_some()).await;
    if let Some(l) = local {
        l.shutdown().await?;
    }
    result
}

async fn run(args: &LoadgenArgs, mix: Mix, target: Target, in_process: bool) -> Result<(), LoadgenError> {
    let calls = args.calls.unwrap_or(if args.rate.is_some() { 10_000 } else { 4 });
    if calls == 0 || args.duration <= 0.0 || args.rate.is_some_and(|r| r <= 0.0) {
        return Err(LoadgenError::Usage(
            "--calls, --duration and --rate must be positive".into(),
        ));
    }
    let ramp_up = Duration::from_secs_f64(args.ramp_up.unwrap_or(calls as f64 * 0.01).max(0.0));
    let load = match args.rate {
        Some(per_sec) => Load::Rate {
            per_sec,
            max_active: calls,
        },
        None => Load::Fixed { calls, ramp_up },
    };
    let plan = Plan {
        target: target.clone(),
        load,
        duration: Duration::from_secs_f64(args.duration),
        drain: Duration::from_secs_f64(args.drain.max(0.0)),
        seed: args.seed,
        mix: mix.clone(),
    };
    let config = RunConfig {
        target: target.media_url.clone(),
        in_process,
        media_only: args.media_only,
        load: if args.rate.is_some() { "rate" } else { "fixed" }.into(),
        calls,
        rate: args.rate,
        duration_s: args.duration,
        ramp_up_s: if args.rate.is_some() {
            0.0
        } else {
            ramp_up.as_secs_f64()
        },
        seed: args.seed,
        mix: mix.weights().into_iter().collect::<BTreeMap<_, _>>(),
    };
    let limits = Limits {
        turn_p50_ms: args.max_turn_p50_ms,
        turn_p95_ms: args.max_turn_p95_ms,
        jitter_p999_ms: args.max_jitter_ms,
        late_ratio: args.max_late_pct / 100.0,
        failed_ratio: args.max_failed_pct / 100.0,
        ..Limits::default()
    };
    let plot_path = args
        .json
        .as_ref()
        .map_or_else(|| args.plot.clone(), |j| j.with_extension("svg"));
    if args.find_capacity {
        let search = Search {
            start: calls,
            max: args.max_calls.max(calls),
            step: args.step,
            refine: args.refine,
            settle: Duration::from_secs(2),
        };
        let c = capacity::search(search, &plan, &config, &limits, !args.quiet).await;
        if let Some(last) = c.steps.iter().filter(|s| s.held).max_by_key(|s| s.calls) {
            println!("{}", report::table(&last.report));
        }
        println!("{}", capacity::table(&c));
        let steps: Vec<_> = c.steps.iter().map(|s| (s.calls, &s.report)).collect();
        super::plot::capacity(&steps, &plot_path)?;
        if let Some(j) = &args.json {
            write_json(j, &c)?;
        }
    } else {
        if args.warmup > 0 {
            super::warm_up(&plan, args.warmup).await;
        }
        let r = super::measure(&plan, config, &limits, !args.quiet).await;
        println!("{}", report::table(&r));
        super::plot::run_cdf(&r, &plot_path)?;
        if let Some(j) = &args.json {
            write_json(j, &r)?;
        }
    }
    match &args.json {
        Some(j) => println!("report: {}, plot: {}", j.display(), plot_path.display()),
        None => println!("plot: {}", plot_path.display()),
    }
    Ok(())
}

fn write_json(path: &Path, value: &impl serde::Serialize) -> Result<(), LoadgenError> {
    let text = serde_json::to_string_pretty(value).map_err(|e| LoadgenError::Report(e.to_string()))?;
    std::fs::write(path, text).map_err(|e| LoadgenError::Report(format!("{}: {e}", path.display())))
}

/// The scenario mix of `args`, rendered.
pub fn build_mix(args: &LoadgenArgs) -> Result<Mix, LoadgenError> {
    let files = if args.scenarios_dir.is_dir() {
        scenario::load_dir(&args.scenarios_dir)?
    } else if args.wav.is_empty() || !args.scenarios_mix.is_empty() {
        return Err(LoadgenError::Scenario(format!(
            "no scenario directory {}",
            args.scenarios_dir.display()
        )));
    } else {
        Vec::new()
    };
    let mut wanted: Vec<(String, Option<u32>)> = Vec::new();
    for s in &args.scenarios_mix {
        let (name, w) = match s.split_once('=') {
            Some((n, w)) => (
                n,
                Some(
                    w.parse()
                        .map_err(|_| LoadgenError::Usage(format!("--scenario {s}: weight must be a whole number")))?,
                ),
            ),
            None => (s.as_str(), None),
        };
        if name != "wav" && !files.iter().any(|(n, _)| n == name) {
            let known: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
            return Err(LoadgenError::Usage(format!(
                "unknown scenario {name:?} (known: {known:?})"
            )));
        }
        wanted.push((name.to_owned(), w));
    }
    if wanted.is_empty() {
        wanted = if !args.wav.is_empty() {
            vec![("wav".into(), None)]
        } else if args.media_only {
            vec![("media-only".into(), None)]
        } else {
            // Every conversation; repeating (media-only) scenarios only on request.
            files
                .iter()
                .filter(|(_, f)| !f.repeat)
                .map(|(n, _)| (n.clone(), None))
                .collect()
        };
    }
    let mut renderer = Renderer::default();
    let mut entries: Vec<(Arc<Scenario>, u32)> = Vec::new();
    for (name, weight) in wanted {
        let s = if name == "wav" {
            if args.wav.is_empty() {
                return Err(LoadgenError::Usage("scenario wav needs --wav FILE".into()));
            }
            scenario::from_wavs(&args.wav)?
        } else {
            let (_, f) = files
                .iter()
                .find(|(n, _)| *n == name)
                .ok_or_else(|| LoadgenError::Usage(format!("no scenario {name:?}")))?;
            renderer.render(&name, f, &args.scenarios_dir)?
        };
        let w = weight.unwrap_or(s.weight);
        entries.push((Arc::new(s), w));
    }
    Mix::new(entries)
}
