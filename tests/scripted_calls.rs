//! Thirty whole calls from held-out callers, through the parts that decide
//! whether a caller is understood: each caller turn is synthesised (six
//! voices, two engines or three, several rates) over a clean line or one with hiss and
//! crackle at 15 or 10 dB SNR, carried as 8 kHz µ-law, transcribed by
//! Whisper with the dialog's recognition hint, and fed to the real dialog,
//! whose function calls run against real PostgreSQL (1,000 seeded patients),
//! the payer simulator and the PA index. Playback and turn-taking are not in
//! the loop here (the call tests cover them): each bot line counts as heard.
//!
//! Identity turns hinted with the names on file are checked against a plain
//! decode of the same audio, as calls do (`ExpectedNames::corroborate`).
//!
//! Genuine callers (24, patients drawn from the seeded database) give their
//! name and date of birth, then ask for one thing about their own
//! medication; when the bot cannot match them they say their name again
//! and key in the date of birth, as offered, and on a third try spell
//! their surname first. They use what the bot offers after a miss as a
//! person would: the date of birth keyed in, the menu key of their request,
//! the key of their medication among the choices read out; a request the
//! bot guessed and puts back to them ("Just to check: …") gets a yes when
//! it is what they want and a no when it is not. Genuine callers
//! call from the number on their record, so the names on file for it are
//! the recogniser's hint on the identity turns. Impostors (6) give a real
//! patient's name with the wrong date of birth, or a real date of birth
//! with a name not on file, and keep trying; every other one calls from the
//! patient's own number (a household phone).
//!
//! `SWITCHBOARD_SCRIPTED_BATCH=N` draws the callers from the N-th next 40
//! patients: held-out sets, each kept unread while the dialog changed (0 to
//! 9 have been read since); batches 3, 4 and 6 to 10 bring new phrasings
//! too, batch 9 new speaking rates, flite's 16 kHz kal, and every voice on
//! every line, and batch 10 a third engine (eSpeak NG) and new ways to say
//! a date ("March the fourteenth", "fourteenth March").
//!
//! Measured: task success, genuine callers verified within two attempts,
//! false verifications (must be 0), PHI spoken before verification (must be
//! 0). `cargo test --release --test scripted_calls -- --nocapture`

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{Datelike, NaiveDate};
use dialog::tools::{Outcome, Request};
use dialog::{Action, CallOutcome, Catalog, Dialog, DialogConfig, Event, prompts};
use functions::db::ScratchDatabase;
use functions::payer_sim::{self, SimConfig};
use functions::{Functions, FunctionsConfig, ingest, seed};
use models::assets::{Assets, files};
use models::stt::{JobKind, SttPool, WhisperModel};
use switchboard::voice::{LineNoise, Voice};
use telephony::intents::{IntentClassifier, Opinions};

mod common;

use common::speech::{LINES, ulaw_to_16k, voices};

/// A patient as the caller knows themself.
#[derive(Debug, Clone)]
struct Person {
    first: String,
    last: String,
    dob: NaiveDate,
    phone: String,
    /// As on the insurance card ("M" and nine digits).
    member_id: String,
    medications: Vec<String>,
}

/// What the caller wants after verification.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Ask {
    Refill,
    Coverage,
    PriorAuth,
    Medications,
    Person,
}

