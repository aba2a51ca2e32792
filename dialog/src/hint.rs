//! What the speech recogniser should expect to hear, written as text
//! Whisper continues from (its prompt): a verified caller's own medications.
//! Drug names are rare words a small model otherwise turns into ordinary
//! ones ("Enbrel" → "end built"); named in the preceding text, they become
//! the likelier spelling.
//!
//! Only the caller's own few names, and only after verification: the whole
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

#[cfg(test)]
mod tests {
    use super::*;

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
