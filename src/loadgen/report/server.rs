//! The server's own figures: per-stage latency histograms, budgeted
//! functions and counters, from the difference of two `/metrics` scrapes.

use std::collections::BTreeMap;

use super::{CpuFigures, FunctionFigures, MemoryFigures, ServerFigures};
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
            member_id: None,
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

/// Model stages charged their CPU time (`switchboard_stage_cpu_microseconds_total`).
const CPU_STAGES: &[&str] = &["stt_final", "stt_speculative", "stt_partial", "tts", "intent"];

/// The server's CPU over the run: the process's CPU time less the callers'
/// own (`caller_cpu_s`, in-process runs), per call, and split by stage.
pub fn cpu_figures(diff: &Scrape, caller_cpu_s: f64) -> CpuFigures {
    let server_s = (diff.sum(telephony::metrics::PROCESS_CPU, &[]) - caller_cpu_s).max(0.0);
    let calls_ended = diff.sum(telephony::metrics::CALLS, &[]);
    let per_call = |x: f64| if calls_ended > 0.0 { x / calls_ended } else { 0.0 };
    let mut stages_per_call_s = BTreeMap::new();
    let mut charged = 0.0;
    for stage in CPU_STAGES {
        let s = diff.sum(telephony::metrics::STAGE_CPU, &[("stage", stage)]) / 1e6;
        charged += s;
        stages_per_call_s.insert((*stage).to_owned(), per_call(s));
    }
    stages_per_call_s.insert("other".to_owned(), per_call((server_s - charged).max(0.0)));
    let decodes_per_call = ["final", "speculative", "partial"]
        .iter()
        .map(|k| {
            let n = diff.sum(telephony::metrics::STT_DECODES, &[("kind", k)]);
            ((*k).to_owned(), per_call(n))
        })
        .collect();
    CpuFigures {
        server_s,
        calls_ended,
        per_call_s: per_call(server_s),
        stages_per_call_s,
        decodes_per_call,
    }
}

/// The server's memory: its resident set in the scrapes before and after.
pub fn memory_figures(before: &Scrape, after: &Scrape) -> MemoryFigures {
    let mib = |s: &Scrape, name: &str| s.sum(name, &[]) / 1_048_576.0;
    MemoryFigures {
        before_mib: mib(before, telephony::metrics::PROCESS_RSS),
        after_mib: mib(after, telephony::metrics::PROCESS_RSS),
        peak_mib: mib(after, telephony::metrics::PROCESS_PEAK_RSS),
    }
}

/// The server's figures from the difference of two scrapes.
pub fn server_figures(diff: &Scrape, peaks: Peaks, cpu: CpuFigures, memory: MemoryFigures) -> ServerFigures {
    let mut stages_ms: std::collections::BTreeMap<String, _> = STAGES
        .iter()
        .map(|(label, name)| ((*label).to_owned(), diff.histogram(name, &[]).summary_ms()))
        .collect();
    for stage in ["endpoint", "stt", "dialog", "tts", "pacing"] {
        let h = diff.histogram(telephony::metrics::TURN_STAGES, &[("stage", stage)]);
        stages_ms.insert(format!("turn stage {stage}"), h.summary_ms());
    }
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
        cpu,
        memory,
    }
}
