//! The dialog's contract with the latency-budgeted functions: what it may ask
//! for and what comes back. The `functions` crate implements these against
//! PostgreSQL and the payer's API; the dialog only sees plain data, so it can
//! be tested with scripted results and no I/O.

use std::time::Duration;

pub use chrono::NaiveDate;

/// Identifies one function call within a dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallId(pub u64);

/// How serious a reported adverse event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Severity {
    /// Bothersome, not dangerous.
    Mild,
    /// Needs a pharmacist's attention.
    Moderate,
    /// Needs attention now (escalated at once).
    Severe,
}

impl Severity {
    /// Stable lowercase label (database and metrics).
    pub fn label(self) -> &'static str {
        match self {
            Self::Mild => "mild",
            Self::Moderate => "moderate",
            Self::Severe => "severe",
        }
    }
}

/// A function the dialog asks to run.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// Find the caller's record by spoken name and date of birth (fuzzy on
    /// the name), optionally narrowed by the calling number.
    PatientLookup {
        /// Name as heard ("jon smith").
        name: String,
        /// Date of birth as understood.
        dob: NaiveDate,
        /// The caller's number, E.164, when known.
        phone: Option<String>,
        /// The member ID the caller keyed in or said ("M123456789"): when
        /// given, only the record with this member ID can match.
        member_id: Option<String>,
    },
    /// The names of the patients registered at the calling number, so the
    /// recogniser can expect one of them on the identity turns (caller-ID
    /// biasing). Never spoken and never a verification: the caller must
    /// still say a matching name and date of birth.
    NamesOnFile {
        /// The caller's number, E.164.
        phone: String,
    },
    /// Coverage, tier, copay, deductible and PA requirement of one
    /// medication for a verified patient (asks the payer's API).
    VerifyBenefits {
        /// Verified patient.
        patient_id: i64,
        /// Formulary medication name.
        medication: String,
    },
    /// Prior-authorization policy passages for a medication and payer.
    CheckPaRequirements {
        /// Payer name as in the catalog.
        payer: String,
        /// Formulary medication name.
        medication: String,
        /// The caller's question, for the keyword half of the search.
        question: String,
    },
    /// Records a reported side effect; severe ones escalate.
    FlagAdverseEvent {
        /// Verified patient, if any (emergencies may come before verification).
        patient_id: Option<i64>,
        /// Medication named, if any.
        medication: Option<String>,
        /// The symptoms as described.
        symptoms: String,
        /// Assessed severity.
        severity: Severity,
    },
}

impl Request {
    /// Function name (metrics label, `function_calls.name`).
    pub fn name(&self) -> &'static str {
        match self {
            Self::PatientLookup { .. } => "patient_lookup",
            Self::NamesOnFile { .. } => "names_on_file",
            Self::VerifyBenefits { .. } => "verify_benefits",
            Self::CheckPaRequirements { .. } => "check_pa_requirements",
            Self::FlagAdverseEvent { .. } => "flag_adverse_event",
        }
    }

    /// The latency budget the function is held to.
    pub fn budget(&self) -> Duration {
        match self {
            Self::PatientLookup { .. } | Self::NamesOnFile { .. } => Duration::from_millis(200),
            Self::VerifyBenefits { .. } => Duration::from_secs(3),
            Self::CheckPaRequirements { .. } => Duration::from_millis(500),
            Self::FlagAdverseEvent { .. } => Duration::from_millis(200),
        }
    }
}

/// One of a verified patient's medications.
#[derive(Debug, Clone, PartialEq)]
pub struct MedicationRecord {
    /// Formulary name ("Ozempic").
    pub name: String,
    /// National Drug Code.
    pub ndc: String,
    /// Whether the payer requires prior authorization.
    pub pa_required: bool,
    /// PA status when one was filed ("approved", "pending", "denied").
    pub pa_status: Option<String>,
    /// Whether step therapy applies.
    pub step_therapy: bool,
    /// Refills left on the current prescription.
    pub refills_left: i32,
}

/// A verified patient's record (PHI: only ever spoken after verification).
#[derive(Debug, Clone, PartialEq)]
pub struct PatientRecord {
    /// Database id.
    pub id: i64,
    /// Given name, for a friendly greeting.
    pub first_name: String,
    /// Payer name.
    pub payer: String,
    /// Current medications.
    pub medications: Vec<MedicationRecord>,
}

/// The payer's answer for one medication.
#[derive(Debug, Clone, PartialEq)]
pub struct Benefits {
    /// Medication asked about.
    pub medication: String,
    /// Whether the plan covers it.
    pub covered: bool,
    /// Formulary tier (1 = preferred generic).
    pub tier: i32,
    /// Copay in cents.
    pub copay_cents: i64,
    /// Whether the deductible has been met this year.
    pub deductible_met: bool,
    /// Whether PA is required.
    pub pa_required: bool,
}

/// A policy passage found by the PA search, with its source for citation.
#[derive(Debug, Clone, PartialEq)]
pub struct Passage {
    /// Title of the source document.
    pub title: String,
    /// The passage text.
    pub text: String,
    /// Combined relevance score (higher is better).
    pub score: f32,
}

/// What a function call produced.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// `PatientLookup`: the matching record, or `None` (no match or ambiguous).
    Patient(Option<PatientRecord>),
    /// `NamesOnFile`: full names registered at the number (at most a few;
    /// PHI, for the recogniser only).
    NamesOnFile(Vec<String>),
    /// `VerifyBenefits` answered within budget.
    Benefits(Benefits),
    /// `VerifyBenefits` ran past its budget: it finishes in the background and
    /// the result is sent to the patient later.
    BenefitsPending,
    /// `CheckPaRequirements`: best passages first (may be empty).
    PaPassages(Vec<Passage>),
    /// `FlagAdverseEvent` ran past its budget: the report is still being
    /// written (it is never abandoned) and its case number will come later.
    AdverseEventPending,
    /// `FlagAdverseEvent`: recorded under this case number.
    AdverseEventRecorded {
        /// Case number to read back ("AE-2026-000123").
        case_number: String,
    },
    /// `PatientLookup` refused: too many failed verifications for this
    /// calling number or this patient within the lockout window.
    VerificationLocked,
    /// The call failed or ran past its budget with nothing to show.
    Failed {
        /// Short reason, for logs (never PHI).
        reason: String,
    },
}
