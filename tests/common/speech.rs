//! The held-out test callers' voices and lines, and the recogniser's view
//! of a µ-law call (shared by the spoken-understanding and scripted-call
//! tests).

use media::resample::StreamResampler;
use switchboard::voice::Voice;

/// Six voices: two engines, rates from fast (0.85) to slow (1.15).
pub fn voices() -> Vec<Voice> {
    vec![
        Voice::flite("slt"),
        Voice::flite("rms").at(1.15),
        Voice::flite("awb").at(0.85),
        Voice::flite("kal"),
        Voice::festival("kal_diphone"),
        Voice::festival("cmu_us_slt_arctic_hts").at(0.9),
    ]
}

/// What the dialog recognises by name: the real 50-drug formulary and the
/// payers.
pub fn catalog() -> dialog::Catalog {
    dialog::Catalog {
        medications: functions::catalog::MEDICATIONS
            .iter()
            .map(|m| m.name.to_owned())
            .collect(),
        payers: functions::catalog::PAYERS.iter().map(|p| p.name.to_owned()).collect(),
    }
}

/// The lines: clean, 15 dB and 10 dB SNR (hiss plus a click a second).
pub const LINES: &[(&str, Option<f32>)] = &[("clean", None), ("15 dB", Some(15.0)), ("10 dB", Some(10.0))];

/// 8 kHz µ-law → 16 kHz f32, as the call path feeds Whisper.
pub fn ulaw_to_16k(ulaw: &[u8]) -> Vec<f32> {
    let mut r = StreamResampler::new(8000, 16000).expect("supported rate");
    let f: Vec<f32> = ulaw.iter().map(|&b| media::mulaw::decode(b) as f32 / 32768.0).collect();
    let mut out = Vec::new();
    r.push(&f, &mut out).expect("resample");
    r.flush(&mut out).expect("flush");
    out
}
