//! What the speech recogniser should expect to hear, written as text
//! Whisper continues from (its prompt): a verified caller's own medications.
//! Drug names are rare words a small model otherwise turns into ordinary
//! ones ("Enbrel" → "end built"); named in the preceding text, they become
//! the likelier spelling.
//!
//! Before verification the recogniser expects the caller's own name: the
//! names registered at the calling number ([`ExpectedNames`], caller-ID
//! biasing, as phone systems weight their name grammars by the calling
//! line). Names are the words a small model mangles most ("Wei Lewis" →
//! "way luis", "Paul Hill" → "Bald Hill"); named in the prompt, the right
//! spelling becomes the likelier one. The hint only biases what is heard:
//! the caller must still say a name and a date of birth that match a record,
//! and an impostor's own words are still what the lookup gets.
//!
//! After verification, only the caller's own few medications: the whole
//! formulary and payer list as a prompt (about 220 tokens) tripled the
//! decode time of tiny.en on a 2-core box and cost more name, date and
//! intent errors than it saved drug names (BENCHMARKS.md). A hint with the
//! caller's medications is PHI: it goes to the recogniser and nowhere else.

/// The hint for a verified caller with medications `own`; `None` before
/// verification (or with nothing on file).
pub fn recognition_hint(own: &[&str]) -> Option<String> {
    match own {
        [] => None,
        [only] => Some(format!("My medication is {only}.")),
        [first @ .., last] => Some(format!("My medications are {} and {last}.", first.join(", "))),
    }
}

/// Names registered at the calling number, held before verification for
/// the recogniser only (PHI): nothing can read them back but
/// [`ExpectedNames::hint`], and `Debug` prints only how many there are.
#[derive(Clone, Default, PartialEq)]
pub struct ExpectedNames(Vec<String>);

/// At most this many names go into the hint (a shared family line).
const MAX_EXPECTED_NAMES: usize = 3;

impl ExpectedNames {
    /// The names on file for the number, as `names_on_file` returned them.
    pub fn new(mut names: Vec<String>) -> Self {
        names.retain(|n| !n.trim().is_empty());
        names.truncate(MAX_EXPECTED_NAMES);
        Self(names)
    }

    /// The recogniser's prompt for an identity turn; `None` with no names.
    pub fn hint(&self) -> Option<String> {
        (!self.0.is_empty()).then(|| {
            self.0
                .iter()
                .map(|n| format!("My name is {}.", n.trim()))
                .collect::<Vec<_>>()
                .join(" ")
        })
    }
}

impl std::fmt::Debug for ExpectedNames {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ExpectedNames({} redacted)", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_names_become_a_prompt_and_never_print() {
        assert_eq!(ExpectedNames::new(Vec::new()).hint(), None);
        assert_eq!(ExpectedNames::new(vec![" ".into()]).hint(), None);
        let names = ExpectedNames::new(vec!["Wei Lewis".into(), "Ann Lewis".into()]);
        assert_eq!(
            names.hint().as_deref(),
            Some("My name is Wei Lewis. My name is Ann Lewis.")
        );
        let shown = format!("{names:?}");
        assert!(!shown.contains("Lewis"), "{shown}");
        let many = ExpectedNames::new((0..9).map(|i| format!("Name{i} Lewis")).collect());
        assert_eq!(many.hint().unwrap().matches("My name is").count(), MAX_EXPECTED_NAMES);
    }

    #[test]
    fn the_callers_own_medications_as_a_sentence() {
        assert_eq!(recognition_hint(&[]), None);
        assert_eq!(
            recognition_hint(&["Enbrel"]).as_deref(),
            Some("My medication is Enbrel.")
        );
        assert_eq!(
            recognition_hint(&["Enbrel", "Crestor", "Lantus"]).as_deref(),
            Some("My medications are Enbrel, Crestor and Lantus.")
        );
    }
}
