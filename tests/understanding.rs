//! Spoken understanding on held-out callers: the utterances in
//! `data/heldout/utterances.toml` (written apart from everything the grammar
//! and the recogniser settings were developed against), spoken by six
//! voices of two engines (flite, festival) at three speaking rates, carried
//! as 8 kHz µ-law over a clean line and over lines with hiss and crackle at
//! 15 and 10 dB SNR, transcribed by Whisper tiny.en and understood by the
//! dialog's grammar against the real formulary.
//!
//! Each utterance is decoded as the call path does before verification (no
//! hint, grammar against the formulary), with and without noise suppression
//! (RNNoise) in front of the recogniser; the utterances naming a medication
//! are also decoded as for a verified caller on that medication (three
//! medications on file, given to Whisper as its hint and matched among
//! first). Identity turns are also decoded with a name on file as the hint
//! (the caller's own, or another's), and that hinted decode is checked
//! against the plain one as calls do (`ExpectedNames::corroborate`).
//! Entity and intent accuracy per condition are printed for
//! BENCHMARKS.md; the assertions are floors under the measured figures and
//! the comparison the verified caller's hint must win. (The denoiser is
//! measured, not asserted: on these lines it does not help tiny.en, so the
//! call path does not use it.)
//!
//! `cargo test --release --test understanding -- --nocapture`

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use chrono::NaiveDate;
use dialog::{Catalog, understand};
use models::assets::Assets;
use models::stt::{JobKind, SttPool, WhisperModel};
use serde::Deserialize;
use switchboard::voice::LineNoise;

mod common;

use common::speech::{LINES, catalog, ulaw_to_16k, voices};

#[derive(Debug, Deserialize)]
struct Corpus {
    u: Vec<Case>,
}

#[derive(Debug, Clone, Deserialize)]
struct Case {
    text: String,
    intent: Option<String>,
    name: Option<String>,
    dob: Option<NaiveDate>,
    medication: Option<String>,
}

fn corpus() -> Vec<Case> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/heldout/utterances.toml");
    let text = std::fs::read_to_string(&path).expect("held-out corpus");
    toml::from_str::<Corpus>(&text).expect("corpus parses").u
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Hint {
    /// Before verification.
    None,
    /// A verified caller on the utterance's medication.
    Own,
    /// Before verification, on the caller's own line: their name on file
    /// for the calling number is the hint (`dialog::hint::ExpectedNames`).
    Caller,
    /// The same, with another held-out caller's name on file (a household
    /// line, or a caller not on it): that name must not be heard instead.
    OtherCaller,
    /// `Caller`, checked as the call path does against the plain decode
    /// (`ExpectedNames::corroborate`): the hint may mend a name, not put one.
    CallerChecked,
    /// `OtherCaller`, checked the same way.
    OtherCallerChecked,
}

/// A name as a record spells it ("wei lewis" → "Wei Lewis").
fn on_file(name: &str) -> String {
    name.split(' ')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect())
                .unwrap_or_default()
        })
        .collect::<Vec<String>>()
        .join(" ")
}

/// What stands between the line and the recogniser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Front {
    /// 8 kHz → 16 kHz only.
    Plain,
    /// RNNoise, then 16 kHz.
    Denoised,
}

fn denoised_16k(ulaw: &[u8]) -> Vec<f32> {
    let mut d = models::denoise::Denoiser::new(8000, 16000).expect("denoiser");
    let f: Vec<f32> = ulaw.iter().map(|&b| media::mulaw::decode(b) as f32 / 32768.0).collect();
    let mut out = Vec::new();
    for chunk in f.chunks(160) {
        d.push(chunk, &mut out).expect("denoise");
    }
    d.flush(&mut out).expect("flush");
    out
}

/// Two other formulary drugs for a verified caller on `med` (the hint then
/// lists three, as a real record would).
fn own_medications<'a>(catalog: &'a Catalog, med: &'a str, i: usize) -> Vec<&'a str> {
    let others: Vec<&str> = catalog
        .medications
        .iter()
        .map(String::as_str)
        .filter(|m| *m != med)
        .collect();
    vec![others[(i * 7) % others.len()], med, others[(i * 13 + 5) % others.len()]]
}

/// One decode's words and its cost (two decodes for a checked hint).
struct Heard {
    text: String,
    decode_ms: u128,
}

#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    hit: usize,
    of: usize,
}

