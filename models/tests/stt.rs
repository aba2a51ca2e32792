//! Whisper on telephone audio: a corpus of utterances typical of the calls,
//! spoken by flite voices (not the bot's), carried as 8 kHz µ-law,
//! decoded and resampled by the media crate, transcribed through the pool.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{phone_speech, to_16k, word_errors};
use models::assets::{Assets, files};
use models::stt::{JobKind, SttModel, SttPool, WhisperModel};

/// (reference as Whisper writes it, espeak-ng voice)
const CORPUS: &[&str] = &[
    "Hi, my name is Maria Gonzalez.",
    "My date of birth is March 3rd, 1985.",
    "I need prior authorization for Humira.",
    "Representative.",
    "Can I speak to a pharmacist?",
    "I'm calling about my prescription refill.",
    "Is Ozempic covered by my insurance?",
    "What is my copay for metformin?",
    "My member ID is on my card.",
    "I think I'm having a side effect from lisinopril.",
    "I have a headache and dizziness since yesterday.",
    "Yes, that's correct.",
    "No, that is not right.",
    "Can you check the status of my prior authorization?",
    "My name is John Smith.",
    "I was born on July 4th, 1962.",
    "I'd like to talk to a real person.",
    "Does my plan cover Eliquis?",
    "I need a refill of atorvastatin.",
    "How much is the deductible?",
    "I'm having chest pain.",
    "Thank you, goodbye.",
    "What are your hours on Saturday?",
    "My insurance is Blue Cross Blue Shield.",
    "I take Jardiance every morning.",
    "Please transfer me to an agent.",
    "The pharmacy said it needs a prior authorization.",
    "My doctor prescribed a new medication.",
    "Can you tell me if step therapy is required?",
    "I want to report a reaction to amoxicillin.",
    "My last name is Johnson.",
    "I called last week about the same problem.",
];

const VOICES: &[&str] = &["flite:slt", "flite:rms", "flite:awb", "flite:kal16"];

/// Corpus word error rate must stay under this. Measured 0.193 (38/197 words,
/// greedy decoding is deterministic)
/// with tiny.en on these flite voices after 8 kHz µ-law (espeak-ng voices gave
/// 0.54; the same flite audio unbanded is easier). Most errors are drug names
/// (Ozempic, lisinopril, atorvastatin, Jardiance), which the dialog matches
/// against the formulary phonetically rather than trusting verbatim. The bound
/// leaves headroom for other CPUs' float differences; the 0.15 goal is not met
/// by tiny.en on synthetic voices (see BENCHMARKS.md).
const MAX_WER: f64 = 0.25;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn telephone_corpus_word_error_rate_is_bounded() {
    let assets = Assets::discover();
    // SWITCHBOARD_STT_MODEL=base measures the base model (installed with --with-base).
    let which: SttModel = std::env::var("SWITCHBOARD_STT_MODEL")
        .map_or(Ok(SttModel::TinyEn), |v| v.parse())
        .unwrap();
    let path = assets.require(which.file()).unwrap_or_else(|e| panic!("{e}"));
    let model = Arc::new(WhisperModel::load(&path).unwrap());
    let pool = SttPool::start(model, 2, 4).unwrap();
    let mut pending = Vec::new();
    for (i, text) in CORPUS.iter().enumerate() {
        let audio = to_16k(&phone_speech(text, VOICES[i % VOICES.len()]));
        pending.push((
            *text,
            pool.submit(JobKind::Final, audio, None)
                .expect("finals are always queued"),
        ));
    }
    let (mut errors, mut total) = (0, 0);
    for (reference, rx) in pending {
        let t = rx.await.unwrap().unwrap();
        let (e, n) = word_errors(reference, &t.text);
        println!(
            "{e}/{n}  {reference:?} -> {:?} ({} ms)",
            t.text,
            t.decode_time.as_millis()
        );
        errors += e;
        total += n;
    }
    let wer = errors as f64 / total as f64;
    println!(
        "{which:?} corpus WER {:.3} ({errors}/{total} words, {} utterances)",
        wer,
        CORPUS.len()
    );
    assert!(CORPUS.len() >= 30);
    assert!(wer <= MAX_WER, "corpus WER {wer:.3} > {MAX_WER}");
}

#[test]
fn partials_are_skipped_when_the_pool_is_full_but_finals_never_are() {
    let assets = Assets::discover();
    let path = assets.require(files::WHISPER_TINY_EN).unwrap_or_else(|e| panic!("{e}"));
    let pool = SttPool::start(Arc::new(WhisperModel::load(&path).unwrap()), 1, 2).unwrap();
    let audio = vec![0.0f32; 16_000 * 3];
    // Their receivers are kept: a decode nobody waits for stops part way,
    // which would free the worker and the queue while they are submitted.
    let waiting: Vec<_> = (0..10)
        .filter_map(|_| pool.submit(JobKind::Partial, audio.clone(), None))
        .collect();
    let accepted = waiting.len();
    assert!(
        (2..=3).contains(&accepted),
        "{accepted} partials accepted with room for 2 (+1 in flight)"
    );
    assert!((0..5).all(|_| pool.submit(JobKind::Final, audio.clone(), None).is_some()));
    // Silence is recognised as such, not hallucinated into words.
    let t = pool
        .submit(JobKind::Final, audio, None)
        .unwrap()
        .blocking_recv()
        .unwrap()
        .unwrap();
    assert!(
        t.text.split_whitespace().count() <= 2 || t.no_speech_prob > 0.5,
        "silence -> {:?}",
        t
    );
}

