//! The latency budgets a run is held to, each held or broken.

use super::{BudgetCheck, CallerFigures, Counts, Limits, RunConfig, ServerFigures, ratio};

pub(super) fn checks(
    config: &RunConfig,
    c: &Counts,
    caller: &CallerFigures,
    server: Option<&ServerFigures>,
    l: &Limits,
) -> Vec<BudgetCheck> {
    let mut out = Vec::new();
    let mut check = |what: String, limit: String, measured: Option<(f64, String)>, max: f64, gates: bool| {
        out.push(BudgetCheck {
            what,
            limit,
            held: measured.as_ref().map(|(v, _)| *v <= max),
            measured: measured.map_or_else(|| "no samples".to_owned(), |(_, s)| s),
            gates_capacity: gates,
        });
    };
    let t = &caller.turn_latency_ms;
    if !config.media_only {
        let m = |v: f64| (t.count > 0).then(|| (v, format!("{v:.0} ms")));
        check(
            "turn latency p50 (caller)".into(),
            format!("≤ {:.0} ms", l.turn_p50_ms),
            m(t.p50),
            l.turn_p50_ms,
            false,
        );
        check(
            "turn latency p95 (caller)".into(),
            format!("≤ {:.0} ms", l.turn_p95_ms),
            m(t.p95),
            l.turn_p95_ms,
            true,
        );
    }
    for f in server.map(|s| s.functions.as_slice()).unwrap_or_default() {
        let budget = f.budget_ms.map_or_else(String::new, |b| format!(" {b:.0} ms"));
        check(
            format!("{} p99 within budget{budget}", f.function),
            format!("≤ {:.1} % overruns", l.overrun_ratio * 100.0),
            Some((
                f.overrun_ratio,
                format!(
                    "{:.1} % ({}/{}), p99 ≈ {:.0} ms",
                    f.overrun_ratio * 100.0,
                    f.overruns,
                    f.latency_ms.count,
                    f.latency_ms.p99
                ),
            )),
            l.overrun_ratio,
            true,
        );
    }
    let j = &caller.jitter_ms;
    check(
        "bot-frame jitter p99.9 (caller)".into(),
        format!("≤ {:.0} ms", l.jitter_p999_ms),
        (j.count > 0).then(|| (j.p999, format!("{:.1} ms", j.p999))),
        l.jitter_p999_ms,
        true,
    );
    check(
        "late bot frames (caller)".into(),
        format!("≤ {:.2} %", l.late_ratio * 100.0),
        (c.bot_frames > 0).then(|| {
            (
                caller.late_frame_ratio,
                format!(
                    "{:.3} % ({}/{})",
                    caller.late_frame_ratio * 100.0,
                    c.late_frames,
                    c.bot_frames
                ),
            )
        }),
        l.late_ratio,
        true,
    );
    let failed = ratio(c.failed, c.started);
    check(
        "dropped calls".into(),
        format!("≤ {:.1} %", l.failed_ratio * 100.0),
        (c.started > 0).then(|| (failed, format!("{:.1} % ({}/{})", failed * 100.0, c.failed, c.started))),
        l.failed_ratio,
        true,
    );
    out
}