#[derive(Debug, Clone)]
enum Caller {
    /// The patient themself.
    Genuine { who: Person, ask: Ask },
    /// Claims to be `target` with the wrong identity (`says_*`).
    Impostor {
        target: Person,
        says_name: String,
        says_dob: NaiveDate,
    },
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

fn ordinal(n: u32) -> String {
    const ONES: [&str; 20] = [
        "",
        "first",
        "second",
        "third",
        "fourth",
        "fifth",
        "sixth",
        "seventh",
        "eighth",
        "ninth",
        "tenth",
        "eleventh",
        "twelfth",
        "thirteenth",
        "fourteenth",
        "fifteenth",
        "sixteenth",
        "seventeenth",
        "eighteenth",
        "nineteenth",
    ];
    match n {
        1..=19 => ONES[n as usize].into(),
        20 => "twentieth".into(),
        30 => "thirtieth".into(),
        21..=29 => format!("twenty {}", ONES[(n - 20) as usize]),
        _ => format!("thirty {}", ONES[(n - 30) as usize]),
    }
}

fn cardinal(n: u32) -> String {
    const ONES: [&str; 20] = [
        "",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
    ];
    const TENS: [&str; 10] = [
        "", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
    ];
    match n {
        0..=19 => ONES[n as usize].into(),
        _ if n.is_multiple_of(10) => TENS[(n / 10) as usize].into(),
        _ => format!("{} {}", TENS[(n / 10) as usize], ONES[(n % 10) as usize]),
    }
}

/// A year as callers say it.
fn say_year(d: NaiveDate) -> String {
    match d.year() {
        y if y >= 2000 => format!("two thousand {}", cardinal((y - 2000) as u32))
            .trim()
            .to_owned(),
        y => {
            let (hi, lo) = ((y / 100) as u32, (y % 100) as u32);
            match lo {
                0 => format!("{} hundred", cardinal(hi)),
                1..=9 => format!("{} oh {}", cardinal(hi), cardinal(lo)),
                _ => format!("{} {}", cardinal(hi), cardinal(lo)),
            }
        }
    }
}

/// A date as callers say it, three ways.
fn say_date(d: NaiveDate, style: usize) -> String {
    let month = MONTHS[d.month0() as usize];
    let year = say_year(d);
    match style % 3 {
        // From batch 9 on, one style in three is the date as digits, as
        // forms are read out: "oh three, fourteen, seventy-five".
        2 if batch() >= 9 => {
            let m = d.month();
            let month = if m < 10 {
                format!("oh {}", cardinal(m))
            } else {
                cardinal(m)
            };
            let yy = (d.year() % 100) as u32;
            let short = if yy < 10 {
                format!("oh {}", cardinal(yy))
            } else {
                cardinal(yy)
            };
            let year = if d.year() >= 2000 { say_year(d) } else { short };
            format!("{month}, {}, {year}", cardinal(d.day()))
        }
        // From batch 10 on, "March the fourteenth" and "fourteenth March".
        0 if batch() >= 10 => format!("{month} the {}, {year}", ordinal(d.day())),
        1 if batch() >= 10 => format!("{} {month}, {year}", ordinal(d.day())),
        0 => format!("{month} {}, {year}", ordinal(d.day())),
        1 => format!("the {} of {month}, {year}", ordinal(d.day())),
        // From batch 8 on, the day as a plain number, as many people say it.
        _ if batch() >= 8 => format!("{month} {}, {year}", cardinal(d.day())),
        _ => format!("{month} {}, {year}", ordinal(d.day())),
    }
}

fn identity_line(name: &str, dob: NaiveDate, i: usize) -> String {
    if batch() >= 10 {
        // Phrasings written with batch 10, before its first run.
        return match i % 4 {
            0 => format!("Yes, good afternoon. {name}, date of birth is {}.", say_date(dob, i)),
            1 => format!("It's {name} here. I was born on {}.", say_date(dob, i)),
            2 => format!("Okay so my name is {name} and my birthday is {}.", say_date(dob, i)),
            _ => format!("Hi, I'm calling for myself, {name}, born {}.", say_date(dob, i)),
        };
    }
    if batch() >= 9 {
        // Phrasings written with batch 9, before its first run.
        return match i % 4 {
            0 => format!(
                "Hello there, my name is {name} and my birth date is {}.",
                say_date(dob, i)
            ),
            1 => format!("{name}, {}, that's me.", say_date(dob, i)),
            2 => format!("Sure thing. I'm {name}, and my DOB is {}.", say_date(dob, i)),
            _ => format!("Hi, um, this is {name} speaking, and I was born {}.", say_date(dob, i)),
        };
    }
    if batch() >= 8 {
        // Phrasings written with batch 8, before its first run.
        return match i % 4 {
            0 => format!("Hey, I'm {name}, born {}.", say_date(dob, i)),
            1 => format!(
                "Yeah, {name} is my name, and my date of birth would be {}.",
                say_date(dob, i)
            ),
            2 => format!("Hi. First and last name, {name}. Birthday, {}.", say_date(dob, i)),
            _ => format!("Okay, um, it's {name}, I was born on {}.", say_date(dob, i)),
        };
    }
    if batch() >= 7 {
        // Phrasings written with batch 7, before its first run.
        return match i % 4 {
            0 => format!("Good morning, it's {name}. My birthday's {}.", say_date(dob, i)),
            1 => format!("Hi, you're speaking with {name}, date of birth {}.", say_date(dob, i)),
            2 => format!("{name}. And I was born {}.", say_date(dob, i)),
            _ => format!("Hello. The patient is {name}, born {}.", say_date(dob, i)),
        };
    }
    if batch() >= 6 {
        // Phrasings written with batch 6, after every change they measure.
        return match i % 4 {
            0 => format!("Hi there. {name}, and my date of birth is {}.", say_date(dob, i)),
            1 => format!("My name is {name}. I was born {}.", say_date(dob, i)),
            2 => format!("Okay, so it's {name}, birthday {}.", say_date(dob, i)),
            _ => format!("Yes hello, this is {name}, born on {}.", say_date(dob, i)),
        };
    }
    if batch() >= 4 {
        // Phrasings written with batch 4, after every change they measure.
        return match i % 4 {
            0 => format!("Hello, my name's {name} and I was born {}.", say_date(dob, i)),
            1 => format!("Yeah hi, {name}, {}.", say_date(dob, i)),
            2 => format!("This is {name} calling, my date of birth is {}.", say_date(dob, i)),
            _ => format!("Um, {name}. Birthday is {}.", say_date(dob, i)),
        };
    }
    if batch() >= 3 {
        // Phrasings written with batch 3, after every change they measure.
        return match i % 4 {
            0 => format!("Sure, I'm {name}, and my birthday is {}.", say_date(dob, i)),
            1 => format!("{name} here, born on {}.", say_date(dob, i)),
            2 => format!("Okay. It's {name}. Date of birth, {}.", say_date(dob, i)),
            _ => format!("The name is {name}, birthday {}.", say_date(dob, i)),
        };
    }
    match i % 4 {
        0 => format!("My name is {name}, and my date of birth is {}.", say_date(dob, i)),
        1 => format!("Hi, this is {name}. I was born on {}.", say_date(dob, i)),
        2 => format!("{name}, date of birth {}.", say_date(dob, i)),
        _ => format!("Yes, it's {name}, born {}.", say_date(dob, i)),
    }
}

fn ask_line(ask: Ask, med: &str, i: usize) -> String {
    if batch() >= 10 {
        // Phrasings written with batch 10, before its first run.
        return match (ask, i % 2) {
            (Ask::Refill, 0) => format!("I'm calling to get a refill on my {med}."),
            (Ask::Refill, _) => format!("Can I get my {med} refilled, please? I ran out yesterday."),
            (Ask::Coverage, 0) => format!("Is {med} covered by my plan?"),
            (Ask::Coverage, _) => format!("I wanted to check whether my insurance covers {med}."),
            (Ask::PriorAuth, 0) => format!("Do I need a prior authorization to get {med}?"),
            (Ask::PriorAuth, _) => format!("Is there a prior authorization on file for my {med}?"),
            (Ask::Medications, 0) => "What medications do you show for me?".into(),
            (Ask::Medications, _) => "I forgot what I'm taking. Can you read me my medications?".into(),
            (Ask::Person, 0) => "I'd like to speak with a representative.".into(),
            (Ask::Person, _) => "Get me a real person, please.".into(),
        };
    }
    if batch() >= 9 {
        // Phrasings written with batch 9, before its first run.
        return match (ask, i % 2) {
            (Ask::Refill, 0) => format!("Could you refill my {med}? I'm down to my last few pills."),
            (Ask::Refill, _) => format!("I need a new supply of {med}."),
            (Ask::Coverage, 0) => format!("Am I covered for {med}?"),
            (Ask::Coverage, _) => format!("Is {med} on my insurance plan?"),
            (Ask::PriorAuth, 0) => format!("Does {med} need pre-approval from my insurance?"),
            (Ask::PriorAuth, _) => format!("Has the prior auth for {med} gone through?"),
            (Ask::Medications, 0) => "What prescriptions am I on?".into(),
            (Ask::Medications, _) => "Could you tell me all the medicines I take?".into(),
            (Ask::Person, 0) => "Let me talk to a live person.".into(),
            (Ask::Person, _) => "Operator, please.".into(),
        };
    }
    if batch() >= 8 {
        // Phrasings written with batch 8, before its first run.
        return match (ask, i % 2) {
            (Ask::Refill, 0) => format!("Can you send a refill of my {med} to the pharmacy?"),
            (Ask::Refill, _) => format!("I'd like to renew my {med} prescription."),
            (Ask::Coverage, 0) => format!("Does my plan cover {med}?"),
            (Ask::Coverage, _) => format!("Is {med} something my insurance will pay for?"),
            (Ask::PriorAuth, 0) => format!("Do I need approval from my insurance before I can get {med}?"),
            (Ask::PriorAuth, _) => format!("What's the prior authorization status for my {med}?"),
            (Ask::Medications, 0) => "What meds do you have listed for me?".into(),
            (Ask::Medications, _) => "Remind me which drugs I'm prescribed.".into(),
            (Ask::Person, 0) => "I need to talk to a human.".into(),
            (Ask::Person, _) => "Can you get me an agent, please?".into(),
        };
    }
    if batch() >= 7 {
        // Phrasings written with batch 7, before its first run.
        return match (ask, i % 2) {
            (Ask::Refill, 0) => format!("My {med} is nearly gone, could I get a refill?"),
            (Ask::Refill, _) => format!("Please refill the {med} for me."),
            (Ask::Coverage, 0) => format!("What would I pay for {med}?"),
            (Ask::Coverage, _) => format!("Is my {med} on my plan's formulary?"),
            (Ask::PriorAuth, 0) => format!("Is prior authorization needed before I can fill {med}?"),
            (Ask::PriorAuth, _) => format!("My doctor mentioned a prior authorization for {med}. Do I need one?"),
            (Ask::Medications, 0) => "What am I taking right now?".into(),
            (Ask::Medications, _) => "Can you list my prescriptions?".into(),
            (Ask::Person, 0) => "Could I speak to a real person?".into(),
            (Ask::Person, _) => "Please connect me with someone.".into(),
        };
    }
    if batch() >= 6 {
        // Phrasings written with batch 6, after every change they measure.
        return match (ask, i % 2) {
            (Ask::Refill, 0) => format!("I'm almost out of my {med}. Can you refill it?"),
            (Ask::Refill, _) => format!("I need more {med}, please."),
            (Ask::Coverage, 0) => format!("Will my insurance cover the {med}?"),
            (Ask::Coverage, _) => format!("How much will {med} cost me with my insurance?"),
            (Ask::PriorAuth, 0) => format!("Does the {med} need a prior authorization?"),
            (Ask::PriorAuth, _) => format!("I was told {med} needs prior authorization. Is that true for my plan?"),
            (Ask::Medications, 0) => "Can you go over my medications with me?".into(),
            (Ask::Medications, _) => "Which medicines are on my profile?".into(),
            (Ask::Person, 0) => "I'd like to speak to somebody, please.".into(),
            (Ask::Person, _) => "Can you put me through to a pharmacist?".into(),
        };
    }
    if batch() >= 4 {
        // Phrasings written with batch 4, after every change they measure.
        return match (ask, i % 2) {
            (Ask::Refill, 0) => format!("I'd like to get my {med} refilled."),
            (Ask::Refill, _) => format!("Can I order a refill of {med}?"),
            (Ask::Coverage, 0) => format!("Is {med} covered under my insurance?"),
            (Ask::Coverage, _) => format!("What's my copay on {med}?"),
            (Ask::PriorAuth, 0) => format!("Do I need a prior auth for {med}?"),
            (Ask::PriorAuth, _) => format!("Does {med} require prior authorization on my plan?"),
            (Ask::Medications, 0) => "Could you read me my medication list?".into(),
            (Ask::Medications, _) => "What medications do I have on file?".into(),
            (Ask::Person, 0) => "Can I talk to somebody please?".into(),
            (Ask::Person, _) => "Transfer me to a representative.".into(),
        };
    }
    if batch() >= 3 {
        // Phrasings written with batch 3, after every change they measure.
        return match (ask, i % 2) {
            (Ask::Refill, 0) => format!("I'm running out of {med}, can I get more?"),
            (Ask::Refill, _) => format!("Could you put in a refill for my {med}?"),
            (Ask::Coverage, 0) => format!("Does my insurance pay for {med}?"),
            (Ask::Coverage, _) => format!("How much do I pay for {med} with my plan?"),
            (Ask::PriorAuth, 0) => format!("Is a prior authorization required for my {med}?"),
            (Ask::PriorAuth, _) => format!("Will my plan need to approve {med} first?"),
            (Ask::Medications, 0) => "Can you tell me the medicines I'm on?".into(),
            (Ask::Medications, _) => "What prescriptions do you have on file for me?".into(),
            (Ask::Person, 0) => "Could you connect me to someone at the pharmacy?".into(),
            (Ask::Person, _) => "I'd rather speak with a person, please.".into(),
        };
    }
    match (ask, i % 2) {
        (Ask::Refill, 0) => format!("I need to refill my {med}."),
        (Ask::Refill, _) => format!("Can you refill my {med} prescription?"),
        (Ask::Coverage, 0) => format!("Is my {med} covered?"),
        (Ask::Coverage, _) => format!("What is my copay for {med}?"),
        (Ask::PriorAuth, 0) => format!("Does my {med} need a prior authorization?"),
        (Ask::PriorAuth, _) => format!("Do I need prior authorization for {med}?"),
        (Ask::Medications, 0) => "Which medications do you have for me?".into(),
        (Ask::Medications, _) => "What am I taking right now?".into(),
        (Ask::Person, 0) => "Can I speak to a pharmacist please?".into(),
        (Ask::Person, _) => "I'd like to talk to a real person.".into(),
    }
}

/// The request again in a few words, when asked what about the medication.
fn topic_line(ask: Ask, i: usize) -> &'static str {
    match (ask, i % 2) {
        (Ask::Refill, _) => "A refill, please.",
        (Ask::Coverage, 0) => "Whether it's covered.",
        (Ask::Coverage, _) => "My copay.",
        (Ask::PriorAuth, _) => "Whether it needs prior authorization.",
        (Ask::Medications, _) => "Which medications I'm on.",
        (Ask::Person, _) => "I want to talk to a person.",
    }
}

