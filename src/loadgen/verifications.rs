//! `switchboard loadgen --verifications N`: outbound benefits verifications
//! at volume. The whole stack runs in this process with a simulated Twilio
//! account whose numbers are payer provider lines played from their script
//! files (`data/payer_lines/*.toml`: menus, keyed entries, hold, a rep who
//! hears the bot through the stack's own recogniser and checks its
//! read-back). N jobs are queued at once over the lines, and the server's
//! dialer works them within its caps.
//!
//! Measured: the fields right against each script's `[truth]`, the calls
//! completed without a person, the time from dial to the rep and to the
//! end, the bot's reply time to the rep, the most calls seen at once (the
//! caps), and, on a call measured alone first, the server's own CPU per
//! minute on hold and the recogniser's decodes there. The simulator runs
//! on its own runtime (threads named `twilio-sim`), so its CPU (the lines'
//! speech synthesis and audio) is told apart from the server's.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use functions::benefits_verification::{self as bv, DialLimits, NewVerification};
use serde::Serialize;
use serde_json::{Value, json};
use telephony::outbound::OutboundConfig;
use telephony::twilio::rest::{RestAuth, RestConfig};
use twilio_sim::payer_line::{Ears, LineLog, PayerLine, PayerScript, Segment};
use twilio_sim::{Party, SimConfig, TwilioSim};

use super::LoadgenError;
use super::stats::Summary;
use crate::stack::{Stack, StackConfig};

/// The caller ID of the verification calls (a fiction number).
const OUR_NUMBER: &str = "+18005550100";
/// The provider the calls are made for; the lines expect this NPI.
const NPI: &str = "1234567893";

/// What to run.
#[derive(Debug, Clone)]
pub struct VerifyLoad {
    /// Jobs queued at once.
    pub count: usize,
    /// Payer line scripts by name, used in turn.
    pub lines: Vec<String>,
    /// Where the scripts are.
    pub dir: PathBuf,
    /// The dialer's caps: calls at once overall and per line.
    pub limits: DialLimits,
    /// Seconds of hold on the call measured alone (0: none).
    pub hold_secs: f64,
    /// Longest the whole run may take.
    pub limit: Duration,
}

/// The fields of one verification compared with its script's truth.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Score {
    /// Fields equal to the truth.
    pub right: usize,
    /// Fields with another value.
    pub wrong: Vec<String>,
    /// Fields not collected.
    pub missing: Vec<String>,
}

impl Score {
    /// Fields in the truth.
    pub fn total(&self) -> usize {
        self.right + self.wrong.len() + self.missing.len()
    }
}

/// Compares a verification's `fields` (as the API gives them) with what
/// the script's rep said (`[truth]`). The per-pharmacy truths read "20%",
/// "$30" or "none".
pub fn score(script: &PayerScript, fields: &Value) -> Score {
    let mut s = Score::default();
    for (name, want) in &script.truth {
        let (path, want) = match name.as_str() {
            "coinsurance_pct" | "copay" => (
                format!("/cost_share/value/{name}"),
                serde_json::to_value(want).unwrap_or(Value::Null),
            ),
            "retail" | "specialty" | "mail_order" => (
                format!("/cost_share/value/channels/{name}"),
                channel_terms(want.as_str().unwrap_or_default()),
            ),
            _ => (
                format!("/{name}/value"),
                serde_json::to_value(want).unwrap_or(Value::Null),
            ),
        };
        let got = fields.pointer(&path).cloned().unwrap_or(Value::Null);
        let same = match (got.as_f64(), want.as_f64()) {
            (Some(g), Some(w)) => (g - w).abs() < 0.005,
            _ => got == want,
        };
        if same {
            s.right += 1;
        } else if got.is_null() {
            s.missing.push(name.clone());
        } else {
            s.wrong.push(format!("{name}: got {got}, said {want}"));
        }
    }
    s
}

/// The cost share at one kind of pharmacy as the API gives it, from a
/// script's "20%", "$30" or "none".
fn channel_terms(said: &str) -> Value {
    if let Some(pct) = said.strip_suffix('%').and_then(|p| p.parse::<u32>().ok()) {
        json!({"kind": "coinsurance", "pct": pct})
    } else if let Some(d) = said.strip_prefix('$').and_then(|d| d.parse::<f64>().ok()) {
        json!({"kind": "copay", "dollars": d})
    } else {
        json!({"kind": "not_covered"})
    }
}

