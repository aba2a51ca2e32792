//! Per-20 ms-frame cost of the media hot paths.
//!
//! `inbound`: a Twilio `media` JSON message → parse + base64 → µ-law decode →
//! resample 8 → 16 kHz (what every caller frame costs before speech recognition).
//! `outbound`: 20 ms of TTS audio at 22.05 kHz → resample to 8 kHz → µ-law →
//! base64 + JSON (what every bot frame costs).

use std::hint::black_box;

use base64::Engine as _;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use media::mulaw;
use media::resample::StreamResampler;
use telephony::twilio::codec::{Inbound, InboundCodec, Limits, OutboundEncoder};

const START: &str = r#"{"event":"start","sequenceNumber":"1","start":{"accountSid":"AC1","streamSid":"MZ1","callSid":"CA1","tracks":["inbound"],"customParameters":{},"mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1}},"streamSid":"MZ1"}"#;

fn speechy(n: usize, rate: f32) -> Vec<f32> {
    (0..n)
        .map(|i| {
            let t = i as f32 / rate;
            0.3 * (2.0 * std::f32::consts::PI * 220.0 * t).sin() + 0.1 * (2.0 * std::f32::consts::PI * 1375.0 * t).sin()
        })
        .collect()
}

fn inbound(c: &mut Criterion) {
    let pcm: Vec<i16> = speechy(160, 8000.0).iter().map(|s| (s * 32767.0) as i16).collect();
    let mut ulaw = Vec::new();
    mulaw::encode_into(&pcm, &mut ulaw);
    let payload = base64::engine::general_purpose::STANDARD.encode(&ulaw);
    let msg = format!(
        r#"{{"event":"media","sequenceNumber":"2","media":{{"track":"inbound","chunk":"1","timestamp":"0","payload":"{payload}"}},"streamSid":"MZ1"}}"#
    );
    let mut codec = InboundCodec::new(Limits::default());
    codec.decode(START).unwrap();
    let mut up = StreamResampler::new(8000, 16000).unwrap();
    let mut pcm8 = Vec::with_capacity(160);
    let mut f = Vec::with_capacity(160);
    let mut out16 = Vec::with_capacity(640);
    let mut g = c.benchmark_group("frame");
    g.throughput(Throughput::Elements(1));
    g.bench_function("inbound_json_b64_ulaw_resample16k", |b| {
        b.iter(|| {
            let Ok(d) = codec.decode(black_box(&msg)) else {
                unreachable!()
            };
            let Inbound::Media(m) = d.event else { unreachable!() };
            pcm8.clear();
            mulaw::decode_into(&m.ulaw, &mut pcm8);
            f.clear();
            f.extend(pcm8.iter().map(|&s| s as f32 / 32768.0));
            out16.clear();
            up.push(&f, &mut out16).unwrap();
            black_box(out16.len())
        })
    });
    let tts = speechy(441, 22050.0);
    let mut down = StreamResampler::new(22050, 8000).unwrap();
    let enc = OutboundEncoder::new("MZ1");
    let mut out8 = Vec::with_capacity(320);
    let mut pcm_out = Vec::with_capacity(320);
    let mut ulaw_out = Vec::with_capacity(320);
    g.bench_function("outbound_resample8k_ulaw_b64_json", |b| {
        b.iter(|| {
            out8.clear();
            down.push(black_box(&tts), &mut out8).unwrap();
            pcm_out.clear();
            pcm_out.extend(out8.iter().map(|&s| media::resample::f32_to_i16(s)));
            ulaw_out.clear();
            mulaw::encode_into(&pcm_out, &mut ulaw_out);
            black_box(enc.media(&ulaw_out))
        })
    });
    g.bench_function("ulaw_decode_160", |b| {
        b.iter(|| {
            pcm8.clear();
            mulaw::decode_into(black_box(&ulaw), &mut pcm8);
            black_box(pcm8.len())
        })
    });
    g.bench_function("ulaw_encode_160", |b| {
        b.iter(|| {
            ulaw_out.clear();
            mulaw::encode_into(black_box(&pcm), &mut ulaw_out);
            black_box(ulaw_out.len())
        })
    });
    g.finish();
}

criterion_group!(benches, inbound);
criterion_main!(benches);
