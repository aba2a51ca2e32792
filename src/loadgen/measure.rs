//! What one simulated call measured, as the caller experiences it.
//!
//! Bot audio timing is measured as it arrives ([`FrameMeter`]):
//! - **jitter** of each bot frame is its packet delay variation within its
//!   talk spurt (one utterance, ended by its `…end` mark or a `clear`): how
//!   much later it arrived than the spurt's best-case schedule, where the
//!   server may send up to its lead ahead (the spurt's first frames come in a
//!   burst; that is not jitter);
//! - a **late frame** arrived after its play-out time, mid-utterance: an
//!   audible gap. The caller's player starts a talk spurt one jitter
//!   allowance ([`JITTER_ALLOWANCE`], one frame) after its first frame
//!   arrives and plays continuously from there, restarting the same way
//!   after an underrun. Audio the server sent ahead (its lead) adds to the
//!   margin; live audio (echo mode) has only the allowance.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::progress::Live;
use super::scenario::{ExpectedEnd, Scenario};
use super::stats::Histogram;
use crate::caller::{CallReport, Observer};

/// A silence on the bot's side this long starts a new talk spurt even
/// without an end mark.
const SPURT_GAP: Duration = Duration::from_secs(1);

/// The caller's jitter buffer: playback of a talk spurt starts this long
/// after its first frame arrives.
pub const JITTER_ALLOWANCE: Duration = Duration::from_millis(20);

/// Measures bot-frame jitter and late frames as messages arrive.
#[derive(Debug)]
pub struct FrameMeter {
    live: Option<Arc<Live>>,
    /// When the audio received so far will have finished playing.
    play_end: Option<Instant>,
    /// The next frame starts an utterance (a gap before it is not late).
    boundary: bool,
    spurt_start: Option<Instant>,
    spurt_offset_us: i64,
    spurt: Vec<(i64, i64)>,
    /// Jitter of each frame, µs.
    pub jitter_us: Histogram,
    /// Bot media messages.
    pub frames: u64,
    /// Frames that arrived after the caller's playback ran dry mid-utterance.
    pub late: u64,
}

impl FrameMeter {
    /// A meter that also counts into `live`, when given.
    pub fn new(live: Option<Arc<Live>>) -> Self {
        Self {
            live,
            play_end: None,
            boundary: true,
            spurt_start: None,
            spurt_offset_us: 0,
            spurt: Vec::new(),
            jitter_us: Histogram::new(),
            frames: 0,
            late: 0,
        }
    }

    /// Closes the current talk spurt: records each frame's delay variation.
    pub fn end_spurt(&mut self) {
        let min_d = self.spurt.iter().map(|(r, s)| r - s).min().unwrap_or(0);
        let lead = (-min_d).max(0);
        for &(r, s) in &self.spurt {
            let expected = (s - lead).max(0);
            self.jitter_us.record((r - expected).max(0) as u64);
        }
        self.spurt.clear();
        self.spurt_start = None;
        self.spurt_offset_us = 0;
    }

    /// Ends the measurement (the call is over).
    pub fn finish(&mut self) {
        self.end_spurt();
    }
}

impl Observer for FrameMeter {
    fn bot_media(&mut self, at: Instant, bytes: usize) {
        let dur = Duration::from_micros(bytes as u64 * 125);
        let start = match self.play_end {
            Some(p) if p >= at => p,
            Some(p) => {
                if !self.boundary {
                    self.late += 1;
                    if let Some(l) = &self.live {
                        l.add_late();
                    }
                }
                if at - p >= SPURT_GAP {
                    self.end_spurt();
                }
                at + JITTER_ALLOWANCE
            }
            None => at + JITTER_ALLOWANCE,
        };
        self.play_end = Some(start + dur);
        self.boundary = false;
        self.frames += 1;
        if let Some(l) = &self.live {
            l.add_frame();
        }
        let origin = *self.spurt_start.get_or_insert(at);
        let r = at.duration_since(origin).as_micros() as i64;
        self.spurt.push((r, self.spurt_offset_us));
        self.spurt_offset_us += dur.as_micros() as i64;
    }

    fn bot_mark(&mut self, _at: Instant, name: &str) {
        if name.ends_with(".end") {
            self.boundary = true;
            self.end_spurt();
        }
    }

