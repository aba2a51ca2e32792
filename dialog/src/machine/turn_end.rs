//! The conversation's half of the end-of-turn judgement (see
//! [`crate::turn_end`]): what the last question expects decides whether the
//! words heard at a pause finish the caller's turn.

use super::{Awaiting, Dialog, Stage};
use crate::nlu::{Intent, dates, understand};
use crate::turn_end::{Completeness, judge_words};

impl Dialog {
    /// Whether `text`, heard up to a pause in the caller's speech, is a
    /// whole turn here. Read-only: nothing is said or called.
    ///
    /// Complete: an emergency or a request for a person at any stage; a
    /// whole date of birth, or the year after half of one, or the name when
    /// only the name was missing; a yes, a no, a request the grammar
    /// understands or one of the caller's medications. Incomplete: words a
    /// sentence does not end on, or half a date of birth. Everything else
    /// (a name when the date of birth may follow, letters being spelled,
    /// symptoms being described, words not understood) waits the usual
    /// silence.
    pub fn turn_completeness(&self, text: &str) -> Completeness {
        let u = understand(text, &self.catalog);
        // Urgent whatever the words end on: an emergency is answered now.
        if matches!(u.intent, Intent::Emergency | Intent::Human) {
            return Completeness::Complete;
        }
        let by_words = judge_words(text);
        if by_words != Completeness::Complete {
            return by_words;
        }
        match &self.stage {
            Stage::Identify(id) => {
                if u.spelled.is_some() {
                    return Completeness::Unsure;
                }
                if u.dob.is_some() {
                    return Completeness::Complete;
                }
                if id.month_day.is_some() && dates::parse_year(text).is_some() {
                    return Completeness::Complete;
                }
                if dates::parse_month_day(text).is_some() {
                    return Completeness::Incomplete;
                }
                if u.name.is_some() {
                    // Said alone when both were asked for, the date of
                    // birth often follows after a breath.
                    return if id.dob.is_some() {
                        Completeness::Complete
                    } else {
                        Completeness::Unsure
                    };
                }
                if u.intent == Intent::Unknown {
                    Completeness::Unsure
                } else {
                    Completeness::Complete
                }
            }
            Stage::Verified(s) => match &s.awaiting {
                // Symptoms are told at the caller's pace.
                Awaiting::Symptoms { .. } => Completeness::Unsure,
                Awaiting::Medication(_) | Awaiting::MedicationListed(_)
                    if s.caller.resolve_medication(text, u.medication.as_deref()).is_some()
                        || s.caller.by_position(text).is_some() =>
                {
                    Completeness::Complete
                }
                _ if u.intent != Intent::Unknown || u.medication.is_some() => Completeness::Complete,
                _ => Completeness::Unsure,
            },
            Stage::NotStarted | Stage::Done => by_words,
        }
    }
}
