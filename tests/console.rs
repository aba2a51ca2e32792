//! The supervisor console as a person uses it, in headless Chromium
//! (tests/browser/console.py, Playwright) against the whole stack: scratch
//! PostgreSQL, real models, the simulated Twilio placing a real inbound
//! call. A supervisor signs in (after a wrong password is refused), sees the
//! call appear live, opens its transcript, takes it over and speaks (the
//! simulated caller hears the words), hands it back (the bot speaks
//! again), whispers "transfer now" (the bot says so and the call reaches
//! the staff line), reads the finished call, signs out; a staff user is
//! refused the supervisor's actions; an expired session is sent back to
//! sign in. Screenshots of each step land in the target directory. Also,
//! over plain HTTP: 401 without a user, CSRF, lockout, per-user tokens,
//! and every action audited with the user's name.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

mod common;

use common::wired::transcribe;
use functions::db::ScratchDatabase;
use functions::users::{self, Role};
use switchboard::caller::{CallOptions, Step};
use switchboard::demo::wait;
use switchboard::stack::Stack;
use telephony::control::directory::{Destination, Hours, Line, StaffDirectory};
use telephony::speech::SpeechEngines;
use telephony::twilio::twiml::DialTarget;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use twilio_sim::{StaffParty, TwilioSim};

const VOICE: &str = "slt";
const T1: &str = "+15550001001";
const OUR_NUMBER: &str = "+18005550100";
const PASSWORD: &str = "correct horse battery";

fn say(text: &str) -> Step {
    common::wired::say(text, VOICE)
}

/// A 16 kHz mono WAV transcribed by the stack's own Whisper.
async fn transcribe_wav(engines: &SpeechEngines, path: &str) -> String {
    let mut r = hound::WavReader::open(path).unwrap();
    assert_eq!(r.spec().sample_rate, 16_000);
    let a: Vec<f32> = r.samples::<i16>().map(|s| s.unwrap() as f32 / 32768.0).collect();
    common::wired::transcribe_16k(engines, a).await
}

/// `text` spoken (flite), then 1.5 s of silence, as a 16 kHz WAV for the
/// browser's fake microphone (which loops it).
fn write_mic_wav(path: &std::path::Path, text: &str) {
    let ulaw = switchboard::voice::speak_ulaw(text, "awb").unwrap();
    let mut pcm = Vec::new();
    media::mulaw::decode_into(&ulaw, &mut pcm);
    pcm.extend(std::iter::repeat_n(0i16, 12_000));
    let a = common::wired::upsample(&pcm);
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 16_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for v in a {
        w.write_sample((v * 32767.0).clamp(-32768.0, 32767.0) as i16).unwrap();
    }
    w.finalize().unwrap();
}

/// This process's CPU use over `window`, in cores (from /proc: user + system).
async fn cpu_over(window: Duration) -> f64 {
    fn ticks() -> u64 {
        let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
        let after = &stat[stat.rfind(')').unwrap() + 2..];
        let f: Vec<&str> = after.split_whitespace().collect();
        // Fields 14 and 15 of stat (utime, stime), counted after the name.
        f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
    }
    let (t0, c0) = (Instant::now(), ticks());
    tokio::time::sleep(window).await;
    let (t1, c1) = (Instant::now(), ticks());
    (c1 - c0) as f64 / 100.0 / (t1 - t0).as_secs_f64()
}

/// Where speech begins in µ-law audio: the first 20 ms frame above about
/// -30 dBFS, in ms.
fn speech_onset_ms(ulaw: &[u8]) -> u64 {
    let mut pcm = Vec::new();
    media::mulaw::decode_into(ulaw, &mut pcm);
    let frame = pcm
        .chunks(160)
        .position(|f| (f.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / f.len() as f64).sqrt() > 1000.0)
        .unwrap_or(0);
    frame as u64 * 20
}

async fn wired(scratch: &ScratchDatabase) -> (Stack, TwilioSim) {
    common::wired::wired(
        scratch,
        |c| {
            let server = &mut c.server;
            server.staff = StaffDirectory::default().with(
                Line::T1,
                Destination {
                    target: DialTarget::parse(T1),
                    hours: Hours::always(),
                },
            );
            server.api_token = Some("service-token-for-scripts".into());
            server.metrics_token = Some("metrics-scraper-token".into());
            server.recording = Some(telephony::config::RecordingConfig {
                dir: std::env::temp_dir().join(format!("sb-console-recordings-{}", std::process::id())),
                key: std::sync::Arc::new(media::recording::RecordingKey::from_bytes([7; 32])),
            });
        },
        |sim| {
            sim.staff = vec![StaffParty::new(
                T1,
                "Dana",
                "Hello, this is Dana at the pharmacy. How can I help you today?",
            )];
        },
    )
    .await
}