/// What one call came to.
#[derive(Debug, Default)]
struct Report {
    verified: bool,
    lookups_before_verified: usize,
    transferred: bool,
    outcome: Option<CallOutcome>,
    said_after_verified: Vec<String>,
    phi_before_verified: Vec<String>,
    transcript: Vec<String>,
    /// The bot asked for the member ID (a name heard only with the hint).
    member_id_asked: bool,
    /// Member IDs said and read back to the caller: (read backs, right).
    read_backs: (usize, usize),
}

struct Line {
    voice: Voice,
    noise: Option<f32>,
    seed: u64,
}

impl Line {
    /// The caller says `reply` with no hint (an answer to a yes/no or
    /// member ID question): what was heard goes to the dialog as a turn.
    async fn say_plain(&mut self, pool: &SttPool, d: &mut Dialog, r: &mut Report, reply: &str, now: Instant) {
        let (heard, _) = self.hear(pool, reply, None, None).await;
        r.transcript.push(format!("caller: {reply:?} heard {heard:?}"));
        d.handle(Event::CallerSpeechStarted, now);
        d.handle(Event::CallerSpeechEnded, now);
        d.handle(Event::Final(heard), now);
    }

    /// What the call path makes of `text` said on this line: decoded with
    /// the dialog's hint, and where the hint holds names on file (`names`),
    /// checked against a plain decode of the same audio as
    /// `telephony::call` does. With it, what the hinted decode heard when
    /// the plain one overruled it.
    async fn hear(
        &mut self,
        pool: &SttPool,
        text: &str,
        hint: Option<String>,
        names: Option<dialog::hint::ExpectedNames>,
    ) -> (String, Option<String>) {
        let (voice, noise, seed) = (self.voice.clone(), self.noise, self.seed);
        self.seed += 1;
        let t = text.to_owned();
        let audio = tokio::task::spawn_blocking(move || {
            let mut pcm = voice.speak_pcm(&t).unwrap_or_else(|e| panic!("{e}"));
            if let Some(snr_db) = noise {
                LineNoise {
                    snr_db,
                    clicks_per_s: 1.0,
                    seed,
                }
                .apply(&mut pcm);
            }
            let ulaw: Vec<u8> = pcm.into_iter().map(media::mulaw::encode).collect();
            ulaw_to_16k(&ulaw)
        })
        .await
        .expect("synthesis");
        let decode = |audio: Vec<f32>, hint: Option<String>| {
            pool.submit(JobKind::Final, audio, hint.map(Into::into))
                .expect("finals queue")
        };
        let names = names.filter(|_| hint.is_some());
        let plain_audio = names.as_ref().map(|_| audio.clone());
        let hinted = decode(audio, hint).await.expect("decoded").expect("decode ok").text;
        match (names, plain_audio) {
            (Some(names), Some(audio)) if names.named_in(&hinted) => {
                let plain = decode(audio, None).await.expect("decoded").expect("decode ok").text;
                let believed = names.corroborate(&hinted, &plain).to_owned();
                let overruled = (believed != hinted).then_some(hinted);
                (believed, overruled)
            }
            _ => (hinted, None),
        }
    }
}