/// One verification as it went.
#[derive(Debug, Clone, Serialize)]
pub struct JobReport {
    /// The job.
    pub id: i64,
    /// The payer line script.
    pub line: String,
    /// How it ended.
    pub status: String,
    /// Said to be partial.
    pub partial: bool,
    /// Calls placed.
    pub attempts: i32,
    /// Seconds from the first dial to the rep picking up.
    pub to_rep_s: Option<f64>,
    /// Seconds from the first dial to the end.
    pub to_end_s: Option<f64>,
    /// Seconds on hold.
    pub hold_s: Option<f64>,
    /// Fields against the truth.
    pub score: Score,
    /// The bot's replies to the rep (end of the rep's words to the bot's
    /// first audio), seconds.
    pub replies_s: Vec<f64>,
}

/// The hold measured on a call alone.
#[derive(Debug, Clone, Default, Serialize)]
pub struct HoldReport {
    /// Seconds on hold.
    pub seconds: f64,
    /// The server's CPU-seconds per minute on hold (the process less the
    /// simulator's threads).
    pub server_cpu_s_per_min: f64,
    /// The simulator's (the line playing music and announcements).
    pub sim_cpu_s_per_min: f64,
    /// Final decodes the recogniser ran while the call was on hold.
    pub decodes: f64,
}

/// The whole run.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    /// Jobs.
    pub jobs: Vec<JobReport>,
    /// The hold alone.
    pub hold: Option<HoldReport>,
    /// Caps of the dialer.
    pub caps: (i64, i64),
    /// Most calls under way at once, overall.
    pub peak_calls: usize,
    /// Most calls under way at once on one line.
    pub peak_per_line: usize,
    /// Corrections the reps made at read-backs, by line.
    pub corrections: BTreeMap<String, Vec<String>>,
    /// Seconds the run took.
    pub wall_s: f64,
}

/// CPU-seconds of the whole process and of the simulator's threads.
fn cpu_split() -> (f64, f64) {
    fn ticks(stat: &str) -> f64 {
        let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
        let f: Vec<&str> = rest.split_whitespace().collect();
        [11, 12]
            .iter()
            .filter_map(|i| f.get(*i)?.parse::<f64>().ok())
            .sum::<f64>()
            / 100.0
    }
    let total = ticks(&std::fs::read_to_string("/proc/self/stat").unwrap_or_default());
    let mut sim = 0.0;
    if let Ok(dir) = std::fs::read_dir("/proc/self/task") {
        for t in dir.flatten() {
            let comm = std::fs::read_to_string(t.path().join("comm")).unwrap_or_default();
            if comm.starts_with("twilio-sim") {
                sim += ticks(&std::fs::read_to_string(t.path().join("stat")).unwrap_or_default());
            }
        }
    }
    (total, sim)
}

/// The stack's count of final decodes (from its own metrics).
async fn decodes(addr: std::net::SocketAddr) -> f64 {
    let client = reqwest::Client::new();
    match super::prom::fetch(&client, &format!("http://{addr}/metrics")).await {
        Ok(s) => s.sum("switchboard_stt_final_latency_seconds_count", &[]),
        Err(_) => f64::NAN,
    }
}

/// A script whose hold lasts about `secs` (its segments repeated).
fn with_long_hold(mut script: PayerScript, secs: f64) -> PayerScript {
    for h in &mut script.hold {
        let once: f64 = h
            .segments
            .iter()
            .map(|s| s.music.unwrap_or(0.0) + s.silence.unwrap_or(0.0) + s.say.as_ref().map_or(0.0, |_| 3.0))
            .sum();
        let times = (secs / once.max(1.0)).ceil().max(1.0) as usize;
        let segments: Vec<Segment> = h
            .segments
            .iter()
            .cloned()
            .cycle()
            .take(h.segments.len() * times)
            .collect();
        h.segments = segments;
    }
    script
}