impl Tally {
    fn add(&mut self, ok: bool) {
        self.hit += usize::from(ok);
        self.of += 1;
    }
    fn rate(self) -> f64 {
        if self.of == 0 {
            0.0
        } else {
            self.hit as f64 / self.of as f64
        }
    }
    fn show(self) -> String {
        format!("{:.1} % ({}/{})", 100.0 * self.rate(), self.hit, self.of)
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct Scores {
    intent: Tally,
    /// The intent with the embedding second opinion where the grammar
    /// found none (as the call path reads it).
    second: Tally,
    name: Tally,
    dob: Tally,
    medication: Tally,
    /// Utterances without a medication in which one was "heard".
    phantom_medication: Tally,
    /// With another caller's name as the hint: that name heard instead.
    pulled: Tally,
    decode_ms: u128,
    decodes: usize,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn held_out_callers_are_understood_and_the_hint_helps() {
    let cases = corpus();
    assert!(cases.len() >= 100, "{} utterances", cases.len());
    let catalog = catalog();
    let voices = voices();

    // Speech for every (utterance, line), synthesised two at a time.
    let mut audio: HashMap<(usize, usize, Front), Vec<f32>> = HashMap::new();
    let mut jobs = tokio::task::JoinSet::new();
    let sem = Arc::new(tokio::sync::Semaphore::new(2));
    for (i, case) in cases.iter().enumerate() {
        let voice = voices[i % voices.len()].clone();
        let text = case.text.clone();
        let sem = sem.clone();
        jobs.spawn(async move {
            let _slot = sem.acquire_owned().await.expect("semaphore");
            tokio::task::spawn_blocking(move || {
                let pcm = voice.speak_pcm(&text).unwrap_or_else(|e| panic!("{e}"));
                LINES
                    .iter()
                    .enumerate()
                    .flat_map(|(l, (_, snr))| {
                        let mut line = pcm.clone();
                        if let Some(snr_db) = snr {
                            LineNoise {
                                snr_db: *snr_db,
                                clicks_per_s: 1.0,
                                seed: i as u64 * 31 + l as u64,
                            }
                            .apply(&mut line);
                        }
                        let ulaw: Vec<u8> = line.into_iter().map(media::mulaw::encode).collect();
                        let started = std::time::Instant::now();
                        let clean = denoised_16k(&ulaw);
                        let cost = started.elapsed().as_secs_f64() / (ulaw.len() as f64 / 8000.0);
                        [
                            ((i, l, Front::Plain), ulaw_to_16k(&ulaw), 0.0),
                            ((i, l, Front::Denoised), clean, cost),
                        ]
                    })
                    .collect::<Vec<_>>()
            })
            .await
            .expect("synthesis")
        });
    }
    let mut denoise_cost = Vec::new();
    while let Some(done) = jobs.join_next().await {
        for (key, clip, cost) in done.expect("synthesis task") {
            if key.2 == Front::Denoised {
                denoise_cost.push(cost);
            }
            audio.insert(key, clip);
        }
    }
    denoise_cost.sort_by(f64::total_cmp);

    let assets = Assets::discover();
    // SWITCHBOARD_STT_MODEL=base measures the base model (installed with
    // ./scripts/models.sh --with-base); the floors are for tiny.en.
    let which: models::stt::SttModel = std::env::var("SWITCHBOARD_STT_MODEL")
        .map_or(Ok(models::stt::SttModel::TinyEn), |v| v.parse())
        .unwrap();
    let path = assets.require(which.file()).unwrap_or_else(|e| panic!("{e}"));
    let pool = SttPool::start(Arc::new(WhisperModel::load(&path).unwrap()), 2, 4).unwrap();

    // Every decode queued at once; the pool works through them.
    let mut pending = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        for l in 0..LINES.len() {
            for front in [Front::Plain, Front::Denoised] {
                let clip = &audio[&(i, l, front)];
                let mut hints = vec![(Hint::None, None, Vec::new())];
                if let Some(med) = &case.medication {
                    let own = own_medications(&catalog, med, i);
                    let hint = dialog::hint::recognition_hint(&own).map(Arc::<str>::from);
                    hints.push((Hint::Own, hint, own.into_iter().map(str::to_owned).collect()));
                }
                if let (Some(name), Front::Plain) = (&case.name, front) {
                    let names = |n: &str| {
                        dialog::hint::ExpectedNames::new(vec![on_file(n)])
                            .hint()
                            .map(Arc::<str>::from)
                    };
                    hints.push((Hint::Caller, names(name), Vec::new()));
                    // The next held-out caller's name, as if on file for this line.
                    let other = (1..cases.len())
                        .filter_map(|k| cases[(i + k) % cases.len()].name.as_deref())
                        .find(|n| n != name);
                    if let Some(other) = other {
                        hints.push((Hint::OtherCaller, names(other), vec![other.to_owned()]));
                    }
                }
                for (hint, text, own) in hints {
                    let rx = pool.submit(JobKind::Final, clip.clone(), text).expect("finals queue");
                    pending.push((i, l, front, hint, own, rx));
                }
            }
        }
    }
    let mut decoded = Vec::new();
    for (i, l, front, hint, own, rx) in pending {
        let t = rx.await.expect("decoded").expect("decode ok");
        decoded.push((i, l, front, hint, own, t.text, t.decode_time.as_millis()));
    }
    // The names hint checked against the plain decode of the same clip, as
    // the call path does (no decode more: both are above).
    let plain: HashMap<(usize, usize), (String, u128)> = decoded
        .iter()
        .filter(|d| d.2 == Front::Plain && d.3 == Hint::None)
        .map(|d| ((d.0, d.1), (d.5.clone(), d.6)))
        .collect();
    let checked: Vec<_> = decoded
        .iter()
        .filter(|d| d.2 == Front::Plain && matches!(d.3, Hint::Caller | Hint::OtherCaller))
        .map(|(i, l, front, hint, own, text, ms)| {
            let (plain_text, plain_ms) = &plain[&(*i, *l)];
            let filed = match hint {
                Hint::Caller => cases[*i].name.clone().unwrap_or_default(),
                _ => own.first().cloned().unwrap_or_default(),
            };
            let names = dialog::hint::ExpectedNames::new(vec![on_file(&filed)]);
            let believed = names.corroborate(text, plain_text).to_owned();
            let hint = if *hint == Hint::Caller {
                Hint::CallerChecked
            } else {
                Hint::OtherCallerChecked
            };
            (*i, *l, *front, hint, own.clone(), believed, ms + plain_ms)
        })
        .collect();
    decoded.extend(checked);
    let intents = telephony::intents::IntentClassifier::new(Arc::new(
        models::embed::Embedder::load(&Assets::discover(), 1).expect("MiniLM installed"),
    ))
    .expect("examples embedded");
    let mut scores: HashMap<(usize, Front, Hint), Scores> = HashMap::new();
    let mut misses = String::new();
    for (i, l, front, hint, own, text, decode_ms) in decoded {
        let t = Heard { text, decode_ms };
        let case = &cases[i];
        let mut u = understand(&t.text, &catalog);
        if hint == Hint::Own {
            // As the dialog resolves a verified caller's medication.
            u.medication = dialog::nlu::matching::resolve_medication(&t.text, &own, u.medication.as_deref());
        }
        let s = scores.entry((l, front, hint)).or_default();
        s.decode_ms += t.decode_ms;
        s.decodes += 1;
        let mut wrong = Vec::new();
        if let Some(want) = &case.intent {
            let ok = u.intent.label() == want;
            s.intent.add(ok);
            let second = if dialog::nlu::wants_second_opinion(&t.text, &u) {
                intents.classify(&t.text).expect("embedded").unwrap_or(u.intent)
            } else {
                u.intent
            };
            s.second.add(second.label() == want);
            if !ok {
                wrong.push(format!(
                    "intent {} (second opinion {})",
                    u.intent.label(),
                    second.label()
                ));
            }
        }
        if let Some(want) = &case.name {
            let ok = u.name.as_deref() == Some(want.as_str());
            s.name.add(ok);
            if matches!(hint, Hint::OtherCaller | Hint::OtherCallerChecked) {
                s.pulled.add(u.name.as_deref() == own.first().map(String::as_str));
            }
            if !ok {
                wrong.push(format!("name {:?}", u.name));
            }
        }
        if let Some(want) = case.dob {
            let ok = u.dob == Some(want);
            s.dob.add(ok);
            if !ok {
                wrong.push(format!("dob {:?}", u.dob));
            }
        }
        match &case.medication {
            Some(want) => {
                let ok = u.medication.as_deref() == Some(want.as_str());
                s.medication.add(ok);
                if !ok {
                    wrong.push(format!("medication {:?}", u.medication));
                }
            }
            None => s.phantom_medication.add(u.medication.is_some()),
        }
        if !wrong.is_empty() {
            let _ = writeln!(
                misses,
                "  [{} {:?} {:?} {}] {:?} -> {:?}: {}",
                LINES[l].0,
                front,
                hint,
                voices[i % voices.len()].label(),
                case.text,
                t.text,
                wrong.join(", ")
            );
        }
    }
    println!("misses:\n{misses}");
    println!(
        "denoiser cost: {:.4} / {:.4} s of CPU per second of call audio (p50 / max over {} clips)",
        denoise_cost[denoise_cost.len() / 2],
        denoise_cost.last().copied().unwrap_or_default(),
        denoise_cost.len()
    );
    println!(
        "| line | front | hint | intent | intent, second opinion | name | date of birth | medication | phantom medication | another's name heard | mean decode |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    let mut keys: Vec<_> = scores.keys().copied().collect();
    keys.sort();
    for key in &keys {
        let s = scores[key];
        println!(
            "| {} | {:?} | {:?} | {} | {} | {} | {} | {} | {} | {} | {} ms |",
            LINES[key.0].0,
            key.1,
            key.2,
            s.intent.show(),
            s.second.show(),
            s.name.show(),
            s.dob.show(),
            s.medication.show(),
            s.phantom_medication.show(),
            s.pulled.show(),
            s.decode_ms / s.decodes.max(1) as u128
        );
    }

    // Nothing is made of a silent noisy line, hint or not: the hint's
    // names must not be transcribed out of hiss.
    let hiss: Vec<u8> = LineNoise {
        snr_db: 0.0,
        clicks_per_s: 1.0,
        seed: 99,
    }
    .silence(8000 * 3, -35.0)
    .into_iter()
    .map(media::mulaw::encode)
    .collect();
    let own = ["Enbrel", "Crestor", "Lantus"];
    let own_names: Vec<String> = own.iter().map(|s| s.to_string()).collect();
    for clip in [ulaw_to_16k(&hiss), denoised_16k(&hiss)] {
        let t = pool
            .submit(
                JobKind::Final,
                clip,
                dialog::hint::recognition_hint(&own).map(Into::into),
            )
            .unwrap()
            .await
            .unwrap()
            .unwrap();
        let u = understand(&t.text, &catalog);
        let med = dialog::nlu::matching::resolve_medication(&t.text, &own_names, u.medication.as_deref());
        assert!(med.is_none() && u.payer.is_none(), "hiss heard as {:?}", t.text);
    }

    let get = |l: usize, f: Front, h: Hint| scores[&(l, f, h)];
    let clean = get(0, Front::Plain, Hint::None);
    // Floors a few points under the figures measured on 2026-12-04.
    assert!(clean.intent.rate() >= 0.70, "clean intent {}", clean.intent.show());
    // The second opinion speaks only where the grammar heard no request:
    // it never takes a right answer away, and it adds some (2026-12-07:
    // 76.9 -> 82.7 % clean, 53.8 -> 57.7 % at 15 dB).
    for (key, s) in &scores {
        assert!(s.second.hit >= s.intent.hit, "{key:?}: {s:?}");
    }
    assert!(
        clean.second.rate() >= 0.78,
        "clean intent, second opinion {}",
        clean.second.show()
    );
    assert!(clean.dob.rate() >= 0.70, "clean date of birth {}", clean.dob.show());
    assert!(clean.name.rate() >= 0.35, "clean name {}", clean.name.show());
    let verified = get(0, Front::Plain, Hint::Own);
    assert!(
        verified.medication.rate() >= 0.75,
        "clean, verified: medication {}",
        verified.medication.show()
    );
    for (l, (line, _)) in LINES.iter().enumerate() {
        let (none, caller, other) = (
            get(l, Front::Plain, Hint::None),
            get(l, Front::Plain, Hint::Caller),
            get(l, Front::Plain, Hint::OtherCaller),
        );
        // The caller's own name on file must be heard more often, and
        // another's seldom heard in its place.
        assert!(
            caller.name.hit > none.name.hit,
            "{line}: the name on file found no more names ({} vs {})",
            caller.name.show(),
            none.name.show()
        );
        // On a noisy line tiny.en can write the name in its prompt for a
        // different one said (measured: 0/32 clean, 1/32 at 15 and at 10
        // dB); the date of birth must still match that record exactly.
        assert!(
            other.pulled.hit <= 1,
            "{line}: another caller's name on file was heard instead {}",
            other.pulled.show()
        );
        // Checked against the plain decode, as calls do: the hint keeps
        // most of its gain and never puts another's name in.
        let (caller_checked, other_checked) = (
            get(l, Front::Plain, Hint::CallerChecked),
            get(l, Front::Plain, Hint::OtherCallerChecked),
        );
        println!(
            "{line}: own name on file {} -> checked {}; another's name heard {} -> checked {}",
            caller.name.show(),
            caller_checked.name.show(),
            other.pulled.show(),
            other_checked.pulled.show()
        );
        assert_eq!(
            other_checked.pulled.hit, 0,
            "{line}: another caller's name was heard although checked"
        );
        assert!(
            caller_checked.name.hit > none.name.hit,
            "{line}: the checked hint found no more names ({} vs {})",
            caller_checked.name.show(),
            none.name.show()
        );
        for f in [Front::Plain, Front::Denoised] {
            let (none, own) = (get(l, f, Hint::None), get(l, f, Hint::Own));
            // Knowing the caller's medications must find more of them.
            assert!(
                own.medication.hit > none.medication.hit,
                "{line} {f:?}: the caller's own medications found no more drug names ({} vs {})",
                own.medication.show(),
                none.medication.show()
            );
            assert_eq!(
                none.phantom_medication.hit, 0,
                "{line} {f:?}: a drug heard where none was said"
            );
        }
    }
}