#[test]
fn a_hint_longer_than_whisper_takes_is_cut_not_fatal() {
    let assets = Assets::discover();
    let path = assets.require(files::WHISPER_TINY_EN).unwrap_or_else(|e| panic!("{e}"));
    let pool = SttPool::start(Arc::new(WhisperModel::load(&path).unwrap()), 1, 2).unwrap();
    // Far past the 224 tokens a prompt may hold (whisper.cpp answers a
    // negative count then, which must not reach an unchecked length).
    let hint: Arc<str> = "Ozempic, Enbrel, Crestor, Lantus\0, Humira. ".repeat(300).into();
    let speech = to_16k(&phone_speech("Is my Enbrel covered?", "flite:slt"));
    let t = pool
        .submit(JobKind::Final, speech, Some(hint))
        .unwrap()
        .blocking_recv()
        .unwrap()
        .expect("decodes with the hint cut to size");
    assert!(t.text.to_lowercase().contains("covered"), "{:?}", t.text);
}

#[test]
fn a_job_nobody_waits_for_is_dropped_unstarted_and_its_cpu_is_charged_when_it_runs() {
    let assets = Assets::discover();
    let path = assets.require(files::WHISPER_TINY_EN).unwrap_or_else(|e| panic!("{e}"));
    let pool = SttPool::start(Arc::new(WhisperModel::load(&path).unwrap()), 1, 2).unwrap();
    let speech = to_16k(&phone_speech("I need a refill on my Lipitor.", "flite:slt"));
    // One worker: the first job runs, the next two wait behind it.
    let first = pool.submit(JobKind::Final, speech.clone(), None).unwrap();
    let stale = pool.submit(JobKind::Speculative, speech.clone(), None).unwrap();
    let partial = pool.submit(JobKind::Partial, speech.clone(), None).unwrap();
    drop((stale, partial));
    // A partial, so that it is served after both withdrawn jobs (finals first).
    let last = pool.submit(JobKind::Partial, speech, None).unwrap();
    let t1 = first.blocking_recv().unwrap().unwrap();
    let t2 = last.blocking_recv().unwrap().unwrap();
    assert_eq!(pool.dropped(), 2, "both withdrawn jobs were skipped");
    assert!(t2.text.to_lowercase().contains("need"), "{:?}", t2.text);
    // A one-thread decode is charged its own thread's CPU time, never more
    // than it took.
    for t in [&t1, &t2] {
        assert!(t.cpu_time > Duration::from_millis(10), "{:?}", t.cpu_time);
        assert!(t.cpu_time <= t.decode_time + Duration::from_millis(5), "{t:?}");
    }
}

#[test]
fn a_decode_nobody_waits_for_any_more_stops_part_way() {
    let assets = Assets::discover();
    let path = assets.require(files::WHISPER_TINY_EN).unwrap_or_else(|e| panic!("{e}"));
    let model = Arc::new(WhisperModel::load(&path).unwrap());
    let speech = to_16k(&phone_speech("I need a refill on my Lipitor.", "flite:slt"));
    // Asked at once: stopped before any words.
    let mut state = model.state().unwrap();
    let r = model.transcribe_unless(&mut state, &speech, 1, None, &|| true);
    assert!(matches!(r, Err(models::ModelError::Abandoned)), "{r:?}");
    // The same state decodes afterwards as a fresh one does.
    let after = model.transcribe(&mut state, &speech, 1, None).unwrap();
    let fresh = model.transcribe(&mut model.state().unwrap(), &speech, 1, None).unwrap();
    assert_eq!(after.text, fresh.text);
    assert!(after.text.to_lowercase().contains("need"), "{:?}", after.text);

    // In the pool: a long decode whose requester leaves while it runs stops
    // there, and the next job is served.
    let pool = SttPool::start(model, 1, 2).unwrap();
    let long: Vec<f32> = speech.iter().copied().cycle().take(16_000 * 25).collect();
    let started = Instant::now();
    let leaving = pool.submit(JobKind::Speculative, long, None).unwrap();
    // Taken off the queue: it is running.
    while pool.queue_depth() != (0, 0) {
        std::thread::sleep(Duration::from_millis(1));
    }
    drop(leaving);
    let next = pool.submit(JobKind::Final, speech, None).unwrap();
    let t = next.blocking_recv().unwrap().unwrap();
    assert_eq!(t.text, fresh.text);
    assert_eq!(pool.abandoned(), 1, "the long decode stopped part way");
    assert_eq!(pool.dropped(), 0, "it had started");
    // Its CPU up to the stop is kept, though no transcript carries it; the
    // stop came well before a whole 25 s decode's worth.
    let spent = pool.abandoned_cpu();
    assert!(
        spent > Duration::ZERO && spent < started.elapsed(),
        "{spent:?} of {:?}",
        started.elapsed()
    );
    println!(
        "long decode left part way; the next one done {:?} after the first began",
        started.elapsed()
    );
}
