//! The run's report: counts that add up, the caller's measurements, the
//! server's own figures (scraped `/metrics`, after minus before), the
//! latency budgets held or broken; printed as a table, saved as JSON.

use serde::Serialize;
use std::collections::BTreeMap;

use super::measure::Outcome;
use super::progress::Peaks;
use super::runner::RunResults;
use super::stats::{Histogram, Summary};
pub use super::text::table;

mod checks;
mod server;

use checks::checks;
pub use server::{budget_ms, cpu_figures, memory_figures, server_figures};

/// Limits a run is held to (the targets by default).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Limits {
    /// Caller turn latency p50, ms (a target; does not gate capacity).
    pub turn_p50_ms: f64,
    /// Caller turn latency p95, ms.
    pub turn_p95_ms: f64,
    /// Bot-frame jitter p99.9, ms.
    pub jitter_p999_ms: f64,
    /// Late bot frames / bot frames.
    pub late_ratio: f64,
    /// Failed calls / started calls.
    pub failed_ratio: f64,
    /// Share of a function's calls allowed past its budget (p99 within
    /// budget: 1 %).
    pub overrun_ratio: f64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            turn_p50_ms: 350.0,
            turn_p95_ms: 700.0,
            jitter_p999_ms: 20.0,
            late_ratio: 0.001,
            failed_ratio: 0.01,
            overrun_ratio: 0.01,
        }
    }
}

/// What was run.
#[derive(Debug, Clone, Serialize)]
pub struct RunConfig {
    /// Media socket URL.
    pub target: String,
    /// Whether the server under test ran in this process.
    pub in_process: bool,
    /// Media-only run (echo or silent server, no dialog).
    pub media_only: bool,
    /// `fixed` or `rate`.
    pub load: String,
    /// Concurrent calls (fixed) or concurrency cap (rate).
    pub calls: usize,
    /// Arrivals per second (rate).
    pub rate: Option<f64>,
    /// Seconds calls were started for.
    pub duration_s: f64,
    /// Ramp-up, seconds (fixed).
    pub ramp_up_s: f64,
    /// Seed.
    pub seed: u64,
    /// Scenario weights.
    pub mix: BTreeMap<String, u32>,
}

/// Call counts: `started = completed + transferred + caller_ended + cut + failed`.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Counts {
    /// Arrivals refused at the concurrency cap (rate mode).
    pub skipped: u64,
    /// Calls placed.
    pub started: u64,
    /// The bot closed the call after its goodbye.
    pub completed: u64,
    /// Transferred to staff.
    pub transferred: u64,
    /// The caller's script ended and it hung up.
    pub caller_ended: u64,
    /// Hung up by the load generator at the end of the run.
    pub cut: u64,
    /// Dropped calls.
    pub failed: u64,
    /// Calls whose scenario expectations were not met (any outcome but failed/cut).
    pub unmet_expectations: u64,
    /// Caller turns.
    pub turns: u64,
    /// Caller turns the bot answered.
    pub answered_turns: u64,
    /// Barge-ins measured (`clear` after the caller talked over the bot).
    pub barge_ins: u64,
    /// Bot media messages received.
    pub bot_frames: u64,
    /// Late bot frames.
    pub late_frames: u64,
}

/// What the callers measured.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CallerFigures {
    /// End of caller speech to first bot audio.
    pub turn_latency_ms: Summary,
    /// Caller speech onset over the bot to `clear`.
    pub barge_in_latency_ms: Summary,
    /// Caller speech onset over the bot to the bot's audio stopping at the
    /// caller (held or cleared).
    pub bot_stop_latency_ms: Summary,
    /// Bot-frame delay variation within talk spurts.
    pub jitter_ms: Summary,
    /// Late bot frames / bot frames.
    pub late_frame_ratio: f64,
    /// Most calls in progress at once.
    pub peak_concurrency: u64,
}

/// One budgeted function, from the server's histogram and counters.
#[derive(Debug, Clone, Serialize)]
pub struct FunctionFigures {
    /// Function name.
    pub function: String,
    /// Its budget, ms.
    pub budget_ms: Option<f64>,
    /// Latency (request to the answer the caller got).
    pub latency_ms: Summary,
    /// Calls past the budget.
    pub overruns: u64,
    /// Overruns / calls.
    pub overrun_ratio: f64,
}

/// The server's own figures over the run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ServerFigures {
    /// Per-stage latency histograms (`stt_final`, `tts_first_audio`, `turn`, `barge_in`).
    pub stages_ms: BTreeMap<String, Summary>,
    /// Budgeted functions.
    pub functions: Vec<FunctionFigures>,
    /// Counter increases (frames in/out, late, concealed, ...).
    pub counters: BTreeMap<String, f64>,
    /// Gauges at their highest.
    pub peaks: Peaks,
    /// CPU time over the run, overall and by model stage.
    pub cpu: CpuFigures,
    /// Resident memory before, at the end and at its highest.
    pub memory: MemoryFigures,
}

/// The server's CPU time over a run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CpuFigures {
    /// Server CPU-seconds over the run (the process's; in an in-process run
    /// less the callers' own threads).
    pub server_s: f64,
    /// Calls the server saw end.
    pub calls_ended: f64,
    /// `server_s` per call ended.
    pub per_call_s: f64,
    /// Model stages' CPU-seconds per call (`stt_final`, `stt_speculative`,
    /// `stt_partial`, `tts`, `intent`, and `other`: the call loops, VAD,
    /// dialog, database).
    pub stages_per_call_s: BTreeMap<String, f64>,
    /// Whisper decodes per call, by kind.
    pub decodes_per_call: BTreeMap<String, f64>,
}