    fn bot_clear(&mut self, at: Instant) {
        self.boundary = true;
        self.play_end = Some(at);
        self.end_spurt();
    }
}

/// How a call ended, from the caller's side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The bot closed the call after its goodbye.
    Completed,
    /// The bot transferred the call to staff.
    Transferred,
    /// The caller's script ended and it hung up.
    CallerEnded,
    /// The load generator hung up at the end of the run (not a failure).
    Cut,
    /// Dropped: no reply in time, connection lost, refused or closed with an
    /// error.
    Failed(String),
}

impl Outcome {
    /// Short label.
    pub fn label(&self) -> &str {
        match self {
            Self::Completed => "completed",
            Self::Transferred => "transferred",
            Self::CallerEnded => "caller_ended",
            Self::Cut => "cut",
            Self::Failed(_) => "failed",
        }
    }
}

/// One call's figures.
#[derive(Debug, Clone)]
pub struct CallResult {
    /// Scenario name.
    pub scenario: String,
    /// How it ended.
    pub outcome: Outcome,
    /// Expectations of the scenario that were not met.
    pub unmet: Vec<&'static str>,
    /// Answered turns: end of caller speech to first bot audio, ms.
    pub turn_ms: Vec<f64>,
    /// Caller turns with no reply.
    pub unanswered: usize,
    /// Caller speech onset over the bot to `clear`, ms.
    pub barge_in_ms: Vec<f64>,
    /// Caller speech onset over the bot to the bot's audio stopping at the caller, ms.
    pub bot_stop_ms: Vec<f64>,
    /// Bot media messages received.
    pub bot_frames: u64,
    /// Late bot frames.
    pub late_frames: u64,
    /// Bot-frame jitter, µs.
    pub jitter_us: Histogram,
    /// Connected time.
    pub duration: Duration,
}

impl CallResult {
    /// A call that never got going.
    pub fn failed(scenario: &str, why: String) -> Self {
        Self {
            scenario: scenario.to_owned(),
            outcome: Outcome::Failed(why),
            unmet: Vec::new(),
            turn_ms: Vec::new(),
            unanswered: 0,
            barge_in_ms: Vec::new(),
            bot_stop_ms: Vec::new(),
            bot_frames: 0,
            late_frames: 0,
            jitter_us: Histogram::new(),
            duration: Duration::ZERO,
        }
    }

    /// Figures of a finished call.
    pub fn from_report(scenario: &Scenario, report: &CallReport, meter: FrameMeter, duration: Duration) -> Self {
        let outcome = classify(report);
        let ms = |d: &Duration| d.as_secs_f64() * 1000.0;
        let turn_ms: Vec<f64> = report.turns.iter().filter_map(|(_, l)| l.as_ref().map(ms)).collect();
        // A turn cut short by the load generator's hang-up is not unanswered.
        let mut unanswered = report.turns.iter().filter(|(_, l)| l.is_none()).count();
        if report.hung_up && report.turns.last().is_some_and(|(_, l)| l.is_none()) {
            unanswered -= 1;
        }
        let mut unmet = Vec::new();
        if !matches!(outcome, Outcome::Cut | Outcome::Failed(_)) {
            let e = &scenario.expect;
            match (e.end, &outcome) {
                (Some(ExpectedEnd::Completed), Outcome::Completed)
                | (Some(ExpectedEnd::Transferred), Outcome::Transferred)
                | (Some(ExpectedEnd::Caller), Outcome::CallerEnded)
                | (None, _) => {}
                (Some(ExpectedEnd::Completed), _) => unmet.push("end: completed"),
                (Some(ExpectedEnd::Transferred), _) => unmet.push("end: transferred"),
                (Some(ExpectedEnd::Caller), _) => unmet.push("end: caller"),
            }
            if e.answered && unanswered > 0 {
                unmet.push("every turn answered");
            }
            if e.barge_in && report.clears == 0 {
                unmet.push("barge-in");
            }
        }
        Self {
            scenario: scenario.name.clone(),
            outcome,
            unmet,
            turn_ms,
            unanswered,
            barge_in_ms: report.barge_ins.iter().map(ms).collect(),
            bot_stop_ms: report.bot_stops.iter().map(ms).collect(),
            bot_frames: meter.frames,
            late_frames: meter.late,
            jitter_us: meter.jitter_us,
            duration,
        }
    }
}