async fn run_call(
    caller: &Caller,
    mut line: Line,
    i: usize,
    fx: &Arc<Functions>,
    pool: &SttPool,
    catalog: Arc<Catalog>,
    intents: &Option<Arc<IntentClassifier>>,
) -> Report {
    let mut now = Instant::now();
    let mut d = Dialog::new(DialogConfig::default(), catalog.clone(), now);
    // The second opinion on requests the grammar misses, as calls have it.
    let opinions = Opinions::default();
    d.set_intent_fallback(Box::new(opinions.clone()));
    let (phone, phi): (String, Vec<String>) = match caller {
        Caller::Genuine { who, .. } => (who.phone.clone(), who.medications.clone()),
        // Every other impostor calls from the patient's own line (a
        // household phone): the names on file are then the recogniser's
        // hint, and must still not let them in.
        Caller::Impostor { target, .. } if i.is_multiple_of(2) => (target.phone.clone(), target.medications.clone()),
        Caller::Impostor { target, .. } => ("+15559990000".into(), target.medications.clone()),
    };
    d.handle(
        Event::Started {
            caller_phone: Some(phone),
        },
        now,
    );
    let mut r = Report::default();
    let mut attempt = 0usize;
    let mut asked = false;
    let mut repeats = 0usize;
    let mut said_which = false;
    let mut keypad_next = false;
    for _turn in 0..14 {
        // Carry out what the dialog asked for; collect what it said.
        let mut said = Vec::new();
        let mut ended = false;
        while let Some(a) = d.poll_action() {
            match a {
                Action::Say { id, text } => {
                    if d.is_verified() {
                        r.said_after_verified.push(text.clone());
                    } else if let Some(m) = phi.iter().find(|m| text.to_lowercase().contains(&m.to_lowercase())) {
                        r.phi_before_verified.push(format!("{m}: {text}"));
                    }
                    r.transcript.push(format!("bot: {text}"));
                    said.push(text);
                    d.handle(Event::BotStarted(id), now);
                    d.handle(Event::BotFinished(id), now);
                }
                Action::Call { id, request } => {
                    if matches!(request, Request::PatientLookup { .. }) && !d.is_verified() {
                        r.lookups_before_verified += 1;
                    }
                    let outcome = fx.call(Some(&format!("CAscripted{i:03}")), request).await;
                    if let Outcome::Patient(Some(_)) = &outcome {
                        r.verified = true;
                    }
                    d.handle(Event::Result { id, outcome }, now);
                }
                Action::Transfer { .. } => {
                    r.transferred = true;
                    ended = true;
                }
                Action::Hangup => ended = true,
                Action::StopSpeaking | Action::QueueForStaff { .. } | Action::SendDigits(_) => {}
            }
        }
        if ended || !matches!(d.outcome(), CallOutcome::InProgress) {
            break;
        }
        now += Duration::from_secs(3);
        let last = said.last().cloned().unwrap_or_default();
        said_which |= last == prompts::WHICH_MEDICATION;
        let wants_identity = [
            prompts::GREETING,
            prompts::ASK_IDENTITY,
            prompts::VERIFY_RETRY,
            prompts::MEMBER_ID_SKIPPED,
            prompts::VERIFY_FIRST,
        ]
        .contains(&last.as_str());
        // The caller's reply to what was said last.
        let (name, dob) = match caller {
            Caller::Genuine { who, .. } => (format!("{} {}", who.first, who.last), who.dob),
            Caller::Impostor {
                says_name, says_dob, ..
            } => (says_name.clone(), *says_dob),
        };
        if last == prompts::VERIFY_RETRY || last == prompts::MEMBER_ID_SKIPPED {
            attempt += 1;
        }
        if last.starts_with("Is it about ") && last.contains("You can also press") {
            // The medications read out as choices: the caller keys theirs.
            // Their medication is the first on file (the callers ask about
            // `medications[0]`, listed in the record's order).
            if matches!(caller, Caller::Genuine { .. }) {
                r.transcript.push("caller keys: 1".into());
                d.handle(Event::Dtmf('1'), now);
                continue;
            }
        }
        if last == prompts::NOT_UNDERSTOOD_MENU
            && let Caller::Genuine { ask, .. } = caller
        {
            // The menu offered after a miss: the caller presses their key.
            let key = match ask {
                Ask::Coverage => '1',
                Ask::PriorAuth => '2',
                Ask::Refill => '3',
                Ask::Medications => '4',
                Ask::Person => '0',
            };
            r.transcript.push(format!("caller keys: {key}"));
            d.handle(Event::Dtmf(key), now);
            continue;
        }
        if prompts::is_member_id_read_back(&last)
            && let Caller::Genuine { who, .. } = caller
        {
            // The digits read back: yes if they are the card's.
            let right = prompts::member_id_read_back(&who.member_id[1..]) == last;
            r.read_backs.0 += 1;
            r.read_backs.1 += usize::from(right);
            let reply = if right {
                "Yes, that's right."
            } else {
                "No, that's not right."
            };
            line.say_plain(pool, &mut d, &mut r, reply, now).await;
            continue;
        }
        if last == prompts::ASK_MEMBER_ID
            || last == prompts::MEMBER_ID_INVALID
            || last == prompts::MEMBER_ID_NOT_HEARD
            || last == prompts::MEMBER_ID_KEY_IT
        {
            r.member_id_asked = true;
            match caller {
                // Every other genuine caller reads the digits out first;
                // asked again, they key them in.
                Caller::Genuine { who, .. } if i % 2 == 1 && last == prompts::ASK_MEMBER_ID => {
                    let digits: Vec<String> = who.member_id[1..].chars().map(|c| c.to_string()).collect();
                    let reply = format!("Sure, it's {}.", digits.join(", "));
                    line.say_plain(pool, &mut d, &mut r, &reply, now).await;
                }
                Caller::Genuine { who, .. } => {
                    let keys = &who.member_id[1..];
                    r.transcript.push(format!("caller keys: {keys}"));
                    for k in keys.chars() {
                        d.handle(Event::Dtmf(k), now);
                    }
                }
                // An impostor has no card to read from.
                Caller::Impostor { .. } => {
                    let reply = "Sorry, I don't have my card with me.";
                    line.say_plain(pool, &mut d, &mut r, reply, now).await;
                }
            }
            continue;
        }
        if (keypad_next && last == prompts::ASK_DOB)
            || last == prompts::NOT_UNDERSTOOD_DOB
            || last == prompts::ASK_DOB_KEYPAD
            || last == prompts::MEMBER_ID_KEY_DOB
        {
            // The date keyed in, as offered after a miss.
            let keys = dob.format("%m%d%Y").to_string();
            r.transcript.push(format!("caller keys: {keys}"));
            for k in keys.chars() {
                d.handle(Event::Dtmf(k), now);
            }
            keypad_next = false;
            continue;
        }
        let reply = if prompts::is_guess_confirmation(&last) {
            // A guess put back to them: yes if it is what they want.
            let right = match caller {
                Caller::Genuine { who, ask } => {
                    let (l, med) = (last.to_lowercase(), who.medications[0].to_lowercase());
                    let about_it = l.contains(&med) || l.contains("your medication");
                    match ask {
                        Ask::Person => last == prompts::CONFIRM_PERSON,
                        Ask::Coverage => about_it && l.contains("covered"),
                        Ask::PriorAuth => about_it && l.contains("prior authorization"),
                        Ask::Refill => about_it && l.contains("refill"),
                        Ask::Medications => l.contains("medications we have on file"),
                    }
                }
                Caller::Impostor { .. } => false,
            };
            if right {
                "Yes, that's right."
            } else {
                "No, that's not it."
            }
            .into()
        } else if wants_identity && attempt >= 2 && matches!(caller, Caller::Genuine { .. }) {
            // Third try, as offered: the surname spelled on its own (the
            // name and the keyed date follow when asked).
            keypad_next = true;
            let last = name.rsplit(' ').next().unwrap_or_default();
            let letters: Vec<String> = last
                .chars()
                .filter(char::is_ascii_alphabetic)
                .map(|c| format!("{}.", c.to_ascii_uppercase()))
                .collect();
            letters.join(" ")
        } else if wants_identity && attempt >= 1 && matches!(caller, Caller::Genuine { .. }) {
            // Second try, as offered: the name again, the date keyed in.
            keypad_next = true;
            format!("My name is {name}.")
        } else if wants_identity {
            identity_line(&name, dob, i + attempt)
        } else if last == prompts::ASK_DOB {
            format!("It's {}.", say_date(dob, i))
        } else if last == prompts::ASK_YEAR {
            format!("{}.", say_year(dob))
        } else if last == prompts::ASK_NAME || last == prompts::NOT_UNDERSTOOD_NAME {
            format!("My name is {name}.")
        } else if last == prompts::CONFIRM_EMERGENCY {
            // Nobody in these calls has an emergency.
            "No, it isn't.".into()
        } else if !d.is_verified() {
            // Anything else before verification: try once more.
            identity_line(&name, dob, i + 1)
        } else if !asked || ((last == prompts::NOT_UNDERSTOOD || last == prompts::HOW_CAN_I_HELP) && repeats < 2) {
            // The request, and again (as a person would) when not understood.
            repeats += usize::from(asked);
            asked = true;
            match caller {
                Caller::Genuine { who, ask } => ask_line(*ask, &who.medications[0], i),
                Caller::Impostor { .. } => "What medications am I on?".into(),
            }
        } else if last.starts_with("What would you like to know about") {
            // Asked what about the medication: the request in a few words.
            match caller {
                Caller::Genuine { ask, .. } => topic_line(*ask, i).into(),
                Caller::Impostor { .. } => "Nothing, goodbye.".into(),
            }
        } else if last == prompts::WHICH_MEDICATION || (last == prompts::NOT_UNDERSTOOD && said_which) {
            match caller {
                Caller::Genuine { who, .. } => format!("My {}.", who.medications[0]),
                Caller::Impostor { .. } => "The first one.".into(),
            }
        } else {
            "No, that's all. Thank you, goodbye.".into()
        };
        let hint = d.recognition_hint().filter(|_| use_hint());
        let names = d.expected_names().cloned();
        let (heard, overruled) = line.hear(pool, &reply, hint, names).await;
        if let Some(clf) = intents
            && dialog::nlu::wants_second_opinion(&heard, &dialog::understand(&heard, &catalog))
            && let Some(intent) = clf.classify(&heard).expect("embedded")
        {
            opinions.note(&heard, intent);
        }
        r.transcript.push(format!("caller: {reply:?} heard {heard:?}"));
        d.handle(Event::CallerSpeechStarted, now);
        d.handle(Event::CallerSpeechEnded, now);
        if let Some(hinted) = overruled {
            // As the call path does: what the hint heard, kept for the
            // member ID to confirm.
            r.transcript.push(format!("  (hint overruled: {hinted:?})"));
            d.handle(Event::HintOverruled(hinted), now);
        }
        d.handle(Event::Final(heard), now);
    }
    r.outcome = Some(d.outcome());
    r
}

