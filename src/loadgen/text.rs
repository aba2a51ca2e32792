//! The report as a text table: counts, percentiles per metric, server
//! counters and peaks, per-scenario outcomes, budgets held or broken.

use std::fmt::Write as _;

use super::report::Report;
use super::stats::Summary;

/// The report as a text table.
pub fn table(r: &Report) -> String {
    let mut s = String::new();
    let c = &r.counts;
    let cfg = &r.config;
    let load = match cfg.rate {
        Some(rate) => format!("{rate}/s arrivals (cap {})", cfg.calls),
        None => format!("{} concurrent calls (ramp-up {:.1} s)", cfg.calls, cfg.ramp_up_s),
    };
    let mode = if cfg.media_only { "media-only" } else { "full pipeline" };
    let _ = writeln!(
        s,
        "{mode}: {load} for {:.0} s, seed {} → {}{}",
        cfg.duration_s,
        cfg.seed,
        cfg.target,
        if cfg.in_process { " (in process)" } else { "" }
    );
    let _ = writeln!(
        s,
        "calls: {} started = {} completed + {} transferred + {} caller ended + {} cut + {} failed; {} skipped; {} with unmet expectations",
        c.started, c.completed, c.transferred, c.caller_ended, c.cut, c.failed, c.skipped, c.unmet_expectations
    );
    for (why, n) in &r.failures {
        let _ = writeln!(s, "  failed ×{n}: {why}");
    }
    let _ = writeln!(
        s,
        "turns: {} ({} answered), barge-ins {}, bot frames {} ({} late), peak {} concurrent, wall {:.1} s\n",
        c.turns, c.answered_turns, c.barge_ins, c.bot_frames, c.late_frames, r.caller.peak_concurrency, r.wall_s
    );
    let _ = writeln!(
        s,
        "{:<44} {:>7} {:>8} {:>8} {:>8} {:>8} {:>8}",
        "latency (ms)", "n", "p50", "p90", "p99", "p99.9", "max"
    );
    let mut row = |name: String, m: &Summary| {
        let _ = writeln!(
            s,
            "{name:<44} {:>7} {:>8.1} {:>8.1} {:>8.1} {:>8.1} {:>8.1}",
            m.count, m.p50, m.p90, m.p99, m.p999, m.max
        );
    };
    if !cfg.media_only {
        row(
            "caller: turn (end of speech → bot audio)".into(),
            &r.caller.turn_latency_ms,
        );
        row("caller: barge-in (onset → clear)".into(), &r.caller.barge_in_latency_ms);
        row(
            "caller: barge-in (onset → bot audio stops)".into(),
            &r.caller.bot_stop_latency_ms,
        );
    }
    row("caller: bot-frame jitter".into(), &r.caller.jitter_ms);
    if let Some(sv) = &r.server {
        for (name, m) in &sv.stages_ms {
            if m.count > 0 {
                row(format!("server: {name}"), m);
            }
        }
        for f in &sv.functions {
            let b = f.budget_ms.map_or_else(String::new, |b| format!(" (budget {b:.0})"));
            row(format!("server: {}{b}", f.function), &f.latency_ms);
        }
    }
    let _ = writeln!(
        s,
        "(server rows are estimated from histogram buckets; max is a bucket bound)\n"
    );
    if let Some(sv) = &r.server {
        let counters: Vec<String> = sv.counters.iter().map(|(k, v)| format!("{k} {v:.0}")).collect();
        let _ = writeln!(s, "server counters: {}", counters.join(", "));
        let p = &sv.peaks;
        let _ = writeln!(
            s,
            "server peaks: active_calls {:.0}, stt queue final {:.0} / partial {:.0}",
            p.active_calls, p.stt_queue_final, p.stt_queue_partial
        );
        let c = &sv.cpu;
        let stages: Vec<String> = c.stages_per_call_s.iter().map(|(k, v)| format!("{k} {v:.2}")).collect();
        let decodes: Vec<String> = c.decodes_per_call.iter().map(|(k, v)| format!("{k} {v:.1}")).collect();
        let _ = writeln!(
            s,
            "server CPU: {:.1} s over {:.0} calls = {:.2} CPU-s per call ({}); decodes per call: {}",
            c.server_s,
            c.calls_ended,
            c.per_call_s,
            stages.join(", "),
            decodes.join(", ")
        );
        let m = &sv.memory;
        let curve: Vec<String> = p
            .rss
            .iter()
            .map(|r| format!("{}:{:.0}", r.calls_ended, r.rss_mib))
            .collect();
        let _ = writeln!(
            s,
            "server memory: RSS {:.0} MiB before, {:.0} MiB after, peak {:.0} MiB; calls ended:RSS MiB {}\n",
            m.before_mib,
            m.after_mib,
            m.peak_mib,
            curve.join(" ")
        );
    }
    for (name, f) in &r.scenarios {
        let outcomes: Vec<String> = f.outcomes.iter().map(|(k, v)| format!("{k} {v}")).collect();
        let unmet: Vec<String> = f.unmet.iter().map(|(k, v)| format!("{k} ×{v}")).collect();
        let unmet = if unmet.is_empty() {
            String::new()
        } else {
            format!("; unmet: {}", unmet.join(", "))
        };
        let _ = writeln!(s, "scenario {name}: {} calls ({}){unmet}", f.calls, outcomes.join(", "));
    }
    let _ = writeln!(s, "\n{:<46} {:<20} {:<40} result", "budget", "limit", "measured");
    for b in &r.budgets {
        let verdict = match (b.held, b.gates_capacity) {
            (None, _) => "n/a",
            (Some(true), _) => "held",
            (Some(false), true) => "BROKEN",
            (Some(false), false) => "missed (target)",
        };
        let _ = writeln!(s, "{:<46} {:<20} {:<40} {verdict}", b.what, b.limit, b.measured);
    }
    s
}