/// Runs the load; `stack` is how to start the server in this process.
pub async fn run(load: &VerifyLoad, mut stack: StackConfig) -> Result<VerifyReport, LoadgenError> {
    if (load.count == 0 && load.hold_secs <= 0.0) || load.lines.is_empty() {
        return Err(LoadgenError::Usage(
            "--verifications (or --hold-secs) and --payer-lines must not be empty".into(),
        ));
    }
    let scripts: Vec<(String, Arc<PayerScript>)> = load
        .lines
        .iter()
        .map(|name| {
            let path = load.dir.join(format!("{name}.toml"));
            PayerScript::load(&path)
                .map(|s| (name.clone(), Arc::new(s)))
                .map_err(|e| LoadgenError::Usage(format!("{}: {e}", path.display())))
        })
        .collect::<Result<_, _>>()?;

    // The simulated account on its own runtime.
    let sim_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("twilio-sim")
        .thread_keep_alive(Duration::from_secs(24 * 3600))
        .enable_all()
        .build()
        .map_err(|e| failed(format!("simulator runtime: {e}")))?;
    let sim_listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(failed)?;
    sim_listener.set_nonblocking(true).map_err(failed)?;
    let sim_cfg = SimConfig::default();
    let api_base = format!("http://{}", sim_listener.local_addr().map_err(failed)?);

    stack.server.listen = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    stack.server.mode = telephony::CallMode::Agent;
    stack.server.twilio_auth_token = Some(sim_cfg.auth_token.clone());
    stack.server.twilio_rest = Some(RestConfig::new(
        &api_base,
        &sim_cfg.account_sid,
        RestAuth::AuthToken(sim_cfg.auth_token.clone()),
    ));
    stack.server.outbound = Some(OutboundConfig {
        caller_id: OUR_NUMBER.into(),
        provider: "Riverside Pharmacy".into(),
        npi: NPI.into(),
        callback_number: "+15550100200".into(),
        limits: load.limits,
        backoff: Duration::from_secs(5),
        poll: Duration::from_millis(300),
        ring_secs: 20,
    });
    eprintln!("starting the server in process (database, models) and the simulated payer lines...");
    let stack = Stack::start(stack, Vec::new()).await?;
    let sim = {
        let _in_sim = sim_rt.enter();
        let listener = tokio::net::TcpListener::from_std(sim_listener).map_err(failed)?;
        TwilioSim::start_on(
            listener,
            SimConfig {
                voice_url: format!("http://{}/twilio/voice", stack.addr),
                status_callback: Some(format!("http://{}/twilio/status", stack.addr)),
                ..sim_cfg
            },
        )
        .map_err(failed)?
    };
    let engines = stack
        .state
        .speech
        .clone()
        .ok_or_else(|| failed("the stack has no speech engines"))?;
    let handle = tokio::runtime::Handle::current();
    let ears: Ears = Arc::new(move |pcm: &[i16]| handle.block_on(engines.transcribe_8k(pcm)));

    // Each line on its own number; each call to it keeps its own log.
    type Logs = Arc<Mutex<Vec<Arc<Mutex<LineLog>>>>>;
    let mut numbers: BTreeMap<String, (String, Arc<PayerScript>, Logs)> = BTreeMap::new();
    let register = |sim: &TwilioSim, number: &str, script: Arc<PayerScript>, logs: Logs| {
        let ears = ears.clone();
        let make = move || -> twilio_sim::caller::SharedResponder {
            let log: Arc<Mutex<LineLog>> = Arc::default();
            logs.lock().map(|mut l| l.push(log.clone())).ok();
            Arc::new(Mutex::new(PayerLine::new(script.clone(), ears.clone(), log)))
        };
        sim.register_party(number, Party::responding(Duration::from_secs(1), Arc::new(make)));
    };
    for (i, (name, script)) in scripts.iter().enumerate() {
        let number = format!("+1800555{:04}", 170 + i);
        let logs: Logs = Arc::default();
        register(&sim, &number, script.clone(), logs.clone());
        numbers.insert(number, (name.clone(), script.clone(), logs));
    }

    // Patients with a medication, one job each, the lines in turn.
    let patients: Vec<(i64, String)> = {
        let c = client(&stack).await?;
        c.query(
            "SELECT DISTINCT ON (p.id) p.id, pm.name FROM patients p
             JOIN patient_medications pm ON pm.patient_id = p.id ORDER BY p.id, pm.name",
            &[],
        )
        .await
        .map_err(failed)?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
    };
    if patients.is_empty() {
        return Err(LoadgenError::Usage(
            "no patient with a medication in the database".into(),
        ));
    }
    let started = Instant::now();
    let deadline = started + load.limit;

    // The hold, on a call alone first.
    let hold = if load.hold_secs > 0.0 {
        let (name, script) = &scripts[0];
        let number = "+18005550199";
        let logs: Logs = Arc::default();
        register(
            &sim,
            number,
            Arc::new(with_long_hold((**script).clone(), load.hold_secs)),
            logs,
        );
        eprintln!(
            "hold alone: one call to {name} with about {:.0} s of hold",
            load.hold_secs
        );
        let (patient_id, medication) = patients[0].clone();
        let id = create(&stack, patient_id, &medication, number).await?;
        let mut at_hold: Option<(Instant, (f64, f64), f64)> = None;
        let mut report = None;
        loop {
            let v = view(&stack, id).await?;
            let status = v["status"].as_str().unwrap_or_default().to_owned();
            if status == "hold" && at_hold.is_none() {
                at_hold = Some((Instant::now(), cpu_split(), decodes(stack.addr).await));
            }
            if status != "hold"
                && let Some((t0, (total0, sim0), d0)) = at_hold
                && report.is_none()
            {
                let (total1, sim1) = cpu_split();
                let minutes = t0.elapsed().as_secs_f64() / 60.0;
                let sim_cpu = sim1 - sim0;
                report = Some(HoldReport {
                    seconds: minutes * 60.0,
                    server_cpu_s_per_min: (total1 - total0 - sim_cpu) / minutes,
                    sim_cpu_s_per_min: sim_cpu / minutes,
                    decodes: decodes(stack.addr).await - d0,
                });
            }
            if bv::FINAL.contains(&status.as_str()) || Instant::now() > deadline {
                break;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        report
    } else {
        None
    };

    // The load: every job queued at once.
    let mut jobs: Vec<(i64, String, Arc<PayerScript>)> = Vec::new();
    let lines: Vec<(&String, &(String, Arc<PayerScript>, Logs))> = numbers.iter().collect();
    for k in 0..load.count {
        let (number, (name, script, _)) = lines[k % lines.len()];
        let (patient_id, medication) = &patients[k % patients.len()];
        let id = create(&stack, *patient_id, medication, number).await?;
        jobs.push((id, name.clone(), script.clone()));
    }
    eprintln!(
        "{} verifications queued over {} lines (caps: {} calls, {} per line)",
        jobs.len(),
        lines.len(),
        load.limits.overall,
        load.limits.per_line
    );
    // Status changes, polled: when each job reached each status.
    let mut seen: BTreeMap<i64, Vec<(String, Instant)>> = BTreeMap::new();
    let (mut peak_calls, mut peak_per_line) = (0usize, 0usize);
    let mut last_line = String::new();
    loop {
        let mut active: BTreeMap<String, usize> = BTreeMap::new();
        let mut open = 0;
        for (id, name, _) in &jobs {
            let v = view(&stack, *id).await?;
            let status = v["status"].as_str().unwrap_or_default().to_owned();
            let s = seen.entry(*id).or_default();
            if s.last().is_none_or(|(last, _)| *last != status) {
                s.push((status.clone(), Instant::now()));
            }
            if bv::ACTIVE.contains(&status.as_str()) {
                *active.entry(name.clone()).or_default() += 1;
            }
            if !bv::FINAL.contains(&status.as_str()) {
                open += 1;
            }
        }
        peak_calls = peak_calls.max(active.values().sum());
        peak_per_line = peak_per_line.max(active.values().copied().max().unwrap_or(0));
        let line = format!(
            "{:>5.0} s: {} under way, {} done of {}",
            started.elapsed().as_secs_f64(),
            active.values().sum::<usize>(),
            jobs.len() - open,
            jobs.len()
        );
        if line[8..] != last_line.get(8..).unwrap_or_default()[..] {
            eprintln!("{line}");
            last_line = line;
        }
        if open == 0 || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }

    // Each job's figures.
    let mut out = Vec::new();
    for (id, name, script) in &jobs {
        let v = view(&stack, *id).await?;
        let times = seen.get(id).cloned().unwrap_or_default();
        let first = |st: &str| times.iter().find(|(s, _)| s == st).map(|(_, t)| *t);
        // A short status can fall between two polls: the first one seen.
        let dial = first("dialing").or_else(|| first("ivr"));
        let since_dial = |t: Option<Instant>| Some(t?.duration_since(dial?).as_secs_f64());
        let end = times
            .iter()
            .find(|(s, _)| bv::FINAL.contains(&s.as_str()))
            .map(|(_, t)| *t);
        let hold_s = match (first("hold"), first("with_rep")) {
            (Some(h), Some(r)) => Some(r.duration_since(h).as_secs_f64()),
            _ => None,
        };
        let mut replies = Vec::new();
        for sid in v["calls"].as_array().into_iter().flatten().filter_map(Value::as_str) {
            if let Some(r) = sim.wait_report(sid, Duration::from_secs(5)).await {
                replies.extend(
                    r.streams
                        .iter()
                        .flat_map(|s| s.turns.iter())
                        .filter_map(|(_, l)| l.map(|d| d.as_secs_f64())),
                );
            }
        }
        out.push(JobReport {
            id: *id,
            line: name.clone(),
            status: v["status"].as_str().unwrap_or_default().to_owned(),
            partial: v["partial"].as_bool().unwrap_or(false),
            attempts: v["attempts"].as_i64().unwrap_or(0) as i32,
            to_rep_s: since_dial(first("with_rep")),
            to_end_s: since_dial(end),
            hold_s,
            score: score(script, &v["fields"]),
            replies_s: replies,
        });
    }
    // Corrections by line, all its calls together.
    let corrections: BTreeMap<String, Vec<String>> = numbers
        .values()
        .map(|(name, _, logs)| {
            let all = logs
                .lock()
                .map(|l| {
                    l.iter()
                        .filter_map(|x| x.lock().ok().map(|x| x.corrections.clone()))
                        .flatten()
                        .collect()
                })
                .unwrap_or_default();
            (name.clone(), all)
        })
        .collect();
    let report = VerifyReport {
        jobs: out,
        hold,
        caps: (load.limits.overall, load.limits.per_line),
        peak_calls,
        peak_per_line,
        corrections,
        wall_s: started.elapsed().as_secs_f64(),
    };
    drop(sim);
    sim_rt.shutdown_background();
    stack.shutdown().await?;
    Ok(report)
}

/// A failure of the run's own machinery.
fn failed(e: impl std::fmt::Display) -> LoadgenError {
    LoadgenError::Verification(e.to_string())
}

/// A connection to the stack's database.
async fn client(stack: &Stack) -> Result<deadpool_postgres::Object, LoadgenError> {
    stack.db.pool.get().await.map_err(failed)
}

async fn create(stack: &Stack, patient_id: i64, medication: &str, number: &str) -> Result<i64, LoadgenError> {
    let c = client(stack).await?;
    bv::create(
        &**c,
        &NewVerification {
            patient_id,
            medication: medication.to_owned(),
            payer_phone: Some(number.to_owned()),
            requested_by: "loadgen".into(),
        },
    )
    .await
    .map_err(failed)
}

async fn view(stack: &Stack, id: i64) -> Result<Value, LoadgenError> {
    let c = client(stack).await?;
    bv::view(&**c, id)
        .await
        .map_err(failed)?
        .ok_or_else(|| failed(format!("verification {id} vanished")))
}

/// The report as a table.
pub fn table(r: &VerifyReport) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let mut by_line: BTreeMap<&str, Vec<&JobReport>> = BTreeMap::new();
    for j in &r.jobs {
        by_line.entry(&j.line).or_default().push(j);
    }
    let _ = writeln!(
        s,
        "{:<18} {:>4} {:>10} {:>8} {:>13} {:>7} {:>7}",
        "payer line", "jobs", "no person", "partial", "fields right", "wrong", "missing"
    );
    let row = |s: &mut String, name: &str, js: &[&JobReport]| {
        let done = js.iter().filter(|j| j.status == "completed").count();
        let partial = js.iter().filter(|j| j.partial).count();
        let right: usize = js.iter().map(|j| j.score.right).sum();
        let total: usize = js.iter().map(|j| j.score.total()).sum();
        let wrong: usize = js.iter().map(|j| j.score.wrong.len()).sum();
        let missing: usize = js.iter().map(|j| j.score.missing.len()).sum();
        let _ = writeln!(
            s,
            "{name:<18} {:>4} {:>10} {:>8} {:>13} {:>7} {:>7}",
            js.len(),
            done,
            partial,
            format!("{right}/{total} {:.0}%", 100.0 * right as f64 / total.max(1) as f64),
            wrong,
            missing
        );
    };
    for (name, js) in &by_line {
        row(&mut s, name, js);
    }
    let all: Vec<&JobReport> = r.jobs.iter().collect();
    row(&mut s, "all", &all);
    let secs = |f: fn(&JobReport) -> Option<f64>| {
        Summary::of(&r.jobs.iter().filter_map(f).map(|x| x * 1000.0).collect::<Vec<_>>())
    };
    let show = |s: &mut String, what: &str, m: Summary| {
        let _ = writeln!(
            s,
            "{what:<34} p50 {:>7.2} s  p95 {:>7.2} s  max {:>7.2} s  (n={})",
            m.p50 / 1000.0,
            m.p95 / 1000.0,
            m.max / 1000.0,
            m.count
        );
    };
    show(&mut s, "dial to rep", secs(|j| j.to_rep_s));
    show(&mut s, "dial to end", secs(|j| j.to_end_s));
    show(&mut s, "on hold", secs(|j| j.hold_s));
    let replies: Vec<f64> = r
        .jobs
        .iter()
        .flat_map(|j| j.replies_s.iter().map(|x| x * 1000.0))
        .collect();
    show(&mut s, "bot reply to the rep", Summary::of(&replies));
    let _ = writeln!(
        s,
        "calls at once: peak {} (cap {}), per line peak {} (cap {})",
        r.peak_calls, r.caps.0, r.peak_per_line, r.caps.1
    );
    if let Some(h) = &r.hold {
        let _ = writeln!(
            s,
            "hold alone: {:.0} s, server {:.2} CPU-s per minute, simulator {:.2}, {} decodes on hold",
            h.seconds, h.server_cpu_s_per_min, h.sim_cpu_s_per_min, h.decodes
        );
    }
    for (line, c) in &r.corrections {
        let _ = writeln!(s, "read-back corrections by the rep of {line}: {}", c.len());
        for x in c {
            let _ = writeln!(s, "  {x}");
        }
    }
    for j in &r.jobs {
        for w in &j.score.wrong {
            let _ = writeln!(s, "  job {} ({}): wrong {w}", j.id, j.line);
        }
    }
    let _ = writeln!(s, "wall {:.0} s", r.wall_s);
    s
}

/// Writes the report as JSON.
pub fn write_json(r: &VerifyReport, path: &Path) -> Result<(), LoadgenError> {
    let text = serde_json::to_string_pretty(r).map_err(|e| LoadgenError::Report(e.to_string()))?;
    std::fs::write(path, text).map_err(|e| LoadgenError::Report(format!("{}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCRIPT: &str = r#"
name = "Test line"
start = "hold"
[[hold]]
id = "hold"
segments = [{ music = 5.0 }, { say = "Please continue to hold." }, { silence = 2.0 }]
next = "rep"
[rep]
id = "rep"
greeting = "Hi."
after_identifiers = "Found her."
[truth]
deductible = 1500.0
pa_required = true
coinsurance_pct = 20
retail = "20%"
mail_order = "none"
reference = "REF1"
"#;

    #[test]
    fn fields_are_scored_against_the_truth() {
        let script = PayerScript::parse(SCRIPT).unwrap();
        let fields = json!({
            "deductible": {"value": 1500.0},
            "pa_required": {"value": false},
            "cost_share": {"value": {"coinsurance_pct": 20, "channels": {
                "retail": {"kind": "coinsurance", "pct": 20},
                "mail_order": {"kind": "not_covered"},
                "specialty": null
            }}}
        });
        let s = score(&script, &fields);
        assert_eq!(s.right, 4, "{s:?}");
        assert_eq!(s.wrong.len(), 1, "{s:?}");
        assert!(s.wrong[0].starts_with("pa_required"), "{s:?}");
        assert_eq!(s.missing, ["reference"]);
        assert_eq!(s.total(), 6);
    }

    #[test]
    fn a_long_hold_repeats_the_segments() {
        let script = with_long_hold(PayerScript::parse(SCRIPT).unwrap(), 60.0);
        // 5 s + about 3 s + 2 s a round: six rounds for a minute.
        assert_eq!(script.hold[0].segments.len(), 18);
    }
}
