//! Metric names and the Prometheus recorder.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

/// Calls in progress (gauge).
pub const ACTIVE_CALLS: &str = "switchboard_active_calls";
/// Calls ended, by `end` reason.
pub const CALLS: &str = "switchboard_calls_total";
/// Inbound media frames played.
pub const FRAMES_IN: &str = "switchboard_frames_in_total";
/// Outbound media messages sent.
pub const FRAMES_OUT: &str = "switchboard_frames_out_total";
/// Missing inbound frames concealed with silence.
pub const FRAMES_CONCEALED: &str = "switchboard_frames_concealed_total";
/// Inbound ordering anomalies, by `kind` (gap, late, duplicate, sequence_gap, sequence_reorder).
pub const MEDIA_ANOMALIES: &str = "switchboard_media_anomalies_total";
/// Inbound messages dropped, by `reason`.
pub const PROTOCOL_DROPS: &str = "switchboard_protocol_drops_total";
/// Outbound sends made late (the call loop woke late).
pub const LATE_FRAMES: &str = "switchboard_late_frames_total";
/// Marks echoed, by `state` (current, stale, unknown).
pub const MARKS: &str = "switchboard_marks_total";
/// DTMF digits received.
pub const DTMF: &str = "switchboard_dtmf_digits_total";
/// Barge-ins (clear sent).
pub const BARGE_INS: &str = "switchboard_barge_ins_total";
/// Caller speech onset to `clear` sent, seconds.
pub const BARGE_IN_LATENCY: &str = "switchboard_barge_in_latency_seconds";
/// Call length, seconds.
pub const CALL_DURATION: &str = "switchboard_call_duration_seconds";
/// End of speech (final decode submitted) to final transcript, seconds.
pub const STT_FINAL_LATENCY: &str = "switchboard_stt_final_latency_seconds";
/// Text handed to TTS to its first audio, seconds.
pub const TTS_FIRST_AUDIO: &str = "switchboard_tts_first_audio_latency_seconds";
/// Caller end of speech to the first audio of the bot's reply, seconds.
pub const TURN_LATENCY: &str = "switchboard_turn_latency_seconds";
/// The stages of a caller turn, seconds, by `stage`: `endpoint` (last word
/// → end of turn declared), `stt` (→ final transcript), `dialog` (→ reply
/// asked for), `tts` (→ its first audio), `pacing` (→ its first frame sent).
pub const TURN_STAGES: &str = "switchboard_turn_stage_seconds";
/// Caller turns ended at a pause because the words so far were a complete turn.
pub const EARLY_TURN_ENDS: &str = "switchboard_early_turn_ends_total";
/// Partial decodes skipped because the STT pool was busy.
pub const STT_PARTIALS_SKIPPED: &str = "switchboard_stt_partials_skipped_total";
/// Jobs waiting in the STT pool, by `kind` (final, partial).
pub const STT_QUEUE_DEPTH: &str = "switchboard_stt_queue_depth";
/// Identity turns where the names hint put a name on file into the
/// transcript that a plain decode did not bear out (the plain words were
/// used).
pub const HINT_OVERRULED: &str = "switchboard_stt_hint_overruled_total";
/// Utterances on a line on hold that repeat a recording already decoded
/// (not decoded again).
pub const RECORDINGS_SKIPPED: &str = "switchboard_stt_recordings_skipped_total";
/// Second opinions formed on caller transcripts the grammar did not
/// understand, by the `intent` given (`none`: not confident).
pub const INTENT_SECOND_OPINIONS: &str = "switchboard_intent_second_opinions_total";
/// CPU time spent by model work, microseconds, by `stage` (`stt_final`,
/// `stt_speculative`, `stt_partial`, `tts`, `intent`); the rest of the
/// process's CPU is the call loops (protocol, resampling, VAD, dialog,
/// pacing) and the database.
pub const STAGE_CPU: &str = "switchboard_stage_cpu_microseconds_total";
/// Whisper decodes made, by `kind` (final, speculative, partial).
pub const STT_DECODES: &str = "switchboard_stt_decodes_total";
/// Decodes withdrawn as stale (a speculation the caller talked on
/// through, a partial of an ended utterance), by `kind`; see
/// [`STT_DROPPED`] for those that never reached a decoder.
pub const STT_WITHDRAWN: &str = "switchboard_stt_withdrawn_total";
/// Jobs the STT pool dropped unstarted, their requester gone (as of the scrape).
pub const STT_DROPPED: &str = "switchboard_stt_jobs_dropped_total";
/// Decodes the STT pool stopped part way, their requester gone while they
/// ran (as of the scrape).
pub const STT_ABANDONED: &str = "switchboard_stt_decodes_abandoned_total";
/// Gauge: the process's CPU time so far, seconds (user + system), as of the scrape.
pub const PROCESS_CPU: &str = "switchboard_process_cpu_seconds";
/// Gauge: the process's resident memory now, bytes, as of the scrape.
pub const PROCESS_RSS: &str = "switchboard_process_resident_bytes";
/// Gauge: the process's highest resident memory so far, bytes (VmHWM).
pub const PROCESS_PEAK_RSS: &str = "switchboard_process_peak_resident_bytes";
/// Webhook requests refused for a bad signature.
pub const SIGNATURE_REJECTS: &str = "switchboard_webhook_signature_rejects_total";
/// Call recordings closed, by `outcome` (complete, incomplete, failed).
pub const RECORDINGS: &str = "switchboard_recordings_total";
/// Transfers by staff `line` and `result` (answered, no_answer, busy, failed, canceled).
pub const TRANSFERS: &str = "switchboard_transfers_total";
/// Call status callbacks received, by `status`.
pub const STATUS_CALLBACKS: &str = "switchboard_status_callbacks_total";
/// Media streams refused before any audio (bad signature, missing or spent token).
pub const STREAMS_REFUSED: &str = "switchboard_streams_refused_total";
/// Counter: call audio frames a listening supervisor's browser leg was too slow to take.
pub const LISTEN_FRAMES_DROPPED: &str = "switchboard_listen_frames_dropped_total";
/// Counter: a barging supervisor's voice frames dropped (the call was behind).
pub const VOICE_FRAMES_DROPPED: &str = "switchboard_voice_frames_dropped_total";
/// Gauge: supervisors' browser legs (WebRTC) open.
pub const LISTENERS: &str = "switchboard_listeners";
/// Histogram: a listened frame's wait between the call and its RTP packet.
pub const LISTEN_QUEUE_DELAY: &str = "switchboard_listen_queue_delay_seconds";

