//! Identity verification: what is collected before the patient lookup, and
//! the verified caller, the only holder of the patient record.
//!
//! [`VerifiedCaller`] is the type-level proof of verification: the record
//! (PHI) lives inside it and nowhere else, it is built only from a lookup
//! that returned a record, and every sentence that contains PHI is built by
//! `crate::answers` from a `&VerifiedCaller`. Code that runs before
//! verification has no such value, so it cannot produce PHI text.

use chrono::NaiveDate;

use crate::nlu::Understanding;
use crate::nlu::matching::best_match;
use crate::tools::{MedicationRecord, PatientRecord};

/// A request the caller made before verification, answered right after it.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    /// What was understood.
    pub understanding: Understanding,
    /// The words, for requests that pass them on (the PA question).
    pub text: String,
}

/// Name and date of birth collected so far, failed lookups, and the request
/// waiting for verification.
#[derive(Debug, Default)]
pub(crate) struct Identity {
    pub name: Option<String>,
    pub dob: Option<NaiveDate>,
    pub failures: u32,
    pub pending: Option<Pending>,
    /// A person was offered (the records could not be reached, or the
    /// caller would rather not verify): a "yes" transfers, for this reason.
    pub offered_person: Option<&'static str>,
    /// The keypad was offered for the date of birth (after a miss): digit
    /// keys, `0` included, now enter it.
    pub keypad_offered: bool,
    /// Digits keyed in so far.
    pub keypad: String,
    /// The date of birth held was keyed in, not heard.
    pub dob_keyed: bool,
    /// The surname as spelled letter by letter: it replaces the last word
    /// of the name heard (recognisers mangle names, rarely letters).
    pub spelled_last: Option<String>,
    /// Month and day of birth said without the year, waiting for it.
    pub month_day: Option<(u32, u32)>,
    /// The `names_on_file` call made at the start, while it is awaited.
    pub names_call: Option<crate::tools::CallId>,
    /// Names registered at the calling number: the recogniser's hint for
    /// the identity turns, never spoken.
    pub expected: crate::hint::ExpectedNames,
    /// What the recogniser heard with the names on file as its prompt when
    /// a plain decode did not bear the name out: the name and, if heard,
    /// the date of birth. Never spoken; a lookup uses it only together with
    /// the member ID, which stands in for the missing corroboration.
    pub unconfirmed: Option<(String, Option<NaiveDate>)>,
    /// Where the member ID stands (asked once per call, after a miss with
    /// an unconfirmed name).
    pub member_id: MemberId,
    /// An answer to the member ID question was not understood (asked
    /// again once; a second such answer counts as none).
    pub member_id_missed: bool,
    /// Digits said for the member ID were read back once (digits said
    /// again are taken as heard).
    pub member_id_read_back: bool,
    /// The caller was told once that a request waits for verification.
    pub verify_first_said: bool,
}

/// The member ID step of verification.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) enum MemberId {
    /// Not asked for.
    #[default]
    NotAsked,
    /// Asked for: keys and digits said now enter it.
    Asked,
    /// Nine digits said, read back to the caller: a yes enters them, keys
    /// replace them, anything else asks for the keys.
    ReadBack(String),
    /// Given ("M" and nine digits): every lookup from now on carries it.
    Given(String),
    /// Asked for and not given: not asked again.
    Declined,
}

/// Digits in a member ID after its letter.
pub(crate) const MEMBER_ID_DIGITS: usize = 9;

impl Identity {
    /// The member ID to send with the lookup, once given.
    pub fn member_id(&self) -> Option<String> {
        match &self.member_id {
            MemberId::Given(m) => Some(m.clone()),
            _ => None,
        }
    }

    /// Whether a lookup with the member ID that failed should be tried once
    /// more with the date of birth keyed in: the date was heard, and a
    /// recogniser gets a day or a year wrong more often than a caller
    /// mistypes nine digits.
    pub fn member_id_wants_keyed_dob(&self) -> bool {
        matches!(self.member_id, MemberId::Given(_)) && !self.dob_keyed
    }

    /// Whether keys now enter the member ID.
    pub fn member_id_keys(&self) -> bool {
        matches!(self.member_id, MemberId::Asked | MemberId::ReadBack(_))
    }

    /// Whether a miss now should ask for the member ID: a name was heard
    /// only with the hint, and the ID has not been asked for yet.
    pub fn member_id_would_help(&self) -> bool {
        self.unconfirmed.is_some() && self.member_id == MemberId::NotAsked
    }

    /// Both halves, when the caller has given them. A spelled surname
    /// replaces the last word of the name heard; on its own it is not a
    /// name (the first name is still asked for).
    pub fn complete(&self) -> Option<(String, NaiveDate)> {
        // With a member ID given, the name heard with the names on file
        // (and its date) stand: the ID corroborates them.
        if let (MemberId::Given(_), Some((name, dob))) = (&self.member_id, &self.unconfirmed)
            && let Some(dob) = self.dob.or(*dob)
        {
            return Some((name.clone(), dob));
        }
        let name = self.name.as_deref()?;
        let name = match (&self.spelled_last, name.rsplit_once(' ')) {
            (Some(last), Some((first, _))) => format!("{first} {last}"),
            (Some(last), None) if !name.eq_ignore_ascii_case(last) => format!("{name} {last}"),
            _ => name.to_owned(),
        };
        Some((name, self.dob?))
    }

