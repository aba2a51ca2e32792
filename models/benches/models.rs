//! Model costs: Silero VAD per window, Whisper final-transcript latency for
//! 1, 2 and 4 s utterances (one decoding thread), Piper time to first audio,
//! MiniLM embedding latency.

use std::hint::black_box;
use std::process::Command;

use criterion::{Criterion, criterion_group, criterion_main};
use media::resample::StreamResampler;
use models::assets::Assets;
use models::embed::Embedder;
use models::stt::{SttModel, WhisperModel};
use models::tts::PiperVoice;
use models::vad::{SileroModel, SileroVad};

/// `text` spoken by flite, at 8 kHz then up to 16 kHz (the call path), padded
/// or cut to `secs`.
fn utterance(text: &str, secs: f32) -> Vec<f32> {
    let path = std::env::temp_dir().join(format!("sb-bench-{}.wav", std::process::id()));
    Command::new("flite")
        .args(["-voice", "slt", "-t", text, "-o"])
        .arg(&path)
        .status()
        .expect("flite");
    let mut reader = hound::WavReader::open(&path).expect("wav");
    let rate = reader.spec().sample_rate;
    let s: Vec<f32> = reader.samples::<i16>().map(|x| x.unwrap() as f32 / 32768.0).collect();
    let mut down = StreamResampler::new(rate, 8000).unwrap();
    let mut pcm8 = Vec::new();
    down.push(&s, &mut pcm8).unwrap();
    down.flush(&mut pcm8).unwrap();
    let mut up = StreamResampler::new(8000, 16000).unwrap();
    let mut pcm16 = Vec::new();
    up.push(&pcm8, &mut pcm16).unwrap();
    up.flush(&mut pcm16).unwrap();
    pcm16.resize((secs * 16000.0) as usize, 0.0);
    pcm16
}

fn benches(c: &mut Criterion) {
    let assets = Assets::discover();
    let mut g = c.benchmark_group("models");
    g.sample_size(10);

    let silero = SileroModel::load(&assets, 1).expect("silero");
    let mut vad = SileroVad::new(silero);
    let frame: Vec<i16> = (0..256).map(|i| ((i as f32 * 0.2).sin() * 3000.0) as i16).collect();
    g.bench_function("vad_silero_window_32ms", |b| {
        b.iter(|| black_box(vad.push(black_box(&frame)).unwrap()))
    });

    // tiny.en always; base when installed (./scripts/models.sh --with-base).
    for model in [SttModel::TinyEn, SttModel::Base] {
        let Ok(path) = assets.require(model.file()) else {
            continue;
        };
        let whisper = WhisperModel::load(&path).expect("whisper");
        let mut state = whisper.state().unwrap();
        for (secs, text) in [
            (1.0, "Representative."),
            (2.0, "I need a refill of my medication."),
            (
                4.0,
                "Can you tell me if my plan requires prior authorization for this drug?",
            ),
        ] {
            let audio = utterance(text, secs);
            g.bench_function(format!("stt_final_{model:?}_{secs}s_1thread"), |b| {
                b.iter(|| black_box(whisper.transcribe(&mut state, &audio, 1, None).unwrap()))
            });
        }
    }

    let voice = PiperVoice::load(&assets, 1, 1).expect("piper");
    g.bench_function("tts_first_audio_short_sentence", |b| {
        b.iter(|| black_box(voice.synthesize("Thank you for calling.").unwrap()))
    });

    let embedder = Embedder::load(&assets, 1).expect("minilm");
    g.bench_function("embed_one_sentence", |b| {
        b.iter(|| {
            black_box(
                embedder
                    .embed(&["Does my plan require prior authorization for Ozempic?"])
                    .unwrap(),
            )
        })
    });
    g.finish();
}

criterion_group!(group, benches);
criterion_main!(group);