/// The process-wide Prometheus recorder (installed on first use).
pub fn handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let buckets = [
                0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1.0, 2.0, 5.0, 30.0, 300.0,
            ];
            // Finer buckets where a turn's latency is told apart stage by stage.
            let fine = [
                0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.125, 0.15, 0.175, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.8,
                1.0, 1.5, 2.0, 3.0, 5.0, 10.0,
            ];
            let mut builder = PrometheusBuilder::new()
                .set_buckets(&buckets)
                .expect("bucket list is non-empty");
            for name in [
                TURN_STAGES,
                TURN_LATENCY,
                STT_FINAL_LATENCY,
                TTS_FIRST_AUDIO,
                BARGE_IN_LATENCY,
            ] {
                builder = builder
                    .set_buckets_for_metric(metrics_exporter_prometheus::Matcher::Full(name.to_owned()), &fine)
                    .expect("bucket list is non-empty");
            }
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            // Another recorder may already be installed (e.g. by an embedding
            // program); the handle then renders only what this one sees.
            let _ = metrics::set_global_recorder(recorder);
            describe();
            handle
        })
        .clone()
}

fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_gauge!(ACTIVE_CALLS, "Calls in progress");
    describe_counter!(CALLS, "Calls ended, by end reason");
    describe_counter!(FRAMES_IN, "Inbound media frames played");
    describe_counter!(FRAMES_OUT, "Outbound media messages sent");
    describe_counter!(FRAMES_CONCEALED, "Missing inbound 20 ms frames concealed with silence");
    describe_counter!(MEDIA_ANOMALIES, "Inbound media ordering anomalies");
    describe_counter!(PROTOCOL_DROPS, "Inbound messages dropped, by reason");
    describe_counter!(LATE_FRAMES, "Outbound sends made after their deadline");
    describe_counter!(MARKS, "Marks echoed by the far end, by state");
    describe_counter!(DTMF, "DTMF digits received");
    describe_counter!(
        EARLY_TURN_ENDS,
        "Caller turns ended at a pause, the words so far judged complete"
    );
    describe_counter!(BARGE_INS, "Barge-ins: bot playback cleared because the caller spoke");
    describe_histogram!(BARGE_IN_LATENCY, Unit::Seconds, "Caller speech onset to clear sent");
    describe_histogram!(CALL_DURATION, Unit::Seconds, "Call length");
    describe_histogram!(TURN_LATENCY, Unit::Seconds, "Caller end of speech to first reply audio");
    describe_histogram!(TURN_STAGES, Unit::Seconds, "Stages of a caller turn, by stage");
    describe_histogram!(STT_FINAL_LATENCY, Unit::Seconds, "Final decode submitted to transcript");
    describe_histogram!(TTS_FIRST_AUDIO, Unit::Seconds, "Text handed to TTS to its first audio");
    describe_counter!(RECORDINGS, "Call recordings closed, by outcome");
    describe_counter!(STAGE_CPU, Unit::Microseconds, "CPU time of model work, by stage");
    describe_counter!(STT_DECODES, "Whisper decodes made, by kind");
    describe_counter!(STT_WITHDRAWN, "Stale decodes withdrawn, by kind");
    describe_counter!(STT_DROPPED, "STT jobs dropped unstarted, their requester gone");
    describe_counter!(STT_ABANDONED, "Whisper decodes stopped part way, their requester gone");
    describe_gauge!(PROCESS_CPU, Unit::Seconds, "Process CPU time (user + system) so far");
    describe_gauge!(PROCESS_RSS, Unit::Bytes, "Process resident memory");
    describe_gauge!(PROCESS_PEAK_RSS, Unit::Bytes, "Process peak resident memory (VmHWM)");
    describe_counter!(TRANSFERS, "Transfers to staff, by line and dial result");
    describe_counter!(STATUS_CALLBACKS, "Call status callbacks received, by status");
    describe_counter!(STREAMS_REFUSED, "Media streams refused before any audio, by reason");
    describe_counter!(
        LISTEN_FRAMES_DROPPED,
        "Call audio frames dropped for a slow listening browser"
    );
    describe_counter!(VOICE_FRAMES_DROPPED, "Barging supervisor's voice frames dropped");
    describe_gauge!(LISTENERS, "Supervisors' WebRTC listening legs open");
    describe_histogram!(
        LISTEN_QUEUE_DELAY,
        Unit::Seconds,
        "Listened frame: call task to RTP write"
    );
    describe_counter!(
        SIGNATURE_REJECTS,
        "Webhook requests refused for a bad or missing signature"
    );
}