    /// Forgets the name and date of birth after a failed lookup (the caller
    /// says both again); the pending request stays.
    pub fn retry(&mut self) {
        if matches!(self.member_id, MemberId::Given(_)) {
            // A lookup with the member ID failed: start over without it.
            self.member_id = MemberId::Declined;
            self.unconfirmed = None;
        }
        self.dob_keyed = false;
        self.name = None;
        self.dob = None;
        self.spelled_last = None;
        self.month_day = None;
    }
}

/// A caller whose name and date of birth matched a patient record.
#[derive(Debug)]
pub(crate) struct VerifiedCaller {
    record: PatientRecord,
}

impl VerifiedCaller {
    /// Verifies the caller with the record a patient lookup returned: the
    /// only constructor.
    pub fn from_lookup(record: PatientRecord) -> Self {
        Self { record }
    }

    /// Database id of the patient.
    pub fn patient_id(&self) -> i64 {
        self.record.id
    }

    /// Given name, for greetings.
    pub fn first_name(&self) -> &str {
        &self.record.first_name
    }

    /// The patient's payer.
    pub fn payer(&self) -> &str {
        &self.record.payer
    }

    /// The patient's medication called `name` (case-insensitive), falling
    /// back to a fuzzy match on the names on file.
    pub fn medication(&self, name: &str) -> Option<&MedicationRecord> {
        let meds = &self.record.medications;
        meds.iter()
            .find(|m| m.name.eq_ignore_ascii_case(name))
            .or_else(|| self.find_medication(name))
    }

    /// A medication on file that `text` mentions (fuzzy and phonetic, as
    /// for the catalog), for medications the catalog lacks.
    pub fn find_medication(&self, text: &str) -> Option<&MedicationRecord> {
        let names: Vec<String> = self.record.medications.iter().map(|m| m.name.clone()).collect();
        let found = best_match(text, &names)?;
        self.record.medications.iter().find(|m| m.name == found)
    }

    /// The medication `text` is about, given the formulary name heard in
    /// it (see [`crate::nlu::matching::resolve_medication`]).
    pub fn resolve_medication(&self, text: &str, named: Option<&str>) -> Option<String> {
        let names: Vec<String> = self.record.medications.iter().map(|m| m.name.clone()).collect();
        crate::nlu::matching::resolve_medication(text, &names, named)
    }

    /// The medication on file at the position `text` names, as the list
    /// was read out: "the first one", "number two", "the last one".
    pub fn by_position(&self, text: &str) -> Option<String> {
        const POSITIONS: [(&str, &str); 5] = [
            ("first", "one"),
            ("second", "two"),
            ("third", "three"),
            ("fourth", "four"),
            ("fifth", "five"),
        ];
        let w = crate::nlu::text::words(text);
        let names = self.medication_names();
        let has = |x: &str| w.iter().any(|y| y == x);
        let index = if has("last") {
            names.len().checked_sub(1)
        } else {
            POSITIONS
                .iter()
                .position(|(ordinal, cardinal)| has(ordinal) || (has(cardinal) && (has("number") || w.len() == 1)))
        };
        index.and_then(|i| names.get(i)).map(|n| (*n).to_owned())
    }

    /// The names of the medications on file, in order.
    pub fn medication_names(&self) -> Vec<&str> {
        self.record.medications.iter().map(|m| m.name.trim()).collect()
    }

    /// The patient's medication when there is exactly one on file.
    pub fn only_medication(&self) -> Option<&MedicationRecord> {
        match self.record.medications.as_slice() {
            [only] => Some(only),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn med(name: &str) -> MedicationRecord {
        MedicationRecord {
            name: name.into(),
            ndc: "0000-0000-00".into(),
            pa_required: false,
            pa_status: None,
            step_therapy: false,
            refills_left: 1,
        }
    }

    #[test]
    fn medications_on_file() {
        let record = PatientRecord {
            id: 7,
            first_name: "Jane".into(),
            payer: "Aetna".into(),
            medications: vec![med("Ozempic"), med("Lipitor")],
        };
        let caller = VerifiedCaller::from_lookup(record);
        assert_eq!(caller.patient_id(), 7);
        assert_eq!(caller.medication("ozempic").map(|m| m.name.as_str()), Some("Ozempic"));
        assert_eq!(caller.medication("lipiter").map(|m| m.name.as_str()), Some("Lipitor"));
        assert_eq!(
            caller.find_medication("my lipitor refill").map(|m| m.name.as_str()),
            Some("Lipitor")
        );
        assert!(caller.medication("Humira").is_none());
        assert!(caller.only_medication().is_none());
    }

    #[test]
    fn identity_needs_both_halves() {
        let mut id = Identity {
            name: Some("jane doe".into()),
            ..Identity::default()
        };
        assert!(id.complete().is_none());
        id.dob = NaiveDate::from_ymd_opt(1985, 3, 3);
        assert!(id.complete().is_some());
        id.retry();
        assert!(id.complete().is_none());
    }

    #[test]
    fn a_spelled_surname_replaces_the_one_heard() {
        let dob = NaiveDate::from_ymd_opt(1969, 7, 12);
        let mut id = Identity {
            name: Some("way luis".into()),
            dob,
            spelled_last: Some("lewis".into()),
            ..Identity::default()
        };
        assert_eq!(id.complete().map(|(n, _)| n).as_deref(), Some("way lewis"));
        // A first name alone, then the spelling: both are used.
        id.name = Some("wei".into());
        assert_eq!(id.complete().map(|(n, _)| n).as_deref(), Some("wei lewis"));
        // The spelling alone is no name.
        id.name = None;
        assert!(id.complete().is_none());
    }
}
