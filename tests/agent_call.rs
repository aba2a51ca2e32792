//! The voice agent end to end over loopback: the whole stack (scratch
//! PostgreSQL, seed data, policy documents, payer simulator, real models)
//! and four simulated callers speaking like Twilio over real WebSockets,
//! with speech from flite (a different engine from the bot's Piper), at the
//! same time:
//! - a verified caller asks about prior authorization and hears the policy
//!   cited, then asks for their medications in words the grammar does not
//!   know and is answered on the embedding second opinion;
//! - a caller who fails verification hears no PHI and is transferred;
//! - a caller who asks for a representative is transferred;
//! - a caller who talks over the greeting stops the bot (barge-in).
//!
//! Then the post-call side of the same calls: each call analysed by the
//! in-process workers, `call.completed` delivered as a signed webhook to a
//! local receiver, PHI reads in the append-only audit log (the transcript
//! API included), and no PHI anywhere in the log output.

use std::collections::HashMap;
use std::time::Duration;

use functions::db::ScratchDatabase;
use switchboard::caller::{self, CallReport, CallerIdentity, Step};
use switchboard::demo::{conversation, wait};
use switchboard::stack::{Stack, StackConfig};
use telephony::control::directory::{Destination, Hours, Line, StaffDirectory};
use telephony::monitor::{AgentNote, MonitorNote};
use telephony::twilio::twiml::DialTarget;

const VOICE: &str = "rms";

/// A request for the medication list that only the second opinion
/// understands (asserted below).
const MEDICATIONS_ASKED_OTHERWISE: &str = "Tell me the drugs you have me down for.";

fn who(sid: &str, from: &str) -> CallerIdentity {
    CallerIdentity {
        call_sid: sid.into(),
        from: from.into(),
        to: "+15550000000".into(),
    }
}

