//! Test callers: speech from espeak-ng (a voice other than the bot's), carried
//! as a phone call carries it (8 kHz µ-law), and a word error rate.

#![allow(dead_code)]

use std::process::Command;

use media::mulaw;
use media::resample::{StreamResampler, f32_to_i16};

/// `text` spoken by a Debian TTS voice other than the bot's (`espeak:VOICE`
/// or `flite:VOICE`), as 8 kHz PCM after a µ-law round trip.
pub fn phone_speech(text: &str, voice: &str) -> Vec<i16> {
    let path = std::env::temp_dir().join(format!(
        "sb-speech-{}-{:x}.wav",
        std::process::id(),
        fxhash(text, voice)
    ));
    let (engine, name) = voice.split_once(':').expect("engine:voice");
    let ok = match engine {
        "espeak" => Command::new("espeak-ng")
            .args(["-v", name, "-s", "165", "-w"])
            .arg(&path)
            .arg(text)
            .status(),
        "flite" => Command::new("flite")
            .args(["-voice", name, "-t", text, "-o"])
            .arg(&path)
            .status(),
        other => panic!("unknown engine {other}"),
    };
    assert!(
        ok.is_ok_and(|s| s.success()),
        "{engine} is required (./scripts/setup.sh installs it)"
    );
    let mut reader = hound::WavReader::open(&path).expect("espeak-ng wrote a WAV");
    let rate = reader.spec().sample_rate;
    let samples: Vec<f32> = reader
        .samples::<i16>()
        .map(|s| s.expect("sample") as f32 / 32768.0)
        .collect();
    std::fs::remove_file(&path).ok();
    let mut r = StreamResampler::new(rate, 8000).expect("supported rate");
    let mut out = Vec::new();
    r.push(&samples, &mut out).expect("resample");
    r.flush(&mut out).expect("flush");
    out.iter()
        .map(|&s| mulaw::decode(mulaw::encode(f32_to_i16(s))))
        .collect()
}

/// 8 kHz PCM → 16 kHz f32, as the call path feeds speech recognition.
pub fn to_16k(pcm: &[i16]) -> Vec<f32> {
    let mut r = StreamResampler::new(8000, 16000).expect("supported rate");
    let f: Vec<f32> = pcm.iter().map(|&s| s as f32 / 32768.0).collect();
    let mut out = Vec::new();
    r.push(&f, &mut out).expect("resample");
    r.flush(&mut out).expect("flush");
    out
}

fn fxhash(a: &str, b: &str) -> u64 {
    a.bytes()
        .chain(b.bytes())
        .fold(0xcbf29ce484222325u64, |h, c| (h ^ c as u64).wrapping_mul(0x100000001b3))
}

/// Lowercase words without punctuation (hyphens split words).
pub fn words(s: &str) -> Vec<String> {
    s.to_lowercase()
        .replace('-', " ")
        .chars()
        .filter(|c| c.is_alphanumeric() || c.is_whitespace() || *c == '\'')
        .collect::<String>()
        .split_whitespace()
        .map(|w| match w {
            "okay" => "ok".to_owned(),
            w => w.to_owned(),
        })
        .collect()
}

/// Word-level edit distance between reference and hypothesis.
pub fn word_errors(reference: &str, hypothesis: &str) -> (usize, usize) {
    let r = words(reference);
    let h = words(hypothesis);
    let mut prev: Vec<usize> = (0..=h.len()).collect();
    for (i, rw) in r.iter().enumerate() {
        let mut cur = vec![i + 1; h.len() + 1];
        for (j, hw) in h.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(rw != hw)).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    (prev[h.len()], r.len())
}
