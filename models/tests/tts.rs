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
