//! Call control end to end against the simulated Twilio: the whole stack
//! (scratch PostgreSQL, real models, signed webhooks, one-time stream
//! tokens) answers inbound calls the simulator places, and
//! - a caller who asks for a representative is put through to the T1 line:
//!   the live call is redirected over the REST API to a `<Dial>`, the person
//!   who answers hears a whisper of context, the caller hears that person;
//! - a caller reporting an emergency hears 911 advice, the adverse event is
//!   flagged, and the emergency line is dialed;
//! - out of hours, a caller pressing 0 hears that nobody is in and a
//!   callback task is stored; an emergency line that rings out makes a
//!   callback task and tells the caller so: nobody is simply hung up on.

use std::time::{Duration, Instant};

mod common;

use common::wired::transcribe;
use functions::db::ScratchDatabase;
use switchboard::caller::{CallOptions, Step};
use switchboard::demo::wait;
use switchboard::stack::Stack;
use telephony::control::directory::{Destination, Hours, Line, StaffDirectory};
use telephony::twilio::twiml::DialTarget;
use twilio_sim::{SimCallReport, StaffParty, TwilioSim};

const VOICE: &str = "rms";
const T1: &str = "+15550001001";
const EMERGENCY: &str = "+15550009111";
const OUR_NUMBER: &str = "+18005550100";

fn say(text: &str) -> Step {
    common::wired::say(text, VOICE)
}

/// The stack and the simulated account, with this staff directory and these staff.
async fn wired(scratch: &ScratchDatabase, directory: StaffDirectory, staff: Vec<StaffParty>) -> (Stack, TwilioSim) {
    common::wired::wired(scratch, |c| c.server.staff = directory, |sim| sim.staff = staff).await
}

fn line(number: &str, hours: Hours) -> Destination {
    Destination {
        target: DialTarget::parse(number),
        hours,
    }
}

/// Hours that are closed all of today (open tomorrow only, in UTC).
fn closed_today() -> Hours {
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1))
        .format("%a")
        .to_string();
    Hours::parse(&format!("{tomorrow} 00:00-23:59"), "UTC").unwrap()
}

