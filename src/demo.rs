//! `switchboard demo`: the whole server in process, and one simulated
//! inbound patient call against it over a real WebSocket, exactly as Twilio
//! would place it, printed live and recorded.

use std::path::PathBuf;
use std::time::Duration;

use telephony::monitor::{AgentNote, MonitorNote, Speaker};

use crate::caller::{self, CallReport, CallerIdentity, Step};
use crate::error::AppError;
use crate::stack::{Stack, StackConfig};

/// The demo caller's lines (Maria Garcia is one of the seeded demo patients).
pub const SCRIPT: &[&str] = &[
    "My name is Maria Garcia, and my date of birth is March third, nineteen eighty five.",
    "Does my Ozempic need prior authorization?",
    "Is it covered by my plan, and what is my copay?",
    "No, that's all. Goodbye.",
];

/// Demo settings.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// How to start the stack.
    pub stack: StackConfig,
    /// Where the recording goes.
    pub wav: PathBuf,
    /// flite voice of the caller.
    pub voice: String,
}

/// Turns a list of lines into a script: wait for the bot, say a line, ...
pub fn conversation(lines: &[&str], voice: &str) -> Result<Vec<Step>, AppError> {
    let mut steps = Vec::new();
    for line in lines {
        steps.push(wait());
        steps.push(Step::Say {
            text: (*line).to_owned(),
            audio: crate::voice::speak_ulaw(line, voice)?,
        });
    }
    steps.push(wait());
    Ok(steps)
}

/// Waits for the bot's turn to end (1.2 s of quiet after it spoke).
pub fn wait() -> Step {
    Step::WaitForBot {
        quiet: Duration::from_millis(1200),
        limit: Duration::from_secs(25),
    }
}

/// Runs the demo; returns the caller's report.
pub async fn run(opts: DemoOptions) -> Result<CallReport, AppError> {
    println!("starting the server (database, models, payer simulator)...");
    let stack = Stack::start(opts.stack.clone(), Vec::new()).await?;
    println!("server ready on {}\n", stack.addr);
    let script = conversation(SCRIPT, &opts.voice)?;
    let who = CallerIdentity {
        call_sid: format!("CAdemo{:08x}", fastrand::u32(..)),
        from: "+15550100001".into(),
        to: "+15550000000".into(),
    };
    let mut events = stack.state.monitor.subscribe();
    let sid = who.call_sid.clone();
    let start = std::time::Instant::now();
    let printer = tokio::spawn(async move {
        let mut functions = Vec::new();
        while let Ok(ev) = events.recv().await {
            if ev.call_sid != sid {
                continue;
            }
            let t = start.elapsed().as_secs_f32();
            match ev.what {
                MonitorNote::Started => println!("[{t:6.2}s] call {sid} connected"),
                MonitorNote::Transcript(u) if u.speaker == Speaker::Caller => {
                    println!("[{t:6.2}s] caller: {}", u.text)
                }
                MonitorNote::Transcript(u) if u.cut_off => println!("[{t:6.2}s]   (bot cut off by the caller)"),
                MonitorNote::Transcript(_) => {}
                MonitorNote::Agent(AgentNote::BotSays(text)) => println!("[{t:6.2}s] bot:    {text}"),
                MonitorNote::Agent(AgentNote::TurnLatency(d)) => {
                    println!(
                        "[{t:6.2}s]   turn latency {} ms (end of caller speech to bot audio)",
                        d.as_millis()
                    )
                }
                MonitorNote::Agent(AgentNote::FunctionStarted { .. } | AgentNote::Status { .. }) => {}
                MonitorNote::Supervisor { by, action, .. } => {
                    println!("[{t:6.2}s]   supervisor {by}: {}", action.replace('_', " "))
                }
                MonitorNote::Agent(AgentNote::Transfer { tier, reason }) => {
                    println!("[{t:6.2}s]   transfer to staff tier {tier} ({reason})")
                }
                MonitorNote::Agent(AgentNote::StaffTask { tier, reason }) => {
                    println!("[{t:6.2}s]   task queued for staff tier {tier} ({reason})")
                }
                MonitorNote::FunctionDone {
                    name,
                    latency,
                    budget,
                    outcome,
                } => {
                    let ok = if latency <= budget {
                        "within budget"
                    } else {
                        "OVER BUDGET"
                    };
                    println!(
                        "[{t:6.2}s]   {name}: {} ms of {} ms budget, {ok} ({outcome})",
                        latency.as_millis(),
                        budget.as_millis()
                    );
                    functions.push((name, latency, budget));
                }
                MonitorNote::Ended { reason, outcome } => {
                    println!(
                        "[{t:6.2}s] call ended: {} (outcome: {})",
                        reason.label(),
                        outcome.unwrap_or("-")
                    );
                    break;
                }
            }
        }
        functions
    });
    let report = caller::run(&stack.media_url(), &who, script).await?;
    let functions = tokio::time::timeout(Duration::from_secs(5), printer)
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or_default();
    report.write_wav(&opts.wav)?;
    println!("\nsummary");
    for (i, (text, lat)) in report.turns.iter().enumerate() {
        let l = lat.map_or("no reply".to_owned(), |d| format!("{} ms", d.as_millis()));
        println!(
            "  turn {}: reply after {l}  ({} words)",
            i + 1,
            text.split_whitespace().count()
        );
    }
    for (name, latency, budget) in &functions {
        println!(
            "  {name}: {} ms (budget {} ms)",
            latency.as_millis(),
            budget.as_millis()
        );
    }
    println!(
        "  recording: {} ({:.1} s, caller left, bot right)",
        opts.wav.display(),
        report.caller_pcm.len() as f32 / 8000.0
    );
    post_call(&stack, &who.call_sid).await;
    stack.shutdown().await?;
    if let Some(what) = &report.timed_out {
        return Err(AppError::Other(format!("demo call stalled: {what}")));
    }
    if report.turns.iter().any(|(_, l)| l.is_none()) {
        return Err(AppError::Other("a caller turn got no reply".into()));
    }
    Ok(report)
}

/// Waits (briefly) for the post-call analysis and prints it.
async fn post_call(stack: &Stack, call_sid: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while std::time::Instant::now() < deadline {
        let found = async {
            let db = stack.db.pool.get().await.ok()?;
            let row = db
                .query_opt(
                    "SELECT analysis FROM voice_calls WHERE call_sid = $1 AND analysis IS NOT NULL",
                    &[&call_sid],
                )
                .await
                .ok()??;
            let events: i64 = db
                .query_one(
                    "SELECT count(*) FROM webhook_events WHERE data->>'call_sid' = $1",
                    &[&call_sid],
                )
                .await
                .ok()?
                .get(0);
            Some((row.get::<_, serde_json::Value>(0), events))
        }
        .await;
        if let Some((a, events)) = found {
            println!("\npost-call analysis (worker, from the Postgres job queue)");
            println!("  outcome: {}", a["call_outcome"].as_str().unwrap_or("-"));
            println!("  summary: {}", a["summary"].as_str().unwrap_or("-"));
            if let Some(f) = a["follow_up_actions"].as_array().filter(|f| !f.is_empty()) {
                for x in f {
                    println!("  follow-up: {}", x.as_str().unwrap_or("-"));
                }
            }
            println!(
                "  satisfaction: {} ({})",
                a["satisfaction"]["score"],
                a["satisfaction"]["label"].as_str().unwrap_or("-")
            );
            println!("  webhook events recorded: {events} (delivered when SWITCHBOARD_WEBHOOK_URL is set)");
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    println!("\npost-call analysis not ready yet (see `switchboard jobs status`)");
}
