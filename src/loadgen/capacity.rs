//! `--find-capacity`: runs the load at growing concurrency until a gating
//! budget breaks (turn latency p95, function p99, jitter, late frames,
//! dropped calls), then narrows the gap between the last concurrency that
//! held and the first that broke by bisection.

use std::time::Duration;

use serde::Serialize;

use super::report::{Limits, Report, RunConfig};
use super::runner::{Load, Plan};

/// How the search steps.
#[derive(Debug, Clone, Copy)]
pub struct Search {
    /// First concurrency tried.
    pub start: usize,
    /// Never more than this.
    pub max: usize,
    /// Added each step; 0 doubles.
    pub step: usize,
    /// Bisection rounds after the first break.
    pub refine: usize,
    /// Pause between steps (the server drains).
    pub settle: Duration,
}

/// One concurrency tried.
#[derive(Debug, Clone, Serialize)]
pub struct StepResult {
    /// Concurrent calls.
    pub calls: usize,
    /// Every gating budget held.
    pub held: bool,
    /// The budgets that broke.
    pub broken: Vec<String>,
    /// The full report of the step.
    pub report: Report,
}

/// The search's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct CapacityReport {
    /// The highest concurrency at which every gating budget held.
    pub capacity: Option<usize>,
    /// The lowest concurrency that broke one.
    pub broke_at: Option<usize>,
    /// Every step, in the order run.
    pub steps: Vec<StepResult>,
}

/// Searches with `plan` (its load replaced by each step's fixed concurrency).
pub async fn search(
    s: Search,
    plan: &Plan,
    config: &RunConfig,
    limits: &Limits,
    show_progress: bool,
) -> CapacityReport {
    let mut steps = Vec::new();
    let (mut held, mut broke): (Option<usize>, Option<usize>) = (None, None);
    let mut n = s.start.max(1);
    let ramp_per_call = match plan.load {
        Load::Fixed { calls, ramp_up } => ramp_up.div_f64(calls.max(1) as f64),
        Load::Rate { .. } => Duration::from_millis(10),
    };
    loop {
        let r = step(n, ramp_per_call, plan, config, limits, show_progress).await;
        eprintln!(
            "{n} calls: {}{}",
            if r.held { "held" } else { "broken: " },
            r.broken.join("; ")
        );
        let ok = r.held;
        steps.push(r);
        if ok {
            held = Some(n);
            if n >= s.max {
                break;
            }
            n = if s.step == 0 { n * 2 } else { n + s.step }.min(s.max);
        } else {
            broke = Some(n);
            break;
        }
        tokio::time::sleep(s.settle).await;
    }
    for _ in 0..s.refine {
        let (lo, Some(hi)) = (held.unwrap_or(0), broke) else {
            break;
        };
        if hi - lo <= (lo / 10).max(1) {
            break;
        }
        tokio::time::sleep(s.settle).await;
        let mid = lo + (hi - lo) / 2;
        let r = step(mid, ramp_per_call, plan, config, limits, show_progress).await;
        eprintln!(
            "{mid} calls: {}{}",
            if r.held { "held" } else { "broken: " },
            r.broken.join("; ")
        );
        if r.held {
            held = Some(mid);
        } else {
            broke = Some(mid);
        }
        steps.push(r);
    }
    CapacityReport {
        capacity: held,
        broke_at: broke,
        steps,
    }
}

async fn step(
    n: usize,
    ramp_per_call: Duration,
    plan: &Plan,
    config: &RunConfig,
    limits: &Limits,
    show_progress: bool,
) -> StepResult {
    let mut p = plan.clone();
    let ramp_up = ramp_per_call.mul_f64(n as f64);
    p.load = Load::Fixed { calls: n, ramp_up };
    let mut c = config.clone();
    c.calls = n;
    c.rate = None;
    c.load = "fixed".into();
    c.ramp_up_s = ramp_up.as_secs_f64();
    let report = super::measure(&p, c, limits, show_progress).await;
    let broken = report
        .budgets
        .iter()
        .filter(|b| b.gates_capacity && b.held == Some(false))
        .map(|b| format!("{} {} (limit {})", b.what, b.measured, b.limit))
        .collect();
    StepResult {
        calls: n,
        held: report.held,
        broken,
        report,
    }
}

/// The search as text.
pub fn table(c: &CapacityReport) -> String {
    let mut s = String::from("capacity search\n");
    s.push_str(&format!(
        "{:>7}  {:<7} {:>10} {:>10} {:>12} {:>9} {:>8}\n",
        "calls", "result", "turn p50", "turn p95", "jitter p99.9", "late %", "failed"
    ));
    let mut steps: Vec<&StepResult> = c.steps.iter().collect();
    steps.sort_by_key(|r| r.calls);
    for r in steps {
        let f = &r.report.caller;
        let ms = |v: f64| {
            if r.report.config.media_only {
                "-".to_owned()
            } else {
                format!("{v:.0}ms")
            }
        };
        s.push_str(&format!(
            "{:>7}  {:<7} {:>10} {:>10} {:>10.1}ms {:>8.3}% {:>8}\n",
            r.calls,
            if r.held { "held" } else { "BROKEN" },
            ms(f.turn_latency_ms.p50),
            ms(f.turn_latency_ms.p95),
            f.jitter_ms.p999,
            f.late_frame_ratio * 100.0,
            r.report.counts.failed,
        ));
    }
    match (c.capacity, c.broke_at) {
        (Some(n), Some(b)) => s.push_str(&format!(
            "capacity: {n} concurrent calls held every budget; {b} broke one\n"
        )),
        (Some(n), None) => s.push_str(&format!(
            "capacity: at least {n} concurrent calls (the search's maximum held)\n"
        )),
        (None, Some(b)) => s.push_str(&format!(
            "capacity: below {b} concurrent calls (the first step broke)\n"
        )),
        (None, None) => s.push_str("capacity: not measured\n"),
    }
    s
}
