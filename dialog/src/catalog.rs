//! What the bot can recognise by name: the formulary and the payers.

/// Names the recogniser matches caller speech against (fuzzy and phonetic,
/// see [`crate::nlu::matching`]). Shared by all calls behind an `Arc`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Catalog {
    /// Formulary medication names, as they should be spoken and sent to the
    /// functions ("Ozempic", "Metformin", "Humira").
    pub medications: Vec<String>,
    /// Payer names ("Aetna", "Blue Cross Blue Shield", "UnitedHealthcare").
    pub payers: Vec<String>,
}