/// `SWITCHBOARD_STT_HINT=false` measures the calls without the verified
/// caller's hint (as the server's setting of that name turns it off).
fn use_hint() -> bool {
    std::env::var("SWITCHBOARD_STT_HINT").map_or(true, |v| v != "false")
}

/// Which 40 seeded patients the callers are drawn from:
/// `SWITCHBOARD_SCRIPTED_BATCH=N` is the N-th next 40, each batch kept
/// unread while the dialog changed (0, 1 and 2 have since been read). From
/// batch 3 on the callers also say their identity and request in phrasings
/// written with that batch.
fn batch() -> i64 {
    std::env::var("SWITCHBOARD_SCRIPTED_BATCH")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// The voices of the calls. From batch 9 on, the same six speakers at rates
/// not used before, and flite's 16 kHz kal in place of its 8 kHz one.
fn call_voices() -> Vec<Voice> {
    if batch() < 9 {
        return voices();
    }
    if batch() >= 10 {
        // A third engine (eSpeak NG, two variants) in place of festival's
        // diphone kal, and rates not used before.
        return vec![
            Voice::flite("slt").at(1.05),
            Voice::flite("rms").at(0.95),
            Voice::espeak("en-us+f3").at(1.05),
            Voice::flite("kal16").at(0.9),
            Voice::espeak("en-us+m3").at(0.95),
            Voice::festival("cmu_us_slt_arctic_hts").at(1.05),
        ];
    }
    vec![
        Voice::flite("slt").at(0.9),
        Voice::flite("rms"),
        Voice::flite("awb"),
        Voice::flite("kal16").at(1.1),
        Voice::festival("kal_diphone").at(1.1),
        Voice::festival("cmu_us_slt_arctic_hts"),
    ]
}

/// Which line call `i` is on. Up to batch 8 each voice always had the same
/// line (voice `i % 6`, line `i % 3`); from batch 9 on every voice meets
/// every line.
fn line_of(i: usize) -> usize {
    if batch() < 9 { i % 3 } else { (i + i / 6) % 3 }
}

/// Whether a genuine caller got what they asked for.
fn task_done(ask: Ask, who: &Person, r: &Report) -> bool {
    let said = r.said_after_verified.join(" ").to_lowercase();
    let med = who.medications[0].to_lowercase();
    let answered = match ask {
        Ask::Refill => said.contains(&med) && (said.contains("refill") || said.contains("pharmac")),
        Ask::Coverage => said.contains(&med) && (said.contains("covered") || said.contains("copay")),
        Ask::PriorAuth => said.contains(&med) && said.contains("prior authorization"),
        Ask::Medications => who.medications.iter().all(|m| said.contains(&m.to_lowercase())),
        Ask::Person => r.transferred,
    };
    r.verified && r.lookups_before_verified <= 2 && answered
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_scripted_calls_from_held_out_callers() {
    let scratch = ScratchDatabase::create(8).await.expect("scratch database");
    let pool_db = scratch.db.pool.clone();
    seed::seed(&pool_db, 1000, 7).await.unwrap();
    let assets = Assets::discover();
    let embedder = Arc::new(models::embed::Embedder::load(&assets, 1).expect("MiniLM installed"));
    // `SWITCHBOARD_INTENT_OPINION=false` measures the calls with the grammar alone.
    let intents = (std::env::var("SWITCHBOARD_INTENT_OPINION").map_or(true, |v| v != "false"))
        .then(|| Arc::new(IntentClassifier::new(embedder.clone()).expect("examples embedded")));
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/payer_policies");
    ingest::ingest_dir(&pool_db, &embedder, &dir).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let payer_addr = listener.local_addr().unwrap();
    let payer_pool = pool_db.clone();
    tokio::spawn(async move {
        axum::serve(
            listener,
            payer_sim::router(
                payer_pool,
                SimConfig {
                    latency: Duration::from_millis(20),
                    jitter: Duration::from_millis(10),
                    failure_rate: 0.0,
                    slow_rate: 0.0,
                    slow: Duration::ZERO,
                },
            ),
        )
        .await
    });
    let fx = Functions::new(
        pool_db.clone(),
        Some(embedder),
        FunctionsConfig {
            benefits_url: format!("http://{payer_addr}"),
            ..FunctionsConfig::default()
        },
    )
    .await
    .unwrap();
    let catalog = Arc::new(fx.catalog().await.unwrap());

    // Held-out callers: seeded patients (not the fixed demo ones the other
    // tests use), one full name each, with medications on file.
    let client = pool_db.get().await.unwrap();
    let rows = client
        .query(
            "SELECT p.first_name, p.last_name, p.dob, p.phone, array_agg(m.name ORDER BY m.name), p.member_id
             FROM patients p JOIN patient_medications m ON m.patient_id = p.id
             WHERE p.phone NOT LIKE '+1555010000%'
               AND (SELECT count(*) FROM patients q WHERE q.full_name = p.full_name) = 1
             GROUP BY p.id ORDER BY p.id LIMIT 40 OFFSET $1",
            &[&(batch() * 40)],
        )
        .await
        .unwrap();
    let people: Vec<Person> = rows
        .iter()
        .map(|r| Person {
            first: r.get(0),
            last: r.get(1),
            dob: r.get(2),
            phone: r.get::<_, Option<String>>(3).unwrap_or_default(),
            member_id: r.get(5),
            medications: r.get(4),
        })
        .collect();
    assert!(people.len() >= 30, "{} candidate callers", people.len());
    let asks = [
        Ask::Refill,
        Ask::Coverage,
        Ask::PriorAuth,
        Ask::Medications,
        Ask::Person,
    ];
    let mut callers: Vec<Caller> = people[..24]
        .iter()
        .enumerate()
        .map(|(i, p)| Caller::Genuine {
            who: p.clone(),
            ask: asks[i % asks.len()],
        })
        .collect();
    for (k, p) in people[24..30].iter().enumerate() {
        let (says_name, says_dob) = match k % 3 {
            // The right name, a date of birth a year off.
            0 => (
                format!("{} {}", p.first, p.last),
                p.dob.with_year(p.dob.year() - 1).unwrap_or(p.dob),
            ),
            // The right name, the day wrong.
            1 => (format!("{} {}", p.first, p.last), p.dob + chrono::Days::new(9)),
            // The right date of birth, a name not on file.
            _ => ("Quentin Abernathy".to_owned(), p.dob),
        };
        callers.push(Caller::Impostor {
            target: p.clone(),
            says_name,
            says_dob,
        });
    }

    let path = assets.require(files::WHISPER_TINY_EN).unwrap_or_else(|e| panic!("{e}"));
    let stt = Arc::new(SttPool::start(Arc::new(WhisperModel::load(&path).unwrap()), 2, 4).unwrap());
    let voices = call_voices();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    let sem = Arc::new(tokio::sync::Semaphore::new(2));
    for (i, caller) in callers.iter().cloned().enumerate() {
        let (fx, stt, catalog, sem, intents) = (fx.clone(), stt.clone(), catalog.clone(), sem.clone(), intents.clone());
        let line = Line {
            voice: voices[i % voices.len()].clone(),
            noise: LINES[line_of(i)].1,
            seed: i as u64 * 101,
        };
        tasks.spawn(async move {
            let _slot = sem.acquire_owned().await.expect("semaphore");
            (i, run_call(&caller, line, i, &fx, &stt, catalog, &intents).await)
        });
    }
    let mut reports: Vec<(usize, Report)> = Vec::new();
    while let Some(done) = tasks.join_next().await {
        reports.push(done.expect("call task"));
    }
    reports.sort_by_key(|(i, _)| *i);
    let wall = started.elapsed();

    let (mut genuine, mut done, mut within_two, mut impostors, mut false_accept, mut phi) = (0, 0, 0, 0, 0, 0);
    let mut verified_at_all = 0;
    // Calls where the member ID was asked for: genuine ones, and how many of
    // them were verified after it; impostors.
    let (mut id_genuine, mut id_verified, mut id_impostors) = (0, 0, 0);
    let (mut read_backs, mut read_backs_right) = (0, 0);
    let mut by_line = [(0usize, 0usize); 3];
    for (i, r) in &reports {
        let ok = match &callers[*i] {
            Caller::Genuine { who, ask } => {
                genuine += 1;
                within_two += usize::from(r.verified && r.lookups_before_verified <= 2);
                verified_at_all += usize::from(r.verified);
                let ok = task_done(*ask, who, r);
                done += usize::from(ok);
                id_genuine += usize::from(r.member_id_asked);
                read_backs += r.read_backs.0;
                read_backs_right += r.read_backs.1;
                id_verified += usize::from(r.member_id_asked && r.verified);
                ok
            }
            Caller::Impostor { .. } => {
                impostors += 1;
                id_impostors += usize::from(r.member_id_asked);
                false_accept += usize::from(r.verified);
                !r.verified && r.phi_before_verified.is_empty()
            }
        };
        phi += r.phi_before_verified.len();
        by_line[line_of(*i)].1 += 1;
        by_line[line_of(*i)].0 += usize::from(ok);
        println!(
            "call {i:2} [{} {}] {} -> {:?}, lookups {}",
            voices[i % voices.len()].label(),
            LINES[line_of(*i)].0,
            if ok { "ok  " } else { "FAIL" },
            r.outcome,
            r.lookups_before_verified
        );
        if !ok {
            for l in &r.transcript {
                println!("      {l}");
            }
        }
    }
    let pct = |a: usize, b: usize| 100.0 * a as f64 / b.max(1) as f64;
    println!(
        "task success {done}/{genuine} genuine ({:.1} %), verified within two attempts {within_two}/{genuine} ({:.1} %), \
         at all {verified_at_all}/{genuine}, \
         false verifications {false_accept}/{impostors}, PHI before verification {phi}; by line: {}; {:.0} s for {} calls",
        pct(done, genuine),
        pct(within_two, genuine),
        LINES
            .iter()
            .zip(by_line)
            .map(|((name, _), (ok, n))| format!("{name} {ok}/{n}"))
            .collect::<Vec<_>>()
            .join(", "),
        wall.as_secs_f64(),
        reports.len()
    );
    println!(
        "member ID asked of {id_genuine} genuine callers ({id_verified} verified after it) and {id_impostors} impostors; \
         said and read back {read_backs} times, heard right {read_backs_right}"
    );
    assert_eq!(reports.len(), 30);
    // Never the wrong person, never PHI before verification.
    assert_eq!(false_accept, 0, "an impostor was verified");
    assert_eq!(phi, 0, "PHI spoken before verification");
    // Floors under what was measured with the member ID confirming names
    // the plain decode did not bear out (batch 0: 95.8 % and 95.8 %; see
    // BENCHMARKS.md), two calls of slack for another machine's decodes.
    assert!(pct(done, genuine) >= 87.5, "task success {done}/{genuine}");
    assert!(
        pct(within_two, genuine) >= 87.5,
        "verified within two attempts {within_two}/{genuine}"
    );
}