/// The process's own figures from `/proc/self`: CPU time and resident
/// memory. `None` off Linux or when `/proc` is unreadable.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProcessFigures {
    /// User + system CPU time, seconds.
    pub cpu_s: f64,
    /// Resident memory now, bytes.
    pub rss_bytes: f64,
    /// Highest resident memory so far, bytes.
    pub peak_rss_bytes: f64,
}

impl ProcessFigures {
    /// Reads them now.
    pub fn read() -> Option<Self> {
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        Some(Self {
            cpu_s: cpu_seconds(&stat)?,
            rss_bytes: status_kib(&status, "VmRSS:")? * 1024.0,
            peak_rss_bytes: status_kib(&status, "VmHWM:")? * 1024.0,
        })
    }

    /// Sets the process gauges (called when `/metrics` is scraped).
    pub fn publish(&self) {
        metrics::gauge!(PROCESS_CPU).set(self.cpu_s);
        metrics::gauge!(PROCESS_RSS).set(self.rss_bytes);
        metrics::gauge!(PROCESS_PEAK_RSS).set(self.peak_rss_bytes);
    }
}

/// User + system time of a `/proc/…/stat` line, seconds (clock ticks of
/// 1/100 s, as on every Linux this runs on).
pub fn cpu_seconds(stat: &str) -> Option<f64> {
    // The command name may hold spaces and parentheses: fields follow the last ')'.
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = f.get(11)?.parse().ok()?;
    let stime: f64 = f.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

fn status_kib(status: &str, key: &str) -> Option<f64> {
    let line = status.lines().find(|l| l.starts_with(key))?;
    line[key.len()..].split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn process_figures_are_read_from_proc() {
        let f = ProcessFigures::read().expect("/proc/self is readable on Linux");
        assert!(f.rss_bytes > 1e6, "rss {}", f.rss_bytes);
        assert!(f.peak_rss_bytes >= f.rss_bytes);
        assert!(f.cpu_s >= 0.0);
    }

    #[test]
    fn stat_fields_follow_the_last_parenthesis() {
        let line = "42 (a (b) c) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0";
        assert_eq!(cpu_seconds(line), Some(3.0));
        assert_eq!(cpu_seconds("garbage"), None);
    }
}