/// The server's resident memory over a run, MiB.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MemoryFigures {
    /// Before the first call.
    pub before_mib: f64,
    /// After the last call ended.
    pub after_mib: f64,
    /// Highest so far (VmHWM: since the process started).
    pub peak_mib: f64,
}

/// Per-scenario figures.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ScenarioFigures {
    /// Calls placed.
    pub calls: u64,
    /// Calls by outcome.
    pub outcomes: BTreeMap<String, u64>,
    /// Unmet expectations by what.
    pub unmet: BTreeMap<String, u64>,
    /// Turn latency.
    pub turn_latency_ms: Summary,
}

/// A budget held or broken.
#[derive(Debug, Clone, Serialize)]
pub struct BudgetCheck {
    /// What is checked.
    pub what: String,
    /// The limit, in words.
    pub limit: String,
    /// The measured value, in words.
    pub measured: String,
    /// `None`: nothing measured.
    pub held: Option<bool>,
    /// Whether `--find-capacity` stops on it.
    pub gates_capacity: bool,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// What was run.
    pub config: RunConfig,
    /// From the first call to the last hang-up, seconds.
    pub wall_s: f64,
    /// Call counts.
    pub counts: Counts,
    /// Failed calls by reason.
    pub failures: BTreeMap<String, u64>,
    /// Caller measurements.
    pub caller: CallerFigures,
    /// Server figures (absent when `/metrics` could not be read).
    pub server: Option<ServerFigures>,
    /// Per scenario.
    pub scenarios: BTreeMap<String, ScenarioFigures>,
    /// Budgets.
    pub budgets: Vec<BudgetCheck>,
    /// Every capacity-gating budget held.
    pub held: bool,
    /// The caller's jitter histogram (for the plot; not serialised).
    #[serde(skip)]
    pub jitter_us: Histogram,
    /// Raw turn latencies, ms (for the plot).
    pub turn_samples_ms: Vec<f64>,
    /// Raw barge-in latencies, ms (for the plot).
    pub barge_in_samples_ms: Vec<f64>,
}

/// Builds the report of one run.
pub fn build(
    config: RunConfig,
    run: &RunResults,
    server: Option<ServerFigures>,
    peak_concurrency: u64,
    limits: &Limits,
) -> Report {
    let mut c = Counts {
        skipped: run.skipped,
        ..Default::default()
    };
    let mut failures = BTreeMap::new();
    let mut scenarios: BTreeMap<String, ScenarioFigures> = BTreeMap::new();
    let mut per_scenario_turns: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let (mut turns, mut barges, mut stops) = (Vec::new(), Vec::new(), Vec::new());
    let mut jitter = Histogram::new();
    for r in &run.calls {
        c.started += 1;
        match &r.outcome {
            Outcome::Completed => c.completed += 1,
            Outcome::Transferred => c.transferred += 1,
            Outcome::CallerEnded => c.caller_ended += 1,
            Outcome::Cut => c.cut += 1,
            Outcome::Failed(why) => {
                c.failed += 1;
                *failures.entry(why.clone()).or_insert(0) += 1;
            }
        }
        c.unmet_expectations += u64::from(!r.unmet.is_empty());
        c.turns += (r.turn_ms.len() + r.unanswered) as u64;
        c.answered_turns += r.turn_ms.len() as u64;
        c.barge_ins += r.barge_in_ms.len() as u64;
        c.bot_frames += r.bot_frames;
        c.late_frames += r.late_frames;
        turns.extend_from_slice(&r.turn_ms);
        barges.extend_from_slice(&r.barge_in_ms);
        stops.extend_from_slice(&r.bot_stop_ms);
        jitter.merge(&r.jitter_us);
        let s = scenarios.entry(r.scenario.clone()).or_default();
        s.calls += 1;
        *s.outcomes.entry(r.outcome.label().to_owned()).or_insert(0) += 1;
        for u in &r.unmet {
            *s.unmet.entry((*u).to_owned()).or_insert(0) += 1;
        }
        per_scenario_turns
            .entry(r.scenario.clone())
            .or_default()
            .extend_from_slice(&r.turn_ms);
    }
    for (name, t) in per_scenario_turns {
        if let Some(s) = scenarios.get_mut(&name) {
            s.turn_latency_ms = Summary::of(&t);
        }
    }
    let caller = CallerFigures {
        turn_latency_ms: Summary::of(&turns),
        barge_in_latency_ms: Summary::of(&barges),
        bot_stop_latency_ms: Summary::of(&stops),
        jitter_ms: jitter.summary_ms(),
        late_frame_ratio: ratio(c.late_frames, c.bot_frames),
        peak_concurrency,
    };
    let budgets = checks(&config, &c, &caller, server.as_ref(), limits);
    let held = budgets.iter().all(|b| !b.gates_capacity || b.held != Some(false));
    Report {
        config,
        wall_s: run.wall.as_secs_f64(),
        counts: c,
        failures,
        caller,
        server,
        scenarios,
        budgets,
        held,
        jitter_us: jitter,
        turn_samples_ms: turns,
        barge_in_samples_ms: barges,
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}
