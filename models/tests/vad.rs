//! Silero VAD on telephone audio: finds speech in speech, none in silence,
//! line noise or DTMF tones. Real model (installed by ./scripts/models.sh);
//! speech synthesised by espeak-ng, a voice other than the bot's.

mod common;

use common::phone_speech;
use media::dtmf::{DtmfDigit, DtmfGenerator};
use media::mulaw;
use models::assets::Assets;
use models::vad::{EndpointConfig, Endpointer, SileroModel, SileroVad, VadEvent};

fn events(model: &std::sync::Arc<SileroModel>, pcm: &[i16]) -> Vec<VadEvent> {
    let mut vad = SileroVad::new(model.clone());
    let mut ep = Endpointer::new(EndpointConfig::default(), 32);
    let mut out = Vec::new();
    for frame in pcm.chunks(160) {
        for p in vad.push(frame).unwrap() {
            out.extend(ep.push(p));
        }
    }
    out
}

fn model() -> std::sync::Arc<SileroModel> {
    SileroModel::load(&Assets::discover(), 2).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn finds_speech_with_sensible_boundaries() {
    let model = model();
    let mut pcm = vec![0i16; 8000]; // 1 s of silence first
    let speech = phone_speech(
        "Hello, I would like to check whether my prescription needs prior authorization.",
        "espeak:en-us",
    );
    let speech_ms = speech.len() as u64 / 8;
    pcm.extend(&speech);
    pcm.extend(vec![0i16; 8000]);
    let ev = events(&model, &pcm);
    let VadEvent::SpeechStart { at_ms: start } = ev[0] else {
        panic!("{ev:?}")
    };
    assert!((900..=1400).contains(&start), "speech start at {start} ms: {ev:?}");
    let end = ev.iter().rev().find_map(|e| match e {
        VadEvent::SpeechEnd { at_ms } => Some(*at_ms),
        _ => None,
    });
    let end = end.expect("speech ends");
    let true_end = 1000 + speech_ms;
    assert!(
        end + 400 >= true_end && end <= true_end + 300,
        "end at {end} ms, speech ends ~{true_end} ms: {ev:?}"
    );
}

#[test]
fn finds_no_speech_in_silence_line_noise_or_dtmf() {
    let model = model();
    assert_eq!(events(&model, &vec![0i16; 24_000]), vec![], "silence");
    // Line noise: white hiss at -40 dBFS plus 60 Hz hum, 3 s.
    let mut seed = 0x2545F4914F6CDD1Du64;
    let noise: Vec<i16> = (0..24_000)
        .map(|i| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let white = ((seed >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 2.0 * 330.0 * 1.7;
            let hum = 500.0 * (2.0 * std::f32::consts::PI * 60.0 * i as f32 / 8000.0).sin();
            mulaw::decode(mulaw::encode((white + hum) as i16))
        })
        .collect();
    assert_eq!(events(&model, &noise), vec![], "line noise");
    // A dialled number as in-band DTMF.
    let digits: Vec<DtmfDigit> = "18005550100#"
        .chars()
        .map(|c| DtmfDigit::from_char(c).unwrap())
        .collect();
    let mut tones = Vec::new();
    mulaw::decode_into(&DtmfGenerator::default().render(&digits), &mut tones);
    assert_eq!(events(&model, &tones), vec![], "DTMF");
}

/// The bot's audio is held from the first 64 ms of a rising voice (two
/// windows over the start threshold; see `Endpointer::rising_ms`). A noisy
/// line must not look like one, or the bot would stutter: ten seconds of
/// loud hiss (about 10 dB under speech) with clicks never rise that far.
#[test]
fn loud_hiss_and_clicks_never_look_like_a_rising_voice() {
    let model = model();
    let mut seed = 0x9E3779B97F4A7C15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed >> 40) as f32 / (1u64 << 24) as f32
    };
    let noise: Vec<i16> = (0..80_000)
        .map(|i| {
            // White hiss at about 1,000 RMS (-30 dBFS), a click every 0.3 s.
            let white = (next() - 0.5) * 2.0 * 1_000.0 * 1.7;
            let click = if i % 2_400 < 3 { 12_000.0 } else { 0.0 };
            mulaw::decode(mulaw::encode((white + click) as i16))
        })
        .collect();
    let mut vad = SileroVad::new(model.clone());
    let mut ep = Endpointer::new(EndpointConfig::default(), 32);
    let (mut rising, mut most) = (0, 0);
    for frame in noise.chunks(160) {
        for p in vad.push(frame).unwrap() {
            let before = ep.rising_ms();
            assert_eq!(ep.push(p), None, "noise declared speech");
            most = most.max(ep.rising_ms());
            rising += usize::from(ep.rising_ms() >= 64 && before < 64);
        }
    }
    assert_eq!(rising, 0, "noise looked like a rising voice (longest run {most} ms)");
}
