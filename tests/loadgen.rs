//! The load generator against the real server over loopback: the whole
//! stack (scratch PostgreSQL, seed data, policy documents, payer simulator,
//! real models) with `patient_lookup` deliberately slowed past its 200 ms
//! budget, three simulated callers for a few seconds of arrivals. The
//! report's counts add up, latencies are positive and plausible, and the
//! overrun shows in the server figures scraped from `/metrics`.

use std::sync::Arc;
use std::time::Duration;

use functions::db::ScratchDatabase;
use switchboard::loadgen::report::{self, Limits, RunConfig};
use switchboard::loadgen::runner::{Load, Plan, Target};
use switchboard::loadgen::scenario::{Mix, Renderer, load_dir};
use switchboard::stack::{Stack, StackConfig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_calls_counts_add_up_and_a_slowed_function_overruns() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let scratch = ScratchDatabase::create(8).await.expect("scratch database");
    let cfg = StackConfig {
        database_url: Some(scratch.url.clone()),
        server: telephony::ServerConfig {
            mode: telephony::CallMode::Agent,
            listen: "127.0.0.1:0".parse().unwrap(),
            // A staff line on duty, so the representative call is dialed.
            staff: telephony::control::directory::StaffDirectory::default().with(
                telephony::control::directory::Line::T1,
                telephony::control::directory::Destination {
                    target: telephony::twilio::twiml::DialTarget::parse("+15550100901"),
                    hours: telephony::control::directory::Hours::always(),
                },
            ),
            ..Default::default()
        },
        policies_dir: Some(root.join("data/payer_policies")),
        sim: functions::payer_sim::SimConfig {
            failure_rate: 0.0,
            slow_rate: 0.0,
            ..Default::default()
        },
        inject_delay: Some(("patient_lookup".into(), Duration::from_millis(400))),
        ..Default::default()
    };
    let stack = Stack::start(cfg, Vec::new()).await.expect("stack starts");

    // Two callers who verify (the lookup overruns, so the bot asks again and
    // the call goes on), one who asks for a representative.
    let dir = root.join("data/scenarios");
    let files = load_dir(&dir).unwrap();
    let mut renderer = Renderer::default();
    let mut scenario = |name: &str, weight| {
        let (_, f) = files.iter().find(|(n, _)| n == name).unwrap();
        (Arc::new(renderer.render(name, f, &dir).unwrap()), weight)
    };
    let mix = Mix::new(vec![scenario("pa-question", 2), scenario("representative", 1)]).unwrap();
    let target = Target::from_media_url(&stack.media_url(), true);
    let plan = Plan {
        target: target.clone(),
        load: Load::Fixed {
            calls: 3,
            ramp_up: Duration::from_millis(300),
        },
        // Each slot places one call (they last longer than this).
        duration: Duration::from_secs(2),
        drain: Duration::from_secs(90),
        seed: 7,
        mix: mix.clone(),
    };
    let config = RunConfig {
        target: target.media_url.clone(),
        in_process: true,
        media_only: false,
        load: "fixed".into(),
        calls: 3,
        rate: None,
        duration_s: 2.0,
        ramp_up_s: 0.3,
        seed: 7,
        mix: mix.weights().into_iter().collect(),
    };
    let r = tokio::time::timeout(
        Duration::from_secs(150),
        switchboard::loadgen::measure(&plan, config, &Limits::default(), false),
    )
    .await
    .expect("the run ends by itself");
    let table = report::table(&r);
    println!("{table}");

    // Counts add up.
    let c = &r.counts;
    assert_eq!(c.started, 3, "{table}");
    assert_eq!(
        c.completed + c.transferred + c.caller_ended + c.cut + c.failed,
        c.started,
        "{table}"
    );
    assert_eq!(c.failed, 0, "{:?}", r.failures);
    assert_eq!(c.skipped, 0);
    assert!(c.transferred >= 1, "{table}");
    assert!(c.answered_turns <= c.turns && c.answered_turns >= 3, "{table}");
    let per_scenario: u64 = r.scenarios.values().map(|s| s.calls).sum();
    assert_eq!(per_scenario, c.started);
    assert_eq!(r.caller.peak_concurrency, 3);

    // Latencies positive and plausible.
    let t = &r.caller.turn_latency_ms;
    assert_eq!(t.count, c.answered_turns);
    assert!(t.p50 > 50.0 && t.p50 < 5000.0, "turn p50 {}", t.p50);
    assert!(t.max >= t.p99 && t.p99 >= t.p50, "{t:?}");
    assert!(c.bot_frames > 100, "{table}");
    assert_eq!(r.caller.jitter_ms.count, c.bot_frames);
    assert!(
        r.caller.jitter_ms.p50 >= 0.0 && r.caller.jitter_ms.p50 < 100.0,
        "{table}"
    );
    assert!(r.wall_s > 2.0 && r.wall_s < 150.0);

    // The server's own figures, scraped before and after.
    let server = r.server.as_ref().expect("server figures from /metrics");
    let stt = &server.stages_ms["stt_final"];
    assert!(stt.count >= 3 && stt.p50 > 0.0 && stt.p50 < 5000.0, "{stt:?}");
    assert!(server.counters["frames_out"] >= c.bot_frames as f64 * 0.9, "{table}");
    assert!(server.counters["frames_in"] > 0.0);
    assert!(server.peaks.active_calls >= 1.0);
    let lookup = server
        .functions
        .iter()
        .find(|f| f.function == "patient_lookup")
        .expect("patient_lookup ran");
    assert_eq!(lookup.budget_ms, Some(200.0));
    assert!(lookup.overruns >= 1, "{lookup:?}");
    assert!(lookup.overrun_ratio > 0.99, "every slowed lookup overran: {lookup:?}");
    assert!(lookup.latency_ms.p50 >= 150.0, "cut at the budget: {lookup:?}");
    let check = r
        .budgets
        .iter()
        .find(|b| b.what.starts_with("patient_lookup"))
        .expect("a budget check for patient_lookup");
    assert_eq!(check.held, Some(false), "{table}");
    assert!(!r.held, "a broken function budget fails the run");
    assert!(table.contains("patient_lookup") && table.contains("BROKEN"), "{table}");

    // The JSON report and the plot.
    let out = tempdir();
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["counts"]["started"], 3);
    let svg = out.join("report.svg");
    switchboard::loadgen::plot::run_cdf(&r, &svg).unwrap();
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<svg") && text.contains("Turn and barge-in latency"));
    let _ = std::fs::remove_dir_all(&out);
    stack.shutdown().await.unwrap();
}

fn tempdir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("sb-loadgen-{}-{}", std::process::id(), fastrand::u32(..)));
    std::fs::create_dir_all(&d).unwrap();
    d
}