/// How the caller saw the call end.
pub fn classify(report: &CallReport) -> Outcome {
    if let Some(what) = &report.timed_out {
        return Outcome::Failed(format!("timed out {what}"));
    }
    match report.closed_by_server.as_ref().map(|(c, r)| (*c, r.as_str())) {
        Some((1000, "call completed")) => Outcome::Completed,
        Some((1000, "call transferred")) => Outcome::Transferred,
        _ if report.hung_up => Outcome::Cut,
        // The answer to the caller's own `stop`.
        Some((1000, "stream stopped")) => Outcome::CallerEnded,
        Some((code, reason)) => Outcome::Failed(format!("closed {code} {reason}")),
        None => Outcome::Failed("connection lost".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn paced_stream_with_lead_burst_has_no_jitter_and_no_late_frames() {
        let t0 = Instant::now();
        let mut m = FrameMeter::new(None);
        // 60 ms lead: three frames at once, then one every 20 ms.
        for _ in 0..3 {
            m.bot_media(t0, 160);
        }
        for i in 1..50 {
            m.bot_media(t0 + ms(20 * i), 160);
        }
        m.bot_mark(t0 + ms(980), "g1.u1.end");
        assert_eq!((m.frames, m.late), (52, 0));
        assert_eq!(m.jitter_us.quantile(1.0), 0);
    }

    #[test]
    fn a_stall_shows_as_jitter_and_one_late_frame() {
        let t0 = Instant::now();
        let mut m = FrameMeter::new(None);
        m.bot_media(t0, 160);
        m.bot_media(t0, 160);
        for i in 1..10 {
            m.bot_media(t0 + ms(20 * i), 160);
        }
        // 100 ms stall: the buffer (20 ms lead + 20 ms allowance) runs dry.
        m.bot_media(t0 + ms(300), 160);
        for i in 16..20 {
            m.bot_media(t0 + ms(20 * i), 160);
        }
        m.finish();
        assert_eq!(m.late, 1);
        let worst = m.jitter_us.quantile(1.0);
        assert!((95_000..=105_000).contains(&worst), "{worst}");
    }

    #[test]
    fn live_audio_within_the_allowance_is_not_late() {
        let t0 = Instant::now();
        let mut m = FrameMeter::new(None);
        // Frames relayed live (no lead), up to 15 ms behind schedule.
        for i in 0..50u64 {
            m.bot_media(t0 + ms(20 * i) + Duration::from_micros(i % 4 * 5000), 160);
        }
        assert_eq!(m.late, 0);
        // One 30 ms behind is late.
        m.bot_media(t0 + ms(20 * 50 + 30), 160);
        m.finish();
        assert_eq!(m.late, 1);
        assert_eq!(m.jitter_us.quantile(1.0), 30_000);
    }

    #[test]
    fn gaps_between_utterances_and_after_clear_are_not_late() {
        let t0 = Instant::now();
        let mut m = FrameMeter::new(None);
        m.bot_media(t0, 160);
        m.bot_mark(t0 + ms(20), "g1.u1.end");
        m.bot_media(t0 + ms(2000), 160);
        m.bot_clear(t0 + ms(2005));
        m.bot_media(t0 + ms(3000), 160);
        m.finish();
        assert_eq!((m.frames, m.late), (3, 0));
    }

    #[test]
    fn outcomes_from_close_reasons() {
        let mut r = CallReport {
            closed_by_server: Some((1000, "call completed".into())),
            ..Default::default()
        };
        assert_eq!(classify(&r), Outcome::Completed);
        r.closed_by_server = Some((1000, "stream stopped".into()));
        assert_eq!(classify(&r), Outcome::CallerEnded);
        r.hung_up = true;
        assert_eq!(classify(&r), Outcome::Cut);
        r.closed_by_server = Some((1001, "server shutting down".into()));
        r.hung_up = false;
        assert_eq!(classify(&r), Outcome::Failed("closed 1001 server shutting down".into()));
        r.timed_out = Some("waiting for the bot".into());
        assert!(matches!(classify(&r), Outcome::Failed(_)));
        assert_eq!(
            classify(&CallReport::default()),
            Outcome::Failed("connection lost".into())
        );
    }
}