fn say(text: &str) -> Step {
    Step::Say {
        text: text.into(),
        audio: switchboard::voice::speak_ulaw(text, VOICE).unwrap(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_callers_verify_ask_fail_transfer_and_barge_in() {
    let logs = postcall_checks::capture_logs();
    let hooks = postcall_checks::Receiver::start().await;
    let scratch = ScratchDatabase::create(8).await.expect("scratch database");
    let cfg = StackConfig {
        database_url: Some(scratch.url.clone()),
        server: telephony::ServerConfig {
            mode: telephony::CallMode::Agent,
            listen: "127.0.0.1:0".parse().unwrap(),
            api_token: Some(postcall_checks::API_TOKEN.into()),
            // A staff line on duty: transfers dial it (no REST API here, so
            // through the `<Connect action>`).
            staff: StaffDirectory::default().with(
                Line::T1,
                Destination {
                    target: DialTarget::parse("+15550001001"),
                    hours: Hours::always(),
                },
            ),
            ..Default::default()
        },
        webhook: Some((hooks.url.clone(), postcall_checks::SECRET.into())),
        policies_dir: Some(std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/payer_policies")),
        sim: functions::payer_sim::SimConfig {
            failure_rate: 0.0,
            slow_rate: 0.0,
            ..Default::default()
        },
        ..Default::default()
    };
    let stack = Stack::start(cfg, Vec::new()).await.expect("stack starts");
    let mut monitor = stack.state.monitor.subscribe();
    let url = stack.media_url();

    let verified = conversation(
        &[
            "My name is Maria Garcia, and my date of birth is March third, nineteen eighty five.",
            "Does my Ozempic need prior authorization?",
            MEDICATIONS_ASKED_OTHERWISE,
            // The guess is put back to the caller first.
            "Yes, that's right.",
            "No, that's all. Goodbye.",
        ],
        VOICE,
    )
    .unwrap();
    let mut stranger = Vec::new();
    for _ in 0..5 {
        stranger.push(wait());
        stranger.push(say(
            "My name is Robert Brown, and I was born on January first, nineteen ninety.",
        ));
    }
    stranger.push(wait());
    let representative = vec![wait(), say("I want to talk to a representative."), wait()];
    let barge = vec![
        Step::BargeIn {
            after: Duration::from_millis(1500),
            text: "My name is James Wilson. My birthday is July fourth, nineteen seventy two.".into(),
            audio: switchboard::voice::speak_ulaw(
                "My name is James Wilson. My birthday is July fourth, nineteen seventy two.",
                VOICE,
            )
            .unwrap(),
        },
        wait(),
        say("Goodbye."),
        wait(),
    ];

    let spawn = |sid: &'static str, from: &'static str, script: Vec<Step>| {
        let url = url.clone();
        tokio::spawn(async move { caller::run(&url, &who(sid, from), script).await.unwrap() })
    };
    let calls = [
        spawn("CAverified", "+15550100001", verified),
        spawn("CAstranger", "+15559990000", stranger),
        spawn("CArep", "+15559990001", representative),
        spawn("CAbarge", "+15550100002", barge),
    ];
    let mut reports: Vec<CallReport> = Vec::new();
    for c in calls {
        reports.push(c.await.unwrap());
    }
    let [a, b, c, d]: [CallReport; 4] = reports.try_into().unwrap();

    // What each call's bot said, from the live monitor.
    let mut said: HashMap<String, Vec<String>> = HashMap::new();
    let mut functions: Vec<(String, &'static str, &'static str)> = Vec::new();
    while let Ok(ev) = monitor.try_recv() {
        match ev.what {
            MonitorNote::Agent(AgentNote::BotSays(t)) => said.entry(ev.call_sid).or_default().push(t),
            MonitorNote::FunctionDone { name, outcome, .. } => functions.push((ev.call_sid, name, outcome)),
            _ => {}
        }
    }
    let lines = |sid: &str| said.get(sid).cloned().unwrap_or_default();

    // A: verified, asked about PA, heard the policy cited, said goodbye.
    let la = lines("CAverified");
    assert!(a.timed_out.is_none(), "verified caller stalled: {la:?}");
    assert!(la.iter().any(|t| t.contains("you're verified")), "{la:?}");
    assert!(
        la.iter()
            .any(|t| t.contains("According to Blue Cross Blue Shield GLP-1 Agonist Prior Authorization Policy")),
        "the answer cites the payer's policy: {la:?}"
    );
    let classify = |t: &str| dialog::understand(t, &stack.state.agent.as_ref().unwrap().catalog).intent;
    assert_eq!(classify(MEDICATIONS_ASKED_OTHERWISE), dialog::Intent::Unknown);
    let asked = la
        .iter()
        .position(|t| t == "Just to check: you'd like to hear the medications we have on file for you. Is that right?");
    let read = la
        .iter()
        .position(|t| t == "You have 2 medications on file: Metformin and Ozempic.");
    assert!(
        asked.is_some() && read > asked,
        "the medications read out on the second opinion, once the caller said yes: {la:?}"
    );
    assert!(
        functions.contains(&("CAverified".into(), "patient_lookup", "ok")),
        "{functions:?}"
    );
    assert!(
        functions.contains(&("CAverified".into(), "check_pa_requirements", "ok")),
        "{functions:?}"
    );
    assert_eq!(
        a.closed_by_server.as_ref().map(|c| c.1.as_str()),
        Some("call completed")
    );
    assert!(
        a.turns.iter().all(|(_, l)| l.is_some()),
        "every turn got a reply: {:?}",
        a.turns
    );

    // B: never verified; no PHI spoken; transferred after three tries.
    let lb = lines("CAstranger");
    assert_eq!(
        b.closed_by_server.as_ref().map(|c| c.1.as_str()),
        Some("call transferred"),
        "{lb:?}"
    );
    let phi_words: Vec<String> = functions::catalog::MEDICATIONS
        .iter()
        .map(|m| m.name.to_lowercase())
        .chain(["robert", "copay", "tier", "covered", "according to", "case number", "$"].map(String::from))
        .collect();
    for line in &lb {
        let l = line.to_lowercase();
        for w in &phi_words {
            assert!(
                !l.contains(w.as_str()),
                "PHI-like {w:?} said to an unverified caller: {line:?}"
            );
        }
    }
    assert!(!lb.iter().any(|t| t.contains("verified")), "{lb:?}");
    assert_eq!(
        functions
            .iter()
            .filter(|f| f.0 == "CAstranger" && f.1 == "patient_lookup")
            .count(),
        3,
        "{functions:?}"
    );

    // C: "representative" → transferred at once.
    let lc = lines("CArep");
    assert_eq!(
        c.closed_by_server.as_ref().map(|c| c.1.as_str()),
        Some("call transferred"),
        "{lc:?}"
    );
    assert_eq!(lc.last().map(String::as_str), Some(dialog::prompts::TRANSFER));

    // D: talking over the greeting stops it; the bot then verifies James.
    let ld = lines("CAbarge");
    assert!(d.clears >= 1, "a clear was sent: {ld:?}");
    assert!(
        d.barge_ins.first().is_some_and(|l| *l < Duration::from_millis(1200)),
        "bot stopped soon after the caller started: {:?}",
        d.barge_ins
    );
    // What the caller hears stop comes earlier than the clear: the bot's
    // audio is held from the first 64 ms of a rising voice (about 0.1 s in
    // a release build; the clear waits for words).
    assert!(
        d.bot_stops.first().is_some_and(|l| *l < Duration::from_millis(350)),
        "the bot's audio stopped at the caller soon after the onset: {:?}",
        d.bot_stops
    );
    assert!(ld.iter().any(|t| t.contains("Thanks, James")), "{ld:?}");

    // The call record: every call and its lines, the cut-off greeting marked.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let db = scratch.db.pool.get().await.unwrap();
    let calls = db
        .query(
            "SELECT call_sid, end_reason, outcome FROM voice_calls ORDER BY call_sid",
            &[],
        )
        .await
        .unwrap();
    let rows: HashMap<String, (Option<String>, Option<String>)> =
        calls.iter().map(|r| (r.get(0), (r.get(1), r.get(2)))).collect();
    assert_eq!(rows["CAverified"], (Some("completed".into()), Some("resolved".into())));
    assert_eq!(
        rows["CAstranger"],
        (Some("transferred".into()), Some("verification_failed".into()))
    );
    assert_eq!(rows["CArep"], (Some("transferred".into()), Some("transferred".into())));
    let cut: i64 = db
        .query_one(
            "SELECT count(*) FROM call_utterances WHERE call_sid = 'CAbarge' AND speaker = 'bot' AND cut_off",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(cut >= 1);
    let cited: i64 = db
        .query_one(
            "SELECT count(*) FROM call_utterances WHERE call_sid = 'CAverified' AND speaker = 'bot'
               AND text LIKE 'According to Blue Cross Blue Shield%'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(cited, 1);
    let caller_lines: i64 = db
        .query_one(
            "SELECT count(*) FROM call_utterances WHERE call_sid = 'CAverified' AND speaker = 'caller'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(caller_lines >= 3);
    drop(db);

    turn_stages_and_cpu_are_on_metrics(stack.addr).await;
    postcall_checks::analysed_and_delivered(&scratch.db.pool, &hooks, stack.addr).await;
    stack.shutdown().await.unwrap();
    postcall_checks::no_phi_in(&logs.text());
}

/// The server's `/metrics` account for every answered turn stage by stage
/// (the stages add up to the turn), charge the models their CPU time and
/// report the process's memory.
async fn turn_stages_and_cpu_are_on_metrics(addr: std::net::SocketAddr) {
    let text = reqwest::get(format!("http://{addr}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let value = |series: &str| -> f64 {
        text.lines()
            .filter(|l| l.starts_with(series))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    };
    let turns = value("switchboard_turn_latency_seconds_count");
    assert!(turns >= 4.0, "{turns} turns answered");
    let stages = ["endpoint", "stt", "dialog", "tts", "pacing"];
    for stage in stages {
        let n = value(&format!("switchboard_turn_stage_seconds_count{{stage=\"{stage}\"}}"));
        assert_eq!(n, turns, "every answered turn has its {stage} stage");
    }
    let stage_sum: f64 = stages
        .iter()
        .map(|st| value(&format!("switchboard_turn_stage_seconds_sum{{stage=\"{st}\"}}")))
        .sum();
    let turn_sum = value("switchboard_turn_latency_seconds_sum");
    assert!(
        (stage_sum - turn_sum).abs() < 0.001 * turns,
        "stages {stage_sum} s vs turns {turn_sum} s"
    );
    for stage in ["stt_speculative", "tts"] {
        let us = value(&format!(
            "switchboard_stage_cpu_microseconds_total{{stage=\"{stage}\"}}"
        ));
        assert!(us > 10_000.0, "{stage} charged {us} µs of CPU");
    }
    let process_cpu = value("switchboard_process_cpu_seconds");
    let charged_s = value("switchboard_stage_cpu_microseconds_total") / 1e6;
    assert!(
        charged_s > 0.0 && charged_s < process_cpu + 1.0,
        "models charged {charged_s} s of the process's {process_cpu} s"
    );
    assert!(value("switchboard_process_resident_bytes") > 100e6);
    assert!(value("switchboard_stt_decodes_total") >= turns);
}

#[path = "agent_call/postcall_checks.rs"]
mod postcall_checks;
