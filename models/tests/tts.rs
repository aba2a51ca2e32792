//! Piper TTS: the bot's sentences synthesised, carried to the caller as 8 kHz
//! µ-law, and transcribed back by Whisper with a low word error rate.

mod common;

use std::sync::Arc;

use common::{to_16k, word_errors};
use media::mulaw;
use media::resample::{StreamResampler, f32_to_i16};
use models::assets::{Assets, files};
use models::stt::{JobKind, SttPool, WhisperModel};
use models::tts::PiperVoice;

const BOT_LINES: &[&str] = &[
    "Thank you for calling. How can I help you today?",
    "Before I can discuss your benefits, I need to verify your identity.",
    "Please tell me your full name and date of birth.",
    "Thank you, you are verified.",
    "Your plan covers this medication with a copay of $20.",
    "This medication requires prior authorization with your plan.",
    "I am transferring you to a pharmacist now.",
    "If this is an emergency, please hang up and call emergency services.",
    "Is there anything else I can help you with?",
    "Thank you for calling. Goodbye.",
];

/// Bot audio as the caller hears it: Piper 22.05 kHz → 8 kHz µ-law → PCM.
fn as_heard(voice: &PiperVoice, text: &str) -> Vec<i16> {
    let mut r = StreamResampler::new(voice.sample_rate(), 8000).unwrap();
    let mut out = Vec::new();
    voice
        .synthesize_streaming(text, |chunk| {
            assert!(!chunk.audio.is_empty(), "audio for {:?}", chunk.text);
            let secs = chunk.audio.len() as f64 / voice.sample_rate() as f64;
            println!(
                "tts {:>4} ms for {secs:.2} s (RTF {:.3}): {:?}",
                chunk.synth_time.as_millis(),
                chunk.synth_time.as_secs_f64() / secs,
                chunk.text
            );
            r.push(&chunk.audio, &mut out).unwrap();
            true
        })
        .unwrap();
    r.flush(&mut out).unwrap();
    out.iter()
        .map(|&s| mulaw::decode(mulaw::encode(f32_to_i16(s))))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bot_speech_round_trips_through_the_phone_line_to_whisper() {
    let assets = Assets::discover();
    let voice = PiperVoice::load(&assets, 1, 1).unwrap_or_else(|e| panic!("{e}"));
    let whisper = WhisperModel::load(&assets.require(files::WHISPER_TINY_EN).unwrap()).unwrap();
    let pool = SttPool::start(Arc::new(whisper), 1, 2).unwrap();
    let (mut errors, mut total) = (0, 0);
    for line in BOT_LINES {
        let pcm = as_heard(&voice, line);
        let secs = pcm.len() as f64 / 8000.0;
        assert!(secs > 0.8 && secs < 8.0, "{line:?}: {secs:.1} s of audio");
        let t = pool
            .submit(JobKind::Final, to_16k(&pcm), None)
            .unwrap()
            .await
            .unwrap()
            .unwrap();
        let (e, n) = word_errors(line, &t.text);
        println!("{e}/{n}  {line:?} -> {:?}", t.text);
        errors += e;
        total += n;
    }
    let wer = errors as f64 / total as f64;
    println!("bot round-trip WER {wer:.3} ({errors}/{total})");
    // Piper samples noise (VITS), so each run's audio differs a little:
    // measured 0.01-0.06 over runs; the bound leaves room for that.
    assert!(wer <= 0.12, "round-trip WER {wer:.3}");
}

#[test]
fn phonemes_map_to_voice_ids() {
    let voice = PiperVoice::load(&Assets::discover(), 1, 1).unwrap_or_else(|e| panic!("{e}"));
    let ipa = voice.phonemize("Hello world.").unwrap();
    assert!(ipa.contains("wˈɜːld") && ipa.ends_with('.'), "{ipa}");
    let ids = voice.phoneme_ids(&ipa);
    // ^ _ then (phoneme, pad) pairs, then $.
    assert_eq!(ids[0], 1);
    assert_eq!(*ids.last().unwrap(), 2);
    assert!(
        ids.len() > 2 * ipa.chars().count() - 4,
        "{} ids for {:?}",
        ids.len(),
        ipa
    );
}

#[test]
fn a_new_line_is_spoken_before_the_rest_of_a_long_one_and_a_refused_line_stops() {
    use std::sync::Mutex;
    use std::time::Duration;

    use models::synthesis::{Piece, SynthesisPool};

    let assets = Assets::discover();
    let voice = Arc::new(PiperVoice::load(&assets, 1, 1).unwrap_or_else(|e| panic!("{e}")));
    let pool = SynthesisPool::start(voice, 1).unwrap();
    let order: Arc<Mutex<Vec<(&'static str, bool)>>> = Arc::default();
    let (tx, rx) = std::sync::mpsc::channel::<&'static str>();
    let sink = |name: &'static str, refuse: bool| {
        let (order, tx) = (order.clone(), tx.clone());
        Box::new(move |p: Piece| {
            order.lock().unwrap().push((name, p.audio.is_empty()));
            if p.last {
                let _ = tx.send(name);
            }
            !refuse
        }) as models::synthesis::Sink
    };
    // A long answer: its first clause, then three more sentences.
    let long = "Your plan covers Ozempic for type two diabetes, and the copay is twenty five dollars. \
                It needs a prior authorization from your doctor. Yours was approved in March. \
                It is good for twelve months.";
    pool.speak(long, sink("long", false));
    // Asked for while the long answer's first piece is being made.
    std::thread::sleep(Duration::from_millis(20));
    pool.speak("Sure, one moment.", sink("short", false));
    pool.speak("This line is cut. It never says this.", sink("cut", true));
    let mut ended: Vec<&str> = (0..3)
        .map(|_| rx.recv_timeout(Duration::from_secs(30)).unwrap())
        .collect();
    ended.sort_unstable();
    assert_eq!(ended, vec!["cut", "long", "short"]);
    let order = order.lock().unwrap().clone();
    let at = |name: &str, nth: usize| {
        order
            .iter()
            .enumerate()
            .filter(|(_, (n, _))| *n == name)
            .nth(nth)
            .map(|(i, _)| i)
            .unwrap()
    };
    // Both new lines' first pieces come before the long answer's second.
    assert!(at("short", 0) < at("long", 1), "{order:?}");
    assert!(at("cut", 0) < at("long", 1), "{order:?}");
    // The refused line got its first piece and the closing call only.
    let cut: Vec<bool> = order
        .iter()
        .filter(|(n, _)| *n == "cut")
        .map(|(_, empty)| *empty)
        .collect();
    assert_eq!(cut, vec![false, true], "{order:?}");
    // The long answer was said whole: its first clause, the rest of that
    // sentence and three more sentences.
    assert_eq!(order.iter().filter(|(n, e)| *n == "long" && !e).count(), 5, "{order:?}");
}
