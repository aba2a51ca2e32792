//! The function call the dialog is waiting on, and the filler it speaks if
//! the answer is slow.

use std::time::{Duration, Instant};

use crate::tools::{CallId, Severity};

/// What a call was made for, so its result lands in the right flow.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Purpose {
    /// `PatientLookup` for verification.
    Lookup,
    /// `VerifyBenefits`.
    Benefits,
    /// `CheckPaRequirements` for this medication.
    PaCheck { medication: String },
    /// `FlagAdverseEvent` for a side effect of this severity.
    AdverseEvent { severity: Severity },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Filler {
    /// Due at this instant if the result has not come.
    At(Instant),
    /// Due, but the bot was speaking: say it when it stops.
    WhenQuiet,
    /// Said (or never needed): at most once per call.
    Done,
}

/// The call in flight: at most one at a time, the caller waiting on it.
#[derive(Debug, Clone)]
pub(crate) struct Outstanding {
    pub id: CallId,
    pub purpose: Purpose,
    filler: Filler,
}

/// When the filler is due after a call is made: the soft deadline
/// (`fraction` of the budget), capped at `cap`. A fraction that is not a
/// number in 0..=1 counts as 0.6.
pub(crate) fn filler_delay(budget: Duration, fraction: f32, cap: Duration) -> Duration {
    let fraction = if fraction.is_finite() && (0.0..=1.0).contains(&fraction) {
        fraction
    } else {
        0.6
    };
    // In thousandths, so that 0.6 of 200 ms is exactly 120 ms.
    let permille = (fraction * 1000.0).round() as u32;
    budget.checked_mul(permille).map_or(cap, |d| d / 1000).min(cap)
}

impl Outstanding {
    /// A call made at `now` whose filler is due `delay` later (none: the
    /// call was acknowledged when it was made).
    pub fn new(id: CallId, purpose: Purpose, now: Instant, delay: Option<Duration>) -> Self {
        let filler = delay.and_then(|d| now.checked_add(d)).map_or(Filler::Done, Filler::At);
        Self { id, purpose, filler }
    }

    /// When the filler timer fires, if it is armed.
    pub fn filler_deadline(&self) -> Option<Instant> {
        match self.filler {
            Filler::At(at) => Some(at),
            _ => None,
        }
    }

    /// The filler timer at `now`: `true` to say the filler now. While the
    /// bot is speaking the caller is not waiting in silence, so the filler
    /// waits for [`Outstanding::on_quiet`].
    pub fn on_timer(&mut self, now: Instant, bot_speaking: bool) -> bool {
        match self.filler {
            Filler::At(at) if now >= at && bot_speaking => {
                self.filler = Filler::WhenQuiet;
                false
            }
            Filler::At(at) if now >= at => {
                self.filler = Filler::Done;
                true
            }
            _ => false,
        }
    }

    /// The bot stopped speaking: `true` to say a deferred filler now.
    pub fn on_quiet(&mut self) -> bool {
        let due = self.filler == Filler::WhenQuiet;
        if due {
            self.filler = Filler::Done;
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    #[test]
    fn delay_is_the_soft_deadline_capped() {
        assert_eq!(filler_delay(MS(200), 0.6, MS(800)), MS(120));
        assert_eq!(filler_delay(Duration::from_secs(3), 0.6, MS(800)), MS(800));
        assert_eq!(filler_delay(MS(500), f32::NAN, MS(800)), MS(300));
        assert_eq!(filler_delay(MS(500), -1.0, MS(800)), MS(300));
        assert_eq!(filler_delay(Duration::MAX, 1.0, MS(800)), MS(800));
    }

    #[test]
    fn filler_once_and_deferred_while_speaking() {
        let t0 = Instant::now();
        let mut o = Outstanding::new(CallId(1), Purpose::Lookup, t0, Some(MS(120)));
        assert_eq!(o.filler_deadline(), Some(t0 + MS(120)));
        assert!(!o.on_timer(t0 + MS(100), false));
        assert!(!o.on_timer(t0 + MS(120), true));
        assert_eq!(o.filler_deadline(), None);
        assert!(o.on_quiet());
        assert!(!o.on_quiet());
        let mut o = Outstanding::new(CallId(2), Purpose::Benefits, t0, Some(MS(800)));
        assert!(o.on_timer(t0 + MS(800), false));
        assert!(!o.on_timer(t0 + MS(900), false));
    }
}