/// The one text column of `sql` for the call `sid`.
async fn column(client: &deadpool_postgres::Object, sql: &str, sid: &str) -> Vec<String> {
    client
        .query(sql, &[&sid])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<_, String>(0))
        .collect()
}

type ScriptOut = tokio::io::Lines<BufReader<tokio::process::ChildStdout>>;

/// The browser script's next line.
async fn next(out: &mut ScriptOut) -> String {
    tokio::time::timeout(Duration::from_secs(180), out.next_line())
        .await
        .expect("the browser script answers in time")
        .unwrap()
        .expect("the browser script ended early (see its stderr)")
}

fn shots_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| PathBuf::from("target"), PathBuf::from);
    let dir = target.join("console-screenshots");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::canonicalize(dir).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervisor_watches_takes_over_hands_back_and_transfers_in_a_browser() {
    let scratch = ScratchDatabase::create(8).await.expect("scratch database");
    let (stack, sim) = wired(&scratch).await;
    let engines = stack.state.speech.clone().expect("speech engines");
    let pool = stack.db.pool.clone();
    users::add(&pool, "ana", Role::Supervisor, PASSWORD).await.unwrap();
    users::add(&pool, "sam", Role::Staff, PASSWORD).await.unwrap();
    let base = format!("http://{}", stack.addr);
    let shots = shots_dir();
    let mic_wav = shots.join("supervisor-mic.wav");
    write_mic_wav(&mic_wav, "Hello, I am the supervisor. Please stay on the line with us.");

    let mut browser = tokio::process::Command::new("python3")
        .arg("tests/browser/console.py")
        .args([
            base.as_str(),
            "ana",
            "sam",
            PASSWORD,
            shots.to_str().unwrap(),
            mic_wav.to_str().unwrap(),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("python3 with playwright (scripts/setup.sh installs it)");
    let mut stdin = browser.stdin.take().unwrap();
    let mut out = BufReader::new(browser.stdout.take().unwrap()).lines();
    assert_eq!(next(&mut out).await, "ready");

    // The caller asks a question and then waits on the line.
    let question = say("Hi, I have a question about my prescription coverage.");
    let lead_ms = match &question {
        Step::Say { audio, .. } => speech_onset_ms(audio),
        _ => unreachable!(),
    };
    let script = vec![wait(), question, Step::Pause(Duration::from_secs(90))];
    let call = sim.inbound_call("+15559990077", OUR_NUMBER, script, CallOptions::default());
    let browse = async {
        // The server's CPU with 8 more listening legs, then without.
        assert_eq!(next(&mut out).await, "legs-on");
        let with_legs = cpu_over(Duration::from_secs(6)).await;
        stdin.write_all(b"go\n").await.unwrap();
        assert_eq!(next(&mut out).await, "legs-off");
        let without = cpu_over(Duration::from_secs(6)).await;
        stdin.write_all(b"go\n").await.unwrap();
        println!(
            "LISTEN CPU: process {:.3} cores with 8 extra listening legs, {:.3} without: {:.4} cores per listener",
            with_legs,
            without,
            (with_legs - without) / 8.0
        );
        assert_eq!(next(&mut out).await, "expire");
        let ended = pool
            .get()
            .await
            .unwrap()
            .execute(
                "UPDATE console_sessions SET expires_at = now() - interval '1 second'
                 WHERE user_id = (SELECT id FROM console_users WHERE username = 'sam')",
                &[],
            )
            .await
            .unwrap();
        assert_eq!(ended, 1, "the staff user's one session");
        stdin.write_all(b"go\n").await.unwrap();
        let line = next(&mut out).await;
        serde_json::from_str::<serde_json::Value>(line.strip_prefix("result ").expect("the result line")).unwrap()
    };
    let (rep, result) = tokio::join!(call, browse);
    let status = browser.wait().await.unwrap();
    assert!(status.success(), "browser script failed");
    println!("{}", serde_json::to_string_pretty(&result).unwrap());

    // What the supervisor saw.
    assert!(
        result["wrong_password_message"]
            .as_str()
            .unwrap()
            .contains("wrong username or password")
    );
    let row = result["row_text"].as_str().unwrap();
    assert!(
        row.contains("***0077") && !row.contains("5559990077"),
        "number masked: {row}"
    );
    assert!(row.contains("inbound"), "{row}");
    let caller = result["caller_lines"].to_string().to_lowercase();
    assert!(
        caller.contains("prescription") || caller.contains("coverage"),
        "{caller}"
    );
    let transcript = result["transcript"].to_string();
    assert!(transcript.contains("Guidance from ana:transfer now"), "{transcript}");
    assert!(transcript.contains("Supervisor:This is Ana"), "{transcript}");
    assert!(
        transcript.contains("transfer to T1 (supervisor_request)"),
        "{transcript}"
    );
    assert!(
        result["unusable_guidance_message"]
            .as_str()
            .unwrap()
            .contains("transfer now"),
        "the console says what the bot can act on"
    );
    assert_eq!(result["me_after_signout"], 401);
    assert_eq!(result["staff_controls_hidden"], true);
    assert_eq!(result["staff_barge_status"], 403);
    assert_eq!(
        result["no_csrf_status"], 403,
        "a change without the CSRF token is refused"
    );
    assert!(
        result["expired_message"]
            .as_str()
            .unwrap()
            .contains("session has ended"),
        "{}",
        result["expired_message"]
    );
    assert_eq!(
        result["past_recording"],
        serde_json::json!([200, "audio/wav"]),
        "the past call's recording plays, decrypted on demand"
    );
    assert!(
        result["past_recording_bytes"].as_u64().unwrap() > 8000 * 4 * 10,
        "ten seconds and more of stereo"
    );
    assert!(
        result["past_lines"].to_string().contains("This is Ana"),
        "the finished call's transcript has the supervisor's words as their own lines"
    );
    for s in result["steps"].as_array().unwrap() {
        let p = s["screenshot"].as_str().unwrap();
        assert!(std::fs::metadata(p).unwrap().len() > 5_000, "{p} is a real screenshot");
    }

    // Listening: the page played the call, and what it played carries the
    // caller's words (transcribed by the stack's own Whisper).
    let listened_s = result["listen_seconds"].as_f64().unwrap();
    assert!(listened_s > 3.0, "{listened_s} s captured");
    let listened = transcribe_wav(&engines, result["listen_wav"].as_str().unwrap()).await;
    assert!(
        listened.contains("prescription") || listened.contains("coverage"),
        "the browser heard {listened:?}"
    );
    // Added delay: the caller's speech onset (sent) to the first loud block
    // the page played after it (wall clock, same machine; ±16 ms blocks).
    let (_, said_at) = rep.streams[0].said_at[0].clone();
    let onset_ms = said_at.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64() * 1000.0 + lead_ms as f64;
    let heard_ms = result["listen_blocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b[0].as_f64().unwrap(), b[1].as_f64().unwrap()))
        .find(|(t, rms)| *t > onset_ms && *rms > 0.02)
        .expect("the caller's speech reached the page")
        .0;
    let added = heard_ms - onset_ms;
    println!("LISTEN added delay (caller speech onset -> page playing it): {added:.0} ms; heard {listened:?}");
    assert!(
        (0.0..2000.0).contains(&added),
        "{added} ms: live audio, not a recording"
    );

    // The caller's side: heard the supervisor's words, then reached Dana.
    assert!(rep.errors.is_empty(), "{:?}", rep.errors);
    let heard = transcribe(&engines, &rep.streams[0].bot_pcm).await;
    assert!(
        heard.contains("supervisor") && heard.contains("joined"),
        "caller heard {heard:?}"
    );
    // The barging supervisor's microphone reached the caller, and the bot
    // said nothing while it was on.
    assert!(heard.contains("stay on the line"), "caller heard {heard:?}");
    assert_eq!(result["bot_lines_during_barge"], 0);
    assert_eq!(result["extra_legs_connected"], 8, "eight more listeners at once");
    assert_eq!(rep.dials.len(), 1, "{:?}", rep.dials);
    assert_eq!((rep.dials[0].to.as_str(), rep.dials[0].answered), (T1, true));

    // The record: the supervisor's line under their own speaker, the
    // guidance and take-over as events, every action audited as ana.
    let client = pool.get().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    // Their typed words and their microphone's, transcribed.
    let spoke: Vec<String> = loop {
        let lines: Vec<String> = column(
            &client,
            "SELECT lower(text) FROM call_utterances WHERE call_sid = $1 AND speaker = 'supervisor' ORDER BY started_ms",
            &rep.call_sid,
        )
        .await;
        if lines.len() >= 2 || Instant::now() > deadline {
            break lines;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(spoke[0].contains("i have joined your call"), "{spoke:?}");
    assert!(spoke[1..].iter().any(|l| l.contains("stay on the line")), "{spoke:?}");
    let kinds = column(
        &client,
        "SELECT kind FROM call_events WHERE call_sid = $1 AND kind LIKE 'supervisor%' ORDER BY id",
        &rep.call_sid,
    )
    .await;
    assert_eq!(
        kinds,
        [
            "supervisor_took_over",
            "supervisor_handed_back",
            "supervisor_barged_in",
            "supervisor_barge_ended",
            "supervisor_guidance"
        ],
        "the unusable guidance never reached the call"
    );
    let audited: Vec<(String, String)> = client
        .query(
            "SELECT actor, action FROM audit_log WHERE actor LIKE 'user:%' ORDER BY id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let audited_as =
        |actor: &str, action: &dyn Fn(&str) -> bool| audited.iter().any(|(who, what)| who == actor && action(what));
    for want in [
        "console.signin",
        "call.watch",
        "call.take_over",
        "call.speak",
        "call.hand_back",
        "call.guide",
        "call.listen",
        "call.barge",
        "transcript.read",
        "recording.decrypt",
    ] {
        assert!(
            audited_as("user:ana", &|what| what == want),
            "{want} audited as ana: {audited:?}"
        );
    }
    assert!(audited_as("user:sam", &|what| what == "console.signin"));
    assert!(!audited_as("user:sam", &|what| what.starts_with("call.")));
    println!("screenshots: {}", shots.display());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_wants_a_user_csrf_and_locks_out_guessing() {
    let scratch = ScratchDatabase::create(4).await.expect("scratch database");
    let (stack, _sim) = wired(&scratch).await;
    let pool = stack.db.pool.clone();
    users::add(&pool, "ana", Role::Supervisor, PASSWORD).await.unwrap();
    assert!(matches!(
        users::add(&pool, "ana", Role::Staff, PASSWORD).await,
        Err(users::UsersError::Exists(_))
    ));
    assert!(matches!(
        users::add(&pool, "bob", Role::Staff, "short").await,
        Err(users::UsersError::WeakPassword)
    ));
    let base = format!("http://{}", stack.addr);
    let http = reqwest::Client::new();

    // Nothing under /api without a user.
    for path in [
        "/api/calls",
        "/api/tasks",
        "/api/calls/recent",
        "/api/me",
        "/api/console/calls",
        "/api/verifications/1",
    ] {
        let r = http.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(r.status(), 401, "{path}");
    }
    // Health stays outside; metrics want their own token when one is set.
    assert_eq!(http.get(format!("{base}/healthz")).send().await.unwrap().status(), 200);
    assert_eq!(http.get(format!("{base}/metrics")).send().await.unwrap().status(), 401);
    let metrics = http
        .get(format!("{base}/metrics"))
        .bearer_auth("metrics-scraper-token")
        .send()
        .await
        .unwrap();
    assert_eq!(metrics.status(), 200);

    // The configured token is the service user's; a user's own token works and is theirs.
    let r = http
        .get(format!("{base}/api/me"))
        .bearer_auth("service-token-for-scripts")
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["username"], "api");
    let token = users::issue_token(&pool, "ana", "test").await.unwrap();
    let me: serde_json::Value = http
        .get(format!("{base}/api/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (me["username"].as_str(), me["role"].as_str()),
        (Some("ana"), Some("supervisor"))
    );

    // A session: cookie flags; reads work; a change needs the CSRF token.
    let jar = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let r = jar
        .post(format!("{base}/console/signin"))
        .json(&serde_json::json!({"username": "ana", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let csrf = r.json::<serde_json::Value>().await.unwrap()["csrf"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(jar.get(format!("{base}/api/tasks")).send().await.unwrap().status(), 200);
    let no_csrf = jar
        .post(format!("{base}/api/calls/CAnone/takeover"))
        .send()
        .await
        .unwrap();
    assert_eq!(no_csrf.status(), 403);
    let with_csrf = jar
        .post(format!("{base}/api/calls/CAnone/takeover"))
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(with_csrf.status(), 404, "past the CSRF check: no such call");
    // A sign-in from another site is refused.
    let cross = http
        .post(format!("{base}/console/signin"))
        .header("origin", "https://evil.example")
        .json(&serde_json::json!({"username": "ana", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), 403);

    // Five wrong passwords lock the account, even against the right one.
    for _ in 0..4 {
        let r = http
            .post(format!("{base}/console/signin"))
            .json(&serde_json::json!({"username": "ana", "password": "guess-guess-guess"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
    }
    let fifth: serde_json::Value = http
        .post(format!("{base}/console/signin"))
        .json(&serde_json::json!({"username": "ana", "password": "guess-guess-guess"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(fifth["error"].as_str().unwrap().contains("locked"), "{fifth}");
    let right = http
        .post(format!("{base}/console/signin"))
        .json(&serde_json::json!({"username": "ana", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), 401, "locked: the right password is refused too");
    // An unknown user is told the same as a wrong password.
    let unknown: serde_json::Value = http
        .post(format!("{base}/console/signin"))
        .json(&serde_json::json!({"username": "nobody", "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(unknown["error"], "wrong username or password");

    // Disabling ends the session and revokes the token.
    users::set_disabled(&pool, "ana", true).await.unwrap();
    assert_eq!(jar.get(format!("{base}/api/tasks")).send().await.unwrap().status(), 401);
    let r = http
        .get(format!("{base}/api/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}
