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

impl ExpectedNames {
    /// Which of two decodes of one identity turn to believe: `hinted` (with
    /// [`ExpectedNames::hint`] as the prompt) or `plain` (no prompt).
    ///
    /// The hint makes a name on file the likelier spelling, which is its
    /// use, and its danger: on a noisy line a small model may write the name
    /// on file for a different name said. So where the hinted decode holds
    /// a part of a name on file, the plain decode must hold something that
    /// sounds or is spelled like a part of that same name; if it does not,
    /// the hint put the name there, and the plain words are believed (the
    /// caller is then asked again or to spell, never verified on the
    /// hint's word). Where the hinted decode names nobody on file, it is
    /// believed. A plain decode that names nobody (noise) does not bear a
    /// name out either: on a noisy line that costs genuine callers a second
    /// try or a spelling, and measured it is what keeps another's name out
    /// (BENCHMARKS.md, "the names hint checked").
    pub fn corroborate<'a>(&self, hinted: &'a str, plain: &'a str) -> &'a str {
        let heard_hinted = crate::nlu::text::words(hinted);
        let heard_plain = crate::nlu::text::words(plain);
        for name in &self.0 {
            let parts = crate::nlu::text::words(name);
            if !Self::holds_part(&heard_hinted, &parts) {
                continue;
            }
            let alike = parts.iter().any(|p| heard_plain.iter().any(|w| sounds_alike(w, p)));
            if !alike {
                return plain;
            }
        }
        hinted
    }

    /// Whether `hinted` holds a part of a name on file, so that
    /// [`ExpectedNames::corroborate`] needs the plain decode (a turn with
    /// only a date of birth in it does not wait for one).
    pub fn named_in(&self, hinted: &str) -> bool {
        let heard = crate::nlu::text::words(hinted);
        self.0
            .iter()
            .any(|name| Self::holds_part(&heard, &crate::nlu::text::words(name)))
    }

    /// The one name on file that `hinted` holds a part of ("my Smith" for
    /// "Mei Smith", where the recogniser wrote a first name as a common
    /// word), lowercased as names are heard; `None` where it holds a part of
    /// none or of several (a surname a household shares).
    pub fn named_by(&self, hinted: &str) -> Option<String> {
        let heard = crate::nlu::text::words(hinted);
        let mut named = self
            .0
            .iter()
            .filter(|name| Self::holds_part(&heard, &crate::nlu::text::words(name)));
        match (named.next(), named.next()) {
            (Some(one), None) => Some(crate::nlu::text::words(one).join(" ")),
            _ => None,
        }
    }

    fn holds_part(heard: &[String], parts: &[String]) -> bool {
        parts.iter().any(|p| p.len() >= 2 && heard.contains(p))
    }
}

/// Whether a word heard is a name part as a recogniser may write it: the
/// same phonetic key (semivowels and h aside: "luis" / "lewis"), or a close
/// spelling.
fn sounds_alike(heard: &str, part: &str) -> bool {
    use crate::nlu::phonetic::phonetic_key;
    if heard.len() < 2 || part.len() < 2 {
        return false;
    }
    let key = |w: &str| phonetic_key(w).replace(['W', 'H', 'Y'], "");
    let (a, b) = (key(heard), key(part));
    (a == b && a.len() >= 2) || strsim::jaro_winkler(heard, part) >= 0.85
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
    fn the_one_name_on_file_a_hinted_decode_holds_a_part_of() {
        let family = ExpectedNames::new(vec!["Mei Smith".into(), "Luis Garcia".into()]);
        assert_eq!(family.named_by("My name is my Smith.").as_deref(), Some("mei smith"));
        assert_eq!(family.named_by("It's Lou Garcia").as_deref(), Some("luis garcia"));
        assert_eq!(family.named_by("I may just like this."), None);
        let shared = ExpectedNames::new(vec!["Mei Smith".into(), "John Smith".into()]);
        assert_eq!(
            shared.named_by("My name is my Smith."),
            None,
            "a surname two share names nobody"
        );
    }

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
    fn a_name_on_file_is_believed_only_when_the_plain_decode_bears_it_out() {
        let names = ExpectedNames::new(vec!["Joseph Murphy".into(), "Wei Lewis".into()]);
        // The hint pulled: another name was said.
        assert_eq!(
            names.corroborate("My name is Joseph Murphy.", "My name's Priya Patel."),
            "My name's Priya Patel."
        );
        // The hint mended a mangled spelling of the name on file.
        assert_eq!(
            names.corroborate("My name is Wei Lewis.", "My name is way luis."),
            "My name is Wei Lewis."
        );
        assert_eq!(
            names.corroborate("This is Joseph Murphy.", "This is Joe's of Murphy."),
            "This is Joseph Murphy."
        );
        // No name on file in the hinted words: nothing to check, nothing
        // to wait for.
        assert!(names.named_in("It's Wei Lewis") && !names.named_in("March third, 1985."));
        assert_eq!(
            names.corroborate("March third, 1985.", "March 3rd 1985"),
            "March third, 1985."
        );
        assert_eq!(ExpectedNames::default().corroborate("a", "b"), "a");
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
