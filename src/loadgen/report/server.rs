//! The server's own figures: per-stage latency histograms, budgeted
//! functions and counters, from the difference of two `/metrics` scrapes.

use super::{FunctionFigures, ServerFigures};
use crate::loadgen::progress::Peaks;
use crate::loadgen::prom::Scrape;

const STAGES: &[(&str, &str)] = &[
    ("stt_final", telephony::metrics::STT_FINAL_LATENCY),
    ("tts_first_audio", telephony::metrics::TTS_FIRST_AUDIO),
    ("turn", telephony::metrics::TURN_LATENCY),
    ("barge_in", telephony::metrics::BARGE_IN_LATENCY),
];

const COUNTERS: &[(&str, &str)] = &[
    ("frames_in", telephony::metrics::FRAMES_IN),
    ("frames_out", telephony::metrics::FRAMES_OUT),
    ("late_frames", telephony::metrics::LATE_FRAMES),
    ("frames_concealed", telephony::metrics::FRAMES_CONCEALED),
    ("media_anomalies", telephony::metrics::MEDIA_ANOMALIES),
    ("barge_ins", telephony::metrics::BARGE_INS),
    ("protocol_drops", telephony::metrics::PROTOCOL_DROPS),
    ("stt_partials_skipped", telephony::metrics::STT_PARTIALS_SKIPPED),
    ("calls_ended", telephony::metrics::CALLS),
];

/// A function's latency budget, ms (as the dialog declares it).
pub fn budget_ms(function: &str) -> Option<f64> {
    use dialog::tools::{NaiveDate, Request, Severity};
    let dob = NaiveDate::from_ymd_opt(2000, 1, 1)?;
    [
        Request::PatientLookup {
            name: String::new(),
            dob,
            phone: None,
        },
        Request::NamesOnFile { phone: String::new() },
        Request::VerifyBenefits {
            patient_id: 0,
            medication: String::new(),
        },
        Request::CheckPaRequirements {
            payer: String::new(),
            medication: String::new(),
            question: String::new(),
        },
        Request::FlagAdverseEvent {
            patient_id: None,
            medication: None,
            symptoms: String::new(),
            severity: Severity::Mild,
        },
    ]
    .iter()
    .find(|r| r.name() == function)
    .map(|r| r.budget().as_secs_f64() * 1000.0)
}

/// The server's figures from the difference of two scrapes.
pub fn server_figures(diff: &Scrape, peaks: Peaks) -> ServerFigures {
    let stages_ms = STAGES
        .iter()
        .map(|(label, name)| ((*label).to_owned(), diff.histogram(name, &[]).summary_ms()))
        .collect();
    let lat = functions::metrics::FUNCTION_LATENCY;
    let functions = diff
        .label_values(&format!("{lat}_count"), "function")
        .into_iter()
        .map(|f| {
            let h = diff.histogram(lat, &[("function", &f)]);
            let overruns = diff.sum(functions::metrics::BUDGET_OVERRUNS, &[("function", &f)]);
            FunctionFigures {
                budget_ms: budget_ms(&f),
                latency_ms: h.summary_ms(),
                overruns: overruns.round() as u64,
                overrun_ratio: if h.count > 0.0 { overruns / h.count } else { 0.0 },
                function: f,
            }
        })
        .filter(|f| f.latency_ms.count > 0)
        .collect();
    let counters = COUNTERS
        .iter()
        .map(|(label, name)| ((*label).to_owned(), diff.sum(name, &[])))
        .collect();
    ServerFigures {
        stages_ms,
        functions,
        counters,
        peaks,
    }
}