/// The call's tasks, waiting for the call record to be written.
async fn tasks_of(stack: &Stack, sid: &str, want: usize) -> Vec<functions::tasks::Task> {
    let client = stack.db.pool.get().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let t = functions::tasks::for_call(&**client, sid).await.unwrap();
        if t.len() >= want || Instant::now() > deadline {
            return t;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// What the caller heard after the bot's streams (the staff member, or Twilio's `<Say>`).
fn heard_after_streams(r: &SimCallReport) -> &[i16] {
    let bot: usize = r.streams.iter().map(|s| s.bot_pcm.len()).sum();
    &r.heard_pcm[bot.min(r.heard_pcm.len())..]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfers_reach_people_and_nobody_is_hung_up_on() {
    let scratch = ScratchDatabase::create(8).await.expect("scratch database");

    // In hours: T1 and the emergency line answer.
    let directory = StaffDirectory::default()
        .with(Line::T1, line(T1, Hours::always()))
        .with(Line::Emergency, line(EMERGENCY, Hours::always()));
    let staff = vec![
        StaffParty::new(
            T1,
            "Dana",
            "Hello, this is Dana at the pharmacy. How can I help you today?",
        ),
        StaffParty::new(
            EMERGENCY,
            "Doctor Lee",
            "This is the on call pharmacist. Tell me what is happening.",
        ),
    ];
    let (stack, sim) = wired(&scratch, directory, staff).await;
    let engines = stack.state.speech.clone().expect("speech engines");

    let rep_script = vec![wait(), say("I want to talk to a representative."), wait()];
    let sos_script = vec![wait(), say("I took my pill and now I can't breathe."), wait()];
    let t0 = Instant::now();
    let (rep, sos) = tokio::join!(
        sim.inbound_call("+15559990001", OUR_NUMBER, rep_script, CallOptions::default()),
        sim.inbound_call("+15559990002", OUR_NUMBER, sos_script, CallOptions::default()),
    );

    // The representative call: redirected by a REST update, dialed, answered, whispered, heard.
    assert!(rep.errors.is_empty(), "{:?}", rep.errors);
    assert_eq!(rep.streams.len(), 1);
    // The redirect stops the stream and the server closes it once the update
    // is in: whichever the caller's side sees first, nobody hung up.
    let leg = &rep.streams[0];
    assert!(
        leg.stopped || leg.closed_by_server.as_ref().is_some_and(|c| c.1 == "call transferred"),
        "the stream ends by the redirect, not by a hang-up: {:?}",
        leg.closed_by_server
    );
    assert!(!leg.hung_up);
    assert_eq!(rep.dials.len(), 1, "{:?}", rep.dials);
    let dial = &rep.dials[0];
    assert_eq!(
        (dial.to.as_str(), dial.answered, dial.status.as_str()),
        (T1, true, "completed")
    );
    assert_eq!(dial.answered_by.as_deref(), Some("Dana"));
    let whisper = dial.whisper.join(" ");
    assert!(
        whisper.contains("asked for a person") && whisper.contains("not verified"),
        "{whisper}"
    );
    let requests = sim.requests();
    let update = requests
        .iter()
        .find(|r| r.path.ends_with(&format!("/Calls/{}.json", rep.call_sid)))
        .expect("the live call was updated over the REST API");
    assert_eq!(update.status, 200);
    assert_eq!(update.user.as_deref(), Some(sim.config().account_sid.as_str()));
    assert!(update.param("Twiml").is_some_and(|t| t.contains("<Dial")), "{update:?}");
    let heard = transcribe(&engines, heard_after_streams(&rep)).await;
    assert!(
        heard.contains("dana") || heard.contains("pharmacy"),
        "caller heard {heard:?}"
    );
    let ringing = dial.ringing_at.expect("rang").saturating_duration_since(update.at);
    println!(
        "transfer: REST update -> staff line ringing {:?}; call start -> update {:?}",
        ringing,
        update.at.saturating_duration_since(t0)
    );
    assert!(
        tasks_of(&stack, &rep.call_sid, 0).await.is_empty(),
        "answered: no callback task"
    );

    // The emergency: 911 advice, the event flagged, the emergency line dialed.
    assert!(sos.errors.is_empty(), "{:?}", sos.errors);
    let bot = transcribe(&engines, &sos.streams[0].bot_pcm).await;
    // Whisper writes the number as 911, 9-1-1 or 9-11: compare letters and digits only.
    let squeezed: String = bot.chars().filter(char::is_ascii_alphanumeric).collect();
    assert!(
        squeezed.contains("emergency") && squeezed.contains("dial911"),
        "bot said {bot:?}"
    );
    assert_eq!(sos.dials.len(), 1, "{:?}", sos.dials);
    assert_eq!((sos.dials[0].to.as_str(), sos.dials[0].answered), (EMERGENCY, true));
    assert!(
        sos.dials[0].whisper.join(" ").contains("possible emergency"),
        "{:?}",
        sos.dials[0].whisper
    );
    let client = stack.db.pool.get().await.unwrap();
    let flagged: i64 = client
        .query_one(
            "SELECT count(*) FROM adverse_events WHERE call_sid = $1 AND severity = 'severe'",
            &[&sos.call_sid],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(flagged, 1, "the emergency is flagged as a severe adverse event");

    // Every webhook was signed and answered; Twilio's final status reached the call record.
    for w in sim.webhooks() {
        assert!(w.status.is_some_and(|s| (200..300).contains(&s)), "{w:?}");
        assert!(!w.signature.is_empty());
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let row = client
            .query_opt(
                "SELECT twilio_status FROM voice_calls WHERE call_sid = $1",
                &[&rep.call_sid],
            )
            .await
            .unwrap();
        let status: Option<String> = row.and_then(|r| r.get(0));
        if status.as_deref() == Some("completed") {
            break;
        }
        assert!(Instant::now() < deadline, "status callback not recorded: {status:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    drop(client);
    stack.shutdown().await.unwrap();
    drop(sim);

    // Out of hours for T1; the emergency line is open but nobody picks up.
    let mut directory = StaffDirectory::default()
        .with(Line::T1, line(T1, closed_today()))
        .with(Line::Emergency, line(EMERGENCY, Hours::always()));
    directory.dial_timeout_secs = 3;
    let staff = vec![StaffParty::new(EMERGENCY, "Nobody", "unused").unanswered()];
    let (stack, sim) = wired(&scratch, directory, staff).await;
    let engines = stack.state.speech.clone().expect("speech engines");

    let zero = vec![wait(), Step::Dtmf('0'), wait()];
    let sos_script = vec![wait(), say("I have chest pain and trouble breathing."), wait()];
    // A third caller reports an emergency and hangs up a moment into the advice.
    let gone_script = vec![
        wait(),
        say("I took too many pills and I can't breathe."),
        Step::Pause(Duration::from_millis(1500)),
    ];
    let (zero, sos, gone) = tokio::join!(
        sim.inbound_call("+15559990003", OUR_NUMBER, zero, CallOptions::default()),
        sim.inbound_call("+15559990004", OUR_NUMBER, sos_script, CallOptions::default()),
        sim.inbound_call("+15559990005", OUR_NUMBER, gone_script, CallOptions::default()),
    );

    // The advice that began playing is in the call record, marked cut off.
    let client = stack.db.pool.get().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    let advice = loop {
        let rows = client
            .query(
                "SELECT cut_off FROM call_utterances WHERE call_sid = $1 AND speaker = 'bot'
                   AND text LIKE 'If this is a medical emergency%'",
                &[&gone.call_sid],
            )
            .await
            .unwrap();
        if !rows.is_empty() || Instant::now() > deadline {
            break rows.iter().map(|r| r.get::<_, bool>(0)).collect::<Vec<_>>();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(advice, [true], "the emergency advice, cut off by the hang-up");
    drop(client);

    assert!(zero.dials.is_empty(), "nobody to dial out of hours: {:?}", zero.dials);
    let bot = transcribe(&engines, &zero.streams[0].bot_pcm).await;
    assert!(bot.contains("call you back"), "bot said {bot:?}");
    let tasks = tasks_of(&stack, &zero.call_sid, 1).await;
    assert_eq!(tasks.len(), 1, "{tasks:?}");
    let task = &tasks[0].task;
    assert_eq!((task.kind.as_str(), task.tier.as_str()), ("callback", "T1"));
    assert_eq!(task.callback_number.as_deref(), Some("+15559990003"));
    assert!(
        task.due_at > chrono::Utc::now(),
        "due when the line opens: {:?}",
        task.due_at
    );

    assert_eq!(sos.dials.len(), 1, "{:?}", sos.dials);
    assert_eq!(
        (sos.dials[0].answered, sos.dials[0].status.as_str()),
        (false, "no-answer")
    );
    let said = sos.said.join(" ");
    assert!(said.contains("9 1 1") && said.contains("call you back"), "{said}");
    let tasks = tasks_of(&stack, &sos.call_sid, 1).await;
    assert_eq!(tasks.len(), 1, "{tasks:?}");
    assert_eq!(
        (tasks[0].task.tier.as_str(), tasks[0].task.reason.as_str()),
        ("EMERGENCY", "dial_no_answer")
    );
    stack.shutdown().await.unwrap();
}
